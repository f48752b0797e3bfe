//! Reading files ahead: while one file is parsed, the next one's bytes come off the disk.
//!
//! A batch scan reads logs that are rarely in the page cache, and a thread that blocks on the
//! disk leaves its core idle. Asking the system to read the next file ahead
//! (`posix_fadvise(POSIX_FADV_WILLNEED)` on Linux) lets the disk work while the cores parse.
//! The hint costs time of its own on a file already cached (the kernel looks up every page),
//! and so does asking whether a file is cached (a mapping, whose removal interrupts the other
//! threads): the run asks once, of its first file, and reads ahead only when that one is not
//! cached. Elsewhere than on Linux nothing is done, and files are read as they come.

use std::path::Path;

/// Whether a run reads its files ahead (see the module's text).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadAhead {
    on: bool,
}

impl ReadAhead {
    /// Decides for a run from the first of the files it starts with (on when that file's first
    /// page is not cached), and reads those files ahead when on.
    pub(crate) fn start<'p>(first: impl IntoIterator<Item = &'p Path>) -> ReadAhead {
        let mut first = first.into_iter();
        let Some(head) = first.next() else {
            return ReadAhead { on: false };
        };
        let ahead = ReadAhead { on: !cached(head) };
        ahead.file(head);
        first.for_each(|path| ahead.file(path));
        ahead
    }

    /// Asks the system to start reading the file at `path` into its cache when the run reads
    /// ahead; returns without waiting for the disk.
    pub(crate) fn file(self, path: &Path) {
        #[cfg(target_os = "linux")]
        if self.on {
            linux::read_ahead(path);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (self.on, path);
    }
}

/// Whether the first page of the file at `path` is in the page cache; true where that cannot
/// be told.
fn cached(path: &Path) -> bool {
    #[cfg(target_os = "linux")]
    return linux::cached(path);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        true
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::File;
    use std::os::fd::AsRawFd;
    use std::path::Path;

    /// How much of a file is asked for at once: the start of a large log, which the kernel's
    /// own reading ahead then follows, rather than gigabytes pushed into the cache.
    const MOST_AHEAD: u64 = 64 * 1024 * 1024;

    pub(super) fn read_ahead(path: &Path) {
        let Ok(file) = File::open(path) else {
            return;
        };
        // The kernel stops at the file's end.
        let ahead = libc::off_t::try_from(MOST_AHEAD).unwrap_or(0);
        // SAFETY: a hint on an open descriptor; no memory is passed.
        unsafe {
            libc::posix_fadvise(file.as_raw_fd(), 0, ahead, libc::POSIX_FADV_WILLNEED);
        }
    }

    /// Whether the first page of the file at `path` is in the page cache (true when that
    /// cannot be told): the page is mapped, never touched, and asked about (`mincore`).
    pub(super) fn cached(path: &Path) -> bool {
        let Ok(file) = File::open(path) else {
            return true;
        };
        if file.metadata().map_or(true, |m| m.len() == 0) {
            return true;
        }
        // SAFETY: `sysconf` reads a constant.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        // SAFETY: a read-only shared mapping of the first page of an open, non-empty file; it is
        // only passed to `mincore` (its bytes are never read, so a file cut short cannot
        // fault) and unmapped.
        unsafe {
            let at = libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            );
            if at == libc::MAP_FAILED {
                return true;
            }
            let mut resident = [0u8; 1];
            let asked = libc::mincore(at, page, resident.as_mut_ptr());
            libc::munmap(at, page);
            asked != 0 || resident[0] & 1 == 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose first file was just written (so cached) does not read ahead; one with no
    /// file neither; asking for a file that is not there does nothing.
    #[test]
    fn a_run_of_cached_files_does_not_read_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.evtx");
        std::fs::write(&path, vec![7u8; 64 * 1024]).unwrap();
        assert!(!ReadAhead::start([path.as_path()]).on);
        assert!(!ReadAhead::start([]).on);
        ReadAhead { on: true }.file(&dir.path().join("absent.evtx"));
        ReadAhead { on: true }.file(&path);
        assert_eq!(std::fs::read(&path).unwrap().len(), 64 * 1024);
    }
}
