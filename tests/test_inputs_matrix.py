"""Inputs a user really has, through ``analyze`` / the CLI: localized and UTF-16 perfmon, hostile
zips, untouched inputs, CiscoLog restarts, Windows event logs, Linux sar, and bad files next to
a good bundle (the reference case)."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from test_bundle import _zip  # the zip builder the bundle tests use
from typer.testing import CliRunner

from hbtriage.api import run
from hbtriage.catalog import load_catalog
from hbtriage.cli import app, reference_bundle
from hbtriage.detect.signatures import tag

FIX = Path(__file__).parent / "fixtures"
runner = CliRunner()
WIDE = {"COLUMNS": "400"}


def _ref(dst: Path, drop: str | None = None) -> Path:
    shutil.copytree(reference_bundle(), dst)
    if drop:
        (dst / drop).unlink()
    return dst


def _cli(paths: list[Path], out: Path, *extra: str) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["analyze", *map(str, paths), "--out", str(out), *extra], env=WIDE)
    doc = (
        json.loads((out / "findings.json").read_text(encoding="utf-8"))
        if res.exit_code in (0, 2) and (out / "findings.json").exists()
        else {}
    )
    return res.exit_code, res.output, doc


def _top(doc: dict) -> tuple[str, str | None]:  # type: ignore[type-arg]
    cause = doc["incidents"][0]["causes"][0]
    return cause["id"], cause["host"]


# --------------------------------------------------------------------------- perfmon twins

GERMAN = [
    "Prozessor(_Total)\\DPC-Rate",
    "Prozessor(_Total)\\DPC-Zeit (%)",
    "Netzwerkschnittstelle(Intel[R] Ethernet)\\Empfangene Pakete, verworfen",
    "UDPv4\\Erhaltene Datagramme, Fehler",
]
ENGLISH = [
    "Processor(_Total)\\DPC Rate",
    "Processor(_Total)\\% DPC Time",
    "Network Interface(Intel[R] Ethernet)\\Packets Received Discarded",
    "UDPv4\\Datagrams Received Errors",
]


def _pdh(path: Path, paths: list[str], *, encoding: str, decimal: str = ".") -> None:
    head = ",".join(
        ['"(PDH-CSV 4.0) (W. Europe Standard Time)(-60)"'] + [f'"\\\\CVP2\\{p}"' for p in paths]
    )
    rows = [head]
    start = datetime(2024, 3, 5, 14, 0, 0, 250000)
    for i in range(40):
        t = start + timedelta(seconds=i)
        vals = [float(i % 7), 0.5 * (i % 3), float(100 + i // 10), float(i // 20)]
        cells = [f"{v}".replace(".", decimal) for v in vals]
        rows.append(
            ",".join(
                [f'"{t:%m/%d/%Y %H:%M:%S}.{t.microsecond // 1000:03d}"'] + [f'"{c}"' for c in cells]
            )
        )
    data = ("\r\n".join(rows) + "\r\n").encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_german_utf16_and_english_utf8_twins_are_identical_through_analyze(tmp_path: Path) -> None:
    _pdh(tmp_path / "de" / "perf.csv", GERMAN, encoding="utf-16-le")
    _pdh(tmp_path / "en" / "perf.csv", ENGLISH, encoding="utf-8")
    de, en = run([tmp_path / "de"]), run([tmp_path / "en"])
    assert de.timeline.counters.height == 40 * 4
    assert de.timeline.counters.equals(en.timeline.counters)
    assert set(de.timeline.counters["counter"].unique()) == {
        "DPC Rate",
        "% DPC Time",
        "Packets Received Discarded",
        "Datagrams Received Errors",
    }
    (i_de,), (i_en,) = de.findings.inputs, en.findings.inputs
    assert (i_de.encoding, i_en.encoding) == ("utf-16", "utf-8")
    for key in ("kind", "host", "zone", "zone_source", "first", "last", "records"):
        assert getattr(i_de, key) == getattr(i_en, key), key
    assert i_de.zone == "W. Europe Standard Time (UTC+01:00, Europe/Berlin)"
    assert i_de.first == datetime(2024, 3, 5, 13, 0, 0, 250000, tzinfo=UTC)
    hosts = [de.findings.to_dict()["hosts"], en.findings.to_dict()["hosts"]]
    assert [h.pop("aliases") for h in hosts[0]] == [["de"]]  # the folder each was put in
    assert [h.pop("aliases") for h in hosts[1]] == [["en"]]
    assert hosts[0] == hosts[1]


# --------------------------------------------------------------------------- zips, inputs untouched


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file under root."""
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def test_hostile_zip_with_a_valid_bundle_through_the_cli(tmp_path: Path) -> None:
    ref = reference_bundle()
    entries = {
        f"case/{p.relative_to(ref)}": p.read_bytes() for p in sorted(ref.rglob("*")) if p.is_file()
    }
    abs_target = f"/tmp/hbtriage-abs-escape-{os.getpid()}.txt"
    entries |= {
        "../escape.txt": b"escaped",
        abs_target: b"escaped",
        "case/inner.zip": _zip({"../../nested_escape.txt": b"escaped", "notes/readme.txt": b"hi"}),
    }
    inputs = tmp_path / "in"
    inputs.mkdir()
    bundle = inputs / "case.zip"
    bundle.write_bytes(_zip(entries, symlinks={"case/CVP1/passwd": "/etc/passwd"}))
    before_inputs = _snapshot(inputs)
    before_tree = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}

    code, output, doc = _cli([bundle], tmp_path / "out", "--quiet")
    # Members that would escape are bad input: the valid bundle is analysed, exit code 2.
    assert code == 2, output
    assert "Traceback" not in output
    assert _top(doc) == ("dpc_storm", "CVP1")
    assert {i["host"] for i in doc["inputs"] if i["records"]} == {"CVP1", "PG1A"}
    warnings = doc["warnings"]
    z = str(bundle)
    # One line per kind of refusal in each archive (two escapes in case.zip: one line).
    for expected in [
        f"{z}: 2 members skipped: path would escape the extraction folder; first: ../escape.txt",
        f"{z}!case/CVP1/passwd: symbolic link not followed, skipped",
        f"{z}!case/inner.zip!../../nested_escape.txt: path would escape the extraction folder, "
        "skipped",
    ]:
        assert warnings.count(expected) == 1, (expected, warnings)
        assert any(expected in line for line in output.splitlines())
    # Nothing was written outside the output folder; the zip is unchanged.
    after_tree = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}
    assert {p for p in after_tree - before_tree if not p.startswith("out")} == set()
    assert not Path(abs_target).exists()
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()
    assert _snapshot(inputs) == before_inputs


def test_inputs_are_never_modified(tmp_path: Path) -> None:
    """sha256 and mtime of every input file, before and after a full run with every report."""
    bundle = _ref(tmp_path / "b")
    for name in ("ja-cp932_TIERRA_proc-dpc-mem_1s_61rows.csv", "SampleLog.blg"):
        shutil.copy2(FIX / "perfmon" / name, bundle / name)
    shutil.copy2(FIX / "eventlog" / "System.csv", bundle / "CVP1" / "System.csv")
    (bundle / "PG1A" / "empty.log").write_bytes(b"")
    with zipfile.ZipFile(bundle / "logs.zip", "w") as zf:
        zf.write(FIX / "loghub" / "Zookeeper_2k.log", "Zookeeper_2k.log")
    os.chmod(bundle / "PG1A" / "pim1.txt", 0o444)  # read-only inputs are fine
    before = _snapshot(bundle)
    code, output, _doc = _cli(
        [bundle], tmp_path / "out", "--format", "html", "--format", "md", "--quiet"
    )
    assert code == 2, output  # the .blg cannot be read (bad input); the rest was analysed
    assert "SampleLog.blg" in output.splitlines()[-1]
    assert _snapshot(bundle) == before


# --------------------------------------------------------------------------- CiscoLog restart


def test_ciscolog_sequence_reset_becomes_a_restart_signal_in_utc(tmp_path: Path) -> None:
    """The opc process logs in Cisco Log form with a -0500 offset; its sequence number falls
    back to 0 at 19:37:05.250 local = 00:37:05.250Z, right after the reference incident."""
    bundle = _ref(tmp_path / "b")
    tags = "[comp=PG-A][pname=opc][iid=acme][sev=info]"
    lines = [
        f"4410: PG1A: Mar 30 2013 19:36:40.002 -0500: %ICM_PG_OPC: {tags}: Peripheral 5000 is online.",
        f"4411: PG1A: Mar 30 2013 19:36:44.100 -0500: %ICM_PG_OPC: {tags}: Routine check.",
        f"0: PG1A: Mar 30 2013 19:37:05.250 -0500: %ICM_PG_OPC: {tags}: Process opc started.",
        f"1: PG1A: Mar 30 2013 19:37:06.000 -0500: %ICM_PG_OPC: {tags}: Peripheral 5000 is online.",
    ]
    (bundle / "PG1A" / "opc_ciscolog.txt").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    a = run([bundle])
    (restart,) = a.timeline.restarts
    assert restart["ts"] == datetime(2013, 3, 31, 0, 37, 5, 250000, tzinfo=UTC)
    assert (restart["host"], restart["component"], restart["seq"]) == ("PG1A", "opc", 0)
    (inc,) = a.findings.incidents
    sig = [s for s in inc.signals if s.data.get("signature") == "log.sequence_reset"]
    assert len(sig) == 1
    assert sig[0].host == "PG1A" and sig[0].data["role"] == "restart"
    assert sig[0].start == restart["ts"]
    assert sig[0].data["source"].endswith("PG1A/opc_ciscolog.txt:3")
    assert "opc restarted" in sig[0].detail
    causes = {c.id: c for c in inc.causes}
    assert "peer_restart" in causes and causes["peer_restart"].host == "PG1A"
    assert any("opc restarted" in e for e in causes["peer_restart"].evidence)


# --------------------------------------------------------------------------- Windows event logs

EXPECTED_SIGNATURES = {
    "System.csv": [
        ("EventID 4202", "win.nic_link_down"),
        ("EventID 27", "win.nic_link_down"),
        ("EventID 32", "win.nic_link_up"),
        (
            "EventID 7036: The Cisco CVP CallServer service entered the stopped",
            "win.service_stopped",
        ),
        (
            "EventID 7036: The Cisco CVP CallServer service entered the running",
            "win.service_running",
        ),
    ],
    "cvp1_system_wevtutil.txt": [
        ("EventID 10317: Miniport Broadcom", "win.nic_reset"),
        (
            "EventID 27: Broadcom NetXtreme Gigabit Ethernet: The network link is down.",
            "win.nic_link_down",
        ),
        ("EventID 7036", "win.service_stopped"),
    ],
    "pg1a_get_eventlog.csv": [
        ("EventID 7036: The Cisco ICM pim1 service entered the stopped", "win.service_stopped"),
        ("EventID 7036: The Cisco ICM pim1 service entered the running", "win.service_running"),
    ],
    "pg1a_get_winevent.csv": [
        ("EventID 27", "win.nic_link_down"),
        ("EventID 7036", "win.service_stopped"),
        ("EventID 4201", "win.nic_link_up"),
    ],
    "pg1a_system_2003.csv": [
        ("EventID 27", "win.nic_link_down"),
        ("EventID 10317: The NIC HP NC382i", "win.nic_reset"),
        ("EventID 7036", "win.service_stopped"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SIGNATURES))
def test_event_log_fixtures_match_the_windows_signatures(name: str) -> None:
    a = run([FIX / "eventlog" / name])
    ev = tag(a.timeline, load_catalog()).events.sort("ts")
    got = list(zip(ev["message"].to_list(), ev["signature"].to_list(), strict=True))
    assert len(got) == len(EXPECTED_SIGNATURES[name])
    for (message, sig), (prefix, want) in zip(got, EXPECTED_SIGNATURES[name], strict=True):
        assert message.startswith(prefix) and sig == want, (message, sig)


def test_link_down_at_the_incident_ranks_nic_errors(tmp_path: Path) -> None:
    """CVP1's perfmon is missing; its System log (Event Viewer CSV, local times) says the NIC
    lost its link at 19:36:49-50 EST, inside the reference incident: nic_errors on CVP1."""
    bundle = _ref(tmp_path / "b", drop="CVP1/CVP1_perfmon.csv")
    text = (FIX / "eventlog" / "System.csv").read_text(encoding="utf-8")
    nic_only = "".join(ln for ln in text.splitlines(keepends=True) if ",7036," not in ln)
    (bundle / "CVP1" / "System.csv").write_text(nic_only, encoding="utf-8")
    code, output, doc = _cli([bundle], tmp_path / "out", "--quiet")
    assert code == 0, output
    (inc,) = doc["incidents"]
    assert _top(doc) == ("nic_errors", "CVP1")
    evidence = "\n".join(inc["causes"][0]["evidence"])
    assert "the adapter reported a link loss or reset" in evidence
    assert "CVP1 00:36:49.000Z: The network adapter lost its link: EventID 4202: " in evidence
    assert "CVP1 00:36:50.000Z: The network adapter lost its link: EventID 27: Intel(R)" in evidence
    info = next(i for i in doc["inputs"] if i["path"].endswith("System.csv"))
    assert (info["kind"], info["host"]) == ("eventlog", "CVP1")
    assert info["first"] == "2013-03-31T00:36:49.000Z"  # EST from CVP1's own log offsets

    # With the service stop/start of the real export as well, both causes are ranked.
    shutil.copy(FIX / "eventlog" / "System.csv", bundle / "CVP1" / "System.csv")
    _code, _out, doc = _cli([bundle], tmp_path / "out2", "--quiet")
    ranked = [c["id"] for c in doc["incidents"][0]["causes"]]
    assert ranked[:2] == ["peer_restart", "nic_errors"]


def test_wevtutil_export_on_the_cvp_host_is_ranked(tmp_path: Path) -> None:
    bundle = _ref(tmp_path / "b", drop="CVP1/CVP1_perfmon.csv")
    shutil.copy(FIX / "eventlog" / "cvp1_system_wevtutil.txt", bundle / "CVP1" / "system.txt")
    a = run([bundle])
    (inc,) = a.findings.incidents
    nic = next(c for c in inc.causes if c.id == "nic_errors")
    assert nic.host == "CVP1"
    assert any("miniport" in e.lower() or "link is down" in e for e in nic.evidence)


# --------------------------------------------------------------------------- Linux sar


def test_sadf_rxdrop_rising_at_the_incident_gives_nic_errors(tmp_path: Path) -> None:
    bundle = _ref(tmp_path / "b", drop="CVP1/CVP1_perfmon.csv")
    lines = [
        "# hostname;interval;timestamp;IFACE;rxerr/s;txerr/s;coll/s;rxdrop/s;txdrop/s;txcarr/s;"
        "rxfram/s;rxfifo/s;txfifo/s"
    ]
    t = datetime(2013, 3, 31, 0, 5, 0)
    while t <= datetime(2013, 3, 31, 1, 5, 0):
        drop = (
            48.5 if datetime(2013, 3, 31, 0, 36, 45) <= t <= datetime(2013, 3, 31, 0, 36, 58) else 0
        )
        lines.append(
            f"CVP1;5;{t:%Y-%m-%d %H:%M:%S} UTC;eth0;0.00;0.00;0.00;{drop:.2f};0.00;0.00;0.00;0.00;0.00"
        )
        t += timedelta(seconds=5)
    (bundle / "CVP1" / "sadf_edev.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output, doc = _cli([bundle], tmp_path / "out", "--quiet")
    assert code == 0, output
    assert _top(doc) == ("nic_errors", "CVP1")
    evidence = "\n".join(doc["incidents"][0]["causes"][0]["evidence"])
    assert "Network Interface(eth0)\\Packets Received Discarded/sec 0 → 48.5" in evidence
    info = next(i for i in doc["inputs"] if i["path"].endswith("sadf_edev.csv"))
    assert (info["kind"], info["host"]) == ("sar", "CVP1")
    assert (info["zone"], info["zone_source"]) == ("UTC", "the file's own UTC offsets")
    assert (info["first"], info["last"]) == ("2013-03-31T00:05:00.000Z", "2013-03-31T01:05:00.000Z")


# --------------------------------------------------------------------------- bad input


def _write_bad(folder: Path, kind: str) -> tuple[str, str]:
    """Write one bad file into ``folder``; return (file name, expected warning tail)."""
    if kind == "empty":
        (folder / "empty.log").write_bytes(b"")
        return "empty.log", ": empty file"
    if kind == "header_only":
        (folder / "header_only.csv").write_text(
            '"(PDH-CSV 4.0) (Eastern Standard Time)(300)","\\\\PG1A\\Processor(_Total)\\DPC Rate"\r\n'
        )
        return "header_only.csv", ": no data rows"
    if kind == "binary":
        import random

        rng = random.Random(7)
        (folder / "capture.dat").write_bytes(bytes(rng.getrandbits(8) for _ in range(20_000)))
        return "capture.dat", ": binary file, not a log, perfmon CSV or snapshot"
    if kind == "truncated":
        rows = [
            f"19:1{i // 60}:{i % 60:02d}:000 pg1A-opc Trace: routine {i}" for i in range(0, 100, 4)
        ]
        (folder / "opc.txt").write_text(
            "Events from March 30, 2013\n" + "\n".join(rows) + "\n19:12:0"
        )
        return "opc.txt", ":27: last line has no line end (file cut short?)"
    if kind == "huge_line":
        (folder / "app.log").write_text(
            "2013-03-30T19:10:00.000-05:00 INFO start\n"
            "2013-03-30T19:10:01.000-05:00 INFO " + "x" * (10 * 1024 * 1024) + "\n"
            "2013-03-30T19:10:02.000-05:00 INFO end\n"
        )
        return "app.log", ":2: line of 10,485,795 bytes cut to 65,536 characters"
    if kind == "ragged_csv":
        head = '"(PDH-CSV 4.0) (Eastern Standard Time)(300)","\\\\PG1A\\Memory\\Available MBytes","\\\\PG1A\\Memory\\Pages/sec"'
        rows = [
            '"03/30/2013 19:10:00.000","100","1"',
            '"03/30/2013 19:10:01.000","100"',
            '"03/30/2013 19:10:02.000","100","1","7"',
            '"03/30/2013 19:10:03.000","100","1"',
        ]
        (folder / "mem.csv").write_text("\r\n".join([head, *rows]) + "\r\n")
        return "mem.csv", ":3: expected 3 columns, found 2; row skipped"
    assert kind == "nonsense_times"
    (folder / "rtr.txt").write_text(
        "Events from March 30, 2013\n19:10:00:000 pg1A-rtr Trace: ok\n"
        "99:99:99:999 pg1A-rtr Trace: bad\n19:10:02:000 pg1A-rtr Trace: ok2\n"
    )
    return "rtr.txt", ":3: invalid time of day; record skipped"


@pytest.mark.parametrize(
    "kind",
    ["empty", "header_only", "binary", "truncated", "huge_line", "ragged_csv", "nonsense_times"],
)
def test_bad_file_next_to_the_reference_case(tmp_path: Path, kind: str) -> None:
    bundle = _ref(tmp_path / "b")
    name, tail = _write_bad(bundle / "PG1A", kind)
    code, output, doc = _cli([bundle], tmp_path / "out")
    assert code == 0, output
    assert "Traceback" not in output
    assert _top(doc) == ("dpc_storm", "CVP1")
    want = f"b/PG1A/{name}{tail}"
    assert want in doc["warnings"], doc["warnings"]
    shown = [ln for ln in output.splitlines() if want in ln]
    assert len(shown) == 1 and shown[0].strip() == f"! {want}"
    if kind == "ragged_csv":
        assert "b/PG1A/mem.csv:4: expected 3 columns, found 4; row skipped" in doc["warnings"]
        mem = next(i for i in doc["inputs"] if i["path"].endswith("mem.csv"))
        assert mem["records"] == 2 * 2  # two good rows of two counters
    if kind == "nonsense_times":
        rtr = next(i for i in doc["inputs"] if i["path"].endswith("rtr.txt"))
        assert rtr["records"] == 2


def test_nothing_but_bad_files_is_exit_2_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for kind in ("empty", "binary"):
        _write_bad(folder, kind)
    res = runner.invoke(app, ["analyze", str(folder), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("hbtriage: error: no readable input")
    assert "Traceback" not in res.output


def test_every_bad_file_together_still_analyses_the_rest(tmp_path: Path) -> None:
    bundle = _ref(tmp_path / "b")
    kinds = [
        "empty",
        "header_only",
        "binary",
        "truncated",
        "huge_line",
        "ragged_csv",
        "nonsense_times",
    ]
    wants = [f"b/PG1A/{n}{t}" for n, t in (_write_bad(bundle / "PG1A", k) for k in kinds)]
    a = run([bundle])
    assert [c.id for c in a.findings.incidents[0].causes][:1] == ["dpc_storm"]
    for want in wants:
        assert want in a.findings.warnings
    assert all("\n" not in w for w in a.findings.warnings)
    # The huge line's record is kept (cut, and its text slimmed away like any record no
    # signature can match): three records with their times, and no text longer than the cut.
    app = a.timeline.events.filter(pl.col("source") == "b/PG1A/app.log")
    assert app.height == 3
    assert app["ts"].dt.second().to_list() == [0, 1, 2]
    assert (app["message"].str.len_chars().fill_null(0) <= 65_536).all()


# --------------------------------------------------------------------------- fuzz regressions
# Inputs reduced from bench/fuzz.py crashes; each reader call must parse or raise InputError.


def _read_config(path: Path) -> list[tuple[str, str]]:
    from hbtriage.errors import InputError
    from hbtriage.sources.base import InputFile
    from hbtriage.sources.config_snapshot import READER

    try:
        res = READER.read(InputFile(display=path.name, path=str(path)), "utf-8")
    except InputError:
        return []
    return [(f.key, f.value) for f in res.config]


def test_fuzz_advanced_property_rule_with_six_dash_runs(tmp_path: Path) -> None:
    """ValueError in config_snapshot._advanced: more dash runs than the five known columns."""
    path = tmp_path / "adv.txt"
    path.write_text(
        "Name      DisplayName              DisplayValue RegistryKeyword RegistryValue\n"
        "----      -----------              ------------ --------------- ------------- --- --\n"
        "Ethernet0 Receive Side Scaling     Disabled     *RSS            {0}\n",
        encoding="utf-8",
    )
    assert _read_config(path) == [("rss", "disabled")]


def test_fuzz_systeminfo_csv_with_a_field_over_the_csv_limit(tmp_path: Path) -> None:
    """_csv.Error in config_snapshot._sysinfo_csv: an unclosed quote swallows 128 KiB+."""
    path = tmp_path / "sysinfo.csv"
    path.write_text(
        '"Host Name","OS Name"\n"PG1B","Windows ' + "x" * 140_000 + "\n", encoding="utf-8"
    )
    assert _read_config(path) == []
    ok = tmp_path / "ok.csv"
    ok.write_text('"Host Name","OS Name"\n"PG1B","Windows Server 2003"\n', encoding="utf-8")
    assert ("host", "PG1B") in _read_config(ok)
