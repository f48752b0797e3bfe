"""Event groups of Remote Desktop connections and of the background around them.

Each function writes the events one real component writes for one step (a client attempt,
a server-side connection, a logon, a service state change), so that the scenarios in
gen_samples.py read as stories instead of as lists of records.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from winevent import LSM_ACTIVITY, Host, Log, user_hash, utf16_hex

S = dt.timedelta(seconds=1)


def secs(x: float) -> dt.timedelta:
    return dt.timedelta(seconds=x)


def guid(rng: random.Random, etw_style: bool = False) -> str:
    """An ActivityID. RdpCoreTS/ClientActiveXCore activity ids end in 0000 on real hosts."""
    a = rng.getrandbits(32)
    b, c, d = rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16)
    e = rng.getrandbits(48)
    if etw_style:
        e = (e >> 16) << 16
    return f"{{{a:08X}-{b:04X}-{c:04X}-{d:04X}-{e:012X}}}"


@dataclass
class Org:
    """A customer environment: AD domain, NetBIOS domain, domain SID, users."""
    dns: str
    netbios: str
    sid: str
    dc: str
    dc_ip: str
    users: dict = field(default_factory=dict)   # login -> RID

    def user_sid(self, login: str) -> str:
        return f"{self.sid}-{self.users[login]}"


def make_org(rng: random.Random, dns: str, netbios: str, dc: str, dc_ip: str, logins: list[str]) -> Org:
    sid = f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**8, 4 * 10**9)}"
    org = Org(dns=dns, netbios=netbios, sid=sid, dc=dc, dc_ip=dc_ip)
    rid = rng.randrange(1104, 1400)
    for login in logins:
        org.users[login] = rid
        rid += rng.randrange(1, 40)
    return org


# --------------------------------------------------------------------------------------------
# client side: Microsoft-Windows-TerminalServices-RDPClient/Operational


@dataclass
class Attempt:
    activity: str
    start: dt.datetime
    end: dt.datetime


def client_226(log: Log, t, act, user, pid, machine: str, prev: tuple, new: tuple, event: tuple, code: int):
    """RDPClient 226 state-machine error; field names as in real exports (note 'Error Code')."""
    log.add(t, "client", 226, level=3, task=104, opcode=19, activity=act, user=user, pid=pid, data=[
        ("StateTransitionName", machine), ("PreviousState", prev[0]), ("PreviousStateName", prev[1]),
        ("NewState", new[0]), ("NewStateName", new[1]), ("Event", event[0]), ("EventName", event[1]),
        ("Error Code", code)])


def client_attempt(log: Log, rng: random.Random, t: dt.datetime, target: str, *, user_sid: str,
                   typed_user: str, outcome: str, reason: int, server_ip: str | None = None,
                   domain: str | None = None, session: int | None = None,
                   duration: float = 0.0, udp: bool = True, think: float | None = None,
                   ssl: str = "supported", lag: float | None = None) -> Attempt:
    """One mstsc attempt. outcome: 'success' (1027, later 1026 with `reason` after `duration` s),
    'tcp' (TCP connect timed out: dropped), 'refused' (TCP reset at once: nothing listening),
    'x224' (closed during negotiation), 'ssl' (closed by the client after negotiation),
    'tls' (closed during TLS), 'auth' (closed after the credentials were sent),
    'session' (closed after the transport connected, before logon completed)."""
    act = guid(rng, etw_style=True)
    pid = log.host.new_pid()
    kw = dict(activity=act, user=user_sid, pid=pid)

    def nv(name, value):
        return [("Name", name), ("Value", value), ("CustomLevel", "Info")]

    log.add(t, "client", 1024, data=nv("Server Name", target), **kw)
    if outcome == "tcp":
        end = t + secs(21.0 + rng.random() * 0.4)
        client_226(log, end - secs(0.002), act, user_sid, pid, "RDPClient_TCP", (1, "TcpStateConnectingTransport"),
                   (11, "TcpStateDisconnected"), (2, "TcpEventConnectionTimeout"), 2147500036)
        log.add(end, "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
        return Attempt(act, t, end)
    if outcome == "refused":
        end = t + secs(2.0 + rng.random() * 0.5)   # mstsc retries the reset connection before giving up
        log.add(end, "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
        return Attempt(act, t, end)
    tt = t + secs(0.05 + rng.random() * 0.08)
    if outcome == "x224":
        end = tt + secs(0.03)
        log.add(end, "client", 1105, **kw)
        log.add(end, "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
        return Attempt(act, t, end)
    log.add(tt, "client", 1028, data=[("TraceMessage", ssl)], **kw)
    if outcome == "ssl":
        end = tt + secs(lag if lag is not None else 0.3 + rng.random() * 0.4)
        log.add(end, "client", 1105, **kw)
        log.add(end, "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
        return Attempt(act, t, end)
    if outcome == "tls":
        end = tt + secs(0.04 + rng.random() * 0.1)
        client_226(log, end, act, user_sid, pid, "RDPClient_SSL", (2, "TsSslStateHandshakeInProgress"),
                   (0, "TsSslStateDisconnected"), (4, "TsSslEventHandshakeContinueFailed"), 2148074278)
        log.add(end, "client", 1105, **kw)
        log.add(end, "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
        return Attempt(act, t, end)
    # the user types (or the client supplies saved) credentials
    tt += secs(think if think is not None else 3 + rng.random() * 9)
    log.add(tt, "client", 1029, data=[("TraceMessage", user_hash(typed_user))], **kw)
    if outcome == "auth":
        end = tt + secs(lag if lag is not None else 0.3 + rng.random() * 0.5)
        log.add(end, "client", 1105, **kw)
        log.add(end, "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
        return Attempt(act, t, end)
    tt += secs(0.05 + rng.random() * 0.05)
    if server_ip:
        log.add(tt, "client", 1102, data=nv("ServerAddress", server_ip), **kw)
        tt += secs(0.03 + rng.random() * 0.05)
        log.add(tt, "client", 1103 if udp else 1104, **kw)
    tt += secs(0.1 + rng.random() * 0.1)
    log.add(tt, "client", 1025, **kw)
    if outcome == "session":
        end = tt + secs(lag if lag is not None else 0.6 + rng.random() * 1.5)
        log.add(end, "client", 1105, **kw)
        log.add(end, "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
        return Attempt(act, t, end)
    tt += secs(1.2 + rng.random() * 2)
    log.add(tt, "client", 1027, data=[("DomainName", domain or ""), ("SessionId", session or 2)], **kw)
    end = tt + secs(duration)
    log.add(end, "client", 1105, **kw)
    log.add(end + secs(0.001), "client", 1026, opcode=11, data=nv("Disconnect Reason", reason), **kw)
    return Attempt(act, t, end)


def client_message(ev) -> str | None:
    """English messages of the ClientActiveXCore events, for logs saved with display information."""
    f = {k: v for k, v in ev.data or [] if isinstance((k, v), tuple)} if ev.data and isinstance(ev.data[0], tuple) else {}
    return {
        1024: lambda: f"RDP ClientActiveX is trying to connect to the server ({f.get('Value')})",
        1025: lambda: "RDP ClientActiveX has connected to the server",
        1026: lambda: f"RDP ClientActiveX has been disconnected (Reason= {f.get('Value')})",
        1027: lambda: f"Connected to domain ({f.get('DomainName')}) with session {f.get('SessionId')}.",
        1028: lambda: f"Server supports SSL = {f.get('TraceMessage')}",
        1029: lambda: f"Base64(SHA256(UserName)) is = {f.get('TraceMessage')}",
        1102: lambda: f"The client has initiated a multi-transport connection to the server {f.get('Value')}.",
        1103: lambda: "The client has established a multi-transport connection to the server.",
        1104: lambda: "The client failed to establish the multi-transport connection.",
        1105: lambda: "The multi-transport connection has been disconnected.",
    }.get(ev.eid, lambda: None)()


# --------------------------------------------------------------------------------------------
# server side


@dataclass
class ServerLogs:
    host: Host
    system: Log | None = None
    security: Log | None = None
    core: Log | None = None
    lsm: Log | None = None
    rcm: Log | None = None
    rcm_admin: Log | None = None
    firewall: Log | None = None
    sbc: Log | None = None
    conn_no: int = 0
    next_session: int = 2

    def all(self) -> list[Log]:
        return [x for x in (self.system, self.security, self.core, self.lsm, self.rcm, self.rcm_admin,
                            self.firewall, self.sbc) if x is not None]


def core_accept(s: ServerLogs, rng: random.Random, t: dt.datetime, client_ip: str, port: int) -> str:
    """RdpCoreTS: the TCP connection reached the RDP stack (131, 65, 72, 141) and RCM 261."""
    act = guid(rng, etw_style=True)
    s.conn_no += 1
    if s.core:
        c = s.core
        c.add(t, "core", 131, data=[("ConnType", "TCP"), ("ClientIP", f"{client_ip}:{port}")], activity=act)
        c.add(t + secs(0.003), "core", 65, opcode=13, data=[("ConnectionName", f"RDP-Tcp#{s.conn_no}")], activity=act)
        c.add(t + secs(0.005), "core", 72, opcode=13, data=[("MethodName", "PrepareForAccept")], activity=act)
        c.add(t + secs(0.006), "core", 141, opcode=11, data=[("InstanceID", s.conn_no)], activity=act)
    if s.rcm:
        s.rcm.add(t + secs(0.001), "rcm_op", 261, activity=act,
                  userdata=("EventXML", "Event_NS", [("listenerName", "RDP-Tcp")]))
    return act


def core_drop(s: ServerLogs, t: dt.datetime, act: str, reason: int | None = None):
    """RdpCoreTS: the server terminated the main connection (102, optional 103)."""
    if s.core:
        s.core.add(t, "core", 72, opcode=13, data=[("MethodName", "OnDisconnected")], activity=act)
        s.core.add(t + secs(0.001), "core", 102, opcode=17, activity=act)
        if reason is not None:
            s.core.add(t + secs(0.002), "core", 103, opcode=17, data=[("ReasonCode", reason)], activity=act)


SEC_FAIL_KW = "0x8010000000000000"


def sec_4624(log: Log, t, org: Org | None, *, host: Host, user: str, user_sid: str, domain: str,
             logon_type: int, logon_id: int, ip: str = "-", port: str = "-", workstation: str = "-",
             process: str = "lsass", package: str = "Negotiate", logon_process: str = "User32 ",
             elevated: bool = False, linked: int = 0, activity: str | None = None):
    subj = ("S-1-5-18", f"{host.name}$", org.netbios if org else "WORKGROUP", "0x3e7")
    proc = {"lsass": ("0x0", "-"), "svchost": (hex(host.pids["termsvc"]), r"C:\Windows\System32\svchost.exe"),
            "services": (hex(host.pids["services"]), r"C:\Windows\System32\services.exe")}[process]
    if process == "lsass":
        subj = ("S-1-0-0", "-", "-", "0x0")
    log.add(t, "sec", 4624, version=2, activity=activity, data=[
        ("SubjectUserSid", subj[0]), ("SubjectUserName", subj[1]), ("SubjectDomainName", subj[2]),
        ("SubjectLogonId", subj[3]), ("TargetUserSid", user_sid), ("TargetUserName", user),
        ("TargetDomainName", domain), ("TargetLogonId", hex(logon_id)), ("LogonType", logon_type),
        ("LogonProcessName", logon_process), ("AuthenticationPackageName", package),
        ("WorkstationName", workstation),
        ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"), ("TransmittedServices", "-"),
        ("LmPackageName", "NTLM V2" if package == "NTLM" else "-"),
        ("KeyLength", 128 if package == "NTLM" else 0), ("ProcessId", proc[0]), ("ProcessName", proc[1]),
        ("IpAddress", ip), ("IpPort", port), ("ImpersonationLevel", "%%1833"),
        ("RestrictedAdminMode", "%%1843" if logon_type == 10 else "-"), ("TargetOutboundUserName", "-"),
        ("TargetOutboundDomainName", "-"), ("VirtualAccount", "%%1843"), ("TargetLinkedLogonId", hex(linked)),
        ("ElevatedToken", "%%1842" if elevated else "%%1843")])


def sec_4625(log: Log, t, *, host: Host, org: Org | None, user: str, domain: str, status: str, substatus: str,
             logon_type: int, ip: str, port: str, workstation: str, package: str = "NTLM",
             logon_process: str = "NtLmSsp ", failure: str = "%%2313", process: str = "-", pid: str = "0x0"):
    subj = ("S-1-0-0", "-", "-", "0x0")
    if logon_type == 10:
        subj = ("S-1-5-18", f"{host.name}$", org.netbios if org else "WORKGROUP", "0x3e7")
    log.add(t, "sec", 4625, kw=SEC_FAIL_KW, data=[
        ("SubjectUserSid", subj[0]), ("SubjectUserName", subj[1]), ("SubjectDomainName", subj[2]),
        ("SubjectLogonId", subj[3]), ("TargetUserSid", "S-1-0-0"), ("TargetUserName", user),
        ("TargetDomainName", domain), ("Status", status), ("FailureReason", failure), ("SubStatus", substatus),
        ("LogonType", logon_type), ("LogonProcessName", logon_process), ("AuthenticationPackageName", package),
        ("WorkstationName", workstation), ("TransmittedServices", "-"), ("LmPackageName", "-"),
        ("KeyLength", 0), ("ProcessId", pid), ("ProcessName", process), ("IpAddress", ip), ("IpPort", port)])


def sec_4634(log: Log, t, *, user: str, user_sid: str, domain: str, logon_id: int, logon_type: int):
    log.add(t, "sec", 4634, task=12545, data=[
        ("TargetUserSid", user_sid), ("TargetUserName", user), ("TargetDomainName", domain),
        ("TargetLogonId", hex(logon_id)), ("LogonType", logon_type)])


PRIVS_ADMIN = ("SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\t"
               "SeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\t"
               "SeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege")
PRIVS_SYSTEM = ("SeAssignPrimaryTokenPrivilege\r\n\t\t\tSeTcbPrivilege\r\n\t\t\tSeSecurityPrivilege\r\n\t\t\t"
                "SeTakeOwnershipPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\t"
                "SeRestorePrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeAuditPrivilege\r\n\t\t\t"
                "SeSystemEnvironmentPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege")


def sec_4672(log: Log, t, *, user: str, user_sid: str, domain: str, logon_id: int, privs: str = PRIVS_ADMIN):
    log.add(t, "sec", 4672, task=12548, data=[
        ("SubjectUserSid", user_sid), ("SubjectUserName", user), ("SubjectDomainName", domain),
        ("SubjectLogonId", hex(logon_id)), ("PrivilegeList", privs)])


def sec_4688(log: Log, t, *, host: Host, org: Org | None, image: str, cmdline: str, parent: str,
             user: str | None = None, user_sid: str = "S-1-5-18", domain: str | None = None,
             logon_id: int = 0x3E7, elevation: str = "%%1936", label: str = "S-1-16-16384"):
    log.add(t, "sec", 4688, version=2, task=13312, data=[
        ("SubjectUserSid", user_sid), ("SubjectUserName", user or f"{host.name}$"),
        ("SubjectDomainName", domain or (org.netbios if org else "WORKGROUP")), ("SubjectLogonId", hex(logon_id)),
        ("NewProcessId", hex(host.new_pid())), ("NewProcessName", image), ("TokenElevationType", elevation),
        ("ProcessId", hex(host.new_pid())), ("CommandLine", cmdline), ("TargetUserSid", "S-1-0-0"),
        ("TargetUserName", "-"), ("TargetDomainName", "-"), ("TargetLogonId", "0x0"),
        ("ParentProcessName", parent), ("MandatoryLabel", label)])


def lsm(log: Log, t, eid: int, user: str | None, session: int, address: str | None = None, reason: int | None = None):
    """LocalSessionManager 21-25 (User, SessionID, Address), 40 (Session, Reason), 41/42."""
    if eid == 40:
        items = [("Session", session), ("Reason", reason if reason is not None else 0)]
    elif eid in (23, 41, 42):
        items = [("User", user), ("SessionID", session)]
    else:
        items = [("User", user), ("SessionID", session), ("Address", address or "LOCAL")]
    log.add(t, "lsm", eid, activity=LSM_ACTIVITY, userdata=("EventXML", "Event_NS", items))


def server_session(s: ServerLogs, rng: random.Random, org: Org | None, t: dt.datetime, *, client_ip: str,
                   port: int, client_name: str, login: str, duration: float, end: str = "logoff",
                   admin: bool = False, kerberos: bool = True, lsm_reason: int = 11) -> dict:
    """A successful connection of some user on the server: RdpCoreTS, RCM 261/1149, Security 4624
    type 3 (NLA) and type 10, LSM 21/22, later LSM 24/40 (disconnect) or 23 (logoff)."""
    act = core_accept(s, rng, t, client_ip, port)
    h = s.host
    dom = org.netbios if org else h.name
    sid = org.user_sid(login) if org and login in org.users else f"S-1-5-21-1-2-3-{rng.randrange(1001, 1100)}"
    full = f"{dom}\\{login}"
    tt = t + secs(0.6 + rng.random() * 0.5)
    if s.core:
        s.core.add(tt, "core", 72, opcode=13, data=[("MethodName", "OnStartLicensing")], activity=act)
        s.core.add(tt + secs(0.001), "core", 72, opcode=13, data=[("MethodName", "AcceptConnection")], activity=act)
        s.core.add(tt + secs(0.003), "core", 98, activity=act)
    nla = t + secs(2 + rng.random() * 6)
    lid3 = rng.randrange(0x100000, 0x9FFFFFF)
    if s.security:
        if kerberos:
            sec_4624(s.security, nla, org, host=h, user=login, user_sid=sid, domain=dom, logon_type=3,
                     logon_id=lid3, ip=client_ip, port=str(port), workstation="-", package="Kerberos",
                     logon_process="Kerberos")
        else:
            sec_4624(s.security, nla, org, host=h, user=login, user_sid=sid, domain=dom, logon_type=3,
                     logon_id=lid3, ip=client_ip, port=str(port), workstation=client_name, package="NTLM",
                     logon_process="NtLmSsp ")
        if admin:
            sec_4672(s.security, nla, user=login, user_sid=sid, domain=dom, logon_id=lid3)
        sec_4634(s.security, nla + secs(0.4), user=login, user_sid=sid, domain=dom, logon_id=lid3, logon_type=3)
    if s.rcm:
        s.rcm.add(nla + secs(0.05), "rcm_op", 1149, activity=act, userdata=("EventXML", "Event_NS", [
            ("Param1", login), ("Param2", dom), ("Param3", client_ip)]))
    session = s.next_session
    s.next_session += 1
    logon = nla + secs(0.8 + rng.random() * 1.5)
    if s.core:
        s.core.add(logon - secs(0.2), "core", 131, data=[("ConnType", "UDP"), ("ClientIP", f"[{client_ip}]:{port + rng.randrange(3, 40)}")],
                   activity=guid(rng, etw_style=True))
        s.core.add(logon, "core", 66, opcode=13, data=[("ConnectionName", f"RDP-Tcp#{s.conn_no}"), ("SessionID", session)],
                   activity=act)
    lid10 = rng.randrange(0x100000, 0x9FFFFFF)
    if s.security:
        sec_4624(s.security, logon + secs(0.1), org, host=h, user=login, user_sid=sid, domain=dom, logon_type=10,
                 logon_id=lid10, ip=client_ip, port="0", workstation=h.name, process="svchost",
                 package="Negotiate", elevated=admin, linked=lid10 + 0x21 if admin else 0)
        if admin:
            sec_4672(s.security, logon + secs(0.1), user=login, user_sid=sid, domain=dom, logon_id=lid10)
    if s.lsm:
        lsm(s.lsm, logon + secs(0.6), 21, full, session, client_ip)
        lsm(s.lsm, logon + secs(1.9), 22, full, session, client_ip)
    stop = logon + secs(duration)
    if s.lsm:
        if end == "logoff":
            lsm(s.lsm, stop, 23, full, session)
        else:
            lsm(s.lsm, stop, 40, None, session, reason=lsm_reason)
            lsm(s.lsm, stop + secs(0.02), 24, full, session, client_ip)
    if s.security and end == "logoff":
        sec_4634(s.security, stop + secs(0.8), user=login, user_sid=sid, domain=dom, logon_id=lid10, logon_type=10)
    if s.core:
        s.core.add(stop, "core", 72, opcode=13, data=[("MethodName", "OnDisconnected")], activity=act)
        s.core.add(stop + secs(0.001), "core", 102, opcode=17, activity=act)
        s.core.add(stop + secs(0.002), "core", 103, opcode=17, data=[("ReasonCode", 0)], activity=act)
    return dict(activity=act, session=session, logon=logon, stop=stop, sid=sid, full=full)


# --------------------------------------------------------------------------------------------
# System log: services, Schannel, classic RCM


SERVICES = [
    ("Windows Modules Installer", "TrustedInstaller"), ("WinHTTP Web Proxy Auto-Discovery Service", "WinHttpAutoProxySvc"),
    ("Windows Update", "wuauserv"), ("Background Intelligent Transfer Service", "BITS"),
    ("Device Setup Manager", "DsmSvc"), ("Network Setup Service", "NetSetupSvc"), ("Software Protection", "sppsvc"),
    ("Windows Error Reporting Service", "WerSvc"), ("Delivery Optimization", "DoSvc"), ("Storage Service", "StorSvc"),
    ("Microsoft Defender Antivirus Service", "WinDefend"), ("Windows Installer", "msiserver"),
    ("Application Information", "Appinfo"), ("Volume Shadow Copy", "VSS"), ("Microsoft Software Shadow Copy Provider", "swprv"),
    ("Windows Management Instrumentation", "Winmgmt"), ("Print Spooler", "Spooler"),
]
STATE = {"running": 4, "stopped": 1}


def scm_7036(log: Log, t, display: str, key: str, state: str):
    log.add(t, "scm", 7036, qualifiers=16384, data=[("param1", display), ("param2", state)],
            binary=utf16_hex(f"{key}/{STATE[state]}"))


def schannel(log: Log, t, eid: int, data: list, level: int = 2):
    log.add(t, "schannel", eid, level=level, data=data)


def rcm_classic(log: Log, t, eid: int, strings: list, binary: str | None = None, level: int = 2,
                qualifiers: int = 49152):
    log.add(t, "rcm_sys", eid, level=level, qualifiers=qualifiers, data=strings, binary=binary)


def bg_system(log: Log, rng: random.Random, start: dt.datetime, end: dt.datetime, *, server: bool,
              dc: str | None = None, busy: float = 1.0):
    """Ordinary System noise: on-demand services starting and stopping, time sync, group policy,
    registry hive flushes, a DNS timeout now and then."""
    t = start + secs(rng.random() * 600)
    while t < end:
        display, key = rng.choice(SERVICES)
        scm_7036(log, t, display, key, "running")
        if rng.random() < 0.85:
            scm_7036(log, t + secs(rng.randrange(30, 900)), display, key, "stopped")
        t += secs(rng.randrange(900, 2700) / busy)
    t = start + secs(rng.randrange(200, 3000))
    while t < end:
        if dc:
            log.add(t, "gp", 1502, data=[("SupportInfo1", 1), ("SupportInfo2", rng.randrange(3000, 4500)),
                                         ("ProcessingMode", 0), ("ProcessingTimeInMilliseconds", rng.randrange(300, 4800)),
                                         ("DCName", f"\\\\{dc}"), ("NumberOfGroupPolicyObjects", rng.randrange(3, 14))],
                    activity=guid(rng))
        t += secs(rng.randrange(5000, 6600))
    t = start + secs(rng.randrange(100, 2000))
    while t < end:
        log.add(t, "kgen", 16, data=[("HiveNameLength", 36), ("HiveName", r"\SystemRoot\System32\Config\SOFTWARE"),
                                     ("KeysUpdated", rng.randrange(20, 900)), ("DirtyPages", rng.randrange(4, 160))])
        t += secs(rng.randrange(3000, 9000))
    if dc:
        t = start + secs(rng.randrange(600, 4000))
        log.add(t, "time", 37, data=[("TimeSource", f"{dc} (ntp.d|0.0.0.0:123->{dc}:123)")])
    if not server and rng.random() < 0.8:
        t = start + secs(rng.randrange(600, 9000))
        if t < end:
            log.add(t, "dns", 1014, data=[("QueryName", rng.choice(["wpad", "login.microsoftonline.com", "settings-win.data.microsoft.com"])),
                                          ("AddressLength", 128), ("Address", "0" * 256)])


def bg_security(log: Log, rng: random.Random, org: Org | None, host: Host, start: dt.datetime, end: dt.datetime,
                *, peers: list[tuple[str, str]], service_accounts: list[str], busy: float = 1.0):
    """Security noise: network logons of service accounts and machine accounts from peers
    (4624 type 3 + 4634), service logons (4624 type 5 + 4672), process creation (4688)."""
    dom = org.netbios if org else host.name
    t = start + secs(rng.random() * 300)
    while t < end:
        r = rng.random()
        lid = rng.randrange(0x200000, 0xFFFFFFF)
        if r < 0.55 and peers:
            name, ip = rng.choice(peers)
            acct = rng.choice(service_accounts) if service_accounts and rng.random() < 0.6 else f"{name}$"
            sid = org.user_sid(acct) if org and acct in org.users else f"{org.sid if org else 'S-1-5-21-0-0-0'}-{rng.randrange(1500, 4000)}"
            sec_4624(log, t, org, host=host, user=acct, user_sid=sid, domain=dom, logon_type=3, logon_id=lid,
                     ip=ip, port=str(rng.randrange(49700, 65000)), package="Kerberos", logon_process="Kerberos")
            if not acct.endswith("$") and rng.random() < 0.5:
                sec_4672(log, t, user=acct, user_sid=sid, domain=dom, logon_id=lid)
            sec_4634(log, t + secs(rng.randrange(1, 40)), user=acct, user_sid=sid, domain=dom, logon_id=lid, logon_type=3)
        elif r < 0.7:
            sec_4624(log, t, org, host=host, user="SYSTEM", user_sid="S-1-5-18", domain="NT AUTHORITY", logon_type=5,
                     logon_id=0x3E7, process="services", package="Negotiate", logon_process="Advapi  ", elevated=True)
            sec_4672(log, t, user="SYSTEM", user_sid="S-1-5-18", domain="NT AUTHORITY", logon_id=0x3E7, privs=PRIVS_SYSTEM)
        else:
            image, cmd, parent = rng.choice([
                (r"C:\Windows\System32\svchost.exe", r"C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS", r"C:\Windows\System32\services.exe"),
                (r"C:\Windows\System32\wbem\WmiPrvSE.exe", r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding", r"C:\Windows\System32\svchost.exe"),
                (r"C:\Windows\System32\taskhostw.exe", r"taskhostw.exe", r"C:\Windows\System32\svchost.exe"),
                (r"C:\Windows\System32\conhost.exe", r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1", r"C:\Windows\System32\cmd.exe"),
                (r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpCmdRun.exe",
                 r"\"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpCmdRun.exe\" SignatureUpdate -ScheduleJob -RestrictPrivileges",
                 r"C:\Windows\System32\svchost.exe"),
                (r"C:\Windows\System32\sppsvc.exe", r"C:\Windows\system32\sppsvc.exe", r"C:\Windows\System32\services.exe"),
                (r"C:\Windows\System32\CompatTelRunner.exe", r"C:\Windows\system32\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun", r"C:\Windows\System32\svchost.exe"),
            ])
            sec_4688(log, t, host=host, org=org, image=image, cmdline=cmd, parent=parent)
        t += secs(rng.randrange(300, 1500) / busy)


def bg_client_sessions(log: Log, rng: random.Random, start: dt.datetime, end: dt.datetime, *, user_sid: str,
                       typed_user: str, targets: list[tuple[str, str]], domain: str, count: int) -> list[Attempt]:
    """Earlier successful RDP sessions from the client (to the same or other servers)."""
    out = []
    span = (end - start).total_seconds()
    slots = sorted(rng.random() for _ in range(count))
    for i, frac in enumerate(slots):
        t = start + secs(span * frac * 0.9)
        target, ip = targets[i % len(targets)]
        dur = rng.randrange(240, max(300, int(span * 0.08)))
        if out and t < out[-1].end + secs(30):
            t = out[-1].end + secs(rng.randrange(60, 600))
        if t + secs(dur) > end:
            break
        out.append(client_attempt(log, rng, t, target, user_sid=user_sid, typed_user=typed_user, outcome="success",
                                  reason=rng.choice([1, 1, 2, 3]), server_ip=ip, domain=domain,
                                  session=rng.randrange(2, 9), duration=dur, udp=rng.random() < 0.8))
    return out


def scm_crash(log: Log, t, display: str, key: str, count: int, *, restart_ms: int | None):
    """SCM 7031 (terminated, a recovery action follows) or 7034 (terminated, no action)."""
    if restart_ms is None:
        log.add(t, "scm", 7034, level=2, qualifiers=49152, data=[("param1", display), ("param2", count)],
                binary=utf16_hex(key))
    else:
        log.add(t, "scm", 7031, level=2, qualifiers=49152, data=[
            ("param1", display), ("param2", count), ("param3", restart_ms), ("param4", 1),
            ("param5", "Restart the service")], binary=utf16_hex(key))


def scm_7040(log: Log, t, display: str, old: str, new: str, key: str):
    log.add(t, "scm", 7040, qualifiers=16384, user="S-1-5-18", data=[
        ("param1", display), ("param2", old), ("param3", new), ("param4", key)])


def core_listen(s: ServerLogs, t, port: int):
    """RdpCoreTS 129: the listener binds its port (field names as in real exports)."""
    if s.core:
        s.core.add(t, "core", 129, opcode=18, data=[("TransportProtocolName", "TCP"), ("Port", port)],
                   activity=guid(random.Random(int(t.timestamp())), etw_style=True))
        s.core.add(t + secs(0.01), "core", 129, opcode=18, data=[("TransportProtocolName", "UDP"), ("Port", port)],
                   activity=guid(random.Random(int(t.timestamp()) + 1), etw_style=True))


def wfp_5157(log: Log, rng: random.Random, t, *, host: Host, local_ip: str, local_port: int, remote_ip: str,
             remote_port: int):
    """Security 5157, inbound: Source* is the local (listening) side, Dest* the remote host."""
    log.add(t, "sec", 5157, version=1, task=12810, kw="0x8010000000000000", pid="system", data=[
        ("ProcessID", host.pids["termsvc"]), ("Application", r"\device\harddiskvolume2\windows\system32\svchost.exe"),
        ("Direction", "%%14592"), ("SourceAddress", local_ip), ("SourcePort", local_port),
        ("DestAddress", remote_ip), ("DestPort", remote_port), ("Protocol", 6),
        ("FilterRTID", 0), ("LayerName", "%%14610"), ("LayerRTID", 44),
        ("RemoteUserID", "S-1-0-0"), ("RemoteMachineID", "S-1-0-0")])


def fw_rule(log: Log, t, eid: int, *, rule_id: str, name: str, protocol: int, local_ports: str, remote: str,
            user_sid: str, context: str = "@FirewallAPI.dll,-28752", service: str = "termservice"):
    """Firewall 2004/2005 (rule added/modified) with the fields of real exports."""
    log.add(t, "fw", eid, data=[
        ("RuleId", rule_id), ("RuleName", name), ("Origin", 1),
        ("ApplicationPath", r"%SystemRoot%\system32\svchost.exe"), ("ServiceName", service), ("Direction", 1),
        ("Protocol", protocol), ("LocalPorts", local_ports), ("RemotePorts", "*"), ("Action", 3), ("Profiles", 1),
        ("LocalAddresses", "*"), ("RemoteAddresses", remote), ("RemoteMachineAuthorizationList", ""),
        ("RemoteUserAuthorizationList", ""), ("EmbeddedContext", context), ("Flags", 1), ("Active", 1),
        ("EdgeTraversal", 0), ("LooseSourceMapped", 0), ("SecurityOptions", 0), ("ModifyingUser", user_sid),
        ("ModifyingApplication", r"C:\Windows\System32\mmc.exe"), ("SchemaVersion", 542), ("RuleStatus", 65536),
        ("LocalOnlyMapped", 0)])


def gateway(log: Log, t, eid: int, *, user: str, ip: str, resource: str = "", auth: str = "NTLM",
            proto: str = "", error: int = 0, extra: list | None = None, level: int = 4, activity: str | None = None):
    """RD Gateway Operational events: UserData/EventInfo in the 'aag' namespace."""
    task = {200: 2, 201: 2, 300: 5, 301: 5, 302: 3, 303: 3}.get(eid, 3)
    kw = "0x4020000001000000" if eid in (200, 300) else "0x4000000001000000"
    items = [("Username", user), ("IpAddress", ip), ("AuthType", auth), ("Resource", resource),
             ("ConnectionProtocol", proto)] + (extra or []) + [("ErrorCode", error)]
    log.add(t, "gw", eid, task=task, level=level, kw=kw, activity=activity, userdata=("EventInfo", "aag", items))
