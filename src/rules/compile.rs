//! Detections compiled for matching, and the index that keeps most records away from them.
//!
//! Per field test, the values are grouped by kind: exact values in one list, all substrings in
//! one Aho-Corasick automaton, all regexes (and wildcard globs) in one `RegexSet`, so a field
//! is scanned once whatever the number of values, and every regex is compiled once.
//! The [`SignalIndex`] maps (event id, provider) to the signals that can match, so a record
//! that no rule wants costs one hash lookup on its System head.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex::RegexSet;

use super::condition::BoolExpr;
use super::detection::{
    CmpOp, CondLeaf, Detection, DetectionError, FieldTest, IpNet, Number, PathSeg, SelectionBody,
    Spot, Test, TextPattern, ValuePattern,
};
use crate::event::{Event, SystemName};

/// A detection ready to evaluate against events.
#[derive(Debug, Clone)]
pub struct CompiledDetection {
    selections: Vec<CompiledSelection>,
    condition: BoolExpr<CondLeaf>,
}

#[derive(Debug, Clone)]
enum CompiledSelection {
    AllOf(Vec<CompiledTest>),
    AnyOf(Vec<Vec<CompiledTest>>),
    Keywords(ValueSet),
}

#[derive(Debug, Clone)]
struct CompiledTest {
    field: String,
    /// For a numeric System field (`EventID`, `Level`, ...): read the number directly
    /// instead of formatting it and parsing it back, when no data field has that name.
    system_number: Option<fn(&Event) -> Option<u64>>,
    /// The System field the name denotes, when a record has no data field of that name.
    system: Option<SystemName>,
    kind: TestKind,
}

/// The numeric System fields, as [`Event::system_field`] names them.
fn system_number(name: &str) -> Option<fn(&Event) -> Option<u64>> {
    let getter: fn(&Event) -> Option<u64> = match name.to_ascii_lowercase().as_str() {
        "eventid" => |e| Some(u64::from(e.event_id)),
        "level" => |e| e.level.map(u64::from),
        "task" => |e| e.task.map(u64::from),
        "opcode" => |e| e.opcode.map(u64::from),
        "version" => |e| e.version.map(u64::from),
        "qualifiers" => |e| e.qualifiers.map(u64::from),
        "eventrecordid" => |e| e.record_id,
        "processid" => |e| e.process_id.map(u64::from),
        "threadid" => |e| e.thread_id.map(u64::from),
        _ => return None,
    };
    Some(getter)
}

#[derive(Debug, Clone)]
enum TestKind {
    Exists(bool),
    Values(ValueSet),
}

/// The values of one field test, grouped by how they are matched.
#[derive(Debug, Clone, Default)]
struct ValueSet {
    all: bool,
    total: usize,
    null: bool,
    exact: Vec<(String, Option<Number>)>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    /// Lower-case substrings; one automaton for all of them.
    contains: Option<(AhoCorasick, usize)>,
    /// Regexes and wildcard globs, matched on the original value.
    regexes: Option<RegexSet>,
    compares: Vec<(CmpOp, Number)>,
    cidrs: Vec<IpNet>,
    /// Every value is a number (exact or compared): a numeric field can skip the text.
    numeric_only: bool,
}

impl CompiledDetection {
    /// Compiles a parsed detection. Errors (a bad regex) carry the path of the value.
    pub fn compile(detection: &Detection) -> Result<CompiledDetection, DetectionError> {
        let mut selections = Vec::new();
        for sel in &detection.selections {
            let path = vec![PathSeg::Key(sel.name.clone())];
            selections.push(match &sel.body {
                SelectionBody::AllOf(tests) => {
                    CompiledSelection::AllOf(compile_tests(tests, &path)?)
                }
                SelectionBody::AnyOf(maps) => {
                    let mut out = Vec::new();
                    for (i, m) in maps.iter().enumerate() {
                        let mut p = path.clone();
                        p.push(PathSeg::Index(i));
                        out.push(compile_tests(m, &p)?);
                    }
                    CompiledSelection::AnyOf(out)
                }
                SelectionBody::Keywords(patterns) => {
                    let patterns: Vec<ValuePattern> =
                        patterns.iter().cloned().map(ValuePattern::Text).collect();
                    CompiledSelection::Keywords(compile_values(&patterns, false, &path)?)
                }
            });
        }
        Ok(CompiledDetection {
            selections,
            condition: detection.condition.clone(),
        })
    }

    /// Whether a test of this detection names a System field in `names` (its value may still
    /// come from a data field of that name).
    pub fn names_system_field(&self, names: &[SystemName]) -> bool {
        let named = |t: &CompiledTest| t.system.is_some_and(|s| names.contains(&s));
        self.selections.iter().any(|sel| match sel {
            CompiledSelection::AllOf(tests) => tests.iter().any(named),
            CompiledSelection::AnyOf(maps) => maps.iter().flatten().any(named),
            CompiledSelection::Keywords(_) => false,
        })
    }

    /// Whether `event` matches.
    pub fn matches(&self, event: &Event) -> bool {
        let mut cache: Vec<Option<bool>> = vec![None; self.selections.len()];
        let mut sel = |i: usize| -> bool {
            if let Some(v) = cache[i] {
                return v;
            }
            let v = self.selections[i].matches(event);
            cache[i] = Some(v);
            v
        };
        self.condition.eval(&mut |leaf| match leaf {
            CondLeaf::Selection(i) => sel(*i),
            CondLeaf::OneOf(is) => is.iter().any(|&i| sel(i)),
            CondLeaf::AllOf(is) => is.iter().all(|&i| sel(i)),
        })
    }
}

fn compile_tests(
    tests: &[FieldTest],
    path: &[PathSeg],
) -> Result<Vec<CompiledTest>, DetectionError> {
    tests
        .iter()
        .map(|t| {
            let mut p = path.to_vec();
            p.push(PathSeg::Key(t.key.clone()));
            Ok(CompiledTest {
                field: t.field.clone(),
                system_number: system_number(&t.field),
                system: SystemName::of(&t.field),
                kind: match &t.test {
                    Test::Exists(b) => TestKind::Exists(*b),
                    Test::Values { patterns, all } => {
                        TestKind::Values(compile_values(patterns, *all, &p)?)
                    }
                },
            })
        })
        .collect()
}

fn compile_values(
    patterns: &[ValuePattern],
    all: bool,
    path: &[PathSeg],
) -> Result<ValueSet, DetectionError> {
    let mut set = ValueSet {
        all,
        total: patterns.len(),
        ..ValueSet::default()
    };
    let mut substrings = Vec::new();
    let mut regexes = Vec::new();
    for p in patterns {
        match p {
            ValuePattern::Null => set.null = true,
            ValuePattern::Text(TextPattern::Exact { text, number }) => {
                set.exact.push((text.clone(), *number))
            }
            ValuePattern::Text(TextPattern::Prefix(s)) => set.prefixes.push(s.clone()),
            ValuePattern::Text(TextPattern::Suffix(s)) => set.suffixes.push(s.clone()),
            ValuePattern::Text(TextPattern::Contains(s)) => substrings.push(s.clone()),
            ValuePattern::Text(TextPattern::Glob(re)) | ValuePattern::Regex(re) => {
                regexes.push(re.clone())
            }
            ValuePattern::Compare(op, n) => set.compares.push((*op, *n)),
            ValuePattern::Cidr(net) => set.cidrs.push(*net),
        }
    }
    set.numeric_only = !set.null
        && set.prefixes.is_empty()
        && set.suffixes.is_empty()
        && substrings.is_empty()
        && regexes.is_empty()
        && set.cidrs.is_empty()
        && set.exact.iter().all(|(_, n)| n.is_some());
    if !substrings.is_empty() {
        let n = substrings.len();
        // A contiguous NFA, not the DFA the default picks for few patterns: a field's value
        // is short and matched only for candidate records, and the DFA took half the time of
        // compiling the rule pack at every start-up.
        let ac = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&substrings)
            .map_err(|e| DetectionError {
                path: path.to_vec(),
                spot: Spot::Value,
                message: format!("cannot build the substring matcher: {e}"),
                unsupported: false,
            })?;
        set.contains = Some((ac, n));
    }
    if !regexes.is_empty() {
        match RegexSet::new(&regexes) {
            Ok(rs) => set.regexes = Some(rs),
            Err(_) => {
                // Name the first bad one; only on this error path is any regex compiled twice.
                let (i, err) = regexes
                    .iter()
                    .enumerate()
                    .find_map(|(i, r)| regex::Regex::new(r).err().map(|e| (i, e)))
                    .unwrap_or((0, regex::Error::Syntax("invalid regex set".into())));
                let mut p = path.to_vec();
                if let Some(pos) = patterns.iter().position(|v| match v {
                    ValuePattern::Regex(r) | ValuePattern::Text(TextPattern::Glob(r)) => {
                        *r == regexes[i]
                    }
                    _ => false,
                }) {
                    if patterns.len() > 1 {
                        p.push(PathSeg::Index(pos));
                    }
                }
                let first_line = err.to_string();
                let msg = first_line
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or("invalid regex")
                    .trim_start_matches("error:")
                    .trim()
                    .to_string();
                return Err(DetectionError {
                    path: p,
                    spot: Spot::Value,
                    message: format!("bad regex `{}`: {msg}", regexes[i]),
                    unsupported: false,
                });
            }
        }
    }
    Ok(set)
}

impl CompiledSelection {
    fn matches(&self, event: &Event) -> bool {
        match self {
            CompiledSelection::AllOf(tests) => tests.iter().all(|t| t.matches(event)),
            CompiledSelection::AnyOf(maps) => {
                maps.iter().any(|m| m.iter().all(|t| t.matches(event)))
            }
            CompiledSelection::Keywords(set) => {
                event.fields.iter().any(|f| set.matches(Some(&f.value)))
                    || event
                        .message
                        .as_deref()
                        .is_some_and(|m| set.matches(Some(m)))
            }
        }
    }
}

impl CompiledTest {
    fn matches(&self, event: &Event) -> bool {
        if self.field.is_empty() {
            let TestKind::Values(set) = &self.kind else {
                return false;
            };
            return event.fields.iter().any(|f| set.matches(Some(&f.value)))
                || event
                    .message
                    .as_deref()
                    .is_some_and(|m| set.matches(Some(m)));
        }
        if let (Some(get), TestKind::Values(set)) = (self.system_number, &self.kind) {
            if set.numeric_only && !has_data_field(event, &self.field) {
                return set.matches_number(get(event));
            }
        }
        let value = lookup(event, &self.field, self.system);
        match &self.kind {
            TestKind::Exists(want) => value.is_some() == *want,
            TestKind::Values(set) => set.matches(value.as_deref()),
        }
    }
}

fn has_data_field(event: &Event, name: &str) -> bool {
    event
        .fields
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(name))
}

/// `Event::get`, except that data fields are searched without allocating, and that a data
/// field whose name has spaces (Defender's `Source Name`) answers to the name without them
/// (`SourceName`), as Sigma rules write it. `system` is the System field `name` denotes.
fn lookup<'e>(event: &'e Event, name: &str, system: Option<SystemName>) -> Option<Cow<'e, str>> {
    let field = event
        .fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .or_else(|| {
            event
                .fields
                .iter()
                .find(|f| f.name.contains(' ') && eq_without_spaces(&f.name, name))
        });
    match field {
        Some(f) => Some(Cow::Borrowed(f.value.as_str())),
        None => event.system_value(system?),
    }
}

fn eq_without_spaces(spaced: &str, name: &str) -> bool {
    let mut a = spaced.bytes().filter(|b| *b != b' ');
    let mut b = name.bytes();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
            _ => return false,
        }
    }
}

/// `value` in lower case (Sigma's comparisons ignore case). Most values are ASCII, whose
/// lower case needs no look at Unicode's tables.
fn lower(value: &str) -> Cow<'_, str> {
    if value.is_ascii() {
        if value.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(value.to_ascii_lowercase())
        } else {
            Cow::Borrowed(value)
        }
    } else if value.chars().any(char::is_uppercase) {
        Cow::Owned(value.to_lowercase())
    } else {
        Cow::Borrowed(value)
    }
}

impl ValueSet {
    /// [`ValueSet::matches`] for a field that is a number, when `numeric_only`.
    fn matches_number(&self, value: Option<u64>) -> bool {
        let Some(v) = value else {
            return self.matches(None);
        };
        let v = Number::Int(i128::from(v));
        let exact = self
            .exact
            .iter()
            .filter(|(_, n)| n.is_some_and(|n| n.compare(v) == Some(std::cmp::Ordering::Equal)))
            .count();
        let compares = self
            .compares
            .iter()
            .filter(|(op, limit)| compare_holds(*op, v, *limit))
            .count();
        if self.all {
            exact + compares >= self.total
        } else {
            exact + compares > 0
        }
    }

    /// Any value matches (all of them with `|all`). A missing field matches only `null`.
    fn matches(&self, value: Option<&str>) -> bool {
        let Some(value) = value else {
            return self.null && (!self.all || self.total == 1);
        };
        let mut hits = 0usize;
        let any = !self.all;
        macro_rules! hit {
            ($n:expr) => {{
                let n: usize = $n;
                if any && n > 0 {
                    return true;
                }
                hits += n;
            }};
        }
        if self.null {
            hit!(usize::from(value.is_empty()));
        }
        let needs_lower = !self.exact.is_empty()
            || !self.prefixes.is_empty()
            || !self.suffixes.is_empty()
            || self.contains.is_some();
        if needs_lower {
            let low = lower(value);
            let number = if self.exact.iter().any(|(_, n)| n.is_some()) {
                Number::parse(value)
            } else {
                None
            };
            hit!(self
                .exact
                .iter()
                .filter(|(text, n)| match (n, number) {
                    (Some(a), Some(b)) => a.compare(b) == Some(std::cmp::Ordering::Equal),
                    _ => *text == *low,
                })
                .count());
            hit!(self
                .prefixes
                .iter()
                .filter(|p| low.starts_with(p.as_str()))
                .count());
            hit!(self
                .suffixes
                .iter()
                .filter(|p| low.ends_with(p.as_str()))
                .count());
            if let Some((ac, n)) = &self.contains {
                if any {
                    hit!(usize::from(ac.is_match(low.as_ref())));
                } else {
                    let mut seen = vec![false; *n];
                    for m in ac.find_overlapping_iter(low.as_ref()) {
                        seen[m.pattern().as_usize()] = true;
                    }
                    hit!(seen.iter().filter(|s| **s).count());
                }
            }
        }
        if let Some(rs) = &self.regexes {
            if any {
                hit!(usize::from(rs.is_match(value)));
            } else {
                hit!(rs.matches(value).iter().count());
            }
        }
        if !self.compares.is_empty() {
            if let Some(n) = Number::parse(value) {
                hit!(self
                    .compares
                    .iter()
                    .filter(|(op, limit)| compare_holds(*op, n, *limit))
                    .count());
            }
        }
        if !self.cidrs.is_empty() {
            if let Some(ip) = super::detection::parse_logged_ip(value) {
                hit!(self.cidrs.iter().filter(|n| n.contains(ip)).count());
            }
        }
        !any && hits >= self.total
    }
}

/// Whether `value op limit` holds.
fn compare_holds(op: CmpOp, value: Number, limit: Number) -> bool {
    use std::cmp::Ordering::*;
    match (op, value.compare(limit)) {
        (_, None) => false,
        (CmpOp::Gt, Some(o)) => o == Greater,
        (CmpOp::Gte, Some(o)) => o != Less,
        (CmpOp::Lt, Some(o)) => o == Less,
        (CmpOp::Lte, Some(o)) => o != Greater,
    }
}

/// Where a signal lives: its rule and its position among the rule's signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalRef {
    pub rule: usize,
    pub signal: usize,
}

/// Signals by (event id, provider), and the channels any signal may need.
///
/// Event ids below 65,536 (every Windows event id) index a flat table, so a record's lookup is
/// one array read and a scan of the few providers that share its id; providers compare ASCII
/// case-insensitively without allocating. Thousands of rules cost no more per record.
#[derive(Debug, Clone, Default)]
pub struct SignalIndex {
    /// For event id `i < 65536`: `buckets` position + 1, or 0.
    small: Vec<u32>,
    large: HashMap<u32, usize>,
    buckets: Vec<Vec<(String, Vec<SignalRef>)>>,
    /// Lower-case channel names; `None` once some signal accepts any channel.
    channels: Option<Vec<String>>,
    any_channel: bool,
    empty: bool,
}

const SMALL_IDS: usize = 1 << 16;

impl SignalIndex {
    pub fn new() -> Self {
        SignalIndex {
            empty: true,
            ..SignalIndex::default()
        }
    }

    fn bucket_of(&self, id: u32) -> Option<usize> {
        match usize::try_from(id) {
            Ok(i) if i < SMALL_IDS => match self.small.get(i) {
                Some(&b) if b > 0 => Some(b as usize - 1),
                _ => None,
            },
            _ => self.large.get(&id).copied(),
        }
    }

    fn bucket_mut(&mut self, id: u32) -> &mut Vec<(String, Vec<SignalRef>)> {
        let at = match self.bucket_of(id) {
            Some(at) => at,
            None => {
                self.buckets.push(Vec::new());
                let at = self.buckets.len() - 1;
                match usize::try_from(id) {
                    Ok(i) if i < SMALL_IDS => {
                        if self.small.is_empty() {
                            self.small = vec![0; SMALL_IDS];
                        }
                        self.small[i] = u32::try_from(at + 1).unwrap_or(u32::MAX);
                    }
                    _ => {
                        self.large.insert(id, at);
                    }
                }
                at
            }
        };
        &mut self.buckets[at]
    }

    /// Adds a signal under each of its providers and event ids; `channels` empty means any.
    pub fn insert(
        &mut self,
        at: SignalRef,
        providers: &[String],
        event_ids: &[u32],
        channels: &[String],
    ) {
        self.empty = false;
        for &id in event_ids {
            let bucket = self.bucket_mut(id);
            for p in providers {
                match bucket
                    .iter_mut()
                    .find(|(name, _)| name.eq_ignore_ascii_case(p))
                {
                    Some((_, refs)) => {
                        if !refs.contains(&at) {
                            refs.push(at)
                        }
                    }
                    None => bucket.push((p.to_ascii_lowercase(), vec![at])),
                }
            }
        }
        if channels.is_empty() {
            self.any_channel = true;
        } else {
            let list = self.channels.get_or_insert_with(Vec::new);
            for c in channels {
                let c = c.to_ascii_lowercase();
                if !list.contains(&c) {
                    list.push(c);
                }
            }
        }
    }

    /// The signals that may match a record with this provider and event id.
    pub fn lookup(&self, provider: &str, event_id: u32) -> &[SignalRef] {
        self.bucket_of(event_id)
            .and_then(|b| self.buckets.get(b))
            .and_then(|bucket| {
                bucket
                    .iter()
                    .find(|(p, _)| p.eq_ignore_ascii_case(provider))
            })
            .map_or(&[], |(_, refs)| refs.as_slice())
    }

    /// Whether any signal may match a record of `channel`.
    pub fn wants_channel(&self, channel: &str) -> bool {
        if self.empty {
            return false;
        }
        self.any_channel
            || self
                .channels
                .as_ref()
                .is_some_and(|list| list.iter().any(|c| c.eq_ignore_ascii_case(channel)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Field, Provider};

    fn event(fields: &[(&str, &str)]) -> Event {
        Event {
            computer: "SRV01".into(),
            channel: "System".into(),
            provider: Provider {
                name: "Schannel".into(),
                ..Provider::default()
            },
            event_id: 36874,
            fields: fields.iter().map(|(n, v)| Field::new(*n, *v)).collect(),
            message: Some("An TLS 1.0 connection request was received".into()),
            ..Event::default()
        }
    }

    fn matches(detection: &str, e: &Event) -> bool {
        let v: serde_norway::Value = serde_norway::from_str(detection).unwrap();
        let d = Detection::from_value(&v).unwrap();
        CompiledDetection::compile(&d).unwrap().matches(e)
    }

    fn compile_err(detection: &str) -> DetectionError {
        let v: serde_norway::Value = serde_norway::from_str(detection).unwrap();
        let d = Detection::from_value(&v).unwrap();
        CompiledDetection::compile(&d).unwrap_err()
    }

    #[test]
    fn equality_is_case_insensitive() {
        let e = event(&[("Protocol", "TLS 1.0")]);
        assert!(matches("sel: {protocol: tls 1.0}\ncondition: sel", &e));
        assert!(matches("sel: {PROTOCOL: 'TLS 1.0'}\ncondition: sel", &e));
        assert!(!matches("sel: {Protocol: TLS}\ncondition: sel", &e));
        let e = event(&[("User", "ÄRGER")]);
        assert!(matches("sel: {User: ärger}\ncondition: sel", &e));
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let e = event(&[("Status", "0xC000015B"), ("Reason", "2308")]);
        assert!(matches("sel: {Status: 0xc000015b}\ncondition: sel", &e));
        assert!(matches("sel: {Status: 3221225819}\ncondition: sel", &e));
        assert!(matches("sel: {Reason: 0x904}\ncondition: sel", &e));
        assert!(matches("sel: {Reason: '2308'}\ncondition: sel", &e));
        assert!(!matches("sel: {Reason: 2309}\ncondition: sel", &e));
        assert!(matches("sel: {EventID: 36874}\ncondition: sel", &e));
        assert!(matches("sel: {EventID: [1, 0x900A]}\ncondition: sel", &e));
        assert!(!matches("sel: {EventID: [1, 2]}\ncondition: sel", &e));
        assert!(matches("sel: {EventID|gte: 36874}\ncondition: sel", &e));
        assert!(!matches("sel: {Level: 2}\ncondition: sel", &e), "no level");
        assert!(matches("sel: {Level: null}\ncondition: sel", &e));
        assert!(matches("sel: {EventID: '3687*'}\ncondition: sel", &e));
        // A data field of the same name wins over the System field.
        let shadow = event(&[("EventID", "7")]);
        assert!(matches("sel: {EventID: 7}\ncondition: sel", &shadow));
        assert!(matches("sel: {Reason|gt: 2307}\ncondition: sel", &e));
        assert!(!matches("sel: {Reason|gt: 2308}\ncondition: sel", &e));
        assert!(matches("sel: {Reason|gte: 2308}\ncondition: sel", &e));
        assert!(matches("sel: {Reason|lt: 0x905}\ncondition: sel", &e));
        assert!(matches("sel: {Reason|lte: 2308}\ncondition: sel", &e));
        assert!(!matches("sel: {Reason|lt: 2308}\ncondition: sel", &e));
        // A non-numeric field never satisfies a comparison.
        let e = event(&[("Reason", "n/a")]);
        assert!(!matches("sel: {Reason|gt: 0}\ncondition: sel", &e));
        assert!(!matches("sel: {Reason|lt: 0}\ncondition: sel", &e));
    }

    #[test]
    fn lists_are_any_and_all_makes_them_every() {
        let e = event(&[("CommandLine", "mstsc.exe /v:srv01 /admin")]);
        assert!(matches(
            "sel: {CommandLine|contains: [nope, /admin]}\ncondition: sel",
            &e
        ));
        assert!(matches(
            "sel: {CommandLine|contains|all: [MSTSC, /admin]}\ncondition: sel",
            &e
        ));
        assert!(!matches(
            "sel: {CommandLine|contains|all: [mstsc, /public]}\ncondition: sel",
            &e
        ));
        assert!(matches(
            "sel: {CommandLine|startswith: MSTSC}\ncondition: sel",
            &e
        ));
        assert!(!matches(
            "sel: {CommandLine|startswith: /v}\ncondition: sel",
            &e
        ));
        assert!(matches(
            "sel: {CommandLine|endswith: [x, /ADMIN]}\ncondition: sel",
            &e
        ));
        assert!(matches(
            "sel: {CommandLine: 'mstsc*srv01*'}\ncondition: sel",
            &e
        ));
        assert!(matches(
            "sel: {CommandLine: 'mstsc.exe /v:srv0? /admin'}\ncondition: sel",
            &e
        ));
        assert!(!matches("sel: {CommandLine: 'mstsc'}\ncondition: sel", &e));
    }

    #[test]
    fn maps_are_all_and_lists_of_maps_are_any() {
        let e = event(&[("A", "1"), ("B", "2")]);
        assert!(matches("sel: {A: 1, B: 2}\ncondition: sel", &e));
        assert!(!matches("sel: {A: 1, B: 3}\ncondition: sel", &e));
        assert!(matches("sel: [{A: 9}, {B: 2}]\ncondition: sel", &e));
        assert!(!matches("sel: [{A: 9}, {B: 9}]\ncondition: sel", &e));
    }

    #[test]
    fn regexes_are_case_sensitive_unless_i() {
        let e = event(&[("Protocol", "TLS 1.0")]);
        assert!(matches(
            "sel: {Protocol|re: '^TLS 1\\.[01]$'}\ncondition: sel",
            &e
        ));
        assert!(!matches("sel: {Protocol|re: '^tls'}\ncondition: sel", &e));
        assert!(matches("sel: {Protocol|re|i: '^tls'}\ncondition: sel", &e));
        assert!(matches("sel: {Protocol|re: '1\\.0'}\ncondition: sel", &e));
        assert!(matches(
            "sel: {Protocol|re|all: ['^TLS', '0$']}\ncondition: sel",
            &e
        ));
        assert!(!matches(
            "sel: {Protocol|re|all: ['^TLS', '2$']}\ncondition: sel",
            &e
        ));
        let err = compile_err("sel: {Protocol|re: ['ok', '(unclosed']}\ncondition: sel");
        assert!(
            err.message.contains("bad regex `(unclosed`"),
            "{}",
            err.message
        );
        assert_eq!(err.path.last(), Some(&PathSeg::Index(1)));
    }

    #[test]
    fn missing_and_null_and_exists() {
        let e = event(&[("Empty", ""), ("Full", "x")]);
        assert!(matches("sel: {Missing: null}\ncondition: sel", &e));
        assert!(matches("sel: {Empty: null}\ncondition: sel", &e));
        assert!(!matches("sel: {Full: null}\ncondition: sel", &e));
        assert!(matches("sel: {Full: [null, x]}\ncondition: sel", &e));
        assert!(!matches("sel: {Missing: x}\ncondition: sel", &e));
        assert!(!matches("sel: {Missing|contains: ''}\ncondition: sel", &e));
        assert!(matches("sel: {Missing|exists: false}\ncondition: sel", &e));
        assert!(!matches("sel: {Missing|exists: true}\ncondition: sel", &e));
        assert!(matches("sel: {Empty|exists: true}\ncondition: sel", &e));
        // A missing field under `not` makes the negation hold, as in Sigma.
        assert!(matches(
            "sel: {Full: x}\nf: {Missing: y}\ncondition: sel and not f",
            &e
        ));
    }

    #[test]
    fn unnamed_data_and_system_fields_resolve() {
        let e = event(&[("Source Name", "Real-Time Protection")]);
        assert!(matches(
            "sel: {SourceName: real-time protection}\ncondition: sel",
            &e
        ));
        assert!(!matches(
            "sel: {SourceNam: real-time protection}\ncondition: sel",
            &e
        ));
        let e = event(&[("Data1", "TermService"), ("Data2", "stopped")]);
        assert!(matches(
            "sel: {Data1: termservice, data2: STOPPED}\ncondition: sel",
            &e
        ));
        assert!(matches(
            "sel: {Provider_Name: schannel, Channel: system, Computer: srv01}\ncondition: sel",
            &e
        ));
    }

    #[test]
    fn cidr_on_fields() {
        let e = event(&[("ClientIP", "203.0.113.7:50123")]);
        assert!(matches(
            "sel: {ClientIP|cidr: [10.0.0.0/8, 203.0.113.0/24]}\ncondition: sel",
            &e
        ));
        assert!(!matches(
            "sel: {ClientIP|cidr: 10.0.0.0/8}\ncondition: sel",
            &e
        ));
        assert!(matches(
            "sel: {ClientIP|cidr: 10.0.0.0/8}\ncondition: not sel",
            &e
        ));
    }

    #[test]
    fn keywords_search_values_and_message() {
        let e = event(&[("Protocol", "TLS 1.0")]);
        assert!(matches("kw: [nothing, 'tls 1.0']\ncondition: kw", &e));
        assert!(matches("kw: ['connection REQUEST']\ncondition: kw", &e));
        assert!(!matches("kw: [absent]\ncondition: kw", &e));
        assert!(matches("kw: {'|contains': [REQUEST]}\ncondition: kw", &e));
        assert!(!matches(
            "kw: {'|startswith': [REQUEST]}\ncondition: kw",
            &e
        ));
    }

    #[test]
    fn condition_forms() {
        let e = event(&[("A", "1"), ("B", "2")]);
        let sels = "sel_a: {A: 1}\nsel_b: {B: 9}\nfilter: {A: 9}\n";
        let m = |cond: &str| matches(&format!("{sels}condition: {cond}"), &e);
        assert!(m("sel_a"));
        assert!(!m("sel_b"));
        assert!(m("sel_a and not sel_b"));
        assert!(m("sel_b or sel_a"));
        assert!(!m("sel_a and (sel_b or filter)"));
        assert!(m("1 of sel_*"));
        assert!(!m("all of sel_*"));
        assert!(m("1 of them"));
        assert!(!m("all of them"));
        assert!(m("not filter and 1 of sel*"));
        assert!(m("any of sel_*"));
    }

    #[test]
    fn index_holds_thousands_of_signals() {
        let mut idx = SignalIndex::new();
        let providers: Vec<String> = (0..50).map(|p| format!("Provider-{p}")).collect();
        for n in 0..5000usize {
            let at = SignalRef { rule: n, signal: 0 };
            let provider = providers[n % 50].clone();
            idx.insert(at, &[provider], &[(n % 400) as u32, 9999], &[]);
        }
        // Every (provider, id) bucket holds exactly the signals inserted under it.
        for n in [0usize, 1, 399, 400, 4999] {
            let refs = idx.lookup(&providers[n % 50].to_uppercase(), (n % 400) as u32);
            assert!(refs.contains(&SignalRef { rule: n, signal: 0 }));
            assert!(refs
                .iter()
                .all(|r| r.rule % 50 == n % 50 && r.rule % 400 == n % 400));
        }
        assert_eq!(idx.lookup("Provider-7", 9999).len(), 100);
        assert!(idx.lookup("Provider-7", 400).is_empty());
        assert!(idx.lookup("Nobody", 1).is_empty());
        // Ids past 16 bits still index.
        idx.insert(
            SignalRef { rule: 1, signal: 1 },
            &["Big".into()],
            &[70_000],
            &[],
        );
        assert_eq!(
            idx.lookup("big", 70_000),
            &[SignalRef { rule: 1, signal: 1 }]
        );
        assert!(idx.lookup("big", 70_001).is_empty());
    }

    #[test]
    fn index_lookup_is_case_insensitive_on_provider() {
        let mut idx = SignalIndex::new();
        assert!(!idx.wants_channel("System"));
        let a = SignalRef { rule: 0, signal: 0 };
        let b = SignalRef { rule: 1, signal: 2 };
        idx.insert(a, &["Schannel".into()], &[36874, 36888], &["System".into()]);
        idx.insert(b, &["schannel".into(), "Other".into()], &[36874], &[]);
        assert_eq!(idx.lookup("SCHANNEL", 36874), &[a, b]);
        assert_eq!(idx.lookup("Schannel", 36888), &[a]);
        assert_eq!(idx.lookup("other", 36874), &[b]);
        assert!(idx.lookup("Schannel", 1).is_empty());
        assert!(idx.wants_channel("anything"));
        let mut only = SignalIndex::new();
        only.insert(a, &["Schannel".into()], &[1], &["System".into()]);
        assert!(only.wants_channel("SYSTEM"));
        assert!(!only.wants_channel("Security"));
    }
}
