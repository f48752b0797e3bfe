//! The chunks of an EVTX file in record order: the walk of the crate's parser
//! (`EvtxParser::chunks`), with its order, its errors and its tolerance of dirty files, but
//! lending a chunk's bytes where they already are in memory (a zip member read whole), reading
//! a file's chunk with one positioned read, and telling an empty chunk by its magic first
//! rather than by each of its 65,536 bytes.
//!
//! A file is read, not mapped into memory: a mapped file that another process shortens, or
//! whose disk fails, ends the whole run with a fault (SIGBUS) instead of one chunk error, and
//! the pages of a mapped file count in the run's resident memory until it is done.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Mutex;

use evtx::err::{ChunkError, EvtxError};
use evtx::EvtxChunkHeader;

use super::{CHUNK_SIZE, FILE_HEADER_SIZE};
use crate::evtx_format::CHUNK_HEADER_SIZE;

/// The magic that starts every chunk header (MS-EVEN6 §2.2.3).
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";

/// Where an EVTX file's bytes are read from.
#[derive(Clone, Copy)]
pub(crate) enum EvtxBytes<'b> {
    /// Already in memory (a zip member).
    Memory(&'b [u8]),
    /// A file, read where it is needed.
    File(&'b File),
}

impl<'b> EvtxBytes<'b> {
    /// The file's size: where its end is (as the crate tells it; a device's metadata may
    /// give none).
    pub fn len(&self) -> std::io::Result<u64> {
        match self {
            EvtxBytes::Memory(bytes) => Ok(bytes.len() as u64),
            EvtxBytes::File(mut file) => file.seek(SeekFrom::End(0)),
        }
    }

    /// Fills `buf` from `offset`, as far as the file goes: the bytes read.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            EvtxBytes::Memory(bytes) => {
                let from = usize::try_from(offset).map_or(bytes.len(), |o| o.min(bytes.len()));
                let there = &bytes[from..];
                let n = there.len().min(buf.len());
                buf[..n].copy_from_slice(&there[..n]);
                Ok(n)
            }
            EvtxBytes::File(mut file) => {
                file.seek(SeekFrom::Start(offset))?;
                let mut filled = 0;
                while filled < buf.len() {
                    match file.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(filled)
            }
        }
    }

    /// The `len` bytes at `offset`: lent when they are in memory, else read; `None` when the
    /// file ends before them or cannot be read there.
    fn bytes_at(&self, offset: u64, len: usize) -> Option<ChunkBytes<'b>> {
        if let EvtxBytes::Memory(bytes) = self {
            let start = usize::try_from(offset).ok()?;
            let lent = bytes.get(start..start.checked_add(len)?)?;
            return Some(ChunkBytes(Cow::Borrowed(lent)));
        }
        let mut buf = spare_buffer(len);
        let read = self.read_at(offset, &mut buf);
        // Kept for the next chunk even when this one cannot be read.
        let bytes = ChunkBytes(Cow::Owned(buf));
        (read.ok()? == len).then_some(bytes)
    }
}

/// Buffers of chunks read from files, given back when their chunk has been read (see
/// [`ChunkBytes`]' `drop`) and filled again by the next: a new buffer is 64 KiB of memory zeroed
/// and then overwritten for every chunk. Shared by all threads: a chunk is read on one and
/// parsed on another.
static SPARE_BUFFERS: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// The most buffers kept (1 MiB): as many as the chunks eight threads have in flight at once
/// (more threads only allocate the others).
const MOST_SPARE_BUFFERS: usize = 16;

/// A buffer of `len` bytes: a spare one when there is one (holding an earlier chunk's bytes,
/// all of which the caller overwrites or refuses), else a new one.
fn spare_buffer(len: usize) -> Vec<u8> {
    let spare = SPARE_BUFFERS.lock().ok().and_then(|mut spare| spare.pop());
    match spare {
        Some(mut buf) => {
            buf.resize(len, 0);
            buf
        }
        None => vec![0; len],
    }
}

/// One chunk of a file: its bytes as they are in the file, its header and its number.
pub(super) struct Chunk<'b> {
    pub bytes: ChunkBytes<'b>,
    pub header: EvtxChunkHeader,
    pub number: u64,
}

/// A chunk's bytes: lent (a zip member's, in memory) or read into a buffer, which is kept for
/// the next chunk when these are dropped.
pub(super) struct ChunkBytes<'b>(Cow<'b, [u8]>);

impl ChunkBytes<'_> {
    /// The bytes as a buffer of their own (a lent chunk's copied), not kept for another chunk.
    pub fn into_owned(mut self) -> Vec<u8> {
        std::mem::take(&mut self.0).into_owned()
    }
}

impl From<Vec<u8>> for ChunkBytes<'_> {
    fn from(buf: Vec<u8>) -> Self {
        ChunkBytes(Cow::Owned(buf))
    }
}

impl std::ops::Deref for ChunkBytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for ChunkBytes<'_> {
    fn drop(&mut self) {
        if let Cow::Owned(buf) = &mut self.0 {
            let buf = std::mem::take(buf);
            if let Ok(mut spare) = SPARE_BUFFERS.lock() {
                // Only whole chunks' buffers: the bound above is then one of bytes too.
                if spare.len() < MOST_SPARE_BUFFERS && buf.len() == CHUNK_SIZE as usize {
                    spare.push(buf);
                }
            }
        }
    }
}

impl<'b> Chunk<'b> {
    /// Chunk `number` from its bytes (a whole chunk), with its header read.
    pub fn read(bytes: ChunkBytes<'b>, number: u64) -> Result<Chunk<'b>, EvtxError> {
        let header = EvtxChunkHeader::from_bytes(&bytes)
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
    bytes: EvtxBytes<'b>,
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
    /// The walk of `bytes`, a whole file of `len` bytes whose header gives
    /// `header_block_size`.
    pub fn new(bytes: EvtxBytes<'b>, len: u64, header_block_size: u64) -> ChunkWalk<'b> {
        let count = len.saturating_sub(header_block_size) / CHUNK_SIZE;
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
            .and_then(|start| self.bytes.bytes_at(start, CHUNK_SIZE as usize))
            .ok_or_else(|| chunk_error(number, ChunkError::IncompleteChunk))?;
        if !bytes.starts_with(CHUNK_MAGIC) && is_zero(&bytes) {
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
fn chunk_start(number: u64) -> Option<u64> {
    number
        .checked_mul(CHUNK_SIZE)?
        .checked_add(FILE_HEADER_SIZE)
}

/// The chunk that holds the oldest records: the one whose header names the lowest record id
/// (a full log writes each new chunk over its oldest one, so that it can be anywhere). A
/// header whose range is reversed says nothing; chunk 0 when none says anything.
fn oldest_chunk(bytes: EvtxBytes<'_>, count: u64) -> u64 {
    let mut oldest = (u64::MAX, 0);
    let mut header = [0; CHUNK_HEADER_SIZE];
    for number in 0..count {
        let read = chunk_start(number).map(|start| bytes.read_at(start, &mut header));
        if !matches!(read, Some(Ok(CHUNK_HEADER_SIZE))) {
            break;
        }
        if let Ok(chunk) = EvtxChunkHeader::from_bytes(&header) {
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

    /// Our walk of `file`, in memory and from a file on disk, which must agree.
    fn ours(file: &[u8]) -> Walked {
        let parser = EvtxParser::from_read_seek(Cursor::new(file)).expect("a file header");
        let block = u64::from(parser.header().header_block_size);
        let walk = |bytes: EvtxBytes<'_>| -> Walked {
            ChunkWalk::new(bytes, file.len() as u64, block)
                .map(|chunk| {
                    chunk
                        .map(|c| (c.number, c.bytes.to_vec()))
                        .map_err(|e| e.to_string())
                })
                .collect()
        };
        let in_memory = walk(EvtxBytes::Memory(file));
        let mut on_disk = tempfile::tempfile().expect("a temporary file");
        std::io::Write::write_all(&mut on_disk, file).expect("written");
        assert_eq!(
            walk(EvtxBytes::File(&on_disk)),
            in_memory,
            "read from a file"
        );
        in_memory
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

    /// A sample log of several chunks, and how many.
    fn sample() -> (Vec<u8>, usize) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/internet-exposure/logs/server-win-3k5m0a7tq2b/",
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx"
        );
        let file = std::fs::read(path).expect("the sample");
        let chunks = (file.len() - FILE_HEADER_SIZE as usize) / CHUNK_SIZE as usize;
        (file, chunks)
    }

    #[test]
    fn the_walk_is_the_crates_on_wrapped_empty_damaged_and_dirty_files() {
        let (file, chunks) = sample();
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

    /// `file` with its header's block size (the crate counts chunks from it) set to `size`.
    fn with_header_block_size(mut file: Vec<u8>, size: u16) -> Vec<u8> {
        file[40..42].copy_from_slice(&size.to_le_bytes());
        file
    }

    /// `file` with chunk `n`'s header bytes `at` set to `value`.
    fn patched(mut file: Vec<u8>, n: usize, at: usize, value: &[u8]) -> Vec<u8> {
        let start = FILE_HEADER_SIZE as usize + n * CHUNK_SIZE as usize + at;
        file[start..start + value.len()].copy_from_slice(value);
        file
    }

    #[test]
    fn the_walk_is_the_crates_past_the_chunk_count_and_on_odd_headers() {
        let (file, chunks) = sample();
        let all: Vec<Option<usize>> = (0..chunks).map(Some).collect();
        // Empty chunks, then a chunk again, past the count the header's block size gives.
        let dirty = rearranged(&file, &[all.clone(), vec![None, None, Some(0)]].concat(), 0);
        let last = chunks - 1;
        let variants = [
            (
                "block size 8 KiB",
                with_header_block_size(file.clone(), 0x2000),
            ),
            (
                "block size 8 KiB, dirty",
                with_header_block_size(dirty.clone(), 0x2000),
            ),
            (
                "block size 64 KiB - 1",
                with_header_block_size(dirty.clone(), 0xffff),
            ),
            ("block size 0", with_header_block_size(dirty, 0)),
            // The last chunk names the lowest record id: the walk starts there and wraps.
            (
                "oldest last",
                patched(file.clone(), last, 24, &0u64.to_le_bytes()),
            ),
            // A reversed range says nothing about where a chunk's records belong.
            (
                "reversed range",
                patched(
                    patched(file.clone(), last, 24, &1u64.to_le_bytes()),
                    last,
                    32,
                    &0u64.to_le_bytes(),
                ),
            ),
            // A header whose magic is whole but whose offsets are not.
            (
                "free space past the chunk",
                patched(file.clone(), 1, 48, &[0xff; 4]),
            ),
            ("a partial chunk with its magic", {
                let mut f = file.clone();
                let head = FILE_HEADER_SIZE as usize;
                f.extend_from_slice(&file[head..head + 2000]);
                f
            }),
            (
                "one byte past the header",
                file[..FILE_HEADER_SIZE as usize + 1].to_vec(),
            ),
        ];
        // Each chunk by its number and a digest of its bytes, so that a failure reads.
        let short = |walked: Walked| -> Vec<Result<(u64, u64), String>> {
            walked
                .into_iter()
                .map(|c| {
                    c.map(|(n, bytes)| {
                        let digest = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                        });
                        (n, digest)
                    })
                })
                .collect()
        };
        for (what, variant) in variants {
            assert_eq!(short(ours(&variant)), short(the_crates(&variant)), "{what}");
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
