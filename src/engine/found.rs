//! A scan's signals as they are handed over by the reading threads, each record once: the
//! same record read from two files (one log exported twice, two bundles that overlap) is one
//! piece of evidence.

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use super::order::{is_in_order, kept_times_of, order_of};
use crate::event::{Event, Text};
use crate::signal::Signal;

/// How many signals a reading thread gathers before it takes the lock to hand them over.
const SIGNAL_BATCH: usize = 256;

/// The signals kept so far, in the batches they came in (each kept whole, not copied signal
/// by signal into one growing list, and put in its order before it is handed over), and
/// where those that may have copies are by their identity.
#[derive(Default)]
pub(super) struct Found {
    pub kept: Vec<Vec<Signal>>,
    /// The time of each kept signal ([`time_nanos`](super::order::time_nanos)), batch by batch as `kept`: read on the
    /// reading thread, for the sort at the end.
    pub(super) times: Vec<Vec<i64>>,
    /// Whether a kept signal's time did not fit [`time_nanos`](super::order::time_nanos): the sort then reads the
    /// signals' times again.
    pub(super) times_lost: bool,
    /// The kept batches a copy from a file earlier in name order took a place in: it sorts
    /// before the signal it replaced, so the batch is put in order again at the end
    /// ([`Found::into_ordered`]).
    disordered: Vec<u32>,
    /// The kept signals that may have copies, by identity: those of the logs whose record ids
    /// came again ([`LogIds`]).
    seen: IdentityMap,
    /// Per log, the record ids kept so far.
    logs: Logs,
}

/// The logs met, each by its host and channel as its records name them.
#[derive(Default, Clone)]
struct Logs {
    ids: Vec<LogIds>,
    numbers: FxHashMap<(Text, Text), usize>,
}

/// The log of the signal last asked about, told by where its texts are (most signals share
/// them), valid for one batch: the texts may be let go after it.
type LastLog = Option<(*const u8, *const u8, usize)>;

impl Logs {
    /// The record ids of `event`'s log.
    fn of(&mut self, event: &Event, last: &mut LastLog) -> &mut LogIds {
        let texts = (event.computer.as_ptr(), event.channel.as_ptr());
        let log = match *last {
            Some((computer, channel, log)) if (computer, channel) == texts => log,
            _ => {
                let key = (Text::clone(&event.computer), Text::clone(&event.channel));
                let ids = &mut self.ids;
                let log = *self.numbers.entry(key).or_insert_with(|| {
                    ids.push(LogIds::default());
                    ids.len() - 1
                });
                *last = Some((texts.0, texts.1, log));
                log
            }
        };
        &mut self.ids[log]
    }
}

/// The record ids of one log (host and channel) whose signals were kept, while none came
/// twice: a signal of a record id not among them is no copy of a kept one, and is kept without
/// being looked up. Most logs are given once, their records read once each, and never need
/// the table. Once a record id comes again (the log given twice, or a damaged log repeating a
/// record), the log's kept signals are put in the table and its signals are looked up there
/// from then on.
#[derive(Default, Clone, Debug, PartialEq)]
struct LogIds {
    /// Disjoint runs of record ids (first, last), in order.
    runs: Vec<(u64, u64)>,
    /// Whether the log's signals are in the table (and looked up there).
    indexed: bool,
    /// The places of the log's kept signals, until they are put in the table: as runs
    /// (batch, first place, count), as they are kept side by side.
    places: Vec<(u32, u32, u32)>,
    /// The place of the log's last kept signal: the next signal of the same record (a record
    /// often matches two rules) is kept beside it.
    last: Option<(u32, u32)>,
}

/// The most runs of record ids a log keeps (records read far out of order): beyond, its
/// signals go to the table.
const MOST_RUNS: usize = 4096;

impl LogIds {
    /// Counts `record_id` among the kept: `true` when it is new to the log, `false` when it
    /// was kept before or the log keeps too many runs.
    fn add(&mut self, record_id: u64) -> bool {
        // Most come in order, each after the last.
        if let Some(last) = self.runs.last_mut() {
            if last.1.checked_add(1) == Some(record_id) {
                last.1 = record_id;
                return true;
            }
        }
        let at = self.runs.partition_point(|&(_, last)| last < record_id);
        if self
            .runs
            .get(at)
            .is_some_and(|&(first, _)| first <= record_id)
        {
            return false;
        }
        let after_previous = at > 0 && self.runs[at - 1].1.checked_add(1) == Some(record_id);
        let before_next = self
            .runs
            .get(at)
            .is_some_and(|&(first, _)| record_id.checked_add(1) == Some(first));
        match (after_previous, before_next) {
            (true, true) => {
                self.runs[at - 1].1 = self.runs[at].1;
                self.runs.remove(at);
            }
            (true, false) => self.runs[at - 1].1 = record_id,
            (false, true) => self.runs[at].0 = record_id,
            (false, false) if self.runs.len() >= MOST_RUNS => return false,
            (false, false) => self.runs.insert(at, (record_id, record_id)),
        }
        true
    }

    /// Counts the `count` places of batch `batch` from `at` on among the places of the log's
    /// kept signals, joined to the last run of them when they follow it.
    fn keep(&mut self, (batch, at): (u32, u32), count: u32) {
        match self.places.last_mut() {
            Some((b, first, kept)) if *b == batch && first.checked_add(*kept) == Some(at) => {
                *kept += count
            }
            _ => self.places.push((batch, at, count)),
        }
    }

    /// The places of the log's kept signals, one by one; the log holds none after.
    fn take_places(&mut self) -> impl Iterator<Item = (u32, u32)> {
        std::mem::take(&mut self.places)
            .into_iter()
            .flat_map(|(batch, first, count)| (first..first + count).map(move |at| (batch, at)))
    }
}

impl Found {
    /// The kept batches, each in its order ([`order_of`]), and their times: those a copy took
    /// a place in are put in order again. (A copy has its original's time: the times stay.)
    pub(super) fn into_ordered(self) -> (Vec<Vec<Signal>>, Vec<Vec<i64>>, bool) {
        let Found {
            mut kept,
            times,
            times_lost,
            mut disordered,
            ..
        } = self;
        disordered.sort_unstable();
        disordered.dedup();
        for b in disordered {
            if let Some(batch) = kept.get_mut(b as usize) {
                batch.sort_by(order_of);
            }
        }
        debug_assert!(
            times_lost
                || kept
                    .iter()
                    .zip(&times)
                    .all(|(batch, times)| kept_times_of(batch).0 == *times)
        );
        (kept, times, times_lost)
    }
}

/// A reading thread's signals not yet handed over ([`keep_new_evidence`]).
#[derive(Default)]
pub(super) struct Batch {
    signals: Vec<Signal>,
    /// Whether to work out the signals' identity hashes before taking the lock: while the
    /// thread's batches have signals to look up (a log given twice), most of them do.
    hash_first: bool,
}

impl Batch {
    /// Adds `signal`, first handing the batch over to `found` when it is full. A batch ends
    /// between records: the signals of one record are handed over together.
    pub fn push(&mut self, signal: Signal, found: &Mutex<Found>) {
        let full = self.signals.len() >= SIGNAL_BATCH;
        if full && !self.signals.last().is_some_and(|l| l.same_record(&signal)) {
            self.hand_over(found);
        }
        self.signals.push(signal);
    }

    /// Hands the signals over to `found`; the batch is left empty.
    pub fn hand_over(&mut self, found: &Mutex<Found>) {
        self.hash_first = keep_new_evidence(found, &mut self.signals, self.hash_first);
    }
}

/// Puts a batch of signals in its order ([`order_of`]) and moves it into `found`, but each
/// record only once: the same record given twice (one log exported as .evtx and as XML, or
/// copied into two bundles) is one piece of evidence, not two. Of the copies, the one of the
/// first file in name order is kept, whichever thread read it first. `batch` is left empty.
///
/// A signal is looked up by its identity hash only when it may be a copy: most logs are
/// given once, and their signals are never hashed. With `hash_first`, every signal's hash is
/// worked out before the lock is taken; without, only those looked up are hashed, under it.
/// Returns whether the next batch had better hash first: whether this one looked any up.
pub(super) fn keep_new_evidence(
    found: &Mutex<Found>,
    batch: &mut Vec<Signal>,
    hash_first: bool,
) -> bool {
    // In order, for the merge at the end (`order::merged_in_order`): the work is done here,
    // on the reading threads, rather than on one thread once all is read. Most batches are in
    // order already, told by their times but for the signals of one time.
    let (mut times, mut times_lost) = kept_times_of(batch);
    if times_lost || !is_in_order(batch, &times) {
        batch.sort_by(order_of);
        (times, times_lost) = kept_times_of(batch);
    }
    let hashes: Vec<Option<u64>> = if hash_first {
        batch.iter().map(identity_hash).collect()
    } else {
        Vec::new()
    };
    let mut incoming = std::mem::replace(batch, Vec::with_capacity(SIGNAL_BATCH));
    let Ok(mut found) = found.lock() else {
        return hash_first;
    };
    let Found {
        kept,
        times: kept_times,
        times_lost: kept_times_lost,
        disordered,
        seen,
        logs,
    } = &mut *found;
    *kept_times_lost |= times_lost;
    let number = u32::try_from(kept.len()).unwrap_or(u32::MAX);
    if !times_lost && keep_new_run(logs, number, &incoming) {
        if incoming.len() < incoming.capacity() / 2 {
            incoming.shrink_to_fit();
        }
        kept.push(incoming);
        kept_times.push(times);
        return false;
    }
    // A copy of a log comes as runs of copies, in the order of the signals they copy: after a
    // copy of the signal at (batch, place), the next signal is first compared with the one at
    // (batch, place + 1), read next to it, before the table is looked up far away in memory.
    let mut next_held: Option<(u32, u32)> = None;
    // The new signals are moved to the front of `incoming`, in order; the rest (copies, and
    // the kept signals they replace) end up behind them and are dropped.
    let mut front = 0;
    let mut front_times: Vec<i64> = Vec::with_capacity(incoming.len());
    let mut last_log: LastLog = None;
    let mut looked_up = false;
    for at in 0..incoming.len() {
        // A signal kept from this batch is in its front part, not yet among the kept batches.
        let held = |b: u32, p: u32| match kept.get(b as usize) {
            Some(batch) => batch.get(p as usize),
            None => incoming[..front].get(p as usize),
        };
        // The signal's identity (what is hashed) is whole: it may have copies.
        let whole = incoming[at].record_id().zip(incoming[at].time());
        // A signal of a log whose record ids have not come twice, and whose own is new (or
        // its record's, kept with it), is no copy of a kept one: kept without a look-up.
        let mut fresh = false;
        if let Some((record_id, _)) = whole {
            let ids = logs.of(&incoming[at].event, &mut last_log);
            if !ids.indexed {
                let of_last = ids
                    .last
                    .and_then(|(b, p)| held(b, p))
                    .is_some_and(|last| last.same_record(&incoming[at]));
                fresh = of_last || ids.add(record_id);
                if fresh {
                    let place = (number, front as u32);
                    ids.keep(place, 1);
                    ids.last = Some(place);
                } else {
                    // A record id again: the log's kept signals go to the table, each hashed
                    // once (under the lock, once per log).
                    for (b, p) in ids.take_places() {
                        debug_assert!(held(b, p).is_some(), "a kept place is held");
                        if let Some(hash) = held(b, p).and_then(identity_hash) {
                            seen.insert_unique(hash, (hash, b, p), |&(hash, ..)| hash);
                        }
                    }
                    ids.indexed = true;
                }
            }
        }
        let hash = match (fresh, whole) {
            (false, Some(_)) if hash_first => hashes[at],
            (false, Some(_)) => identity_hash(&incoming[at]),
            _ => None,
        };
        looked_up |= hash.is_some();
        let same = hash.and_then(|hash| {
            let is_copy = |&(b, p): &(u32, u32)| {
                held(b, p).is_some_and(|held| same_evidence(held, &incoming[at]))
            };
            next_held.filter(is_copy).or_else(|| {
                let found = seen.find(hash, |&(_, b, p)| is_copy(&(b, p)));
                found.map(|&(_, b, p)| (b, p))
            })
        });
        match (hash, same) {
            (_, Some((b, p))) => {
                next_held = Some((b, p.saturating_add(1)));
                debug_assert!(held(b, p).is_some(), "a copy's original is held");
                let held_origin = held(b, p).map(|held| &held.event.origin);
                let (n, o) = (&incoming[at].event.origin, held_origin);
                if o.is_some_and(|o| (&n.file, &n.member) < (&o.file, &o.member)) {
                    match kept.get_mut(b as usize) {
                        Some(batch) => std::mem::swap(&mut batch[p as usize], &mut incoming[at]),
                        None => incoming.swap(p as usize, at),
                    }
                    disordered.push(b);
                }
            }
            (hash, None) => {
                if let Some(hash) = hash {
                    let place = (hash, number, front as u32);
                    seen.insert_unique(hash, place, |&(hash, ..)| hash);
                }
                if front != at {
                    incoming.swap(front, at);
                }
                front_times.push(times[at]);
                front += 1;
            }
        }
    }
    let unused = incoming.split_off(front);
    // A batch of copies only (a log given twice) is not kept; one mostly of copies would keep
    // room for them to the end.
    if !incoming.is_empty() {
        if incoming.len() < incoming.capacity() / 2 {
            incoming.shrink_to_fit();
        }
        kept.push(incoming);
        kept_times.push(front_times);
    }
    // The copies not kept are freed after the lock is let go.
    drop(found);
    drop(unused);
    looked_up
}

/// Counts `batch` (to be kept as batch `number`) among its log's kept signals at once, when
/// it can be told that none of its signals is a copy: each is whole, all are of one log (one
/// copy of its host's and channel's texts) whose signals are not in the table, their record
/// ids come in order, all past the log's last, and the signals of one id are those of one
/// record. Most batches are such a run of a log read once; each signal is then not looked at
/// again one by one. `false`, with nothing counted, when it cannot be told so: the batch is
/// then gone through signal by signal ([`keep_new_evidence`]), which counts the same for a
/// batch that is such a run.
fn keep_new_run(logs: &mut Logs, number: u32, batch: &[Signal]) -> bool {
    let Some(first) = batch.first() else {
        return false;
    };
    let texts = |s: &Signal| (s.event.computer.as_ptr(), s.event.channel.as_ptr());
    let log_texts = texts(first);
    // Checked whole before anything is counted: the record ids, and how many runs of them.
    let mut previous: Option<(&Signal, u64)> = None;
    let mut gaps = 0usize;
    for signal in batch {
        let Some(record_id) = signal.record_id() else {
            return false;
        };
        if signal.time().is_none() || texts(signal) != log_texts {
            return false;
        }
        if let Some((last, last_id)) = previous {
            let of_last = record_id == last_id && last.same_record(signal);
            if record_id <= last_id && !of_last {
                return false;
            }
            gaps += usize::from(record_id.saturating_sub(last_id) > 1);
        }
        previous = Some((signal, record_id));
    }
    let (Some(first_id), Ok(count)) = (first.record_id(), u32::try_from(batch.len())) else {
        return false;
    };
    let ids = logs.of(&first.event, &mut None);
    let fits = ids.runs.len() + gaps < MOST_RUNS;
    if ids.indexed || !fits || ids.runs.last().is_some_and(|&(_, last)| last >= first_id) {
        return false;
    }
    let mut last_id = None;
    for record_id in batch.iter().filter_map(Signal::record_id) {
        if last_id != Some(record_id) {
            let added = ids.add(record_id);
            debug_assert!(added, "a record id past the log's last is new to it");
            last_id = Some(record_id);
        }
    }
    ids.keep((number, 0), count);
    ids.last = Some((number, count - 1));
    true
}

/// Where each kept signal that may have copies is (batch, place in it), with its identity
/// hash ([`identity_hash`], then [`same_evidence`]): only the signals of the logs looked up
/// are here, and they hold their hash for the table to grow, rather than every kept signal
/// one beside it.
type IdentityMap = hashbrown::HashTable<(u64, u32, u32)>;

/// The hash of what makes a signal the evidence it is ([`same_evidence`]); fixed, so that a
/// run's work does not depend on the process. Of the texts only the rule's and the signal's
/// names are hashed: the record's id and time tell records apart well enough, and
/// [`same_evidence`] compares the rest (host, log, provider) for the few that share them.
fn identity_hash(s: &Signal) -> Option<u64> {
    use std::hash::BuildHasher;
    const SEED: u64 = 0x5eed_e1d3;
    let e = &s.event;
    let key = (
        (s.rule_id(), s.signal_id()),
        (e.event_id, s.record_id()?, s.time()?),
    );
    Some(foldhash::quality::FixedState::with_seed(SEED).hash_one(key))
}

/// Whether two signals are the same evidence: the same signal of the same rule on the same
/// record, told by the host, log, provider, event id, record id and time the record carries
/// (not by the file it was read from). A record without an id or a time is never merged.
/// The numbers are compared first, and a text held as one copy (those of one reading thread,
/// and those of one record) is equal without being read.
fn same_evidence(a: &Signal, b: &Signal) -> bool {
    let text = |x: &Text, y: &Text| Text::ptr_eq(x, y) || x == y;
    let (x, y) = (&a.event, &b.event);
    let (Some(record_id), Some(time)) = (a.record_id(), a.time()) else {
        return false;
    };
    x.event_id == y.event_id
        && Some(record_id) == b.record_id()
        && Some(time) == b.time()
        && text(a.rule_id(), b.rule_id())
        && text(a.signal_id(), b.signal_id())
        && (Arc::ptr_eq(x, y)
            || (text(&x.computer, &y.computer)
                && text(&x.channel, &y.channel)
                && text(&x.provider.name, &y.provider.name)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::order::time_nanos;
    use crate::engine::tests::event;
    use crate::event::Event;

    #[test]
    fn the_same_evidence_is_told_by_the_record_not_the_file() {
        let at = signal_of;
        let one = at("a.evtx", Some(7), Some(100));
        assert!(same_evidence(&one, &at("b.xml", Some(7), Some(100))));
        assert_eq!(
            identity_hash(&one),
            identity_hash(&at("b.xml", Some(7), Some(100)))
        );
        assert!(!same_evidence(&one, &at("a.evtx", Some(8), Some(100))));
        assert!(!same_evidence(&one, &at("a.evtx", Some(7), Some(101))));
        let other_signal = at("a.evtx", Some(7), Some(100)).renamed(None, Some("t"));
        assert!(!same_evidence(&one, &other_signal));
        // A record without an id or a time is never merged, not even with itself.
        let bare = at("a.evtx", None, Some(100));
        assert!(!same_evidence(&bare, &bare) && identity_hash(&bare).is_none());
    }

    /// Two hosts' records of one id and time hash alike (the hash leaves the host out) but are
    /// two pieces of evidence: both are kept.
    #[test]
    fn records_of_two_hosts_with_one_id_and_time_are_both_kept() {
        let one = signal_of("a.evtx", Some(7), Some(100));
        let mut other = signal_of("b.evtx", Some(7), Some(100));
        Arc::make_mut(&mut other.event).computer = "other-host".into();
        assert_eq!(identity_hash(&one), identity_hash(&other));
        assert!(!same_evidence(&one, &other));
        let found = Mutex::new(Found::default());
        keep_new_evidence(&found, &mut vec![one], false);
        keep_new_evidence(&found, &mut vec![other], false);
        let kept: usize = found.into_inner().unwrap().kept.iter().map(Vec::len).sum();
        assert_eq!(kept, 2);
    }

    /// A kept time too far from 1970 for the short form is told, so that the sort reads the
    /// signals' own times.
    #[test]
    fn a_time_beyond_the_short_form_is_told() {
        let found = Mutex::new(Found::default());
        keep_new_evidence(&found, &mut of_file("a.evtx", [1, 2]), false);
        assert!(!found.lock().unwrap().times_lost);
        let mut far = signal_of("a.evtx", Some(3), None);
        Arc::make_mut(&mut far.event).time = Some(jiff::Timestamp::MAX);
        keep_new_evidence(&found, &mut vec![far], false);
        assert!(found.into_inner().unwrap().times_lost);
    }

    /// A log's record ids are kept as runs, merged as the gaps between them fill, in any
    /// order.
    #[test]
    fn a_log_keeps_its_record_ids_as_runs() {
        let mut ids = LogIds::default();
        for id in [5, 7, 6, 1, 2, 10, u64::MAX, 9, 8, 11] {
            assert!(ids.add(id), "{id} is new");
            assert!(!ids.add(id), "{id} once added");
        }
        assert_eq!(ids.runs, [(1, 2), (5, 11), (u64::MAX, u64::MAX)]);
        assert!(ids.add(3) && ids.add(0) && ids.add(12));
        assert_eq!(ids.runs, [(0, 3), (5, 12), (u64::MAX, u64::MAX)]);
    }

    /// A record that comes twice in one log (a damaged log repeating it) is kept once, and so
    /// are the records after it; the signals one record gave are all kept.
    #[test]
    fn a_record_again_in_one_log_is_kept_once() {
        let found = Mutex::new(Found::default());
        let mut batch = of_file("a.evtx", [1, 2, 3, 2, 4]);
        let second = batch[2].renamed(None, Some("t"));
        batch.insert(3, second);
        keep_new_evidence(&found, &mut batch, false);
        keep_new_evidence(&found, &mut of_file("a.evtx", [3, 5]), false);
        let found = found.into_inner().unwrap();
        let mut kept: Vec<(u64, String)> = found
            .kept
            .iter()
            .flatten()
            .map(|s| (s.record_id().unwrap(), s.signal_id().to_string()))
            .collect();
        kept.sort();
        let expected: Vec<(u64, String)> =
            [(1, "s"), (2, "s"), (3, "s"), (3, "t"), (4, "s"), (5, "s")]
                .into_iter()
                .map(|(id, s)| (id, s.to_string()))
                .collect();
        assert_eq!(kept, expected);
    }

    /// A batch that is a run of one log's new records is counted at once, as it would be
    /// signal by signal: the same signals kept, the same record ids, places and last place in
    /// the log, and the copies and records in the gaps that come after are told the same.
    #[test]
    fn a_run_of_new_records_is_counted_as_signal_by_signal() {
        // Signals whose log's texts are one copy (a run), or each their own (never taken
        // at once), of records `ids` of `file`; a second signal for each record in `twice`.
        let batch = |file: &str, ids: &[u64], twice: &[u64], one_copy: bool| {
            let (computer, channel): (Text, Text) = ("host".into(), "System".into());
            let mut batch = Vec::new();
            for signal in of_file(file, ids.iter().copied()) {
                let mut signal = signal;
                let event = Arc::make_mut(&mut signal.event);
                (event.computer, event.channel) = if one_copy {
                    (computer.clone(), channel.clone())
                } else {
                    ("host".into(), "System".into())
                };
                let second = twice
                    .contains(&signal.record_id().unwrap())
                    .then(|| signal.renamed(None, Some("t")));
                batch.extend(std::iter::once(signal).chain(second));
            }
            batch
        };
        let runs = [
            ("b.evtx", vec![1, 2, 3, 7, 8], vec![2, 8]),
            ("b.evtx", vec![9, 10], vec![]),
            ("a.evtx", vec![2, 3], vec![2]),
            ("b.evtx", vec![5, 11], vec![11]),
        ];
        let found_with = |one_copy: bool| {
            let found = Mutex::new(Found::default());
            let mut taken = Vec::new();
            for (file, ids, twice) in &runs {
                let mut signals = batch(file, ids, twice, one_copy);
                // Whether the batch is taken at once, asked of a copy of the logs as they are.
                let mut logs = found.lock().unwrap().logs.clone();
                taken.push(keep_new_run(&mut logs, 0, &signals));
                keep_new_evidence(&found, &mut signals, false);
            }
            (found.into_inner().unwrap(), taken)
        };
        let (at_once, taken) = found_with(true);
        let (one_by_one, never) = found_with(false);
        // The first two are runs; the copies are not, nor is anything of the log after them.
        assert_eq!(taken, [true, true, false, false]);
        assert_eq!(never, [false; 4]);
        let kept = |found: &Found| -> Vec<(u64, String, String)> {
            let signals = found.kept.iter().flatten();
            signals
                .map(|s| {
                    let file = s.event.origin.file.to_string();
                    (s.record_id().unwrap(), s.signal_id().to_string(), file)
                })
                .collect()
        };
        assert_eq!(kept(&at_once), kept(&one_by_one));
        assert_eq!(at_once.times, one_by_one.times);
        assert_eq!(at_once.logs.ids, one_by_one.logs.ids);
        let records: Vec<u64> = kept(&at_once).iter().map(|k| k.0).collect();
        assert_eq!(records, [1, 2, 2, 3, 7, 8, 8, 9, 10, 5, 11, 11]);
    }

    /// A copy from a file earlier in name order takes its original's place in a kept batch,
    /// which then sorts before the later file's signals of its time: the batch is put in
    /// order again, as the merge at the end needs.
    #[test]
    fn a_copy_taking_a_kept_place_is_put_in_order() {
        let found = Mutex::new(Found::default());
        let mut later = vec![
            signal_of("b.evtx", Some(5), Some(100)),
            signal_of("b.evtx", Some(6), Some(100)),
        ];
        keep_new_evidence(&found, &mut later, false);
        keep_new_evidence(
            &found,
            &mut vec![signal_of("a.evtx", Some(6), Some(100))],
            false,
        );
        let mut collected = super::super::Collected::from_found(found.into_inner().unwrap());
        let order: Vec<(String, u64)> = collected
            .in_order()
            .iter()
            .map(|s| (s.event.origin.file.to_string(), s.record_id().unwrap()))
            .collect();
        let expected = [("a.evtx", 6), ("b.evtx", 5)].map(|(f, id)| (f.to_string(), id));
        assert_eq!(order, expected);
    }

    /// A signal of the record of `file` with this id and time (in seconds).
    fn signal_of(file: &str, record_id: Option<u64>, time: Option<i64>) -> Signal {
        Signal {
            kind: crate::signal::SignalKind::shared(
                "r".into(),
                "s".into(),
                crate::signal::Side::Server,
            ),
            own_fields: crate::signal::ALL_FIELDS,
            repeat: None,
            event: Arc::new(Event {
                record_id,
                time: time.map(|t| jiff::Timestamp::from_second(t).unwrap()),
                origin: crate::event::Origin {
                    file: file.into(),
                    ..Default::default()
                },
                ..event("stopped")
            }),
        }
    }

    /// Signals of records `ids` (record id and time alike) of `file`.
    fn of_file(file: &str, ids: impl IntoIterator<Item = u64>) -> Vec<Signal> {
        ids.into_iter()
            .map(|id| signal_of(file, Some(id), Some(id as i64)))
            .collect()
    }

    /// Copies, in runs that cross batches, are each kept once, from the first file in name
    /// order, whether their hashes are worked out before the lock or under it; the table
    /// holds each looked-up signal where it is, with its own hash.
    #[test]
    fn copies_in_runs_keep_each_record_once_from_the_first_file() {
        for hash_first in [false, true] {
            let found = Mutex::new(Found::default());
            let looked_up = std::cell::Cell::new(Vec::new());
            let give = |batch: Vec<Signal>| {
                let mut seen = looked_up.take();
                seen.push(keep_new_evidence(&found, &mut { batch }, hash_first));
                looked_up.set(seen);
            };
            give(of_file("b.evtx", 0..100));
            give(of_file("b.evtx", 100..150));
            // The same log from a file earlier in name order, in runs that cross the batches,
            // with a record of its own in the middle; then from one later in name order.
            give(of_file("a.evtx", (90..130).chain([1000]).chain(130..160)));
            give(of_file("a.evtx", (0..90).rev()));
            give(of_file("c.evtx", 0..160));
            // Nothing is looked up until a record id comes again.
            assert_eq!(looked_up.take(), [false, false, true, true, true]);
            let found = found.into_inner().unwrap();
            let mut kept: Vec<(u64, String)> = found
                .kept
                .iter()
                .flatten()
                .map(|s| (s.record_id().unwrap(), s.event.origin.file.to_string()))
                .collect();
            kept.sort();
            let mut expected: Vec<(u64, String)> = (0..160)
                .chain([1000])
                .map(|id| (id, "a.evtx".to_string()))
                .collect();
            expected.sort();
            assert_eq!(kept, expected);
            assert_eq!(found.seen.len(), 161);
            for &(hash, b, p) in found.seen.iter() {
                let signal = &found.kept[b as usize][p as usize];
                assert_eq!(identity_hash(signal), Some(hash));
            }
            // Each kept signal's time is held beside it.
            assert_eq!(found.kept.len(), found.times.len());
            for (batch, times) in found.kept.iter().zip(&found.times) {
                let own_times: Vec<i64> = batch
                    .iter()
                    .map(|s| time_nanos(s.time()).unwrap())
                    .collect();
                assert_eq!(&own_times, times);
            }
        }
    }
}
