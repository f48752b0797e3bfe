//! The System part of built events, kept from record to record. The records of one template
//! in a chunk mostly repeat their System values (provider, channel, computer, user, level,
//! keywords) but for their time, record id, process and thread: those are read from the
//! record, the rest is the last record's when its values are the same bytes.

use jiff::Timestamp;

use super::record::{fill_fields, TEXT_BUDGET};
use super::template::{Part, SystemField, SystemPlan};
use super::value::Raw;
use crate::event::Event;
use crate::source::assemble::EventBuilder;

/// The System part last built in a chunk, and the values it was built from.
#[derive(Debug, Default)]
pub(crate) struct SystemMemo {
    /// The plan it was built by (its address: plans live as long as the run).
    plan: usize,
    /// The type, size and bytes of each value of its fields that are not [`Varying`].
    key: Vec<u8>,
    /// The next record's key, read before it is compared.
    next_key: Vec<u8>,
    /// Its event without the [`Varying`] fields; `None` when the last record's did not fill.
    event: Option<Event>,
    /// Whether the plan at this address has its varying fields plainly: each of their
    /// elements once, as a [`Varying`].
    plain: Option<(usize, bool)>,
    /// How many times the System part was built (the rest were kept ones).
    pub(super) builds: u64,
}

/// A System field that differs from record to record, written plainly enough (one value,
/// no dependency) to be read on its own, as building the whole part reads it.
#[derive(Debug, Clone, Copy)]
enum Varying {
    /// `TimeCreated/@SystemTime`.
    Time(u16),
    /// `EventRecordID`.
    RecordId(u16),
    /// `Execution/@ProcessID` and `@ThreadID`.
    Execution { process: u16, thread: u16 },
}

/// The elements whose fields can be [`Varying`].
const VARYING_ELEMENTS: [&str; 3] = ["TimeCreated", "EventRecordID", "Execution"];

impl Varying {
    /// Whether every field of `plan` of a varying element is a [`Varying`], the only one of
    /// its element: then the fields filled apart set nothing the others set.
    fn plain_in(plan: &SystemPlan) -> bool {
        let mut seen = [false; VARYING_ELEMENTS.len()];
        plan.fields.iter().all(|field| {
            match VARYING_ELEMENTS.iter().position(|e| *e == &*field.element) {
                Some(at) => Varying::of(field).is_some() && !std::mem::replace(&mut seen[at], true),
                None => true,
            }
        })
    }

    fn of(field: &SystemField) -> Option<Varying> {
        if field.dependency.is_some() {
            return None;
        }
        let one = |parts: &[Part]| match parts {
            [Part::Value(i)] => Some(*i),
            _ => None,
        };
        match (
            &*field.element,
            field.attrs.as_slice(),
            field.text.as_slice(),
        ) {
            ("TimeCreated", [(attr, parts)], []) if &**attr == "SystemTime" => {
                Some(Varying::Time(one(parts)?))
            }
            ("EventRecordID", [], text) => Some(Varying::RecordId(one(text)?)),
            ("Execution", [(a, process), (b, thread)], [])
                if &**a == "ProcessID" && &**b == "ThreadID" =>
            {
                Some(Varying::Execution {
                    process: one(process)?,
                    thread: one(thread)?,
                })
            }
            _ => None,
        }
    }

    /// Sets this field of `event` from `values` as the builder would; `None` for a value of
    /// another type than the builder reads directly (the caller then builds the part whole).
    fn set(self, values: &[Raw<'_>], event: &mut Event) -> Option<()> {
        let number = |i: u16| values.get(usize::from(i)).and_then(Raw::number);
        match self {
            Varying::Time(i) => {
                let time: Timestamp = values.get(usize::from(i)).and_then(Raw::filetime)?;
                event.time = Some(time);
            }
            Varying::RecordId(i) => event.record_id = Some(number(i)?),
            Varying::Execution { process, thread } => {
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

/// The System part of a record of `plan` with these values, as [`fill_fields`] builds it
/// whole (after `saw_system`); `None` when it does not fill.
pub(super) fn system_event(
    plan: &SystemPlan,
    values: &[Raw<'_>],
    text: &mut String,
    memo: &mut SystemMemo,
) -> Option<Event> {
    let address = plan as *const SystemPlan as usize;
    let plain = match memo.plain {
        Some((at, plain)) if at == address => plain,
        _ => {
            let plain = Varying::plain_in(plan);
            memo.plain = Some((address, plain));
            plain
        }
    };
    if !plain {
        return whole(plan, values, text);
    }
    let mut key = std::mem::take(&mut memo.next_key);
    key.clear();
    for field in plan.fields.iter().filter(|f| Varying::of(f).is_none()) {
        push_key(field, values, &mut key);
    }
    if memo.plan != address || memo.key != key || memo.event.is_none() {
        memo.builds += 1;
        let mut builder = EventBuilder::new();
        builder.saw_system();
        let mut budget = TEXT_BUDGET;
        let fixed = plan.fields.iter().filter(|f| Varying::of(f).is_none());
        let filled = fill_fields(&mut builder, fixed, values, text, &mut budget);
        memo.event = filled.map(|()| builder.finish());
        memo.plan = address;
        std::mem::swap(&mut memo.key, &mut key);
    }
    memo.next_key = key;
    let mut event = memo.event.clone()?;
    for varying in plan.fields.iter().filter_map(Varying::of) {
        if varying.set(values, &mut event).is_none() {
            return whole(plan, values, text);
        }
    }
    Some(event)
}

/// The System part built whole.
fn whole(plan: &SystemPlan, values: &[Raw<'_>], text: &mut String) -> Option<Event> {
    let mut builder = EventBuilder::new();
    builder.saw_system();
    let mut budget = TEXT_BUDGET;
    fill_fields(&mut builder, plan.fields.iter(), values, text, &mut budget)?;
    Some(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::super::random_system::*;
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
                    whole(&plan, &values, &mut String::new()),
                    "{plan:#?} {values:?}"
                );
                calls += 1;
                // Kept (not built) with a varying field set from the record.
                let varying = plan.fields.iter().any(|f| Varying::of(f).is_some());
                if kept.is_some() && varying && memo.builds == builds {
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
        assert!(varying_set > 1000, "{varying_set} kept with varying fields");
    }
}
