//! A small in-memory tree of one `<Event>` element, and a streaming reader that yields one
//! such tree at a time from a document holding any number of events (`<Events>` root as
//! `wevtutil qe /f:xml` and Event Viewer write it, or bare `<Event>` elements).
//!
//! Only one event is held at a time, so a document of any size is written in constant memory.

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;

/// Nesting deeper than this inside one event is refused: real events are 4-6 levels deep.
const MAX_DEPTH: usize = 64;
/// One event larger than this (text, names and attributes) is refused: a record holds at most
/// 64 KiB, so anything near this limit cannot be written anyway, and memory stays bounded by
/// one event of this size (plus the largest single text node).
const MAX_EVENT_BYTES: usize = 4 << 20;

/// An XML element with its attributes (in document order, values unescaped) and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The name as written, including any prefix.
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    /// Character data, unescaped (entity and character references resolved, CDATA included).
    Text(String),
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }

    /// Builder: adds an attribute.
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// Builder: adds a child element.
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Builder: adds text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// The first child element with this name.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| match c {
            Node::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    /// The concatenated text of this element's direct text children.
    pub fn text_content(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }
}

/// Why an XML document could not be read, with the byte offset where it went wrong.
#[derive(Debug, thiserror::Error)]
#[error("malformed XML at byte {offset}: {message}")]
pub struct XmlError {
    pub offset: u64,
    pub message: String,
}

/// Reads `<Event>` elements one after another from a document, at any depth.
pub struct EventXmlReader<R: BufRead> {
    reader: Reader<R>,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> EventXmlReader<R> {
    pub fn new(input: R) -> Self {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().check_end_names = true;
        EventXmlReader {
            reader,
            buf: Vec::new(),
            done: false,
        }
    }

    /// The next event, `None` at the end of the document.
    pub fn next_event(&mut self) -> Option<Result<Element, XmlError>> {
        if self.done {
            return None;
        }
        let result = self.read_next();
        if !matches!(result, Some(Ok(_))) {
            self.done = true;
        }
        result
    }

    fn read_next(&mut self) -> Option<Result<Element, XmlError>> {
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => return Some(Err(xml_error(&self.reader, e.to_string()))),
            };
            match event {
                XmlEvent::Eof => return None,
                XmlEvent::Start(start) if local_name(&start) == b"Event" => {
                    let root = match element_head(&start) {
                        Ok(root) => root,
                        Err(message) => return Some(Err(xml_error(&self.reader, message))),
                    };
                    return Some(self.read_children(root));
                }
                XmlEvent::Empty(start) if local_name(&start) == b"Event" => {
                    return Some(element_head(&start).map_err(|m| xml_error(&self.reader, m)));
                }
                _ => {}
            }
        }
    }

    /// Reads the content of `root` (whose start tag was just read) up to its end tag.
    fn read_children(&mut self, root: Element) -> Result<Element, XmlError> {
        let mut stack = vec![root];
        let start = self.reader.buffer_position();
        loop {
            self.buf.clear();
            let event = self
                .reader
                .read_event_into(&mut self.buf)
                .map_err(|e| XmlError {
                    offset: self.reader.error_position(),
                    message: e.to_string(),
                })?;
            if self.reader.buffer_position().saturating_sub(start) > MAX_EVENT_BYTES as u64 {
                return Err(xml_error(
                    &self.reader,
                    format!("an <Event> larger than {MAX_EVENT_BYTES} bytes"),
                ));
            }
            let mut text_piece: Option<String> = None;
            match event {
                XmlEvent::Start(start) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(xml_error(
                            &self.reader,
                            format!("elements nested deeper than {MAX_DEPTH}"),
                        ));
                    }
                    let element = element_head(&start).map_err(|m| xml_error(&self.reader, m))?;
                    stack.push(element);
                }
                XmlEvent::Empty(start) => {
                    let element = element_head(&start).map_err(|m| xml_error(&self.reader, m))?;
                    push_child(&mut stack, Node::Element(element));
                }
                XmlEvent::End(_) => {
                    let done = stack.pop().unwrap_or_default();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(done)),
                        None => return Ok(done),
                    }
                }
                XmlEvent::Text(text) => {
                    // Line ends stay as written: Windows values such as 4672's PrivilegeList
                    // hold CR LF, and evident's XML reader keeps them too.
                    let text = text
                        .decode()
                        .map_err(|e| xml_error(&self.reader, e.to_string()))?;
                    text_piece = Some(text.into_owned());
                }
                XmlEvent::CData(data) => {
                    let text = data
                        .decode()
                        .map_err(|e| xml_error(&self.reader, e.to_string()))?;
                    text_piece = Some(text.into_owned());
                }
                XmlEvent::GeneralRef(reference) => {
                    let resolved = if reference.is_char_ref() {
                        reference
                            .resolve_char_ref()
                            .map_err(|e| xml_error(&self.reader, e.to_string()))?
                            .map(String::from)
                    } else {
                        let name = reference
                            .decode()
                            .map_err(|e| xml_error(&self.reader, e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name).map(String::from)
                    };
                    match resolved {
                        Some(text) => text_piece = Some(text),
                        None => return Err(xml_error(&self.reader, "unknown entity reference")),
                    }
                }
                XmlEvent::Eof => {
                    return Err(xml_error(&self.reader, "document ends inside an <Event>"))
                }
                XmlEvent::Comment(_)
                | XmlEvent::PI(_)
                | XmlEvent::Decl(_)
                | XmlEvent::DocType(_) => {}
            }
            if let Some(piece) = text_piece {
                append_text(&mut stack, piece);
            }
        }
    }
}

impl<R: BufRead> Iterator for EventXmlReader<R> {
    type Item = Result<Element, XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

fn xml_error<R>(reader: &Reader<R>, message: impl Into<String>) -> XmlError {
    XmlError {
        offset: reader.buffer_position(),
        message: message.into(),
    }
}

fn local_name<'a>(start: &'a BytesStart<'_>) -> &'a [u8] {
    let name = start.name().into_inner();
    match name.iter().rposition(|&b| b == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

fn element_head(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = std::str::from_utf8(start.name().into_inner())
        .map_err(|_| "element name is not UTF-8".to_string())?
        .to_string();
    let mut element = Element::new(name);
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let key = std::str::from_utf8(attribute.key.into_inner())
            .map_err(|_| "attribute name is not UTF-8".to_string())?
            .to_string();
        let value = attribute.unescape_value().map_err(|e| e.to_string())?;
        element.attributes.push((key, value.into_owned()));
    }
    Ok(element)
}

fn push_child(stack: &mut [Element], node: Node) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(node);
    }
}

/// Text arrives in pieces (around entity references); adjacent pieces join into one node.
fn append_text(stack: &mut [Element], piece: String) {
    if let Some(parent) = stack.last_mut() {
        if let Some(Node::Text(previous)) = parent.children.last_mut() {
            previous.push_str(&piece);
        } else {
            parent.children.push(Node::Text(piece));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_events_one_by_one_with_references_resolved() {
        let doc = r#"<?xml version="1.0"?><Events>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID></System>
<EventData><Data Name='a'>x &amp; y&#x41;<![CDATA[<z>]]></Data></EventData></Event>
<Event><System/></Event></Events>"#;
        let events: Vec<_> = EventXmlReader::new(doc.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events.len(), 2);
        let data = events[0].find("EventData").unwrap().find("Data").unwrap();
        assert_eq!(data.attributes, vec![("Name".into(), "a".into())]);
        assert_eq!(data.text_content(), "x & yA<z>");
        assert_eq!(events[1].children.len(), 1);
    }

    #[test]
    fn a_broken_document_is_an_error_with_an_offset() {
        let doc = "<Events><Event><System></Event></Events>";
        let result: Result<Vec<_>, _> = EventXmlReader::new(doc.as_bytes()).collect();
        let err = result.unwrap_err();
        assert!(err.offset > 0, "{err}");
    }

    #[test]
    fn an_oversized_event_is_refused() {
        let doc = format!(
            "<Events><Event><Data>{}</Data></Event></Events>",
            "x".repeat(5 << 20)
        );
        let result: Result<Vec<_>, _> = EventXmlReader::new(doc.as_bytes()).collect();
        assert!(result.unwrap_err().message.contains("larger than"));
    }
}
