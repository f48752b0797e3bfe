//! Reads rule files into compiled [`Rule`]s, reporting each problem as one
//! `file:line:col: what was expected` line. One bad rule never stops the others.

use std::path::Path;

use rayon::prelude::*;

use super::compile::CompiledDetection;
use super::detection::{Detection, DetectionError, PathSeg, Spot};
use super::locate::locate;
use super::model::{RuleFile, RuleKind, RESERVED_SIGNALS};
use super::{CompiledSignal, Rule};

/// A problem with one rule file, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl RuleError {
    /// An error at the node `path` of the document `text` (or at 1:1 when it cannot be found).
    pub fn at(
        file: &str,
        text: &str,
        path: &[PathSeg],
        spot: Spot,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = locate(text, path, spot).unwrap_or((1, 1));
        RuleError {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

fn key(s: &str) -> PathSeg {
    PathSeg::Key(s.to_string())
}

/// The message of a YAML error without the reader's " at line N column M" suffix.
fn yaml_message(err: &serde_norway::Error) -> String {
    static POSITION: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let text = err.to_string();
    let cleaned = match POSITION.get_or_init(|| regex::Regex::new(r" at line \d+ column \d+").ok())
    {
        Some(re) => re.replace_all(&text, "").into_owned(),
        None => text,
    };
    cleaned.trim_end_matches('.').to_string()
}

/// Reads and compiles one rule from its text. `file` names it in errors.
pub fn load_str(file: &str, text: &str) -> Result<Rule, RuleError> {
    let def: RuleFile = serde_norway::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        RuleError {
            file: file.to_string(),
            line,
            column,
            message: yaml_message(&e),
        }
    })?;
    compile(file, text, def)
}

/// [`load_str`] for a text that comes with the same document as JSON (`build.rs` writes the
/// embedded rules so): read from the JSON, several times faster than the YAML, and from the
/// text only when the JSON does not read, so that an error still says where in the text.
pub fn load_json(file: &str, text: &str, json: &str) -> Result<Rule, RuleError> {
    match serde_json::from_str(json) {
        Ok(def) => compile(file, text, def),
        Err(_) => load_str(file, text),
    }
}

/// Checks and compiles a rule read from `text` into `def`.
fn compile(file: &str, text: &str, def: RuleFile) -> Result<Rule, RuleError> {
    let err = |path: Vec<PathSeg>, spot: Spot, message: String| {
        RuleError::at(file, text, &path, spot, message)
    };

    let mut signals = Vec::new();
    for (name, spec) in &def.signals.0 {
        let base = vec![key("signals"), key(name), key("detection")];
        let in_detection = |e: DetectionError| {
            let mut path = base.clone();
            path.extend(e.path);
            err(path, e.spot, e.message)
        };
        let detection = Detection::from_value(&spec.detection).map_err(in_detection)?;
        let matcher = CompiledDetection::compile(&detection).map_err(in_detection)?;
        signals.push(CompiledSignal {
            name: name.clone(),
            side: spec.side,
            detection,
            matcher,
            keep_fields: Vec::new(),
        });
    }

    match (&def.diagnosis, def.kind) {
        (None, RuleKind::Cause | RuleKind::Background) => {
            return Err(err(
                vec![key("signals")],
                Spot::Key,
                format!(
                    "a `{}` rule needs a `diagnosis` with at least one confidence entry",
                    def.kind
                ),
            ))
        }
        (Some(d), _) => {
            if d.confidence.is_empty() && def.kind != RuleKind::Context {
                return Err(err(
                    vec![key("diagnosis"), key("confidence")],
                    Spot::Key,
                    "expected at least one confidence entry".into(),
                ));
            }
            let known = |n: &str| def.signals.get(n).is_some() || RESERVED_SIGNALS.contains(&n);
            for (i, entry) in d.confidence.iter().enumerate() {
                let at = |k: &str| {
                    vec![
                        key("diagnosis"),
                        key("confidence"),
                        PathSeg::Index(i),
                        key(k),
                    ]
                };
                for (name, _) in entry.when.expr.leaves() {
                    if !known(name) {
                        return Err(err(
                            at("when"),
                            Spot::Value,
                            format!("`when` names unknown signal `{name}` (expected one of this rule's signals or {})", RESERVED_SIGNALS.join(", ")),
                        ));
                    }
                }
                for placeholder in placeholders(&entry.why) {
                    let ok = match placeholder.split_once('.') {
                        Some((sig, field)) => known(sig) && !field.is_empty(),
                        None => WHY_PLACEHOLDERS.contains(&placeholder),
                    };
                    if !ok {
                        return Err(err(
                            at("why"),
                            Spot::Value,
                            format!("unknown placeholder `{{{placeholder}}}` (expected {} or {{signal.Field}})", WHY_PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", ")),
                        ));
                    }
                }
            }
        }
        (None, RuleKind::Context) => {}
    }

    for (i, ex) in def.examples.matches.iter().enumerate() {
        if def.signals.get(&ex.signal).is_none() {
            return Err(err(
                vec![
                    key("examples"),
                    key("match"),
                    PathSeg::Index(i),
                    key("signal"),
                ],
                Spot::Value,
                format!("example names unknown signal `{}`", ex.signal),
            ));
        }
    }

    for s in &mut signals {
        s.keep_fields = kept_fields(&def, &s.name);
    }
    Ok(Rule {
        file: file.to_string(),
        text: text.to_string(),
        def,
        signals,
    })
}

/// Placeholders a `why` sentence may use besides `{signal.Field}` (docs/RULES.md).
pub const WHY_PLACEHOLDERS: &[&str] = &[
    "host", "server", "client", "target", "delta", "count", "first", "last",
];

/// The `{...}` placeholders of a sentence.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].trim());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// The fields a signal keeps on its events: its evidence list, the diagnosis's `top` and
/// `min_distinct` fields, and the `{signal.Field}` placeholders that name this signal.
fn kept_fields(def: &RuleFile, signal: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |f: &str| {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(f)) {
            out.push(f.to_string());
        }
    };
    if let Some(spec) = def.signals.get(signal) {
        spec.evidence.iter().for_each(|f| add(f));
    }
    if let Some(d) = &def.diagnosis {
        d.top.iter().for_each(|f| add(f));
        for entry in &d.confidence {
            if let Some(md) = &entry.min_distinct {
                add(&md.field);
            }
            for p in placeholders(&entry.why) {
                if let Some((sig, field)) = p.split_once('.') {
                    if sig == signal {
                        add(field);
                    }
                }
            }
        }
    }
    out
}

/// The largest rule file read: rules are hand-written text, far below this.
pub const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;

/// Loads every `*.yaml` / `*.yml` file of `dir` (not recursive), in name order.
///
/// Returns the rules that loaded and one error per file that did not (or per duplicate id).
pub fn load_dir(dir: &Path) -> (Vec<Rule>, Vec<RuleError>) {
    let mut errors = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(RuleError {
                file: dir.display().to_string(),
                line: 1,
                column: 1,
                message: format!("cannot read the rule folder: {e}"),
            });
            return (Vec::new(), errors);
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")
                })
        })
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        if size > MAX_RULE_FILE_BYTES {
            errors.push(RuleError {
                file: name,
                line: 1,
                column: 1,
                message: format!(
                    "the file is {size} bytes; a rule file may have at most {MAX_RULE_FILE_BYTES}"
                ),
            });
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((name, text)),
            Err(e) => errors.push(RuleError {
                file: name,
                line: 1,
                column: 1,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    let (rules, more) = load_texts(files.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    errors.extend(more);
    (rules, errors)
}

/// Loads rules from (name, text) pairs, refusing a second rule with an id already loaded.
pub fn load_texts<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Vec<Rule>, Vec<RuleError>) {
    load_texts_with_json(files.into_iter().map(|(name, text)| (name, text, None)))
}

/// [`load_texts`] for (name, text, the same document as JSON) triples: each read from its
/// JSON where it has one ([`load_json`]).
pub fn load_texts_with_json<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> (Vec<Rule>, Vec<RuleError>) {
    // Each file is read and compiled on its own, side by side on the current rayon pool;
    // the ids are then checked in the files' order.
    let files: Vec<_> = files.into_iter().collect();
    let loaded: Vec<Result<Rule, RuleError>> = files
        .par_iter()
        .map(|&(name, text, json)| match json {
            Some(json) => load_json(name, text, json),
            None => load_str(name, text),
        })
        .collect();
    let mut rules: Vec<Rule> = Vec::new();
    let mut errors = Vec::new();
    for ((name, text, _), loaded) in files.into_iter().zip(loaded) {
        match loaded {
            Ok(rule) => {
                if let Some(first) = rules.iter().find(|r| r.def.id == rule.def.id) {
                    errors.push(RuleError::at(
                        name,
                        text,
                        &[key("id")],
                        Spot::Value,
                        format!("id `{}` is already used by {}", rule.def.id, first.file),
                    ));
                } else {
                    rules.push(rule);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    (rules, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_messages_lose_their_position_suffix() {
        let e = serde_norway::from_str::<RuleFile>("evident: 1\nid: x\ntitle: [unclosed\n")
            .unwrap_err();
        let m = yaml_message(&e);
        assert!(!m.contains("line 3"), "{m}");
        let e = serde_norway::from_str::<RuleFile>("evident: 2\n").unwrap_err();
        assert!(yaml_message(&e).ends_with("unsupported format version 2: expected `evident: 1`"));
    }

    #[test]
    fn placeholders_are_found() {
        assert_eq!(
            placeholders("a {host} b {sig.Field} {x"),
            vec!["host", "sig.Field"]
        );
    }
}
