//! Windows event XML: `wevtutil qe /f:xml` and `/f:RenderedXml` output (events concatenated
//! without a root), Event Viewer "Save as XML" (`<Events>` root), `evtx_dump -o xml` output
//! (with its `Record N` lines), and any text holding `<Event ...>` elements.
//!
//! The schema is Microsoft's event schema
//! (<https://learn.microsoft.com/windows/win32/wes/eventschema-schema>): `Event` holds `System`,
//! then one of `EventData` / `UserData` (or `ProcessingErrorData`, `DebugData`, ...), then
//! optionally `RenderingInfo`. Elements are matched by local name, so a namespace prefix or
//! none makes no difference.
//!
//! The reader streams with quick-xml and is bounded: nesting deeper than [`MAX_DEPTH`], a run of
//! text or a tag longer than [`MAX_RUN`] bytes, or a record with more than [`MAX_FIELDS`] data
//! items stops with [`InputErrorKind::LimitExceeded`] instead of growing without end.

use std::io::{self, BufRead};

use quick_xml::events::{BytesRef, BytesStart, Event as XmlEvent};
use quick_xml::Reader;

use super::assemble::EventBuilder;
use super::{InputError, InputErrorKind, SourceCtx};
use crate::event::{Event, Origin};

/// The deepest element nesting accepted, counted from the document root.
pub const MAX_DEPTH: usize = 64;
/// The longest run of bytes between two markup characters (a text node or a tag) accepted.
pub const MAX_RUN: usize = 16 * 1024 * 1024;
/// The most data items one record may carry.
pub const MAX_FIELDS: usize = 10_000;

/// Parses every `<Event>` element in `text` into an [`Event`].
///
/// This is the entry point for XML held in memory: rule examples, and the round trip of the
/// EVTX writer. `origin` names where the text came from; each event gets its 1-based position
/// as `origin.record`. A malformed document is an error; text with no `<Event>` in it gives
/// an empty list.
pub fn parse_events(text: &str, origin: &Origin) -> Result<Vec<Event>, InputError> {
    let ctx = SourceCtx {
        file: origin.file.clone(),
        member: origin.member.clone(),
    };
    let mut events = Vec::new();
    let mut first_error = None;
    read_xml(text.as_bytes(), &ctx, &mut |item| {
        match item {
            Ok(mut event) => {
                if origin.chunk.is_some() {
                    event.origin.chunk = origin.chunk;
                }
                events.push(event);
            }
            Err(err) => {
                if first_error.is_none() {
                    first_error = Some(err);
                }
            }
        }
        true
    });
    match first_error {
        Some(err) => Err(err),
        None => Ok(events),
    }
}

/// Parses exactly one `<Event>` element (for example a rule example).
pub fn parse_event(text: &str, origin: &Origin) -> Result<Event, InputError> {
    let mut events = parse_events(text, origin)?;
    match events.len() {
        1 => Ok(events.remove(0)),
        n => Err(SourceCtx::from_origin(origin).error(
            None,
            InputErrorKind::Malformed,
            format!("expected one <Event> element, found {n}"),
        )),
    }
}

/// Streams the events of an XML input into `emit`, in document order.
///
/// `emit` receives each event (or a per-record error) and returns whether to go on. A
/// structural error (malformed XML, a limit) is emitted once and ends the read: XML cannot
/// be resynchronized reliably after it.
pub(crate) fn read_xml<R: BufRead>(
    input: R,
    ctx: &SourceCtx,
    emit: &mut dyn FnMut(Result<Event, InputError>) -> bool,
) {
    read_with(BoundedRuns::new(input, MAX_RUN), ctx, emit);
}

/// Parses one record as rendered by the EVTX parser (already bounded by its chunk), without
/// the run-length guard that untrusted text needs.
pub(crate) fn read_rendered(
    xml: &[u8],
    ctx: &SourceCtx,
    emit: &mut dyn FnMut(Result<Event, InputError>) -> bool,
) {
    read_with(BoundedRuns::new(xml, usize::MAX), ctx, emit);
}

fn read_with<R: BufRead>(
    input: BoundedRuns<R>,
    ctx: &SourceCtx,
    emit: &mut dyn FnMut(Result<Event, InputError>) -> bool,
) {
    let mut reader = Reader::from_reader(input);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.allow_dangling_amp = true;
        config.check_comments = false;
        config.expand_empty_elements = false;
    }
    let mut assembler = Assembler::new(ctx);
    let mut buf = Vec::with_capacity(4096);
    let mut depth = 0usize;
    loop {
        buf.clear();
        let offset = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(err) => {
                let exceeded = reader.get_ref().exceeded;
                let (kind, message) = if exceeded {
                    (
                        InputErrorKind::LimitExceeded,
                        format!("a text or tag longer than {MAX_RUN} bytes"),
                    )
                } else if matches!(err, quick_xml::Error::Syntax(_)) && assembler.builder.is_some()
                {
                    (
                        InputErrorKind::Truncated,
                        format!("XML ends inside an event: {err}"),
                    )
                } else {
                    (InputErrorKind::Malformed, format!("XML: {err}"))
                };
                emit(Err(ctx.error(Some(reader.error_position()), kind, message)));
                return;
            }
        };
        let step = match event {
            XmlEvent::Start(start) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    Err((
                        InputErrorKind::LimitExceeded,
                        format!("XML nested deeper than {MAX_DEPTH} elements"),
                    ))
                } else {
                    start_element(&mut assembler, &start, false)
                }
            }
            XmlEvent::Empty(start) => {
                if depth + 1 > MAX_DEPTH {
                    Err((
                        InputErrorKind::LimitExceeded,
                        format!("XML nested deeper than {MAX_DEPTH} elements"),
                    ))
                } else {
                    start_element(&mut assembler, &start, true)
                }
            }
            XmlEvent::End(_) => {
                depth = depth.saturating_sub(1);
                assembler.end()
            }
            XmlEvent::Text(text) => {
                if assembler.wants_text() {
                    match text.decode() {
                        Ok(text) => assembler.text(&text),
                        Err(err) => Err((InputErrorKind::Malformed, format!("XML text: {err}"))),
                    }
                } else {
                    Ok(None)
                }
            }
            XmlEvent::CData(data) => {
                if assembler.wants_text() {
                    let raw = data.into_inner();
                    assembler.text(&String::from_utf8_lossy(&raw))
                } else {
                    Ok(None)
                }
            }
            XmlEvent::GeneralRef(reference) => {
                if assembler.wants_text() {
                    assembler.text(&resolve_reference(&reference))
                } else {
                    Ok(None)
                }
            }
            XmlEvent::Eof => {
                if assembler.builder.is_some() {
                    emit(Err(ctx.error(
                        Some(offset),
                        InputErrorKind::Truncated,
                        "XML ends inside an <Event> element".into(),
                    )));
                }
                return;
            }
            XmlEvent::Comment(_) | XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::DocType(_) => {
                Ok(None)
            }
        };
        match step {
            Ok(Some(event)) => {
                if !emit(Ok(event)) {
                    return;
                }
            }
            Ok(None) => {}
            Err((kind, message)) => {
                emit(Err(ctx.error(Some(offset), kind, message)));
                return;
            }
        }
    }
}

/// Feeds one quick-xml start tag to the assembler.
fn start_element(assembler: &mut Assembler<'_>, start: &BytesStart<'_>, empty: bool) -> Step {
    let local = start.local_name();
    let name = String::from_utf8_lossy(local.as_ref());
    assembler.open(&name)?;
    if assembler.wants_attributes() {
        for attr in start.attributes().with_checks(false) {
            let attr =
                attr.map_err(|e| (InputErrorKind::Malformed, format!("XML attribute: {e}")))?;
            let key = attr.key.local_name();
            let key = String::from_utf8_lossy(key.as_ref());
            let value = attr
                .unescape_value()
                .map_err(|e| (InputErrorKind::Malformed, format!("XML attribute: {e}")))?;
            assembler.attribute(&key, &value);
        }
    }
    assembler.opened(empty)
}

/// Resolves `&name;` and `&#...;` in text: the five XML entities and character references.
/// An unknown entity is kept as written.
fn resolve_reference(reference: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return c.to_string();
    }
    let name = String::from_utf8_lossy(reference);
    match name.as_ref() {
        "lt" => "<".into(),
        "gt" => ">".into(),
        "amp" => "&".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        other => format!("&{other};"),
    }
}

pub(crate) type Step = Result<Option<Event>, (InputErrorKind, String)>;

/// The part of an event an element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    System,
    EventData,
    UserData,
    RenderingInfo,
    /// `ProcessingErrorData`, `DebugData`, `BinaryEventData`, ...: children become fields.
    Other,
}

/// One open element below `<Event>`; its name is `names[name]` of the assembler.
#[derive(Debug)]
struct Open {
    name: std::ops::Range<usize>,
    /// `Data/@Name` for EventData items.
    data_name: Option<String>,
    has_children: bool,
}

/// Turns the element stream of one `<Event>` at a time into [`Event`]s. Driven by quick-xml
/// for text input and by [`scan_rendered`] for the EVTX parser's own rendering, so that both
/// map the event schema the same way.
pub(crate) struct Assembler<'c> {
    ctx: &'c SourceCtx,
    builder: Option<EventBuilder>,
    /// Elements open below `<Event>` (the first is the section).
    stack: Vec<Open>,
    /// The names of the open elements, end to end (no allocation per element).
    names: String,
    text: String,
    /// Events seen so far, for `Origin::record`.
    count: u64,
    /// [`EventBuilder::binary_fields`] of the last event finished.
    pub(crate) binary_fields: Vec<usize>,
    /// Data values are kept as given (see [`EventBuilder::with_raw_values`]).
    pub(crate) raw_values: bool,
}

impl<'c> Assembler<'c> {
    pub(crate) fn new(ctx: &'c SourceCtx) -> Self {
        Assembler {
            ctx,
            builder: None,
            stack: Vec::new(),
            names: String::new(),
            text: String::new(),
            count: 0,
            binary_fields: Vec::new(),
            raw_values: false,
        }
    }

    /// The builder of the event being read, when the next element would be a section
    /// (`System`, `EventData` ...): for a reader that fills a whole section itself.
    pub(crate) fn section_builder(&mut self) -> Option<&mut EventBuilder> {
        if self.stack.is_empty() {
            self.builder.as_mut()
        } else {
            None
        }
    }

    pub(crate) fn wants_text(&self) -> bool {
        self.builder.is_some() && !self.stack.is_empty()
    }

    pub(crate) fn text(&mut self, text: &str) -> Step {
        if self.text.len() + text.len() > MAX_RUN {
            return Err((
                InputErrorKind::LimitExceeded,
                format!("an element's text is longer than {MAX_RUN} bytes"),
            ));
        }
        self.text.push_str(text);
        Ok(None)
    }

    fn name(&self, open: &Open) -> &str {
        &self.names[open.name.clone()]
    }

    fn section(&self) -> Option<Section> {
        self.stack.first().map(|open| match self.name(open) {
            "System" => Section::System,
            "EventData" => Section::EventData,
            "UserData" => Section::UserData,
            "RenderingInfo" => Section::RenderingInfo,
            _ => Section::Other,
        })
    }

    /// Whether the attributes of the element just opened matter (System children, and
    /// EventData `<Data Name=...>`).
    pub(crate) fn wants_attributes(&self) -> bool {
        self.builder.is_some()
            && self.stack.len() == 2
            && matches!(self.section(), Some(Section::System | Section::EventData))
    }

    /// An element opens (its attributes follow through [`Assembler::attribute`]).
    pub(crate) fn open(&mut self, name: &str) -> Step {
        let Some(builder) = self.builder.as_mut() else {
            if name == "Event" {
                self.builder = Some(if self.raw_values {
                    EventBuilder::with_raw_values()
                } else {
                    EventBuilder::new()
                });
                self.stack.clear();
                self.names.clear();
                self.text.clear();
            }
            return Ok(None);
        };
        if let Some(parent) = self.stack.last_mut() {
            parent.has_children = true;
        } else if name == "System" {
            builder.saw_system();
        }
        self.text.clear();
        let start = self.names.len();
        self.names.push_str(name);
        self.stack.push(Open {
            name: start..self.names.len(),
            data_name: None,
            has_children: false,
        });
        Ok(None)
    }

    /// An attribute of the element just opened; call only when [`Assembler::wants_attributes`].
    pub(crate) fn attribute(&mut self, key: &str, value: &str) {
        let Some(open) = self.stack.last() else {
            return;
        };
        let element = &self.names[open.name.clone()];
        let in_system = self.section() == Some(Section::System);
        let Some(builder) = self.builder.as_mut() else {
            return;
        };
        if in_system {
            builder.system_attr(element, key, value);
        } else if element == "Data" && key == "Name" {
            if let Some(open) = self.stack.last_mut() {
                open.data_name = Some(value.to_string());
            }
        }
    }

    /// The start tag is complete; `empty` for `<x/>`. An empty `<Event/>` is not an event.
    pub(crate) fn opened(&mut self, empty: bool) -> Step {
        if !empty {
            return Ok(None);
        }
        if self.builder.is_some() && self.stack.is_empty() {
            self.builder = None;
            return Ok(None);
        }
        self.end()
    }

    pub(crate) fn end(&mut self) -> Step {
        if self.builder.is_none() {
            return Ok(None);
        }
        let Some(open) = self.stack.pop() else {
            // The end of `<Event>` itself.
            return self.end_event();
        };
        let level = self.stack.len() + 1; // 1 = a section, 2 = its child, ...
        let section = match self.stack.first() {
            Some(_) => self.section(),
            None => {
                // A section closes; an empty <EventData/> or text directly in it says nothing.
                self.text.clear();
                self.names.truncate(open.name.start);
                return Ok(None);
            }
        };
        let text = std::mem::take(&mut self.text);
        if open.has_children {
            self.names.truncate(open.name.start);
            return Ok(None);
        }
        let name = &self.names[open.name.clone()];
        let Some(builder) = self.builder.as_mut() else {
            return Ok(None);
        };
        let path = |skip: usize| {
            let mut path = String::new();
            for parent in &self.stack[skip..] {
                path.push_str(&self.names[parent.name.clone()]);
                path.push('.');
            }
            path.push_str(name);
            path
        };
        match (section, level) {
            (Some(Section::System), 2) => builder.system_text(name, &text),
            (Some(Section::EventData), 2) => match name {
                "Data" => builder.data_owned(open.data_name, &text),
                "Binary" => builder.binary(&text),
                _ => builder.field(name.to_string(), &text),
            },
            (Some(Section::RenderingInfo), 2) if name == "Message" => builder.message(&text),
            (Some(Section::UserData), level) if level >= 3 => builder.field(path(2), &text),
            (Some(Section::Other), level) if level >= 2 => builder.field(path(1), &text),
            _ => {}
        }
        self.text = text;
        self.text.clear();
        self.names.truncate(open.name.start);
        if builder.event().fields.len() > MAX_FIELDS {
            self.builder = None;
            self.stack.clear();
            return Err((
                InputErrorKind::LimitExceeded,
                format!("a record with more than {MAX_FIELDS} data items"),
            ));
        }
        Ok(None)
    }

    fn end_event(&mut self) -> Step {
        let Some(builder) = self.builder.take() else {
            return Ok(None);
        };
        self.stack.clear();
        self.names.clear();
        self.text.clear();
        self.count += 1;
        if !builder.looks_like_event() {
            return Ok(None);
        }
        self.binary_fields.clear();
        self.binary_fields
            .extend_from_slice(builder.binary_fields());
        let mut event = builder.finish();
        event.origin = self.ctx.origin(None, Some(self.count));
        Ok(Some(event))
    }
}

/// Parses one record as the EVTX parser renders it (`<?xml ...?>` then one `<Event>` with
/// attributes in double quotes, text escaped with the five XML entities and character
/// references), without a general XML parser. Returns `None` for anything outside that shape
/// (a CDATA section, a comment, an unexpected character), and the caller falls back to
/// quick-xml.
pub(crate) fn scan_rendered(xml: &[u8], ctx: &SourceCtx) -> Option<Event> {
    let text = std::str::from_utf8(xml).ok()?;
    let bytes = text.as_bytes();
    let mut assembler = Assembler::new(ctx);
    let mut decoded = String::new();
    let mut pos = 0;
    let mut depth = 0usize;
    while pos < bytes.len() {
        let lt = match memchr_lt(&bytes[pos..]) {
            Some(i) => pos + i,
            None => {
                // Trailing text after the event.
                return None;
            }
        };
        if lt > pos && assembler.wants_text() {
            let raw = &text[pos..lt];
            if raw.contains('&') {
                decoded.clear();
                unescape_into(raw, &mut decoded)?;
                assembler.text(&decoded).ok()?;
            } else {
                assembler.text(raw).ok()?;
            }
        }
        pos = lt + 1;
        match bytes.get(pos)? {
            b'?' => {
                let end = find(bytes, pos, b"?>")?;
                pos = end + 2;
            }
            b'!' => return None,
            b'/' => {
                let end = pos + bytes[pos..].iter().position(|&b| b == b'>')?;
                pos = end + 1;
                depth = depth.checked_sub(1)?;
                if let Some(event) = assembler.end().ok()? {
                    return Some(event);
                }
            }
            _ => {
                let name_end = pos
                    + bytes[pos..]
                        .iter()
                        .position(|&b| b == b' ' || b == b'>' || b == b'/' || b == b'\n')?;
                let name = local(&text[pos..name_end]);
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                assembler.open(name).ok()?;
                let wants = assembler.wants_attributes();
                pos = name_end;
                loop {
                    while matches!(bytes.get(pos)?, b' ' | b'\n' | b'\r' | b'\t') {
                        pos += 1;
                    }
                    match bytes.get(pos)? {
                        b'>' => {
                            pos += 1;
                            assembler.opened(false).ok()?;
                            break;
                        }
                        b'/' => {
                            if bytes.get(pos + 1)? != &b'>' {
                                return None;
                            }
                            pos += 2;
                            depth -= 1;
                            if let Some(event) = assembler.opened(true).ok()? {
                                return Some(event);
                            }
                            break;
                        }
                        _ => {
                            let eq = pos + bytes[pos..].iter().position(|&b| b == b'=')?;
                            let key = local(text[pos..eq].trim_end());
                            if bytes.get(eq + 1)? != &b'"' {
                                return None;
                            }
                            let start = eq + 2;
                            let end = start + bytes[start..].iter().position(|&b| b == b'"')?;
                            if wants {
                                let raw = &text[start..end];
                                if raw.contains('&') {
                                    decoded.clear();
                                    unescape_into(raw, &mut decoded)?;
                                    assembler.attribute(key, &decoded);
                                } else {
                                    assembler.attribute(key, raw);
                                }
                            }
                            pos = end + 1;
                        }
                    }
                }
            }
        }
    }
    None
}

fn memchr_lt(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'<')
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// The local part of a possibly prefixed name (`ns:Event` → `Event`).
pub(crate) fn local(name: &str) -> &str {
    match name.bytes().position(|b| b == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// Resolves the five XML entities and character references; `None` for anything else.
fn unescape_into(raw: &str, out: &mut String) -> Option<()> {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..].find(';')? + amp;
        let entity = &rest[amp + 1..semi];
        match entity {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            _ => {
                let code = if let Some(hex) = entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    entity.strip_prefix('#')?.parse().ok()?
                };
                out.push(char::from_u32(code)?);
            }
        }
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    Some(())
}

/// A reader that refuses a run of more than `limit` bytes without a `<` or `>`, so that one
/// enormous text node or tag cannot make the XML parser's buffer grow without end.
struct BoundedRuns<R> {
    inner: R,
    limit: usize,
    run: usize,
    exceeded: bool,
}

impl<R> BoundedRuns<R> {
    fn new(inner: R, limit: usize) -> Self {
        BoundedRuns {
            inner,
            limit,
            run: 0,
            exceeded: false,
        }
    }
}

impl<R: BufRead> io::Read for BoundedRuns<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for BoundedRuns<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.exceeded {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "run of text longer than the limit",
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if self.limit == usize::MAX {
            self.inner.consume(amount);
            return;
        }
        if let Ok(buf) = self.inner.fill_buf() {
            let consumed = &buf[..amount.min(buf.len())];
            let mut segments = consumed.split(|&b| b == b'<' || b == b'>');
            let first = segments.next().map_or(0, <[u8]>::len);
            let mut longest = self.run + first;
            let mut last = None;
            for segment in segments {
                longest = longest.max(segment.len());
                last = Some(segment.len());
            }
            self.run = last.unwrap_or(self.run + first);
            if longest > self.limit {
                self.exceeded = true;
            }
        }
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LSM_40: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-TerminalServices-LocalSessionManager" Guid="{5d896912-022d-40aa-a3a8-4fa5515c76d7}"/>
    <EventID>40</EventID>
    <Version>0</Version>
    <Level>4</Level>
    <Task>0</Task>
    <Opcode>0</Opcode>
    <Keywords>0x1000000000000000</Keywords>
    <TimeCreated SystemTime="2023-10-18T06:01:02.1234567Z"/>
    <EventRecordID>57</EventRecordID>
    <Correlation ActivityID="{f420a3b1-5f4a-0004-b7b0-20f44a5fd901}"/>
    <Execution ProcessID="784" ThreadID="3428"/>
    <Channel>Microsoft-Windows-TerminalServices-LocalSessionManager/Operational</Channel>
    <Computer>WIN-FUDU2CKJOE8</Computer>
    <Security UserID="S-1-5-18"/>
  </System>
  <UserData>
    <EventXML xmlns="Event_NS">
      <Session>2</Session>
      <Reason>5</Reason>
    </EventXML>
  </UserData>
</Event>"#;

    fn origin() -> Origin {
        Origin {
            file: "test.xml".into(),
            ..Origin::default()
        }
    }

    #[test]
    fn user_data_children_are_flattened() {
        let e = parse_event(LSM_40, &origin()).unwrap();
        assert_eq!(e.event_id, 40);
        assert_eq!(e.get("Session").as_deref(), Some("2"));
        assert_eq!(e.get("Reason").as_deref(), Some("5"));
        assert_eq!(e.keywords, Some(0x1000000000000000));
        assert_eq!(e.process_id, Some(784));
        assert_eq!(e.user_sid.as_deref(), Some("S-1-5-18"));
        assert_eq!(
            e.activity_id.as_deref(),
            Some("{F420A3B1-5F4A-0004-B7B0-20F44A5FD901}")
        );
        assert_eq!(e.time.unwrap().to_string(), "2023-10-18T06:01:02.1234567Z");
        assert_eq!(e.origin.record, Some(1));
    }

    #[test]
    fn classic_event_data_binary_and_qualifiers() {
        let xml = r#"<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Service Control Manager" Guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}" EventSourceName="Service Control Manager"/><EventID Qualifiers="49152">7023</EventID><Channel>System</Channel><Computer>srv</Computer></System><EventData><Data Name="param1">Remote Desktop Services</Data><Data Name="param2">%%1058</Data><Binary>5400650072006D00</Binary></EventData></Event>
<Event><System><Provider Name="EventLog"/><EventID Qualifiers="32768">6009</EventID></System><EventData><Data>10.00.</Data><Data></Data><Data>a &amp; b &#x41;</Data></EventData></Event></Events>"#;
        let events = parse_events(xml, &origin()).unwrap();
        assert_eq!(events.len(), 2);
        let scm = &events[0];
        assert_eq!(scm.qualifiers, Some(49152));
        assert_eq!(
            scm.provider.event_source_name.as_deref(),
            Some("Service Control Manager")
        );
        assert_eq!(
            scm.get("param1").as_deref(),
            Some("Remote Desktop Services")
        );
        assert_eq!(scm.get("binary").as_deref(), Some("5400650072006D00"));
        let classic = &events[1];
        assert_eq!(classic.get("Data1").as_deref(), Some("10.00."));
        assert_eq!(classic.get("Data2").as_deref(), Some(""));
        assert_eq!(classic.get("Data3").as_deref(), Some("a & b A"));
        assert_eq!(classic.origin.record, Some(2));
    }

    #[test]
    fn wevtutil_output_without_root_and_dump_record_lines() {
        let text = format!("Record 1\n{LSM_40}\n\nRecord 2\n{LSM_40}\n");
        let events = parse_events(&text, &origin()).unwrap();
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn rendering_info_message_is_kept() {
        let xml = r#"<Event><System><Provider Name="P"/><EventID>1</EventID></System><EventData/><RenderingInfo Culture="en-US"><Message>Hello
world</Message><Level>Information</Level></RenderingInfo></Event>"#;
        let e = parse_event(xml, &origin()).unwrap();
        assert_eq!(e.message.as_deref(), Some("Hello\nworld"));
        assert!(e.fields.is_empty());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let xml = format!(
            "<Events><Event>{}{}</Event></Events>",
            "<a>".repeat(1000),
            "</a>".repeat(1000)
        );
        let err = parse_events(&xml, &origin()).unwrap_err();
        assert_eq!(err.kind, InputErrorKind::LimitExceeded);
    }

    #[test]
    fn truncated_event_is_reported() {
        let cut = &LSM_40[..LSM_40.len() / 2];
        let err = parse_events(cut, &origin()).unwrap_err();
        assert_eq!(err.kind, InputErrorKind::Truncated);
        assert_eq!(err.file, "test.xml");
    }

    #[test]
    fn long_runs_are_refused_without_growing() {
        let mut reader = BoundedRuns::new(&b"<a>0123456789</a>"[..], 5);
        let mut out = Vec::new();
        assert!(io::Read::read_to_end(&mut reader, &mut out).is_err());
    }
}
