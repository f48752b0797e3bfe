//! Everything that turns bytes into `Event`s: the input walk, format detection by content,
//! the readers, and per-source error accounting.
//!
//! This module never knows that rules exist. A consumer plugs in through [`EventSink`]: it may
//! decline a whole file by its channel, decline single records by their System head (before
//! the rest of the record is rendered), and receives each wanted `Event` on the thread that
//! parsed it.
//!
//! STATUS: interface fixed; the readers are being built (issue: foundation).

use serde::{Deserialize, Serialize};

use crate::event::Event;

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

    /// Receives one wanted, fully normalized event, on the thread that parsed it.
    fn accept(&self, event: Event);
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
    let _ = (paths, plan, sink);
    unimplemented!("foundation issue: readers")
}
