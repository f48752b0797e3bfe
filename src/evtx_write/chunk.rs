//! One 64 KiB chunk: its 512-byte header (record numbers and ids, offsets, the common
//! string table, the template table, two CRC32s) and the event records after it.
//!
//! A record is encoded against the chunk's tables into a scratch buffer first and only
//! committed when it fits, so that a record never straddles two chunks and a record that
//! does not fit leaves the chunk exactly as it was.

use std::collections::HashMap;

use super::binxml::{token, ShapeToken, Values};
use super::strings::{name_hash, push_utf16};
use super::template::{write_body, NameTable, TemplateIdentity};

use crate::evtx_format::RECORD_MAGIC;
pub(crate) use crate::evtx_format::{CHUNK_HEADER_SIZE, CHUNK_SIZE};
const STRING_BUCKETS: usize = 64;
const TEMPLATE_BUCKETS: usize = 32;
/// Records are padded to 8 bytes, as Windows pads them.
const RECORD_ALIGNMENT: usize = 8;
/// Bytes left free at the end of every chunk. libevtx takes a free-space offset equal to the
/// chunk size for an archived chunk padded to its end and then misreads its last records, so
/// a chunk is never filled to the last byte.
const CHUNK_SLACK: usize = RECORD_ALIGNMENT;
/// Where records must end.
const RECORDS_END: usize = CHUNK_SIZE - CHUNK_SLACK;
/// The largest record a chunk can hold.
pub(crate) const MAX_RECORD_SIZE: usize = RECORDS_END - CHUNK_HEADER_SIZE;

/// One record to add: its id, its written time and its template instance.
pub(crate) struct RecordInput<'a> {
    pub record_id: u64,
    pub filetime: u64,
    pub template_index: usize,
    pub identity: TemplateIdentity,
    pub shape: &'a [ShapeToken],
    pub values: &'a Values,
}

/// Why a record cannot be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddError {
    /// Not enough room left in this chunk; a fresh chunk may hold it.
    ChunkFull,
    /// Larger than any chunk can hold (size in bytes).
    TooLarge(usize),
}

/// The string and template tables of the chunk being filled.
#[derive(Debug)]
struct Tables {
    /// Name → chunk offset of its stored form.
    names: HashMap<String, u32>,
    string_buckets: [u32; STRING_BUCKETS],
    /// Template index (writer-wide) → chunk offset of its definition.
    templates: HashMap<usize, u32>,
    template_buckets: [u32; TEMPLATE_BUCKETS],
}

/// Names first used by the record being encoded: committed only if the record fits.
struct PendingNames<'t> {
    tables: &'t Tables,
    added: Vec<(String, u32)>,
    string_buckets: [u32; STRING_BUCKETS],
}

impl NameTable for PendingNames<'_> {
    fn write_name_ref(&mut self, name: &str, out: &mut Vec<u8>, base: u32) {
        let known = self.tables.names.get(name).copied().or_else(|| {
            self.added
                .iter()
                .find_map(|(n, offset)| (n == name).then_some(*offset))
        });
        if let Some(offset) = known {
            out.extend_from_slice(&offset.to_le_bytes());
            return;
        }
        // First use in this chunk: the name follows its own offset.
        let offset = base + out.len() as u32 + 4;
        let hash = name_hash(name);
        let bucket = usize::from(hash) % STRING_BUCKETS;
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&self.string_buckets[bucket].to_le_bytes());
        out.extend_from_slice(&hash.to_le_bytes());
        let count_at = out.len();
        out.extend_from_slice(&[0; 2]);
        let units = push_utf16(out, name);
        let units = u16::try_from(units).unwrap_or(u16::MAX);
        out[count_at..count_at + 2].copy_from_slice(&units.to_le_bytes());
        out.extend_from_slice(&[0; 2]);
        self.string_buckets[bucket] = offset;
        self.added.push((name.to_string(), offset));
    }
}

/// The chunk being filled.
pub(crate) struct ChunkBuilder {
    data: Vec<u8>,
    used: usize,
    tables: Tables,
    first_record_id: Option<u64>,
    last_record_id: u64,
    last_record_offset: u32,
    scratch: Vec<u8>,
}

impl ChunkBuilder {
    pub fn new() -> Self {
        ChunkBuilder {
            data: vec![0; CHUNK_SIZE],
            used: CHUNK_HEADER_SIZE,
            tables: Tables {
                names: HashMap::new(),
                string_buckets: [0; STRING_BUCKETS],
                templates: HashMap::new(),
                template_buckets: [0; TEMPLATE_BUCKETS],
            },
            first_record_id: None,
            last_record_id: 0,
            last_record_offset: 0,
            scratch: Vec::with_capacity(MAX_RECORD_SIZE),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.first_record_id.is_none()
    }

    /// Encodes one record at the end of the chunk, or leaves the chunk untouched.
    pub fn add(&mut self, record: &RecordInput<'_>) -> Result<(), AddError> {
        let base = self.used as u32;
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let mut names = PendingNames {
            tables: &self.tables,
            added: Vec::new(),
            string_buckets: self.tables.string_buckets,
        };
        let mut template_buckets = self.tables.template_buckets;
        let known_definition = self.tables.templates.get(&record.template_index).copied();

        out.extend_from_slice(&RECORD_MAGIC);
        out.extend_from_slice(&[0; 4]); // size, patched below
        out.extend_from_slice(&record.record_id.to_le_bytes());
        out.extend_from_slice(&record.filetime.to_le_bytes());
        out.extend_from_slice(&[token::FRAGMENT_HEADER, 1, 1, 0]);
        out.push(token::TEMPLATE_INSTANCE);
        out.push(1);
        out.extend_from_slice(&record.identity.id.to_le_bytes());
        let new_definition = match known_definition {
            Some(offset) => {
                out.extend_from_slice(&offset.to_le_bytes());
                None
            }
            None => {
                // The definition follows its own offset: next-in-bucket, GUID, size, body.
                let offset = base + out.len() as u32 + 4;
                let bucket = record.identity.id as usize % TEMPLATE_BUCKETS;
                out.extend_from_slice(&offset.to_le_bytes());
                out.extend_from_slice(&template_buckets[bucket].to_le_bytes());
                out.extend_from_slice(&record.identity.guid);
                let size_at = out.len();
                out.extend_from_slice(&[0; 4]);
                write_body(record.shape, &mut out, base, &mut names);
                let body = (out.len() - size_at - 4) as u32;
                out[size_at..size_at + 4].copy_from_slice(&body.to_le_bytes());
                template_buckets[bucket] = offset;
                Some(offset)
            }
        };
        let values = record.values;
        out.extend_from_slice(&(values.items.len() as u32).to_le_bytes());
        for &(size, ty) in &values.items {
            let size = u16::try_from(size).unwrap_or(u16::MAX);
            out.extend_from_slice(&size.to_le_bytes());
            out.push(ty as u8);
            out.push(0);
        }
        out.extend_from_slice(&values.data);
        out.push(token::EOF);
        let padded = (out.len() + 4).div_ceil(RECORD_ALIGNMENT) * RECORD_ALIGNMENT;
        out.resize(padded - 4, 0);
        let size = (out.len() + 4) as u32;
        out.extend_from_slice(&size.to_le_bytes());
        out[4..8].copy_from_slice(&size.to_le_bytes());

        let oversized_value = values
            .items
            .iter()
            .any(|&(size, _)| size > usize::from(u16::MAX));
        let result = if oversized_value {
            Err(AddError::TooLarge(out.len()))
        } else if self.used + out.len() > RECORDS_END {
            // In an empty chunk the names and the definition are already inline.
            Err(if self.first_record_id.is_none() {
                AddError::TooLarge(out.len())
            } else {
                AddError::ChunkFull
            })
        } else {
            Ok(())
        };
        if result.is_ok() {
            let PendingNames {
                added,
                string_buckets,
                ..
            } = names;
            for (name, offset) in added {
                self.tables.names.insert(name, offset);
            }
            self.tables.string_buckets = string_buckets;
            if let Some(offset) = new_definition {
                self.tables.templates.insert(record.template_index, offset);
                self.tables.template_buckets = template_buckets;
            }
            self.data[self.used..self.used + out.len()].copy_from_slice(&out);
            self.last_record_offset = self.used as u32;
            self.used += out.len();
            self.first_record_id.get_or_insert(record.record_id);
            self.last_record_id = record.record_id;
        }
        self.scratch = out;
        result
    }

    /// Completes the header (numbers, offsets, tables, CRC32s) and returns the 64 KiB chunk;
    /// the builder is then empty and ready for the next chunk.
    pub fn finish(&mut self) -> &[u8] {
        let first = self.first_record_id.unwrap_or(0);
        let last = self.last_record_id;
        let free = self.used as u32;
        let records_crc = crc32fast::hash(&self.data[CHUNK_HEADER_SIZE..self.used]);
        let header = &mut self.data[..CHUNK_HEADER_SIZE];
        header.fill(0);
        header[0..8].copy_from_slice(b"ElfChnk\0");
        // Record numbers equal record ids, as in files Windows writes from a fresh log.
        header[8..16].copy_from_slice(&first.to_le_bytes());
        header[16..24].copy_from_slice(&last.to_le_bytes());
        header[24..32].copy_from_slice(&first.to_le_bytes());
        header[32..40].copy_from_slice(&last.to_le_bytes());
        header[40..44].copy_from_slice(&128u32.to_le_bytes());
        header[44..48].copy_from_slice(&self.last_record_offset.to_le_bytes());
        header[48..52].copy_from_slice(&free.to_le_bytes());
        header[52..56].copy_from_slice(&records_crc.to_le_bytes());
        for (i, offset) in self.tables.string_buckets.iter().enumerate() {
            header[128 + i * 4..132 + i * 4].copy_from_slice(&offset.to_le_bytes());
        }
        for (i, offset) in self.tables.template_buckets.iter().enumerate() {
            header[384 + i * 4..388 + i * 4].copy_from_slice(&offset.to_le_bytes());
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header[..120]);
        crc.update(&header[128..CHUNK_HEADER_SIZE]);
        let header_crc = crc.finalize();
        header[124..128].copy_from_slice(&header_crc.to_le_bytes());
        &self.data
    }

    /// Empties the chunk for reuse (after `finish` and writing it out).
    pub fn reset(&mut self) {
        self.data.fill(0);
        self.used = CHUNK_HEADER_SIZE;
        self.tables.names.clear();
        self.tables.string_buckets = [0; STRING_BUCKETS];
        self.tables.templates.clear();
        self.tables.template_buckets = [0; TEMPLATE_BUCKETS];
        self.first_record_id = None;
        self.last_record_id = 0;
        self.last_record_offset = 0;
    }
}
