//! UTF-16 text (with a byte-order mark), as Windows PowerShell 5 writes `Out-File` and `>`
//! redirections: decoded to UTF-8 as it streams, so that the XML and JSON readers see UTF-8.

use std::io::{self, Read};

/// The byte order of a UTF-16 text, from its byte-order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteOrder {
    Little,
    Big,
}

/// The byte order named by a UTF-16 byte-order mark at the start of `head`, if any.
pub(crate) fn bom(head: &[u8]) -> Option<ByteOrder> {
    match head {
        [0xFF, 0xFE, ..] => Some(ByteOrder::Little),
        [0xFE, 0xFF, ..] => Some(ByteOrder::Big),
        _ => None,
    }
}

/// Decodes a UTF-16 prefix (for format detection); unpaired surrogates become U+FFFD.
pub(crate) fn decode_head(head: &[u8], order: ByteOrder) -> Vec<u8> {
    let units = head[2..].chunks_exact(2).map(|pair| unit(pair, order));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect::<String>()
        .into_bytes()
}

fn unit(pair: &[u8], order: ByteOrder) -> u16 {
    match order {
        ByteOrder::Little => u16::from_le_bytes([pair[0], pair[1]]),
        ByteOrder::Big => u16::from_be_bytes([pair[0], pair[1]]),
    }
}

/// A reader that turns a UTF-16 stream (byte-order mark first) into UTF-8.
pub(crate) struct Utf16ToUtf8<R> {
    inner: R,
    order: ByteOrder,
    started: bool,
    /// Bytes read but not yet decoded (an odd byte, a lone high surrogate).
    pending: Vec<u8>,
    /// Decoded UTF-8 not yet handed out.
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: Read> Utf16ToUtf8<R> {
    pub(crate) fn new(inner: R, order: ByteOrder) -> Self {
        Utf16ToUtf8 {
            inner,
            order,
            started: false,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            done: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut raw = [0u8; 64 * 1024];
        let n = self.inner.read(&mut raw)?;
        if n == 0 {
            self.done = true;
        }
        self.pending.extend_from_slice(&raw[..n]);
        if !self.started && self.pending.len() >= 2 {
            self.started = true;
            self.pending.drain(..2);
        }
        let whole = self.pending.len() / 2 * 2;
        let mut units: Vec<u16> = self.pending[..whole]
            .chunks_exact(2)
            .map(|pair| unit(pair, self.order))
            .collect();
        let mut keep = self.pending.split_off(whole);
        // A high surrogate at the end waits for its pair, unless the input is over.
        if !self.done && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
            if let Some(last) = units.pop() {
                let bytes = match self.order {
                    ByteOrder::Little => last.to_le_bytes(),
                    ByteOrder::Big => last.to_be_bytes(),
                };
                keep.splice(0..0, bytes);
            }
        }
        self.pending = keep;
        self.out.clear();
        self.out_pos = 0;
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

impl<R: Read> Read for Utf16ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = (self.out.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    #[test]
    fn decodes_across_reads_including_surrogate_pairs() {
        let text = "<Event>é 😀 ".repeat(20_000);
        let bytes = utf16le(&text);
        let mut out = String::new();
        Utf16ToUtf8::new(&bytes[..], ByteOrder::Little)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        assert_eq!(bom(&bytes), Some(ByteOrder::Little));
        assert!(decode_head(&bytes[..40], ByteOrder::Little).starts_with(b"<Event>"));
    }
}
