//! Template definitions (MS-EVEN6 §2.2.12 "TemplateDefinition"): the element tree of a record
//! with every variable part left as a numbered substitution, stored once per chunk and shared
//! by all the records written from it.
//!
//! A definition is read into a flat token list with its names resolved, so a parsed
//! `Template` no longer depends on the chunk it came from and equal definitions of different
//! chunks compare equal (that is what lets a verdict about one template hold for a whole file).

use super::cursor::{u16_at, u32_at, Cursor};
use crate::evtx_format::{token, value_type};

const OPEN_WITH_ATTRIBUTES: u8 = token::OPEN_START_ELEMENT | token::MORE;
const VALUE_MORE: u8 = token::VALUE | token::MORE;
const ATTRIBUTE_MORE: u8 = token::ATTRIBUTE | token::MORE;
use super::program::is_marker;
use super::value::{is_known_type, sanitize_utf16};

/// Deepest element nesting accepted in a definition (the XML reader's limit).
const MAX_DEPTH: usize = crate::source::xml::MAX_DEPTH;

/// One token of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Tok {
    /// An element start; `close` is the index just past its end, so that an element left out
    /// (its dependency is null) is skipped in one step.
    Open {
        name: Box<str>,
        dependency: Option<u16>,
        close: usize,
    },
    /// An attribute of the element just opened; its value is the tokens up to the next
    /// `Attr`, `CloseStart` or `CloseEmpty`.
    Attr(Box<str>),
    CloseStart,
    CloseEmpty,
    End,
    /// Literal text, already as the XML rendering shows it once unescaped.
    Text(Box<str>),
    Subst {
        index: u16,
        optional: bool,
    },
}

/// Where a System head field of the records of a template comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    /// Written in the template itself (classic events name provider and channel literally).
    Literal(Box<str>),
    /// The value of this substitution.
    Value(u16),
    /// Not a single literal or substitution: the record must be decoded to know it.
    Unknown,
}

/// The provider name, event id and channel of a template's records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Head {
    pub provider: Slot,
    pub event_id: Slot,
    pub channel: Slot,
    /// The dependencies of the elements that hold them: when one of these values is null,
    /// an element is left out and the head is not plain.
    pub guards: Vec<u16>,
}

/// A parsed template definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Template {
    pub toks: Vec<Tok>,
    pub head: Head,
    /// Its `System` part as a list of fields, when it has the plain shape Windows writes.
    pub system: Option<SystemPlan>,
    /// The substitutions placed outside its System part (all of them without one), each
    /// once, in order: the values whose text a record program writes (see `program`). `None`
    /// when the template cannot have a program: literal text that could be taken for a marker.
    pub payload_values: Option<Box<[u16]>>,
}

#[cfg(test)]
impl Template {
    /// A template of no tokens whose head tells nothing: a stand-in where tests need one.
    pub(crate) fn bare() -> Template {
        Template {
            toks: Vec::new(),
            head: Head {
                provider: Slot::Unknown,
                event_id: Slot::Unknown,
                channel: Slot::Unknown,
                guards: Vec::new(),
            },
            system: None,
            payload_values: None,
        }
    }
}

/// One piece of an attribute value or of an element's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    Text(Box<str>),
    Value(u16),
}

/// One child element of `System`: its attributes and its text, each made of parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SystemField {
    pub element: Box<str>,
    pub dependency: Option<u16>,
    pub attrs: Vec<(Box<str>, Vec<Part>)>,
    pub text: Vec<Part>,
}

/// A System field written plainly: an element the shorter ways of reading a record (a head's
/// JSON, a kept System part) fill straight from its values, each attribute and its text one
/// value. Whether the values read as the field needs is for the reader to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlainField {
    /// `<TimeCreated SystemTime=v/>`.
    Time(u16),
    /// `Version`, `Level`, `Task`, `Opcode`, `Keywords` or `EventRecordID` holding one value.
    Number(u16),
    /// `<EventID Qualifiers=q>id</EventID>`, the qualifiers perhaps absent.
    EventId { id: u16, qualifiers: Option<u16> },
    /// `<Execution ProcessID=p ThreadID=t/>`.
    Execution { process: u16, thread: u16 },
}

impl SystemField {
    /// This field's plain form, if it has one (its dependency aside).
    pub(crate) fn plain(&self) -> Option<PlainField> {
        let one = |parts: &[Part]| match parts {
            [Part::Value(i)] => Some(*i),
            _ => None,
        };
        let attr = |at: usize, name: &str| {
            let (attr, parts) = self.attrs.get(at)?;
            (&**attr == name).then(|| one(parts)).flatten()
        };
        let text = one(&self.text);
        Some(match (&*self.element, self.attrs.len()) {
            ("TimeCreated", 1) if self.text.is_empty() => PlainField::Time(attr(0, "SystemTime")?),
            ("Version" | "Level" | "Task" | "Opcode" | "Keywords" | "EventRecordID", 0) => {
                PlainField::Number(text?)
            }
            ("EventID", 0) => PlainField::EventId {
                id: text?,
                qualifiers: None,
            },
            ("EventID", 1) => PlainField::EventId {
                id: text?,
                qualifiers: Some(attr(0, "Qualifiers")?),
            },
            ("Execution", 2) if self.text.is_empty() => PlainField::Execution {
                process: attr(0, "ProcessID")?,
                thread: attr(1, "ThreadID")?,
            },
            _ => return None,
        })
    }
}

/// The `System` element of a template (a child of its root, holding only leaf elements), read
/// as fields so that a record's System part is filled without replaying its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SystemPlan {
    /// Token index of `System`'s start, and just past its end.
    pub open: usize,
    pub close: usize,
    pub fields: Vec<SystemField>,
}

/// One token of a definition as its bytes say it, names and text still UTF-16.
enum RawTok<'c> {
    Open { name: &'c [u8], dependency: u16 },
    Attr(&'c [u8]),
    CloseStart,
    CloseEmpty,
    End,
    Text(&'c [u8]),
    Subst { index: u16, ty: u8, optional: bool },
}

/// Walks the definition at chunk offset `def` (its 24-byte header, then the BinXML body),
/// giving each token to `visit` with its names resolved (a name is written once per chunk and
/// referred to by offset after, so the same definition has different bytes in different
/// chunks, but the same tokens). `None` for anything this reader does not handle.
fn scan<'c>(
    chunk: &'c [u8],
    def: usize,
    mut visit: impl FnMut(RawTok<'c>) -> Option<()>,
) -> Option<()> {
    let size = u32_at(chunk, def.checked_add(20)?)? as usize;
    let start = def.checked_add(24)?;
    let end = start.checked_add(size)?;
    if end > chunk.len() {
        return None;
    }
    let mut cur = Cursor::at(chunk, start);
    while cur.pos() < end {
        let tok = match cur.u8()? {
            token::EOF => break,
            token::FRAGMENT_HEADER => {
                cur.skip(3)?;
                continue;
            }
            t @ (token::OPEN_START_ELEMENT | OPEN_WITH_ATTRIBUTES) => {
                let dependency = cur.u16()?;
                cur.skip(4)?;
                let name = name_ref(&mut cur)?;
                if t & token::MORE != 0 {
                    cur.skip(4)?;
                }
                RawTok::Open { name, dependency }
            }
            token::CLOSE_START_ELEMENT => RawTok::CloseStart,
            token::CLOSE_EMPTY_ELEMENT => RawTok::CloseEmpty,
            token::END_ELEMENT => RawTok::End,
            token::VALUE | VALUE_MORE => {
                // Literal values in definitions are strings in practice.
                if cur.u8()? != value_type::STRING {
                    return None;
                }
                let units = cur.u16()? as usize;
                RawTok::Text(cur.bytes(units.checked_mul(2)?)?)
            }
            token::ATTRIBUTE | ATTRIBUTE_MORE => RawTok::Attr(name_ref(&mut cur)?),
            t @ (token::NORMAL_SUBSTITUTION | token::OPTIONAL_SUBSTITUTION) => RawTok::Subst {
                index: cur.u16()?,
                ty: cur.u8()?,
                optional: t == token::OPTIONAL_SUBSTITUTION,
            },
            // CDATA, character and entity references, processing instructions, a nested
            // template instance: rare in definitions, left to the crate.
            _ => return None,
        };
        visit(tok)?;
    }
    Some(())
}

/// The longest relocated key made: a name is copied into the key at every use, so a crafted
/// definition could make one of hundreds of MB (a real one takes a few KiB).
const MAX_KEY: usize = 64 << 10;

/// Writes into `key` what [`parse`] reads of the definition at `def`, without the chunk's
/// offsets: equal keys parse to equal templates, wherever in whichever chunk they are written.
/// (Parsing a definition costs several times more than this.) `None` where [`scan`] gives up,
/// or past [`MAX_KEY`] bytes.
pub(crate) fn relocated_key(chunk: &[u8], def: usize, key: &mut Vec<u8>) -> Option<()> {
    key.clear();
    let bytes = |key: &mut Vec<u8>, tag: u8, bytes: &[u8]| {
        key.push(tag);
        key.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        key.extend_from_slice(bytes);
    };
    scan(chunk, def, |tok| {
        match tok {
            RawTok::Open { name, dependency } => {
                bytes(key, b'o', name);
                key.extend_from_slice(&dependency.to_le_bytes());
            }
            RawTok::Attr(name) => bytes(key, b'a', name),
            RawTok::CloseStart => key.push(b'>'),
            RawTok::CloseEmpty => key.push(b'/'),
            RawTok::End => key.push(b'e'),
            RawTok::Text(text) => bytes(key, b't', text),
            RawTok::Subst {
                index,
                ty,
                optional,
            } => {
                key.push(if optional { b'?' } else { b's' });
                key.extend_from_slice(&index.to_le_bytes());
                key.push(ty);
            }
        }
        (key.len() <= MAX_KEY).then_some(())
    })
}

/// Reads the definition at chunk offset `def`. `None` for anything this reader does not
/// handle; the record then goes to the `evtx` crate.
pub(crate) fn parse(chunk: &[u8], def: usize) -> Option<Template> {
    let mut toks = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    scan(chunk, def, |tok| {
        match tok {
            RawTok::Open { name, dependency } => {
                if open.len() >= MAX_DEPTH {
                    return None;
                }
                open.push(toks.len());
                toks.push(Tok::Open {
                    name: name_text(name)?,
                    dependency: (dependency != 0xffff).then_some(dependency),
                    close: 0,
                });
            }
            RawTok::CloseStart => toks.push(Tok::CloseStart),
            RawTok::CloseEmpty | RawTok::End => {
                toks.push(if matches!(tok, RawTok::CloseEmpty) {
                    Tok::CloseEmpty
                } else {
                    Tok::End
                });
                let at = open.pop()?;
                let after = toks.len();
                if let Some(Tok::Open { close, .. }) = toks.get_mut(at) {
                    *close = after;
                }
            }
            RawTok::Text(bytes) => {
                let mut text = String::new();
                sanitize_utf16(bytes, &mut text);
                toks.push(Tok::Text(text.into()));
            }
            RawTok::Attr(name) => toks.push(Tok::Attr(name_text(name)?)),
            RawTok::Subst {
                index,
                ty,
                optional,
            } => {
                // The declared type must be one the crate knows (it rejects the record else).
                if !is_known_type(ty) {
                    return None;
                }
                toks.push(Tok::Subst { index, optional });
            }
        }
        Some(())
    })?;
    if !open.is_empty() || toks.is_empty() {
        return None;
    }
    let head = head_of(&toks);
    let system = system_plan(&toks);
    let payload_values = payload_values(&toks, system.as_ref());
    Some(Template {
        toks,
        head,
        system,
        payload_values,
    })
}

/// See [`Template::payload_values`].
fn payload_values(toks: &[Tok], system: Option<&SystemPlan>) -> Option<Box<[u16]>> {
    let system = system.map_or(0..0, |plan| plan.open..plan.close);
    // Markers are U+100000 and up, whose UTF-8 starts with the byte F4.
    let literal = |text: &str| text.as_bytes().contains(&0xF4) && text.chars().any(is_marker);
    let mut indices = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Open { name, .. } | Tok::Attr(name) | Tok::Text(name) if literal(name) => {
                return None
            }
            Tok::Subst { index, .. } if !system.contains(&i) => indices.push(*index),
            _ => {}
        }
    }
    indices.sort_unstable();
    indices.dedup();
    Some(indices.into())
}

/// A name reference: a chunk offset of a name record (`next u32, hash u16, units u16, UTF-16,
/// NUL`), which may sit inline right after the reference.
fn name_ref<'c>(cur: &mut Cursor<'c>) -> Option<&'c [u8]> {
    let offset = cur.u32()? as usize;
    let data = cur.data();
    let units = u16_at(data, offset.checked_add(6)?)? as usize;
    let start = offset + 8;
    let bytes = data.get(start..start.checked_add(units.checked_mul(2)?)?)?;
    if offset == cur.pos() {
        cur.skip(8 + units * 2 + 2)?;
    }
    Some(bytes)
}

/// A name's UTF-16 as its local part (no namespace prefix).
fn name_text(bytes: &[u8]) -> Option<Box<str>> {
    let name: String = char::decode_utf16(
        bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]])),
    )
    .collect::<Result<_, _>>()
    .ok()?;
    Some(crate::source::xml::local(&name).into())
}

/// Finds the head fields in the `Event/System` part of a definition.
fn head_of(toks: &[Tok]) -> Head {
    let mut head = Head {
        provider: Slot::Unknown,
        event_id: Slot::Unknown,
        channel: Slot::Unknown,
        guards: Vec::new(),
    };
    let mut path: Vec<(&str, Option<u16>)> = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Open {
                name, dependency, ..
            } => {
                path.push((name, *dependency));
                let in_system = path.len() == 3 && path[0].0 == "Event" && path[1].0 == "System";
                let slot = match &**name {
                    "EventID" if in_system => &mut head.event_id,
                    "Channel" if in_system => &mut head.channel,
                    "Provider" if in_system => &mut head.provider,
                    _ => continue,
                };
                *slot = if &**name == "Provider" {
                    attr_slot(toks, i, "Name")
                } else {
                    content_slot(toks, i)
                };
                head.guards.extend(path.iter().filter_map(|p| p.1));
            }
            Tok::CloseEmpty | Tok::End => {
                path.pop();
            }
            _ => {}
        }
    }
    head.guards.sort_unstable();
    head.guards.dedup();
    head
}

/// The slot of one part, or `Unknown` for none or several.
fn single(parts: &[Tok]) -> Slot {
    match parts {
        [Tok::Text(text)] => Slot::Literal(text.clone()),
        [Tok::Subst { index, .. }] => Slot::Value(*index),
        [] => Slot::Literal("".into()),
        _ => Slot::Unknown,
    }
}

/// The text content of the element opened at `at`, when it has no child element.
fn content_slot(toks: &[Tok], at: usize) -> Slot {
    let Some(Tok::Open { close, .. }) = toks.get(at) else {
        return Slot::Unknown;
    };
    let inner = &toks[at + 1..*close];
    let Some(start) = inner.iter().position(|t| matches!(t, Tok::CloseStart)) else {
        return Slot::Literal("".into());
    };
    match inner.get(start + 1..inner.len().saturating_sub(1)) {
        Some(parts)
            if parts
                .iter()
                .all(|t| matches!(t, Tok::Text(_) | Tok::Subst { .. })) =>
        {
            single(parts)
        }
        _ => Slot::Unknown,
    }
}

/// The value of attribute `wanted` of the element opened at `at`.
fn attr_slot(toks: &[Tok], at: usize, wanted: &str) -> Slot {
    let mut i = at + 1;
    while let Some(tok) = toks.get(i) {
        match tok {
            Tok::Attr(name) if &**name == wanted => {
                let rest = &toks[i + 1..];
                let len = rest
                    .iter()
                    .position(|t| !matches!(t, Tok::Text(_) | Tok::Subst { .. }))
                    .unwrap_or(rest.len());
                return single(&rest[..len]);
            }
            Tok::Attr(_) | Tok::Text(_) | Tok::Subst { .. } => i += 1,
            _ => break,
        }
    }
    Slot::Literal("".into())
}

/// The plan of the template's `System` element, when it is a child of the root made only of
/// leaf elements whose attributes and text are literals and substitutions.
fn system_plan(toks: &[Tok]) -> Option<SystemPlan> {
    let Some(Tok::Open {
        close: root_close, ..
    }) = toks.first()
    else {
        return None;
    };
    // The root's children: find `System` among them.
    let mut i = 1;
    let open = loop {
        match toks.get(i)? {
            Tok::Open { name, .. } if &**name == "System" => break i,
            Tok::Open { close, .. } => i = *close,
            _ => i += 1,
        }
        if i >= *root_close {
            return None;
        }
    };
    let Tok::Open { close, .. } = toks.get(open)? else {
        return None;
    };
    let close = *close;
    let mut fields = Vec::new();
    let mut j = open + 1;
    match toks.get(j)? {
        Tok::CloseStart => j += 1,
        Tok::CloseEmpty => {
            return Some(SystemPlan {
                open,
                close,
                fields,
            })
        }
        _ => return None,
    }
    while j < close - 1 {
        let Tok::Open {
            name,
            dependency,
            close: end,
        } = toks.get(j)?
        else {
            return None;
        };
        let mut field = SystemField {
            element: name.clone(),
            dependency: *dependency,
            attrs: Vec::new(),
            text: Vec::new(),
        };
        let mut k = j + 1;
        while let Some(Tok::Attr(attr)) = toks.get(k) {
            let (parts, next) = parts_at(toks, k + 1);
            field.attrs.push((attr.clone(), parts));
            k = next;
        }
        match toks.get(k)? {
            Tok::CloseEmpty if k + 1 == *end => {}
            Tok::CloseStart => {
                let (parts, next) = parts_at(toks, k + 1);
                if next + 1 != *end || !matches!(toks.get(next)?, Tok::End) {
                    return None;
                }
                field.text = parts;
            }
            _ => return None,
        }
        fields.push(field);
        j = *end;
    }
    Some(SystemPlan {
        open,
        close,
        fields,
    })
}

/// The run of literal and substitution tokens from `at`, and where it ends.
fn parts_at(toks: &[Tok], mut at: usize) -> (Vec<Part>, usize) {
    let mut parts = Vec::new();
    loop {
        match toks.get(at) {
            Some(Tok::Text(text)) => parts.push(Part::Text(text.clone())),
            Some(Tok::Subst { index, .. }) => parts.push(Part::Value(*index)),
            _ => return (parts, at),
        }
        at += 1;
    }
}
