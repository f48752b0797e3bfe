//! Which record shapes are read here as the crate reads them: each compared once per run on
//! its first record, or vouched for by the shapes compared before it.

use std::sync::Mutex;

use rustc_hash::FxHashSet;

use super::record::{Record, ShapePart};
use super::FastMap;

/// What is known about reading one record shape here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not yet compared with the crate's reading.
    Unknown,
    /// Read here, equal to the crate's reading.
    Good,
    /// Read differently here, or not readable here: always read by the crate.
    Bad,
}

/// The verdicts of one run, by record shape.
///
/// A shape is compared once, on its first record, unless every part of it has already been
/// found good in shapes compared before ([`Record::parts`]: each template as a record's or as
/// an embedded fragment's, and each value of a template that holds a fragment): the reading
/// here is the same code for a template wherever it is met, so a shape made of parts read
/// right is read right. A log's records combine a few hundred templates into twice as many
/// shapes, and the comparison (the crate's rendering and its XML read back) was the largest
/// single cost of reading a run of logs. A part of a shape found to read differently is never
/// vouched for by it; any new shape holding that part is compared itself.
#[derive(Debug, Default)]
pub(crate) struct Verdicts {
    known: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    by_shape: FastMap<u64, Verdict>,
    good_parts: FxHashSet<ShapePart>,
    #[cfg(test)]
    compared: usize,
}

impl Verdicts {
    /// The verdict on `record`'s shape: `Good` too when it has not been compared but all its
    /// parts have been found good (and then kept as its verdict).
    pub(crate) fn get(&self, record: &Record<'_>) -> Verdict {
        let Ok(mut known) = self.known.lock() else {
            return Verdict::Unknown;
        };
        if let Some(verdict) = known.by_shape.get(&record.shape) {
            return *verdict;
        }
        if record
            .parts()
            .iter()
            .all(|part| known.good_parts.contains(part))
        {
            known.by_shape.insert(record.shape, Verdict::Good);
            return Verdict::Good;
        }
        Verdict::Unknown
    }

    /// Whether every part of `record`'s shape has been found good or is in `comparing` (the
    /// parts of shapes about to be compared).
    pub(crate) fn covered(&self, record: &Record<'_>, comparing: &FxHashSet<ShapePart>) -> bool {
        let Ok(known) = self.known.lock() else {
            return false;
        };
        record
            .parts()
            .iter()
            .all(|part| known.good_parts.contains(part) || comparing.contains(part))
    }

    /// How many record shapes have been compared.
    #[cfg(test)]
    pub(crate) fn compared(&self) -> usize {
        self.known.lock().map_or(0, |k| k.compared)
    }

    /// Records the verdict on a shape from the comparison of its record (`None` when it could
    /// not be read here at all); a `Bad` one is never taken back.
    pub(crate) fn set(&self, shape: u64, record: Option<&Record<'_>>, verdict: Verdict) {
        let Ok(mut known) = self.known.lock() else {
            return;
        };
        #[cfg(test)]
        {
            known.compared += 1;
        }
        let entry = known.by_shape.entry(shape).or_insert(verdict);
        if *entry != Verdict::Bad {
            *entry = verdict;
        }
        if let (Verdict::Good, Some(record)) = (*entry, record) {
            let parts = record.parts();
            let placed = parts.iter().filter(|p| **p != ShapePart::Unplaced);
            known.good_parts.extend(placed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::Nested;
    use super::super::template::{Head, Slot, Template};
    use super::super::value::{ty, Raw};
    use super::*;

    fn template() -> Template {
        Template {
            toks: Vec::new(),
            head: Head {
                provider: Slot::Unknown,
                event_id: Slot::Unknown,
                channel: Slot::Unknown,
                guards: Vec::new(),
            },
            system: None,
            payload_values: None,
        }
    }

    /// A record of shape `shape` and template `id` whose value 1 holds a fragment of template
    /// `inner`, or nothing.
    fn record(t: &Template, shape: u64, id: u32, inner: Option<u32>) -> Record<'_> {
        let fragment: &[u8] = if inner.is_some() { b"fragment" } else { b"" };
        let values = vec![
            Raw {
                ty: ty::STRING,
                bytes: b"a\0",
                offset: 10,
            },
            Raw {
                ty: ty::BINXML,
                bytes: fragment,
                offset: 20,
            },
        ];
        let nested = inner.map(|id| Nested {
            template: t,
            values: Vec::new(),
            at: 20,
            id,
            depth: 0,
        });
        Record {
            template: t,
            values,
            nested: nested.into_iter().collect(),
            shape,
            id,
        }
    }

    const A: u32 = 1;
    const B: u32 = 2;
    const C: u32 = 3;
    const D: u32 = 4;

    /// Templates found good in some shapes vouch for a new shape made of them, held in the
    /// same places: it is good without being compared.
    #[test]
    fn a_shape_made_of_parts_found_good_is_not_compared() {
        let t = template();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, Some(B))), Verdict::Good);
        verdicts.set(2, Some(&record(&t, 2, C, Some(D))), Verdict::Good);
        for (shape, id, inner) in [(3, A, Some(D)), (4, C, Some(B)), (5, A, None)] {
            let r = record(&t, shape, id, inner);
            assert_eq!(verdicts.get(&r), Verdict::Good, "{:?}", r.parts());
        }
        assert_eq!(verdicts.compared(), 2);
    }

    /// A template met before only as a fragment, or without a fragment in a place that now
    /// holds one, vouches for nothing new: such a shape is compared.
    #[test]
    fn a_part_met_only_elsewhere_is_compared() {
        let t = template();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, None)), Verdict::Good);
        verdicts.set(2, Some(&record(&t, 2, C, Some(B))), Verdict::Good);
        // A never held a fragment; B was never a record's own template.
        for (shape, id, inner) in [(3, A, Some(B)), (4, B, None), (5, D, None)] {
            let r = record(&t, shape, id, inner);
            assert_eq!(verdicts.get(&r), Verdict::Unknown, "{:?}", r.parts());
        }
    }

    /// A shape found to read differently vouches for none of its parts, and stays bad when
    /// other shapes vouch for all of them.
    #[test]
    fn a_bad_shape_vouches_for_nothing() {
        let t = template();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, Some(B))), Verdict::Bad);
        assert_eq!(verdicts.get(&record(&t, 2, A, Some(B))), Verdict::Unknown);
        verdicts.set(2, Some(&record(&t, 2, A, Some(B))), Verdict::Good);
        assert_eq!(verdicts.get(&record(&t, 1, A, Some(B))), Verdict::Bad);
        assert_eq!(verdicts.get(&record(&t, 3, A, Some(B))), Verdict::Good);
    }

    /// A shape is covered by parts found good and parts about to be compared together; not
    /// by either alone when it holds both.
    #[test]
    fn parts_about_to_be_compared_cover_a_shape() {
        let t = template();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, None)), Verdict::Good);
        let new = record(&t, 2, A, Some(B));
        assert!(!verdicts.covered(&new, &FxHashSet::default()));
        let comparing: FxHashSet<ShapePart> =
            record(&t, 3, C, Some(B)).parts().into_iter().collect();
        assert!(
            !verdicts.covered(&new, &comparing),
            "A never held a fragment"
        );
        let comparing: FxHashSet<ShapePart> =
            record(&t, 3, A, Some(D)).parts().into_iter().collect();
        assert!(!verdicts.covered(&new, &comparing), "B was never compared");
        let mut both = comparing;
        both.extend(record(&t, 4, C, Some(B)).parts());
        assert!(verdicts.covered(&new, &both));
    }
}
