//! Record programs: a record written as a JSON line straight from its values, without
//! building its `Event`, or its `Event` built without replaying its template.
//!
//! Replaying a template through the XML assembler and building the `Event` costs more than
//! everything else `evident events` does. Yet for one record shape the assembler's work does
//! not depend on the text of the values, only on which of them are null or empty (an element
//! whose dependency is null is left out, an attribute whose value is empty is not written):
//! the data items it makes are always the same names, with the same literal text and the same
//! values in the same places. So the first record of a shape, with one pattern of value types
//! and empty values, is replayed once with each value's text replaced by a marker, and the
//! event that comes out is read back as a program: per data item, its name and the pieces of
//! its value (literal text, or the text of value n). Every later record with that key only
//! writes its values' text where the program says; its System part is filled from the
//! template's System plan, as the replay fills it.
//!
//! Embedded fragments (values that are template instances themselves) are part of the shape;
//! their values are numbered after the record's own. Records with string arrays, whose
//! structure depends on the values, never get a program, nor do templates whose System part
//! is not their System plan alone.
//!
//! A program is checked when it is made: the record it was made from is written both ways,
//! and a program whose line differs is never used (those records are then built as `Event`s).
//! The key is a hash, so a program also keeps the shape, value types and empty values it is
//! for, and is used only on a record that has exactly those. And as the replay refuses a
//! record whose text passes its budget, so does a program, counting every place each value is
//! played.

use std::borrow::Cow;
use std::hash::Hasher;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::head::{Head, LineHead, Memos};
use super::record::{Marked, Record, TEXT_BUDGET};
use super::system_memo::{self, SystemMemo};
use super::template::Template;
use super::value::{
    sanitize_utf16, ty, utf16_is_empty, write_json_utf16, write_text, Raw, Utf16Text,
};
use super::{ChunkTemplates, FastMap};
use crate::event::{Event, Field};
use crate::event_json;
use crate::source::assemble::normalize_value;
use crate::source::SourceCtx;

/// The first marker: markers are the code points of Supplementary Private Use Area-B, one per
/// substitution index (65,536 of them, like the indices). A template whose literal text holds
/// one never gets a program.
const MARKER_BASE: u32 = 0x10_0000;

/// The most pieces (names, literal text and values) one program holds: a real event has a
/// few dozen; a crafted record must not make a program of millions.
const MAX_PIECES: usize = 4096;

/// The most programs one run keeps; past it, new keys are built as `Event`s.
const MAX_PROGRAMS: usize = 100_000;

/// The most values (the record's own and its embedded fragments', together) a program covers.
const MAX_VALUES: u32 = 0x1_0000;

/// The marker standing for the text of value `index` (numbered across the record's
/// fragments, see `Record::fragments`) in a replay that makes a program.
pub(crate) fn marker(index: u32) -> Option<char> {
    (index < MAX_VALUES)
        .then(|| char::from_u32(MARKER_BASE + index))
        .flatten()
}

/// Whether `c` is a marker.
pub(crate) fn is_marker(c: char) -> bool {
    u32::from(c) >= MARKER_BASE
}

/// How the data items of one record shape are written.
#[derive(Debug)]
pub(crate) struct Program {
    /// What it is for (checked on use: the map's key is a hash of it).
    key: KeyParts,
    items: Box<[Item]>,
    /// How many times each value is played by the replay, kept in the event or not, as
    /// (value number, times), and the literal text it plays: the text budget's count.
    placements: Box<[(u32, u32)]>,
    literal_bytes: usize,
    /// How it writes the System part without building it, when it can (see `head`).
    head: Option<Head>,
}

/// One data item: its name and the pieces of its value.
#[derive(Debug)]
struct Item {
    name: Box<str>,
    /// Its JSON up to the value (`event_json::write_field_start`), after the close of the
    /// item before it (the value of an item is followed by `}`, and `,` if an item follows).
    start: Box<[u8]>,
    pieces: Box<[Piece]>,
    /// A `<Binary>` item: its text is upper-cased and trimmed instead of normalized.
    binary: bool,
}

#[derive(Debug)]
enum Piece {
    Text(Box<str>),
    /// The text of a value, numbered across the record's fragments.
    Value(u32),
}

impl Program {
    /// Reads a program from a marked replay; `None` when its event is not one a program can
    /// write (a marker in a name, a message, more pieces than a real record has).
    fn read(marked: &Marked, key: &KeyParts) -> Option<Program> {
        let event = &marked.event;
        if event.message.is_some() {
            return None;
        }
        let mut items = Vec::with_capacity(event.fields.len());
        let mut binary = marked.binary_fields.iter().peekable();
        let mut count = 0usize;
        for (at, field) in event.fields.iter().enumerate() {
            if field.name.chars().any(is_marker) {
                return None;
            }
            let mut pieces = Vec::new();
            let mut literal = String::new();
            for c in field.value.chars() {
                if !is_marker(c) {
                    literal.push(c);
                    continue;
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal).into()));
                }
                pieces.push(Piece::Value(u32::from(c) - MARKER_BASE));
            }
            if !literal.is_empty() {
                pieces.push(Piece::Text(literal.into()));
            }
            count += pieces.len() + 1;
            if count > MAX_PIECES {
                return None;
            }
            let is_binary = binary.next_if(|&&b| b == at).is_some();
            // What comes before this item's value: the end of the item before, its start.
            let mut start = Vec::new();
            if !items.is_empty() {
                event_json::write_field_end_of_previous(&mut start);
            }
            event_json::write_field_start(&field.name, &mut start);
            items.push(Item {
                name: field.name.as_str().into(),
                start: start.into(),
                pieces: pieces.into(),
                binary: is_binary,
            });
        }
        let placements = marked
            .placements
            .iter()
            .enumerate()
            .filter(|(_, &times)| times > 0)
            .map(|(value, &times)| (value as u32, times))
            .collect();
        Some(Program {
            key: key.clone(),
            items: items.into(),
            placements,
            literal_bytes: marked.literal_bytes,
            head: None,
        })
    }

    /// Whether a record with these payload texts keeps to the replay's text budget: the
    /// bytes of text the replay would play, each value's as often as it is placed.
    fn fits_budget(&self, texts: &ValueTexts) -> bool {
        let played = |len: &dyn Fn(u32) -> usize| {
            self.placements
                .iter()
                .fold(self.literal_bytes, |all, &(value, times)| {
                    all.saturating_add(len(value).saturating_mul(times as usize))
                })
        };
        // Told from the strings' most bytes first; counted exactly only when that passes it.
        played(&|value| texts.len_at_most(value)) <= TEXT_BUDGET
            || played(&|value| texts.len(value)) <= TEXT_BUDGET
    }

    /// Adds the data items of a record whose payload texts are `texts` to its event.
    fn push_fields(&self, texts: &ValueTexts, event: &mut Event) {
        event.fields.reserve(self.items.len());
        let mut value = String::new();
        for item in self.items.iter() {
            event.fields.push(Field {
                name: item.name.to_string(),
                value: item.value(texts, &mut value).into_owned(),
            });
        }
    }

    /// Writes the data items of a record whose payload texts are `texts`.
    fn write_items(&self, texts: &ValueTexts, value: &mut String, out: &mut Vec<u8>) {
        for item in self.items.iter() {
            out.extend_from_slice(&item.start);
            // A string alone (most items) goes from its UTF-16 straight into the line, unless
            // it could be a GUID, which is normalized.
            if let Some(utf16) = item.lone_string(texts) {
                let at = out.len();
                let text = write_json_utf16(utf16, out);
                if !maybe_guid(&text) {
                    continue;
                }
                out.truncate(at);
            }
            // A number alone: its text as it is, between quotes.
            if let Some(text) = item.lone_plain(texts) {
                out.push(b'"');
                out.extend_from_slice(text.as_bytes());
                out.push(b'"');
                continue;
            }
            event_json::write_str(&item.value(texts, value), out);
        }
        if !self.items.is_empty() {
            event_json::write_field_close(out);
        }
    }
}

impl Item {
    /// This item's value for a record whose payload texts are `texts`, composed in `value` and
    /// rendered as the event builder renders it (`<Binary>` trimmed and upper-cased, any
    /// other value normalized).
    fn value<'v>(&self, texts: &'v ValueTexts, value: &'v mut String) -> Cow<'v, str> {
        if let (false, [Piece::Value(index)]) = (self.binary, &*self.pieces) {
            // One value alone (most items): its text as it is, without a copy.
            if let Some(text) = texts.text(*index) {
                return normalize_value(text);
            }
        }
        value.clear();
        for piece in self.pieces.iter() {
            match piece {
                Piece::Text(text) => value.push_str(text),
                Piece::Value(index) => texts.push(*index, value),
            }
        }
        if self.binary {
            Cow::Owned(value.trim().to_ascii_uppercase())
        } else {
            normalize_value(value)
        }
    }

    /// The text of this item's value when it is one plain value alone.
    fn lone_plain<'t>(&self, texts: &'t ValueTexts) -> Option<&'t str> {
        match (self.binary, &*self.pieces) {
            (false, [Piece::Value(index)]) => texts.plain(*index),
            _ => None,
        }
    }

    /// The UTF-16 of this item's value when it is one string value alone.
    fn lone_string<'t>(&self, texts: &'t ValueTexts) -> Option<&'t [u8]> {
        match (self.binary, &*self.pieces) {
            (false, [Piece::Value(index)]) => texts.utf16(*index),
            _ => None,
        }
    }
}

/// Whether `normalize_value` could change a text like this one: it changes only a text that
/// is 36 or 38 bytes long once trimmed (a GUID, with or without braces).
fn maybe_guid(text: &Utf16Text) -> bool {
    text.len >= 36 && (text.len == 36 || text.len == 38 || !text.plain_ends)
}

/// A value's type as a program key sees it: an embedded fragment with no bytes is told from
/// one with bytes (it renders as null, and a record's shape counts only the others), by a
/// type code no value has.
fn key_type(value: &Raw<'_>) -> u8 {
    const EMPTY_FRAGMENT: u8 = 0xFF;
    if value.is_empty_fragment() {
        EMPTY_FRAGMENT
    } else {
        value.ty
    }
}

/// The text of a record's payload values: strings as their UTF-16 (most are written once,
/// straight into a line, see [`write_json_utf16`]), the others as text, end to end in two
/// buffers.
#[derive(Debug, Default)]
pub(crate) struct ValueTexts {
    text: String,
    utf16: Vec<u8>,
    /// By value number (see `Record::fragments`); empty text for a value not written.
    ranges: Vec<ValueText>,
    /// By value number, 1 for a value whose text is empty, else 0 (a program's key holds it).
    empty: Vec<u8>,
}

/// Where one value's text is in [`ValueTexts`].
#[derive(Debug, Clone)]
enum ValueText {
    Text(Range<usize>),
    /// The text of a number, a boolean or a time: ASCII that neither normalizing nor JSON
    /// escaping changes (digits, `0x` and hex digits, `true`, `false`, `-`, `:`, `.`, `T`,
    /// `Z`; never as long as a GUID).
    Plain(Range<usize>),
    Utf16(Range<usize>),
}

/// Whether the text [`write_text`] writes for a value of type `ty` is plain (see
/// [`ValueText::Plain`]).
fn plain_text(ty: u8) -> bool {
    matches!(
        ty,
        ty::INT8
            | ty::UINT8
            | ty::INT16
            | ty::UINT16
            | ty::INT32
            | ty::UINT32
            | ty::INT64
            | ty::UINT64
            | ty::HEX_INT32
            | ty::HEX_INT64
            | ty::SIZE_T
            | ty::BOOL
            | ty::FILETIME
    )
}

impl ValueTexts {
    fn clear(&mut self) {
        self.text.clear();
        self.utf16.clear();
        self.ranges.clear();
        self.empty.clear();
    }

    /// Writes the text of `value` (or keeps its UTF-16) as value `at`; `None` when it has no
    /// plain text.
    fn write(&mut self, at: usize, value: &Raw<'_>) -> Option<()> {
        let (place, empty) = if value.ty == ty::STRING {
            let start = self.utf16.len();
            self.utf16.extend_from_slice(value.bytes);
            let empty = utf16_is_empty(value.bytes);
            (ValueText::Utf16(start..self.utf16.len()), empty)
        } else {
            let start = self.text.len();
            write_text(value, &mut self.text)?;
            let range = start..self.text.len();
            let empty = range.is_empty();
            if plain_text(value.ty) {
                (ValueText::Plain(range), empty)
            } else {
                (ValueText::Text(range), empty)
            }
        };
        *self.ranges.get_mut(at)? = place;
        *self.empty.get_mut(at)? = u8::from(empty);
        Some(())
    }

    /// Makes room for the values numbered below `len` (a value not written has empty text).
    fn resize(&mut self, len: usize) {
        self.ranges.resize(len, ValueText::Text(0..0));
        self.empty.resize(len, 1);
    }

    /// The text of value `index` when it is kept as text.
    fn text(&self, index: u32) -> Option<&str> {
        match self.ranges.get(index as usize) {
            Some(ValueText::Text(range) | ValueText::Plain(range)) => self.text.get(range.clone()),
            Some(ValueText::Utf16(_)) => None,
            None => Some(""),
        }
    }

    /// The text of value `index` when it is plain (see [`ValueText::Plain`]).
    fn plain(&self, index: u32) -> Option<&str> {
        match self.ranges.get(index as usize) {
            Some(ValueText::Plain(range)) => self.text.get(range.clone()),
            _ => None,
        }
    }

    /// The UTF-16 of value `index` when it is a string.
    fn utf16(&self, index: u32) -> Option<&[u8]> {
        match self.ranges.get(index as usize) {
            Some(ValueText::Utf16(range)) => self.utf16.get(range.clone()),
            _ => None,
        }
    }

    /// Appends the text of value `index`.
    fn push(&self, index: u32, out: &mut String) {
        match self.utf16(index) {
            Some(utf16) => sanitize_utf16(utf16, out),
            None => out.push_str(self.text(index).unwrap_or("")),
        }
    }

    /// The length of the text of value `index`, in bytes.
    fn len(&self, index: u32) -> usize {
        match self.utf16(index) {
            Some(utf16) => {
                let mut text = String::new();
                sanitize_utf16(utf16, &mut text);
                text.len()
            }
            None => self.text(index).map_or(0, str::len),
        }
    }

    /// At least [`ValueTexts::len`], told without decoding a string: each UTF-16 unit is at
    /// most three bytes of UTF-8.
    fn len_at_most(&self, index: u32) -> usize {
        match self.utf16(index) {
            Some(utf16) => utf16.len() / 2 * 3,
            None => self.text(index).map_or(0, str::len),
        }
    }
}

/// The programs of one run by key, shared by the threads reading its files; `None` for a
/// key that has none (it could not be read, or its check failed).
#[derive(Debug, Default)]
pub(crate) struct RunPrograms {
    by_key: Mutex<FastMap<u64, Option<Arc<Program>>>>,
    /// What chunks read before handed on, for the next chunks to take (see [`Reused`]).
    reused: Mutex<Vec<Reused>>,
}

/// What the records of one chunk reuse: the programs already looked up, and buffers.
pub(crate) struct ChunkPrograms<'f> {
    run: &'f RunPrograms,
    /// Taken from the run when the chunk starts, handed back to it when the chunk ends.
    kept: Reused,
    /// The System part of the chunk's records as last built. It knows a template's System plan
    /// by its address, and the chunk's templates (`TemplateKeep`) outlive these programs but
    /// not the chunk: it is the one part not handed on.
    system: SystemMemo,
}

/// What a chunk hands on to a later chunk of its run: the programs it looked up and its
/// memos (both of the run: programs live as long as it, and a memo is known by its program's
/// head and holds the values it was written for), and its buffers. Made anew for every
/// chunk, they were a few percent of reading a log's records. They stay with the run, so
/// that nothing of one run reaches another's chunks.
#[derive(Debug, Default)]
struct Reused {
    known: FastMap<u64, Option<Arc<Program>>>,
    /// The System text fields of the run's records as last written (see `head`).
    memos: Memos,
    texts: ValueTexts,
    value: String,
    key: KeyParts,
    /// The check's own line when a program is made.
    check: Vec<u8>,
}

impl<'f> ChunkPrograms<'f> {
    pub(crate) fn new(run: &'f RunPrograms) -> Self {
        let kept = run
            .reused
            .lock()
            .ok()
            .and_then(|mut r| r.pop())
            .unwrap_or_default();
        ChunkPrograms {
            run,
            kept,
            system: SystemMemo::default(),
        }
    }
}

impl Drop for ChunkPrograms<'_> {
    fn drop(&mut self) {
        let kept = std::mem::take(&mut self.kept);
        if let Ok(mut spare) = self.run.reused.lock() {
            spare.push(kept);
        }
    }
}

/// What a program is for: a record shape, its value types (as [`key_type`] gives them) and
/// which of its values render empty, by value number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct KeyParts {
    shape: u64,
    types: Vec<u8>,
    /// 1 for a value that renders empty, else 0 (bytes, so that the key hashes a word at a time).
    empty: Vec<u8>,
}

/// Where a line goes and what it says about its origin.
pub(crate) struct LineOrigin<'o> {
    pub ctx: &'o SourceCtx,
    /// The line's tail up to the chunk and record (`event_json::write_tail_start` for the
    /// file, written once per file).
    pub tail: &'o [u8],
    pub chunk: Option<u64>,
    pub record_id: u64,
}

impl<'a> Record<'a> {
    /// The record's fragments (its own, then the embedded ones in their order) with the
    /// number of each one's first value: the values of all of them are numbered in one
    /// sequence, the record's own from 0. Also the chunk offset of the value holding each
    /// embedded one (0 for the record's own).
    fn fragments(&self) -> impl Iterator<Item = (&Template, &[Raw<'a>], u32, usize)> {
        let own = std::iter::once((self.template, &self.values[..], 0usize));
        let nested = self
            .nested
            .iter()
            .map(|n| (n.template, &n.values[..], n.at));
        own.chain(nested)
            .scan(0u32, |next, (template, values, at)| {
                let base = *next;
                *next = next.saturating_add(u32::try_from(values.len()).unwrap_or(u32::MAX));
                Some((template, values, base, at))
            })
    }

    /// Appends this record's JSON line (what [`event_json::write_event`] writes for its
    /// `Event`, then a newline) to `out`, and returns its line head (its time, and its computer
    /// when `want_computer`). `None`, with `out` as it was, when the record has no program:
    /// the caller builds its `Event` instead.
    pub(crate) fn write_json(
        &self,
        templates: &mut ChunkTemplates<'a>,
        programs: &mut ChunkPrograms<'_>,
        origin: &LineOrigin<'_>,
        want_computer: bool,
        out: &mut Vec<u8>,
    ) -> Option<LineHead> {
        let hash = self.program(templates, programs, origin)?;
        // The chunk's programs are set aside while this one writes (it borrows from them).
        let known = std::mem::take(&mut programs.kept.known);
        let program = known.get(&hash).and_then(Option::as_deref);
        let line = program.and_then(|p| self.write_line(p, programs, origin, want_computer, out));
        programs.kept.known = known;
        line
    }

    /// [`Record::write_json`] with this record's program, its values' text already in
    /// `programs.kept.texts`.
    fn write_line(
        &self,
        program: &Program,
        programs: &mut ChunkPrograms<'_>,
        origin: &LineOrigin<'_>,
        want_computer: bool,
        out: &mut Vec<u8>,
    ) -> Option<LineHead> {
        let from = out.len();
        let plan = self.template.system.as_ref()?;
        let head = match &program.head {
            Some(head) => head.write(
                plan,
                &self.values,
                &mut programs.kept.value,
                &mut programs.kept.memos,
                want_computer,
                out,
            ),
            None => self.system_event(&mut programs.kept.value).map(|system| {
                event_json::write_head(&system, out);
                LineHead::of(&system)
            }),
        };
        let Some(head) = head else {
            out.truncate(from);
            return None;
        };
        program.write_items(&programs.kept.texts, &mut programs.kept.value, out);
        out.extend_from_slice(origin.tail);
        event_json::write_tail_end(origin.chunk, Some(origin.record_id), out);
        out.push(b'\n');
        Some(head)
    }

    /// This record's `Event`, with its origin, built by its program: the event the replay
    /// builds, without replaying. `None` when the record has no program.
    pub(crate) fn program_event(
        &self,
        templates: &mut ChunkTemplates<'a>,
        programs: &mut ChunkPrograms<'_>,
        origin: &LineOrigin<'_>,
    ) -> Option<Event> {
        let hash = self.program(templates, programs, origin)?;
        let program = programs.kept.known.get(&hash)?.as_deref()?;
        let plan = self.template.system.as_ref()?;
        let mut event = system_memo::system_event(
            plan,
            &self.values,
            &mut programs.kept.value,
            &mut programs.system,
        )?;
        program.push_fields(&programs.kept.texts, &mut event);
        event.origin = origin.ctx.origin(origin.chunk, Some(origin.record_id));
        Some(event)
    }

    /// The program of this record, made when its key is new: its key's hash in
    /// `programs.kept.known`. Its values' text is left in `programs.kept.texts`. `None` when
    /// the record cannot have one.
    fn program(
        &self,
        templates: &mut ChunkTemplates<'a>,
        programs: &mut ChunkPrograms<'_>,
        origin: &LineOrigin<'_>,
    ) -> Option<u64> {
        self.template.system.as_ref()?;
        let hash = self.key(programs)?;
        if !programs.kept.known.contains_key(&hash) {
            let shared = programs.run.by_key.lock().ok()?.get(&hash).cloned();
            let program = match shared {
                Some(program) => program,
                None => {
                    let made = self.make_program(templates, programs, origin);
                    let mut by_key = programs.run.by_key.lock().ok()?;
                    if by_key.len() >= MAX_PROGRAMS && !by_key.contains_key(&hash) {
                        return None;
                    }
                    by_key.entry(hash).or_insert(made).clone()
                }
            };
            programs.kept.known.insert(hash, program);
        }
        // Borrowed, not cloned: a program's count is shared by the threads using it.
        let program = programs.kept.known.get(&hash)?.as_deref()?;
        // The replay refuses a record whose text passes its budget; so does a program (a
        // value placed many times could otherwise make one record's line huge).
        (program.key == programs.kept.key && program.fits_budget(&programs.kept.texts))
            .then_some(hash)
    }

    /// Writes the text of this record's payload values into `programs.kept.texts`, fills
    /// `programs.kept.key` and returns its hash. `None` for a record that cannot have a program
    /// (string arrays, a value without a plain text, too many values).
    fn key(&self, programs: &mut ChunkPrograms<'_>) -> Option<u64> {
        let texts = &mut programs.kept.texts;
        texts.clear();
        let key = &mut programs.kept.key;
        key.shape = self.shape;
        key.types.clear();
        for (template, values, base, _) in self.fragments() {
            let payload = template.payload_values.as_deref()?;
            if values.iter().any(|v| v.ty & ty::ARRAY != 0) {
                return None;
            }
            key.types.extend(values.iter().map(key_type));
            if key.types.len() > MAX_VALUES as usize {
                return None;
            }
            texts.resize(key.types.len());
            for &index in payload {
                let Some(value) = values.get(usize::from(index)) else {
                    continue;
                };
                if value.ty == ty::BINXML {
                    continue;
                }
                texts.write(base as usize + usize::from(index), value)?;
            }
        }
        key.empty.clone_from(&texts.empty);
        // Word-wise: byte by byte, hashing these few dozen bytes was most of the time spent
        // finding a record's program.
        let mut hash = rustc_hash::FxHasher::default();
        hash.write_u64(key.shape);
        hash.write(&key.types);
        hash.write(&key.empty);
        Some(hash.finish())
    }

    /// Reads this record's program and checks it on the record itself.
    fn make_program(
        &self,
        templates: &mut ChunkTemplates<'a>,
        programs: &mut ChunkPrograms<'_>,
        origin: &LineOrigin<'_>,
    ) -> Option<Arc<Program>> {
        let bases = self.fragments().skip(1).map(|f| (f.3, f.2)).collect();
        let marked = self.marked_event(templates, origin.ctx, bases)?;
        let mut program = Program::read(&marked, &programs.kept.key)?;
        let mut event = self.event(templates, origin.ctx)?;
        event.origin = origin.ctx.origin(origin.chunk, Some(origin.record_id));
        programs.kept.check.clear();
        event_json::write_event(&event, &mut programs.kept.check);
        programs.kept.check.push(b'\n');

        let plan = self.template.system.as_ref()?;
        program.head = Head::new(plan, &self.values, &mut programs.kept.value);
        // The check fills memos of its own: its program is not yet where it will stay, and
        // memos are found by the address of their head.
        let memos = std::mem::take(&mut programs.kept.memos);
        let mut line = Vec::with_capacity(programs.kept.check.len());
        self.write_line(&program, programs, origin, true, &mut line);
        if line != programs.kept.check && program.head.is_some() {
            // Its System part built whole instead.
            program.head = None;
            line.clear();
            self.write_line(&program, programs, origin, true, &mut line);
        }
        programs.kept.memos = memos;
        (line == programs.kept.check).then(|| Arc::new(program))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::test_numbers;

    const UNITS: &[u16] = &[
        0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c, 0x85, 0xa0, 0x1680, 0x2000, 0x2028, 0x2029, 0x202f,
        0x205f, 0x3000, 0xfeff, 0x00, 0x01, 0x1f, 0x7f, 0x22, 0x5c, 0x7b, 0x7d, 0x2d, 0xfffe,
        0xffff, 0xd800, 0xdc00, 0xe9,
    ];

    fn guidish(numbers: &mut impl Iterator<Item = u64>) -> Vec<u16> {
        let g = "a68ca8b7-004f-d7b6-a698-07e2de0f1f5d";
        let mut s: Vec<u16> = match numbers.next().unwrap() % 4 {
            0 => g.encode_utf16().collect(),
            1 => format!("{{{g}}}").encode_utf16().collect(),
            2 => format!("{{{g}").encode_utf16().collect(),
            _ => g.to_uppercase().encode_utf16().collect(),
        };
        // mutate a few places, pad with whitespace/specials on each side
        for _ in 0..(numbers.next().unwrap() % 3) {
            let at = numbers.next().unwrap() as usize % s.len();
            let u = UNITS[numbers.next().unwrap() as usize % UNITS.len()];
            match numbers.next().unwrap() % 3 {
                0 => s[at] = u,
                1 => s.insert(at, u),
                _ => {
                    s.remove(at);
                }
            }
        }
        for _ in 0..(numbers.next().unwrap() % 3) {
            let u = UNITS[numbers.next().unwrap() as usize % UNITS.len()];
            s.insert(0, u);
        }
        for _ in 0..(numbers.next().unwrap() % 3) {
            let u = UNITS[numbers.next().unwrap() as usize % UNITS.len()];
            s.push(u);
        }
        s
    }

    /// The programs looked up and the memos a chunk hands on go to a later chunk of the same
    /// run, never to another run's (whose shapes, numbered from 0 in each run, and heads, by
    /// address, mean other things).
    #[test]
    fn what_a_chunk_hands_on_stays_in_its_run() {
        let (first, second) = (RunPrograms::default(), RunPrograms::default());
        let held = |chunk: &ChunkPrograms<'_>| (chunk.kept.known.len(), chunk.kept.memos.len());
        {
            let mut chunk = ChunkPrograms::new(&first);
            assert_eq!(held(&chunk), (0, 0));
            chunk.kept.known.insert(7, None);
            chunk.kept.memos.insert(8, Vec::new());
        }
        assert_eq!(
            held(&ChunkPrograms::new(&second)),
            (0, 0),
            "another run's chunk"
        );
        assert_eq!(
            held(&ChunkPrograms::new(&first)),
            (1, 1),
            "the same run's next chunk"
        );
    }

    /// The text of every value whose type is plain is left as it is by normalizing and by
    /// JSON escaping, so that a line may take it as it is.
    #[test]
    fn plain_texts_need_neither_normalizing_nor_escaping() {
        let mut numbers = test_numbers(11);
        let mut seen = 0;
        for ty in 0..=u8::MAX {
            if !plain_text(ty) {
                continue;
            }
            for n in 0..20_000 {
                let word = match n {
                    0 => 0,
                    1 => u64::MAX,
                    2 => 1 << 63,
                    _ => numbers.next().unwrap(),
                };
                let size = match ty {
                    ty::INT8 | ty::UINT8 => 1,
                    ty::INT16 | ty::UINT16 => 2,
                    ty::INT32 | ty::UINT32 | ty::HEX_INT32 | ty::BOOL => 4,
                    ty::SIZE_T if n % 2 == 0 => 4,
                    _ => 8,
                };
                let bytes = word.to_le_bytes();
                let raw = Raw {
                    ty,
                    bytes: &bytes[..size],
                    offset: 0,
                };
                let mut text = String::new();
                if write_text(&raw, &mut text).is_none() {
                    continue;
                }
                seen += 1;
                assert!(
                    matches!(normalize_value(&text), Cow::Borrowed(t) if t == text),
                    "{ty:#x} {text}"
                );
                let mut json = Vec::new();
                event_json::write_str(&text, &mut json);
                assert_eq!(json, format!("\"{text}\"").into_bytes(), "{ty:#x}");
            }
        }
        assert!(seen > 200_000, "{seen} values written");
    }

    /// `maybe_guid` is careful: whenever it says no, `normalize_value` leaves the text as it is.
    #[test]
    fn a_text_maybe_guid_lets_through_is_left_by_normalizing() {
        let mut numbers = test_numbers(99);
        let (mut fast, mut slow, mut changed) = (0, 0, 0);
        for _ in 0..400_000 {
            let units = if numbers.next().unwrap() % 2 == 0 {
                guidish(&mut numbers)
            } else {
                let len = 30 + numbers.next().unwrap() as usize % 12;
                (0..len)
                    .map(|_| {
                        let p = numbers.next().unwrap();
                        if p % 3 == 0 {
                            UNITS[(p >> 8) as usize % UNITS.len()]
                        } else {
                            b"0123456789abcdefABCDEF-{} x"[(p >> 8) as usize % 27] as u16
                        }
                    })
                    .collect()
            };
            let mut bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            if numbers.next().unwrap() % 8 == 0 {
                bytes.push(0x41);
            }
            let mut text = String::new();
            sanitize_utf16(&bytes, &mut text);
            let mut out = Vec::new();
            let told = write_json_utf16(&bytes, &mut out);
            let normalized = normalize_value(&text);
            if normalized != text {
                changed += 1;
            }
            if maybe_guid(&told) {
                slow += 1;
            } else {
                fast += 1;
                assert_eq!(normalized, text, "{units:x?}");
            }
        }
        assert!(
            changed > 1000 && fast > 1000 && slow > 1000,
            "{fast} {slow} {changed}"
        );
    }

    fn program(placements: Vec<(u32, u32)>, literal_bytes: usize) -> Program {
        Program {
            key: KeyParts::default(),
            items: Vec::new().into(),
            placements: placements.into(),
            literal_bytes,
            head: None,
        }
    }

    /// `fits_budget` answers as counting every text exactly against `TEXT_BUDGET`, at the
    /// boundary (the bound from the strings' most bytes fails, the exact count passes).
    #[test]
    fn the_budget_check_is_the_exact_count() {
        let mut numbers = test_numbers(5);
        let mut seen = [0usize; 2];
        for _ in 0..3000 {
            let mut texts = ValueTexts::default();
            let count = 1 + numbers.next().unwrap() as usize % 4;
            texts.resize(count);
            let mut bufs = Vec::new();
            for i in 0..count {
                let len = numbers.next().unwrap() as usize % 5000;
                let units: Vec<u16> = (0..len)
                    .map(|_| {
                        let p = numbers.next().unwrap();
                        [0x41u16, 0xe9, 0x3000, 0xd83d, 0xde00, 0x00, 0x22][p as usize % 7]
                    })
                    .collect();
                let mut b: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                if numbers.next().unwrap() % 4 == 0 {
                    b.push(1);
                }
                bufs.push((i, b));
            }
            for (i, b) in &bufs {
                let raw = Raw {
                    ty: if i % 3 == 2 { ty::UINT32 } else { ty::STRING },
                    bytes: if i % 3 == 2 { &[1, 2, 3, 4] } else { b },
                    offset: 0,
                };
                texts.write(*i, &raw).unwrap();
            }
            // exact (old) lengths
            let exact: Vec<usize> = (0..count)
                .map(|i| {
                    let (_, b) = &bufs[i];
                    if i % 3 == 2 {
                        "67305985".len()
                    } else {
                        let mut t = String::new();
                        sanitize_utf16(b, &mut t);
                        t.len()
                    }
                })
                .collect();
            let placements: Vec<(u32, u32)> = (0..count)
                .map(|i| (i as u32, 1 + numbers.next().unwrap() as u32 % 20_000))
                .collect();
            let played: usize = placements
                .iter()
                .map(|&(v, t)| exact[v as usize] * t as usize)
                .sum();
            // literal bytes put the exact total right at, just under or just over the budget
            for delta in [-1isize, 0, 1, -3, 5] {
                let target = TEXT_BUDGET as isize + delta;
                let literal = (target - played as isize).max(0) as usize;
                let p = program(placements.clone(), literal);
                let old = literal.saturating_add(played) <= TEXT_BUDGET;
                assert_eq!(
                    p.fits_budget(&texts),
                    old,
                    "{exact:?} {placements:?} {literal}"
                );
                seen[usize::from(old)] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n > 1000), "refused, fitted: {seen:?}");
    }
}
