//! The rule pack under `rules/`, compiled into the binary so that `evident` works from a
//! single file. `build.rs` lists `rules/*.yaml` into `EMBEDDED_RULES`.

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
