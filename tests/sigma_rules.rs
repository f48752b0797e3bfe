//! SigmaHQ's Windows rules through evident's detection parser and compiler: how many parse,
//! and why the others are refused. Skips with a notice when ../shared/sigma is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use evident::rules::{CompiledDetection, Detection};

fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
}

/// A refusal's reason without the values in it, so that reasons can be counted.
fn reason_class(message: &str) -> String {
    let re = regex::Regex::new(r"`[^`]*`").unwrap();
    let m = message
        .find("modifier `")
        .map(|i| &message[i..])
        .unwrap_or(message);
    if m.starts_with("modifier `") {
        return m.split(" is ").next().unwrap_or(m).to_string();
    }
    re.replace_all(message, "`…`").chars().take(80).collect()
}

#[test]
fn sigmahq_windows_rules_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sigma/rules/windows");
    if !root.is_dir() {
        eprintln!("notice: {} is absent; skipping", root.display());
        return;
    }
    let mut files = Vec::new();
    yml_files(&root, &mut files);
    files.sort();
    let mut parsed = 0usize;
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    let mut wrong: Vec<String> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let doc: serde_norway::Value = match serde_norway::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                wrong.push(format!("{}: YAML: {e}", f.display()));
                continue;
            }
        };
        let Some(detection) = doc.get("detection") else {
            wrong.push(format!("{}: no detection", f.display()));
            continue;
        };
        match Detection::from_value(detection).and_then(|d| CompiledDetection::compile(&d)) {
            Ok(_) => parsed += 1,
            Err(e) if e.unsupported => {
                *unsupported.entry(reason_class(&e.message)).or_default() += 1
            }
            Err(e) => wrong.push(format!("{}: {}", f.display(), e.message)),
        }
    }
    let total = files.len();
    let refused: usize = unsupported.values().sum();
    eprintln!(
        "SigmaHQ windows rules: {total} files, {parsed} parsed and compiled ({:.1}%), {refused} refused as unsupported, {} refused as invalid",
        100.0 * parsed as f64 / total.max(1) as f64,
        wrong.len()
    );
    for (reason, n) in &unsupported {
        eprintln!("  unsupported {n:4}  {reason}");
    }
    for w in &wrong {
        eprintln!("  invalid: {w}");
    }
    assert!(
        total > 1000,
        "expected the SigmaHQ windows tree, found {total} files"
    );
    assert!(parsed * 100 >= total * 98, "only {parsed} of {total} parse");
    // Every refusal is a feature we name, never a parser failure on valid Sigma.
    assert!(
        wrong.len() * 100 <= total,
        "{} invalid: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
}
