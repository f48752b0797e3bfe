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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rdp import (Org, ServerLogs, bg_client_sessions, bg_security, bg_system, client_attempt,  # noqa: E402
                 core_accept, core_drop, guid, lsm, make_org, rcm_classic, schannel, scm_7036, sec_4624,
                 sec_4625, sec_4634, sec_4672, sec_4688, secs, server_session, utf16_hex)
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
    # the self-signed certificate expired; every check since then fails to replace it
    for k, (delay, port) in enumerate(zip([0, 58.3, 303.1, 1210.0], ports(r, 4))):
        t = t0 + secs(delay)
        client_attempt(crdp, r, t, "app-fin02", user_sid=sid, typed_user="mfischer", outcome="tls", reason=2308)
        act = core_accept(s, r, t + secs(0.006), cl.ip, port)
        rcm_classic(s.system, t + secs(0.009), 1058, ["Cannot find object or property."])
        core_drop(s, t + secs(0.03), act)
    # an earlier failure at 03:12 when SessionEnv checked the certificate
    rcm_classic(s.system, T("2026-05-04T03:12:09"), 1058, ["Cannot find object or property."])
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
                service_accounts=["svc-backup"], busy=0.7)
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


SCENARIOS = {
    "tls-mismatch": tls_mismatch,
    "rdp-certificate": rdp_certificate,
    "private-key-access": private_key_access,
    "healthy": healthy,
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
