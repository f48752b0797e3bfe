//! The `evident` binary: parse the command line, run the command, map its outcome to an exit
//! code (0 clean, 1 findings, 2 input or usage errors). All the work is in the library.

use std::process::ExitCode;

use clap::Parser;

/// Reading allocates and frees many small strings on several threads at once; mimalloc's
/// per-thread heaps make that a fraction of what the system allocator costs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the same place in its option list in versions 2 and
/// 3; the Rust bindings leave it unnamed).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory in the process instead of handing it back to the system after a delay
/// (10 ms in mimalloc 2, 1 s in 3): a run is short, and memory handed back and taken again is
/// zeroed by the kernel each time (measured: some scans took up to twice as long). Set only
/// when the option holds a delay, so that a version where 15 means something else is left
/// alone.
fn keep_freed_memory() {
    // SAFETY: plain calls into the allocator's option table, before any other thread starts.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) > 0 {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        }
    }
}

/// Turns transparent huge pages off for the process (what mimalloc does itself when its
/// `allow_thp` option is off, which it reads only from the environment at start-up).
/// mimalloc asks for huge pages, and the kernel zero-fills 2 MiB at a time on first touch,
/// often after compacting memory to find them. Measured, huge pages on against off:
/// - `evident events` on one 16 MB log: 58–105 ms against 55–61 ms;
/// - `evident scan` on the 15 largest corpus files run once after a pause, as a user runs
///   it: 0.35–0.49 s against 0.23–0.31 s, and peak RSS 145 against 108 MB on the perf check.
///
/// Only a scan repeated back to back, with huge pages freshly freed by the run before, is
/// faster with them (0.19 against 0.23 s; the perf check's best of three 0.75 against 0.82 s).
#[cfg(target_os = "linux")]
extern "C" fn no_huge_pages() {
    // SAFETY: a process-wide flag; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// [`no_huge_pages`] runs when the program is loaded, before Rust's runtime starts: its first
/// allocation (made before `main`) is mimalloc's first page, and on a system that gives huge
/// pages where asked (`madvise`), the kernel zero-fills 2 MiB for it. Measured on one 16 MB
/// log: 1.4% of `evident events`, and 8% in a run where the kernel first had to find the
/// 2 MiB; peak RSS 12 against 9 MB.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static NO_HUGE_PAGES_AT_LOAD: extern "C" fn() = no_huge_pages;

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = evident::cli::Cli::parse();
    let status = evident::cli::run(cli);
    ExitCode::from(status as u8)
}
