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
use std::sync::Mutex;

use evident::event::Event;
use evident::source::evtx::use_fast_path;
use evident::source::{read_inputs, EventSink, ReadPlan, RecordHead};

/// Collects events, optionally declining all but a few heads (as `scan` does), and, when it
/// takes JSON lines, the lines.
struct Collect {
    events: Mutex<Vec<Event>>,
    only: Option<&'static [u32]>,
    json: bool,
    lines: Mutex<Vec<String>>,
}

impl EventSink for Collect {
    fn wants(&self, head: &RecordHead<'_>) -> bool {
        self.only.is_none_or(|ids| ids.contains(&head.event_id))
    }

    fn accept(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }

    fn filters_heads(&self) -> bool {
        self.only.is_some()
    }

    fn takes_json(&self) -> bool {
        self.json
    }

    fn accept_json(&self, records: &[(Event, std::ops::Range<usize>)], lines: &[u8]) {
        for (system, range) in records {
            assert!(system.fields.is_empty());
            let line = std::str::from_utf8(&lines[range.clone()]).expect("a JSON line is UTF-8");
            let line = line
                .strip_suffix('\n')
                .expect("a JSON line ends with a newline");
            self.lines.lock().unwrap().push(line.to_string());
        }
    }
}

/// The events read (as serde writes them, sorted), the error lines (sorted), and how many of
/// the events came as JSON lines.
fn read(
    paths: &[PathBuf],
    fast: bool,
    only: Option<&'static [u32]>,
    json: bool,
) -> (Vec<String>, Vec<String>, usize) {
    use_fast_path(fast);
    let sink = Collect {
        events: Mutex::new(Vec::new()),
        only,
        json,
        lines: Mutex::new(Vec::new()),
    };
    let plan = ReadPlan { threads: 2 };
    let summary = read_inputs(paths, &plan, &sink);
    let lines = sink.lines.into_inner().unwrap();
    let from_lines = lines.len();
    let mut events: Vec<String> = sink
        .events
        .into_inner()
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .chain(lines)
        .collect();
    events.sort();
    let mut errors: Vec<String> = summary.errors().map(|e| e.to_string()).collect();
    // The accounting of each file (what coverage reads: its channel, host, records, time span,
    // whether it was declined) belongs with the errors: it must not depend on the reading.
    errors.extend(summary.sources.iter().map(|s| {
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
    }));
    errors.sort();
    (events, errors, from_lines)
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
