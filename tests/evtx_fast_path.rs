//! The EVTX fast path (template definitions and substitution values read from the chunk
//! bytes, `src/source/binxml/`) gives exactly the events of the crate's full rendering: the
//! same records, equal field for field, with the same errors, on every `.evtx` of the shared
//! corpus (damaged files included) and of the samples, with and without a pre-filter, and the
//! same accounting of each file (channel, host, records, time span). And the
//! JSON lines its record programs write (`src/source/binxml/program.rs`) are the bytes serde
//! writes for those events.
//!
//! Its own process: the switch between the two readings is process-wide.

mod common;

use std::path::{Path, PathBuf};

use common::read_evtx;
use evident::source::ReadSummary;

/// The events read, and the error lines with the accounting of each file (what coverage reads:
/// its channel, host, records, time span, whether it was declined), which must not depend on
/// the reading either; and how many of the events came as JSON lines.
fn read(
    paths: &[PathBuf],
    fast: bool,
    only: Option<&'static [u32]>,
    json: bool,
) -> (Vec<String>, Vec<String>, usize) {
    let reading = read_evtx(paths, 2, fast, only, json);
    let mut errors = reading.errors;
    errors.extend(accounting(&reading.summary));
    errors.sort();
    (reading.events, errors, reading.from_lines)
}

fn accounting(summary: &ReadSummary) -> impl Iterator<Item = String> + '_ {
    summary.sources.iter().map(|s| {
        format!(
            "{} {:?} channel {:?} computer {:?} records {} skipped {} from {:?} to {:?}",
            s.file,
            s.member,
            s.channel,
            s.computer,
            s.records,
            s.skipped,
            s.first_time,
            s.last_time
        )
    })
}

#[test]
fn fast_path_reads_exactly_what_the_crate_renders() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    common::evtx_files(&root.join("samples"), &mut files);
    let corpus = root.join("../shared/corpus");
    if corpus.is_dir() {
        common::evtx_files(&corpus, &mut files);
    } else {
        eprintln!("corpus part skipped: no corpus at {}", corpus.display());
    }
    files.sort();
    assert!(!files.is_empty());
    for only in [None, Some(&[4625u32, 36874, 36888, 1149, 131, 1024][..])] {
        let (slow, slow_errors, _) = read(&files, false, only, false);
        for json in [false, true] {
            let (fast, fast_errors, from_lines) = read(&files, true, only, json);
            assert_eq!(slow.len(), fast.len(), "event count (filter {only:?})");
            for (a, b) in slow.iter().zip(&fast) {
                assert_eq!(a, b, "filter {only:?}, JSON lines {json}");
            }
            let only_slow: Vec<_> = slow_errors
                .iter()
                .filter(|e| !fast_errors.contains(e))
                .collect();
            let only_fast: Vec<_> = fast_errors
                .iter()
                .filter(|e| !slow_errors.contains(e))
                .collect();
            assert!(
                only_slow.is_empty() && only_fast.is_empty(),
                "errors and accounting differ (filter {only:?}, JSON lines {json}):\ncrate only: {only_slow:#?}\nhere only: {only_fast:#?}"
            );
            if json {
                // Most records are written by programs (the rest: first chunks, arrays ...).
                assert!(
                    from_lines * 2 > fast.len(),
                    "{from_lines} of {}",
                    fast.len()
                );
            }
            eprintln!(
                "{} files, {} events equal both ways (filter {only:?}; {from_lines} as JSON lines)",
                files.len(),
                fast.len()
            );
        }
    }
}
