//! Reading a code as users type it: client logs print decimal (1026 `Value=2308`), users quote hex
//! ("0x904"), tools print HRESULTs as signed decimal (-2146893043) and NTSTATUS without a prefix
//! (C000015B). All of these are accepted, in any case.

use serde::Serialize;

/// How the digits of a code were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Radix {
    Decimal,
    Hex,
}

/// A parsed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeNumber {
    pub value: u64,
    pub radix: Radix,
    /// For digits-only input without a prefix (e.g. "904"), the value read as hex: users often
    /// drop the `0x`. `None` when the input was unambiguous.
    pub hex_value: Option<u64>,
}

impl CodeNumber {
    /// The other reading of digits-only input (as hex), when it differs from the decimal one.
    pub fn alternative(&self) -> Option<CodeNumber> {
        self.hex_value
            .filter(|v| *v != self.value)
            .map(|value| CodeNumber {
                value,
                radix: Radix::Hex,
                hex_value: None,
            })
    }
}

/// Why a string is not a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty code: give a number such as 0x904 or 2308")]
    Empty,
    #[error("{input:?}: not a decimal or hex number (character {bad:?} at position {position})")]
    NotANumber {
        input: String,
        bad: char,
        position: usize,
    },
    #[error("{input:?}: too large for a code (codes are at most 32 bits)")]
    TooLarge { input: String },
}

/// Parses `0x904`, `0X904`, `904h`-free hex such as `8009030d`, decimal `2308`, or a signed 32-bit
/// decimal such as `-2146893043` (taken as its unsigned two's-complement value).
pub fn parse_code(input: &str) -> Result<CodeNumber, ParseError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    let too_large = || ParseError::TooLarge {
        input: input.to_string(),
    };
    if let Some(rest) = text.strip_prefix('-') {
        check_digits(input, rest, 1, |c| c.is_ascii_digit())?;
        let magnitude: u64 = rest.parse().map_err(|_| too_large())?;
        if magnitude == 0 || magnitude > 1 << 31 {
            return Err(too_large());
        }
        let value = (1u64 << 32) - magnitude;
        return Ok(CodeNumber {
            value,
            radix: Radix::Decimal,
            hex_value: None,
        });
    }
    let (digits, offset, prefixed) = match text.get(..2) {
        Some("0x" | "0X") => (&text[2..], 2, true),
        _ => (text, 0, false),
    };
    if digits.is_empty() {
        return Err(ParseError::NotANumber {
            input: input.to_string(),
            bad: 'x',
            position: 1,
        });
    }
    check_digits(input, digits, offset, |c| c.is_ascii_hexdigit())?;
    let hex = u64::from_str_radix(digits, 16)
        .ok()
        .filter(|v| *v <= u64::from(u32::MAX));
    if prefixed || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let value = hex.ok_or_else(too_large)?;
        return Ok(CodeNumber {
            value,
            radix: Radix::Hex,
            hex_value: None,
        });
    }
    let value = digits
        .parse::<u64>()
        .ok()
        .filter(|v| *v <= u64::from(u32::MAX))
        .ok_or_else(too_large)?;
    Ok(CodeNumber {
        value,
        radix: Radix::Decimal,
        hex_value: hex,
    })
}

fn check_digits(
    input: &str,
    digits: &str,
    offset: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ParseError> {
    match digits.char_indices().find(|(_, c)| !allowed(*c)) {
        Some((i, bad)) => Err(ParseError::NotANumber {
            input: input.to_string(),
            bad,
            position: offset + digits[..i].chars().count() + 1,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> (u64, Radix) {
        let n = parse_code(s).unwrap();
        (n.value, n.radix)
    }

    #[test]
    fn hex_with_prefix_any_case() {
        assert_eq!(value("0x904"), (2308, Radix::Hex));
        assert_eq!(value("0X904"), (2308, Radix::Hex));
        assert_eq!(value("0x8009030d"), (0x8009_030D, Radix::Hex));
        assert_eq!(value(" 0xC000015B "), (0xC000_015B, Radix::Hex));
    }

    #[test]
    fn hex_without_prefix_when_letters_show_it() {
        assert_eq!(value("8009030D"), (0x8009_030D, Radix::Hex));
        assert_eq!(value("c000015b"), (0xC000_015B, Radix::Hex));
        assert_eq!(value("A07"), (0xA07, Radix::Hex));
    }

    #[test]
    fn digits_are_decimal_with_a_hex_alternative() {
        let n = parse_code("2308").unwrap();
        assert_eq!((n.value, n.radix), (2308, Radix::Decimal));
        assert_eq!(n.alternative().map(|a| a.value), Some(0x2308));
        assert_eq!(parse_code("7").unwrap().alternative(), None);
        assert_eq!(parse_code("0x904").unwrap().alternative(), None);
    }

    #[test]
    fn signed_decimal_is_twos_complement() {
        assert_eq!(value("-2146893043"), (0x8009_030D, Radix::Decimal));
        assert_eq!(value("-1073741637"), (0xC000_00BB, Radix::Decimal));
        assert!(parse_code("-0").is_err());
        assert!(parse_code("-2147483649").is_err());
    }

    #[test]
    fn rejects_garbage_with_position() {
        assert_eq!(parse_code(""), Err(ParseError::Empty));
        assert_eq!(parse_code("  "), Err(ParseError::Empty));
        assert!(matches!(
            parse_code("0x"),
            Err(ParseError::NotANumber { .. })
        ));
        assert_eq!(
            parse_code("0x90g4"),
            Err(ParseError::NotANumber {
                input: "0x90g4".into(),
                bad: 'g',
                position: 5
            })
        );
        assert!(matches!(
            parse_code("12.5"),
            Err(ParseError::NotANumber { bad: '.', .. })
        ));
        assert!(matches!(
            parse_code("-0x5"),
            Err(ParseError::NotANumber { .. })
        ));
        assert!(matches!(
            parse_code("0x1FFFFFFFF"),
            Err(ParseError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_code("99999999999999999999999"),
            Err(ParseError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_code("4294967296"),
            Err(ParseError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_code("１２"),
            Err(ParseError::NotANumber { .. })
        ));
    }
}
