//! `.evtx` files, through the `evtx` crate: the only module that imports it.
//!
//! The file format is MS-EVEN6 (<https://learn.microsoft.com/openspecs/windows_protocols/ms-even6>):
//! a 4 KiB file header, then 64 KiB chunks, each with its own string and template tables and a
//! run of records whose content is BinXML (§2.2.3.1). Chunks are independent, so they are the
//! unit of parallel work and of damage: an unreadable chunk is reported with its file offset
//! and the others are still read.
//!
//! Threads: with one thread, the chunks are read in order on the caller's thread. With more,
//! the caller reads chunk bytes in order and the chunks are parsed on a rayon pool given by the
//! caller (`in_place_scope`, so the caller is never itself a worker blocked on its own jobs),
//! at most two chunks per thread in flight. The crate's own pipeline (`serialized_records`)
//! needs `'static` closures and hands results back to the caller's thread; evident instead
//! runs the sink inside the worker that parsed the record, so it drives the chunk API itself.

use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use evtx::err::{ChunkError, EvtxError};
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};

use super::{
    EventSink, InputError, InputErrorKind, RecordHead, SourceCtx, SourceKind, SourceReport,
};
use crate::event::Event;

/// EVTX file header size (MS-EVEN6 §2.2.1), where chunk 0 starts.
const FILE_HEADER_SIZE: u64 = 4096;
/// EVTX chunk size (MS-EVEN6 §2.2.2).
const CHUNK_SIZE: u64 = 65536;

fn chunk_offset(chunk: u64) -> u64 {
    FILE_HEADER_SIZE + chunk.saturating_mul(CHUNK_SIZE)
}

/// Reads one EVTX source into `sink`. `pool` spreads its chunks over threads; `None` reads
/// them in order on this thread.
pub(crate) fn read_evtx<T: Read + Seek>(
    mut data: T,
    ctx: &SourceCtx,
    pool: Option<&rayon::ThreadPool>,
    sink: &dyn EventSink,
) -> SourceReport {
    let mut report = ctx.report(Some(SourceKind::Evtx));
    let cut_short = cut_short(&mut data, ctx);
    let parser = match EvtxParser::from_read_seek(data) {
        Ok(parser) => parser,
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
    let mut parser = parser.with_configuration((*settings).clone());
    let file = FileState {
        ctx,
        sink,
        settings,
        channel_asked: AtomicBool::new(false),
        declined: AtomicBool::new(false),
    };
    let mut chunks = parser.chunks();
    let mut outcomes: Vec<ChunkOutcome> = Vec::new();

    // The first chunk is read here, in order, so that the sink sees the file's channel
    // before any parallel work starts.
    let mut seq = 0u64;
    for item in chunks.by_ref() {
        let outcome = file.chunk(item, seq);
        seq += 1;
        let had_records = outcome.records > 0;
        outcomes.push(outcome);
        if had_records || file.declined.load(Ordering::Relaxed) {
            break;
        }
    }

    if !file.declined.load(Ordering::Relaxed) {
        match pool {
            None => {
                for item in chunks {
                    outcomes.push(file.chunk(item, seq));
                    seq += 1;
                }
            }
            Some(pool) => {
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
                            let outcome = file.chunk(item, this);
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
    }
    report.skipped = file.declined.load(Ordering::Relaxed);
    report.errors.extend(cut_short);
    report
}

/// A file whose length is not a whole number of chunks was cut short (a copy interrupted, a
/// download not finished): the records of its last, partial chunk are lost. The parser skips
/// that chunk silently, so it is reported here.
fn cut_short<T: Seek>(data: &mut T, ctx: &SourceCtx) -> Option<InputError> {
    let len = data.seek(SeekFrom::End(0)).ok()?;
    data.seek(SeekFrom::Start(0)).ok()?;
    if len <= FILE_HEADER_SIZE {
        return None;
    }
    let tail = (len - FILE_HEADER_SIZE) % CHUNK_SIZE;
    if tail == 0 {
        return None;
    }
    let chunk = (len - FILE_HEADER_SIZE) / CHUNK_SIZE;
    Some(ctx.error(
        Some(chunk_offset(chunk)),
        InputErrorKind::Truncated,
        format!(
            "the file ends {tail} bytes into chunk {chunk} (chunks are {CHUNK_SIZE} bytes): \
             it was cut short and that chunk's records are lost"
        ),
    ))
}

/// What reading one chunk gave.
#[derive(Debug, Default)]
struct ChunkOutcome {
    seq: u64,
    records: u64,
    errors: Vec<InputError>,
    /// The channel of the file's first record, when this chunk held it.
    channel: Option<String>,
}

/// What the chunks of one file share while they are read, possibly on several threads.
struct FileState<'a> {
    ctx: &'a SourceCtx,
    sink: &'a dyn EventSink,
    settings: Arc<ParserSettings>,
    channel_asked: AtomicBool,
    declined: AtomicBool,
}

impl FileState<'_> {
    fn chunk(&self, item: evtx::err::Result<EvtxChunkData>, seq: u64) -> ChunkOutcome {
        let mut outcome = ChunkOutcome {
            seq,
            ..ChunkOutcome::default()
        };
        if self.declined.load(Ordering::Relaxed) {
            return outcome;
        }
        let mut data = match item {
            Ok(data) => data,
            Err(err) => {
                outcome.errors.push(self.chunk_error(&err, None));
                return outcome;
            }
        };
        let number = data.number;
        let mut chunk = match data.parse(Arc::clone(&self.settings)) {
            Ok(chunk) => chunk,
            Err(err) => {
                let err = EvtxError::FailedToParseChunk {
                    chunk_id: number.unwrap_or(seq),
                    source: Box::new(err),
                };
                outcome.errors.push(self.chunk_error(&err, number));
                return outcome;
            }
        };
        for record in chunk.iter() {
            let record = match record {
                Ok(record) => record,
                Err(err) => {
                    outcome.errors.push(self.record_error(&err, number, None));
                    continue;
                }
            };
            let record_id = record.event_record_id;
            outcome.records += 1;
            let event = match record.into_xml_bytes() {
                Ok(rendered) => self.parse_rendered(&rendered.data, number, record_id),
                Err(err) => Err(self.record_error(&err, number, Some(record_id))),
            };
            let event = match event {
                Ok(event) => event,
                Err(err) => {
                    outcome.errors.push(err);
                    continue;
                }
            };
            if !self.channel_asked.swap(true, Ordering::Relaxed) {
                outcome.channel = Some(event.channel.clone());
                if !self.sink.wants_channel(&event.channel) {
                    self.declined.store(true, Ordering::Relaxed);
                    return outcome;
                }
            }
            let head = RecordHead {
                provider: &event.provider.name,
                event_id: event.event_id,
                channel: &event.channel,
            };
            if self.sink.wants(&head) {
                self.sink.accept(event);
            }
        }
        outcome
    }

    /// Turns one record's rendered XML into an `Event`.
    fn parse_rendered(
        &self,
        xml: &[u8],
        chunk: Option<u64>,
        record_id: u64,
    ) -> Result<Event, InputError> {
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
