//! `.evtx` files, through the `evtx` crate: the only module (with its part `chunks`) that
//! imports it.
//!
//! Bytes: `chunks` walks a file's chunks in the crate's order, each read with one positioned
//! read (a zip member's, read whole, are lent where they are); a chunk the crate itself must
//! read is handed the bytes read for it (a zip member's chunk is copied).
//!
//! The file format is MS-EVEN6 (<https://learn.microsoft.com/openspecs/windows_protocols/ms-even6>):
//! a 4 KiB file header, then 64 KiB chunks, each with its own string and template tables and a
//! run of records whose content is BinXML (§2.2.3.1). Chunks are independent, so they are the
//! unit of parallel work and of damage: an unreadable chunk is reported with its file offset
//! and the others are still read.
//!
//! Threads: with one thread, the chunks are read in order on the caller's thread. With more,
//! the caller walks the chunks in order and the chunks are parsed on a rayon pool given by the
//! caller (`in_place_scope`, so the caller is never itself a worker blocked on its own jobs),
//! at most two chunks per thread in flight. The crate's own pipeline (`serialized_records`)
//! needs `'static` closures and hands results back to the caller's thread; evident instead
//! runs the sink inside the worker that parsed the record, so it drives the chunk API itself.
//!
//! Records: a chunk's records are read by `source::binxml` (template definitions and values
//! straight from the bytes). The first record of each record shape new to the run (of those
//! the sink may want, by the head its values tell) that the shapes compared before do not
//! vouch for (`binxml::Verdicts`: each of its templates and each value holding a fragment
//! found read right in other shapes), and the records of a shape found to read differently,
//! are rendered by the crate (to XML, which `source::xml` assembles), and a new shape's first
//! record is compared both ways; the crate is then given a copy of the chunk in which the
//! records between those it renders are joined, so that it does not build them
//! (`join_skipped_records`). A chunk whose record structure `binxml` cannot follow is read by
//! the crate alone, which reports what it cannot read. A wanted record is built from its
//! record program, or written as a JSON line for a sink that takes them (`binxml::program`).

use std::io::{Cursor, Seek};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use evtx::err::{ChunkError, EvtxError};
use evtx::{EvtxChunkData, EvtxParser, EvtxRecord, ParserSettings};
use jiff::Timestamp;
use rayon::prelude::*;

mod chunks;

pub(crate) use chunks::EvtxBytes;
use chunks::{Chunk, ChunkWalk};

use super::binxml::{
    filetime_timestamp, read_record, ChunkPrograms, ChunkTemplates, HeadKey, HeldHeadKey, LineHead,
    LineOrigin, Record, Repeats, RunPrograms, RunTemplates, TemplateKeep, Verdict, Verdicts,
};
use super::{
    EventSink, Identity, InputError, InputErrorKind, RecordHead, SourceCtx, SourceKind,
    SourceReport,
};
use crate::event::Event;
use crate::event_json;
use crate::evtx_format::{self, CHUNK_HEADER_SIZE, RECORD_HEADER_SIZE, RECORD_MAGIC};

/// EVTX file header size (MS-EVEN6 §2.2.1), where chunk 0 starts.
const FILE_HEADER_SIZE: u64 = evtx_format::FILE_HEADER_SIZE as u64;
/// EVTX chunk size (MS-EVEN6 §2.2.2).
const CHUNK_SIZE: u64 = evtx_format::CHUNK_SIZE as u64;

/// Whether records are read with [`binxml`](super::binxml) where it can (the default). Off,
/// every record is rendered by the crate: the reference reading that the fast path is compared
/// with.
static FAST_PATH: AtomicBool = AtomicBool::new(true);

/// Turns the fast path on or off for the whole process (a comparison switch for tests and
/// benchmarks; both readings give the same events).
pub fn use_fast_path(enabled: bool) {
    FAST_PATH.store(enabled, Ordering::Relaxed);
}

fn chunk_offset(chunk: u64) -> u64 {
    FILE_HEADER_SIZE + chunk.saturating_mul(CHUNK_SIZE)
}

/// What the reading of all the EVTX files of one run shares: templates interned by content,
/// so that a record shape compared with the crate's reading in one file, and its record
/// programs, hold in every other (a batch scan reads many logs of the same Windows versions).
#[derive(Debug, Default)]
pub(crate) struct EvtxShared {
    templates: RunTemplates,
    verdicts: Verdicts,
    programs: RunPrograms,
}

/// How one EVTX source is read: how its chunks are spread over threads, and what the run has
/// learnt so far.
#[derive(Clone, Copy)]
pub(crate) struct EvtxRun<'a> {
    pub chunks: ChunkThreads<'a>,
    pub shared: &'a EvtxShared,
}

/// How the chunks of one EVTX source are spread over threads.
#[derive(Clone, Copy)]
pub(crate) enum ChunkThreads<'a> {
    /// In order, on the caller's thread.
    InOrder,
    /// Over this pool, with the caller (not one of its workers) reading the chunks ahead.
    Pool(&'a rayon::ThreadPool),
    /// On the caller, a worker of a pool whose other workers read other files. Once the flag
    /// tells that a worker has run out of files, a batch of chunks at a time, of which idle
    /// workers take a share: otherwise one large file keeps one thread busy while the others
    /// wait. Until then, in order: busy workers would only trade chunks.
    Shared(&'a AtomicBool),
}

/// Chunks read ahead per batch in [`ChunkThreads::Shared`] (1 MiB).
const SHARED_BATCH: usize = 16;

/// Reads one EVTX source into `sink`.
pub(crate) fn read_evtx(
    bytes: EvtxBytes<'_>,
    ctx: &SourceCtx,
    run: EvtxRun<'_>,
    sink: &dyn EventSink,
) -> SourceReport {
    let mut report = ctx.report(Some(SourceKind::Evtx));
    let len = match bytes.len() {
        Ok(len) => len,
        Err(err) => {
            let error = ctx.error(None, InputErrorKind::Io, format!("cannot read: {err}"));
            report.errors.push(error);
            return report;
        }
    };
    let cut_short = cut_short_at(bytes, len, ctx);
    // The crate reads the file header (and refuses a file without one); the chunks are walked
    // here (`chunks`).
    let header = match bytes {
        EvtxBytes::Memory(memory) => {
            EvtxParser::from_read_seek(Cursor::new(memory)).map(|p| p.header().header_block_size)
        }
        EvtxBytes::File(mut file) => {
            // From the file's start, wherever reading it left it (a failure to get there is
            // the header's read error below).
            let _ = file.rewind();
            EvtxParser::from_read_seek(file).map(|p| p.header().header_block_size)
        }
    };
    let header_block_size = match header {
        Ok(size) => size,
        Err(err) => {
            let kind = match &err {
                EvtxError::CalculationError(_) => InputErrorKind::Truncated,
                _ => InputErrorKind::BadFileHeader,
            };
            report.errors.push(ctx.error(Some(0), kind, describe(&err)));
            return report;
        }
    };
    let settings = Arc::new(
        ParserSettings::new()
            .num_threads(1)
            .indent(false)
            .validate_checksums(false),
    );
    let mut chunks = ChunkWalk::new(bytes, len, u64::from(header_block_size));
    let file = FileState {
        ctx,
        sink,
        settings,
        channel_asked: AtomicBool::new(false),
        declined: AtomicBool::new(false),
        shared: run.shared,
        line_tail: {
            let mut tail = Vec::new();
            event_json::write_tail_start(None, &ctx.file, ctx.member.as_deref(), &mut tail);
            tail
        },
        head_answers: Mutex::new(HeadAnswers::new()),
    };
    let mut outcomes: Vec<ChunkOutcome> = Vec::new();

    // The first chunk is read here, in order, so that the sink sees the file's channel
    // before any parallel work starts.
    let mut seq = 0u64;
    for item in chunks.by_ref() {
        let outcome = file.chunk(item, seq, None);
        seq += 1;
        let had_records = outcome.records > 0;
        outcomes.push(outcome);
        if had_records || file.declined.load(Ordering::Relaxed) {
            break;
        }
    }

    if !file.declined.load(Ordering::Relaxed) {
        match run.chunks {
            ChunkThreads::InOrder => {
                for item in chunks {
                    outcomes.push(file.chunk(item, seq, None));
                    seq += 1;
                }
            }
            ChunkThreads::Shared(idle) => loop {
                if !idle.load(Ordering::Relaxed) {
                    let Some(item) = chunks.next() else {
                        break;
                    };
                    outcomes.push(file.chunk(item, seq, None));
                    seq += 1;
                    continue;
                }
                let batch: Vec<_> = chunks.by_ref().take(SHARED_BATCH).collect();
                if batch.is_empty() || file.declined.load(Ordering::Relaxed) {
                    break;
                }
                let first = seq;
                seq += batch.len() as u64;
                outcomes.par_extend(
                    batch
                        .into_par_iter()
                        .enumerate()
                        .map(|(at, item)| file.chunk(item, first + at as u64, None)),
                );
            },
            ChunkThreads::Pool(pool) => {
                let done = Mutex::new(Vec::new());
                let in_flight = pool.current_num_threads().max(1) * 2;
                let (permit_tx, permit_rx) = crossbeam_channel::bounded::<()>(in_flight);
                pool.in_place_scope(|scope| {
                    for item in chunks {
                        // Blocks this (non-worker) thread while `in_flight` chunks are parsed.
                        if permit_tx.send(()).is_err() {
                            break;
                        }
                        let (file, done, permit_rx) = (&file, &done, &permit_rx);
                        let this = seq;
                        seq += 1;
                        scope.spawn(move |_| {
                            let outcome = file.chunk(item, this, None);
                            if let Ok(mut done) = done.lock() {
                                done.push(outcome);
                            }
                            let _ = permit_rx.recv();
                        });
                    }
                });
                outcomes.extend(done.into_inner().unwrap_or_default());
            }
        }
    }

    outcomes.sort_by_key(|o| o.seq);
    for outcome in outcomes {
        report.records += outcome.records;
        report.errors.extend(outcome.errors);
        if report.channel.is_none() {
            report.channel = outcome.channel;
        }
        if report.computer.is_none() {
            report.computer = outcome.computer;
        }
        report.first_time = [report.first_time, outcome.first_time]
            .into_iter()
            .flatten()
            .min();
        report.last_time = [report.last_time, outcome.last_time]
            .into_iter()
            .flatten()
            .max();
    }
    report.skipped = file.declined.load(Ordering::Relaxed);
    if let Some(cut) = cut_short {
        report.errors.push(cut.error);
        if let Some((number, tail, bytes)) = cut.chunk {
            if !file.declined.load(Ordering::Relaxed) {
                let outcome = file.chunk(Chunk::read(bytes.into(), number), seq, Some(tail));
                report.records += outcome.records;
                // Its records that the cut damaged are already covered by the error above.
                report.errors.extend(
                    outcome
                        .errors
                        .into_iter()
                        .filter(|e| e.kind != InputErrorKind::BadRecord),
                );
            }
        }
    }
    report
}

/// The partial last chunk of a file cut short (a copy interrupted, a download not finished).
struct CutShort {
    error: InputError,
    /// The chunk's number and its bytes, zero-padded to a whole chunk, when its header is
    /// there: the records that end before the cut can still be read.
    chunk: Option<(u64, u64, Vec<u8>)>,
}

/// A partial last chunk is not one of the walk's chunks, so it is reported (and read) here.
fn cut_short_at(bytes: EvtxBytes<'_>, len: u64, ctx: &SourceCtx) -> Option<CutShort> {
    if len <= FILE_HEADER_SIZE {
        return None;
    }
    let tail = (len - FILE_HEADER_SIZE) % CHUNK_SIZE;
    if tail == 0 {
        return None;
    }
    let number = (len - FILE_HEADER_SIZE) / CHUNK_SIZE;
    let error = ctx.error(
        Some(chunk_offset(number)),
        InputErrorKind::Truncated,
        format!(
            "the file ends {tail} bytes into chunk {number} (chunks are {CHUNK_SIZE} bytes): \
             it was cut short; the records of that chunk after the cut are lost"
        ),
    );
    // The partial chunk, zero-padded to a whole one.
    let mut padded = vec![0; CHUNK_SIZE as usize];
    let read = bytes.read_at(chunk_offset(number), &mut padded);
    let whole = read.is_ok_and(|n| n as u64 == tail);
    let chunk = (whole && padded.starts_with(b"ElfChnk\0") && tail >= 512)
        .then_some((number, tail, padded));
    Some(CutShort { error, chunk })
}

/// What reading one chunk gave.
#[derive(Debug, Default)]
struct ChunkOutcome {
    seq: u64,
    records: u64,
    errors: Vec<InputError>,
    /// The channel of the file's first record, when this chunk held it.
    channel: Option<String>,
    /// Earliest and latest record time in this chunk (coverage: what time the log spans).
    first_time: Option<jiff::Timestamp>,
    last_time: Option<jiff::Timestamp>,
    /// `Computer` of the first record this chunk rendered.
    computer: Option<String>,
}

/// What the chunks of one file share while they are read, possibly on several threads.
struct FileState<'a> {
    ctx: &'a SourceCtx,
    sink: &'a dyn EventSink,
    settings: Arc<ParserSettings>,
    channel_asked: AtomicBool,
    declined: AtomicBool,
    /// The run's templates, verdicts (which record shapes [`binxml`](super::binxml) reads
    /// exactly as the crate does) and record programs.
    shared: &'a EvtxShared,
    /// The tail of this file's JSON lines up to their chunk and record.
    line_tail: Vec<u8>,
    /// The sink's answers for the heads this file's chunks met, beyond each chunk's own
    /// ([`FastRead::head_answers`]): a log's chunks ask the same few heads, and reading a head
    /// to ask it costs several times more than finding its answer here.
    head_answers: Mutex<HeadAnswers>,
}

/// The sink's answers for record heads, by the heads' template and event id.
type HeadAnswers = hashbrown::HashTable<(HeldHeadKey, Option<bool>)>;

thread_local! {
    /// The JSON lines of the chunk being read on this thread, reused from chunk to chunk (a
    /// fresh buffer of a few hundred KiB per chunk costs more in page faults than the lines).
    static LINES: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    /// What the chunk being read on this thread wants delivered, reused from chunk to chunk
    /// (a flood's chunk holds hundreds of records: grown afresh each time, the list was copied
    /// over and over).
    static WANTED: std::cell::Cell<Vec<Wanted>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Where one record of a chunk sits, from its header (MS-EVEN6 §2.2.3): its BinXML span, the
/// offset just past it, its id and its FILETIME.
struct RecordAt {
    start: usize,
    stop: usize,
    end: usize,
    record_id: u64,
    filetime: u64,
}

impl RecordAt {
    /// The record whose header is at `offset`; `None` without the record magic, or for a size
    /// that does not fit `bytes`.
    fn read(bytes: &[u8], offset: usize) -> Option<RecordAt> {
        let head = bytes.get(offset..offset.checked_add(RECORD_HEADER_SIZE)?)?;
        if head[..4] != RECORD_MAGIC {
            return None;
        }
        let size = u32::from_le_bytes(head[4..8].try_into().ok()?) as usize;
        let end = offset.checked_add(size)?;
        if size < RECORD_HEADER_SIZE + 4 || end > bytes.len() {
            return None;
        }
        Some(RecordAt {
            start: offset + RECORD_HEADER_SIZE,
            stop: end - 4,
            end,
            record_id: u64::from_le_bytes(head[8..16].try_into().ok()?),
            filetime: u64::from_le_bytes(head[16..24].try_into().ok()?),
        })
    }
}

/// A copy of a chunk in which the records the crate need not read, those before and between
/// the `pending` ones, are joined: the size in the header of the first of each run of them is
/// made to span the run. The crate reads a chunk's records only one after another, building
/// each; walking this copy, it meets a single record in place of each run (one it cannot read,
/// or one not asked for), then the next pending record. Nothing a pending record refers to
/// moves: its template definitions and names are read at their offsets in the chunk, which are
/// the same, and only record headers, which nothing refers to, change.
fn join_skipped_records(chunk: &[u8], pending: &[Pending]) -> Vec<u8> {
    let mut joined = chunk.to_vec();
    let mut run_start = CHUNK_HEADER_SIZE;
    for record in pending {
        let header = record.start - RECORD_HEADER_SIZE;
        if let (Some(span), Some(size)) = (
            header.checked_sub(run_start).filter(|&span| span > 0),
            joined.get_mut(run_start + 4..run_start + 8),
        ) {
            size.copy_from_slice(&u32::try_from(span).unwrap_or(u32::MAX).to_le_bytes());
        }
        // A record ends with a copy of its size, after its BinXML.
        run_start = record.stop + 4;
    }
    joined
}

/// The host an event names, for a chunk's accounting; `None` when it names none.
fn host_of(event: &Event) -> Option<String> {
    (!event.computer.is_empty()).then(|| event.computer.to_string())
}

/// A wanted record of a chunk, held until the whole chunk has been read.
enum Wanted {
    /// Built as an `Event`; `true` when its head was already asked about.
    Event(Box<Event>, bool),
    /// Built as an `Event` kept for later records to repeat (its place in the chunk's
    /// [`Repeats`]).
    Base(usize, bool),
    /// The same as a kept event (by its place) but for its identity.
    Repeat(usize, Identity, bool),
    /// Written as a JSON line (this range of the chunk's lines), its head already asked.
    Line(LineHead, std::ops::Range<usize>),
    /// To be rendered by the crate (see [`Pending`]).
    Pending,
    /// A record (its BinXML span and id) of a shape compared in this chunk, or of one whose
    /// parts are: read once the comparisons are done.
    Waiting(usize, usize, u64),
    /// A waiting record whose head is not wanted.
    Skipped,
}

/// The most heads a chunk keeps the sink's answers for.
const HEAD_ANSWERS: usize = 16;

/// The most heads a file keeps the sink's answers for (see [`FileState::head_answers`]): a
/// log's few dozen, with room to spare; a crafted one's endless variety is not kept.
const FILE_HEAD_ANSWERS: usize = 4096;

/// What the records of one chunk read by [`binxml`](super::binxml) share.
struct FastRead<'c, 'f> {
    templates: ChunkTemplates<'c>,
    programs: ChunkPrograms<'f>,
    /// Head text.
    text: String,
    /// The sink's answers for the heads met in this chunk, by what they are made of: most of
    /// a chunk's records share one provider and channel, read once.
    head_answers: Vec<(HeadKey<'c>, Option<bool>)>,
    /// The chunk's JSON lines.
    lines: Vec<u8>,
    /// Whether the sink takes JSON lines.
    json: bool,
    /// Whether the sink filters on heads (else every record is wanted).
    heads: bool,
    /// The chunk's number.
    number: Option<u64>,
    /// Whether the chunk's host is known already: then lines need not carry their computer.
    computer_known: bool,
    /// The events kept for later records to repeat, when the sink takes repeats (and not
    /// JSON lines).
    repeats: Option<Repeats>,
}

/// A record of a fast-read chunk that the crate renders: its place among the wanted, its
/// BinXML span, and the shape to compare when it is the first of a new one.
struct Pending {
    slot: usize,
    start: usize,
    stop: usize,
    record_id: u64,
    compare: Option<u64>,
}

impl FileState<'_> {
    /// Reads one chunk. `cut` is where the bytes of a partial last chunk end: records that run
    /// past it are lost (the rest of the chunk is zero padding).
    fn chunk(
        &self,
        item: Result<Chunk<'_>, EvtxError>,
        seq: u64,
        cut: Option<u64>,
    ) -> ChunkOutcome {
        let mut outcome = ChunkOutcome {
            seq,
            ..ChunkOutcome::default()
        };
        if self.declined.load(Ordering::Relaxed) {
            return outcome;
        }
        let data = match item {
            Ok(data) => data,
            Err(err) => {
                outcome.errors.push(self.chunk_error(&err, None));
                return outcome;
            }
        };
        let chunk_number = data.number;
        let number = Some(chunk_number);
        let fast_path = FAST_PATH.load(Ordering::Relaxed);
        if fast_path && cut.is_none() && !self.channel_asked.load(Ordering::Relaxed) {
            // The file's first chunk: its channel, as the first record's values tell it, is
            // asked here. A channel declined (or not told plainly) is left to the crate's
            // reading below, which asks again and accounts for the declined file.
            if let Some(channel) = self.first_channel(&data) {
                if self.sink.wants_channel(&channel) {
                    self.channel_asked.store(true, Ordering::Relaxed);
                    outcome.channel = Some(channel);
                }
            }
        }
        if fast_path && cut.is_none() && self.channel_asked.load(Ordering::Relaxed) {
            if let Some(mut fast) = self.fast_chunk(&data, seq) {
                fast.channel = outcome.channel.take();
                return fast;
            }
        }
        // The crate reads the chunk from bytes of its own: those read from the file, or a copy
        // of a zip member's.
        let mut data = EvtxChunkData {
            header: data.header,
            data: data.bytes.into_owned(),
            number,
        };
        let mut chunk = match data.parse(Arc::clone(&self.settings)) {
            Ok(chunk) => chunk,
            Err(err) => {
                let err = EvtxError::FailedToParseChunk {
                    chunk_id: chunk_number,
                    source: Box::new(err),
                };
                outcome.errors.push(self.chunk_error(&err, number));
                return outcome;
            }
        };
        // The chunk's bytes outlive the borrow of `chunk` that iterating it takes.
        let chunk_bytes: &[u8] = chunk.data;
        let keep = TemplateKeep::new();
        let mut templates = ChunkTemplates::new(chunk_bytes, &self.shared.templates, &keep);
        let mut text = String::new();
        for record in chunk.iter() {
            let record = match record {
                Ok(record) => record,
                Err(err) => {
                    outcome.errors.push(self.record_error(&err, number, None));
                    continue;
                }
            };
            let record_id = record.event_record_id;
            let binxml = record.binxml_offset as usize;
            let binxml_end = binxml + record.binxml_size as usize;
            if cut.is_some_and(|cut| binxml_end as u64 + 4 > cut) {
                continue;
            }
            outcome.records += 1;
            let t = record.timestamp;
            outcome.first_time = Some(outcome.first_time.map_or(t, |f| f.min(t)));
            outcome.last_time = Some(outcome.last_time.map_or(t, |l| l.max(t)));

            // The record as `binxml` reads it, and whether that reading is known to be exact.
            let fast = fast_path
                .then(|| read_record(&mut templates, binxml, binxml_end))
                .flatten();
            let verdict = fast
                .as_ref()
                .map_or(Verdict::Bad, |f| self.shared.verdicts.get(f));
            if verdict == Verdict::Good && self.channel_asked.load(Ordering::Relaxed) {
                if let Some(fast) = &fast {
                    // The chunk's host is its first record's Computer, wanted or not.
                    if outcome.computer.is_none() {
                        let system = fast.system_event(&mut text);
                        outcome.computer = system.as_ref().and_then(host_of);
                    }
                    // A head the values do not tell plainly is asked of the built event.
                    let asked = fast.head(&mut text).map(|head| self.sink.wants(&head));
                    if asked == Some(false) {
                        continue;
                    }
                    if let Some(event) = self.fast_event(fast, &mut templates, number, record_id) {
                        if asked.is_some() || self.sink.wants(&RecordHead::of(&event)) {
                            self.sink.accept(event);
                        }
                        continue;
                    }
                }
            }

            let event = match self.render(record, number, record_id) {
                Ok(event) => event,
                Err(err) => {
                    outcome.errors.push(err);
                    continue;
                }
            };
            if let (Some(fast), Verdict::Unknown) = (&fast, verdict) {
                let ours = self.fast_event(fast, &mut templates, number, record_id);
                self.judge(fast.shape, Some(fast), ours, &event);
            }
            if outcome.computer.is_none() {
                outcome.computer = host_of(&event);
            }
            if !self.channel_asked.swap(true, Ordering::Relaxed) {
                outcome.channel = Some(event.channel.to_string());
                if !self.sink.wants_channel(&event.channel) {
                    self.declined.store(true, Ordering::Relaxed);
                    return outcome;
                }
            }
            if self.sink.wants(&RecordHead::of(&event)) {
                self.sink.accept(event);
            }
        }
        outcome
    }

    /// The channel of a chunk's first record, from its values; `None` when they do not tell
    /// it plainly.
    fn first_channel(&self, data: &Chunk<'_>) -> Option<String> {
        // Only the chunk's live part holds records (a chunk with none may keep old bytes).
        let live_end = (data.header.free_space_offset as usize).min(data.bytes.len());
        let bytes = &data.bytes[..live_end];
        let at = RecordAt::read(bytes, CHUNK_HEADER_SIZE)?;
        let keep = TemplateKeep::new();
        let mut templates = ChunkTemplates::new(bytes, &self.shared.templates, &keep);
        let record = read_record(&mut templates, at.start, at.stop)?;
        let mut text = String::new();
        let channel = record.head(&mut text)?.channel.to_string();
        Some(channel)
    }

    /// Reads a whole chunk with [`binxml`](super::binxml). The records of a shape not yet
    /// compared with the crate's reading nor vouched for (the first wanted one of each such
    /// shape), or found to read differently, are rendered by the crate, which parses the chunk
    /// only as far as the last of them; a new shape's record is compared there ([`Verdicts`]),
    /// and the records of shapes whose parts those comparisons cover wait for them. `None`
    /// sends the whole chunk to the crate: a record this module cannot read at all, or a
    /// record the crate does not give as expected. Nothing reaches the sink until the whole
    /// chunk has been read, so a chunk given up half-way is not read twice.
    fn fast_chunk(&self, data: &Chunk<'_>, seq: u64) -> Option<ChunkOutcome> {
        let number = Some(data.number);
        let last_record_id = data.header.last_event_record_id;
        let live_end = (data.header.free_space_offset as usize).min(data.bytes.len());
        let mut outcome = ChunkOutcome {
            seq,
            ..ChunkOutcome::default()
        };
        let mut wanted = WANTED.take();
        wanted.clear();
        let mut pending = Vec::new();
        // The shapes whose records wait for the comparisons of this chunk's new shapes, and
        // the parts of the shapes compared.
        let mut awaited = Vec::new();
        let mut comparing = rustc_hash::FxHashSet::default();
        // The verdicts this chunk has asked for: the shared verdicts are behind a lock both
        // threads would otherwise take for most records.
        let mut asked = rustc_hash::FxHashMap::<u64, Verdict>::default();
        let mut seek_computer = true;
        let mut lines = LINES.take();
        lines.clear();
        let keep = TemplateKeep::new();
        let mut read = FastRead {
            templates: ChunkTemplates::new(&data.bytes, &self.shared.templates, &keep),
            programs: ChunkPrograms::new(&self.shared.programs),
            text: String::new(),
            head_answers: Vec::new(),
            lines,
            json: self.sink.takes_json(),
            heads: self.sink.filters_heads(),
            number,
            computer_known: false,
            repeats: None,
        };
        if !read.json && self.sink.takes_repeats() {
            read.repeats = Some(Repeats::default());
        }
        let bytes = &data.bytes[..];
        let mut offset = CHUNK_HEADER_SIZE;
        while offset < live_end {
            let RecordAt {
                start,
                stop,
                end,
                record_id,
                filetime,
            } = RecordAt::read(bytes, offset)?;
            let time = filetime_timestamp(filetime)?;
            outcome.records += 1;
            outcome.first_time = Some(outcome.first_time.map_or(time, |f| f.min(time)));
            outcome.last_time = Some(outcome.last_time.map_or(time, |l| l.max(time)));
            // A repeat of a kept record is told by its bytes, unread (once the chunk's host is
            // known: the kept record was read while it was sought).
            let placed = match &read.repeats {
                Some(repeats) if !seek_computer => {
                    repeats.find_placed(read.templates.chunk(), start, stop, record_id)
                }
                _ => None,
            };
            #[cfg(test)]
            if let Some(found) = &placed {
                // What the tests hold the reader to: a repeat told by its bytes is the one
                // that reading the record finds.
                let record = read_record(&mut read.templates, start, stop)
                    .expect("a repeat told by its bytes reads");
                let chunk = read.templates.chunk();
                let by_reading = read
                    .repeats
                    .as_mut()
                    .and_then(|r| r.find(&record, chunk, record_id));
                assert_eq!(by_reading.as_ref(), Some(found));
                read.templates.give_back(record);
            }
            if let Some((at, identity)) = placed {
                wanted.push(Wanted::Repeat(at, identity, false));
                if record_id == last_record_id {
                    break;
                }
                offset = end;
                continue;
            }
            let record = read_record(&mut read.templates, start, stop)?;
            // The shared verdicts are asked once per shape and chunk.
            let mut verdict = *asked
                .entry(record.shape)
                .or_insert_with(|| self.shared.verdicts.of_shape(record.shape));
            let new_shape = verdict == Verdict::Unknown && !awaited.contains(&record.shape);
            // A new shape whose record the sink does not want: neither rendered, compared nor
            // vouched for now; its first wanted record is. (A head the values do not tell
            // plainly may be wanted: the built event is asked instead.)
            let skipped =
                new_shape && read.heads && self.head_answer(&record, &mut read) == Some(false);
            // The parts of a new shape's wanted record, worked out once.
            let mut parts = None;
            if new_shape && !skipped {
                // Asked again (another thread may have compared it since), and whether the
                // shapes compared before vouch for it. A shape whose parts are good or about
                // to be compared in this chunk waits for those comparisons instead of being
                // compared itself.
                parts = record.parts();
                let verdicts = &self.shared.verdicts;
                let (vouched, covered) = verdicts.vouch(record.shape, parts.as_deref(), &comparing);
                verdict = vouched;
                asked.insert(record.shape, verdict);
                if covered {
                    awaited.push(record.shape);
                }
            }
            // The chunk's host is the Computer of its first record that names one, wanted or
            // not; a record rendered by the crate below tells its own when delivered.
            if seek_computer && (verdict == Verdict::Good || skipped) {
                let system = record.system_event(&mut read.text);
                if let Some(computer) = system.as_ref().and_then(host_of) {
                    outcome.computer = Some(computer);
                    read.computer_known = true;
                    seek_computer = false;
                }
            } else if verdict != Verdict::Good {
                seek_computer = false;
            }
            match verdict {
                Verdict::Good => wanted.extend(self.take(&mut read, &record, record_id)?),
                Verdict::Unknown if awaited.contains(&record.shape) => {
                    // Its shape (or every part of it) is compared below: it is read once that
                    // is known.
                    wanted.push(Wanted::Waiting(start, stop, record_id));
                }
                _ if skipped => {}
                _ => {
                    // Rendered by the crate below, wanted or not; the first record of a new
                    // shape is compared there.
                    let compare = (verdict == Verdict::Unknown).then_some(record.shape);
                    if let Some(shape) = compare {
                        awaited.push(shape);
                        comparing.extend(parts.into_iter().flatten());
                    }
                    pending.push(Pending {
                        slot: wanted.len(),
                        start,
                        stop,
                        record_id,
                        compare,
                    });
                    wanted.push(Wanted::Pending);
                }
            }
            read.templates.give_back(record);
            if record_id == last_record_id {
                break;
            }
            offset = end;
        }
        if !pending.is_empty() {
            self.render_pending(data, &pending, &mut wanted)?;
            // The records that waited for their shape's verdict: read here if it is good.
            read.computer_known = outcome.computer.is_some();
            for item in wanted.iter_mut() {
                let Wanted::Waiting(start, stop, record_id) = *item else {
                    continue;
                };
                let record = read_record(&mut read.templates, start, stop)?;
                if self.shared.verdicts.get(&record) != Verdict::Good {
                    return None;
                }
                *item = self
                    .take(&mut read, &record, record_id)?
                    .unwrap_or(Wanted::Skipped);
                read.templates.give_back(record);
            }
        }
        let FastRead { lines, repeats, .. } = read;
        // Consecutive lines go to the sink together; an event between them is delivered in
        // its place, so the records keep their order.
        let mut batch: Vec<(Option<Timestamp>, std::ops::Range<usize>)> = Vec::new();
        // Whether each kept event is wanted, asked once for it and its repeats.
        let mut base_wanted: Vec<Option<bool>> = Vec::new();
        for item in wanted.drain(..) {
            if outcome.computer.is_none() {
                outcome.computer = match &item {
                    Wanted::Event(event, _) => host_of(event),
                    Wanted::Base(at, _) | Wanted::Repeat(at, _, _) => repeats
                        .as_ref()
                        .and_then(|r| r.event(*at))
                        .and_then(host_of),
                    Wanted::Line(head, _) => head.computer.as_deref().map(str::to_string),
                    _ => None,
                };
            }
            match item {
                Wanted::Event(event, asked)
                    if asked || self.sink.wants(&RecordHead::of(&event)) =>
                {
                    if !batch.is_empty() {
                        self.sink.accept_json(&batch, &lines);
                        batch.clear();
                    }
                    self.sink.accept(*event)
                }
                Wanted::Line(head, range) => batch.push((head.time, range)),
                Wanted::Base(at, asked) | Wanted::Repeat(at, _, asked) => {
                    let Some(base) = repeats.as_ref().and_then(|r| r.event(at)) else {
                        continue;
                    };
                    if base_wanted.len() <= at {
                        base_wanted.resize(at + 1, None);
                    }
                    let wanted = *base_wanted[at]
                        .get_or_insert_with(|| asked || self.sink.wants(&RecordHead::of(base)));
                    if !wanted {
                        continue;
                    }
                    if !batch.is_empty() {
                        self.sink.accept_json(&batch, &lines);
                        batch.clear();
                    }
                    match &item {
                        Wanted::Repeat(_, identity, _) => self.sink.accept_repeat(base, identity),
                        _ => self.sink.accept_base(base),
                    }
                }
                _ => {}
            }
        }
        if repeats.is_some() {
            self.sink.chunk_done();
        }
        if !batch.is_empty() {
            self.sink.accept_json(&batch, &lines);
        }
        LINES.set(lines);
        WANTED.set(wanted);
        Some(outcome)
    }

    /// Whether the sink wants a record by its head; `None` when the values do not tell the
    /// head plainly. Asked once per file for the records of one [`HeadKey`] (while the file
    /// keeps fewer than [`FILE_HEAD_ANSWERS`], and the sink's answers cannot change), looked
    /// up once per chunk.
    fn head_answer<'c>(&self, record: &Record<'c>, read: &mut FastRead<'c, '_>) -> Option<bool> {
        let ask = |text: &mut String| record.head(text).map(|head| self.sink.wants(&head));
        let Some(key) = record.head_key() else {
            return ask(&mut read.text);
        };
        if let Some(&(_, answer)) = read.head_answers.iter().find(|(k, _)| *k == key) {
            // What the tests hold the reader to: the head read again gets the same answer.
            #[cfg(test)]
            assert_eq!(ask(&mut read.text), answer, "one head key, one answer");
            return answer;
        }
        let hash = key.hash();
        let held = self.file_answers().and_then(|answers| {
            let (_, answer) = answers.find(hash, |(held, _)| key.is(held))?;
            Some(*answer)
        });
        let answer = match held {
            Some(answer) => {
                #[cfg(test)]
                assert_eq!(ask(&mut read.text), answer, "one head key, one answer");
                answer
            }
            None => {
                let answer = ask(&mut read.text);
                if let Some(mut answers) = self.file_answers() {
                    if answers.len() < FILE_HEAD_ANSWERS {
                        answers.insert_unique(hash, (key.held(), answer), |(held, _)| held.hash());
                    }
                }
                answer
            }
        };
        if read.head_answers.len() < HEAD_ANSWERS {
            read.head_answers.push((key, answer));
        }
        answer
    }

    /// The head answers this file keeps ([`FileState::head_answers`]); `None` when the sink's
    /// answers may change during the read ([`EventSink::answers_may_change`]).
    fn file_answers(&self) -> Option<std::sync::MutexGuard<'_, HeadAnswers>> {
        if self.sink.answers_may_change() {
            return None;
        }
        self.head_answers.lock().ok()
    }

    /// A record of a good shape: `Some(None)` when its head is not wanted; else built as a
    /// JSON line (for a sink that takes them, when it has a program) or as an `Event`. `None`
    /// when it cannot be built here.
    fn take<'c>(
        &self,
        read: &mut FastRead<'c, '_>,
        record: &Record<'c>,
        record_id: u64,
    ) -> Option<Option<Wanted>> {
        // A repeat has the head of the event it repeats: it is asked about with that one.
        let chunk = read.templates.chunk();
        let repeat = read
            .repeats
            .as_mut()
            .and_then(|r| r.find(record, chunk, record_id));
        if let Some((at, identity)) = repeat {
            return Some(Some(Wanted::Repeat(at, identity, false)));
        }
        // A head the values do not tell plainly is asked of the built event, at delivery.
        let asked = if read.heads {
            self.head_answer(record, read)
        } else {
            Some(true)
        };
        if asked == Some(false) {
            return Some(None);
        }
        let origin = LineOrigin {
            ctx: self.ctx,
            tail: &self.line_tail,
            chunk: read.number,
            record_id,
        };
        let from = read.lines.len();
        if read.json && asked.is_some() {
            let line = record.write_json(
                &mut read.templates,
                &mut read.programs,
                &origin,
                !read.computer_known,
                &mut read.lines,
            );
            if let Some(head) = line {
                let range = from..read.lines.len();
                return Some(Some(Wanted::Line(head, range)));
            }
        }
        let event = match record.program_event(&mut read.templates, &mut read.programs, &origin) {
            Some(event) => event,
            None => self.fast_event(record, &mut read.templates, read.number, record_id)?,
        };
        let event = match read.repeats.as_mut() {
            Some(repeats) => match repeats.keep(record, read.templates.chunk(), Box::new(event)) {
                Ok(at) => return Some(Some(Wanted::Base(at, asked.is_some()))),
                Err(event) => event,
            },
            None => Box::new(event),
        };
        Some(Some(Wanted::Event(event, asked.is_some())))
    }

    /// Renders the pending records of a chunk with the crate, in place in `wanted`, and
    /// compares each new shape's reading here with the crate's. `None` when the crate does
    /// not give one of them (the whole chunk then goes to the crate, which reports why).
    fn render_pending(
        &self,
        data: &Chunk<'_>,
        pending: &[Pending],
        wanted: &mut [Wanted],
    ) -> Option<()> {
        let number = Some(data.number);
        let mut joined =
            EvtxChunkData::new(join_skipped_records(&data.bytes, pending), false).ok()?;
        joined.number = number;
        let mut chunk = joined.parse(Arc::clone(&self.settings)).ok()?;
        let keep = TemplateKeep::new();
        let mut templates = ChunkTemplates::new(&data.bytes, &self.shared.templates, &keep);
        let mut next = pending.iter().peekable();
        for record in chunk.iter() {
            let Some(want) = next.peek() else {
                break;
            };
            // The joined records before a pending one are not a record the crate can read;
            // a pending record it cannot read is found missing at the end.
            let Ok(record) = record else {
                continue;
            };
            if record.binxml_offset as usize != want.start {
                continue;
            }
            let event = self.render(record, number, want.record_id).ok()?;
            if let Some(shape) = want.compare {
                let record = read_record(&mut templates, want.start, want.stop);
                let ours = record
                    .as_ref()
                    .and_then(|f| self.fast_event(f, &mut templates, number, want.record_id));
                self.judge(shape, record.as_ref(), ours, &event);
                if let Some(record) = record {
                    templates.give_back(record);
                }
            }
            *wanted.get_mut(want.slot)? = Wanted::Event(Box::new(event), false);
            next.next();
        }
        next.peek().is_none().then_some(())
    }

    /// Records the verdict on a record shape from the first record of it read both ways:
    /// good when `ours` (its reading by [`binxml`](super::binxml) of `record`) equals the
    /// crate's.
    fn judge(
        &self,
        shape: u64,
        record: Option<&Record<'_>>,
        ours: Option<Event>,
        crate_event: &Event,
    ) {
        let verdict = if ours.as_ref() == Some(crate_event) {
            Verdict::Good
        } else {
            Verdict::Bad
        };
        self.shared.verdicts.set(shape, record, verdict);
    }

    /// A record built by [`binxml`](super::binxml), with its origin.
    fn fast_event<'c>(
        &self,
        record: &Record<'c>,
        templates: &mut ChunkTemplates<'c>,
        chunk: Option<u64>,
        record_id: u64,
    ) -> Option<Event> {
        let mut event = record.event(templates, self.ctx)?;
        event.origin = self.ctx.origin(chunk, Some(record_id));
        Some(event)
    }

    /// Renders one record fully into an `Event`.
    fn render(
        &self,
        record: EvtxRecord<'_>,
        chunk: Option<u64>,
        record_id: u64,
    ) -> Result<Event, InputError> {
        match record.into_xml_bytes() {
            Ok(rendered) => self.parse_rendered(&rendered.data, chunk, record_id),
            Err(err) => Err(self.record_error(&err, chunk, Some(record_id))),
        }
    }

    /// Turns one record's rendered XML into an `Event`.
    fn parse_rendered(
        &self,
        xml: &[u8],
        chunk: Option<u64>,
        record_id: u64,
    ) -> Result<Event, InputError> {
        if let Some(mut event) = super::xml::scan_rendered(xml, self.ctx) {
            event.origin = self.ctx.origin(chunk, Some(record_id));
            return Ok(event);
        }
        let mut parsed = None;
        super::xml::read_rendered(xml, self.ctx, &mut |item| {
            if parsed.is_none() {
                parsed = Some(item);
            }
            false
        });
        match parsed {
            Some(Ok(mut event)) => {
                event.origin = self.ctx.origin(chunk, Some(record_id));
                Ok(event)
            }
            Some(Err(mut err)) => {
                err.offset = chunk.map(chunk_offset);
                err.kind = InputErrorKind::BadRecord;
                err.message = format!("record {record_id}: {}", err.message);
                Err(err)
            }
            None => Err(self.ctx.error(
                chunk.map(chunk_offset),
                InputErrorKind::BadRecord,
                format!("record {record_id}: rendered to no event"),
            )),
        }
    }

    fn chunk_error(&self, err: &EvtxError, chunk: Option<u64>) -> InputError {
        let (chunk, kind) = match err {
            EvtxError::FailedToParseChunk { chunk_id, source } => (
                Some(*chunk_id),
                match **source {
                    ChunkError::IncompleteChunk => InputErrorKind::Truncated,
                    _ => InputErrorKind::BadChunk,
                },
            ),
            _ => (chunk, InputErrorKind::BadChunk),
        };
        let where_ = chunk.map(|c| format!("chunk {c}: ")).unwrap_or_default();
        self.ctx.error(
            chunk.map(chunk_offset),
            kind,
            format!("{where_}{}", describe(err)),
        )
    }

    fn record_error(
        &self,
        err: &EvtxError,
        chunk: Option<u64>,
        record_id: Option<u64>,
    ) -> InputError {
        let mut offset = chunk.map(chunk_offset);
        let mut label = String::new();
        if let Some(c) = chunk {
            label = format!("chunk {c}: ");
        }
        match err {
            EvtxError::FailedToReadRecordAt {
                chunk: at_chunk,
                offset: in_chunk,
                ..
            } => {
                if let Some(c) = at_chunk.or(chunk) {
                    offset = Some(chunk_offset(c) + in_chunk);
                }
            }
            EvtxError::FailedToParseRecord { record_id, .. } => {
                label.push_str(&format!("record {record_id}: "));
            }
            _ => {
                if let Some(id) = record_id {
                    label.push_str(&format!("record {id}: "));
                }
            }
        }
        self.ctx.error(
            offset,
            InputErrorKind::BadRecord,
            format!("{label}{}", describe(err)),
        )
    }
}

/// One line describing an evtx error and its causes.
fn describe(err: &EvtxError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    let mut depth = 0;
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
        depth += 1;
        if depth > 6 {
            break;
        }
    }
    text.replace(['\n', '\r'], " ")
}

/// The crate's own reading of each record of one chunk (rendered XML, assembled): its event, or
/// its error. The reference the fast path's tests compare with.
#[cfg(test)]
pub(crate) fn crate_reading(chunk: &[u8], ctx: &SourceCtx) -> Vec<Result<Event, String>> {
    let mut data = EvtxChunkData::new(chunk.to_vec(), false).expect("a chunk header");
    let settings = Arc::new(
        ParserSettings::new()
            .num_threads(1)
            .indent(false)
            .validate_checksums(false),
    );
    let mut parsed = data.parse(settings).expect("a readable chunk");
    let mut out = Vec::new();
    for record in parsed.iter() {
        let rendered = record.and_then(EvtxRecord::into_xml_bytes);
        out.push(match rendered {
            Ok(xml) => super::xml::scan_rendered(&xml.data, ctx)
                .or_else(|| {
                    let mut got = None;
                    super::xml::read_rendered(&xml.data, ctx, &mut |e| {
                        got = e.ok();
                        false
                    });
                    got
                })
                .ok_or_else(|| String::from_utf8_lossy(&xml.data).into_owned()),
            Err(err) => Err(err.to_string()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records of each chunk of an EVTX file: their BinXML spans and ids.
    fn chunk_records(file: &[u8]) -> Vec<(&[u8], Vec<RecordAt>)> {
        let chunks = file.get(FILE_HEADER_SIZE as usize..).unwrap_or_default();
        chunks
            .chunks_exact(CHUNK_SIZE as usize)
            .map(|chunk| {
                let mut records = Vec::new();
                let mut offset = CHUNK_HEADER_SIZE;
                while let Some(record) = RecordAt::read(chunk, offset) {
                    offset = record.end;
                    records.push(record);
                }
                (chunk, records)
            })
            .collect()
    }

    /// The crate's XML for each record it reads from `chunk`, by BinXML offset.
    fn crate_xml(chunk: Vec<u8>) -> Vec<(usize, Vec<u8>)> {
        let mut data = EvtxChunkData::new(chunk, false).expect("a chunk header");
        let settings = Arc::new(ParserSettings::new().num_threads(1).indent(false));
        let mut parsed = data.parse(settings).expect("a readable chunk");
        parsed
            .iter()
            .filter_map(Result::ok)
            .filter_map(|record| {
                let offset = record.binxml_offset as usize;
                record.into_xml_bytes().ok().map(|xml| (offset, xml.data))
            })
            .collect()
    }

    /// Gathers the events a read delivers, of the event ids asked for (all when none).
    struct Collect {
        only: Option<u32>,
        events: Mutex<Vec<Event>>,
    }

    impl EventSink for Collect {
        fn wants(&self, head: &RecordHead<'_>) -> bool {
            self.only.is_none_or(|id| id == head.event_id)
        }

        fn filters_heads(&self) -> bool {
            self.only.is_some()
        }

        fn accept(&self, event: Event) {
            self.events.lock().unwrap().push(event);
        }
    }

    /// Reads `file` in order, in the run of `shared`, into `sink`; it must read without errors.
    fn read_in_order(file: &[u8], shared: &EvtxShared, sink: &dyn EventSink) {
        let ctx = SourceCtx {
            file: "test.evtx".into(),
            member: None,
        };
        let run = EvtxRun {
            chunks: ChunkThreads::InOrder,
            shared,
        };
        let report = read_evtx(EvtxBytes::Memory(file), &ctx, run, sink);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    /// Reads `file` in order with a fresh run; the events delivered and the number of record
    /// shapes compared with the crate's reading.
    fn read_with(file: &[u8], only: Option<u32>) -> (Vec<Event>, usize) {
        let shared = EvtxShared::default();
        let sink = Collect {
            only,
            events: Mutex::new(Vec::new()),
        };
        read_in_order(file, &shared, &sink);
        (
            sink.events.into_inner().unwrap(),
            shared.verdicts.compared(),
        )
    }

    /// Takes every record, as JSON lines where they come so.
    #[derive(Default)]
    struct Lines(Mutex<Vec<u8>>);

    impl EventSink for Lines {
        fn accept(&self, event: Event) {
            let mut out = self.0.lock().unwrap();
            crate::event_json::write_event(&event, &mut out);
            out.push(b'\n');
        }

        fn takes_json(&self) -> bool {
            true
        }

        fn accept_json(
            &self,
            records: &[(Option<Timestamp>, std::ops::Range<usize>)],
            lines: &[u8],
        ) {
            let mut out = self.0.lock().unwrap();
            for (_, range) in records {
                out.extend_from_slice(&lines[range.clone()]);
            }
        }
    }

    /// Reads `file` in order, as JSON lines, with a fresh run on this thread.
    fn lines_of(file: &[u8]) -> Vec<u8> {
        let sink = Lines::default();
        read_in_order(file, &EvtxShared::default(), &sink);
        sink.0.into_inner().unwrap()
    }

    /// Runs one after another on one thread (each with what its chunks hand on to the next:
    /// programs looked up, memos of System fields) write what each writes alone on a new
    /// thread.
    #[test]
    fn runs_one_after_another_write_what_each_writes_alone() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (inputs, _) = super::super::walk::collect(&[root.join("samples")]);
        let files: Vec<Vec<u8>> = inputs
            .into_iter()
            .map(|input| input.path)
            .filter(|path| path.extension().is_some_and(|ext| ext == "evtx"))
            .take(12)
            .map(|path| std::fs::read(path).expect("a sample log"))
            .collect();
        assert!(files.len() >= 4, "sample logs");
        let alone: Vec<Vec<u8>> = files
            .iter()
            .map(|file| {
                let file = file.clone();
                std::thread::spawn(move || lines_of(&file)).join().unwrap()
            })
            .collect();
        // In turn on this thread, twice over, the second time in reverse order.
        let order = (0..files.len()).chain((0..files.len()).rev());
        for at in order {
            assert!(!alone[at].is_empty());
            assert!(lines_of(&files[at]) == alone[at], "file {at}");
        }
    }

    /// A record of a shape new to the run that the sink does not want is neither rendered by
    /// the crate nor compared: only the shapes of wanted records are, and the wanted records
    /// are the same as those of a read that takes everything.
    #[test]
    fn only_the_shapes_of_wanted_records_are_compared() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = root.join(
            "samples/unstable-network/logs/server-rds-apps02/\
             Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        );
        let file = std::fs::read(&path).expect("a sample log");
        let (all, all_shapes) = read_with(&file, None);
        let id = all.first().expect("events").event_id;
        let (some, some_shapes) = read_with(&file, Some(id));
        let expected: Vec<&Event> = all.iter().filter(|e| e.event_id == id).collect();
        assert!(!expected.is_empty() && expected.len() < all.len());
        assert_eq!(some.iter().collect::<Vec<_>>(), expected);
        assert!(
            some_shapes >= 1 && some_shapes < all_shapes,
            "{some_shapes} shapes compared for one event id, {all_shapes} for all"
        );
    }

    /// In a chunk whose other records are joined, the crate reads the pending records, and
    /// reads them as it does in the whole chunk: the comparison of a new record shape rests on it.
    #[test]
    fn joined_chunks_read_their_pending_records_as_whole_chunks_do() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (inputs, _) = super::super::walk::collect(&[root.join("samples")]);
        let mut files: Vec<_> = inputs
            .into_iter()
            .map(|input| input.path)
            .filter(|path| path.extension().is_some_and(|ext| ext == "evtx"))
            .collect();
        let corpus = root.join("../shared/corpus/evtx-crate-samples/security.evtx");
        if corpus.exists() {
            files.push(corpus);
        } else {
            eprintln!(
                "{} absent: joined chunks checked on the samples only",
                corpus.display()
            );
        }
        let mut checked = 0;
        for path in &files {
            let file = std::fs::read(path).expect("a readable sample");
            for (chunk, records) in chunk_records(&file) {
                // Every third record from the second: runs to join before, between and after.
                let pending: Vec<Pending> = records
                    .iter()
                    .skip(1)
                    .step_by(3)
                    .map(|r| Pending {
                        slot: 0,
                        start: r.start,
                        stop: r.stop,
                        record_id: r.record_id,
                        compare: None,
                    })
                    .collect();
                if pending.is_empty() {
                    continue;
                }
                let whole = crate_xml(chunk.to_vec());
                let joined = crate_xml(join_skipped_records(chunk, &pending));
                let expected: Vec<_> = whole
                    .into_iter()
                    .filter(|(offset, _)| pending.iter().any(|p| p.start == *offset))
                    .collect();
                let read: Vec<_> = joined
                    .into_iter()
                    .filter(|(offset, _)| pending.iter().any(|p| p.start == *offset))
                    .collect();
                assert_eq!(read.len(), pending.len(), "{}", path.display());
                assert!(
                    read == expected,
                    "{}: a pending record read differently",
                    path.display()
                );
                checked += read.len();
            }
        }
        assert!(checked > 0, "no records checked");
    }
}
