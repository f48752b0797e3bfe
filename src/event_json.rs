//! The JSON form of an [`Event`], written by hand: byte for byte what `serde_json` writes for
//! the derived `Serialize` of `Event`, but in pieces, so that a reader can write the System
//! part of a record from its `Event` head and its data fields straight from their text
//! (the record programs of `source::binxml` do; see BENCHMARKS.md for what it saves).
//!
//! The pieces, in order: [`write_head`] (everything up to the opening of `fields`), one
//! [`write_field`] per data item, then [`write_tail`]. [`write_event`] is all three.

use std::io::Write;

use jiff::Timestamp;

use crate::event::{Event, Origin};

/// Writes `event` as one JSON object (no newline), the bytes `serde_json::to_writer` writes.
pub fn write_event(event: &Event, out: &mut Vec<u8>) {
    write_head(event, out);
    for (i, field) in event.fields.iter().enumerate() {
        write_field(i == 0, &field.name, &field.value, out);
    }
    write_tail(event.message.as_deref(), &event.origin, out);
}

/// The head fields of the JSON object, in the order they are written: a record program
/// writes the ones its template fixes as bytes made once, and the others per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadSlot {
    Time,
    Computer,
    Channel,
    ProviderName,
    ProviderGuid,
    EventSourceName,
    EventId,
    Qualifiers,
    Version,
    Level,
    Task,
    Opcode,
    Keywords,
    RecordId,
    ActivityId,
    RelatedActivityId,
    ProcessId,
    ThreadId,
    UserSid,
}

impl HeadSlot {
    /// Every slot, in the order of the object.
    pub(crate) const ALL: [HeadSlot; 19] = [
        HeadSlot::Time,
        HeadSlot::Computer,
        HeadSlot::Channel,
        HeadSlot::ProviderName,
        HeadSlot::ProviderGuid,
        HeadSlot::EventSourceName,
        HeadSlot::EventId,
        HeadSlot::Qualifiers,
        HeadSlot::Version,
        HeadSlot::Level,
        HeadSlot::Task,
        HeadSlot::Opcode,
        HeadSlot::Keywords,
        HeadSlot::RecordId,
        HeadSlot::ActivityId,
        HeadSlot::RelatedActivityId,
        HeadSlot::ProcessId,
        HeadSlot::ThreadId,
        HeadSlot::UserSid,
    ];
}

/// The object up to and including `"fields":[`; the event's own fields are not written.
pub fn write_head(e: &Event, out: &mut Vec<u8>) {
    for slot in HeadSlot::ALL {
        write_head_slot(slot, e, out);
    }
    write_fields_open(out);
}

/// What follows the last head slot: the opening of `fields`.
pub(crate) fn write_fields_open(out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"fields\":[");
}

/// One head slot of `e` with the text that leads to it (its key, and for the provider's
/// fields the object around them).
pub(crate) fn write_head_slot(slot: HeadSlot, e: &Event, out: &mut Vec<u8>) {
    let small = |n: Option<u32>| n.map(u64::from);
    match slot {
        HeadSlot::Time => write_time_slot(e.time, out),
        HeadSlot::Computer => {
            write_key(key!("computer"), out);
            write_str(&e.computer, out);
        }
        HeadSlot::Channel => {
            write_key(key!("channel"), out);
            write_str(&e.channel, out);
        }
        HeadSlot::ProviderName => {
            out.extend_from_slice(b",\"provider\":{\"name\":");
            write_str(&e.provider.name, out);
        }
        HeadSlot::ProviderGuid => {
            write_key(key!("guid"), out);
            write_opt_str(e.provider.guid.as_deref(), out);
        }
        HeadSlot::EventSourceName => {
            write_key(key!("event_source_name"), out);
            write_opt_str(e.provider.event_source_name.as_deref(), out);
            out.push(b'}');
        }
        HeadSlot::EventId => write_number_slot(slot, Some(u64::from(e.event_id)), out),
        HeadSlot::Qualifiers => write_number_slot(slot, small(e.qualifiers), out),
        HeadSlot::Version => write_number_slot(slot, small(e.version), out),
        HeadSlot::Level => write_number_slot(slot, small(e.level), out),
        HeadSlot::Task => write_number_slot(slot, small(e.task), out),
        HeadSlot::Opcode => write_number_slot(slot, small(e.opcode), out),
        HeadSlot::Keywords => write_number_slot(slot, e.keywords, out),
        HeadSlot::RecordId => write_number_slot(slot, e.record_id, out),
        HeadSlot::ActivityId => {
            write_key(key!("activity_id"), out);
            write_opt_str(e.activity_id.as_deref(), out);
        }
        HeadSlot::RelatedActivityId => {
            write_key(key!("related_activity_id"), out);
            write_opt_str(e.related_activity_id.as_deref(), out);
        }
        HeadSlot::ProcessId => write_number_slot(slot, small(e.process_id), out),
        HeadSlot::ThreadId => write_number_slot(slot, small(e.thread_id), out),
        HeadSlot::UserSid => {
            write_key(key!("user_sid"), out);
            write_opt_str(e.user_sid.as_deref(), out);
        }
    }
}

/// The time slot: what [`write_head_slot`] writes for an event with this time.
pub(crate) fn write_time_slot(time: Option<Timestamp>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"time\":");
    match time {
        Some(time) => {
            out.push(b'"');
            write_timestamp(time, out);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// A numeric slot (the ids, levels, keywords, process and thread): what [`write_head_slot`]
/// writes for an event whose field holds `n`. Nothing for a slot that is not numeric.
pub(crate) fn write_number_slot(slot: HeadSlot, n: Option<u64>, out: &mut Vec<u8>) {
    let key = match slot {
        HeadSlot::EventId => key!("event_id"),
        HeadSlot::Qualifiers => key!("qualifiers"),
        HeadSlot::Version => key!("version"),
        HeadSlot::Level => key!("level"),
        HeadSlot::Task => key!("task"),
        HeadSlot::Opcode => key!("opcode"),
        HeadSlot::Keywords => key!("keywords"),
        HeadSlot::RecordId => key!("record_id"),
        HeadSlot::ProcessId => key!("process_id"),
        HeadSlot::ThreadId => key!("thread_id"),
        _ => return,
    };
    write_key(key, out);
    write_number(n, out);
}

/// A timestamp as jiff's `Display` writes it (`2023-10-18T05:43:49.8327406Z`: the fraction
/// only as long as it needs, none when it is zero), without the formatting machinery for the
/// years 1970 to 9999; others through `Display`.
pub(crate) fn write_timestamp(time: Timestamp, out: &mut Vec<u8>) {
    let seconds = time.as_second();
    let nanos = time.subsec_nanosecond();
    if !(0..=LAST_SECOND).contains(&seconds) || nanos < 0 {
        let _ = write!(out, "{time}");
        return;
    }
    out.extend_from_slice(&second_text(seconds));
    if nanos > 0 {
        let mut fraction = *b".000000000";
        put_digits(&mut fraction[1..], nanos as u32);
        let len = fraction
            .iter()
            .rposition(|&b| b != b'0')
            .map_or(1, |at| at + 1);
        out.extend_from_slice(&fraction[..len]);
    }
    out.push(b'Z');
}

/// `YYYY-MM-DDTHH:MM:SS` of a second counted from 1970-01-01T00:00:00Z, for seconds from 0
/// to the end of year 9999 (the caller checks).
pub(crate) fn second_text(seconds: i64) -> [u8; 19] {
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let mut text = *b"0000-00-00T00:00:00";
    text[..10].copy_from_slice(&date_text(days));
    put_digits(&mut text[11..13], (of_day / 3600) as u32);
    put_digits(&mut text[14..16], (of_day / 60 % 60) as u32);
    put_digits(&mut text[17..19], (of_day % 60) as u32);
    text
}

/// The last second [`second_text`] writes: 9999-12-31T23:59:59Z.
const LAST_SECOND: i64 = 253_402_300_799;

thread_local! {
    /// The day last written on this thread and its date: a log's records come in time order,
    /// most of a chunk's on one day.
    static LAST_DATE: std::cell::Cell<(i64, [u8; 10])> =
        const { std::cell::Cell::new((-1, [0; 10])) };
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01, for days from 0 to the end of year 9999.
fn date_text(days: i64) -> [u8; 10] {
    LAST_DATE.with(|last| {
        let (known, text) = last.get();
        if known == days {
            return text;
        }
        let (year, month, day) = civil_from_days(days);
        let mut text = *b"0000-00-00";
        put_digits(&mut text[0..4], year as u32);
        put_digits(&mut text[5..7], month);
        put_digits(&mut text[8..10], day);
        last.set((days, text));
        text
    })
}

/// Writes `n` as decimal digits filling `into` (zero-padded on the left), two at a time.
pub(crate) fn put_digits(into: &mut [u8], mut n: u32) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839404142434445464748495051525354555657585960\
        6162636465666768697071727374757677787980818283848586878889909192939495969798\
        99";
    let mut end = into.len();
    while end >= 2 {
        let pair = (n % 100) as usize * 2;
        into[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
        n /= 100;
        end -= 2;
    }
    if end == 1 {
        into[0] = b'0' + (n % 10) as u8;
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), for days from 0.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One data item; `first` for the first of the event (no separating comma).
pub fn write_field(first: bool, name: &str, value: &str, out: &mut Vec<u8>) {
    if !first {
        out.push(b',');
    }
    write_field_start(name, out);
    write_str(value, out);
    write_field_close(out);
}

/// A data item up to its value (`{"name":...,"value":`): the same for every record of a
/// record program, which writes it once.
pub(crate) fn write_field_start(name: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"name\":");
    write_str(name, out);
    out.extend_from_slice(b",\"value\":");
}

/// What closes a data item after its value.
pub(crate) fn write_field_close(out: &mut Vec<u8>) {
    out.push(b'}');
}

/// What ends a data item's value and separates it from the next item.
pub(crate) fn write_field_end_of_previous(out: &mut Vec<u8>) {
    write_field_close(out);
    out.push(b',');
}

/// The rest of the object after the fields: the message and the origin.
pub fn write_tail(message: Option<&str>, origin: &Origin, out: &mut Vec<u8>) {
    write_tail_start(message, &origin.file, origin.member.as_deref(), out);
    write_tail_end(origin.chunk, origin.record, out);
}

/// The tail up to the origin's chunk and record: the same for every record of a file without
/// a message, so a reader writes it once per file.
pub(crate) fn write_tail_start(
    message: Option<&str>,
    file: &str,
    member: Option<&str>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"],\"message\":");
    write_opt_str(message, out);
    out.extend_from_slice(b",\"origin\":{\"file\":");
    write_str(file, out);
    if let Some(member) = member {
        write_key(key!("member"), out);
        write_str(member, out);
    }
}

/// The rest of the tail after [`write_tail_start`].
pub(crate) fn write_tail_end(chunk: Option<u64>, record: Option<u64>, out: &mut Vec<u8>) {
    for (key, n) in [(key!("chunk"), chunk), (key!("record"), record)] {
        if n.is_some() {
            write_key(key, out);
            write_number(n, out);
        }
    }
    out.extend_from_slice(b"}}");
}

/// `,"key":` for one of the fixed keys (plain ASCII, nothing to escape), as one literal.
macro_rules! key {
    ($key:literal) => {
        concat!(",\"", $key, "\":").as_bytes()
    };
}
use key;

/// Writes a [`key!`].
fn write_key(key: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(key);
}

fn write_number(n: Option<u64>, out: &mut Vec<u8>) {
    match n {
        Some(n) if n >= LONG_NUMBER => write_long_number(n, out),
        Some(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}

/// Numbers from here on are written from the digits of the same number last written on this
/// thread, when it is the same: a log's keywords, a 19-digit bit mask, are the same for most
/// of its records (formatting them was 4% of writing a System log's lines).
const LONG_NUMBER: u64 = 1_000_000_000_000;

thread_local! {
    static LAST_LONG_NUMBER: std::cell::Cell<(u64, [u8; 20], u8)> =
        const { std::cell::Cell::new((0, [0; 20], 0)) };
}

fn write_long_number(n: u64, out: &mut Vec<u8>) {
    LAST_LONG_NUMBER.with(|last| {
        let (known, digits, len) = last.get();
        // (`known` starts at 0, which is below every long number.)
        if known == n {
            out.extend_from_slice(&digits[..usize::from(len)]);
            return;
        }
        let mut buffer = itoa::Buffer::new();
        let text = buffer.format(n).as_bytes();
        out.extend_from_slice(text);
        let mut digits = [0; 20];
        digits[..text.len()].copy_from_slice(text);
        last.set((n, digits, text.len() as u8));
    });
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

    #[test]
    fn numbers_are_written_as_itoa_writes_them_repeated_or_not() {
        let mut values = vec![0, 9, LONG_NUMBER - 1, LONG_NUMBER, LONG_NUMBER, u64::MAX];
        values.extend([
            9_259_400_833_873_739_776,
            9_259_400_833_873_739_776,
            u64::MAX,
            10,
        ]);
        for n in crate::synth::test_numbers(3).take(5000) {
            let value = n >> (n % 64);
            values.push(value);
            if n % 3 == 0 {
                values.push(value);
            }
        }
        for value in values {
            let mut out = Vec::new();
            write_number(Some(value), &mut out);
            assert_eq!(out, value.to_string().as_bytes());
        }
    }

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
    fn digits_are_put_as_zero_padded_decimal() {
        let mut numbers = crate::synth::test_numbers(5);
        for _ in 0..100_000 {
            let width = 1 + (numbers.next().unwrap() % 10) as usize;
            let n = (numbers.next().unwrap() % 10u64.pow(width as u32)) as u32;
            let mut into = vec![b'?'; width];
            put_digits(&mut into, n);
            assert_eq!(into, format!("{n:0width$}").into_bytes());
        }
    }

    #[test]
    fn timestamps_are_written_as_jiff_displays_them() {
        // Edges (epoch, leap days, century rules, jiff's last second, before the epoch) and a walk over the years with every fraction length.
        let mut seconds = vec![
            0,
            -1,
            951_782_400,
            951_868_799,
            4_107_542_400,
            253_402_207_200,
            -11_644_473_600,
        ];
        let mut walk: i64 = 12_345;
        while walk < 253_402_207_200 {
            // A second later is most often the same day: its date is the one remembered.
            seconds.extend([walk, walk + 1]);
            walk += 86_399 * 37 + 3_607;
        }
        let fractions = [0, 100, 1_000_000, 400_000_000, 832_740_600, 999_999_999, 5];
        for (i, &second) in seconds.iter().enumerate() {
            let nanos = fractions[i % fractions.len()];
            let time = Timestamp::new(second, nanos).expect("a valid timestamp");
            let mut ours = Vec::new();
            write_timestamp(time, &mut ours);
            assert_eq!(
                String::from_utf8_lossy(&ours),
                time.to_string(),
                "{second} {nanos}"
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
