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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use evtx::binxml::value_variant::BinXmlValue;
use evtx::err::{ChunkError, EvtxError};
use evtx::{EvtxChunkData, EvtxParser, EvtxRecord, ParserSettings};

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
        heads_asked: AtomicU64::new(0),
        heads_declined: AtomicU64::new(0),
    };
    let mut chunks = parser.chunks();
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
        match pool {
            None => {
                for item in chunks {
                    outcomes.push(file.chunk(item, seq, None));
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
                let item = EvtxChunkData::new(bytes, false)
                    .map(|mut data| {
                        data.number = Some(number);
                        data
                    })
                    .map_err(|err| EvtxError::FailedToParseChunk {
                        chunk_id: number,
                        source: Box::new(err),
                    });
                let outcome = file.chunk(item, seq, Some(tail));
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

/// The parser skips a partial last chunk silently, so it is reported (and read) here.
fn cut_short<T: Read + Seek>(data: &mut T, ctx: &SourceCtx) -> Option<CutShort> {
    let len = data.seek(SeekFrom::End(0)).ok()?;
    let found = cut_short_at(data, len, ctx);
    data.seek(SeekFrom::Start(0)).ok()?;
    found
}

fn cut_short_at<T: Read + Seek>(data: &mut T, len: u64, ctx: &SourceCtx) -> Option<CutShort> {
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
    let mut bytes = Vec::with_capacity(CHUNK_SIZE as usize);
    let read = data
        .seek(SeekFrom::Start(chunk_offset(number)))
        .and_then(|_| data.take(tail).read_to_end(&mut bytes));
    let chunk = (read.is_ok() && bytes.starts_with(b"ElfChnk\0") && tail >= 512).then(|| {
        bytes.resize(CHUNK_SIZE as usize, 0);
        (number, tail, bytes)
    });
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
    /// Records offered to `wants`, and how many it declined: when a sink has wanted every one
    /// of the first [`PREFILTER_PROBE`] records, reading heads ahead of rendering only costs,
    /// so the rest of the file is rendered first and asked after (same answers, less work).
    heads_asked: AtomicU64,
    heads_declined: AtomicU64,
}

/// See `FileState::heads_asked`.
const PREFILTER_PROBE: u64 = 512;

impl FileState<'_> {
    /// Reads one chunk. `cut` is where the bytes of a partial last chunk end: records that run
    /// past it are lost (the rest of the chunk is zero padding).
    fn chunk(
        &self,
        item: evtx::err::Result<EvtxChunkData>,
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
        let mut heads = HeadShapes::default();
        let prefilter = self.heads_declined.load(Ordering::Relaxed) > 0
            || self.heads_asked.load(Ordering::Relaxed) < PREFILTER_PROBE;
        let (mut asked, mut declined) = (0u64, 0u64);
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
            if cut.is_some_and(|cut| record.binxml_offset + u64::from(record.binxml_size) + 4 > cut)
            {
                continue;
            }
            outcome.records += 1;
            let t = record.timestamp;
            outcome.first_time = Some(outcome.first_time.map_or(t, |f| f.min(t)));
            outcome.last_time = Some(outcome.last_time.map_or(t, |l| l.max(t)));

            // The cheap head: from the substitution values, when this record's template has
            // been learned (see `HeadShapes`). The file's first record is always rendered, so
            // that its channel is known for `wants_channel`.
            let instances = if prefilter {
                record.template_instances().ok()
            } else {
                None
            };
            let values = instances.as_ref().and_then(|i| i.first());
            if self.channel_asked.load(Ordering::Relaxed) {
                if let Some(values) = values {
                    if let Some(shape) = heads.trusted(values.template_def_offset) {
                        asked += 1;
                        match shape.head(&values.values, &mut text) {
                            Some(head) if !self.sink.wants(&head) => {
                                declined += 1;
                                continue;
                            }
                            Some(_) => {
                                // Wanted: render below, without asking again.
                                match self.render(record, number, record_id) {
                                    Ok(event) => self.sink.accept(event),
                                    Err(err) => outcome.errors.push(err),
                                }
                                continue;
                            }
                            None => {}
                        }
                    }
                }
            }

            let learn_from = values.map(|v| (v.template_def_offset, v.values.clone()));
            let event = match self.render(record, number, record_id) {
                Ok(event) => event,
                Err(err) => {
                    outcome.errors.push(err);
                    continue;
                }
            };
            if let Some((offset, values)) = learn_from {
                heads.learn(offset, &event, &values, &mut text);
            }
            if outcome.computer.is_none() && !event.computer.is_empty() {
                outcome.computer = Some(event.computer.clone());
            }
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
            asked += 1;
            if self.sink.wants(&head) {
                self.sink.accept(event);
            } else {
                declined += 1;
            }
        }
        self.heads_asked.fetch_add(asked, Ordering::Relaxed);
        self.heads_declined.fetch_add(declined, Ordering::Relaxed);
        outcome
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

/// Where a template puts the three head fields: a substitution index, or a value written in
/// the template itself (classic events often name their provider and channel literally).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot<T> {
    Substitution(usize),
    Literal(T),
}

/// The head of the records of one template: which substitution values hold the provider, the
/// event id and the channel.
///
/// The public API of the evtx crate gives a record's substitution values
/// (`template_instances`) but not its template's structure, so the shape is learned from the
/// first record of each template in a chunk, rendered in full: each head field is looked for
/// among the values (preferring the index where Windows' System template puts it: event id
/// 3, provider 14, channel 16), and a field found in no value is a literal of the template.
/// The shape is trusted only after a second record of the same template, rendered in full
/// too, agrees; a template whose records disagree is always rendered.
#[derive(Debug, Clone)]
struct HeadShape {
    provider: Slot<String>,
    event_id: Slot<u32>,
    channel: Slot<String>,
}

/// What is known about the templates of one chunk (template definitions are chunk-local).
#[derive(Debug, Default)]
struct HeadShapes {
    templates: std::collections::HashMap<u32, Learned>,
}

#[derive(Debug)]
enum Learned {
    /// Seen once: a candidate shape waiting for a second record to confirm it.
    Candidate(HeadShape),
    Trusted(HeadShape),
    /// The values do not tell the head reliably: render every record of this template.
    Unknown,
}

impl HeadShapes {
    fn trusted(&self, template: u32) -> Option<&HeadShape> {
        match self.templates.get(&template) {
            Some(Learned::Trusted(shape)) => Some(shape),
            _ => None,
        }
    }

    fn learn(
        &mut self,
        template: u32,
        event: &Event,
        values: &[BinXmlValue<'_>],
        text: &mut String,
    ) {
        let next = match self.templates.get(&template) {
            None => match HeadShape::guess(event, values) {
                Some(shape) => Learned::Candidate(shape),
                None => Learned::Unknown,
            },
            Some(Learned::Candidate(shape)) => {
                let agrees = shape.head(values, text).is_some_and(|head| {
                    head.provider == event.provider.name
                        && head.event_id == event.event_id
                        && head.channel == event.channel
                });
                if agrees {
                    Learned::Trusted(shape.clone())
                } else {
                    Learned::Unknown
                }
            }
            Some(_) => return,
        };
        self.templates.insert(template, next);
    }
}

impl HeadShape {
    fn guess(event: &Event, values: &[BinXmlValue<'_>]) -> Option<HeadShape> {
        let strings: Vec<Option<String>> = values.iter().map(value_string).collect();
        let string_slot = |wanted: &str, preferred: usize| -> Option<Slot<String>> {
            let hits: Vec<usize> = (0..strings.len())
                .filter(|&i| strings[i].as_deref() == Some(wanted))
                .collect();
            match hits.as_slice() {
                [] => Some(Slot::Literal(wanted.to_string())),
                [one] => Some(Slot::Substitution(*one)),
                many if many.contains(&preferred) => Some(Slot::Substitution(preferred)),
                _ => None,
            }
        };
        let numbers: Vec<Option<u64>> = values.iter().map(value_number).collect();
        let hits: Vec<usize> = (0..numbers.len())
            .filter(|&i| numbers[i] == Some(u64::from(event.event_id)))
            .collect();
        let event_id = match hits.as_slice() {
            [] => Slot::Literal(event.event_id),
            [one] => Slot::Substitution(*one),
            many if many.contains(&3) => Slot::Substitution(3),
            _ => return None,
        };
        Some(HeadShape {
            provider: string_slot(&event.provider.name, 14)?,
            event_id,
            channel: string_slot(&event.channel, 16)?,
        })
    }

    /// The head of a record of this template, from its values. `text` holds the decoded
    /// provider name; the channel is decoded into a second buffer inside it.
    fn head<'t>(
        &'t self,
        values: &[BinXmlValue<'_>],
        text: &'t mut String,
    ) -> Option<RecordHead<'t>> {
        text.clear();
        let mut provider_end = 0;
        let mut literal_provider: Option<&str> = None;
        match &self.provider {
            Slot::Literal(name) => literal_provider = Some(name),
            Slot::Substitution(i) => {
                push_string(values.get(*i)?, text)?;
                provider_end = text.len();
            }
        }
        let mut literal_channel: Option<&str> = None;
        match &self.channel {
            Slot::Literal(name) => literal_channel = Some(name),
            Slot::Substitution(i) => {
                push_string(values.get(*i)?, text)?;
            }
        }
        let event_id = match &self.event_id {
            Slot::Literal(id) => *id,
            Slot::Substitution(i) => u32::try_from(value_number(values.get(*i)?)?).ok()? & 0xFFFF,
        };
        let text: &'t str = text;
        Some(RecordHead {
            provider: literal_provider.unwrap_or(&text[..provider_end]),
            event_id,
            channel: literal_channel.unwrap_or(&text[provider_end..]),
        })
    }
}

/// A string substitution value, as the XML rendering writes it (trailing NULs dropped).
fn value_string(value: &BinXmlValue<'_>) -> Option<String> {
    let mut out = String::new();
    push_string(value, &mut out)?;
    Some(out)
}

fn push_string(value: &BinXmlValue<'_>, out: &mut String) -> Option<()> {
    match value {
        BinXmlValue::StringType(s) => {
            let start = out.len();
            out.push_str(&s.to_string().ok()?);
            let trimmed = out[start..].trim_end_matches('\0').len();
            out.truncate(start + trimmed);
        }
        BinXmlValue::AnsiStringType(s) => out.push_str(s.trim_end_matches('\0')),
        _ => return None,
    }
    Some(())
}

/// An unsigned integer substitution value.
fn value_number(value: &BinXmlValue<'_>) -> Option<u64> {
    Some(match *value {
        BinXmlValue::UInt8Type(v) => v.into(),
        BinXmlValue::UInt16Type(v) => v.into(),
        BinXmlValue::UInt32Type(v) => v.into(),
        BinXmlValue::UInt64Type(v) => v,
        BinXmlValue::Int8Type(v) => u64::try_from(v).ok()?,
        BinXmlValue::Int16Type(v) => u64::try_from(v).ok()?,
        BinXmlValue::Int32Type(v) => u64::try_from(v).ok()?,
        BinXmlValue::Int64Type(v) => u64::try_from(v).ok()?,
        BinXmlValue::HexInt32Type(v) => v.into(),
        BinXmlValue::HexInt64Type(v) => v,
        _ => return None,
    })
}
