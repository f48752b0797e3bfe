//! Coverage: which logs each host gave and for which time, which logs the rules needed but
//! were not given, and which expected events were absent.
//!
//! Built only from the per-source accounting of the read ([`ReadSummary`]) and the signals,
//! so a later run can give the same answer from files. A source's host is its
//! `SourceReport::computer`; lacking that, the `Computer` of the signals read from that file;
//! lacking that, the one host whose other files sit in the same folder (exports are collected
//! per machine).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::correlate::{minus, plus, World};
use super::hosts::{host_key, TargetMatch};
use super::model::{RuleBook, RuleKind, SERVER_CONNECTION};
use super::{Finding, HostSummary};
use crate::signal::{Side, Signal};
use crate::source::ReadSummary;

/// One source (file or zip member) as coverage sees it.
#[derive(Debug, Clone)]
pub struct SourceSpan {
    pub host: Option<String>,
    pub file: String,
    pub member: Option<String>,
    pub channel: Option<String>,
    pub records: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub skipped: bool,
    pub errors: u64,
}

/// Per-host index of the logs given.
#[derive(Debug, Clone, Default)]
pub struct CoverageIndex {
    pub sources: Vec<SourceSpan>,
    /// host key → `Computer` as logged (the first spelling seen).
    pub display: BTreeMap<String, String>,
    /// host key → sides its evidence and logs show.
    pub roles: BTreeMap<String, BTreeSet<Side>>,
    /// lower-cased channel → sides whose rule signals name it.
    channel_sides: BTreeMap<String, BTreeSet<Side>>,
    /// host key → how many of the signals it was built from that host gave, and when.
    signal_spans: HashMap<String, SignalSpan>,
    skew: SignedDuration,
}

fn parent_of(file: &str) -> String {
    std::path::Path::new(file)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl CoverageIndex {
    /// The coverage of a run: its sources, their hosts and time spans, and the hosts' roles.
    /// `signals` are in their order (`engine::order_of`).
    pub fn build(
        signals: &[&Signal],
        book: &RuleBook,
        summary: &ReadSummary,
        skew: SignedDuration,
    ) -> CoverageIndex {
        let mut index = CoverageIndex {
            skew,
            ..CoverageIndex::default()
        };
        for rule in &book.rules {
            for s in &rule.signals {
                for c in &s.channels {
                    index
                        .channel_sides
                        .entry(c.to_ascii_lowercase())
                        .or_default()
                        .insert(s.side);
                }
            }
        }
        // Hosts by file, from the signals; and the time the file's signals span, the least
        // the file covers when the read could not say.
        // The signals are first counted per file, host as logged and side (a flood is a few
        // such groups), in the order each group first appears.
        let mut numbers: FxHashMap<SignalGroup<'_>, usize> = FxHashMap::default();
        let mut groups: Vec<(SignalGroup<'_>, GroupSpan)> = Vec::new();
        // Most signals are of the previous one's group: told by where their texts are.
        let mut last: Option<(SignalGroup<'_>, usize)> = None;
        for s in signals {
            let origin = &s.event.origin;
            let key = (&*origin.file, origin.member.as_deref(), s.host(), s.side());
            let number = match last {
                Some((previous, number)) if same_texts(previous, key) => number,
                _ => {
                    let number = *numbers.entry(key).or_insert_with(|| {
                        let span = GroupSpan {
                            count: 0,
                            span: None,
                        };
                        groups.push((key, span));
                        groups.len() - 1
                    });
                    last = Some((key, number));
                    number
                }
            };
            let group = &mut groups[number].1;
            group.count += 1;
            // The signals are in time order: a group's span is from its first time to its last.
            if let Some(t) = s.time() {
                group.span = Some((group.span.map_or(t, |(first, _)| first), t));
            }
        }
        let mut by_file: BTreeMap<(&str, Option<&str>), BTreeMap<String, u64>> = BTreeMap::new();
        let mut span: BTreeMap<(&str, Option<&str>), (Timestamp, Timestamp)> = BTreeMap::new();
        for ((file, member, host, side), group) in groups {
            let source = (file, member);
            if let Some((first, last)) = group.span {
                let e = span.entry(source).or_insert((first, last));
                e.0 = e.0.min(first);
                e.1 = e.1.max(last);
            }
            let key = host_key(host);
            let signals = index.signal_spans.entry(key.clone()).or_default();
            signals.count += group.count;
            if let Some((first, last)) = group.span {
                signals.first = Some(signals.first.map_or(first, |f| f.min(first)));
                signals.last = Some(signals.last.map_or(last, |l| l.max(last)));
            }
            index
                .display
                .entry(key.clone())
                .or_insert_with(|| host.to_string());
            index.roles.entry(key.clone()).or_default().insert(side);
            *by_file.entry(source).or_default().entry(key).or_default() += group.count;
        }
        for src in &summary.sources {
            let from_signals = by_file
                .get(&(src.file.as_str(), src.member.as_deref()))
                .and_then(|m| m.iter().max_by_key(|(_, n)| **n).map(|(h, _)| h.clone()));
            let host = src
                .computer
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| {
                    let key = host_key(c);
                    index
                        .display
                        .entry(key.clone())
                        .or_insert_with(|| c.to_string());
                    key
                })
                .or(from_signals);
            let seen = span.get(&(src.file.as_str(), src.member.as_deref()));
            index.sources.push(SourceSpan {
                host,
                file: src.file.clone(),
                member: src.member.clone(),
                channel: src.channel.clone(),
                records: src.records,
                first: src.first_time.or(seen.map(|s| s.0)),
                last: src.last_time.or(seen.map(|s| s.1)),
                skipped: src.skipped,
                errors: src.errors.len() as u64,
            });
        }
        // Sources with no known host: the one host of the same folder (or zip).
        let mut folder_hosts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for s in &index.sources {
            if let Some(h) = &s.host {
                let folder = if s.member.is_some() {
                    s.file.clone()
                } else {
                    parent_of(&s.file)
                };
                folder_hosts.entry(folder).or_default().insert(h.clone());
            }
        }
        for s in &mut index.sources {
            if s.host.is_none() {
                let folder = if s.member.is_some() {
                    s.file.clone()
                } else {
                    parent_of(&s.file)
                };
                if let Some(hosts) = folder_hosts.get(&folder) {
                    if hosts.len() == 1 {
                        s.host = hosts.iter().next().cloned();
                    }
                }
            }
        }
        // Roles from channels named by one side only (RDPClient → client, RdpCoreTS → server).
        for i in 0..index.sources.len() {
            let (Some(host), Some(channel)) = (
                index.sources[i].host.clone(),
                index.sources[i].channel.clone(),
            ) else {
                continue;
            };
            if index.sources[i].records == 0 {
                continue;
            }
            if let Some(sides) = index.channel_sides.get(&channel.to_ascii_lowercase()) {
                if sides.len() == 1 {
                    let side = *sides.iter().next().unwrap_or(&Side::Server);
                    index.roles.entry(host).or_default().insert(side);
                }
            }
        }
        index
    }

    /// Whether `host` gave a log of one of `channels` (any log when `channels` is empty) whose
    /// time span covers `t` within the skew tolerance: from its first record to the host's
    /// latest record in any log. A log whose span is unknown (the read did not report it and
    /// no signal came from it) is taken to cover any time.
    pub fn covers(&self, host: &str, channels: &[String], t: Timestamp) -> bool {
        // A log is exported with the host's others: after its last record it was quiet, not
        // absent, until the host's latest record in any log.
        let host_last = self
            .sources
            .iter()
            .filter(|s| s.host.as_deref() == Some(host))
            .filter_map(|s| s.last)
            .max();
        self.sources.iter().any(|s| {
            s.host.as_deref() == Some(host)
                && s.records > 0
                && (channels.is_empty()
                    || s.channel
                        .as_deref()
                        .is_some_and(|c| channels.iter().any(|w| w.eq_ignore_ascii_case(c))))
                && s.first.is_none_or(|f| t >= minus(f, self.skew))
                && host_last.or(s.last).is_none_or(|l| t <= plus(l, self.skew))
        })
    }

    /// Host keys with the given role.
    pub fn hosts_with_role(&self, side: Side) -> Vec<String> {
        self.roles
            .iter()
            .filter(|(_, r)| r.contains(&side))
            .map(|(h, _)| h.clone())
            .collect()
    }

    pub fn name_of(&self, key: &str) -> String {
        self.display
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// The per-host summary of the report (its signal counts are of the signals the index was
    /// built from).
    pub fn host_summaries(&self, world: &World, findings: &[Finding]) -> Vec<HostSummary> {
        let mut keys: BTreeSet<String> = self.display.keys().cloned().collect();
        keys.extend(self.sources.iter().filter_map(|s| s.host.clone()));
        keys.into_iter()
            .map(|key| {
                let name = self.name_of(&key);
                let own: Vec<&SourceSpan> = self
                    .sources
                    .iter()
                    .filter(|s| s.host.as_deref() == Some(key.as_str()))
                    .collect();
                let span = self.signal_spans.get(&key).copied().unwrap_or_default();
                let first = own.iter().filter_map(|s| s.first).chain(span.first).min();
                let last = own.iter().filter_map(|s| s.last).chain(span.last).max();
                let causes: Vec<&Finding> = findings
                    .iter()
                    .filter(|f| host_key(&f.host) == key && f.kind == RuleKind::Cause)
                    .collect();
                HostSummary {
                    roles: self
                        .roles
                        .get(&key)
                        .map(|r| r.iter().copied().collect())
                        .unwrap_or_default(),
                    addresses: world
                        .addresses
                        .get(&key)
                        .map(|a| a.iter().map(|ip| ip.to_string()).collect())
                        .unwrap_or_default(),
                    files: own.len() as u64,
                    records: own.iter().map(|s| s.records).sum(),
                    signals: span.count,
                    first_seen: first,
                    last_seen: last,
                    findings: causes.len() as u64,
                    top_confidence: causes.iter().map(|f| f.confidence).max(),
                    name,
                }
            })
            .collect()
    }
}

/// Signals counted together while indexing: their file, zip member, host as logged and side.
type SignalGroup<'s> = (&'s str, Option<&'s str>, &'s str, Side);

/// Whether two groups' texts are the same copies (then the groups are one; the converse need
/// not hold).
fn same_texts(a: SignalGroup<'_>, b: SignalGroup<'_>) -> bool {
    std::ptr::eq(a.0, b.0)
        && a.1.map(std::ptr::from_ref) == b.1.map(std::ptr::from_ref)
        && std::ptr::eq(a.2, b.2)
        && a.3 == b.3
}

/// A group's count and time span.
struct GroupSpan {
    count: u64,
    span: Option<(Timestamp, Timestamp)>,
}

/// How many signals one host gave, and when.
#[derive(Debug, Clone, Copy, Default)]
struct SignalSpan {
    count: u64,
    first: Option<jiff::Timestamp>,
    last: Option<jiff::Timestamp>,
}

/// The coverage section of the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Coverage {
    pub hosts: Vec<HostCoverage>,
    /// Logs whose host could not be told (no records with a `Computer`, alone in their folder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unattributed: Vec<LogCoverage>,
    /// Every client attempt seen, with what the server side showed for it.
    pub attempts: Vec<AttemptCoverage>,
    /// Events the connection sequence implies but the given logs do not hold.
    pub absent: Vec<AbsentEvidence>,
    /// Plain-language remarks: no server logs at all, a target whose logs were not given, ...
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostCoverage {
    pub host: String,
    pub roles: Vec<Side>,
    pub logs: Vec<LogCoverage>,
    /// Logs the rules read on a host of this role that were not given.
    pub missing: Vec<MissingLog>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogCoverage {
    pub channel: Option<String>,
    pub files: Vec<String>,
    pub records: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub errors: u64,
    /// True when no rule reads this log (declined after its first record).
    pub skipped: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MissingLog {
    pub channel: String,
    /// The rules that read it on a host of this role.
    pub needed_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptCoverage {
    pub client: String,
    pub target: Option<String>,
    /// The server host the target resolved to, and how.
    pub server: Option<String>,
    pub matched_by: Option<TargetMatch>,
    pub start: Timestamp,
    pub end: Timestamp,
    /// connected | session_drop | setup_failure | closed | open
    pub outcome: String,
    pub disconnect_reason: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_text: Option<String>,
    /// seen | absent | not_checked: did the server log RdpCoreTS 131 for it?
    pub server_connection: String,
    /// The client's address as the server records it, learnt from its 131s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// Server clock minus client clock, in seconds, learnt from the 131s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_s: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AbsentEvidence {
    pub client: String,
    pub server: String,
    pub time: Timestamp,
    pub expected: String,
    pub meaning: String,
}

fn log_key(s: &SourceSpan) -> String {
    s.channel.clone().unwrap_or_default().to_ascii_lowercase()
}

fn logs_of<'a>(sources: impl Iterator<Item = &'a SourceSpan>) -> Vec<LogCoverage> {
    let mut by_channel: BTreeMap<String, LogCoverage> = BTreeMap::new();
    for s in sources {
        let entry = by_channel.entry(log_key(s)).or_insert_with(|| LogCoverage {
            channel: s.channel.clone(),
            files: Vec::new(),
            records: 0,
            first: None,
            last: None,
            errors: 0,
            skipped: true,
        });
        let name = match &s.member {
            Some(m) => format!("{}!{m}", s.file),
            None => s.file.clone(),
        };
        entry.files.push(name);
        entry.records += s.records;
        entry.errors += s.errors;
        entry.skipped &= s.skipped;
        entry.first = [entry.first, s.first].into_iter().flatten().min();
        entry.last = [entry.last, s.last].into_iter().flatten().max();
    }
    by_channel.into_values().collect()
}

/// Builds the coverage section.
pub fn report(
    index: &CoverageIndex,
    world: &World,
    book: &RuleBook,
    signals: &[&Signal],
) -> Coverage {
    let mut cov = Coverage::default();
    // Channels each role needs, and by which rules.
    let mut needed: BTreeMap<Side, BTreeMap<String, (String, BTreeSet<String>)>> = BTreeMap::new();
    for rule in &book.rules {
        for s in &rule.signals {
            for c in &s.channels {
                needed
                    .entry(s.side)
                    .or_default()
                    .entry(c.to_ascii_lowercase())
                    .or_insert_with(|| (c.clone(), BTreeSet::new()))
                    .1
                    .insert(rule.id.clone());
            }
        }
    }
    let mut keys: BTreeSet<String> = index.display.keys().cloned().collect();
    keys.extend(index.sources.iter().filter_map(|s| s.host.clone()));
    for key in keys {
        let own: Vec<&SourceSpan> = index
            .sources
            .iter()
            .filter(|s| s.host.as_deref() == Some(key.as_str()))
            .collect();
        let given: BTreeSet<String> = own
            .iter()
            .filter(|s| s.records > 0)
            .filter_map(|s| s.channel.as_deref().map(str::to_ascii_lowercase))
            .collect();
        let roles: Vec<Side> = index
            .roles
            .get(&key)
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        let mut missing: BTreeMap<String, MissingLog> = BTreeMap::new();
        if !own.is_empty() {
            for role in &roles {
                for (lc, (channel, rules)) in needed.get(role).into_iter().flatten() {
                    if !given.contains(lc) {
                        let m = missing.entry(lc.clone()).or_insert_with(|| MissingLog {
                            channel: channel.clone(),
                            needed_by: Vec::new(),
                        });
                        for r in rules {
                            if !m.needed_by.contains(r) {
                                m.needed_by.push(r.clone());
                            }
                        }
                    }
                }
            }
        }
        for s in own.iter().filter(|s| s.records == 0 && s.errors == 0) {
            cov.notes.push(format!(
                "{}: {} holds no records (the log may be disabled, e.g. CAPI2 is off by default)",
                index.name_of(&key),
                s.file
            ));
        }
        cov.hosts.push(HostCoverage {
            host: index.name_of(&key),
            roles,
            logs: logs_of(own.into_iter()),
            missing: missing.into_values().collect(),
        });
    }
    cov.unattributed = logs_of(index.sources.iter().filter(|s| s.host.is_none()));

    let servers = index.hosts_with_role(Side::Server);
    let server_channels: Vec<String> = book
        .reserved_signal(SERVER_CONNECTION)
        .map(|s| s.channels.clone())
        .unwrap_or_default();
    let mut unresolved: BTreeMap<String, u64> = BTreeMap::new();
    for (i, a) in world.attempts.iter().enumerate() {
        let outcome = match (a.connected, a.disconnect_reason) {
            (Some(_), Some(r)) if r > 3 => "session_drop",
            (Some(_), _) => "connected",
            (None, Some(r)) if r > 3 => "setup_failure",
            (None, Some(_)) => "closed",
            (None, None) => "open",
        };
        let seen = world.server_connection_of(i);
        let server_connection = match (&a.server, seen) {
            (_, Some(_)) => "seen",
            (Some((s, _)), None) if index.covers(s, &server_channels, a.start) => "absent",
            _ => "not_checked",
        };
        if server_connection == "absent" && outcome == "setup_failure" {
            if let Some((s, _)) = &a.server {
                cov.absent.push(AbsentEvidence {
                    client: index.name_of(&a.client),
                    server: index.name_of(s),
                    time: a.start,
                    expected: "RdpCoreTS 131 (the server accepted the TCP connection)".into(),
                    meaning: "the connection never reached the server's RDP stack: a firewall, \
                              the network, or another host answered"
                        .into(),
                });
            }
        }
        if a.server.is_none() {
            if let Some(t) = &a.target {
                *unresolved.entry(t.clone()).or_default() += 1;
            }
        }
        cov.attempts.push(AttemptCoverage {
            client: index.name_of(&a.client),
            target: a.target.clone(),
            server: a.server.as_ref().map(|(s, _)| index.name_of(s)),
            matched_by: a.server.as_ref().map(|(_, m)| *m),
            start: a.start,
            end: a.end,
            outcome: outcome.into(),
            disconnect_reason: a.disconnect_reason,
            disconnect_text: a.disconnect_reason.map(super::correlate::explain_reason),
            server_connection: server_connection.into(),
            client_ip: world.client_ip(i).map(|ip| ip.to_string()),
            clock_offset_s: world.clock_offset(i).map(|d| d.as_secs()),
        });
    }
    let failed = world
        .attempts
        .iter()
        .filter(|a| a.disconnect_reason.is_some_and(|r| r > 3))
        .count();
    if servers.is_empty() && failed > 0 {
        cov.notes.push(format!(
            "no server logs were given: {failed} failed client attempt(s) cannot be tied to a \
             cause on the server; export the server's logs (System, Security, RdpCoreTS, \
             RemoteConnectionManager) for the same time"
        ));
    }
    for (target, n) in unresolved {
        if !servers.is_empty() {
            cov.notes.push(format!(
                "target `{target}` ({n} attempt(s)): no given server log matches this name or \
                 address; its logs were not given"
            ));
        }
    }
    let has_client = !index.hosts_with_role(Side::Client).is_empty();
    let server_signals = signals.iter().any(|s| {
        s.side() != Side::Client
            && book
                .get(s.rule_id())
                .is_some_and(|r| r.kind == RuleKind::Cause)
    });
    if !has_client && server_signals {
        cov.notes.push(
            "no client logs were given: server evidence cannot be tied to a user's failed \
             attempt (RDPClient/Operational of the client shows the target, time and code)"
                .into(),
        );
    }
    cov
}
