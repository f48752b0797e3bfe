#!/usr/bin/env python3
"""Checks the invariants every sample scenario promises (see samples/README.md).

Usage: python3 samples/tools/check_scenarios.py [SAMPLES_DIR]    (default: samples)

Reads source/**.xml and expected.json only (standard library), prints one line per problem
and a summary, and exits 1 when a problem was found.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

NS = {"e": "http://schemas.microsoft.com/win/2004/08/events/event"}
RULE_IDS = {"tls-mismatch", "rdp-certificate", "private-key-access", "nla-credssp", "rds-licensing", "rd-gateway",
            "network-blocked", "unstable-network", "connection-limits", "rdp-service-down", "listener-port",
            "logon-rights", "security-layer", "name-mismatch", "internet-exposure", "session-broker"}
LEVELS = {"high", "medium", "low", "info"}


def when(text: str) -> dt.datetime:
    return dt.datetime.strptime(text[:26], "%Y-%m-%dT%H:%M:%S.%f")


def events(path: Path):
    root = ET.parse(path).getroot()
    for ev in root.findall("e:Event", NS):
        sysel = ev.find("e:System", NS)
        rec = {
            "id": int(sysel.find("e:EventID", NS).text),
            "provider": sysel.find("e:Provider", NS).get("Name"),
            "time": when(sysel.find("e:TimeCreated", NS).get("SystemTime")),
            "record": int(sysel.find("e:EventRecordID", NS).text),
            "channel": sysel.find("e:Channel", NS).text,
            "computer": sysel.find("e:Computer", NS).text,
            "activity": (sysel.find("e:Correlation", NS).get("ActivityID") or ""),
            "data": {d.get("Name"): (d.text or "") for d in ev.iter(f"{{{NS['e']}}}Data") if d.get("Name")},
        }
        yield rec


def check_scenario(folder: Path, problems: list[str]) -> None:
    name = folder.name
    exp_path = folder / "expected.json"
    try:
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        problems.append(f"{exp_path}: unreadable: {err}")
        return
    required = {"scenario", "description", "first", "confidence", "must_not_claim"}
    if not required <= set(exp) <= required | {"also"}:
        problems.append(f"{exp_path}: keys {sorted(exp)}")
    if exp.get("scenario") != name:
        problems.append(f"{exp_path}: scenario {exp.get('scenario')!r} is not the folder name")
    first, conf = exp.get("first"), exp.get("confidence")
    if first is not None and (first not in RULE_IDS or conf not in LEVELS):
        problems.append(f"{exp_path}: first {first!r} / confidence {conf!r}")
    if first is None and conf is not None:
        problems.append(f"{exp_path}: confidence without a first cause")
    for cause in exp.get("must_not_claim", []):
        if cause not in RULE_IDS or cause == first:
            problems.append(f"{exp_path}: must_not_claim {cause!r}")
    for cause in exp.get("also", []):
        if cause not in RULE_IDS or cause == first or cause in exp.get("must_not_claim", []):
            problems.append(f"{exp_path}: also {cause!r}")

    client_attempts: list[tuple[dt.datetime, str]] = []
    server_131: dict[str, list[dt.datetime]] = defaultdict(list)
    for host in sorted((folder / "source").iterdir()):
        computers = set()
        for log in sorted(host.glob("*.xml")):
            evs = list(events(log))
            computers |= {e["computer"] for e in evs}
            expected_file = evs[0]["channel"].replace("/", "%4") + ".xml" if evs else log.name
            if log.name != expected_file:
                problems.append(f"{log}: channel {evs[0]['channel']!r} does not match the file name")
            for a, b in zip(evs, evs[1:]):
                if b["record"] != a["record"] + 1 or b["time"] < a["time"]:
                    problems.append(f"{log}: record {b['record']} out of order")
                    break
            by_activity = defaultdict(list)
            for e in evs:
                if e["provider"] == "Microsoft-Windows-TerminalServices-ClientActiveXCore":
                    by_activity[e["activity"]].append(e)
                if e["provider"] == "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS" and e["id"] == 131 \
                        and e["data"].get("ConnType") == "TCP":
                    server_131[e["data"]["ClientIP"].rsplit(":", 1)[0]].append(e["time"])
            for act, group in by_activity.items():
                ids = [e["id"] for e in group]
                if not act or ids.count(1024) != 1 or ids[0] != 1024 or ids.count(1026) != 1 or ids[-1] != 1026:
                    problems.append(f"{log}: attempt {act or '(no ActivityID)'} is not one 1024 ... one 1026: {ids}")
                client_attempts.append((group[0]["time"], host.name))
        if len(computers) > 1:
            problems.append(f"{host}: several Computer names {sorted(computers)}")
    # clock skew: where a client attempt and the server's 131 for that client both exist, they differ by
    # a realistic offset (the scenarios use 40 s to 3 min)
    if client_attempts and server_131:
        offsets = []
        for t, _ in client_attempts:
            near = [s for times in server_131.values() for s in times if abs((s - t).total_seconds()) < 200]
            if near:
                offsets.append(min(near, key=lambda s: abs((s - t).total_seconds())) - t)
        if offsets and not any(39 <= abs(o.total_seconds()) <= 181 for o in offsets):
            problems.append(f"{folder}: no client attempt is 40 s to 3 min from a server 131 (skew)")


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path("samples")
    problems: list[str] = []
    scenarios = sorted(p.parent for p in root.glob("*/expected.json"))
    for folder in scenarios:
        check_scenario(folder, problems)
    for line in problems:
        print(line)
    print(f"{len(scenarios)} scenarios checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
