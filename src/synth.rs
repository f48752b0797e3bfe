//! The scale generator for large realistic files. STATUS: being built.

use std::path::Path;

use crate::evtx_write::{WriteError, WriteSummary};

/// Writes a synthetic log of about `size` bytes to `path`.
pub fn write_file(path: &Path, size: u64, seed: u64) -> Result<WriteSummary, WriteError> {
    let _ = (path, size, seed);
    Err(WriteError::Io(std::io::Error::other("not built yet")))
}
