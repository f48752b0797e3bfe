//! The System part of built events, kept from record to record. The records of one template
//! in a chunk mostly repeat their System values (provider, channel, computer, user, level,
//! keywords) but for their time, record id, process and thread: those are read from each
//! record, the rest is taken from a part built lately in the chunk from the same value bytes.

use jiff::Timestamp;

use super::record::{build_system, fill_fields, TEXT_BUDGET};
use super::template::{Part, PlainField, SystemField, SystemPlan};
use super::value::Raw;
use crate::event::Event;
use crate::source::assemble::EventBuilder;
use crate::source::Identity;

/// The System parts last built in a chunk, each with the values it was built from, and what
/// their plans are made of.
#[derive(Debug, Default)]
pub(crate) struct SystemMemo {
    /// The plans met last, each told apart once.
    plans: Vec<PlanFields>,
    /// The parts built last: records of one template often take turns (a flood of two event
    /// ids), so one would be built again and again.
    kept: Vec<Kept>,
    /// The plan and the part to give way next (each in turn).
    next_plan: usize,
    next_kept: usize,
    /// The record's key, read before it is compared.
    key: Vec<u8>,
    /// How many times a System part was built (the rest were kept ones).
    pub(super) builds: u64,
}

/// Parts and plans kept per chunk.
const KEPT_PARTS: usize = 8;
const KEPT_PLANS: usize = 8;

/// A plan (by its address: plans live as long as the run) told apart: its [`Varying`] fields,
/// and the places of the others; `plain` when the varying ones can be filled apart.
#[derive(Debug)]
struct PlanFields {
    plan: usize,
    plain: bool,
    varying: Vec<Varying>,
    fixed: Vec<usize>,
}

/// A System part without its [`Varying`] fields (`None` when it did not fill), and the type,
/// size and bytes of each value of the other fields it was built from.
#[derive(Debug)]
struct Kept {
    plan: usize,
    key: Vec<u8>,
    event: Option<Event>,
}

/// A System field that differs from record to record, written plainly enough (one value per
/// slot) to be read on its own, as building the whole part reads it; and the value whose
/// null leaves it out, if any.
#[derive(Debug, Clone, Copy)]
pub(super) struct Varying {
    slot: VaryingSlot,
    dependency: Option<u16>,
}

#[derive(Debug, Clone, Copy)]
enum VaryingSlot {
    /// `TimeCreated/@SystemTime`.
    Time(u16),
    /// `EventRecordID`.
    RecordId(u16),
    /// `Execution/@ProcessID` and `@ThreadID`.
    Execution { process: u16, thread: u16 },
}

/// The elements whose fields can be [`Varying`].
const VARYING_ELEMENTS: [&str; 3] = ["TimeCreated", "EventRecordID", "Execution"];

impl PlanFields {
    /// `plan` told apart. It is plain when every field of a varying element is a
    /// [`Varying`], the only one of its element: then the fields filled apart set nothing
    /// the others set.
    fn of(plan: &SystemPlan, address: usize) -> PlanFields {
        let mut seen = [false; VARYING_ELEMENTS.len()];
        let mut told = PlanFields {
            plan: address,
            plain: true,
            varying: Vec::new(),
            fixed: Vec::new(),
        };
        for (at, field) in plan.fields.iter().enumerate() {
            let varying = Varying::of(field);
            if let Some(element) = VARYING_ELEMENTS.iter().position(|e| *e == &*field.element) {
                let again = std::mem::replace(&mut seen[element], true);
                told.plain &= varying.is_some() && !again;
            }
            match varying {
                Some(varying) => told.varying.push(varying),
                None => told.fixed.push(at),
            }
        }
        told
    }
}

impl Varying {
    fn of(field: &SystemField) -> Option<Varying> {
        let slot = match field.plain()? {
            PlainField::Time(i) => VaryingSlot::Time(i),
            PlainField::Number(i) if &*field.element == "EventRecordID" => VaryingSlot::RecordId(i),
            PlainField::Execution { process, thread } => VaryingSlot::Execution { process, thread },
            PlainField::Number(_) | PlainField::EventId { .. } => return None,
        };
        Some(Varying {
            slot,
            dependency: field.dependency,
        })
    }

    /// Sets this field of `event`'s identity from `values` as the builder would; `None` for a
    /// value of another type than the builder reads directly (the caller then builds the part
    /// whole).
    fn set<'v>(self, value: impl Fn(u16) -> Option<Raw<'v>>, event: &mut Identity) -> Option<()> {
        let left_out = self
            .dependency
            .and_then(&value)
            .is_some_and(|v| v.is_null());
        if left_out {
            return Some(());
        }
        let number = |i: u16| value(i).as_ref().and_then(Raw::number);
        match self.slot {
            VaryingSlot::Time(i) => {
                let time: Timestamp = value(i).as_ref().and_then(Raw::filetime)?;
                event.time = Some(time);
            }
            VaryingSlot::RecordId(i) => event.record_id = Some(number(i)?),
            VaryingSlot::Execution { process, thread } => {
                let (process, thread) = (number(process)?, number(thread)?);
                event.process_id = u32::try_from(process).ok();
                event.thread_id = u32::try_from(thread).ok();
            }
        }
        Some(())
    }
}

/// Appends the type, size and bytes of the values `field` reads (its dependency's too).
fn push_key(field: &SystemField, values: &[Raw<'_>], key: &mut Vec<u8>) {
    let attrs = field.attrs.iter().flat_map(|(_, parts)| parts);
    let indexes = attrs.chain(&field.text).filter_map(|part| match part {
        Part::Value(i) => Some(*i),
        Part::Text(_) => None,
    });
    for i in field.dependency.into_iter().chain(indexes) {
        match values.get(usize::from(i)) {
            Some(value) => {
                key.push(value.ty);
                key.extend_from_slice(&(value.bytes.len() as u32).to_le_bytes());
                key.extend_from_slice(value.bytes);
            }
            None => key.push(0xFF),
        }
    }
}

/// The System part of a record of `plan` with these values, as [`build_system`] builds it
/// whole; `None` when it does not fill. Kept in `memo` for the chunk's next records.
pub(super) fn system_event(
    plan: &SystemPlan,
    values: &[Raw<'_>],
    text: &mut String,
    memo: &mut SystemMemo,
) -> Option<Event> {
    let address = plan as *const SystemPlan as usize;
    let SystemMemo {
        plans,
        kept,
        next_plan,
        next_kept,
        key,
        builds,
    } = memo;
    let fields = match plans.iter().position(|p| p.plan == address) {
        Some(at) => &plans[at],
        None => {
            let told = PlanFields::of(plan, address);
            in_turn(plans, next_plan, KEPT_PLANS, told)
        }
    };
    if !fields.plain {
        return build_system(plan, values, text);
    }
    key.clear();
    for &at in &fields.fixed {
        push_key(&plan.fields[at], values, key);
    }
    let part = match kept.iter().position(|k| k.plan == address && k.key == *key) {
        Some(at) => &kept[at],
        None => {
            *builds += 1;
            let mut builder = EventBuilder::new();
            builder.saw_system();
            let mut budget = TEXT_BUDGET;
            let fixed = fields.fixed.iter().map(|&at| &plan.fields[at]);
            let filled = fill_fields(&mut builder, fixed, values, text, &mut budget);
            let part = Kept {
                plan: address,
                key: key.clone(),
                event: filled.map(|()| builder.finish()),
            };
            in_turn(kept, next_kept, KEPT_PARTS, part)
        }
    };
    let mut event = part.event.clone()?;
    let mut identity = Identity::of(&event);
    if set_varying(&fields.varying, values, &mut identity).is_none() {
        return build_system(plan, values, text);
    }
    identity.apply(&mut event);
    Some(event)
}

/// Sets the `varying` fields of `identity` from `values`; `None` when one does not read.
pub(super) fn set_varying(
    varying: &[Varying],
    values: &[Raw<'_>],
    identity: &mut Identity,
) -> Option<()> {
    set_varying_with(varying, |i| values.get(usize::from(i)).copied(), identity)
}

/// [`set_varying`] from values told by their index (`None` past the last).
pub(super) fn set_varying_with<'v>(
    varying: &[Varying],
    value: impl Fn(u16) -> Option<Raw<'v>>,
    identity: &mut Identity,
) -> Option<()> {
    varying.iter().try_for_each(|v| v.set(&value, identity))
}

/// The varying fields of `plan` when it is plain (see [`PlanFields`]), and the values that
/// only they read (not a part of another field; a dependency of any field on them is decided
/// by their type and size, which a caller compares).
pub(super) fn varying_of(plan: &SystemPlan) -> Option<(Vec<Varying>, Vec<u16>)> {
    let told = PlanFields::of(plan, 0);
    if !told.plain {
        return None;
    }
    let parts = |field: &SystemField| -> Vec<u16> {
        let attrs = field.attrs.iter().flat_map(|(_, parts)| parts);
        attrs
            .chain(&field.text)
            .filter_map(|part| match part {
                Part::Value(i) => Some(*i),
                Part::Text(_) => None,
            })
            .collect()
    };
    let mut varying_values = Vec::new();
    let mut others = Vec::new();
    for field in &plan.fields {
        match Varying::of(field) {
            Some(_) => varying_values.extend(parts(field)),
            None => others.extend(parts(field)),
        }
    }
    varying_values.retain(|i| !others.contains(i));
    varying_values.sort_unstable();
    varying_values.dedup();
    Some((told.varying, varying_values))
}

/// Puts `item` into `items` (at most `most` of them), in place of the one whose turn it is.
fn in_turn<'i, T>(items: &'i mut Vec<T>, next: &mut usize, most: usize, item: T) -> &'i T {
    let at = if items.len() < most {
        items.push(item);
        items.len() - 1
    } else {
        let at = *next % most;
        items[at] = item;
        *next = at + 1;
        at
    };
    &items[at]
}

#[cfg(test)]
mod tests {
    use super::super::random_system::{self, *};
    use super::super::value::ty;
    use super::*;

    /// For random plans and values, and later records that repeat some of a first record's
    /// values, the kept part with the record's varying fields is the part built whole.
    #[test]
    fn a_kept_system_part_is_the_one_built_whole() {
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        let (mut calls, mut varying_set) = (0u64, 0u64);
        let mut memo = SystemMemo::default();
        // The plans stay alive, as a run's templates do: the memo knows a plan by its address.
        let mut plans = Vec::new();
        for _ in 0..20_000 {
            let count = 1 + r.below(6);
            let types: Vec<u8> = (0..count).map(|_| *r.pick(TYPES)).collect();
            let plan = Box::new(plan(&mut r, count));
            let mut bytes: Vec<Vec<u8>> = types.iter().map(|&t| bytes_of(&mut r, t)).collect();
            // One memo for the plans in turn, as for the templates of a chunk.
            for _ in 0..6 {
                let values = raws(&types, &bytes);
                let builds = memo.builds;
                let kept = system_event(&plan, &values, &mut String::new(), &mut memo);
                assert_eq!(
                    kept,
                    build_system(&plan, &values, &mut String::new()),
                    "{plan:#?} {values:?}"
                );
                calls += 1;
                // Kept (not built) with a varying field set from the record.
                let told = PlanFields::of(&plan, 0);
                if kept.is_some() && told.plain && !told.varying.is_empty() && memo.builds == builds
                {
                    varying_set += 1;
                }
                // The next record: some of its values new.
                for (at, &t) in types.iter().enumerate() {
                    if r.below(4) == 0 {
                        bytes[at] = bytes_of(&mut r, t);
                    }
                }
            }
            plans.push(plan);
        }
        let kept = calls - memo.builds;
        assert!(kept > calls / 10, "{kept} of {calls} kept");
        assert!(varying_set > 500, "{varying_set} kept with varying fields");
    }

    type Attrs = Vec<(Box<str>, Vec<Part>)>;

    /// A field shaped as a varying one (or nearly: an extra attribute, literal text, two
    /// values), or any other field.
    fn tricky_field(r: &mut Rng, count: usize) -> SystemField {
        let v = |r: &mut Rng| vec![Part::Value(r.below(count) as u16)];
        let dependency = (r.below(3) == 0).then(|| r.below(count) as u16);
        let (element, attrs, text): (&str, Attrs, Vec<Part>) = match r.below(9) {
            0 | 1 => ("TimeCreated", vec![("SystemTime".into(), v(r))], vec![]),
            2 | 3 => ("EventRecordID", vec![], v(r)),
            4 | 5 => (
                "Execution",
                vec![("ProcessID".into(), v(r)), ("ThreadID".into(), v(r))],
                vec![],
            ),
            6 => {
                // Nearly varying.
                match r.below(4) {
                    0 => (
                        "TimeCreated",
                        vec![("SystemTime".into(), v(r)), ("Other".into(), v(r))],
                        vec![],
                    ),
                    1 => (
                        "EventRecordID",
                        vec![],
                        vec![Part::Value(r.below(count) as u16), Part::Text("0".into())],
                    ),
                    2 => (
                        "Execution",
                        vec![("ThreadID".into(), v(r)), ("ProcessID".into(), v(r))],
                        vec![],
                    ),
                    _ => ("Execution", vec![("ProcessID".into(), v(r))], vec![]),
                }
            }
            7 => ("EventID", vec![("Qualifiers".into(), v(r))], v(r)),
            _ => {
                let mut p = random_system::plan(r, count);
                let f = p.fields.swap_remove(0);
                return f;
            }
        };
        SystemField {
            element: element.into(),
            attrs,
            text,
            dependency,
        }
    }

    fn tricky_plan(r: &mut Rng, count: usize) -> SystemPlan {
        SystemPlan {
            open: 0,
            close: 0,
            fields: (0..1 + r.below(7))
                .map(|_| tricky_field(r, count))
                .collect(),
        }
    }

    /// Many live plans taking turns (more than the memo keeps), values whose types and number
    /// change from record to record, and plans biased to fields of the varying shapes.
    #[test]
    fn a_kept_part_is_whole_for_plans_in_turn_and_values_of_changing_types() {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        let mut memo = SystemMemo::default();
        let (mut calls, mut kept_calls) = (0u64, 0u64);
        for round in 0..3_000 {
            let count = 1 + r.below(6);
            let plans: Vec<Box<SystemPlan>> = (0..1 + r.below(12))
                .map(|_| {
                    Box::new(if r.below(4) == 0 {
                        random_system::plan(&mut r, count)
                    } else {
                        tricky_plan(&mut r, count)
                    })
                })
                .collect();
            // Typed values made to fit the varying fields most of the time.
            let mut types: Vec<u8> = (0..count)
                .map(|_| {
                    *r.pick(&[
                        ty::FILETIME,
                        ty::UINT64,
                        ty::UINT32,
                        ty::UINT16,
                        ty::STRING,
                        ty::NULL,
                        ty::HEX_INT64,
                    ])
                })
                .collect();
            let mut bytes: Vec<Vec<u8>> = types.iter().map(|&t| bytes_of(&mut r, t)).collect();
            for _ in 0..40 {
                let plan = &plans[r.below(plans.len())];
                let len = if r.below(8) == 0 {
                    r.below(count + 1)
                } else {
                    count
                };
                let values = raws(&types[..len], &bytes[..len]);
                let builds = memo.builds;
                let got = system_event(plan, &values, &mut String::new(), &mut memo);
                assert_eq!(
                    got,
                    build_system(plan, &values, &mut String::new()),
                    "round {round}: {plan:#?} {values:?}"
                );
                calls += 1;
                let told = PlanFields::of(plan, 0);
                if got.is_some() && memo.builds == builds && told.plain && !told.varying.is_empty()
                {
                    kept_calls += 1;
                }
                for at in 0..count {
                    match r.below(8) {
                        0 => {
                            types[at] = *r.pick(TYPES);
                            bytes[at] = bytes_of(&mut r, types[at]);
                        }
                        1 | 2 => bytes[at] = bytes_of(&mut r, types[at]),
                        _ => {}
                    }
                }
            }
            // Plans freed each round while the memo lives on (as they are not in a run: a
            // chunk keeps its templates) would be known by a reused address, so a fresh memo.
            memo = SystemMemo::default();
        }
        assert!(kept_calls > calls / 20, "{kept_calls} of {calls} kept");
    }
}
