//! The System part of a record program's JSON line, written without building an `Event`.
//!
//! A template fixes most of its records' System part: the provider's name and GUID, the
//! channel and the computer are literal text in it, and only the time, the ids and numbers
//! come from values. So for one program key (which fixes the template and which values are
//! null) the head is made of slots the values never reach, written once as bytes from the
//! record the program was made from, and slots filled per record from the plan fields that
//! hold a value, through the same builder calls as the whole System part. Which slots a
//! plan field can reach is `assemble::head_slots`; a plan in which a slot is reached both by
//! a field with values and by one without gets no head (its records build the System part).

use std::sync::Arc;

use jiff::Timestamp;

use super::record::fill_fields;
use super::template::{Part, SystemField, SystemPlan};
use super::value::Raw;
use crate::event::Event;
use crate::event_json::{write_fields_open, write_head_slot, HeadSlot};
use crate::source::assemble::{head_slots, EventBuilder};

/// What a JSON line's reader needs of its System part besides the line: the time (for a
/// time filter) and the computer (for the file's accounting).
#[derive(Debug, Clone, Default)]
pub(crate) struct LineHead {
    pub time: Option<Timestamp>,
    /// `None` when it is empty.
    pub computer: Option<Arc<str>>,
}

impl LineHead {
    /// The line head of a built System part.
    pub(crate) fn of(system: &Event) -> LineHead {
        LineHead {
            time: system.time,
            computer: (!system.computer.is_empty()).then(|| Arc::from(system.computer.as_str())),
        }
    }
}

/// How a program writes the System part of its records.
#[derive(Debug)]
pub(super) struct Head {
    pieces: Box<[Piece]>,
    /// The plan fields that hold a value, by index: filled per record.
    live: Box<[usize]>,
    /// The bytes of text the other fields play (the System part's text budget counts them).
    fixed_text: usize,
    /// The head of every record, for the slots no value reaches.
    fixed: LineHead,
    time_live: bool,
    computer_live: bool,
}

#[derive(Debug)]
enum Piece {
    Fixed(Box<[u8]>),
    Slot(HeadSlot),
}

/// Whether a plan field holds a value anywhere (an attribute or its text).
fn holds_value(field: &SystemField) -> bool {
    let parts = field
        .attrs
        .iter()
        .flat_map(|(_, parts)| parts)
        .chain(&field.text);
    parts.into_iter().any(|part| matches!(part, Part::Value(_)))
}

/// The head slots a plan field can set.
fn slots_of(field: &SystemField) -> impl Iterator<Item = HeadSlot> + '_ {
    let attrs = field.attrs.iter().map(|(attr, _)| Some(&**attr));
    std::iter::once(None)
        .chain(attrs)
        .flat_map(|attr| head_slots(&field.element, attr).iter().copied())
}

impl Head {
    /// The head of the program made from a record with these values; `None` when a slot is
    /// reached both by a field with values and by one without, or the fixed fields do not fill.
    pub(super) fn new(plan: &SystemPlan, values: &[Raw<'_>], text: &mut String) -> Option<Head> {
        let mut live = Vec::new();
        let mut live_slots = Vec::new();
        let mut fixed_slots = Vec::new();
        for (i, field) in plan.fields.iter().enumerate() {
            if holds_value(field) {
                live.push(i);
                live_slots.extend(slots_of(field));
            } else {
                fixed_slots.extend(slots_of(field));
            }
        }
        if live_slots.iter().any(|slot| fixed_slots.contains(slot)) {
            return None;
        }
        let mut builder = EventBuilder::new();
        let mut budget = super::record::TEXT_BUDGET;
        let fixed_fields = plan.fields.iter().filter(|f| !holds_value(f));
        fill_fields(&mut builder, fixed_fields, values, text, &mut budget)?;
        let fixed = builder.finish();

        let mut pieces = Vec::new();
        let mut bytes = Vec::new();
        for slot in HeadSlot::ALL {
            if live_slots.contains(&slot) {
                if !bytes.is_empty() {
                    pieces.push(Piece::Fixed(std::mem::take(&mut bytes).into()));
                }
                pieces.push(Piece::Slot(slot));
            } else {
                write_head_slot(slot, &fixed, &mut bytes);
            }
        }
        write_fields_open(&mut bytes);
        pieces.push(Piece::Fixed(bytes.into()));
        Some(Head {
            pieces: pieces.into(),
            live: live.into(),
            fixed_text: super::record::TEXT_BUDGET - budget,
            fixed: LineHead::of(&fixed),
            time_live: live_slots.contains(&HeadSlot::Time),
            computer_live: live_slots.contains(&HeadSlot::Computer),
        })
    }

    /// Writes the System part of a record of this program (up to the opening of its fields),
    /// what `event_json::write_head` writes for its built System part. `None`, with `out`
    /// perhaps written to, when its fields do not fill (the caller then builds it whole).
    pub(super) fn write(
        &self,
        plan: &SystemPlan,
        values: &[Raw<'_>],
        text: &mut String,
        out: &mut Vec<u8>,
    ) -> Option<LineHead> {
        let mut builder = EventBuilder::new();
        let mut budget = super::record::TEXT_BUDGET - self.fixed_text;
        if self.live.last().is_some_and(|&i| i >= plan.fields.len()) {
            return None;
        }
        let fields = self.live.iter().map(|&i| &plan.fields[i]);
        fill_fields(&mut builder, fields, values, text, &mut budget)?;
        let event = builder.event();
        for piece in self.pieces.iter() {
            match piece {
                Piece::Fixed(bytes) => out.extend_from_slice(bytes),
                Piece::Slot(slot) => write_head_slot(*slot, event, out),
            }
        }
        let live = LineHead::of(event);
        Some(LineHead {
            time: if self.time_live {
                live.time
            } else {
                self.fixed.time
            },
            computer: if self.computer_live {
                live.computer
            } else {
                self.fixed.computer.clone()
            },
        })
    }
}
