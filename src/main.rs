//! The `evident` binary: parse the command line, run the command, map its outcome to an exit
//! code (0 clean, 1 findings, 2 input or usage errors). All the work is in the library.

use std::process::ExitCode;

use clap::Parser;

/// Reading allocates and frees many small strings on several threads at once; mimalloc's
/// per-thread heaps make that a fraction of what the system allocator costs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = evident::cli::Cli::parse();
    let status = evident::cli::run(cli);
    ExitCode::from(status as u8)
}
