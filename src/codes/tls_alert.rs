//! TLS alert descriptions, as Schannel logs them in 36887 (received) and 36888 (generated and
//! sent) `AlertDesc`, in decimal.
//!
//! Sources (domain reference §3.3): RFC 8446 §6 (TLS 1.3), RFC 5246 §7.2 (TLS 1.2) and the IANA
//! "TLS Alerts" registry, <https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-6>
//! (standard registry values, \[M\] in the reference). Microsoft's "Schannel Error Codes for TLS
//! and SSL Alerts", <https://learn.microsoft.com/windows/win32/secauthn/schannel-error-codes-for-tls-and-ssl-alerts>,
//! gives the SSPI status Schannel returns on receiving each alert \[V\].

use super::Status::Secondary;
use super::{other, rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::TlsAlert, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    r(
        0,
        "close_notify",
        "Orderly close (not an error).",
        "",
        Secondary,
    ),
    r(
        10,
        "unexpected_message",
        "Inappropriate message received.",
        "Schannel returns SEC_E_ILLEGAL_MESSAGE 0x80090326 when it receives this alert [V]",
        Secondary,
    ),
    r(
        20,
        "bad_record_mac",
        "Record could not be authenticated.",
        "",
        Secondary,
    ),
    r(
        21,
        "decryption_failed_RESERVED",
        "TLS 1.0 only; must not be sent by TLS 1.2+.",
        "",
        Secondary,
    ),
    r(22, "record_overflow", "Record too long.", "", Secondary),
    r(
        30,
        "decompression_failure_RESERVED",
        "TLS ≤1.2 only.",
        "",
        Secondary,
    ),
    r(
        40,
        "handshake_failure",
        "No acceptable set of security parameters (typical: no common cipher suite).",
        "Schannel returns SEC_E_ILLEGAL_MESSAGE 0x80090326 when it receives this alert [V]",
        Secondary,
    ),
    r(
        41,
        "no_certificate_RESERVED",
        "SSL 3.0 only.",
        "",
        Secondary,
    ),
    r(
        42,
        "bad_certificate",
        "Certificate corrupt / bad signature.",
        "Schannel returns SEC_E_CERT_UNKNOWN 0x80090327 when it receives this alert [V]",
        Secondary,
    ),
    r(
        43,
        "unsupported_certificate",
        "Certificate of unsupported type.",
        "Schannel returns SEC_E_CERT_UNKNOWN 0x80090327 when it receives this alert [V]",
        Secondary,
    ),
    r(
        44,
        "certificate_revoked",
        "Certificate revoked.",
        "Schannel returns CRYPT_E_REVOKED 0x80092010 when it receives this alert [V]",
        Secondary,
    ),
    r(
        45,
        "certificate_expired",
        "Certificate expired or not yet valid.",
        "Schannel returns SEC_E_CERT_EXPIRED 0x80090328 when it receives this alert [V]",
        Secondary,
    ),
    r(
        46,
        "certificate_unknown",
        "Other certificate problem made it unacceptable.",
        "Schannel returns SEC_E_CERT_UNKNOWN 0x80090327 when it receives this alert [V]",
        Secondary,
    ),
    r(
        47,
        "illegal_parameter",
        "Field out of range / inconsistent.",
        "",
        Secondary,
    ),
    r(
        48,
        "unknown_ca",
        "Chain could not be built to a trusted CA.",
        "Schannel returns SEC_E_UNTRUSTED_ROOT 0x80090325 when it receives this alert [V]",
        Secondary,
    ),
    r(
        49,
        "access_denied",
        "Valid certificate, but access control refused the handshake.",
        "",
        Secondary,
    ),
    r(
        50,
        "decode_error",
        "Message could not be decoded.",
        "Schannel returns SEC_E_ILLEGAL_MESSAGE 0x80090326 when it receives this alert [V]",
        Secondary,
    ),
    r(
        51,
        "decrypt_error",
        "Handshake cryptographic operation failed (signature/Finished).",
        "",
        Secondary,
    ),
    r(60, "export_restriction_RESERVED", "Legacy.", "", Secondary),
    r(
        70,
        "protocol_version",
        "Peer's protocol version recognised but not supported (TLS version mismatch).",
        "Schannel returns SEC_E_UNSUPPORTED_FUNCTION 0x80090302 when it receives this alert [V]",
        Secondary,
    ),
    r(
        71,
        "insufficient_security",
        "Server requires ciphers more secure than the client offered.",
        "Schannel returns SEC_E_ALGORITHM_MISMATCH 0x80090331 when it receives this alert [V]",
        Secondary,
    ),
    r(
        80,
        "internal_error",
        "Local error unrelated to the peer.",
        "Schannel returns SEC_E_INTERNAL_ERROR 0x80090304 when it receives this alert [V]",
        Secondary,
    ),
    r(
        86,
        "inappropriate_fallback",
        "Client retried with lower version although server supports higher (RFC 7507).",
        "",
        Secondary,
    ),
    r(
        90,
        "user_canceled",
        "Handshake cancelled by user.",
        "",
        Secondary,
    ),
    r(
        100,
        "no_renegotiation",
        "Renegotiation refused (TLS ≤1.2; reserved in 1.3).",
        "",
        Secondary,
    ),
    r(
        109,
        "missing_extension",
        "Required extension missing (TLS 1.3).",
        "",
        Secondary,
    ),
    r(
        110,
        "unsupported_extension",
        "Extension not allowed in that message.",
        "",
        Secondary,
    ),
    r(
        111,
        "certificate_unobtainable_RESERVED",
        "Legacy (RFC 6066).",
        "",
        Secondary,
    ),
    r(
        112,
        "unrecognized_name",
        "No server for the SNI name.",
        "",
        Secondary,
    ),
    r(
        113,
        "bad_certificate_status_response",
        "Invalid OCSP response.",
        "",
        Secondary,
    ),
    r(
        114,
        "bad_certificate_hash_value_RESERVED",
        "Legacy.",
        "",
        Secondary,
    ),
    r(
        115,
        "unknown_psk_identity",
        "No acceptable PSK identity.",
        "",
        Secondary,
    ),
    r(
        116,
        "certificate_required",
        "Server requires a client certificate (TLS 1.3).",
        "",
        Secondary,
    ),
    r(
        120,
        "no_application_protocol",
        "No common ALPN protocol.",
        "",
        Secondary,
    ),
];

static MISMATCH: Advice = Advice {
    implies: "The TLS handshake failed on protocol version or cipher suite. On the server, Schannel \
        36888 ('generated and sent') with this alert points at a TLS version or cipher mismatch; \
        36887 means the peer sent it.",
    causes: &[
        rule("tls-mismatch", "No TLS version or cipher suite in common between client and server (with Schannel 36874 in the same second on the server)."),
        rule("internet-exposure", "From many source addresses: scanners offering old protocols — informational."),
    ],
    not_this: &["Do not disable NLA to bridge a TLS mismatch: NLA runs inside TLS and changes nothing about versions or ciphers."],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: true,
};

static CERTIFICATE: Advice = Advice {
    implies:
        "A certificate was rejected during the TLS handshake. Received by a client (36887), or \
        in RD Gateway scenarios, it points at certificate trust problems.",
    causes: &[
        rule(
            "rdp-certificate",
            "The server's certificate is expired, revoked, untrusted or unusable.",
        ),
        rule(
            "rd-gateway",
            "With an RD Gateway: the gateway's HTTPS certificate is the one rejected.",
        ),
        rule(
            "name-mismatch",
            "The certificate does not carry the name the client used.",
        ),
    ],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server, Machine::Gateway],
    extra_logging: true,
};

static NOISE: Advice = Advice {
    implies:
        "A malformed or unexpected TLS message. In bursts from many sources this is typical of \
        scanners; for a single client it can also mean a non-TLS peer or a version problem.",
    causes: &[
        rule(
            "internet-exposure",
            "Scanners probing the RDP port (bursts from many addresses).",
        ),
        rule(
            "tls-mismatch",
            "A version or cipher problem, when it coincides with a real client's failure.",
        ),
    ],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static NOT_AN_ERROR: Advice = Advice {
    implies: "An orderly close of the TLS connection; not an error.",
    causes: &[],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static DEFAULT: Advice = Advice {
    implies:
        "A TLS alert. Which side sent it matters: Schannel 36888 = this machine generated it, \
        36887 = received from the peer.",
    causes: &[other(
        "Correlate with the other side's Schannel events and the client's attempt by time.",
    )],
    not_this: &[],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: true,
};

/// The advice for one TLS alert.
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        0 => &NOT_AN_ERROR,
        40 | 70 | 71 | 86 => &MISMATCH,
        42..=46 | 48 => &CERTIFICATE,
        10 | 20 | 50 => &NOISE,
        _ => &DEFAULT,
    }
}
