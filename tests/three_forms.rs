//! The same log in three forms (`.evtx`, its XML export, its `evtx_dump` JSON) normalizes to
//! identical events, apart from where each came from.
//!
//! The fixtures are the first chunk of two corpus logs (a System log with classic events:
//! Qualifiers, unnamed Data, Binary; and a TerminalServices LocalSessionManager log with
//! UserData), exported with `evtx_dump -o xml`, `-o jsonl` and
//! `-o json --separate-json-attributes`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use evident::event::{Event, Origin};
use evident::source::{read_inputs, EventSink, ReadPlan};

#[derive(Default)]
struct Collect(Mutex<Vec<Event>>);

impl EventSink for Collect {
    fn accept(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/three-forms")
        .join(name)
}

/// Reads one file and returns its events in record order, without their origin.
fn read(name: &str) -> Vec<Event> {
    let sink = Collect::default();
    let summary = read_inputs(&[fixture(name)], &ReadPlan { threads: 2 }, &sink);
    assert!(
        !summary.has_errors(),
        "{name}: {:?}",
        summary.errors().collect::<Vec<_>>()
    );
    let mut events = sink.0.into_inner().unwrap();
    events.sort_by_key(|e| e.record_id);
    for e in &mut events {
        e.origin = Origin::default();
    }
    events
}

fn assert_same(log: &str, form: &str) {
    let evtx = read(&format!("{log}.evtx"));
    let other = read(&format!("{log}.{form}"));
    assert!(!evtx.is_empty());
    assert_eq!(
        evtx.len(),
        other.len(),
        "{log}: record count of .evtx and .{form}"
    );
    for (a, b) in evtx.iter().zip(&other) {
        assert_eq!(
            a, b,
            "{log}: record {:?} differs between .evtx and .{form}",
            a.record_id
        );
    }
}

#[test]
fn system_log_evtx_and_xml_agree() {
    assert_same("System", "xml");
}

#[test]
fn system_log_evtx_and_jsonl_agree() {
    assert_same("System", "jsonl");
}

#[test]
fn session_manager_log_agrees_in_all_forms() {
    assert_same("LocalSessionManager", "xml");
    assert_same("LocalSessionManager", "jsonl");
    assert_same("LocalSessionManager", "separate.json");
}

#[test]
fn the_fixtures_cover_what_differs_between_forms() {
    let events = read("System.evtx");
    assert!(
        events.iter().any(|e| e.qualifiers.is_some()),
        "classic events with Qualifiers"
    );
    assert!(
        events.iter().any(|e| e.get("Binary").is_some()),
        "Binary data"
    );
    assert!(
        events.iter().any(|e| e.get("Data1").is_some()),
        "unnamed Data"
    );
    assert!(
        events.iter().any(|e| e.provider.guid.is_some()),
        "provider GUIDs"
    );
    assert!(events.iter().any(|e| e.user_sid.is_some()), "user SIDs");
    let lsm = read("LocalSessionManager.evtx");
    let e40 = lsm
        .iter()
        .find(|e| e.event_id == 40)
        .expect("a LocalSessionManager 40");
    assert!(e40.get("Session").is_some() && e40.get("Reason").is_some());
}

/// Event Viewer's "Save as XML" writes one `<Events>` document, GUIDs in upper case, times
/// with nine fractional digits and empty elements self-closed: none of it may change an event.
#[test]
fn event_viewer_style_xml_agrees_with_evtx() {
    let dump = std::fs::read_to_string(fixture("System.xml")).unwrap();
    let record_line = regex::Regex::new(r"(?m)^Record \d+\n").unwrap();
    let decl = regex::Regex::new(r#"<\?xml [^>]*\?>\n"#).unwrap();
    let guid = regex::Regex::new(r"\{[0-9a-f-]{36}\}").unwrap();
    let time = regex::Regex::new(r#"SystemTime="([^"]*\.\d{7})Z""#).unwrap();
    let mut text = record_line.replace_all(&dump, "").into_owned();
    text = decl.replace_all(&text, "").into_owned();
    text = guid
        .replace_all(&text, |c: &regex::Captures| c[0].to_uppercase())
        .into_owned();
    text = time
        .replace_all(&text, r#"SystemTime="${1}00Z""#)
        .into_owned();
    text = text.replace("<Data></Data>", "<Data/>");
    let saved =
        format!("\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Events>\n{text}</Events>\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("System.xml");
    std::fs::write(&path, saved).unwrap();

    let sink = Collect::default();
    let summary = read_inputs(&[path], &ReadPlan { threads: 1 }, &sink);
    assert!(!summary.has_errors());
    let mut saved_events = sink.0.into_inner().unwrap();
    for e in &mut saved_events {
        e.origin = Origin::default();
    }
    let evtx = read("System.evtx");
    assert_eq!(evtx.len(), saved_events.len());
    for (a, b) in evtx.iter().zip(&saved_events) {
        assert_eq!(a, b);
    }
}
