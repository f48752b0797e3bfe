//! RDP negotiation failure codes: the server's X.224 `RDP_NEG_FAILURE`, how it refuses a
//! connection *before* TLS (a security-protocol mismatch).
//!
//! Source (domain reference §3.2): [MS-RDPBCGR] 2.2.1.2.2 "RDP Negotiation Failure
//! (RDP_NEG_FAILURE)", Microsoft Open Specifications (Microsoft Learn, MS-RDPBCGR) \[V\].

use super::Status::Verified;
use super::{rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::Negotiation, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    r(
        0x1,
        "SSL_REQUIRED_BY_SERVER",
        "server requires TLS, client offered only standard RDP security",
        "",
        Verified,
    ),
    r(
        0x2,
        "SSL_NOT_ALLOWED_BY_SERVER",
        "server is set to standard RDP security only",
        "",
        Verified,
    ),
    r(
        0x3,
        "SSL_CERT_NOT_ON_SERVER",
        "server has no usable TLS certificate (relevant to §4 causes 2 and 3)",
        "",
        Verified,
    ),
    r(
        0x4,
        "INCONSISTENT_FLAGS",
        "inconsistent protocol flags",
        "",
        Verified,
    ),
    r(
        0x5,
        "HYBRID_REQUIRED_BY_SERVER",
        "server requires CredSSP (NLA)",
        "",
        Verified,
    ),
    r(
        0x6,
        "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
        "server requires TLS with client certificate auth",
        "",
        Verified,
    ),
];

static NO_CERTIFICATE: Advice = Advice {
    implies: "The server refused before TLS because it has no usable TLS certificate.",
    causes: &[
        rule(
            "rdp-certificate",
            "The RDP certificate could not be created or renewed (RCM 1057/1058).",
        ),
        rule(
            "private-key-access",
            "The certificate's private key cannot be opened (Schannel 36870, 0x8009030D).",
        ),
    ],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: true,
};

static NLA: Advice = Advice {
    implies: "The server requires CredSSP (Network Level Authentication) and the client did not offer it.",
    causes: &[
        rule("nla-credssp", "The client has CredSSP disabled or unsupported."),
        rule("security-layer", "The listener's NLA / security-layer setting does not fit this client."),
    ],
    not_this: &["Do not disable NLA on the server as a fix: it exposes the logon screen to anyone."],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: false,
};

static SECURITY_LAYER: Advice = Advice {
    implies: "Client and server asked for security protocols that do not overlap; the server refused \
        before TLS.",
    causes: &[rule("security-layer", "The listener's security layer (RDP / Negotiate / TLS) or the client's settings do not overlap (RCM 1050).")],
    not_this: &["Do not force the 'RDP' security layer: it removes TLS server authentication."],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: false,
};

/// The advice for one negotiation failure code.
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        0x3 => &NO_CERTIFICATE,
        0x5 => &NLA,
        _ => &SECURITY_LAYER,
    }
}
