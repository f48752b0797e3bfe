//! Extended disconnect reasons (`ExtendedDisconnectReasonCode`), the "why" the server sends.
//!
//! Sources (domain reference §3.2):
//! - "ExtendedDisconnectReasonCode enumeration", Microsoft Learn,
//!   <https://learn.microsoft.com/en-us/windows/win32/termserv/extendeddisconnectreasoncode> \[V\];
//! - the wire codes: [MS-RDPBCGR] 2.2.5.1.1 "Set Error Info PDU Data" (`ERRINFO_*`, same numbers),
//!   <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/a21a1bd9-2303-49c1-90ec-3932435c248c>
//!   [V for 0x1–0x7, 0x9–0xC, 0x100–0x10A]; 0xF–0x1A, the connection-broker codes 0x4xx and the
//!   protocol codes 0x10C9… as named in open-source implementations (FreeRDP `error.h`) \[M\].
//!
//! Extended 7 is `exDiscReasonServerDeniedConnection`: the server refused. It is not a plain
//! connectivity or firewall problem. Extended 6 is out of memory, not a connection limit.

use super::Status::{Secondary, Verified};
use super::{other, rule, Advice, Cause, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::Extended, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    r(0x0, "exDiscReasonNoInfo", "No additional information.", "", Verified),
    r(0x1, "exDiscReasonAPIInitiatedDisconnect", "An application (or admin tool in another session) disconnected the session.", "wire code: ERRINFO_RPC_INITIATED_DISCONNECT", Verified),
    r(0x2, "exDiscReasonAPIInitiatedLogoff", "An application (admin tool) logged the session off.", "wire code: ERRINFO_RPC_INITIATED_LOGOFF", Verified),
    r(0x3, "exDiscReasonServerIdleTimeout", "Server idle-session limit elapsed.", "wire code: ERRINFO_IDLE_TIMEOUT", Verified),
    r(0x4, "exDiscReasonServerLogonTimeout", "Server active-session / logon time limit elapsed.", "wire code: ERRINFO_LOGON_TIMEOUT", Verified),
    r(0x5, "exDiscReasonReplacedByOtherConnection", "Connection replaced by another connection to the same session.", "wire code: ERRINFO_DISCONNECTED_BY_OTHERCONNECTION", Verified),
    r(0x6, "exDiscReasonOutOfMemory", "Server ran out of memory.", "wire code: ERRINFO_OUT_OF_MEMORY", Verified),
    r(0x7, "exDiscReasonServerDeniedConnection", "The server denied the connection.", "wire code: ERRINFO_SERVER_DENIED_CONNECTION", Verified),
    r(0x8, "exDiscReasonServerDeniedConnectionFips", "Server denied the connection for security reasons (FIPS).", "wire code: ERRINFO_SERVER_DENIED_CONNECTION_FIPS (present in some open-source headers, absent from others; UNCONFIRMED in MS-RDPBCGR)", Verified),
    r(0x9, "exDiscReasonServerInsufficientPrivileges", "User lacks the privilege to connect.", "wire code: ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", Verified),
    r(0xA, "exDiscReasonServerFreshCredsRequired", "Server requires freshly typed (not saved) credentials.", "wire code: ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED", Verified),
    r(0xB, "exDiscReasonRpcInitiatedDisconnectByUser", "Disconnect initiated from within the user's own session (e.g. Start > Disconnect, tsdiscon).", "wire code: ERRINFO_RPC_INITIATED_DISCONNECT_BYUSER", Verified),
    r(0xC, "exDiscReasonLogoffByUser", "The user logged off.", "wire code: ERRINFO_LOGOFF_BY_USER", Verified),
    r(0xF, "— (not in the enumeration)", "Display driver in the remote session did not report status in time for startup.", "wire code: ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY", Secondary),
    r(0x10, "", "DWM in the remote session terminated unexpectedly.", "wire code: ERRINFO_SERVER_DWM_CRASH", Secondary),
    r(0x11, "", "Display driver in the remote session could not complete startup.", "wire code: ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE", Secondary),
    r(0x12, "", "Display driver started but was not usable by the remoting stack.", "wire code: ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE", Secondary),
    r(0x17, "", "Winlogon in the remote session terminated unexpectedly.", "wire code: ERRINFO_SERVER_WINLOGON_CRASH", Secondary),
    r(0x18, "", "CSRSS in the remote session terminated unexpectedly.", "wire code: ERRINFO_SERVER_CSRSS_CRASH", Secondary),
    r(0x19, "", "The remote server is shutting down.", "wire code: ERRINFO_SERVER_SHUTDOWN", Secondary),
    r(0x1A, "", "The remote server is rebooting.", "wire code: ERRINFO_SERVER_REBOOT", Secondary),
    r(0x100, "exDiscReasonLicenseInternal", "Internal licensing error.", "wire code: ERRINFO_LICENSE_INTERNAL", Verified),
    r(0x101, "exDiscReasonLicenseNoLicenseServer", "No license server available.", "wire code: ERRINFO_LICENSE_NO_LICENSE_SERVER", Verified),
    r(0x102, "exDiscReasonLicenseNoLicense", "No valid license (CAL) available.", "wire code: ERRINFO_LICENSE_NO_LICENSE", Verified),
    r(0x103, "exDiscReasonLicenseErrClientMsg", "Server received an invalid licensing message.", "wire code: ERRINFO_LICENSE_BAD_CLIENT_MSG", Verified),
    r(0x104, "exDiscReasonLicenseHwidDoesntMatchLicense", "Hardware ID does not match the stored license.", "wire code: ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE", Verified),
    r(0x105, "exDiscReasonLicenseErrClientLicense", "Client license error.", "wire code: ERRINFO_LICENSE_BAD_CLIENT_LICENSE", Verified),
    r(0x106, "exDiscReasonLicenseCantFinishProtocol", "Network problem during the licensing protocol.", "wire code: ERRINFO_LICENSE_CANT_FINISH_PROTOCOL", Verified),
    r(0x107, "exDiscReasonLicenseClientEndedProtocol", "Client ended the licensing protocol prematurely.", "wire code: ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL", Verified),
    r(0x108, "exDiscReasonLicenseErrClientEncryption", "Licensing message encrypted incorrectly.", "wire code: ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION", Verified),
    r(0x109, "exDiscReasonLicenseCantUpgradeLicense", "Client CAL could not be upgraded or renewed.", "wire code: ERRINFO_LICENSE_CANT_UPGRADE_LICENSE", Verified),
    r(0x10A, "exDiscReasonLicenseNoRemoteConnections", "Remote computer is not licensed to accept remote connections.", "wire code: ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS", Verified),
    r(0x10B, "exDiscReasonLicenseCreatingLicStoreAccDenied", "Access denied creating the client license-store registry key.", "wire code: — (client-side; no ERRINFO equivalent found)", Verified),
    r(0x300, "exDiscReasonRdpEncInvalidCredentials", "Invalid credentials encountered.", "", Verified),
    r(0x1000, "exDiscReasonProtocolRangeStart", "Start of internal protocol-error range — check the server event log.", "wire code: ERRINFO protocol codes 0x10C9… live here", Verified),
    r(0x7FFF, "exDiscReasonProtocolRangeEnd", "End of protocol-error range.", "", Verified),
    // Connection-broker and protocol ERRINFO codes named in open-source implementations [M];
    // whether mstsc passes them through unchanged is UNCONFIRMED.
    r(0x400, "", "Connection broker: destination not found.", "wire code: ERRINFO_CB_DESTINATION_NOT_FOUND; whether mstsc reports it as an extended reason is UNCONFIRMED", Secondary),
    r(0x402, "", "Connection broker: destination is loading.", "wire code: ERRINFO_CB_LOADING_DESTINATION; whether mstsc reports it as an extended reason is UNCONFIRMED", Secondary),
    r(0x408, "", "Connection broker: destination pool not free.", "wire code: ERRINFO_CB_DESTINATION_POOL_NOT_FREE; whether mstsc reports it as an extended reason is UNCONFIRMED", Secondary),
    r(0x411, "", "Connection broker: virtual machine boot timed out.", "wire code: ERRINFO_CB_SESSION_ONLINE_VM_BOOT_TIMEOUT; whether mstsc reports it as an extended reason is UNCONFIRMED", Secondary),
    r(0x412, "", "Connection broker: session monitor in the virtual machine failed.", "wire code: ERRINFO_CB_SESSION_ONLINE_VM_SESSMON_FAILED; whether mstsc reports it as an extended reason is UNCONFIRMED", Secondary),
    r(0x10C9, "", "Protocol error: unknown PDU type (2) — see the server's event log.", "wire code: ERRINFO_UNKNOWNPDUTYPE2", Secondary),
    r(0x10CA, "", "Protocol error: unknown PDU type — see the server's event log.", "wire code: ERRINFO_UNKNOWNPDUTYPE", Secondary),
    r(0x10CB, "", "Protocol error: data PDU out of sequence — see the server's event log.", "wire code: ERRINFO_DATAPDUSEQUENCE", Secondary),
    r(0x10E5, "", "Protocol error: Confirm Active PDU too short — see the server's event log.", "wire code: ERRINFO_CONFIRMACTIVEPDUTOOSHORT", Secondary),
    CodeInfo {
        family: Family::Extended,
        code: 0x1000,
        code_end: 0x7FFF,
        name: "",
        meaning: "Internal protocol error (range exDiscReasonProtocolRangeStart..End) — see the server's event log.",
        detail: "the ERRINFO protocol codes 0x10C9… live here; this value's own name is not in evident's table",
        status: Verified,
    },
];

/// Why a server refuses a connection during setup, most likely first: the causes that fit
/// extended 0x7 (and 0x904/0x7), per the domain reference §1.1 and §4. TLS and certificate
/// failures come first because they are what is reported most with the pair; their link to 0x7 is
/// empirical.
pub(super) static SERVER_REFUSAL_CAUSES: &[Cause] = &[
    rule("private-key-access", "The server cannot use its RDP certificate's private key (MachineKeys permissions, corrupt or missing key): Schannel 36870 with 0x8009030D and state 10001, RCM 1057/1058 \"Keyset does not exist\"."),
    rule("rdp-certificate", "The RDP certificate expired, or could not be created or renewed: RCM 1053/1057/1058, Schannel 36870/36871."),
    rule("tls-mismatch", "No common TLS version or cipher suite: Schannel 36874, 36888 with alert 40 or 70, 36871 with state 10013 after TLS hardening."),
    rule("connection-limits", "The server refuses new connections by design: drain mode or logons disabled (RCM 1070/1071), too many incomplete connections (RCM 1006), or the single session of a desktop already in use."),
    rule("rdp-service-down", "TermService crashed or restarted while the connection was set up (SCM 7031/7034, LSM 16-18)."),
    rule("listener-port", "The listener failed, or another host or service answers on the port (RCM 260, no RdpCoreTS 131 for the attempt)."),
    rule("security-layer", "Security layer, encryption level or FIPS setting does not fit the client (RCM 1050, RdpCoreTS 105)."),
    rule("nla-credssp", "CredSSP/NLA failure on the server — only when server-side CredSSP evidence is correlated and no TLS or certificate cause is present."),
    rule("session-broker", "The Connection Broker or session host could not place the session (SessionBroker 2056, SessionBroker-Client 1296, RCM 1066)."),
    rule("rd-gateway", "With an RD Gateway: the gateway refused or could not reach the host (GW 201/301/203/304)."),
    rule("network-blocked", "Only when the server has no RdpCoreTS 131 for the attempt while its logs cover the time: something between accepted and then reset the connection (IPS, proxy, NAT or port-forward to the wrong host)."),
];

static SERVER_DENIED: Advice = Advice {
    implies: "The server denied the connection (ERRINFO_SERVER_DENIED_CONNECTION): the \
        connection was ended from the server's side (or the RD Gateway's) while it was being set \
        up, so the cause is in the server's logs. A real Set Error Info PDU can only be sent after \
        the MCS phase; when TLS fails earlier the client still reports 0x7 — how it fills the \
        code in then is UNCONFIRMED (public client source of uncertain provenance sets it itself \
        when the socket closes while the connection is pending). Only server-side evidence tells \
        which cause it was.",
    causes: SERVER_REFUSAL_CAUSES,
    not_this: &[
        "Not a plain firewall or connectivity block: a blocking firewall gives 0x204 (516) or 0x108 \
         (264) with no server-side RDP events.",
        "Not licensing: licensing refusals have their own extended reasons (256-267).",
        "Not low bandwidth or an unreliable VPN: network loss drops established sessions, usually \
         with extended 0.",
    ],
    collect: &[Machine::Server, Machine::Gateway, Machine::Client],
    extra_logging: true,
};

static FIPS: Advice = Advice {
    implies: "The server denied the connection for security reasons (FIPS encryption required).",
    causes: &[rule(
        "security-layer",
        "FIPS policy or encryption level on the server that the client cannot meet.",
    )],
    not_this: &[],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: false,
};

static PRIVILEGES: Advice = Advice {
    implies: "The user authenticated but may not connect by Remote Desktop.",
    causes: &[rule("logon-rights", "Not in Remote Desktop Users / Administrators, missing 'Allow log on through Remote Desktop Services' or listed in 'Deny…' (Security 4825, 4625 with 0xC000015B).")],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static FRESH_CREDENTIALS: Advice = Advice {
    implies: "Server policy does not accept saved credentials; the user has to type them.",
    causes: &[rule("nla-credssp", "'Always prompt for password upon connection' on the server, or fresh-credential policy; saved or single-sign-on credentials were offered.")],
    not_this: &[],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: false,
};

static TIME_LIMIT: Advice = Advice {
    implies: "A session time limit set by policy ended the session; the connection itself worked.",
    causes: &[other("Session time-limit policy (idle / active / logon limits) on the server or in the user's RDS profile.")],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static NOT_AN_ERROR: Advice = Advice {
    implies:
        "The session was ended on purpose (by the user, an administrator, or a new connection to \
        the same session); not a failure.",
    causes: &[],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static OUT_OF_MEMORY: Advice = Advice {
    implies: "The server ran out of memory while handling the connection.",
    causes: &[other("Memory pressure on the session host (check System and Application logs, resource exhaustion events).")],
    not_this: &["Not a connection limit: 6 is out of memory; limits and drain mode show as RCM 1006/1070/1071."],
    collect: &[Machine::Server],
    extra_logging: false,
};

static SESSION_HOST_FAILURE: Advice = Advice {
    implies: "A component of the remote session (display driver, DWM, Winlogon, CSRSS) failed, or \
        the server was shutting down or rebooting.",
    causes: &[
        rule("rdp-service-down", "Remote Desktop components failing or restarting on the server (SCM 7031/7034, LSM 16-18)."),
        other("Graphics driver or session start-up failure (RdpCoreTS/Admin events, Application log)."),
    ],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static LICENSING: Advice = Advice {
    implies: "RDS licensing refused the connection.",
    causes: &[rule("rds-licensing", "Licensing mode not configured, grace period expired, licence server unreachable, or no suitable CAL (RCM 1068/1069, 1003/1004/1011).")],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static CREDENTIALS: Advice = Advice {
    implies: "The credentials used were not valid.",
    causes: &[
        rule("logon-rights", "Wrong user name or password, or the account state forbids logon (4625 Status/SubStatus)."),
        rule("nla-credssp", "A CredSSP authentication failure during NLA."),
    ],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static BROKER: Advice = Advice {
    implies: "The RD Connection Broker could not place the session on a host.",
    causes: &[rule("session-broker", "Broker database, broker RPC or target host unavailable (SessionBroker 2056, SessionBroker-Client 1296).")],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static PROTOCOL_ERROR: Advice = Advice {
    implies: "The server saw an RDP protocol error and dropped the connection; the server's event log \
        records which component and why.",
    causes: &[
        other("Server-side protocol error (RdpCoreTS 97/139, TermDD 50/56)."),
        rule("internet-exposure", "Scanners and non-RDP clients sending malformed data, when the errors come from many addresses."),
        rule("network-blocked", "A proxy, IPS or NAT device altering the traffic."),
    ],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

static DEFAULT: Advice = Advice {
    implies:
        "An extended disconnect reason: why the server ended the connection, as it told the client.",
    causes: &[],
    not_this: &[],
    collect: &[Machine::Server],
    extra_logging: false,
};

/// The advice for one extended reason.
pub(super) fn advice(code: u64) -> &'static Advice {
    specific(code).unwrap_or(&DEFAULT)
}

/// Whether the reason says more than "no information" (then it decides a pair's advice).
pub(super) fn has_specific_advice(code: u64) -> bool {
    specific(code).is_some()
}

fn specific(code: u64) -> Option<&'static Advice> {
    Some(match code {
        0x7 => &SERVER_DENIED,
        0x8 => &FIPS,
        0x9 => &PRIVILEGES,
        0xA => &FRESH_CREDENTIALS,
        0x3 | 0x4 => &TIME_LIMIT,
        0x1 | 0x2 | 0x5 | 0xB | 0xC => &NOT_AN_ERROR,
        0x6 => &OUT_OF_MEMORY,
        0xF..=0x1A => &SESSION_HOST_FAILURE,
        0x100..=0x10B => &LICENSING,
        0x300 => &CREDENTIALS,
        0x400..=0x412 => &BROKER,
        0x1000..=0x7FFF => &PROTOCOL_ERROR,
        _ => return None,
    })
}
