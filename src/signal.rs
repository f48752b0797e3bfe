//! `Signal`: the seam between collecting evidence and diagnosing it.
//!
//! `scan` is two functions with this plain, serializable value between them: the heavy,
//! parallel half reads every record and emits a `Signal` for each record that a rule's signal
//! matches; the small half (`diagnose`) groups signals per host and incident and ranks causes.
//! A later cluster run writes signals as versioned JSON lines in the map stage, so diagnosis
//! must be able to give the same answer from those lines alone: everything it needs is here.

use std::borrow::Cow;
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

/// One record matched by one signal of one rule.
///
/// Written and read as JSON with the record whole (a repeat's identity applied, see
/// [`Signal::record`]): the form is the same whether or not the record was a repeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "SignalLine", from = "SignalLine")]
pub struct Signal {
    /// The rule's `id`, e.g. `tls-mismatch`.
    pub rule_id: Text,
    /// The signal's name inside the rule, e.g. `no_common_cipher`.
    pub signal_id: Text,
    /// The side the rule says this signal is observed on.
    pub side: Side,
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
    /// instead of copied for each repeat. Behind a pointer, shared by the record's signals:
    /// signals are sorted and moved in their thousands, and most are not repeats.
    pub(crate) repeat: Option<Arc<Identity>>,
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
            rule_id: signal.rule_id,
            signal_id: signal.signal_id,
            side: signal.side,
            own_fields: signal.own_fields,
        }
    }
}

impl From<SignalLine> for Signal {
    fn from(line: SignalLine) -> Signal {
        Signal {
            rule_id: line.rule_id,
            signal_id: line.signal_id,
            side: line.side,
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
        (&self.rule_id, &self.signal_id, self.side, self.own_fields)
            == (
                &other.rule_id,
                &other.signal_id,
                other.side,
                other.own_fields,
            )
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
            rule_id,
            signal_id,
            side,
            event,
            own_fields: ALL_FIELDS,
            repeat: None,
        }
    }

    /// `base`'s signal again for a record that is `base`'s but for `identity`: what matching
    /// that record gives when no rule reads its identity. It shares `base`'s record.
    pub fn repeated(base: &Signal, identity: &Arc<Identity>) -> Signal {
        Signal {
            repeat: Some(Arc::clone(identity)),
            ..base.clone()
        }
    }

    /// The record's time, record id, process, thread and place in its source.
    pub fn identity(&self) -> Identity {
        self.repeat
            .as_deref()
            .map_or_else(|| Identity::of(&self.event), |id| *id)
    }

    /// `System/TimeCreated` of the record.
    pub fn time(&self) -> Option<Timestamp> {
        self.repeat.as_ref().map_or(self.event.time, |id| id.time)
    }

    /// `System/EventRecordID` of the record.
    pub fn record_id(&self) -> Option<u64> {
        self.repeat
            .as_ref()
            .map_or(self.event.record_id, |id| id.record_id)
    }

    /// The record's place in its source (`Origin::record`).
    pub fn origin_record(&self) -> Option<u64> {
        self.repeat
            .as_ref()
            .map_or(self.event.origin.record, |id| id.origin_record)
    }

    /// Whether the two signals are of one record (their records are one shared copy).
    pub fn same_record(&self, other: &Signal) -> bool {
        Arc::ptr_eq(&self.event, &other.event) && self.repeat == other.repeat
    }

    /// Whether the two signals were given by one record as it was read (not merely by two
    /// records alike): they hold the same copy of it and of its identity.
    pub fn given_together(&self, other: &Signal) -> bool {
        let same_identity = match (&self.repeat, &other.repeat) {
            (None, None) => true,
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            _ => false,
        };
        Arc::ptr_eq(&self.event, &other.event) && same_identity
    }

    /// The matching record whole: the shared one, or a copy with the repeat's identity.
    pub fn record(&self) -> Cow<'_, Event> {
        match &self.repeat {
            None => Cow::Borrowed(&self.event),
            Some(identity) => {
                let mut record = Event::clone(&self.event);
                identity.apply(&mut record);
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

    #[test]
    fn a_repeat_is_its_own_record_in_every_reading_and_in_serde() {
        let base = Signal::new(
            "r".into(),
            "s".into(),
            Side::Server,
            Arc::new(Event {
                fields: vec![Field::new("AlertDesc", "40")],
                event_id: 36888,
                time: Some(Timestamp::from_second(100).unwrap()),
                record_id: Some(7),
                process_id: Some(600),
                ..Event::default()
            }),
        );
        let identity = Identity {
            time: Some(Timestamp::from_second(101).unwrap()),
            record_id: Some(8),
            process_id: Some(601),
            thread_id: Some(9),
            origin_record: Some(8),
        };
        let repeat = Signal::repeated(&base, &Arc::new(identity));
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
