//! Names and text as EVTX stores them: UTF-16LE, and the 16-bit name hash of the chunk's
//! common string table.

/// The multiplier of the name hash (the hash that Windows stores beside every BinXML name;
/// the low 16 bits of `h = h * 65599 + unit` over the UTF-16 code units).
const NAME_HASH_MULTIPLIER: u32 = 65599;

/// The stored 16-bit hash of a name.
pub(crate) fn name_hash(name: &str) -> u16 {
    let hash = name.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(NAME_HASH_MULTIPLIER)
            .wrapping_add(u32::from(unit))
    });
    (hash & 0xffff) as u16
}

/// Appends `text` as UTF-16LE code units (no terminator) and returns the number of units.
pub(crate) fn push_utf16(out: &mut Vec<u8>, text: &str) -> usize {
    let mut units = 0;
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
        units += 1;
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hash_matches_windows_files() {
        // Hashes as stored in a Windows-written chunk (RdpCoreTS Operational, Windows 10).
        assert_eq!(name_hash("Event"), 0x0cba);
        assert_eq!(name_hash("xmlns"), 0x0fbc);
    }

    #[test]
    fn utf16_counts_code_units() {
        let mut out = Vec::new();
        assert_eq!(push_utf16(&mut out, "a€"), 2);
        assert_eq!(out, [0x61, 0, 0xac, 0x20]);
    }
}
