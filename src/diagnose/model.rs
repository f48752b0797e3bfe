//! What the diagnosis needs to know about a rule: its kind, its signals' sides and channels,
//! its `diagnosis` section (window, top fields, confidence ladder) and its fix.
//!
//! This is a small read-only view of the engine's rule model ([`crate::rules::RuleSet`]),
//! built once by [`RuleBook::from_rule_set`], so that diagnosis stays a function of
//! (signals, rules, per-source accounting) and can be tested with hand-made rules.

use jiff::SignedDuration;

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

pub use crate::rules::model::{Correlate, FixStep, Level, RuleKind, Scope};

/// One signal of a rule, as far as diagnosis needs it.
#[derive(Debug, Clone)]
pub struct SignalView {
    pub name: String,
    pub side: Side,
    /// The log source's channels (a hint; empty when the rule names none). Used by coverage.
    pub channels: Vec<String>,
    pub providers: Vec<String>,
    pub event_ids: Vec<u32>,
    /// Host state or one connection's set-up (ties server evidence to its connection).
    pub scope: Scope,
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
            scope: Scope::Host,
        })
    }
}

impl RuleBook {
    /// The diagnosis view of the loaded rules. A rule without a `diagnosis` section produces
    /// no findings (context rules need none).
    pub fn from_rule_set(set: &crate::rules::RuleSet) -> RuleBook {
        let rules = set
            .rules()
            .iter()
            .map(|rule| {
                let def = &rule.def;
                let signals = def
                    .signals
                    .0
                    .iter()
                    .map(|(name, spec)| SignalView {
                        name: name.clone(),
                        side: spec.side,
                        channels: spec.logsource.channel.clone(),
                        providers: spec.logsource.provider.clone(),
                        event_ids: spec.logsource.event_id.clone(),
                        scope: spec.scope,
                    })
                    .collect();
                let (window, top, confidence) = match &def.diagnosis {
                    Some(d) => (
                        SignedDuration::try_from(d.window).unwrap_or(SignedDuration::from_mins(2)),
                        d.top.clone(),
                        d.confidence
                            .iter()
                            .map(|c| ConfidenceView {
                                when: c.when.expr.clone(),
                                correlate: c.correlate,
                                level: c.level,
                                why: c.why.clone(),
                                min_count: c.min_count.map(u64::from),
                                min_distinct: c
                                    .min_distinct
                                    .as_ref()
                                    .map(|m| (m.field.clone(), u64::from(m.count))),
                            })
                            .collect(),
                    ),
                    None => (SignedDuration::from_mins(2), Vec::new(), Vec::new()),
                };
                RuleView {
                    id: def.id.to_string(),
                    title: def.title.clone(),
                    kind: def.kind,
                    severity: def.severity,
                    description: def.description.clone(),
                    unconfirmed: def.unconfirmed.clone(),
                    signals,
                    window,
                    top,
                    confidence,
                    fix: def.fix.clone(),
                }
            })
            .collect();
        RuleBook { rules }
    }
}
