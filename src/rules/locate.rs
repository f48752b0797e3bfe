//! Finds the line and column of a key or value in a YAML document, by path.
//!
//! Errors found after reading (an unknown selection in a condition, a bad regex, an unknown
//! signal in `when`) know *where* in the document they are as a path, not as a position. The
//! YAML reader attaches the position of the node being read to any error raised while reading
//! it, so this module walks the document again and raises an error exactly at the node the
//! path names: the reader's position is the answer.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::detection::{PathSeg, Spot};

const FOUND: &str = "\u{0}evident-locate-found";

/// The 1-based line and column of the node at `path` (its key when `spot` is `Key`).
pub fn locate(text: &str, path: &[PathSeg], spot: Spot) -> Option<(usize, usize)> {
    let de = serde_norway::Deserializer::from_str(text);
    let seed = Walker { path, spot };
    match seed.deserialize(de) {
        Err(e) if e.to_string().contains(FOUND) => e.location().map(|l| (l.line(), l.column())),
        _ => None,
    }
}

struct Walker<'p> {
    path: &'p [PathSeg],
    spot: Spot,
}

impl<'de> DeserializeSeed<'de> for Walker<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.leaf()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.leaf()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.leaf()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.leaf()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.leaf()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.leaf()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.leaf()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.path.is_empty() {
            return Err(de::Error::custom(FOUND));
        }
        let mut i = 0;
        loop {
            let hit = matches!(self.path.first(), Some(PathSeg::Index(n)) if *n == i);
            let more = if hit {
                seq.next_element_seed(Walker {
                    path: &self.path[1..],
                    spot: self.spot,
                })?
            } else {
                seq.next_element::<IgnoredAny>()?.map(|_| ())
            };
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.path.is_empty() {
            return Err(de::Error::custom(FOUND));
        }
        let want = match self.path.first() {
            Some(PathSeg::Key(k)) => Some(k.as_str()),
            _ => None,
        };
        let key_is_target = self.path.len() == 1 && self.spot == Spot::Key;
        while let Some(hit) = map.next_key_seed(KeySeed {
            want,
            fail_on_hit: key_is_target,
        })? {
            if hit {
                map.next_value_seed(Walker {
                    path: &self.path[1..],
                    spot: self.spot,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl Walker<'_> {
    fn leaf<E: de::Error>(&self) -> Result<(), E> {
        if self.path.is_empty() {
            Err(E::custom(FOUND))
        } else {
            Ok(())
        }
    }
}

/// Reads a key; says whether it is the wanted one, or fails at it when the key is the target.
struct KeySeed<'a> {
    want: Option<&'a str>,
    fail_on_hit: bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        self.check(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.check(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.check(&v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.check(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

impl KeySeed<'_> {
    fn check<E: de::Error>(&self, key: &str) -> Result<bool, E> {
        let hit = self.want == Some(key);
        if hit && self.fail_on_hit {
            Err(E::custom(FOUND))
        } else {
            Ok(hit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> PathSeg {
        PathSeg::Key(s.into())
    }

    #[test]
    fn finds_keys_and_values_in_block_and_flow_style() {
        let doc = "a: 1\nsignals:\n  one:\n    detection:\n      sel: { EventID: 5, 'x|re': '(' }\n      condition: sel and nope\nlist:\n  - when: x\n  - when: y\n";
        assert_eq!(locate(doc, &[k("a")], Spot::Key), Some((1, 1)));
        assert_eq!(locate(doc, &[k("a")], Spot::Value), Some((1, 4)));
        let cond = [k("signals"), k("one"), k("detection"), k("condition")];
        assert_eq!(locate(doc, &cond, Spot::Value), Some((6, 18)));
        let re = [k("signals"), k("one"), k("detection"), k("sel"), k("x|re")];
        assert_eq!(locate(doc, &re, Spot::Key), Some((5, 26)));
        assert_eq!(locate(doc, &re, Spot::Value), Some((5, 34)));
        let when = [k("list"), PathSeg::Index(1), k("when")];
        assert_eq!(locate(doc, &when, Spot::Value), Some((9, 11)));
        assert_eq!(locate(doc, &[k("missing")], Spot::Key), None);
        assert_eq!(locate("a: [", &[k("b")], Spot::Key), None);
    }
}
