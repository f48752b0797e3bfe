//! A Sigma `detection` as a typed tree: selections of field tests plus a parsed condition.
//!
//! This module knows Sigma and nothing of evident's wrapper (causes, confidence, fixes), so a
//! plain SigmaHQ rule's `detection` parses into the same form. Semantics follow the Sigma
//! specification (sigma-specification, "Detection"):
//!
//! * `field: value` is case-insensitive equality; when both sides are numbers (decimal or
//!   `0x` hex) they compare as numbers. `*` and `?` in a value are wildcards (`\` escapes).
//! * a list of values means any (all with `|all`); a map means all; a list of maps means any.
//! * `null` matches a missing or empty field; `|exists: true/false` tests presence.
//! * a bare list of strings is a keyword selection: any field value (or the message) contains
//!   one of them.
//! * `re` is a regular expression, case-sensitive unless `|i` (Sigma's rule), matched
//!   anywhere in the value.
//!
//! Compilation into matchers (Aho-Corasick, `RegexSet`) happens in [`super::compile`].

use serde_norway::Value;

use super::condition::{self, Atom, BoolExpr};

/// A path into a YAML document, to point an error at the offending key or value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// Whether an error is about a key itself or about the value under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    Key,
    Value,
}

/// A detection that cannot be used: what is wrong and where (relative to the `detection` map).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DetectionError {
    pub path: Vec<PathSeg>,
    pub spot: Spot,
    pub message: String,
    /// True when the rule is valid Sigma but uses a feature evident does not implement.
    pub unsupported: bool,
}

impl DetectionError {
    fn new(path: Vec<PathSeg>, spot: Spot, message: impl Into<String>) -> Self {
        DetectionError {
            path,
            spot,
            message: message.into(),
            unsupported: false,
        }
    }

    fn unsupported(path: Vec<PathSeg>, spot: Spot, message: impl Into<String>) -> Self {
        DetectionError {
            unsupported: true,
            ..DetectionError::new(path, spot, message)
        }
    }
}

/// A parsed Sigma detection.
#[derive(Debug, Clone)]
pub struct Detection {
    pub selections: Vec<Selection>,
    pub condition: BoolExpr<CondLeaf>,
}

/// A named selection (or filter) of a detection.
#[derive(Debug, Clone)]
pub struct Selection {
    pub name: String,
    pub body: SelectionBody,
}

#[derive(Debug, Clone)]
pub enum SelectionBody {
    /// A map: every field test holds.
    AllOf(Vec<FieldTest>),
    /// A list of maps: at least one map holds entirely.
    AnyOf(Vec<Vec<FieldTest>>),
    /// A list of plain values: any of them occurs in any field value or the message.
    Keywords(Vec<TextPattern>),
}

/// A condition leaf, resolved to selection indexes at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondLeaf {
    Selection(usize),
    OneOf(Vec<usize>),
    AllOf(Vec<usize>),
}

/// One `field|modifiers: values` entry.
#[derive(Debug, Clone)]
pub struct FieldTest {
    /// The field name; empty for a field-less key (`'|contains': [...]`), which tests every
    /// field value and the message, like a keyword.
    pub field: String,
    /// The key as written, modifiers included (`Protocol|re`), to point errors at it.
    pub key: String,
    pub test: Test,
}

#[derive(Debug, Clone)]
pub enum Test {
    /// `|exists: true` or `|exists: false`.
    Exists(bool),
    /// The value patterns; `all` from the `|all` modifier.
    Values {
        patterns: Vec<ValuePattern>,
        all: bool,
    },
}

/// One value of a field test, with its modifiers applied.
#[derive(Debug, Clone, PartialEq)]
pub enum ValuePattern {
    /// `null`: the field is missing or empty.
    Null,
    /// A case-insensitive text pattern (lower-cased here).
    Text(TextPattern),
    /// `|gt`, `|gte`, `|lt`, `|lte`.
    Compare(CmpOp, Number),
    /// `|re` (with its flags folded into the pattern as `(?i)` etc.).
    Regex(String),
    /// `|cidr`.
    Cidr(IpNet),
}

/// A case-insensitive text pattern; the text is stored lower-case.
#[derive(Debug, Clone, PartialEq)]
pub enum TextPattern {
    /// Whole-value equality; `number` when the value reads as a number.
    Exact {
        text: String,
        number: Option<Number>,
    },
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Anything with inner wildcards, as an anchored case-insensitive regex.
    Glob(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A number as a rule or a field writes it: an integer (decimal or `0x` hex) or a decimal
/// fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    /// Reads `12`, `-3`, `0xC000015B`, `1.5`; anything else (including `1e5`, `inf`) is not a
    /// number.
    pub fn parse(text: &str) -> Option<Number> {
        let t = text.trim();
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let int = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            if hex.is_empty() || hex.len() > 30 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            i128::from_str_radix(hex, 16).ok()
        } else if !body.is_empty() && body.len() <= 38 && body.bytes().all(|b| b.is_ascii_digit()) {
            body.parse::<i128>().ok()
        } else {
            None
        };
        if let Some(v) = int {
            return Some(Number::Int(if neg { -v } else { v }));
        }
        let mut parts = body.splitn(2, '.');
        let whole = parts.next().unwrap_or("");
        let frac = parts.next()?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) {
            return None;
        }
        t.parse::<f64>().ok().map(Number::Float)
    }

    fn as_f64(self) -> f64 {
        match self {
            Number::Int(v) => v as f64,
            Number::Float(v) => v,
        }
    }

    /// Numeric comparison (exact for two integers).
    pub fn compare(self, other: Number) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `fe80::/10`), for `|cidr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let addr: std::net::IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    /// Whether `value` (an address as logs write it: maybe with a port, brackets, `::ffff:`
    /// or an IPv6 zone) lies in this network.
    pub fn contains_text(&self, value: &str) -> bool {
        parse_logged_ip(value).is_some_and(|ip| self.contains(ip))
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Reads an address as Windows logs write it: `10.1.2.3`, `10.1.2.3:3389`, `[fe80::1]:3389`,
/// `::ffff:10.1.2.3`, `fe80::1%12`.
pub fn parse_logged_ip(value: &str) -> Option<std::net::IpAddr> {
    let v = value.trim();
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Ok(sock) = v.parse::<std::net::SocketAddr>() {
        return Some(sock.ip());
    }
    let v = v.trim_start_matches('[');
    let v = v.split(']').next().unwrap_or(v);
    let v = v.split('%').next().unwrap_or(v);
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    // IPv4 with a port.
    let (host, port) = v.rsplit_once(':')?;
    if port.bytes().all(|b| b.is_ascii_digit()) {
        host.parse().ok()
    } else {
        None
    }
}

/// Modifiers that are valid Sigma but not implemented here: refused with a clear reason.
const UNSUPPORTED_MODIFIERS: &[&str] = &[
    "base64",
    "base64offset",
    "utf16le",
    "utf16be",
    "utf16",
    "wide",
    "fieldref",
    "expand",
    "cased",
    "neq",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
];

impl Detection {
    /// Parses a Sigma `detection` map.
    pub fn from_value(value: &Value) -> Result<Detection, DetectionError> {
        let Value::Mapping(map) = value else {
            return Err(DetectionError::new(
                vec![],
                Spot::Value,
                "expected a map of selections and a `condition`",
            ));
        };
        let mut selections = Vec::new();
        let mut condition_text: Option<(String, Vec<PathSeg>)> = None;
        for (key, body) in map {
            let Some(name) = key.as_str() else {
                return Err(DetectionError::new(
                    vec![],
                    Spot::Value,
                    "selection names must be strings",
                ));
            };
            let path = vec![PathSeg::Key(name.to_string())];
            match name {
                "condition" => {
                    let text = match body {
                        Value::String(s) => s.clone(),
                        // Sigma 1.0: a list of conditions means any of them.
                        Value::Sequence(items) if !items.is_empty() => {
                            let mut parts = Vec::new();
                            for item in items {
                                match item.as_str() {
                                    Some(s) => parts.push(format!("({s})")),
                                    None => {
                                        return Err(DetectionError::new(
                                            path,
                                            Spot::Value,
                                            "expected a condition string",
                                        ))
                                    }
                                }
                            }
                            parts.join(" or ")
                        }
                        _ => {
                            return Err(DetectionError::new(
                                path,
                                Spot::Value,
                                "expected a condition string",
                            ))
                        }
                    };
                    condition_text = Some((text, path));
                }
                "timeframe" => {
                    return Err(DetectionError::unsupported(
                        path,
                        Spot::Key,
                        "`timeframe` (aggregation windows) is not supported",
                    ))
                }
                _ => {
                    if selections.iter().any(|s: &Selection| s.name == name) {
                        return Err(DetectionError::new(
                            path,
                            Spot::Key,
                            format!("selection `{name}` is defined twice"),
                        ));
                    }
                    let body = parse_selection(body, &path)?;
                    selections.push(Selection {
                        name: name.to_string(),
                        body,
                    });
                }
            }
        }
        let Some((text, path)) = condition_text else {
            return Err(DetectionError::new(
                vec![],
                Spot::Value,
                "a detection needs a `condition`",
            ));
        };
        let names: Vec<&str> = selections.iter().map(|s| s.name.as_str()).collect();
        let resolve = |pattern: &str| -> Result<Vec<usize>, String> {
            let hits: Vec<usize> = if pattern.eq_ignore_ascii_case("them") {
                (0..names.len())
                    .filter(|&i| !names[i].starts_with('_'))
                    .collect()
            } else {
                (0..names.len())
                    .filter(|&i| condition::pattern_matches(pattern, names[i]))
                    .collect()
            };
            if hits.is_empty() {
                Err(format!("no selection matches `{pattern}`"))
            } else {
                Ok(hits)
            }
        };
        let condition = condition::parse(&text, &mut |atom| match atom {
            Atom::Name(n) => names
                .iter()
                .position(|s| *s == n)
                .map(CondLeaf::Selection)
                .ok_or_else(|| format!("unknown selection `{n}`")),
            Atom::OneOf(p) => resolve(p).map(CondLeaf::OneOf),
            Atom::AllOf(p) => resolve(p).map(CondLeaf::AllOf),
        })
        .map_err(|e| {
            let unsupported = e.message.contains("aggregation");
            DetectionError {
                path: path.clone(),
                spot: Spot::Value,
                message: format!("condition: {e}"),
                unsupported,
            }
        })?;
        Ok(Detection {
            selections,
            condition,
        })
    }

    /// Every field name the detection reads (for documentation and evidence checks).
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.selections {
            let maps: Vec<&Vec<FieldTest>> = match &s.body {
                SelectionBody::AllOf(tests) => vec![tests],
                SelectionBody::AnyOf(maps) => maps.iter().collect(),
                SelectionBody::Keywords(_) => vec![],
            };
            for t in maps.into_iter().flatten() {
                if !out.iter().any(|f| f.eq_ignore_ascii_case(&t.field)) {
                    out.push(&t.field);
                }
            }
        }
        out
    }
}

fn parse_selection(body: &Value, path: &[PathSeg]) -> Result<SelectionBody, DetectionError> {
    match body {
        Value::Mapping(map) => Ok(SelectionBody::AllOf(parse_field_map(map, path)?)),
        Value::Sequence(items) if items.is_empty() => Err(DetectionError::new(
            path.to_vec(),
            Spot::Value,
            "expected a map of fields or a list of keywords, found an empty list",
        )),
        Value::Sequence(items) if items.iter().all(|i| matches!(i, Value::Mapping(_))) => {
            let mut maps = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(PathSeg::Index(i));
                if let Value::Mapping(map) = item {
                    maps.push(parse_field_map(map, &p)?);
                }
            }
            Ok(SelectionBody::AnyOf(maps))
        }
        Value::Sequence(items) => {
            let mut patterns = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(PathSeg::Index(i));
                let text = scalar_text(item).ok_or_else(|| {
                    DetectionError::new(
                        p.clone(),
                        Spot::Value,
                        "a list mixing maps and keywords: expected all maps or all keywords",
                    )
                })?;
                let Some(text) = text else {
                    return Err(DetectionError::new(p, Spot::Value, "null is not a keyword"));
                };
                patterns.push(text_pattern(&text, Anchor::Contains));
            }
            Ok(SelectionBody::Keywords(patterns))
        }
        Value::String(s) => Ok(SelectionBody::Keywords(vec![text_pattern(
            s,
            Anchor::Contains,
        )])),
        _ => Err(DetectionError::new(
            path.to_vec(),
            Spot::Value,
            "expected a map of fields, a list of maps, or a list of keywords",
        )),
    }
}

/// A scalar's text: `Some(Some(text))`, `Some(None)` for null, `None` for a map or list.
fn scalar_text(v: &Value) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::Bool(b) => Some(Some(b.to_string())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::String(s) => Some(Some(s.clone())),
        Value::Tagged(t) => scalar_text(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text(Anchor),
    Regex,
    Compare(CmpOp),
    Cidr,
    Exists,
}

fn parse_field_map(
    map: &serde_norway::Mapping,
    path: &[PathSeg],
) -> Result<Vec<FieldTest>, DetectionError> {
    let mut tests = Vec::new();
    for (key, value) in map {
        let Some(key) = key.as_str() else {
            return Err(DetectionError::new(
                path.to_vec(),
                Spot::Value,
                "field names must be strings",
            ));
        };
        let mut p = path.to_vec();
        p.push(PathSeg::Key(key.to_string()));
        tests.push(parse_field_test(key, value, &p)?);
    }
    Ok(tests)
}

fn parse_field_test(
    key: &str,
    value: &Value,
    path: &[PathSeg],
) -> Result<FieldTest, DetectionError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").trim().to_string();
    let mut kind = Kind::Text(Anchor::Exact);
    let mut all = false;
    let mut re_flags = String::new();
    let mut windash = false;
    for m in parts {
        let lower = m.to_ascii_lowercase();
        let new_kind = match lower.as_str() {
            "contains" => Some(Kind::Text(Anchor::Contains)),
            "startswith" => Some(Kind::Text(Anchor::Prefix)),
            "endswith" => Some(Kind::Text(Anchor::Suffix)),
            "re" => Some(Kind::Regex),
            "gt" => Some(Kind::Compare(CmpOp::Gt)),
            "gte" => Some(Kind::Compare(CmpOp::Gte)),
            "lt" => Some(Kind::Compare(CmpOp::Lt)),
            "lte" => Some(Kind::Compare(CmpOp::Lte)),
            "cidr" => Some(Kind::Cidr),
            "exists" => Some(Kind::Exists),
            "all" => {
                all = true;
                None
            }
            "windash" => {
                windash = true;
                None
            }
            "i" | "m" | "s" if kind == Kind::Regex => {
                re_flags.push_str(&lower);
                None
            }
            "ignorecase" | "multiline" | "dotall" if kind == Kind::Regex => {
                re_flags.push(lower.as_bytes()[0] as char);
                None
            }
            _ if UNSUPPORTED_MODIFIERS.contains(&lower.as_str()) => {
                return Err(DetectionError::unsupported(
                    path.to_vec(),
                    Spot::Key,
                    format!("modifier `{m}` is not supported"),
                ))
            }
            _ => {
                return Err(DetectionError::new(
                    path.to_vec(),
                    Spot::Key,
                    format!("unknown modifier `{m}` (expected contains, startswith, endswith, re, all, gt, gte, lt, lte, cidr or exists)"),
                ))
            }
        };
        if let Some(k) = new_kind {
            if kind != Kind::Text(Anchor::Exact) {
                return Err(DetectionError::new(
                    path.to_vec(),
                    Spot::Key,
                    format!("modifier `{m}` cannot follow another value modifier"),
                ));
            }
            kind = k;
        }
    }
    let values: Vec<(Option<String>, Vec<PathSeg>)> = match value {
        Value::Sequence(items) => {
            if items.is_empty() {
                return Err(DetectionError::new(
                    path.to_vec(),
                    Spot::Value,
                    "expected a value or a list of values, found an empty list",
                ));
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(PathSeg::Index(i));
                match scalar_text(item) {
                    Some(t) => out.push((t, p)),
                    None => {
                        return Err(DetectionError::new(
                            p,
                            Spot::Value,
                            "expected a plain value, found a map or list",
                        ))
                    }
                }
            }
            out
        }
        other => match scalar_text(other) {
            Some(t) => vec![(t, path.to_vec())],
            None => {
                return Err(DetectionError::new(
                    path.to_vec(),
                    Spot::Value,
                    "expected a value or a list of values, found a map",
                ))
            }
        },
    };
    if kind == Kind::Exists {
        return match (values.as_slice(), value) {
            ([_], Value::Bool(b)) => Ok(FieldTest {
                field,
                key: key.to_string(),
                test: Test::Exists(*b),
            }),
            _ => Err(DetectionError::new(
                path.to_vec(),
                Spot::Value,
                "`exists` takes `true` or `false`",
            )),
        };
    }
    if windash && (all || !matches!(kind, Kind::Text(_))) {
        return Err(DetectionError::unsupported(
            path.to_vec(),
            Spot::Key,
            "`windash` is supported only with text modifiers and without `all`",
        ));
    }
    let values: Vec<(Option<String>, Vec<PathSeg>)> = if windash {
        values
            .into_iter()
            .flat_map(|(text, p)| match text {
                Some(t) => windash_variants(&t)
                    .into_iter()
                    .map(|v| (Some(v), p.clone()))
                    .collect::<Vec<_>>(),
                None => vec![(None, p)],
            })
            .collect()
    } else {
        values
    };
    let mut patterns = Vec::new();
    for (text, p) in values {
        let Some(text) = text else {
            patterns.push(ValuePattern::Null);
            continue;
        };
        patterns.push(match kind {
            Kind::Text(anchor) => ValuePattern::Text(text_pattern(&text, anchor)),
            Kind::Regex => {
                if re_flags.is_empty() {
                    ValuePattern::Regex(text)
                } else {
                    ValuePattern::Regex(format!("(?{re_flags}){text}"))
                }
            }
            Kind::Compare(op) => match Number::parse(&text) {
                Some(n) => ValuePattern::Compare(op, n),
                None => {
                    return Err(DetectionError::new(
                        p,
                        Spot::Value,
                        format!("`{text}` is not a number"),
                    ))
                }
            },
            Kind::Cidr => match IpNet::parse(&text) {
                Some(net) => ValuePattern::Cidr(net),
                None => {
                    return Err(DetectionError::new(
                        p,
                        Spot::Value,
                        format!("`{text}` is not an IPv4 or IPv6 network"),
                    ))
                }
            },
            Kind::Exists => {
                return Err(DetectionError::new(
                    p,
                    Spot::Value,
                    "`exists` takes `true` or `false`",
                ))
            }
        });
    }
    Ok(FieldTest {
        field,
        key: key.to_string(),
        test: Test::Values { patterns, all },
    })
}

/// The dash characters Windows command lines accept for a switch (Sigma `windash`).
const WINDASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Sigma `windash`: every switch character (a `-` or `/` that starts a word) in every dash
/// form. More than three switches in one value vary together rather than combinatorially.
fn windash_variants(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let spots: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            matches!(chars[i], '-' | '/')
                && !word(i.checked_sub(1).and_then(|j| chars.get(j)))
                && word(chars.get(i + 1))
        })
        .collect();
    if spots.is_empty() {
        return vec![text.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    let combos = if spots.len() <= 3 {
        WINDASHES.len().pow(spots.len() as u32)
    } else {
        WINDASHES.len()
    };
    for n in 0..combos {
        let mut v = chars.clone();
        let mut k = n;
        for &at in &spots {
            v[at] = WINDASHES[k % WINDASHES.len()];
            if spots.len() <= 3 {
                k /= WINDASHES.len();
            }
        }
        let s: String = v.into_iter().collect();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum GlobPart {
    Lit(String),
    Star,
    One,
}

/// Splits a Sigma value into literal runs and wildcards (`*`, `?`; `\` escapes them).
fn glob_parts(text: &str) -> Vec<GlobPart> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    parts.push(GlobPart::Lit(std::mem::take(&mut lit)));
                }
                if c == '*' {
                    if parts.last() != Some(&GlobPart::Star) {
                        parts.push(GlobPart::Star);
                    }
                } else {
                    parts.push(GlobPart::One);
                }
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(GlobPart::Lit(lit));
    }
    parts
}

/// Builds the text pattern for a value under a modifier, folding wildcards into the cheapest
/// form: exact, prefix, suffix, contains, or a glob regex.
fn text_pattern(text: &str, anchor: Anchor) -> TextPattern {
    let mut parts = glob_parts(text);
    if matches!(anchor, Anchor::Contains | Anchor::Suffix) && parts.first() != Some(&GlobPart::Star)
    {
        parts.insert(0, GlobPart::Star);
    }
    if matches!(anchor, Anchor::Contains | Anchor::Prefix) && parts.last() != Some(&GlobPart::Star)
    {
        parts.push(GlobPart::Star);
    }
    let lower = |s: &String| s.to_lowercase();
    match parts.as_slice() {
        [] => TextPattern::Exact {
            text: String::new(),
            number: None,
        },
        [GlobPart::Lit(s)] => TextPattern::Exact {
            text: lower(s),
            number: Number::parse(s),
        },
        [GlobPart::Star] => TextPattern::Contains(String::new()),
        [GlobPart::Lit(s), GlobPart::Star] => TextPattern::Prefix(lower(s)),
        [GlobPart::Star, GlobPart::Lit(s)] => TextPattern::Suffix(lower(s)),
        [GlobPart::Star, GlobPart::Lit(s), GlobPart::Star] => TextPattern::Contains(lower(s)),
        _ => {
            let mut re = String::from("(?is)^");
            for p in &parts {
                match p {
                    GlobPart::Lit(s) => re.push_str(&regex::escape(s)),
                    GlobPart::Star => re.push_str(".*"),
                    GlobPart::One => re.push('.'),
                }
            }
            re.push('$');
            TextPattern::Glob(re)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(yaml: &str) -> Result<Detection, DetectionError> {
        let v: Value = serde_norway::from_str(yaml).unwrap();
        Detection::from_value(&v)
    }

    #[test]
    fn wildcards_fold_into_cheap_patterns() {
        assert_eq!(
            text_pattern("abc*", Anchor::Exact),
            TextPattern::Prefix("abc".into())
        );
        assert_eq!(
            text_pattern("*ABC", Anchor::Exact),
            TextPattern::Suffix("abc".into())
        );
        assert_eq!(
            text_pattern("*abc*", Anchor::Exact),
            TextPattern::Contains("abc".into())
        );
        assert_eq!(
            text_pattern("abc", Anchor::Contains),
            TextPattern::Contains("abc".into())
        );
        assert_eq!(
            text_pattern("a*c", Anchor::Contains),
            TextPattern::Glob("(?is)^.*a.*c.*$".into())
        );
        assert_eq!(
            text_pattern(r"a\*c", Anchor::Exact),
            TextPattern::Exact {
                text: "a*c".into(),
                number: None
            }
        );
        assert_eq!(
            text_pattern("a?c", Anchor::Exact),
            TextPattern::Glob("(?is)^a.c$".into())
        );
        assert_eq!(
            text_pattern("0xC000015B", Anchor::Exact),
            TextPattern::Exact {
                text: "0xc000015b".into(),
                number: Some(Number::Int(0xC000015B))
            }
        );
    }

    #[test]
    fn windash_expands_switch_characters() {
        let v = windash_variants(" -enc ");
        assert_eq!(v.len(), 5);
        assert!(v.contains(&" /enc ".to_string()) && v.contains(&" \u{2013}enc ".to_string()));
        assert_eq!(
            windash_variants("a-b").len(),
            1,
            "a dash inside a word is no switch"
        );
        assert_eq!(windash_variants("-a -b").len(), 25);
        let d = det("sel: {CommandLine|contains|windash: ' -s '}\ncondition: sel").unwrap();
        let SelectionBody::AllOf(tests) = &d.selections[0].body else {
            panic!()
        };
        let Test::Values { patterns, .. } = &tests[0].test else {
            panic!()
        };
        assert_eq!(patterns.len(), 5);
        assert!(
            det("sel: {CommandLine|contains|all|windash: [' -s ']}\ncondition: sel")
                .unwrap_err()
                .unsupported
        );
    }

    #[test]
    fn numbers_read_decimal_hex_and_fractions_only() {
        assert_eq!(Number::parse("3221225819"), Some(Number::Int(3221225819)));
        assert_eq!(Number::parse("0xc000015b"), Some(Number::Int(3221225819)));
        assert_eq!(Number::parse("-5"), Some(Number::Int(-5)));
        assert_eq!(Number::parse("1.5"), Some(Number::Float(1.5)));
        assert_eq!(Number::parse("1e5"), None);
        assert_eq!(Number::parse("inf"), None);
        assert_eq!(Number::parse("0x"), None);
        assert_eq!(Number::parse(""), None);
        assert_eq!(Number::parse("."), None);
    }

    #[test]
    fn cidr_understands_logged_addresses() {
        let net = IpNet::parse("10.0.0.0/8").unwrap();
        assert!(net.contains_text("10.1.2.3"));
        assert!(net.contains_text("10.1.2.3:3389"));
        assert!(net.contains_text("::ffff:10.1.2.3"));
        assert!(!net.contains_text("11.1.2.3"));
        assert!(!net.contains_text("-"));
        let v6 = IpNet::parse("fe80::/10").unwrap();
        assert!(v6.contains_text("[fe80::1]:3389"));
        assert!(v6.contains_text("fe80::1%12"));
        assert!(!v6.contains_text("10.1.2.3"));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains_text("8.8.8.8"));
    }

    #[test]
    fn condition_resolves_names_and_patterns() {
        let d = det("sel_a: {x: 1}\nsel_b: {y: 2}\n_hidden: {z: 3}\ncondition: 1 of sel_* and not all of them").unwrap();
        assert_eq!(d.selections.len(), 3);
        assert_eq!(
            d.condition,
            BoolExpr::And(vec![
                BoolExpr::Leaf(CondLeaf::OneOf(vec![0, 1])),
                BoolExpr::Not(Box::new(BoolExpr::Leaf(CondLeaf::AllOf(vec![0, 1])))),
            ])
        );
    }

    #[test]
    fn load_errors_point_at_the_culprit() {
        let e = det("sel: {x: 1}\ncondition: sel and filter").unwrap_err();
        assert!(
            e.message.contains("unknown selection `filter`"),
            "{}",
            e.message
        );
        assert_eq!(e.path, vec![PathSeg::Key("condition".into())]);
        let e = det("sel: {x|bogus: 1}\ncondition: sel").unwrap_err();
        assert!(e.message.contains("unknown modifier `bogus`"));
        assert_eq!(
            e.path,
            vec![PathSeg::Key("sel".into()), PathSeg::Key("x|bogus".into())]
        );
        assert_eq!(e.spot, Spot::Key);
        assert!(!e.unsupported);
        assert!(det("sel: {'|contains': [a, b]}\ncondition: sel").is_ok());
        let e = det("sel: {x|base64offset|contains: a}\ncondition: sel").unwrap_err();
        assert!(e.unsupported);
        let e = det("sel: {x: 1}").unwrap_err();
        assert!(e.message.contains("condition"));
        let e = det("sel: {x|gt: abc}\ncondition: sel").unwrap_err();
        assert!(e.message.contains("not a number"));
        let e = det("sel: {x|cidr: [10.0.0.0/8, nonsense]}\ncondition: sel").unwrap_err();
        assert_eq!(e.path.last(), Some(&PathSeg::Index(1)));
        let e = det("sel: {x: 1}\ncondition: sel | count() > 3").unwrap_err();
        assert!(e.unsupported);
        assert!(det("sel: {x|exists: yes-please}\ncondition: sel").is_err());
    }
}
