//! `evident scan --format json` output validates against the documented schema
//! (docs/scan.schema.json), and every `--format jsonl` line is a typed, versioned object.
//!
//! The documents come from real scans: every sample scenario's logs, plus a damaged file so
//! that `errors[]` is exercised. A mutated document must fail, so the check cannot pass on
//! any output.

use std::path::{Path, PathBuf};

use evident::diagnose::{
    diagnose_collected, DiagnoseOptions, Diagnosis, RuleBook, SCAN_SCHEMA_VERSION,
};
use evident::engine::collect_signals;
use evident::report::{write_scan, ScanFormat};
use evident::rules::RuleSet;
use evident::source::ReadPlan;
use serde_json::Value;

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scan.schema.json");
    let text = std::fs::read_to_string(&path).expect("docs/scan.schema.json is readable");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn scan(paths: &[PathBuf], rules: &RuleSet) -> Diagnosis {
    let (mut signals, summary) = collect_signals(paths, rules, &ReadPlan { threads: 2 });
    diagnose_collected(
        &mut signals,
        &RuleBook::from_rule_set(rules),
        &summary,
        &DiagnoseOptions::default(),
    )
}

fn render(d: &Diagnosis, format: ScanFormat) -> String {
    let mut out = Vec::new();
    write_scan(format, d, &mut out).expect("writes to memory");
    String::from_utf8(out).expect("UTF-8 output")
}

fn problems(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn scenario_logs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path().join("logs"))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn json_output_matches_the_documented_schema() {
    let validator = schema();
    let (rules, _) = RuleSet::load(None);
    let dir = tempfile::tempdir().expect("temp dir");
    let damaged = dir.path().join("damaged.evtx");
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 5000));
    std::fs::write(&damaged, bytes).expect("write temp file");

    let mut inputs: Vec<Vec<PathBuf>> = scenario_logs().into_iter().map(|p| vec![p]).collect();
    if let Some(first) = inputs.first_mut() {
        first.push(damaged.clone());
    } else {
        inputs.push(vec![damaged.clone()]);
    }
    let mut with_findings = 0;
    let mut with_errors = 0;
    for paths in &inputs {
        let d = scan(paths, &rules);
        with_findings += usize::from(!d.findings.is_empty());
        with_errors += usize::from(!d.errors.is_empty());
        let doc: Value = serde_json::from_str(&render(&d, ScanFormat::Json)).expect("JSON");
        let found = problems(&validator, &doc);
        assert!(found.is_empty(), "{paths:?}: {found:#?}");

        for line in render(&d, ScanFormat::Jsonl).lines() {
            let v: Value = serde_json::from_str(line).expect("each line is JSON");
            assert_eq!(v["version"], SCAN_SCHEMA_VERSION);
            let kind = v["type"].as_str().unwrap_or_default();
            assert!(
                ["finding", "host", "coverage", "error", "stats"].contains(&kind),
                "unknown line type {kind}"
            );
            if kind == "finding" {
                // A finding line is a finding of the document plus its type and version.
                let mut f = v.clone();
                let obj = f.as_object_mut().expect("object");
                obj.remove("type");
                obj.remove("version");
                assert!(doc["findings"]
                    .as_array()
                    .is_some_and(|all| all.contains(&f)));
            }
        }
    }
    assert!(with_errors >= 1, "the damaged file gave no error entry");
    if inputs.len() > 1 {
        assert!(with_findings >= 1, "no scenario gave a finding to validate");
    }
}

#[test]
fn the_schema_rejects_what_it_documents_as_wrong() {
    let validator = schema();
    let (rules, _) = RuleSet::load(None);
    let Some(logs) = scenario_logs().into_iter().next() else {
        println!("samples/ has no logs: skipped");
        return;
    };
    let d = scan(&[logs], &rules);
    let doc: Value = serde_json::from_str(&render(&d, ScanFormat::Json)).expect("JSON");
    assert!(problems(&validator, &doc).is_empty());

    let mut no_findings = doc.clone();
    no_findings.as_object_mut().map(|o| o.remove("findings"));
    assert!(!validator.is_valid(&no_findings));

    let mut wrong_version = doc.clone();
    wrong_version["version"] = Value::from(2);
    assert!(!validator.is_valid(&wrong_version));

    if !doc["findings"].as_array().is_some_and(|f| f.is_empty()) {
        let mut bad_level = doc.clone();
        bad_level["findings"][0]["confidence"] = Value::from("certain");
        assert!(!validator.is_valid(&bad_level));
        let mut bad_time = doc.clone();
        bad_time["findings"][0]["first_seen"] = Value::from("yesterday");
        assert!(!validator.is_valid(&bad_time));
    }
}
