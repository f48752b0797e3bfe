//! One record: its template instance read from the chunk, its head, and its `Event`.

use super::cursor::{u32_at, Cursor};
use super::program::marker;
use super::template::{Part, Slot, SystemField, SystemPlan, Template, Tok};
use super::value::{read_values, sanitize_utf16, ty, write_text, Raw};
use super::{ChunkTemplates, Fnv};
use crate::event::Event;
use crate::evtx_format::token;
use crate::source::assemble::EventBuilder;
use crate::source::xml::Assembler;
use crate::source::{RecordHead, SourceCtx};
use std::hash::Hasher;

/// How deep embedded BinXML fragments may nest.
const MAX_NESTING: usize = 8;

/// A record read as a template instance.
pub(crate) struct Record<'a> {
    pub(super) template: &'a Template,
    pub(super) values: Vec<Raw<'a>>,
    /// Its embedded fragments (values that are BinXML template instances, and theirs), depth
    /// first in value order.
    pub(super) nested: Vec<Nested<'a>>,
    /// Identifies the record's shape: its template and those of its embedded fragments.
    pub shape: u64,
    /// The run's id of its template.
    pub(super) id: u32,
    /// The chunk offset of its template's definition, as the record names it.
    pub(super) def: u32,
}

/// The parts a record's head is read from ([`Record::head_key`]): its template (whose literal
/// provider or channel it may name), its event id, and the type and bytes of the values that
/// give its provider and channel (`None` for a literal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadKey<'a> {
    template: usize,
    event_id: u32,
    provider: Option<(u8, &'a [u8])>,
    channel: Option<(u8, &'a [u8])>,
}

/// A [`HeadKey`] held beyond its chunk: the chunks of one log ask the same few heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeldHeadKey {
    template: usize,
    event_id: u32,
    provider: Option<(u8, Box<[u8]>)>,
    channel: Option<(u8, Box<[u8]>)>,
}

impl HeadKey<'_> {
    /// This key, held beyond its chunk.
    pub(crate) fn held(&self) -> HeldHeadKey {
        let held = |part: Option<(u8, &[u8])>| part.map(|(ty, bytes)| (ty, Box::from(bytes)));
        HeldHeadKey {
            template: self.template,
            event_id: self.event_id,
            provider: held(self.provider),
            channel: held(self.channel),
        }
    }

    /// A hash of the key's template and event id (what most keys differ in), as
    /// [`HeldHeadKey::hash`] gives for the key held.
    pub(crate) fn hash(&self) -> u64 {
        head_key_hash(self.template, self.event_id)
    }

    /// Whether this key is `held`.
    pub(crate) fn is(&self, held: &HeldHeadKey) -> bool {
        let same = |part: Option<(u8, &[u8])>, held: &Option<(u8, Box<[u8]>)>| match (part, held) {
            (Some((ty, bytes)), Some((held_ty, held_bytes))) => {
                ty == *held_ty && bytes == &held_bytes[..]
            }
            (None, None) => true,
            _ => false,
        };
        self.template == held.template
            && self.event_id == held.event_id
            && same(self.provider, &held.provider)
            && same(self.channel, &held.channel)
    }
}

impl HeldHeadKey {
    /// [`HeadKey::hash`] of the key held.
    pub(crate) fn hash(&self) -> u64 {
        head_key_hash(self.template, self.event_id)
    }
}

fn head_key_hash(template: usize, event_id: u32) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one((template, event_id))
}

/// An embedded fragment of a record: its template, its values, and the chunk offset of the
/// value that holds it.
pub(crate) struct Nested<'a> {
    pub(super) template: &'a Template,
    pub(super) values: Vec<Raw<'a>>,
    pub(super) at: usize,
    /// The run's id of its template, and how deep it is (0 for a value of the record's own
    /// template).
    pub(super) id: u32,
    pub(super) depth: usize,
}

/// One part of a record shape's reading, as the shape check vouches for it (see
/// [`Verdicts`](super::Verdicts)), by the run's template ids: a template read as a record's,
/// a template read as an embedded fragment's, a value of a template that holds a fragment
/// (whichever), a value of a template that holds an empty one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ShapePart {
    Record(u32),
    Fragment(u32),
    Holds(u32, usize),
    Empty(u32, usize),
}

/// Reads the record whose BinXML is `chunk[start..end]`. `None` when it is not a single
/// template instance this module can read.
pub(crate) fn read_record<'a>(
    templates: &mut ChunkTemplates<'a>,
    start: usize,
    end: usize,
) -> Option<Record<'a>> {
    let (id, template, values, def) = instance(templates, start, end)?;
    let mut shape = Fnv::default();
    shape.write_u32(id);
    let mut nested = templates.nested_list();
    shape_of(templates, &values, &mut shape, &mut nested, 0)?;
    Some(Record {
        template,
        values,
        nested,
        shape: shape.finish(),
        id,
        def,
    })
}

/// A fragment holding one template instance: the template's id, the template, the values,
/// and the chunk offset of the template's definition.
fn instance<'a>(
    templates: &mut ChunkTemplates<'a>,
    start: usize,
    end: usize,
) -> Option<(u32, &'a Template, Vec<Raw<'a>>, u32)> {
    let chunk = templates.chunk;
    let (def, mut cur) = instance_head(chunk, start, end)?;
    let mut values = templates.value_list();
    read_values(&mut cur, &mut values)?;
    // Nothing but the end of the fragment may follow.
    if cur.pos() < end && cur.u8()? != token::EOF {
        return None;
    }
    let (id, template) = templates.get(def)?;
    Some((id, template, values, def))
}

/// The head of a fragment holding one template instance at `chunk[start..end]`: the chunk
/// offset of its template's definition, and a cursor (over `chunk[..end]`) where its values
/// begin (their count), past the definition when it is written inline.
pub(super) fn instance_head(chunk: &[u8], start: usize, end: usize) -> Option<(u32, Cursor<'_>)> {
    let mut cur = Cursor::at(chunk.get(..end)?, start);
    // A record starts with a fragment header; an embedded fragment often does not.
    let mut next = cur.u8()?;
    if next == token::FRAGMENT_HEADER {
        cur.skip(3)?;
        next = cur.u8()?;
    }
    if next != token::TEMPLATE_INSTANCE {
        return None;
    }
    cur.skip(5)?;
    let def = cur.u32()?;
    if def as usize == cur.pos() {
        // The definition is written inline, here: skip it.
        let size = u32_at(chunk, cur.pos() + 20)? as usize;
        cur.skip(24usize.checked_add(size)?)?;
    }
    Some((def, cur))
}

fn shape_of<'a>(
    templates: &mut ChunkTemplates<'a>,
    values: &[Raw<'a>],
    shape: &mut Fnv,
    nested: &mut Vec<Nested<'a>>,
    depth: usize,
) -> Option<()> {
    for value in values
        .iter()
        .filter(|v| v.ty == ty::BINXML && !v.bytes.is_empty())
    {
        if depth >= MAX_NESTING {
            return None;
        }
        let end = value.offset + value.bytes.len();
        let (id, template, inner, _) = instance(templates, value.offset, end)?;
        shape.write_u32(id);
        let at = nested.len();
        nested.push(Nested {
            template,
            values: Vec::new(),
            at: value.offset,
            id,
            depth,
        });
        shape_of(templates, &inner, shape, nested, depth + 1)?;
        nested[at].values = inner;
    }
    shape.write_u32(u32::MAX);
    Some(())
}

impl<'a> Record<'a> {
    /// The parts of this record's shape (worked out here rather than kept when the record
    /// is read: they are asked for only of a shape not known yet); `None` when a fragment's
    /// place is not found (never expected: the fragments are depth first), and the shape is
    /// then never vouched for.
    pub(crate) fn parts(&self) -> Option<Vec<ShapePart>> {
        let mut parts = vec![ShapePart::Record(self.id)];
        // An empty fragment renders as null: a part of its own.
        let empties = |host: u32, values: &[Raw<'_>], parts: &mut Vec<ShapePart>| {
            let empty = values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_empty_fragment());
            parts.extend(empty.map(|(index, _)| ShapePart::Empty(host, index)));
        };
        empties(self.id, &self.values, &mut parts);
        for (k, fragment) in self.nested.iter().enumerate() {
            // Depth first: its host is the last fragment before it one level up, or the
            // record itself.
            let (host, values) = match fragment.depth {
                0 => (self.id, &self.values),
                depth => self.nested[..k]
                    .iter()
                    .rev()
                    .find(|n| n.depth == depth - 1)
                    .map(|n| (n.id, &n.values))?,
            };
            let index = values
                .iter()
                .position(|v| v.ty == ty::BINXML && v.offset == fragment.at)?;
            parts.push(ShapePart::Fragment(fragment.id));
            parts.push(ShapePart::Holds(host, index));
            empties(fragment.id, &fragment.values, &mut parts);
        }
        Some(parts)
    }

    /// The System head from the values, without building the event. `None` when the
    /// template does not tell it plainly (then build the event and ask it).
    pub(crate) fn head<'t>(&'t self, text: &'t mut String) -> Option<RecordHead<'t>> {
        text.clear();
        if self.head_guarded() {
            return None;
        }
        let provider = self.slot_text(&self.template.head.provider, text)?;
        let channel = self.slot_text(&self.template.head.channel, text)?;
        let event_id = self.head_event_id()?;
        let text: &'t str = text;
        let pick = |part: HeadPart<'t>| match part {
            HeadPart::Literal(s) => s.trim(),
            HeadPart::Text(range) => text[range].trim(),
        };
        Some(RecordHead {
            provider: pick(provider),
            event_id,
            channel: pick(channel),
        })
    }

    /// What this record's head is made of, as it lies in the chunk (`None` when the head is
    /// not told plainly): records with one key have one head, so that a sink's answer for one
    /// holds for the others without their texts being read again.
    pub(crate) fn head_key(&self) -> Option<HeadKey<'a>> {
        if self.head_guarded() {
            return None;
        }
        let slot = |slot: &Slot| match slot {
            Slot::Literal(_) => Some(None),
            Slot::Value(i) => {
                let value = self.values.get(usize::from(*i))?;
                matches!(value.ty, ty::STRING | ty::ANSI_STRING | ty::NULL)
                    .then_some(Some((value.ty, value.bytes)))
            }
            Slot::Unknown => None,
        };
        Some(HeadKey {
            template: self.template as *const Template as usize,
            event_id: self.head_event_id()?,
            provider: slot(&self.template.head.provider)?,
            channel: slot(&self.template.head.channel)?,
        })
    }

    /// Whether a value the head's elements depend on is null (the head is then not plain).
    fn head_guarded(&self) -> bool {
        let head = &self.template.head;
        head.guards
            .iter()
            .any(|g| self.values.get(usize::from(*g)).is_none_or(Raw::is_null))
    }

    /// The head's event id (its low 16 bits, as the System part shows it).
    fn head_event_id(&self) -> Option<u32> {
        let id = match &self.template.head.event_id {
            Slot::Literal(id) => u32::try_from(crate::source::assemble::parse_number(id)?).ok()?,
            Slot::Value(i) => {
                let value = self.values.get(usize::from(*i))?;
                u32::try_from(value.number()?).ok()?
            }
            Slot::Unknown => return None,
        };
        Some(id & 0xFFFF)
    }

    fn slot_text<'t>(&'t self, slot: &'t Slot, text: &mut String) -> Option<HeadPart<'t>> {
        match slot {
            Slot::Literal(s) => Some(HeadPart::Literal(s)),
            Slot::Value(i) => {
                let value = self.values.get(usize::from(*i))?;
                if !matches!(value.ty, ty::STRING | ty::ANSI_STRING | ty::NULL) {
                    return None;
                }
                let start = text.len();
                write_text(value, text)?;
                Some(HeadPart::Text(start..text.len()))
            }
            Slot::Unknown => None,
        }
    }

    /// The whole record as an `Event` (origin left for the caller to set).
    pub(crate) fn event(
        &self,
        templates: &mut ChunkTemplates<'a>,
        ctx: &SourceCtx,
    ) -> Option<Event> {
        self.replay(templates, ctx, None).map(|marked| marked.event)
    }

    /// The record as an `Event` whose values' text is each replaced by its marker (a value
    /// whose text is empty stays empty) and whose data values are not normalized: what a
    /// record program is read from (see `program`). `bases` gives the first marker index of
    /// each embedded fragment, by the chunk offset of its value (the record's own values are
    /// numbered from 0). `None` for a record whose System part does not come from its
    /// template's System plan alone (a second `System`, a second event).
    pub(crate) fn marked_event(
        &self,
        templates: &mut ChunkTemplates<'a>,
        ctx: &SourceCtx,
        mut bases: Vec<(usize, u32)>,
    ) -> Option<Marked> {
        bases.sort_unstable();
        self.replay(templates, ctx, Some(bases))
    }

    fn replay(
        &self,
        templates: &mut ChunkTemplates<'a>,
        ctx: &SourceCtx,
        marks: Option<Vec<(usize, u32)>>,
    ) -> Option<Marked> {
        let mut asm = Assembler::new(ctx);
        asm.raw_values = marks.is_some();
        let mut replay = Replay {
            asm,
            attr: None,
            attr_value: String::new(),
            scratch: String::new(),
            event: None,
            budget: TOKEN_BUDGET,
            text_budget: TEXT_BUDGET,
            marks,
            base: 0,
            placements: Vec::new(),
        };
        replay.template(templates, self.template, &self.values, 0)?;
        let binary_fields = std::mem::take(&mut replay.asm.binary_fields);
        let markers: usize = replay.placements.iter().map(|&n| n as usize).sum();
        let played = TEXT_BUDGET - replay.text_budget;
        Some(Marked {
            event: replay.event?,
            binary_fields,
            literal_bytes: played.saturating_sub(markers * MARKER_BYTES),
            placements: replay.placements,
        })
    }

    /// The record's System part alone, as an `Event` without data fields, filled from the
    /// template's System plan exactly as the replay fills it. `None` without a plan.
    pub(crate) fn system_event(&self, text: &mut String) -> Option<Event> {
        build_system(self.template.system.as_ref()?, &self.values, text)
    }
}

/// The System part of a record of `plan` with these values, built whole; `None` when it does
/// not fill.
pub(super) fn build_system(
    plan: &SystemPlan,
    values: &[Raw<'_>],
    text: &mut String,
) -> Option<Event> {
    let mut builder = EventBuilder::new();
    let mut budget = TEXT_BUDGET;
    fill_system(&mut builder, plan, values, text, &mut budget)?;
    Some(builder.finish())
}

/// A replay's event, and what a record program needs to know of how it was played.
pub(crate) struct Marked {
    pub event: Event,
    /// [`EventBuilder::binary_fields`].
    pub binary_fields: Vec<usize>,
    /// How many times each value's marker was played (anywhere, kept or not), by number.
    pub placements: Vec<u32>,
    /// The bytes of literal text played (the replay's text budget counts them).
    pub literal_bytes: usize,
}

/// The UTF-8 length of a marker.
const MARKER_BYTES: usize = 4;

/// A head field's text: written in the template, or a range of the caller's buffer.
enum HeadPart<'t> {
    Literal(&'t str),
    Text(std::ops::Range<usize>),
}

/// Plays a template with its values into the XML assembler, as the rendering would read.
struct Replay<'c> {
    asm: Assembler<'c>,
    /// The attribute being collected, while one is open: the index of its `Attr` token and
    /// whether the assembler wants it; its value so far is `attr_value`.
    attr: Option<(usize, bool)>,
    attr_value: String,
    scratch: String,
    event: Option<Event>,
    /// Tokens left to play. A template may place one embedded fragment many times, and that
    /// fragment's template its own again: without a bound, a crafted record would take
    /// exponential time. Past it the record goes to the crate, which has a budget of its own.
    budget: usize,
    /// Bytes of text left to play: the crate refuses a record whose rendering passes 16 MiB.
    text_budget: usize,
    /// When each value's text is played as its marker (see `program`): the first marker
    /// index of each embedded fragment, by the chunk offset of its value.
    marks: Option<Vec<(usize, u32)>>,
    /// The first marker index of the fragment being played.
    base: u32,
    /// How many times each marker was played, by value number.
    placements: Vec<u32>,
}

/// Tokens one record may play (a real record plays well under a thousand).
const TOKEN_BUDGET: usize = 100_000;
/// Bytes of text one record may play.
pub(super) const TEXT_BUDGET: usize = 16 * 1024 * 1024;

impl<'c> Replay<'c> {
    fn template<'a>(
        &mut self,
        templates: &mut ChunkTemplates<'a>,
        template: &Template,
        values: &[Raw<'a>],
        depth: usize,
    ) -> Option<()> {
        let toks = &template.toks;
        let system = template.system.as_ref();
        self.range(templates, toks, 0..toks.len(), values, None, system, depth)
    }

    /// Plays `toks[range]`. `item` stands for the value of one substitution: an item of a
    /// string array, while the element holding it is repeated once per item. `system` is the
    /// template's System plan, played as fields instead of tokens.
    #[allow(clippy::too_many_arguments)]
    fn range<'a>(
        &mut self,
        templates: &mut ChunkTemplates<'a>,
        toks: &[Tok],
        range: std::ops::Range<usize>,
        values: &[Raw<'a>],
        item: Option<(u16, &[u8])>,
        system: Option<&SystemPlan>,
        depth: usize,
    ) -> Option<()> {
        let mut i = range.start;
        while i < range.end {
            let tok = toks.get(i)?;
            i += 1;
            self.budget = self.budget.checked_sub(1)?;
            match tok {
                Tok::Open {
                    name,
                    dependency,
                    close,
                } => {
                    // A template's root is always rendered; other elements are left out when
                    // the value they depend on is null (MS-EVEN6 §2.2.12).
                    let root = i == 1;
                    let left_out = !root
                        && dependency
                            .and_then(|d| values.get(usize::from(d)))
                            .is_some_and(Raw::is_null);
                    if left_out {
                        i = *close;
                        continue;
                    }
                    if let Some(plan) = system.filter(|p| p.open == i - 1) {
                        self.system(plan, values)?;
                        i = plan.close;
                        continue;
                    }
                    // A program fills the System part from the plan alone: any other System
                    // section would change what it must write.
                    let section = self.asm.section_builder().is_some();
                    if self.marks.is_some() && section && &**name == "System" {
                        return None;
                    }
                    if item.is_none() {
                        let array = array_in(toks, i - 1, values)?;
                        if root && array.is_some() {
                            // The crate joins an array at a template's root instead of
                            // repeating the root: left to it.
                            return None;
                        }
                        if let Some((index, items)) = array {
                            // MS-EVEN6 §3.1.4.7.5: the element is repeated once per item.
                            for one in items {
                                self.asm.open(name).ok()?;
                                let inner = i..*close;
                                self.range(
                                    templates,
                                    toks,
                                    inner,
                                    values,
                                    Some((index, one)),
                                    None,
                                    depth,
                                )?;
                            }
                            i = *close;
                            continue;
                        }
                    }
                    self.asm.open(name).ok()?;
                }
                Tok::Attr(_) => {
                    self.flush_attr(toks);
                    self.attr = Some((i - 1, self.asm.wants_attributes()));
                }
                Tok::CloseStart => {
                    self.flush_attr(toks);
                    self.step(|asm| asm.opened(false))?;
                }
                Tok::CloseEmpty => {
                    self.flush_attr(toks);
                    self.step(|asm| asm.opened(true))?;
                }
                Tok::End => self.step(|asm| asm.end())?,
                Tok::Text(text) => self.text(text)?,
                Tok::Subst { index, .. } => {
                    if let Some((_, one)) = item.filter(|(at, _)| at == index) {
                        let mut scratch = std::mem::take(&mut self.scratch);
                        scratch.clear();
                        sanitize_utf16(one, &mut scratch);
                        let pushed = self.text(&scratch);
                        self.scratch = scratch;
                        pushed?;
                        continue;
                    }
                    let Some(value) = values.get(usize::from(*index)) else {
                        continue;
                    };
                    match value.ty {
                        ty::NULL => {}
                        ty::BINXML if value.bytes.is_empty() => {}
                        ty::STRING_ARRAY => return None,
                        ty::BINXML => {
                            if self.attr.is_some() || depth >= MAX_NESTING {
                                return None;
                            }
                            let end = value.offset + value.bytes.len();
                            let (_, nested, nested_values, _) =
                                instance(templates, value.offset, end)?;
                            let outer = self.base;
                            if let Some(marks) = &self.marks {
                                let at = marks.binary_search_by_key(&value.offset, |m| m.0);
                                self.base = marks.get(at.ok()?)?.1;
                            }
                            self.template(templates, nested, &nested_values, depth + 1)?;
                            self.base = outer;
                        }
                        _ => {
                            let mut scratch = std::mem::take(&mut self.scratch);
                            scratch.clear();
                            let written = write_text(value, &mut scratch);
                            if self.marks.is_some() && !scratch.is_empty() {
                                let number = self.base.checked_add(u32::from(*index))?;
                                scratch.clear();
                                scratch.push(marker(number)?);
                                let number = number as usize;
                                if self.placements.len() <= number {
                                    self.placements.resize(number + 1, 0);
                                }
                                self.placements[number] += 1;
                            }
                            let pushed = written.and_then(|_| self.text(&scratch));
                            self.scratch = scratch;
                            pushed?;
                        }
                    }
                }
            }
        }
        Some(())
    }

    /// Fills the event's System part from the template's plan (see [`fill_system`]).
    fn system(&mut self, plan: &SystemPlan, values: &[Raw<'_>]) -> Option<()> {
        let mut text = std::mem::take(&mut self.scratch);
        let builder = self.asm.section_builder()?;
        let filled = fill_system(builder, plan, values, &mut text, &mut self.text_budget);
        self.scratch = text;
        filled
    }

    fn text(&mut self, text: &str) -> Option<()> {
        self.text_budget = self.text_budget.checked_sub(text.len())?;
        if self.attr.is_some() {
            self.attr_value.push_str(text);
        } else if self.asm.wants_text() {
            self.asm.text(text).ok()?;
        }
        Some(())
    }

    /// Hands the attribute collected so far to the assembler; the rendering leaves out an
    /// attribute whose value is empty.
    fn flush_attr(&mut self, toks: &[Tok]) {
        if let Some((at, wanted)) = self.attr.take() {
            if let (true, false, Some(Tok::Attr(name))) =
                (wanted, self.attr_value.is_empty(), toks.get(at))
            {
                self.asm.attribute(name, &self.attr_value);
            }
            self.attr_value.clear();
        }
    }

    fn step(
        &mut self,
        f: impl FnOnce(&mut Assembler<'c>) -> crate::source::xml::Step,
    ) -> Option<()> {
        if let Some(event) = f(&mut self.asm).ok()? {
            // A template that makes two events keeps the last; a program, made from one
            // System plan, cannot follow that.
            if self.marks.is_some() && self.event.is_some() {
                return None;
            }
            self.event = Some(event);
        }
        Some(())
    }
}

/// Fills an event's System part from a template's plan: what the assembler would make of
/// the same elements, with numbers and the time taken from typed values without text.
fn fill_system(
    builder: &mut EventBuilder,
    plan: &SystemPlan,
    values: &[Raw<'_>],
    text: &mut String,
    text_budget: &mut usize,
) -> Option<()> {
    builder.saw_system();
    fill_fields(builder, plan.fields.iter(), values, text, text_budget)
}

/// [`fill_system`] for some of a plan's fields, in their order (a record program fills only
/// those whose values vary; see `head`).
pub(super) fn fill_fields<'p>(
    builder: &mut EventBuilder,
    fields: impl Iterator<Item = &'p SystemField>,
    values: &[Raw<'_>],
    text: &mut String,
    text_budget: &mut usize,
) -> Option<()> {
    for field in fields {
        let value_of = |part: &[Part]| match part {
            [Part::Value(i)] => values.get(usize::from(*i)),
            _ => None,
        };
        let left_out = field
            .dependency
            .and_then(|d| values.get(usize::from(d)))
            .is_some_and(Raw::is_null);
        if left_out {
            continue;
        }
        for (attr, parts) in &field.attrs {
            let is_time = &*field.element == "TimeCreated" && &**attr == "SystemTime";
            if let Some(time) = value_of(parts).filter(|_| is_time).and_then(Raw::filetime) {
                builder.system_time(time);
                continue;
            }
            if let Some(n) = value_of(parts).and_then(Raw::number) {
                if builder.system_attr_number(&field.element, attr, n) {
                    continue;
                }
            }
            text.clear();
            write_parts(parts, values, text)?;
            *text_budget = text_budget.checked_sub(text.len())?;
            if !text.is_empty() {
                builder.system_attr(&field.element, attr, text);
            }
        }
        if let Some(n) = value_of(&field.text).and_then(Raw::number) {
            builder.system_number(&field.element, Some(n));
            continue;
        }
        text.clear();
        write_parts(&field.text, values, text)?;
        *text_budget = text_budget.checked_sub(text.len())?;
        builder.system_text(&field.element, text);
    }
    Some(())
}

/// A string array substitution: its index and its items (UTF-16, without their NULs).
type ArrayItems<'v> = (u16, Vec<&'v [u8]>);

/// The string array the element opened at `open` repeats over, if any: its substitution index
/// and its items. `Some(None)` when the element holds no array; `None` for an array this reader
/// does not expand (beside child elements, one of several, or of another type than strings),
/// which the crate then reads.
fn array_in<'v>(toks: &[Tok], open: usize, values: &[Raw<'v>]) -> Option<Option<ArrayItems<'v>>> {
    let Some(Tok::Open { close, .. }) = toks.get(open) else {
        return Some(None);
    };
    let mut found = None;
    let mut has_child = false;
    // Only the element's own content counts: child elements are skipped whole.
    let mut i = open + 1;
    while i + 1 < *close {
        let tok = toks.get(i)?;
        i += 1;
        match tok {
            Tok::Open { close, .. } => {
                has_child = true;
                i = *close;
            }
            Tok::Subst { index, .. } => {
                let Some(value) = values.get(usize::from(*index)) else {
                    continue;
                };
                if value.ty & ty::ARRAY == 0 {
                    continue;
                }
                // Another array, or the same one placed twice (the crate repeats the element
                // once per placement then), is left to the crate.
                if value.ty != ty::STRING_ARRAY || found.is_some() {
                    return None;
                }
                found = Some((*index, value.bytes));
            }
            _ => {}
        }
    }
    let Some((index, bytes)) = found else {
        return Some(None);
    };
    if has_child {
        return None;
    }
    // NUL-terminated UTF-16 strings, one after the other; the last must be terminated too.
    let mut items = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at + 1 < bytes.len() {
        if bytes[at] == 0 && bytes[at + 1] == 0 {
            items.push(&bytes[start..at]);
            start = at + 2;
        }
        at += 2;
    }
    if start != bytes.len() {
        return None;
    }
    if items.is_empty() {
        // An empty array renders as nothing, in one element (the crate repeats from two items).
        items.push(&[]);
    }
    Some(Some((index, items)))
}

/// The text of literal and substitution parts, as the rendering writes them; `None` for a value
/// that is not plain text there (an embedded fragment, an array).
fn write_parts(parts: &[Part], values: &[Raw<'_>], out: &mut String) -> Option<()> {
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Value(i) => {
                let Some(value) = values.get(usize::from(*i)) else {
                    continue;
                };
                if value.is_null() {
                    continue;
                }
                if value.ty == ty::BINXML || value.ty & ty::ARRAY != 0 {
                    return None;
                }
                write_text(value, out)?;
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::binxml::RunTemplates;

    const NAME_AT: usize = 0x100;
    const DEF_AT: usize = 0x200;
    const RECORD_AT: usize = 0x800;

    /// A chunk whose one template is `<E>` holding `fan_out` copies of substitution 0.
    fn chunk_with_template(fan_out: usize) -> Vec<u8> {
        let mut chunk = vec![0u8; 0x10000];
        // Name record: next, hash, one UTF-16 unit, NUL.
        chunk[NAME_AT + 6] = 1;
        chunk[NAME_AT + 8] = b'E';
        let mut body = vec![0x0f, 1, 1, 0, 0x01, 0xff, 0xff, 0, 0, 0, 0];
        body.extend((NAME_AT as u32).to_le_bytes());
        body.push(0x02);
        for _ in 0..fan_out {
            body.extend([0x0e, 0, 0, 0x21]);
        }
        body.extend([0x04, 0x00]);
        chunk[DEF_AT + 20..DEF_AT + 24].copy_from_slice(&(body.len() as u32).to_le_bytes());
        chunk[DEF_AT + 24..DEF_AT + 24 + body.len()].copy_from_slice(&body);
        chunk
    }

    /// A template instance of that template whose one value embeds the next level.
    fn instance_bytes(levels: usize) -> Vec<u8> {
        let mut out = vec![0x0c, 1];
        out.extend(1u32.to_le_bytes());
        out.extend((DEF_AT as u32).to_le_bytes());
        if levels == 0 {
            out.extend(0u32.to_le_bytes());
            return out;
        }
        let inner = instance_bytes(levels - 1);
        out.extend(1u32.to_le_bytes());
        out.extend((inner.len() as u16).to_le_bytes());
        out.extend([0x21, 0]);
        out.extend(inner);
        out
    }

    #[test]
    fn a_fragment_placed_many_times_at_every_level_is_given_up_not_played() {
        let mut chunk = chunk_with_template(50);
        let mut record = vec![0x0f, 1, 1, 0];
        record.extend(instance_bytes(8));
        record.push(0x00);
        chunk[RECORD_AT..RECORD_AT + record.len()].copy_from_slice(&record);
        let file = RunTemplates::default();
        let keep = crate::source::binxml::TemplateKeep::new();
        let mut templates = ChunkTemplates::new(&chunk, &file, &keep);
        let read = read_record(&mut templates, RECORD_AT, RECORD_AT + record.len())
            .expect("the record's structure is readable");
        let ctx = SourceCtx {
            file: "crafted.evtx".into(),
            member: None,
        };
        // 50^8 plays without a budget; with it, the record is left to the crate at once.
        let started = std::time::Instant::now();
        assert!(read.event(&mut templates, &ctx).is_none());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
