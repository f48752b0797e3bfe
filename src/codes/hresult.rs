//! Schannel / SSPI / CryptoAPI HRESULTs, as they appear in Schannel 36870 `ErrorCode`, CAPI2
//! results, RCM status texts and client dialogs.
//!
//! Source (domain reference §3.4): Windows SDK `winerror.h` (SEC_E_*, CERT_E_*, CRYPT_E_*, NTE_*) \[V\],
//! (Microsoft's published SDK header; the codes are also listed on Microsoft Learn, "COM Error
//! Codes"). The RDP reading of
//! 0x8009030D with Schannel 36870 / state 10001 comes from "Troubleshoot Azure VM RDP connection
//! issues by Event ID" (Microsoft Learn) \[V\].

use super::Status::Verified;
use super::{other, rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::Hresult, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    r(0x80090016, "NTE_BAD_KEYSET", r#""Keyset does not exist" — key container missing/unreadable; RCM 1057 status text "Keyset does not exist""#, "", Verified),
    r(0x8009000F, "NTE_EXISTS", r#""Object already exists" — key container exists but cannot be used/overwritten; RCM 1057 "Object already exists" [V value; mapping to the 1057 text M]"#, "", Verified),
    r(0x80090302, "SEC_E_UNSUPPORTED_FUNCTION", r#""The function requested is not supported" — the text of the client's CredSSP-refusal dialog is this code's message; also what Schannel returns on receiving TLS alert 70 (§3.3)"#, "", Verified),
    r(0x80090304, "SEC_E_INTERNAL_ERROR", "LSA/SSP internal error", "", Verified),
    r(0x80090308, "SEC_E_INVALID_TOKEN", "malformed/unsupported handshake token (often TLS version/cipher mismatch or non-TLS data)", "", Verified),
    r(0x8009030C, "SEC_E_LOGON_DENIED", "logon attempt failed", "", Verified),
    r(0x8009030D, "SEC_E_UNKNOWN_CREDENTIALS", "credentials not recognised — for a TLS server: certificate private key not usable; Schannel 36870 with this code and state 10001 [V]", "", Verified),
    r(0x8009030E, "SEC_E_NO_CREDENTIALS", "no credentials available (no usable certificate/key)", "", Verified),
    r(0x80090311, "SEC_E_NO_AUTHENTICATING_AUTHORITY", "no DC/authority reachable", "", Verified),
    r(0x80090322, "SEC_E_WRONG_PRINCIPAL", "target principal (SPN) name incorrect — Kerberos/SPN problems", "", Verified),
    r(0x80090324, "SEC_E_TIME_SKEW", "clock skew between client and server/DC", "", Verified),
    r(0x80090325, "SEC_E_UNTRUSTED_ROOT", "chain issued by an untrusted authority", "", Verified),
    r(0x80090326, "SEC_E_ILLEGAL_MESSAGE", "illegal/unexpected TLS message (commonly after a fatal alert)", "", Verified),
    r(0x80090327, "SEC_E_CERT_UNKNOWN", "unknown error processing the certificate", "", Verified),
    r(0x80090328, "SEC_E_CERT_EXPIRED", "received certificate expired", "", Verified),
    r(0x80090329, "SEC_E_ENCRYPT_FAILURE", "encryption failed", "", Verified),
    r(0x80090330, "SEC_E_DECRYPT_FAILURE", "decryption failed", "", Verified),
    r(0x80090331, "SEC_E_ALGORITHM_MISMATCH", "client and server cannot communicate: no common algorithm/cipher suite", "", Verified),
    r(0x8009033A, "SEC_E_STRONG_CRYPTO_NOT_SUPPORTED", "strong crypto not supported", "", Verified),
    r(0x80090349, "SEC_E_CERT_WRONG_USAGE", "certificate not valid for requested usage (missing Server Authentication EKU)", "", Verified),
    r(0x80090350, "SEC_E_DOWNGRADE_DETECTED", "downgrade detected", "", Verified),
    r(0x80092010, "CRYPT_E_REVOKED", "certificate revoked", "", Verified),
    r(0x80092012, "CRYPT_E_NO_REVOCATION_CHECK", "revocation function could not check revocation", "", Verified),
    r(0x80092013, "CRYPT_E_REVOCATION_OFFLINE", "revocation server offline (CRL/OCSP unreachable)", "", Verified),
    r(0x800B0101, "CERT_E_EXPIRED", "certificate outside its validity period", "", Verified),
    r(0x800B0109, "CERT_E_UNTRUSTEDROOT", "chain terminates in an untrusted root", "", Verified),
    r(0x800B010A, "CERT_E_CHAINING", "chain could not be built to a root", "", Verified),
    r(0x800B010C, "CERT_E_REVOKED", "certificate explicitly revoked by its issuer", "", Verified),
    r(0x800B010F, "CERT_E_CN_NO_MATCH", r#""The certificate's CN name does not match the passed value" — name mismatch"#, "", Verified),
    r(0x800B0110, "CERT_E_WRONG_USAGE", "certificate not valid for the requested usage", "", Verified),
];

static PRIVATE_KEY: Advice = Advice {
    implies: "The TLS server credential cannot be used: for an RDP server this means the certificate's \
        private key is not usable. The server then cannot complete TLS and closes the connection \
        (clients typically show 0x904 / extended 0x7).",
    causes: &[
        rule("private-key-access", "MachineKeys folder or RSA key-file permissions are wrong, or the key is corrupt or missing (Schannel 36870 with state 10001; RCM 1057/1058 \"Keyset does not exist\")."),
        rule("rdp-certificate", "The RDP certificate could not be created or renewed, so no usable credential exists (RCM 1057/1058)."),
    ],
    not_this: &[
        "Do not rename the MachineKeys folder: that discards every machine private key on the host (IIS, RD Gateway, SQL, ADFS). Fix the permissions (icacls, after saving the old ACLs) and renew the RDP certificate.",
        "Not caused by Azure maintenance or upgrades as such: the documented causes are wrong permissions or a corrupt/missing key.",
    ],
    collect: &[Machine::Server],
    extra_logging: true,
};

static MISMATCH: Advice = Advice {
    implies: "Client and server could not agree on TLS: no common protocol version or cipher suite, \
        or the handshake data was not what TLS expects.",
    causes: &[
        rule("tls-mismatch", "No TLS version or cipher suite in common (Schannel 36874, 36888 alert 40/70, 36871 state 10013)."),
        rule("security-layer", "Security layer or FIPS settings that do not fit the client."),
    ],
    not_this: &["Do not disable NLA to fix a TLS mismatch: NLA runs inside TLS."],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: true,
};

static UNSUPPORTED_FUNCTION: Advice = Advice {
    implies: "\"The function requested is not supported\": the message of the client's CredSSP \
        refusal dialog (CredSSP encryption-oracle mismatch, LsaSrv 6041 on the client); also what \
        Schannel returns on receiving TLS alert 70 (protocol version).",
    causes: &[
        rule("nla-credssp", "CredSSP encryption-oracle policy: one side updated for CVE-2018-0886, the other not (client LsaSrv 6041)."),
        rule("tls-mismatch", "TLS protocol version not supported by the peer (alert 70)."),
    ],
    not_this: &["The fix for the CredSSP case is updating both sides; setting the policy to 'Vulnerable' re-exposes CVE-2018-0886."],
    collect: &[Machine::Client, Machine::Server],
    extra_logging: false,
};

static AUTHENTICATION: Advice = Advice {
    implies: "Authentication (Kerberos/NTLM inside CredSSP) failed: wrong credentials, unreachable \
        authority, clock skew or a wrong service principal name.",
    causes: &[
        rule("nla-credssp", "CredSSP/NLA authentication failure: DC unreachable, clock skew, or the credentials were refused."),
        rule("name-mismatch", "The name used has no TERMSRV SPN (or maps to the wrong account), so Kerberos fails."),
        rule("logon-rights", "The account is refused (4625 Status/SubStatus on the server or DC)."),
    ],
    not_this: &[],
    collect: &[Machine::Server, Machine::Client, Machine::DomainController],
    extra_logging: false,
};

static CHAIN: Advice = Advice {
    implies: "A certificate failed validation: expired, revoked, untrusted, unusable for server \
        authentication, or revocation could not be checked.",
    causes: &[
        rule("rdp-certificate", "The server's RDP certificate is expired, untrusted, revoked, or lacks the Server Authentication EKU (RCM 1053/1054)."),
        rule("rd-gateway", "With an RD Gateway: the gateway's certificate is the one rejected by the client."),
    ],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server, Machine::Gateway],
    extra_logging: true,
};

static NAME: Advice = Advice {
    implies: "The certificate's name does not match the name the client connected to.",
    causes: &[
        rule("name-mismatch", "The client uses a name (or IP) not on the certificate (client Schannel 36884, RCM 1062)."),
        rule("rd-gateway", "With an RD Gateway: the gateway's certificate name does not match the gateway address."),
    ],
    not_this: &["Connecting by IP address instead of the name is a diagnostic, not a fix: it forces NTLM and guarantees a name mismatch."],
    collect: &[Machine::Client, Machine::Server],
    extra_logging: true,
};

static DEFAULT: Advice = Advice {
    implies:
        "A security-provider status. Find the event that logged it (Schannel, CAPI2, RCM) and \
        correlate it with the client's attempt by time.",
    causes: &[other(
        "See the event that carries the code; Schannel events carry no client address.",
    )],
    not_this: &[],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: true,
};

/// The advice for one HRESULT.
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        0x8009030D | 0x8009030E | 0x80090016 | 0x8009000F => &PRIVATE_KEY,
        0x80090331 | 0x80090308 | 0x8009033A | 0x80090350 | 0x80090326 => &MISMATCH,
        0x80090302 => &UNSUPPORTED_FUNCTION,
        0x8009030C | 0x80090311 | 0x80090322 | 0x80090324 => &AUTHENTICATION,
        0x800B010F => &NAME,
        0x80090325 | 0x80090327 | 0x80090328 | 0x80090349 | 0x80092010 | 0x80092012
        | 0x80092013 | 0x800B0101 | 0x800B0109 | 0x800B010A | 0x800B010C | 0x800B0110 => &CHAIN,
        _ => &DEFAULT,
    }
}
