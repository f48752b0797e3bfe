//! mstsc / RDP ActiveX disconnect reasons (`discReason`; client event 1026 `Value`, decimal).
//!
//! Sources (domain reference §3.1):
//! - the documented list: "IMsTscAxEvents::OnDisconnected method", Microsoft Learn,
//!   <https://learn.microsoft.com/en-us/windows/win32/termserv/imstscaxevents-ondisconnected> \[V\];
//! - codes with mstsc message text but no published symbolic name: TechNet wiki "Remote Desktop
//!   Client Troubleshooting: Disconnect Codes and Reasons" (a community page, hence \[M\]),
//!   <https://social.technet.microsoft.com/wiki/contents/articles/37870.remote-desktop-client-troubleshooting-disconnect-codes-and-reasons.aspx>;
//!   the same table gives the RD Gateway client errors 0x3000001–0x3000050.
//!
//! 0x904 (2308) is "socket closed": how the client learned the connection ended, not why. It is
//! not a licensing code (licensing is 0x808 / 0x908).

use super::Status::{Secondary, Unconfirmed, Verified};
use super::{other, rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::Disconnect, code, name, meaning, detail, status)
}

pub(super) static ROWS: &[CodeInfo] = &[
    // (a) IMsTscAxEvents::OnDisconnected [V]
    r(0x0, "disconnectReasonNoInfo", "No information is available.", "", Verified),
    r(0x1, "disconnectReasonLocalNotError", "Local disconnection (not an error).", "", Verified),
    r(0x2, "disconnectReasonRemoteByUser", "Remote disconnection by user (not an error).", "", Verified),
    r(0x3, "disconnectReasonByServer", "Remote disconnection by server (not an error).", "", Verified),
    r(0x104, "disconnectReasonDNSLookupFailed", "DNS name lookup failure.", "", Verified),
    r(0x106, "disconnectReasonOutOfMemory", "Out of memory.", "", Verified),
    r(0x108, "disconnectReasonConnectionTimedOut", "Connection timed out.", "", Verified),
    r(0x204, "disconnectReasonSocketConnectFailed", "Winsock connect() failed (nothing accepted the TCP connection).", "", Verified),
    r(0x206, "disconnectReasonOutOfMemory2", "Out of memory.", "", Verified),
    r(0x208, "disconnectReasonHostNotFound", "Host not found.", "", Verified),
    r(0x304, "disconnectReasonWinsockSendFailed", "Winsock send() failed.", "", Verified),
    r(0x306, "disconnectReasonOutOfMemory3", "Out of memory.", "", Verified),
    r(0x308, "disconnectReasonInvalidIPAddr", "The IP address specified is not valid.", "", Verified),
    r(0x404, "disconnectReasonSocketRecvFailed", "Winsock recv() failed.", "", Verified),
    r(0x406, "disconnectReasonInvalidSecurityData", "Security data is not valid.", "", Verified),
    r(0x408, "disconnectReasonInternalError", "Internal error.", "", Verified),
    r(0x506, "disconnectReasonInvalidEncryption", "The encryption method specified is not valid.", "", Verified),
    r(0x508, "disconnectReasonDNSLookupFailed2", "DNS lookup failed.", "", Verified),
    r(0x604, "disconnectReasonGetHostByNameFailed", "Winsock gethostbyname() failed.", "", Verified),
    r(0x606, "disconnectReasonInvalidServerSecurityInfo", "Server security data is not valid.", "", Verified),
    r(0x608, "disconnectReasonTimerError", "Internal timer error.", "", Verified),
    r(0x704, "disconnectReasonTimeoutOccurred", "Time-out occurred.", "", Verified),
    r(0x706, "disconnectReasonServerCertificateUnpackErr", "Failed to unpack server certificate.", "", Verified),
    r(0x804, "disconnectReasonInvalidIP", "Bad IP address specified.", "", Verified),
    r(0x807, "SSL_ERR_LOGON_FAILURE", "Logon failed.", "", Verified),
    r(0x808, "disconnectReasonLicensingFailed", "License negotiation failed.", "", Verified),
    r(0x904, "disconnectReasonAtClientWinsockFDCLOSE", "Socket closed (FD_CLOSE seen by the client).", "", Verified),
    r(0x906, "disconnectReasonInternalSecurityError", "Internal security error.", "", Verified),
    r(0x908, "disconnectReasonLicensingTimeout", "Licensing time-out.", "", Verified),
    r(0xA06, "disconnectReasonInternalSecurityError2", "Internal security error.", "", Verified),
    r(0xA07, "SSL_ERR_NO_SUCH_USER", "The specified user has no account.", "", Verified),
    r(0xB06, "disconnectReasonEncryptionError", "Encryption error.", "", Verified),
    r(0xB07, "SSL_ERR_ACCOUNT_DISABLED", "The account is disabled.", "", Verified),
    r(0xC06, "disconnectReasonDecryptionError", "Decryption error.", "", Verified),
    r(0xC07, "SSL_ERR_ACCOUNT_RESTRICTION", "The account is restricted.", "", Verified),
    r(0xC08, "disconnectReasonClientDecompressionError", "Decompression error (client side).", "", Verified),
    r(0xD07, "SSL_ERR_ACCOUNT_LOCKED_OUT", "The account is locked out.", "", Verified),
    r(0xE07, "SSL_ERR_ACCOUNT_EXPIRED", "The account is expired.", "", Verified),
    r(0xF07, "SSL_ERR_PASSWORD_EXPIRED", "The password is expired.", "", Verified),
    r(0x1207, "SSL_ERR_PASSWORD_MUST_CHANGE", "The password must be changed before first logon.", "", Verified),
    r(0x1607, "SSL_ERR_DELEGATION_POLICY", "Policy does not allow delegating credentials to the target server.", "", Verified),
    r(0x1707, "SSL_ERR_POLICY_NTLM_ONLY", "Delegation not allowed unless mutual authentication (Kerberos) was achieved.", "", Verified),
    r(0x1807, "SSL_ERR_NO_AUTHENTICATING_AUTHORITY", "No authority could be contacted for authentication (domain unreachable / trust failure).", "", Verified),
    r(0x1B07, "SSL_ERR_CERT_EXPIRED", "The received certificate is expired.", "", Verified),
    r(0x1C07, "SSL_ERR_SMARTCARD_WRONG_PIN", "Wrong smart-card PIN.", "", Verified),
    r(0x2107, "SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER", "Server policy does not accept saved credentials; user must type new ones.", "", Verified),
    r(0x2207, "SSL_ERR_SMARTCARD_CARD_BLOCKED", "The smart card is blocked.", "", Verified),
    // (b) TechNet wiki table: message text, no published symbolic name
    r(0x10A, "", "Smart card service is not running.", "source: TechNet wiki table", Secondary),
    r(0x20A, "", "No smart card reader detected.", "source: TechNet wiki table", Secondary),
    r(0x30A, "", "No card inserted in the smart card reader.", "source: TechNet wiki table", Secondary),
    r(0x40A, "", "Error in the smart card subsystem.", "source: TechNet wiki table", Secondary),
    r(0x708, "", "Client already has a console session in progress (also seen when mstsc refuses to connect to its own machine).", "source: TechNet wiki table; observation in public notes", Secondary),
    r(0x907, "", "Unexpected server authentication certificate received from the remote computer.", "source: TechNet wiki table", Secondary),
    r(0xB04, "", "Generic: an error prevented the connection.", "source: TechNet wiki table", Secondary),
    r(0xB08, "", r#"UNCONFIRMED — no published meaning found (users report it as "0xB08")."#, "source: not found", Unconfirmed),
    r(0xB09, "", "Remote computer requires Network Level Authentication, which the client does not support.", "source: TechNet wiki table", Secondary),
    r(0xD09, "", "Local policy requires Windows Security dialog credentials the remote side cannot accept.", "source: TechNet wiki table", Secondary),
    r(0xE06, "", "Client does not support the FIPS encryption level the server requires.", "source: TechNet wiki table", Secondary),
    r(0xE08, "", "Failed to reconnect to the remote session.", "source: TechNet wiki table", Secondary),
    r(0xE09, "", "Remote PC does not support Restricted Administration mode.", "source: TechNet wiki table", Secondary),
    r(0xF08, "", "Credentials may not be sent to the remote computer (delegation policy).", "source: TechNet wiki table", Secondary),
    r(0x1007, "", "Logon-hours restriction.", "source: TechNet wiki table", Secondary),
    r(0x1008, "", "Client low on video resources.", "source: TechNet wiki table", Secondary),
    r(0x1104, "", r#"UNCONFIRMED — no published meaning found (users report it as "0x1104")."#, "source: not found", Unconfirmed),
    r(0x1107, "", "Workstation restriction (user may not log on from this computer).", "source: TechNet wiki table", Secondary),
    r(0x1307, "", "Logon-type restriction (network/interactive).", "source: TechNet wiki table", Secondary),
    r(0x1407, "", "Kerberos User2User sub-protocol required.", "source: TechNet wiki table", Secondary),
    r(0x1D07, "", "Time/date difference between client and server prevents identity verification.", "source: TechNet wiki table", Secondary),
    r(0x2507, "", "Could not auto-reconnect to RemoteApp applications.", "source: TechNet wiki table", Secondary),
    r(0x2604, "", "Client and server versions do not match.", "source: TechNet wiki table", Secondary),
    // RD Gateway client errors (TechNet wiki table, message texts [V as texts])
    r(0x3000003, "", "RD Gateway certificate problem: name mismatch, expired, or not trusted by the client.", "RD Gateway client error; source: TechNet wiki table", Secondary),
    r(0x300001B, "", "User not in the RD Gateway's permission list, or the resource was named by NetBIOS name instead of FQDN (RAP).", "RD Gateway client error; source: TechNet wiki table", Secondary),
    r(0x300001C, "", "User or computer not authorised to use the RD Gateway (CAP).", "RD Gateway client error; source: TechNet wiki table", Secondary),
    r(0x3000022, "", "The RD Gateway reached its maximum number of connections.", "RD Gateway client error; source: TechNet wiki table", Secondary),
    r(0x3000028, "", "No certificate is configured on the RD Gateway.", "RD Gateway client error; source: TechNet wiki table", Secondary),
    CodeInfo {
        family: Family::Disconnect,
        code: 0x3000001,
        code_end: 0x3000050,
        name: "",
        meaning: "RD Gateway client error (range 0x3000001–0x3000050); this value's own text is not in evident's table.",
        detail: "source: TechNet wiki table; the specific meaning is UNCONFIRMED here",
        status: Unconfirmed,
    },
];

/// 0x904 with extended 0x7: a refusal during connection setup, decided on the server.
static SOCKET_CLOSED_SERVER_DENIED: Advice = Advice {
    implies: "The client saw the TCP connection closed by the other end (0x904, Winsock FD_CLOSE: \
        socket closed), and the extended reason says the server denied the connection (0x7). \
        Together: the server (or the RD Gateway, when one is used) refused the connection during \
        setup. The cause is on the server and is recorded in the server's logs; the client's logs \
        only show that and when it failed and which server was targeted. If the client log shows \
        'Connected to domain' (event 1027) before the disconnect, it was a session drop instead. \
        The link from TLS and certificate failures to extended 0x7 is empirical, not from the \
        protocol specification (how the client fills in 0x7 when no Set Error Info PDU arrived is \
        UNCONFIRMED): only server-side evidence names the cause.",
    causes: super::extended::SERVER_REFUSAL_CAUSES,
    not_this: &[
        "Not licensing: 0x904 is 'socket closed', not a licensing code. Licensing failures are 0x808 \
         (2056), 0x908 (2312) and extended reasons 256-267.",
        "Not a plain firewall or connectivity block: a blocking firewall gives 0x204 (516) or 0x108 \
         (264) and no server-side RDP events; extended 0x7 means the server itself refused.",
        "Not low bandwidth or an unreliable VPN: network loss drops an established session (0x904 after \
         client event 1027, usually with extended 0); 0x7 during setup is a server-side refusal.",
        "Do not disable NLA or switch the security layer to 'RDP' to get around it: NLA runs inside \
         TLS and does not change TLS versions or ciphers; the RDP security layer removes server \
         authentication.",
    ],
    collect: &[Machine::Server, Machine::Gateway, Machine::Client],
    extra_logging: true,
};

static SOCKET_CLOSED: Advice = Advice {
    implies: "Winsock told the client that the TCP connection was closed by the peer or the network, \
        not by the client. The code says how the client learned the connection had ended, not why. \
        Two different situations share it: with no 'Connected to domain' (client event 1027) before \
        it, the connection was refused during setup, almost always by the server (look for the \
        extended reason: 0x7 = the server denied the connection); after a 1027, an established \
        session dropped.",
    causes: &[
        rule("private-key-access", "During setup: the server cannot use its RDP certificate's private key (Schannel 36870 with 0x8009030D, RCM 1057/1058)."),
        rule("rdp-certificate", "During setup: the RDP certificate expired or could not be created or renewed (RCM 1053/1057/1058)."),
        rule("tls-mismatch", "During setup: no common TLS version or cipher suite (Schannel 36874, 36888 with alert 40/70)."),
        rule("connection-limits", "During setup: the server refuses new connections (drain mode, chglogon, incomplete-connection protection: RCM 1006/1070/1071)."),
        rule("rdp-service-down", "TermService stopped, crashed or restarted while connecting (SCM 7031/7034/7036)."),
        rule("unstable-network", "After a successful logon (client 1027 present): the network dropped the session (RdpCoreTS 142/143, LSM 24/40)."),
        rule("network-blocked", "A firewall, IPS or NAT device tore the TCP connection down."),
    ],
    not_this: &[
        "Not licensing: 0x904 is 'socket closed'. Licensing failures are 0x808 (2056), 0x908 (2312) and extended reasons 256-267.",
    ],
    collect: &[Machine::Server, Machine::Client, Machine::Gateway],
    extra_logging: true,
};

static SOCKET_CONNECT_FAILED: Advice = Advice {
    implies: "Nothing accepted the client's TCP connection: connect() failed. The RDP server never \
        saw the attempt, so the server's RDP logs usually have nothing about it (only firewall drop \
        auditing, WFP 5152/5157, when enabled).",
    causes: &[
        rule("network-blocked", "A host or network firewall drops or rejects TCP 3389 (or the configured port)."),
        rule("rdp-service-down", "Remote Desktop is disabled or TermService is stopped."),
        rule("listener-port", "The client targets a port nobody listens on, or the listener failed (RCM 260)."),
        other("The host is down, or the name resolves to the wrong address."),
    ],
    not_this: &["Not a server-side refusal: a server that refuses accepts the TCP connection first (then 0x904)."],
    collect: &[Machine::Client, Machine::Server],
    extra_logging: true,
};

static TIMED_OUT: Advice = Advice {
    implies: "The client gave up waiting: the connection (or a step of it) got no answer in time. \
        Typically packets are dropped on the way, or the host is unreachable.",
    causes: &[
        rule(
            "network-blocked",
            "A firewall silently drops the packets (no reject).",
        ),
        rule(
            "unstable-network",
            "Packet loss, VPN or MTU problems on the path.",
        ),
        other("The host is down or unreachable."),
    ],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server],
    extra_logging: true,
};

static SOCKET_IO_FAILED: Advice = Advice {
    implies: "A send or receive on the client's connection failed: the network path broke or the \
        connection was reset while data was flowing.",
    causes: &[
        rule("unstable-network", "Packet loss, VPN or MTU problems (server: RdpCoreTS 142/143 socket read/write failures)."),
        rule("network-blocked", "A firewall, IPS or NAT device reset or timed out the connection."),
    ],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server],
    extra_logging: false,
};

static NAME_RESOLUTION: Advice = Advice {
    implies: "The client could not resolve the server's name; no connection was attempted. The \
        evidence is on the client.",
    causes: &[
        other("The name is misspelled, or DNS has no record for it (check with Resolve-DnsName on the client)."),
        other("The client uses the wrong DNS server (VPN split DNS, stale suffix list)."),
    ],
    not_this: &[],
    collect: &[Machine::Client],
    extra_logging: false,
};

static LICENSING: Advice = Advice {
    implies: "RDS licensing failed: the RD Session Host could not issue or validate a client access \
        licence. Only hosts with the RD Session Host role license sessions.",
    causes: &[
        rule("rds-licensing", "Licensing mode not configured, grace period expired, licence server unreachable, or no CAL of the right type (RCM 1068/1069, 1003/1004/1011)."),
    ],
    not_this: &["This is the licensing code; 0x904 (socket closed) is not."],
    collect: &[Machine::Server],
    extra_logging: false,
};

static ACCOUNT: Advice = Advice {
    implies: "Authentication got as far as the account, and the account itself may not log on now. \
        The Security log of the server (and of the DC for domain accounts) has the matching 4625 \
        with its Status/SubStatus.",
    causes: &[
        rule("logon-rights", "Account disabled, locked out, expired, restricted, or its password expired / must change (4625 SubStatus 0xC0000072, 0xC0000234, 0xC0000193, 0xC0000071, 0xC0000224)."),
    ],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static LOGON_RESTRICTION: Advice = Advice {
    implies: "The account may not log on from here, at this time, or with this logon type.",
    causes: &[
        rule("logon-rights", "Logon hours, workstation list, or logon-type rights (\"Allow / Deny log on through Remote Desktop Services\"; 4625 with 0xC000006F, 0xC0000070, 0xC000015B)."),
    ],
    not_this: &[],
    collect: &[Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static DELEGATION: Advice = Advice {
    implies: "The client's credential-delegation policy (CredSSP) did not allow sending credentials \
        to this server. This is decided on the client, before any logon on the server.",
    causes: &[
        rule("nla-credssp", "Credentials-delegation policy on the client does not cover this server, or the server requires fresh credentials."),
        rule("name-mismatch", "Kerberos failed (no TERMSRV SPN for the name used, e.g. connecting by IP), so only NTLM was possible and policy forbids delegating with NTLM."),
    ],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server],
    extra_logging: false,
};

static AUTHORITY: Advice = Advice {
    implies: "No domain controller or trusted authority could be reached to authenticate the user.",
    causes: &[
        rule("nla-credssp", "The DC is unreachable from the client or server, a trust is broken, or clocks are too far apart for Kerberos."),
    ],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server, Machine::DomainController],
    extra_logging: false,
};

static NLA_REQUIRED: Advice = Advice {
    implies: "The server requires Network Level Authentication (CredSSP) and the client cannot do it.",
    causes: &[
        rule("nla-credssp", "The client lacks CredSSP support or has it disabled."),
        rule("security-layer", "The listener's security layer/NLA setting does not fit the clients that use it."),
    ],
    not_this: &["Do not turn NLA off on the server as a fix: it exposes the logon screen before any authentication."],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: false,
};

static SECURITY_SETTINGS: Advice = Advice {
    implies: "The two sides could not agree on RDP security or encryption, or security data was \
        malformed.",
    causes: &[
        rule("security-layer", "Security layer, encryption level or FIPS policy on the server does not fit the client (RCM 1050, RdpCoreTS 105)."),
        rule("tls-mismatch", "No common TLS version or cipher suite."),
    ],
    not_this: &["Do not lower the security layer to 'RDP': it removes TLS server authentication."],
    collect: &[Machine::Server, Machine::Client],
    extra_logging: false,
};

static CERTIFICATE: Advice = Advice {
    implies: "The client rejected or could not use the server's certificate.",
    causes: &[
        rule("rdp-certificate", "The server's RDP certificate expired, is not trusted, or changed (client Schannel 36881/36882)."),
        rule("name-mismatch", "The name the client used is not on the certificate (client Schannel 36884, RCM 1062)."),
        rule("rd-gateway", "With an RD Gateway: the gateway's HTTPS certificate is the one rejected."),
    ],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server, Machine::Gateway],
    extra_logging: true,
};

static GATEWAY: Advice = Advice {
    implies: "The connection failed at the RD Gateway, not at the session host.",
    causes: &[
        rule("rd-gateway", "Gateway certificate untrusted/expired/mismatched, CAP or RAP not met (GW 201/301), gateway at capacity (GW 203), or it cannot reach the host (GW 304)."),
    ],
    not_this: &[],
    collect: &[Machine::Gateway, Machine::Client],
    extra_logging: true,
};

static SMART_CARD: Advice = Advice {
    implies: "A smart-card problem on the client; no connection problem with the server.",
    causes: &[other(
        "Smart Card service stopped, no reader, no card, wrong PIN or blocked card on the client.",
    )],
    not_this: &[],
    collect: &[Machine::Client],
    extra_logging: false,
};

static NOT_AN_ERROR: Advice = Advice {
    implies: "A normal end of a connection (by the user, the client or the server), not an error.",
    causes: &[],
    not_this: &[],
    collect: &[Machine::Client],
    extra_logging: false,
};

static CLIENT_LOCAL: Advice = Advice {
    implies:
        "The client failed on its own side (input, memory, timers, decompression); the server \
        was not the cause.",
    causes: &[other(
        "Check the address typed, client updates and resources; reproduce with another client.",
    )],
    not_this: &[],
    collect: &[Machine::Client],
    extra_logging: false,
};

static DEFAULT: Advice = Advice {
    implies: "An mstsc disconnect reason: how the client saw the connection end. When the client \
        also reports an extended reason, decode the two together (evident decode CODE EXT).",
    causes: &[],
    not_this: &[],
    collect: &[Machine::Client, Machine::Server],
    extra_logging: false,
};

/// The advice for one disconnect reason.
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        0x1..=0x3 => &NOT_AN_ERROR,
        0x904 => &SOCKET_CLOSED,
        0x204 => &SOCKET_CONNECT_FAILED,
        0x108 | 0x704 => &TIMED_OUT,
        0x304 | 0x404 => &SOCKET_IO_FAILED,
        0x104 | 0x208 | 0x508 | 0x604 => &NAME_RESOLUTION,
        0x808 | 0x908 => &LICENSING,
        0x807 | 0xA07 | 0xB07 | 0xC07 | 0xD07 | 0xE07 | 0xF07 | 0x1207 => &ACCOUNT,
        0x1007 | 0x1107 | 0x1307 => &LOGON_RESTRICTION,
        0x1607 | 0x1707 | 0xF08 | 0x2107 | 0xD09 => &DELEGATION,
        0x1807 | 0x1D07 | 0x1407 => &AUTHORITY,
        0xB09 | 0xE09 => &NLA_REQUIRED,
        0x406 | 0x506 | 0x606 | 0x906 | 0xA06 | 0xB06 | 0xC06 | 0xE06 => &SECURITY_SETTINGS,
        0x706 | 0x907 | 0x1B07 => &CERTIFICATE,
        0x10A | 0x20A | 0x30A | 0x40A | 0x1C07 | 0x2207 => &SMART_CARD,
        0x106 | 0x206 | 0x306 | 0x308 | 0x408 | 0x608 | 0x804 | 0xC08 | 0x1008 => &CLIENT_LOCAL,
        0x3000001..=0x3000050 => &GATEWAY,
        _ => &DEFAULT,
    }
}

/// What a disconnect reason and an extended reason say together, when that differs from each.
pub(super) fn pair_advice(disconnect: u64, extended: u64) -> Option<&'static Advice> {
    match (disconnect, extended) {
        (0x904, 0x7) => Some(&SOCKET_CLOSED_SERVER_DENIED),
        _ => None,
    }
}
