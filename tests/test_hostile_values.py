"""Values and sizes a user's data really has: numbers that are not finite and years no clock
should show are missing samples or skipped records with a warning, never a crash or a wrap."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "src" / "hbtriage" / "simulate" / "reference"


def test_nan_and_infinite_counter_cells_near_the_incident(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    perf = bundle / "CVP1" / "CVP1_perfmon.csv"
    lines = perf.read_text(encoding="utf-8").split("\n")
    spoilt = 0
    for i, line in enumerate(lines):
        if line.startswith('"03/30/2013 19:36:4'):
            cells = line.split(",")
            cells[1], cells[2], cells[5] = '"inf"', '"1e309"', '"NaN"'
            lines[i] = ",".join(cells)
            spoilt += 3
    perf.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    args = ["analyze", str(bundle), "--out", str(out), "--format", "html", "--format", "md"]
    result = CliRunner().invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert any(f"{spoilt} cells were NaN, infinite or out of range" in w for w in doc["warnings"])
    json.loads((out / "charts.json").read_text(encoding="utf-8"), parse_constant=_refuse)
    assert (out / "report.html").stat().st_size > 0 and (out / "report.md").stat().st_size > 0
    assert doc["incidents"][0]["causes"][0]["id"] == "dpc_storm"  # the rest still tells


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} in JSON")


def _read(path: Path):  # type: ignore[no-untyped-def]
    return read_one(InputFile(display=path.name, path=str(path), size=path.stat().st_size))


@pytest.mark.parametrize("year", ["0001", "1601", "1677", "2263", "9999"])
def test_implausible_years_are_skipped_with_a_warning_never_wrapped(
    tmp_path: Path, year: str
) -> None:
    generic = tmp_path / "app.log"
    generic.write_text(
        f"{year}-01-01T00:00:00Z [INFO] a placeholder date\n"
        "2024-05-01T12:00:00Z [INFO] fine\n"
        "2024-05-01T12:00:01Z [INFO] fine too\n",
        encoding="utf-8",
    )
    cvp = tmp_path / "CVP.2013-03-30.log"
    cvp.write_text(
        f"Mar 30 {year} 19:05:00.211 -0500: %CVP_8_5_IVR-7-CALL: a placeholder date\n"
        "Mar 30 2013 19:05:00.407 -0500: %CVP_8_5_SIP-7-CALL: fine\n"
        "Mar 30 2013 19:05:01.407 -0500: %CVP_8_5_SIP-7-CALL: fine too\n",
        encoding="utf-8",
    )
    perf = tmp_path / "perf.csv"
    perf.write_text(
        '"(PDH-CSV 4.0) (Coordinated Universal Time)(0)","\\\\PG1A\\Processor(_Total)\\DPC Rate"\n'
        f'"01/01/{year} 00:00:00.000","1"\n'
        '"03/30/2013 19:05:00.000","2"\n'
        '"03/30/2013 19:05:01.000","3"\n',
        encoding="utf-8",
    )
    for path, column in ((generic, "events"), (cvp, "events"), (perf, "counters")):
        outcome = _read(path)
        assert outcome.result is not None, outcome.message
        frame = getattr(outcome.result, column)
        stamps = frame["ts_local"].to_list()
        assert len(stamps) == 2, (path.name, stamps)
        assert all(isinstance(t, datetime) and 2000 < t.year < 2100 for t in stamps), stamps
        assert any(":2:" in w or ":1:" in w for w in outcome.result.warnings), (
            path.name,
            outcome.result.warnings,
        )


def test_more_series_than_the_fast_paths_take(tmp_path: Path) -> None:
    """20,100 counter series (NIC and process instances run to tens of thousands on big
    hosts): analysed, with the anomaly found in one of them (an AssertionError before)."""
    from hbtriage.api import analyze

    n = 20_100
    cols = [f'"\\\\PG1A\\Network Interface(nic{i})\\Packets Received Errors"' for i in range(n)]
    rows = ['"(PDH-CSV 4.0) (Coordinated Universal Time)(0)",' + ",".join(cols)]
    for sec in range(40):
        values = ["0"] * n
        if 30 <= sec < 33:
            values[n - 1] = "500"  # the last adapter errs for three seconds
        rows.append(f'"03/30/2013 19:05:{sec:02d}.000",' + ",".join(f'"{v}"' for v in values))
    path = tmp_path / "PG1A_perfmon.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    found = analyze([path])
    (host,) = found.hosts
    assert host.name == "PG1A" and host.has_perfmon
    assert found.inputs[0].records == n * 40


def test_findings_stay_bounded_however_many_lines_match(tmp_path: Path) -> None:
    """2,000 heartbeat-loss lines in one burst: one incident whose document lists the first
    signals and counts the rest; the terminal shows the first warnings and counts the rest."""
    from hbtriage import api
    from hbtriage.report.json_out import to_json

    lines = [
        f"2013-03-30T19:36:{i // 100:02d}.{i % 100:02d}0Z [ERROR] LOGMSG_ICM_SS_GENERAL_INFO: "
        "Missed 2 VRU PIM heartbeats. Closing session and waiting for new connection"
        for i in range(2000)
    ]
    lines += [f"garbage line {i} without a time stamp" for i in range(10)]
    log = tmp_path / "callserver.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = api.analyze([log], tz=["UTC"])
    (incident,) = found.incidents
    assert len(incident.signals) == api.MAX_SIGNALS_PER_INCIDENT
    assert incident.signals_omitted == 2000 - api.MAX_SIGNALS_PER_INCIDENT
    doc = json.loads(to_json(found))
    assert doc["incidents"][0]["signals_omitted"] == incident.signals_omitted
    # and it reads back
    from hbtriage.findings import Findings

    assert Findings.from_dict(doc).incidents[0].signals_omitted == incident.signals_omitted


def test_a_line_repeated_beyond_any_real_log_becomes_stretches(tmp_path: Path) -> None:
    """30,000 heartbeat-loss lines 40 ms apart (over the per-line limit): one signal per
    stretch of them, saying how many it stands for; fast and small (a signal per line took
    120 s and 2.5 GiB for a million)."""
    from hbtriage import api
    from hbtriage.detect.signatures import MAX_SIGNATURE_SIGNALS

    n = MAX_SIGNATURE_SIGNALS + 10_000
    start = datetime(2013, 3, 30, 19, 0, 0, tzinfo=UTC)
    lines = [
        (start.timestamp() + i * 0.04, "Missed 2 VRU PIM heartbeats. Closing session")
        for i in range(n)
    ]
    text = "".join(
        f"{datetime.fromtimestamp(t, UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z [ERROR] "
        f"LOGMSG_ICM_SS_GENERAL_INFO: {msg}\n"
        for t, msg in lines
    )
    log = tmp_path / "callserver.log"
    log.write_text(text, encoding="utf-8")
    found = api.analyze([log], tz=["UTC"])
    (incident,) = found.incidents
    (signal,) = [s for s in incident.signals if s.kind == "signature"]
    assert signal.data["repeats"] == n
    assert f"{n - 1:,} more" in signal.detail
    assert (signal.end - signal.start).total_seconds() == pytest.approx((n - 1) * 0.04, abs=0.01)


def test_warnings_are_capped_with_a_count(tmp_path: Path) -> None:
    from hbtriage import api
    from hbtriage.findings import Findings

    many = Findings(warnings=[f"w{i}" for i in range(api.MAX_WARNINGS + 50)])
    bounded = api._bounded(many)
    assert len(bounded.warnings) == api.MAX_WARNINGS
    assert bounded.warnings[-1].startswith("... and 51 more warnings")


@pytest.mark.parametrize("chunk", [4096, 1 << 20])
def test_a_line_longer_than_anything_kept_is_cut_and_the_rest_read(
    tmp_path: Path, chunk: int
) -> None:
    """A 3 MB line without a line end in the middle of a log: its start is kept (cut, with a
    warning), the records after it are read as usual, in pieces of any size."""
    from hbtriage.sources.options import ReadOptions

    path = tmp_path / "app.log"
    with path.open("wb") as fh:
        fh.write(b"2024-05-01T12:00:00Z [INFO] before\n")
        fh.write(b"2024-05-01T12:00:01Z [INFO] " + b"A" * 3_000_000 + b"\n")
        fh.write(b"2024-05-01T12:00:02Z [WARN] after\n2024-05-01T12:00:03Z [INFO] end\n")
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    outcome = read_one(item, ReadOptions(chunk_bytes=chunk))
    assert outcome.result is not None and outcome.result.events is not None
    events = outcome.result.events
    assert events["message"].to_list()[0] == "before"
    assert events["message"].to_list()[2:] == ["after", "end"]
    assert len(events["message"][1]) <= 65_536
    assert any(
        ":2: line of" in w and "cut to 65,536 characters" in w for w in outcome.result.warnings
    )
