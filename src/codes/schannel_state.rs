//! Schannel internal error states: the `ErrorState` (or `ErrorStatus`) number in Schannel 36870,
//! 36871 and 36888.
//!
//! Microsoft publishes no table. Source (domain reference §3.4): the states documented by example
//! in "Troubleshoot Azure VM RDP connection issues by Event ID" (Microsoft Learn, source
//! MicrosoftDocs/SupportArticles-docs `event-id-troubleshoot-vm-rdp-connecton.md`) \[V\]; the others
//! are forum observations and stay UNCONFIRMED. Rule: print unknown states verbatim; never guess.

use super::Status::{Unconfirmed, Verified};
use super::{rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::SchannelState, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    r(
        10001,
        "",
        "with error 0x8009030D; cause: MachineKeys permissions wrong or RSA key corrupted/missing",
        "event 36870; [V] (Azure RDP troubleshooting article)",
        Verified,
    ),
    r(
        10013,
        "",
        r#""fatal error … creating a TLS server credential"; cause given: security policy disabling older TLS versions"#,
        "event 36871; [V] same article; the general meaning of 10013 is UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        10010,
        "",
        "seen in forums alongside 10013",
        "event 36871; UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        10011,
        "",
        "seen in forums alongside 10013",
        "event 36871; UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        1203,
        "",
        "frequently seen with alert 40/70/10",
        "event 36888; UNCONFIRMED — do not decode; show raw",
        Unconfirmed,
    ),
    r(
        1205,
        "",
        "frequently seen with alert 40/70/10",
        "event 36888; UNCONFIRMED — do not decode; show raw",
        Unconfirmed,
    ),
    r(
        960,
        "",
        "frequently seen with alert 40/70/10",
        "event 36888; UNCONFIRMED — do not decode; show raw",
        Unconfirmed,
    ),
];

static PRIVATE_KEY: Advice = Advice {
    implies: "Schannel could not access the TLS credential's private key (36870 with 0x8009030D).",
    causes: &[
        rule(
            "private-key-access",
            "MachineKeys permissions wrong, or the RSA key corrupt or missing.",
        ),
        rule(
            "rdp-certificate",
            "The RDP certificate must be renewed after the key is fixed (RCM 1057/1058).",
        ),
    ],
    not_this: &[
        "Do not rename the MachineKeys folder: it discards every machine private key on the host.",
    ],
    collect: &[Machine::Server],
    extra_logging: true,
};

static CREDENTIAL: Advice = Advice {
    implies: "Schannel could not create a TLS server credential (36871). Microsoft's example \
        attributes 10013 to a security policy that disabled older TLS versions; the general meaning \
        of the state is UNCONFIRMED.",
    causes: &[
        rule("tls-mismatch", "A TLS hardening change (protocols or cipher suites) broke the credential host-wide."),
        rule("private-key-access", "The certificate's key cannot be used (check for 36870 and RCM 1057/1058)."),
    ],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: true,
};

static RAW: Advice = Advice {
    implies: "No published meaning: evident shows the state as logged and does not guess.",
    causes: &[],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

/// The advice for one Schannel error state.
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        10001 => &PRIVATE_KEY,
        10013 => &CREDENTIAL,
        _ => &RAW,
    }
}
