#!/usr/bin/env bash
# Three independent EVTX parsers read every generated .evtx back to the same events.
#
#   scripts/check-samples.sh [DIR_OR_FILE...]      (default: samples)
#
# Parsers: evtx_dump (the evtx crate), evtxexport (libyal libevtx; Debian libevtx-utils) and
# python-evtx (PyPI python-evtx). Each must read each file with zero errors; then the three
# renderings are compared record by record: record count, EventRecordID, EventID and
# Qualifiers, Provider Name/Guid/EventSourceName, Channel, Computer, Level, Task, Opcode,
# Keywords, Version, TimeCreated (to 10 microseconds: python-evtx converts through a float), Correlation,
# Execution, Security UserID, and every EventData/UserData field by name (Binary as hex).
# The file header, chunk header and record CRC32s are checked too.
# Prints one line per file that falls short and a summary; exits 0 only when all agree.
set -u
# The Rust evtx_dump (python-evtx installs a script of the same name): resolve it here.
EVTX_DUMP=${EVTX_DUMP:-$(command -v "$HOME/.cargo/bin/evtx_dump" || command -v evtx_dump)}
export EVTX_DUMP EVTXEXPORT=$(command -v evtxexport)
for tool in "$EVTX_DUMP" evtxexport python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (evtx_dump: cargo install evtx; evtxexport: apt-get install libevtx-utils)"; exit 2; }
done
python3 -c 'import Evtx' 2>/dev/null || { echo "missing python-evtx (pip install python-evtx)"; exit 2; }
[ $# -gt 0 ] || set -- samples
exec python3 - "$@" <<'PY'
import base64, os, re, subprocess, sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import Evtx.Evtx as pyevtx

def files(args):
    for a in args:
        if os.path.isfile(a):
            yield a
        for root, _, names in os.walk(a):
            for n in sorted(names):
                if n.lower().endswith(".evtx"):
                    yield os.path.join(root, n)

EVENT = re.compile(r"<Event[ >].*?</Event>", re.S)

def local(tag):
    return tag.rsplit("}", 1)[-1]

def norm_time(text):
    # "2024-03-01T09:58:12.4471234Z" | "...12.447123400Z" | "2024-03-01 09:58:12.447123+00:00"
    m = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?", text or "")
    if not m:
        return text
    return "%sT%s.%s" % (m.group(1), m.group(2), (m.group(3) or "").ljust(6, "0")[:6])

def norm_value(name, text, binary=False):
    text = text or ""
    if binary:
        if re.fullmatch(r"[0-9A-Fa-f]*", text) and len(text) % 2 == 0:
            return text.upper()
        try:
            return base64.b64decode(text, validate=True).hex().upper()  # python-evtx
        except Exception:
            return text
    if re.fullmatch(r"\{[0-9A-Fa-f-]{36}\}", text):
        return text.upper()
    return text

def normalize(xml):
    root = ET.fromstring(xml)
    out = {}
    for el in root:
        part = local(el.tag)
        if part == "System":
            for s in el:
                name = local(s.tag)
                if s.text and s.text.strip():
                    v = s.text.strip()
                    if name == "Keywords":
                        v = str(int(v, 16))
                    out[name] = norm_value(name, v)
                for k, v in s.attrib.items():
                    key = "%s/@%s" % (name, local(k))
                    out[key] = norm_time(v) if key == "TimeCreated/@SystemTime" else norm_value(key, v)
        elif part == "EventData":
            n = 0
            for d in el:
                name = local(d.tag)
                if name == "Data":
                    n += 1
                    key = d.attrib.get("Name") or "Data%d" % n
                    out["EventData/" + key] = norm_value(key, d.text)
                else:
                    out["EventData/" + name] = norm_value(name, d.text, binary=(name == "Binary"))
        elif part == "UserData":
            def walk(e, prefix):
                kids = list(e)
                if not kids:
                    out[prefix] = norm_value(prefix, e.text)
                for k in kids:
                    walk(k, prefix + "/" + local(k.tag))
            for top in el:
                walk(top, "UserData/" + local(top.tag))
    return out

def same(key, a, b):
    if a == b:
        return True
    if key == "TimeCreated/@SystemTime" and a and b:
        # python-evtx converts FILETIME through a float: allow it 10 microseconds.
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
        try:
            return abs((datetime.strptime(a, fmt) - datetime.strptime(b, fmt)).total_seconds()) <= 1e-5
        except ValueError:
            return False
    return False

def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr

def via_evtx_dump(path):
    rc, out, err = run([os.environ["EVTX_DUMP"], "-o", "xml", path])
    errors = [l for l in err.splitlines() if l.strip()]
    if rc != 0:
        errors.append("exit %d" % rc)
    return EVENT.findall(out), errors

def via_evtxexport(path):
    rc, out, err = run([os.environ["EVTXEXPORT"], "-f", "xml", path])
    errors = [l for l in err.splitlines() if l.strip()]
    if rc != 0:
        errors.append("exit %d" % rc)
    # Its text mode reports records it cannot export ("Unable to export record") on stdout.
    rc_text, text, err_text = run([os.environ["EVTXEXPORT"], "-f", "text", path])
    errors += [l for l in (text + err_text).splitlines() if l.startswith("Unable to") or "rror" in l.split(":")[0]]
    if rc_text != 0:
        errors.append("text mode exit %d" % rc_text)
    return EVENT.findall(out), errors

def via_python_evtx(path):
    events, errors = [], []
    try:
        with pyevtx.Evtx(path) as log:
            for record in log.records():
                try:
                    events.append(record.xml())
                except Exception as e:
                    errors.append("record: %s" % e)
    except Exception as e:
        errors.append(str(e))
    return events, errors

def checksums(path):
    """The CRC32s every reader may check: file header, each chunk header, each chunk's records."""
    import struct, zlib
    data = open(path, "rb").read()
    errors = []
    if len(data) < 4096 or data[:8] != b"ElfFile\0":
        return ["not an EVTX file header"]
    if struct.unpack_from("<I", data, 124)[0] != zlib.crc32(data[:120]):
        errors.append("file header CRC32")
    chunks = struct.unpack_from("<H", data, 42)[0]
    if len(data) != 4096 + chunks * 65536:
        errors.append("file size %d is not 4096 + %d chunks" % (len(data), chunks))
    for n in range(chunks):
        c = data[4096 + n * 65536: 4096 + (n + 1) * 65536]
        if c[:8] != b"ElfChnk\0":
            errors.append("chunk %d signature" % n); continue
        if struct.unpack_from("<I", c, 124)[0] != zlib.crc32(c[:120] + c[128:512]):
            errors.append("chunk %d header CRC32" % n)
        free = struct.unpack_from("<I", c, 48)[0]
        if struct.unpack_from("<I", c, 52)[0] != zlib.crc32(c[512:free]):
            errors.append("chunk %d records CRC32" % n)
    return errors

PARSERS = [("evtx_dump", via_evtx_dump), ("evtxexport", via_evtxexport), ("python-evtx", via_python_evtx)]
totals = {name: 0 for name, _ in PARSERS}
totals["crc"] = 0
nfiles = nrecords = mismatched_files = 0
for path in files(sys.argv[1:]):
    nfiles += 1
    results = {}
    problems = []
    crc_errors = checksums(path)
    totals["crc"] += len(crc_errors)
    if crc_errors:
        problems.append("checksums: %s" % ", ".join(crc_errors))
    for name, parse in PARSERS:
        events, errors = parse(path)
        totals[name] += len(errors)
        if errors:
            problems.append("%s: %d errors, first: %s" % (name, len(errors), errors[0][:200]))
        try:
            results[name] = [normalize(x) for x in events]
        except ET.ParseError as e:
            problems.append("%s: unparsable XML output: %s" % (name, e))
            totals[name] += 1
            results[name] = []
    counts = {n: len(r) for n, r in results.items()}
    if len(set(counts.values())) != 1:
        problems.append("record counts differ: %s" % counts)
    else:
        ref = results["evtx_dump"]
        nrecords += len(ref)
        for name in ("evtxexport", "python-evtx"):
            for i, (a, b) in enumerate(zip(ref, results[name])):
                keys = sorted(k for k in set(a) | set(b) if not same(k, a.get(k), b.get(k)))
                if keys:
                    k = keys[0]
                    problems.append("%s differs at record %d (%s): evtx_dump %r vs %r" % (name, i + 1, k, a.get(k), b.get(k)))
                    break
    if problems:
        mismatched_files += 1
        for p in problems:
            print("SHORT %s: %s" % (path, p))
print("three-parser check: %d files, %d records; errors: evtx_dump %d, evtxexport %d, python-evtx %d, CRC32 %d; files that differ or fail: %d"
      % (nfiles, nrecords, totals["evtx_dump"], totals["evtxexport"], totals["python-evtx"], totals["crc"], mismatched_files))
sys.exit(0 if nfiles > 0 and mismatched_files == 0 else 1)
PY
