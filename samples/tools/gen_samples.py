#!/usr/bin/env python3
"""Writes samples/<scenario>/source/**.xml and samples/<scenario>/expected.json.

Usage: python3 samples/tools/gen_samples.py [SCENARIO...]   (from the project root)

Deterministic: every scenario draws from its own random.Random seeded with the CRC32 of its
name, so re-running rewrites identical files. The .evtx files under samples/<scenario>/logs/
are made from source/ by `evident samples build samples`, never by this script.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import zlib
from pathlib import Path

sys.dont_write_bytecode = True   # keep samples/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rdp import (Org, ServerLogs, bg_client_sessions, bg_security, bg_system, client_attempt,  # noqa: E402
                 core_accept, core_drop, guid, lsm, make_org, rcm_classic, schannel, scm_7036, sec_4624,
                 sec_4625, sec_4634, sec_4672, sec_4688, secs, server_session, utf16_hex,
                 scm_crash, scm_7040, core_listen, wfp_5157, fw_rule, gateway, client_message)
from winevent import Host, Log, write_logs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CLIENT_RDP = "Microsoft-Windows-TerminalServices-RDPClient/Operational"
CORE = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"
LSM = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
RCM_OP = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
RCM_ADMIN = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin"
FIREWALL = "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"
GATEWAY = "Microsoft-Windows-TerminalServices-Gateway/Operational"
SBC = "Microsoft-Windows-TerminalServices-SessionBroker-Client/Operational"
SB = "Microsoft-Windows-TerminalServices-SessionBroker/Operational"


class Scenario:
    """One sample: hosts, their exported logs, and what a correct diagnosis must say."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rng = random.Random(zlib.crc32(name.encode()))
        self.folders: dict[str, list[Log]] = {}

    def host(self, name: str, domain: str | None, ip: str, offset: float = 0.0, os: str = "2022") -> Host:
        return Host(name=name.upper(), domain=domain, ip=ip, rng=random.Random(zlib.crc32((self.name + name).encode())),
                    offset=offset, os=os)

    def log(self, folder: str, host: Host, channel: str) -> Log:
        first = {CLIENT_RDP: (180, 4200), "System": (20000, 160000), "Security": (300000, 9000000),
                 CORE: (2000, 60000), LSM: (300, 9000), RCM_OP: (500, 20000), RCM_ADMIN: (20, 900),
                 FIREWALL: (100, 3000), GATEWAY: (1000, 50000), SBC: (30, 2000), SB: (100, 8000)}[channel]
        log = Log(host, channel, self.rng.randrange(*first))
        self.folders.setdefault(folder, []).append(log)
        return log

    def client(self, host: Host, system: bool = False) -> tuple[Log, Log | None]:
        folder = f"client-{host.name.lower()}"
        rdp = self.log(folder, host, CLIENT_RDP)
        return rdp, (self.log(folder, host, "System") if system else None)

    def server(self, host: Host, *channels: str, prefix: str = "server") -> ServerLogs:
        folder = f"{prefix}-{host.name.lower()}"
        s = ServerLogs(host=host, conn_no=self.rng.randrange(3, 400), next_session=self.rng.randrange(2, 6))
        attr = {"System": "system", "Security": "security", CORE: "core", LSM: "lsm", RCM_OP: "rcm",
                RCM_ADMIN: "rcm_admin", FIREWALL: "firewall", SBC: "sbc"}
        for ch in channels:
            setattr(s, attr[ch], self.log(folder, host, ch))
        return s

    def write(self, description: str, first: str | None, confidence: str | None, must_not: list[str]) -> None:
        out = ROOT / self.name
        for folder, logs in self.folders.items():
            write_logs(out, folder, logs)
        expected = {"scenario": self.name, "description": description, "first": first,
                    "confidence": confidence, "must_not_claim": must_not}
        (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


def T(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def ports(rng: random.Random, n: int) -> list[int]:
    p = rng.randrange(49700, 63000)
    out = []
    for _ in range(n):
        p += rng.randrange(1, 60)
        out.append(p)
    return out


# ============================================================================================
# scenarios


def tls_mismatch() -> None:
    sc = Scenario("tls-mismatch")
    r = sc.rng
    org = make_org(r, "corp.fabrikam.com", "FABRIKAM", "DC01.corp.fabrikam.com", "10.10.0.10",
                   ["jmorales", "kpatel", "svc-backup", "svc-scom", "alee", "rnguyen"])
    cl = sc.host("JUMP-OLD02", org.dns, "10.10.40.22", os="2008r2")
    srv = sc.host("RDS-ENG01", org.dns, "10.10.20.15", offset=47.3)
    crdp, csys = sc.client(cl, system=True)
    s = sc.server(srv, "System", CORE)
    t0 = T("2026-03-10T07:52:13.418")
    start, end = t0 - secs(5 * 3600), t0 + secs(50 * 60)
    sid = org.user_sid("jmorales")
    # earlier in the day the jump host reached older servers that still offer its TLS 1.0 suites
    bg_client_sessions(crdp, r, start, t0 - secs(1800), user_sid=sid, typed_user="FABRIKAM\\jmorales",
                       targets=[("fs-legacy01", "10.10.21.4"), ("10.10.21.9", "10.10.21.9")], domain="FABRIKAM", count=3)
    bg_system(csys, r, start, end, server=False, dc=org.dc)
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    # the cipher-suite hardening GPO reached the server at 06:31
    s.system.add(T("2026-03-10T06:31:02.551"), "gp", 1502, data=[
        ("SupportInfo1", 1), ("SupportInfo2", 3641), ("ProcessingMode", 0), ("ProcessingTimeInMilliseconds", 2968),
        ("DCName", f"\\\\{org.dc}"), ("NumberOfGroupPolicyObjects", 11)], activity=guid(r))
    # other (Windows 11) clients keep working before and after
    for i, (when, ip, login) in enumerate([("06:58:40", "10.10.41.57", "kpatel"), ("07:21:05", "10.10.41.88", "alee"),
                                           ("07:55:31", "10.10.41.57", "kpatel"), ("08:20:12", "10.10.42.19", "rnguyen")]):
        server_session(s, r, org, T(f"2026-03-10T{when}.2"), client_ip=ip, port=ports(r, 1)[0], client_name=f"WS-{i}",
                       login=login, duration=r.randrange(600, 2400))
    # the failing attempts: TLS 1.0 offer with CBC-only suites, server allows only ECDHE-GCM suites
    for k, (delay, port) in enumerate(zip([0, 41.2, 125.7], ports(r, 3))):
        t = t0 + secs(delay)
        a = client_attempt(crdp, r, t, "rds-eng01.corp.fabrikam.com", user_sid=sid, typed_user="FABRIKAM\\jmorales",
                           outcome="tls", reason=2308)
        st = t + secs(0.004)
        act = core_accept(s, r, st, cl.ip, port)
        schannel(s.system, st + secs(0.011), 36874, [("Protocol", "TLS 1.0")])
        schannel(s.system, st + secs(0.011), 36888, [("AlertDesc", 40), ("ErrorState", 1205)])
        core_drop(s, st + secs(0.02), act)
        schannel(csys, a.end - secs(0.01), 36887, [("AlertDesc", 40)])
    sc.write("A Windows Server 2008 R2 jump host offering only TLS 1.0 CBC suites is refused by an RD Session Host "
             "whose cipher suites were restricted by GPO: Schannel 36874/36888 on the server in the same second as "
             "each 0x904 attempt.",
             "tls-mismatch", "high", ["rds-licensing", "network-blocked", "private-key-access", "nla-credssp"])


def rdp_certificate() -> None:
    sc = Scenario("rdp-certificate")
    r = sc.rng
    org = make_org(r, "contoso.local", "CONTOSO", "CON-DC2.contoso.local", "192.168.10.5",
                   ["mfischer", "tbauer", "svc-veeam", "akoch"])
    cl = sc.host("NB-FIN-0331", org.dns, "192.168.30.118", os="w11")
    srv = sc.host("APP-FIN02", org.dns, "192.168.10.42", offset=-95.6, os="2016")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE)
    t0 = T("2026-05-04T12:06:44.902")
    start, end = t0 - secs(4 * 3600), t0 + secs(40 * 60)
    sid = org.user_sid("mfischer")
    bg_client_sessions(crdp, r, start - secs(3 * 86400), start, user_sid=sid, typed_user="mfischer",
                       targets=[("app-fin02", "192.168.10.42")], domain="CONTOSO", count=3)
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    # the self-signed certificate expired; every check since then fails to replace it (Binary: its SHA1)
    thumb = f"{r.getrandbits(160):040X}"
    for k, (delay, port) in enumerate(zip([0, 58.3, 303.1, 1210.0], ports(r, 4))):
        t = t0 + secs(delay)
        client_attempt(crdp, r, t, "app-fin02", user_sid=sid, typed_user="mfischer", outcome="tls", reason=2308)
        act = core_accept(s, r, t + secs(0.006), cl.ip, port)
        rcm_classic(s.system, t + secs(0.009), 1058, ["Cannot find object or property."], binary=thumb)
        core_drop(s, t + secs(0.03), act)
    # an earlier failure at 03:12 when SessionEnv checked the certificate
    rcm_classic(s.system, T("2026-05-04T03:12:09"), 1058, ["Cannot find object or property."], binary=thumb)
    sc.write("The RD Session Host's self-signed RDP certificate expired and RCM 1058 reports that it could not be "
             "replaced (status 'Cannot find object or property.', not a key-access status); every attempt ends with 0x904.",
             "rdp-certificate", "high", ["private-key-access", "tls-mismatch", "network-blocked", "name-mismatch"])


def private_key_access() -> None:
    sc = Scenario("private-key-access")
    r = sc.rng
    org = make_org(r, "ad.northwind.net", "NORTHWIND", "NW-DC01.ad.northwind.net", "10.20.0.4",
                   ["pwalsh", "oadmin", "svc-sql", "hbrooks"])
    cl = sc.host("WS-OPS-07", org.dns, "10.20.60.71", os="w10")
    srv = sc.host("TS-OPS01", org.dns, "10.20.4.31", offset=133.4, os="2019")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE, "Security")
    t0 = T("2026-02-17T14:21:09.210")
    start, end = t0 - secs(3 * 3600), t0 + secs(45 * 60)
    sid = org.user_sid("pwalsh")
    bg_client_sessions(crdp, r, start - secs(86400), start, user_sid=sid, typed_user="NORTHWIND\\pwalsh",
                       targets=[("10.20.4.31", "10.20.4.31")], domain="NORTHWIND", count=2)
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    bg_security(s.security, r, org, srv, start, end, peers=[("NW-DC01", "10.20.0.4"), ("NW-MON01", "10.20.0.30")],
                service_accounts=["svc-sql"])
    # a hardening script run by an administrator rewrote the ACLs under MachineKeys, then rebooted TermService
    adm = org.user_sid("oadmin")
    h = T("2026-02-17T12:40:55.100")
    sec_4688(s.security, h, host=srv, org=org, image=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
             cmdline=r"powershell.exe -ExecutionPolicy Bypass -File C:\Install\Harden-Server.ps1 -Profile L2",
             parent=r"C:\Windows\explorer.exe", user="oadmin", user_sid=adm, domain="NORTHWIND", logon_id=0x5A3F21,
             elevation="%%1937", label="S-1-16-12288")
    sec_4688(s.security, h + secs(14.2), host=srv, org=org, image=r"C:\Windows\System32\icacls.exe",
             cmdline=r'"C:\Windows\system32\icacls.exe" C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys /inheritance:r /grant:r Administrators:(OI)(CI)F',
             parent=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", user="oadmin", user_sid=adm,
             domain="NORTHWIND", logon_id=0x5A3F21, elevation="%%1937", label="S-1-16-12288")
    for st, key in (("stopped", 1), ("running", 4)):
        scm_7036(s.system, h + secs(61 + key * 3.1), "Remote Desktop Services", "TermService", st)
    rcm_classic(s.system, h + secs(75.4), 1057, ["Keyset does not exist"])
    # every connection since then: Schannel cannot open the private key
    for delay, port in zip([0, 33.9, 96.4, 410.0, 1377.5], ports(r, 5)):
        t = t0 + secs(delay)
        client_attempt(crdp, r, t, "10.20.4.31", user_sid=sid, typed_user="NORTHWIND\\pwalsh", outcome="tls", reason=2308)
        act = core_accept(s, r, t + secs(0.005), cl.ip, port)
        schannel(s.system, t + secs(0.012), 36870, [("Type", "server"), ("ErrorCode", "0x8009030d"), ("ErrorStatus", 10001)])
        core_drop(s, t + secs(0.02), act)
    sc.write("After a hardening script replaced the ACLs of the MachineKeys folder, TermService cannot open the RDP "
             "certificate's private key: RCM 1057 'Keyset does not exist' and Schannel 36870 (0x8009030D, state 10001) "
             "at every 0x904 attempt; the client connects by IP.",
             "private-key-access", "high", ["tls-mismatch", "network-blocked", "rds-licensing", "nla-credssp"])


def healthy() -> None:
    sc = Scenario("healthy")
    r = sc.rng
    org = make_org(r, "adatum.com", "ADATUM", "ADT-DC1.adatum.com", "172.16.0.10",
                   ["sgarcia", "lchen", "dmiller", "svc-backup", "bwhite"])
    cl = sc.host("LT-MKT-117", org.dns, "172.16.88.23", os="w11")
    srv = sc.host("RDS-SALES01", org.dns, "172.16.5.20", offset=58.2)
    crdp, _ = sc.client(cl)
    s = sc.server(srv, CORE, LSM, "Security")
    day = T("2026-06-22T06:30:00")
    start, end = day, day + secs(9 * 3600)
    sid = org.user_sid("sgarcia")
    bg_security(s.security, r, org, srv, start, end, peers=[("ADT-DC1", "172.16.0.10"), ("ADT-BKP01", "172.16.0.44")],
                service_accounts=["svc-backup"], busy=0.45)
    # the user's own sessions from the laptop: morning, after lunch, late afternoon
    for when, dur, reason in (("07:02:11", 9800, 2), ("11:48:40", 7100, 1), ("14:31:05", 1500, 2)):
        t = T(f"2026-06-22T{when}.5")
        ss = server_session(s, r, org, t + secs(0.004), client_ip=cl.ip, port=ports(r, 1)[0], client_name=cl.name,
                            login="sgarcia", duration=dur - 3, end="logoff" if reason == 2 else "disconnect")
        client_attempt(crdp, r, t, "rds-sales01", user_sid=sid, typed_user="sgarcia@adatum.com", outcome="success",
                       reason=reason, server_ip=srv.ip, domain="ADATUM", session=ss["session"], duration=dur)
    # colleagues on other machines
    for when, ip, login, dur in (("07:15:30", "172.16.88.41", "lchen", 14000), ("08:01:02", "172.16.89.7", "dmiller", 5200),
                                 ("12:30:44", "172.16.88.41", "lchen", 9000), ("13:10:09", "172.16.90.12", "bwhite", 3000)):
        server_session(s, r, org, T(f"2026-06-22T{when}.1"), client_ip=ip, port=ports(r, 1)[0], client_name="WS",
                       login=login, duration=dur, end=r.choice(["logoff", "disconnect"]))
    sc.write("A working pair: a Windows 11 laptop and an RD Session Host, several successful sessions of the user and of "
             "colleagues, ordinary logoffs and disconnects; nothing failed.",
             None, None, ["network-blocked", "unstable-network", "tls-mismatch", "connection-limits", "logon-rights"])


def nla_credssp() -> None:
    sc = Scenario("nla-credssp")
    r = sc.rng
    org = make_org(r, "corp.woodgrovebank.com", "WOODGROVE", "WGB-DC02.corp.woodgrovebank.com", "10.64.0.12",
                   ["ehansen", "mrossi", "svc-monitor", "gtanaka"])
    cl = sc.host("WS-TRD-044", org.dns, "10.64.31.44", os="w11")
    srv = sc.host("LEGACY-APP03", org.dns, "10.64.9.3", offset=-61.8, os="2012r2")
    crdp, csys = sc.client(cl, system=True)
    s = sc.server(srv, CORE, "Security")
    t0 = T("2026-04-14T09:37:52.004")
    start, end = t0 - secs(4 * 3600), t0 + secs(40 * 60)
    sid = org.user_sid("ehansen")
    bg_client_sessions(crdp, r, start, t0 - secs(900), user_sid=sid, typed_user="WOODGROVE\\ehansen",
                       targets=[("trd-rds01.corp.woodgrovebank.com", "10.64.9.21")], domain="WOODGROVE", count=2)
    bg_system(csys, r, start, end, server=False, dc=org.dc)
    bg_security(s.security, r, org, srv, start, end, peers=[("WGB-DC02", "10.64.0.12"), ("WGB-MON01", "10.64.0.40")],
                service_accounts=["svc-monitor"])
    # the client's policy is 'Force Updated Clients'; the unpatched 2012 R2 server offers an old CredSSP version
    for delay, port in zip([0, 47.5, 132.8], ports(r, 3)):
        t = t0 + secs(delay)
        a = client_attempt(crdp, r, t, "legacy-app03.corp.woodgrovebank.com", user_sid=sid,
                           typed_user="WOODGROVE\\ehansen", outcome="auth", reason=2310, lag=0.21)
        csys.add(a.end - secs(0.02), "lsasrv", 6041, qualifiers=0, data=[
            ("TargetName", "TERMSRV/legacy-app03.corp.woodgrovebank.com"), ("ProtocolVersion", 3)])
        act = core_accept(s, r, t + secs(0.003), cl.ip, port)
        core_drop(s, a.end + secs(0.004), act)
    sc.write("A patched Windows 11 client whose policy is 'Force Updated Clients' refuses the CredSSP version of an "
             "unpatched Windows Server 2012 R2: LsaSrv 6041 on the client at each attempt, the server's RdpCoreTS shows "
             "the connection and no logon.",
             "nla-credssp", "high", ["tls-mismatch", "logon-rights", "name-mismatch", "network-blocked"])


def rds_licensing() -> None:
    sc = Scenario("rds-licensing")
    r = sc.rng
    org = make_org(r, "litwareinc.com", "LITWARE", "LIT-DC01.litwareinc.com", "10.5.0.2",
                   ["jdavies", "abaker", "cmoore", "svc-sccm", "dlopez"])
    cl = sc.host("CC-AGENT-212", org.dns, "10.5.112.12", os="w10")
    srv = sc.host("RDSH-CALL02", org.dns, "10.5.3.22", offset=82.0, os="2019")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE, RCM_OP)
    t0 = T("2026-07-01T08:01:27.733")
    start, end = t0 - secs(3 * 3600), t0 + secs(60 * 60)
    sid = org.user_sid("jdavies")
    bg_client_sessions(crdp, r, start - secs(86400), start - secs(50000), user_sid=sid, typed_user="LITWARE\\jdavies",
                       targets=[("rdsh-call02", "10.5.3.22")], domain="LITWARE", count=2)
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    # the 120-day grace period of the RD Session Host role ended overnight; no licensing mode was ever configured
    rcm_classic(s.system, T("2026-07-01T00:12:40"), 1069, [])
    rcm_classic(s.system, T("2026-06-30T18:05:13"), 1068, [], level=3, qualifiers=32768)
    schannel(s.system, T("2026-07-01T05:12:44.018"), 36887, [("AlertDesc", 46)])
    agents = [(cl.ip, "jdavies", 0.0), ("10.5.112.31", "abaker", 14.2), ("10.5.113.7", "cmoore", 95.0),
              (cl.ip, "jdavies", 63.4), ("10.5.114.2", "dlopez", 301.9), (cl.ip, "jdavies", 410.6)]
    for ip, login, delay in agents:
        t = t0 + secs(delay)
        port = ports(r, 1)[0]
        act = core_accept(s, r, t + secs(0.004), ip, port)
        nla = t + secs(4.1 + r.random() * 3)
        s.rcm.add(nla, "rcm_op", 1149, activity=act, userdata=("EventXML", "Event_NS", [
            ("Param1", login), ("Param2", "LITWARE"), ("Param3", ip)]))
        s.core.add(nla + secs(0.4), "core", 72, opcode=13, data=[("MethodName", "OnStartLicensing")], activity=act)
        rcm_classic(s.system, nla + secs(0.45), 1069, [])
        core_drop(s, nla + secs(0.6), act)
        if ip == cl.ip:
            client_attempt(crdp, r, t, "rdsh-call02", user_sid=sid, typed_user="LITWARE\\jdavies", outcome="session",
                           reason=2056, server_ip=srv.ip, think=(nla - t).total_seconds() - 0.35, lag=0.55)
    sc.write("Call-centre agents cannot connect to an RD Session Host whose licensing grace period expired with no "
             "licensing mode configured: client 1026 = 2056 (0x808, licensing failed) after NLA succeeded, RCM 1069 on "
             "the server at each attempt.",
             "rds-licensing", "high", ["tls-mismatch", "network-blocked", "nla-credssp", "connection-limits"])


def rd_gateway() -> None:
    sc = Scenario("rd-gateway")
    r = sc.rng
    org = make_org(r, "tailspintoys.com", "TAILSPIN", "TS-DC1.tailspintoys.com", "10.8.0.5",
                   ["vortiz", "kwright", "pmartin", "svc-scan"])
    cl = sc.host("DESKTOP-7Q2LM4K", None, "192.168.1.34", os="w11")
    gw = sc.host("RDGW01", org.dns, "10.8.250.10", offset=-44.7, os="2022")
    crdp, _ = sc.client(cl)
    crdp.rendering = client_message   # saved from Event Viewer "with display information"
    g_ops = sc.log("gateway-rdgw01", gw, GATEWAY)
    g_sys = sc.log("gateway-rdgw01", gw, "System")
    t0 = T("2026-08-19T19:44:02.551")
    start, end = t0 - secs(5 * 3600), t0 + secs(45 * 60)
    sid = "S-1-5-21-3917448150-1853102281-2231944016-1001"   # local account on the home PC
    public = "198.51.100.77"
    bg_system(g_sys, r, start, end, server=True, dc=org.dc)
    # other remote workers pass CAP and RAP with fully qualified resource names
    for when, ip, login, res, dur in (("15:02:10", "203.0.113.61", "kwright", "ts-dev04.tailspintoys.com", 5400),
                                      ("16:40:44", "192.0.2.140", "pmartin", "ts-dev04.tailspintoys.com", 2200),
                                      ("19:10:05", "203.0.113.61", "kwright", "ts-dev04.tailspintoys.com", 3600)):
        t = T(f"2026-08-19T{when}.3")
        act = guid(r)
        user = f"TAILSPIN\\{login}"
        gateway(g_ops, t, 200, user=user, ip=ip, activity=act)
        gateway(g_ops, t + secs(0.2), 300, user=user, ip=ip, resource=res, activity=act)
        gateway(g_ops, t + secs(0.9), 302, user=user, ip=ip, resource=res, proto="HTTP", activity=act)
        gateway(g_ops, t + secs(dur), 303, user=user, ip=ip, resource=res, proto="HTTP", activity=act, extra=[
            ("BytesReceived", r.randrange(2 * 10**6, 9 * 10**7)), ("BytesTransfered", r.randrange(10**6, 4 * 10**7)),
            ("SessionDuration", dur)])
    # the user's saved .rdp names the host by its NetBIOS name; the RAP's computer group holds FQDNs only
    for delay in (0, 38.6, 121.0):
        t = t0 + secs(delay)
        act = guid(r)
        gateway(g_ops, t + secs(1.1), 200, user="TAILSPIN\\vortiz", ip=public, activity=act)
        gateway(g_ops, t + secs(1.3), 301, user="TAILSPIN\\vortiz", ip=public, resource="ts-dev05", error=23002,
                level=3, activity=act)
        client_attempt(crdp, r, t, "ts-dev05", user_sid=sid, typed_user="TAILSPIN\\vortiz", outcome="x224",
                       reason=50331675)
    sc.write("A home PC connects through RD Gateway to a host named by its NetBIOS name; the gateway's resource "
             "authorization policy lists FQDNs only: GW 301 for resource 'ts-dev05' and client 1026 = 50331675 "
             "(0x300001B) at each attempt.",
             "rd-gateway", "high", ["network-blocked", "name-mismatch", "logon-rights", "tls-mismatch"])


def network_blocked() -> None:
    sc = Scenario("network-blocked")
    r = sc.rng
    org = make_org(r, "corp.proseware.com", "PROSEWARE", "PSW-DC01.corp.proseware.com", "10.30.0.10",
                   ["lmeyer", "itadmin", "rjohnson", "svc-patch"])
    cl = sc.host("WS-HR-023", org.dns, "10.30.22.23", os="w11")
    srv = sc.host("SRV-HR01", org.dns, "10.30.5.14", offset=118.9, os="2022")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "Security", CORE, FIREWALL)
    t0 = T("2026-09-08T09:41:18.120")
    start, end = t0 - secs(4 * 3600), t0 + secs(45 * 60)
    sid = org.user_sid("lmeyer")
    bg_client_sessions(crdp, r, start - secs(2 * 86400), start - secs(86400), user_sid=sid,
                       typed_user="PROSEWARE\\lmeyer", targets=[("10.30.5.14", "10.30.5.14")], domain="PROSEWARE", count=2)
    bg_security(s.security, r, org, srv, start, end, peers=[("PSW-DC01", "10.30.0.10"), ("PSW-WSUS", "10.30.0.25")],
                service_accounts=["svc-patch"])
    # 08:55: the RDP rules were scoped to the admin VLAN in the firewall console
    adm = org.user_sid("itadmin")
    fw_rule(s.firewall, T("2026-09-08T08:55:41.300"), 2005, rule_id="RemoteDesktop-UserMode-In-TCP",
            name="Remote Desktop - User Mode (TCP-In)", protocol=6, local_ports="3389",
            remote="10.30.10.0/255.255.255.0", user_sid=adm)
    fw_rule(s.firewall, T("2026-09-08T08:55:49.812"), 2005, rule_id="RemoteDesktop-UserMode-In-UDP",
            name="Remote Desktop - User Mode (UDP-In)", protocol=17, local_ports="3389",
            remote="10.30.10.0/255.255.255.0", user_sid=adm)
    # administrators on the admin VLAN still get in
    for when, ip, dur in (("07:12:03", "10.30.10.21", 3000), ("09:05:12", "10.30.10.21", 1500), ("10:02:40", "10.30.10.35", 900)):
        server_session(s, r, org, T(f"2026-09-08T{when}.4"), client_ip=ip, port=ports(r, 1)[0], client_name="ADM",
                       login="itadmin", duration=dur, admin=True)
    # the HR workstation: SYNs dropped by WFP, mstsc gives up after its connect timeout
    for delay, port in zip([0, 61.3, 188.0], ports(r, 3)):
        t = t0 + secs(delay)
        client_attempt(crdp, r, t, "10.30.5.14", user_sid=sid, typed_user="PROSEWARE\\lmeyer", outcome="tcp", reason=516)
        for retry in (0.0, 3.0, 9.0):
            wfp_5157(s.security, r, t + secs(0.002 + retry), host=srv, local_ip=srv.ip, local_port=3389,
                     remote_ip=cl.ip, remote_port=port)
    sc.write("After the Remote Desktop firewall rules were scoped to the admin VLAN, an HR workstation's connections "
             "time out: client 1026 = 516 (0x204), no RdpCoreTS 131 for its address, WFP 5157 inbound drops on port "
             "3389 and a firewall rule change (2005) 45 minutes before.",
             "network-blocked", "high", ["rdp-service-down", "listener-port", "unstable-network", "tls-mismatch"])


def unstable_network() -> None:
    sc = Scenario("unstable-network")
    r = sc.rng
    org = make_org(r, "relecloud.com", "RELECLOUD", "RC-DC01.relecloud.com", "10.0.1.4",
                   ["tmurphy", "schoi", "svc-backup", "yokafor"])
    cl = sc.host("LT-FIELD-09", org.dns, "10.200.7.41", os="w11")
    srv = sc.host("RDS-APPS02", org.dns, "10.0.20.12", offset=174.2, os="2022")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, CORE, LSM)
    sid = org.user_sid("tmurphy")
    start = T("2026-10-05T07:30:00")
    for when, ip, login, dur in (("07:48:10", "10.0.40.15", "schoi", 14000), ("08:30:02", "10.200.7.88", "yokafor", 6000)):
        server_session(s, r, org, T(f"2026-10-05T{when}.1"), client_ip=ip, port=ports(r, 1)[0], client_name="WS",
                       login=login, duration=dur)
    # the field engineer works over a flaky LTE/VPN link: the session drops twice and is reconnected
    t1 = T("2026-10-05T09:02:15.500")
    ss = server_session(s, r, org, t1 + secs(0.006), client_ip=cl.ip, port=ports(r, 1)[0], client_name=cl.name,
                        login="tmurphy", duration=3600 * 3, end="logoff")
    full, session = ss["full"], ss["session"]
    a = client_attempt(crdp, r, t1, "rds-apps02.relecloud.com", user_sid=sid, typed_user="tmurphy@relecloud.com",
                       outcome="success", reason=2308, server_ip=srv.ip, domain="RELECLOUD", session=session,
                       duration=4510, udp=False)
    drops = [a.end]
    t2 = a.end + secs(44.0)
    b = client_attempt(crdp, r, t2, "rds-apps02.relecloud.com", user_sid=sid, typed_user="tmurphy@relecloud.com",
                       outcome="success", reason=2308, server_ip=srv.ip, domain="RELECLOUD", session=session,
                       duration=2203, udp=False)
    drops.append(b.end)
    t3 = b.end + secs(71.0)
    c = client_attempt(crdp, r, t3, "rds-apps02.relecloud.com", user_sid=sid, typed_user="tmurphy@relecloud.com",
                       outcome="success", reason=2, server_ip=srv.ip, domain="RELECLOUD", session=session,
                       duration=1800, udp=False)
    # remove the logoff written by server_session; the real session ends when the user logs off at c.end
    s.lsm.events = [e for e in s.lsm.events if not (e.eid == 23 and e.userdata[2][1][1] == session)]
    s.core.events = [e for e in s.core.events if not (e.activity == ss["activity"] and e.eid in (72, 102, 103) and e.t > ss["logon"])]
    act = ss["activity"]
    for drop in drops:
        seen = drop + secs(8.4 + r.random() * 3)
        s.core.add(seen, "core", 143, level=3, data=[("error", 64)], activity=act)
        s.core.add(seen + secs(0.001), "core", 142, level=3, data=[("error", 64)], activity=act)
        s.core.add(seen + secs(0.002), "core", 72, opcode=13, data=[("MethodName", "OnDisconnected")], activity=act)
        s.core.add(seen + secs(0.003), "core", 102, opcode=17, activity=act)
        lsm(s.lsm, seen + secs(0.05), 40, None, session, reason=0)
        lsm(s.lsm, seen + secs(0.07), 24, full, session, cl.ip)
        act = core_accept(s, r, drop + secs(44.0 if drop == drops[0] else 71.0) + secs(0.004), cl.ip, ports(r, 1)[0])
        lsm(s.lsm, drop + secs((44.0 if drop == drops[0] else 71.0) + 9.5), 25, full, session, cl.ip)
    lsm(s.lsm, c.end + secs(0.3), 23, full, session)
    s.core.add(c.end + secs(0.3), "core", 102, opcode=17, activity=act)
    sc.write("A field engineer on a flaky VPN link loses an established session twice (client 1027 then 1026 = 2308); "
             "the server logs TCP read/write failures (RdpCoreTS 142/143) and LSM 40/24 for the session seconds later, "
             "then reconnections (LSM 25).",
             "unstable-network", "high", ["tls-mismatch", "rdp-service-down", "connection-limits", "network-blocked"])


def connection_limits() -> None:
    sc = Scenario("connection-limits")
    r = sc.rng
    org = make_org(r, "lucernepublishing.com", "LUCERNE", "LP-DC01.lucernepublishing.com", "10.12.0.3",
                   ["adm-jkim", "ebrown", "hsato", "mgreen", "svc-print"])
    cl = sc.host("WS-ED-118", org.dns, "10.12.48.118", os="w11")
    srv = sc.host("RDSH-ED03", org.dns, "10.12.7.33", offset=-139.5, os="2019")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", "Security", CORE)
    t0 = T("2026-11-03T07:58:31.640")
    start, end = T("2026-11-02T20:30:00"), t0 + secs(40 * 60)
    sid = org.user_sid("ebrown")
    bg_client_sessions(crdp, r, start - secs(86400), start - secs(40000), user_sid=sid, typed_user="LUCERNE\\ebrown",
                       targets=[("rdsh-ed03", "10.12.7.33")], domain="LUCERNE", count=2)
    bg_system(s.system, r, start, end, server=True, dc=org.dc, busy=0.5)
    bg_security(s.security, r, org, srv, start, end, peers=[("LP-DC01", "10.12.0.3"), ("LP-PRN01", "10.12.0.60")],
                service_accounts=["svc-print"], busy=0.4)
    # maintenance the evening before: new logons disabled, the matching 'chglogon /enable' was never run
    adm = org.user_sid("adm-jkim")
    sec_4688(s.security, T("2026-11-02T22:10:04.512"), host=srv, org=org, image=r"C:\Windows\System32\chglogon.exe",
             cmdline="chglogon  /disable", parent=r"C:\Windows\System32\cmd.exe", user="adm-jkim", user_sid=adm,
             domain="LUCERNE", logon_id=0x1B2C44, elevation="%%1937", label="S-1-16-12288")
    for k in range(3):
        tt = T("2026-11-03T02:14:51.300") + secs(k * 17.4)
        act = core_accept(s, r, tt, "10.12.0.250", ports(r, 1)[0])
        schannel(s.system, tt + secs(0.006), 36874, [("Protocol", ["SSL 3.0", "TLS 1.0", "TLS 1.1"][k])])
        schannel(s.system, tt + secs(0.006), 36888, [("AlertDesc", 70), ("ErrorState", 1203)])
        core_drop(s, tt + secs(0.01), act)
    users = [(cl.ip, "ebrown", 0.0), ("10.12.48.77", "hsato", 22.7), (cl.ip, "ebrown", 51.0), ("10.12.49.3", "mgreen", 140.2),
             (cl.ip, "ebrown", 402.9)]
    for ip, login, delay in users:
        t = t0 + secs(delay)
        port = ports(r, 1)[0]
        act = core_accept(s, r, t + secs(0.005), ip, port)
        nla = t + secs(3.0 + r.random() * 4)
        lid = r.randrange(0x100000, 0x9FFFFFF)
        sec_4624(s.security, nla, org, host=srv, user=login, user_sid=org.user_sid(login), domain="LUCERNE",
                 logon_type=3, logon_id=lid, ip=ip, port=str(port), package="Kerberos", logon_process="Kerberos")
        sec_4634(s.security, nla + secs(0.3), user=login, user_sid=org.user_sid(login), domain="LUCERNE",
                 logon_id=lid, logon_type=3)
        rcm_classic(s.system, nla + secs(0.5), 1071, [])
        core_drop(s, nla + secs(0.52), act)
        if ip == cl.ip:
            client_attempt(crdp, r, t, "rdsh-ed03", user_sid=sid, typed_user="LUCERNE\\ebrown", outcome="auth",
                           reason=2308, think=(nla - t).total_seconds() - 0.4, lag=0.95)
    sc.write("The morning after maintenance every new logon to an RD Session Host is refused: an administrator ran "
             "'chglogon /disable' the evening before (4688) and RCM 1071 follows each user's NLA logon; clients see 0x904.",
             "connection-limits", "high", ["rdp-service-down", "rds-licensing", "logon-rights", "network-blocked"])


def rdp_service_down() -> None:
    sc = Scenario("rdp-service-down")
    r = sc.rng
    org = make_org(r, "fourthcoffee.com", "FOURTHCOFFEE", "FC-DC01.fourthcoffee.com", "10.40.0.2",
                   ["nallen", "oevans", "svc-pos", "bking"])
    cl = sc.host("MGR-LT-04", org.dns, "10.40.16.54", os="w10")
    srv = sc.host("POS-TS01", org.dns, "10.40.2.11", offset=41.6, os="2016")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE)
    t0 = T("2026-12-01T10:14:58.330")
    start, end = t0 - secs(3 * 3600), t0 + secs(3 * 3600)
    sid = org.user_sid("nallen")
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    server_session(s, r, org, T("2026-12-01T07:40:21.8"), client_ip="10.40.16.20", port=ports(r, 1)[0],
                   client_name="WS", login="oevans", duration=2300)
    # attempt 1: the connection reaches RdpCoreTS, then TermService dies (a printer-redirection plug-in)
    a = client_attempt(crdp, r, t0, "POS-TS01", user_sid=sid, typed_user="nallen", outcome="tls", reason=2308)
    act = core_accept(s, r, t0 + secs(0.004), cl.ip, ports(r, 1)[0])
    scm_crash(s.system, a.end + secs(0.003), "Remote Desktop Services", "TermService", 1, restart_ms=60000)
    scm_7036(s.system, a.end + secs(0.01), "Remote Desktop Services UserMode Port Redirector", "UmRdpService", "stopped")
    # attempt 2, 25 s later: nothing listens until the recovery action restarts the service
    client_attempt(crdp, r, t0 + secs(25.4), "POS-TS01", user_sid=sid, typed_user="nallen", outcome="refused", reason=516)
    back = a.end + secs(60.2)
    scm_7036(s.system, back, "Remote Desktop Services", "TermService", "running")
    scm_7036(s.system, back + secs(0.8), "Remote Desktop Services UserMode Port Redirector", "UmRdpService", "running")
    core_listen(s, back + secs(0.5), 3389)
    # attempt 3 after the restart works
    t3 = back + secs(48.0)
    ss = server_session(s, r, org, t3 + secs(0.004), client_ip=cl.ip, port=ports(r, 1)[0], client_name=cl.name,
                        login="nallen", duration=1900)
    client_attempt(crdp, r, t3, "POS-TS01", user_sid=sid, typed_user="nallen", outcome="success", reason=2,
                   server_ip=srv.ip, domain="FOURTHCOFFEE", session=ss["session"], duration=1903)
    # the same crash again at another user's connection in the afternoon
    t4 = T("2026-12-01T12:31:07.2")
    act = core_accept(s, r, t4, "10.40.16.71", ports(r, 1)[0])
    scm_crash(s.system, t4 + secs(0.21), "Remote Desktop Services", "TermService", 2, restart_ms=120000)
    scm_7036(s.system, t4 + secs(120.4), "Remote Desktop Services", "TermService", "running")
    core_listen(s, t4 + secs(120.9), 3389)
    sc.write("TermService crashes while a connection is being set up (SCM 7031 a second after RdpCoreTS 131): the "
             "client sees 0x904, a retry during the 60 s restart delay gets 516, the attempt after the restart works.",
             "rdp-service-down", "high", ["network-blocked", "listener-port", "tls-mismatch", "unstable-network"])


def listener_port() -> None:
    sc = Scenario("listener-port")
    r = sc.rng
    org = make_org(r, "wingtiptoys.com", "WINGTIP", "WT-DC01.wingtiptoys.com", "10.9.0.10",
                   ["cdiaz", "adm-rlee", "svc-sql", "fwhite"])
    cl = sc.host("WS-FIN-88", org.dns, "10.9.30.88", os="w11")
    srv = sc.host("SQL-RPT01", org.dns, "10.9.4.17", offset=96.1, os="2022")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE)
    t0 = T("2027-01-12T08:47:20.910")
    start, end = t0 - secs(4 * 3600), t0 + secs(50 * 60)
    sid = org.user_sid("cdiaz")
    bg_client_sessions(crdp, r, start - secs(3 * 86400), start - secs(2 * 86400), user_sid=sid,
                       typed_user="WINGTIP\\cdiaz", targets=[("sql-rpt01.wingtiptoys.com", "10.9.4.17")],
                       domain="WINGTIP", count=2)
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    # 08:39: PortNumber changed to 3390 and TermService restarted by the administrator
    m = T("2027-01-12T08:39:44.070")
    scm_7036(s.system, m, "Remote Desktop Services UserMode Port Redirector", "UmRdpService", "stopped")
    scm_7036(s.system, m + secs(1.2), "Remote Desktop Services", "TermService", "stopped")
    scm_7036(s.system, m + secs(3.9), "Remote Desktop Services", "TermService", "running")
    scm_7036(s.system, m + secs(4.6), "Remote Desktop Services UserMode Port Redirector", "UmRdpService", "running")
    core_listen(s, m + secs(4.3), 3390)
    # the administrator connects on the new port
    for when, dur in (("07:02:40", 1900), ("08:43:15", 1300)):
        server_session(s, r, org, T(f"2027-01-12T{when}.6"), client_ip="10.9.10.5", port=ports(r, 1)[0], client_name="ADM",
                       login="adm-rlee", duration=dur, admin=True)
    # the finance user's saved connection still uses the default port: reset at once
    for delay in (0, 19.8, 74.5, 611.0):
        client_attempt(crdp, r, t0 + secs(delay), "sql-rpt01.wingtiptoys.com", user_sid=sid, typed_user="WINGTIP\\cdiaz",
                       outcome="refused", reason=516)
    sc.write("The RDP port was changed to 3390 (RdpCoreTS 129 after a TermService restart); a user whose connection "
             "uses the default port gets 516 (0x204) with no RdpCoreTS 131, while the administrator connects on 3390.",
             "listener-port", "high", ["rdp-service-down", "network-blocked", "tls-mismatch", "unstable-network"])


def logon_rights() -> None:
    sc = Scenario("logon-rights")
    r = sc.rng
    org = make_org(r, "margiestravel.com", "MARGIE", "MT-DC2.margiestravel.com", "10.14.0.4",
                   ["nsingh", "jpeterson", "lwong", "svc-bkp"])
    cl = sc.host("LT-NEWHIRE-02", org.dns, "10.14.66.102", os="w11")
    srv = sc.host("RDS-BOOK01", org.dns, "10.14.6.10", offset=-52.4, os="2022")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "Security", RCM_OP, CORE)
    t0 = T("2027-02-01T08:12:40.008")
    start, end = t0 - secs(3 * 3600), t0 + secs(45 * 60)
    sid = org.user_sid("nsingh")
    bg_security(s.security, r, org, srv, start, end, peers=[("MT-DC2", "10.14.0.4"), ("MT-BKP01", "10.14.0.31")],
                service_accounts=["svc-bkp"])
    for when, ip, login, dur in (("06:58:12", "10.14.66.40", "jpeterson", 6000), ("07:40:55", "10.14.67.9", "lwong", 4000)):
        server_session(s, r, org, T(f"2027-02-01T{when}.1"), client_ip=ip, port=ports(r, 1)[0], client_name="WS",
                       login=login, duration=dur)
    # a new hire, not yet in the group that holds 'Allow log on through Remote Desktop Services'
    for delay in (0, 64.0, 300.5):
        t = t0 + secs(delay)
        port = ports(r, 1)[0]
        act = core_accept(s, r, t + secs(0.004), cl.ip, port)
        nla = t + secs(6.0 + r.random() * 5)
        lid = r.randrange(0x100000, 0x9FFFFFF)
        sec_4624(s.security, nla, org, host=srv, user="nsingh", user_sid=sid, domain="MARGIE", logon_type=3,
                 logon_id=lid, ip=cl.ip, port=str(port), package="Kerberos", logon_process="Kerberos")
        sec_4634(s.security, nla + secs(0.2), user="nsingh", user_sid=sid, domain="MARGIE", logon_id=lid, logon_type=3)
        s.rcm.add(nla + secs(0.05), "rcm_op", 1149, activity=act, userdata=("EventXML", "Event_NS", [
            ("Param1", "nsingh"), ("Param2", "MARGIE"), ("Param3", cl.ip)]))
        sec_4625(s.security, nla + secs(1.6), host=srv, org=org, user="nsingh", domain="MARGIE", status="0xc000015b",
                 substatus="0x0", logon_type=10, ip=cl.ip, port="0", workstation=srv.name, package="Negotiate",
                 logon_process="User32 ", failure="%%2308", process=r"C:\Windows\System32\svchost.exe",
                 pid=hex(srv.pids["termsvc"]))
        core_drop(s, nla + secs(1.9), act)
        client_attempt(crdp, r, t, "rds-book01", user_sid=sid, typed_user="MARGIE\\nsingh", outcome="session",
                       reason=3, server_ip=srv.ip, think=(nla - t).total_seconds() - 0.35, lag=1.7)
    sc.write("A new hire authenticates (NLA 4624 type 3, RCM 1149) but is refused the Remote Desktop logon: 4625 "
             "logon type 10 with status 0xC000015B (logon type not granted) at each attempt.",
             "logon-rights", "high", ["nla-credssp", "connection-limits", "network-blocked", "tls-mismatch"])


def security_layer() -> None:
    sc = Scenario("security-layer")
    r = sc.rng
    org = make_org(r, "treyresearch.net", "TREY", "TR-DC01.treyresearch.net", "172.20.0.2",
                   ["labtech1", "qchen", "svc-lims", "pmendes"])
    cl = sc.host("TC-LAB-12", org.dns, "172.20.8.112", os="we7")
    srv = sc.host("LAB-CTRL01", org.dns, "172.20.1.10", offset=63.3, os="2016")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE)
    t0 = T("2027-03-09T13:20:05.660")
    start, end = t0 - secs(4 * 3600), t0 + secs(30 * 60)
    sid = org.user_sid("labtech1")
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    # FIPS-capable lab PCs connect with the RDP security layer; the server warns that native encryption is in use
    for when, ip, login, dur in (("09:40:33", "172.20.8.40", "qchen", 5000), ("11:02:10", "172.20.8.41", "pmendes", 3000)):
        ss = server_session(s, r, org, T(f"2027-03-09T{when}.2"), client_ip=ip, port=ports(r, 1)[0], client_name="LAB",
                            login=login, duration=dur)
        s.core.add(T(f"2027-03-09T{when}.2") + secs(0.02), "core", 105, level=3, opcode=15, activity=ss["activity"])
    # a thin client whose RDP client cannot do the FIPS encryption level the server requires
    for delay, port in zip((0, 33.3, 150.0), ports(r, 3)):
        t = t0 + secs(delay)
        client_attempt(crdp, r, t, "172.20.1.10", user_sid=sid, typed_user="TREY\\labtech1", outcome="ssl",
                       reason=3590, ssl="not supported", lag=0.09)
        act = core_accept(s, r, t + secs(0.004), cl.ip, port)
        s.core.add(t + secs(0.03), "core", 105, level=3, opcode=15, activity=act)
        core_drop(s, t + secs(0.1), act)
    sc.write("A thin client cannot meet the FIPS encryption level of a server that uses the RDP security layer: "
             "client 1026 = 3590 (0xE06) at each attempt, no Schannel activity at all on the server.",
             "security-layer", "high", ["tls-mismatch", "rdp-certificate", "nla-credssp", "network-blocked"])


def name_mismatch() -> None:
    sc = Scenario("name-mismatch")
    r = sc.rng
    org = make_org(r, "cohowinery.com", "COHO", "CW-DC01.cohowinery.com", "10.3.0.8",
                   ["mjacobs", "adm-tlopez", "svc-erp", "rpatel"])
    cl = sc.host("WS-ACC-31", org.dns, "10.3.20.31", os="w11")
    srv = sc.host("VM-ACCT-07", org.dns, "10.3.4.70", offset=-178.0, os="2022")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE)
    t0 = T("2027-04-20T10:05:44.300")
    start, end = T("2027-04-20T05:00:00"), t0 + secs(40 * 60)
    sid = org.user_sid("mjacobs")
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    # the server was rebuilt over the weekend; at boot RCM could not register the TERMSRV SPN
    boot = T("2027-04-20T05:41:12.500")
    s.system.add(boot, "kgen", 12, data=[("MajorVersion", 10), ("MinorVersion", 0), ("BuildVersion", 20348),
                                         ("QfeVersion", 2762), ("ServiceVersion", 0), ("BootMode", 0),
                                         ("StartTime", boot.strftime("%Y-%m-%dT%H:%M:%S.5000000Z"))], task=1,
                  kw="0x8000000000000080")
    scm_7036(s.system, boot + secs(31.0), "Remote Desktop Services", "TermService", "running")
    rcm_classic(s.system, boot + secs(33.4), 1067, ["Access is denied."], level=3, qualifiers=32768)
    # by its real name the server works (connections this morning), by the DNS alias Kerberos cannot be used
    for when, dur in (("08:02:11", 3600),):
        t = T(f"2027-04-20T{when}.9")
        ss = server_session(s, r, org, t + secs(0.004), client_ip=cl.ip, port=ports(r, 1)[0], client_name=cl.name,
                            login="mjacobs", duration=dur)
        client_attempt(crdp, r, t, "vm-acct-07.cohowinery.com", user_sid=sid, typed_user="COHO\\mjacobs",
                       outcome="success", reason=1, server_ip=srv.ip, domain="COHO", session=ss["session"],
                       duration=dur + 2)
    for delay, port in zip((0, 28.7, 95.2), ports(r, 3)):
        t = t0 + secs(delay)
        a = client_attempt(crdp, r, t, "accounting.cohowinery.com", user_sid=sid, typed_user="COHO\\mjacobs",
                           outcome="ssl", reason=5895, lag=0.42)
        act = core_accept(s, r, t + secs(0.004), cl.ip, port)
        core_drop(s, a.end + secs(0.003), act)
    sc.write("The user connects by a DNS alias for which no TERMSRV SPN exists (RCM 1067 at boot: SPN registration "
             "denied); Kerberos cannot be used and the client's delegation policy refuses NTLM: 1026 = 5895 (0x1707).",
             "name-mismatch", "high", ["nla-credssp", "logon-rights", "rdp-certificate", "tls-mismatch"])


SCAN_USERS = ["administrator", "admin", "user", "test", "ADMINISTRATOR", "guest", "scanner", "backup", "sql", "support",
              "user1", "test1", "Administrator", "admin1", "server", "rdp", "operator", "demo", "info", "sa"]


def internet_exposure() -> None:
    sc = Scenario("internet-exposure")
    r = sc.rng
    srv = sc.host("WIN-3K5M0A7TQ2B", None, "203.0.113.45", offset=-73.0, os="2019")
    s = sc.server(srv, "System", "Security", CORE)
    start, end = T("2027-05-16T00:00:00"), T("2027-05-16T10:30:00")
    bg_system(s.system, r, start, end, server=True, dc=None)
    scanners = [f"198.51.100.{r.randrange(2, 250)}" for _ in range(9)] + [f"192.0.2.{r.randrange(2, 250)}" for _ in range(6)]
    v6 = ["2001:db8:4f1:20::17", "2001:db8:a0c::5"]
    local_sid = "S-1-5-21-2840118720-3300118161-1120936611"
    # waves of scanning and password spraying through the night
    t = start + secs(r.randrange(100, 900))
    while t < end - secs(3600):
        src = r.choice(scanners)
        burst = r.randrange(2, 5)
        for k in range(burst):
            port = r.randrange(1025, 65000)
            tt = t + secs(k * r.uniform(1.5, 9.0))
            act = core_accept(s, r, tt, src, port)
            kind = r.random()
            if kind < 0.45:
                user = r.choice(SCAN_USERS)
                exists = user.lower() == "administrator"
                sec_4625(s.security, tt + secs(0.6), host=srv, org=None, user=user, domain="",
                         status="0xc000006d", substatus="0xc000006a" if exists else "0xc0000064", logon_type=3,
                         ip=src, port=str(port), workstation=r.choice(["", "-", "WIN-R8RF0L9T1C", "kali", "DESKTOP-1BVJ2M0"]))
                s.core.add(tt + secs(0.62), "core", 140, level=3, opcode=14, data=[("IPString", src)], activity=act)
                s.core.add(tt + secs(0.7), "core", 143, level=3, data=[("error", 64)], activity=act)
            elif kind < 0.7:
                schannel(s.system, tt + secs(0.01), 36874, [("Protocol", r.choice(["TLS 1.0", "SSL 3.0", "TLS 1.0"]))])
                schannel(s.system, tt + secs(0.01), 36888, [("AlertDesc", r.choice([40, 70, 40])), ("ErrorState", 1205)])
                s.core.add(tt + secs(0.02), "core", 139, level=3, opcode=14,
                           data=[("ResultCode", "0x80090304"), ("IPString", src)], activity=act)
            else:
                s.core.add(tt + secs(0.3), "core", 139, level=3, opcode=14,
                           data=[("ResultCode", "0x80090302"), ("IPString", src)], activity=act)
            core_drop(s, tt + secs(0.8), act, reason=14)
        t += secs(r.randrange(1500, 4200))
    for src in v6:
        tt = start + secs(r.randrange(3000, 20000))
        act = guid(r, etw_style=True)
        s.core.add(tt, "core", 131, data=[("ConnType", "TCP"), ("ClientIP", f"[{src}]:{r.randrange(1025, 65000)}")], activity=act)
        core_drop(s, tt + secs(0.5), act, reason=14)
    # the owner's own administration from the office in the morning
    t9 = T("2027-05-16T08:52:30.4")
    org = Org(dns="", netbios=srv.name, sid=local_sid, dc="", dc_ip="", users={"itowner": 1001})
    server_session(s, r, org, t9, client_ip="192.0.2.201", port=ports(r, 1)[0], client_name="OFFICE-PC", login="itowner",
                   duration=1500, admin=True, kerberos=False)
    sc.write("An internet-facing server (workgroup, RDP on 3389) with nothing but scanner and password-spraying noise: "
             "RdpCoreTS 131 bursts from many addresses, 4625 with unknown users, Core 139/140, Schannel 36874/36888 probes; "
             "no user reported a failure.",
             "internet-exposure", "info", ["connection-limits", "logon-rights", "tls-mismatch", "nla-credssp"])


def session_broker() -> None:
    sc = Scenario("session-broker")
    r = sc.rng
    org = make_org(r, "humongousinsurance.com", "HUMONGOUS", "HI-DC01.humongousinsurance.com", "10.16.0.5",
                   ["sbell", "kfox", "svc-rds", "anovak"])
    cl = sc.host("WS-CLM-54", org.dns, "10.16.44.54", os="w11")
    rdsh = sc.host("RDSH-CLM02", org.dns, "10.16.6.22", offset=-88.8, os="2019")
    cb = sc.host("RDCB01", org.dns, "10.16.6.5", offset=-86.1, os="2019")
    crdp, _ = sc.client(cl)
    s = sc.server(rdsh, "System", CORE, SBC)
    b_sys = sc.log("server-rdcb01", cb, "System")
    b_sb = sc.log("server-rdcb01", cb, SB)
    t0 = T("2027-06-07T08:03:11.050")
    start, end = t0 - secs(3 * 3600), t0 + secs(40 * 60)
    sid = org.user_sid("sbell")
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    bg_system(b_sys, r, start, end, server=True, dc=org.dc)
    bg_client_sessions(crdp, r, start - secs(4 * 86400), start - secs(3 * 86400), user_sid=sid,
                       typed_user="HUMONGOUS\\sbell", targets=[("rdsh-clm02.humongousinsurance.com", rdsh.ip)],
                       domain="HUMONGOUS", count=2)
    # 06:52: the broker's Windows Internal Database dies; the broker can no longer log on to its database
    crash = T("2027-06-07T06:52:40.310")
    scm_crash(b_sys, crash, "Windows Internal Database", "MSSQL$MICROSOFT##WID", 1, restart_ms=None)
    for k in range(6):
        b_sb.add(crash + secs(35 + k * 1200 + r.random() * 30), "sb", 2056, data=["NULL", "NULL", "Logon to the database failed."])
    # the session host cannot reach the broker when it has to place a user
    for delay, port in zip((0, 49.1, 262.0), ports(r, 3)):
        t = t0 + secs(delay)
        act = core_accept(s, r, t + secs(0.004), cl.ip, port)
        nla = t + secs(4.0 + r.random() * 3)
        s.sbc.add(nla + secs(0.4), "sbc", 1296, level=2, task=104, data=["text", "text",
                  "Remote Desktop Connection Broker is not ready for RPC communication."])
        b_sb.add(nla + secs(0.38), "sb", 2056, data=["NULL", "NULL", "Logon to the database failed."])
        core_drop(s, nla + secs(0.6), act)
        client_attempt(crdp, r, t, "rdsh-clm02.humongousinsurance.com", user_sid=sid, typed_user="HUMONGOUS\\sbell",
                       outcome="auth", reason=2308, think=(nla - t).total_seconds() - 0.35, lag=0.98)
    sc.write("The Connection Broker's Windows Internal Database stopped, so the broker cannot log on to its database "
             "(SessionBroker 2056) and the session host reports the broker not ready for RPC (1296) at each 0x904 attempt.",
             "session-broker", "high", ["connection-limits", "rdp-service-down", "rds-licensing", "network-blocked"])


def two_causes() -> None:
    sc = Scenario("two-causes")
    r = sc.rng
    org = make_org(r, "alpineskihouse.com", "ALPINE", "ASH-DC1.alpineskihouse.com", "10.50.0.4",
                   ["rbrandt", "posuser", "svc-pos", "tmeier"])
    cl = sc.host("WS-SHOP-03", org.dns, "10.50.20.3", os="w11")
    srv = sc.host("RDS-SHOP01", org.dns, "10.50.1.20", offset=155.0, os="2022")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE)
    t0 = T("2027-07-12T08:30:52.000")
    start, end = T("2027-07-12T01:30:00"), t0 + secs(45 * 60)
    sid = org.user_sid("rbrandt")
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    bg_client_sessions(crdp, r, start - secs(5 * 86400), start - secs(4 * 86400), user_sid=sid,
                       typed_user="ALPINE\\rbrandt", targets=[("rds-shop01", srv.ip)], domain="ALPINE", count=2)
    # the disk was restored from an image last week; the self-signed certificate expired overnight and its
    # renewal is refused by the MachineKeys ACL
    rcm_classic(s.system, T("2027-07-12T02:00:14"), 1058, ["Access is denied."], binary=f"{r.getrandbits(160):040X}")
    # cause A (the user's failure, correlated): every TLS handshake fails on the private key
    for delay, port in zip((0, 36.2, 118.0, 700.4), ports(r, 4)):
        t = t0 + secs(delay)
        client_attempt(crdp, r, t, "rds-shop01", user_sid=sid, typed_user="ALPINE\\rbrandt", outcome="tls", reason=2308)
        act = core_accept(s, r, t + secs(0.004), cl.ip, port)
        schannel(s.system, t + secs(0.011), 36870, [("Type", "server"), ("ErrorCode", "0x8009030d"), ("ErrorState", 10001)])
        core_drop(s, t + secs(0.02), act)
    # cause B (no client logs collected): the TLS 1.0-only till terminals fail in the protocol negotiation
    for ip, when in (("10.50.7.11", "08:05:02"), ("10.50.7.12", "08:05:40"), ("10.50.7.11", "08:20:15"), ("10.50.7.14", "08:41:33")):
        tt = T(f"2027-07-12T{when}.6")
        act = core_accept(s, r, tt, ip, ports(r, 1)[0])
        schannel(s.system, tt + secs(0.008), 36874, [("Protocol", "TLS 1.0")])
        schannel(s.system, tt + secs(0.008), 36888, [("AlertDesc", 70), ("ErrorState", 1203)])
        core_drop(s, tt + secs(0.015), act)
    sc.write("Two problems at once on one RD Session Host: the certificate renewal fails on MachineKeys permissions "
             "(RCM 1058 'Access is denied', Schannel 36870 at each of the user's 0x904 attempts) while TLS 1.0-only till "
             "terminals, whose logs were not collected, fail with Schannel 36874/36888.",
             "private-key-access", "high", ["rds-licensing", "network-blocked", "connection-limits"])


def client_only() -> None:
    sc = Scenario("client-only")
    r = sc.rng
    org = make_org(r, "wideworldimporters.com", "WWI", "WWI-DC01.wideworldimporters.com", "10.70.0.10",
                   ["hwilson", "gsmith"])
    cl = sc.host("LT-SALES-77", org.dns, "10.70.130.77", os="w11")
    crdp, csys = sc.client(cl, system=True)
    t0 = T("2027-08-03T15:44:09.800")
    start, end = t0 - secs(6 * 3600), t0 + secs(30 * 60)
    sid = org.user_sid("hwilson")
    bg_system(csys, r, start, end, server=False, dc=org.dc)
    bg_client_sessions(crdp, r, start, t0 - secs(3000), user_sid=sid, typed_user="hwilson@wideworldimporters.com",
                       targets=[("rds-sales02.wideworldimporters.com", "10.70.5.22")], domain="WWI", count=2)
    # the laptop's baseline disabled TLS 1.0/1.1; the old CRM terminal server speaks TLS 1.0 only
    for delay in (0, 27.9, 84.4):
        a = client_attempt(crdp, r, t0 + secs(delay), "crm-ts01.wideworldimporters.com", user_sid=sid,
                           typed_user="hwilson@wideworldimporters.com", outcome="tls", reason=2308)
        schannel(csys, a.end - secs(0.012), 36887, [("AlertDesc", 70)])
    sc.write("Only the client's logs: three 0x904 attempts to an old terminal server, each with Schannel 36887 "
             "(fatal alert 70, protocol_version, received) on the client; no server logs to confirm.",
             "tls-mismatch", "medium", ["rds-licensing", "network-blocked", "private-key-access", "rdp-certificate"])


def server_only() -> None:
    sc = Scenario("server-only")
    r = sc.rng
    org = make_org(r, "graphicdesigninstitute.com", "GDI", "GDI-DC01.graphicdesigninstitute.com", "10.60.0.3",
                   ["ahill", "bclark", "cyoung", "dking", "adm-ewest", "svc-render"])
    srv = sc.host("RDS-STUDIO01", org.dns, "10.60.4.21", offset=0.0, os="2022")
    s = sc.server(srv, "System", CORE, LSM)
    start, end = T("2027-09-14T05:30:00"), T("2027-09-14T10:00:00")
    bg_system(s.system, r, start, end, server=True, dc=org.dc)
    # a session that was open before patch night reconnects fine: drain mode allows reconnection
    ss = server_session(s, r, org, T("2027-09-13T17:10:00.2"), client_ip="10.60.30.14", port=ports(r, 1)[0],
                        client_name="WS", login="dking", duration=40000, end="disconnect", lsm_reason=11)
    act = core_accept(s, r, T("2027-09-14T08:15:33.4"), "10.60.30.14", ports(r, 1)[0])
    lsm(s.lsm, T("2027-09-14T08:15:41.9"), 25, ss["full"], ss["session"], "10.60.30.14")
    # drain mode set during patch night, never reset: every new logon is refused
    for when, ip in (("07:58:10", "10.60.30.21"), ("08:02:47", "10.60.31.5"), ("08:03:30", "10.60.30.21"),
                     ("08:09:12", "10.60.32.40"), ("08:31:02", "10.60.31.5"), ("08:44:55", "10.60.30.77")):
        tt = T(f"2027-09-14T{when}.3")
        act = core_accept(s, r, tt, ip, ports(r, 1)[0])
        rcm_classic(s.system, tt + secs(5.2 + r.random() * 3), 1070, [])
        core_drop(s, tt + secs(8.6), act)
    sc.write("Only the server's logs: an RD Session Host left in drain mode after patch night refuses every new logon "
             "(RCM 1070 after each RdpCoreTS 131 from six clients) while an existing session reconnects.",
             "connection-limits", "high", ["rdp-service-down", "rds-licensing", "network-blocked", "logon-rights"])


def rdp_service_stopped() -> None:
    sc = Scenario("rdp-service-stopped")
    r = sc.rng
    org = make_org(r, "fineartschool.net", "FINEART", "FAS-DC01.fineartschool.net", "10.22.0.2",
                   ["olarsen", "pnguyen"])
    cl = sc.host("LT-TEACH-19", org.dns, "10.22.50.19", os="w11")
    srv = sc.host("PC-DESIGN-14", org.dns, "10.22.71.14", offset=-41.0, os="w11")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "System", CORE)
    t0 = T("2027-10-18T13:05:20.450")
    start, end = t0 - secs(6 * 3600), t0 + secs(30 * 60)
    sid = org.user_sid("olarsen")
    bg_system(s.system, r, start, end, server=False, dc=org.dc)
    # yesterday's remote help session still worked
    t1 = T("2027-10-17T15:20:02.7")
    ss = server_session(s, r, org, t1 + secs(0.004), client_ip=cl.ip, port=ports(r, 1)[0], client_name=cl.name,
                        login="olarsen", duration=1100)
    client_attempt(crdp, r, t1, "pc-design-14", user_sid=sid, typed_user="FINEART\\olarsen", outcome="success",
                   reason=1, server_ip=srv.ip, domain="FINEART", session=ss["session"], duration=1102)
    # this morning a 'debloat' script disabled and stopped Remote Desktop Services
    d = T("2027-10-18T09:12:30.100")
    scm_7040(s.system, d, "Remote Desktop Services", "demand start", "disabled", "TermService")
    scm_7036(s.system, d + secs(0.9), "Remote Desktop Services UserMode Port Redirector", "UmRdpService", "stopped")
    scm_7036(s.system, d + secs(1.6), "Remote Desktop Services", "TermService", "stopped")
    for delay in (0, 14.4, 96.0):
        client_attempt(crdp, r, t0 + secs(delay), "pc-design-14", user_sid=sid, typed_user="FINEART\\olarsen",
                       outcome="refused", reason=516)
    sc.write("A teacher cannot reach a lab PC: a cleanup script set Remote Desktop Services to disabled and stopped it "
             "(SCM 7040, 7036 TermService/1); the client gets 516 (0x204) at once, no RdpCoreTS 131.",
             "rdp-service-down", "high", ["network-blocked", "listener-port", "tls-mismatch"])


def account_lockout() -> None:
    sc = Scenario("account-lockout")
    r = sc.rng
    org = make_org(r, "consolidatedmessenger.com", "CONSOLIDATED", "CM-DC01.consolidatedmessenger.com", "10.26.0.6",
                   ["fkovacs", "mlindqvist", "svc-backup"])
    cl = sc.host("WS-DISP-11", org.dns, "10.26.40.11", os="w10")
    srv = sc.host("TS-LOG01", org.dns, "10.26.3.30", offset=71.5, os="2019")
    crdp, _ = sc.client(cl)
    s = sc.server(srv, "Security", CORE)
    t0 = T("2027-11-22T07:31:12.900")
    start, end = t0 - secs(3 * 3600), t0 + secs(30 * 60)
    sid = org.user_sid("fkovacs")
    bg_security(s.security, r, org, srv, start, end, peers=[("CM-DC01", "10.26.0.6")], service_accounts=["svc-backup"])
    # an old laptop keeps retrying the previous password for a mapped drive on this server
    old = "10.26.41.203"
    for k in range(6):
        tt = t0 - secs(1800 - k * 95.0)
        sec_4625(s.security, tt, host=srv, org=org, user="fkovacs", domain="CONSOLIDATED", status="0xc000006d",
                 substatus="0xc000006a", logon_type=3, ip=old, port=str(r.randrange(49700, 65000)),
                 workstation="LT-FKOVACS-OLD")
    # the user's RDP attempts: NLA reports the locked account
    for delay, port in zip((0, 41.0), ports(r, 2)):
        t = t0 + secs(delay)
        act = core_accept(s, r, t + secs(0.004), cl.ip, port)
        nla = t + secs(5.0 + r.random() * 4)
        sec_4625(s.security, nla, host=srv, org=org, user="fkovacs", domain="CONSOLIDATED", status="0xc0000234",
                 substatus="0x0", logon_type=3, ip=cl.ip, port=str(port), workstation=cl.name, failure="%%2307")
        core_drop(s, nla + secs(0.2), act)
        client_attempt(crdp, r, t, "ts-log01.consolidatedmessenger.com", user_sid=sid,
                       typed_user="CONSOLIDATED\\fkovacs", outcome="auth", reason=3335,
                       think=(nla - t).total_seconds() - 0.3, lag=0.45)
    sc.write("The user's account was locked out by an old laptop retrying a stale password; the RDP attempts fail in "
             "NLA with 4625 status 0xC0000234 and the client reports 1026 = 3335 (0xD07, account locked out).",
             "logon-rights", "high", ["nla-credssp", "internet-exposure", "network-blocked", "connection-limits"])


SCENARIOS = {
    "tls-mismatch": tls_mismatch,
    "rdp-certificate": rdp_certificate,
    "private-key-access": private_key_access,
    "healthy": healthy,
    "nla-credssp": nla_credssp,
    "rds-licensing": rds_licensing,
    "rd-gateway": rd_gateway,
    "network-blocked": network_blocked,
    "unstable-network": unstable_network,
    "connection-limits": connection_limits,
    "rdp-service-down": rdp_service_down,
    "listener-port": listener_port,
    "logon-rights": logon_rights,
    "security-layer": security_layer,
    "name-mismatch": name_mismatch,
    "internet-exposure": internet_exposure,
    "session-broker": session_broker,
    "two-causes": two_causes,
    "client-only": client_only,
    "server-only": server_only,
    "rdp-service-stopped": rdp_service_stopped,
    "account-lockout": account_lockout,
}


def main(argv: list[str]) -> int:
    names = argv or list(SCENARIOS)
    for name in names:
        if name not in SCENARIOS:
            print(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
            return 2
        SCENARIOS[name]()
        print(f"wrote samples/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
