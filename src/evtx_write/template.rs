//! Template definitions: one per distinct event shape (provider, event id and structure all
//! live in the shape, so equal shapes are exactly "same provider, id and structure").
//!
//! A definition is written inline in the first record of a chunk that uses it and referenced
//! by offset from later records of that chunk, as Windows does; every chunk stands alone.

use super::binxml::{token, ShapeToken};
use super::strings::push_utf16;

/// How a template is known across chunks: a 32-bit id and a GUID, both derived from the
/// shape so that the same input always gives the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TemplateIdentity {
    pub id: u32,
    pub guid: [u8; 16],
}

impl TemplateIdentity {
    pub fn of(shape: &[ShapeToken]) -> Self {
        let mut low = Fnv64::new(0xcbf2_9ce4_8422_2325);
        let mut high = Fnv64::new(0x6c62_272e_07bb_0142);
        for t in shape {
            let (tag, text): (u8, &str) = match t {
                ShapeToken::Open {
                    name,
                    has_attributes,
                } => (if *has_attributes { 1 } else { 2 }, name),
                ShapeToken::Attribute(name) => (3, name),
                ShapeToken::Text(text) => (4, text),
                ShapeToken::Substitution(ty) => (0x80 | *ty as u8, ""),
                ShapeToken::CloseStart => (5, ""),
                ShapeToken::CloseEmpty => (6, ""),
                ShapeToken::End => (7, ""),
            };
            for h in [&mut low, &mut high] {
                h.write(&[tag]);
                h.write(text.as_bytes());
                h.write(&[0xff]);
            }
        }
        let (low, high) = (low.finish(), high.finish());
        let mut guid = [0u8; 16];
        guid[..8].copy_from_slice(&low.to_le_bytes());
        guid[8..].copy_from_slice(&high.to_le_bytes());
        TemplateIdentity {
            id: (low ^ (low >> 32)) as u32,
            guid,
        }
    }
}

/// FNV-1a, 64 bits: a stable hash (std's hasher may change between releases).
struct Fnv64(u64);

impl Fnv64 {
    fn new(basis: u64) -> Self {
        Fnv64(basis)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Resolves element and attribute names to the chunk's common string table.
pub(crate) trait NameTable {
    /// Writes the 4-byte name offset at the end of `out` (whose first byte sits at chunk
    /// offset `base`), followed by the name itself when this is its first use in the chunk.
    fn write_name_ref(&mut self, name: &str, out: &mut Vec<u8>, base: u32);
}

/// Writes the template body (fragment header, the element, end-of-file token) at the end of
/// `out`. Element starts carry the dependency id 0xFFFF (none): no element is optional,
/// because each distinct structure has its own template.
pub(crate) fn write_body(
    shape: &[ShapeToken],
    out: &mut Vec<u8>,
    base: u32,
    names: &mut dyn NameTable,
) {
    out.extend_from_slice(&[token::FRAGMENT_HEADER, 1, 1, 0]);
    // Per open element: where its data size goes, and where its attribute list size goes.
    let mut open: Vec<(usize, Option<usize>)> = Vec::new();
    let mut substitution = 0u16;
    for (i, t) in shape.iter().enumerate() {
        match t {
            ShapeToken::Open {
                name,
                has_attributes,
            } => {
                let flag = if *has_attributes { token::MORE } else { 0 };
                out.push(token::OPEN_START_ELEMENT | flag);
                out.extend_from_slice(&0xffffu16.to_le_bytes());
                let size_at = out.len();
                out.extend_from_slice(&[0; 4]);
                names.write_name_ref(name, out, base);
                let attributes_at = has_attributes.then(|| {
                    out.extend_from_slice(&[0; 4]);
                    out.len() - 4
                });
                open.push((size_at, attributes_at));
            }
            ShapeToken::Attribute(name) => {
                let another_follows = matches!(shape.get(i + 2), Some(ShapeToken::Attribute(_)));
                let flag = if another_follows { token::MORE } else { 0 };
                out.push(token::ATTRIBUTE | flag);
                names.write_name_ref(name, out, base);
            }
            ShapeToken::Text(text) => {
                out.push(token::VALUE);
                out.push(super::binxml::ValueType::String as u8);
                let count_at = out.len();
                out.extend_from_slice(&[0; 2]);
                let units = push_utf16(out, text);
                // Static text longer than a u16 count is cut by the caller's size checks.
                let units = u16::try_from(units).unwrap_or(u16::MAX);
                out[count_at..count_at + 2].copy_from_slice(&units.to_le_bytes());
            }
            ShapeToken::Substitution(ty) => {
                out.push(token::NORMAL_SUBSTITUTION);
                out.extend_from_slice(&substitution.to_le_bytes());
                out.push(*ty as u8);
                substitution = substitution.wrapping_add(1);
            }
            ShapeToken::CloseStart | ShapeToken::CloseEmpty | ShapeToken::End => {
                if !matches!(t, ShapeToken::End) {
                    if let Some((_, Some(attributes_at))) = open.last() {
                        let size = out.len() - (attributes_at + 4);
                        patch_u32(out, *attributes_at, size);
                    }
                }
                out.push(match t {
                    ShapeToken::CloseStart => token::CLOSE_START_ELEMENT,
                    ShapeToken::CloseEmpty => token::CLOSE_EMPTY_ELEMENT,
                    _ => token::END_ELEMENT,
                });
                if !matches!(t, ShapeToken::CloseStart) {
                    if let Some((size_at, _)) = open.pop() {
                        let size = out.len() - (size_at + 4);
                        patch_u32(out, size_at, size);
                    }
                }
            }
        }
    }
    out.push(token::EOF);
}

fn patch_u32(out: &mut [u8], at: usize, value: usize) {
    let value = u32::try_from(value).unwrap_or(u32::MAX);
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evtx_write::binxml::ValueType;

    struct Inline;
    impl NameTable for Inline {
        fn write_name_ref(&mut self, _name: &str, out: &mut Vec<u8>, _base: u32) {
            out.extend_from_slice(&[0xaa; 4]);
        }
    }

    #[test]
    fn element_and_attribute_sizes_are_patched() {
        let shape = vec![
            ShapeToken::Open {
                name: "E".into(),
                has_attributes: true,
            },
            ShapeToken::Attribute("a".into()),
            ShapeToken::Substitution(ValueType::UInt8),
            ShapeToken::CloseEmpty,
        ];
        let mut out = Vec::new();
        write_body(&shape, &mut out, 0, &mut Inline);
        // fragment(4) | 41 ffff size(4) name(4) attrsize(4) | 06 name(4) 0d 0000 04 | 03 | 00
        assert_eq!(out[4], 0x41);
        let size = u32::from_le_bytes(out[7..11].try_into().unwrap());
        assert_eq!(size as usize, out.len() - 1 - 11);
        let attributes = u32::from_le_bytes(out[15..19].try_into().unwrap());
        assert_eq!(attributes, 9);
        assert_eq!(out[19], 0x06);
        assert_eq!(*out.last().unwrap(), 0x00);
    }

    #[test]
    fn identity_is_stable_and_shape_sensitive() {
        let a = [ShapeToken::Text("x".into())];
        let b = [ShapeToken::Text("y".into())];
        assert_eq!(TemplateIdentity::of(&a), TemplateIdentity::of(&a));
        assert_ne!(TemplateIdentity::of(&a), TemplateIdentity::of(&b));
    }
}
