//! JSON written by `evtx_dump -o json` (one object per record, each after a `Record N` line,
//! pretty or not) and `-o jsonl` (one object per line), with or without
//! `--separate-json-attributes`; also a JSON array of such objects.
//!
//! The shape is the XML event turned into JSON by the evtx crate: element text as a value or
//! `#text`, attributes under `#attributes` (or, separated, under `<Element>_attributes`),
//! unnamed `<Data>` items as `{"Data": {"#text": [...]}}`.
//!
//! The reader finds each top-level object by scanning braces and strings, so it never needs the
//! whole file, a line structure, or a valid document around the records. One record larger
//! than [`MAX_RECORD`] bytes is refused with [`InputErrorKind::LimitExceeded`] and skipped
//! without being held in memory; the read goes on with the next record.

use std::fmt;
use std::io::BufRead;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::assemble::EventBuilder;
use super::{InputError, InputErrorKind, SourceCtx};
use crate::event::Event;

/// The largest single record accepted, in bytes of JSON.
pub const MAX_RECORD: usize = 16 * 1024 * 1024;
/// The deepest object nesting accepted inside a record.
const MAX_DEPTH: usize = 64;

/// Streams the records of a JSON input into `emit`, in order. `emit` returns whether to go on.
pub(crate) fn read_json<R: BufRead>(
    mut input: R,
    ctx: &SourceCtx,
    emit: &mut dyn FnMut(Result<Event, InputError>) -> bool,
) {
    let mut scanner = Scanner::default();
    let mut count = 0u64;
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => {
                emit(Err(ctx.error(
                    Some(scanner.offset),
                    InputErrorKind::Io,
                    format!("read failed: {err}"),
                )));
                return;
            }
        };
        if buf.is_empty() {
            if scanner.depth > 0 {
                emit(Err(ctx.error(
                    Some(scanner.start),
                    InputErrorKind::Truncated,
                    "the input ends inside a JSON record".into(),
                )));
            }
            return;
        }
        let len = buf.len();
        let mut pos = 0;
        while pos < len {
            let (used, done) = scanner.feed(&buf[pos..]);
            pos += used;
            let Some(done) = done else { continue };
            let item = match done {
                Done::Record(bytes) => {
                    count += 1;
                    parse_record(&bytes, ctx, scanner.start, count)
                }
                Done::TooLarge => Err(ctx.error(
                    Some(scanner.start),
                    InputErrorKind::LimitExceeded,
                    format!("a JSON record larger than {MAX_RECORD} bytes, skipped"),
                )),
            };
            let go_on = match item {
                Ok(Some(event)) => emit(Ok(event)),
                Ok(None) => true,
                Err(err) => emit(Err(err)),
            };
            if !go_on {
                return;
            }
        }
        input.consume(len);
    }
}

/// A finished top-level value.
enum Done {
    Record(Vec<u8>),
    TooLarge,
}

/// Finds top-level JSON objects in a byte stream, skipping anything between them.
#[derive(Default)]
struct Scanner {
    /// Bytes seen so far.
    offset: u64,
    /// Where the current object started.
    start: u64,
    depth: usize,
    in_string: bool,
    escaped: bool,
    buffer: Vec<u8>,
    too_large: bool,
}

impl Scanner {
    /// Consumes bytes up to the end of the current object (if it ends in `bytes`), returning
    /// how many bytes were used and the finished object.
    fn feed(&mut self, bytes: &[u8]) -> (usize, Option<Done>) {
        for (i, &b) in bytes.iter().enumerate() {
            if self.depth == 0 {
                if b == b'{' {
                    self.depth = 1;
                    self.start = self.offset + i as u64;
                    self.buffer.clear();
                    self.buffer.push(b);
                    self.too_large = false;
                }
                continue;
            }
            if !self.too_large {
                if self.buffer.len() >= MAX_RECORD {
                    self.too_large = true;
                    self.buffer = Vec::new();
                } else {
                    self.buffer.push(b);
                }
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        let used = i + 1;
                        self.offset += used as u64;
                        let done = if self.too_large {
                            Done::TooLarge
                        } else {
                            Done::Record(std::mem::take(&mut self.buffer))
                        };
                        return (used, Some(done));
                    }
                }
                _ => {}
            }
        }
        self.offset += bytes.len() as u64;
        (bytes.len(), None)
    }
}

/// Parses one record object; `Ok(None)` for an object that is not an event (no `System`).
fn parse_record(
    bytes: &[u8],
    ctx: &SourceCtx,
    offset: u64,
    position: u64,
) -> Result<Option<Event>, InputError> {
    let value: Json = serde_json::from_slice(bytes).map_err(|err| {
        ctx.error(
            Some(offset),
            InputErrorKind::Malformed,
            format!("JSON record: {err}"),
        )
    })?;
    let Some(event) = value
        .get("Event")
        .or(Some(&value))
        .filter(|e| e.get("System").is_some())
    else {
        return Ok(None);
    };
    let mut builder = EventBuilder::new();
    let Json::Object(sections) = event else {
        return Ok(None);
    };
    for (section, content) in sections {
        match section.as_str() {
            "System" => {
                builder.saw_system();
                system(&mut builder, content);
            }
            "EventData" => event_data(&mut builder, content),
            "UserData" => {
                // The single root element under UserData (e.g. EventXML) names nothing.
                if let Json::Object(roots) = content {
                    for (root, inner) in roots {
                        if is_attributes(root) {
                            continue;
                        }
                        flatten(&mut builder, "", inner, 0);
                    }
                }
            }
            "RenderingInfo" => {
                if let Some(message) = content.get("Message").and_then(Json::text) {
                    builder.message(&message);
                }
            }
            name if is_attributes(name) => {}
            name => flatten(&mut builder, "", &wrap(name, content), 0),
        }
    }
    if !builder.looks_like_event() {
        return Ok(None);
    }
    let mut event = builder.finish();
    event.origin = ctx.origin(None, Some(position));
    Ok(Some(event))
}

fn wrap(name: &str, content: &Json) -> Json {
    match content {
        Json::Object(_) => content.clone(),
        other => Json::Object(vec![(name.to_string(), other.clone())]),
    }
}

fn is_attributes(key: &str) -> bool {
    key == "#attributes" || key.ends_with("_attributes")
}

fn system(builder: &mut EventBuilder, content: &Json) {
    let Json::Object(items) = content else { return };
    for (key, value) in items {
        if let Some(element) = key.strip_suffix("_attributes") {
            if let Json::Object(attrs) = value {
                for (attr, v) in attrs {
                    if let Some(text) = v.text() {
                        builder.system_attr(element, attr, &text);
                    }
                }
            }
            continue;
        }
        match value {
            Json::Object(parts) => {
                for (part, v) in parts {
                    if part == "#attributes" {
                        if let Json::Object(attrs) = v {
                            for (attr, v) in attrs {
                                if let Some(text) = v.text() {
                                    builder.system_attr(key, attr, &text);
                                }
                            }
                        }
                    } else if part == "#text" {
                        if let Some(text) = v.text() {
                            builder.system_text(key, &text);
                        }
                    }
                }
            }
            Json::Null => {}
            other => {
                if let Some(text) = other.text() {
                    builder.system_text(key, &text);
                }
            }
        }
    }
}

fn event_data(builder: &mut EventBuilder, content: &Json) {
    let Json::Object(items) = content else { return };
    for (key, value) in items {
        match key.as_str() {
            "Data" => {
                // Unnamed data: {"#text": [..]} or {"#text": "x"}, or a bare list / value.
                let items = match value {
                    Json::Object(parts) => parts
                        .iter()
                        .find(|(k, _)| k == "#text")
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Json::Null),
                    other => other.clone(),
                };
                match items {
                    Json::Array(list) => {
                        for item in &list {
                            builder.data(None, &item.text().unwrap_or_default());
                        }
                    }
                    other => builder.data(None, &other.text().unwrap_or_default()),
                }
            }
            "Binary" => builder.binary(&value.text().unwrap_or_default()),
            name if is_attributes(name) => {}
            name => {
                let text = match value {
                    Json::Object(parts) => parts
                        .iter()
                        .find(|(k, _)| k == "#text")
                        .and_then(|(_, v)| v.text())
                        .unwrap_or_default(),
                    other => other.text().unwrap_or_default(),
                };
                builder.data(Some(name), &text);
            }
        }
    }
}

/// Flattens the children of a UserData root (or another payload section) into fields named
/// by their element path below it.
fn flatten(builder: &mut EventBuilder, prefix: &str, value: &Json, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Json::Object(children) = value else {
        return;
    };
    for (name, child) in children {
        if is_attributes(name) {
            continue;
        }
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match child {
            Json::Object(parts) => {
                let has_elements = parts.iter().any(|(k, _)| !is_attributes(k) && k != "#text");
                if has_elements {
                    flatten(builder, &path, child, depth + 1);
                } else {
                    let text = parts
                        .iter()
                        .find(|(k, _)| k == "#text")
                        .and_then(|(_, v)| v.text())
                        .unwrap_or_default();
                    builder.field(path, &text);
                }
            }
            other => builder.field(path, &other.text().unwrap_or_default()),
        }
    }
}

/// A JSON value that keeps object keys in document order (the order of a record's fields is
/// part of the record).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as the XML rendering writes it: numbers in decimal, booleans as
    /// `true`/`false`, `null` as empty, lists joined with commas.
    fn text(&self) -> Option<String> {
        Some(match self {
            Json::Null => String::new(),
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => n.to_string(),
            Json::String(s) => s.clone(),
            Json::Array(items) => items
                .iter()
                .filter_map(Json::text)
                .collect::<Vec<_>>()
                .join(","),
            Json::Object(_) => return self.get("#text").and_then(Json::text),
        })
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::String(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Json, E> {
                Ok(Json::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Json>()? {
                    items.push((key, value));
                }
                Ok(Json::Object(items))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Event>, Vec<InputError>) {
        let ctx = SourceCtx {
            file: "t.jsonl".into(),
            member: None,
        };
        let (mut events, mut errors) = (Vec::new(), Vec::new());
        read_json(text.as_bytes(), &ctx, &mut |item| {
            match item {
                Ok(e) => events.push(e),
                Err(e) => errors.push(e),
            }
            true
        });
        (events, errors)
    }

    const CLASSIC: &str = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"EventLog"}},"EventID":{"#attributes":{"Qualifiers":32768},"#text":6009},"Version":0,"Level":4,"Task":0,"Opcode":0,"Keywords":"0x80000000000000","TimeCreated":{"#attributes":{"SystemTime":"2023-10-18T05:43:49.8327406Z"}},"EventRecordID":1,"Correlation":null,"Execution":{"#attributes":{"ProcessID":0,"ThreadID":0}},"Channel":"System","Computer":"WIN-FUDU2CKJOE8","Security":null},"EventData":{"Data":{"#text":["10.00.","20348","","Multiprocessor Free","0"]},"Binary":"e707"}}}"##;

    #[test]
    fn evtx_dump_jsonl_records() {
        let (events, errors) = read(&format!("{CLASSIC}\n{CLASSIC}\n"));
        assert!(errors.is_empty());
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(e.event_id, 6009);
        assert_eq!(e.qualifiers, Some(32768));
        assert_eq!(e.keywords, Some(0x80000000000000));
        assert_eq!(e.get("Data2").as_deref(), Some("20348"));
        assert_eq!(e.get("Data3").as_deref(), Some(""));
        assert_eq!(e.get("Binary").as_deref(), Some("E707"));
        assert_eq!(events[1].origin.record, Some(2));
    }

    #[test]
    fn json_with_record_lines_and_separate_attributes() {
        let sep = r##"{"Event":{"System":{"Provider_attributes":{"Name":"Microsoft-Windows-TerminalServices-LocalSessionManager","Guid":"{5d896912-022d-40aa-a3a8-4fa5515c76d7}"},"EventID":40,"Channel":"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational","Execution_attributes":{"ProcessID":784,"ThreadID":1}},"UserData":{"EventXML":{"#attributes":{"xmlns":"Event_NS"},"Session":2,"Reason":5}}}}"##;
        let text = format!("Record 1\n{sep}\nRecord 2\n{{\n  \"Event\": {{\"System\": {{\"EventID\": 7, \"EnabledNew\": true}}}}\n}}\n");
        let (events, errors) = read(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(
            e.provider.guid.as_deref(),
            Some("{5D896912-022D-40AA-A3A8-4FA5515C76D7}")
        );
        assert_eq!(e.process_id, Some(784));
        assert_eq!(e.get("Session").as_deref(), Some("2"));
        assert_eq!(e.get("Reason").as_deref(), Some("5"));
        assert_eq!(events[1].event_id, 7);
    }

    #[test]
    fn oversized_record_is_skipped_and_reading_goes_on() {
        let big = format!(
            r#"{{"Event":{{"System":{{"EventID":1}},"EventData":{{"x":"{}"}}}}}}"#,
            "A".repeat(MAX_RECORD + 10)
        );
        let (events, errors) = read(&format!("{big}\n{CLASSIC}\n"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, InputErrorKind::LimitExceeded);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_id, 6009);
    }

    #[test]
    fn malformed_and_truncated_records_are_errors() {
        let (events, errors) = read(&format!(
            "{{\"Event\": nope}}\n{CLASSIC}\n{}",
            &CLASSIC[..40]
        ));
        assert_eq!(events.len(), 1);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].kind, InputErrorKind::Malformed);
        assert_eq!(errors[1].kind, InputErrorKind::Truncated);
    }
}
