"""A Windows event log export that holds several computers' events (``Get-EventLog
-ComputerName PG,CVP | Export-Csv`` with a ``MachineName`` per row, a collector's Forwarded
Events saved by ``wevtutil qe ForwardedEvents /f:text`` with a ``Computer:`` per event) is read
as one input per computer: each computer's NIC link loss or service stop is its own server's,
Export-Csv's local times are read in the exporting server's zone, and the verdict is the one
the two servers' own exports give."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.api import run
from hbtriage.simulate.scenarios import generate
from hbtriage.sources.base import InputFile, ReadResult, empty_events
from hbtriage.sources.relay import sender_key

#: nic_errors_cvp, seed 9: PG4A on UTC+01:00, CVP4 on UTC+09:00, no clock skew.
SCENARIO, SEED = "nic_errors_cvp", 9

Event = tuple[datetime, str, str, int, str, str]  # UTC, computer, source, id, level, message


def _events(truth: dict[str, Any]) -> list[Event]:
    """Both servers' System events: routine ones all along, and the CVP's NIC losing its link
    a second before the incident and getting it back 9 s later."""
    pg, cvp = sorted(truth["hosts"], key=lambda h: truth["hosts"][h]["role"] != "pg")
    t0 = datetime.fromisoformat(truth["capture"]["start"].replace("Z", "+00:00"))
    start = datetime.fromisoformat(truth["incidents"][0]["start"].replace("Z", "+00:00"))
    out: list[Event] = []
    for k in range(0, 80, 7):
        out.append((t0 + timedelta(minutes=k), pg, "DCOM", 10016, "Warning", "No permission."))
        out.append(
            (t0 + timedelta(minutes=k, seconds=30), cvp, "Time-Service", 37, "Information", "OK.")
        )
    out.append((start - timedelta(seconds=1), cvp, "b57nd60a", 27, "Error", "Network link is disconnected."))  # fmt: skip
    out.append((start + timedelta(seconds=9), cvp, "b57nd60a", 32, "Information", "Network link has been established."))  # fmt: skip
    return sorted(out)


def _export_csv(events: list[Event], offset_min: int, fqdn: bool = True) -> str:
    """``Get-EventLog ... | Export-Csv``: every time in the exporting machine's zone."""
    lines = [
        "#TYPE System.Diagnostics.EventLogEntry#System/Service Control Manager/1073748860",
        '"EventID","MachineName","EntryType","Message","Source","TimeGenerated","TimeWritten"',
    ]
    for t, who, src, eid, level, msg in events:
        local = (t + timedelta(minutes=offset_min)).strftime("%m/%d/%Y %I:%M:%S %p")
        name = f"{who.lower()}.example.com" if fqdn else who
        lines.append(f'"{eid}","{name}","{level}","{msg}","{src}","{local}","{local}"')
    return "\r\n".join(lines) + "\r\n"


def _wevtutil(events: list[Event]) -> str:
    """``wevtutil qe ForwardedEvents /f:text``: dates on UTC with ``Z``."""
    out = []
    for n, (t, who, src, eid, level, msg) in enumerate(events):
        out.append(
            f"Event[{n}]:\r\n  Log Name: ForwardedEvents\r\n  Source: {src}\r\n"
            f"  Date: {t.strftime('%Y-%m-%dT%H:%M:%S.%f')}0Z\r\n  Event ID: {eid}\r\n"
            f"  Task: N/A\r\n  Level: {level}\r\n  Computer: {who}.example.com\r\n"
            f"  Description: \r\n{msg}\r\n\r\n"
        )
    return "".join(out)


def _bundle(tmp: Path, how: str) -> tuple[Path, dict[str, Any]]:
    """The simulated servers' folders with their System events: ``separate`` (each server's
    own Export-Csv in its folder, in its zone), ``csv`` (one Export-Csv of both in the PG's
    folder, in the PG's zone), ``wevtutil`` (Forwarded Events text in the PG's folder)."""
    sim = tmp / "sim"
    if not sim.exists():
        generate(SCENARIO, sim, SEED)
    truth: dict[str, Any] = json.loads((sim / "truth.json").read_text())
    out = tmp / how
    shutil.copytree(sim, out, ignore=shutil.ignore_patterns("truth.json"))
    events = _events(truth)
    hosts = truth["hosts"]
    pg = next(h for h in hosts if hosts[h]["role"] == "pg")
    if how == "separate":
        for h in hosts:
            mine = [e for e in events if e[1] == h]
            (out / h / "System.csv").write_text(_export_csv(mine, hosts[h]["offset_min"]))
    elif how == "csv":
        (out / pg / "System.csv").write_text(_export_csv(events, hosts[pg]["offset_min"]))
    else:
        (out / pg / "ForwardedEvents.txt").write_text(_wevtutil(events))
    return out, truth


def _analyze(out: Path, *paths: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(run(list(paths), out=out).findings.to_dict()))
    return doc


def _event_inputs(doc: dict[str, Any]) -> dict[str, str]:
    """Each event log input, by file name (and computer), -> its host."""
    return {
        i["path"].rsplit("/", 1)[-1]: i["host"] for i in doc["inputs"] if i["kind"] == "eventlog"
    }


def _link_down(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(host, start to the second) of each NIC link-loss signal of the incidents (an Export-Csv
    writes whole seconds)."""
    return [
        (s["host"], s["start"][:19])
        for i in doc["incidents"]
        for s in i["signals"]
        if s["kind"] == "signature" and "link" in s["detail"].lower()
    ]


def _verdict(doc: dict[str, Any]) -> list[tuple[str, list[str], str, str | None, float]]:
    return [
        (i["start"], i["hosts"], c["id"], c["host"], c["confidence"])
        for i in doc["incidents"]
        for c in i["causes"][:1]
    ]


def _said(doc: dict[str, Any], wid: str) -> list[str]:
    return [w for w, i in zip(doc["warnings"], doc["warning_ids"], strict=True) if i == wid]


def test_export_csv_of_both_servers_in_the_pg_folder_gives_each_its_own_events(
    tmp_path: Path,
) -> None:
    both, truth = _bundle(tmp_path, "csv")
    apart, _ = _bundle(tmp_path, "separate")
    doc = _analyze(tmp_path / "o1", both)
    alone = _analyze(tmp_path / "o2", apart)

    assert _event_inputs(doc) == {"System.csv [cvp4]": "CVP4", "System.csv [pg4a]": "PG4A"}
    assert sorted(h["name"] for h in doc["hosts"]) == ["CVP4", "PG4A"]
    # The CVP's link loss is the CVP's, at the time its own export gives (the PG wrote the
    # file in its own zone, UTC+01:00; the CVP is on UTC+09:00).
    assert _link_down(doc) == _link_down(alone) and _link_down(doc)[0][0] == "CVP4"
    assert _verdict(doc) == _verdict(alone)
    assert _verdict(doc)[0][2:] == ("nic_errors", "CVP4", 1.0)
    (said,) = _said(doc, "eventlog_computers")
    assert "2 computers (pg4a, cvp4)" in said and "one input per computer" in said
    cvp_part = next(i for i in doc["inputs"] if i["path"].endswith("[cvp4]"))
    assert "PG4A" in cvp_part["zone_source"]


def test_forwarded_events_text_in_the_pg_folder(tmp_path: Path) -> None:
    fwd, _ = _bundle(tmp_path, "wevtutil")
    apart, _ = _bundle(tmp_path, "separate")
    doc = _analyze(tmp_path / "o1", fwd)
    alone = _analyze(tmp_path / "o2", apart)

    assert _event_inputs(doc) == {
        "ForwardedEvents.txt [CVP4]": "CVP4",
        "ForwardedEvents.txt [PG4A]": "PG4A",
    }
    assert _link_down(doc) == _link_down(alone)
    assert [v[1:] for v in _verdict(doc)] == [v[1:] for v in _verdict(alone)]
    (said,) = _said(doc, "eventlog_computers")
    assert "each event's time carries its UTC offset" in said


def test_the_export_in_a_flat_folder_and_in_a_zip(tmp_path: Path) -> None:
    both, _ = _bundle(tmp_path, "csv")
    alone = _analyze(tmp_path / "o0", _bundle(tmp_path, "separate")[0])
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in both.glob("*/*"):
        shutil.copy(f, flat / f.name)
    doc = _analyze(tmp_path / "o1", flat)
    assert _event_inputs(doc) == {"System.csv [cvp4]": "CVP4", "System.csv [pg4a]": "PG4A"}
    # Nothing says which machine exported it: each computer's times are read in its own zone
    # (the CVP's 8 h off here, as the warning says), but each link loss is its own server's.
    assert {h for h, _ in _link_down(doc)} == {"CVP4"}
    assert "else as each computer's own" in _said(doc, "eventlog_computers")[0]

    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for f in sorted(both.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(both).as_posix())
    doc = _analyze(tmp_path / "o2", bundle)
    assert _event_inputs(doc) == {"System.csv [cvp4]": "CVP4", "System.csv [pg4a]": "PG4A"}
    assert _link_down(doc) == _link_down(alone)
    assert _verdict(doc) == _verdict(alone)


def test_a_one_computer_export_stays_one_input(tmp_path: Path) -> None:
    apart, _ = _bundle(tmp_path, "separate")
    # Its computer written two ways (NetBIOS and DNS name) is still one computer.
    cvp = apart / "CVP4" / "System.csv"
    cvp.write_text(cvp.read_text().replace('"cvp4.example.com"', '"CVP4"', 3))
    doc = _analyze(tmp_path / "o", apart)
    found = sorted(
        ("/".join(i["path"].split("/")[-2:]), i["host"])
        for i in doc["inputs"]
        if i["kind"] == "eventlog"
    )
    assert found == [("CVP4/System.csv", "CVP4"), ("PG4A/System.csv", "PG4A")]
    assert not _said(doc, "eventlog_computers")


_NAMES = st.sampled_from(
    ["PG1A", "pg1a", "PG1A.example.com", "CVP1", "cvp1.EXAMPLE.com", "CVP2", "192.0.2.20", None]
)


@settings(max_examples=60, deadline=None)
@given(nodes=st.lists(_NAMES, min_size=0, max_size=40))
def test_property_split_keeps_every_event_once_in_its_computers_part(
    nodes: list[str | None],
) -> None:
    from hbtriage.sources import eventlog_machines

    events = pl.DataFrame(
        {
            "ts_local": [datetime(2013, 3, 30, 19, 0, i % 60) for i in range(len(nodes))],
            "line": list(range(1, len(nodes) + 1)),
            "node": nodes,
        },
        schema_overrides={"line": pl.Int64},
    )
    events = pl.concat([empty_events(), events], how="diagonal_relaxed").cast(
        empty_events().schema  # type: ignore[arg-type]
    )
    item = InputFile(display="Site/System.csv", path="/nonexistent/System.csv", size=1000)
    res = ReadResult(kind="eventlog", events=events, warnings=["w"])
    keys = {sender_key(n) for n in nodes if n}
    parts = eventlog_machines.split(item, res)
    if len(keys) < 2:
        assert parts is None
        return
    assert parts is not None
    seen: list[int] = []
    part_keys: list[str] = []
    for part, got in parts:
        assert got.events is not None
        lines = got.events["line"].to_list()
        seen += lines
        names = {n for n in got.events["node"].cast(pl.Utf8).to_list()}
        if part.whole is None:  # the records that name no computer: the file's own
            assert part is item and names == {None}
            continue
        (key,) = {sender_key(n) for n in names if n}
        assert None not in names and part.display == f"Site/System.csv [{got.host}]"
        assert part.folder_hints == [] and sender_key(str(got.host)) == key
        part_keys.append(key)
    assert sorted(seen) == list(range(1, len(nodes) + 1))
    assert sorted(part_keys) == sorted(keys)
    assert parts[0][1].warnings[-1] == "w" and all(not r.warnings for _p, r in parts[1:])


def test_the_pgs_address_folder_with_the_export_of_both_keeps_the_pgs_snapshots(
    tmp_path: Path,
) -> None:
    """The PG's folder, named by its address, holds the Export-Csv of both servers beside its
    own logs and DPC/ISR report (no systeminfo); every file is named on its own. The CVP's part
    made the folder 'two servers' and the PG's report, which names no computer, was a host
    'UNNAMED'."""
    both, truth = _bundle(tmp_path, "csv")
    pg = next(h for h in truth["hosts"] if truth["hosts"][h]["role"] == "pg")
    mine = (both / pg).rename(both / truth["hosts"][pg]["ip"])
    (mine / "systeminfo.txt").unlink(missing_ok=True)
    doc = _analyze(tmp_path / "o", *sorted(p for p in both.rglob("*") if p.is_file()))

    assert sorted(h["name"] for h in doc["hosts"]) == sorted(truth["hosts"])
    hosts = {i["path"].rsplit("/", 1)[-1]: i["host"] for i in doc["inputs"]}
    (report,) = [f for f in hosts if f.endswith("_DPC_ISR_Raw_Rows.csv")]
    assert hosts[report] == hosts["pim1.txt"] == pg
    assert _event_inputs(doc) == {"System.csv [cvp4]": "CVP4", "System.csv [pg4a]": "PG4A"}
    assert _verdict(doc)[0][2:4] == ("nic_errors", "CVP4")
