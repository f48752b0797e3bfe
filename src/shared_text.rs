//! One copy per thread of the texts that events and signals repeat.
//!
//! The System texts of a log's events (host, log, provider, user) and the rule and signal
//! names of a scan's matches repeat from record to record; a scan keeps its matches, often a
//! flood of thousands, to the end. Every event is built through `EventBuilder`, which takes
//! its texts from here, and every signal takes its kind (rule, signal name and side,
//! `SignalKind`) from here, so that each such text and kind is held once per thread instead of
//! once per event or signal. Per thread, so that threads never share a reference count that
//! every event would change.
//!
//! Bounded: a long text, or any text past [`MOST_BYTES`] in all (a crafted log naming a new
//! host in every record), is given as it is and not kept, and so is any kind past
//! [`MOST_KINDS`]; [`let_go`] ends a thread's copies.

use std::cell::RefCell;
use std::sync::Arc;

use crate::event::Text;
use crate::signal::{Side, SignalKind};

/// The bytes of text kept per thread, and the longest text kept.
const MOST_BYTES: usize = 4 << 20;
const LONGEST: usize = 256;

/// The most kinds of signal kept per thread (a rule pack has hundreds).
const MOST_KINDS: usize = 4096;

/// Where a text is used: the two texts last given at each place are tried first, without
/// hashing (the two signals of a TLS probe take turns at the rule and signal names).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    Computer,
    Channel,
    ProviderName,
    ProviderGuid,
    EventSourceName,
    UserSid,
    Rule,
    Signal,
}

const PLACES: usize = Place::Signal as usize + 1;

#[derive(Default)]
struct SharedText {
    texts: rustc_hash::FxHashSet<Text>,
    bytes: usize,
    /// The texts last given at each place, the latest first.
    last: [[Option<Text>; 2]; PLACES],
    /// The kinds of signal given, by their shared texts.
    kinds: rustc_hash::FxHashMap<(Text, Text, Side), Arc<SignalKind>>,
    /// The kinds last given, the latest first.
    last_kinds: [Option<Arc<SignalKind>>; 2],
}

thread_local! {
    static SHARED_TEXT: RefCell<SharedText> = Default::default();
}

/// This thread's copy of `text`, used at `place`.
pub(crate) fn shared(place: Place, text: &str) -> Text {
    SHARED_TEXT.with_borrow_mut(|shared| shared.get(place, text))
}

/// This thread's copy of the kind of signal `signal` of rule `rule`, on `side`.
pub(crate) fn shared_kind(rule: &str, signal: &str, side: Side) -> Arc<SignalKind> {
    SHARED_TEXT.with_borrow_mut(|shared| shared.kind(rule, signal, side))
}

/// Lets go of this thread's copies (those still in use stay with their users).
pub(crate) fn let_go() {
    SHARED_TEXT.with_borrow_mut(std::mem::take);
}

impl SharedText {
    fn get(&mut self, place: Place, text: &str) -> Text {
        let last = &mut self.last[place as usize];
        if let Some(latest) = last[0].as_ref().filter(|t| ***t == *text) {
            return Text::clone(latest);
        }
        if let Some(before) = last[1].as_ref().filter(|t| ***t == *text) {
            let before = Text::clone(before);
            last.swap(0, 1);
            return before;
        }
        let shared = match self.texts.get(text) {
            Some(shared) => Text::clone(shared),
            None => {
                let made = Text::from(text);
                if made.len() <= LONGEST && self.bytes + made.len() <= MOST_BYTES {
                    self.bytes += made.len();
                    self.texts.insert(Text::clone(&made));
                }
                made
            }
        };
        last[1] = last[0].replace(Text::clone(&shared));
        shared
    }

    fn kind(&mut self, rule: &str, signal: &str, side: Side) -> Arc<SignalKind> {
        let is = |k: &Option<Arc<SignalKind>>| {
            k.as_ref()
                .filter(|k| *k.rule_id == *rule && *k.signal_id == *signal && k.side == side)
                .map(Arc::clone)
        };
        if let Some(latest) = is(&self.last_kinds[0]) {
            return latest;
        }
        if let Some(before) = is(&self.last_kinds[1]) {
            self.last_kinds.swap(0, 1);
            return before;
        }
        let key = (
            self.get(Place::Rule, rule),
            self.get(Place::Signal, signal),
            side,
        );
        let kind = match self.kinds.get(&key) {
            Some(kind) => Arc::clone(kind),
            None => {
                let kind = SignalKind::shared(Text::clone(&key.0), Text::clone(&key.1), side);
                if self.kinds.len() < MOST_KINDS {
                    self.kinds.insert(key, Arc::clone(&kind));
                }
                kind
            }
        };
        self.last_kinds[1] = self.last_kinds[0].replace(Arc::clone(&kind));
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_shared_within_bounds() {
        let mut shared = SharedText::default();
        // Past its bounds, a text is still given, only not kept.
        let long = "x".repeat(LONGEST + 1);
        assert_eq!(*shared.get(Place::UserSid, &long), *long);
        assert!(!Text::ptr_eq(
            &shared.get(Place::Computer, &long),
            &shared.get(Place::Channel, &long)
        ));
        let mut n = 0;
        while shared.bytes + 8 <= MOST_BYTES {
            shared.get(Place::UserSid, &format!("{n:08}"));
            n += 1;
        }
        let late = shared.get(Place::Computer, "late");
        assert_eq!(&*late, "late");
        assert!(!Text::ptr_eq(&late, &shared.get(Place::Channel, "late")));
        assert!(shared.bytes <= MOST_BYTES);
        let seven = shared.get(Place::UserSid, "00000007");
        assert!(Text::ptr_eq(&seven, &shared.get(Place::Rule, "00000007")));
        // The texts last given at a place are the ones given again there, and only if equal.
        let last = shared.get(Place::Computer, "late");
        assert!(Text::ptr_eq(&last, &shared.get(Place::Computer, "late")));
        assert_eq!(&*shared.get(Place::Computer, "other"), "other");
        assert!(Text::ptr_eq(&last, &shared.get(Place::Computer, "late")));
        let long_other = shared.get(Place::Computer, &long);
        // Kinds of signal: one copy each, told apart by side too, however they take turns.
        let kinds = [
            ("r", "s", Side::Server),
            ("r", "s", Side::Client),
            ("r", "t", Side::Server),
        ];
        let first: Vec<_> = kinds
            .iter()
            .map(|&(r, s, d)| shared.kind(r, s, d))
            .collect();
        for _ in 0..3 {
            for (at, &(r, s, d)) in kinds.iter().enumerate().rev() {
                let kind = shared.kind(r, s, d);
                assert!(Arc::ptr_eq(&kind, &first[at]));
                assert_eq!((&*kind.rule_id, &*kind.signal_id, kind.side), (r, s, d));
            }
        }
        assert!(!Arc::ptr_eq(&first[0], &first[1]));
        assert_eq!(*long_other, *long);
        assert!(Text::ptr_eq(
            &long_other,
            &shared.get(Place::Computer, &long)
        ));
    }
}
