//! What the diagnosis needs to know about a rule: its kind, its signals' sides and channels,
//! its `diagnosis` section (window, top fields, confidence ladder) and its fix.
//!
//! This is a read-only view built from the loaded rule set (see [`RuleBook::from_rule_set`]),
//! so that diagnosis stays a function of (signals, rules, per-source accounting) and can be
//! tested with hand-made rules.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::expr::Expr;
use crate::signal::Side;

/// The reserved signal names of the `context` rule (docs/RULES.md, "Client attempts").
pub const CLIENT_ATTEMPT: &str = "client_attempt";
pub const CLIENT_TRANSPORT: &str = "client_transport";
pub const CLIENT_CONNECTED: &str = "client_connected";
pub const CLIENT_DISCONNECT: &str = "client_disconnect";
pub const SERVER_CONNECTION: &str = "server_connection";

/// All reserved names, with the side each is observed on.
pub const RESERVED: [(&str, Side); 5] = [
    (CLIENT_ATTEMPT, Side::Client),
    (CLIENT_TRANSPORT, Side::Client),
    (CLIENT_CONNECTED, Side::Client),
    (CLIENT_DISCONNECT, Side::Client),
    (SERVER_CONNECTION, Side::Server),
];

/// The side of a reserved name, or `None` when the name is not reserved.
pub fn reserved_side(name: &str) -> Option<Side> {
    RESERVED.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Confidence of a finding, ordered: `Info < Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Level::Info),
            "low" => Ok(Level::Low),
            "medium" => Ok(Level::Medium),
            "high" => Ok(Level::High),
            other => Err(format!(
                "unknown level `{other}` (expected info, low, medium or high)"
            )),
        }
    }
}

/// What a rule is for (docs/RULES.md, "Kinds").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A root cause: produces findings.
    Cause,
    /// Background (scanners, brute force): findings at `info`, listed apart.
    Background,
    /// Feeds correlation and coverage only (the reserved client/server signals).
    Context,
}

/// How the signals named in a `when` must relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correlate {
    SameHost,
    ClientServer,
}

/// One signal of a rule, as far as diagnosis needs it.
#[derive(Debug, Clone)]
pub struct SignalView {
    pub name: String,
    pub side: Side,
    /// The log source's channels (a hint; empty when the rule names none). Used by coverage.
    pub channels: Vec<String>,
    pub providers: Vec<String>,
    pub event_ids: Vec<u32>,
}

/// One rung of the confidence ladder.
#[derive(Debug, Clone)]
pub struct ConfidenceView {
    pub when: Expr,
    pub correlate: Correlate,
    pub level: Level,
    pub why: String,
    pub min_count: Option<u64>,
    pub min_distinct: Option<(String, u64)>,
}

/// One numbered fix step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixStep {
    pub side: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub risk: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_note: Option<String>,
}

/// The diagnosis view of one rule.
#[derive(Debug, Clone)]
pub struct RuleView {
    pub id: String,
    pub title: String,
    pub kind: RuleKind,
    /// How bad the cause is (`high | medium | low | info`); breaks ties in ranking.
    pub severity: Level,
    pub description: String,
    pub unconfirmed: Option<String>,
    pub signals: Vec<SignalView>,
    pub window: SignedDuration,
    pub top: Vec<String>,
    pub confidence: Vec<ConfidenceView>,
    pub fix: Vec<FixStep>,
}

impl RuleView {
    pub fn signal(&self, name: &str) -> Option<&SignalView> {
        self.signals.iter().find(|s| s.name == name)
    }
}

/// The rules a diagnosis runs with.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    pub rules: Vec<RuleView>,
}

impl RuleBook {
    pub fn get(&self, id: &str) -> Option<&RuleView> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The context rule's view of a reserved signal (its channels, for coverage).
    pub fn reserved_signal(&self, name: &str) -> Option<&SignalView> {
        self.rules
            .iter()
            .filter(|r| r.kind == RuleKind::Context)
            .find_map(|r| r.signal(name))
    }

    /// The view of signal `name` as seen from rule `rule`: its own signal, else the reserved one.
    pub fn signal_for(&self, rule: &RuleView, name: &str) -> Option<SignalView> {
        if let Some(s) = rule.signal(name) {
            return Some(s.clone());
        }
        if let Some(s) = self.reserved_signal(name) {
            return Some(s.clone());
        }
        reserved_side(name).map(|side| SignalView {
            name: name.to_string(),
            side,
            channels: Vec::new(),
            providers: Vec::new(),
            event_ids: Vec::new(),
        })
    }
}
