//! `Event`: the one normalized record that every reader produces and every consumer reads.
//!
//! The same log exported as `.evtx`, as XML (`wevtutil qe /f:xml`, Event Viewer "Save as XML")
//! or as `evtx_dump` JSON must normalize to equal `Event`s (apart from `origin`), so every
//! reader renders values the way the Windows XML rendering does: numbers in decimal, GUIDs
//! upper-case in braces, binary as upper-case hex, times as UTC.
//!
//! Field lookup is case-insensitive, as in Sigma, and the System fields answer under their
//! Sigma names (`EventID`, `Provider_Name`, `Channel`, `Computer`, ...), see [`Event::get`].

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Text that many events repeat (a host, a log, a provider, a file): shared,
/// so that a scan keeping a flood of matches holds each such text once, not once per event.
pub type Text = Arc<str>;

/// A normalized Windows event record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Event {
    /// `System/TimeCreated/@SystemTime`, always UTC. `None` when the record carries no time.
    pub time: Option<Timestamp>,
    /// `System/Computer`, as the host wrote it (often an FQDN).
    pub computer: Text,
    /// `System/Channel`, e.g. `System` or `Microsoft-Windows-TerminalServices-RDPClient/Operational`.
    pub channel: Text,
    pub provider: Provider,
    /// The numeric event id (the low 16 bits for classic events; `qualifiers` holds the rest).
    pub event_id: u32,
    /// `System/EventID/@Qualifiers` of classic (message-table) events, e.g. 49152.
    pub qualifiers: Option<u32>,
    pub version: Option<u32>,
    pub level: Option<u32>,
    pub task: Option<u32>,
    pub opcode: Option<u32>,
    /// `System/Keywords` as a number (rendered `0x...` in XML).
    pub keywords: Option<u64>,
    /// `System/EventRecordID`.
    pub record_id: Option<u64>,
    /// `System/Correlation/@ActivityID`, normalized with [`normalize_guid`].
    pub activity_id: Option<String>,
    /// `System/Correlation/@RelatedActivityID`, normalized with [`normalize_guid`].
    pub related_activity_id: Option<String>,
    pub process_id: Option<u32>,
    pub thread_id: Option<u32>,
    /// `System/Security/@UserID`.
    pub user_sid: Option<Text>,
    /// EventData and UserData, in document order; see [`Field`] for the naming.
    pub fields: Vec<Field>,
    /// `RenderingInfo/Message` when the input carries one (rendered, possibly localized).
    pub message: Option<String>,
    /// Where the record came from. Not part of a record's identity across forms.
    pub origin: Origin,
}

/// `System/Provider`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Provider {
    /// `@Name`, e.g. `Schannel`, `Microsoft-Windows-Security-Auditing`.
    pub name: Text,
    /// `@Guid`, normalized with [`normalize_guid`].
    pub guid: Option<Text>,
    /// `@EventSourceName` of classic events, e.g. `TermService`.
    pub event_source_name: Option<Text>,
}

/// One data item of a record.
///
/// Naming: EventData `<Data Name="X">` gives `X`; unnamed `<Data>` gives `Data1`, `Data2`, ...
/// by position; `<Binary>` gives `Binary` (upper-case hex); UserData child elements are
/// flattened to their element names (LocalSessionManager 40 gives `Session` and `Reason`;
/// nested elements are joined with `.` below the first level, e.g. `Parent.Child`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

impl Field {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Where a record came from: enough to find it again and to report an error against it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Origin {
    /// The file as the user named it (or as found while walking a folder).
    pub file: Text,
    /// The member's name inside a `.zip`, when the file is an archive. Never used as a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The EVTX chunk number (0-based), for `.evtx` input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<u64>,
    /// The record's position: EVTX record id, or the 1-based record number in XML/JSON input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(member) = &self.member {
            write!(f, "!{member}")?;
        }
        if let Some(chunk) = self.chunk {
            write!(f, " chunk {chunk}")?;
        }
        if let Some(record) = self.record {
            write!(f, " record {record}")?;
        }
        Ok(())
    }
}

impl Event {
    /// Looks a field up by name, case-insensitively, as a Sigma rule names it.
    ///
    /// Data fields (EventData, UserData, positional `DataN`, `Binary`) are tried first, then
    /// the System fields under their Sigma names: `EventID`, `Provider_Name` (also `Provider`),
    /// `Provider_Guid`, `EventSourceName`, `Channel`, `Computer`, `Level`, `Task`, `Opcode`,
    /// `Keywords`, `Version`, `Qualifiers`, `EventRecordID`, `ActivityID`,
    /// `RelatedActivityID`, `ProcessID`, `ThreadID`, `UserID` (also `SecurityUserID`),
    /// `TimeCreated` (RFC 3339), `Message`.
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(field) = self
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
        {
            return Some(Cow::Borrowed(field.value.as_str()));
        }
        self.system_field(name)
    }

    /// The System part of [`Event::get`], without the data fields.
    pub fn system_field(&self, name: &str) -> Option<Cow<'_, str>> {
        self.system_value(SystemName::of(name)?)
    }

    /// The value of a System field named once ([`SystemName::of`]): what
    /// [`Event::system_field`] gives for its name, without reading the name again.
    pub fn system_value(&self, name: SystemName) -> Option<Cow<'_, str>> {
        let owned = |v: Option<String>| v.map(Cow::Owned);
        match name {
            SystemName::EventId => Some(Cow::Owned(self.event_id.to_string())),
            SystemName::Provider => Some(Cow::Borrowed(self.provider.name.as_ref())),
            SystemName::ProviderGuid => self.provider.guid.as_deref().map(Cow::Borrowed),
            SystemName::EventSourceName => self
                .provider
                .event_source_name
                .as_deref()
                .map(Cow::Borrowed),
            SystemName::Channel => Some(Cow::Borrowed(self.channel.as_ref())),
            SystemName::Computer => Some(Cow::Borrowed(self.computer.as_ref())),
            SystemName::Level => owned(self.level.map(|v| v.to_string())),
            SystemName::Task => owned(self.task.map(|v| v.to_string())),
            SystemName::Opcode => owned(self.opcode.map(|v| v.to_string())),
            SystemName::Keywords => owned(self.keywords.map(|v| format!("0x{v:x}"))),
            SystemName::Version => owned(self.version.map(|v| v.to_string())),
            SystemName::Qualifiers => owned(self.qualifiers.map(|v| v.to_string())),
            SystemName::ActivityId => self.activity_id.as_deref().map(Cow::Borrowed),
            SystemName::RelatedActivityId => self.related_activity_id.as_deref().map(Cow::Borrowed),
            SystemName::UserId => self.user_sid.as_deref().map(Cow::Borrowed),
            SystemName::Message => self.message.as_deref().map(Cow::Borrowed),
            SystemName::EventRecordId
            | SystemName::ProcessId
            | SystemName::ThreadId
            | SystemName::TimeCreated => Identity::of(self).value(name).flatten(),
        }
    }
}

/// What tells apart records that are otherwise the same: a flood of one event (a scanner's TLS
/// probes, a service failing in a loop) repeats everything but these from record to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub time: Option<Timestamp>,
    pub record_id: Option<u64>,
    pub process_id: Option<u32>,
    pub thread_id: Option<u32>,
    /// The record's place in its source (`Origin::record`).
    pub origin_record: Option<u64>,
}

impl Identity {
    /// The identity of `event`.
    pub fn of(event: &Event) -> Identity {
        Identity {
            time: event.time,
            record_id: event.record_id,
            process_id: event.process_id,
            thread_id: event.thread_id,
            origin_record: event.origin.record,
        }
    }

    /// The value of `name` when it is one of the identity's System fields (`Some`, holding
    /// `None` when the record lacks it); `None` for any other field.
    pub fn value(&self, name: SystemName) -> Option<Option<Cow<'static, str>>> {
        let text = |v: Option<String>| v.map(Cow::Owned);
        Some(match name {
            SystemName::EventRecordId => text(self.record_id.map(|v| v.to_string())),
            SystemName::ProcessId => text(self.process_id.map(|v| v.to_string())),
            SystemName::ThreadId => text(self.thread_id.map(|v| v.to_string())),
            SystemName::TimeCreated => text(self.time.map(|t| t.to_string())),
            _ => return None,
        })
    }

    /// Whether `name` is one of the identity's System fields: the fields in which a repeat
    /// differs from the record it repeats.
    pub fn tells(name: SystemName) -> bool {
        // The fields `value` answers for, told by asking it (nothing is made for none).
        const NONE: Identity = Identity {
            time: None,
            record_id: None,
            process_id: None,
            thread_id: None,
            origin_record: None,
        };
        NONE.value(name).is_some()
    }

    /// Gives `event` this identity.
    pub fn apply(&self, event: &mut Event) {
        event.time = self.time;
        event.record_id = self.record_id;
        event.process_id = self.process_id;
        event.thread_id = self.thread_id;
        event.origin.record = self.origin_record;
    }
}

/// A System field as a rule names it (see [`Event::get`]), told from its name once: a rule's
/// field is looked up in every record of a flood, most often one the record does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemName {
    EventId,
    Provider,
    ProviderGuid,
    EventSourceName,
    Channel,
    Computer,
    Level,
    Task,
    Opcode,
    Keywords,
    Version,
    Qualifiers,
    EventRecordId,
    ActivityId,
    RelatedActivityId,
    ProcessId,
    ThreadId,
    UserId,
    TimeCreated,
    Message,
}

impl SystemName {
    /// The System field `name` denotes (case-insensitive); `None` for a data field's name.
    pub fn of(name: &str) -> Option<SystemName> {
        // Lower-cased on the stack: no name of one is longer.
        let mut lower = [0u8; 24];
        let lower = lower.get_mut(..name.len()).and_then(|lower| {
            lower.copy_from_slice(name.as_bytes());
            lower.make_ascii_lowercase();
            std::str::from_utf8(lower).ok()
        })?;
        Some(match lower {
            "eventid" => SystemName::EventId,
            "provider_name" | "provider" | "providername" => SystemName::Provider,
            "provider_guid" => SystemName::ProviderGuid,
            "eventsourcename" => SystemName::EventSourceName,
            "channel" => SystemName::Channel,
            "computer" => SystemName::Computer,
            "level" => SystemName::Level,
            "task" => SystemName::Task,
            "opcode" => SystemName::Opcode,
            "keywords" => SystemName::Keywords,
            "version" => SystemName::Version,
            "qualifiers" => SystemName::Qualifiers,
            "eventrecordid" => SystemName::EventRecordId,
            "activityid" => SystemName::ActivityId,
            "relatedactivityid" => SystemName::RelatedActivityId,
            "processid" => SystemName::ProcessId,
            "threadid" => SystemName::ThreadId,
            "userid" | "securityuserid" => SystemName::UserId,
            "timecreated" | "systemtime" => SystemName::TimeCreated,
            "message" => SystemName::Message,
            _ => return None,
        })
    }
}

/// Normalizes a GUID as Windows renders it: upper-case hex in braces, `{XXXXXXXX-...}`.
/// Input with or without braces, in any case, is accepted; anything else is returned as given.
pub fn normalize_guid(raw: &str) -> String {
    let inner = raw.trim().trim_start_matches('{').trim_end_matches('}');
    let bytes = inner.as_bytes();
    let is_guid = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if is_guid {
        let mut out = String::with_capacity(38);
        out.push('{');
        out.push_str(inner);
        out.push('}');
        out.make_ascii_uppercase();
        out
    } else {
        raw.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        Event {
            computer: "SRV01.corp.example".into(),
            channel: "System".into(),
            provider: Provider {
                name: "Schannel".into(),
                ..Provider::default()
            },
            event_id: 36874,
            level: Some(2),
            fields: vec![Field::new("Protocol", "TLS 1.0")],
            ..Event::default()
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_prefers_data_fields() {
        let e = sample();
        assert_eq!(e.get("protocol").as_deref(), Some("TLS 1.0"));
        assert_eq!(e.get("EVENTID").as_deref(), Some("36874"));
        assert_eq!(e.get("Provider_Name").as_deref(), Some("Schannel"));
        assert_eq!(e.get("Level").as_deref(), Some("2"));
        assert_eq!(e.get("Task"), None);
        assert_eq!(e.get("NoSuchField"), None);
    }

    #[test]
    fn system_names_are_told_once_in_any_case_and_answer_as_by_name() {
        let e = Event {
            record_id: Some(7),
            keywords: Some(0x8000),
            user_sid: Some("S-1-5-18".into()),
            ..sample()
        };
        for (name, want) in [
            ("EventID", Some("36874")),
            ("provider", Some("Schannel")),
            ("PROVIDER_NAME", Some("Schannel")),
            ("ProviderName", Some("Schannel")),
            ("Computer", Some("SRV01.corp.example")),
            ("keywords", Some("0x8000")),
            ("EventRecordID", Some("7")),
            ("SecurityUserID", Some("S-1-5-18")),
            ("Task", None),
        ] {
            let system = SystemName::of(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(e.system_value(system).as_deref(), want, "{name}");
            assert_eq!(e.system_field(name).as_deref(), want, "{name}");
        }
        // Data field names, and a name longer than any System name.
        for name in ["Protocol", "", "EventIDs", "provider_name_and_more_than_24"] {
            assert_eq!(SystemName::of(name), None, "{name}");
        }
    }

    #[test]
    fn guids_normalize_to_upper_case_in_braces() {
        assert_eq!(
            normalize_guid("ca46d06d-896c-4336-bd77-36a105f90000"),
            "{CA46D06D-896C-4336-BD77-36A105F90000}"
        );
        assert_eq!(normalize_guid("not a guid"), "not a guid");
    }
}
