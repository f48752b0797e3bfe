//! The rule file as serde reads it (docs/RULES.md is the contract).
//!
//! Every struct rejects unknown keys, and values are checked while they are read (ids, names,
//! durations, `when` expressions), so a mistake is reported at its own line and column by the
//! YAML reader. The `detection` of a signal stays a YAML value here: it is Sigma, parsed by
//! [`super::detection`] so that plain SigmaHQ rules go through the same code.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::condition::{self, BoolExpr};
use crate::signal::Side;

/// Signal names reserved for the `context` rule; any rule's `when` may name them.
pub const RESERVED_SIGNALS: &[&str] = &[
    "client_attempt",
    "client_transport",
    "client_connected",
    "client_disconnect",
    "server_connection",
];

/// One rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The format version; only 1 exists.
    pub evident: FormatVersion,
    pub id: RuleId,
    pub title: String,
    #[serde(default)]
    pub kind: RuleKind,
    /// How bad the cause is.
    pub severity: Level,
    pub status: Status,
    pub description: String,
    /// What the evidence for this cause does not establish; shown wherever the cause is.
    #[serde(default)]
    pub unconfirmed: Option<String>,
    #[serde(default)]
    pub references: Vec<Reference>,
    pub signals: Signals,
    #[serde(default)]
    pub diagnosis: Option<Diagnosis>,
    #[serde(default)]
    pub fix: Vec<FixStep>,
    #[serde(default)]
    pub examples: Examples,
}

/// Reads a string and checks it inside the YAML reader's visit, so that a refusal is reported
/// at the string's own line and column.
fn checked_str<'de, D, T>(d: D, check: fn(&str) -> Result<T, String>) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct V<T>(fn(&str) -> Result<T, String>);
    impl<T> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            (self.0)(v).map_err(E::custom)
        }
    }
    d.deserialize_str(V(check))
}

/// `evident: 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatVersion(pub u32);

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FormatVersion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the format version `1`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FormatVersion, E> {
                if v == 1 {
                    Ok(FormatVersion(1))
                } else {
                    Err(E::custom(format!(
                        "unsupported format version {v}: expected `evident: 1`"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FormatVersion, E> {
                self.visit_u64(u64::try_from(v).unwrap_or(0))
            }
        }
        d.deserialize_u64(V)
    }
}

/// A rule id: `[a-z0-9-]+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RuleId(pub String);

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, |s| {
            if !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                Ok(RuleId(s.to_string()))
            } else {
                Err(format!(
                    "invalid id `{s}`: expected lower-case letters, digits and `-`"
                ))
            }
        })
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for RuleId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// What a rule's findings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A root cause: produces findings.
    #[default]
    Cause,
    /// Feeds correlation and coverage (client attempts); produces no findings.
    Context,
    /// Internet noise (scanners, brute force): findings at `info`, listed apart.
    Background,
}

/// Severity of a cause, and the level of a confidence entry. Ordered: info < low < medium < high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Stable,
    Experimental,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub title: String,
    pub url: String,
}

/// The signals of a rule, in file order.
#[derive(Debug, Clone, Default)]
pub struct Signals(pub Vec<(String, SignalSpec)>);

impl Signals {
    pub fn get(&self, name: &str) -> Option<&SignalSpec> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }
}

/// Reads a map key as a signal name, refusing bad or repeated names at the key's position.
struct SignalNameSeed<'a>(&'a mut HashSet<String>);

impl<'de> DeserializeSeed<'de> for SignalNameSeed<'_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        struct V<'a>(&'a mut HashSet<String>);
        impl Visitor<'_> for V<'_> {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a signal name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<String, E> {
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(E::custom(format!(
                        "invalid signal name `{name}`: expected lower-case letters, digits and `_`"
                    )));
                }
                if !self.0.insert(name.to_string()) {
                    return Err(E::custom(format!("signal `{name}` is defined twice")));
                }
                Ok(name.to_string())
            }
        }
        d.deserialize_str(V(self.0))
    }
}

impl<'de> Deserialize<'de> for Signals {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Signals;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of signal name to signal")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Signals, A::Error> {
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                while let Some(name) = map.next_key_seed(SignalNameSeed(&mut seen))? {
                    let spec: SignalSpec = map.next_value()?;
                    out.push((name, spec));
                }
                if out.is_empty() {
                    return Err(de::Error::custom("a rule needs at least one signal"));
                }
                Ok(Signals(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One signal: a Sigma log source and detection, and the fields to keep as evidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalSpec {
    pub side: Side,
    pub logsource: LogSource,
    /// Sigma `detection`, parsed by [`super::detection::Detection::from_value`].
    pub detection: serde_norway::Value,
    /// Fields kept on the `Signal` and shown to the user. Fields the diagnosis correlates on
    /// (`Value`, `ClientIP`, `TargetUserName`, ...) must be listed here too: the others are
    /// dropped from the event when it matches.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// What one record describes: the host's state (default), or one incoming connection's
    /// set-up (docs/RULES.md, "Scope").
    #[serde(default)]
    pub scope: Scope,
}

/// What one record of a signal describes, for tying server evidence to a client's attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// A state of the host (a stopped service, a missing certificate, a policy): it concerns
    /// every connection within the rule's window.
    #[default]
    Host,
    /// Logged once per incoming connection while it is set up (a Schannel handshake failure):
    /// it belongs to the connection whose RdpCoreTS 131 it follows within seconds, and never
    /// counts for an attempt whose connection is another one.
    Connection,
}

/// Where a signal's records come from: the index key (provider + event ids) and a channel
/// hint used to skip whole files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSource {
    #[serde(deserialize_with = "one_or_many_nonempty")]
    pub provider: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub channel: Vec<String>,
    #[serde(deserialize_with = "one_or_many_nonempty")]
    pub event_id: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "one value or a list of values")]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::One(v) => vec![v],
        OneOrMany::Many(v) => v,
    })
}

fn one_or_many_nonempty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let v = one_or_many(d)?;
    if v.is_empty() {
        Err(de::Error::custom("expected at least one value"))
    } else {
        Ok(v)
    }
}

/// How signals combine into a finding, and how sure it makes us.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnosis {
    /// Incident window: signals further apart are separate incidents. Written `90s`, `2m`,
    /// `1h`, `500ms`; defaults to 2 minutes.
    #[serde(default = "default_window", deserialize_with = "duration")]
    pub window: Duration,
    /// Fields whose most frequent values a finding lists.
    #[serde(default)]
    pub top: Vec<String>,
    /// Evaluated top to bottom; a finding takes the first entry that holds.
    pub confidence: Vec<ConfidenceEntry>,
}

fn default_window() -> Duration {
    Duration::from_secs(120)
}

/// Reads `500ms`, `90s`, `2m`, `1h`, `1d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n.checked_mul(1_000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        "d" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    checked_str(d, |s| {
        parse_duration(s).ok_or_else(|| {
            format!(
                "invalid duration `{s}`: expected a number and a unit (ms, s, m, h, d), e.g. `2m`"
            )
        })
    })
}

/// One confidence entry of a diagnosis.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidenceEntry {
    pub when: When,
    #[serde(default)]
    pub correlate: Correlate,
    pub level: Level,
    /// The sentence that says why, with placeholders (`{host}`, `{signal.Field}`, ...).
    pub why: String,
    /// At least this many matches of the signals named.
    #[serde(default)]
    pub min_count: Option<u32>,
    /// At least `count` distinct values of `field` among the matches.
    #[serde(default)]
    pub min_distinct: Option<MinDistinct>,
}

/// A `when` expression: its text and its parsed tree over signal names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub text: String,
    pub expr: BoolExpr<String>,
}

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, |text| {
            let expr = condition::parse_names(text).map_err(|e| format!("in `when`: {e}"))?;
            Ok(When {
                text: text.to_string(),
                expr,
            })
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Correlate {
    /// Every signal named positively is on one host, within the window.
    #[default]
    SameHost,
    /// Client signals belong to one attempt; the others are on the server it targeted.
    ClientServer,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MinDistinct {
    pub field: String,
    pub count: u32,
}

/// One numbered step of a fix.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixStep {
    pub side: FixSide,
    pub text: String,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub registry: Option<String>,
    #[serde(default)]
    pub policy: Option<String>,
    pub risk: Risk,
    #[serde(default)]
    pub risk_note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixSide {
    Client,
    Server,
    Gateway,
    Broker,
    Dc,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    None,
    Low,
    Medium,
    High,
}

/// Events that must and must not trigger the rule; run by `rules check` and `cargo test`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default, rename = "match")]
    pub matches: Vec<MatchExample>,
    #[serde(default)]
    pub no_match: Vec<NoMatchExample>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchExample {
    /// The signal the event must match.
    pub signal: String,
    /// One Windows event as XML.
    pub event: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoMatchExample {
    /// One Windows event as XML that must match no signal of the rule.
    pub event: String,
}

macro_rules! display_lowercase {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let s = serde_json::to_value(self).ok();
                f.write_str(s.as_ref().and_then(|v| v.as_str()).unwrap_or("?"))
            }
        }
    )*};
}
display_lowercase!(RuleKind, Level, Status, Correlate, FixSide, Risk);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("2 weeks"), None);
    }

    #[test]
    fn levels_order_and_print() {
        assert!(Level::High > Level::Medium && Level::Low > Level::Info);
        assert_eq!(Level::Medium.to_string(), "medium");
        assert_eq!(Correlate::ClientServer.to_string(), "client_server");
    }
}
