//! The EVTX writer against the evtx crate: every written file reads back with zero errors
//! (checksums validated) to the same event XML, records never straddle chunks, and the
//! output is deterministic.

mod common;
use common::copy_dir;

use std::path::{Path, PathBuf};

use evident::evtx_write::{xml_to_evtx, Element, EventXmlReader, Node, WriteError};
use evtx::{EvtxParser, ParserSettings};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples")
}

fn source_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![fixtures()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "xml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no fixture XML under {}",
        fixtures().display()
    );
    files
}

/// Reads every record with the evtx crate, checksums validated; panics on any error.
fn read_back(bytes: Vec<u8>) -> Vec<(u64, String)> {
    let settings = ParserSettings::new()
        .validate_checksums(true)
        .num_threads(1);
    let mut parser = EvtxParser::from_buffer(bytes)
        .unwrap()
        .with_configuration(settings);
    parser
        .records()
        .map(|r| {
            let r = r.expect("evtx crate reads every record");
            (r.event_record_id, r.data)
        })
        .collect()
}

fn parse_events(xml: &str) -> Vec<Element> {
    EventXmlReader::new(xml.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The comparable form of an event: indentation and RenderingInfo gone (a real .evtx has no
/// rendered message), GUIDs in one case (Windows renders them lower-case).
fn normalize(element: &Element, root: bool) -> Element {
    let has_elements = element
        .children
        .iter()
        .any(|c| matches!(c, Node::Element(_)));
    let children = element
        .children
        .iter()
        .filter_map(|c| match c {
            Node::Element(e) if root && e.name == "RenderingInfo" => None,
            Node::Element(e) => Some(Node::Element(normalize(e, false))),
            Node::Text(t) if t.is_empty() || (has_elements && t.trim().is_empty()) => None,
            Node::Text(t) => Some(Node::Text(guid_case(t))),
        })
        .collect();
    Element {
        name: element.name.clone(),
        attributes: element
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), guid_case(v)))
            .collect(),
        children,
    }
}

fn guid_case(value: &str) -> String {
    if value.len() == 38 && value.starts_with('{') && value.ends_with('}') {
        value.to_ascii_uppercase()
    } else {
        value.to_string()
    }
}

#[test]
fn every_fixture_log_reads_back_to_the_same_events() {
    for file in source_files() {
        let xml = std::fs::read_to_string(&file).unwrap();
        let expected = parse_events(&xml);
        let records = read_back(xml_to_evtx(&xml).unwrap());
        assert_eq!(records.len(), expected.len(), "{}", file.display());
        for ((id, rendered), source) in records.iter().zip(&expected) {
            let back = parse_events(rendered);
            assert_eq!(back.len(), 1);
            assert_eq!(
                normalize(&back[0], true),
                normalize(source, true),
                "{} record {id}",
                file.display()
            );
        }
    }
}

#[test]
fn a_one_chunk_file_is_68_kib_and_output_is_deterministic() {
    let file = &source_files()[0];
    let xml = std::fs::read_to_string(file).unwrap();
    let first = xml_to_evtx(&xml).unwrap();
    assert_eq!(first.len(), 4096 + 65536);
    assert_eq!(first, xml_to_evtx(&xml).unwrap());
}

/// An event of `size` characters of data, with a shape that depends on `variant`.
fn event(id: u64, variant: u64, payload: &str) -> String {
    let data: String = (0..=variant % 4)
        .map(|i| format!("<Data Name='Field{i}'>{payload}{id}</Data>"))
        .collect();
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
         <Provider Name='Provider{p}'/><EventID>{e}</EventID><Level>4</Level>\
         <TimeCreated SystemTime='2024-03-01T10:{m:02}:{s:02}.0000000Z'/>\
         <EventRecordID>{id}</EventRecordID><Channel>Test</Channel><Computer>HOST</Computer>\
         </System><EventData>{data}</EventData></Event>",
        p = variant % 3,
        e = 1000 + variant % 7,
        m = (id / 60) % 60,
        s = id % 60,
    )
}

#[test]
fn many_events_fill_many_chunks_without_straddling() {
    let payload = "x".repeat(300);
    let xml: String = std::iter::once("<Events>".to_string())
        .chain((1..=3000).map(|id| event(id, id * 7919 % 101, &payload)))
        .chain(std::iter::once("</Events>".to_string()))
        .collect();
    let bytes = xml_to_evtx(&xml).unwrap();
    assert_eq!((bytes.len() - 4096) % 65536, 0);
    let chunks = (bytes.len() - 4096) / 65536;
    assert!(chunks > 10, "{chunks} chunks");
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    assert_eq!(u32_at(&bytes, 124), crc32fast::hash(&bytes[..120]));
    assert_eq!(
        usize::from(u16::from_le_bytes([bytes[42], bytes[43]])),
        chunks
    );
    for (n, chunk) in bytes[4096..].chunks(65536).enumerate() {
        let free = u32_at(chunk, 48) as usize;
        // Never filled to the last byte (libevtx misreads a chunk without free space); full
        // up to less than one record (about 3 KiB here) otherwise.
        assert!(free < 65536, "chunk {n}: free space offset {free}");
        assert!(n == chunks - 1 || free > 65536 - 4096, "chunk {n}: {free}");
        assert_eq!(u32_at(chunk, 52), crc32fast::hash(&chunk[512..free]));
        let mut header = chunk[..120].to_vec();
        header.extend_from_slice(&chunk[128..512]);
        assert_eq!(u32_at(chunk, 124), crc32fast::hash(&header));
    }
    let records = read_back(bytes);
    let ids: Vec<u64> = records.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (1..=3000).collect::<Vec<_>>());
    let last = parse_events(&records[2999].1);
    assert_eq!(
        normalize(&last[0], true),
        normalize(
            &parse_events(&event(3000, 3000 * 7919 % 101, &payload))[0],
            true
        )
    );
}

#[test]
fn an_event_too_large_for_a_chunk_is_refused_and_the_rest_is_written() {
    let huge = "y".repeat(40_000);
    let xml = format!(
        "<Events>{}{}{}</Events>",
        event(1, 0, "a"),
        event(2, 1, &huge),
        event(3, 2, "b")
    );
    let mut out = std::io::Cursor::new(Vec::new());
    let summary = evident::evtx_write::convert_xml(xml.as_bytes(), &mut out).unwrap();
    assert_eq!(summary.records, 2);
    assert_eq!(summary.skipped.len(), 1, "{:?}", summary.skipped);
    assert!(
        summary.skipped[0].contains("event 2"),
        "{}",
        summary.skipped[0]
    );
    let ids: Vec<u64> = read_back(out.into_inner()).iter().map(|r| r.0).collect();
    assert_eq!(ids, [1, 3]);
}

#[test]
fn malformed_xml_is_an_error_with_its_offset_not_a_panic() {
    let err = xml_to_evtx("<Events><Event><System></Event></Events>").unwrap_err();
    match err {
        WriteError::Xml(e) => assert!(e.offset > 0),
        other => panic!("expected an XML error, got {other}"),
    }
}

#[test]
fn record_ids_stay_increasing_when_the_xml_repeats_or_lacks_them() {
    let xml = format!(
        "<Events>{}{}<Event><System><Provider Name='P'/><EventID>1</EventID></System></Event></Events>",
        event(5, 0, "a"),
        event(5, 0, "b")
    );
    let ids: Vec<u64> = read_back(xml_to_evtx(&xml).unwrap())
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(ids, [5, 6, 7]);
}

#[test]
fn samples_build_writes_logs_beside_source_and_rebuilds_identically() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures(), tmp.path());
    let report = evident::evtx_write::build::build_samples(tmp.path()).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.built.len(), source_files().len());
    let system = tmp.path().join("tiny/logs/server-srv01/System.evtx");
    let first = std::fs::read(&system).unwrap();
    assert_eq!(read_back(first.clone()).len(), 4);
    evident::evtx_write::build::build_samples(tmp.path()).unwrap();
    assert_eq!(std::fs::read(&system).unwrap(), first);
}

#[test]
fn synth_fills_exactly_the_chunks_the_size_asks_for() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("synth.evtx");
    let summary = evident::synth::write_file(&path, 1 << 20, 4).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 4096 + 16 * 65536);
    assert_eq!(summary.chunks, 16);
    let ids: Vec<u64> = read_back(bytes).iter().map(|r| r.0).collect();
    assert_eq!(ids.len() as u64, summary.records);
    assert_eq!(ids, (1..=summary.records).collect::<Vec<_>>());
}

#[test]
fn a_log_without_events_is_a_bare_file_header() {
    let bytes = xml_to_evtx("<Events></Events>").unwrap();
    assert_eq!(bytes.len(), 4096);
    assert!(read_back(bytes).is_empty());
}
