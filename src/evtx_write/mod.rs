//! The EVTX writer: Windows event XML in, a valid `.evtx` file out.
//!
//! evident needs real `.evtx` files for its samples, its tests and its performance work, and
//! exporting them from Windows machines is not reproducible. This module writes them from
//! the XML that `wevtutil qe /f:xml` or Event Viewer export, in the layout Windows uses, so
//! that any EVTX reader reads them as it reads files from Windows.
//!
//! # Format
//!
//! The public references are MS-EVEN6 §2.2.12 (BinXml) and libyal's "Windows XML Event Log
//! (EVTX) format" (libevtx documentation). The decisions evident makes within them:
//!
//! - **File header** (`header.rs`): a 4096-byte block; first chunk 0, last chunk n-1, next
//!   record id = last id + 1, header size 128, version 3.1, block size 4096, chunk count,
//!   flags 0 (closed cleanly, not full), CRC32 of the first 120 bytes. The header is written
//!   last, so the output must be seekable.
//! - **Chunks** (`chunk.rs`): 64 KiB each, a 512-byte header then records. The header holds the
//!   first/last record number and id (numbers equal ids, as in a log Windows never cleared),
//!   the offset of the last record, the free-space offset (end of the last record), the CRC32
//!   of the record bytes `512..free`, the 64-bucket common string table and the 32-bucket
//!   template table, and the CRC32 of header bytes `0..120` and `128..512`. Unused space is
//!   zero. A record never straddles chunks: one that does not fit starts a new chunk, and each
//!   chunk repeats the names and templates it uses, so every chunk reads on its own. The last
//!   8 bytes of a chunk always stay free: libevtx reads a free-space offset equal to the chunk
//!   size as an archived, zero-padded chunk and then loses its last records. A chunk count
//!   above 65535 (about 4 GiB) is refused: the header field is 16 bits.
//! - **Records**: signature `**\0\0`, size, record id, written time (the event's
//!   `TimeCreated`, FILETIME), then BinXML: a fragment header and one template instance, an
//!   end-of-file token, zero padding to 8 bytes (as Windows pads), and the size again. Record
//!   ids come from `System/EventRecordID`; where that is missing or not above the previous id
//!   the writer uses previous + 1 (the XML keeps its own value).
//! - **Templates** (`template.rs`): one per distinct *shape*: the element tree with every
//!   variable value replaced by a typed substitution. Provider, event id and structure are
//!   all part of the shape, so this is one template per distinct (provider, event id,
//!   structure). A template is defined inline in the first record of each chunk that uses it
//!   and referenced by offset afterwards; its id and GUID are hashes of the shape, so the same
//!   input always gives the same bytes. Element starts carry dependency id 0xFFFF: nothing is
//!   optional within a template, every distinct structure has its own. Substitutions are
//!   normal (0x0d) substitutions.
//! - **Names** (`strings.rs`): element and attribute names live in the chunk's string table
//!   (stored inline at first use, then referenced by offset), hashed as Windows hashes them
//!   (`h = h * 65599 + unit`, low 16 bits), chained per bucket.
//! - **Values** (`binxml.rs`), typed like Windows types them: `EventID`, `Task`, `Qualifiers`
//!   UInt16; `Version`, `Level`, `Opcode` UInt8; `Keywords` HexInt64; `TimeCreated/@SystemTime`
//!   FileTime; `EventRecordID` UInt64; `Correlation/@ActivityID`, `@RelatedActivityID` and
//!   `Provider/@Guid` GUID; `Execution/@ProcessID`, `@ThreadID` UInt32;
//!   `Security/@UserID` SID; `Provider/@Name`, `@EventSourceName`, `Channel`, every `Data`
//!   and every UserData value UTF-16 strings (without terminator); `EventData/Binary`
//!   binary. `Computer` is static template text, as in Windows' own templates. A value that
//!   does not render back to exactly its text as the wanted type (`04` as UInt8, lower-case
//!   hex as binary, an unparsable time) is written as a string instead, so nothing is lost.
//!   Static structure (`xmlns`, `Data/@Name`, the `EventXML`/`EventInfo` namespaces) is
//!   template text.
//! - **Shapes written**: named and unnamed `Data`, `Binary`, `EventID/@Qualifiers`,
//!   `Provider/@EventSourceName`, `Correlation/@ActivityID`, UserData with any children
//!   (`EventXML xmlns="Event_NS"`, Gateway `EventInfo xmlns="aag"`), and any other element.
//!   Windows keeps EventData in a nested BinXML value of the System template; evident writes
//!   one flat template per event instead, which every reader renders to the same XML.
//! - **Text** is kept as written, line ends included (Windows values such as 4672's
//!   `PrivilegeList` hold CR LF); entity and character references are resolved, CDATA is text.
//!   An element without content is written as an empty element (`<Resource/>`).
//! - **Dropped**: `RenderingInfo` (a real `.evtx` holds no rendered message: Windows renders
//!   it from the provider's message table at read time; an event read back therefore has no
//!   `message`), indentation between elements, comments and processing instructions.
//!
//! # Checked by
//!
//! `tests/evtx_write.rs` (the evtx crate reads every record back, checksums validated, to the
//! same XML), `tests/evtx_write_roundtrip.rs` (XML → `Event` equals XML → `.evtx` → `Event`
//! through evident's own readers, for the fixtures, every sample scenario and synthetic
//! events) and `scripts/check-samples.sh` (evtx_dump, libyal's evtxexport and python-evtx
//! agree on every `.evtx` under `samples/`, and every CRC32 is recomputed).

mod binxml;
pub mod build;
mod chunk;
mod header;
mod strings;
mod template;
pub mod xml_tree;

use std::collections::HashMap;
use std::io::{BufRead, Seek, SeekFrom, Write};

use binxml::{decompose, ShapeToken, Values};
use chunk::{AddError, ChunkBuilder, RecordInput};
use template::TemplateIdentity;
pub use xml_tree::{Element, EventXmlReader, Node, XmlError};

/// The largest record (in bytes) one chunk can hold.
pub const MAX_RECORD_SIZE: usize = chunk::MAX_RECORD_SIZE;

/// Why writing failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("event {index} (record id {record_id}) needs {size} bytes, more than the {MAX_RECORD_SIZE} one chunk can hold")]
    EventTooLarge {
        /// 1-based position of the event in the input.
        index: u64,
        record_id: u64,
        size: usize,
    },
    #[error("more than 65535 chunks (about 4 GiB): an .evtx file cannot count more")]
    TooManyChunks,
    /// The event would open a chunk beyond the limit set with [`EvtxWriter::limit_chunks`];
    /// it was not written.
    #[error("the file is full: it holds its limit of chunks")]
    FileFull,
}

/// What a finished write produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub records: u64,
    pub chunks: u64,
    /// Distinct templates (event shapes) written.
    pub templates: u64,
    /// File size in bytes.
    pub bytes: u64,
    /// Events left out because they were too large for a chunk, one line each.
    pub skipped: Vec<String>,
}

/// Writes `.evtx` to a seekable output, one event at a time, in constant memory: only the
/// chunk being filled and the table of distinct template shapes are held.
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    chunk: ChunkBuilder,
    templates: HashMap<Vec<ShapeToken>, (usize, TemplateIdentity)>,
    shape: Vec<ShapeToken>,
    values: Values,
    chunks: u64,
    records: u64,
    events_seen: u64,
    last_record_id: u64,
    chunk_limit: Option<u64>,
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// Starts a file at the output's current position (normally its start).
    pub fn new(mut out: W) -> Result<Self, WriteError> {
        out.write_all(&[0u8; header::FILE_HEADER_BLOCK_SIZE])?;
        Ok(EvtxWriter {
            out,
            chunk: ChunkBuilder::new(),
            templates: HashMap::new(),
            shape: Vec::new(),
            values: Values::default(),
            chunks: 0,
            records: 0,
            events_seen: 0,
            last_record_id: 0,
            chunk_limit: None,
        })
    }

    /// Appends one `<Event>` and returns the record id it was written under. An event too
    /// large for a chunk is refused with [`WriteError::EventTooLarge`] and the file stays
    /// valid; the caller may go on with the next event.
    pub fn write_event(&mut self, event: &Element) -> Result<u64, WriteError> {
        self.events_seen += 1;
        decompose(event, &mut self.shape, &mut self.values);
        let system = event.find("System");
        let record_id = system
            .and_then(|s| s.find("EventRecordID"))
            .and_then(|e| e.text_content().trim().parse::<u64>().ok())
            .filter(|&id| id > self.last_record_id)
            .unwrap_or(self.last_record_id + 1);
        let filetime = system
            .and_then(|s| s.find("TimeCreated"))
            .and_then(|t| t.attributes.iter().find(|(k, _)| k == "SystemTime"))
            .and_then(|(_, v)| binxml::parse_filetime(v))
            .unwrap_or(0);
        let next_index = self.templates.len();
        let (template_index, identity) = match self.templates.get(self.shape.as_slice()) {
            Some(&known) => known,
            None => {
                let identity = TemplateIdentity::of(&self.shape);
                self.templates
                    .insert(self.shape.clone(), (next_index, identity));
                (next_index, identity)
            }
        };
        let record = RecordInput {
            record_id,
            filetime,
            template_index,
            identity,
            shape: &self.shape,
            values: &self.values,
        };
        let mut result = self.chunk.add(&record);
        if result == Err(AddError::ChunkFull) {
            if self
                .chunk_limit
                .is_some_and(|limit| self.chunks + 1 >= limit)
            {
                return Err(WriteError::FileFull);
            }
            flush_chunk(&mut self.out, &mut self.chunk, &mut self.chunks)?;
            result = self.chunk.add(&record);
        }
        match result {
            Ok(()) => {
                self.records += 1;
                self.last_record_id = record_id;
                Ok(record_id)
            }
            Err(_) => Err(WriteError::EventTooLarge {
                index: self.events_seen,
                record_id,
                size: size_of_error(result),
            }),
        }
    }

    /// Caps the file at `chunks` chunks: an event that would open one more is refused with
    /// [`WriteError::FileFull`], so a file can be filled to an exact size.
    pub fn limit_chunks(&mut self, chunks: u64) {
        self.chunk_limit = Some(chunks);
    }

    /// Chunks completed and written so far (the chunk being filled is not counted).
    pub fn chunks_written(&self) -> u64 {
        self.chunks
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Writes the last chunk and the file header; returns what was written.
    pub fn finish(mut self) -> Result<WriteSummary, WriteError> {
        if !self.chunk.is_empty() {
            flush_chunk(&mut self.out, &mut self.chunk, &mut self.chunks)?;
        }
        let end = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(0))?;
        self.out
            .write_all(&header::encode(self.chunks, self.last_record_id))?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(WriteSummary {
            records: self.records,
            chunks: self.chunks,
            templates: self.templates.len() as u64,
            bytes: end,
            skipped: Vec::new(),
        })
    }
}

fn size_of_error(result: Result<(), AddError>) -> usize {
    match result {
        Err(AddError::TooLarge(size)) => size,
        _ => MAX_RECORD_SIZE + 1,
    }
}

fn flush_chunk<W: Write>(
    out: &mut W,
    chunk: &mut ChunkBuilder,
    chunks: &mut u64,
) -> Result<(), WriteError> {
    if *chunks >= header::MAX_CHUNKS {
        return Err(WriteError::TooManyChunks);
    }
    out.write_all(chunk.finish())?;
    chunk.reset();
    *chunks += 1;
    Ok(())
}

/// Converts a whole XML document (any number of `<Event>` elements) to `.evtx` on `out`.
///
/// Malformed XML stops the conversion with its byte offset; an event too large for a chunk is
/// left out and listed in [`WriteSummary::skipped`].
pub fn convert_xml<R: BufRead, W: Write + Seek>(
    input: R,
    out: W,
) -> Result<WriteSummary, WriteError> {
    let mut writer = EvtxWriter::new(out)?;
    let mut skipped = Vec::new();
    for event in EventXmlReader::new(input) {
        match writer.write_event(&event?) {
            Ok(_) => {}
            Err(e @ WriteError::EventTooLarge { .. }) => skipped.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    let mut summary = writer.finish()?;
    summary.skipped = skipped;
    Ok(summary)
}

/// Converts an XML document held in memory to the bytes of an `.evtx` file.
pub fn xml_to_evtx(xml: &str) -> Result<Vec<u8>, WriteError> {
    let mut out = std::io::Cursor::new(Vec::new());
    convert_xml(xml.as_bytes(), &mut out)?;
    Ok(out.into_inner())
}
