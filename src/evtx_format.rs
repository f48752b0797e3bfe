//! The numbers of the EVTX format (MS-EVEN6, <https://learn.microsoft.com/openspecs/windows_protocols/ms-even6>)
//! that evident's own reader (`source::binxml`) and writer (`evtx_write`) both use, in one
//! place so that the two cannot drift apart.

/// The file header block (§2.2.1), after which chunk 0 starts.
pub const FILE_HEADER_SIZE: usize = 4096;
/// A chunk (§2.2.3): a 512-byte header, then records.
pub const CHUNK_SIZE: usize = 0x10000;
pub const CHUNK_HEADER_SIZE: usize = 512;
/// A record header (§2.2.4): magic, size, record id, written time.
pub const RECORD_HEADER_SIZE: usize = 24;
pub const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];

/// BinXML token bytes (§2.2.12; libyal "Token types").
pub mod token {
    pub const EOF: u8 = 0x00;
    pub const OPEN_START_ELEMENT: u8 = 0x01;
    pub const CLOSE_START_ELEMENT: u8 = 0x02;
    pub const CLOSE_EMPTY_ELEMENT: u8 = 0x03;
    pub const END_ELEMENT: u8 = 0x04;
    pub const VALUE: u8 = 0x05;
    pub const ATTRIBUTE: u8 = 0x06;
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub const NORMAL_SUBSTITUTION: u8 = 0x0d;
    pub const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
    pub const FRAGMENT_HEADER: u8 = 0x0f;
    /// Set on an element start that has attributes, and on an attribute, value or
    /// substitution that is followed by more ("more data follows").
    pub const MORE: u8 = 0x40;
}

/// Substitution value types (§2.2.12 "Value types").
pub mod value_type {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const ANSI_STRING: u8 = 0x02;
    pub const INT8: u8 = 0x03;
    pub const UINT8: u8 = 0x04;
    pub const INT16: u8 = 0x05;
    pub const UINT16: u8 = 0x06;
    pub const INT32: u8 = 0x07;
    pub const UINT32: u8 = 0x08;
    pub const INT64: u8 = 0x09;
    pub const UINT64: u8 = 0x0a;
    pub const REAL32: u8 = 0x0b;
    pub const REAL64: u8 = 0x0c;
    pub const BOOL: u8 = 0x0d;
    pub const BINARY: u8 = 0x0e;
    pub const GUID: u8 = 0x0f;
    pub const SIZE_T: u8 = 0x10;
    pub const FILETIME: u8 = 0x11;
    pub const SYSTIME: u8 = 0x12;
    pub const SID: u8 = 0x13;
    pub const HEX_INT32: u8 = 0x14;
    pub const HEX_INT64: u8 = 0x15;
    pub const BINXML: u8 = 0x21;
    /// Set on the array form of a type.
    pub const ARRAY: u8 = 0x80;
    pub const STRING_ARRAY: u8 = ARRAY | STRING;
}
