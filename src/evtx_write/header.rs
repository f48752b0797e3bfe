//! The 4 KiB file header: chunk numbers and count, next record id, version 3.1, flags and
//! the CRC32 of its first 120 bytes.

pub(crate) use crate::evtx_format::FILE_HEADER_SIZE as FILE_HEADER_BLOCK_SIZE;

/// The largest chunk count the header can state (a u16 field).
pub(crate) const MAX_CHUNKS: u64 = u16::MAX as u64;

/// Encodes the header block of a file with `chunks` chunks whose last record id is
/// `last_record_id` (0 when there are no records).
pub(crate) fn encode(chunks: u64, last_record_id: u64) -> [u8; FILE_HEADER_BLOCK_SIZE] {
    let mut block = [0u8; FILE_HEADER_BLOCK_SIZE];
    block[0..8].copy_from_slice(b"ElfFile\0");
    block[8..16].copy_from_slice(&0u64.to_le_bytes()); // first chunk number
    block[16..24].copy_from_slice(&chunks.saturating_sub(1).to_le_bytes()); // last chunk number
    block[24..32].copy_from_slice(&(last_record_id + 1).to_le_bytes()); // next record id
    block[32..36].copy_from_slice(&128u32.to_le_bytes()); // header size
    block[36..38].copy_from_slice(&1u16.to_le_bytes()); // minor version
    block[38..40].copy_from_slice(&3u16.to_le_bytes()); // major version
    block[40..42].copy_from_slice(&(FILE_HEADER_BLOCK_SIZE as u16).to_le_bytes());
    let count = u16::try_from(chunks).unwrap_or(u16::MAX);
    block[42..44].copy_from_slice(&count.to_le_bytes());
    // Flags (offset 120) stay 0: the file is closed cleanly (not dirty) and not full.
    let crc = crc32fast::hash(&block[..120]);
    block[124..128].copy_from_slice(&crc.to_le_bytes());
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_checksum() {
        let block = encode(3, 41);
        assert_eq!(&block[0..8], b"ElfFile\0");
        assert_eq!(u64::from_le_bytes(block[16..24].try_into().unwrap()), 2);
        assert_eq!(u64::from_le_bytes(block[24..32].try_into().unwrap()), 42);
        assert_eq!(u16::from_le_bytes(block[42..44].try_into().unwrap()), 3);
        let crc = u32::from_le_bytes(block[124..128].try_into().unwrap());
        assert_eq!(crc, crc32fast::hash(&block[..120]));
    }
}
