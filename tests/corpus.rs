//! Every file of the shared corpus (`../shared/corpus`, see its README and MANIFEST.tsv) is read
//! without panic, with at least as many records as the reference parser (`evtx_dump`) printed;
//! a file the reference cannot open gives an error naming it, and a damaged file reports its
//! unreadable parts. Skipped, with a notice, when the corpus is absent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use evident::event::Event;
use evident::source::{read_inputs, EventSink, ReadPlan, SourceReport};

#[derive(Default)]
struct Count(AtomicU64);

impl EventSink for Count {
    fn accept(&self, _event: Event) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

struct Row {
    path: String,
    ref_records: u64,
    ref_errors: u64,
    ref_exit: i32,
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("corpus test skipped: no corpus at {}", dir.display());
        None
    }
}

fn manifest(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (path, rec, err, exit) = (
        col("path"),
        col("ref_records"),
        col("ref_errors"),
        col("ref_exit"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            Row {
                path: cells[path].to_string(),
                ref_records: cells[rec].parse().unwrap(),
                ref_errors: cells[err].parse().unwrap(),
                ref_exit: cells[exit].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn every_corpus_file_reads_to_the_reference() {
    let Some(dir) = corpus() else { return };
    let rows = manifest(&dir);
    assert!(rows.len() > 100, "the manifest lists the corpus");
    let mut short = Vec::new();
    for row in &rows {
        let file = dir.join(&row.path);
        let sink = Count::default();
        let summary = read_inputs(std::slice::from_ref(&file), &ReadPlan { threads: 1 }, &sink);
        let events = sink.0.load(Ordering::Relaxed);
        let errors: Vec<String> = summary.errors().map(|e| e.to_string()).collect();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if row.ref_exit != 0 && row.ref_records == 0 {
            // The reference cannot open it: one error line naming the file.
            if errors.is_empty()
                || !errors
                    .iter()
                    .all(|e| e.contains(&name) && !e.contains('\n'))
            {
                short.push(format!(
                    "{}: expected an error naming the file, got {errors:?}",
                    row.path
                ));
            }
            continue;
        }
        if events < row.ref_records {
            short.push(format!(
                "{}: {events} events < reference {}",
                row.path, row.ref_records
            ));
        }
        if row.ref_errors > 0 && errors.is_empty() {
            short.push(format!(
                "{}: damaged (reference reports {} errors) but no error reported",
                row.path, row.ref_errors
            ));
        }
    }
    assert!(
        short.is_empty(),
        "{} of {} corpus files fall short:\n{}",
        short.len(),
        rows.len(),
        short.join("\n")
    );
}

/// Every event of a read, as JSON (origin included), in no particular order.
#[derive(Default)]
struct Collect(Mutex<Vec<String>>);

impl EventSink for Collect {
    fn accept(&self, event: Event) {
        let json = serde_json::to_string(&event).unwrap();
        self.0.lock().unwrap().push(json);
    }
}

/// The corpus read with `threads`: its events and its per-source accounting, both sorted.
fn read_with(dir: &Path, threads: usize) -> (Vec<String>, Vec<SourceReport>) {
    let sink = Collect::default();
    let summary = read_inputs(
        std::slice::from_ref(&dir.to_path_buf()),
        &ReadPlan { threads },
        &sink,
    );
    let mut events = sink.0.into_inner().unwrap();
    events.sort_unstable();
    let mut sources = summary.sources;
    sources.sort_by(|a, b| (&a.file, &a.member).cmp(&(&b.file, &b.member)));
    (events, sources)
}

#[test]
fn the_whole_corpus_reads_the_same_on_any_number_of_threads() {
    let Some(dir) = corpus() else { return };
    let expected: u64 = manifest(&dir).iter().map(|r| r.ref_records).sum();
    let (events, sources) = read_with(&dir, 1);
    assert!(
        events.len() as u64 >= expected,
        "{} < {expected}",
        events.len()
    );
    // Two threads read a file each; four leave some threads without a file while large ones
    // are still read, and those share their chunks.
    for threads in [2, 4] {
        let (many, many_sources) = read_with(&dir, threads);
        assert_eq!(many.len(), events.len(), "{threads} threads: event count");
        assert!(many == events, "{threads} threads: the events differ");
        assert!(
            many_sources == sources,
            "{threads} threads: the accounting differs"
        );
    }
}
