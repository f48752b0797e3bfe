//! Which code table explains a field of an event, so reports and rules can print "2308 =
//! socket closed" next to the raw value. The field names are those of the domain reference §2
//! (and §1.3 for the client): client 1026 `Value`, Schannel `AlertDesc` / `ErrorCode` /
//! `ErrorState` (`ErrorStatus` in some manifests), Security 4625 / 4776 `Status` / `SubStatus`,
//! LocalSessionManager 40 `Reason`.

use super::{lookup, parse_code, CodeInfo, Family, Radix};

const CLIENT: &str = "Microsoft-Windows-TerminalServices-ClientActiveXCore";
const SCHANNEL: &str = "Schannel";
const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const LSM: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager";

/// The family whose table explains `field` of event `event_id` from `provider` (names compared
/// case-insensitively), if any.
pub fn family_of_field(provider: &str, event_id: u32, field: &str) -> Option<Family> {
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    if is(provider, CLIENT) && event_id == 1026 && is(field, "Value") {
        Some(Family::Disconnect)
    } else if is(provider, SCHANNEL) && matches!(event_id, 36887 | 36888) && is(field, "AlertDesc")
    {
        Some(Family::TlsAlert)
    } else if is(provider, SCHANNEL) && is(field, "ErrorCode") {
        Some(Family::Hresult)
    } else if is(provider, SCHANNEL) && (is(field, "ErrorState") || is(field, "ErrorStatus")) {
        Some(Family::SchannelState)
    } else if is(provider, SECURITY)
        && matches!(event_id, 4625 | 4776)
        && (is(field, "Status") || is(field, "SubStatus"))
    {
        Some(Family::Ntstatus)
    } else if is(provider, LSM) && event_id == 40 && is(field, "Reason") {
        Some(Family::LsmReason)
    } else {
        None
    }
}

/// The table row for a field's raw value as logged ("2308", "0xc000015b", "40"). Values are
/// taken as written: digits are decimal, never guessed as hex.
pub fn explain_field(
    provider: &str,
    event_id: u32,
    field: &str,
    raw: &str,
) -> Option<&'static CodeInfo> {
    let family = family_of_field(provider, event_id, field)?;
    let number = parse_code(raw).ok()?;
    // Schannel writes ErrorCode as hex without a prefix only when it has letters; a
    // digits-only HRESULT/NTSTATUS is still hex in these fields.
    let value = match (family, number.radix, number.hex_value) {
        (Family::Hresult | Family::Ntstatus, Radix::Decimal, Some(hex))
            if number.value < 0x8000_0000 =>
        {
            hex
        }
        _ => number.value,
    };
    lookup(family, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_the_fields_the_rules_read() {
        let name = |p, id, f, raw| explain_field(p, id, f, raw).map(|i| i.name);
        assert_eq!(
            name(CLIENT, 1026, "Value", "2308"),
            Some("disconnectReasonAtClientWinsockFDCLOSE")
        );
        assert_eq!(
            name(SCHANNEL, 36888, "AlertDesc", "40"),
            Some("handshake_failure")
        );
        assert_eq!(
            name("schannel", 36870, "ErrorCode", "0x8009030d"),
            Some("SEC_E_UNKNOWN_CREDENTIALS")
        );
        assert_eq!(
            name(SECURITY, 4625, "SubStatus", "0xC000015B"),
            Some("STATUS_LOGON_TYPE_NOT_GRANTED")
        );
        assert_eq!(
            name(SECURITY, 4625, "Status", "C000006D"),
            Some("STATUS_LOGON_FAILURE")
        );
        assert_eq!(
            name(SECURITY, 4776, "Status", "-1073741718"),
            Some("STATUS_WRONG_PASSWORD")
        );
        assert_eq!(
            explain_field(SCHANNEL, 36870, "ErrorState", "10001").map(|i| i.family),
            Some(Family::SchannelState)
        );
        assert_eq!(
            explain_field(LSM, 40, "Reason", "5").map(|i| i.family),
            Some(Family::LsmReason)
        );
        // digits in a 1026 Value are decimal, never guessed as hex
        assert_eq!(name(CLIENT, 1026, "Value", "904"), None);
        assert_eq!(family_of_field(SECURITY, 4624, "Status"), None);
        assert_eq!(name(SECURITY, 4625, "Status", "garbage"), None);
    }
}
