//! The rule pack under rules/: every file loads, every example holds, and the binary embeds
//! exactly these files.

use std::path::Path;

use evident::rules::examples::{read_example_event, run_examples};
use evident::rules::{embedded, loader};

#[test]
fn every_rule_loads_and_every_example_holds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    if !dir.is_dir() {
        eprintln!("notice: no rules/ folder yet; nothing to check");
        return;
    }
    let (rules, errors) = loader::load_dir(&dir);
    let mut problems: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let mut examples = 0;
    for rule in &rules {
        let outcome = run_examples(rule, &read_example_event);
        examples += outcome.run;
        problems.extend(outcome.failures.iter().map(|e| e.to_string()));
    }
    eprintln!("{} rules, {examples} examples", rules.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Each rule should show its signals at work.
    for rule in &rules {
        assert!(
            !rule.def.examples.matches.is_empty(),
            "{}: no `match` example",
            rule.file
        );
    }
}

#[test]
fn the_binary_embeds_the_rule_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .map(|n| format!("rules/{n}"))
                .collect()
        })
        .unwrap_or_default();
    on_disk.sort();
    let embedded: Vec<String> = embedded::files()
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(embedded, on_disk);
    let (rules, errors) = embedded::load();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rules.len(), on_disk.len());
}

/// Issue #6: each cause rule's `no_match` examples include events that belong to neighbouring
/// causes, i.e. at least one of them is recognised by another cause's (or the background
/// rule's) signals. Prints which neighbours each rule is checked against.
#[test]
fn every_cause_rejects_events_of_its_neighbours() {
    use evident::rules::model::RuleKind;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    if !dir.is_dir() {
        return;
    }
    let (rules, errors) = loader::load_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    let mut lonely = Vec::new();
    for rule in rules.iter().filter(|r| r.def.kind == RuleKind::Cause) {
        let mut neighbours: Vec<String> = Vec::new();
        for ex in &rule.def.examples.no_match {
            let event = read_example_event(&ex.event).expect("example events read");
            for other in rules
                .iter()
                .filter(|o| o.def.kind != RuleKind::Context && o.id() != rule.id())
            {
                for s in other.signals_matching(&event) {
                    neighbours.push(format!("{}/{s}", other.id()));
                }
            }
        }
        neighbours.sort();
        neighbours.dedup();
        eprintln!("{}: {}", rule.id(), neighbours.join(", "));
        if neighbours.is_empty() {
            lonely.push(rule.id().to_string());
        }
    }
    assert!(
        lonely.is_empty(),
        "no `no_match` example of a neighbouring cause in: {}",
        lonely.join(", ")
    );
}
