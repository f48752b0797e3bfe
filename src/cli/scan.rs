//! `evident scan`: read logs, collect the rules' signals, diagnose, report.
//!
//! Exit codes (docs/scan-json.md, README): 2 when an input could not be read in full, a rule
//! did not load, or the command line was wrong; else 1 when at least one **cause** is reported
//! above `info` (after `--min-confidence` and `--host`); else 0. Background findings
//! (internet scanners, brute force) are reported at `info` and never make the exit code 1 on
//! their own. A closed output pipe is not an error.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use super::events::parse_time_arg;
use super::ExitStatus;
use crate::diagnose::{diagnose_collected, DiagnoseOptions, Diagnosis, Level, RuleBook};
use crate::report::{write_scan, ScanFormat};
use crate::rules::RuleSet;
use crate::source::ReadPlan;

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files, folders (read recursively) and .zip archives of every machine involved: the
    /// client's and the server's logs together.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Add rules from this folder (a rule with an embedded rule's id replaces it).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScanFormat,
    /// Write the report to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only evidence at or after this time (RFC 3339, or a UTC date/time like 2024-05-01).
    #[arg(long, value_parser = parse_time_arg, value_name = "TIME")]
    pub from: Option<Timestamp>,
    /// Only evidence at or before this time (same forms as --from).
    #[arg(long, value_parser = parse_time_arg, value_name = "TIME")]
    pub to: Option<Timestamp>,
    /// Only findings on (or explaining a client of) these hosts; short names match FQDNs.
    #[arg(long, value_delimiter = ',', value_name = "HOST")]
    pub host: Vec<String>,
    /// Drop findings below this confidence.
    #[arg(long, value_enum, default_value = "info", value_name = "LEVEL")]
    pub min_confidence: MinConfidence,
    /// Clock-skew tolerance between client and server clocks, e.g. 30s, 5m, 1h.
    #[arg(long, value_parser = parse_skew, default_value = "5m", value_name = "DURATION")]
    pub skew: SignedDuration,
}

/// `--min-confidence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MinConfidence {
    Info,
    Low,
    Medium,
    High,
}

impl From<MinConfidence> for Level {
    fn from(m: MinConfidence) -> Level {
        match m {
            MinConfidence::Info => Level::Info,
            MinConfidence::Low => Level::Low,
            MinConfidence::Medium => Level::Medium,
            MinConfidence::High => Level::High,
        }
    }
}

/// Reads `--skew`: a number and a unit (ms, s, m, h, d).
pub fn parse_skew(text: &str) -> Result<SignedDuration, String> {
    crate::rules::model::parse_duration(text)
        .and_then(|d| SignedDuration::try_from(d).ok())
        .ok_or_else(|| format!("`{text}` is not a duration (use a number and a unit: 30s, 5m, 1h)"))
}

/// The exit status of a finished scan.
pub fn exit_status(diagnosis: &Diagnosis, rule_errors: bool) -> ExitStatus {
    if rule_errors || !diagnosis.errors.is_empty() {
        ExitStatus::Errors
    } else if diagnosis.has_causes() {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

/// Runs `work` on `pool`; when the pool could not be built, on this thread, its parallel
/// steps on rayon's global pool.
fn on_pool<R: Send>(
    pool: &Result<rayon::ThreadPool, rayon::ThreadPoolBuildError>,
    work: impl FnOnce() -> R + Send,
) -> R {
    match pool {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

pub fn run(args: ScanArgs) -> ExitStatus {
    let mut plan = ReadPlan::default();
    if let Some(threads) = args.threads {
        plan.threads = threads.max(1);
    }
    // The scan's own parallel steps (compiling the rules, the diagnosis) use as many threads
    // as the read does.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .thread_name(|i| format!("evident-work-{i}"))
        .build();
    let (rules, rule_errors) = on_pool(&pool, || RuleSet::load_for_matching(args.rules.as_deref()));
    for e in &rule_errors {
        eprintln!("evident: {e}");
    }
    let out: Box<dyn Write> = match &args.output {
        Some(path) => match File::create(path) {
            Ok(file) => Box::new(BufWriter::new(file)),
            Err(err) => {
                eprintln!("evident: cannot create {}: {err}", path.display());
                return ExitStatus::Errors;
            }
        },
        None => Box::new(BufWriter::new(io::stdout())),
    };
    // Read on the scan's own threads, which then diagnose: they hold what the read let go.
    let (mut signals, summary) =
        crate::engine::collect_signals_on(&args.paths, &rules, &plan, pool.as_ref().ok());
    let book = RuleBook::from_rule_set(&rules);
    let options = DiagnoseOptions {
        skew: args.skew,
        from: args.from,
        to: args.to,
        hosts: args.host.clone(),
        min_confidence: args.min_confidence.into(),
    };
    let diagnosis = on_pool(&pool, || {
        diagnose_collected(&mut signals, &book, &summary, &options)
    });
    for e in &diagnosis.errors {
        eprintln!("evident: {e}");
    }
    let status = exit_status(&diagnosis, !rule_errors.is_empty());
    let mut out = out;
    let written = write_scan(args.format, &diagnosis, &mut out).and_then(|()| out.flush());
    // The process is about to end and frees them all at once: a scan's signals are hundreds
    // of thousands of small allocations made on other threads (freeing them one by one took
    // a tenth of the scan's time), and freeing the rest took half a millisecond more, a
    // tenth of a small log's scan.
    std::mem::forget((signals, summary, diagnosis, book, rules));
    match written {
        Ok(()) => status,
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => status,
        Err(err) => {
            eprintln!("evident: cannot write the report: {err}");
            ExitStatus::Errors
        }
    }
}
