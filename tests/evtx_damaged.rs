//! Damaged copies of real logs, read both ways: the EVTX fast path (`src/source/binxml/`)
//! against the crate's full rendering, and its JSON lines against its events.
//!
//! Each case is a corpus or sample `.evtx` with up to twenty bytes overwritten past the file
//! and first chunk headers (a fixed pseudo-random sequence, so a failure repeats). The fast
//! path must give every event the crate gives, equal, and no error the crate does not give;
//! it may read more only where the crate refused a whole chunk (the crate checks a chunk's
//! string table, which a reader that follows the names' offsets does not need). The JSON
//! lines must be exactly its events.
//!
//! Its own process: the switch between the two readings is process-wide.

mod common;

use common::read_evtx;
use std::path::Path;

/// Events (sorted) and error lines (sorted) of one file.
fn read(path: &Path, fast: bool, json: bool) -> (Vec<String>, Vec<String>) {
    let reading = read_evtx(&[path.to_path_buf()], 1, fast, None, json);
    (reading.events, reading.errors)
}

#[test]
fn damaged_copies_read_alike_both_ways() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    common::evtx_files(&root.join("samples"), &mut files);
    let corpus = root.join("../shared/corpus/evtx-attack-samples");
    if corpus.is_dir() {
        common::evtx_files(&corpus, &mut files);
    } else {
        eprintln!("corpus part skipped: no corpus at {}", corpus.display());
    }
    files.retain(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 1_200_000));
    files.sort();
    assert!(!files.is_empty());

    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut compared = 0;
    let mut more = 0;
    for case in 0..400 {
        let source = &files[next() as usize % files.len()];
        let mut bytes = std::fs::read(source).expect("readable");
        const HEADERS: usize = 4096 + 512;
        if bytes.len() < HEADERS + 512 {
            continue;
        }
        for _ in 0..1 + next() % 20 {
            let at = HEADERS + next() as usize % (bytes.len() - HEADERS);
            bytes[at] = next() as u8;
        }
        let path = dir.path().join(format!("case-{case}.evtx"));
        std::fs::write(&path, &bytes).expect("writable");
        let (crate_events, crate_errors) = read(&path, false, false);
        let (events, errors) = read(&path, true, false);
        let (lines, _) = read(&path, true, true);
        let what = format!("case {case} ({})", source.display());
        assert_eq!(events, lines, "{what}: JSON lines and events differ");
        let missing: Vec<_> = crate_events
            .iter()
            .filter(|e| events.binary_search(e).is_err())
            .collect();
        assert!(missing.is_empty(), "{what}: not read here: {missing:#?}");
        let extra_errors: Vec<_> = errors
            .iter()
            .filter(|e| crate_errors.binary_search(e).is_err())
            .collect();
        assert!(
            extra_errors.is_empty(),
            "{what}: errors only here: {extra_errors:#?}"
        );
        if events.len() > crate_events.len() {
            let refused_chunk = crate_errors
                .iter()
                .any(|e| e.contains("unreadable chunk") && errors.binary_search(e).is_err());
            assert!(
                refused_chunk,
                "{what}: more events here, and no chunk refused by the crate"
            );
            more += 1;
        }
        compared += 1;
    }
    eprintln!("{compared} damaged copies compared; {more} read further than the crate reads them");
    assert!(compared > 300);
}
