//! NTSTATUS values in Security 4625 `Status` / `SubStatus` and 4776 `Status`: why a logon failed.
//!
//! Sources (domain reference §3.5): "4625(F): An account failed to log on", Microsoft Learn
//! (source: MicrosoftDocs/windows-itpro-docs, `auditing/event-4625.md`; descriptions \[V\]);
//! symbolic names from the SDK's `ntstatus.h` \[M\].

use super::Status::Verified;
use super::{rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::Ntstatus, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    r(
        0xC000005E,
        "STATUS_NO_LOGON_SERVERS",
        "no logon servers available",
        "RDP reading: DC unreachable from host",
        Verified,
    ),
    r(
        0xC0000064,
        "STATUS_NO_SUCH_USER",
        "misspelled or bad user name",
        "RDP reading: typo — or scanner guessing names",
        Verified,
    ),
    r(
        0xC000006A,
        "STATUS_WRONG_PASSWORD",
        "bad password (user exists)",
        "RDP reading: wrong password; in bursts = brute force",
        Verified,
    ),
    r(
        0xC000006D,
        "STATUS_LOGON_FAILURE",
        "bad user name or authentication information (generic; read SubStatus)",
        "RDP reading: generic",
        Verified,
    ),
    r(
        0xC000006E,
        "STATUS_ACCOUNT_RESTRICTION",
        r#"account restriction (ntstatus.h meaning; Microsoft's 4625 page words it "Unknown user name or bad password")"#,
        "RDP reading: see SubStatus",
        Verified,
    ),
    r(
        0xC000006F,
        "STATUS_INVALID_LOGON_HOURS",
        "outside authorised hours",
        "RDP reading: account state",
        Verified,
    ),
    r(
        0xC0000070,
        "STATUS_INVALID_WORKSTATION",
        "from unauthorised workstation",
        "RDP reading: account state",
        Verified,
    ),
    r(
        0xC0000071,
        "STATUS_PASSWORD_EXPIRED",
        "password expired",
        "RDP reading: account state",
        Verified,
    ),
    r(
        0xC0000072,
        "STATUS_ACCOUNT_DISABLED",
        "account disabled by administrator",
        "RDP reading: account state",
        Verified,
    ),
    r(
        0xC00000DC,
        "STATUS_INVALID_SERVER_STATE",
        "SAM server in wrong state",
        "RDP reading: host problem",
        Verified,
    ),
    r(
        0xC0000133,
        "STATUS_TIME_DIFFERENCE_AT_DC",
        "clocks too far out of sync",
        "RDP reading: Kerberos/time",
        Verified,
    ),
    r(
        0xC000015B,
        "STATUS_LOGON_TYPE_NOT_GRANTED",
        "user not granted the requested logon type (logon right)",
        r#"RDP reading: missing "Allow log on through Remote Desktop Services" or present in "Deny…""#,
        Verified,
    ),
    r(
        0xC000018C,
        "STATUS_TRUSTED_DOMAIN_FAILURE",
        "trust relationship failed",
        "RDP reading: domain trust",
        Verified,
    ),
    r(
        0xC0000192,
        "STATUS_NETLOGON_NOT_STARTED",
        "Netlogon service not started",
        "RDP reading: host problem",
        Verified,
    ),
    r(
        0xC0000193,
        "STATUS_ACCOUNT_EXPIRED",
        "account expired",
        "RDP reading: account state",
        Verified,
    ),
    r(
        0xC0000224,
        "STATUS_PASSWORD_MUST_CHANGE",
        "must change password at next logon",
        "RDP reading: with NLA the user cannot change it over RDP [M]",
        Verified,
    ),
    r(
        0xC0000225,
        "STATUS_NOT_FOUND",
        r#"documented by Microsoft as "evidently a bug … not a risk""#,
        "RDP reading: ignore",
        Verified,
    ),
    r(
        0xC0000234,
        "STATUS_ACCOUNT_LOCKED_OUT",
        "account locked",
        "RDP reading: lockout (often caused by a brute-force burst)",
        Verified,
    ),
    r(
        0xC00002EE,
        "STATUS_UNFINISHED_CONTEXT_DELETED",
        "an error occurred during logon",
        "RDP reading: generic",
        Verified,
    ),
    r(
        0xC0000413,
        "STATUS_AUTHENTICATION_FIREWALL_FAILED",
        "machine protected by authentication firewall; account not allowed to authenticate to it",
        "RDP reading: selective authentication across a trust",
        Verified,
    ),
];

static LOGON_RIGHT: Advice = Advice {
    implies: "The user authenticated, but is not granted the Remote Desktop logon type on this host.",
    causes: &[rule("logon-rights", "Missing 'Allow log on through Remote Desktop Services', present in 'Deny log on through Remote Desktop Services', or not in Remote Desktop Users (Security 4625 with this SubStatus, 4825).")],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static GUESSING: Advice = Advice {
    implies: "A bad user name or password. From one user, a typo; in bursts from many addresses, \
        password guessing.",
    causes: &[
        rule("logon-rights", "Wrong user name or password typed."),
        rule("internet-exposure", "Brute force or user-name guessing against an exposed RDP port (bursts of 4625 from many IpAddress values)."),
    ],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static ACCOUNT_STATE: Advice = Advice {
    implies: "The account exists but its state forbids logon now.",
    causes: &[
        rule("logon-rights", "Account disabled, locked, expired, outside logon hours, wrong workstation, or password expired / must change."),
        rule("internet-exposure", "Lockouts caused by a brute-force burst."),
    ],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static AUTHORITY: Advice = Advice {
    implies: "The logon failed in the authentication path (domain controller, trust, Netlogon, time), \
        not because of the user's input.",
    causes: &[rule("nla-credssp", "DC unreachable, trust broken, Netlogon stopped or clocks out of sync: NLA cannot authenticate the user.")],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static GENERIC: Advice = Advice {
    implies: "A logon failure; read the SubStatus of the same 4625 for the specific reason.",
    causes: &[rule(
        "logon-rights",
        "See the SubStatus: account state, rights or credentials.",
    )],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static IGNORE: Advice = Advice {
    implies: "Documented by Microsoft as a bug value, not a risk; ignore it.",
    causes: &[],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

/// The advice for one NTSTATUS.
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        0xC000015B => &LOGON_RIGHT,
        0xC0000064 | 0xC000006A => &GUESSING,
        0xC000006F | 0xC0000070 | 0xC0000071 | 0xC0000072 | 0xC0000193 | 0xC0000224
        | 0xC0000234 => &ACCOUNT_STATE,
        0xC000005E | 0xC0000133 | 0xC000018C | 0xC0000192 | 0xC0000413 | 0xC00000DC => &AUTHORITY,
        0xC0000225 => &IGNORE,
        _ => &GENERIC,
    }
}
