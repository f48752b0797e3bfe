//! BinXML tokens and substitution values (MS-EVEN6 §2.2.12 "BinXml", libyal "Binary XML").
//!
//! An event becomes a *shape* (the element tree with every variable value replaced by a
//! typed substitution) plus the *values* in substitution order. Equal shapes share one
//! template; the values travel in each record's template instance, typed the way Windows
//! types them, so that a reader's template-substitution fast path sees realistic data.

use super::xml_tree::{Element, Node};

pub(crate) use crate::evtx_format::token;
use crate::evtx_format::value_type as vt;

/// The substitution value types evident writes (MS-EVEN6 §2.2.12 value types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum ValueType {
    /// UTF-16LE, stored without a terminator (the size says where it ends).
    String = vt::STRING,
    UInt8 = vt::UINT8,
    UInt16 = vt::UINT16,
    UInt32 = vt::UINT32,
    UInt64 = vt::UINT64,
    Binary = vt::BINARY,
    Guid = vt::GUID,
    FileTime = vt::FILETIME,
    Sid = vt::SID,
    HexInt64 = vt::HEX_INT64,
}

/// The values of one record's template instance, in substitution order, already encoded.
#[derive(Debug, Default)]
pub(crate) struct Values {
    pub data: Vec<u8>,
    /// (encoded size in bytes, type) per substitution.
    pub items: Vec<(usize, ValueType)>,
}

impl Values {
    pub fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
    }

    /// Encodes `text` as `wanted`, or as a string when the text is not exactly representable
    /// as that type (so that nothing is ever lost). Returns the type used.
    fn push(&mut self, wanted: ValueType, text: &str) -> ValueType {
        let start = self.data.len();
        let used = if encode_typed(wanted, text, &mut self.data) {
            wanted
        } else {
            self.data.truncate(start);
            super::strings::push_utf16(&mut self.data, text);
            ValueType::String
        };
        self.items.push((self.data.len() - start, used));
        used
    }
}

/// One step of a template's token stream, with the variable parts left as substitutions.
/// Substitution indices are implicit: the n-th `Substitution` is value n.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ShapeToken {
    Open {
        name: String,
        has_attributes: bool,
    },
    Attribute(String),
    /// Static text (an attribute value or element content that is part of the structure).
    Text(String),
    Substitution(ValueType),
    CloseStart,
    CloseEmpty,
    End,
}

/// The part of the event an element is in; it decides which values are substitutions and
/// with which types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Event,
    System,
    EventData,
    UserData,
    Other,
}

/// Splits an `<Event>` tree into its shape and its values (both buffers are cleared first).
pub(crate) fn decompose(event: &Element, shape: &mut Vec<ShapeToken>, values: &mut Values) {
    shape.clear();
    values.clear();
    flatten(event, Part::Event, shape, values);
}

fn flatten(element: &Element, part: Part, shape: &mut Vec<ShapeToken>, values: &mut Values) {
    shape.push(ShapeToken::Open {
        name: element.name.clone(),
        has_attributes: !element.attributes.is_empty(),
    });
    for (name, value) in &element.attributes {
        shape.push(ShapeToken::Attribute(name.clone()));
        match attribute_type(part, &element.name, name) {
            Some(wanted) => shape.push(ShapeToken::Substitution(values.push(wanted, value))),
            None => shape.push(ShapeToken::Text(value.clone())),
        }
    }
    let has_element_children = element
        .children
        .iter()
        .any(|c| matches!(c, Node::Element(_)));
    let kept = |child: &&Node| match child {
        // Indentation between elements is not data.
        Node::Text(text) => !(text.is_empty() || has_element_children && text.trim().is_empty()),
        // A real .evtx holds no rendered message: RenderingInfo is dropped.
        Node::Element(e) => !(part == Part::Event && e.name == "RenderingInfo"),
    };
    if !element.children.iter().any(|c| kept(&c)) {
        shape.push(ShapeToken::CloseEmpty);
        return;
    }
    shape.push(ShapeToken::CloseStart);
    for child in element.children.iter().filter(kept) {
        match child {
            Node::Element(e) => flatten(e, child_part(part, &e.name), shape, values),
            Node::Text(text) => match content_type(part, &element.name) {
                Some(wanted) => shape.push(ShapeToken::Substitution(values.push(wanted, text))),
                None => shape.push(ShapeToken::Text(text.clone())),
            },
        }
    }
    shape.push(ShapeToken::End);
}

fn child_part(parent: Part, name: &str) -> Part {
    match (parent, name) {
        (Part::Event, "System") => Part::System,
        (Part::Event, "EventData") => Part::EventData,
        (Part::Event, "UserData") => Part::UserData,
        (Part::Event, _) => Part::Other,
        (other, _) => other,
    }
}

/// The type of an attribute value that is a substitution; `None` for static structure
/// (`xmlns`, `Data/@Name`, the UserData namespaces).
fn attribute_type(part: Part, element: &str, attribute: &str) -> Option<ValueType> {
    if part != Part::System {
        return None;
    }
    Some(match (element, attribute) {
        ("Provider", "Guid") => ValueType::Guid,
        ("EventID", "Qualifiers") => ValueType::UInt16,
        ("TimeCreated", "SystemTime") => ValueType::FileTime,
        ("Correlation", "ActivityID" | "RelatedActivityID") => ValueType::Guid,
        ("Execution", "ProcessID" | "ThreadID") => ValueType::UInt32,
        ("Security", "UserID") => ValueType::Sid,
        _ => ValueType::String,
    })
}

/// The type of an element's text when it is a substitution; `None` for static text.
fn content_type(part: Part, element: &str) -> Option<ValueType> {
    match part {
        Part::System => match element {
            // Windows keeps the computer name in the template, not in the values.
            "Computer" => None,
            "EventID" | "Task" => Some(ValueType::UInt16),
            "Version" | "Level" | "Opcode" => Some(ValueType::UInt8),
            "Keywords" => Some(ValueType::HexInt64),
            "EventRecordID" => Some(ValueType::UInt64),
            _ => Some(ValueType::String),
        },
        Part::EventData if element == "Binary" => Some(ValueType::Binary),
        Part::EventData | Part::UserData | Part::Other => Some(ValueType::String),
        Part::Event => None,
    }
}

/// Encodes `text` as `wanted` into `out`; false when it does not represent exactly.
fn encode_typed(wanted: ValueType, text: &str, out: &mut Vec<u8>) -> bool {
    match wanted {
        ValueType::String => {
            super::strings::push_utf16(out, text);
            true
        }
        ValueType::UInt8 => push_decimal::<u8>(text, out, |v, o| o.push(v)),
        ValueType::UInt16 => {
            push_decimal::<u16>(text, out, |v, o| o.extend_from_slice(&v.to_le_bytes()))
        }
        ValueType::UInt32 => {
            push_decimal::<u32>(text, out, |v, o| o.extend_from_slice(&v.to_le_bytes()))
        }
        ValueType::UInt64 => {
            push_decimal::<u64>(text, out, |v, o| o.extend_from_slice(&v.to_le_bytes()))
        }
        ValueType::HexInt64 => match parse_hex_u64(text) {
            Some(v) => {
                out.extend_from_slice(&v.to_le_bytes());
                true
            }
            None => false,
        },
        ValueType::FileTime => match parse_filetime(text) {
            Some(v) => {
                out.extend_from_slice(&v.to_le_bytes());
                true
            }
            None => false,
        },
        ValueType::Guid => match parse_guid(text) {
            Some(bytes) => {
                out.extend_from_slice(&bytes);
                true
            }
            None => false,
        },
        ValueType::Sid => parse_sid(text, out),
        ValueType::Binary => parse_hex_bytes(text, out),
    }
}

/// Decimal digits only, in canonical form (no sign, no leading zeros), so that the value
/// renders back to the same text.
fn push_decimal<T: std::str::FromStr + ToString>(
    text: &str,
    out: &mut Vec<u8>,
    write: impl FnOnce(T, &mut Vec<u8>),
) -> bool {
    match text.parse::<T>() {
        Ok(v) if v.to_string() == text => {
            write(v, out);
            true
        }
        _ => false,
    }
}

/// `0x` followed by hex digits (as `Keywords` is rendered).
fn parse_hex_u64(text: &str) -> Option<u64> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// 100-ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

/// An RFC 3339 time (a time without an offset is read as UTC, as Windows writes UTC) as a
/// FILETIME; `None` when it is not a time or not representable in 100-ns units.
pub(crate) fn parse_filetime(text: &str) -> Option<u64> {
    let timestamp = match text.parse::<jiff::Timestamp>() {
        Ok(t) => t,
        Err(_) => text
            .parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp(),
    };
    let nanos = timestamp.as_nanosecond();
    if nanos % 100 != 0 {
        return None;
    }
    u64::try_from(nanos / 100 + FILETIME_UNIX_EPOCH).ok()
}

/// A GUID with or without braces, as the 16 bytes Windows stores (first three groups
/// little-endian).
pub(crate) fn parse_guid(text: &str) -> Option<[u8; 16]> {
    let inner = match text.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?,
        None => text,
    };
    let bytes = inner.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let hex: String = inner.chars().filter(|&c| c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok();
    let mut out = [0u8; 16];
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    for (position, &source) in order.iter().enumerate() {
        out[position] = byte(source)?;
    }
    Some(out)
}

/// `S-1-5-21-...` as a binary SID: revision, sub-authority count, 48-bit big-endian
/// authority, little-endian 32-bit sub-authorities.
fn parse_sid(text: &str, out: &mut Vec<u8>) -> bool {
    let mut parts = text.split('-');
    if parts.next() != Some("S") {
        return false;
    }
    let canonical = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let Some(revision) = parts
        .next()
        .filter(|s| canonical(s))
        .and_then(|s| s.parse::<u8>().ok())
    else {
        return false;
    };
    let Some(authority) = parts
        .next()
        .filter(|s| canonical(s))
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&a| a < (1 << 32))
    else {
        return false;
    };
    let mut subs = Vec::new();
    for part in parts {
        match Some(part)
            .filter(|s| canonical(s))
            .and_then(|s| s.parse::<u32>().ok())
        {
            Some(v) => subs.push(v),
            None => return false,
        }
    }
    if subs.len() > 15 {
        return false;
    }
    out.push(revision);
    out.push(subs.len() as u8);
    out.extend_from_slice(&authority.to_be_bytes()[2..]);
    for sub in subs {
        out.extend_from_slice(&sub.to_le_bytes());
    }
    true
}

/// Upper-case hex (as Windows renders `Binary`) to bytes; other spellings stay strings so
/// that they render back unchanged.
fn parse_hex_bytes(text: &str, out: &mut Vec<u8>) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty()
        || bytes.len() % 2 != 0
        || !bytes
            .iter()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
    {
        return false;
    }
    for pair in bytes.chunks_exact(2) {
        let hex = |b: u8| {
            if b.is_ascii_digit() {
                b - b'0'
            } else {
                b - b'A' + 10
            }
        };
        out.push(hex(pair[0]) << 4 | hex(pair[1]));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_bytes_follow_the_windows_layout() {
        let bytes = parse_guid("{54849625-5478-4994-A5BA-3E3B0328C30D}").unwrap();
        assert_eq!(bytes[..4], [0x25, 0x96, 0x84, 0x54]);
        assert_eq!(bytes[4..6], [0x78, 0x54]);
        assert_eq!(bytes[8..], [0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d]);
        assert_eq!(
            parse_guid("54849625-5478-4994-a5ba-3e3b0328c30d"),
            Some(bytes)
        );
        assert_eq!(parse_guid("{not-a-guid}"), None);
    }

    #[test]
    fn sids_encode_and_odd_ones_stay_strings() {
        let mut out = Vec::new();
        assert!(parse_sid("S-1-5-18", &mut out));
        assert_eq!(out, [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
        assert!(!parse_sid("S-1-5-018", &mut Vec::new()));
        assert!(!parse_sid("NT AUTHORITY\\SYSTEM", &mut Vec::new()));
    }

    #[test]
    fn filetime_keeps_100ns_precision() {
        assert_eq!(parse_filetime("1601-01-01T00:00:00Z"), Some(0));
        let ft = parse_filetime("2024-03-01T10:00:00.1234567Z").unwrap();
        assert_eq!(ft % 10_000_000, 1_234_567);
        assert_eq!(parse_filetime("2024-03-01T10:00:00.123456789Z"), None);
        assert_eq!(parse_filetime("yesterday"), None);
    }

    #[test]
    fn numbers_that_would_not_render_back_stay_strings() {
        let mut values = Values::default();
        assert_eq!(values.push(ValueType::UInt8, "4"), ValueType::UInt8);
        assert_eq!(values.push(ValueType::UInt8, "04"), ValueType::String);
        assert_eq!(values.push(ValueType::UInt8, "300"), ValueType::String);
        assert_eq!(
            values.push(ValueType::HexInt64, "0x8020000000000000"),
            ValueType::HexInt64
        );
        assert_eq!(
            values.push(ValueType::Binary, "0D000000"),
            ValueType::Binary
        );
        assert_eq!(values.push(ValueType::Binary, "0d"), ValueType::String);
    }
}
