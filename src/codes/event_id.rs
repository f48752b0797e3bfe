//! The RDP-related Windows event IDs the rules use, with provider, log and side.
//!
//! Source (domain reference §3.7): provider message tables (RdpCoreTS, RemoteConnectionManager,
//! LocalSessionManager, ClientActiveXCore, Schannel, Gateway) [V unless marked]; Microsoft Learn
//! event pages for Security 4624/4625/4776/5061/5152/5156/5157 (MicrosoftDocs/windows-itpro-docs,
//! `auditing/event-*.md`); TechNet "RD Gateway Server Connections" for gateway events 200–309.
//! Event IDs repeat across providers (102 is RdpCoreTS and Gateway), so a lookup can return
//! several rows. `name` holds the provider (short name) and log.

use super::Status::{Secondary, Unconfirmed, Verified};
use super::{other, rule, Advice, CodeInfo, Family, Machine, Status};

const fn r(
    code: u64,
    name: &'static str,
    meaning: &'static str,
    detail: &'static str,
    status: Status,
) -> CodeInfo {
    CodeInfo::row(Family::EventId, code, name, meaning, detail, status)
}

/// Provider short names: RCM = TerminalServices-RemoteConnectionManager, LSM = …-LocalSessionManager,
/// Core = RemoteDesktopServices-RdpCoreTS, Client = TerminalServices-ClientActiveXCore,
/// GW = …-Gateway, SCM = Service Control Manager, Sec = Security-Auditing. Logs: Sys = System,
/// Op = …/Operational, Adm = …/Admin. Sides: S server, C client, G gateway, B broker, DC.
pub(super) static ROWS: &[CodeInfo] = &[
    r(1024, "Client (Op)", "connection attempt; Value = target", "side: C", Verified),
    r(1025, "Client (Op)", "connected to server", "side: C", Verified),
    r(1026, "Client (Op)", "disconnected; Value = reason (decimal)", "side: C", Verified),
    r(1027, "Client (Op)", "connected to domain / session id — success", "side: C", Verified),
    r(1029, "Client (Op)", "Base64(SHA256(user name))", "side: C", Verified),
    r(1102, "Client (Op)", "UDP multi-transport initiated / established / failed / disconnected", "side: C", Verified),
    r(1103, "Client (Op)", "UDP multi-transport initiated / established / failed / disconnected", "side: C", Verified),
    r(1104, "Client (Op)", "UDP multi-transport initiated / established / failed / disconnected", "side: C", Verified),
    r(1105, "Client (Op)", "UDP multi-transport initiated / established / failed / disconnected", "side: C", Verified),
    r(6041, "LsaSrv (Sys)", "CredSSP version not permitted by Encryption Oracle Remediation", "side: C", Verified),
    r(36870, "Schannel (Sys)", "fatal error accessing the TLS credential private key (error code, internal state)", "side: S/C/G", Verified),
    r(36871, "Schannel (Sys)", "fatal error creating a TLS credential (internal state)", "side: S/C/G", Verified),
    r(36873, "Schannel (Sys)", "no supported cipher suites when *initiating* a TLS connection", "side: C", Verified),
    r(36874, "Schannel (Sys)", "%1 connection request received but none of the client's cipher suites are supported by the server", "side: S/G", Verified),
    r(36876, "Schannel (Sys)", "server / client certificate did not validate (error code)", "side: C / S", Verified),
    r(36877, "Schannel (Sys)", "server / client certificate did not validate (error code)", "side: C / S", Verified),
    r(36881, "Schannel (Sys)", "remote server certificate expired / untrusted CA / revoked / does not contain expected name", "side: C", Verified),
    r(36882, "Schannel (Sys)", "remote server certificate expired / untrusted CA / revoked / does not contain expected name", "side: C", Verified),
    r(36883, "Schannel (Sys)", "remote server certificate expired / untrusted CA / revoked / does not contain expected name", "side: C", Verified),
    r(36884, "Schannel (Sys)", "remote server certificate expired / untrusted CA / revoked / does not contain expected name", "side: C", Verified),
    r(36886, "Schannel (Sys)", "no suitable default server credential (affects apps using system default creds, e.g. directory server)", "side: S", Verified),
    r(36887, "Schannel (Sys)", "fatal alert received from remote endpoint (alert code)", "side: S/C/G", Verified),
    r(36888, "Schannel (Sys)", "fatal alert generated and sent (alert code)", "side: S/C/G", Verified),
    r(50, "TermDD (Sys)", "RDP protocol component / security layer detected a protocol-stream error and disconnected the client (56 includes client IP) [M]", "side: S", Secondary),
    r(56, "TermDD (Sys)", "RDP protocol component / security layer detected a protocol-stream error and disconnected the client (56 includes client IP) [M]", "side: S", Secondary),
    r(97, "Core (Op)", "RDP protocol component %1 detected an error (%2) in the protocol stream; client disconnected — replaces TermDD 50 on newer systems", "side: S", Verified),
    r(7036, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(7034, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(7031, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(7023, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(7024, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(7000, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(7001, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(7040, "SCM (Sys)", "service state change / crashed / crashed with recovery / stopped with error / service-specific error / failed to start / dependency failed / start type changed [M]", "side: S", Secondary),
    r(1006, "RCM (Adm; Sys on 2008 R2)", "large number of incomplete connections — possible attack; TechNet also names slow/unreachable DC authentication (§4 cause 9)", "side: S", Verified),
    r(1012, "RCM (Sys, classic)", "remote session from client name %1 exceeded max failed logon attempts; forcibly terminated", "side: S", Verified),
    r(1035, "RCM (Sys, classic)", "listener stack was down (status code)", "side: S", Verified),
    r(1036, "RCM (Sys, classic)", "session creation failed (status code)", "side: S", Verified),
    r(1041, "RCM (Sys, classic)", "autoreconnect failed — authentication failed", "side: S", Verified),
    r(1050, "RCM (Sys, classic)", "listener has inconsistent authentication/encryption settings; auto-corrected", "side: S", Verified),
    r(1051, "RCM (Sys, classic)", "configured (user-selected) cert not usable; default cert used", "side: S", Verified),
    r(1052, "RCM (Sys, classic)", "configured cert expires in %2 days", "side: S", Verified),
    r(1053, "RCM (Sys, classic)", "configured cert expired; default cert used", "side: S", Verified),
    r(1054, "RCM (Sys, classic)", "configured cert lacks Server Authentication EKU; default cert used", "side: S", Verified),
    r(1055, "RCM (Sys, classic)", "cannot access private key of configured cert; default cert used", "side: S", Verified),
    r(1056, "RCM (Sys, classic)", "new self-signed certificate generated (name %1)", "side: S", Verified),
    r(1057, "RCM (Sys, classic)", r#"failed to create new self-signed certificate (status, e.g. "Keyset does not exist", "Object already exists")"#, "side: S", Verified),
    r(1058, "RCM (Sys, classic)", r#"failed to replace expired self-signed certificate (status, e.g. "Access is denied")"#, "side: S", Verified),
    r(1059, "RCM (Sys, classic)", "certificate configuration data invalid; reset by service", "side: S", Verified),
    r(1062, "RCM (Sys, classic)", "template cert subject invalid / installed / cannot install / expired and cannot be replaced", "side: S", Verified),
    r(1063, "RCM (Sys, classic)", "template cert subject invalid / installed / cannot install / expired and cannot be replaced", "side: S", Verified),
    r(1064, "RCM (Sys, classic)", "template cert subject invalid / installed / cannot install / expired and cannot be replaced", "side: S", Verified),
    r(1065, "RCM (Sys, classic)", "template cert subject invalid / installed / cannot install / expired and cannot be replaced", "side: S", Verified),
    r(1066, "RCM (Sys, classic)", "unable to process session arbitration request", "side: S", Verified),
    r(1067, "RCM (Sys, classic)", "cannot register TERMSRV SPN", "side: S", Verified),
    r(1068, "RCM (classic)", "licensing mode not configured / grace period expired and mode not configured", "side: S", Verified),
    r(1069, "RCM (classic)", "licensing mode not configured / grace period expired and mode not configured", "side: S", Verified),
    r(1070, "RCM (Sys, classic)", "logon denied: server in drain mode", "side: S", Verified),
    r(1071, "RCM (Sys, classic)", "connection denied: server configured not to accept connections (chglogon)", "side: S", Verified),
    r(1003, "RCM (classic)", "invalid client license / cannot issue client license / temporary license expired", "side: S", Verified),
    r(1004, "RCM (classic)", "invalid client license / cannot issue client license / temporary license expired", "side: S", Verified),
    r(1011, "RCM (classic)", "invalid client license / cannot issue client license / temporary license expired", "side: S", Verified),
    r(258, "RCM (Op)", "listener started / stopped / received a connection / asked to stop", "side: S", Verified),
    r(259, "RCM (Op)", "listener started / stopped / received a connection / asked to stop", "side: S", Verified),
    r(261, "RCM (Op)", "listener started / stopped / received a connection / asked to stop", "side: S", Verified),
    r(262, "RCM (Op)", "listener started / stopped / received a connection / asked to stop", "side: S", Verified),
    r(260, "RCM (Op)", "listener %1 failed while listening (error code %2)", "side: S", Verified),
    r(1149, "RCM (Op)", "user authentication succeeded (user, domain, source IP) — with NLA it means credentials passed", "side: S", Verified),
    r(1158, "RCM (Adm)", "accepted a connection from IP %1", "side: S", Verified),
    r(16, "LSM (Op)", "multi-user session manager failed to start / RDS start failed / RDS shut down unexpectedly, recovering in 1 min", "side: S", Verified),
    r(17, "LSM (Op)", "multi-user session manager failed to start / RDS start failed / RDS shut down unexpectedly, recovering in 1 min", "side: S", Verified),
    r(18, "LSM (Op)", "multi-user session manager failed to start / RDS start failed / RDS shut down unexpectedly, recovering in 1 min", "side: S", Verified),
    r(21, "LSM (Op)", "logon / shell start / logoff / disconnected / reconnected", "side: S", Verified),
    r(22, "LSM (Op)", "logon / shell start / logoff / disconnected / reconnected", "side: S", Verified),
    r(23, "LSM (Op)", "logon / shell start / logoff / disconnected / reconnected", "side: S", Verified),
    r(24, "LSM (Op)", "logon / shell start / logoff / disconnected / reconnected", "side: S", Verified),
    r(25, "LSM (Op)", "logon / shell start / logoff / disconnected / reconnected", "side: S", Verified),
    r(34, "LSM (Op)", "RDS not accepting logons because setup is running", "side: S", Verified),
    r(36, "LSM (Op)", "error in session state transition / invalid state transition (ErrorCode)", "side: S", Verified),
    r(37, "LSM (Op)", "error in session state transition / invalid state transition (ErrorCode)", "side: S", Verified),
    r(39, "LSM (Op)", "session disconnected by session X / disconnected with reason code", "side: S", Verified),
    r(40, "LSM (Op)", "session disconnected by session X / disconnected with reason code", "side: S", Verified),
    r(41, "LSM (Op)", "begin / end session arbitration", "side: S", Verified),
    r(42, "LSM (Op)", "begin / end session arbitration", "side: S", Verified),
    r(65, "Core (Op)", "connection created / assigned to session", "side: S", Verified),
    r(66, "Core (Op)", "connection created / assigned to session", "side: S", Verified),
    r(98, "Core (Op)", "TCP connection established / TCP connection failed (error code %1)", "side: S", Verified),
    r(99, "Core (Op)", "TCP connection established / TCP connection failed (error code %1)", "side: S", Verified),
    r(102, "Core (Op)", "server terminated main RDP connection / disconnect reason", "side: S", Verified),
    r(103, "Core (Op)", "server terminated main RDP connection / disconnect reason", "side: S", Verified),
    r(105, "Core (Op)", "security layer allows native RDP encryption — not recommended", "side: S", Verified),
    r(129, "Core (Op)", "server uses %1 to bind to port %2", "side: S", Verified),
    r(131, "Core (Op)", "accepted new %1 connection from client %2 (ConnType, ClientIP)", "side: S", Verified),
    r(134, "Core (Op)", "latency/bandwidth detection failed / multi-transport failed, using TCP / DTLS init failed, using TLS", "side: S", Verified),
    r(136, "Core (Op)", "latency/bandwidth detection failed / multi-transport failed, using TCP / DTLS init failed, using TLS", "side: S", Verified),
    r(138, "Core (Op)", "latency/bandwidth detection failed / multi-transport failed, using TCP / DTLS init failed, using TLS", "side: S", Verified),
    r(139, "Core (Op)", "security layer detected a protocol-stream error; client (Client IP) disconnected", "side: S", Verified),
    r(140, "Core (Op)", "connection from IP failed: user name or password not correct", "side: S", Verified),
    r(142, "Core (Op)", "TCP socket READ failed / WRITE failed / gracefully terminated", "side: S", Verified),
    r(143, "Core (Op)", "TCP socket READ failed / WRITE failed / gracefully terminated", "side: S", Verified),
    r(144, "Core (Op)", "TCP socket READ failed / WRITE failed / gracefully terminated", "side: S", Verified),
    r(147, "Core (Op)", "LogonUserExEx failed with error %1", "side: S", Verified),
    r(153, "Core (Op)", "session negotiated TLS version %1 (newer builds)", "side: S", Verified),
    r(227, "Core (Op)", r#"trace / "Disconnect trace … Error code""#, "side: S", Verified),
    r(228, "Core (Op)", r#"trace / "Disconnect trace … Error code""#, "side: S", Verified),
    r(200, "GW (Op)", "user met / did not meet RD CAP (error %5)", "side: G", Verified),
    r(201, "GW (Op)", "user met / did not meet RD CAP (error %5)", "side: G", Verified),
    r(202, "GW (Op)", "administrator disconnected the user", "side: G", Verified),
    r(207, "GW (Op)", "administrator disconnected the user", "side: G", Verified),
    r(203, "GW (Op)", "maximum simultaneous connections reached; connection denied", "side: G", Verified),
    r(204, "GW (Op)", "NAP health requirements not met", "side: G", Verified),
    r(300, "GW (Op)", "user met / did not meet RD RAP for resource %4", "side: G", Verified),
    r(301, "GW (Op)", "user met / did not meet RD RAP for resource %4", "side: G", Verified),
    r(302, "GW (Op)", "user connected to / disconnected from resource (bytes, duration)", "side: G", Verified),
    r(303, "GW (Op)", "user connected to / disconnected from resource (bytes, duration)", "side: G", Verified),
    r(304, "GW (Op)", "met CAP and RAP but could not connect to resource %4 (error %5)", "side: G", Verified),
    r(307, "GW (Op)", "session timeout / reauthentication-reauthorisation failure", "side: G", Verified),
    r(309, "GW (Op)", "session timeout / reauthentication-reauthorisation failure", "side: G", Verified),
    r(102, "GW (Op)", "gateway requires a valid SSL certificate", "side: G", Verified),
    r(2056, "SessionBroker (Op)", "broker: logon to the database failed", "side: B", Verified),
    r(1296, "SessionBroker-Client (Op)", "broker not ready for RPC communication", "side: S", Verified),
    r(4624, "Sec", "logon success / failure (LogonType 3 or 10, Status/SubStatus, IpAddress)", "side: S, DC", Verified),
    r(4625, "Sec", "logon success / failure (LogonType 3 or 10, Status/SubStatus, IpAddress)", "side: S, DC", Verified),
    r(4776, "Sec", "NTLM credential validation (Status)", "side: DC or S (local accounts)", Verified),
    r(4825, "Sec", "user denied access to Remote Desktop (not in Remote Desktop Users / Administrators) [M]", "side: S", Secondary),
    r(5061, "Sec", r#"cryptographic operation (key open/use, ReturnCode) — needs "Audit System Integrity" [V]; CNG KSP keys only [V], so probably silent for the CryptoAPI RDP key (UNCONFIRMED, §4 cause 3)"#, "side: S", Unconfirmed),
    r(5152, "Sec", "WFP blocked a packet / blocked a connection", "side: S, C", Verified),
    r(5157, "Sec", "WFP blocked a packet / blocked a connection", "side: S, C", Verified),
    r(5156, "Sec", "WFP permitted a connection — needs success auditing of Filtering Platform Connection (§6.5)", "side: S, C", Verified),
];

macro_rules! event_advice {
    ($name:ident, $implies:expr, [$($cause:expr),* $(,)?], $collect:expr) => {
        static $name: Advice = Advice {
            implies: $implies,
            causes: &[$($cause),*],
            not_this: &[],
            collect: $collect,
            extra_logging: false,
        };
    };
}

event_advice!(TLS, "A Schannel (TLS) event; Schannel events carry no client address, so correlate them with RdpCoreTS 131 by time.",
    [rule("tls-mismatch", "TLS version or cipher-suite mismatch (36874, 36888 alert 40/70, 36871 state 10013)."),
     rule("private-key-access", "Private key of the RDP certificate not usable (36870)."),
     rule("rdp-certificate", "Certificate validation failures (36876/36877/36881-36884).")],
    &[Machine::Server, Machine::Client]);
event_advice!(CERT, "A Remote Connection Manager certificate event: the RDP listener's certificate.",
    [rule("rdp-certificate", "Certificate expired, not created or not renewed (1053, 1056-1058, 1062-1065)."),
     rule("private-key-access", "Private key not accessible (1055, 1057 \"Keyset does not exist\", 1058 \"Access is denied\").")],
    &[Machine::Server]);
event_advice!(
    LIMITS,
    "The server refuses or throttles connections by configuration or protection.",
    [
        rule(
            "connection-limits",
            "Drain mode (1070), logons disabled (1071), incomplete-connection protection (1006)."
        ),
        rule(
            "internet-exposure",
            "1006 and 1012 are often the side effect of scanners and brute force."
        )
    ],
    &[Machine::Server]
);
event_advice!(
    LOGON,
    "An authentication or logon-rights event.",
    [
        rule(
            "logon-rights",
            "Logon rights and account state (4625 Status/SubStatus, 4825)."
        ),
        rule(
            "internet-exposure",
            "Bursts from many addresses are password guessing."
        ),
        rule(
            "nla-credssp",
            "CredSSP/NTLM failures during NLA (4776 on the DC)."
        )
    ],
    &[Machine::Server, Machine::DomainController]
);
event_advice!(GATEWAY, "An RD Gateway event.",
    [rule("rd-gateway", "CAP/RAP not met, capacity reached, certificate missing, or the host unreachable from the gateway.")],
    &[Machine::Gateway]);
event_advice!(
    FIREWALL,
    "A Windows Filtering Platform event (needs auditing that is off by default).",
    [rule(
        "network-blocked",
        "A host firewall rule drops or blocks the RDP connection (5152/5157)."
    )],
    &[Machine::Server, Machine::Client]
);
event_advice!(
    SERVICE,
    "A service or session-manager state event.",
    [rule(
        "rdp-service-down",
        "TermService stopped, crashed or failed to start; LSM failed to start."
    )],
    &[Machine::Server]
);
event_advice!(
    LISTENER,
    "An RDP listener / transport event.",
    [rule(
        "listener-port",
        "Listener failed or bound to an unexpected port (260, 129, 1035)."
    )],
    &[Machine::Server]
);
event_advice!(
    NETWORK,
    "A transport or session-drop event.",
    [rule(
        "unstable-network",
        "TCP socket read/write failures or UDP fallback (142/143, 134-138, LSM 24/40)."
    )],
    &[Machine::Server, Machine::Client]
);
event_advice!(
    BROKER,
    "A Connection Broker event.",
    [rule(
        "session-broker",
        "Broker database or RPC not available; session arbitration failed."
    )],
    &[Machine::Server]
);
event_advice!(SECURITY_LAYER, "A security-layer / encryption setting event.",
    [rule("security-layer", "Listener security layer or encryption inconsistent (1050) or native RDP encryption in use (105).")],
    &[Machine::Server]);
event_advice!(NAMES, "A name / SPN event.",
    [rule("name-mismatch", "TERMSRV SPN not registered (1067): Kerberos fails for that name and NLA falls back to NTLM.")],
    &[Machine::Server]);
event_advice!(LICENSING, "An RDS licensing event.",
    [rule("rds-licensing", "Licensing mode not configured or grace period expired (1068/1069), licence problems (1003/1004/1011).")],
    &[Machine::Server]);
event_advice!(
    CREDSSP,
    "CredSSP refused the server's protocol version (client side, System log).",
    [rule(
        "nla-credssp",
        "CredSSP encryption-oracle mismatch after CVE-2018-0886 updates: update both sides."
    )],
    &[Machine::Client]
);
event_advice!(CLIENT, "A client-side RDP event: that and when an attempt happened, and to which server.",
    [other("Decode the 1026 Value (disconnect reason) with evident decode; the cause is usually on the server.")],
    &[Machine::Client, Machine::Server]);
event_advice!(
    DEFAULT,
    "An event used by evident's rules as context.",
    [],
    &[Machine::Server]
);

/// The advice for one event ID (by the cause its rows most often support).
pub(super) fn advice(code: u64) -> &'static Advice {
    match code {
        36870 | 36871 | 36873 | 36874 | 36876 | 36877 | 36881..=36888 => &TLS,
        1051..=1059 | 1062..=1065 => &CERT,
        1006 | 1012 | 1070 | 1071 => &LIMITS,
        4624 | 4625 | 4776 | 4825 | 140 | 147 | 1041 | 1149 => &LOGON,
        200..=204 | 207 | 300..=304 | 307 | 309 => &GATEWAY,
        5152 | 5156 | 5157 => &FIREWALL,
        7000 | 7001 | 7023 | 7024 | 7031 | 7034 | 7036 | 7040 | 16..=18 | 34 => &SERVICE,
        258..=262 | 129 | 1035 => &LISTENER,
        134 | 136 | 138 | 142..=144 | 24 | 40 => &NETWORK,
        2056 | 1296 | 1066 | 41 | 42 => &BROKER,
        1050 | 105 => &SECURITY_LAYER,
        1067 => &NAMES,
        1068 | 1069 | 1003 | 1004 | 1011 => &LICENSING,
        6041 => &CREDSSP,
        1024..=1029 | 1102..=1105 => &CLIENT,
        _ => &DEFAULT,
    }
}
