//! `Signal`: the seam between collecting evidence and diagnosing it.
//!
//! `scan` is two functions with this plain, serializable value between them: the heavy,
//! parallel half reads every record and emits a `Signal` for each record that a rule's signal
//! matches; the small half (`diagnose`) groups signals per host and incident and ranks causes.
//! A later cluster run writes signals as versioned JSON lines in the map stage, so diagnosis
//! must be able to give the same answer from those lines alone: everything it needs is here.

use std::borrow::Cow;
use std::num::NonZeroU64;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::{Event, Field, Identity, SystemName, Text};

/// Version of the serialized `Signal` shape (JSON lines between the two halves of `scan`).
/// 2: `own_fields`, the fields of a shared record that are the signal's own (absent: all).
pub const SIGNAL_FORMAT_VERSION: u32 = 2;

/// Which machine of an RDP connection a piece of evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The connecting machine (mstsc, RDPClient log, LsaSrv 6041 ...).
    Client,
    /// The RD Session Host / target PC.
    Server,
    /// An RD Gateway.
    Gateway,
    /// An RD Connection Broker.
    Broker,
    /// A domain controller.
    Dc,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
            Side::Gateway => "gateway",
            Side::Broker => "broker",
            Side::Dc => "dc",
        })
    }
}

/// What one signal of one rule says, apart from the record it was found in. Shared by the
/// signals it gives (one copy per reading thread: `shared_text::shared_kind`), so that a
/// signal holds one pointer for it instead of two texts and a side.
#[derive(Debug, PartialEq, Eq)]
pub struct SignalKind {
    /// The rule's `id`, e.g. `tls-mismatch`.
    pub rule_id: Text,
    /// The signal's name inside the rule, e.g. `no_common_cipher`.
    pub signal_id: Text,
    /// The side the rule says this signal is observed on.
    pub side: Side,
}

impl SignalKind {
    /// A kind to share among the signals it gives.
    pub fn shared(rule_id: Text, signal_id: Text, side: Side) -> Arc<SignalKind> {
        Arc::new(SignalKind {
            rule_id,
            signal_id,
            side,
        })
    }
}

/// One record matched by one signal of one rule.
///
/// Written and read as JSON with the record whole (a repeat's identity applied, see
/// [`Signal::record`]): the form is the same whether or not the record was a repeat.
/// Three words and a repeat's identity (64 bytes): a scan keeps a flood's hundreds of
/// thousands to the end.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "SignalLine", from = "SignalLine")]
pub struct Signal {
    /// The rule, signal and side ([`Signal::rule_id`], [`Signal::signal_id`],
    /// [`Signal::side`]).
    pub(crate) kind: Arc<SignalKind>,
    /// The matching record, but for its identity when it repeats another
    /// ([`Signal::repeated`]): read its time, record id, process, thread and place in its
    /// source (`origin.record`) through [`Signal::time`], [`Signal::record_id`],
    /// [`Signal::field`], [`Signal::origin_record`], or the whole record through
    /// [`Signal::record`]. Its `fields` are cut down to those that the rules it matched name
    /// as evidence or use for correlation, so that a flood of matches stays small in memory.
    /// Shared: the signals of one record (it often matches a background rule and a cause) hold
    /// one copy, and so do those of the records that repeat it; signals are moved, sorted and
    /// grouped in their thousands.
    pub(crate) event: Arc<Event>,
    /// Which of the record's fields are this signal's own (bit `i`: `event.fields[i]`): those
    /// its rule keeps. The record holds those of every signal that shares it; this signal's
    /// diagnosis and evidence read only its own ([`Signal::field`], [`Signal::fields`]).
    /// Written as a JSON number up to 2^64 - 1 (absent when all): a reader must hold it as a
    /// 64-bit integer, not as a double.
    pub own_fields: u64,
    /// For a record that repeats an earlier one of its chunk but for its identity (a flood:
    /// see `source::binxml::repeat`), that identity; `event` is then the earlier record, shared
    /// instead of copied for each repeat. Held here, in 40 bytes, not behind a pointer: a
    /// flood's records would each cost an allocation, and memory touched for the first time
    /// is most of what a flood costs.
    pub(crate) repeat: Option<RepeatIdentity>,
}

/// A repeat's [`Identity`] as its signal holds it: in 40 bytes, where `Identity` takes 72,
/// with every value present and a record id other than 0, as a flood's records have them
/// (a repeat without is copied whole instead: [`Signal::repeated`]). The time is kept as it is,
/// not as numbers that would be checked again each time it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RepeatIdentity {
    time: Timestamp,
    /// Never 0, which leaves `Option<RepeatIdentity>` the same size.
    record_id: NonZeroU64,
    origin_record: u64,
    process_id: u32,
    thread_id: u32,
}

impl RepeatIdentity {
    /// `identity` as a signal holds it, when it can be.
    pub(crate) fn of(identity: &Identity) -> Option<RepeatIdentity> {
        Some(RepeatIdentity {
            time: identity.time?,
            record_id: NonZeroU64::new(identity.record_id?)?,
            origin_record: identity.origin_record?,
            process_id: identity.process_id?,
            thread_id: identity.thread_id?,
        })
    }

    fn identity(&self) -> Identity {
        Identity {
            time: Some(self.time),
            record_id: Some(self.record_id.get()),
            process_id: Some(self.process_id),
            thread_id: Some(self.thread_id),
            origin_record: Some(self.origin_record),
        }
    }
}

/// [`Signal`] as written: the record whole.
#[derive(Serialize, Deserialize)]
struct SignalLine {
    rule_id: Text,
    signal_id: Text,
    side: Side,
    event: Arc<Event>,
    #[serde(default = "all_fields", skip_serializing_if = "is_all_fields")]
    own_fields: u64,
}

impl From<Signal> for SignalLine {
    fn from(signal: Signal) -> SignalLine {
        SignalLine {
            event: match signal.record() {
                Cow::Borrowed(_) => signal.event,
                Cow::Owned(record) => Arc::new(record),
            },
            rule_id: Text::clone(&signal.kind.rule_id),
            signal_id: Text::clone(&signal.kind.signal_id),
            side: signal.kind.side,
            own_fields: signal.own_fields,
        }
    }
}

impl From<SignalLine> for Signal {
    fn from(line: SignalLine) -> Signal {
        Signal {
            kind: SignalKind::shared(line.rule_id, line.signal_id, line.side),
            event: line.event,
            own_fields: line.own_fields,
            repeat: None,
        }
    }
}

/// Two signals are equal when they say the same of the same record, whether or not it came
/// as a repeat.
impl PartialEq for Signal {
    fn eq(&self, other: &Signal) -> bool {
        (Arc::ptr_eq(&self.kind, &other.kind) || self.kind == other.kind)
            && self.own_fields == other.own_fields
            && self.identity() == other.identity()
            && (Arc::ptr_eq(&self.event, &other.event) || self.record() == other.record())
    }
}

impl Eq for Signal {}

/// [`Signal::own_fields`] when every field of the record is the signal's own.
pub const ALL_FIELDS: u64 = u64::MAX;

/// The most fields a shared record has: one bit of [`Signal::own_fields`] each. A record with
/// more is copied for each of its signals, which then own all of theirs.
pub const MARKED_FIELDS: usize = 64;

fn all_fields() -> u64 {
    ALL_FIELDS
}

fn is_all_fields(own: &u64) -> bool {
    *own == ALL_FIELDS
}

impl Signal {
    /// A signal whose every field of `event` is its own.
    pub fn new(rule_id: Text, signal_id: Text, side: Side, event: Arc<Event>) -> Signal {
        Signal {
            kind: SignalKind::shared(rule_id, signal_id, side),
            event,
            own_fields: ALL_FIELDS,
            repeat: None,
        }
    }

    /// `base`'s signal again for a record that is `base`'s but for `identity`: what matching
    /// that record gives when no rule reads its identity. It shares `base`'s record and holds
    /// the identity in short ([`RepeatIdentity`]); an identity that cannot be held so is
    /// applied to a copy of the record instead ([`Signal::copied_with`]).
    pub fn repeated(base: &Signal, identity: &Identity) -> Signal {
        match RepeatIdentity::of(identity) {
            Some(repeat) => Signal::repeating(base, repeat),
            None => base.on_copy(identity),
        }
    }

    /// This signal on a copy of its record with `identity` applied.
    fn on_copy(&self, identity: &Identity) -> Signal {
        let mut record = self.record().into_owned();
        identity.apply(&mut record);
        Signal {
            event: Arc::new(record),
            repeat: None,
            ..self.clone()
        }
    }

    /// `signals` (one record's) again for a record that is theirs but for `identity`, each on
    /// a copy of its record with the identity applied: those that share a record share its
    /// copy, as the signals of one record read in full do.
    pub(crate) fn copied_with(signals: &[Signal], identity: &Identity) -> Vec<Signal> {
        let mut copies: Vec<Signal> = Vec::with_capacity(signals.len());
        for signal in signals {
            let shared = signals
                .iter()
                .zip(&copies)
                .find(|(earlier, _)| Arc::ptr_eq(&earlier.event, &signal.event));
            copies.push(match shared {
                Some((_, copy)) => Signal {
                    event: Arc::clone(&copy.event),
                    repeat: None,
                    ..signal.clone()
                },
                None => signal.on_copy(identity),
            });
        }
        copies
    }

    /// [`Signal::repeated`] for an identity already in short.
    pub(crate) fn repeating(base: &Signal, repeat: RepeatIdentity) -> Signal {
        Signal {
            repeat: Some(repeat),
            ..base.clone()
        }
    }

    /// This signal as if given by another rule or signal of the same side (tests).
    #[cfg(test)]
    pub(crate) fn renamed(&self, rule_id: Option<&str>, signal_id: Option<&str>) -> Signal {
        Signal {
            kind: SignalKind::shared(
                rule_id.map_or_else(|| Text::clone(self.rule_id()), Text::from),
                signal_id.map_or_else(|| Text::clone(self.signal_id()), Text::from),
                self.side(),
            ),
            ..self.clone()
        }
    }

    /// The rule's `id`, e.g. `tls-mismatch`.
    pub fn rule_id(&self) -> &Text {
        &self.kind.rule_id
    }

    /// The signal's name inside the rule, e.g. `no_common_cipher`.
    pub fn signal_id(&self) -> &Text {
        &self.kind.signal_id
    }

    /// The side the rule says this signal is observed on.
    pub fn side(&self) -> Side {
        self.kind.side
    }

    /// The record's time, record id, process, thread and place in its source.
    pub fn identity(&self) -> Identity {
        self.repeat
            .as_ref()
            .map_or_else(|| Identity::of(&self.event), RepeatIdentity::identity)
    }

    /// `System/TimeCreated` of the record.
    pub fn time(&self) -> Option<Timestamp> {
        self.repeat
            .as_ref()
            .map_or(self.event.time, |r| Some(r.time))
    }

    /// `System/EventRecordID` of the record.
    pub fn record_id(&self) -> Option<u64> {
        self.repeat
            .as_ref()
            .map_or(self.event.record_id, |r| Some(r.record_id.get()))
    }

    /// The record's place in its source (`Origin::record`).
    pub fn origin_record(&self) -> Option<u64> {
        self.repeat
            .as_ref()
            .map_or(self.event.origin.record, |r| Some(r.origin_record))
    }

    /// Whether the two signals are of one record as it was read: they hold one shared copy
    /// of it and the same identity. (A scan never gives two records both: the second of two
    /// repeats of one record with one identity gets a copy of its own.)
    pub fn same_record(&self, other: &Signal) -> bool {
        Arc::ptr_eq(&self.event, &other.event) && self.repeat == other.repeat
    }

    /// The matching record whole: the shared one, or a copy with the repeat's identity.
    pub fn record(&self) -> Cow<'_, Event> {
        match &self.repeat {
            None => Cow::Borrowed(&self.event),
            Some(identity) => {
                let mut record = Event::clone(&self.event);
                identity.identity().apply(&mut record);
                Cow::Owned(record)
            }
        }
    }

    /// The host that logged the evidence (`System/Computer`).
    pub fn host(&self) -> &str {
        &self.event.computer
    }

    /// The record's fields that are this signal's own, in record order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> + '_ {
        let own = self.own_fields;
        let is_own = move |i: usize| own == ALL_FIELDS || (i < MARKED_FIELDS && own >> i & 1 == 1);
        self.event
            .fields
            .iter()
            .enumerate()
            .filter(move |&(i, _)| is_own(i))
            .map(|(_, f)| f)
    }

    /// [`Event::get`] as this signal sees the record: its own fields, then the System fields.
    pub fn field(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut value = [None];
        self.fields_named(&[(name, SystemName::of(name))], &mut value);
        let [value] = value;
        value
    }

    /// [`Signal::field`] for several names at once, in one pass over the own fields: each
    /// name with the System field it denotes ([`SystemName::of`], told once by the caller).
    /// `values[i]` is set to the value of `names[i]`.
    pub fn fields_named<'s>(
        &'s self,
        names: &[(&str, Option<SystemName>)],
        values: &mut [Option<Cow<'s, str>>],
    ) {
        values.iter_mut().for_each(|v| *v = None);
        for field in self.fields() {
            for ((name, _), value) in names.iter().zip(values.iter_mut()) {
                if value.is_none() && field.name.eq_ignore_ascii_case(name) {
                    *value = Some(Cow::Borrowed(field.value.as_str()));
                }
            }
        }
        for ((_, system), value) in names.iter().zip(values.iter_mut()) {
            if value.is_none() {
                *value = system.and_then(|name| match &self.repeat {
                    Some(identity) => identity
                        .identity()
                        .value(name)
                        .unwrap_or_else(|| self.event.system_value(name)),
                    None => self.event.system_value(name),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signal of a TLS alert record (36888) with this System part.
    fn alert(system: Event) -> Signal {
        let event = Event {
            fields: vec![Field::new("AlertDesc", "40")],
            event_id: 36888,
            ..system
        };
        Signal::new("r".into(), "s".into(), Side::Server, Arc::new(event))
    }

    #[test]
    fn a_repeat_is_its_own_record_in_every_reading_and_in_serde() {
        let base = alert(Event {
            time: Some(Timestamp::from_second(100).unwrap()),
            record_id: Some(7),
            process_id: Some(600),
            ..Event::default()
        });
        let identity = Identity {
            time: Some(Timestamp::from_second(101).unwrap()),
            record_id: Some(8),
            process_id: Some(601),
            thread_id: Some(9),
            origin_record: Some(8),
        };
        let repeat = Signal::repeated(&base, &identity);
        let mut full = Event::clone(&base.event);
        identity.apply(&mut full);
        let in_full = Signal::new("r".into(), "s".into(), Side::Server, Arc::new(full));
        assert!(Arc::ptr_eq(&repeat.event, &base.event));
        assert_eq!(repeat, in_full);
        assert_ne!(repeat, base);
        assert!(!repeat.same_record(&base) && base.same_record(&base.clone()));
        assert_eq!(
            (repeat.time(), repeat.record_id()),
            (identity.time, Some(8))
        );
        assert_eq!(repeat.origin_record(), Some(8));
        for name in [
            "EventRecordID",
            "ProcessID",
            "ThreadID",
            "TimeCreated",
            "AlertDesc",
        ] {
            assert_eq!(repeat.field(name), in_full.field(name), "{name}");
        }
        let text = serde_json::to_string(&repeat).unwrap();
        assert_eq!(text, serde_json::to_string(&in_full).unwrap());
        let back: Signal = serde_json::from_str(&text).unwrap();
        assert_eq!(back, in_full);
    }

    /// A repeat is its own record whether its identity is held in short or, a value being
    /// absent or its record id 0, applied to a copy of the record; a signal is 64 bytes.
    #[test]
    fn a_repeat_is_its_record_with_its_identity_held_in_short_or_not() {
        let base = alert(Event {
            time: Timestamp::new(-5, -7).ok(),
            record_id: Some(7),
            ..Event::default()
        });
        for time in [
            None,
            Some(Timestamp::MIN),
            Timestamp::new(1, 999_999_999).ok(),
        ] {
            for record_id in [None, Some(0), Some(u64::MAX)] {
                for other in 0..8 {
                    let value = |bit: u32, v: u32| (other >> bit & 1 == 1).then_some(v);
                    let identity = Identity {
                        time,
                        record_id,
                        process_id: value(0, 0),
                        thread_id: value(1, u32::MAX),
                        origin_record: value(2, 9).map(u64::from),
                    };
                    let short = RepeatIdentity::of(&identity);
                    let whole = time.is_some() && record_id.is_some_and(|id| id != 0) && other == 7;
                    assert_eq!(short.is_some(), whole, "{identity:?}");
                    assert!(short.is_none_or(|short| short.identity() == identity));
                    let repeat = Signal::repeated(&base, &identity);
                    assert_eq!(repeat.repeat.is_some(), whole);
                    assert_eq!(repeat.identity(), identity);
                    let mut full = Event::clone(&base.event);
                    identity.apply(&mut full);
                    assert_eq!(*repeat.record(), full);
                    assert_eq!(
                        (repeat.time(), repeat.record_id(), repeat.origin_record()),
                        (time, record_id, identity.origin_record)
                    );
                    let thread = identity.thread_id.map(|t| t.to_string());
                    assert_eq!(repeat.field("ThreadID").as_deref(), thread.as_deref());
                }
            }
        }
        #[cfg(target_pointer_width = "64")]
        {
            assert_eq!(std::mem::size_of::<Option<RepeatIdentity>>(), 40);
            assert_eq!(std::mem::size_of::<Signal>(), 64);
        }
    }

    #[test]
    fn a_signal_reads_its_own_fields_of_a_shared_record_also_after_serde() {
        let event = Arc::new(Event {
            fields: vec![
                Field::new("AlertDesc", "40"),
                Field::new("ErrorState", "1203"),
            ],
            event_id: 36888,
            ..Event::default()
        });
        let mut own = Signal::new("r".into(), "s".into(), Side::Server, Arc::clone(&event));
        own.own_fields = 0b01;
        let all = Signal::new("t".into(), "u".into(), Side::Server, event);
        let names = |s: &Signal| s.fields().map(|f| f.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&own), ["AlertDesc"]);
        assert_eq!(own.field("errorstate"), None);
        assert_eq!(own.field("EventID").as_deref(), Some("36888"));
        assert_eq!(names(&all), ["AlertDesc", "ErrorState"]);
        for signal in [own, all] {
            let text = serde_json::to_string(&signal).unwrap();
            assert_eq!(text.contains("own_fields"), signal.own_fields != ALL_FIELDS);
            let back: Signal = serde_json::from_str(&text).unwrap();
            assert_eq!(names(&back), names(&signal));
        }
    }
}
