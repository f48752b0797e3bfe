//! The order of signals: by time, file, record id, zip member, record position, rule and
//! signal. Only the copies of one signal of one record tie (the duplicate check keeps one of
//! them), so that a report does not depend on which thread read what.

use std::borrow::Borrow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use rayon::iter::{IntoParallelRefIterator, ParallelIterator};
use rayon::slice::ParallelSliceMut;

use crate::event::Text;
use crate::signal::Signal;

/// Sorts `signals` into their order ([`order_of`]).
pub fn sort_signals(signals: &mut [Signal]) {
    let times: Vec<_> = times_of(signals).collect();
    sort_timed(signals, times.iter().copied());
}

/// Each signal's time as nanoseconds since 1970 (`Timestamp::as_nanosecond`), in the
/// signals' order (`i`-th: `signals[i]`'s). Gone through twice (cloned: a clone should be
/// cheap), so that they need not be gathered into one list first.
pub(crate) trait Times: Iterator<Item = Option<i128>> + Clone {}

impl<T: Iterator<Item = Option<i128>> + Clone> Times for T {}

/// [`time_nanos`] for a signal without a time.
pub(crate) const NO_TIME: i64 = i64::MIN;

/// A signal's time as kept for the sort: nanoseconds since 1970 in 8 bytes, where an
/// `Option<Timestamp>` takes 24 (a flood's are megabytes). [`NO_TIME`] stands for no time.
/// `None` means the time does not fit the form: too far from 1970 (before 1677 or after
/// 2262, a clock gone wrong), or the one instant that would read as no time.
pub(crate) fn time_nanos(time: Option<jiff::Timestamp>) -> Option<i64> {
    match time {
        None => Some(NO_TIME),
        Some(t) => i64::try_from(t.as_nanosecond())
            .ok()
            .filter(|&n| n != NO_TIME),
    }
}

/// The times of `signals` to keep ([`time_nanos`]; [`NO_TIME`] for none), and whether one
/// did not fit.
pub(crate) fn kept_times_of(signals: &[Signal]) -> (Vec<i64>, bool) {
    let mut times: Vec<i64> = Vec::with_capacity(signals.len());
    let mut lost = false;
    for signal in signals {
        let time = time_nanos(signal.time());
        lost |= time.is_none();
        times.push(time.unwrap_or(NO_TIME));
    }
    (times, lost)
}

/// The times kept by [`time_nanos`], batch by batch, as [`Times`].
pub(crate) fn kept_times(batches: &[Vec<i64>]) -> impl Times + '_ {
    let time = |&n: &i64| (n != NO_TIME).then_some(i128::from(n));
    batches.iter().flatten().map(time)
}

/// The signals' own times as [`Times`].
pub(crate) fn times_of<S: Borrow<Signal>>(signals: &[S]) -> impl Times + '_ {
    signals
        .iter()
        .map(|s| s.borrow().time().map(|t| t.as_nanosecond()))
}

/// [`sort_signals`] given each signal's time.
pub(crate) fn sort_timed(signals: &mut [Signal], times: impl Times) {
    let order = sorted_places(signals, times, |at| at);
    permute(signals, order);
}

/// References to `signals` in their order ([`order_of`]), given each one's time. The signals
/// stay where they are. (A scan's signals are merged from their batches instead
/// ([`merged_in_order`]), unless a kept time was lost; then their own times are read.)
pub(crate) fn in_order<'s>(signals: &[&'s Signal], times: impl Times) -> Vec<&'s Signal> {
    sorted_places(signals, times, |at| signals[at])
}

/// `place` of each place of `signals`, in the signals' order, first to last, given each
/// one's time. The list is made on the current rayon pool: a flood's is megabytes of memory
/// touched for the first time.
fn sorted_places<S: Borrow<Signal> + Sync, T: Send>(
    signals: &[S],
    times: impl Times,
    place: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    // Signals are large and far apart in memory: their times are sorted side by side (with
    // the place, so that the sort is stable), and only the few signals of one time are read,
    // to be put in the rest of their order.
    match time_keys(times.clone(), signals.len()) {
        Some(mut keys) => {
            debug_assert_eq!(keys.len(), signals.len());
            // Stable, by the key alone: the signals come in runs already in order (a chunk's
            // records), which this sort finds and merges; on the current rayon pool (a scan's:
            // as many threads as it reads with).
            keys.par_sort_by_key(|&(key, _)| key);
            sort_ties(signals, &mut keys);
            keys.par_iter().map(|&(_, at)| place(at)).collect()
        }
        None => {
            let mut times: Vec<(Option<i128>, usize)> = times.zip(0..).collect();
            debug_assert_eq!(times.len(), signals.len());
            times.sort_unstable();
            sort_ties(signals, &mut times);
            times.par_iter().map(|&(_, at)| place(at)).collect()
        }
    }
}

/// References to the signals of `batches` in their order ([`order_of`]), given each one's
/// time as kept (`times[b][p]` is `batches[b][p]`'s, by [`time_nanos`], none of them lost).
/// Each batch is in that order already: a reading thread puts its batch in order before it
/// hands it over, side by side with the other threads' reading, and most batches come in
/// order (a chunk's records).
///
/// The batches are merged, the earliest first, rather than sorted afresh: no list of keys and
/// no sort buffer, each the size of the whole (a flood's are megabytes of memory touched for
/// the first time), and a batch is followed as long as it stays before the others' next
/// signals, told by their times; the rest of their order ([`after_time`]) is read only for a
/// signal of the same time as another batch's next. Signals alike in all of it (copies of one
/// signal of one record) come by batch, then place, as in a stable sort.
pub(crate) fn merged_in_order<'s>(
    batches: &'s [Vec<Signal>],
    times: &[Vec<i64>],
) -> Vec<&'s Signal> {
    debug_assert!(batches.iter().map(Vec::len).eq(times.iter().map(Vec::len)));
    debug_assert!(batches
        .iter()
        .all(|batch| batch.is_sorted_by(|a, b| order_of(a, b).is_le())));
    let next_of = |batch: usize, at: usize| {
        Reverse(Next {
            time: times[batch][at],
            signal: &batches[batch][at],
            batch,
            at,
        })
    };
    // Each batch's next signal, the earliest first.
    let mut next: BinaryHeap<Reverse<Next<'s>>> = (0..batches.len())
        .filter(|&b| !batches[b].is_empty())
        .map(|b| next_of(b, 0))
        .collect();
    let count = times.iter().map(Vec::len).sum();
    let mut out: Vec<&Signal> = Vec::with_capacity(count);
    while let Some(Reverse(Next { batch, mut at, .. })) = next.pop() {
        // This batch is followed while it stays before the next one's earliest signal.
        let until = next.peek().map(|Reverse(earliest)| *earliest);
        loop {
            out.push(&batches[batch][at]);
            at += 1;
            if at == batches[batch].len() {
                break;
            }
            let Reverse(candidate) = next_of(batch, at);
            if until.is_some_and(|until| candidate > until) {
                next.push(Reverse(candidate));
                break;
            }
        }
    }
    out
}

/// Whether `signals` are in their order ([`order_of`]), given each one's time as kept
/// (`times[i]` is `signals[i]`'s, by [`time_nanos`], none of them lost): the signals are read
/// only where two times are the same.
pub(crate) fn is_in_order(signals: &[Signal], times: &[i64]) -> bool {
    debug_assert_eq!(signals.len(), times.len());
    (1..times.len()).all(|i| match times[i - 1].cmp(&times[i]) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Equal => after_time(&signals[i - 1], &signals[i]).is_le(),
        std::cmp::Ordering::Greater => false,
    })
}

/// A batch's next signal in [`merged_in_order`], ordered by time (as kept), then by the rest
/// of the signals' order, then by batch.
#[derive(Clone, Copy)]
struct Next<'s> {
    time: i64,
    signal: &'s Signal,
    batch: usize,
    at: usize,
}

impl Ord for Next<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.time
            .cmp(&other.time)
            .then_with(|| after_time(self.signal, other.signal))
            .then(self.batch.cmp(&other.batch))
    }
}

impl PartialOrd for Next<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Next<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Next<'_> {}

/// Each of the `count` times as a number in the times' order (none first, then nanoseconds
/// after the earliest), with its place; `None` when the times span more than a `u64` of
/// nanoseconds (some 580 years: a clock gone wrong), which are then sorted as times.
fn time_keys(times: impl Times, count: usize) -> Option<Vec<(u64, usize)>> {
    let (min, max) = times.clone().flatten().fold(None, |span, t| match span {
        None => Some((t, t)),
        Some((min, max)) => Some((t.min(min), t.max(max))),
    })?;
    u64::try_from(max - min).ok()?.checked_add(1)?;
    let key = |t: Option<i128>| t.map_or(0, |t| (t - min) as u64 + 1);
    let mut keys = Vec::with_capacity(count);
    keys.extend(times.map(key).zip(0..));
    Some(keys)
}

/// Puts the runs of signals of one time (one key) in `order` into the rest of their order,
/// run by run on the current rayon pool.
fn sort_ties<K: PartialEq + Send, S: Borrow<Signal> + Sync>(
    signals: &[S],
    order: &mut [(K, usize)],
) {
    order
        .par_chunk_by_mut(|a, b| a.0 == b.0)
        .filter(|tied| tied.len() > 1)
        .for_each(|tied| {
            tied.sort_by(|a, b| {
                after_time(signals[a.1].borrow(), signals[b.1].borrow()).then(a.1.cmp(&b.1))
            });
        });
}

/// The order of two signals: by time, file, record id, zip member, record position, rule
/// and signal.
pub fn order_of(a: &Signal, b: &Signal) -> std::cmp::Ordering {
    a.time().cmp(&b.time()).then_with(|| after_time(a, b))
}

/// The order of two signals of one time.
fn after_time(a: &Signal, b: &Signal) -> std::cmp::Ordering {
    // Texts that are one shared copy are equal without reading them; most others differ in
    // their first byte (the rules' names do).
    let text = |x: &Text, y: &Text| {
        if Text::ptr_eq(x, y) {
            return std::cmp::Ordering::Equal;
        }
        match (x.as_bytes().first(), y.as_bytes().first()) {
            (Some(p), Some(q)) if p != q => p.cmp(q),
            _ => x.cmp(y),
        }
    };
    // The signals of one record share it, and so do those of the records that repeat it: of
    // one file and member, told apart by their record id and place.
    let record = || {
        if Arc::ptr_eq(&a.event, &b.event) {
            return (a.record_id(), a.origin_record()).cmp(&(b.record_id(), b.origin_record()));
        }
        let (x, y) = (&a.event.origin, &b.event.origin);
        text(&x.file, &y.file).then_with(|| {
            (a.record_id(), &x.member, a.origin_record()).cmp(&(
                b.record_id(),
                &y.member,
                b.origin_record(),
            ))
        })
    };
    // Signals of one rule's signal share its kind.
    record().then_with(|| {
        if Arc::ptr_eq(&a.kind, &b.kind) {
            std::cmp::Ordering::Equal
        } else {
            text(a.rule_id(), b.rule_id()).then_with(|| text(a.signal_id(), b.signal_id()))
        }
    })
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
    use std::sync::Arc;

    use super::*;
    use crate::engine::tests::event;
    use crate::event::Event;

    #[test]
    fn signals_sort_by_time_file_record_member_position_rule_and_signal_stably() {
        // Few distinct values of each key, so that ties are many and every key decides; each
        // signal is told by its keywords. File names are separate copies, as from two threads.
        let mut signals: Vec<Signal> = (0..600u64)
            .map(|n| {
                let pick = |k: u64, m: u64| (n.wrapping_mul(2654435761) >> k) % m;
                Signal {
                    kind: crate::signal::SignalKind::shared(
                        ["b", "a", "c"][pick(3, 3) as usize].into(),
                        ["y", "x"][pick(7, 2) as usize].into(),
                        crate::signal::Side::Server,
                    ),
                    own_fields: crate::signal::ALL_FIELDS,
                    repeat: None,
                    event: Arc::new(Event {
                        time: (pick(11, 4) > 0)
                            .then(|| jiff::Timestamp::from_second(pick(13, 3) as i64).unwrap()),
                        record_id: (pick(29, 4) > 0).then_some(pick(31, 3)),
                        keywords: Some(n),
                        origin: crate::event::Origin {
                            file: ["f2", "f1", "f10"][pick(17, 3) as usize].into(),
                            member: (pick(19, 3) > 0)
                                .then(|| ["m", "l"][pick(37, 2) as usize].into()),
                            record: (pick(23, 4) > 0).then_some(pick(5, 3)),
                            ..Default::default()
                        },
                        ..event("stopped")
                    }),
                }
            })
            .collect();
        // Two signals of one record, as a scan makes them.
        let shared = signals[0].renamed(Some("a"), None);
        signals.push(shared);
        // Records that repeat another but for their identity: they share its record and sort
        // by their own time, record id and place. Every other one holds its identity in short
        // (every value present, a record id other than 0); the rest are copies.
        for n in (5..signals.len()).step_by(5) {
            let mut identity = signals[n].identity();
            let short = n % 10 == 0;
            if short {
                identity.time = identity.time.or(jiff::Timestamp::from_second(1).ok());
                identity.record_id = Some(identity.record_id.unwrap_or(0) + 1);
                identity.process_id = Some(4);
                identity.thread_id = Some(n as u32);
                identity.origin_record = Some(identity.origin_record.unwrap_or(0));
            }
            signals[n] = Signal::repeated(&signals[n - 1], &identity);
            assert_eq!(signals[n].repeat.is_some(), short);
            assert_eq!(Arc::ptr_eq(&signals[n].event, &signals[n - 1].event), short);
        }
        let mut expected = signals.clone();
        expected.sort_by(|a, b| {
            let key = |s: &Signal| {
                let o = &s.event.origin;
                (
                    s.time(),
                    o.file.clone(),
                    s.record_id(),
                    o.member.clone(),
                    s.origin_record(),
                )
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.rule_id().cmp(b.rule_id()))
                .then_with(|| a.signal_id().cmp(b.signal_id()))
        });
        assert!(
            time_keys(times_of(&signals), signals.len()).is_some(),
            "times as numbers"
        );
        let refs = in_order(&signals.iter().collect::<Vec<_>>(), times_of(&signals));
        let refs: Vec<Signal> = refs.into_iter().cloned().collect();
        // The same signals handed over in batches cut at uneven places (an empty one among
        // them), merged.
        let mut batches: Vec<Vec<Signal>> = Vec::new();
        let mut rest: &[Signal] = &signals;
        for size in [1, 7, 64, 0, 3, 200].into_iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, after) = rest.split_at(size.min(rest.len()));
            batches.push(batch.to_vec());
            rest = after;
        }
        let merge = |batches: &[Vec<Signal>]| -> Vec<Signal> {
            let times: Vec<Vec<i64>> = batches
                .iter()
                .map(|batch| {
                    batch
                        .iter()
                        .map(|s| time_nanos(s.time()).unwrap())
                        .collect()
                })
                .collect();
            merged_in_order(batches, &times)
                .into_iter()
                .cloned()
                .collect()
        };
        // Each batch put in order, as a reading thread hands it over.
        for batch in &mut batches {
            batch.sort_by(order_of);
        }
        let merged = merge(&batches);
        // The same signals in batches of one time each, given latest first (merged by their
        // times), and in batches of two (a time's signals across batches, merged by the rest
        // of their order).
        let mut by_time: Vec<Vec<Signal>> = Vec::new();
        for signal in &expected {
            match by_time.last_mut() {
                Some(batch) if batch[0].time() == signal.time() => batch.push(signal.clone()),
                _ => by_time.push(vec![signal.clone()]),
            }
        }
        by_time.reverse();
        let by_two: Vec<Vec<Signal>> = expected.chunks(2).map(<[Signal]>::to_vec).collect();
        let merged_sorted = merge(&by_time);
        let merged_by_two = merge(&by_two);
        assert!(merged_in_order(&[], &[]).is_empty());
        assert!(merged_in_order(&[vec![], vec![]], &[vec![], vec![]]).is_empty());
        sort_signals(&mut signals);
        let ids = |v: &[Signal]| {
            v.iter()
                .map(|s| (s.event.keywords, s.rule_id().clone(), s.identity()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&signals), ids(&expected));
        assert_eq!(ids(&refs), ids(&expected), "references sort as signals do");
        assert_eq!(
            ids(&merged),
            ids(&expected),
            "batches merge as signals sort"
        );
        assert_eq!(
            ids(&merged_sorted),
            ids(&expected),
            "batches of one time merge as signals sort"
        );
        assert_eq!(
            ids(&merged_by_two),
            ids(&expected),
            "batches that share a time merge as signals sort"
        );
        assert!(signals.is_sorted_by(|a, b| order_of(a, b).is_le()));
    }

    /// Times further apart than a `u64` of nanoseconds are sorted as times, in the same order.
    #[test]
    fn times_centuries_apart_sort_as_times() {
        let times = [
            Some(jiff::Timestamp::MAX),
            None,
            Some(jiff::Timestamp::MIN),
            Some(jiff::Timestamp::from_second(7).unwrap()),
            Some(jiff::Timestamp::from_second(-7).unwrap()),
            None,
            Some(jiff::Timestamp::MIN),
        ];
        let mut signals: Vec<Signal> = times
            .iter()
            .enumerate()
            .map(|(n, &time)| Signal {
                kind: crate::signal::SignalKind::shared(
                    ["b", "a"][n % 2].into(),
                    "x".into(),
                    crate::signal::Side::Server,
                ),
                own_fields: crate::signal::ALL_FIELDS,
                repeat: None,
                event: Arc::new(Event {
                    time,
                    keywords: Some(n as u64),
                    ..event("stopped")
                }),
            })
            .collect();
        assert!(
            time_keys(times_of(&signals), signals.len()).is_none(),
            "a span beyond u64 nanoseconds"
        );
        let mut expected = signals.clone();
        expected.sort_by(order_of);
        let refs = in_order(&signals.iter().collect::<Vec<_>>(), times_of(&signals));
        let keywords = |v: &[Signal]| v.iter().map(|s| s.event.keywords).collect::<Vec<_>>();
        let refs: Vec<Signal> = refs.into_iter().cloned().collect();
        assert_eq!(
            keywords(&refs),
            keywords(&expected),
            "references sort as signals do"
        );
        sort_signals(&mut signals);
        assert_eq!(keywords(&signals), keywords(&expected));
        assert_eq!(signals[0].time(), None);
        assert_eq!(signals[6].time(), Some(jiff::Timestamp::MAX));
    }

    /// The short form of a time: none, and the instants at and beyond its ends.
    #[test]
    fn times_in_the_short_form() {
        let at = |n: i128| jiff::Timestamp::from_nanosecond(n).ok();
        assert_eq!(time_nanos(None), Some(NO_TIME));
        assert_eq!(time_nanos(at(-1)), Some(-1));
        assert_eq!(time_nanos(at(i64::MAX.into())), Some(i64::MAX));
        assert_eq!(time_nanos(at(i128::from(i64::MIN) + 1)), Some(i64::MIN + 1));
        // The one instant whose nanoseconds are the mark of no time, and those beyond.
        assert_eq!(time_nanos(at(i64::MIN.into())), None);
        assert_eq!(time_nanos(at(i128::from(i64::MAX) + 1)), None);
        assert_eq!(time_nanos(Some(jiff::Timestamp::MIN)), None);
        let kept = vec![vec![NO_TIME, -1], vec![7]];
        let times: Vec<Option<i128>> = kept_times(&kept).collect();
        assert_eq!(times, [None, Some(-1), Some(7)]);
    }

    #[test]
    fn permute_moves_each_item_to_its_place() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut items, vec![2, 0, 1, 4, 3]);
        assert_eq!(items, ['c', 'a', 'b', 'e', 'd']);
    }
}
