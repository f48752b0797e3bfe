//! Crafted and damaged inputs, built in a temporary folder: each gives a clear error naming the
//! file (and member), the read goes on, nothing is written anywhere, memory stays bounded.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use evident::event::Event;
use evident::source::{read_inputs, EventSink, InputError, InputErrorKind, ReadPlan, ReadSummary};
use zip::write::SimpleFileOptions;

#[derive(Default)]
struct Count(AtomicU64);

impl EventSink for Count {
    fn accept(&self, _event: Event) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn read(path: &Path) -> (u64, ReadSummary) {
    let sink = Count::default();
    let summary = read_inputs(&[path.to_path_buf()], &ReadPlan { threads: 2 }, &sink);
    (sink.0.into_inner(), summary)
}

fn errors(summary: &ReadSummary) -> Vec<&InputError> {
    summary.errors().collect()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/three-forms")
        .join(name);
    std::fs::read(path).unwrap()
}

/// Every file under `dir`, recursively, to show that reading wrote nothing.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(listing(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn zip_of(path: &Path, members: &[(&str, &[u8])], deflate: bool) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(true);
    for (name, data) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_compression_bomb_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.zip");
    let mut data = b"ElfFile\0".to_vec();
    data.resize(48 * 1024 * 1024, 0);
    zip_of(&bomb, &[("a.evtx", &data)], true);
    drop(data);
    let before = listing(dir.path());
    let (events, summary) = read(&bomb);
    assert_eq!(events, 0);
    let errs = errors(&summary);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].kind, InputErrorKind::LimitExceeded);
    assert_eq!(errs[0].member.as_deref(), Some("a.evtx"));
    assert!(
        errs[0].to_string().contains("bomb.zip!a.evtx"),
        "{}",
        errs[0]
    );
    assert!(errs[0].message.contains("ratio"), "{}", errs[0]);
    assert_eq!(listing(dir.path()), before, "nothing written");
}

#[test]
fn member_names_that_climb_out_are_refused_and_nothing_is_written() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let slip = dir.join("slip.zip");
    let evtx = fixture("System.evtx");
    zip_of(
        &slip,
        &[("../../escaped.evtx", &evtx), ("logs/System.evtx", &evtx)],
        true,
    );
    let before = listing(root.path());
    let (events, summary) = read(&slip);
    let errs = errors(&summary);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].message.contains("unsafe member name"),
        "{}",
        errs[0]
    );
    assert!(events > 0, "the safe member is still read");
    assert_eq!(listing(root.path()), before, "nothing written");
}

#[test]
fn ten_thousand_members_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let many = dir.path().join("many.zip");
    let names: Vec<String> = (0..10_000).map(|i| format!("m{i}.xml")).collect();
    let members: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), &b"<Events/>"[..]))
        .collect();
    zip_of(&many, &members, false);
    let started = std::time::Instant::now();
    let (events, summary) = read(&many);
    assert_eq!(events, 0);
    let errs = errors(&summary);
    assert_eq!(errs.len(), 1, "one line for the whole archive");
    assert_eq!(errs[0].kind, InputErrorKind::LimitExceeded);
    assert!(errs[0].message.contains("10000 members"), "{}", errs[0]);
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn a_zip_in_a_zip_is_read_one_level_deep_only() {
    let dir = tempfile::tempdir().unwrap();
    let evtx = fixture("LocalSessionManager.evtx");
    let inner = dir.path().join("inner.zip");
    zip_of(&inner, &[("host/LSM.evtx", &evtx)], true);
    let inner_bytes = std::fs::read(&inner).unwrap();
    let middle = dir.path().join("middle.zip");
    zip_of(&middle, &[("inner.zip", &inner_bytes)], true);
    let (events, summary) = read(&middle);
    assert!(
        events > 0 && !summary.has_errors(),
        "{:?}",
        errors(&summary)
    );

    let middle_bytes = std::fs::read(&middle).unwrap();
    let outer = dir.path().join("outer.zip");
    zip_of(&outer, &[("middle.zip", &middle_bytes)], true);
    let (events, summary) = read(&outer);
    assert_eq!(events, 0);
    let errs = errors(&summary);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("nested"), "{}", errs[0]);
}

#[test]
fn damaged_evtx_files_keep_their_readable_records() {
    let dir = tempfile::tempdir().unwrap();
    let evtx = fixture("System.evtx");
    let (whole, summary) = read(&{
        let p = dir.path().join("whole.evtx");
        std::fs::write(&p, &evtx).unwrap();
        p
    });
    assert!(!summary.has_errors());

    // Cut inside the only chunk: an error naming the file and the offset, no panic.
    let cut = dir.path().join("cut.evtx");
    std::fs::write(&cut, &evtx[..40_000]).unwrap();
    let (kept, summary) = read(&cut);
    assert!(
        kept > 0 && kept < whole,
        "the records before the cut are read: {kept} of {whole}"
    );
    let errs = errors(&summary);
    assert!(
        errs.iter()
            .any(|e| e.kind == InputErrorKind::Truncated && e.offset == Some(0x1000)),
        "{errs:?}"
    );

    // A header cut short.
    let stub = dir.path().join("stub.evtx");
    std::fs::write(&stub, &evtx[..100]).unwrap();
    let (events, summary) = read(&stub);
    assert_eq!(events, 0);
    assert_eq!(errors(&summary).len(), 1);

    // Bit flips in the records: whatever is readable is read, the rest reported.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..8 {
        let mut flipped = evtx.clone();
        for _ in 0..40 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = 4096 + 512 + (state as usize % (evtx.len() - 4096 - 512));
            flipped[at] ^= 1 << (state % 8);
        }
        let path = dir.path().join(format!("flip{round}.evtx"));
        std::fs::write(&path, &flipped).unwrap();
        let (events, _) = read(&path);
        assert!(
            events <= whole + 64,
            "round {round}: {events} events from {whole} records"
        );
    }
}

#[test]
fn deep_xml_and_huge_json_records_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("deep.xml");
    std::fs::write(
        &deep,
        format!(
            "<Events><Event>{}{}</Event></Events>",
            "<a>".repeat(200_000),
            "</a>".repeat(200_000)
        ),
    )
    .unwrap();
    let (events, summary) = read(&deep);
    assert_eq!(events, 0);
    let errs = errors(&summary);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, InputErrorKind::LimitExceeded);

    let line = dir.path().join("line.jsonl");
    let mut text = format!(
        "{{\"Event\":{{\"System\":{{\"EventID\":1}},\"EventData\":{{\"x\":\"{}\"}}}}}}\n",
        "A".repeat(20 * 1024 * 1024)
    );
    text.push_str(&String::from_utf8(fixture("System.jsonl")).unwrap());
    std::fs::write(&line, text).unwrap();
    let (events, summary) = read(&line);
    let errs = errors(&summary);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, InputErrorKind::LimitExceeded);
    assert_eq!(errs[0].offset, Some(0));
    let expected = String::from_utf8(fixture("System.jsonl"))
        .unwrap()
        .lines()
        .count() as u64;
    assert_eq!(events, expected, "the records after the huge one are read");
}

#[test]
fn legacy_evt_empty_and_foreign_files_get_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let evt = dir.path().join("AppEvent.Evt");
    let mut legacy = vec![0x30, 0, 0, 0];
    legacy.extend_from_slice(b"LfLe");
    legacy.resize(0x30, 0);
    std::fs::write(&evt, legacy).unwrap();
    std::fs::write(dir.path().join("empty.evtx"), b"").unwrap();
    std::fs::write(dir.path().join("notes.evtx"), b"just some notes").unwrap();
    std::fs::write(
        dir.path().join("README.txt"),
        b"not a log, not named like one",
    )
    .unwrap();
    let (events, summary) = read(dir.path());
    assert_eq!(events, 0);
    let lines: Vec<String> = summary.errors().map(|e| e.to_string()).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines
        .iter()
        .any(|l| l.contains("AppEvent.Evt") && l.contains("legacy")));
    assert!(lines
        .iter()
        .any(|l| l.contains("empty.evtx") && l.contains("empty")));
    assert!(lines
        .iter()
        .any(|l| l.contains("notes.evtx") && l.contains("unsupported")));
    assert!(lines.iter().all(|l| !l.contains('\n')));
}
