//! Records of one shape (the same outer and embedded templates) whose values differ, each read
//! by the crate and by this module: a record read here must equal the crate's reading, and a
//! record the crate refuses must not be read here. The per-shape check compares only the first
//! record of a shape, so these are the cases it cannot see.

use crate::event::Event;
use crate::source::binxml::{read_record, ChunkTemplates, LineHead, RunTemplates};
use crate::source::SourceCtx;

const NAMES: usize = 0x8000;
const T_OUTER: usize = 0x9000;
const T_NESTED: usize = 0x9800;
const T_WIDE: usize = 0xA000;
const T_TWICE: usize = 0xF000;
/// How many times the wide template places its one data value.
const WIDE_PLACEMENTS: usize = 4000;

struct Names(std::collections::HashMap<&'static str, u32>);

fn put_names(chunk: &mut [u8]) -> Names {
    let mut at = NAMES;
    let mut map = std::collections::HashMap::new();
    for n in [
        "Event",
        "System",
        "Provider",
        "Name",
        "EventID",
        "Channel",
        "EventData",
        "Data",
    ] {
        map.insert(n, at as u32);
        let units: Vec<u16> = n.encode_utf16().collect();
        chunk[at + 6..at + 8].copy_from_slice(&(units.len() as u16).to_le_bytes());
        for (i, u) in units.iter().enumerate() {
            chunk[at + 8 + 2 * i..at + 10 + 2 * i].copy_from_slice(&u.to_le_bytes());
        }
        at += 8 + units.len() * 2 + 2;
        at = (at + 3) & !3;
    }
    Names(map)
}

fn open(b: &mut Vec<u8>, names: &Names, name: &str, dep: u16, attrs: bool) {
    b.push(if attrs { 0x41 } else { 0x01 });
    b.extend(dep.to_le_bytes());
    b.extend(0u32.to_le_bytes());
    b.extend(names.0[name].to_le_bytes());
    if attrs {
        b.extend(0u32.to_le_bytes());
    }
}
fn attr(b: &mut Vec<u8>, names: &Names, name: &str) {
    b.push(0x06);
    b.extend(names.0[name].to_le_bytes());
}
fn lit(b: &mut Vec<u8>, s: &str) {
    let u: Vec<u16> = s.encode_utf16().collect();
    b.push(0x05);
    b.push(0x01);
    b.extend((u.len() as u16).to_le_bytes());
    for x in u {
        b.extend(x.to_le_bytes());
    }
}
fn subst(b: &mut Vec<u8>, index: u16, ty: u8) {
    b.push(0x0e);
    b.extend(index.to_le_bytes());
    b.push(ty);
}
fn put_template(chunk: &mut [u8], at: usize, body: &[u8]) {
    chunk[at + 20..at + 24].copy_from_slice(&(body.len() as u32).to_le_bytes());
    chunk[at + 24..at + 24 + body.len()].copy_from_slice(body);
}

/// A definition's start: a fragment header, `<Event>` and its System part,
/// <System><Provider Name=%0/><EventID>%1</EventID><Channel>%2</Channel></System>.
fn event_with_system(n: &Names) -> Vec<u8> {
    let mut b = vec![0x0f, 1, 1, 0];
    open(&mut b, n, "Event", 0xffff, false);
    b.push(0x02);
    open(&mut b, n, "System", 0xffff, false);
    b.push(0x02);
    open(&mut b, n, "Provider", 0xffff, true);
    attr(&mut b, n, "Name");
    subst(&mut b, 0, 0x01);
    b.push(0x03);
    open(&mut b, n, "EventID", 0xffff, false);
    b.push(0x02);
    subst(&mut b, 1, 0x06);
    b.push(0x04);
    open(&mut b, n, "Channel", 0xffff, false);
    b.push(0x02);
    subst(&mut b, 2, 0x01);
    b.push(0x04);
    b.push(0x04); // </System>
    b
}

/// Outer: <Event><System><Provider Name=%0/><EventID>%1</EventID><Channel>%2</Channel>
/// </System><EventData><Data Name="a">%4</Data><Data Name="b" dep=5>%6</Data>%7
/// </EventData></Event>   (value 3 is never used)
/// Nested (value 7): <Data Name="n" dep=0>%1</Data>
fn templates(chunk: &mut [u8], n: &Names) {
    let mut b = event_with_system(n);
    open(&mut b, n, "EventData", 0xffff, false);
    b.push(0x02);
    open(&mut b, n, "Data", 0xffff, true);
    attr(&mut b, n, "Name");
    lit(&mut b, "a");
    b.push(0x02);
    subst(&mut b, 4, 0x01);
    b.push(0x04);
    open(&mut b, n, "Data", 5, true);
    attr(&mut b, n, "Name");
    lit(&mut b, "b");
    b.push(0x02);
    subst(&mut b, 6, 0x01);
    b.push(0x04);
    subst(&mut b, 7, 0x21);
    b.push(0x04); // </EventData>
    b.push(0x04); // </Event>
    b.push(0x00);
    put_template(chunk, T_OUTER, &b);

    let mut b = vec![0x0f, 1, 1, 0];
    open(&mut b, n, "Data", 0, true);
    attr(&mut b, n, "Name");
    lit(&mut b, "n");
    b.push(0x02);
    subst(&mut b, 1, 0x01);
    b.push(0x04);
    b.push(0x00);
    put_template(chunk, T_NESTED, &b);
}

/// <EventData><Data Name="a">%4</Data></EventData>, with %4 placed `placements` times.
fn event_data_a(b: &mut Vec<u8>, n: &Names, placements: usize) {
    open(b, n, "EventData", 0xffff, false);
    b.push(0x02);
    open(b, n, "Data", 0xffff, true);
    attr(b, n, "Name");
    lit(b, "a");
    b.push(0x02);
    for _ in 0..placements {
        subst(b, 4, 0x01);
    }
    b.push(0x04);
    b.push(0x04); // </EventData>
}

/// Wide: the outer template's System part, then <EventData><Data Name="a">%4 placed
/// [`WIDE_PLACEMENTS`] times</Data></EventData>.
fn wide_template(chunk: &mut [u8], n: &Names) {
    let mut b = event_with_system(n);
    event_data_a(&mut b, n, WIDE_PLACEMENTS);
    b.push(0x04); // </Event>
    b.push(0x00);
    put_template(chunk, T_WIDE, &b);
}

/// Twice: the outer template's System part and <EventData><Data Name="a">%4</Data>
/// </EventData>, then a second <System><Channel>%3</Channel></System> after them.
fn twice_template(chunk: &mut [u8], n: &Names) {
    let mut b = event_with_system(n);
    event_data_a(&mut b, n, 1);
    open(&mut b, n, "System", 0xffff, false);
    b.push(0x02);
    open(&mut b, n, "Channel", 0xffff, false);
    b.push(0x02);
    subst(&mut b, 3, 0x01);
    b.push(0x04);
    b.push(0x04); // </System>
    b.push(0x04); // </Event>
    b.push(0x00);
    put_template(chunk, T_TWICE, &b);
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// (type, declared size, bytes)
type V = (u8, u16, Vec<u8>);
fn v(ty: u8, bytes: Vec<u8>) -> V {
    (ty, bytes.len() as u16, bytes)
}

fn instance(def: usize, values: &[V]) -> Vec<u8> {
    let mut out = vec![0x0c, 1];
    out.extend(1u32.to_le_bytes());
    out.extend((def as u32).to_le_bytes());
    out.extend((values.len() as u32).to_le_bytes());
    for (ty, size, _) in values {
        out.extend(size.to_le_bytes());
        out.extend([*ty, 0]);
    }
    for (_, _, bytes) in values {
        out.extend(bytes);
    }
    out
}

fn nested(dep: V, text: &str) -> V {
    v(0x21, instance(T_NESTED, &[dep, v(0x01, utf16(text))]))
}

/// The values of the baseline record; `f` changes them.
fn values(f: impl FnOnce(&mut Vec<V>)) -> Vec<u8> {
    let mut vals = vec![
        v(0x01, utf16("Prov")),
        v(0x06, 4624u16.to_le_bytes().to_vec()),
        v(0x01, utf16("Security")),
        v(0x08, 7u32.to_le_bytes().to_vec()),
        v(0x01, utf16("alpha")),
        v(0x04, vec![1]),
        v(0x01, utf16("beta")),
        nested(v(0x04, vec![1]), "gamma"),
    ];
    f(&mut vals);
    let mut b = vec![0x0f, 1, 1, 0];
    b.extend(instance(T_OUTER, &vals));
    b.push(0x00);
    b
}

fn build(records: &[Vec<u8>]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut chunk = vec![0u8; 0x10000];
    chunk[..8].copy_from_slice(b"ElfChnk\0");
    let names = put_names(&mut chunk);
    templates(&mut chunk, &names);
    wide_template(&mut chunk, &names);
    twice_template(&mut chunk, &names);
    let mut at = 512;
    let mut spans = Vec::new();
    for (i, binxml) in records.iter().enumerate() {
        let size = 24 + binxml.len() + 4;
        chunk[at..at + 4].copy_from_slice(b"\x2a\x2a\0\0");
        chunk[at + 4..at + 8].copy_from_slice(&(size as u32).to_le_bytes());
        chunk[at + 8..at + 16].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        chunk[at + 16..at + 24].copy_from_slice(&132448315200000000u64.to_le_bytes());
        chunk[at + 24..at + 24 + binxml.len()].copy_from_slice(binxml);
        chunk[at + size - 4..at + size].copy_from_slice(&(size as u32).to_le_bytes());
        spans.push((at + 24, at + size - 4));
        chunk[44..48].copy_from_slice(&(at as u32).to_le_bytes());
        at += size;
    }
    chunk[24..32].copy_from_slice(&1u64.to_le_bytes());
    chunk[32..40].copy_from_slice(&(records.len() as u64).to_le_bytes());
    chunk[40..44].copy_from_slice(&128u32.to_le_bytes());
    chunk[48..52].copy_from_slice(&(at as u32).to_le_bytes());
    (chunk, spans)
}

fn ctx() -> SourceCtx {
    SourceCtx {
        file: "crafted.evtx".into(),
        member: None,
    }
}

/// The crate's reading of each record: its event, or its error.
fn by_crate(chunk: &[u8]) -> Vec<Result<Event, String>> {
    crate::source::evtx::crate_reading(chunk, &ctx())
}

fn by_fast(chunk: &[u8], spans: &[(usize, usize)]) -> Vec<(Option<u64>, Option<Event>)> {
    let file = RunTemplates::default();
    let keep = super::TemplateKeep::new();
    let mut t = ChunkTemplates::new(chunk, &file, &keep);
    let ctx = ctx();
    spans
        .iter()
        .map(|&(s, e)| match read_record(&mut t, s, e) {
            Some(r) => (Some(r.shape), r.event(&mut t, &ctx)),
            None => (None, None),
        })
        .collect()
}

/// What the record programs make of each record of a chunk, in order (record ids from 1):
/// the replayed event, and the System part and line a program writes (`None` without one).
struct ByProgram {
    replayed: Option<Event>,
    line: Option<(LineHead, String)>,
}

fn by_programs(chunk: &[u8], spans: &[(usize, usize)]) -> Vec<ByProgram> {
    use crate::source::binxml::{ChunkPrograms, LineOrigin, RunPrograms};
    let file = RunTemplates::default();
    let run_programs = RunPrograms::default();
    let keep = super::TemplateKeep::new();
    let mut templates = ChunkTemplates::new(chunk, &file, &keep);
    let mut programs = ChunkPrograms::new(&run_programs);
    let ctx = ctx();
    let mut tail = Vec::new();
    crate::event_json::write_tail_start(None, &ctx.file, ctx.member.as_deref(), &mut tail);
    let mut out = Vec::new();
    for (i, &(start, end)) in spans.iter().enumerate() {
        let record = read_record(&mut templates, start, end).expect("readable");
        let origin = LineOrigin {
            ctx: &ctx,
            tail: &tail,
            chunk: None,
            record_id: i as u64 + 1,
        };
        let replayed = record.event(&mut templates, &ctx);
        let mut line = Vec::new();
        let system = record.write_json(&mut templates, &mut programs, &origin, true, &mut line);
        out.push(ByProgram {
            replayed,
            line: system.map(|s| (s, String::from_utf8_lossy(&line).into_owned())),
        });
    }
    out
}

/// A record of template `def` with the crafted templates' System values (provider `Prov`,
/// event 4624, channel `Security`) and `rest` as values 3 and 4.
fn plain_record(def: usize, rest: [V; 2]) -> Vec<u8> {
    let mut vals = vec![
        v(0x01, utf16("Prov")),
        v(0x06, 4624u16.to_le_bytes().to_vec()),
        v(0x01, utf16("Security")),
    ];
    vals.extend(rest);
    let mut b = vec![0x0f, 1, 1, 0];
    b.extend(instance(def, &vals));
    b.push(0x00);
    b
}

#[test]
fn a_later_record_of_a_good_shape_reads_as_the_crate_reads_it_or_not_at_all() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("baseline", values(|_| {})),
        (
            "lone surrogate in a string value",
            values(|vals| {
                vals[4] = v(0x01, vec![b'x', 0, 0x00, 0xd8, b'y', 0]);
            }),
        ),
        (
            "dependency on an empty BinXml value",
            values(|vals| vals[5] = v(0x21, vec![])),
        ),
        (
            "nested template root depends on a NULL value",
            values(|vals| {
                vals[7] = nested(v(0x00, vec![]), "gamma");
            }),
        ),
        (
            "unused value shorter than its type (UINT32, size 0)",
            values(|vals| {
                vals[3] = (0x08, 0, vec![]);
            }),
        ),
        (
            "string value of odd size",
            values(|vals| {
                vals[4] = v(0x01, vec![b'o', 0, b'd', 0, b'd']);
            }),
        ),
        (
            "string array of 2 items in a nested template's root element",
            values(|vals| {
                vals[7] = v(
                    0x21,
                    instance(T_NESTED, &[v(0x04, vec![1]), v(0x81, utf16("x\0y\0"))]),
                );
            }),
        ),
        (
            "unused value of an unknown type",
            values(|vals| vals[3] = v(0x16, vec![0; 4])),
        ),
    ];
    let records: Vec<Vec<u8>> = cases.iter().map(|c| c.1.clone()).collect();
    let (chunk, spans) = build(&records);
    let slow = by_crate(&chunk);
    let fast = by_fast(&chunk, &spans);
    assert_eq!(slow.len(), cases.len());
    let shape0 = fast[0].0.expect("baseline readable");
    let mut wrong = Vec::new();
    for (i, ((name, _), (s, (shape, f)))) in cases.iter().zip(slow.iter().zip(&fast)).enumerate() {
        if let Some(shape) = shape {
            assert_eq!(*shape, shape0, "{name}: same shape");
        }
        let same = matches!((s, f), (Ok(a), Some(b)) if a == b);
        if i == 0 {
            assert!(same, "baseline must read equal (the shape is then Good)");
        } else if f.is_some() && !same {
            wrong.push(format!("{name}: crate {s:?}, here {f:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Records of the crafted shape with values that change what a record program must write:
/// each record's JSON line from its program equals its crate reading as JSON, whichever
/// record the program was made from.
#[test]
fn record_programs_write_each_record_as_the_crate_reads_it() {
    let cases: Vec<Vec<u8>> = vec![
        values(|_| {}),
        values(|vals| vals[4] = v(0x01, utf16("quote \" back\\slash\ttab\u{1}"))),
        values(|vals| vals[4] = v(0x01, vec![])),
        values(|vals| vals[6] = v(0x01, utf16("{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}"))),
        values(|vals| vals[5] = v(0x00, vec![])),
        values(|vals| vals[7] = nested(v(0x00, vec![]), "gamma")),
        values(|vals| vals[7] = nested(v(0x04, vec![1]), "")),
        values(|vals| vals[4] = v(0x08, 7u32.to_le_bytes().to_vec())),
        values(|_| {}),
        // Two records alike in shape and value types whose embedded fragment sits in a
        // different value: in one the unused value 3, in the other the placed value 7.
        values(|vals| {
            vals[3] = nested(v(0x04, vec![1]), "unused");
            vals[7] = v(0x21, vec![]);
        }),
        values(|vals| vals[3] = v(0x21, vec![])),
    ];
    let (chunk, spans) = build(&cases);
    let slow = by_crate(&chunk);
    let ctx = ctx();
    let mut written = 0;
    for (i, (crate_event, fast)) in slow.iter().zip(by_programs(&chunk, &spans)).enumerate() {
        let mut expected = crate_event.clone().expect("the crate reads every case");
        expected.origin = ctx.origin(None, Some(i as u64 + 1));
        let mut want = Vec::new();
        crate::event_json::write_event(&expected, &mut want);
        want.push(b'\n');
        if let Some((head, line)) = fast.line {
            written += 1;
            assert_eq!(head.time, expected.time, "case {i}");
            let computer = (!expected.computer.is_empty()).then_some(&*expected.computer);
            assert_eq!(head.computer.as_deref(), computer, "case {i}");
            assert_eq!(line, String::from_utf8_lossy(&want), "case {i}");
        }
    }
    assert_eq!(written, cases.len(), "every case has a program");
}

/// A value placed thousands of times: the replay refuses a record whose text passes its budget
/// (16 MiB), and so must the program made from a small record of the same key.
#[test]
fn a_record_program_keeps_to_the_replays_text_budget() {
    let wide = |text: &str| {
        plain_record(
            T_WIDE,
            [v(0x08, 7u32.to_le_bytes().to_vec()), v(0x01, utf16(text))],
        )
    };
    // 4,000 places of 4,200 bytes: past 16 MiB.
    let (chunk, spans) = build(&[wide("x"), wide(&"y".repeat(4200))]);
    let written: Vec<_> = by_programs(&chunk, &spans)
        .into_iter()
        .map(|r| (r.replayed.is_some(), r.line.is_some()))
        .collect();
    assert_eq!(written, [(true, true), (false, false)]);
}

/// A template with a second System section after its data: the replay lets it change the
/// event's channel; a program, which fills the System part from the template's System plan,
/// must not be made for it, even from a record where both sections agree.
#[test]
fn no_record_program_for_a_second_system_section() {
    let twice =
        |second: &str| plain_record(T_TWICE, [v(0x01, utf16(second)), v(0x01, utf16("alpha"))]);
    let (chunk, spans) = build(&[twice("Security"), twice("Other")]);
    for (read, channel) in by_programs(&chunk, &spans)
        .into_iter()
        .zip(["Security", "Other"])
    {
        let event = read.replayed.expect("the replay reads it");
        assert_eq!(&*event.channel, channel);
        assert!(read.line.is_none(), "{:?}", read.line.map(|l| l.1));
    }
}

/// A definition whose relocated key would pass its bound (a long name used at every one of
/// many attributes: the key copies a name at each use) is parsed in its chunk instead of keyed,
/// and reads the same.
#[test]
fn a_definition_too_long_to_key_is_parsed() {
    const LONG_NAME: usize = 0x2000;
    const DEF: usize = 0x4000;
    let mut chunk = vec![0u8; 0x10000];
    chunk[..8].copy_from_slice(b"ElfChnk\0");
    let names = put_names(&mut chunk);
    let long: Vec<u16> = "a".repeat(2000).encode_utf16().collect();
    chunk[LONG_NAME + 6..LONG_NAME + 8].copy_from_slice(&(long.len() as u16).to_le_bytes());
    for (i, unit) in long.iter().enumerate() {
        let at = LONG_NAME + 8 + 2 * i;
        chunk[at..at + 2].copy_from_slice(&unit.to_le_bytes());
    }
    let mut body = vec![0x0f, 1, 1, 0];
    open(&mut body, &names, "Event", 0xffff, true);
    for _ in 0..40 {
        body.push(0x06);
        body.extend((LONG_NAME as u32).to_le_bytes());
        lit(&mut body, "x");
    }
    body.extend([0x03, 0x00]);
    put_template(&mut chunk, DEF, &body);

    let mut key = Vec::new();
    assert!(
        super::template::relocated_key(&chunk, DEF, &mut key).is_none(),
        "a key of {} bytes was made",
        key.len()
    );
    let parsed = super::template::parse(&chunk, DEF).expect("the definition parses");
    let run = RunTemplates::default();
    let keep = super::TemplateKeep::new();
    let mut templates = ChunkTemplates::new(&chunk, &run, &keep);
    let (_, got) = templates.get(DEF as u32).expect("the chunk reads it");
    assert_eq!(*got, parsed);
    assert!(run.by_key.lock().expect("not poisoned").map.is_empty());
}

/// String values of every awkward kind (GUIDs padded with every kind of space, near-GUIDs, quotes
/// and backslashes at the ends, NUL inside, odd lengths, lone surrogates, non-characters), in
/// both data items (one a dependency-guarded
/// item), written by the program (made from the first record of their key) equal the replay.
#[test]
fn program_strings_of_every_kind_equal_the_replay() {
    let g = "a68ca8b7-004f-d7b6-a698-07e2de0f1f5d";
    let units = |s: &str| -> Vec<u8> { utf16(s) };
    let raw = |u: &[u16]| -> Vec<u8> { u.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let mut strings: Vec<Vec<u8>> = vec![
        units("plain"),
        units(g),
        units(&format!("{{{g}}}")),
        units(&format!(" {g} ")),
        units(&format!("\t{{{g}}}\n")),
        units(&format!("\u{3000}{g}")),
        units(&format!("{g}\u{a0}")),
        units(&format!("\u{85}{{{g}}}\u{85}")),
        units(&format!("{g}x")),
        units(&format!(" {g}x ")),
        units(&format!("  {g}xy ")),
        units(&format!("\"{g}\"")),
        units(&format!("\\{g}\\")),
        units(&"-".repeat(36)),
        units(&format!(" {} ", "-".repeat(36))),
        units(&format!(" {} ", "z-".repeat(19))),
        units(&format!("\u{2028}{}\u{2028}", "z-".repeat(18))),
        units("quote \" back\\slash\ttab\r\n\u{1}\u{7f}\u{fffe}\u{ffff}"),
        units("\u{1F600} emoji"),
        raw(&[0x41, 0xd800, 0x42]),
        raw(&[0x41, 0xdc00]),
        raw(&[0xd800]),
        raw(&[0x41, 0x00, 0x42]),
        {
            let mut b = units("odd");
            b.push(0x41);
            b
        },
        {
            let mut b = units(&format!(" {g}"));
            b.push(0x41);
            b
        },
        raw(&[0x20, 0x0b, 0x0c, 0x41]),
        units(&"a".repeat(37)),
        units(&"a".repeat(39)),
        raw(&[0x20; 37]),
        {
            let mut u: Vec<u16> = g.encode_utf16().collect();
            u.insert(0, 0x0c);
            raw(&u)
        },
        {
            let mut u: Vec<u16> = g.encode_utf16().collect();
            u.push(0x0b);
            u.push(0x20);
            raw(&u)
        },
    ];
    // GUIDs padded to 37 and 39 bytes with non-ASCII whitespace of 2 and 3 bytes.
    strings.push(units(&format!("\u{85}{g}")));
    strings.push(units(&format!("\u{2000}{g}")));
    let mut cases = Vec::new();
    for (i, s) in strings.iter().enumerate() {
        let other = &strings[(i * 7 + 3) % strings.len()];
        cases.push(values(|vals| {
            vals[4] = v(0x01, s.clone());
            vals[6] = v(0x01, other.clone());
        }));
    }
    // Again, after every key has its program.
    let again = cases.clone();
    cases.extend(again.into_iter().rev());
    let (chunk, spans) = build(&cases);
    // (A value of an odd size is not read here at all: the crate reads that record.)
    let file = RunTemplates::default();
    let keep = super::TemplateKeep::new();
    let mut templates = ChunkTemplates::new(&chunk, &file, &keep);
    let spans: Vec<_> = spans
        .into_iter()
        .filter(|&(start, end)| read_record(&mut templates, start, end).is_some())
        .collect();
    let ctx = ctx();
    let mut written = 0;
    for (i, fast) in by_programs(&chunk, &spans).into_iter().enumerate() {
        let Some(mut replayed) = fast.replayed else {
            continue;
        };
        replayed.origin = ctx.origin(None, Some(i as u64 + 1));
        let mut want = Vec::new();
        crate::event_json::write_event(&replayed, &mut want);
        want.push(b'\n');
        if let Some((_, line)) = fast.line {
            written += 1;
            assert_eq!(line, String::from_utf8_lossy(&want), "case {i}");
        }
    }
    // Most are written by a program (the rest have none: their first record's check failed).
    assert!(written > cases.len() / 2, "{written} of {}", cases.len());
}
