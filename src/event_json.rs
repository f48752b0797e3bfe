//! The JSON form of an [`Event`], written by hand: byte for byte what `serde_json` writes for
//! the derived `Serialize` of `Event`, but in pieces, so that a reader can write the System
//! part of a record from its `Event` head and its data fields straight from their text
//! (the record programs of `source::binxml` do; see BENCHMARKS.md for what it saves).
//!
//! The pieces, in order: [`write_head`] (everything up to the opening of `fields`), one
//! [`write_field`] per data item, then [`write_tail`]. [`write_event`] is all three.

use std::io::Write;

use crate::event::{Event, Origin};

/// Writes `event` as one JSON object (no newline), the bytes `serde_json::to_writer` writes.
pub fn write_event(event: &Event, out: &mut Vec<u8>) {
    write_head(event, out);
    for (i, field) in event.fields.iter().enumerate() {
        write_field(i == 0, &field.name, &field.value, out);
    }
    write_tail(event.message.as_deref(), &event.origin, out);
}

/// The object up to and including `"fields":[`; the event's own fields are not written.
pub fn write_head(e: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"time\":");
    match e.time {
        // jiff serializes a timestamp as its Display text.
        Some(time) => {
            out.push(b'"');
            let _ = write!(out, "{time}");
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    write_key("computer", out);
    write_str(&e.computer, out);
    write_key("channel", out);
    write_str(&e.channel, out);
    out.extend_from_slice(b",\"provider\":{\"name\":");
    write_str(&e.provider.name, out);
    write_key("guid", out);
    write_opt_str(e.provider.guid.as_deref(), out);
    write_key("event_source_name", out);
    write_opt_str(e.provider.event_source_name.as_deref(), out);
    out.push(b'}');
    let small = |n: Option<u32>| n.map(u64::from);
    let numbers = [
        ("event_id", Some(u64::from(e.event_id))),
        ("qualifiers", small(e.qualifiers)),
        ("version", small(e.version)),
        ("level", small(e.level)),
        ("task", small(e.task)),
        ("opcode", small(e.opcode)),
        ("keywords", e.keywords),
        ("record_id", e.record_id),
    ];
    for (key, n) in numbers {
        write_key(key, out);
        write_number(n, out);
    }
    write_key("activity_id", out);
    write_opt_str(e.activity_id.as_deref(), out);
    write_key("related_activity_id", out);
    write_opt_str(e.related_activity_id.as_deref(), out);
    for (key, n) in [("process_id", e.process_id), ("thread_id", e.thread_id)] {
        write_key(key, out);
        write_number(n, out);
    }
    write_key("user_sid", out);
    write_opt_str(e.user_sid.as_deref(), out);
    out.extend_from_slice(b",\"fields\":[");
}

/// One data item; `first` for the first of the event (no separating comma).
pub fn write_field(first: bool, name: &str, value: &str, out: &mut Vec<u8>) {
    if !first {
        out.push(b',');
    }
    out.extend_from_slice(b"{\"name\":");
    write_str(name, out);
    out.extend_from_slice(b",\"value\":");
    write_str(value, out);
    out.push(b'}');
}

/// The rest of the object after the fields: the message and the origin.
pub fn write_tail(message: Option<&str>, origin: &Origin, out: &mut Vec<u8>) {
    write_tail_parts(
        message,
        &origin.file,
        origin.member.as_deref(),
        origin.chunk,
        origin.record,
        out,
    );
}

/// [`write_tail`] with the origin given by its parts (no `Origin` built per record).
pub fn write_tail_parts(
    message: Option<&str>,
    file: &str,
    member: Option<&str>,
    chunk: Option<u64>,
    record: Option<u64>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"],\"message\":");
    write_opt_str(message, out);
    out.extend_from_slice(b",\"origin\":{\"file\":");
    write_str(file, out);
    if let Some(member) = member {
        write_key("member", out);
        write_str(member, out);
    }
    for (key, n) in [("chunk", chunk), ("record", record)] {
        if n.is_some() {
            write_key(key, out);
            write_number(n, out);
        }
    }
    out.extend_from_slice(b"}}");
}

/// `,"key":` for one of the fixed keys (plain ASCII, nothing to escape).
fn write_key(key: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn write_number(n: Option<impl itoa::Integer>, out: &mut Vec<u8>) {
    match n {
        Some(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_opt_str(text: Option<&str>, out: &mut Vec<u8>) {
    match text {
        Some(text) => write_str(text, out),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string, escaped as serde_json escapes: `"`, `\` and the control characters below
/// U+0020 (short forms where JSON has them, `\u00xx` otherwise); everything else as is.
pub fn write_str(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Most text needs no escape: skip it eight bytes at a time.
        if let Some(word) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            if !needs_escape(word) {
                i += 8;
                continue;
            }
        }
        let byte = bytes[i];
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => b'u',
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        out.push(b'\\');
        out.push(short);
        if short == b'u' {
            out.extend_from_slice(b"00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether any of the eight bytes of `word` is below 0x20, `"` or `\` (exact: the classic
/// "has a byte less than n" and "has a zero byte" word tests).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = word ^ (ONES * u64::from(b'"'));
    let quote = quote.wrapping_sub(ONES) & !quote & HIGH;
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let backslash = backslash.wrapping_sub(ONES) & !backslash & HIGH;
    below_space | quote | backslash != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Field, Provider};

    fn full() -> Event {
        Event {
            time: "2023-10-18T05:43:49.8327406Z".parse().ok(),
            computer: "SRV01.corp.example".into(),
            channel: "Microsoft-Windows-TerminalServices-RDPClient/Operational".into(),
            provider: Provider {
                name: "Schannel".into(),
                guid: Some("{1F678132-5938-4686-9FDC-C8FF68F15C85}".into()),
                event_source_name: None,
            },
            event_id: 36874,
            qualifiers: Some(49152),
            version: Some(0),
            level: Some(2),
            task: None,
            opcode: Some(0),
            keywords: Some(0x8000_0000_0000_0000),
            record_id: Some(u64::MAX),
            activity_id: None,
            related_activity_id: Some("{A}".into()),
            process_id: Some(460),
            thread_id: None,
            user_sid: Some("S-1-5-18".into()),
            fields: vec![
                Field::new("Protocol", "TLS 1.2"),
                Field::new("Quote\"Back\\slash", "tab\there\nnew\u{1}\u{7f}é\u{1F600}"),
                Field::new("", ""),
            ],
            message: Some("line\r\nbreak".into()),
            origin: Origin {
                file: "C:\\logs\\System.evtx".into(),
                member: Some("a/b.evtx".into()),
                chunk: Some(3),
                record: Some(17),
            },
        }
    }

    #[test]
    fn writes_what_serde_writes() {
        let mut sparse = full();
        sparse.time = None;
        sparse.fields.clear();
        sparse.message = None;
        sparse.origin = Origin {
            file: "x".into(),
            ..Origin::default()
        };
        for event in [full(), sparse, Event::default()] {
            let mut ours = Vec::new();
            write_event(&event, &mut ours);
            let serde = serde_json::to_vec(&event).expect("an event serializes");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&serde)
            );
        }
    }

    #[test]
    fn every_control_character_escapes_as_serde_escapes_it() {
        let text: String = (0u8..0x80).map(char::from).collect();
        let mut ours = Vec::new();
        write_str(&text, &mut ours);
        assert_eq!(
            ours,
            serde_json::to_vec(&text).expect("a string serializes")
        );
    }
}
