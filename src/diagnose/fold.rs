//! Folding: every incident of one rule on one host at one confidence becomes one finding, with
//! a count, first and last seen, the top values of the rule's `top` fields, and a few evidence
//! records (29,000 identical Schannel events are one finding, not 29,000).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::correlate::{explain_reason, Part, World};
use super::model::{Level, RuleBook};
use super::{Evidence, Finding, TopField, TopValue};
use crate::event::{Identity, SystemName};
use crate::signal::Signal;

/// Evidence records kept per finding.
pub const MAX_EVIDENCE: usize = 8;
/// Values listed per `top` field.
pub const MAX_TOP_VALUES: usize = 5;
/// Runs of members that share a record, kept open while their `top` values are counted: a
/// flood of a few records, each matched by a few signals, has no more.
const RUNS_KEPT: usize = 8;

/// Folds incidents into findings (unranked). `signals` are in their order (`engine::order_of`).
pub fn fold(parts: Vec<Part>, signals: &[&Signal], book: &RuleBook, world: &World) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, String, Level), Vec<Part>> = BTreeMap::new();
    for p in parts {
        groups
            .entry((p.rule, p.host.clone(), p.level))
            .or_default()
            .push(p);
    }
    // Each finding is folded on its own, side by side on the current rayon pool (a scan's:
    // as many threads as it reads with); they come in the groups' order.
    groups
        .into_par_iter()
        .map(|((ri, host, level), parts)| fold_group(ri, &host, level, parts, signals, book, world))
        .collect()
}

/// The finding of rule `ri` on `host` at `level`, folded from its incidents `parts`.
fn fold_group(
    ri: usize,
    host: &str,
    level: Level,
    mut parts: Vec<Part>,
    signals: &[&Signal],
    book: &RuleBook,
    world: &World,
) -> Finding {
    let rule = &book.rules[ri];
    // Correlated incidents first, then in time order: the first one speaks for the finding.
    parts.sort_by_key(|p| {
        (
            !p.correlated,
            p.evidence.first().and_then(|&i| signals[i].time()),
        )
    });
    // An incident's evidence is some of its members and records of other rules (the
    // context's): the finding's records of the rule are its incidents' members. Each
    // incident's are in order; several come as runs, which the stable sort merges.
    debug_assert!(parts.iter().all(|p| {
        p.members.is_sorted()
            && p.evidence.iter().all(|i| {
                signals[*i].rule_id().as_ref() != rule.id || p.members.binary_search(i).is_ok()
            })
    }));
    let mut members: Vec<usize> = parts
        .iter()
        .flat_map(|p| p.members.iter().copied())
        .collect();
    if parts.len() > 1 {
        members.sort();
        members.dedup();
    }
    // Most members share their kind with the one before (a flood's: one or two kinds).
    let mut last_kind: Option<(*const crate::signal::SignalKind, bool)> = None;
    members.retain(|&i| {
        let kind = Arc::as_ptr(&signals[i].kind);
        match last_kind {
            Some((last, of_rule)) if std::ptr::eq(last, kind) => of_rule,
            _ => {
                let of_rule = signals[i].rule_id().as_ref() == rule.id;
                last_kind = Some((kind, of_rule));
                of_rule
            }
        }
    });

    let evidence_idx = shown_evidence(&parts, signals);
    let mut clients = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    for p in &parts {
        if let Some(ai) = p.attempt {
            let a = &world.attempts[ai];
            clients.insert(world.cover.name_of(&a.client));
            if let Some(r) = a.disconnect_reason {
                reasons.insert(r);
            }
        }
    }
    // The members' time span: they are in time order, those without a time first.
    debug_assert!(members.windows(2).all(|w| crate::engine::order_of(
        signals[w[0]],
        signals[w[1]]
    )
    .is_le()));
    let first_seen = members.iter().find_map(|&i| signals[i].time());
    let last_seen = members.last().and_then(|&i| signals[i].time());
    // The values of every `top` field, counted by the values themselves where the events
    // hold them (no copy each).
    let mut counts: Vec<FxHashMap<Cow<'_, str>, u64>> = vec![FxHashMap::default(); rule.top.len()];
    // Each `top` field's System name told once; a member's values of them all found in one
    // pass over its own fields.
    let names: Vec<(&str, Option<SystemName>)> = rule
        .top
        .iter()
        .map(|f| (f.as_str(), SystemName::of(f)))
        .collect();
    let mut values: Vec<Option<Cow<'_, str>>> = vec![None; rule.top.len()];
    // A flood's members are signals that share a few records (its repeats share the one
    // they repeat, and a record's signals share it): the values of a record as one signal
    // sees it are read once per run of such signals, unless a `top` field is one in which
    // repeats differ. The runs last matched are kept open, the one matched longest ago is
    // counted when there are too many; counts are sums, so the order they are added in
    // does not matter.
    let top_reads_identity = names
        .iter()
        .any(|(_, system)| system.is_some_and(Identity::tells));
    let alike =
        |a: &Signal, b: &Signal| Arc::ptr_eq(&a.event, &b.event) && a.own_fields == b.own_fields;
    let mut count_run = |first: usize, run: u64| {
        signals[first].fields_named(&names, &mut values);
        for (value, counts) in values.iter_mut().zip(counts.iter_mut()) {
            let value = match value.take() {
                Some(Cow::Borrowed(v)) => Cow::Borrowed(v.trim()),
                Some(Cow::Owned(v)) => Cow::Owned(v.trim().to_string()),
                None => continue,
            };
            if !value.is_empty() && value != "-" {
                *counts.entry(value).or_default() += run;
            }
        }
    };
    // (first member of the run, its length, the member that matched it last).
    let mut runs: Vec<(usize, u64, usize)> = Vec::with_capacity(RUNS_KEPT);
    for &i in &members {
        let signal = signals[i];
        if top_reads_identity {
            count_run(i, 1);
            continue;
        }
        match runs
            .iter_mut()
            .find(|(first, ..)| alike(signals[*first], signal))
        {
            Some((_, n, last)) => (*n, *last) = (*n + 1, i),
            None => {
                if runs.len() == RUNS_KEPT {
                    let oldest = (0..runs.len()).min_by_key(|&at| runs[at].2).unwrap_or(0);
                    let (first, n, _) = runs.swap_remove(oldest);
                    count_run(first, n);
                }
                runs.push((i, 1, i));
            }
        }
    }
    for (first, n, _) in runs {
        count_run(first, n);
    }
    let mut top = Vec::new();
    for (field, counts) in rule.top.iter().zip(counts) {
        let mut values: Vec<TopValue> = counts
            .into_iter()
            .map(|(value, count)| TopValue {
                value: value.into_owned(),
                count,
            })
            .collect();
        values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        values.truncate(MAX_TOP_VALUES);
        if !values.is_empty() {
            top.push(TopField {
                field: field.clone(),
                values,
            });
        }
    }
    Finding {
        rank: 0,
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        kind: rule.kind,
        severity: rule.severity,
        host: world.cover.name_of(host),
        confidence: level,
        why: parts.first().map(|p| p.why.clone()).unwrap_or_default(),
        correlated: parts.iter().any(|p| p.correlated),
        clients: clients.into_iter().collect(),
        client_errors: reasons.into_iter().map(explain_reason).collect(),
        first_seen,
        last_seen,
        evidence_count: members.len() as u64,
        incidents: parts.len() as u64,
        top,
        evidence: evidence_idx
            .iter()
            .map(|&i| Evidence::of(signals[i]))
            .collect(),
        fix: rule.fix.clone(),
        unconfirmed: rule.unconfirmed.clone(),
    }
}

/// The records a finding shows, as places in `signals`, each record once: its first
/// incident's first records (it speaks for the finding) in time order; then the first record
/// of each signal not shown yet from the other incidents; then their records in order, up to
/// [`MAX_EVIDENCE`]. The incidents' evidence is looked through only as far as that needs: a
/// flood's first incident alone gives them.
fn shown_evidence(parts: &[Part], signals: &[&Signal]) -> Vec<usize> {
    // One record matched by two signals (a rule's own 1026 and the context's) shows once.
    // The records seen are held as the places of their signals.
    let record_of = |i: usize| {
        let s = &signals[i];
        let o = &s.event.origin;
        let record = s.record_id().or(s.origin_record());
        (o.file.as_ref(), o.member.as_deref(), record, s.time())
    };
    // Hashed by record id and time alone, without reading the file's name (the rest of the
    // key tells the few records of one id and time apart).
    let hash = |i: usize| {
        let (_, _, record, time) = record_of(i);
        rustc_hash::FxBuildHasher.hash_one((record, time))
    };
    let mut seen_records = hashbrown::HashTable::<usize>::new();
    let mut first_of_record = |i: usize| {
        let (at, key) = (hash(i), record_of(i));
        if seen_records.find(at, |&j| record_of(j) == key).is_some() {
            return false;
        }
        seen_records.insert_unique(at, i, |&j| hash(j));
        true
    };
    let mut stream = parts.iter().flat_map(|p| p.evidence.iter().copied());
    // The evidence's records, each once, in the incidents' order, as far as worked out.
    let mut all: Vec<usize> = Vec::new();
    let first_incident = parts.first().map_or(0, |p| p.evidence.len());
    for i in stream.by_ref().take(first_incident) {
        if first_of_record(i) {
            all.push(i);
            if all.len() == MAX_EVIDENCE {
                break;
            }
        }
    }
    let first_len = all.len();
    let mut shown = all.clone();
    shown.sort_by_key(|&i| signals[i].time());
    if shown.len() == MAX_EVIDENCE {
        return shown;
    }
    // The (rule, signal, host) names of records: a few, looked through, not copied.
    let name_of = |i: usize| {
        let s = &signals[i];
        (s.rule_id(), s.signal_id(), &*s.event.computer)
    };
    // The rest's records, each once, in order: the `at`-th, worked out when first asked.
    let mut nth = |at: usize| match all.get(at) {
        Some(&i) => Some(i),
        None => {
            let i = stream.by_ref().find(|&i| first_of_record(i))?;
            all.push(i);
            Some(i)
        }
    };
    // One record for each name not shown yet, the first of it; the names there are
    // told first, so that the records are not looked through past the last of them.
    let names_shown: Vec<_> = shown.iter().map(|&i| name_of(i)).collect();
    let mut names_left = Vec::new();
    for i in parts.iter().flat_map(|p| p.evidence.iter().copied()) {
        let name = name_of(i);
        if !names_shown.contains(&name) && !names_left.contains(&name) {
            names_left.push(name);
        }
    }
    for i in (first_len..).map_while(&mut nth) {
        if shown.len() == MAX_EVIDENCE || names_left.is_empty() {
            break;
        }
        if let Some(left) = names_left.iter().position(|&name| name == name_of(i)) {
            names_left.swap_remove(left);
            shown.push(i);
        }
    }
    // Then the rest in order.
    for i in (first_len..).map_while(&mut nth) {
        if shown.len() == MAX_EVIDENCE {
            break;
        }
        if !shown.contains(&i) {
            shown.push(i);
        }
    }
    shown
}
