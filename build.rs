//! Lists `rules/*.yaml` into `$OUT_DIR/embedded_rules.rs` so the rule pack is embedded in the
//! binary with `include_str!`, and the build reruns when a rule file changes. Each file is also
//! written as JSON without its examples, which a scan reads at start-up (faster than YAML).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&root).join("rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| e == "yaml" || e == "yml")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from(
        "/// The embedded rule files as (name, text), in name order.\npub static EMBEDDED_RULES: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            format!("rules/{name}"),
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    // The same documents as JSON, without their examples, for a scan's start-up: reading
    // JSON is several times faster than reading YAML. A file that does not convert has none
    // (the loader then reads its YAML, and says what is wrong with it).
    out.push_str(
        "/// The embedded rule files as JSON without their examples, as `EMBEDDED_RULES`.\npub static EMBEDDED_RULES_JSON: &[Option<&str>] = &[\n",
    );
    for path in &files {
        let json = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| as_json_without_examples(&text));
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let target = Path::new(&out_dir).join(format!("{name}.json"));
        match json.map(|json| std::fs::write(&target, json)) {
            Some(Ok(())) => {
                let _ = writeln!(
                    out,
                    "    Some(include_str!({:?})),",
                    target.display().to_string()
                );
            }
            _ => out.push_str("    None,\n"),
        }
    }
    out.push_str("];\n");
    if let Err(e) = std::fs::write(Path::new(&out_dir).join("embedded_rules.rs"), out) {
        panic!("cannot write the embedded rule list: {e}");
    }
}

/// A rule file's YAML document as JSON, its top-level `examples` left out; `None` when it does
/// not read, or holds what JSON cannot say as the YAML does (a key that is not text).
fn as_json_without_examples(text: &str) -> Option<String> {
    let mut document: serde_norway::Value = serde_norway::from_str(text).ok()?;
    if let serde_norway::Value::Mapping(top) = &mut document {
        top.remove("examples");
    }
    if !keys_are_text(&document) {
        return None;
    }
    serde_json::to_string(&document).ok()
}

/// Whether every mapping key in `value` is text (JSON's only kind of key).
fn keys_are_text(value: &serde_norway::Value) -> bool {
    match value {
        serde_norway::Value::Mapping(map) => {
            map.iter().all(|(k, v)| k.is_string() && keys_are_text(v))
        }
        serde_norway::Value::Sequence(items) => items.iter().all(keys_are_text),
        serde_norway::Value::Tagged(_) => false,
        _ => true,
    }
}
