//! A record handed over as a repeat of an earlier one (`EventSink::accept_repeat`) is the
//! event the record gives read in full: for every record of the samples, the corpus, and any
//! inputs named in `EVIDENT_REPEAT_INPUTS` (paths separated by `:`), with every record wanted,
//! and with heads filtered.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use evident::event::Event;
use evident::source::{read_inputs, EventSink, Identity, ReadPlan, RecordHead};

/// Which heads a sink wants.
#[derive(Clone, Copy, Debug)]
enum Wants {
    /// Every record, without heads read (`filters_heads` false).
    All,
    /// Every record, heads read.
    AllAsked,
    /// Some event ids only.
    Some,
}

impl Wants {
    fn filters(self) -> bool {
        !matches!(self, Wants::All)
    }
    fn wants(self, head: &RecordHead<'_>) -> bool {
        match self {
            Wants::All | Wants::AllAsked => true,
            Wants::Some => head.event_id % 3 != 1,
        }
    }
}

struct Collect {
    wants: Wants,
    repeats: bool,
    events: Mutex<Vec<Event>>,
    offered: AtomicUsize,
}

impl EventSink for Collect {
    fn wants(&self, head: &RecordHead<'_>) -> bool {
        self.wants.wants(head)
    }
    fn filters_heads(&self) -> bool {
        self.wants.filters()
    }
    fn accept(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }
    fn takes_repeats(&self) -> bool {
        self.repeats
    }
    fn accept_repeat(&self, base: &Event, identity: &Identity) {
        self.offered.fetch_add(1, Ordering::Relaxed);
        let mut event = base.clone();
        identity.apply(&mut event);
        self.accept(event);
    }
}

fn inputs() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = vec![root.join("samples")];
    let corpus = root.join("../shared/corpus");
    if corpus.exists() {
        inputs.push(corpus);
    } else {
        eprintln!("notice: ../shared/corpus is absent; repeats checked on the samples only");
    }
    inputs
}

fn read(inputs: &[PathBuf], threads: usize, wants: Wants, repeats: bool) -> (Vec<Event>, usize) {
    let sink = Collect {
        wants,
        repeats,
        events: Mutex::new(Vec::new()),
        offered: AtomicUsize::new(0),
    };
    read_inputs(inputs, &ReadPlan { threads }, &sink);
    let mut events = sink.events.into_inner().unwrap();
    events.sort_by(|a, b| {
        let key = |e: &Event| {
            (
                e.origin.file.to_string(),
                e.origin.member.clone(),
                e.origin.chunk,
                e.origin.record,
            )
        };
        key(a).cmp(&key(b))
    });
    (events, sink.offered.into_inner())
}

/// Reads `inputs` with and without repeats, at 1 and 2 threads and each way of wanting
/// heads, and holds the events equal; gives the fewest events and the fewest repeats offered
/// in any of those reads.
fn same_with_and_without_repeats(inputs: &[PathBuf], name: &str) -> (usize, usize) {
    let (mut fewest_events, mut fewest_repeats) = (usize::MAX, usize::MAX);
    for threads in [1, 2] {
        for wants in [Wants::All, Wants::AllAsked, Wants::Some] {
            let (plain, _) = read(inputs, threads, wants, false);
            let (repeated, offered) = read(inputs, threads, wants, true);
            eprintln!(
                "{name}, {threads} threads, {wants:?}: {} events, {offered} repeats",
                plain.len()
            );
            assert_eq!(
                repeated.len(),
                plain.len(),
                "{name}, {threads} threads, {wants:?}"
            );
            for (r, p) in repeated.iter().zip(&plain) {
                assert_eq!(r, p, "{name}, {threads} threads, {wants:?}");
            }
            fewest_events = fewest_events.min(plain.len());
            fewest_repeats = fewest_repeats.min(offered);
        }
    }
    (fewest_events, fewest_repeats)
}

#[test]
fn a_repeat_is_the_event_its_record_gives_in_full() {
    let (_, repeats) = same_with_and_without_repeats(&inputs(), "corpus and samples");
    assert!(repeats > 0);
}

/// A record of a Schannel flood as XML; `data` is its EventData's content.
fn flood_event(event_id: u32, i: u32, pid: &str, tid: &str, time: &str, data: &str) -> String {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
         <Provider Name='Schannel' Guid='{{1f678132-5938-4686-9fdc-c8ff68f15c85}}'/>\
         <EventID>{event_id}</EventID><Version>0</Version><Level>2</Level><Task>0</Task>\
         <Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>\
         <TimeCreated SystemTime='{time}'/><EventRecordID>{}</EventRecordID><Correlation/>\
         <Execution ProcessID='{pid}' ThreadID='{tid}'/><Channel>System</Channel>\
         <Computer>SRV1.corp.example.com</Computer><Security UserID='S-1-5-18'/></System>\
         <EventData>{data}</EventData></Event>",
        100 + i
    )
}

fn time(i: u32) -> String {
    format!(
        "2026-03-10T{:02}:{:02}:{:02}.{:07}Z",
        i / 3600 % 24,
        i / 60 % 60,
        i % 60,
        i * 7 % 10_000_000
    )
}

fn evtx(events: &[String]) -> Vec<u8> {
    evident::evtx_write::xml_to_evtx(&format!("<Events>{}</Events>", events.concat())).unwrap()
}

/// Points the substitutions of index `from` (declared of type `ty`) in the file's inline
/// template definitions at value `to` instead: a template that reads one value in two places,
/// as the writer never writes one. (Checksums are not checked by the reader.)
fn share_value(file: &mut [u8], from: u16, ty: u8, to: u16) {
    let [lo, hi] = from.to_le_bytes();
    let mut patched = 0;
    for chunk in (4096..file.len()).step_by(65536) {
        let end = (chunk + 65536).min(file.len());
        for at in chunk + 512..end - 3 {
            if file[at..at + 4] == [0x0D, lo, hi, ty] {
                file[at + 1..at + 3].copy_from_slice(&to.to_le_bytes());
                patched += 1;
                // One definition per chunk.
                break;
            }
        }
    }
    assert!(patched > 0, "no substitution {from} of type {ty}");
}

/// Floods made to tell a repeat from a record that only looks like one: values whose bytes
/// run together the same with other boundaries, the same values under another template,
/// varying values of other types than the usual, many kinds taking turns over several chunks,
/// and templates that read a varying value elsewhere too (the payload, another System field).
#[test]
fn crafted_floods_repeat_only_what_they_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = "<Data Name='Protocol'>TLS 1.0</Data>";
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    // Two data values whose bytes read together are the same, their sizes not.
    let split: Vec<String> = (0..40)
        .map(|i| {
            let (a, b) = if i % 2 == 1 { ("ab", "c") } else { ("a", "bc") };
            let data = format!("<Data Name='A'>{a}</Data><Data Name='B'>{b}</Data>");
            flood_event(36888, i, &(600 + i % 3).to_string(), "900", &time(i), &data)
        })
        .collect();
    files.push(("split", evtx(&split)));
    // The same values under two templates (the data's name is template text).
    let names: Vec<String> = (0..40)
        .map(|i| {
            let name = if i % 2 == 1 { "Protocol" } else { "Other" };
            let data = format!("<Data Name='{name}'>TLS 1.0</Data>");
            flood_event(36888, i, "600", "900", &time(i), &data)
        })
        .collect();
    files.push(("names", evtx(&names)));
    // Varying values written as other types (text that is no number or time).
    let odd: Vec<String> = (0..70)
        .map(|i| {
            let (mut pid, mut tid, mut t) = ((600 + i).to_string(), (900 + i).to_string(), time(i));
            match i % 7 {
                1 => pid = "abc".into(),
                2 => pid = String::new(),
                3 => t = "garbage".into(),
                4 => tid = "0x10".into(),
                5 => pid = "4294967296".into(),
                6 => t = "1601-01-01T00:00:00.0000000Z".into(),
                _ => {}
            }
            flood_event(36888, i, &pid, &tid, &t, protocol)
        })
        .collect();
    files.push(("odd", evtx(&odd)));
    // Heads the values do not tell (an event id written as text): asked of the built event,
    // once for a kept one and its repeats; 36874 is not wanted by `Wants::Some`. (The file's
    // first record tells its channel plainly: else the first chunk is read by the crate.)
    let text_ids: Vec<String> = (0..40)
        .map(|i| {
            let event = flood_event(36874 + 14 * (i % 2), i, "600", "900", &time(i), protocol);
            if i == 0 {
                return event;
            }
            event.replace("<EventID>3", "<EventID>03")
        })
        .collect();
    files.push(("text-ids", evtx(&text_ids)));
    // More kinds than a chunk keeps, taking turns, over several chunks.
    let mut seed = 7u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let turns: Vec<String> = (0..6000)
        .map(|i| {
            let k = next(12) as u32;
            let data = format!(
                "<Data Name='Protocol'>TLS 1.{}</Data><Data Name='K'>{k}</Data>",
                k % 3
            );
            let (pid, tid) = ((600 + next(3)).to_string(), (900 + next(50)).to_string());
            let id = [36874, 36888, 36871, 36887][k as usize % 4];
            flood_event(id, i, &pid, &tid, &time(i), &data)
        })
        .collect();
    files.push(("turns", evtx(&turns)));
    // A varying value read elsewhere too. The writer numbers the values in document order:
    // 4 Level (UInt8), 5 Task (UInt16), 8 TimeCreated, 9 EventRecordID, 10 ProcessID,
    // 11 ThreadID (UInt32), 12 Channel, 14 the data value (string).
    let plain: Vec<String> = (0..12)
        .map(|i| {
            let (pid, tid) = ((600 + i).to_string(), (900 + i).to_string());
            flood_event(36888, i, &pid, &tid, &time(i), protocol)
        })
        .collect();
    let plain = evtx(&plain);
    // A value read by two varying fields (the other's own value the same in every record):
    // left out of the key, and read for each.
    let pid_only: Vec<String> = (0..12)
        .map(|i| {
            let event = flood_event(36888, 0, &(600 + i).to_string(), "900", &time(i), protocol);
            // The record ids the XML gives do not rise: the writer numbers the records itself.
            event.replace("<EventRecordID>100<", "<EventRecordID>7<")
        })
        .collect();
    let pid_only = evtx(&pid_only);
    for (name, base, from, ty, to) in [
        ("data-reads-pid", &plain, 14, 0x01, 10),
        ("data-reads-tid", &plain, 14, 0x01, 11),
        ("data-reads-time", &plain, 14, 0x01, 8),
        ("data-reads-rid", &plain, 14, 0x01, 9),
        ("task-reads-tid", &plain, 5, 0x06, 11),
        ("level-reads-pid", &plain, 4, 0x04, 10),
        ("channel-reads-pid", &plain, 12, 0x01, 10),
        ("unread-data", &plain, 14, 0x01, 13),
        // Read by two varying fields (see `pid_only`).
        ("thread-reads-pid", &pid_only, 11, 0x08, 10),
        ("rid-reads-pid", &pid_only, 9, 0x0A, 10),
        ("time-reads-pid", &pid_only, 8, 0x11, 10),
    ] {
        let mut file = base.clone();
        share_value(&mut file, from, ty, to);
        files.push((name, file));
    }
    for (name, bytes) in &files {
        let path = dir.path().join(format!("{name}.evtx"));
        std::fs::write(&path, bytes).unwrap();
        let (events, _) = same_with_and_without_repeats(&[path], name);
        assert!(events > 0, "{name}");
    }
}
