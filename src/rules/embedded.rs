//! The rule pack under `rules/`, compiled into the binary so that `evident` works from a
//! single file. `build.rs` lists `rules/*.yaml` into `EMBEDDED_RULES`.

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
/// the tests (which check every embedded example) run them.
pub fn load_for_matching() -> (Vec<Rule>, Vec<RuleError>) {
    let texts: Vec<(&str, Cow<'_, str>)> = EMBEDDED_RULES
        .iter()
        .map(|&(name, text)| (name, without_examples(text)))
        .collect();
    loader::load_texts(texts.iter().map(|(name, text)| (*name, text.as_ref())))
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
