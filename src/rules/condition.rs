//! Boolean expressions over names: the grammar shared by a Sigma `condition` and a diagnosis
//! `when`.
//!
//! `expr := term ('or' term)*`, `term := factor ('and' factor)*`,
//! `factor := 'not' factor | '(' expr ')' | atom`, `atom := ('1' | 'any' | 'all') 'of' NAME | NAME`.
//! Keywords are case-insensitive; `not` binds tighter than `and`, which binds tighter than `or`,
//! as in Sigma. The text is parsed once into a [`BoolExpr`] and evaluated as a tree, never
//! rewritten as a string. A caller turns each [`Atom`] into its own leaf type (a selection
//! index for Sigma, a signal name for `when`), so unknown names are caught at load time.

use std::fmt;

/// A parsed boolean expression with leaves of type `L`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoolExpr<L> {
    Leaf(L),
    Not(Box<BoolExpr<L>>),
    And(Vec<BoolExpr<L>>),
    Or(Vec<BoolExpr<L>>),
}

/// What the parser found in a leaf position, before the caller resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Atom<'a> {
    /// A bare name, e.g. `selection` or `no_common_cipher`.
    Name(&'a str),
    /// `1 of PATTERN` (also `any of`); the pattern may end in `*` or be `them`.
    OneOf(&'a str),
    /// `all of PATTERN`.
    AllOf(&'a str),
}

/// A syntax error or a leaf the caller refused, with the byte offset in the expression text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {})", offset + 1)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

impl<L> BoolExpr<L> {
    /// Evaluates the tree, short-circuiting `and` and `or`.
    pub fn eval(&self, leaf: &mut impl FnMut(&L) -> bool) -> bool {
        match self {
            BoolExpr::Leaf(l) => leaf(l),
            BoolExpr::Not(e) => !e.eval(leaf),
            BoolExpr::And(es) => es.iter().all(|e| e.eval(leaf)),
            BoolExpr::Or(es) => es.iter().any(|e| e.eval(leaf)),
        }
    }

    /// Every leaf, with whether it appears under an odd number of `not`s (negated).
    pub fn leaves(&self) -> Vec<(&L, bool)> {
        fn walk<'a, L>(e: &'a BoolExpr<L>, negated: bool, out: &mut Vec<(&'a L, bool)>) {
            match e {
                BoolExpr::Leaf(l) => out.push((l, negated)),
                BoolExpr::Not(inner) => walk(inner, !negated, out),
                BoolExpr::And(es) | BoolExpr::Or(es) => {
                    es.iter().for_each(|e| walk(e, negated, out))
                }
            }
        }
        let mut out = Vec::new();
        walk(self, false, &mut out);
        out
    }

    /// The leaves named positively (not under a `not`).
    pub fn positive_leaves(&self) -> Vec<&L> {
        self.leaves()
            .into_iter()
            .filter(|(_, neg)| !neg)
            .map(|(l, _)| l)
            .collect()
    }

    /// Maps every leaf, keeping the shape.
    pub fn map<M>(self, f: &mut impl FnMut(L) -> M) -> BoolExpr<M> {
        match self {
            BoolExpr::Leaf(l) => BoolExpr::Leaf(f(l)),
            BoolExpr::Not(e) => BoolExpr::Not(Box::new(e.map(f))),
            BoolExpr::And(es) => BoolExpr::And(es.into_iter().map(|e| e.map(f)).collect()),
            BoolExpr::Or(es) => BoolExpr::Or(es.into_iter().map(|e| e.map(f)).collect()),
        }
    }
}

impl<L: fmt::Display> fmt::Display for BoolExpr<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoolExpr::Leaf(l) => write!(f, "{l}"),
            BoolExpr::Not(e) => write!(f, "not {e}"),
            BoolExpr::And(es) | BoolExpr::Or(es) => {
                let op = if matches!(self, BoolExpr::And(_)) {
                    " and "
                } else {
                    " or "
                };
                f.write_str("(")?;
                for (i, e) in es.iter().enumerate() {
                    if i > 0 {
                        f.write_str(op)?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Open,
    Close,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '*' | '-' | '.' | '?')
}

fn tokenize(text: &str) -> Result<Vec<(Tok<'_>, usize)>, ExprError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            out.push((Tok::Open, i));
            chars.next();
        } else if c == ')' {
            out.push((Tok::Close, i));
            chars.next();
        } else if is_name_char(c) {
            let mut end = i;
            while let Some(&(j, d)) = chars.peek() {
                if !is_name_char(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            out.push((Tok::Word(&text[i..end]), i));
        } else if c == '|' {
            return Err(ExprError {
                offset: i,
                message: "aggregations (`| count() ...`) are not supported".into(),
            });
        } else {
            return Err(ExprError {
                offset: i,
                message: format!("unexpected character `{c}`"),
            });
        }
    }
    Ok(out)
}

fn is_keyword(w: &str, k: &str) -> bool {
    w.eq_ignore_ascii_case(k)
}

struct Parser<'a, 'f, L> {
    toks: Vec<(Tok<'a>, usize)>,
    pos: usize,
    end: usize,
    leaf: &'f mut dyn FnMut(Atom<'a>) -> Result<L, String>,
}

impl<'a, L> Parser<'a, '_, L> {
    fn peek(&self) -> Option<(Tok<'a>, usize)> {
        self.toks.get(self.pos).copied()
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.end, |(_, o)| o)
    }

    fn err(&self, message: impl Into<String>) -> ExprError {
        ExprError {
            offset: self.offset(),
            message: message.into(),
        }
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        if let Some((Tok::Word(w), _)) = self.peek() {
            if is_keyword(w, k) {
                self.pos += 1;
                return true;
            }
        }
        false
    }

    fn expr(&mut self, depth: usize) -> Result<BoolExpr<L>, ExprError> {
        let mut terms = vec![self.term(depth)?];
        while self.eat_keyword("or") {
            terms.push(self.term(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            BoolExpr::Or(terms)
        })
    }

    fn term(&mut self, depth: usize) -> Result<BoolExpr<L>, ExprError> {
        let mut factors = vec![self.factor(depth)?];
        while self.eat_keyword("and") {
            factors.push(self.factor(depth)?);
        }
        Ok(if factors.len() == 1 {
            factors.remove(0)
        } else {
            BoolExpr::And(factors)
        })
    }

    fn factor(&mut self, depth: usize) -> Result<BoolExpr<L>, ExprError> {
        if depth > 64 {
            return Err(self.err("expression nested too deeply"));
        }
        if self.eat_keyword("not") {
            return Ok(BoolExpr::Not(Box::new(self.factor(depth + 1)?)));
        }
        match self.peek() {
            Some((Tok::Open, _)) => {
                self.pos += 1;
                let inner = self.expr(depth + 1)?;
                match self.peek() {
                    Some((Tok::Close, _)) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.err("expected `)`")),
                }
            }
            Some((Tok::Close, _)) => Err(self.err("expected a name, `not` or `(`, found `)`")),
            Some((Tok::Word(w), at)) => {
                if ["and", "or", "of"].iter().any(|k| is_keyword(w, k)) {
                    return Err(self.err(format!("expected a name, found `{w}`")));
                }
                self.pos += 1;
                let quantifier = if w == "1" || is_keyword(w, "any") {
                    Some(false)
                } else if is_keyword(w, "all") {
                    Some(true)
                } else {
                    None
                };
                let atom = match quantifier {
                    Some(all) if self.eat_keyword("of") => match self.peek() {
                        Some((Tok::Word(p), _)) => {
                            self.pos += 1;
                            if all {
                                Atom::AllOf(p)
                            } else {
                                Atom::OneOf(p)
                            }
                        }
                        _ => return Err(self.err("expected a name or pattern after `of`")),
                    },
                    _ => Atom::Name(w),
                };
                (self.leaf)(atom)
                    .map(BoolExpr::Leaf)
                    .map_err(|message| ExprError {
                        offset: at,
                        message,
                    })
            }
            None => Err(self.err("expected a name, `not` or `(`, found the end")),
        }
    }
}

/// Parses `text`, turning each atom into a leaf with `leaf` (which may refuse it).
pub fn parse<'a, L>(
    text: &'a str,
    leaf: &mut dyn FnMut(Atom<'a>) -> Result<L, String>,
) -> Result<BoolExpr<L>, ExprError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: text.len(),
        leaf,
    };
    let e = p.expr(0)?;
    if p.pos != p.toks.len() {
        let found = match p.peek() {
            Some((Tok::Word(w), _)) => format!("`{w}`"),
            Some((Tok::Close, _)) => "`)`".into(),
            _ => "`(`".into(),
        };
        return Err(p.err(format!("expected `and`, `or` or the end, found {found}")));
    }
    Ok(e)
}

/// Parses an expression over plain names (no `1 of` / `all of`): the diagnosis `when`.
pub fn parse_names(text: &str) -> Result<BoolExpr<String>, ExprError> {
    parse(text, &mut |atom| match atom {
        Atom::Name(n) if n.contains(['*', '?']) => {
            Err(format!("`{n}`: patterns are not allowed here"))
        }
        Atom::Name(n) => Ok(n.to_string()),
        Atom::OneOf(_) | Atom::AllOf(_) => Err("`1 of` / `all of` is not allowed here".into()),
    })
}

/// Whether a Sigma name pattern (`sel_*`, `them` is handled by the caller) matches `name`.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((b'?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => {
                n.first().is_some_and(|d| d.eq_ignore_ascii_case(c)) && go(rest, &n[1..])
            }
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, truths: &[&str]) -> bool {
        parse_names(text)
            .unwrap()
            .eval(&mut |n: &String| truths.contains(&n.as_str()))
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        assert!(eval("a or b and c", &["a"]));
        assert!(!eval("(a or b) and c", &["a"]));
        assert!(eval("not a and b", &["b"]));
        assert!(!eval("not (a and b) and c", &["a", "b", "c"]));
        assert!(eval("NOT a AND b", &["b"]));
    }

    #[test]
    fn leaves_know_their_negation() {
        let e = parse_names("a and not (b or not c)").unwrap();
        let leaves: Vec<(String, bool)> = e
            .leaves()
            .into_iter()
            .map(|(l, n)| (l.clone(), n))
            .collect();
        assert_eq!(
            leaves,
            vec![("a".into(), false), ("b".into(), true), ("c".into(), false)]
        );
        assert_eq!(e.positive_leaves(), vec!["a", "c"]);
    }

    #[test]
    fn quantifiers_reach_the_leaf_callback() {
        let mut seen = Vec::new();
        parse("1 of sel_* and all of them or any of x", &mut |a| {
            seen.push(format!("{a:?}"));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            ["OneOf(\"sel_*\")", "AllOf(\"them\")", "OneOf(\"x\")"]
        );
    }

    #[test]
    fn errors_carry_offsets() {
        let e = parse_names("a and (b or c").unwrap_err();
        assert_eq!(e.offset, 13);
        let e = parse_names("a b").unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("`b`"));
        let e = parse_names("a and").unwrap_err();
        assert!(e.message.contains("end"));
        let e = parse_names("sel | count() > 5").unwrap_err();
        assert!(e.message.contains("aggregation"));
        assert!(parse_names("1 of x").is_err());
        assert!(parse_names("").is_err());
        assert!(parse_names("a and or b").is_err());
    }

    #[test]
    fn name_patterns() {
        assert!(pattern_matches("sel_*", "sel_a"));
        assert!(pattern_matches("sel*", "sel"));
        assert!(!pattern_matches("sel_*", "filter"));
        assert!(pattern_matches("SEL?", "sel1"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!("{}a{}", "(".repeat(500), ")".repeat(500));
        assert!(parse_names(&text).is_err());
        let text = format!("{}a", "not ".repeat(500));
        assert!(parse_names(&text).is_err());
    }
}
