//! Every sample scenario's expectation holds: `samples/<scenario>/expected.json` names the
//! cause a correct diagnosis ranks first and its confidence, and the causes that must have no
//! finding at medium or above. Across the whole matrix, no cause other than the scenario's own
//! (and the second causes its `also` names) reaches high confidence on any host: a neighbouring
//! cause may be listed, never asserted. The test scans `samples/<scenario>/logs` (the generated
//! .evtx) with the embedded rule pack, exactly as `evident scan` does, and reports every
//! scenario's outcome before failing.

use std::path::{Path, PathBuf};

use evident::diagnose::{
    diagnose_collected, DiagnoseOptions, Diagnosis, Level, RuleBook, RuleKind,
};
use evident::engine::collect_signals;
use evident::rules::RuleSet;
use evident::source::ReadPlan;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Expected {
    first: Option<String>,
    confidence: Option<Level>,
    #[serde(default)]
    must_not_claim: Vec<String>,
    /// Further causes the scenario really has, which may also be found at high confidence.
    #[serde(default)]
    also: Vec<String>,
}

fn scan(logs: &Path, rules: &RuleSet) -> Diagnosis {
    let plan = ReadPlan { threads: 2 };
    let (mut signals, summary) = collect_signals(&[logs.to_path_buf()], rules, &plan);
    diagnose_collected(
        &mut signals,
        &RuleBook::from_rule_set(rules),
        &summary,
        &DiagnoseOptions::default(),
    )
}

/// What is wrong with `d` against `e`, if anything.
fn check(e: &Expected, d: &Diagnosis) -> Vec<String> {
    let mut problems = Vec::new();
    // A background scenario expects its info finding first; otherwise the first cause counts.
    let background_expected = e.confidence == Some(Level::Info);
    let causes: Vec<_> = d
        .findings
        .iter()
        .filter(|f| {
            background_expected || (f.kind == RuleKind::Cause && f.confidence > Level::Info)
        })
        .collect();
    match (&e.first, causes.first()) {
        (Some(want), Some(got)) => {
            if &got.rule_id != want {
                problems.push(format!(
                    "first is {} ({}) on {}, expected {want}",
                    got.rule_id, got.confidence, got.host
                ));
            } else if Some(got.confidence) != e.confidence {
                problems.push(format!(
                    "{want} ranks first at {}, expected {:?}",
                    got.confidence, e.confidence
                ));
            }
        }
        (Some(want), None) => problems.push(format!("no cause found, expected {want}")),
        (None, Some(got)) => problems.push(format!(
            "expected no cause, found {} ({}) on {}",
            got.rule_id, got.confidence, got.host
        )),
        _ => {}
    }
    for f in &d.findings {
        if e.must_not_claim.contains(&f.rule_id) && f.confidence >= Level::Medium {
            problems.push(format!(
                "claims {} at {} on {}: {}",
                f.rule_id, f.confidence, f.host, f.why
            ));
        }
    }
    for f in &d.findings {
        let own = e.first.as_ref() == Some(&f.rule_id) || e.also.contains(&f.rule_id);
        if f.kind == RuleKind::Cause && f.confidence >= Level::High && !own {
            problems.push(format!(
                "another cause at high: {} on {}: {}",
                f.rule_id, f.host, f.why
            ));
        }
    }
    if !d.errors.is_empty() {
        problems.push(format!("{} read errors", d.errors.len()));
    }
    problems
}

#[test]
fn every_scenario_ranks_its_cause_first() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let Ok(entries) = std::fs::read_dir(&root) else {
        println!("samples/ is absent: nothing to check");
        return;
    };
    let (rules, errors) = RuleSet::load(None);
    assert!(errors.is_empty(), "rule pack errors: {errors:?}");
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let logs = dir.join("logs");
        if !logs.is_dir() {
            println!("{name}: skipped (no logs/)");
            continue;
        }
        let text =
            std::fs::read_to_string(dir.join("expected.json")).expect("readable expected.json");
        let expected: Expected =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}/expected.json: {e}"));
        let d = scan(&logs, &rules);
        let first = d
            .findings
            .first()
            .map(|f| format!("{} {} on {}", f.rule_id, f.confidence, f.host))
            .unwrap_or_else(|| "no finding".into());
        let problems = check(&expected, &d);
        checked += 1;
        if problems.is_empty() {
            println!("{name}: ok (first: {first})");
        } else {
            println!("{name}: FAILED (first: {first})");
            for p in &problems {
                println!("    {p}");
            }
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    println!("{checked} scenario(s) checked, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "scenarios failed:\n{}",
        failures.join("\n")
    );
}

/// A record that is evidence for two rules carries, for each, only the fields that rule keeps:
/// a field one rule keeps (here an address, which internet-exposure counts) never decides the
/// other's diagnosis. The TLS scenario is scanned as it is and with an address added to its
/// first Schannel 36874: its TLS-mismatch findings must be the same.
#[test]
fn a_field_one_rule_keeps_does_not_change_another_rules_finding() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tls-mismatch/source");
    let (rules, errors) = RuleSet::load(None);
    assert!(errors.is_empty(), "{errors:?}");
    let tls_findings = |with_address: bool| {
        let dir = tempfile::tempdir().unwrap();
        for host in ["client-jump-old02", "server-rds-eng01"] {
            std::fs::create_dir(dir.path().join(host)).unwrap();
            for entry in std::fs::read_dir(source.join(host)).unwrap() {
                let path = entry.unwrap().path();
                let mut text = std::fs::read_to_string(&path).unwrap();
                if with_address && host == "server-rds-eng01" && path.ends_with("System.xml") {
                    let offered = "<Data Name='Protocol'>TLS 1.0</Data>";
                    assert!(text.contains(offered), "the scenario's 36874 changed");
                    let address = "<Data Name='IpAddress'>198.51.100.99</Data>";
                    text = text.replacen(offered, &format!("{offered}{address}"), 1);
                }
                let name = path.file_name().unwrap();
                std::fs::write(dir.path().join(host).join(name), text).unwrap();
            }
        }
        let d = scan(dir.path(), &rules);
        d.findings
            .iter()
            .filter(|f| f.rule_id == "tls-mismatch")
            .map(|f| {
                // Its evidence shows its own fields only (the files are in other folders).
                let fields: Vec<_> = f.evidence.iter().map(|e| e.fields.clone()).collect();
                (f.confidence, f.why.clone(), f.evidence_count, fields)
            })
            .collect::<Vec<_>>()
    };
    let plain = tls_findings(false);
    assert!(!plain.is_empty());
    assert_eq!(tls_findings(true), plain);
}
