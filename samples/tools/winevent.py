"""Windows event XML building blocks for the sample scenarios.

Only the Python 3.11 standard library is used and every value comes from a seeded
random.Random, so the same scenario always renders byte-identical XML.

The shapes (provider GUIDs, Level/Task/Opcode/Keywords, field names, classic events with
Qualifiers/EventSourceName, unnamed Data + Binary, UserData/EventXML) follow real exports
(see samples/README.md, "Where the shapes come from") and
/work/shared/domain/rdp-evidence.md §2/§2.1.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
EPOCH = dt.datetime(1601, 1, 1)

# name, guid, EventSourceName (classic events only), default System values
PROVIDERS: dict[str, dict] = {
    "client": dict(name="Microsoft-Windows-TerminalServices-ClientActiveXCore",
                   guid="{28aa95bb-d444-4719-a36f-40462168127e}",
                   kw="0x4000000000000000", task=101, opcode=10, level=4),
    "core": dict(name="Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
                 guid="{1139c61b-b549-4251-8ed3-27250a1edec8}",
                 kw="0x4000000000000000", task=4, opcode=15, level=4, user="S-1-5-20", pid="termsvc"),
    "lsm": dict(name="Microsoft-Windows-TerminalServices-LocalSessionManager",
                guid="{5d896912-022d-40aa-a3a8-4fa5515c76d7}",
                kw="0x1000000000000000", task=0, opcode=0, level=4, user="S-1-5-18", pid="lsm"),
    "rcm_op": dict(name="Microsoft-Windows-TerminalServices-RemoteConnectionManager",
                   guid="{c76baa63-ae81-421c-b425-340b4b24157f}",
                   kw="0x1000000000000000", task=0, opcode=0, level=4, user="S-1-5-20", pid="termsvc"),
    "rcm_admin": dict(name="Microsoft-Windows-TerminalServices-RemoteConnectionManager",
                      guid="{c76baa63-ae81-421c-b425-340b4b24157f}",
                      kw="0x4000000000000000", task=0, opcode=0, level=4, user="S-1-5-20", pid="termsvc"),
    # classic (message-table) RCM events in System: uppercase GUID, EventSourceName TermService,
    # Execution 0/0 and an empty Security element, as exported from real hosts
    "rcm_sys": dict(name="Microsoft-Windows-TerminalServices-RemoteConnectionManager",
                    guid="{C76BAA63-AE81-421C-B425-340B4B24157F}", source="TermService",
                    kw="0x80000000000000", task=0, opcode=0, level=2, pid="zero"),
    "schannel": dict(name="Schannel", guid="{1f678132-5938-4686-9fdc-c8ff68f15c85}",
                     kw="0x8000000000000000", task=0, opcode=0, level=2, user="S-1-5-18", pid="lsass"),
    "scm": dict(name="Service Control Manager", guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}",
                source="Service Control Manager", kw="0x8080000000000000", task=0, opcode=0,
                level=4, pid="services"),
    "sec": dict(name="Microsoft-Windows-Security-Auditing",
                guid="{54849625-5478-4994-a5ba-3e3b0328c30d}",
                kw="0x8020000000000000", task=12544, opcode=0, level=0, pid="lsass"),
    "fw": dict(name="Microsoft-Windows-Windows Firewall With Advanced Security",
               guid="{d1bc9aff-2abf-4d71-9146-ecb2a986eb85}",
               kw="0x8000020000000000", task=0, opcode=0, level=4, user="S-1-5-19", pid="mpssvc"),
    "gw": dict(name="Microsoft-Windows-TerminalServices-Gateway",
               guid="{4d5ae6a1-c7c8-4e6d-b840-4d8080b42e1b}",
               kw="0x4000000001000000", task=3, opcode=30, level=4, user="S-1-5-20", pid="tsgateway"),
    "lsasrv": dict(name="LsaSrv", guid="{199fe037-2b82-40a9-82ac-e1d46c792b99}", source="LsaSrv",
                   kw="0x80000000000000", task=0, opcode=0, level=2, pid="lsass"),
    "sbc": dict(name="Microsoft-Windows-TerminalServices-SessionBroker-Client",
                guid="{2184b5c9-1c83-4304-9c58-a9e76f718993}",
                kw="0x2000000000000000", task=100, opcode=10, level=4, user="S-1-5-20", pid="termsvc"),
    "sb": dict(name="Microsoft-Windows-TerminalServices-SessionBroker",
               guid=None,  # GUID not found in the sources consulted: left out, like classic providers
               kw="0x2000000000000000", task=109, opcode=0, level=2, user="S-1-5-20", pid="tssdis"),
    "kgen": dict(name="Microsoft-Windows-Kernel-General", guid="{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}",
                 kw="0x8000000000000000", task=0, opcode=0, level=4, user="S-1-5-18", pid="system"),
    "time": dict(name="Microsoft-Windows-Time-Service", guid="{06edcfeb-0fd0-4e53-acca-a6f8bbf81bcb}",
                 kw="0x8000000000000000", task=0, opcode=0, level=4, user="S-1-5-19", pid="w32time"),
    "dns": dict(name="Microsoft-Windows-DNS-Client", guid="{1c95126e-7eea-49a9-a3fe-a378b03ddb4d}",
                kw="0x4000000010000000", task=1014, opcode=0, level=3, user="S-1-5-20", pid="dnscache"),
    "gp": dict(name="Microsoft-Windows-GroupPolicy", guid="{aea1b4fa-97d1-45f2-a64c-4d69fffd92c9}",
               kw="0x8000000000000000", task=0, opcode=1, level=4, user="S-1-5-18", pid="gpsvc"),
    "winlogon": dict(name="Microsoft-Windows-Winlogon", guid="{dbe9b383-7cf3-4331-91cc-a3cb16a3b538}",
                     kw="0x2000200000000000", task=1101, opcode=0, level=4, user="S-1-5-18", pid="winlogon"),
    "wu": dict(name="Microsoft-Windows-WindowsUpdateClient", guid="{945a8954-c147-4acd-923f-40c45405a658}",
               kw="0x8000000000000018", task=1, opcode=13, level=4, user="S-1-5-18", pid="wuauserv"),
}

LSM_ACTIVITY = "{61A55000-55E5-1017-0000-000000000000}"


def esc(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;"))


def utf16_hex(text: str) -> str:
    """`Binary` of SCM events: the UTF-16LE string with its terminating NUL, as hex."""
    return (text.encode("utf-16-le") + b"\x00\x00").hex().upper()


def user_hash(typed_user: str) -> str:
    """RDPClient 1029: Base64(SHA256(UTF-16LE user name)) followed by '-'."""
    digest = hashlib.sha256(typed_user.encode("utf-16-le")).digest()
    return base64.b64encode(digest).decode() + "-"


@dataclass
class Host:
    """One machine: its name as Windows writes it in `Computer`, address, clock offset, pids."""
    name: str                 # NetBIOS name, upper case
    domain: str | None        # DNS domain, None for workgroup machines
    ip: str
    rng: random.Random
    offset: float = 0.0       # host clock minus true time, seconds
    os: str = "2022"
    pids: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        def pid(lo: int, hi: int) -> int:
            return self.rng.randrange(lo, hi) // 4 * 4
        base = {"system": 4, "zero": 0, "lsass": pid(640, 900), "services": pid(600, 780),
                "termsvc": pid(1000, 1600), "lsm": pid(900, 1100), "winlogon": pid(500, 640),
                "mpssvc": pid(2000, 2800), "tsgateway": pid(2600, 4200), "w32time": pid(1600, 2400),
                "dnscache": pid(1400, 2200), "gpsvc": pid(1100, 1500), "wuauserv": pid(3000, 7000),
                "tssdis": pid(2200, 3400)}
        base.update(self.pids)
        self.pids = base
        self.threads = [self.rng.randrange(200, 9000) // 4 * 4 for _ in range(24)]

    @property
    def computer(self) -> str:
        return f"{self.name}.{self.domain}" if self.domain else self.name

    @property
    def fqdn(self) -> str:
        return self.computer.lower()

    def new_pid(self) -> int:
        return self.rng.randrange(2000, 14000) // 4 * 4


@dataclass
class Event:
    t: dt.datetime            # true (UTC) time; the host's clock offset is added when rendering
    seq: int
    prov: str
    eid: int
    level: int | None = None
    task: int | None = None
    opcode: int | None = None
    kw: str | None = None
    version: int = 0
    qualifiers: int | None = None
    data: list | None = None          # [(name, value)] named, or [value] unnamed
    binary: str | None = None
    userdata: tuple | None = None     # (element, xmlns, [(name, value)])
    activity: str | None = None
    user: str | None = None
    pid: int | str | None = None
    tid: int | None = None


class Log:
    """One exported log file of one host: events kept in time order, record ids increasing."""

    def __init__(self, host: Host, channel: str, first_record: int) -> None:
        self.host = host
        self.channel = channel
        self.first_record = first_record
        self.events: list[Event] = []
        # set to a function(Event) -> message to export "with display information" (RenderingInfo)
        self.rendering = None

    @property
    def file_name(self) -> str:
        return self.channel.replace("/", "%4") + ".xml"

    def add(self, t: dt.datetime, prov: str, eid: int, **kw) -> Event:
        ev = Event(t=t, seq=len(self.events), prov=prov, eid=eid, **kw)
        self.events.append(ev)
        return ev

    def render(self) -> str:
        out = ["<?xml version='1.0' encoding='utf-8'?>", "<Events>"]
        ordered = sorted(self.events, key=lambda e: (e.t, e.seq))
        self._last_ticks = -1
        for n, ev in enumerate(ordered):
            out.append(self._render_event(ev, self.first_record + n))
        out.append("</Events>")
        return "\n".join(out) + "\n"

    def _render_event(self, ev: Event, record_id: int) -> str:
        p = PROVIDERS[ev.prov]
        h = self.host
        t = ev.t + dt.timedelta(seconds=h.offset)
        # seven fractional digits (100 ns ticks), as Windows writes SystemTime; never decreasing
        # within a log, so that record ids and times agree
        ticks = (t - EPOCH) // dt.timedelta(microseconds=1) * 10 + (record_id * 7 + ev.eid) % 10
        ticks = max(ticks, self._last_ticks + 1)
        self._last_ticks = ticks
        t = EPOCH + dt.timedelta(microseconds=ticks // 10)
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S") + f".{t.microsecond * 10 + ticks % 10:07d}Z"
        guid = f" Guid='{p['guid']}'" if p.get("guid") else ""
        src = f" EventSourceName='{esc(p['source'])}'" if p.get("source") else ""
        qual = f" Qualifiers='{ev.qualifiers}'" if ev.qualifiers is not None else ""
        level = p["level"] if ev.level is None else ev.level
        task = p["task"] if ev.task is None else ev.task
        opcode = p["opcode"] if ev.opcode is None else ev.opcode
        kw = p["kw"] if ev.kw is None else ev.kw
        pid_key = ev.pid if ev.pid is not None else p.get("pid", 0)
        pid = h.pids.get(pid_key, 0) if isinstance(pid_key, str) else pid_key
        tid = ev.tid if ev.tid is not None else (0 if pid == 0 else h.threads[(record_id * 5 + ev.eid) % len(h.threads)])
        user = ev.user if ev.user is not None else p.get("user")
        corr = f"<Correlation ActivityID='{ev.activity}'/>" if ev.activity else "<Correlation/>"
        sec = f"<Security UserID='{user}'/>" if user else "<Security/>"
        system = (
            f"<System><Provider Name='{esc(p['name'])}'{guid}{src}/>"
            f"<EventID{qual}>{ev.eid}</EventID><Version>{ev.version}</Version>"
            f"<Level>{level}</Level><Task>{task}</Task><Opcode>{opcode}</Opcode>"
            f"<Keywords>{kw}</Keywords><TimeCreated SystemTime='{stamp}'/>"
            f"<EventRecordID>{record_id}</EventRecordID>{corr}"
            f"<Execution ProcessID='{pid}' ThreadID='{tid}'/>"
            f"<Channel>{esc(self.channel)}</Channel><Computer>{esc(h.computer)}</Computer>{sec}</System>"
        )
        return f"<Event xmlns='{EVENT_NS}'>{system}{self._render_payload(ev)}{self._render_info(ev, p, level)}</Event>"

    def _render_info(self, ev: Event, p: dict, level: int) -> str:
        if self.rendering is None:
            return ""
        message = self.rendering(ev)
        if message is None:
            return ""
        level_name = {0: "Information", 1: "Critical", 2: "Error", 3: "Warning", 4: "Information"}[level]
        return (f"<RenderingInfo Culture='en-US'><Message>{esc(message)}</Message><Level>{level_name}</Level>"
                f"<Opcode>Info</Opcode><Channel>{esc(self.channel)}</Channel><Provider>{esc(p['name'])}</Provider>"
                f"<Keywords></Keywords></RenderingInfo>")

    @staticmethod
    def _render_payload(ev: Event) -> str:
        if ev.userdata is not None:
            elem, xmlns, items = ev.userdata
            inner = "".join(f"<{k}>{esc(v)}</{k}>" if v != "" else f"<{k}></{k}>" for k, v in items)
            return f"<UserData><{elem} xmlns='{xmlns}'>{inner}</{elem}></UserData>"
        parts = []
        for item in ev.data or []:
            if isinstance(item, tuple):
                name, value = item
                parts.append(f"<Data Name='{esc(name)}'>{esc(value)}</Data>")
            else:
                parts.append(f"<Data>{esc(item)}</Data>")
        if ev.binary is not None:
            parts.append(f"<Binary>{ev.binary}</Binary>")
        return "<EventData>" + "".join(parts) + "</EventData>" if parts else "<EventData/>"


def write_logs(root: Path, folder: str, logs: list[Log]) -> None:
    target = root / "source" / folder
    target.mkdir(parents=True, exist_ok=True)
    for log in logs:
        if log.events:
            (target / log.file_name).write_text(log.render(), encoding="utf-8", newline="\n")
