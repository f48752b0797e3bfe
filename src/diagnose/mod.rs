//! Diagnosis: from signals to ranked findings.
//!
//! [`diagnose`] is a pure function of the signals, the rules and the per-source accounting of
//! the read, so the same answer comes from a live scan or from signals written as JSON lines by
//! an earlier run. The steps, one module each:
//!
//! * [`hosts`]: host identity and which server a client's target names;
//! * [`attempts`]: the client's connection attempts (context rule, reserved signals);
//! * [`connections`]: which server connection (RdpCoreTS 131) a server record belongs to;
//! * [`coverage`]: which logs each host gave, for which time, and what was missing or absent;
//! * [`correlate`]: incidents per rule and host, client↔server ties, the confidence ladder;
//! * [`fold`]: repeats folded into one finding with counts, first/last seen, top values;
//! * ranking and the output model (this module).

pub mod attempts;
pub mod connections;
pub mod correlate;
pub mod coverage;
pub mod expr;
pub mod fold;
pub mod hosts;
pub mod model;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use model::{Correlate, FixStep, Level, RuleBook, RuleKind, RuleView};

use crate::engine::Collected;
use crate::signal::{Side, Signal};
use crate::source::{InputError, ReadSummary};

/// Version of the `scan --format json` document (docs/scan-json.md).
pub const SCAN_SCHEMA_VERSION: u32 = 1;

/// What the command line decides about a diagnosis.
#[derive(Debug, Clone)]
pub struct DiagnoseOptions {
    /// Clock-skew tolerance between client and server (`--skew`, default 5 min).
    pub skew: SignedDuration,
    /// Only evidence at or after this time (`--from`).
    pub from: Option<Timestamp>,
    /// Only evidence at or before this time (`--to`).
    pub to: Option<Timestamp>,
    /// Only findings and hosts whose name matches one of these (`--host`).
    pub hosts: Vec<String>,
    /// Drop findings below this confidence (`--min-confidence`).
    pub min_confidence: Level,
}

impl Default for DiagnoseOptions {
    fn default() -> Self {
        DiagnoseOptions {
            skew: SignedDuration::from_mins(5),
            from: None,
            to: None,
            hosts: Vec::new(),
            min_confidence: Level::Info,
        }
    }
}

/// The whole answer of a scan: findings, hosts, coverage, errors and counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Causes first (by confidence, correlation, evidence), then background findings.
    pub findings: Vec<Finding>,
    pub hosts: Vec<HostSummary>,
    pub coverage: coverage::Coverage,
    pub errors: Vec<InputError>,
    pub stats: Stats,
}

impl Diagnosis {
    /// Whether any finding is a cause above `info` (what makes `scan` exit 1).
    pub fn has_causes(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.kind == RuleKind::Cause && f.confidence > Level::Info)
    }
}

/// One cause on one host, folded over its repeats.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// 1-based rank in the report.
    pub rank: usize,
    pub rule_id: String,
    pub title: String,
    pub kind: RuleKind,
    pub severity: Level,
    /// The host whose logs hold the deciding evidence (the server when tied to a client).
    pub host: String,
    pub confidence: Level,
    /// Why this confidence, in words, with the numbers that decided it.
    pub why: String,
    /// True when tied to a client's attempt on another host (client↔server).
    pub correlated: bool,
    /// Client hosts whose attempts this finding explains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
    /// The client's disconnect reason(s) this finding explains, decoded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_errors: Vec<String>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Matching records folded into this finding.
    pub evidence_count: u64,
    /// Incidents (attempts or time-separated bursts) folded into this finding.
    pub incidents: u64,
    /// The most frequent values of the rule's `top` fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<TopField>,
    /// A few records that show the finding, the deciding ones first.
    pub evidence: Vec<Evidence>,
    pub fix: Vec<FixStep>,
    /// What this evidence does not establish (from the rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<String>,
}

/// The most frequent values of one field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TopField {
    pub field: String,
    pub values: Vec<TopValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TopValue {
    pub value: String,
    pub count: u64,
}

/// One record of evidence, enough to find it again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Evidence {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub host: String,
    pub side: Side,
    /// `rule_id/signal` that matched.
    pub signal: String,
    pub provider: String,
    pub channel: String,
    pub event_id: u32,
    pub record_id: Option<u64>,
    pub time: Option<Timestamp>,
    /// The fields the rule keeps as evidence, in record order.
    pub fields: Vec<crate::event::Field>,
}

impl Evidence {
    fn of(signal: &Signal) -> Evidence {
        let e = &signal.event;
        Evidence {
            file: e.origin.file.to_string(),
            member: e.origin.member.clone(),
            host: e.computer.to_string(),
            side: signal.side(),
            signal: format!("{}/{}", signal.rule_id(), signal.signal_id()),
            provider: e.provider.name.to_string(),
            channel: e.channel.to_string(),
            event_id: e.event_id,
            record_id: signal.record_id().or(signal.origin_record()),
            time: signal.time(),
            fields: signal.fields().cloned().collect(),
        }
    }
}

/// One machine seen in the input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostSummary {
    /// `Computer` as logged.
    pub name: String,
    /// client / server / gateway / broker / dc, from the sides of its evidence and logs.
    pub roles: Vec<Side>,
    /// Addresses the logs tie to this host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    pub files: u64,
    pub records: u64,
    pub signals: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Findings on this host, by level (causes only).
    pub findings: u64,
    pub top_confidence: Option<Level>,
}

/// Counts of the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    pub records: u64,
    pub errors: u64,
    pub rules: u64,
    pub signals: u64,
    /// Signals outside `--from`/`--to` or without a time, not diagnosed.
    pub signals_ignored: u64,
    pub attempts: u64,
    pub failed_attempts: u64,
    pub findings: u64,
    pub causes: u64,
    pub background: u64,
}

/// Diagnoses `signals` with `book`, accounting for the read in `summary`.
pub fn diagnose(
    mut signals: Vec<Signal>,
    book: &RuleBook,
    summary: &ReadSummary,
    options: &DiagnoseOptions,
) -> Diagnosis {
    crate::engine::sort_signals(&mut signals);
    diagnose_in_order(signals.iter().collect(), book, summary, options)
}

/// [`diagnose`] for the signals of a scan as `engine::collect_signals` kept them: put in their
/// order where they are, not copied. This is what `evident scan` does.
pub fn diagnose_collected(
    collected: &mut Collected,
    book: &RuleBook,
    summary: &ReadSummary,
    options: &DiagnoseOptions,
) -> Diagnosis {
    diagnose_in_order(collected.in_order(), book, summary, options)
}

/// [`diagnose`] for signals already in their order (`engine::order_of`).
fn diagnose_in_order(
    signals: Vec<&Signal>,
    book: &RuleBook,
    summary: &ReadSummary,
    options: &DiagnoseOptions,
) -> Diagnosis {
    debug_assert!(signals.is_sorted_by(|a, b| crate::engine::order_of(a, b).is_le()));
    let total_signals = signals.len() as u64;
    let within = within(&signals, options.from, options.to);
    let mut kept = signals;
    kept.truncate(within.end);
    kept.drain(..within.start);
    let signals_ignored = total_signals - kept.len() as u64;

    // Both read every signal; side by side on the current rayon pool.
    let (cover, gathered) = rayon::join(
        || coverage::CoverageIndex::build(&kept, book, summary, options.skew),
        || correlate::Gathered::of(&kept, book),
    );
    let world = correlate::World::build(gathered, &kept, book, &cover, options.skew);
    let parts = world.run();
    let mut findings = fold::fold(parts, &kept, book, &world);

    findings.retain(|f| f.confidence >= options.min_confidence);
    if !options.hosts.is_empty() {
        findings.retain(|f| {
            options.hosts.iter().any(|h| {
                hosts::names_match(h, &f.host) || f.clients.iter().any(|c| hosts::names_match(h, c))
            })
        });
    }
    rank(&mut findings);

    let coverage = coverage::report(&cover, &world, book, &kept);
    let mut host_list = cover.host_summaries(&world, &findings);
    if !options.hosts.is_empty() {
        host_list.retain(|h| options.hosts.iter().any(|o| hosts::names_match(o, &h.name)));
    }
    let errors: Vec<InputError> = summary.errors().cloned().collect();
    let stats = Stats {
        files: summary.sources.len() as u64,
        records: summary.records(),
        errors: errors.len() as u64,
        rules: book.rules.len() as u64,
        signals: total_signals,
        signals_ignored,
        attempts: world.attempts.len() as u64,
        failed_attempts: world
            .attempts
            .iter()
            .filter(|a| a.disconnect_reason.is_some_and(|r| r > 3))
            .count() as u64,
        findings: findings.len() as u64,
        causes: findings
            .iter()
            .filter(|f| f.kind == RuleKind::Cause)
            .count() as u64,
        background: findings
            .iter()
            .filter(|f| f.kind == RuleKind::Background)
            .count() as u64,
    };
    Diagnosis {
        findings,
        hosts: host_list,
        coverage,
        errors,
        stats,
    }
}

/// The stretch of `signals` (in their order) with a time from `from` to `to`, both included
/// when given: in time order (those without one first), it is found by halving rather than
/// by reading every signal.
fn within(
    signals: &[&Signal],
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> std::ops::Range<usize> {
    let first = signals.partition_point(|s| match s.time() {
        None => true,
        Some(t) => from.is_some_and(|f| t < f),
    });
    let after =
        signals[first..].partition_point(|s| s.time().is_some_and(|t| to.is_none_or(|to| t <= to)));
    first..first + after
}

/// Orders findings: causes before background; then confidence, correlated before not, more
/// incidents, more evidence, the rule's severity, the latest last-seen. Numbers the ranks from 1.
fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let kind = |f: &Finding| u8::from(f.kind != RuleKind::Cause);
        kind(a)
            .cmp(&kind(b))
            .then(b.confidence.cmp(&a.confidence))
            .then(b.correlated.cmp(&a.correlated))
            .then(b.incidents.cmp(&a.incidents))
            .then(b.evidence_count.cmp(&a.evidence_count))
            .then(b.severity.cmp(&a.severity))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.rule_id.cmp(&b.rule_id))
            .then(a.host.cmp(&b.host))
    });
    for (i, f) in findings.iter_mut().enumerate() {
        f.rank = i + 1;
    }
}
