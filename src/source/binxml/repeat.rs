//! Records that repeat an earlier record of their chunk but for their identity.
//!
//! A flood of one event (a scanner's TLS probes, a service failing in a loop) repeats every
//! value of its records but those of the time, the record id, the process and the thread. The
//! `Event` such a record builds is then the earlier one's with another [`Identity`]: a sink that
//! takes repeats ([`crate::source::EventSink::takes_repeats`]) is handed the earlier event and
//! the identity instead of a new event, and can reuse what it made of the earlier one.
//!
//! A record repeats a kept one when its shape is the same, and so are the bytes of its values
//! where they lie in the chunk (their table of types and sizes, then the values one after
//! another, its embedded fragments among them) but for the values that only the varying
//! System fields read (see `system_memo::varying_of`), of which the type and size are. The
//! identity is read from those as building the System part reads them.
//!
//! A record is first looked for among the kept ones by its bytes alone, before it is read
//! ([`Repeats::find_placed`]): where a kept record's values lie is known, so a repeat's are
//! compared in place and only its varying values are read. A flood's records then cost a
//! comparison of their bytes; a record found so is one that reading it would find too.

use std::sync::Arc;

use super::record::{instance_head, Record};
use super::system_memo::{set_varying, set_varying_with, varying_of, Varying};
use super::template::Template;
use super::value::{size_fits, ty, Raw};
use crate::event::Event;
use crate::evtx_format::token;
use crate::source::Identity;

/// The events kept in one chunk for later records to repeat, in the order they were kept.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    kept: Vec<Kept>,
    /// What is known of each template met (by address: templates outlive the chunk).
    templates: Vec<(usize, Option<Arc<Varied>>)>,
}

/// The most events kept per chunk: a flood's few event ids, and room for others besides.
const MOST_KEPT: usize = 8;

/// An event kept: the record's shape, its values (type, size and bytes, but those left out),
/// and the event, boxed so that it stays where it is while more are kept.
#[derive(Debug)]
struct Kept {
    shape: u64,
    key: Vec<u8>,
    event: Box<Event>,
    /// Where its values lie, to find its repeats by their bytes; `None` when they cannot be
    /// (see [`Placed::of`]).
    placed: Option<Placed>,
}

/// Where a kept record's values lie, each relative to the start of their table of types and
/// sizes: a later record of the same template whose values lie the same way, with the same
/// bytes but for those left out of the key, repeats it.
#[derive(Debug)]
struct Placed {
    /// The chunk offset of the template's definition, as the record names it.
    def: u32,
    /// Each value's type, offset and size.
    values: Vec<(u8, usize, usize)>,
    /// The pieces of the span that make the key (offset and size each), in order.
    pieces: Vec<(usize, usize)>,
    /// Where the last value ends.
    end: usize,
    varied: Arc<Varied>,
}

/// A template's varying System fields and the values only they read, left out of the key.
#[derive(Debug)]
struct Varied {
    varying: Vec<Varying>,
    left_out: Vec<u16>,
}

impl Repeats {
    /// The kept event that `record` (of id `record_id`) repeats, by its place, and the
    /// record's identity; `None` when it repeats none.
    pub(crate) fn find(
        &mut self,
        record: &Record<'_>,
        chunk: &[u8],
        record_id: u64,
    ) -> Option<(usize, Identity)> {
        if !self.kept.iter().any(|k| k.shape == record.shape) {
            return None;
        }
        let varied = self.varied(record.template)?;
        let spans = keyed_spans(record, chunk, &varied.left_out)?;
        let at = self
            .kept
            .iter()
            .position(|k| k.shape == record.shape && holds(&k.key, &spans))?;
        let mut identity = Identity::of(&self.kept[at].event);
        set_varying(&varied.varying, &record.values, &mut identity)?;
        identity.origin_record = Some(record_id);
        Some((at, identity))
    }

    /// Keeps `event`, built from `record`, for later records to repeat: its place, or the
    /// event back when it cannot be kept (the chunk keeps enough, its template's System part
    /// is not plain or it does not say which values the rest reads, or the record has no
    /// values).
    pub(crate) fn keep(
        &mut self,
        record: &Record<'_>,
        chunk: &[u8],
        event: Box<Event>,
    ) -> Result<usize, Box<Event>> {
        if self.kept.len() >= MOST_KEPT {
            return Err(event);
        }
        let Some(varied) = self.varied(record.template) else {
            return Err(event);
        };
        let Some(spans) = keyed_spans(record, chunk, &varied.left_out) else {
            return Err(event);
        };
        let key = spans.concat();
        // A record of the shape and key of one kept before is found as that one's repeat:
        // only the first kept of each is looked for by its bytes, as reading finds the first.
        let first = !self
            .kept
            .iter()
            .any(|k| k.shape == record.shape && k.key == key);
        self.kept.push(Kept {
            shape: record.shape,
            key,
            event,
            placed: first.then(|| Placed::of(record, &varied)).flatten(),
        });
        Ok(self.kept.len() - 1)
    }

    /// The kept event that the record at `chunk[start..stop]` (of id `record_id`) repeats,
    /// and its identity, told from its bytes before it is read: `Some` only where
    /// [`Repeats::find`] on the record read would give the same; `None` says nothing (the
    /// record is then read, and looked for by `find`).
    pub(crate) fn find_placed(
        &self,
        chunk: &[u8],
        start: usize,
        stop: usize,
        record_id: u64,
    ) -> Option<(usize, Identity)> {
        if self.kept.is_empty() {
            return None;
        }
        let (def, mut cur) = instance_head(chunk, start, stop)?;
        let count = cur.u32()? as usize;
        let table = cur.pos();
        let (at, kept, placed) = self.kept.iter().enumerate().find_map(|(at, kept)| {
            let placed = kept.placed.as_ref()?;
            let same = placed.def == def
                && placed.values.len() == count
                && placed.holds(&kept.key, chunk, table, stop);
            same.then_some((at, kept, placed))
        })?;
        // Within the span `holds` compared, so within the chunk.
        let value = |i: u16| {
            let &(ty, offset, size) = placed.values.get(usize::from(i))?;
            let at = table + offset;
            let bytes = chunk.get(at..at + size)?;
            Some(Raw {
                ty,
                bytes,
                offset: at,
            })
        };
        // The values left out of the key have the kept one's types and sizes; reading would
        // also require them well-formed.
        let well_formed = placed
            .varied
            .left_out
            .iter()
            .all(|&i| value(i).is_some_and(|v| size_fits(v.ty, v.bytes)));
        if !well_formed {
            return None;
        }
        let mut identity = Identity::of(&kept.event);
        set_varying_with(&placed.varied.varying, value, &mut identity)?;
        identity.origin_record = Some(record_id);
        Some((at, identity))
    }

    /// The event kept at `at`.
    pub(crate) fn event(&self, at: usize) -> Option<&Event> {
        self.kept.get(at).map(|k| &*k.event)
    }

    /// What is known of `template` (told once per chunk).
    fn varied(&mut self, template: &Template) -> Option<Arc<Varied>> {
        let address = template as *const Template as usize;
        if let Some((_, known)) = self.templates.iter().find(|(at, _)| *at == address) {
            return known.clone();
        }
        let varied = varied_of(template).map(Arc::new);
        self.templates.push((address, varied.clone()));
        varied
    }
}

impl Placed {
    /// Where `record`'s values lie (`varied` its template's); `None` when a value left out of
    /// the key holds a fragment, which the record's shape reads.
    fn of(record: &Record<'_>, varied: &Arc<Varied>) -> Option<Placed> {
        let values = &record.values;
        let table = values
            .first()?
            .offset
            .checked_sub(values.len().checked_mul(4)?)?;
        let values: Vec<(u8, usize, usize)> = values
            .iter()
            .map(|v| Some((v.ty, v.offset.checked_sub(table)?, v.bytes.len())))
            .collect::<Option<_>>()?;
        let mut pieces = Vec::with_capacity(varied.left_out.len() + 1);
        let mut from = 0;
        for &i in &varied.left_out {
            let (ty, at, size) = *values.get(usize::from(i))?;
            if ty == ty::BINXML {
                return None;
            }
            pieces.push((from, at.checked_sub(from)?));
            from = at + size;
        }
        let (_, at, size) = *values.last()?;
        let end = at + size;
        pieces.push((from, end.checked_sub(from)?));
        Some(Placed {
            def: record.def,
            values,
            pieces,
            end,
            varied: Arc::clone(varied),
        })
    }

    /// Whether the values whose table starts at `chunk[table]`, in a fragment ending at
    /// `stop`, lie as these do and hold `key` in the pieces that make it, with nothing but
    /// the fragment's end after them (as reading requires).
    fn holds(&self, key: &[u8], chunk: &[u8], table: usize, stop: usize) -> bool {
        let Some(end) = table.checked_add(self.end).filter(|&end| end <= stop) else {
            return false;
        };
        let Some(span) = chunk.get(table..end) else {
            return false;
        };
        if end < stop && chunk.get(end) != Some(&token::EOF) {
            return false;
        }
        let mut rest = key;
        for &(from, size) in &self.pieces {
            match rest.split_at_checked(size) {
                Some((held, tail)) if span.get(from..from + size) == Some(held) => rest = tail,
                _ => return false,
            }
        }
        rest.is_empty()
    }
}

/// A template's [`Varied`]: `None` when its System part is not plain, or it does not say
/// which values its other parts read.
fn varied_of(template: &Template) -> Option<Varied> {
    let (varying, mut left_out) = varying_of(template.system.as_ref()?)?;
    let payload = template.payload_values.as_deref()?;
    left_out.retain(|i| !payload.contains(i));
    Some(Varied { varying, left_out })
}

/// The bytes of `record`'s values where they lie in `chunk`, from their table of types and
/// sizes to the end of the last, in pieces around the values `left_out` (sorted); `None` when
/// they do not lie there as read (a record without values, or not read from this chunk).
fn keyed_spans<'c>(
    record: &Record<'_>,
    chunk: &'c [u8],
    left_out: &[u16],
) -> Option<Vec<&'c [u8]>> {
    let values = &record.values;
    let (first, last) = (values.first()?, values.last()?);
    let start = first.offset.checked_sub(values.len().checked_mul(4)?)?;
    let end = last.offset.checked_add(last.bytes.len())?;
    let mut spans = Vec::with_capacity(left_out.len() + 1);
    let mut from = start;
    for &i in left_out {
        let value = values.get(usize::from(i))?;
        spans.push(chunk.get(from..value.offset)?);
        from = value.offset.checked_add(value.bytes.len())?;
    }
    spans.push(chunk.get(from..end)?);
    // The values read where they lie: the spans are the record's own bytes.
    let placed = |v: &Raw<'_>| chunk.get(v.offset..v.offset + v.bytes.len()) == Some(v.bytes);
    (placed(first) && placed(last)).then_some(spans)
}

/// Whether `key` holds exactly the keyed bytes `spans` (of [`keyed_spans`]).
fn holds(key: &[u8], spans: &[&[u8]]) -> bool {
    let mut rest = key;
    for span in spans {
        match rest.split_at_checked(span.len()) {
            Some((held, tail)) if held == *span => rest = tail,
            _ => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::super::value::ty;
    use super::*;

    /// A chunk holding value lists (a count-less table of types and sizes, then the values),
    /// each read back as a record's values.
    fn lay_out(lists: &[&[&[u8]]]) -> (Vec<u8>, Vec<Vec<(usize, usize)>>) {
        let mut chunk = vec![0xAA; 16];
        let mut places = Vec::new();
        for list in lists {
            for value in *list {
                chunk.extend_from_slice(&(value.len() as u16).to_le_bytes());
                chunk.extend_from_slice(&[ty::BINARY, 0]);
            }
            let mut at = Vec::new();
            for value in *list {
                at.push((chunk.len(), value.len()));
                chunk.extend_from_slice(value);
            }
            chunk.extend_from_slice(&[0xAA; 8]);
            places.push(at);
        }
        (chunk, places)
    }

    fn record<'c>(template: &'c Template, chunk: &'c [u8], at: &[(usize, usize)]) -> Record<'c> {
        let values = at
            .iter()
            .map(|&(offset, len)| Raw {
                ty: ty::BINARY,
                bytes: &chunk[offset..offset + len],
                offset,
            })
            .collect();
        Record {
            template,
            values,
            nested: Vec::new(),
            shape: 1,
            id: 0,
            def: 0,
        }
    }

    /// A record whose keyed bytes are the start of a kept record's (fewer values, each the
    /// same size as the kept one's first ones, their bytes those that follow in the kept
    /// key) does not repeat it: the whole key must be held.
    #[test]
    fn a_record_that_holds_only_the_start_of_a_key_does_not_repeat_it() {
        let template = Template::bare();
        let kept: [&[u8]; 3] = [b"abcd", b"efgh", b"ijkl"];
        // The kept key: its table (three entries of 4 bytes), then its values.
        let third_entry: &[u8] = &[4, 0, ty::BINARY, 0];
        let shorter: [&[u8]; 2] = [third_entry, b"abcd"];
        let (chunk, places) = lay_out(&[&kept, &kept, &shorter]);
        let base = record(&template, &chunk, &places[0]);
        let key = keyed_spans(&base, &chunk, &[]).unwrap().concat();
        let spans_of = |places: &[(usize, usize)]| {
            keyed_spans(&record(&template, &chunk, places), &chunk, &[]).unwrap()
        };
        assert!(holds(&key, &spans_of(&places[1])));
        let short = spans_of(&places[2]);
        assert!(
            key.starts_with(&short.concat()),
            "the shorter record's bytes start the key"
        );
        assert!(!holds(&key, &short));
    }
}
