//! Which record shapes are read here as the crate reads them: each compared once per run on
//! its first wanted record, or vouched for by the shapes compared before it.

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
/// A shape is compared once, on its first wanted record, unless the shapes compared before
/// vouch for every part of it ([`Record::parts`]): each of its templates found read right as
/// a record's or as an embedded fragment's, each value that holds a fragment found read right
/// holding one (not necessarily the same one), each value that holds an empty fragment found
/// read right holding none. The reading here is the same code for a template wherever it is
/// met, and a fragment is read the same in any value that holds one, so a shape made of parts
/// read right is read right; a log's records combine a few hundred templates into twice as
/// many shapes, and the comparison (the crate's rendering, and its XML read back) was the
/// largest single cost of reading a run of logs.
///
/// A shape found to read differently vouches for none of its parts and casts doubt on all of
/// them: a later shape that holds a doubted part is compared itself, whatever other shapes
/// vouch. (Between a thread's vouching for a shape and another's comparing it, a difference
/// found would come too late for the records already read; the doubt keeps it to those.)
#[derive(Debug, Default)]
pub(crate) struct Verdicts {
    known: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    by_shape: FastMap<u64, Verdict>,
    good_parts: FxHashSet<ShapePart>,
    doubted_parts: FxHashSet<ShapePart>,
    #[cfg(test)]
    compared: usize,
}

impl Known {
    /// Whether every one of `parts` is good, or in `comparing`, and none is doubted.
    fn vouched(&self, parts: &[ShapePart], comparing: &FxHashSet<ShapePart>) -> bool {
        parts.iter().all(|part| {
            (self.good_parts.contains(part) || comparing.contains(part))
                && !self.doubted_parts.contains(part)
        })
    }
}

impl Verdicts {
    /// The verdict kept for `shape`: `Unknown` when it has been neither compared nor vouched
    /// for yet (without asking whether it could be: see [`Verdicts::vouch`]).
    pub(crate) fn of_shape(&self, shape: u64) -> Verdict {
        self.known
            .lock()
            .ok()
            .and_then(|known| known.by_shape.get(&shape).copied())
            .unwrap_or(Verdict::Unknown)
    }

    /// The verdict on `record`'s shape: `Good` too when it has not been compared but the
    /// shapes compared before vouch for it (and then kept as its verdict).
    pub(crate) fn get(&self, record: &Record<'_>) -> Verdict {
        match self.of_shape(record.shape) {
            Verdict::Unknown => {
                let parts = record.parts();
                self.vouch(record.shape, parts.as_deref(), &FxHashSet::default())
                    .0
            }
            verdict => verdict,
        }
    }

    /// The verdict on the shape `shape`, whose parts are `parts` (`None`: never vouched for):
    /// its own when it has one; `Good` when the shapes compared before vouch for all its
    /// parts (then kept as its verdict); else `Unknown`, with whether those and the shapes
    /// about to be compared, whose parts are `comparing`, vouch for it together.
    pub(crate) fn vouch(
        &self,
        shape: u64,
        parts: Option<&[ShapePart]>,
        comparing: &FxHashSet<ShapePart>,
    ) -> (Verdict, bool) {
        let Ok(mut known) = self.known.lock() else {
            return (Verdict::Unknown, false);
        };
        if let Some(verdict) = known.by_shape.get(&shape) {
            return (*verdict, false);
        }
        let Some(parts) = parts else {
            return (Verdict::Unknown, false);
        };
        if known.vouched(parts, &FxHashSet::default()) {
            known.by_shape.insert(shape, Verdict::Good);
            return (Verdict::Good, false);
        }
        let covered = !comparing.is_empty() && known.vouched(parts, comparing);
        (Verdict::Unknown, covered)
    }

    /// Whether the shapes compared before and those about to be compared, whose parts are
    /// `comparing`, vouch for `record`'s shape together (not before).
    #[cfg(test)]
    pub(crate) fn covered(&self, record: &Record<'_>, comparing: &FxHashSet<ShapePart>) -> bool {
        let parts = record.parts();
        let (verdict, covered) = self.vouch(record.shape, parts.as_deref(), comparing);
        verdict == Verdict::Unknown && covered
    }

    /// How many comparisons have been recorded.
    #[cfg(test)]
    pub(crate) fn compared(&self) -> usize {
        self.known.lock().map_or(0, |k| k.compared)
    }

    /// Records the verdict on a shape from the comparison of its record (`None` when it could
    /// not be read here at all); a `Bad` one is never taken back.
    pub(crate) fn set(&self, shape: u64, record: Option<&Record<'_>>, verdict: Verdict) {
        let parts = record.and_then(Record::parts);
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
        let entry = *entry;
        if let Some(parts) = parts {
            match entry {
                Verdict::Good => known.good_parts.extend(parts),
                _ => known.doubted_parts.extend(parts),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::Nested;
    use super::super::template::Template;
    use super::super::value::{ty, Raw};
    use super::*;

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
            def: 0,
        }
    }

    /// Asserts the verdict on a record of each (shape, template, inner template) of `cases`.
    fn assert_each(
        verdicts: &Verdicts,
        t: &Template,
        cases: &[(u64, u32, Option<u32>)],
        expected: Verdict,
    ) {
        for &(shape, id, inner) in cases {
            let r = record(t, shape, id, inner);
            assert_eq!(verdicts.get(&r), expected, "{:?}", r.parts());
        }
    }

    /// The parts of `record`, as the set of a chunk's parts about to be compared.
    fn parts_of(record: &Record<'_>) -> FxHashSet<ShapePart> {
        record.parts().expect("parts").into_iter().collect()
    }

    const A: u32 = 1;
    const B: u32 = 2;
    const C: u32 = 3;
    const D: u32 = 4;

    /// Templates found good in some shapes vouch for a new shape made of them, held in the
    /// same places: it is good without being compared.
    #[test]
    fn a_shape_made_of_parts_found_good_is_not_compared() {
        let t = Template::bare();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, Some(B))), Verdict::Good);
        verdicts.set(2, Some(&record(&t, 2, C, Some(D))), Verdict::Good);
        assert_each(
            &verdicts,
            &t,
            &[(3, A, Some(D)), (4, C, Some(B))],
            Verdict::Good,
        );
    }

    /// A template met before only as a fragment, or without a fragment in a place that now
    /// holds one, vouches for nothing new: such a shape is compared.
    #[test]
    fn a_part_met_only_elsewhere_is_compared() {
        let t = Template::bare();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, None)), Verdict::Good);
        verdicts.set(2, Some(&record(&t, 2, C, Some(B))), Verdict::Good);
        // A never held a fragment; B was never a record's own template; C's value never
        // held an empty one.
        assert_each(
            &verdicts,
            &t,
            &[(3, A, Some(B)), (4, B, None), (5, D, None), (6, C, None)],
            Verdict::Unknown,
        );
    }

    /// A shape found to read differently vouches for none of its parts and casts doubt on
    /// them: it stays bad, and a shape holding one of its parts is compared, however other
    /// shapes vouch.
    #[test]
    fn a_bad_shape_vouches_for_nothing() {
        let t = Template::bare();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, Some(B))), Verdict::Bad);
        assert_eq!(verdicts.get(&record(&t, 2, A, Some(B))), Verdict::Unknown);
        verdicts.set(2, Some(&record(&t, 2, A, Some(B))), Verdict::Good);
        verdicts.set(3, Some(&record(&t, 3, C, Some(D))), Verdict::Good);
        assert_eq!(verdicts.get(&record(&t, 1, A, Some(B))), Verdict::Bad);
        assert_each(
            &verdicts,
            &t,
            &[(4, A, Some(D)), (5, C, Some(B))],
            Verdict::Unknown,
        );
        assert!(!verdicts.covered(&record(&t, 4, A, Some(D)), &FxHashSet::default()));
    }

    /// A fragment inside a fragment is held by its own host's value: the parts of a deeper
    /// shape name each level's host, and a shape is vouched for by parts met at other depths
    /// only where the same templates hold the same places.
    #[test]
    fn fragments_inside_fragments_are_parts_of_their_hosts() {
        let t = Template::bare();
        // A holds B in its value 1; B holds C in its value 0.
        let deep = |shape: u64, inner: u32| {
            let mut r = record(&t, shape, A, Some(B));
            r.nested[0].values = vec![Raw {
                ty: ty::BINXML,
                bytes: b"fragment",
                offset: 40,
            }];
            r.nested.push(Nested {
                template: &t,
                values: Vec::new(),
                at: 40,
                id: inner,
                depth: 1,
            });
            r
        };
        let parts = deep(1, C).parts().expect("parts");
        for part in [
            ShapePart::Record(A),
            ShapePart::Fragment(B),
            ShapePart::Holds(A, 1),
            ShapePart::Fragment(C),
            ShapePart::Holds(B, 0),
        ] {
            assert!(parts.contains(&part), "{part:?} in {parts:?}");
        }
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&deep(1, C)), Verdict::Good);
        verdicts.set(2, Some(&record(&t, 2, D, Some(D))), Verdict::Good);
        assert_eq!(verdicts.get(&deep(3, D)), Verdict::Good);
        // B's value 0 empty, within A: never met.
        let mut empty_inside = record(&t, 4, A, Some(B));
        empty_inside.nested[0].values = vec![Raw {
            ty: ty::BINXML,
            bytes: b"",
            offset: 40,
        }];
        let parts = empty_inside.parts().expect("parts");
        assert!(parts.contains(&ShapePart::Empty(B, 0)), "{parts:?}");
        assert_eq!(verdicts.get(&empty_inside), Verdict::Unknown);
    }

    /// A shape is covered by parts found good and parts about to be compared together; not
    /// by either alone when it holds both.
    #[test]
    fn parts_about_to_be_compared_cover_a_shape() {
        let t = Template::bare();
        let verdicts = Verdicts::default();
        verdicts.set(1, Some(&record(&t, 1, A, None)), Verdict::Good);
        let new = record(&t, 2, A, Some(B));
        assert!(!verdicts.covered(&new, &FxHashSet::default()));
        let comparing = parts_of(&record(&t, 3, C, Some(B)));
        assert!(
            !verdicts.covered(&new, &comparing),
            "A never held a fragment"
        );
        let comparing = parts_of(&record(&t, 3, A, Some(D)));
        assert!(!verdicts.covered(&new, &comparing), "B was never compared");
        let mut both = comparing;
        both.extend(record(&t, 4, C, Some(B)).parts().unwrap());
        assert!(verdicts.covered(&new, &both));
    }
}
