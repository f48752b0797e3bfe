//! The rule pack under `rules/`, compiled into the binary so that `evident` works from a
//! single file. `build.rs` lists `rules/*.yaml` into `EMBEDDED_RULES`, and writes each as JSON
//! into `EMBEDDED_RULES_JSON`.

use std::borrow::Cow;

use super::loader::{self, RuleError};
use super::Rule;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The embedded files as (name, text), e.g. `("rules/tls-mismatch.yaml", "...")`.
pub fn files() -> &'static [(&'static str, &'static str)] {
    EMBEDDED_RULES
}

/// Loads the embedded rules. An error here is a bug in the pack; the rest still load.
pub fn load() -> (Vec<Rule>, Vec<RuleError>) {
    loader::load_texts(EMBEDDED_RULES.iter().copied())
}

/// Loads the embedded rules without their `examples`, for a scan: the examples are most of
/// each file's text, reading them was most of a scan's start-up, and only `rules check` and
/// the tests (which check every embedded example) run them. Each is read from the JSON that
/// `build.rs` made of it (`EMBEDDED_RULES_JSON`): reading the YAML was most of the rest. The
/// whole text is then only where an error is placed (or read, should its JSON not read); a
/// file without JSON is read from its text cut before its examples.
pub fn load_for_matching() -> (Vec<Rule>, Vec<RuleError>) {
    let texts: Vec<(&str, Cow<'_, str>, Option<&str>)> = EMBEDDED_RULES
        .iter()
        .zip(EMBEDDED_RULES_JSON)
        .map(|(&(name, text), &json)| match json {
            Some(json) => (name, Cow::Borrowed(text), Some(json)),
            None => (name, without_examples(text), None),
        })
        .collect();
    loader::load_texts_with_json(
        texts
            .iter()
            .map(|(name, text, json)| (*name, text.as_ref(), *json)),
    )
}

/// `text` without its top-level `examples:` block: from that line to the next top-level key
/// (a line that starts with neither a space, a tab, a comment nor a line break) or the end.
fn without_examples(text: &str) -> Cow<'_, str> {
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let top_level = !line.starts_with([' ', '\t', '#', '\r', '\n']);
        match start {
            None if line.starts_with("examples:") => start = Some(offset),
            Some(from) if top_level => {
                return Cow::Owned([&text[..from], &text[offset..]].concat());
            }
            _ => {}
        }
        offset += line.len();
    }
    match start {
        Some(from) => Cow::Borrowed(&text[..from]),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_loaded_for_matching_are_the_rules_without_their_examples() {
        let (full, errors) = load();
        assert!(errors.is_empty(), "{errors:?}");
        let (cut, errors) = load_for_matching();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(full.len(), cut.len());
        for (full, cut) in full.iter().zip(&cut) {
            assert!(!full.def.examples.matches.is_empty(), "{}", full.file);
            assert!(cut.def.examples.matches.is_empty(), "{}", cut.file);
            let mut def = full.def.clone();
            def.examples = Default::default();
            assert_eq!(
                format!("{def:?}"),
                format!("{:?}", cut.def),
                "{}",
                full.file
            );
            assert_eq!(format!("{:?}", full.signals), format!("{:?}", cut.signals));
        }
    }

    /// Every embedded rule is read from its JSON at a scan's start-up, not from its YAML.
    #[test]
    fn every_embedded_rule_has_a_json_that_reads() {
        assert_eq!(EMBEDDED_RULES.len(), EMBEDDED_RULES_JSON.len());
        for (&(name, _), json) in EMBEDDED_RULES.iter().zip(EMBEDDED_RULES_JSON) {
            let json = json.unwrap_or_else(|| panic!("{name} has no JSON"));
            let read = serde_json::from_str::<super::super::model::RuleFile>(json);
            assert!(read.is_ok(), "{name}: {read:?}");
        }
    }

    #[test]
    fn a_json_that_does_not_read_leaves_the_text_to_say_what_is_wrong() {
        let (name, text) = EMBEDDED_RULES[0];
        let from_text = loader::load_json(name, text, "{").expect("the text reads");
        assert_eq!(
            from_text.def.id,
            loader::load_str(name, text).unwrap().def.id
        );
        let broken = "evident: 1\nid: [unclosed\n";
        assert_eq!(
            loader::load_json("r.yaml", broken, "{").unwrap_err(),
            loader::load_str("r.yaml", broken).unwrap_err()
        );
    }

    #[test]
    fn the_examples_block_ends_at_the_next_top_level_key() {
        let text = "id: a\nexamples:\n  match:\n# a comment\n    - x\n\nfix: []\n";
        assert_eq!(without_examples(text), "id: a\nfix: []\n");
        assert_eq!(
            without_examples("id: a\nexamples:\n  match: []\n"),
            "id: a\n"
        );
        assert_eq!(without_examples("id: a\n"), "id: a\n");
    }
}
