//! Reading speed: the same log as .evtx, XML and evtx_dump JSON lines (the three-forms
//! fixtures), and the largest corpus file read whole and through the head pre-filter.
//! Side-by-side figures against evtx_dump come from `benches/compare-events.sh`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evident::event::Event;
use evident::source::{read_inputs, EventSink, ReadPlan, RecordHead};

/// Counts what it receives; with `only` set, wants only that event id (the pre-filter path);
/// with `json`, takes records as JSON lines where the reader can write them (as `evident
/// events --format jsonl` does).
struct Count {
    only: Option<u32>,
    json: bool,
    seen: AtomicU64,
}

impl EventSink for Count {
    fn wants(&self, head: &RecordHead<'_>) -> bool {
        self.only.is_none_or(|id| head.event_id == id)
    }

    fn accept(&self, event: Event) {
        black_box(&event);
        self.seen.fetch_add(1, Ordering::Relaxed);
    }

    fn takes_json(&self) -> bool {
        self.json
    }

    fn accept_json(
        &self,
        records: &[(Option<jiff::Timestamp>, std::ops::Range<usize>)],
        lines: &[u8],
    ) {
        black_box(lines);
        self.seen.fetch_add(records.len() as u64, Ordering::Relaxed);
    }
}

fn read(path: &Path, threads: usize, only: Option<u32>) -> u64 {
    read_as(path, threads, only, false)
}

fn read_as(path: &Path, threads: usize, only: Option<u32>, json: bool) -> u64 {
    let sink = Count {
        only,
        json,
        seen: AtomicU64::new(0),
    };
    read_inputs(&[path.to_path_buf()], &ReadPlan { threads }, &sink);
    sink.seen.into_inner()
}

fn fixtures(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/three-forms");
    let mut group = c.benchmark_group("three forms, System log chunk");
    for name in ["System.evtx", "System.xml", "System.jsonl"] {
        let path = dir.join(name);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(name, |b| b.iter(|| read(&path, 1, None)));
    }
    group.finish();
}

fn largest_corpus_file() -> Option<PathBuf> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).ok()?;
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let exit = cells.get(7)?;
            (cells[0].ends_with(".evtx") && *exit == "0")
                .then(|| Some((cells[1].parse::<u64>().ok()?, cells[0].to_string())))?
        })
        .max()
        .map(|(_, path)| corpus.join(path))
}

fn corpus(c: &mut Criterion) {
    let Some(path) = largest_corpus_file() else {
        eprintln!("corpus benchmarks skipped: no corpus at ../shared/corpus");
        return;
    };
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut group = c.benchmark_group("largest corpus .evtx");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("every record, 1 thread", |b| {
        b.iter(|| read(&path, 1, None))
    });
    group.bench_function("every record, 2 threads", |b| {
        b.iter(|| read(&path, 2, None))
    });
    group.bench_function("every record as a JSON line, 1 thread", |b| {
        b.iter(|| read_as(&path, 1, None, true))
    });
    group.bench_function("pre-filtered to one event id, 1 thread", |b| {
        b.iter(|| read(&path, 1, Some(4624)))
    });
    group.finish();
}

criterion_group!(benches, fixtures, corpus);
criterion_main!(benches);
