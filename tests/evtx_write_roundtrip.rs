//! The round trip through evident's own readers: source XML → Event must equal
//! source XML → .evtx (this writer) → Event (the evtx reader), field for field, except origin.
//! The one documented difference: `RenderingInfo` is dropped by the writer (a real .evtx has
//! no rendered message), so an event that carried one comes back without `message`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use evident::event::{Event, Origin};
use evident::source::{read_inputs, EventSink, ReadPlan};

struct Collect(Mutex<Vec<Event>>);

impl EventSink for Collect {
    fn accept(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            xml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "xml") {
            out.push(path);
        }
    }
}

/// Reads `xml` both ways and compares; returns the number of events compared.
fn round_trip(xml: &str, label: &str, dir: &Path) -> usize {
    let mut expected = evident::source::xml::parse_events(xml, &Origin::default())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let evtx = dir.join("roundtrip.evtx");
    std::fs::write(&evtx, evident::evtx_write::xml_to_evtx(xml).unwrap()).unwrap();
    let sink = Collect(Mutex::new(Vec::new()));
    let summary = read_inputs(&[evtx], &ReadPlan { threads: 1 }, &sink);
    assert!(!summary.has_errors(), "{label}: {:?}", summary.sources);
    let mut actual = sink.0.into_inner().unwrap();
    actual.sort_by_key(|e| e.record_id);
    assert_eq!(actual.len(), expected.len(), "{label}");
    for (got, want) in actual.iter_mut().zip(expected.iter_mut()) {
        got.origin = Origin::default();
        want.origin = Origin::default();
        if xml_has_rendering_info(xml, want) {
            assert!(got.message.is_none());
            want.message = None;
        }
        assert_eq!(got, want, "{label}: record {:?}", want.record_id);
    }
    expected.len()
}

/// Whether the source event with this record id carried RenderingInfo (a rendered message).
fn xml_has_rendering_info(xml: &str, event: &Event) -> bool {
    event.message.is_some() && xml.contains("<RenderingInfo")
}

#[test]
fn fixture_logs_read_back_to_equal_events() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples");
    let mut files = Vec::new();
    xml_files(&root, &mut files);
    files.sort();
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for file in &files {
        let xml = std::fs::read_to_string(file).unwrap();
        compared += round_trip(&xml, &file.display().to_string(), tmp.path());
    }
    assert!(compared >= 9, "{compared} events compared");
}

#[test]
fn scenario_logs_read_back_to_equal_events() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    if !root.is_dir() {
        eprintln!("skipped: no samples/ folder yet");
        return;
    }
    let mut files = Vec::new();
    xml_files(&root, &mut files);
    files.retain(|f| f.components().any(|c| c.as_os_str() == "source"));
    files.sort();
    let tmp = tempfile::tempdir().unwrap();
    for file in &files {
        let xml = std::fs::read_to_string(file).unwrap();
        round_trip(&xml, &file.display().to_string(), tmp.path());
    }
}

#[test]
fn synthetic_events_read_back_to_equal_events() {
    let mut generator = evident::synth::Generator::new(11);
    let mut xml = String::from("<Events>");
    for _ in 0..400 {
        xml.push_str(&to_xml(&generator.next_event()));
    }
    xml.push_str("</Events>");
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(round_trip(&xml, "synth", tmp.path()), 400);
}

/// Serializes a generated event tree as XML text.
fn to_xml(element: &evident::evtx_write::Element) -> String {
    use evident::evtx_write::Node;
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&apos;")
    };
    let mut out = format!("<{}", element.name);
    for (k, v) in &element.attributes {
        out.push_str(&format!(" {k}='{}'", escape(v)));
    }
    out.push('>');
    for child in &element.children {
        match child {
            Node::Element(e) => out.push_str(&to_xml(e)),
            Node::Text(t) => out.push_str(&escape(t)),
        }
    }
    out.push_str(&format!("</{}>", element.name));
    out
}
