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
//!    becomes a [`Signal`] whose event keeps only the fields its rules need (the signals of one
//!    record share it), and only then is a lock taken.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use thread_local::ThreadLocal;

use crate::event::{Event, Field};
use crate::rules::{CompiledSignal, Rule, RuleSet};
use crate::shared_text::shared_kind;
use crate::signal::{RepeatIdentity, Signal, ALL_FIELDS, MARKED_FIELDS};
use crate::source::{EventSink, Identity, ReadPlan, ReadSummary, RecordHead};

mod found;
mod order;

use found::{Batch, Found};
pub use order::{order_of, sort_signals};

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
    /// Counted per reading thread: one counter that every record of every thread changes
    /// would pass its cache line from core to core.
    counts: ThreadLocal<ThreadCounts>,
    /// Per reading thread, the signals of the events its chunk keeps for repeats (see
    /// [`EventSink::accept_base`]), by the event's address: a repeat's are these again, with
    /// its identity, instead of matched anew.
    bases: ThreadLocal<RefCell<BaseSignals>>,
}

/// The signals of each base event a reading thread was given.
type BaseSignals = Vec<Base>;

/// A base event's signals, by the event's address, and the identity of its last repeat held
/// in short.
struct Base {
    address: usize,
    signals: Vec<Signal>,
    last: Option<RepeatIdentity>,
}

/// The most bases a thread holds the signals of (a chunk keeps fewer; more would mean that a
/// reader did not end its chunk).
const MOST_BASES: usize = 64;

/// One reading thread's counts (atomic only so that the sink can read them from another
/// thread at the end; each is changed by its own thread alone).
#[derive(Default)]
struct ThreadCounts {
    candidates: AtomicU64,
    signals: AtomicU64,
}

impl<'a> SignalSink<'a> {
    pub fn new(rules: &'a RuleSet, emit: &'a (dyn Fn(Signal) + Sync)) -> Self {
        SignalSink {
            rules,
            emit,
            counts: ThreadLocal::new(),
            bases: ThreadLocal::new(),
        }
    }

    /// Counts one candidate record and the signals it gave.
    fn count(&self, signals: usize) {
        let counts = self.counts.get_or_default();
        // Read and written apart, not added in place: no other thread changes them.
        let add =
            |n: &AtomicU64, more: u64| n.store(n.load(Ordering::Relaxed) + more, Ordering::Relaxed);
        add(&counts.candidates, 1);
        add(&counts.signals, signals as u64);
    }

    pub fn stats(&self) -> EngineStats {
        let count = |n: &AtomicU64| n.load(Ordering::Relaxed);
        self.counts
            .iter()
            .fold(EngineStats::default(), |all, one| EngineStats {
                candidates: all.candidates + count(&one.candidates),
                signals: all.signals + count(&one.signals),
            })
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
        let found = match_event(self.rules, event);
        self.count(found.len());
        found.into_iter().for_each(|s| (self.emit)(s));
    }

    fn takes_repeats(&self) -> bool {
        // A repeat's signals are its base's only when no rule reads what tells them apart.
        !self.rules.reads_identity()
    }

    fn accept_base(&self, base: &Event) {
        let found = match_event(self.rules, base.clone());
        let address = base as *const Event as usize;
        {
            let mut bases = self.bases.get_or_default().borrow_mut();
            bases.retain(|b| b.address != address);
            if bases.len() >= MOST_BASES {
                bases.remove(0);
            }
            bases.push(Base {
                address,
                signals: found.clone(),
                last: None,
            });
        }
        self.count(found.len());
        found.into_iter().for_each(|s| (self.emit)(s));
    }

    fn accept_repeat(&self, base: &Event, identity: &Identity) {
        let address = base as *const Event as usize;
        let mut bases = self.bases.get_or_default().borrow_mut();
        let Some(found) = bases.iter_mut().rev().find(|b| b.address == address) else {
            drop(bases);
            // A base this thread was not given: matched as any event.
            let mut event = base.clone();
            identity.apply(&mut event);
            return self.accept(event);
        };
        self.count(found.signals.len());
        // The repeat of a record that matched nothing costs nothing more.
        if found.signals.is_empty() {
            return;
        }
        // The repeat's signals are its base's again, with its identity: held in short, unless
        // it cannot be or it is that of the base's last repeat (a record given twice in a
        // damaged chunk: held in short, the two would read as one record given once, see
        // `Signal::same_record`); then on a copy of the base's record.
        let short = RepeatIdentity::of(identity).filter(|r| found.last != Some(*r));
        match short {
            Some(repeat) => {
                found.last = Some(repeat);
                for signal in &found.signals {
                    (self.emit)(Signal::repeating(signal, repeat));
                }
            }
            None => Signal::copied_with(&found.signals, identity)
                .into_iter()
                .for_each(|s| (self.emit)(s)),
        }
    }

    fn chunk_done(&self) {
        self.bases.get_or_default().borrow_mut().clear();
    }
}

/// The signals `event` matches. They share the event, cut down to the fields any of their
/// rules keeps and without its message; each signal's own fields (those its rule keeps) are
/// marked in [`Signal::own_fields`], and only those decide its diagnosis.
pub fn match_event(rules: &RuleSet, event: Event) -> Vec<Signal> {
    let refs = rules.index().lookup(&event.provider.name, event.event_id);
    let hits: Vec<(&Rule, &CompiledSignal)> = refs
        .iter()
        .filter_map(|&at| rules.signal(at))
        .filter(|(_, sig)| sig.matcher.matches(&event))
        .collect();
    let Some(((last_rule, last_sig), others)) = hits.split_last() else {
        return Vec::new();
    };
    let signal = |rule: &Rule, sig: &CompiledSignal, event, own_fields| Signal {
        // (The event's own repeated texts are shared where it was built.)
        kind: shared_kind(rule.id(), &sig.name, sig.side),
        event,
        own_fields,
        repeat: None,
    };
    let mut event = event;
    event
        .fields
        .retain(|f| hits.iter().any(|(_, sig)| keeps(&sig.keep_fields, f)));
    // The signals are kept to the end of the scan: the event keeps room for its own fields only.
    event.fields.shrink_to_fit();
    event.message = None;
    if event.fields.len() > MARKED_FIELDS {
        // Too many fields to mark: each signal gets its own copy, with its own fields.
        let mut out: Vec<Signal> = others
            .iter()
            .map(|(rule, sig)| {
                let own = Arc::new(evidence_event(&event, &sig.keep_fields));
                signal(rule, sig, own, ALL_FIELDS)
            })
            .collect();
        event.fields.retain(|f| keeps(&last_sig.keep_fields, f));
        out.push(signal(last_rule, last_sig, Arc::new(event), ALL_FIELDS));
        return out;
    }
    let own_fields = |sig: &CompiledSignal| {
        let own = event
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| keeps(&sig.keep_fields, f))
            .fold(0u64, |own, (i, _)| own | 1 << i);
        // A signal that owns every field of the record says so plainly.
        if own.count_ones() as usize == event.fields.len() {
            ALL_FIELDS
        } else {
            own
        }
    };
    let owns: Vec<u64> = hits.iter().map(|(_, sig)| own_fields(sig)).collect();
    let event = Arc::new(event);
    hits.iter()
        .zip(owns)
        .map(|((rule, sig), own)| signal(rule, sig, Arc::clone(&event), own))
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
fn keeps(keep: &[String], field: &Field) -> bool {
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
    scan_signals_on(paths, rules, plan, emit, None)
}

/// [`scan_signals`] on the threads of `pool` ([`crate::source::read_inputs_on`]).
fn scan_signals_on(
    paths: &[PathBuf],
    rules: &RuleSet,
    plan: &ReadPlan,
    emit: &(dyn Fn(Signal) + Sync),
    pool: Option<&rayon::ThreadPool>,
) -> (ReadSummary, EngineStats) {
    let sink = SignalSink::new(rules, emit);
    let summary = crate::source::read_inputs_on(paths, plan, &sink, pool);
    (summary, sink.stats())
}

/// A scan's signals, each record's once, kept in the batches the reading threads handed them
/// over in: a flood's hundreds of thousands are not copied again into one list, only
/// references to them are put in order ([`Collected::in_order`]).
#[derive(Default)]
pub struct Collected {
    batches: Vec<Vec<Signal>>,
    /// Each signal's time ([`order::time_nanos`]), batch by batch as `batches`; `None` when
    /// one did not fit, or once taken (they are let go when the signals are put in order):
    /// the signals' own are then read. Not joined into one list: a flood's would be megabytes
    /// of memory touched for the first time, which costs more than reading them.
    times: Option<Vec<Vec<i64>>>,
}

impl Collected {
    /// How many signals were kept.
    pub fn len(&self) -> usize {
        self.batches.iter().map(Vec::len).sum()
    }

    /// Whether no signal was kept.
    pub fn is_empty(&self) -> bool {
        self.batches.iter().all(Vec::is_empty)
    }

    /// The signals in their order ([`order_of`]), where they are. The times kept for the sort
    /// are let go.
    pub fn in_order(&mut self) -> Vec<&Signal> {
        match self.times.take() {
            Some(times) => order::merged_in_order(&self.batches, &times),
            None => {
                let mut signals: Vec<&Signal> = Vec::with_capacity(self.len());
                self.batches.iter().for_each(|batch| signals.extend(batch));
                order::in_order(&signals, order::times_of(&signals))
            }
        }
    }

    /// The signals themselves, in their order.
    pub fn into_sorted(mut self) -> Vec<Signal> {
        let times = self.times.take();
        let mut signals = Vec::with_capacity(self.len());
        self.batches
            .into_iter()
            .for_each(|batch| signals.extend(batch));
        match times {
            Some(times) => order::sort_timed(&mut signals, order::kept_times(&times)),
            None => order::sort_signals(&mut signals),
        }
        signals
    }

    /// The signals `found` kept, with their times unless one did not fit.
    fn from_found(found: Found) -> Collected {
        let (kept, times, times_lost) = found.into_ordered();
        Collected {
            batches: kept,
            times: (!times_lost).then_some(times),
        }
    }
}

/// Reads `paths` and returns every signal ([`Collected`]) with the read's accounting. A record
/// read twice (from two files) gives its signals once, those of the first file in name order.
pub fn collect_signals(
    paths: &[PathBuf],
    rules: &RuleSet,
    plan: &ReadPlan,
) -> (Collected, ReadSummary) {
    collect_signals_on(paths, rules, plan, None)
}

/// [`collect_signals`] on the threads of `pool` ([`crate::source::read_inputs_on`]): a scan
/// reads and then diagnoses on the same threads, already started and holding the memory the
/// read let go (measured: 3-4 ms less of a 45 ms scan than on threads of the read's own).
pub fn collect_signals_on(
    paths: &[PathBuf],
    rules: &RuleSet,
    plan: &ReadPlan,
    pool: Option<&rayon::ThreadPool>,
) -> (Collected, ReadSummary) {
    let found: Mutex<Found> = Mutex::new(Found::default());
    // Each reading thread gathers its signals and hands them over a batch at a time: one
    // lock per batch, not per signal.
    let batches: ThreadLocal<RefCell<Batch>> = ThreadLocal::new();
    let emit = |s: Signal| batches.get_or_default().borrow_mut().push(s, &found);
    let (summary, _) = scan_signals_on(paths, rules, plan, &emit, pool);
    for batch in batches {
        batch.into_inner().hand_over(&found);
    }
    let found = found.into_inner().unwrap_or_else(|p| p.into_inner());
    (Collected::from_found(found), summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Field, Provider, Text};
    use crate::rules::loader::load_str;
    use crate::source::read_inputs;

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
  also_stopped:
    side: server
    logsource: { provider: Service Control Manager, channel: System, event_id: 7036 }
    detection:
      sel: { param2: stopped }
      condition: sel
    evidence: [PARAM1]
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

    pub(super) fn event(p2: &str) -> Event {
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

    /// The collected signals come in their order whether their times were kept in the short
    /// form by the duplicate check or, one being too far from 1970 for it, read from the
    /// signals again.
    #[test]
    fn collected_signals_come_in_order_with_kept_or_read_times() {
        let at = |second: i64| jiff::Timestamp::from_second(second).ok();
        let signal = |record_id: u64, time: Option<jiff::Timestamp>| {
            let event = Event {
                record_id: Some(record_id),
                time,
                ..event("stopped")
            };
            Signal::new(
                "r".into(),
                "s".into(),
                crate::signal::Side::Server,
                Arc::new(event),
            )
        };
        for far in [at(15), Some(jiff::Timestamp::MAX)] {
            let batches = [
                vec![signal(1, at(30)), signal(2, at(10))],
                vec![signal(3, far), signal(4, at(20)), signal(5, None)],
            ];
            let collect = || {
                let found = Mutex::new(Found::default());
                for batch in &batches {
                    found::keep_new_evidence(&found, &mut batch.clone(), false);
                }
                Collected::from_found(found.into_inner().unwrap())
            };
            assert_eq!(collect().times.is_none(), far == Some(jiff::Timestamp::MAX));
            let mut expected: Vec<Signal> = batches.iter().flatten().cloned().collect();
            expected.sort_by(order_of);
            let ids = |v: &[&Signal]| v.iter().map(|s| s.record_id()).collect::<Vec<_>>();
            let expected = ids(&expected.iter().collect::<Vec<_>>());
            assert_eq!(ids(&collect().in_order()), expected, "{far:?}");
            let sorted = collect().into_sorted();
            assert_eq!(ids(&sorted.iter().collect::<Vec<_>>()), expected, "{far:?}");
        }
    }

    /// The signals and counts that a sink of `RULE` gives for what `give` hands it.
    fn signals_given(give: impl FnOnce(&SignalSink<'_>)) -> (Vec<Signal>, EngineStats) {
        let rules = RuleSet::new(vec![load_str("r.yaml", RULE).unwrap()]);
        let found = Mutex::new(Vec::new());
        let emit = |s: Signal| found.lock().unwrap().push(s);
        let sink = SignalSink::new(&rules, &emit);
        give(&sink);
        let stats = sink.stats();
        drop(sink);
        (found.into_inner().unwrap(), stats)
    }

    #[test]
    fn sink_prefilters_matches_and_trims() {
        let (signals, stats) = signals_given(|sink| {
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
        });
        let names: Vec<&str> = signals.iter().map(|s| s.signal_id().as_ref()).collect();
        assert_eq!(names, ["stopped", "also_stopped", "any_7036", "any_7036"]);
        // The signals of one record share it, with the fields any of their rules keeps; each
        // sees its own.
        assert!(Arc::ptr_eq(&signals[0].event, &signals[1].event));
        assert!(Arc::ptr_eq(&signals[0].event, &signals[2].event));
        assert_eq!(
            signals[0].event.fields,
            vec![Field::new("param1", "Remote Desktop Services")]
        );
        assert_eq!(signals[0].event.message, None);
        let own = |s: &Signal| s.fields().cloned().collect::<Vec<_>>();
        assert_eq!(own(&signals[0]), signals[0].event.fields);
        assert_eq!(own(&signals[1]), signals[0].event.fields);
        assert!(own(&signals[2]).is_empty() && own(&signals[3]).is_empty());
        assert_eq!(signals[2].field("param1"), None);
        assert_eq!(signals[2].field("EventID").as_deref(), Some("7036"));
        assert!(signals[3].event.fields.is_empty());
        assert_eq!(signals[0].host(), "SRV");
        assert_eq!(
            stats,
            EngineStats {
                candidates: 2,
                signals: 4
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
        assert_eq!(signals.len(), 6);
        let (a, b) = (&signals[0], &signals[3]);
        assert_eq!(a.signal_id(), b.signal_id());
        for (x, y) in [
            (&a.rule_id(), &b.rule_id()),
            (&a.signal_id(), &b.signal_id()),
        ] {
            assert!(Text::ptr_eq(x, y), "{x} is held twice");
        }
    }

    /// A [`SignalSink`] that takes repeats or not, and counts those it is given.
    struct Repeating<'s> {
        sink: &'s SignalSink<'s>,
        takes: bool,
        given: std::sync::atomic::AtomicUsize,
    }

    impl EventSink for Repeating<'_> {
        fn wants_channel(&self, channel: &str) -> bool {
            self.sink.wants_channel(channel)
        }
        fn wants(&self, head: &RecordHead<'_>) -> bool {
            self.sink.wants(head)
        }
        fn accept(&self, event: Event) {
            self.sink.accept(event)
        }
        fn takes_repeats(&self) -> bool {
            self.takes
        }
        fn accept_base(&self, base: &Event) {
            self.sink.accept_base(base)
        }
        fn accept_repeat(&self, base: &Event, identity: &Identity) {
            self.given.fetch_add(1, Ordering::Relaxed);
            self.sink.accept_repeat(base, identity)
        }
        fn chunk_done(&self) {
            self.sink.chunk_done()
        }
    }

    /// The signals of records read as repeats of an earlier one are those they give read in
    /// full: on the samples (their TLS floods repeat), and on the corpus when it is present.
    #[test]
    fn repeats_give_the_signals_of_records_read_in_full() {
        let (rules, errors) = RuleSet::load(None);
        assert!(errors.is_empty(), "{errors:?}");
        let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
        let corpus = samples.join("../../shared/corpus/dfir-museum/Win2012R2-StolenSzechuan");
        let mut inputs = vec![samples];
        if corpus.exists() {
            inputs.push(corpus);
        } else {
            eprintln!(
                "notice: ../shared/corpus is absent; the repeats are checked on the samples only"
            );
        }
        for threads in [1, 2] {
            let plan = ReadPlan { threads };
            let read = |repeats: bool| {
                let found = Mutex::new(Vec::new());
                let emit = |s: Signal| found.lock().unwrap().push(s);
                let sink = SignalSink::new(&rules, &emit);
                let repeating = Repeating {
                    sink: &sink,
                    takes: repeats,
                    given: Default::default(),
                };
                read_inputs(&inputs, &plan, &repeating);
                let offered = repeating.given.into_inner();
                let stats = sink.stats();
                drop(sink);
                let mut signals = found.into_inner().unwrap();
                signals.sort_by(|a, b| {
                    let key = |s: &Signal| {
                        (
                            s.event.origin.file.to_string(),
                            s.origin_record(),
                            s.rule_id().to_string(),
                            s.signal_id().to_string(),
                        )
                    };
                    key(a).cmp(&key(b))
                });
                (signals, offered, stats)
            };
            let (plain, _, plain_stats) = read(false);
            let (repeated, offered, stats) = read(true);
            assert!(offered > 50, "{offered} repeats offered");
            let short = repeated.iter().filter(|s| s.repeat.is_some()).count();
            assert!(short > 50, "{short} signals hold their identity in short");
            assert_eq!(stats, plain_stats);
            assert_eq!(repeated.len(), plain.len());
            for (r, p) in repeated.iter().zip(&plain) {
                assert_eq!(r, p);
            }
        }
    }

    /// A record given twice in one chunk, both times as a repeat of one base with one
    /// identity (a damaged log), is two records as read: the second's signals are on a copy
    /// of the record, so that the duplicate check keeps the record once.
    #[test]
    fn a_repeat_given_twice_is_two_records_as_read() {
        let base = Event {
            record_id: Some(1),
            time: jiff::Timestamp::from_second(1).ok(),
            process_id: Some(4),
            thread_id: Some(8),
            ..event("stopped")
        };
        let identity = Identity {
            record_id: Some(2),
            origin_record: Some(2),
            time: jiff::Timestamp::from_second(2).ok(),
            ..Identity::of(&base)
        };
        let (signals, _) = signals_given(|sink| {
            sink.accept_base(&base);
            sink.accept_repeat(&base, &identity);
            sink.accept_repeat(&base, &identity);
        });
        // Three signals (the rule's three match) for each of the three records.
        assert_eq!(signals.len(), 9);
        let (first, second) = (&signals[3..6], &signals[6..]);
        assert!(first.iter().all(|s| s.repeat.is_some()));
        assert!(first.iter().all(|s| s.same_record(&first[0])));
        assert!(second.iter().all(|s| s.repeat.is_none()));
        assert!(second.iter().all(|s| s.same_record(&second[0])));
        assert!(!second[0].same_record(&first[0]));
        assert_eq!(first, second, "the same signals");
        let kept = Mutex::new(Found::default());
        found::keep_new_evidence(&kept, &mut signals.clone(), false);
        let kept = kept.into_inner().unwrap().kept;
        assert_eq!(
            kept.iter().map(Vec::len).sum::<usize>(),
            6,
            "each record once"
        );
    }

    #[test]
    fn an_empty_rule_set_wants_nothing() {
        let rules = RuleSet::new(Vec::new());
        let emit = |_: Signal| {};
        let sink = SignalSink::new(&rules, &emit);
        assert!(!sink.wants_channel("System"));
    }
}
