//! `collect_signals` with the rule pack on the 15 largest clean corpus files, two threads.
//!
//! `cargo bench --bench scan` measures it with criterion. With `EVIDENT_SCAN_ONCE=1` the
//! binary instead scans the paths given as arguments once and prints the counts, so that
//! `benches/compare-scan.sh` can time it beside `evtx_dump` in the same run.
//! `EVIDENT_COLLECT=1` keeps every signal (`collect_signals`) instead of dropping them.
//! `EVIDENT_RULES=DIR` adds rules to the embedded pack (e.g. a pack not yet embedded);
//! with `EVIDENT_RULES_ONLY=1` the folder's rules are used alone.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, Criterion, Throughput};
use evident::engine::scan_signals;
use evident::rules::RuleSet;
use evident::source::ReadPlan;

fn rules() -> RuleSet {
    let extra = std::env::var_os("EVIDENT_RULES").map(PathBuf::from);
    let (set, errors) = match (&extra, std::env::var_os("EVIDENT_RULES_ONLY")) {
        (Some(dir), Some(_)) => {
            let (rules, errors) = evident::rules::loader::load_dir(dir);
            (RuleSet::new(rules), errors)
        }
        _ => RuleSet::load(extra.as_deref()),
    };
    for e in &errors {
        eprintln!("{e}");
    }
    set
}

/// The 15 largest `.evtx` files that evtx_dump reads cleanly (MANIFEST.tsv `ref_exit` 0).
fn largest_clean_files(corpus: &Path) -> Vec<PathBuf> {
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        return Vec::new();
    };
    let mut rows: Vec<(u64, String)> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let ok = cols.len() > 7 && cols[7] == "0" && cols[0].ends_with(".evtx");
            ok.then(|| Some((cols[1].parse().ok()?, cols[0].to_string())))
                .flatten()
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    rows.into_iter()
        .take(15)
        .map(|(_, p)| corpus.join(p))
        .collect()
}

fn scan_once(paths: &[PathBuf], rules: &RuleSet, threads: usize) -> (u64, u64, u64) {
    let emit = |_: evident::signal::Signal| {};
    let (summary, stats) = scan_signals(paths, rules, &ReadPlan { threads }, &emit);
    (summary.records(), stats.candidates, stats.signals)
}

fn bench(c: &mut Criterion) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let files = largest_clean_files(&corpus);
    if files.is_empty() {
        eprintln!("notice: ../shared/corpus is absent; nothing to bench");
        return;
    }
    let rules = rules();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("collect_signals_15_largest_2_threads", |b| {
        b.iter(|| scan_once(&files, &rules, 2))
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("EVIDENT_SCAN_ONCE").is_some() {
        let args: Vec<PathBuf> = std::env::args_os()
            .skip(1)
            .filter(|a| !a.to_string_lossy().starts_with("--"))
            .map(PathBuf::from)
            .collect();
        let threads = std::env::var("EVIDENT_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(2);
        let rules = rules();
        if std::env::var_os("EVIDENT_COLLECT").is_some() {
            // Keep every signal, as `evident scan` does, to see what holding them costs.
            let plan = ReadPlan { threads };
            let (signals, summary) = evident::engine::collect_signals(&args, &rules, &plan);
            println!(
                "{} rules, {} records, {} signals kept",
                rules.rules().len(),
                summary.records(),
                signals.len()
            );
            return;
        }
        let (records, candidates, signals) = scan_once(&args, &rules, threads);
        println!(
            "{} rules, {records} records, {candidates} candidates, {signals} signals",
            rules.rules().len()
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
