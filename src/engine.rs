//! The hot path: pre-filter on the System head, render candidates only, match inside the
//! parser's threads, and let only matches cross threads.
//!
//! The readers ask an [`EventSink`] three questions, cheapest first; [`SignalSink`] answers
//! them from the compiled rule index:
//!
//! 1. `wants_channel`: a file whose channel no signal can come from is dropped after its first
//!    record (a signal without a channel list accepts every channel);
//! 2. `wants`: a record whose (provider, event id) no signal is indexed under is never
//!    rendered: one hash lookup;
//! 3. `accept`: the candidate's compiled detections run on the thread that parsed it; a match
//!    becomes a [`Signal`] whose event keeps only the fields the rule needs, and only then is
//!    a lock taken.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use thread_local::ThreadLocal;

use crate::event::{Event, Field, Text};
use crate::rules::{CompiledSignal, Rule, RuleSet};
use crate::shared_text::{shared, Place};
use crate::signal::Signal;
use crate::source::{read_inputs, EventSink, ReadPlan, ReadSummary, RecordHead};

/// Counters of one scan, for benchmarks and `--stats`-style reporting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Records the index let through to rendering and matching.
    pub candidates: u64,
    /// Signals emitted.
    pub signals: u64,
}

/// Matches every accepted event against the rule set and hands each match to `emit`.
pub struct SignalSink<'a> {
    rules: &'a RuleSet,
    emit: &'a (dyn Fn(Signal) + Sync),
    candidates: AtomicU64,
    signals: AtomicU64,
}

impl<'a> SignalSink<'a> {
    pub fn new(rules: &'a RuleSet, emit: &'a (dyn Fn(Signal) + Sync)) -> Self {
        SignalSink {
            rules,
            emit,
            candidates: AtomicU64::new(0),
            signals: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> EngineStats {
        EngineStats {
            candidates: self.candidates.load(Ordering::Relaxed),
            signals: self.signals.load(Ordering::Relaxed),
        }
    }
}

impl EventSink for SignalSink<'_> {
    fn wants_channel(&self, channel: &str) -> bool {
        self.rules.index().wants_channel(channel)
    }

    fn wants(&self, head: &RecordHead<'_>) -> bool {
        !self
            .rules
            .index()
            .lookup(head.provider, head.event_id)
            .is_empty()
    }

    fn accept(&self, event: Event) {
        self.candidates.fetch_add(1, Ordering::Relaxed);
        let found = match_event(self.rules, event);
        if !found.is_empty() {
            self.signals
                .fetch_add(found.len() as u64, Ordering::Relaxed);
            found.into_iter().for_each(|s| (self.emit)(s));
        }
    }
}

/// The signals `event` matches. They share the event, cut down to the fields their rules keep
/// and without its message: a record matched by two signals is held once.
pub fn match_event(rules: &RuleSet, event: Event) -> Vec<Signal> {
    let refs = rules.index().lookup(&event.provider.name, event.event_id);
    let hits: Vec<(&Rule, &CompiledSignal)> = refs
        .iter()
        .filter_map(|&at| rules.signal(at))
        .filter(|(_, sig)| sig.matcher.matches(&event))
        .collect();
    if hits.is_empty() {
        return Vec::new();
    }
    let mut event = event;
    event
        .fields
        .retain(|f| hits.iter().any(|(_, sig)| keeps(&sig.keep_fields, f)));
    // The signals are kept to the end of the scan: the event keeps room for its own fields only.
    event.fields.shrink_to_fit();
    event.message = None;
    let event = Arc::new(event);
    hits.iter()
        .map(|(rule, sig)| Signal {
            // (The event's own repeated texts are shared where it was built.)
            rule_id: shared(Place::Rule, rule.id()),
            signal_id: shared(Place::Signal, &sig.name),
            side: sig.side,
            event: Arc::clone(&event),
        })
        .collect()
}

/// `event` with only the data fields named in `keep` (case-insensitive) and no message;
/// the System part is kept whole.
pub fn evidence_event(event: &Event, keep: &[String]) -> Event {
    Event {
        time: event.time,
        computer: event.computer.clone(),
        channel: event.channel.clone(),
        provider: event.provider.clone(),
        event_id: event.event_id,
        qualifiers: event.qualifiers,
        version: event.version,
        level: event.level,
        task: event.task,
        opcode: event.opcode,
        keywords: event.keywords,
        record_id: event.record_id,
        activity_id: event.activity_id.clone(),
        related_activity_id: event.related_activity_id.clone(),
        process_id: event.process_id,
        thread_id: event.thread_id,
        user_sid: event.user_sid.clone(),
        fields: event
            .fields
            .iter()
            .filter(|f| keeps(keep, f))
            .cloned()
            .collect(),
        message: None,
        origin: event.origin.clone(),
    }
}

/// Whether a signal keeping the fields named in `keep` (case-insensitive) keeps `field`.
pub fn keeps(keep: &[String], field: &Field) -> bool {
    keep.iter().any(|k| k.eq_ignore_ascii_case(&field.name))
}

/// Reads `paths` and hands every signal to `emit` as it is found, on the reading thread.
/// This is the streaming form: a caller that folds signals never holds them all.
pub fn scan_signals(
    paths: &[PathBuf],
    rules: &RuleSet,
    plan: &ReadPlan,
    emit: &(dyn Fn(Signal) + Sync),
) -> (ReadSummary, EngineStats) {
    let sink = SignalSink::new(rules, emit);
    let summary = read_inputs(paths, plan, &sink);
    (summary, sink.stats())
}

/// Reads `paths` and returns every signal, in a stable order (time, then origin, then rule
/// and signal), with the read's accounting. A record read twice (from two files) gives its
/// signals once, those of the first file in name order.
pub fn collect_signals(
    paths: &[PathBuf],
    rules: &RuleSet,
    plan: &ReadPlan,
) -> (Vec<Signal>, ReadSummary) {
    let found: Mutex<Found> = Mutex::new(Found::default());
    // Each reading thread gathers its signals and hands them over a batch at a time: one
    // lock per batch, not per signal.
    let batches: ThreadLocal<RefCell<Vec<Signal>>> = ThreadLocal::new();
    let emit = |s: Signal| {
        let mut batch = batches.get_or_default().borrow_mut();
        batch.push(s);
        if batch.len() >= SIGNAL_BATCH {
            keep_new_evidence(&found, &mut batch);
        }
    };
    let (summary, _) = scan_signals(paths, rules, plan, &emit);
    for batch in batches {
        keep_new_evidence(&found, &mut batch.into_inner());
    }
    let Found { kept, .. } = found.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut signals = Vec::with_capacity(kept.iter().map(Vec::len).sum());
    kept.into_iter().for_each(|batch| signals.extend(batch));
    sort_signals(&mut signals);
    (signals, summary)
}

/// How many signals a reading thread gathers before it takes the lock to hand them over.
const SIGNAL_BATCH: usize = 256;

/// The signals kept so far, in the batches they came in (each kept whole, not copied signal
/// by signal into one growing list), and where each is by its identity.
#[derive(Default)]
struct Found {
    kept: Vec<Vec<Signal>>,
    seen: IdentityMap,
}

/// Moves a batch of signals into `found`, but each record only once: the same record given
/// twice (one log exported as .evtx and as XML, or copied into two bundles) is one piece of
/// evidence, not two. Of the copies, the one of the first file in name order is kept,
/// whichever thread read it first. `batch` is left empty.
fn keep_new_evidence(found: &Mutex<Found>, batch: &mut Vec<Signal>) {
    let hashes: Vec<Option<u64>> = batch.iter().map(identity_hash).collect();
    let mut incoming = std::mem::replace(batch, Vec::with_capacity(SIGNAL_BATCH));
    let Ok(mut found) = found.lock() else {
        return;
    };
    let Found { kept, seen } = &mut *found;
    let number = u32::try_from(kept.len()).unwrap_or(u32::MAX);
    // The new signals are moved to the front of `incoming`, in order; the rest (copies, and
    // the kept signals they replace) end up behind them and are dropped.
    let mut front = 0;
    for (at, hash) in hashes.into_iter().enumerate() {
        // A signal kept from this batch is in its front part, not yet among the kept batches.
        let held = |b: u32, p: u32| match kept.get(b as usize) {
            Some(batch) => &batch[p as usize],
            None => &incoming[p as usize],
        };
        let same = hash.and_then(|hash| {
            seen.find(hash, |&(h, b, p)| {
                h == hash && same_evidence(held(b, p), &incoming[at])
            })
        });
        match (hash, same) {
            (_, Some(&(_, b, p))) => {
                let (n, o) = (&incoming[at].event.origin, &held(b, p).event.origin);
                if (&n.file, &n.member) < (&o.file, &o.member) {
                    match kept.get_mut(b as usize) {
                        Some(batch) => std::mem::swap(&mut batch[p as usize], &mut incoming[at]),
                        None => incoming.swap(p as usize, at),
                    }
                }
            }
            (hash, None) => {
                if let Some(hash) = hash {
                    let place = (hash, number, front as u32);
                    seen.insert_unique(hash, place, |&(hash, ..)| hash);
                }
                incoming.swap(front, at);
                front += 1;
            }
        }
    }
    let unused = incoming.split_off(front);
    kept.push(incoming);
    // The copies not kept are freed after the lock is let go.
    drop(found);
    drop(unused);
}

/// The stable order of signals: by time, file, record, rule and signal.
pub fn sort_signals(signals: &mut [Signal]) {
    // Signals are large and far apart in memory: their times are sorted side by side (with
    // the position, so that the sort is stable), the few signals of one time then by the rest
    // of the order, and each signal is moved once.
    let mut order: Vec<(Option<jiff::Timestamp>, usize)> = signals
        .iter()
        .enumerate()
        .map(|(at, s)| (s.event.time, at))
        .collect();
    order.sort_unstable();
    for tied in order.chunk_by_mut(|a, b| a.0 == b.0) {
        if tied.len() > 1 {
            tied.sort_by(|a, b| after_time(&signals[a.1], &signals[b.1]).then(a.1.cmp(&b.1)));
        }
    }
    permute(signals, order.into_iter().map(|(_, at)| at).collect());
}

/// The order of two signals of one time: by file, record, rule and signal.
fn after_time(a: &Signal, b: &Signal) -> std::cmp::Ordering {
    // Texts that are one shared copy are equal without reading them.
    let text = |x: &Text, y: &Text| {
        if Text::ptr_eq(x, y) {
            std::cmp::Ordering::Equal
        } else {
            x.cmp(y)
        }
    };
    let (x, y) = (&a.event.origin, &b.event.origin);
    text(&x.file, &y.file)
        .then_with(|| (&x.member, x.record).cmp(&(&y.member, y.record)))
        .then_with(|| text(&a.rule_id, &b.rule_id))
        .then_with(|| text(&a.signal_id, &b.signal_id))
}

/// Where each kept signal is (batch, place in it) by its identity ([`identity_hash`], then
/// [`same_evidence`]), with its hash: compared first, so that only a signal with the same
/// hash is read (it is far away in memory), and used for the table's growth.
type IdentityMap = hashbrown::HashTable<(u64, u32, u32)>;

/// The fields that make two signals the same evidence: the same signal of the same rule on
/// the same record, told by the host, log, provider, event id, record id and time the record
/// carries (not by the file it was read from). `None` when the record lacks an id or a time:
/// it is never merged.
fn identity(s: &Signal) -> Option<impl std::hash::Hash + Eq + '_> {
    let e = &s.event;
    Some((
        (&*s.rule_id, &*s.signal_id),
        (&*e.computer, &*e.channel, &*e.provider.name),
        (e.event_id, e.record_id?, e.time?),
    ))
}

/// The hash of a signal's [`identity`], computed outside the lock; fixed, so that a run's
/// work does not depend on the process.
fn identity_hash(s: &Signal) -> Option<u64> {
    use std::hash::BuildHasher;
    const SEED: u64 = 0x5eed_e1d3;
    Some(foldhash::quality::FixedState::with_seed(SEED).hash_one(identity(s)?))
}

/// Whether two signals are the same evidence (both have an [`identity`] and it is equal).
fn same_evidence(a: &Signal, b: &Signal) -> bool {
    matches!((identity(a), identity(b)), (Some(x), Some(y)) if x == y)
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`, by following the
/// permutation's cycles (each item is swapped into place once).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != start {
            let next = order[at];
            order[at] = at;
            items.swap(at, next);
            at = next;
        }
        order[at] = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Field, Provider};
    use crate::rules::loader::load_str;

    const RULE: &str = r#"evident: 1
id: svc-test
title: test
severity: medium
status: experimental
description: test rule
signals:
  stopped:
    side: server
    logsource: { provider: Service Control Manager, channel: System, event_id: 7036 }
    detection:
      sel: { param1: Remote Desktop Services, param2: stopped }
      condition: sel
    evidence: [param1]
  any_7036:
    side: server
    logsource: { provider: service control manager, event_id: [7036, 7034] }
    detection:
      sel: { param1|exists: true }
      condition: sel
diagnosis:
  confidence:
    - when: stopped
      level: medium
      why: "{host}"
"#;

    fn event(p2: &str) -> Event {
        Event {
            computer: "SRV".into(),
            channel: "System".into(),
            provider: Provider {
                name: "Service Control Manager".into(),
                ..Provider::default()
            },
            event_id: 7036,
            fields: vec![
                Field::new("param1", "Remote Desktop Services"),
                Field::new("param2", p2),
                Field::new("Binary", "00"),
            ],
            message: Some("long text".into()),
            ..Event::default()
        }
    }

    #[test]
    fn sink_prefilters_matches_and_trims() {
        let rules = RuleSet::new(vec![load_str("r.yaml", RULE).unwrap()]);
        let found = Mutex::new(Vec::new());
        let emit = |s: Signal| found.lock().unwrap().push(s);
        let sink = SignalSink::new(&rules, &emit);
        assert!(sink.wants_channel("System"));
        assert!(
            sink.wants_channel("Application"),
            "any_7036 has no channel hint"
        );
        let head = |p, id| RecordHead {
            provider: p,
            event_id: id,
            channel: "System",
        };
        assert!(sink.wants(&head("SERVICE CONTROL MANAGER", 7036)));
        assert!(sink.wants(&head("Service Control Manager", 7034)));
        assert!(!sink.wants(&head("Service Control Manager", 7040)));
        assert!(!sink.wants(&head("Schannel", 7036)));
        sink.accept(event("stopped"));
        sink.accept(event("running"));
        let stats = sink.stats();
        let signals = found.into_inner().unwrap();
        let names: Vec<&str> = signals.iter().map(|s| &*s.signal_id).collect();
        assert_eq!(names, ["stopped", "any_7036", "any_7036"]);
        assert_eq!(
            signals[0].event.fields,
            vec![Field::new("param1", "Remote Desktop Services")]
        );
        assert_eq!(signals[0].event.message, None);
        // The two signals of the first record share it, with the fields of both their rules;
        // the second record's one signal keeps no field.
        assert!(Arc::ptr_eq(&signals[0].event, &signals[1].event));
        assert!(signals[2].event.fields.is_empty());
        assert_eq!(signals[0].host(), "SRV");
        assert_eq!(
            stats,
            EngineStats {
                candidates: 2,
                signals: 3
            }
        );
    }

    #[test]
    fn signals_share_the_texts_they_repeat() {
        let rules = RuleSet::new(vec![load_str("r.yaml", RULE).unwrap()]);
        let signals: Vec<Signal> = [event("stopped"), event("stopped")]
            .into_iter()
            .flat_map(|e| match_event(&rules, e))
            .collect();
        assert_eq!(signals.len(), 4);
        let (a, b) = (&signals[0], &signals[2]);
        assert_eq!(a.signal_id, b.signal_id);
        for (x, y) in [(&a.rule_id, &b.rule_id), (&a.signal_id, &b.signal_id)] {
            assert!(Text::ptr_eq(x, y), "{x} is held twice");
        }
    }

    #[test]
    fn the_same_evidence_is_told_by_the_record_not_the_file() {
        let at = |file: &str, record_id: Option<u64>, time: Option<i64>| Signal {
            rule_id: "r".into(),
            signal_id: "s".into(),
            side: crate::signal::Side::Server,
            event: Arc::new(Event {
                record_id,
                time: time.map(|t| jiff::Timestamp::from_second(t).unwrap()),
                origin: crate::event::Origin {
                    file: file.into(),
                    ..Default::default()
                },
                ..event("stopped")
            }),
        };
        let one = at("a.evtx", Some(7), Some(100));
        assert!(same_evidence(&one, &at("b.xml", Some(7), Some(100))));
        assert_eq!(
            identity_hash(&one),
            identity_hash(&at("b.xml", Some(7), Some(100)))
        );
        assert!(!same_evidence(&one, &at("a.evtx", Some(8), Some(100))));
        assert!(!same_evidence(&one, &at("a.evtx", Some(7), Some(101))));
        let mut other_signal = at("a.evtx", Some(7), Some(100));
        other_signal.signal_id = "t".into();
        assert!(!same_evidence(&one, &other_signal));
        // A record without an id or a time is never merged, not even with itself.
        let bare = at("a.evtx", None, Some(100));
        assert!(!same_evidence(&bare, &bare) && identity_hash(&bare).is_none());
    }

    #[test]
    fn an_empty_rule_set_wants_nothing() {
        let rules = RuleSet::new(Vec::new());
        let emit = |_: Signal| {};
        let sink = SignalSink::new(&rules, &emit);
        assert!(!sink.wants_channel("System"));
    }

    #[test]
    fn signals_sort_by_time_file_record_rule_and_signal_stably() {
        // Few distinct values of each key, so that ties are many and every key decides.
        let mut signals: Vec<Signal> = (0..400u64)
            .map(|n| {
                let pick = |k: u64, m: u64| (n.wrapping_mul(2654435761) >> k) % m;
                Signal {
                    rule_id: ["b", "a", "c"][pick(3, 3) as usize].into(),
                    signal_id: ["y", "x"][pick(7, 2) as usize].into(),
                    side: crate::signal::Side::Server,
                    event: Arc::new(Event {
                        time: (pick(11, 4) > 0)
                            .then(|| jiff::Timestamp::from_second(pick(13, 3) as i64).unwrap()),
                        record_id: Some(n),
                        origin: crate::event::Origin {
                            file: ["f2", "f1", "f10"][pick(17, 3) as usize].into(),
                            member: (pick(19, 3) == 0).then(|| "m".to_string()),
                            record: (pick(23, 4) > 0).then_some(pick(5, 3)),
                            ..Default::default()
                        },
                        ..event("stopped")
                    }),
                }
            })
            .collect();
        let mut expected = signals.clone();
        expected.sort_by(|a, b| {
            let key = |s: &Signal| {
                let o = &s.event.origin;
                (s.event.time, o.file.clone(), o.member.clone(), o.record)
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.rule_id.cmp(&b.rule_id))
                .then_with(|| a.signal_id.cmp(&b.signal_id))
        });
        sort_signals(&mut signals);
        let ids = |v: &[Signal]| v.iter().map(|s| s.event.record_id).collect::<Vec<_>>();
        assert_eq!(ids(&signals), ids(&expected));
    }

    #[test]
    fn permute_moves_each_item_to_its_place() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut items, vec![2, 0, 1, 4, 3]);
        assert_eq!(items, ['c', 'a', 'b', 'e', 'd']);
    }
}
