//! Substitution values (MS-EVEN6 §2.2.12 "Value types") and their text, written exactly as the
//! `evtx` crate's XML rendering shows them once unescaped, so that a record read here and the
//! same record rendered by the crate become equal `Event`s.
//!
//! Only the types whose rendering is plain are written here; for the others (reals, arrays,
//! system times, handles, non-ASCII ANSI text, irregular booleans) [`write_text`] returns
//! `None` and the record is read by the crate instead.

use super::cursor::Cursor;

/// Value type codes.
pub(crate) use crate::evtx_format::value_type as ty;

/// One substitution value: its type and its bytes, where they sit in the chunk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Raw<'a> {
    pub ty: u8,
    pub bytes: &'a [u8],
    /// Chunk offset of `bytes` (an embedded BinXML fragment resolves offsets against it).
    pub offset: usize,
}

impl Raw<'_> {
    /// Null as the rendering sees it: a null value, or an embedded fragment with no bytes.
    pub(crate) fn is_null(&self) -> bool {
        self.ty == ty::NULL || self.is_empty_fragment()
    }

    /// An embedded fragment with no bytes (it renders as null).
    pub(crate) fn is_empty_fragment(&self) -> bool {
        self.ty == ty::BINXML && self.bytes.is_empty()
    }

    /// A FILETIME value as a timestamp (the instant its text names).
    pub(crate) fn filetime(&self) -> Option<jiff::Timestamp> {
        let ticks: [u8; 8] = (self.ty == ty::FILETIME)
            .then_some(self.bytes)?
            .try_into()
            .ok()?;
        filetime_timestamp(u64::from_le_bytes(ticks))
    }

    /// The value as an unsigned number, for the event id of a record head.
    pub(crate) fn number(&self) -> Option<u64> {
        let b = self.bytes;
        Some(match (self.ty, b.len()) {
            (ty::UINT8, 1) => u64::from(b[0]),
            (ty::UINT16, 2) => u64::from(u16::from_le_bytes([b[0], b[1]])),
            (ty::UINT32 | ty::HEX_INT32, 4) => {
                u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            (ty::UINT64 | ty::HEX_INT64, 8) => {
                u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
            }
            _ => return None,
        })
    }
}

/// Reads a template instance's value table at `cur` (count, descriptors, then the values one
/// after another), into `out`. `None` when a value's size does not fit its type or the type is
/// unknown: the crate then reads the record (and reports it when it cannot either).
pub(crate) fn read_values<'a>(cur: &mut Cursor<'a>, out: &mut Vec<Raw<'a>>) -> Option<()> {
    let count = cur.u32()? as usize;
    let table = cur.bytes(count.checked_mul(4)?)?;
    let start = cur.pos();
    let data = cur.data().get(start..)?;
    // The table is checked whole before a value is kept, so that the values are then taken
    // without a check per value: a table is read for every record, wanted or not.
    let mut total = 0usize;
    for descriptor in table.chunks_exact(4) {
        let size = usize::from(u16::from_le_bytes([descriptor[0], descriptor[1]]));
        let bytes = data.get(total..total + size)?;
        if !size_fits(descriptor[2], bytes) {
            return None;
        }
        total += size;
    }
    cur.skip(total)?;
    out.clear();
    let mut at = 0;
    out.extend(table.chunks_exact(4).map(|descriptor| {
        let size = usize::from(u16::from_le_bytes([descriptor[0], descriptor[1]]));
        let value = Raw {
            ty: descriptor[2],
            bytes: &data[at..at + size],
            offset: start + at,
        };
        at += size;
        value
    }));
    Some(())
}

/// Whether `bytes` is a well-formed value of type `ty`, as the crate requires before it
/// renders a record: fixed-width types at their width, UTF-16 in whole units, a SID as long as
/// its sub-authority count says, a string array ending with its last NUL, a known type
/// ([`is_known_type`]).
#[inline(always)]
pub(crate) fn size_fits(ty: u8, bytes: &[u8]) -> bool {
    let size = bytes.len();
    match ty {
        ty::NULL | ty::ANSI_STRING | ty::BINARY | ty::BINXML => true,
        ty::STRING => size % 2 == 0,
        ty::INT8 | ty::UINT8 => size == 1,
        ty::INT16 | ty::UINT16 => size == 2,
        ty::INT32 | ty::UINT32 | ty::HEX_INT32 | ty::BOOL | ty::REAL32 => size == 4,
        ty::INT64 | ty::UINT64 | ty::HEX_INT64 | ty::FILETIME | ty::REAL64 => size == 8,
        ty::GUID | ty::SYSTIME => size == 16,
        ty::SIZE_T => size == 4 || size == 8,
        ty::SID => size >= 8 && size == 8 + 4 * usize::from(bytes[1]),
        ty::STRING_ARRAY => size % 2 == 0 && (size == 0 || bytes[size - 2..] == [0, 0]),
        // Handles, EvtXml and the other arrays: known to the crate, never read here.
        other => is_known_type(other),
    }
}

/// The value types MS-EVEN6 defines (and the crate reads): scalars 0x00–0x15, handle 0x20,
/// BinXML 0x21, EvtXml 0x23, arrays 0x81–0x95.
pub(crate) fn is_known_type(ty: u8) -> bool {
    matches!(ty, 0x00..=0x15 | 0x20 | 0x21 | 0x23 | 0x81..=0x95)
}

/// Lower-case hex digits (GUIDs and hex integers; binary values are upper-case).
const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends the text of a scalar value; `None` when the type is not one written here.
pub(crate) fn write_text(value: &Raw<'_>, out: &mut String) -> Option<()> {
    let b = value.bytes;
    let le2 = || -> Option<[u8; 2]> { b.try_into().ok() };
    let le4 = || -> Option<[u8; 4]> { b.try_into().ok() };
    let le8 = || -> Option<[u8; 8]> { b.try_into().ok() };
    match value.ty {
        ty::NULL => {}
        ty::STRING => sanitize_utf16(b, out),
        ty::ANSI_STRING => {
            // Windows-1252 is ASCII below 0x80; anything above is left to the crate.
            for &byte in b.iter().filter(|&&byte| byte != 0) {
                if byte >= 0x80 {
                    return None;
                }
                out.push(xml_char(char::from(byte)));
            }
        }
        ty::INT8 => push_int(*b.first()? as i8, out),
        ty::UINT8 => push_int(*b.first()?, out),
        ty::INT16 => push_int(i16::from_le_bytes(le2()?), out),
        ty::UINT16 => push_int(u16::from_le_bytes(le2()?), out),
        ty::INT32 => push_int(i32::from_le_bytes(le4()?), out),
        ty::UINT32 => push_int(u32::from_le_bytes(le4()?), out),
        ty::INT64 => push_int(i64::from_le_bytes(le8()?), out),
        ty::UINT64 => push_int(u64::from_le_bytes(le8()?), out),
        // Windows writes bit masks into some boolean slots; the crate renders any value but 0
        // and 1 as the integer it is, and so does this.
        ty::BOOL => match i32::from_le_bytes(le4()?) {
            0 => out.push_str("false"),
            1 => out.push_str("true"),
            raw => push_int(raw, out),
        },
        ty::BINARY => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.reserve(b.len() * 2);
            for &byte in b {
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
        ty::GUID => {
            // Windows' layout: data1-3 little-endian, data4 as bytes; lower-case in braces.
            const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
            if b.len() != 16 {
                return None;
            }
            out.push('{');
            for (n, &at) in ORDER.iter().enumerate() {
                if matches!(n, 4 | 6 | 8 | 10) {
                    out.push('-');
                }
                out.push(char::from(LOWER_HEX[usize::from(b[at] >> 4)]));
                out.push(char::from(LOWER_HEX[usize::from(b[at] & 0xf)]));
            }
            out.push('}');
        }
        ty::SIZE_T | ty::HEX_INT32 | ty::HEX_INT64 => {
            let n = match b.len() {
                4 => u64::from(u32::from_le_bytes(le4()?)),
                8 => u64::from_le_bytes(le8()?),
                _ => return None,
            };
            if value.ty == ty::HEX_INT32 && b.len() != 4
                || value.ty == ty::HEX_INT64 && b.len() != 8
            {
                return None;
            }
            push_hex(n, out);
        }
        ty::FILETIME => write_filetime(u64::from_le_bytes(le8()?), out)?,
        ty::SID => write_sid(b, out)?,
        _ => return None,
    }
    Some(())
}

fn push_int(n: impl itoa::Integer, out: &mut String) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `n` as `0x` and lower-case hex digits without leading zeros (what `{n:#x}` writes, without
/// the formatting machinery).
fn push_hex(n: u64, out: &mut String) {
    out.push_str("0x");
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    for at in (0..digits).rev() {
        out.push(char::from(LOWER_HEX[(n >> (at * 4)) as usize & 0xf]));
    }
}

/// Seconds from the FILETIME epoch (1601-01-01) to the Unix epoch.
const UNIX_EPOCH_SECONDS: i64 = 11_644_473_600;

/// A FILETIME (100 ns ticks since 1601) as a timestamp; `None` outside the range of times.
pub(crate) fn filetime_timestamp(ticks: u64) -> Option<jiff::Timestamp> {
    // In seconds and nanoseconds: a count of nanoseconds takes 128-bit division, once per
    // record.
    let seconds = i64::try_from(ticks / 10_000_000).ok()? - UNIX_EPOCH_SECONDS;
    let nanos = i32::try_from(ticks % 10_000_000 * 100).ok()?;
    jiff::Timestamp::new(seconds, nanos).ok()
}

/// A FILETIME (100 ns ticks since 1601) as `YYYY-MM-DDTHH:MM:SS.fffffffZ`.
fn write_filetime(ticks: u64, out: &mut String) -> Option<()> {
    let seconds = i64::try_from(ticks / 10_000_000).ok()? - UNIX_EPOCH_SECONDS;
    let fraction = ticks % 10_000_000;
    // From 1970 to jiff's last second (late on 9999-12-30, the end of the slow path's
    // range), without the formatting machinery: most values are in it.
    if (0..=jiff::Timestamp::MAX.as_second()).contains(&seconds) {
        let mut digits = *b".0000000Z";
        // (Below 10,000,000: fits.)
        crate::event_json::put_digits(&mut digits[1..8], fraction as u32);
        let text = crate::event_json::second_text(seconds);
        // Both are ASCII.
        out.push_str(std::str::from_utf8(&text).ok()?);
        out.push_str(std::str::from_utf8(&digits).ok()?);
        return Some(());
    }
    write_filetime_formatted(seconds, fraction, out)
}

/// [`write_filetime`] through jiff and the formatting machinery, for any year from 1.
fn write_filetime_formatted(seconds: i64, fraction: u64, out: &mut String) -> Option<()> {
    use std::fmt::Write;
    let time = jiff::Timestamp::from_second(seconds).ok()?;
    let civil = time.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    if civil.year() < 1 {
        return None;
    }
    write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{fraction:07}Z",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second()
    )
    .ok()
}

/// A SID as `S-R-A-S1-...` (revision, 48-bit big-endian authority, little-endian
/// sub-authorities).
fn write_sid(b: &[u8], out: &mut String) -> Option<()> {
    let &[revision, count, a0, a1, a2, a3, a4, a5, ref subs @ ..] = b else {
        return None;
    };
    if subs.len() < usize::from(count) * 4 {
        return None;
    }
    let authority = u64::from_be_bytes([0, 0, a0, a1, a2, a3, a4, a5]);
    out.push_str("S-");
    push_int(revision, out);
    out.push('-');
    push_int(authority, out);
    for sub in subs.chunks_exact(4).take(usize::from(count)) {
        out.push('-');
        push_int(u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]]), out);
    }
    Some(())
}

/// UTF-16LE text up to its first NUL, as the XML rendering shows it once unescaped: unpaired
/// surrogates, C0 controls other than tab, line feed and carriage return, and
/// the non-characters U+FFFE and U+FFFF, become `_`.
pub(crate) fn sanitize_utf16(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len() / 2);
    let mut at = 0;
    // Runs of printable ASCII, four units at a time, gathered in a small buffer: most event
    // text is such runs, between which a line break, a tab or a letter outside ASCII costs only
    // itself (a privilege list is ASCII between its line breaks and tabs).
    let mut run = [0u8; 64];
    let mut len = 0;
    loop {
        while let Some(word) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            if !printable_ascii_units(word) || len + 4 > run.len() {
                break;
            }
            run[len..len + 4].copy_from_slice(&[
                word as u8,
                (word >> 16) as u8,
                (word >> 32) as u8,
                (word >> 48) as u8,
            ]);
            len += 4;
            at += 8;
        }
        if len > 0 {
            out.push_str(std::str::from_utf8(&run[..len]).unwrap_or_default());
            len = 0;
        }
        // One unit (or surrogate pair) at a time until the next run of four.
        let Some(unit) = unit_at(bytes, at) else {
            return;
        };
        at += 2;
        if unit == 0 {
            return;
        }
        out.push(char_of(unit, bytes, &mut at));
    }
}

/// Whether [`sanitize_utf16`] makes no text of these bytes: no whole unit, or a NUL first.
pub(crate) fn utf16_is_empty(bytes: &[u8]) -> bool {
    unit_at(bytes, 0).is_none_or(|unit| unit == 0)
}

/// What [`write_json_utf16`] tells of the text it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Utf16Text {
    /// Its length in bytes of UTF-8 (unescaped).
    pub len: usize,
    /// Whether its first and last characters are printable ASCII other than a space (so that
    /// trimming it leaves it as it is). Also false, to be careful, when either is `"` or `\`.
    pub plain_ends: bool,
}

/// Writes the text [`sanitize_utf16`] makes of `bytes` as a JSON string, exactly as
/// `event_json::write_str` writes that text, in one pass and without the text in between.
pub(crate) fn write_json_utf16(bytes: &[u8], out: &mut Vec<u8>) -> Utf16Text {
    out.reserve(bytes.len() / 2 + 2);
    out.push(b'"');
    let start = out.len();
    // Escapes written (each one byte more than the character it stands for).
    let mut escapes = 0;
    let mut at = 0;
    loop {
        // Runs of printable ASCII that JSON leaves as they are, four units at a time.
        while let Some(word) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            if !printable_ascii_units(word) || has_unit(word, b'"') || has_unit(word, b'\\') {
                break;
            }
            out.extend_from_slice(&[
                word as u8,
                (word >> 16) as u8,
                (word >> 32) as u8,
                (word >> 48) as u8,
            ]);
            at += 8;
        }
        let Some(unit) = unit_at(bytes, at).filter(|&unit| unit != 0) else {
            break;
        };
        at += 2;
        let short = match unit {
            0x22 => b'"',
            0x5c => b'\\',
            0x09 => b't',
            0x0a => b'n',
            0x0d => b'r',
            _ => 0,
        };
        if short != 0 {
            out.extend_from_slice(&[b'\\', short]);
            escapes += 1;
            continue;
        }
        let mut utf8 = [0; 4];
        let c = char_of(unit, bytes, &mut at);
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
    let len = out.len() - start - escapes;
    let plain = |byte: Option<&u8>| byte.is_some_and(|b| (0x21..=0x7e).contains(b));
    // An escape at either end is not a plain character; the bytes written show it.
    let plain_ends = len > 0
        && plain(out.get(start))
        && out[start] != b'\\'
        && plain(out.last())
        && !ends_in_escape(&out[start..]);
    out.push(b'"');
    Utf16Text { len, plain_ends }
}

/// Whether a JSON string's body ends in an escape (`\t`, `\"` ...): its last byte follows an
/// odd number of backslashes.
fn ends_in_escape(body: &[u8]) -> bool {
    let before = &body[..body.len().saturating_sub(1)];
    before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// Whether one of the four UTF-16LE units of `word` is the ASCII character `c` (exact: a lane
/// is zero after the xor exactly when its high bit stays clear below).
fn has_unit(word: u64, c: u8) -> bool {
    const LOW: u64 = 0x7fff_7fff_7fff_7fff;
    const HIGH: u64 = 0x8000_8000_8000_8000;
    let x = word ^ (u64::from(c) * 0x0001_0001_0001_0001);
    (((x & LOW) + LOW) | x) & HIGH != HIGH
}

/// The character a UTF-16LE unit other than NUL stands for in the text, reading the unit at
/// byte `at` too (and stepping past it) when the two are a surrogate pair: a lone surrogate, a
/// control other than tab, line feed and carriage return, and the non-characters are `_`.
fn char_of(unit: u16, bytes: &[u8], at: &mut usize) -> char {
    match unit {
        0x20..=0x7f | 0x09 | 0x0a | 0x0d => char::from(unit as u8),
        0xd800..=0xdbff => {
            match unit_at(bytes, *at).filter(|low| (0xdc00..=0xdfff).contains(low)) {
                Some(low) => {
                    *at += 2;
                    let high = u32::from(unit - 0xd800) << 10;
                    char::from_u32(0x10000 + high + u32::from(low - 0xdc00)).unwrap_or('_')
                }
                None => '_',
            }
        }
        _ => char::from_u32(u32::from(unit)).map_or('_', xml_char),
    }
}

/// The UTF-16LE unit at byte `at`, if a whole one is there.
fn unit_at(bytes: &[u8], at: usize) -> Option<u16> {
    let pair = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes([pair[0], pair[1]]))
}

/// Whether the four UTF-16LE units of `word` are all printable ASCII (U+0020 to U+007F).
fn printable_ascii_units(word: u64) -> bool {
    const HIGH: u64 = 0xff80_ff80_ff80_ff80;
    const LOW_BIT7: u64 = 0x0080_0080_0080_0080;
    // Below 0x80, a unit plus 0x60 reaches bit 7 exactly when it is 0x20 or more.
    word & HIGH == 0 && (word + 0x0060_0060_0060_0060) & LOW_BIT7 == LOW_BIT7
}

/// `c` as the XML rendering shows it: C0 controls other than tab, line feed and carriage
/// return, and the non-characters U+FFFE and U+FFFF, are `_`.
fn xml_char(c: char) -> char {
    let replaced = matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}')
        || matches!(c, '\u{fffe}' | '\u{ffff}');
    if replaced {
        '_'
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::test_numbers;

    #[test]
    fn filetimes_are_written_as_the_formatting_machinery_writes_them() {
        const UNIX_EPOCH_TICKS: u64 = UNIX_EPOCH_SECONDS as u64 * 10_000_000;
        const YEAR_10000_TICKS: u64 = (UNIX_EPOCH_SECONDS as u64 + 253_402_300_800) * 10_000_000;
        let mut numbers = crate::synth::test_numbers(7);
        let jiff_last_ticks =
            (jiff::Timestamp::MAX.as_second() + UNIX_EPOCH_SECONDS) as u64 * 10_000_000;
        let edges = [
            0,
            1,
            UNIX_EPOCH_TICKS - 1,
            UNIX_EPOCH_TICKS,
            UNIX_EPOCH_TICKS + 9_999_999,
            YEAR_10000_TICKS - 1,
            YEAR_10000_TICKS,
            u64::MAX,
            // Either side of the last second the fast path takes (jiff's last).
            jiff_last_ticks - 10_000_000,
            jiff_last_ticks,
            jiff_last_ticks + 9_999_999,
            jiff_last_ticks + 10_000_000,
        ];
        let random = (0..20_000).map(|_| match numbers.next().unwrap() % 3 {
            0 => numbers.next().unwrap(),
            1 => UNIX_EPOCH_TICKS + numbers.next().unwrap() % (YEAR_10000_TICKS - UNIX_EPOCH_TICKS),
            _ => numbers.next().unwrap() % (YEAR_10000_TICKS + 1_000_000_000),
        });
        for ticks in edges.into_iter().chain(random) {
            let (mut fast, mut formatted) = (String::new(), String::new());
            let seconds = i64::try_from(ticks / 10_000_000).unwrap() - UNIX_EPOCH_SECONDS;
            let expected = write_filetime_formatted(seconds, ticks % 10_000_000, &mut formatted);
            assert_eq!(write_filetime(ticks, &mut fast), expected, "{ticks}");
            assert_eq!(fast, formatted, "{ticks}");
        }
    }

    #[test]
    fn filetimes_convert_as_counted_in_nanoseconds() {
        const UNIX_EPOCH_TICKS: i128 = 116_444_736_000_000_000;
        let by_nanoseconds = |ticks: u64| {
            jiff::Timestamp::from_nanosecond((i128::from(ticks) - UNIX_EPOCH_TICKS) * 100).ok()
        };
        let mut ticks = vec![0, 1, 9_999_999, 10_000_000, u64::MAX, u64::MAX / 2];
        ticks.extend([
            116_444_736_000_000_000,
            116_444_735_999_999_999,
            116_444_736_000_000_001,
        ]);
        ticks.extend(test_numbers(1).take(20_000).map(|n| n >> (n % 8)));
        for t in ticks {
            assert_eq!(filetime_timestamp(t), by_nanoseconds(t), "{t}");
        }
    }

    /// A string written straight from its UTF-16 is what escaping its sanitized text writes,
    /// for text of every kind a log holds: plain runs of every length, quotes, backslashes,
    /// line breaks and other controls, letters beyond ASCII, surrogate pairs and lone
    /// surrogates, the non-characters, a NUL inside, and an odd byte at the end.
    #[test]
    fn a_string_is_written_as_its_sanitized_text_is_escaped() {
        const UNITS: &[u16] = &[
            0x41, 0x7a, 0x20, 0x7e, 0x7f, 0x22, 0x5c, 0x2f, 0x09, 0x0a, 0x0d, 0x01, 0x08, 0x0b,
            0x0c, 0x1f, 0x00, 0xe9, 0x85, 0xa0, 0x3000, 0xfffe, 0xffff, 0xd83d, 0xde00, 0xdc00,
            0x2d, 0x7b,
        ];
        let mut numbers = test_numbers(7);
        let mut strings: Vec<Vec<u8>> = vec![Vec::new(), vec![0x41], vec![0, 0], vec![0x41, 0]];
        for _ in 0..50_000 {
            let n = numbers.next().unwrap_or(0);
            let len = (n % 48) as usize;
            // Mostly plain ASCII, so that the runs of four are tried at every offset.
            let units = (0..len).map(|_| {
                let pick = numbers.next().unwrap_or(0);
                if pick % 4 == 0 {
                    UNITS[(pick >> 8) as usize % UNITS.len()]
                } else {
                    0x21 + (pick >> 8) as u16 % 0x5e
                }
            });
            let mut bytes: Vec<u8> = units.flat_map(u16::to_le_bytes).collect();
            if n >> 32 & 7 == 0 {
                bytes.push(0x41);
            }
            strings.push(bytes);
        }
        for bytes in strings {
            let mut text = String::new();
            sanitize_utf16(&bytes, &mut text);
            let mut expected = Vec::new();
            crate::event_json::write_str(&text, &mut expected);
            let mut written = vec![b'x'];
            let told = write_json_utf16(&bytes, &mut written);
            assert_eq!(&written[1..], expected, "{bytes:?}");
            let plain = |c: Option<char>| c.is_some_and(|c| ('\u{21}'..='\u{7e}').contains(&c));
            let plain_ends = plain(text.chars().next()) && plain(text.chars().last());
            // (A quote or backslash at an end is told as not plain: only ever more careful.)
            let escaped_end = text.starts_with(['"', '\\']) || text.ends_with(['"', '\\']);
            assert_eq!(told.len, text.len(), "{text:?}");
            assert_eq!(told.plain_ends, plain_ends && !escaped_end, "{text:?}");
            assert_eq!(utf16_is_empty(&bytes), text.is_empty(), "{bytes:?}");
        }
    }

    #[test]
    fn hex_is_written_as_the_formatter_writes_it() {
        let mut values = vec![0, 1, 0xf, 0x10, 0xff, 0x100, u64::from(u32::MAX), u64::MAX];
        values.extend((0..64).map(|bit| 1u64 << bit));
        values.extend(test_numbers(2).take(1000).map(|n| n >> (n % 64)));
        for value in values {
            let mut out = String::new();
            push_hex(value, &mut out);
            assert_eq!(out, format!("{value:#x}"));
        }
    }

    fn text(ty: u8, bytes: &[u8]) -> Option<String> {
        let mut out = String::new();
        write_text(
            &Raw {
                ty,
                bytes,
                offset: 0,
            },
            &mut out,
        )?;
        Some(out)
    }

    /// What [`sanitize_utf16`] gives, decoded unit by unit by the standard library: up to the
    /// first NUL, with what the XML rendering replaces replaced.
    fn decoded_by_std(bytes: &[u8], out: &mut String) {
        let units = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .take_while(|&unit| unit != 0);
        for c in char::decode_utf16(units) {
            // The XML rendering writes an unpaired surrogate as `_`, like a control character.
            out.push(xml_char(c.unwrap_or('\u{0}')));
        }
    }

    #[test]
    fn utf16_text_decodes_as_the_standard_library_does() {
        // Text with a NUL, a control character, a surrogate or a non-ASCII unit at every
        // place, in strings of many lengths.
        let specials: [u16; 12] = [
            0, 0x09, 0x0a, 0x0d, 0x0b, 0x1f, 0x7f, 0x80, 0xe9, 0xd800, 0xdc00, 0x4e2d,
        ];
        for len in 0..140 {
            for at in 0..len.max(1) {
                for &special in &specials {
                    let units: Vec<u16> = (0..len)
                        .map(|i| {
                            if i == at {
                                special
                            } else {
                                0x41 + (i as u16 % 26)
                            }
                        })
                        .collect();
                    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                    let (mut fast, mut slow) = (String::from("x"), String::from("x"));
                    sanitize_utf16(&bytes, &mut fast);
                    decoded_by_std(&bytes, &mut slow);
                    assert_eq!(fast, slow, "units {units:x?}");
                }
            }
        }
        // A surrogate pair (one character) at every place, ASCII around it.
        for len in 2..80 {
            for at in 0..len - 1 {
                let mut units: Vec<u16> = (0..len).map(|i| 0x61 + (i as u16 % 26)).collect();
                units[at] = 0xd83d;
                units[at + 1] = 0xde00;
                let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                let (mut fast, mut slow) = (String::new(), String::new());
                sanitize_utf16(&bytes, &mut fast);
                decoded_by_std(&bytes, &mut slow);
                assert_eq!(fast, slow, "units {units:x?}");
                assert!(fast.contains('\u{1f600}'));
            }
        }
        // An odd byte at the end is not a unit.
        let mut odd = String::new();
        sanitize_utf16(&[0x41, 0, 0x42, 0, 0x43], &mut odd);
        assert_eq!(odd, "AB");
    }

    #[test]
    fn values_render_as_windows_xml_does() {
        assert_eq!(text(ty::UINT16, &6005u16.to_le_bytes()).unwrap(), "6005");
        assert_eq!(
            text(ty::HEX_INT64, &0x8000_0000_0000_0000u64.to_le_bytes()).unwrap(),
            "0x8000000000000000"
        );
        assert_eq!(text(ty::HEX_INT32, &0u32.to_le_bytes()).unwrap(), "0x0");
        assert_eq!(text(ty::BINARY, &[0xe4, 0x07]).unwrap(), "E407");
        assert_eq!(
            text(ty::FILETIME, &132448315200000000u64.to_le_bytes()).unwrap(),
            "2020-09-17T15:52:00.0000000Z"
        );
        assert_eq!(
            text(ty::SID, &[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]).unwrap(),
            "S-1-5-18"
        );
        let guid = [
            0x32, 0x81, 0x67, 0x1f, 0x38, 0x59, 0x86, 0x46, 0x9f, 0xdc, 0xc8, 0xff, 0x68, 0xf1,
            0x5c, 0x85,
        ];
        assert_eq!(
            text(ty::GUID, &guid).unwrap(),
            "{1f678132-5938-4686-9fdc-c8ff68f15c85}"
        );
        assert_eq!(text(ty::BOOL, &1i32.to_le_bytes()).unwrap(), "true");
        assert_eq!(text(ty::BOOL, &0i32.to_le_bytes()).unwrap(), "false");
        // A bit mask in a boolean slot is its integer, as the crate renders it.
        assert_eq!(text(ty::BOOL, &16i32.to_le_bytes()).unwrap(), "16");
        assert_eq!(text(ty::BOOL, &(-2i32).to_le_bytes()).unwrap(), "-2");
    }

    #[test]
    fn strings_stop_at_nul_and_controls_become_underscores() {
        let utf16: Vec<u8> = "a\u{1}b\tc\0tail"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(text(ty::STRING, &utf16).unwrap(), "a_b\tc");
        // An unpaired surrogate.
        assert_eq!(text(ty::STRING, &[0x00, 0xd8]).unwrap(), "_");
    }

    /// Every UTF-16 unit, alone and after or before surrogates, at every offset within a
    /// run of four, and every pair of a set of awkward units.
    #[test]
    fn every_unit_at_every_offset_is_written_as_its_sanitized_text() {
        let check = |units: &[u16], odd: bool| {
            let mut bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            if odd {
                bytes.push(0x22);
            }
            let mut text = String::new();
            sanitize_utf16(&bytes, &mut text);
            let mut expected = Vec::new();
            crate::event_json::write_str(&text, &mut expected);
            let mut written = Vec::new();
            let told = write_json_utf16(&bytes, &mut written);
            assert_eq!(written, expected, "{units:x?}");
            assert_eq!(told.len, text.len());
            assert_eq!(utf16_is_empty(&bytes), text.is_empty());
        };
        for u in 0..=0xffffu16 {
            for pre in 0..5 {
                let mut units: Vec<u16> = (0..pre).map(|i| 0x61 + i).collect();
                units.push(u);
                units.extend([0x62, 0x63, 0x64, 0x65, 0x66]);
                check(&units, false);
                units.truncate(pre as usize + 1);
                check(&units, u % 7 == 0);
            }
            check(&[0xd83d, u, 0x41], false);
            check(&[u, 0xde00, 0x41, 0x42, 0x43, 0x44], false);
        }
        let awkward: &[u16] = &[
            0, 9, 10, 13, 0x1f, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0xd800, 0xdbff, 0xdc00, 0xdfff,
            0xfffe, 0xffff, 0xe000,
        ];
        for &a in awkward {
            for &b in awkward {
                for &c in awkward {
                    check(&[a, b, c], false);
                    check(&[0x41, a, b, c, 0x41, 0x41, 0x41, 0x41, 0x41], true);
                }
            }
        }
    }
}
