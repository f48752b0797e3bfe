//! Random System plans and values, for the tests that a record's System part read a shorter
//! way (a head's JSON, a built event kept from record to record) is what building it whole
//! gives: every element and attribute the builder knows and some it does not, literal and
//! value parts, dependencies, and values of every type, some of a size that does not fit it.

use super::template::{Part, SystemField, SystemPlan};
use super::value::{ty, Raw};
use crate::source::assemble::SYSTEM_NAMES;

/// xorshift64: a fixed sequence, so that a failure can be replayed.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(super) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

pub(super) const TEXTS: &[&str] = &[
    "",
    " ",
    "7",
    "0x1F",
    "70000",
    "3221232498",
    "x",
    "{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}",
    "2023-10-18T05:43:49.8327406Z",
    "4294967296",
];

pub(super) const TYPES: &[u8] = &[
    ty::NULL,
    ty::STRING,
    ty::ANSI_STRING,
    ty::UINT8,
    ty::UINT16,
    ty::UINT32,
    ty::UINT64,
    ty::HEX_INT32,
    ty::HEX_INT64,
    ty::INT8,
    ty::GUID,
    ty::SID,
    ty::FILETIME,
    ty::BINXML,
    ty::SIZE_T,
    ty::BOOL,
];

pub(super) fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Bytes for a value of type `t`, sometimes of a size that does not fit it.
pub(super) fn bytes_of(r: &mut Rng, t: u8) -> Vec<u8> {
    let number = |r: &mut Rng| {
        let any = r.next();
        let numbers = [
            0,
            1,
            7,
            0xFFFF,
            0x1_0000,
            70_000,
            3_221_232_498,
            1 << 32,
            u64::MAX,
        ];
        if r.below(4) == 0 {
            any
        } else {
            *r.pick(&numbers)
        }
    };
    match t {
        ty::NULL if r.below(3) == 0 => vec![1, 2],
        ty::STRING => utf16(r.pick::<&str>(TEXTS)),
        ty::ANSI_STRING => r.pick(TEXTS).as_bytes().to_vec(),
        ty::UINT8 | ty::INT8 => vec![number(r) as u8],
        ty::UINT16 => (number(r) as u16).to_le_bytes().to_vec(),
        ty::BOOL => (r.below(2) as u32).to_le_bytes().to_vec(),
        ty::UINT32 | ty::HEX_INT32 => (number(r) as u32).to_le_bytes().to_vec(),
        ty::UINT64 | ty::HEX_INT64 => number(r).to_le_bytes().to_vec(),
        ty::SIZE_T if r.below(2) == 0 => (number(r) as u32).to_le_bytes().to_vec(),
        ty::SIZE_T => number(r).to_le_bytes().to_vec(),
        ty::GUID if r.below(5) == 0 => vec![0xab; 15],
        ty::GUID => (0..16).map(|_| *r.pick(&[0u8, 0xab, 0x12])).collect(),
        ty::SID => vec![1, 1, 0, 0, 0, 0, 0, 5, *r.pick(&[18u8, 19]), 0, 0, 0],
        ty::FILETIME => {
            let ticks = [
                132_448_315_200_000_000,
                0,
                u64::MAX,
                132_448_315_200_000_001,
            ];
            r.pick(&ticks).to_le_bytes().to_vec()
        }
        _ => vec![],
    }
}

pub(super) fn parts(r: &mut Rng, values: usize) -> Vec<Part> {
    (0..r.below(3))
        .map(|_| match r.below(3) {
            0 => Part::Text((*r.pick(TEXTS)).into()),
            _ => Part::Value(r.below(values) as u16),
        })
        .collect()
}

pub(super) fn plan(r: &mut Rng, values: usize) -> SystemPlan {
    let fields = (0..1 + r.below(5))
        .map(|_| {
            let (element, element_attrs) = *r.pick(SYSTEM_NAMES);
            let value = |r: &mut Rng| vec![Part::Value(r.below(values) as u16)];
            // Half the fields in the plain shape most templates have (each attribute, or else
            // the text, one value), so that the ways of filling those are tried often.
            if r.below(2) == 0 {
                let mut attrs = Vec::new();
                for &attr in element_attrs.iter() {
                    if r.below(4) != 0 {
                        attrs.push((attr.into(), value(r)));
                    }
                }
                let text = if element_attrs.is_empty() {
                    value(r)
                } else {
                    Vec::new()
                };
                return SystemField {
                    element: element.into(),
                    attrs,
                    text,
                    dependency: (r.below(4) == 0).then(|| r.below(values) as u16),
                };
            }
            let mut attrs = Vec::new();
            // Its own attributes, and one the builder does not know.
            for &attr in element_attrs.iter().chain(&["Other"]) {
                if r.below(2) == 0 {
                    attrs.push((attr.into(), parts(r, values)));
                }
            }
            SystemField {
                element: element.into(),
                attrs,
                text: parts(r, values),
                dependency: (r.below(4) == 0).then(|| r.below(values) as u16),
            }
        })
        .collect();
    SystemPlan {
        open: 0,
        close: 0,
        fields,
    }
}

pub(super) fn raws<'b>(types: &[u8], bytes: &'b [Vec<u8>]) -> Vec<Raw<'b>> {
    let typed = types.iter().zip(bytes);
    typed
        .map(|(&ty, bytes)| Raw {
            ty,
            bytes,
            offset: 0,
        })
        .collect()
}
