//! Building an [`Event`] from the parts of a record, whatever form it came in.
//!
//! The XML reader, the JSON reader and the EVTX reader all describe a record as the same
//! calls (a System element's text or attribute, a data item, a UserData leaf, the message), and
//! this one place turns those strings into the normalized `Event`. So the value rendering rules
//! that make the three forms of one log compare equal live here and nowhere else:
//!
//! * numbers are parsed from decimal or `0x` hex (`Keywords` is written `0x...`);
//! * GUIDs are upper-case in braces, wherever they appear ([`normalize_guid`]);
//! * booleans are `true` / `false` (JSON `true`, XML `true`);
//! * an absent or `null` value is the empty string;
//! * `Binary` is upper-case hex;
//! * times are parsed into UTC [`Timestamp`]s, at any sub-second precision.

use std::borrow::Cow;

use jiff::Timestamp;

use crate::event::{normalize_guid, Event, Field};
use crate::event_json::HeadSlot;
use crate::shared_text::{shared, Place};

/// Parses a decimal or `0x`-prefixed hexadecimal unsigned number, as Windows renders them.
pub(crate) fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else {
        text.parse::<u64>().ok()
    }
}

fn parse_u32(text: &str) -> Option<u32> {
    parse_number(text).and_then(|n| u32::try_from(n).ok())
}

/// Parses a record time (`2023-10-18T05:43:49.8327406Z`, any precision, any offset) as UTC.
pub(crate) fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    // Some exports omit the zone designator; Windows event times are UTC.
    format!("{text}Z").parse::<Timestamp>().ok()
}

/// Normalizes one data value so that the forms of a log agree: GUIDs upper-case in braces,
/// everything else as given.
pub(crate) fn normalize_value(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim();
    let len = trimmed.len();
    if (len == 36 || len == 38) && trimmed.contains('-') {
        let guid = normalize_guid(trimmed);
        if guid.len() == 38 && guid != value {
            return Cow::Owned(guid);
        }
    }
    Cow::Borrowed(value)
}

/// The head slots of the JSON line that the System element `element` (its attribute `attr`,
/// or its text when `None`) can set through the builder's `system_*` calls. A record program
/// writes the slots no value reaches as bytes made once (see `binxml::head`): this must name
/// every slot a call can touch (a test checks it against the builder).
pub(crate) fn head_slots(element: &str, attr: Option<&str>) -> &'static [HeadSlot] {
    use HeadSlot as S;
    match (element, attr) {
        // An id above 0xFFFF gives the qualifiers too.
        ("EventID", None) => &[S::EventId, S::Qualifiers],
        ("Version", None) => &[S::Version],
        ("Level", None) => &[S::Level],
        ("Task", None) => &[S::Task],
        ("Opcode", None) => &[S::Opcode],
        ("Keywords", None) => &[S::Keywords],
        ("EventRecordID", None) => &[S::RecordId],
        ("Channel", None) => &[S::Channel],
        ("Computer", None) => &[S::Computer],
        ("Provider", Some("Name")) => &[S::ProviderName],
        ("Provider", Some("Guid")) => &[S::ProviderGuid],
        ("Provider", Some("EventSourceName")) => &[S::EventSourceName],
        ("EventID", Some("Qualifiers")) => &[S::Qualifiers],
        ("TimeCreated", Some("SystemTime")) => &[S::Time],
        ("Correlation", Some("ActivityID")) => &[S::ActivityId],
        ("Correlation", Some("RelatedActivityID")) => &[S::RelatedActivityId],
        ("Execution", Some("ProcessID")) => &[S::ProcessId],
        ("Execution", Some("ThreadID")) => &[S::ThreadId],
        ("Security", Some("UserID")) => &[S::UserSid],
        _ => &[],
    }
}

/// The System elements the builder knows, each with its attributes, and one it does not (for
/// tests of the System calls and of what a record program makes of them).
#[cfg(test)]
pub(crate) const SYSTEM_NAMES: &[(&str, &[&str])] = &[
    ("EventID", &["Qualifiers"]),
    ("Version", &[]),
    ("Level", &[]),
    ("Task", &[]),
    ("Opcode", &[]),
    ("Keywords", &[]),
    ("EventRecordID", &[]),
    ("Channel", &[]),
    ("Computer", &[]),
    ("Provider", &["Name", "Guid", "EventSourceName"]),
    ("TimeCreated", &["SystemTime"]),
    ("Correlation", &["ActivityID", "RelatedActivityID"]),
    ("Execution", &["ProcessID", "ThreadID"]),
    ("Security", &["UserID"]),
    ("Other", &["Other"]),
];

/// Accumulates the parts of one record into an [`Event`].
#[derive(Debug, Default)]
pub(crate) struct EventBuilder {
    event: Event,
    unnamed_data: u32,
    has_system: bool,
    /// The positions in `fields` of the `<Binary>` items (hex, upper-cased, not normalized
    /// like other values): a record program must write them the same way.
    binary_fields: Vec<usize>,
    /// Values are kept as given, not normalized: a record program is read from such an
    /// event (its values hold markers), and normalizes when it writes.
    raw_values: bool,
}

impl EventBuilder {
    pub(crate) fn new() -> Self {
        EventBuilder::default()
    }

    /// A builder that keeps data values as given (see `raw_values`).
    pub(crate) fn with_raw_values() -> Self {
        EventBuilder {
            raw_values: true,
            ..EventBuilder::default()
        }
    }

    /// The text content of a `System` child element (`EventID`, `Level`, `Channel`, ...).
    pub(crate) fn system_text(&mut self, element: &str, text: &str) {
        match element {
            "EventID" | "Version" | "Level" | "Task" | "Opcode" | "Keywords" | "EventRecordID" => {
                self.system_number(element, parse_number(text))
            }
            "Channel" => self.event.channel = shared(Place::Channel, text.trim()),
            "Computer" => self.event.computer = shared(Place::Computer, text.trim()),
            _ => {}
        }
    }

    /// The content of a `System` child element as a number: parsed from its text, or given
    /// by a typed substitution value. `None` is a text that is no number.
    pub(crate) fn system_number(&mut self, element: &str, n: Option<u64>) {
        let e = &mut self.event;
        let small = n.and_then(|n| u32::try_from(n).ok());
        match element {
            // Classic events may carry the full 32-bit id: the low 16 bits are the id, the
            // high 16 bits the qualifiers. An id that is no number leaves the id as it was.
            "EventID" => match n {
                Some(id) if id > 0xFFFF => {
                    e.event_id = (id & 0xFFFF) as u32;
                    if e.qualifiers.is_none() {
                        e.qualifiers = Some(((id >> 16) & 0xFFFF) as u32);
                    }
                }
                Some(id) => e.event_id = id as u32,
                None => {}
            },
            "Version" => e.version = small,
            "Level" => e.level = small,
            "Task" => e.task = small,
            "Opcode" => e.opcode = small,
            "Keywords" => e.keywords = n,
            "EventRecordID" => e.record_id = n,
            other => {
                if let Some(n) = n {
                    self.system_text(other, itoa::Buffer::new().format(n));
                }
            }
        }
    }

    /// `TimeCreated/@SystemTime` given as a timestamp (a typed substitution value).
    pub(crate) fn system_time(&mut self, time: Timestamp) {
        self.event.time = Some(time);
    }

    /// An attribute of a `System` child element (`Provider/@Name`, `TimeCreated/@SystemTime`, ...).
    pub(crate) fn system_attr(&mut self, element: &str, attr: &str, value: &str) {
        let e = &mut self.event;
        let non_empty = |place| {
            let v = value.trim();
            (!v.is_empty()).then(|| shared(place, v))
        };
        let guid = || (!value.trim().is_empty()).then(|| normalize_guid(value));
        match (element, attr) {
            ("Provider", "Name") => e.provider.name = shared(Place::ProviderName, value.trim()),
            ("Provider", "Guid") => {
                e.provider.guid = guid().map(|g| shared(Place::ProviderGuid, &g))
            }
            ("Provider", "EventSourceName") => {
                e.provider.event_source_name = non_empty(Place::EventSourceName)
            }
            ("EventID", "Qualifiers") => e.qualifiers = parse_u32(value),
            ("TimeCreated", "SystemTime") => e.time = parse_time(value),
            ("Correlation", "ActivityID") => e.activity_id = guid(),
            ("Correlation", "RelatedActivityID") => e.related_activity_id = guid(),
            ("Execution", "ProcessID") => e.process_id = parse_u32(value),
            ("Execution", "ThreadID") => e.thread_id = parse_u32(value),
            ("Security", "UserID") => e.user_sid = non_empty(Place::UserSid),
            _ => {}
        }
    }

    /// A numeric attribute of a `System` child element given as a number (a typed
    /// substitution value): what [`EventBuilder::system_attr`] makes of its text. `false` for
    /// an attribute that is not numeric (the caller then gives its text).
    pub(crate) fn system_attr_number(&mut self, element: &str, attr: &str, n: u64) -> bool {
        let e = &mut self.event;
        let small = u32::try_from(n).ok();
        match (element, attr) {
            ("EventID", "Qualifiers") => e.qualifiers = small,
            ("Execution", "ProcessID") => e.process_id = small,
            ("Execution", "ThreadID") => e.thread_id = small,
            _ => return false,
        }
        true
    }

    /// One EventData `<Data>` item: named, or unnamed (then `Data1`, `Data2`, ... by position).
    pub(crate) fn data(&mut self, name: Option<&str>, value: &str) {
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => name.to_string(),
            None => {
                self.unnamed_data += 1;
                format!("Data{}", self.unnamed_data)
            }
        };
        self.field(name, value);
    }

    /// [`EventBuilder::data`] with the name already owned (no copy of it is made).
    pub(crate) fn data_owned(&mut self, name: Option<String>, value: &str) {
        match name {
            Some(name) if name.trim().len() == name.len() && !name.is_empty() => {
                self.field(name, value)
            }
            other => self.data(other.as_deref(), value),
        }
    }

    /// EventData `<Binary>`: hex, upper-cased.
    pub(crate) fn binary(&mut self, hex: &str) {
        let hex = hex.trim().to_ascii_uppercase();
        self.binary_fields.push(self.event.fields.len());
        self.event.fields.push(Field::new("Binary", hex));
    }

    /// A field under its final name (UserData leaves, other payload sections).
    pub(crate) fn field(&mut self, name: String, value: &str) {
        let value = if self.raw_values {
            value.to_string()
        } else {
            normalize_value(value).into_owned()
        };
        self.event.fields.push(Field { name, value });
    }

    /// `RenderingInfo/Message`.
    pub(crate) fn message(&mut self, text: &str) {
        self.event.message = Some(text.to_string());
    }

    /// Notes that the record has a `System` part (even an empty one, as in a damaged record).
    pub(crate) fn saw_system(&mut self) {
        self.has_system = true;
    }

    /// Whether a System part or head field has been seen; a document without one is not an
    /// event record.
    pub(crate) fn looks_like_event(&self) -> bool {
        self.has_system
            || !self.event.provider.name.is_empty()
            || self.event.event_id != 0
            || !self.event.channel.is_empty()
            || self.event.time.is_some()
    }

    /// See the field of that name.
    pub(crate) fn binary_fields(&self) -> &[usize] {
        &self.binary_fields
    }

    pub(crate) fn event(&self) -> &Event {
        &self.event
    }

    pub(crate) fn finish(self) -> Event {
        self.event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Text;
    use crate::event_json::write_head_slot;

    /// Events built one after another hold one copy of the System texts they repeat.
    #[test]
    fn built_events_share_their_repeated_texts() {
        let build = |user: &str| {
            let mut b = EventBuilder::new();
            b.system_text("Computer", "SRV01");
            b.system_text("Channel", "System");
            b.system_attr("Provider", "Name", "Schannel");
            b.system_attr("Provider", "Guid", "{1f678132-5938-4686-9fdc-c8ff68f15c85}");
            b.system_attr("Security", "UserID", user);
            b.finish()
        };
        let (a, b) = (build("S-1-5-18"), build("S-1-5-18"));
        let other_user = build("S-1-5-19");
        for (x, y) in [
            (&a.computer, &b.computer),
            (&a.channel, &b.channel),
            (&a.provider.name, &b.provider.name),
            (
                a.provider.guid.as_ref().unwrap(),
                b.provider.guid.as_ref().unwrap(),
            ),
            (a.user_sid.as_ref().unwrap(), b.user_sid.as_ref().unwrap()),
            (&a.computer, &other_user.computer),
        ] {
            assert!(Text::ptr_eq(x, y), "{x} is held twice");
        }
        assert_eq!(other_user.user_sid.as_deref(), Some("S-1-5-19"));
        assert_eq!(
            a.provider.guid.as_deref(),
            Some("{1F678132-5938-4686-9FDC-C8FF68F15C85}")
        );
    }

    /// Every `system_*` call of the builder, for each System element and attribute it knows
    /// (and some it does not), with texts and numbers of each kind, changes no head slot
    /// outside `head_slots`.
    #[test]
    fn head_slots_name_every_slot_a_system_call_sets() {
        let elements = SYSTEM_NAMES.iter().map(|(element, _)| *element);
        let attrs: Vec<&str> = SYSTEM_NAMES
            .iter()
            .flat_map(|(_, attrs)| *attrs)
            .copied()
            .collect();
        let texts = [
            "7",
            "0x1F",
            "3221232498",
            "4294967296",
            " text ",
            "",
            "{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}",
            "2023-10-18T05:43:49.8327406Z",
        ];
        let numbers = [0, 7, 70_000, 3_221_232_498, u64::MAX];
        let slot_texts = |e: &Event| {
            HeadSlot::ALL.map(|slot| {
                let mut out = Vec::new();
                write_head_slot(slot, e, &mut out);
                out
            })
        };
        let base = slot_texts(&Event::default());
        let check = |builder: EventBuilder, allowed: &[HeadSlot], what: &str| {
            let after = slot_texts(builder.event());
            for (i, slot) in HeadSlot::ALL.iter().enumerate() {
                if after[i] != base[i] {
                    assert!(allowed.contains(slot), "{what} sets {slot:?}");
                }
            }
        };
        for element in elements {
            let own = head_slots(element, None);
            for text in texts {
                let mut b = EventBuilder::new();
                b.system_text(element, text);
                check(b, own, &format!("{element} text {text:?}"));
            }
            for n in numbers {
                let mut b = EventBuilder::new();
                b.system_number(element, Some(n));
                check(b, own, &format!("{element} number {n}"));
            }
            for &attr in &attrs {
                let own = head_slots(element, Some(attr));
                for text in texts {
                    let mut b = EventBuilder::new();
                    b.system_attr(element, attr, text);
                    check(b, own, &format!("{element}/@{attr} text {text:?}"));
                }
                for n in numbers {
                    let mut b = EventBuilder::new();
                    b.system_attr_number(element, attr, n);
                    check(b, own, &format!("{element}/@{attr} number {n}"));
                }
            }
        }
        let mut b = EventBuilder::new();
        b.system_time(Timestamp::UNIX_EPOCH);
        check(
            b,
            head_slots("TimeCreated", Some("SystemTime")),
            "system_time",
        );
    }

    #[test]
    fn numbers_parse_in_decimal_and_hex() {
        assert_eq!(parse_number("0x80000000000000"), Some(0x80000000000000));
        assert_eq!(parse_number(" 4624 "), Some(4624));
        assert_eq!(parse_number("abc"), None);
    }

    #[test]
    fn times_parse_at_any_precision() {
        let a = parse_time("2023-10-18T05:43:49.8327406Z").unwrap();
        let b = parse_time("2023-10-18T05:43:49.832740600Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_time("2023-10-18T05:43:49.8327406").is_some());
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn guid_values_are_upper_cased_in_braces() {
        assert_eq!(
            normalize_value("{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}"),
            "{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}"
        );
        assert_eq!(normalize_value("plain text"), "plain text");
    }

    #[test]
    fn classic_full_ids_split_into_id_and_qualifiers() {
        let mut b = EventBuilder::new();
        b.system_text("EventID", "3221232498");
        let e = b.finish();
        assert_eq!(e.event_id, 7026);
        assert_eq!(e.qualifiers, Some(0xC000));
    }

    #[test]
    fn unnamed_data_get_positional_names() {
        let mut b = EventBuilder::new();
        b.data(None, "a");
        b.data(Some("Named"), "b");
        b.data(None, "c");
        let e = b.finish();
        let names: Vec<_> = e.fields.iter().map(|f| &*f.name).collect();
        assert_eq!(names, ["Data1", "Named", "Data2"]);
    }
}
