"""Clock faults a real site has, on the same simulated bundles, and the verdicts on each.

A bundle from :func:`hbtriage.simulate.scenarios.generate` states both servers' zones (perfmon
headers, the CVP's offset in each line) and skews the CVP by at most a minute. The faults here
are what sites hand over instead:

stated zones, the CVP's clock off (set by hand, not by NTP)
    ``cvp+30s`` ``cvp+5min`` ``cvp+1h`` ``cvp-1h`` ``cvp+9h``
the PG's zone only from its ``systeminfo`` (its perfmon left out), a real one
(``tests/fixtures/systeminfo``) made the PG's by its Host Name, the site in winter
    ``pg_sysinfo_en`` (Server 2019, Pacific), ``pg_sysinfo_de`` (German Windows 7, Berlin),
    ``pg_sysinfo_ja`` (the zh-CN file with Japan's zone line, Tokyo), ``pg_sysinfo_zh``
    (zh-CN, its zone line as a Beijing server writes it), ``pg_sysinfo_de+cvp1h``
no zone clue for the PG at all (no perfmon, no systeminfo)
    ``pg_no_zone``, ``pg_no_zone+cvp1h`` (nothing tells the PG's zone from the CVP's clock
    error: the PG takes it, a known limit)
the CVP's Java logging UTC (``+0000``) while Windows and its perfmon keep Eastern time
    ``cvp_log_utc``
must NOT be joined: two real incidents 1 to 3 h apart in a 4 h capture
    ``two_apart``: both ends log both; ``one_sided_apart``: the PG's logs miss the first
    (cut 3 min either side of it), the CVP's the second: a disconnect on each side, hours
    apart, that are not one; ``one_sided_no_zone``: the same, the PG with no zone clue (its
    zone is inferred from the one pair there is: a known limit)

Each fault runs in two layouts: ``parent`` (the folder above the servers' folders) and
``per_host`` (each server's folder as its own argument). :func:`run_fault` returns, per true
incident, the nearest found incident (start error), whether it matches (windows overlap with
30 s of slack), its top cause and host; the split and merged counts; a crash.

Importable from the tests (``tests/conftest.py`` puts ``bench/`` on ``sys.path``).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SLACK = timedelta(seconds=30)
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "systeminfo"
LAYOUTS: tuple[str, ...] = ("parent", "per_host")


@dataclass(frozen=True)
class Fault:
    name: str
    what: str
    cvp_skew_s: float | None = None  # the CVP clock's error (None: as drawn)
    zone: tuple[str, str, int] | None = None  # both servers' (IANA, Windows name, offset)
    pg_clue: str = "perfmon"  # perfmon | systeminfo file name | none
    zone_line: str | None = None  # the systeminfo's zone line, replaced, as written
    cvp_log_offset: int | None = None
    two_apart: bool = False
    one_sided: bool = False


_JA = "(UTC+09:00) 大阪、札幌、東京"
_ZH = "(UTC+08:00) 北京，重庆，香港特别行政区，乌鲁木齐"
_DE_FILE = "7_sp1_x64_ultimaten_de_systeminfo.txt"
_ZH_FILE = "10_1809_x64_enterprise_zh-cn_systeminfo.txt"
_EN_FILE = "srv_2019_rtm_datacenter_en-us_systeminfo.txt"
_BERLIN = ("Europe/Berlin", "W. Europe Standard Time", 60)

FAULTS: tuple[Fault, ...] = (
    Fault("none", "both zones stated, clocks right", cvp_skew_s=0.0),
    Fault("cvp+30s", "CVP clock 30 s fast", cvp_skew_s=30.0),
    Fault("cvp+5min", "CVP clock 5 min fast", cvp_skew_s=300.0),
    Fault("cvp+1h", "CVP clock 1 h fast", cvp_skew_s=3600.0),
    Fault("cvp-1h", "CVP clock 1 h slow", cvp_skew_s=-3600.0),
    Fault("cvp+9h", "CVP clock 9 h fast", cvp_skew_s=9 * 3600.0),
    Fault(
        "pg_sysinfo_en",
        "PG zone from an English systeminfo (Pacific)",
        cvp_skew_s=0.0,
        zone=("America/Los_Angeles", "Pacific Standard Time", -480),
        pg_clue=_EN_FILE,
    ),
    Fault(
        "pg_sysinfo_de",
        "PG zone from a German systeminfo (Berlin)",
        cvp_skew_s=0.0,
        zone=_BERLIN,
        pg_clue=_DE_FILE,
    ),
    Fault(
        "pg_sysinfo_ja",
        "PG zone from a Japanese-style zone line (Tokyo)",
        cvp_skew_s=0.0,
        zone=("Asia/Tokyo", "Tokyo Standard Time", 540),
        pg_clue=_ZH_FILE,
        zone_line=_JA,
    ),
    Fault(
        "pg_sysinfo_zh",
        "PG zone from a Chinese systeminfo (Beijing)",
        cvp_skew_s=0.0,
        zone=("Asia/Shanghai", "China Standard Time", 480),
        pg_clue=_ZH_FILE,
        zone_line=_ZH,
    ),
    Fault(
        "pg_sysinfo_de+cvp1h",
        "German systeminfo PG, CVP clock 1 h fast",
        cvp_skew_s=3600.0,
        zone=_BERLIN,
        pg_clue=_DE_FILE,
    ),
    Fault("pg_no_zone", "PG with no zone clue", cvp_skew_s=0.0, pg_clue="none"),
    Fault(
        "pg_no_zone+cvp1h",
        "PG with no zone clue, CVP 1 h fast (limit)",
        cvp_skew_s=3600.0,
        pg_clue="none",
    ),
    Fault(
        "cvp_log_utc",
        "CVP logs +0000, its perfmon Eastern",
        cvp_skew_s=0.0,
        zone=("America/New_York", "Eastern Standard Time", -300),
        cvp_log_offset=0,
    ),
    Fault("two_apart", "two incidents 1-3 h apart", cvp_skew_s=0.0, two_apart=True),
    Fault(
        "one_sided_apart",
        "PG logs miss incident 1, CVP logs incident 2",
        cvp_skew_s=0.0,
        two_apart=True,
        one_sided=True,
    ),
    Fault(
        "one_sided_no_zone",
        "one_sided_apart, the PG with no zone clue (limit)",
        cvp_skew_s=0.0,
        pg_clue="none",
        two_apart=True,
        one_sided=True,
    ),
)
BY_NAME = {f.name: f for f in FAULTS}

#: The scenarios a clock fault is tried on: every one with a loss (two_incidents for the
#: faults of two incidents).
LOSS_SCENARIOS: tuple[str, ...] = (
    "dpc_storm_cvp",
    "dpc_storm_pg",
    "nic_errors_cvp",
    "vm_stun_pg",
    "network_path",
    "tcp_offload_cvp",
    "cpu_saturation_pg",
    "peer_restart_cvp",
)


def _adjust(fault: Fault) -> Any:
    """The plan change of ``fault`` (for :func:`generate`'s ``adjust``)."""

    def adjust(plan: Any) -> None:
        if fault.zone is not None:
            for h in (plan.pg, plan.cvp):
                h.tz, h.zone_name, h.offset_min = fault.zone
                h.locale, h.encoding, h.excel = "en", "utf-8", False
            # Winter: the simulator keeps a fixed offset, a real zone its daylight saving.
            day = datetime(2013, 1, 15, tzinfo=UTC)
            span = plan.end_ms - plan.start_ms
            plan.start_ms = int(day.timestamp() * 1000) + plan.start_ms % 86_400_000
            plan.end_ms = plan.start_ms + span
        if fault.cvp_skew_s is not None:
            plan.cvp.skew_ms = int(fault.cvp_skew_s * 1000)
        if fault.cvp_log_offset is not None:
            plan.cvp.log_offset_min = fault.cvp_log_offset
        if fault.two_apart:
            plan.start_ms -= plan.start_ms % 86_400_000  # from midnight, 4 h
            plan.end_ms = plan.start_ms + 4 * 3_600_000

    return adjust


def _systeminfo(fault: Fault, pg: str) -> bytes:
    """The real systeminfo of ``fault`` with its Host Name made ``pg``'s (and its zone line
    replaced when the fault says so), in its own encoding where that can write it."""
    raw = (FIXTURES / fault.pg_clue).read_bytes()
    enc = "gbk" if fault.pg_clue == _ZH_FILE else "utf-8"
    text = raw.decode(enc)
    host = re.search(r"^(?:Host ?Name|主机名):\s+(\S+)", text, re.M | re.I)
    assert host, fault.pg_clue
    text = text.replace(host.group(1), pg)
    if fault.zone_line:
        (line,) = [x for x in text.splitlines() if x.startswith("时区:")]
        text = text.replace(line, "时区:             " + fault.zone_line)
    try:
        return text.encode(enc)
    except UnicodeEncodeError:
        return text.encode("utf-8")


_DUMP_DATE = re.compile(rb"^Events from (\w+) (\d+), (\d{4})")
_DUMP_TIME = re.compile(rb"^(\d\d):(\d\d):(\d\d):(\d{3}) ")
_CVP_TIME = re.compile(rb"(\w{3}) (\d\d) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) [+-]\d{4}: %")


def _cut(path: Path, start: datetime, end: datetime) -> None:
    """Leave out the lines of a PIM dumplog or CVP log whose local time lies in
    ``start``..``end`` (local, naive): the log of that stretch was not collected."""
    keep: list[bytes] = []
    day: datetime | None = None
    dropping = False
    for line in path.read_bytes().splitlines(keepends=True):
        if m := _DUMP_DATE.match(line):
            day = datetime.strptime(b" ".join(m.groups()).decode(), "%B %d %Y")
            keep.append(line)
            continue
        at = None
        if (m := _DUMP_TIME.match(line)) and day is not None:
            h, mi, s, ms = (int(x) for x in m.groups())
            at = day.replace(hour=h, minute=mi, second=s, microsecond=ms * 1000)
        elif m := _CVP_TIME.search(line):
            stamp = (
                b" ".join(m.groups()[:3]).decode()
                + " "
                + ":".join(x.decode() for x in m.groups()[3:6])
            )
            at = datetime.strptime(stamp, "%b %d %Y %H:%M:%S")
        if at is not None:
            dropping = start <= at <= end
        if not dropping:  # continuation lines go with their record
            keep.append(line)
    path.write_bytes(b"".join(keep))


def _local(truth: dict[str, Any], host: str, utc: str) -> datetime:
    info = truth["hosts"][host]
    t = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    return (t + timedelta(minutes=info["offset_min"], seconds=info["skew_s"])).replace(tzinfo=None)


def make_bundle(fault: Fault, scenario: str, seed: int, out: Path) -> dict[str, Any]:
    """Write ``scenario``/``seed`` into ``out`` with ``fault``; returns its truth."""
    from hbtriage.simulate.scenarios import generate

    truth = generate(scenario, out, seed, adjust=_adjust(fault))
    cvp = next(h for h, i in truth["hosts"].items() if i["role"] == "cvp")
    pg = next(h for h in truth["hosts"] if h != cvp)
    if fault.pg_clue != "perfmon":
        (out / pg / f"{pg}_perfmon.csv").unlink()
        (out / pg / "systeminfo.txt").unlink(missing_ok=True)
        if fault.pg_clue != "none":
            (out / pg / "systeminfo.txt").write_bytes(_systeminfo(fault, pg))
    if fault.one_sided:
        pad = timedelta(minutes=3)
        for host, inc in ((pg, truth["incidents"][0]), (cvp, truth["incidents"][-1])):
            lo = _local(truth, host, inc["start"]) - pad
            hi = _local(truth, host, inc["end"]) + pad
            for f in (out / host).iterdir():
                if f.name == "pim1.txt" or f.name.endswith(".log"):
                    _cut(f, lo, hi)
    return truth


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _overlaps(f: dict[str, Any], t: dict[str, Any]) -> bool:
    return _t(f["start"]) <= _t(t["end"]) + SLACK and _t(f["end"]) >= _t(t["start"]) - SLACK


def verdict(doc: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """What a user sees of each true incident in findings ``doc``."""
    found = sorted(doc.get("incidents", []), key=lambda i: i["start"])
    rows = []
    used: set[int] = set()
    for t in truth["incidents"]:
        near = min(
            range(len(found)),
            key=lambda k: abs(_t(found[k]["start"]) - _t(t["start"])),
            default=None,
        )
        match = next((k for k, f in enumerate(found) if k not in used and _overlaps(f, t)), None)
        if match is not None:
            used.add(match)
        top = (found[match]["causes"] or [{}])[0] if match is not None else {}
        rows.append(
            {
                "cause": t["cause"],
                "host": t["host"],
                "matched": match is not None,
                "top": top.get("id"),
                "top_host": top.get("host"),
                "start_err_s": (
                    (_t(found[near]["start"]) - _t(t["start"])).total_seconds()
                    if near is not None
                    else None
                ),
            }
        )
    split = sum(sum(_overlaps(f, t) for f in found) > 1 for t in truth["incidents"])
    merged = sum(sum(_overlaps(f, t) for t in truth["incidents"]) > 1 for f in found)
    moved = [
        h["name"]
        for h in doc.get("hosts", [])
        if "moved onto" in str(h.get("clock_offset_basis") or "")
        or abs(h.get("clock_offset_s") or 0) > 450
    ]
    return {
        "incidents": rows,
        "found": len(found),
        "split": split,
        "merged": merged,
        "moved": moved,
    }


def run_fault(fault_name: str, scenario: str, seed: int) -> dict[str, Any]:
    """One bundle with one fault, analysed in every layout of :data:`LAYOUTS`."""
    from hbtriage import analyze

    fault = BY_NAME[fault_name]
    if fault.two_apart:
        scenario = "two_incidents"
    out: dict[str, Any] = {"fault": fault_name, "scenario": scenario, "seed": seed, "layouts": {}}
    with tempfile.TemporaryDirectory(prefix="hbtriage-clocks-") as tmp:
        b = Path(tmp) / "b"
        truth = make_bundle(fault, scenario, seed, b)
        out["truth"] = truth["incidents"]
        for lay in LAYOUTS:
            args = [b] if lay == "parent" else sorted(p for p in b.iterdir() if p.is_dir())
            t0 = time.perf_counter()
            try:
                doc = analyze(args).to_dict()
            except Exception as exc:  # noqa: BLE001 - a crash is a result here
                out["layouts"][lay] = {"error": f"{type(exc).__name__}: {exc}"}
                continue
            v = verdict(doc, truth)
            v["seconds"] = round(time.perf_counter() - t0, 2)
            out["layouts"][lay] = v
        shutil.rmtree(b, ignore_errors=True)
    return json.loads(json.dumps(out, default=str))
