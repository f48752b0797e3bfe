//! Three-valued (Kleene) evaluation of a rung's `when`, over the rule engine's parsed
//! expression ([`BoolExpr`], the grammar shared with Sigma conditions).
//!
//! The third value, [`Truth::Unknown`], is what a `not X` yields when the logs that could hold
//! X were not given (docs/RULES.md: "otherwise the combination is not evaluated"); a rung
//! holds only when its expression is definitely true.

use std::collections::BTreeSet;

use crate::rules::condition::BoolExpr;

/// A parsed `when` expression over signal names.
pub type Expr = BoolExpr<String>;

/// Kleene truth values, ordered `False < Unknown < True`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Truth {
    False,
    Unknown,
    True,
}

impl Truth {
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

/// Evaluates `expr` with `atom` giving each name's truth. Every atom is asked (no
/// short-circuit), so the caller sees every signal the expression binds.
pub fn eval(expr: &Expr, atom: &mut dyn FnMut(&str) -> Truth) -> Truth {
    match expr {
        BoolExpr::Leaf(name) => atom(name),
        BoolExpr::Not(e) => eval(e, atom).not(),
        BoolExpr::And(es) => es
            .iter()
            .map(|e| eval(e, atom))
            .min()
            .unwrap_or(Truth::True),
        BoolExpr::Or(es) => es
            .iter()
            .map(|e| eval(e, atom))
            .max()
            .unwrap_or(Truth::False),
    }
}

/// The names that occur under an even number of `not`s (named positively).
pub fn positive_names(expr: &Expr) -> BTreeSet<String> {
    expr.positive_leaves().into_iter().cloned().collect()
}

/// Parses a `when` (for tests and hand-made rules).
pub fn parse(text: &str) -> Result<Expr, crate::rules::condition::ExprError> {
    crate::rules::condition::parse_names(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth_of(expr: &str, t: &[(&str, Truth)]) -> Truth {
        let e = parse(expr).unwrap();
        eval(&e, &mut |n| {
            t.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| *v)
                .unwrap_or(Truth::False)
        })
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        use Truth::*;
        assert_eq!(truth_of("a or b and c", &[("a", True)]), True);
        assert_eq!(truth_of("(a or b) and c", &[("a", True)]), False);
        assert_eq!(truth_of("not a and b", &[("b", True)]), True);
    }

    #[test]
    fn unknown_propagates_through_not() {
        use Truth::*;
        assert_eq!(
            truth_of("a and not b", &[("a", True), ("b", Unknown)]),
            Unknown
        );
        assert_eq!(truth_of("a or not b", &[("a", True), ("b", Unknown)]), True);
        assert_eq!(
            truth_of("a and not b", &[("a", False), ("b", Unknown)]),
            False
        );
    }

    #[test]
    fn positive_names_skip_negated_ones() {
        let e = parse("a and not (b or not c)").unwrap();
        assert_eq!(
            positive_names(&e).into_iter().collect::<Vec<_>>(),
            ["a", "c"]
        );
    }
}
