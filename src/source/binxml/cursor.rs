//! A bounds-checked little-endian reader over a chunk's bytes: every read returns `None`
//! past the end instead of panicking, so damaged input only ever sends a record back to the
//! `evtx` crate's reader.

#[derive(Debug, Clone)]
pub(super) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn at(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn data(&self) -> &'a [u8] {
        self.data
    }

    pub(super) fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(len)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    pub(super) fn skip(&mut self, len: usize) -> Option<()> {
        self.bytes(len).map(|_| ())
    }

    pub(super) fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Reads a little-endian `u16` at `pos`.
pub(super) fn u16_at(data: &[u8], pos: usize) -> Option<u16> {
    Cursor::at(data, pos).u16()
}

/// Reads a little-endian `u32` at `pos`.
pub(super) fn u32_at(data: &[u8], pos: usize) -> Option<u32> {
    Cursor::at(data, pos).u32()
}
