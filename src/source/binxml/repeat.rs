//! Records that repeat an earlier record of their chunk but for their identity.
//!
//! A flood of one event (a scanner's TLS probes, a service failing in a loop) repeats every
//! value of its records but those of the time, the record id, the process and the thread. The
//! `Event` such a record builds is then the earlier one's with another [`Identity`]: a sink that
//! takes repeats ([`crate::source::EventSink::takes_repeats`]) is handed the earlier event and
//! the identity instead of a new event, and can reuse what it made of the earlier one.
//!
//! A record repeats a kept one when its shape is the same, and the type, size and bytes of
//! every value are, but for the values that only the varying System fields read (see
//! `system_memo::varying_of`): of those, only the type and whether they are empty (which
//! decide whether they are null, and so whether a field that depends on them is left out).
//! The identity is read from them as building the System part reads them.

use std::sync::Arc;

use super::record::Record;
use super::system_memo::{set_varying, varying_of, Varying};
use super::template::Template;
use super::value::Raw;
use crate::event::Event;
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
    varied: Arc<Varied>,
    event: Box<Event>,
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
        record_id: u64,
    ) -> Option<(usize, Identity)> {
        if !self.kept.iter().any(|k| k.shape == record.shape) {
            return None;
        }
        let varied = self.varied(record.template)?;
        let at = self
            .kept
            .iter()
            .position(|k| k.shape == record.shape && holds(&k.key, record, &varied.left_out))?;
        let kept = &self.kept[at];
        let mut identity = Identity::of(&kept.event);
        set_varying(&kept.varied.varying, &record.values, &mut identity)?;
        identity.origin_record = Some(record_id);
        Some((at, identity))
    }

    /// Keeps `event`, built from `record`, for later records to repeat: its place, or the
    /// event back when it cannot be kept (the chunk keeps enough, or its template's System
    /// part is not plain).
    pub(crate) fn keep(
        &mut self,
        record: &Record<'_>,
        event: Box<Event>,
    ) -> Result<usize, Box<Event>> {
        if self.kept.len() >= MOST_KEPT {
            return Err(event);
        }
        let Some(varied) = self.varied(record.template) else {
            return Err(event);
        };
        let mut key = Vec::new();
        for (ty, bytes) in keyed_values(record, &varied.left_out) {
            push_value(&mut key, ty, bytes);
        }
        self.kept.push(Kept {
            shape: record.shape,
            key,
            varied,
            event,
        });
        Ok(self.kept.len() - 1)
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

/// A template's [`Varied`]: `None` when its System part is not plain, or it does not say
/// which values its other parts read.
fn varied_of(template: &Template) -> Option<Varied> {
    let (varying, mut left_out) = varying_of(template.system.as_ref()?)?;
    let payload = template.payload_values.as_deref()?;
    left_out.retain(|i| !payload.contains(i));
    Some(Varied { varying, left_out })
}

/// The values of `record` a repeat must have the same: its own, those `left_out` only by
/// their type and whether they are empty, then those of its embedded fragments.
fn keyed_values<'r>(
    record: &'r Record<'_>,
    left_out: &'r [u16],
) -> impl Iterator<Item = (u8, &'r [u8])> + 'r {
    const EMPTY: &[u8] = &[];
    const NOT_EMPTY: &[u8] = &[1];
    let own = record.values.iter().enumerate().map(move |(i, v)| {
        let left = u16::try_from(i).is_ok_and(|i| left_out.contains(&i));
        match (left, v.bytes.is_empty()) {
            (false, _) => (v.ty, v.bytes),
            (true, true) => (v.ty, EMPTY),
            (true, false) => (v.ty, NOT_EMPTY),
        }
    });
    let nested = record.nested.iter().flat_map(|n| n.values.iter());
    own.chain(nested.map(|v: &Raw<'_>| (v.ty, v.bytes)))
}

/// Appends one value's type, size and bytes to a key.
fn push_value(key: &mut Vec<u8>, ty: u8, bytes: &[u8]) {
    key.push(ty);
    key.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    key.extend_from_slice(bytes);
}

/// Whether `key` holds exactly the keyed values of `record`.
fn holds(key: &[u8], record: &Record<'_>, left_out: &[u16]) -> bool {
    let mut rest = key;
    for (ty, bytes) in keyed_values(record, left_out) {
        let Some((head, tail)) = rest.split_at_checked(5) else {
            return false;
        };
        let Some((held, tail)) = tail.split_at_checked(bytes.len()) else {
            return false;
        };
        if head[0] != ty || head[1..] != (bytes.len() as u32).to_le_bytes() || held != bytes {
            return false;
        }
        rest = tail;
    }
    rest.is_empty()
}
