//! The chunks of an EVTX file held in memory (a memory map of the file, or a zip member read
//! whole), in record order: the walk of the crate's parser (`EvtxParser::chunks`), with its
//! order, its errors and its tolerance of dirty files, but lending each chunk's bytes where
//! they are instead of copying them into a buffer of their own, and telling an empty chunk by
//! its magic first rather than by each of its 65,536 bytes.

use evtx::err::{ChunkError, EvtxError};
use evtx::EvtxChunkHeader;

use super::{CHUNK_SIZE, FILE_HEADER_SIZE};
use crate::evtx_format::CHUNK_HEADER_SIZE;

/// The magic that starts every chunk header (MS-EVEN6 §2.2.3).
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";

/// One chunk of a file: its bytes as they are in the file, its header and its number.
pub(super) struct Chunk<'b> {
    pub bytes: &'b [u8],
    pub header: EvtxChunkHeader,
    pub number: u64,
}

impl<'b> Chunk<'b> {
    /// Chunk `number` from its bytes (a whole chunk), with its header read.
    pub fn read(bytes: &'b [u8], number: u64) -> Result<Chunk<'b>, EvtxError> {
        let header = EvtxChunkHeader::from_bytes(bytes)
            .map_err(|err| chunk_error(number, ChunkError::FailedToParseChunkHeader(err)))?;
        Ok(Chunk {
            bytes,
            header,
            number,
        })
    }
}

/// The crate's error for chunk `number`.
fn chunk_error(number: u64, source: ChunkError) -> EvtxError {
    EvtxError::FailedToParseChunk {
        chunk_id: number,
        source: Box::new(source),
    }
}

/// The chunks of a file in record order: from the chunk that holds the oldest records to the
/// end of the file, then from its start, as Windows reads a log that has wrapped around. An
/// all-zero chunk (a log's space not yet used) is passed over; a chunk that cannot be read is
/// an error naming it, and the walk goes on. Past the chunks the file's size accounts for, it
/// goes on while chunks can be read (a dirty file) and ends at the first that cannot.
pub(super) struct ChunkWalk<'b> {
    bytes: &'b [u8],
    /// Whole chunks after the file header, as the file's size tells them.
    count: u64,
    /// The next chunk number to look at.
    next: u64,
    /// The chunk that holds the oldest records, where the walk starts.
    oldest: u64,
    /// Whether the walk has gone past the end of the file, on to its first chunk.
    wrapped: bool,
}

impl<'b> ChunkWalk<'b> {
    /// The walk of `bytes`, a whole file whose header gives `header_block_size`.
    pub fn new(bytes: &'b [u8], header_block_size: u64) -> ChunkWalk<'b> {
        let count = (bytes.len() as u64).saturating_sub(header_block_size) / CHUNK_SIZE;
        let oldest = oldest_chunk(bytes, count);
        ChunkWalk {
            bytes,
            count,
            next: oldest,
            oldest,
            wrapped: false,
        }
    }

    /// The first chunk at or after `number` and before `end` that is not empty, or the error
    /// of the first that cannot be read, with its number.
    fn next_from(&self, mut number: u64, end: u64) -> Option<(Result<Chunk<'b>, EvtxError>, u64)> {
        loop {
            if number >= end {
                return None;
            }
            match self.chunk(number) {
                // Past the chunks the file's size accounts for, an unreadable one is its end.
                Err(err) => return (number < self.count).then_some((Err(err), number)),
                Ok(None) => number = number.checked_add(1)?,
                Ok(Some(chunk)) => return Some((Ok(chunk), number)),
            }
        }
    }

    /// Chunk `number`: `None` when it is all zeros.
    fn chunk(&self, number: u64) -> Result<Option<Chunk<'b>>, EvtxError> {
        let bytes = chunk_start(number)
            .and_then(|start| {
                self.bytes
                    .get(start..start.checked_add(CHUNK_SIZE as usize)?)
            })
            .ok_or_else(|| chunk_error(number, ChunkError::IncompleteChunk))?;
        if !bytes.starts_with(CHUNK_MAGIC) && is_zero(bytes) {
            return Ok(None);
        }
        Chunk::read(bytes, number).map(Some)
    }
}

impl<'b> Iterator for ChunkWalk<'b> {
    type Item = Result<Chunk<'b>, EvtxError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // Once it has wrapped around, the walk ends where it started.
            let end = if self.wrapped { self.oldest } else { u64::MAX };
            if let Some((item, number)) = self.next_from(self.next, end) {
                self.next = number.checked_add(1)?;
                return Some(item);
            }
            if self.wrapped || self.oldest == 0 {
                return None;
            }
            self.wrapped = true;
            self.next = 0;
        }
    }
}

/// Where chunk `number` starts in the file.
fn chunk_start(number: u64) -> Option<usize> {
    let offset = number
        .checked_mul(CHUNK_SIZE)?
        .checked_add(FILE_HEADER_SIZE)?;
    usize::try_from(offset).ok()
}

/// The chunk that holds the oldest records: the one whose header names the lowest record id
/// (a full log writes each new chunk over its oldest one, so that it can be anywhere). A
/// header whose range is reversed says nothing; chunk 0 when none says anything.
fn oldest_chunk(bytes: &[u8], count: u64) -> u64 {
    let mut oldest = (u64::MAX, 0);
    for number in 0..count {
        let Some(header) = chunk_start(number)
            .and_then(|start| bytes.get(start..start.checked_add(CHUNK_HEADER_SIZE)?))
        else {
            break;
        };
        if let Ok(chunk) = EvtxChunkHeader::from_bytes(header) {
            if chunk.first_event_record_id <= chunk.last_event_record_id
                && chunk.first_event_record_id < oldest.0
            {
                oldest = (chunk.first_event_record_id, number);
            }
        }
    }
    oldest.1
}

/// Whether every byte of `bytes` is zero: a block at a time, each folded whole (which the
/// compiler does many bytes a step), stopping at the first block that is not.
fn is_zero(bytes: &[u8]) -> bool {
    bytes
        .chunks(4096)
        .all(|block| block.iter().fold(0, |any, &b| any | b) == 0)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use evtx::EvtxParser;

    use super::*;

    /// What a walk of `file` gives, chunk by chunk: its number and bytes, or the error's text.
    type Walked = Vec<Result<(u64, Vec<u8>), String>>;

    fn ours(file: &[u8]) -> Walked {
        let parser = EvtxParser::from_read_seek(Cursor::new(file)).expect("a file header");
        ChunkWalk::new(file, u64::from(parser.header().header_block_size))
            .map(|chunk| {
                chunk
                    .map(|c| (c.number, c.bytes.to_vec()))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    fn the_crates(file: &[u8]) -> Walked {
        let mut parser = EvtxParser::from_read_seek(Cursor::new(file)).expect("a file header");
        parser
            .chunks()
            .map(|chunk| {
                chunk
                    .map(|c| (c.number.unwrap_or(u64::MAX), c.data))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    /// `file` with its chunks in the order `order` gives (chunk numbers; `None`: all zeros),
    /// and `extra` bytes after them.
    fn rearranged(file: &[u8], order: &[Option<usize>], extra: usize) -> Vec<u8> {
        let head = FILE_HEADER_SIZE as usize;
        let size = CHUNK_SIZE as usize;
        let mut out = file[..head].to_vec();
        for place in order {
            match place {
                Some(n) => out.extend_from_slice(&file[head + n * size..head + (n + 1) * size]),
                None => out.resize(out.len() + size, 0),
            }
        }
        out.resize(out.len() + extra, 0x5a);
        out
    }

    #[test]
    fn the_walk_is_the_crates_on_wrapped_empty_damaged_and_dirty_files() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/internet-exposure/logs/server-win-3k5m0a7tq2b/",
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx"
        );
        let file = std::fs::read(path).expect("the sample");
        let chunks = (file.len() - FILE_HEADER_SIZE as usize) / CHUNK_SIZE as usize;
        assert!(chunks >= 3, "{chunks} chunks");
        let all: Vec<Option<usize>> = (0..chunks).map(Some).collect();
        let rotated: Vec<Option<usize>> = (1..chunks).chain([0]).map(Some).collect();
        let mut with_empty = rotated.clone();
        with_empty.insert(1, None);
        let mut damaged = rearranged(&file, &rotated, 0);
        // A chunk whose magic is gone, in the middle of the file.
        damaged[FILE_HEADER_SIZE as usize + CHUNK_SIZE as usize] ^= 0xff;
        let variants = [
            ("as written", file.clone()),
            ("wrapped around", rearranged(&file, &rotated, 0)),
            ("an empty chunk", rearranged(&file, &with_empty, 0)),
            (
                "empty at the end",
                rearranged(&file, &[all.clone(), vec![None; 2]].concat(), 0),
            ),
            ("a chunk's magic broken", damaged),
            ("bytes after the last chunk", rearranged(&file, &all, 1000)),
            ("no chunks", file[..FILE_HEADER_SIZE as usize].to_vec()),
        ];
        for (what, variant) in variants {
            let walked = ours(&variant);
            assert_eq!(walked, the_crates(&variant), "{what}");
            assert!(!walked.is_empty() || what == "no chunks", "{what}");
        }
    }

    #[test]
    fn a_chunk_is_empty_only_when_every_byte_is_zero() {
        let mut chunk = vec![0u8; CHUNK_SIZE as usize];
        assert!(is_zero(&chunk));
        for at in [0, 4095, 4096, CHUNK_SIZE as usize - 1] {
            chunk[at] = 1;
            assert!(!is_zero(&chunk), "{at}");
            chunk[at] = 0;
        }
    }
}
