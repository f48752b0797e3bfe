//! The code tables: what an RDP client, TLS, SSPI, NTSTATUS or session code means, what it
//! implies, which of evident's root causes fit it (most likely first) and which logs to collect.
//!
//! The tables are data shared by `evident decode`, the rules and the reports. Every row comes from
//! the domain reference (`rdp-evidence.md` §3) with its source tag kept ([`Status`]), so a caller
//! can say "unconfirmed" exactly where the reference does. Each family lives in its own module,
//! whose docs cite the Microsoft page (or standard) the table comes from.
//!
//! A bare number is ambiguous (40 is a TLS alert and an event ID; 3 is a disconnect reason, an
//! extended reason, a session-manager reason and a negotiation failure), so [`decode`] returns every
//! family that knows the number, most likely first; [`decode_as`] pins one family.

use std::fmt;

use serde::Serialize;

pub mod collect;
mod disconnect;
mod event_id;
mod extended;
mod field;
mod hresult;
mod lsm_reason;
mod negotiation;
mod ntstatus;
mod parse;
mod schannel_state;
mod tls_alert;

pub use collect::Machine;
pub use field::{explain_field, family_of_field};
pub use parse::{parse_code, CodeNumber, ParseError, Radix};

/// The rule ids evident's rule pack uses; causes name them so a report can link a code to a rule.
pub const RULE_IDS: &[&str] = &[
    "tls-mismatch",
    "rdp-certificate",
    "private-key-access",
    "nla-credssp",
    "rds-licensing",
    "rd-gateway",
    "network-blocked",
    "unstable-network",
    "connection-limits",
    "rdp-service-down",
    "listener-port",
    "logon-rights",
    "security-layer",
    "name-mismatch",
    "internet-exposure",
    "session-broker",
];

/// A numbering scheme a code belongs to. The same number means different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// mstsc / RDP ActiveX disconnect reason (`discReason`, client event 1026 `Value`).
    Disconnect,
    /// Extended disconnect reason (`ExtendedDisconnectReasonCode`, the server's Set Error Info PDU).
    Extended,
    /// The server's X.224 `RDP_NEG_FAILURE` code: a refusal before TLS.
    Negotiation,
    /// TLS alert description (Schannel 36887 / 36888 `AlertDesc`).
    TlsAlert,
    /// Schannel / SSPI / CryptoAPI HRESULT.
    Hresult,
    /// NTSTATUS in Security 4625 `Status` / `SubStatus` and 4776 `Status`.
    Ntstatus,
    /// LocalSessionManager event 40 `Reason`.
    LsmReason,
    /// Schannel internal error state (`ErrorState` in 36870 / 36871 / 36888).
    SchannelState,
    /// A Windows event ID the rules use.
    EventId,
}

impl Family {
    /// Every family, in the order `--family` lists them.
    pub const ALL: [Family; 9] = [
        Family::Disconnect,
        Family::Extended,
        Family::Negotiation,
        Family::TlsAlert,
        Family::Hresult,
        Family::Ntstatus,
        Family::LsmReason,
        Family::SchannelState,
        Family::EventId,
    ];

    /// The name used on the command line and in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Family::Disconnect => "disconnect",
            Family::Extended => "extended",
            Family::Negotiation => "negotiation",
            Family::TlsAlert => "tls-alert",
            Family::Hresult => "hresult",
            Family::Ntstatus => "ntstatus",
            Family::LsmReason => "lsm-reason",
            Family::SchannelState => "schannel-state",
            Family::EventId => "event-id",
        }
    }

    /// A human title for the family, as printed above a decoded code.
    pub fn title(self) -> &'static str {
        match self {
            Family::Disconnect => "Disconnect reason (mstsc)",
            Family::Extended => "Extended disconnect reason",
            Family::Negotiation => "RDP negotiation failure (X.224 RDP_NEG_FAILURE)",
            Family::TlsAlert => "TLS alert",
            Family::Hresult => "Schannel / SSPI / CryptoAPI HRESULT",
            Family::Ntstatus => "NTSTATUS (Security 4625 / 4776 status)",
            Family::LsmReason => "LocalSessionManager event 40 reason",
            Family::SchannelState => "Schannel internal error state",
            Family::EventId => "Windows event ID",
        }
    }

    /// Parses a `key()` back (case-insensitive; `_` and `-` interchangeable).
    pub fn from_key(key: &str) -> Option<Family> {
        let wanted = key.trim().to_ascii_lowercase().replace('_', "-");
        Family::ALL.into_iter().find(|f| f.key() == wanted)
    }

    /// Whether codes of this family are usually written in hex (HRESULT, NTSTATUS, client codes)
    /// or in decimal (TLS alerts, error states, event IDs), for printing.
    fn hex_first(self) -> bool {
        matches!(
            self,
            Family::Disconnect
                | Family::Extended
                | Family::Negotiation
                | Family::Hresult
                | Family::Ntstatus
        )
    }

    fn rows(self) -> &'static [CodeInfo] {
        match self {
            Family::Disconnect => disconnect::ROWS,
            Family::Extended => extended::ROWS,
            Family::Negotiation => negotiation::ROWS,
            Family::TlsAlert => tls_alert::ROWS,
            Family::Hresult => hresult::ROWS,
            Family::Ntstatus => ntstatus::ROWS,
            Family::LsmReason => lsm_reason::ROWS,
            Family::SchannelState => schannel_state::ROWS,
            Family::EventId => event_id::ROWS,
        }
    }

    fn advice(self, code: u64) -> &'static Advice {
        match self {
            Family::Disconnect => disconnect::advice(code),
            Family::Extended => extended::advice(code),
            Family::Negotiation => negotiation::advice(code),
            Family::TlsAlert => tls_alert::advice(code),
            Family::Hresult => hresult::advice(code),
            Family::Ntstatus => ntstatus::advice(code),
            Family::LsmReason => lsm_reason::advice(code),
            Family::SchannelState => schannel_state::advice(code),
            Family::EventId => event_id::advice(code),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// How sure the reference is of a row: carried through so output can say "unconfirmed".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// `[V]`: checked against a primary source (Microsoft Learn, Open Specifications, SDK headers).
    Verified,
    /// `[M]`: several independent secondary sources agree, or a community page (TechNet wiki).
    Secondary,
    /// UNCONFIRMED in the reference: say so, and let rules lower their confidence.
    Unconfirmed,
}

impl Status {
    /// The tag as the reference writes it.
    pub fn tag(self) -> &'static str {
        match self {
            Status::Verified => "[V]",
            Status::Secondary => "[M]",
            Status::Unconfirmed => "UNCONFIRMED",
        }
    }
}

/// One row of a code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    pub family: Family,
    /// The code (for a range row, its first value).
    pub code: u64,
    /// The last value a range row covers; equal to `code` for a single code.
    pub code_end: u64,
    /// The symbolic name (`disconnectReasonAtClientWinsockFDCLOSE`, `SEC_E_…`); empty if none is
    /// published. For event IDs: the provider and log.
    pub name: &'static str,
    /// The meaning, as the reference words it.
    pub meaning: &'static str,
    /// Further detail from the table (wire code, RDP reading, source, side); may be empty.
    pub detail: &'static str,
    pub status: Status,
}

impl CodeInfo {
    /// A single-code row (used by the family modules to keep their tables short).
    pub(crate) const fn row(
        family: Family,
        code: u64,
        name: &'static str,
        meaning: &'static str,
        detail: &'static str,
        status: Status,
    ) -> CodeInfo {
        CodeInfo {
            family,
            code,
            code_end: code,
            name,
            meaning,
            detail,
            status,
        }
    }

    /// Whether this row covers `value`.
    pub fn covers(&self, value: u64) -> bool {
        self.code <= value && value <= self.code_end
    }

    /// One line for reports: `0x904 disconnectReasonAtClientWinsockFDCLOSE: Socket closed (…)`,
    /// with "(unconfirmed)" where the reference says so.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        if !self.name.is_empty() && self.family != Family::EventId {
            s.push_str(self.name);
            s.push_str(": ");
        }
        s.push_str(self.meaning.trim_end_matches('.'));
        if self.status == Status::Unconfirmed && !self.meaning.contains("UNCONFIRMED") {
            s.push_str(" (unconfirmed)");
        }
        s
    }

    /// Whether this row is a whole range (a fallback) rather than one named code.
    pub fn is_range(&self) -> bool {
        self.code_end != self.code
    }
}

/// One of evident's root causes that fits a code, with the rule that detects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// The rule id (one of [`RULE_IDS`]), when a rule covers this cause.
    pub rule: Option<&'static str>,
    pub text: &'static str,
}

/// What a code implies and what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Advice {
    /// What the code says about where and why the failure happened.
    pub implies: &'static str,
    /// Likely causes, most likely first.
    pub causes: &'static [Cause],
    /// Readings popular articles give that are wrong for this code (domain reference §5).
    pub not_this: &'static [&'static str],
    /// The machines whose logs hold the evidence, most important first.
    pub collect: &'static [Machine],
    /// Whether the evidence needs logging that is off by default (CAPI2, Schannel verbose, WFP).
    pub extra_logging: bool,
}

/// Shorthand for a cause covered by a rule.
pub(crate) const fn rule(id: &'static str, text: &'static str) -> Cause {
    Cause {
        rule: Some(id),
        text,
    }
}

/// Shorthand for a cause no rule covers.
pub(crate) const fn other(text: &'static str) -> Cause {
    Cause { rule: None, text }
}

/// The code found in one family, with the advice for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reading {
    /// The numeric value decoded (for a range row this may differ from `info.code`).
    pub value: u64,
    /// How the input was read to get `value`.
    pub read_as: Radix,
    /// True when digits without `0x` were read as hex because the decimal reading found nothing
    /// there ("904" taken as 0x904): output should say so.
    pub assumed_hex: bool,
    pub info: &'static CodeInfo,
    pub advice: &'static Advice,
}

impl Reading {
    /// The value as the family usually writes it, with the other base in brackets:
    /// `2308 (0x904)`, `0x8009030D (2148074253)`, `40 (0x28)`.
    pub fn display_value(&self) -> String {
        if self.info.family.hex_first() && self.info.family != Family::Disconnect {
            format!("0x{:X} ({})", self.value, self.value)
        } else {
            format!("{} (0x{:X})", self.value, self.value)
        }
    }
}

/// The result of decoding a code (and optionally an extended reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decoded {
    /// Every family that has the code, most likely first. Never empty.
    pub readings: Vec<Reading>,
    /// The extended reason, when one was given (then `readings` holds the disconnect reason).
    pub extended: Option<Reading>,
    /// The advice for the code as a whole: for a pair, what the two together imply; otherwise the
    /// advice of the most likely reading.
    pub advice: &'static Advice,
}

impl Decoded {
    /// The machines to collect logs from, in order, over the combined advice and every reading.
    pub fn machines(&self) -> Vec<Machine> {
        let mut out: Vec<Machine> = Vec::new();
        let all = std::iter::once(self.advice).chain(self.readings.iter().map(|r| r.advice));
        for machine in all.flat_map(|a| a.collect.iter().copied()) {
            if !out.contains(&machine) {
                out.push(machine);
            }
        }
        out
    }

    /// Whether any of the advice asks for logging that is off by default.
    pub fn needs_extra_logging(&self) -> bool {
        self.advice.extra_logging || self.readings.iter().any(|r| r.advice.extra_logging)
    }
}

/// Why a code could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("{input}: not a known code in any table (disconnect, extended, TLS alert, HRESULT, NTSTATUS, LSM reason, negotiation, Schannel state, event ID)")]
    Unknown { input: String },
    #[error("{input}: not a known {}", family.title())]
    UnknownIn { input: String, family: Family },
    #[error("with an extended reason the first code is a disconnect reason; --family {0} does not apply")]
    FamilyWithExtended(Family),
}

/// The row for `code` in `family`: the exact code first, then a range that covers it.
pub fn lookup(family: Family, code: u64) -> Option<&'static CodeInfo> {
    let rows = family.rows();
    rows.iter()
        .find(|r| !r.is_range() && r.code == code)
        .or_else(|| rows.iter().find(|r| r.is_range() && r.covers(code)))
}

/// Every row for `code` in `family` (event IDs repeat across providers, e.g. 102).
pub fn lookup_all(family: Family, code: u64) -> impl Iterator<Item = &'static CodeInfo> {
    let rows = family.rows();
    let exact = rows.iter().any(|r| !r.is_range() && r.code == code);
    rows.iter().filter(move |r| {
        if exact {
            !r.is_range() && r.code == code
        } else {
            r.covers(code)
        }
    })
}

/// The advice for `code` in `family`: specific when the table has it, else the family's.
pub fn advice(family: Family, code: u64) -> &'static Advice {
    family.advice(code)
}

/// Every row of every table, for listing and for checks against the reference.
pub fn all_rows() -> impl Iterator<Item = &'static CodeInfo> {
    Family::ALL.into_iter().flat_map(|f| f.rows().iter())
}

/// Decodes a code as typed by a user (`0x904`, `2308`, `8009030d`), with an optional extended
/// reason; every family that has the code is returned, most likely first.
pub fn decode(input: &str, ext: Option<&str>) -> Result<Decoded, DecodeError> {
    decode_as(input, ext, None)
}

/// [`decode`] restricted to one family when `family` is given.
pub fn decode_as(
    input: &str,
    ext: Option<&str>,
    family: Option<Family>,
) -> Result<Decoded, DecodeError> {
    let number = parse_code(input)?;
    if let Some(ext_input) = ext {
        if let Some(f) = family.filter(|f| *f != Family::Disconnect) {
            return Err(DecodeError::FamilyWithExtended(f));
        }
        let ext_number = parse_code(ext_input)?;
        let disc =
            first_reading(&number, Family::Disconnect).ok_or_else(|| DecodeError::UnknownIn {
                input: input.to_string(),
                family: Family::Disconnect,
            })?;
        let extended =
            first_reading(&ext_number, Family::Extended).ok_or_else(|| DecodeError::UnknownIn {
                input: ext_input.to_string(),
                family: Family::Extended,
            })?;
        let advice = pair_advice(&disc, &extended);
        return Ok(Decoded {
            readings: vec![disc],
            extended: Some(extended),
            advice,
        });
    }
    let found = match family {
        Some(f) => readings(&number, &[f]),
        None => {
            let mut all = readings(&number, &family_order(number.value, number.radix));
            if let Some(alt) = number.alternative() {
                // Digits only: the user may have meant hex ("904"). Those readings come after the
                // decimal ones, and only exact codes of families users quote in hex.
                for mut r in readings(&alt, &family_order(alt.value, Radix::Hex)) {
                    r.assumed_hex = true;
                    let duplicate = all
                        .iter()
                        .any(|a| a.info.family == r.info.family && a.value == r.value);
                    if !r.info.is_range() && !duplicate {
                        all.push(r);
                    }
                }
            }
            all
        }
    };
    let first = found.first().ok_or_else(|| match family {
        Some(f) => DecodeError::UnknownIn {
            input: input.to_string(),
            family: f,
        },
        None => DecodeError::Unknown {
            input: input.to_string(),
        },
    })?;
    let advice = first.advice;
    Ok(Decoded {
        readings: found,
        extended: None,
        advice,
    })
}

/// The first reading of a number in one family: as written, else (digits only) as hex.
fn first_reading(number: &CodeNumber, family: Family) -> Option<Reading> {
    readings(number, &[family]).into_iter().next().or_else(|| {
        let alt = number.alternative()?;
        let mut r = readings(&alt, &[family])
            .into_iter()
            .find(|r| !r.info.is_range())?;
        r.assumed_hex = true;
        Some(r)
    })
}

/// The readings of one number in the given families, in that order.
fn readings(number: &CodeNumber, families: &[Family]) -> Vec<Reading> {
    families
        .iter()
        .flat_map(|f| lookup_all(*f, number.value))
        .map(|info| Reading {
            value: number.value,
            read_as: number.radix,
            assumed_hex: false,
            info,
            advice: advice(info.family, number.value),
        })
        .collect()
}

/// The families to try for a bare number, most likely first. The shape of the number decides:
/// 0xC… is an NTSTATUS, 0x8… an HRESULT; small numbers written in hex are client codes; event IDs
/// are only ever written in decimal.
fn family_order(value: u64, radix: Radix) -> Vec<Family> {
    use Family::*;
    if (0xC000_0000..=0xFFFF_FFFF).contains(&value) {
        return vec![Ntstatus, Hresult];
    }
    if (0x8000_0000..0xC000_0000).contains(&value) {
        return vec![Hresult, Ntstatus];
    }
    match radix {
        Radix::Hex if value < 0x100 => {
            vec![
                Extended,
                Disconnect,
                TlsAlert,
                LsmReason,
                Negotiation,
                SchannelState,
            ]
        }
        Radix::Hex => vec![
            Disconnect,
            Extended,
            TlsAlert,
            LsmReason,
            Negotiation,
            SchannelState,
        ],
        // Small decimal numbers are most often extended reasons or TLS alerts quoted from an
        // event; larger ones are client 1026 `Value`s or event IDs (mstsc shows extended
        // reasons in hex, so a large decimal extended reason comes late).
        Radix::Decimal if value < 0x100 => {
            vec![
                Extended,
                TlsAlert,
                Disconnect,
                LsmReason,
                Negotiation,
                SchannelState,
                EventId,
            ]
        }
        Radix::Decimal => {
            vec![
                Disconnect,
                EventId,
                SchannelState,
                Extended,
                TlsAlert,
                LsmReason,
                Negotiation,
            ]
        }
    }
}

/// What a disconnect reason and an extended reason say together.
fn pair_advice(disc: &Reading, ext: &Reading) -> &'static Advice {
    if let Some(a) = disconnect::pair_advice(disc.value, ext.value) {
        return a;
    }
    // The extended reason says why, when it says anything specific.
    if ext.value != 0 && extended::has_specific_advice(ext.value) {
        ext.advice
    } else {
        disc.advice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_named_by_a_cause_exists() {
        for family in Family::ALL {
            for row in family.rows() {
                for value in [row.code, row.code_end] {
                    for cause in advice(family, value).causes {
                        if let Some(id) = cause.rule {
                            assert!(
                                RULE_IDS.contains(&id),
                                "{family} {value:#x}: unknown rule {id}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn summary_says_unconfirmed_where_the_reference_does() {
        let b08 = lookup(Family::Disconnect, 0xB08).unwrap();
        assert!(b08.summary().contains("UNCONFIRMED"));
        let lsm = lookup(Family::LsmReason, 5).unwrap();
        assert!(
            lsm.summary().ends_with("(unconfirmed)"),
            "{}",
            lsm.summary()
        );
        let fd = lookup(Family::Disconnect, 0x904).unwrap();
        assert_eq!(
            fd.summary(),
            "disconnectReasonAtClientWinsockFDCLOSE: Socket closed (FD_CLOSE seen by the client)"
        );
    }

    #[test]
    fn family_keys_round_trip() {
        for f in Family::ALL {
            assert_eq!(Family::from_key(f.key()), Some(f));
        }
        assert_eq!(Family::from_key("TLS_ALERT"), Some(Family::TlsAlert));
        assert_eq!(Family::from_key("nope"), None);
    }

    #[test]
    fn pair_is_disconnect_plus_extended() {
        let d = decode("0x904", Some("0x7")).unwrap();
        assert_eq!(d.readings.len(), 1);
        assert_eq!(
            d.readings[0].info.name,
            "disconnectReasonAtClientWinsockFDCLOSE"
        );
        let ext = d.extended.unwrap();
        assert_eq!(ext.info.name, "exDiscReasonServerDeniedConnection");
        assert_eq!(d.machines()[0], Machine::Server);
        let dec = decode("2308", Some("7")).unwrap();
        assert_eq!(dec.readings[0].info, d.readings[0].info);
        assert_eq!(dec.extended.unwrap().info, ext.info);
        assert_eq!(dec.advice, d.advice);
        // digits meant as hex
        let guessed = decode("904", Some("7")).unwrap();
        assert!(guessed.readings[0].assumed_hex);
        assert_eq!(guessed.readings[0].value, 2308);
    }

    #[test]
    fn pair_advice_never_blames_licensing_or_bandwidth() {
        let d = decode("0x904", Some("0x7")).unwrap();
        let rules: Vec<_> = d.advice.causes.iter().filter_map(|c| c.rule).collect();
        assert!(!rules.contains(&"rds-licensing"));
        assert!(!rules.contains(&"unstable-network"));
        // a device resetting the accepted connection is possible, but the least likely
        assert_eq!(rules.last(), Some(&"network-blocked"));
        assert_eq!(rules[0], "private-key-access");
        assert!(d.advice.not_this.iter().any(|n| n.contains("licens")));
    }

    #[test]
    fn ambiguous_forty_lists_every_family_tls_first() {
        let d = decode("40", None).unwrap();
        let families: Vec<_> = d.readings.iter().map(|r| r.info.family).collect();
        assert_eq!(families[0], Family::TlsAlert);
        assert!(families.contains(&Family::EventId), "{families:?}");
    }

    #[test]
    fn ambiguous_three_lists_four_families() {
        let d = decode("3", None).unwrap();
        let families: Vec<_> = d.readings.iter().map(|r| r.info.family).collect();
        for f in [
            Family::Disconnect,
            Family::Extended,
            Family::LsmReason,
            Family::Negotiation,
        ] {
            assert!(families.contains(&f), "{families:?}");
        }
        let only = decode_as("3", None, Some(Family::Negotiation)).unwrap();
        assert_eq!(only.readings.len(), 1);
        assert_eq!(only.readings[0].info.name, "SSL_CERT_NOT_ON_SERVER");
    }

    #[test]
    fn high_bits_pick_hresult_or_ntstatus() {
        assert_eq!(
            decode("0x8009030D", None).unwrap().readings[0].info.family,
            Family::Hresult
        );
        assert_eq!(
            decode("c000015b", None).unwrap().readings[0].info.family,
            Family::Ntstatus
        );
        // signed decimal, as .NET prints HRESULTs
        assert_eq!(
            decode("-2146893043", None).unwrap().readings[0].info.name,
            "SEC_E_UNKNOWN_CREDENTIALS"
        );
    }

    #[test]
    fn digits_meant_as_hex_are_offered_after_decimal() {
        let d = decode("904", None).unwrap();
        assert_eq!(
            d.readings[0].info.name,
            "disconnectReasonAtClientWinsockFDCLOSE"
        );
        assert_eq!(d.readings[0].read_as, Radix::Hex);
        assert!(d.readings[0].assumed_hex);
        let d = decode("808", None).unwrap();
        assert!(d
            .readings
            .iter()
            .any(|r| r.info.name == "disconnectReasonLicensingFailed"));
    }

    #[test]
    fn unknown_codes_are_errors() {
        assert!(matches!(
            decode("0x12345", None),
            Err(DecodeError::Unknown { .. })
        ));
        assert!(matches!(
            decode_as("0x904", None, Some(Family::TlsAlert)),
            Err(DecodeError::UnknownIn {
                family: Family::TlsAlert,
                ..
            })
        ));
        assert!(matches!(
            decode("0x904", Some("0x9999")),
            Err(DecodeError::UnknownIn { .. })
        ));
        assert!(matches!(
            decode("0x904", Some("zz")),
            Err(DecodeError::Parse(_))
        ));
        assert!(matches!(
            decode_as("0x904", Some("7"), Some(Family::TlsAlert)),
            Err(DecodeError::FamilyWithExtended(Family::TlsAlert))
        ));
    }

    #[test]
    fn ranges_decode_values_inside_them() {
        let d = decode_as("0x1234", None, Some(Family::Extended)).unwrap();
        assert!(d.readings[0].info.is_range());
        assert_eq!(d.readings[0].value, 0x1234);
        let gw = decode("50331651", None).unwrap();
        assert!(gw.readings[0].info.meaning.contains("certificate"));
        let gw_range = decode("0x3000040", None).unwrap();
        assert_eq!(gw_range.readings[0].info.family, Family::Disconnect);
    }
}
