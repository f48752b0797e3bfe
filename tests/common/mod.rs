//! Helpers shared by the integration tests.

// Each test binary uses some of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Copies the folder `from` into `to`, recursively (a test's own copy of fixtures or samples).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Every `.evtx` file under `dir`, recursively (none when it is missing).
pub fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            evtx_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "evtx") {
            out.push(path);
        }
    }
}
