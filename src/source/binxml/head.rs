//! The System part of a record program's JSON line, written without building an `Event`.
//!
//! For one program key (which fixes the template, every value's type and which values are
//! null) much of a record's System part is fixed: the fields of the template's System plan
//! that hold no value (often the computer, sometimes the provider and channel) give the same
//! JSON for every record, so their slots are written once, as bytes, from the record the
//! program is made from. Each field that holds a value ("live") is filled per record in the
//! cheapest way that gives what the builder gives ([`Fill`]): typed numbers and the time
//! written straight, text fields (provider, channel, user, activity) kept per chunk as last
//! written while their value bytes repeat, anything else through the builder's own calls.
//! Side by side, the fields whose values mostly repeat (provider, event id, version, level,
//! task, opcode, keywords) are kept together as written, with their values ([`Run`]): most
//! records then write that stretch of their line as one copy.
//!
//! Which slots a plan field can reach is `assemble::head_slots`; a plan in which one slot is
//! reached by two fields, or a field's slots are not side by side in the line, gets no head
//! (its records build the System part whole). A program's head is checked on the record it
//! is made from, and dropped when its line differs.

use std::ops::Range;
use std::sync::Arc;

use jiff::Timestamp;

use super::record::{fill_fields, TEXT_BUDGET};
use super::template::{Part, PlainField, SystemField, SystemPlan};
use super::value::{ty, Raw};
use super::FastMap;
use crate::event::Event;
use crate::event_json::{
    write_fields_open, write_head_slot, write_number_slot, write_time_slot, HeadSlot,
};
use crate::source::assemble::{head_slots, EventBuilder};

/// What a JSON line's reader needs of its System part besides the line: the time (for a
/// time filter) and the computer (for the file's accounting, when it is asked for: only while
/// the chunk's host is not known yet).
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
            computer: (!system.computer.is_empty()).then(|| Arc::from(system.computer.as_ref())),
        }
    }
}

/// How a program writes the System part of its records.
#[derive(Debug)]
pub(super) struct Head {
    pieces: Box<[Piece]>,
    /// The plan fields that hold a value: filled per record.
    live: Box<[LiveField]>,
    /// Stretches of the line that repeat from record to record (see [`Run`]).
    runs: Box<[Run]>,
    /// The bytes of text the other fields play (the System part's text budget counts them).
    fixed_text: usize,
    /// The head of every record, for the slots no value reaches.
    fixed: LineHead,
    time_live: bool,
    computer_live: bool,
    /// Whether a live field is filled through the builder, and whether one is kept as
    /// last written.
    builds: bool,
    memoizes: bool,
}

#[derive(Debug)]
enum Piece {
    Fixed(Box<[u8]>),
    /// The slots of a live field, by its place in `live`.
    Field(usize),
    /// A run of pieces, by its place in `runs`.
    Run(usize),
}

/// Pieces side by side whose live fields mostly repeat their values from record to record
/// (the provider, the event id, version, level, task, opcode and keywords; not the time, the
/// record id or the process and thread): written once and kept, with their values, as the
/// memo of a text field is (the flood of one event id gives the same stretch each time).
/// What a run writes depends on its fields' values alone, which its memo compares, and on
/// whether their dependencies are null, which the program's key fixes (it holds every value's
/// type, an empty fragment told from one with bytes).
#[derive(Debug)]
struct Run {
    pieces: Box<[Piece]>,
    /// The value parts of its live fields.
    parts: Box<[u16]>,
}

/// The live fields a run holds: those filled straight from their values (numbers, or kept
/// as last written), but not the time, the record id, the process and thread, or an activity
/// id, which differ from record to record (in a run, they would have it written again for
/// most records), nor the computer, which is told apart for the line's reader.
fn repeats(live: &LiveField) -> bool {
    let slots = &HeadSlot::ALL[live.slots.clone()];
    let per_record = [
        HeadSlot::Time,
        HeadSlot::RecordId,
        HeadSlot::ActivityId,
        HeadSlot::RelatedActivityId,
        HeadSlot::Computer,
    ];
    match live.fill {
        Fill::Number(_) | Fill::EventId { .. } | Fill::Memo => {
            !slots.iter().any(|s| per_record.contains(s))
        }
        Fill::Builder | Fill::Time(_) | Fill::Execution { .. } => false,
    }
}

/// `pieces` with each stretch of two or more live fields that [`repeats`] (and the fixed
/// pieces between them) made a run.
fn with_runs(pieces: Vec<Piece>, live: &[LiveField]) -> (Vec<Piece>, Vec<Run>) {
    let mut out = Vec::new();
    let mut runs = Vec::new();
    let mut stretch: Vec<Piece> = Vec::new();
    let close = |stretch: &mut Vec<Piece>, out: &mut Vec<Piece>, runs: &mut Vec<Run>| {
        // Fixed pieces after its last field are left out of it.
        let last_field = stretch.iter().rposition(|p| matches!(p, Piece::Field(_)));
        let tail = stretch.split_off(last_field.map_or(0, |at| at + 1));
        let fields: Vec<usize> = stretch
            .iter()
            .filter_map(|p| match p {
                Piece::Field(n) => Some(*n),
                _ => None,
            })
            .collect();
        if fields.len() >= 2 {
            let parts = fields.iter().flat_map(|&n| live[n].parts.iter().copied());
            out.push(Piece::Run(runs.len()));
            runs.push(Run {
                pieces: std::mem::take(stretch).into(),
                parts: parts.collect(),
            });
        } else {
            out.append(stretch);
        }
        out.extend(tail);
    };
    for piece in pieces {
        match piece {
            Piece::Field(n) if !repeats(&live[n]) => {
                close(&mut stretch, &mut out, &mut runs);
                out.push(piece);
            }
            piece => stretch.push(piece),
        }
    }
    close(&mut stretch, &mut out, &mut runs);
    (out, runs)
}

/// A plan field that holds a value.
#[derive(Debug)]
struct LiveField {
    /// Its place in the plan.
    index: usize,
    /// The slots it reaches, a range of `HeadSlot::ALL`.
    slots: Range<usize>,
    fill: Fill,
    /// Its value parts ([`value_parts`]), told once: a memo reads them for every record.
    parts: Box<[u16]>,
}

/// How a live field is written per record. All but `Builder` are chosen for the value types
/// of the program's key; a record whose value does not read as its type (a size that does not
/// fit it) has the field filled through the builder alone instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// Through the builder, with the record's other such fields.
    Builder,
    /// Its values are all text or null (strings, GUIDs, SIDs: a provider, a channel, a user,
    /// an activity), which mostly repeat from record to record: kept as last written (see [`Memo`]).
    Memo,
    /// `<TimeCreated SystemTime=v/>`, a FILETIME.
    Time(u16),
    /// `Version`, `Level`, `Task`, `Opcode`, `Keywords` or `EventRecordID` holding one number.
    Number(u16),
    /// `<EventID Qualifiers=q>id</EventID>`, numbers (the qualifiers absent or null).
    EventId { id: u16, qualifiers: Option<u16> },
    /// `<Execution ProcessID=p ThreadID=t/>`, numbers.
    Execution { process: u16, thread: u16 },
}

impl Fill {
    /// How `field` is written, for values of the types of `values` (the record a program is
    /// made from).
    fn of(field: &SystemField, slots: &[HeadSlot], values: &[Raw<'_>]) -> Fill {
        let value = |i: u16| values.get(usize::from(i));
        let number = |i: u16| value(i).and_then(Raw::number).is_some();
        let left_out = field.dependency.and_then(&value).is_some_and(Raw::is_null);
        if left_out {
            return Fill::Builder;
        }
        match field.plain() {
            Some(PlainField::Time(i)) if value(i).and_then(Raw::filetime).is_some() => {
                Fill::Time(i)
            }
            Some(PlainField::Number(i)) if number(i) => Fill::Number(i),
            Some(PlainField::EventId { id, qualifiers })
                if number(id)
                    && qualifiers
                        .is_none_or(|q| number(q) || value(q).is_some_and(Raw::is_null)) =>
            {
                Fill::EventId { id, qualifiers }
            }
            Some(PlainField::Execution { process, thread })
                if number(process) && number(thread) =>
            {
                Fill::Execution { process, thread }
            }
            _ if !slots.is_empty()
                && value_parts(field).count() <= MEMO_PARTS
                && !slots.contains(&HeadSlot::Time)
                && !slots.contains(&HeadSlot::Computer)
                && value_parts(field).all(|i| {
                    value(i).is_some_and(|v| {
                        matches!(
                            v.ty,
                            ty::NULL | ty::STRING | ty::ANSI_STRING | ty::GUID | ty::SID
                        )
                    })
                }) =>
            {
                // (A field that reaches no slot is filled with the others: its text counts.)
                Fill::Memo
            }
            _ => Fill::Builder,
        }
    }

    /// Writes the slots of a field filled straight from its values (what the builder makes
    /// of them), and gives its time when it has one. `None`, with nothing written, when a
    /// value does not read as its type or the fill is not a straight one.
    fn write(
        self,
        slots: &[HeadSlot],
        values: &[Raw<'_>],
        out: &mut Vec<u8>,
    ) -> Option<Option<Timestamp>> {
        let number = |i: u16| values.get(usize::from(i)).and_then(Raw::number);
        let small = |n: u64| u32::try_from(n).ok().map(u64::from);
        match self {
            Fill::Time(i) => {
                let time = values.get(usize::from(i)).and_then(Raw::filetime)?;
                write_time_slot(Some(time), out);
                return Some(Some(time));
            }
            Fill::Number(i) => {
                let n = number(i)?;
                let &[slot] = slots else { return None };
                let n = match slot {
                    HeadSlot::Keywords | HeadSlot::RecordId => Some(n),
                    _ => small(n),
                };
                write_number_slot(slot, n, out);
            }
            Fill::EventId { id, qualifiers } => {
                let id = number(id)?;
                let mut qualifiers = match qualifiers {
                    None => None,
                    Some(q) => match number(q) {
                        Some(n) => small(n),
                        None if values.get(usize::from(q)).is_some_and(Raw::is_null) => None,
                        None => return None,
                    },
                };
                let event_id = if id > 0xFFFF {
                    qualifiers = qualifiers.or(Some((id >> 16) & 0xFFFF));
                    id & 0xFFFF
                } else {
                    id
                };
                write_number_slot(HeadSlot::EventId, Some(event_id), out);
                write_number_slot(HeadSlot::Qualifiers, qualifiers, out);
            }
            Fill::Execution { process, thread } => {
                let (process, thread) = (number(process)?, number(thread)?);
                write_number_slot(HeadSlot::ProcessId, small(process), out);
                write_number_slot(HeadSlot::ThreadId, small(thread), out);
            }
            Fill::Builder | Fill::Memo => return None,
        }
        Some(None)
    }
}

/// The slots of one live text field as last written in a run, and the values (type, size
/// and bytes of each, in the order of the field's parts) they were written from.
#[derive(Debug, Default)]
pub(super) struct Memo {
    key: Vec<u8>,
    json: Vec<u8>,
    /// The bytes of text the field played (the text budget counts them).
    text: usize,
}

/// The most value parts a kept field has, and the most bytes its values may hold for a record
/// to use its memo: a memo key copies each value once per part, and a value can be large and
/// render as no text (so that the text budget would not bound it).
const MEMO_PARTS: usize = 4;
const MEMO_BYTES: usize = 1024;

/// The bytes a memo key for these values of a field's value `parts` holds.
fn memo_size(parts: &[u16], values: &[Raw<'_>]) -> usize {
    parts
        .iter()
        .map(|&i| 5 + values.get(usize::from(i)).map_or(0, |v| v.bytes.len()))
        .sum()
}

/// The memos of a run's chunks, handed on from chunk to chunk (see `program::Reused`), by
/// head (its address: programs live as long as the run), each head's by live field.
pub(super) type Memos = FastMap<usize, Vec<Memo>>;

/// The value parts of a field, attributes first, in order.
fn value_parts(field: &SystemField) -> impl Iterator<Item = u16> + '_ {
    let parts = field
        .attrs
        .iter()
        .flat_map(|(_, parts)| parts)
        .chain(&field.text);
    parts.filter_map(|part| match part {
        Part::Value(i) => Some(*i),
        Part::Text(_) => None,
    })
}

/// Whether a plan field holds a value anywhere (an attribute or its text).
fn holds_value(field: &SystemField) -> bool {
    value_parts(field).next().is_some()
}

/// The head slots a plan field can set.
fn slots_of(field: &SystemField) -> impl Iterator<Item = HeadSlot> + '_ {
    let attrs = field.attrs.iter().map(|(attr, _)| Some(&**attr));
    std::iter::once(None)
        .chain(attrs)
        .flat_map(|attr| head_slots(&field.element, attr).iter().copied())
}

/// Writes the slots of one field filled through the builder alone; gives the bytes of text
/// it played (the text budget counts them) and the time it set.
fn write_built(
    field: &SystemField,
    slots: &[HeadSlot],
    values: &[Raw<'_>],
    text: &mut String,
    out: &mut Vec<u8>,
) -> Option<(usize, Option<Timestamp>)> {
    let mut builder = EventBuilder::new();
    let mut budget = TEXT_BUDGET;
    fill_fields(
        &mut builder,
        std::iter::once(field),
        values,
        text,
        &mut budget,
    )?;
    let event = builder.event();
    for &slot in slots {
        write_head_slot(slot, event, out);
    }
    Some((TEXT_BUDGET - budget, event.time))
}

impl Memo {
    /// Whether it was written from these values of a field's value `parts`.
    fn holds(&self, parts: &[u16], values: &[Raw<'_>]) -> bool {
        let mut key = &self.key[..];
        for &i in parts {
            let Some(value) = values.get(usize::from(i)) else {
                return false;
            };
            let len = value.bytes.len() as u32;
            let Some((head, rest)) = key.split_at_checked(5) else {
                return false;
            };
            let Some((bytes, rest)) = rest.split_at_checked(len as usize) else {
                return false;
            };
            if head[0] != value.ty || head[1..] != len.to_le_bytes() || bytes != value.bytes {
                return false;
            }
            key = rest;
        }
        key.is_empty() && !self.key.is_empty()
    }

    /// Writes the slots of `field` for these values, and keeps them with the values.
    fn refill(
        &mut self,
        field: &SystemField,
        parts: &[u16],
        slots: &[HeadSlot],
        values: &[Raw<'_>],
        text: &mut String,
    ) -> Option<()> {
        self.key.clear();
        self.json.clear();
        (self.text, _) = write_built(field, slots, values, text, &mut self.json)?;
        self.set_key(parts, values)
    }

    /// Keeps the values of `parts` as the ones it was written from.
    fn set_key(&mut self, parts: &[u16], values: &[Raw<'_>]) -> Option<()> {
        self.key.clear();
        for &i in parts {
            let value = values.get(usize::from(i))?;
            self.key.push(value.ty);
            self.key
                .extend_from_slice(&(value.bytes.len() as u32).to_le_bytes());
            self.key.extend_from_slice(value.bytes);
        }
        Some(())
    }
}

impl Head {
    /// The head of the program made from a record with these values; `None` when a slot is
    /// reached by two fields, a field's slots are not side by side in the line, or the fixed
    /// fields do not fill.
    pub(super) fn new(plan: &SystemPlan, values: &[Raw<'_>], text: &mut String) -> Option<Head> {
        let mut live = Vec::new();
        let mut reached = Vec::new();
        for (index, field) in plan.fields.iter().enumerate() {
            let at = |slot: HeadSlot| HeadSlot::ALL.iter().position(|&s| s == slot);
            let mut slots: Vec<usize> = slots_of(field).filter_map(at).collect();
            slots.sort_unstable();
            slots.dedup();
            if slots.iter().any(|s| reached.contains(s)) {
                return None;
            }
            reached.extend(&slots);
            if !holds_value(field) {
                continue;
            }
            let span = match (slots.first(), slots.last()) {
                (Some(&first), Some(&last)) if last - first + 1 == slots.len() => first..last + 1,
                (None, None) => 0..0,
                _ => return None,
            };
            let fill = Fill::of(field, &HeadSlot::ALL[span.clone()], values);
            live.push(LiveField {
                index,
                slots: span,
                fill,
                parts: value_parts(field).collect(),
            });
        }
        let mut builder = EventBuilder::new();
        let mut budget = TEXT_BUDGET;
        let fixed_fields = plan.fields.iter().filter(|f| !holds_value(f));
        fill_fields(&mut builder, fixed_fields, values, text, &mut budget)?;
        let fixed = builder.finish();

        let mut pieces = Vec::new();
        let mut bytes = Vec::new();
        let mut slot = 0;
        while slot < HeadSlot::ALL.len() {
            match live
                .iter()
                .position(|f| f.slots.start == slot && !f.slots.is_empty())
            {
                Some(n) => {
                    if !bytes.is_empty() {
                        pieces.push(Piece::Fixed(std::mem::take(&mut bytes).into()));
                    }
                    pieces.push(Piece::Field(n));
                    slot = live[n].slots.end;
                }
                None => {
                    write_head_slot(HeadSlot::ALL[slot], &fixed, &mut bytes);
                    slot += 1;
                }
            }
        }
        write_fields_open(&mut bytes);
        pieces.push(Piece::Fixed(bytes.into()));
        let (pieces, runs) = with_runs(pieces, &live);
        let live_slot = |slot: HeadSlot| {
            live.iter()
                .any(|f| HeadSlot::ALL[f.slots.clone()].contains(&slot))
        };
        Some(Head {
            pieces: pieces.into(),
            time_live: live_slot(HeadSlot::Time),
            computer_live: live_slot(HeadSlot::Computer),
            builds: live.iter().any(|f| f.fill == Fill::Builder),
            memoizes: live.iter().any(|f| f.fill == Fill::Memo) || !runs.is_empty(),
            live: live.into(),
            runs: runs.into(),
            fixed_text: TEXT_BUDGET - budget,
            fixed: LineHead::of(&fixed),
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
        memos: &mut Memos,
        want_computer: bool,
        out: &mut Vec<u8>,
    ) -> Option<LineHead> {
        if self.live.iter().any(|f| f.index >= plan.fields.len()) {
            return None;
        }
        let mut budget = TEXT_BUDGET - self.fixed_text;
        // The fields filled through the builder (none in most programs: then no event).
        let built = if self.builds {
            let mut builder = EventBuilder::new();
            let generic = self.live.iter().filter(|f| f.fill == Fill::Builder);
            let generic = generic.map(|f| &plan.fields[f.index]);
            fill_fields(&mut builder, generic, values, text, &mut budget)?;
            Some(builder.finish())
        } else {
            None
        };
        let time = if self.time_live {
            built.as_ref().and_then(|event| event.time)
        } else {
            self.fixed.time
        };
        // This head's memos, looked up once per record: its fields' and then its runs'.
        let mut own = self.memoizes.then(|| {
            let own = memos.entry(self as *const Head as usize).or_default();
            own.resize_with(self.live.len() + self.runs.len(), Memo::default);
            own
        });
        let mut state = Filling {
            values,
            text,
            built: built.as_ref(),
            budget,
            time,
        };
        for piece in self.pieces.iter() {
            self.write_piece(piece, plan, &mut state, own.as_deref_mut(), out)?;
        }
        let time = state.time;
        // (Cloning the program's computer for every line costs: its count is shared by the
        // threads that read records of this program.)
        let computer = if !want_computer {
            None
        } else if self.computer_live {
            LineHead::of(built.as_ref()?).computer
        } else {
            self.fixed.computer.clone()
        };
        Some(LineHead { time, computer })
    }

    /// Writes one piece of the line for one record.
    fn write_piece(
        &self,
        piece: &Piece,
        plan: &SystemPlan,
        state: &mut Filling<'_, '_>,
        own: Option<&mut Vec<Memo>>,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        match piece {
            Piece::Fixed(bytes) => out.extend_from_slice(bytes),
            Piece::Field(n) => self.write_field(*n, plan, state, own, out)?,
            Piece::Run(r) => self.write_run(*r, plan, state, own?, out)?,
        }
        Some(())
    }

    /// Writes run `r` for one record: copied from its memo while its values repeat, else
    /// piece by piece and kept.
    fn write_run(
        &self,
        r: usize,
        plan: &SystemPlan,
        state: &mut Filling<'_, '_>,
        own: &mut Vec<Memo>,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let run = &self.runs[r];
        let values = state.values;
        // Set aside while its pieces are written (their fields have memos too).
        let mut memo = std::mem::take(own.get_mut(self.live.len() + r)?);
        let keep = memo_size(&run.parts, values) <= MEMO_BYTES;
        if keep && memo.holds(&run.parts, values) {
            state.budget = state.budget.checked_sub(memo.text)?;
            out.extend_from_slice(&memo.json);
        } else {
            let (from, budget) = (out.len(), state.budget);
            for piece in run.pieces.iter() {
                if matches!(piece, Piece::Run(_)) {
                    return None;
                }
                self.write_piece(piece, plan, state, Some(own), out)?;
            }
            if keep {
                memo.set_key(&run.parts, values)?;
                memo.json.clear();
                memo.json.extend_from_slice(&out[from..]);
                memo.text = budget - state.budget;
            }
        }
        own[self.live.len() + r] = memo;
        Some(())
    }

    /// Writes the slots of live field `n` for one record.
    fn write_field(
        &self,
        n: usize,
        plan: &SystemPlan,
        state: &mut Filling<'_, '_>,
        own: Option<&mut Vec<Memo>>,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let live = &self.live[n];
        let slots = &HeadSlot::ALL[live.slots.clone()];
        let field = &plan.fields[live.index];
        let values = state.values;
        match live.fill {
            Fill::Builder => {
                let event = state.built?;
                for &slot in slots {
                    write_head_slot(slot, event, out);
                }
            }
            Fill::Memo if memo_size(&live.parts, values) <= MEMO_BYTES => {
                let memo = own?.get_mut(n)?;
                if !memo.holds(&live.parts, values) {
                    memo.refill(field, &live.parts, slots, values, state.text)?;
                }
                state.budget = state.budget.checked_sub(memo.text)?;
                out.extend_from_slice(&memo.json);
            }
            fill => match fill.write(slots, values, out) {
                Some(Some(written)) => state.time = Some(written),
                Some(None) => {}
                None => {
                    // A value that does not read as its type, or values too large to keep:
                    // the builder, for this field.
                    let (played, built_time) = write_built(field, slots, values, state.text, out)?;
                    state.budget = state.budget.checked_sub(played)?;
                    if slots.contains(&HeadSlot::Time) {
                        state.time = built_time;
                    }
                }
            },
        }
        Some(())
    }
}

/// What writing one record's head carries from field to field.
struct Filling<'v, 'r> {
    values: &'v [Raw<'r>],
    text: &'v mut String,
    /// The fields filled through the builder, built.
    built: Option<&'v Event>,
    /// The text budget left.
    budget: usize,
    time: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    //! A head must write, for every later record of its key, what the System part built
    //! whole writes. Random System plans (every element and attribute the builder knows, and
    //! some it does not; literal and value parts; dependencies) and random values of every
    //! type are written both ways.

    use super::super::random_system::*;
    use super::*;
    use crate::event_json::write_head;

    type Written = (Vec<u8>, Option<Timestamp>, Option<Arc<str>>);

    /// The System part built whole and written.
    fn built(plan: &SystemPlan, values: &[Raw<'_>]) -> Option<Written> {
        let mut builder = EventBuilder::new();
        let mut budget = TEXT_BUDGET;
        let mut text = String::new();
        fill_fields(
            &mut builder,
            plan.fields.iter(),
            values,
            &mut text,
            &mut budget,
        )?;
        let event = builder.finish();
        let mut out = Vec::new();
        write_head(&event, &mut out);
        let head = LineHead::of(&event);
        Some((out, head.time, head.computer))
    }

    fn by_head(
        head: &Head,
        plan: &SystemPlan,
        values: &[Raw<'_>],
        memos: &mut Memos,
    ) -> Option<Written> {
        let mut out = Vec::new();
        let line = head.write(plan, values, &mut String::new(), memos, true, &mut out)?;
        Some((out, line.time, line.computer))
    }

    /// A memo key copies its values (once per place): a field with many value parts is never
    /// kept, and a record whose values are large is written without its memo.
    #[test]
    fn memos_stay_small() {
        let field = |parts: usize| SystemField {
            element: "Provider".into(),
            attrs: vec![("Name".into(), vec![Part::Value(0); parts])],
            text: Vec::new(),
            dependency: None,
        };
        let small = utf16("Microsoft-Windows-Security-Auditing");
        let large = [b'a', 0].repeat(MEMO_BYTES);
        let value = |bytes: &[u8]| -> Vec<Vec<u8>> { vec![bytes.to_vec()] };
        for (parts, bytes, kept) in [
            (1, &small, true),
            (MEMO_PARTS + 1, &small, false),
            (1, &large, false),
        ] {
            let plan = SystemPlan {
                open: 0,
                close: 0,
                fields: vec![field(parts)],
            };
            let values = value(bytes);
            let values = raws(&[ty::STRING], &values);
            let head = Head::new(&plan, &values, &mut String::new()).expect("a head");
            let mut memos = Memos::default();
            let written = by_head(&head, &plan, &values, &mut memos);
            assert_eq!(
                written,
                built(&plan, &values),
                "{parts} parts, {} bytes",
                bytes.len()
            );
            let memo_bytes: usize = memos.values().flatten().map(|m| m.key.len()).sum();
            assert_eq!(memo_bytes > 0, kept, "{parts} parts, {} bytes", bytes.len());
            assert!(memo_bytes <= MEMO_BYTES);
        }
    }

    #[test]
    fn a_head_writes_what_the_built_system_part_writes() {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        // Heads made, and how many fields of each fill they had.
        let (mut heads, mut runs) = (0, 0);
        let mut fills = [0usize; 6];
        for _ in 0..40_000 {
            let count = 1 + r.below(6);
            let types: Vec<u8> = (0..count).map(|_| *r.pick(TYPES)).collect();
            let plan = plan(&mut r, count);
            let first_bytes: Vec<Vec<u8>> = types.iter().map(|&t| bytes_of(&mut r, t)).collect();
            let first = raws(&types, &first_bytes);
            let Some(head) = Head::new(&plan, &first, &mut String::new()) else {
                continue;
            };
            let mut memos = Memos::default();
            // A program keeps its head only when it writes its own record right.
            let expected = built(&plan, &first);
            if expected.is_none() || by_head(&head, &plan, &first, &mut memos) != expected {
                continue;
            }
            heads += 1;
            for field in head.live.iter() {
                fills[match field.fill {
                    Fill::Builder => 0,
                    Fill::Memo => 1,
                    Fill::Time(_) => 2,
                    Fill::Number(_) => 3,
                    Fill::EventId { .. } => 4,
                    Fill::Execution { .. } => 5,
                }] += 1;
            }
            runs += usize::from(!head.runs.is_empty());
            // Later records repeat some values of the one before (as a log's records do), so
            // that kept fields and runs are both taken and written again.
            let mut before = first_bytes.clone();
            for _ in 0..6 {
                let later: Vec<Vec<u8>> = types
                    .iter()
                    .zip(&before)
                    .map(|(&t, b)| {
                        if r.below(2) == 0 {
                            b.clone()
                        } else {
                            bytes_of(&mut r, t)
                        }
                    })
                    .collect();
                before = later.clone();
                let later = raws(&types, &later);
                // `None` from the head sends the record to the builder: never wrong.
                if let Some(written) = by_head(&head, &plan, &later, &mut memos) {
                    assert_eq!(Some(written), built(&plan, &later), "{plan:#?} {later:?}");
                }
            }
        }
        assert!(heads > 1000, "{heads} heads");
        assert!(runs > 100, "{runs} heads with runs");
        assert!(fills.iter().all(|&n| n > 0), "every fill tried: {fills:?}");
    }

    /// For each value, one to three bytes it takes in turn: as `bytes_of` gives, or one time in
    /// `large` a text of a size in `sizes` (too large for a memo).
    fn pools_of(
        r: &mut Rng,
        types: &[u8],
        large: usize,
        sizes: std::ops::Range<usize>,
    ) -> Vec<Vec<Vec<u8>>> {
        let mut pool = |t: u8| -> Vec<Vec<u8>> {
            (0..1 + r.below(3))
                .map(|_| {
                    if r.below(large) == 0 && t != ty::BINXML {
                        vec![0x41; sizes.start + r.below(sizes.len())]
                    } else {
                        bytes_of(r, t)
                    }
                })
                .collect()
        };
        types.iter().map(|&t| pool(t)).collect()
    }

    /// What [`try_head_over_pools`] tried: the pieces of the head's runs, and the records it
    /// wrote.
    struct Tried {
        runs: usize,
        checked: usize,
    }

    /// Makes the head of `plan` from the first values of `pools` and writes `rounds` later
    /// records of values taken from them, each held to the System part built whole. `None`
    /// when there is no head, or it does not write its own record (then a program drops it).
    fn try_head_over_pools(
        r: &mut Rng,
        plan: &SystemPlan,
        types: &[u8],
        pools: &[Vec<Vec<u8>>],
        rounds: usize,
    ) -> Option<Tried> {
        let first_bytes: Vec<Vec<u8>> = pools.iter().map(|p| p[0].clone()).collect();
        let first = raws(types, &first_bytes);
        let head = Head::new(plan, &first, &mut String::new())?;
        let mut memos = Memos::default();
        let expected = built(plan, &first);
        if expected.is_none() || by_head(&head, plan, &first, &mut memos) != expected {
            return None;
        }
        let mut tried = Tried {
            runs: head.runs.iter().map(|r| r.pieces.len()).sum(),
            checked: 0,
        };
        if head.runs.is_empty() {
            return Some(tried);
        }
        for _ in 0..rounds {
            let later: Vec<Vec<u8>> = pools.iter().map(|p| p[r.below(p.len())].clone()).collect();
            let later = raws(types, &later);
            if let Some(written) = by_head(&head, plan, &later, &mut memos) {
                tried.checked += 1;
                let want = built(plan, &later);
                if Some(&written) != want.as_ref() {
                    let show = |w: &Written| {
                        format!("{} {:?} {:?}", String::from_utf8_lossy(&w.0), w.1, w.2)
                    };
                    panic!(
                        "{plan:#?}\n{later:?}\n{:#?}\nhead : {}\nbuilt: {}",
                        head.pieces,
                        show(&written),
                        want.as_ref().map_or("None".into(), show)
                    );
                }
            }
        }
        Some(tried)
    }

    /// Long sequences whose values come from small pools (so runs are hit, missed and
    /// rewritten many times), including wrong-size numbers and large values.
    #[test]
    fn runs_over_long_sequences_write_what_is_built() {
        let mut r = Rng(0x1234_5678_9abc_def1);
        let (mut heads, mut with_runs, mut checked) = (0, 0, 0usize);
        for _ in 0..20_000 {
            let count = 1 + r.below(8);
            let types: Vec<u8> = (0..count).map(|_| *r.pick(TYPES)).collect();
            let plan = plan(&mut r, count);
            let pools = pools_of(&mut r, &types, 10, 700..1400);
            let Some(tried) = try_head_over_pools(&mut r, &plan, &types, &pools, 40) else {
                continue;
            };
            heads += 1;
            with_runs += usize::from(tried.runs > 0);
            checked += tried.checked;
        }
        assert!(
            heads > 5000 && with_runs > 500,
            "{heads} heads, {with_runs} with runs"
        );
        assert!(checked > 20_000, "{checked} records checked");
    }

    /// Windows-like plans (every System element once, in a random order, most in the
    /// plain shape), so that most heads have runs; values from small pools.
    #[test]
    fn runs_in_windows_like_plans_write_what_is_built() {
        let mut r = Rng(0x0dd_ba11_cafe_f00d);
        let (mut heads, mut with_runs, mut checked, mut run_fields) = (0, 0, 0usize, 0usize);
        for _ in 0..20_000 {
            let mut names: Vec<(&str, &[&str])> = crate::source::assemble::SYSTEM_NAMES
                .iter()
                .copied()
                .filter(|_| r.below(5) != 0)
                .collect();
            // shuffle
            for i in (1..names.len()).rev() {
                let j = r.below(i + 1);
                names.swap(i, j);
            }
            let mut types = Vec::new();
            let mut fields = Vec::new();
            for (element, attrs) in names {
                let value = |r: &mut Rng, types: &mut Vec<u8>| {
                    let t = match element {
                        "Provider" | "Channel" | "Computer" if r.below(4) != 0 => ty::STRING,
                        "Correlation" | "Provider" if r.below(2) == 0 => ty::GUID,
                        "Security" if r.below(2) == 0 => ty::SID,
                        "TimeCreated" if r.below(2) == 0 => ty::FILETIME,
                        _ if r.below(3) == 0 => *r.pick(TYPES),
                        _ => {
                            *r.pick(&[ty::UINT8, ty::UINT16, ty::UINT32, ty::UINT64, ty::HEX_INT64])
                        }
                    };
                    types.push(t);
                    // sometimes share an earlier value
                    if types.len() > 1 && r.below(8) == 0 {
                        types.pop();
                        return vec![Part::Value(r.below(types.len()) as u16)];
                    }
                    let mut parts = vec![Part::Value((types.len() - 1) as u16)];
                    if r.below(10) == 0 {
                        parts.push(Part::Text((*r.pick(TEXTS)).into()));
                    }
                    parts
                };
                let mut kept = Vec::new();
                for &a in attrs.iter() {
                    if r.below(5) != 0 {
                        kept.push((a.into(), value(&mut r, &mut types)));
                    }
                }
                let attrs: Vec<(Box<str>, Vec<Part>)> = kept;
                let text = if attrs.is_empty() {
                    value(&mut r, &mut types)
                } else {
                    Vec::new()
                };
                fields.push(SystemField {
                    element: element.into(),
                    attrs,
                    text,
                    dependency: None,
                });
            }
            if types.is_empty() {
                continue;
            }
            for f in fields.iter_mut() {
                if r.below(6) == 0 {
                    f.dependency = Some(r.below(types.len()) as u16);
                }
            }
            let plan = SystemPlan {
                open: 0,
                close: 0,
                fields,
            };
            let pools = pools_of(&mut r, &types, 20, 200..1200);
            let Some(tried) = try_head_over_pools(&mut r, &plan, &types, &pools, 30) else {
                continue;
            };
            heads += 1;
            with_runs += usize::from(tried.runs > 0);
            run_fields += tried.runs;
            checked += tried.checked;
        }
        assert!(
            heads > 5000 && with_runs > 5000,
            "{heads} heads, {with_runs} with runs"
        );
        assert!(
            checked > 100_000 && run_fields > with_runs * 2,
            "{checked} records"
        );
    }

    /// The text budget decides at a run, both when the run is copied (its values as
    /// before, the builder's text one byte longer) and when it is written again.
    #[test]
    fn a_run_is_charged_to_the_text_budget() {
        let mut computer = vec![Part::Value(0); 4096];
        computer.push(Part::Value(4));
        let field =
            |element: &str, attrs: Vec<(Box<str>, Vec<Part>)>, text: Vec<Part>| SystemField {
                element: element.into(),
                attrs,
                text,
                dependency: None,
            };
        let plan = SystemPlan {
            open: 0,
            close: 0,
            fields: vec![
                field("Computer", vec![], computer),
                field("Channel", vec![], vec![Part::Value(2)]),
                field(
                    "Provider",
                    vec![("Name".into(), vec![Part::Value(1)])],
                    vec![],
                ),
                field("EventID", vec![], vec![Part::Value(3)]),
            ],
        };
        let types = [ty::STRING, ty::STRING, ty::STRING, ty::UINT16, ty::STRING];
        let k = utf16(&"c".repeat(4095));
        let record = |channel: &str, tail: usize| -> Vec<Vec<u8>> {
            vec![
                k.clone(),
                utf16("Prov"),
                utf16(channel),
                4624u16.to_le_bytes().to_vec(),
                utf16(&"t".repeat(tail)),
            ]
        };
        let fits = 4096 - 8;
        let first = record("Chan", fits);
        let head = Head::new(&plan, &raws(&types, &first), &mut String::new()).expect("a head");
        assert_eq!(head.runs.len(), 1, "{:#?}", head.pieces);
        let mut memos = Memos::default();
        for (values, fits) in [
            (record("Chan", fits), true),
            (record("Chan", fits), true),
            (record("Chan", fits + 1), false),
            (record("Chan", fits), true),
            (record("Chan!", fits), false),
            (record("Chan!", fits - 1), true),
            (record("Chan!", fits), false),
        ] {
            let values = raws(&types, &values);
            let want = built(&plan, &values);
            assert_eq!(want.is_some(), fits);
            let got = by_head(&head, &plan, &values, &mut memos);
            assert_eq!(got, want);
        }
    }
}
