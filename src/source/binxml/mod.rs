//! Reading EVTX records straight from a chunk's bytes, for speed.
//!
//! Nearly every record Windows writes is one template instance: a reference to a template
//! definition stored once in the chunk, and a table of typed substitution values (MS-EVEN6
//! §2.2.12). The `evtx` crate renders such a record as a whole document; its public API offers
//! no view of the template, so asking it for one record's event id means rendering the record.
//! That costs more than everything `evident scan` does with the records no rule wants.
//!
//! This module reads the template definitions and the value tables itself: the System head of
//! a record (provider, event id, channel) comes from the values without rendering anything,
//! and a wanted record is built into an `Event` by replaying its template with the values
//! through the same assembler that reads XML, so both ways give the same `Event`.
//!
//! It reads only what it fully understands and answers `None` for anything else (arrays other
//! than strings, CDATA, reals, values whose size does not fit their type, damaged bytes, a
//! record over its token or text budget ...); the caller then reads that chunk with the crate,
//! which reports what it cannot read.
//! And it is checked against the crate at run time: the first wanted record of every record
//! shape (outer template plus embedded ones) in a run is read both ways, unless the shapes
//! compared before vouch for each of its parts, and a shape whose two readings differ is
//! always read by the crate (see [`Verdicts`]).

mod cursor;
#[cfg(test)]
mod divergence_tests;
mod head;
mod program;
#[cfg(test)]
mod random_system;
mod record;
mod repeat;
mod system_memo;
mod template;
mod value;
mod verdicts;

use std::hash::Hasher;
use std::sync::{Arc, Mutex};
use value::Raw;

/// FNV-1a, for the fingerprint that names a record shape: a good spread over every bit, byte
/// by byte (a shape is a few template ids).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The maps here are keyed by small integers, by templates read from the file, and by the
/// FNV fingerprints above, hashed once per chunk and record: rustc's Fx hash, a word at a time.
/// SipHash's protection against chosen keys buys nothing there (a hostile file can only make
/// its own reading slower) and costs a tenth of the reading time. Templates are compared whole;
/// a fingerprint is its own key (a program also keeps what it is for and checks it on use).
type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

pub(crate) use head::LineHead;
pub(crate) use program::{ChunkPrograms, LineOrigin, RunPrograms};
pub(crate) use record::{read_record, HeadKey, HeldHeadKey, Record};
pub(crate) use repeat::Repeats;
pub(crate) use template::Template;
pub(crate) use value::filetime_timestamp;
pub(crate) use verdicts::{Verdict, Verdicts};

/// The most distinct templates one run keeps: past it, records of new templates go to the
/// crate (a real log has hundreds; a hostile collection must not grow memory without bound).
const MAX_TEMPLATES: usize = 100_000;

/// The parsed templates of one run, shared by the threads that read its files and chunks.
/// Templates are interned by content, so the same definition in different chunks and files
/// gets one id (and what is learnt about a record shape holds wherever it appears).
#[derive(Debug, Default)]
pub(crate) struct RunTemplates {
    interned: Mutex<FastMap<Arc<Template>, u32>>,
    /// Definitions already parsed, by their relocated key (`template::relocated_key`): the
    /// same definition in another chunk is found here instead of parsed again. `None` for a
    /// definition that does not parse. At most `MAX_KEY_BYTES` of keys are kept.
    by_key: Mutex<KeyedTemplates>,
}

#[derive(Debug, Default)]
struct KeyedTemplates {
    map: FastMap<Box<[u8]>, Option<Interned>>,
    bytes: usize,
}

/// The most bytes of relocated keys one run keeps, each entry counted with what the map
/// spends on it besides the key (a real log's definitions take a few hundred KiB; past it,
/// definitions are parsed in every chunk as before).
const MAX_KEY_BYTES: usize = 16 << 20;
const KEY_ENTRY_BYTES: usize = 128;

impl RunTemplates {
    /// The template whose relocated key is `key`, parsed from `chunk` at `def` when the run
    /// has not met it yet.
    fn by_key(&self, key: &[u8], chunk: &[u8], def: u32) -> Option<(u32, Arc<Template>)> {
        if let Some(known) = self.by_key.lock().ok()?.map.get(key) {
            return known.clone();
        }
        let parsed = template::parse(chunk, def as usize).and_then(|t| self.intern(t));
        let mut keyed = self.by_key.lock().ok()?;
        let cost = key.len() + KEY_ENTRY_BYTES;
        if keyed.bytes + cost <= MAX_KEY_BYTES && !keyed.map.contains_key(key) {
            keyed.bytes += cost;
            keyed.map.insert(key.into(), parsed.clone());
        }
        parsed
    }

    fn intern(&self, template: Template) -> Option<(u32, Arc<Template>)> {
        let mut interned = self.interned.lock().ok()?;
        if let Some((known, id)) = interned.get_key_value(&template) {
            return Some((*id, Arc::clone(known)));
        }
        if interned.len() >= MAX_TEMPLATES {
            return None;
        }
        let id = u32::try_from(interned.len()).ok()?;
        let template = Arc::new(template);
        interned.insert(Arc::clone(&template), id);
        Some((id, template))
    }
}

/// A template and its id in the run.
type Interned = (u32, Arc<Template>);

/// What holds the templates a chunk's records borrow: one reference each, taken when the chunk
/// first meets a template. Records borrow from it instead of each holding its own reference,
/// whose count both reading threads would change for every record of a template they share.
pub(crate) type TemplateKeep = typed_arena::Arena<Arc<Template>>;

/// The templates of one chunk by their offset (definitions are chunk-local).
pub(crate) struct ChunkTemplates<'c> {
    chunk: &'c [u8],
    file: &'c RunTemplates,
    keep: &'c TemplateKeep,
    by_offset: FastMap<u32, Option<(u32, &'c Template)>>,
    /// A relocated key being made.
    key: Vec<u8>,
    /// Value lists of records read before, given back to be filled again: a record's values
    /// are read into one of these rather than into new room (two or three lists a record).
    spare_values: Vec<Vec<Raw<'c>>>,
    /// The emptied list of embedded fragments of a record read before, filled again by the
    /// next (most records have one fragment, which would otherwise be new room each).
    spare_nested: Vec<record::Nested<'c>>,
}

impl<'c> ChunkTemplates<'c> {
    pub(crate) fn new(chunk: &'c [u8], file: &'c RunTemplates, keep: &'c TemplateKeep) -> Self {
        ChunkTemplates {
            chunk,
            file,
            keep,
            by_offset: FastMap::default(),
            key: Vec::new(),
            spare_values: Vec::new(),
            spare_nested: Vec::new(),
        }
    }

    /// The chunk's bytes.
    pub(crate) fn chunk(&self) -> &'c [u8] {
        self.chunk
    }

    /// An empty value list, from those given back when there is one.
    pub(super) fn value_list(&mut self) -> Vec<Raw<'c>> {
        self.spare_values.pop().unwrap_or_default()
    }

    /// An empty list of embedded fragments, the one given back when there is one.
    pub(super) fn nested_list(&mut self) -> Vec<record::Nested<'c>> {
        std::mem::take(&mut self.spare_nested)
    }

    /// Takes back the value lists and the fragment list of a record read from this chunk.
    pub(crate) fn give_back(&mut self, record: Record<'c>) {
        /// Enough for the fragments of the largest records; more would only be held.
        const MOST_SPARE: usize = 16;
        let mut nested = record.nested;
        let lists = std::iter::once(record.values).chain(nested.drain(..).map(|n| n.values));
        for mut list in lists {
            if self.spare_values.len() < MOST_SPARE {
                list.clear();
                self.spare_values.push(list);
            }
        }
        self.spare_nested = nested;
    }

    /// The template defined at chunk offset `def`: looked up once per chunk, and parsed once
    /// per run (see [`RunTemplates::by_key`]).
    fn get(&mut self, def: u32) -> Option<(u32, &'c Template)> {
        if let Some(known) = self.by_offset.get(&def) {
            return *known;
        }
        let (chunk, file) = (self.chunk, self.file);
        let found = match template::relocated_key(chunk, def as usize, &mut self.key) {
            Some(()) => file.by_key(&self.key, chunk, def),
            // A definition too long to key (or not readable: then this says so too).
            None => template::parse(chunk, def as usize).and_then(|t| file.intern(t)),
        };
        let keep = self.keep;
        let found = found.map(|(id, template)| (id, &**keep.alloc(template)));
        self.by_offset.insert(def, found);
        found
    }
}
