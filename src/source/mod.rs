//! Everything that turns bytes into `Event`s: the input walk, format detection by content,
//! the readers, and per-source error accounting.
//!
//! This module never knows that rules exist. A consumer plugs in through [`EventSink`]: it may
//! decline a whole file by its channel, decline single records by their System head (before
//! the rest of the record is rendered), and receives each wanted `Event` on the thread that
//! parsed it.
//!
//! Layout: `walk` expands paths and spreads files over threads; [`detect`] names a source's
//! kind from its first bytes; one reader per format (`evtx`, `xml`, `json`, `archive`);
//! `assemble` is the one place where the parts of a record become an [`Event`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use crate::event::Identity;
use crate::event::{Event, Origin, Text};

pub mod archive;
mod assemble;
mod binxml;
pub mod evtx;
pub mod json;
mod prefetch;
mod utf16;
pub mod walk;
pub mod xml;

pub use xml::{parse_event, parse_events};

/// The System fields a reader can produce cheaply, before the record is rendered.
///
/// For EVTX these come from the template substitution values; for text formats the record is
/// already parsed and this is a view of it.
#[derive(Debug, Clone, Copy)]
pub struct RecordHead<'a> {
    pub provider: &'a str,
    pub event_id: u32,
    pub channel: &'a str,
}

impl<'a> RecordHead<'a> {
    /// The head of a record already read in full.
    pub fn of(event: &'a Event) -> Self {
        RecordHead {
            provider: &event.provider.name,
            event_id: event.event_id,
            channel: &event.channel,
        }
    }
}

/// The consumer of a read: `evident events` writes what it receives, `evident scan` matches it.
///
/// Called from many threads at once; implementations keep per-call work small and share only
/// results (matches), never per-record state, across threads.
pub trait EventSink: Sync {
    /// Whether a file whose records belong to `channel` is wanted at all. Asked once per file,
    /// with the channel of its first record; `false` drops the rest of the file unread (it is
    /// still counted in the accounting as skipped, not as an error).
    fn wants_channel(&self, channel: &str) -> bool {
        let _ = channel;
        true
    }

    /// Cheap pre-filter on the System head; `false` skips rendering this record.
    fn wants(&self, head: &RecordHead<'_>) -> bool {
        let _ = head;
        true
    }

    /// Whether [`EventSink::wants`] may answer one head differently later in a read (an output
    /// closed meanwhile): a reader then keeps its answers for one EVTX chunk at most, not for
    /// the rest of the file.
    fn answers_may_change(&self) -> bool {
        false
    }

    /// Whether [`EventSink::wants`] may say no at the moment; `false` lets a reader skip
    /// reading heads before building records (asked once per EVTX chunk).
    fn filters_heads(&self) -> bool {
        true
    }

    /// Receives one wanted, fully normalized event, on the thread that parsed it.
    fn accept(&self, event: Event);

    /// Whether this sink takes the records that repeat an earlier one of their chunk as such
    /// ([`EventSink::accept_base`], [`EventSink::accept_repeat`]): a sink that keeps what it
    /// made of the earlier one need not make it again. Asked once per EVTX chunk.
    fn takes_repeats(&self) -> bool {
        false
    }

    /// Receives a wanted event that later records of its chunk may repeat: [`EventSink::accept`]
    /// of a copy of it. The reader keeps `base` where it is until the chunk's
    /// [`EventSink::chunk_done`], so that a sink may know it by its address until then. Called
    /// only when [`EventSink::takes_repeats`].
    fn accept_base(&self, base: &Event) {
        self.accept(base.clone());
    }

    /// Receives a wanted event that is `base` but for its identity: [`EventSink::accept`] of
    /// `base` with `identity`. `base` is given to [`EventSink::accept_base`] in the same chunk,
    /// on this thread, most often before its repeats but not always (a record that waited for
    /// its shape's verdict can repeat a base read after it): a sink must take a repeat of a
    /// base it was not given yet as any event. Called only when [`EventSink::takes_repeats`].
    fn accept_repeat(&self, base: &Event, identity: &Identity) {
        let mut event = base.clone();
        identity.apply(&mut event);
        self.accept(event);
    }

    /// Ends the delivery of one EVTX chunk on this thread: the bases given since are gone.
    fn chunk_done(&self) {}

    /// Whether this sink takes records as JSON lines ([`EventSink::accept_json`]) where the
    /// reader can write them without building their `Event` (the EVTX reader can for most
    /// records, several times faster). The others still come through `accept`.
    fn takes_json(&self) -> bool {
        false
    }

    /// Wanted records of one chunk, in order, as JSON lines: `lines` holds them end to end,
    /// each the bytes [`crate::event_json::write_event`] writes for its `Event`, then a
    /// newline. Each record is given as its time (`System/TimeCreated`, for a time filter)
    /// and the range of its line; its head was already asked of [`EventSink::wants`]. One
    /// call for many records, so that a sink takes its lock once. Called only when
    /// [`EventSink::takes_json`].
    fn accept_json(&self, records: &[(Option<Timestamp>, std::ops::Range<usize>)], lines: &[u8]) {
        let _ = (records, lines);
    }
}

/// The input formats, recognized by content, never by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Evtx,
    Xml,
    Json,
    Zip,
    Unknown,
}

/// What went wrong with one part of one input. Errors are data: they are counted per source,
/// reported, and the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{file}{}{}: {kind}: {message}", member.as_deref().map(|m| format!("!{m}")).unwrap_or_default(), offset.map(|o| format!(" at offset {o:#x}")).unwrap_or_default())]
pub struct InputError {
    /// The file as the user named it.
    pub file: String,
    /// The zip member, when the error is inside an archive.
    pub member: Option<String>,
    /// Byte offset of the unreadable part (file offset for EVTX, byte offset for text).
    pub offset: Option<u64>,
    pub kind: InputErrorKind,
    /// One line, for a human.
    pub message: String,
}

/// The classes of input error, so that callers and tests can count them without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputErrorKind {
    /// The path could not be opened or read.
    Io,
    /// Zero bytes.
    Empty,
    /// Not a format evident reads (including legacy `.evt`).
    UnsupportedFormat,
    /// The EVTX file header is damaged.
    BadFileHeader,
    /// An EVTX chunk could not be read.
    BadChunk,
    /// A single record could not be read.
    BadRecord,
    /// The input ends in the middle of a structure.
    Truncated,
    /// An XML or JSON document is malformed.
    Malformed,
    /// A limit was hit (archive size, ratio, member count, nesting depth, line length).
    LimitExceeded,
}

impl std::fmt::Display for InputErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputErrorKind::Io => "cannot read",
            InputErrorKind::Empty => "empty file",
            InputErrorKind::UnsupportedFormat => "unsupported format",
            InputErrorKind::BadFileHeader => "bad file header",
            InputErrorKind::BadChunk => "unreadable chunk",
            InputErrorKind::BadRecord => "unreadable record",
            InputErrorKind::Truncated => "truncated",
            InputErrorKind::Malformed => "malformed",
            InputErrorKind::LimitExceeded => "limit exceeded",
        })
    }
}

/// The accounting of one source (a file, or one member of an archive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    pub file: String,
    pub member: Option<String>,
    pub kind: Option<SourceKind>,
    /// The channel of the first record, when known.
    pub channel: Option<String>,
    /// Records read (rendered or declined by the pre-filter; not those never reached).
    pub records: u64,
    /// True when the sink declined the file by its channel after the first record.
    pub skipped: bool,
    pub errors: Vec<InputError>,
    /// `Computer` of the first record, when known: which host's log this is (coverage).
    #[serde(default)]
    pub computer: Option<String>,
    /// Earliest and latest `TimeCreated` among the records read, when known: the time the log
    /// covers, so that "no such event" can be told apart from "no log for that time".
    #[serde(default)]
    pub first_time: Option<jiff::Timestamp>,
    #[serde(default)]
    pub last_time: Option<jiff::Timestamp>,
}

/// The accounting of a whole read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadSummary {
    pub sources: Vec<SourceReport>,
}

impl ReadSummary {
    pub fn records(&self) -> u64 {
        self.sources.iter().map(|s| s.records).sum()
    }

    pub fn errors(&self) -> impl Iterator<Item = &InputError> {
        self.sources.iter().flat_map(|s| s.errors.iter())
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// How to read: built once from the command line and passed down.
#[derive(Debug, Clone)]
pub struct ReadPlan {
    /// Worker threads in all (file-level or chunk-level, never both nested).
    pub threads: usize,
}

impl Default for ReadPlan {
    fn default() -> Self {
        ReadPlan {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Reads every input (files, folders recursively, `.zip` archives) into `sink`.
///
/// Never fails as a whole: each unreadable part is an `InputError` in the returned summary,
/// and every readable record still reaches the sink.
pub fn read_inputs(
    paths: &[std::path::PathBuf],
    plan: &ReadPlan,
    sink: &dyn EventSink,
) -> ReadSummary {
    read_inputs_on(paths, plan, sink, None)
}

/// [`read_inputs`] on the threads of `pool` when it has as many as the plan and this thread
/// is not one of them: a caller that works on after the read (a scan diagnoses) keeps its
/// threads, already started and holding the memory the read let go.
pub fn read_inputs_on(
    paths: &[std::path::PathBuf],
    plan: &ReadPlan,
    sink: &dyn EventSink,
    pool: Option<&rayon::ThreadPool>,
) -> ReadSummary {
    let summary = walk::read_all(paths, plan, sink, pool);
    // The texts this thread shared while reading are let go (events still held keep theirs;
    // a reading thread's go with it).
    crate::shared_text::let_go();
    summary
}

/// Names the kind of a source from its first bytes (up to 64 KiB), never from its name.
///
/// `LfLe` legacy `.evt` files, and anything that is neither EVTX, zip, XML holding `<Event>`
/// nor JSON, are [`SourceKind::Unknown`]; [`unknown_reason`] says why, for the error line.
pub fn detect(head: &[u8]) -> SourceKind {
    if head.starts_with(b"ElfFile\0") {
        return SourceKind::Evtx;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return SourceKind::Zip;
    }
    if is_legacy_evt(head) {
        return SourceKind::Unknown;
    }
    let text = skip_preamble(head);
    match text.first() {
        Some(b'<') => return SourceKind::Xml,
        Some(b'{') | Some(b'[') => return SourceKind::Json,
        _ => {}
    }
    // Any text with an <Event> element in it (a log pasted into a note, a mail, ...).
    if contains(head, b"<Event ") || contains(head, b"<Event>") {
        return SourceKind::Xml;
    }
    SourceKind::Unknown
}

/// Why [`detect`] refused a source, in words for the error line.
pub fn unknown_reason(head: &[u8]) -> String {
    if head.is_empty() {
        "zero bytes".into()
    } else if is_legacy_evt(head) {
        "a legacy Windows NT/2003 .evt log (LfLe); convert it with wevtutil epl /lf or save it as .evtx".into()
    } else if utf16::bom(head).is_some() {
        "UTF-16 text that holds neither event XML nor evtx_dump JSON".into()
    } else {
        "not an event log (neither EVTX, XML with <Event> elements, evtx_dump JSON, nor zip)".into()
    }
}

/// Legacy `.evt`: a 0x30-byte header whose signature `LfLe` follows the size field.
fn is_legacy_evt(head: &[u8]) -> bool {
    head.len() >= 8 && &head[4..8] == b"LfLe"
}

/// Skips a UTF-8 BOM, white space and `evtx_dump`'s `Record N` lines.
fn skip_preamble(mut text: &[u8]) -> &[u8] {
    text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    loop {
        let trimmed = text.trim_ascii_start();
        if let Some(rest) = trimmed.strip_prefix(b"Record ") {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            if rest[..end].trim_ascii().iter().all(u8::is_ascii_digit) {
                text = &rest[end..];
                continue;
            }
        }
        return trimmed;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Which source an error or event belongs to: the file as named, and the zip member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SourceCtx {
    /// Shared with the origin of every event read from it.
    pub file: Text,
    pub member: Option<String>,
}

impl SourceCtx {
    pub(crate) fn from_origin(origin: &Origin) -> Self {
        SourceCtx {
            file: origin.file.clone(),
            member: origin.member.clone(),
        }
    }

    pub(crate) fn error(
        &self,
        offset: Option<u64>,
        kind: InputErrorKind,
        message: String,
    ) -> InputError {
        InputError {
            file: self.file.to_string(),
            member: self.member.clone(),
            offset,
            kind,
            message,
        }
    }

    pub(crate) fn origin(&self, chunk: Option<u64>, record: Option<u64>) -> Origin {
        Origin {
            file: self.file_here(),
            member: self.member.clone(),
            chunk,
            record,
        }
    }

    /// The file's name for an event made on this thread: a copy of its own per thread, so
    /// that threads reading one file's chunks do not share the count of one text, which
    /// every event made and dropped would change.
    fn file_here(&self) -> Text {
        thread_local! {
            /// The file last named on this thread, and this thread's copy of its name.
            static FILE_HERE: std::cell::RefCell<Option<(Text, Text)>> =
                const { std::cell::RefCell::new(None) };
        }
        FILE_HERE.with_borrow_mut(|here| match here {
            Some((of, own)) if Text::ptr_eq(of, &self.file) => Text::clone(own),
            _ => {
                let own = Text::from(&*self.file);
                *here = Some((Text::clone(&self.file), Text::clone(&own)));
                own
            }
        })
    }

    pub(crate) fn report(&self, kind: Option<SourceKind>) -> SourceReport {
        SourceReport {
            file: self.file.to_string(),
            member: self.member.clone(),
            kind,
            ..SourceReport::default()
        }
    }
}

/// Hands the records of one sequentially read source (XML, JSON) to the sink, with the
/// accounting: counts records, asks `wants_channel` once, applies the `wants` pre-filter.
pub(crate) struct Feed<'s> {
    sink: &'s dyn EventSink,
    pub(crate) report: SourceReport,
    channel_asked: bool,
}

impl<'s> Feed<'s> {
    pub(crate) fn new(sink: &'s dyn EventSink, report: SourceReport) -> Self {
        Feed {
            sink,
            report,
            channel_asked: false,
        }
    }

    /// Offers one parsed record; returns whether to go on reading this source.
    pub(crate) fn offer(&mut self, event: Event) -> bool {
        self.report.records += 1;
        if let Some(t) = event.time {
            self.report.first_time = Some(self.report.first_time.map_or(t, |f| f.min(t)));
            self.report.last_time = Some(self.report.last_time.map_or(t, |l| l.max(t)));
        }
        if self.report.computer.is_none() && !event.computer.is_empty() {
            self.report.computer = Some(event.computer.to_string());
        }
        if !self.channel_asked {
            self.channel_asked = true;
            self.report.channel = Some(event.channel.to_string());
            if !self.sink.wants_channel(&event.channel) {
                self.report.skipped = true;
                return false;
            }
        }
        if self.sink.wants(&RecordHead::of(&event)) {
            self.sink.accept(event);
        }
        true
    }

    pub(crate) fn error(&mut self, error: InputError) {
        self.report.errors.push(error);
    }

    /// Takes one reader result: an event is offered, an error recorded.
    pub(crate) fn take(&mut self, item: Result<Event, InputError>) -> bool {
        match item {
            Ok(event) => self.offer(event),
            Err(error) => {
                self.error(error);
                true
            }
        }
    }
}

/// Reads an XML or JSON source from any byte stream (UTF-8, or UTF-16 with a byte-order mark,
/// which is decoded on the fly). `head` is the stream's first bytes, already looked at.
pub(crate) fn read_text<R: std::io::Read>(
    input: R,
    head: &[u8],
    ctx: &SourceCtx,
    sink: &dyn EventSink,
) -> Option<SourceReport> {
    use std::io::BufReader;
    const BUFFER: usize = 256 * 1024;
    let (kind, order) = match utf16::bom(head) {
        Some(order) => (detect(&utf16::decode_head(head, order)), Some(order)),
        None => (detect(head), None),
    };
    if !matches!(kind, SourceKind::Xml | SourceKind::Json) {
        return None;
    }
    let mut feed = Feed::new(sink, ctx.report(Some(kind)));
    let mut take = |item| feed.take(item);
    match (kind, order) {
        (SourceKind::Xml, Some(order)) => xml::read_xml(
            BufReader::with_capacity(BUFFER, utf16::Utf16ToUtf8::new(input, order)),
            ctx,
            &mut take,
        ),
        (SourceKind::Xml, None) => {
            xml::read_xml(BufReader::with_capacity(BUFFER, input), ctx, &mut take)
        }
        (_, Some(order)) => json::read_json(
            BufReader::with_capacity(BUFFER, utf16::Utf16ToUtf8::new(input, order)),
            ctx,
            &mut take,
        ),
        (_, None) => json::read_json(BufReader::with_capacity(BUFFER, input), ctx, &mut take),
    }
    Some(feed.report)
}
