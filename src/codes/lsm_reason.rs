//! LocalSessionManager event 40 `Reason` ("Session %1 has been disconnected, reason code %2").
//!
//! No Microsoft page documents this field. Source (domain reference §3.6): TechNet Wiki article
//! 37874 "RDS Session Host Server Disconnect Codes" (community), which says the reason codes are
//! the RDP disconnect codes; the observed values line up with the ERRINFO / extended-reason
//! numbering ([MS-RDPBCGR] 2.2.5.1.1). That mapping is a hypothesis: every row is UNCONFIRMED.
//!
//! LSM 40 exists only for sessions that were created, so it is evidence for a session drop, never
//! for a 0x904/0x7 refusal during setup.

use super::Status::Unconfirmed;
use super::{rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::LsmReason, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    r(
        0,
        "",
        "no additional information — typical for network loss or client closing the window",
        "status: observed [M]; meaning UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        1,
        "",
        "disconnected by an administrative tool from another session",
        "status: UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        2,
        "",
        "logged off by an administrative tool",
        "status: UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        3,
        "",
        "idle-session time limit",
        "status: UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        4,
        "",
        "active-session/logon time limit",
        "status: UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        5,
        "",
        "connection replaced by another connection (user reconnected from elsewhere)",
        "status: observed [M]; meaning UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        11,
        "",
        "disconnect initiated by the user inside the session",
        "status: observed (e.g. after the user disconnects) [M]; meaning UNCONFIRMED",
        Unconfirmed,
    ),
    r(
        12,
        "",
        "logoff by user",
        "status: observed [M]; meaning UNCONFIRMED",
        Unconfirmed,
    ),
];

static DROP: Advice = Advice {
    implies: "An established session was disconnected without further information — typical of \
        network loss or the client closing the window. It says nothing about a refusal during \
        setup (LSM 40 exists only for sessions that were created).",
    causes: &[
        rule("unstable-network", "The network dropped the session (RdpCoreTS 142/143 socket read/write failures around the same time)."),
        rule("network-blocked", "A firewall or NAT device timed the idle connection out."),
    ],
    not_this: &["Not evidence for a 0x904/0x7 setup refusal: those sessions never reach LSM."],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: false,
};

static DELIBERATE: Advice = Advice {
    implies:
        "The session was ended by a person or a policy (administrator, user, time limit, or a \
        new connection to the same session), if the reason numbering holds.",
    causes: &[],
    not_this: &["Not evidence for a 0x904/0x7 setup refusal: those sessions never reach LSM."],
    collect: &[Machine::Server],
    extra_logging: false,
};

/// The advice for one LSM 40 reason.
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        0 => &DROP,
        _ => &DELIBERATE,
    }
}
