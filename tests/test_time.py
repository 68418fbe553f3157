"""Time, through ``analyze``: DST changes inside a capture, day rollover, rotated files of one
stream, host aliases and ``--tz HOST=Zone`` as the zone source the user sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hbtriage.api import run
from hbtriage.cli import app
from hbtriage.timeline.clocks import _to_utc

runner = CliRunner()
STEP = timedelta(seconds=30)


def _dumplog(path: Path, header: str, times: list[datetime], node: str = "pg1A") -> None:
    """An ICM dumplog: one ``Events from`` line, then one trace record per time (file order)."""
    lines = [f"Events from {header}"]
    for i, t in enumerate(times):
        lines.append(
            f"{t:%H:%M:%S}:{t.microsecond // 1000:03d} {node}-pim1 Trace: "
            f"VRU heartbeat confirm received from 192.0.2.20 seq {i}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _run(paths: list[Path], *, tz: tuple[str, ...] = (), aliases: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return run(paths, tz=tz, host_aliases=aliases)


def _every(start: datetime, end: datetime, step: timedelta = STEP) -> list[datetime]:
    out = []
    t = start
    while t <= end:
        out.append(t)
        t += step
    return out


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --------------------------------------------------------------------------- DST


def test_fall_back_repeated_hour_keeps_file_order(tmp_path: Path) -> None:
    """New York, 2013-11-03: 01:00-01:59 happens twice (EDT, then EST). A dumplog written
    straight through 00:30 -> 01:59:30 -> 01:00 -> 02:59:30 is one continuous UTC stream."""
    day = datetime(2013, 11, 3)
    times = _every(day.replace(hour=0, minute=30), day.replace(hour=1, minute=59, second=30))
    times += _every(day.replace(hour=1), day.replace(hour=2, minute=59, second=30))
    _dumplog(tmp_path / "PG1A" / "pim1.txt", "November 3, 2013", times)
    a = _run([tmp_path], tz=("PG1A=America/New_York",))
    ev = a.timeline.events.sort("line")
    assert ev.height == len(times) == 420
    assert ev["host"].unique().to_list() == ["PG1A"]
    ts = ev["ts"].to_list()
    assert ts[0] == _utc(2013, 11, 3, 4, 30)  # 00:30 EDT
    assert ts[179] == _utc(2013, 11, 3, 5, 59, 30)  # 01:59:30 EDT (first pass)
    assert ts[180] == _utc(2013, 11, 3, 6, 0)  # 01:00 EST (second pass)
    assert ts[-1] == _utc(2013, 11, 3, 7, 59, 30)  # 02:59:30 EST
    assert {b - a for a, b in zip(ts, ts[1:], strict=False)} == {STEP}
    (info,) = a.findings.inputs
    assert (info.zone, info.zone_source) == ("America/New_York", "--tz")
    assert info.first == ts[0] and info.last == ts[-1]
    assert a.findings.incidents == []
    # Nothing of the repeated hour was taken for a rotated-file duplicate, no false log gap.
    assert a.timeline.streams["lines"].to_list() == [420]


def test_spring_forward_gap_is_continuous_and_drops_nothing(tmp_path: Path) -> None:
    """New York, 2013-03-10: the clock jumps 01:59:59 EST -> 03:00:00 EDT. A record stamped
    inside the gap (a clock that had not changed yet) is kept, read with the offset before it."""
    day = datetime(2013, 3, 10)
    times = _every(day.replace(hour=1), day.replace(hour=1, minute=59, second=30))
    times += _every(day.replace(hour=3), day.replace(hour=3, minute=59, second=30))
    _dumplog(tmp_path / "PG1A" / "pim1.txt", "March 10, 2013", times)
    a = _run([tmp_path], tz=("America/New_York",))
    ts = a.timeline.events.sort("line")["ts"].to_list()
    assert len(ts) == 240
    assert ts[119] == _utc(2013, 3, 10, 6, 59, 30) and ts[120] == _utc(2013, 3, 10, 7, 0)
    assert {b - a for a, b in zip(ts, ts[1:], strict=False)} == {STEP}
    assert a.findings.hosts[0].zone_source == "--tz"

    _dumplog(
        tmp_path / "gap" / "PG1A" / "pim1.txt", "March 10, 2013", [day.replace(hour=2, minute=15)]
    )
    b = _run([tmp_path / "gap"], tz=("America/New_York",))
    assert b.timeline.events["ts"].to_list() == [_utc(2013, 3, 10, 7, 15)]


def test_perfmon_through_fall_back_with_tz(tmp_path: Path) -> None:
    """Counters are long rows (one per counter and sample): each series is ordered on its own."""
    host = "PG1A"
    day = datetime(2013, 11, 3)
    times = _every(
        day.replace(hour=1, minute=50),
        day.replace(hour=1, minute=59, second=45),
        timedelta(seconds=15),
    )
    times += _every(day.replace(hour=1), day.replace(hour=1, minute=10), timedelta(seconds=15))
    head = f'"(PDH-CSV 4.0) (Eastern Standard Time)(300)","\\\\{host}\\Processor(_Total)\\DPC Rate","\\\\{host}\\Memory\\Available MBytes"'
    rows = [f'"{t:%m/%d/%Y %H:%M:%S}.000","0","2048"' for t in times]
    (tmp_path / "perf.csv").write_text("\r\n".join([head, *rows]) + "\r\n", encoding="utf-8")
    a = _run([tmp_path / "perf.csv"], tz=(f"{host}=America/New_York",))
    ct = a.timeline.counters
    for (_obj, _ctr), part in ct.group_by(["object", "counter"]):
        ts = part["ts"].sort().to_list()
        assert len(ts) == len(times) == 81
        assert ts[0] == _utc(2013, 11, 3, 5, 50)  # 01:50 EDT
        assert ts[-1] == _utc(2013, 11, 3, 6, 10)  # 01:10 EST
        assert {b - a for a, b in zip(ts, ts[1:], strict=False)} == {timedelta(seconds=15)}
    assert a.findings.inputs[0].zone_source == "--tz"


# --------------------------------------------------------------------------- day rollover


def test_dumplog_day_rollover_with_and_without_date_line(tmp_path: Path) -> None:
    lines = [
        "Events from March 30, 2013",
        "23:59:58:100 pg1A-pim1 Trace: a",
        "23:59:59:900 pg1A-pim1 Trace: b",
        "00:00:01:000 pg1A-pim1 Trace: c",  # midnight passed, no new date line
        "Events from March 31, 2013",
        "00:00:02:000 pg1A-pim1 Trace: d",
        "23:59:59:000 pg1A-pim1 Trace: e",
        "00:00:00:500 pg1A-pim1 Trace: f",  # April 1st
    ]
    (tmp_path / "PG1A").mkdir()
    (tmp_path / "PG1A" / "pim1.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    a = _run([tmp_path], tz=("PG1A=UTC",))
    ev = a.timeline.events
    got = dict(zip(ev["line"].to_list(), ev["ts"].to_list(), strict=True))
    assert got == {
        2: _utc(2013, 3, 30, 23, 59, 58, 100000),
        3: _utc(2013, 3, 30, 23, 59, 59, 900000),
        4: _utc(2013, 3, 31, 0, 0, 1),  # midnight passed without a date line
        6: _utc(2013, 3, 31, 0, 0, 2),
        7: _utc(2013, 3, 31, 23, 59, 59),
        8: _utc(2013, 4, 1, 0, 0, 0, 500000),
    }
    info = a.findings.inputs[0]
    assert info.first == got[2] and info.last == got[8] and info.records == 6


# --------------------------------------------------------------------------- rotation


def test_rotated_files_of_one_stream_merge_in_order_without_overlap(tmp_path: Path) -> None:
    """pim1 rotated into three files whose edges overlap (the same records in two files); handed
    over in the wrong name order. One stream, each record once, in time order."""
    start = datetime(2013, 3, 30, 19, 0)
    times = _every(start, start + timedelta(minutes=30))  # 61 records
    folder = tmp_path / "PG1A"
    all_lines = [
        f"{t:%H:%M:%S}:000 pg1A-pim1 Trace: VRU heartbeat confirm received seq {i}"
        for i, t in enumerate(times)
    ]
    chunks = {
        "pim1_3.txt": all_lines[40:],
        "pim1_1.txt": all_lines[:25],
        "pim1_2.txt": all_lines[20:45],
    }
    folder.mkdir()
    for name, body in chunks.items():
        (folder / name).write_text("Events from March 30, 2013\n" + "\n".join(body) + "\n")
    a = _run([tmp_path], tz=("PG1A=America/New_York",))
    ev = a.timeline.events
    assert ev["stream"].unique().to_list() == ["pim1"]
    assert ev.height == 61
    assert ev["ts"].is_sorted()
    assert ev["ts"].n_unique() == 61
    assert ev["ts"][0] == _utc(2013, 3, 30, 23, 0)  # EDT on 30 March 2013
    (stream,) = a.timeline.streams.iter_rows(named=True)
    assert stream["lines"] == 61 and stream["cadence_s"] == 30.0
    assert a.findings.incidents == []
    # Each file is still listed as an input with its own records.
    assert sorted(i.records for i in a.findings.inputs) == [21, 25, 25]


# --------------------------------------------------------------------------- hosts and zones


def _perf(path: Path, host: str, start: datetime, bias: int = 300) -> None:
    head = (
        f'"(PDH-CSV 4.0) (Eastern Standard Time)({bias})","\\\\{host}\\Processor(_Total)\\DPC Rate"'
    )
    rows = [f'"{start + i * STEP:%m/%d/%Y %H:%M:%S}.000","1"' for i in range(20)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")


def test_host_alias_joins_two_names_through_the_cli(tmp_path: Path) -> None:
    start = datetime(2013, 3, 30, 19, 0)
    _perf(tmp_path / "b" / "new.csv", "PG1A", start)
    _perf(tmp_path / "b" / "old.csv", "pg1a-old", start + timedelta(minutes=20))
    out = tmp_path / "o"
    res = runner.invoke(
        app,
        [
            "analyze",
            str(tmp_path / "b"),
            "--host-alias",
            "PG1A-OLD=PG1A",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    import json

    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert [h["name"] for h in doc["hosts"]] == ["PG1A"]
    assert {i["host"] for i in doc["inputs"]} == {"PG1A"}
    (host,) = doc["hosts"]
    assert host["inputs"] == 2
    assert (
        host["first"] == "2013-03-31T00:00:00.000Z" and host["last"] == "2013-03-31T00:29:30.000Z"
    )
    # Without the alias they are two hosts.
    a = _run([tmp_path / "b"])
    assert sorted(h.name for h in a.findings.hosts) == ["PG1A", "pg1a-old"]


def test_tz_host_option_is_the_zone_source_in_findings(tmp_path: Path) -> None:
    """PG1A's dumplog has no zone: --tz PG1A=Asia/Tokyo is used and named; CVP1's perfmon
    keeps its header zone; a host left out of --tz is not touched by it."""
    start = datetime(2013, 3, 30, 19, 0)
    _dumplog(
        tmp_path / "PG1A" / "pim1.txt",
        "March 30, 2013",
        _every(start, start + timedelta(minutes=5)),
    )
    _perf(tmp_path / "CVP1" / "perf.csv", "CVP1", start)
    a = _run([tmp_path], tz=("pg1a=Asia/Tokyo",))
    by_path = {Path(i.path).name: i for i in a.findings.inputs}
    pim = by_path["pim1.txt"]
    assert (pim.host, pim.zone, pim.zone_source) == ("PG1A", "Asia/Tokyo", "--tz")
    assert pim.first == _utc(2013, 3, 30, 10, 0)
    perf = by_path["perf.csv"]
    assert perf.zone_source == "perfmon header" and perf.zone == "Eastern Standard Time (UTC-05:00)"
    assert perf.first == _utc(2013, 3, 31, 0, 0)
    hosts = {h.name: h for h in a.findings.hosts}
    assert hosts["PG1A"].zone_source == "--tz" and hosts["CVP1"].zone_source == "perfmon header"
    assert not any("no time zone found" in w for w in a.findings.warnings)


# --------------------------------------------------------------------------- property

NY = ZoneInfo("America/New_York")


@settings(max_examples=150, deadline=None)
@given(
    transition=st.sampled_from([_utc(2013, 11, 3, 6, 0), _utc(2013, 3, 10, 7, 0)]),
    lead_s=st.integers(min_value=0, max_value=3 * 3600),
    steps=st.lists(st.integers(min_value=1, max_value=50 * 60), min_size=1, max_size=60),
)
def test_local_wall_clock_round_trips_across_dst(
    transition: datetime, lead_s: int, steps: list[int]
) -> None:
    """Instants in order (a log written as time goes by, samples up to 50 min apart), shown as
    New York wall-clock time without a zone, come back as the same instants. The capture starts
    before the repeated hour (01:00 EDT on fall-back day) at the latest."""
    start = min(transition - timedelta(seconds=lead_s), _utc(2013, 11, 3, 5, 0))
    if transition.month == 3:
        start = transition - timedelta(seconds=lead_s)
    instants = [start]
    for s in steps:
        instants.append(instants[-1] + timedelta(seconds=s))
    local = [t.astimezone(NY).replace(tzinfo=None) for t in instants]
    df = pl.DataFrame(
        {"ts_local": local, "offset_min": [None] * len(local)},
        schema={"ts_local": pl.Datetime("ns"), "offset_min": pl.Int32()},
    )
    got = _to_utc(df, "America/New_York", None)["ts"].to_list()
    assert got == instants


@settings(max_examples=150, deadline=None)
@given(
    local_ns=st.lists(
        st.one_of(st.none(), st.integers(min_value=-(2**62), max_value=2**62)), max_size=30
    ),
    offsets=st.lists(
        st.one_of(
            st.none(),
            st.integers(min_value=-1439, max_value=1439),
            st.integers(min_value=-(2**31), max_value=2**31 - 1),
        ),
        max_size=30,
    ),
    fixed=st.sampled_from([None, -300, 330]),
)
def test_written_offsets_give_the_instants_durations_give(
    local_ns: list[int | None], offsets: list[int | None], fixed: int | None
) -> None:
    """A line's time less the UTC offset it writes, as the timeline takes it (on the integers
    under the times), is the instant polars gives the time less a duration of those minutes:
    to the microsecond, as that is (sub-microsecond digits dropped), offsets of any size."""
    n = min(len(local_ns), len(offsets))
    df = pl.DataFrame(
        {"ts_local": local_ns[:n], "offset_min": offsets[:n]},
        schema={"ts_local": pl.Int64(), "offset_min": pl.Int32()},
    ).with_columns(pl.col("ts_local").cast(pl.Datetime("ns")))
    by_duration = (
        pl.col("ts_local") - pl.duration(minutes=pl.col("offset_min"))
    ).dt.replace_time_zone("UTC")
    by_zone = (pl.col("ts_local") - pl.duration(minutes=fixed or 0)).dt.replace_time_zone("UTC")
    expr = pl.when(pl.col("offset_min").is_not_null()).then(by_duration).otherwise(by_zone)
    try:
        want = df.select(expr.dt.cast_time_unit("ns").alias("ts"))["ts"]
    except pl.exceptions.InvalidOperationError:  # out of the range of nanosecond times
        with pytest.raises(pl.exceptions.InvalidOperationError):
            _to_utc(df, None, fixed)
        return
    got = _to_utc(df, None, fixed)["ts"]
    assert got.dtype == want.dtype == pl.Datetime("ns", "UTC")
    assert got.to_physical().to_list() == want.to_physical().to_list()
