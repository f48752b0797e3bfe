//! The scale generator: large, realistic `.evtx` files for the performance work.
//!
//! The file is shaped like a Windows Event Collector `ForwardedEvents` log: the logs of several
//! servers and clients collected into one file, so that one file exercises every channel the
//! rules read. Events come in *episodes* as they do on real machines (a successful RDP logon
//! is RdpCoreTS 131, Security 4624 type 3 and type 10, 4672, LocalSessionManager 21 on the
//! server and RDPClient 1024 on the client, later 1026, 4634, LSM 24/40 and RdpCoreTS
//! 102/103), mixed with background noise (service logons, SCM 7036, Schannel 36888,
//! internet brute force with 4625) and, rarely, a real failure (Schannel 36874 with the
//! client's 2308 disconnect). Times advance and record ids increase.
//!
//! Streaming: one episode (at most a dozen events) is held at a time, and the writer holds one
//! chunk, so memory stays constant whatever the size. The same seed and size give the same
//! file. The values are synthetic; field names follow /work/shared/domain/rdp-evidence.md and,
//! for RdpCoreTS 102 (empty EventData) and 103 (`ReasonCode`), a Windows-written RdpCoreTS log
//! of the corpus.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::evtx_write::{Element, EvtxWriter, WriteError, WriteSummary};

const SECURITY_GUID: &str = "{54849625-5478-4994-A5BA-3E3B0328C30D}";
const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
const SCHANNEL_GUID: &str = "{1F678132-5938-4686-9FDC-C8FF68F15C85}";
const RDPCORETS_GUID: &str = "{1139C61B-B549-4251-8ED3-27250A1EDEC8}";
const LSM_GUID: &str = "{5D896912-022D-40AA-A3A8-4FA5515C76D7}";
const CLIENT_GUID: &str = "{28AA95BB-D444-4719-A36F-40462168127E}";
const RDPCORETS_CHANNEL: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
const LSM_CHANNEL: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
const CLIENT_CHANNEL: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
/// 2024-03-01T00:00:00Z in 100-ns ticks since the Unix epoch.
const START_TICKS: u64 = 1_709_251_200 * 10_000_000;
const TICKS_PER_MS: u64 = 10_000;

/// Writes a synthetic log of about `size` bytes (whole 64 KiB chunks, at least one) to `path`.
pub fn write_file(path: &Path, size: u64, seed: u64) -> Result<WriteSummary, WriteError> {
    let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut writer = EvtxWriter::new(out)?;
    writer.limit_chunks(size.saturating_sub(4096).div_ceil(65536).max(1));
    let mut generator = Generator::new(seed);
    loop {
        match writer.write_event(&generator.next_event()) {
            Ok(_) => {}
            Err(WriteError::FileFull) => break,
            Err(e) => return Err(e),
        }
    }
    writer.finish()
}

/// An endless, deterministic stream of realistic events.
pub struct Generator {
    rng: SplitMix64,
    ticks: u64,
    record_id: u64,
    pending: VecDeque<Element>,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: SplitMix64(seed),
            ticks: START_TICKS,
            record_id: 0,
            pending: VecDeque::new(),
        }
    }

    /// The next event, with the next record id and a later time.
    pub fn next_event(&mut self) -> Element {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return event;
            }
            self.ticks += self.rng.below(3_000) * TICKS_PER_MS;
            let roll = self.rng.below(100);
            match roll {
                0..=24 => self.rdp_logon(),
                25..=26 => self.tls_failure(),
                27..=46 => self.brute_force(),
                47..=61 => self.service_change(),
                62..=68 => self.tls_alert(),
                69..=74 => self.reconnect(),
                _ => self.service_logon(),
            }
        }
    }

    fn server(&mut self) -> String {
        format!("SRV{:02}.corp.example", 1 + self.rng.below(4))
    }

    fn client(&mut self) -> (String, String) {
        let n = 1 + self.rng.below(120);
        (
            format!("WS{n:03}.corp.example"),
            format!("10.0.{}.{}", n / 100, 10 + n % 100),
        )
    }

    fn user(&mut self) -> String {
        const USERS: [&str; 8] = [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
        ];
        USERS[self.rng.below(USERS.len() as u64) as usize].to_string()
    }

    fn activity(&mut self) -> String {
        let a = self.rng.next();
        let b = self.rng.next();
        format!(
            "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }

    fn logon_id(&mut self) -> String {
        format!("0x{:x}", 0x100000 + self.rng.below(0xffffff))
    }

    /// Queues one event `delay_ms` after the previous one.
    fn emit(&mut self, delay_ms: u64, head: Head<'_>, body: Body) {
        self.ticks += delay_ms * TICKS_PER_MS + 1 + self.rng.below(TICKS_PER_MS);
        self.record_id += 1;
        let event = build(head, self.ticks, self.record_id, body);
        self.pending.push_back(event);
    }

    fn rdp_logon(&mut self) {
        let server = self.server();
        let (client, ip) = self.client();
        let user = self.user();
        let activity = self.activity();
        let port = 49152 + self.rng.below(16000);
        let logon = self.logon_id();
        let session = (2 + self.rng.below(30)).to_string();
        self.emit(
            0,
            client_head(&client, 1024, &activity),
            client_data("Server Name", &server),
        );
        self.emit(
            40,
            rdpcorets_head(&server, 131),
            named(&[
                ("ConnType", "TCP".into()),
                ("ClientIP", format!("{ip}:{port}")),
            ]),
        );
        self.emit(
            300,
            security_head(&server, 4624, true),
            logon_4624(&user, &client, &ip, port, "3", &logon),
        );
        self.emit(
            900,
            security_head(&server, 4624, true),
            logon_4624(&user, &client, &ip, port, "10", &logon),
        );
        self.emit(
            1,
            security_head(&server, 4672, true),
            privileges(&user, &logon),
        );
        let address = ip.clone();
        self.emit(
            200,
            lsm_head(&server, 21),
            event_xml(&[
                ("User", format!("CORP\\{user}")),
                ("SessionID", session.clone()),
                ("Address", address.clone()),
            ]),
        );
        let minutes = 5 + self.rng.below(120);
        let reason = if self.rng.below(4) == 0 { "2" } else { "1" };
        self.emit(
            minutes * 60_000,
            client_head(&client, 1026, &activity),
            client_data("Disconnect Reason", reason),
        );
        self.emit(
            50,
            lsm_head(&server, 24),
            event_xml(&[
                ("User", format!("CORP\\{user}")),
                ("SessionID", session.clone()),
                ("Address", address),
            ]),
        );
        self.emit(
            10,
            lsm_head(&server, 40),
            event_xml(&[("Session", session), ("Reason", "11".into())]),
        );
        self.emit(20, rdpcorets_head(&server, 102), Body::Empty);
        self.emit(
            5,
            rdpcorets_head(&server, 103),
            named(&[("ReasonCode", "0".into())]),
        );
        self.emit(
            400,
            security_head(&server, 4634, true),
            logoff(&user, &logon, "10"),
        );
    }

    fn tls_failure(&mut self) {
        let server = self.server();
        let (client, ip) = self.client();
        let activity = self.activity();
        let port = 49152 + self.rng.below(16000);
        self.emit(
            0,
            client_head(&client, 1024, &activity),
            client_data("Server Name", &server),
        );
        self.emit(
            30,
            rdpcorets_head(&server, 131),
            named(&[
                ("ConnType", "TCP".into()),
                ("ClientIP", format!("{ip}:{port}")),
            ]),
        );
        let protocol = if self.rng.below(2) == 0 {
            "TLS 1.0"
        } else {
            "TLS 1.1"
        };
        self.emit(
            15,
            schannel_head(&server, 36874),
            named(&[("Protocol", protocol.into())]),
        );
        self.emit(
            20,
            client_head(&client, 1026, &activity),
            client_data("Disconnect Reason", "2308"),
        );
    }

    fn brute_force(&mut self) {
        let server = self.server();
        let attempts = 1 + self.rng.below(6);
        let ip = format!(
            "{}.{}.{}.{}",
            45 + self.rng.below(150),
            self.rng.below(256),
            self.rng.below(256),
            1 + self.rng.below(254)
        );
        const NAMES: [&str; 6] = ["administrator", "admin", "user", "test", "scanner", "guest"];
        for _ in 0..attempts {
            let port = 1024 + self.rng.below(60000);
            let name = NAMES[self.rng.below(NAMES.len() as u64) as usize];
            self.emit(
                20,
                rdpcorets_head(&server, 131),
                named(&[
                    ("ConnType", "TCP".into()),
                    ("ClientIP", format!("{ip}:{port}")),
                ]),
            );
            let sub = if name == "administrator" {
                "0xc000006a"
            } else {
                "0xc0000064"
            };
            self.emit(
                600,
                security_head(&server, 4625, false),
                failure_4625(name, &ip, port, sub),
            );
            self.emit(
                30,
                rdpcorets_head(&server, 103),
                named(&[("ReasonCode", "14".into())]),
            );
        }
    }

    fn service_change(&mut self) {
        const SERVICES: [(&str, &str); 6] = [
            ("Windows Update", "wuauserv"),
            ("Background Intelligent Transfer Service", "BITS"),
            (
                "WinHTTP Web Proxy Auto-Discovery Service",
                "WinHttpAutoProxySvc",
            ),
            ("Windows Modules Installer", "TrustedInstaller"),
            ("Remote Desktop Services", "TermService"),
            ("Network Setup Service", "NetSetupSvc"),
        ];
        let server = self.server();
        let (display, key) = SERVICES[self.rng.below(SERVICES.len() as u64) as usize];
        let running = self.rng.below(2) == 0;
        let state = if running { "running" } else { "stopped" };
        let binary = utf16_hex(&format!("{key}/{}", if running { 4 } else { 1 }));
        let thread = 1000 + self.rng.below(9000);
        self.emit(
            0,
            Head {
                provider: "Service Control Manager",
                guid: SCM_GUID,
                source_name: Some("Service Control Manager"),
                event_id: 7036,
                qualifiers: Some(16384),
                version: 0,
                level: 4,
                task: 0,
                opcode: 0,
                keywords: 0x8080_0000_0000_0000,
                channel: "System",
                computer: &server,
                activity: None,
                process: (672, thread),
                user: None,
            },
            Body::Named(
                vec![("param1", display.into()), ("param2", state.into())],
                Some(binary),
            ),
        );
    }

    fn tls_alert(&mut self) {
        let server = self.server();
        let alert = ["46", "48", "70", "40"][self.rng.below(4) as usize];
        self.emit(
            0,
            schannel_head(&server, 36888),
            named(&[("AlertDesc", alert.into()), ("ErrorState", "1203".into())]),
        );
    }

    fn reconnect(&mut self) {
        let server = self.server();
        let (_, ip) = self.client();
        let user = self.user();
        let session = (2 + self.rng.below(30)).to_string();
        self.emit(
            0,
            lsm_head(&server, 25),
            event_xml(&[
                ("User", format!("CORP\\{user}")),
                ("SessionID", session.clone()),
                ("Address", ip),
            ]),
        );
        let minutes = 1 + self.rng.below(60);
        self.emit(
            minutes * 60_000,
            lsm_head(&server, 40),
            event_xml(&[("Session", session), ("Reason", "5".into())]),
        );
    }

    fn service_logon(&mut self) {
        let server = self.server();
        let logon = self.logon_id();
        let mut data = logon_4624("SYSTEM", "-", "-", 0, "5", &logon);
        if let Body::Named(fields, _) = &mut data {
            for (name, value) in fields.iter_mut() {
                match *name {
                    "TargetUserSid" => *value = "S-1-5-18".into(),
                    "TargetDomainName" => *value = "NT AUTHORITY".into(),
                    "LogonProcessName" => *value = "Advapi  ".into(),
                    "AuthenticationPackageName" => *value = "Negotiate".into(),
                    "ProcessName" => *value = "C:\\Windows\\System32\\services.exe".into(),
                    _ => {}
                }
            }
        }
        self.emit(0, security_head(&server, 4624, true), data);
        self.emit(
            1,
            security_head(&server, 4672, true),
            privileges("SYSTEM", &logon),
        );
        if self.rng.below(2) == 0 {
            self.emit(
                50,
                security_head(&server, 4634, true),
                logoff("SYSTEM", &logon, "5"),
            );
        }
    }
}

/// The System part of an event.
struct Head<'a> {
    provider: &'a str,
    guid: &'a str,
    source_name: Option<&'a str>,
    event_id: u32,
    qualifiers: Option<u32>,
    version: u8,
    level: u8,
    task: u16,
    opcode: u8,
    keywords: u64,
    channel: &'a str,
    computer: &'a str,
    activity: Option<&'a str>,
    process: (u64, u64),
    user: Option<&'a str>,
}

/// The data part of an event.
enum Body {
    /// An empty `<EventData/>` (as RdpCoreTS 102 has).
    Empty,
    /// EventData with named Data, and an optional Binary (hex).
    Named(Vec<(&'static str, String)>, Option<String>),
    /// UserData/EventXML xmlns="Event_NS".
    EventXml(Vec<(&'static str, String)>),
}

fn named(fields: &[(&'static str, String)]) -> Body {
    Body::Named(fields.to_vec(), None)
}

fn event_xml(fields: &[(&'static str, String)]) -> Body {
    Body::EventXml(fields.to_vec())
}

fn client_data(name: &str, value: &str) -> Body {
    named(&[
        ("Name", name.into()),
        ("Value", value.into()),
        ("CustomLevel", "Info".into()),
    ])
}

fn security_head(computer: &str, event_id: u32, success: bool) -> Head<'_> {
    Head {
        provider: "Microsoft-Windows-Security-Auditing",
        guid: SECURITY_GUID,
        source_name: None,
        event_id,
        qualifiers: None,
        version: if event_id == 4624 { 2 } else { 0 },
        level: 0,
        task: if event_id == 4672 { 12548 } else { 12544 },
        opcode: 0,
        keywords: if success {
            0x8020_0000_0000_0000
        } else {
            0x8010_0000_0000_0000
        },
        channel: "Security",
        computer,
        activity: None,
        process: (644, 700 + u64::from(event_id % 97)),
        user: None,
    }
}

fn schannel_head(computer: &str, event_id: u32) -> Head<'_> {
    Head {
        provider: "Schannel",
        guid: SCHANNEL_GUID,
        source_name: None,
        event_id,
        qualifiers: None,
        version: 0,
        level: 2,
        task: 0,
        opcode: 0,
        keywords: 0x8000_0000_0000_0000,
        channel: "System",
        computer,
        activity: None,
        process: (644, 812),
        user: Some("S-1-5-18"),
    }
}

fn rdpcorets_head(computer: &str, event_id: u32) -> Head<'_> {
    Head {
        provider: "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
        guid: RDPCORETS_GUID,
        source_name: None,
        event_id,
        qualifiers: None,
        version: 0,
        level: 4,
        task: 4,
        opcode: if event_id == 131 { 15 } else { 17 },
        keywords: 0x4000_0000_0000_0000,
        channel: RDPCORETS_CHANNEL,
        computer,
        activity: None,
        process: (1228, 2044),
        user: Some("S-1-5-20"),
    }
}

fn lsm_head(computer: &str, event_id: u32) -> Head<'_> {
    Head {
        provider: "Microsoft-Windows-TerminalServices-LocalSessionManager",
        guid: LSM_GUID,
        source_name: None,
        event_id,
        qualifiers: None,
        version: 0,
        level: 4,
        task: 0,
        opcode: 0,
        keywords: 0x1000_0000_0000_0000,
        channel: LSM_CHANNEL,
        computer,
        activity: None,
        process: (1020, 2232),
        user: Some("S-1-5-18"),
    }
}

fn client_head<'a>(computer: &'a str, event_id: u32, activity: &'a str) -> Head<'a> {
    Head {
        provider: "Microsoft-Windows-TerminalServices-ClientActiveXCore",
        guid: CLIENT_GUID,
        source_name: None,
        event_id,
        qualifiers: None,
        version: 0,
        level: 4,
        task: 101,
        opcode: 10,
        keywords: 0x4000_0000_0000_0000,
        channel: CLIENT_CHANNEL,
        computer,
        activity: Some(activity),
        process: (5124, 6120),
        user: Some("S-1-5-21-3623811015-3361044348-30300820-1013"),
    }
}

fn logon_4624(
    user: &str,
    workstation: &str,
    ip: &str,
    port: u64,
    logon_type: &str,
    logon_id: &str,
) -> Body {
    let host = workstation.split('.').next().unwrap_or(workstation);
    named(&[
        ("SubjectUserSid", "S-1-5-18".into()),
        ("SubjectUserName", "SRV$".into()),
        ("SubjectDomainName", "CORP".into()),
        ("SubjectLogonId", "0x3e7".into()),
        (
            "TargetUserSid",
            "S-1-5-21-3623811015-3361044348-30300820-1013".into(),
        ),
        ("TargetUserName", user.into()),
        ("TargetDomainName", "CORP".into()),
        ("TargetLogonId", logon_id.into()),
        ("LogonType", logon_type.into()),
        ("LogonProcessName", "User32 ".into()),
        ("AuthenticationPackageName", "Negotiate".into()),
        ("WorkstationName", host.into()),
        ("LogonGuid", "{00000000-0000-0000-0000-000000000000}".into()),
        ("TransmittedServices", "-".into()),
        ("LmPackageName", "-".into()),
        ("KeyLength", "0".into()),
        ("ProcessId", "0x2a4".into()),
        ("ProcessName", "C:\\Windows\\System32\\svchost.exe".into()),
        ("IpAddress", ip.into()),
        ("IpPort", port.to_string()),
        ("ImpersonationLevel", "%%1833".into()),
        ("RestrictedAdminMode", "%%1843".into()),
        ("TargetOutboundUserName", "-".into()),
        ("TargetOutboundDomainName", "-".into()),
        ("VirtualAccount", "%%1843".into()),
        ("TargetLinkedLogonId", "0x0".into()),
        ("ElevatedToken", "%%1842".into()),
    ])
}

fn failure_4625(user: &str, ip: &str, port: u64, sub_status: &str) -> Body {
    named(&[
        ("SubjectUserSid", "S-1-0-0".into()),
        ("SubjectUserName", "-".into()),
        ("SubjectDomainName", "-".into()),
        ("SubjectLogonId", "0x0".into()),
        ("TargetUserSid", "S-1-0-0".into()),
        ("TargetUserName", user.into()),
        ("TargetDomainName", "".into()),
        ("Status", "0xc000006d".into()),
        ("FailureReason", "%%2313".into()),
        ("SubStatus", sub_status.into()),
        ("LogonType", "3".into()),
        ("LogonProcessName", "NtLmSsp ".into()),
        ("AuthenticationPackageName", "NTLM".into()),
        ("WorkstationName", "-".into()),
        ("TransmittedServices", "-".into()),
        ("LmPackageName", "-".into()),
        ("KeyLength", "0".into()),
        ("ProcessId", "0x0".into()),
        ("ProcessName", "-".into()),
        ("IpAddress", ip.into()),
        ("IpPort", port.to_string()),
    ])
}

fn logoff(user: &str, logon_id: &str, logon_type: &str) -> Body {
    named(&[
        (
            "TargetUserSid",
            "S-1-5-21-3623811015-3361044348-30300820-1013".into(),
        ),
        ("TargetUserName", user.into()),
        ("TargetDomainName", "CORP".into()),
        ("TargetLogonId", logon_id.into()),
        ("LogonType", logon_type.into()),
    ])
}

fn privileges(user: &str, logon_id: &str) -> Body {
    named(&[
        ("SubjectUserSid", "S-1-5-21-3623811015-3361044348-30300820-1013".into()),
        ("SubjectUserName", user.into()),
        ("SubjectDomainName", "CORP".into()),
        ("SubjectLogonId", logon_id.into()),
        (
            "PrivilegeList",
            "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeDebugPrivilege".into(),
        ),
    ])
}

fn utf16_hex(text: &str) -> String {
    let mut hex = String::new();
    for unit in text.encode_utf16().chain(std::iter::once(0)) {
        for byte in unit.to_le_bytes() {
            hex.push_str(&format!("{byte:02X}"));
        }
    }
    hex
}

fn format_time(ticks: u64) -> String {
    let seconds = (ticks / 10_000_000) as i64;
    let fraction = ticks % 10_000_000;
    match jiff::Timestamp::from_second(seconds) {
        Ok(t) => format!("{}.{fraction:07}Z", t.strftime("%Y-%m-%dT%H:%M:%S")),
        Err(_) => "1970-01-01T00:00:00.0000000Z".to_string(),
    }
}

fn build(head: Head<'_>, ticks: u64, record_id: u64, body: Body) -> Element {
    let mut provider = Element::new("Provider")
        .attr("Name", head.provider)
        .attr("Guid", head.guid);
    if let Some(source) = head.source_name {
        provider = provider.attr("EventSourceName", source);
    }
    let mut event_id = Element::new("EventID").text(head.event_id.to_string());
    if let Some(q) = head.qualifiers {
        event_id = event_id.attr("Qualifiers", q.to_string());
    }
    let mut correlation = Element::new("Correlation");
    if let Some(activity) = head.activity {
        correlation = correlation.attr("ActivityID", activity);
    }
    let mut security = Element::new("Security");
    if let Some(user) = head.user {
        security = security.attr("UserID", user);
    }
    let system = Element::new("System")
        .child(provider)
        .child(event_id)
        .child(Element::new("Version").text(head.version.to_string()))
        .child(Element::new("Level").text(head.level.to_string()))
        .child(Element::new("Task").text(head.task.to_string()))
        .child(Element::new("Opcode").text(head.opcode.to_string()))
        .child(Element::new("Keywords").text(format!("0x{:x}", head.keywords)))
        .child(Element::new("TimeCreated").attr("SystemTime", format_time(ticks)))
        .child(Element::new("EventRecordID").text(record_id.to_string()))
        .child(correlation)
        .child(
            Element::new("Execution")
                .attr("ProcessID", head.process.0.to_string())
                .attr("ThreadID", head.process.1.to_string()),
        )
        .child(Element::new("Channel").text(head.channel))
        .child(Element::new("Computer").text(head.computer))
        .child(security);
    let event = Element::new("Event").attr("xmlns", EVENT_NS).child(system);
    match body {
        Body::Empty => event.child(Element::new("EventData")),
        Body::Named(fields, binary) => {
            let mut data = Element::new("EventData");
            for (name, value) in fields {
                data = data.child(Element::new("Data").attr("Name", name).text(value));
            }
            if let Some(hex) = binary {
                data = data.child(Element::new("Binary").text(hex));
            }
            event.child(data)
        }
        Body::EventXml(fields) => {
            let mut xml = Element::new("EventXML").attr("xmlns", "Event_NS");
            for (name, value) in fields {
                xml = xml.child(Element::new(name).text(value));
            }
            event.child(Element::new("UserData").child(xml))
        }
    }
}

/// SplitMix64: a small, fast, well-distributed generator; deterministic across platforms.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-enough in `0..n` for n far below 2^64 (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A fixed stream of well-spread numbers, for tests that compare a writer or a conversion
/// with a reference on many inputs (fixed, so that a failure can be replayed).
#[cfg(test)]
pub(crate) fn test_numbers(seed: u64) -> impl Iterator<Item = u64> {
    let mut rng = SplitMix64(seed);
    std::iter::repeat_with(move || rng.next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_advance_in_time_and_record_id() {
        let mut generator = Generator::new(7);
        let mut last_id = 0;
        let mut last_time = String::new();
        for _ in 0..500 {
            let event = generator.next_event();
            let system = event.find("System").unwrap();
            let id: u64 = system
                .find("EventRecordID")
                .unwrap()
                .text_content()
                .parse()
                .unwrap();
            let time = system.find("TimeCreated").unwrap().attributes[0].1.clone();
            assert_eq!(id, last_id + 1);
            assert!(time > last_time, "{time} after {last_time}");
            last_id = id;
            last_time = time;
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_events() {
        let mut a = Generator::new(3);
        let mut b = Generator::new(3);
        for _ in 0..100 {
            assert_eq!(a.next_event(), b.next_event());
        }
    }
}
