//! Runs a rule's examples: each `match` event must match its signal, each `no_match` event
//! must match no signal of the rule. Failures are `file:line:col` errors at the example.

use super::detection::{PathSeg, Spot};
use super::loader::RuleError;
use super::Rule;
use crate::event::Event;

/// How many examples ran, and what failed.
#[derive(Debug, Default)]
pub struct ExampleOutcome {
    pub run: usize,
    pub failures: Vec<RuleError>,
}

/// Runs the examples of `rule`, reading each event with `parse` (one XML `<Event>`).
pub fn run_examples(rule: &Rule, parse: &dyn Fn(&str) -> Result<Event, String>) -> ExampleOutcome {
    let mut out = ExampleOutcome::default();
    let at = |kind: &str, i: usize, field: &str, message: String| {
        RuleError::at(
            &rule.file,
            &rule.text,
            &[
                PathSeg::Key("examples".into()),
                PathSeg::Key(kind.into()),
                PathSeg::Index(i),
                PathSeg::Key(field.into()),
            ],
            Spot::Value,
            message,
        )
    };
    let matching = |event: &Event| rule.signals_matching(event);
    for (i, ex) in rule.def.examples.matches.iter().enumerate() {
        out.run += 1;
        match parse(&ex.event) {
            Err(e) => out.failures.push(at(
                "match",
                i,
                "event",
                format!("example event does not read: {e}"),
            )),
            Ok(event) => {
                let hits = matching(&event);
                if !hits.contains(&ex.signal.as_str()) {
                    out.failures.push(at(
                        "match",
                        i,
                        "event",
                        format!(
                            "example should match signal `{}` but {}",
                            ex.signal,
                            describe_miss(rule, &ex.signal, &event, &hits)
                        ),
                    ));
                }
            }
        }
    }
    for (i, ex) in rule.def.examples.no_match.iter().enumerate() {
        out.run += 1;
        match parse(&ex.event) {
            Err(e) => out.failures.push(at(
                "no_match",
                i,
                "event",
                format!("example event does not read: {e}"),
            )),
            Ok(event) => {
                let hits = matching(&event);
                if !hits.is_empty() {
                    out.failures.push(at(
                        "no_match",
                        i,
                        "event",
                        format!(
                            "example should match no signal but matches `{}`",
                            hits.join("`, `")
                        ),
                    ));
                }
            }
        }
    }
    out
}

fn describe_miss(rule: &Rule, signal: &str, event: &Event, hits: &[&str]) -> String {
    let Some(spec) = rule.def.signals.get(signal) else {
        return "the signal does not exist".into();
    };
    let ls = &spec.logsource;
    if !ls
        .provider
        .iter()
        .any(|p| p.eq_ignore_ascii_case(&event.provider.name))
    {
        return format!(
            "its provider `{}` is not in the logsource ({})",
            event.provider.name,
            ls.provider.join(", ")
        );
    }
    if !ls.event_id.contains(&event.event_id) {
        return format!("its event id {} is not in the logsource", event.event_id);
    }
    if hits.is_empty() {
        "the detection does not hold".into()
    } else {
        format!(
            "the detection does not hold (it matches `{}`)",
            hits.join("`, `")
        )
    }
}

/// Reads one example's event text into an `Event`.
pub type EventReader = fn(&str) -> Result<Event, String>;

/// Reads one example event (a Windows `<Event>` XML element) with the XML reader.
pub fn read_example_event(text: &str) -> Result<Event, String> {
    let origin = crate::event::Origin {
        file: "example".into(),
        ..Default::default()
    };
    crate::source::xml::parse_event(text, &origin).map_err(|e| format!("{}: {}", e.kind, e.message))
}

/// The reader `rules check` runs examples with.
pub fn xml_event_reader() -> Option<EventReader> {
    Some(read_example_event)
}
