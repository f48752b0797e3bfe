//! The `when` expression of a confidence entry: `and`, `or`, `not`, parentheses over signal
//! names, evaluated in three-valued (Kleene) logic.
//!
//! The third value, [`Truth::Unknown`], is what a `not X` yields when the logs that could hold
//! X were not given (docs/RULES.md: "otherwise the combination is not evaluated"); an entry
//! holds only when its expression is definitely true.

use std::collections::BTreeSet;

/// A parsed `when` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Atom(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// Kleene truth values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    fn and(self, other: Truth) -> Truth {
        std::cmp::min_by_key(self, other, |t| *t as u8)
    }
    fn or(self, other: Truth) -> Truth {
        std::cmp::max_by_key(self, other, |t| *t as u8)
    }
}

/// A `when` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("in `when` at character {position}: {message}")]
pub struct ExprError {
    pub position: usize,
    pub message: String,
}

impl Expr {
    /// Parses `a and not (b or c)`. Precedence: `not` > `and` > `or`.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, pos: 0 };
        let expr = parser.or()?;
        if let Some((at, tok)) = parser.tokens.get(parser.pos) {
            return Err(ExprError {
                position: *at,
                message: format!("unexpected `{tok}`"),
            });
        }
        Ok(expr)
    }

    /// Evaluates with `atom` giving each name's truth.
    pub fn eval(&self, atom: &mut dyn FnMut(&str) -> Truth) -> Truth {
        match self {
            Expr::Atom(name) => atom(name),
            Expr::Not(e) => e.eval(atom).not(),
            Expr::And(a, b) => a.eval(atom).and(b.eval(atom)),
            Expr::Or(a, b) => a.eval(atom).or(b.eval(atom)),
        }
    }

    /// Every name the expression mentions.
    pub fn names(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect(false, &mut |n, _| {
            out.insert(n.to_string());
        });
        out
    }

    /// The names that occur under an even number of `not`s (named positively).
    pub fn positive_names(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect(false, &mut |n, negated| {
            if !negated {
                out.insert(n.to_string());
            }
        });
        out
    }

    fn collect(&self, negated: bool, f: &mut dyn FnMut(&str, bool)) {
        match self {
            Expr::Atom(n) => f(n, negated),
            Expr::Not(e) => e.collect(!negated, f),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect(negated, f);
                b.collect(negated, f);
            }
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, String)>, ExprError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' || c == ')' {
            out.push((i, c.to_string()));
            chars.next();
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let mut word = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    word.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push((i, word));
        } else {
            return Err(ExprError {
                position: i,
                message: format!("unexpected character `{c}`"),
            });
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, String)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(|(_, t)| t.as_str())
    }
    fn at(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map(|(i, _)| *i)
            .or_else(|| self.tokens.last().map(|(i, t)| i + t.len()))
            .unwrap_or(0)
    }
    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.and()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("or")) {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("and")) {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Expr, ExprError> {
        match self.peek() {
            Some(t) if t.eq_ignore_ascii_case("not") => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some("(") => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(")") {
                    return Err(ExprError {
                        position: self.at(),
                        message: "expected `)`".into(),
                    });
                }
                self.pos += 1;
                Ok(e)
            }
            Some(t)
                if t != ")" && !t.eq_ignore_ascii_case("and") && !t.eq_ignore_ascii_case("or") =>
            {
                let name = t.to_string();
                self.pos += 1;
                Ok(Expr::Atom(name))
            }
            _ => Err(ExprError {
                position: self.at(),
                message: "expected a signal name, `not` or `(`".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth_of(expr: &str, t: &[(&str, Truth)]) -> Truth {
        let e = Expr::parse(expr).unwrap();
        e.eval(&mut |n| {
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
    }

    #[test]
    fn names_split_by_polarity() {
        let e = Expr::parse("a and not (b or not c)").unwrap();
        assert_eq!(
            e.positive_names().into_iter().collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert_eq!(e.names().len(), 3);
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(Expr::parse("a and").unwrap_err().position, 5);
        assert!(Expr::parse("a $ b").is_err());
        assert!(Expr::parse("(a or b").is_err());
        assert!(Expr::parse("a b").is_err());
    }
}
