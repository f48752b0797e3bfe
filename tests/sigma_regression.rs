//! SigmaHQ's regression suite: each Windows rule that ships a positive `.evtx` sample must
//! match at least one record of it, read by evident's EVTX reader and evaluated by evident's
//! detection engine. Log source categories map to event ids with SigmaHQ's `tests/thor.yml`.
//! Skips with a notice when ../shared/sigma is absent.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use evident::event::Event;
use evident::rules::{CompiledDetection, Detection};
use evident::source::{read_inputs, EventSink, ReadPlan};
use serde_norway::Value;

fn files_named(dir: &Path, pred: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_named(&p, pred, out);
        } else if pred(&p) {
            out.push(p);
        }
    }
}

/// A rule, its category's event ids, and its sample's records.
type Evaluated<'a> = (CompiledDetection, Option<&'a HashSet<u32>>, Vec<Event>);

struct Collect(Mutex<Vec<Event>>);
impl EventSink for Collect {
    fn accept(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

/// category -> event ids, from thor.yml's `logsources`.
fn category_event_ids(sigma: &Path) -> HashMap<String, HashSet<u32>> {
    let mut out: HashMap<String, HashSet<u32>> = HashMap::new();
    let Ok(text) = std::fs::read_to_string(sigma.join("tests/thor.yml")) else {
        return out;
    };
    let Ok(doc) = serde_norway::from_str::<Value>(&text) else {
        return out;
    };
    let Some(Value::Mapping(sources)) = doc.get("logsources") else {
        return out;
    };
    for (_, src) in sources {
        let (Some(cat), Some(ids)) = (
            src.get("category").and_then(|c| c.as_str()),
            src.get("conditions").and_then(|c| c.get("EventID")),
        ) else {
            continue;
        };
        let set = out.entry(cat.to_string()).or_default();
        match ids {
            Value::Sequence(list) => {
                set.extend(list.iter().filter_map(|v| v.as_u64()).map(|v| v as u32))
            }
            v => set.extend(v.as_u64().map(|v| v as u32)),
        }
    }
    out
}

#[test]
fn sigmahq_regression_samples_match_their_rules() {
    let sigma = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sigma");
    if !sigma.join("regression_data").is_dir() {
        eprintln!("notice: {} is absent; skipping", sigma.display());
        return;
    }
    let categories = category_event_ids(&sigma);
    // Rule id -> rule file.
    let mut rule_files = Vec::new();
    for tree in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        files_named(
            &sigma.join(tree),
            &|p| p.extension().is_some_and(|e| e == "yml"),
            &mut rule_files,
        );
    }
    let id_re = regex::Regex::new(r"(?m)^id:\s*(\S+)").unwrap();
    let mut by_id = HashMap::new();
    for f in &rule_files {
        if let Ok(text) = std::fs::read_to_string(f) {
            if let Some(c) = id_re.captures(&text) {
                by_id.insert(c[1].to_string(), (f.clone(), text));
            }
        }
    }
    let mut infos = Vec::new();
    files_named(
        &sigma.join("regression_data"),
        &|p| p.file_name().is_some_and(|n| n == "info.yml"),
        &mut infos,
    );
    infos.sort();

    let (mut matched, mut missed, mut refused) =
        (0usize, Vec::new(), BTreeMap::<String, usize>::new());
    // (rule, its category's event ids, its sample's records), for the cross-check below.
    let mut evaluated: Vec<Evaluated> = Vec::new();
    for info in &infos {
        let Ok(doc) = serde_norway::from_str::<Value>(&std::fs::read_to_string(info).unwrap())
        else {
            continue;
        };
        let Some(id) = doc
            .get("rule_metadata")
            .and_then(|m| m.get(0))
            .and_then(|m| m.get("id"))
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let Some((rule_path, rule_text)) = by_id.get(id) else {
            continue;
        };
        let Ok(rule) = serde_norway::from_str::<Value>(rule_text) else {
            continue;
        };
        if rule
            .get("logsource")
            .and_then(|l| l.get("product"))
            .and_then(|p| p.as_str())
            != Some("windows")
        {
            continue;
        }
        let evtx: Vec<PathBuf> = doc
            .get("regression_tests_info")
            .and_then(|t| t.as_sequence())
            .into_iter()
            .flatten()
            .filter(|t| t.get("type").and_then(|v| v.as_str()) == Some("evtx"))
            .filter_map(|t| t.get("path").and_then(|v| v.as_str()))
            .map(|p| sigma.join(p))
            .filter(|p| p.is_file())
            .collect();
        if evtx.is_empty() {
            continue;
        }
        let compiled = match rule
            .get("detection")
            .map(|d| Detection::from_value(d).and_then(|d| CompiledDetection::compile(&d)))
        {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                *refused.entry(e.message).or_default() += 1;
                continue;
            }
            None => continue,
        };
        let ids = rule
            .get("logsource")
            .and_then(|l| l.get("category"))
            .and_then(|c| c.as_str())
            .and_then(|c| categories.get(c));
        let sink = Collect(Mutex::new(Vec::new()));
        read_inputs(&evtx, &ReadPlan { threads: 1 }, &sink);
        let events = sink.0.into_inner().unwrap();
        let hit = events
            .iter()
            .filter(|e| ids.is_none_or(|ids| ids.contains(&e.event_id)))
            .any(|e| compiled.matches(e));
        if hit {
            matched += 1;
        } else {
            missed.push(format!(
                "{} ({} records)",
                rule_path.display(),
                events.len()
            ));
        }
        evaluated.push((compiled, ids, events));
    }
    // Control: a rule against the next rule's sample must mostly not match, or the engine
    // would pass the test above by matching everything.
    let n = evaluated.len();
    let cross = (0..n)
        .filter(|&i| {
            let (rule, ids, _) = &evaluated[i];
            let (_, _, other) = &evaluated[(i + 1) % n];
            other
                .iter()
                .filter(|e| ids.is_none_or(|ids| ids.contains(&e.event_id)))
                .any(|e| rule.matches(e))
        })
        .count();
    eprintln!("control: {cross} of {n} rules match the next rule's sample");
    assert!(
        cross * 100 <= n * 20,
        "{cross} of {n} rules match a foreign sample"
    );
    let tested = matched + missed.len();
    eprintln!(
        "SigmaHQ regression samples: {tested} Windows rules with an .evtx sample evaluated, {matched} matched their sample, {} did not; {} rules refused",
        missed.len(),
        refused.values().sum::<usize>()
    );
    for m in &missed {
        eprintln!("  no match: {m}");
    }
    for (r, n) in &refused {
        eprintln!("  refused {n}: {r}");
    }
    assert!(
        tested > 50,
        "expected SigmaHQ's regression data, evaluated {tested}"
    );
    assert!(
        matched * 100 >= tested * 95,
        "{matched} of {tested} matched"
    );
}
