//! The same record given twice is one piece of evidence: a scenario's logs given once, and
//! given again beside a copy of themselves (as when one log is exported twice, or copied into
//! two bundles), give the same signals, once each.

mod common;
use common::copy_dir;

use std::path::{Path, PathBuf};

use evident::engine::collect_signals;
use evident::rules::RuleSet;
use evident::source::ReadPlan;

#[test]
fn a_log_given_twice_gives_its_signals_once() {
    let (rules, errors) = RuleSet::load(None);
    assert!(errors.is_empty(), "{errors:?}");
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tls-mismatch/logs");
    let twice = tempfile::tempdir().unwrap();
    copy_dir(&logs, &twice.path().join("first"));
    copy_dir(&logs, &twice.path().join("second"));
    let plan = ReadPlan { threads: 2 };

    let (once, _) = collect_signals(std::slice::from_ref(&logs), &rules, &plan);
    let paths: Vec<PathBuf> = vec![twice.path().to_path_buf()];
    let (doubled, summary) = collect_signals(&paths, &rules, &plan);
    let (once, doubled) = (once.into_sorted(), doubled.into_sorted());

    assert!(!once.is_empty());
    assert_eq!(summary.sources.len() % 2, 0, "both copies were read");
    assert_eq!(once.len(), doubled.len());
    // Of two copies, the one of the first file in name order is kept, whatever the threads did.
    let first = twice.path().join("first").display().to_string();
    assert!(doubled
        .iter()
        .all(|s| s.record().origin.file.starts_with(&first)));
    let key = |s: &evident::signal::Signal| {
        (
            s.rule_id().clone(),
            s.signal_id().clone(),
            s.record_id(),
            s.time(),
            s.host().to_string(),
        )
    };
    let mut a: Vec<_> = once.iter().map(key).collect();
    let mut b: Vec<_> = doubled.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

/// The report of `evident scan PATH --format json --threads N`, and its exit code.
fn scan_report(path: &Path, threads: usize) -> (Vec<u8>, Option<i32>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("scan")
        .arg(path)
        .args(["--format", "json", "--threads", &threads.to_string()])
        .output()
        .unwrap();
    (out.stdout, out.status.code())
}

/// Reading, the duplicate check, the sort of the signals and their diagnosis all run on the
/// threads given: the report must not depend on how many there are (copies in two folders
/// make the duplicate check choose on every record).
#[test]
fn a_scan_reports_the_same_on_any_number_of_threads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let twice = tempfile::tempdir().unwrap();
    copy_dir(&root.join("samples"), &twice.path().join("a"));
    copy_dir(&root.join("samples"), &twice.path().join("b"));
    let mut inputs = vec![twice.path().to_path_buf()];
    let corpus = root.join("../shared/corpus");
    if corpus.join("MANIFEST.tsv").is_file() {
        inputs.push(corpus);
    } else {
        eprintln!("corpus part skipped: no corpus at {}", corpus.display());
    }
    for input in inputs {
        let (one, code) = scan_report(&input, 1);
        assert!(one.len() > 1000, "{}: a report", input.display());
        for threads in [2, 4] {
            let (report, other_code) = scan_report(&input, threads);
            assert_eq!(code, other_code, "{}", input.display());
            assert!(
                report == one,
                "{}: the report at {threads} threads differs from the one at 1",
                input.display()
            );
        }
    }
}
