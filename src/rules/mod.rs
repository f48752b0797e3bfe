//! Rule files: the serde model, the loader (with `file:line:col` errors), Sigma detection
//! semantics, the condition grammar, and the compiled index the engine matches with.
//!
//! Two parts are kept apart: `detection`, `condition` and `compile` are plain Sigma and know
//! nothing of causes or fixes (a hunt mode can load SigmaHQ rules into the same form);
//! `model` and `loader` add evident's wrapper (cause, diagnosis, fix, examples).

pub mod compile;
pub mod condition;
pub mod detection;
pub mod embedded;
pub mod examples;
pub mod loader;
mod locate;
pub mod model;

use std::path::Path;

pub use compile::{CompiledDetection, SignalIndex, SignalRef};
pub use detection::Detection;
pub use loader::RuleError;
pub use model::RuleFile;

use crate::signal::Side;

/// One loaded rule: its definition and its compiled signals (in file order).
#[derive(Debug, Clone)]
pub struct Rule {
    /// Where it was read from (a path, or `rules/<id>.yaml` for an embedded rule).
    pub file: String,
    /// The file's text, kept to point later problems (failing examples) at a line.
    pub text: String,
    pub def: RuleFile,
    pub signals: Vec<CompiledSignal>,
}

impl Rule {
    pub fn id(&self) -> &str {
        &self.def.id
    }

    pub fn signal(&self, name: &str) -> Option<&CompiledSignal> {
        self.signals.iter().find(|s| s.name == name)
    }

    /// The names of the signals `event` matches: log source (provider, event id) and
    /// detection, without the index (for examples and tests, one event at a time).
    pub fn signals_matching(&self, event: &crate::event::Event) -> Vec<&str> {
        self.signals
            .iter()
            .zip(&self.def.signals.0)
            .filter(|(s, (_, spec))| {
                let ls = &spec.logsource;
                ls.provider
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&event.provider.name))
                    && ls.event_id.contains(&event.event_id)
                    && s.matcher.matches(event)
            })
            .map(|(s, _)| s.name.as_str())
            .collect()
    }
}

/// One signal of a rule, ready to match.
#[derive(Debug, Clone)]
pub struct CompiledSignal {
    pub name: String,
    pub side: Side,
    pub detection: Detection,
    pub matcher: CompiledDetection,
    /// The event fields a matching record keeps on its `Signal` (evidence and the fields the
    /// diagnosis reads); every other data field is dropped.
    pub keep_fields: Vec<String>,
}

/// The rules of a run and their index.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    index: SignalIndex,
    /// Whether a detection tests a field that tells apart the records of a flood (see
    /// [`RuleSet::reads_identity`]).
    reads_identity: bool,
}

impl RuleSet {
    /// Indexes `rules` by (event id, provider).
    pub fn new(rules: Vec<Rule>) -> Self {
        let mut index = SignalIndex::new();
        for (r, rule) in rules.iter().enumerate() {
            for (s, (_, spec)) in rule.def.signals.0.iter().enumerate() {
                index.insert(
                    SignalRef { rule: r, signal: s },
                    &spec.logsource.provider,
                    &spec.logsource.event_id,
                    &spec.logsource.channel,
                );
            }
        }
        use crate::event::SystemName;
        let identity = [
            SystemName::TimeCreated,
            SystemName::EventRecordId,
            SystemName::ProcessId,
            SystemName::ThreadId,
        ];
        let reads_identity = rules.iter().any(|rule| {
            rule.signals
                .iter()
                .any(|sig| sig.matcher.names_system_field(&identity))
        });
        RuleSet {
            rules,
            index,
            reads_identity,
        }
    }

    /// Whether a detection tests the time, record id, process or thread of a record: then the
    /// records of a flood, the same but for those, may match differently (and a scan cannot
    /// take one's signals for another's, see [`crate::source::EventSink::takes_repeats`]).
    pub fn reads_identity(&self) -> bool {
        self.reads_identity
    }

    /// The embedded rule pack, plus the rules of `extra` (which add rules or replace embedded
    /// rules with the same id). Returns the errors of rules that did not load.
    pub fn load(extra: Option<&Path>) -> (RuleSet, Vec<RuleError>) {
        Self::with_extra(embedded::load(), extra)
    }

    /// [`RuleSet::load`] for a scan: the embedded rules without their examples (see
    /// [`embedded::load_for_matching`]); rules from `extra` are read whole, so that their
    /// examples are still checked for errors.
    pub fn load_for_matching(extra: Option<&Path>) -> (RuleSet, Vec<RuleError>) {
        Self::with_extra(embedded::load_for_matching(), extra)
    }

    fn with_extra(
        (mut rules, mut errors): (Vec<Rule>, Vec<RuleError>),
        extra: Option<&Path>,
    ) -> (RuleSet, Vec<RuleError>) {
        if let Some(dir) = extra {
            let (more, errs) = loader::load_dir(dir);
            errors.extend(errs);
            rules = merge(rules, more);
        }
        (RuleSet::new(rules), errors)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    pub fn index(&self) -> &SignalIndex {
        &self.index
    }

    /// The rule and signal an index entry points at.
    pub fn signal(&self, at: SignalRef) -> Option<(&Rule, &CompiledSignal)> {
        let rule = self.rules.get(at.rule)?;
        Some((rule, rule.signals.get(at.signal)?))
    }
}

/// `base` with each rule of `overrides` replacing the rule of the same id, or added.
pub fn merge(mut base: Vec<Rule>, overrides: Vec<Rule>) -> Vec<Rule> {
    for rule in overrides {
        match base.iter_mut().find(|r| r.id() == rule.id()) {
            Some(slot) => *slot = rule,
            None => base.push(rule),
        }
    }
    base
}
