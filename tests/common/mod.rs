//! Helpers shared by the integration tests.

// Each test binary uses some of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use evident::event::Event;
use evident::source::evtx::use_fast_path;
use evident::source::{read_inputs, EventSink, ReadPlan, ReadSummary, RecordHead};

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

/// Collects events as serde writes them, optionally declining all but a few event ids (as
/// `scan` does), and, when it takes JSON lines, the lines.
struct Collect {
    events: Mutex<Vec<String>>,
    only: Option<&'static [u32]>,
    json: bool,
    from_lines: Mutex<usize>,
}

impl EventSink for Collect {
    fn wants(&self, head: &RecordHead<'_>) -> bool {
        self.only.is_none_or(|ids| ids.contains(&head.event_id))
    }

    fn filters_heads(&self) -> bool {
        self.only.is_some()
    }

    fn accept(&self, event: Event) {
        let line = serde_json::to_string(&event).expect("an event serializes");
        self.events.lock().unwrap().push(line);
    }

    fn takes_json(&self) -> bool {
        self.json
    }

    fn accept_json(
        &self,
        records: &[(Option<jiff::Timestamp>, std::ops::Range<usize>)],
        lines: &[u8],
    ) {
        for (time, range) in records {
            let line = std::str::from_utf8(&lines[range.clone()]).expect("a JSON line is UTF-8");
            let line = line
                .strip_suffix('\n')
                .expect("a JSON line ends with a newline");
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line parses");
            let written = value["time"]
                .as_str()
                .map(|t| t.parse().expect("a JSON time"));
            assert_eq!(written, *time, "the time given with a line is the line's");
            self.events.lock().unwrap().push(line.to_string());
            *self.from_lines.lock().unwrap() += 1;
        }
    }
}

/// One reading of some `.evtx` files.
pub struct Reading {
    /// The events as serde writes them (or as JSON lines), sorted.
    pub events: Vec<String>,
    /// The error lines, sorted.
    pub errors: Vec<String>,
    /// How many of the events came as JSON lines.
    pub from_lines: usize,
    pub summary: ReadSummary,
}

/// Reads `paths` with the EVTX fast path on or off (`fast`), optionally declining all event
/// ids but `only`, taking JSON lines where the reader gives them when `json`.
pub fn read_evtx(
    paths: &[PathBuf],
    threads: usize,
    fast: bool,
    only: Option<&'static [u32]>,
    json: bool,
) -> Reading {
    use_fast_path(fast);
    let sink = Collect {
        events: Mutex::new(Vec::new()),
        only,
        json,
        from_lines: Mutex::new(0),
    };
    let summary = read_inputs(paths, &ReadPlan { threads }, &sink);
    let mut events = sink.events.into_inner().unwrap();
    events.sort();
    let mut errors: Vec<String> = summary.errors().map(|e| e.to_string()).collect();
    errors.sort();
    Reading {
        events,
        errors,
        from_lines: sink.from_lines.into_inner().unwrap(),
        summary,
    }
}
