"""The timeline: which host each input belongs to, which zone, and UTC conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hbtriage.errors import UsageError
from hbtriage.sources.base import COUNTER_SCHEMA, EVENT_SCHEMA, InputFile, ReadResult
from hbtriage.timeline import CAT, UTC_TS, build, parse_tz_options
from hbtriage.timeline.model import Timeline, chunk_lengths


def _log(
    kind: str, times: list[datetime], offset: int | None = None, host: str | None = None
) -> ReadResult:
    ev = pl.DataFrame(
        {
            "ts_local": times,
            "offset_min": [offset] * len(times),
            "line": list(range(1, len(times) + 1)),
            "severity": [None] * len(times),
            "component": ["pim1"] * len(times),
            "message": ["x"] * len(times),
            "node": [host] * len(times),
        },
        schema=EVENT_SCHEMA,
    )
    return ReadResult(
        kind=kind,
        host=host,
        host_reason="dumplog node name" if host else "",
        stream="pim1",
        events=ev,
    )


def _perf(host: str, times: list[datetime], bias: int | None) -> ReadResult:
    ct = pl.DataFrame(
        {
            "host": [host] * len(times),
            "object": ["Processor"] * len(times),
            "instance": ["_Total"] * len(times),
            "counter": ["DPC Rate"] * len(times),
            "ts_local": times,
            "offset_min": [None] * len(times),
            "value": [0.0] * len(times),
        },
        schema=COUNTER_SCHEMA,
    )
    return ReadResult(
        kind="perfmon_csv",
        host=host,
        zone="Eastern Standard Time" if bias else None,
        offset_min=-bias if bias is not None else None,
        counters=ct,
    )


LOCAL = [datetime(2013, 3, 30, 19, 36, 46, 531000), datetime(2013, 3, 30, 19, 36, 57, 328000)]


def test_dumplog_takes_the_zone_of_its_hosts_perfmon() -> None:
    items = [
        (
            InputFile("b/PG1A/pim1.txt", "/x", ["PG1A", "b"]),
            _log("icm_dumplog", LOCAL, host="pg1A"),
        ),
        (InputFile("b/PG1A/perf.csv", "/y", ["PG1A", "b"]), _perf("PG1A", LOCAL, 300)),
    ]
    tl, inputs, hosts, warnings = build(items)
    assert tl.events["ts"].to_list()[0] == datetime(2013, 3, 31, 0, 36, 46, 531000, tzinfo=UTC)
    assert [h.name for h in hosts] == ["PG1A"]
    pim = next(i for i in inputs if i.path.endswith("pim1.txt"))
    assert pim.host == "PG1A" and pim.zone_source == "perfmon header"
    assert warnings == []


def test_tz_option_wins_and_handles_dst() -> None:
    # 2013-03-30 is in US daylight time: New York is UTC-4 that day.
    items = [(InputFile("pim1.txt", "/x", []), _log("icm_dumplog", LOCAL, host="PG1A"))]
    tl, inputs, _hosts, _w = build(items, tz=parse_tz_options(["PG1A=America/New_York"]))
    assert tl.events["ts"][0] == datetime(2013, 3, 30, 23, 36, 46, 531000, tzinfo=UTC)
    assert inputs[0].zone_source == "--tz"


def test_no_zone_anywhere_is_said_in_a_warning() -> None:
    items = [(InputFile("pim1.txt", "/x", []), _log("icm_dumplog", LOCAL, host="PG1A"))]
    tl, inputs, _h, _warnings = build(items)
    assert inputs[0].zone_source.startswith("assumed UTC")
    assert tl.unzoned == ["PG1A"]  # api says so in a warning unless the peer tells the zone


def test_stated_offsets_are_used_per_line() -> None:
    times = [datetime(2013, 11, 3, 1, 30), datetime(2013, 11, 3, 1, 30)]
    ev = _log("cvp_log", times).events
    assert ev is not None
    ev = ev.with_columns(pl.Series("offset_min", [-240, -300], dtype=pl.Int32))
    res = ReadResult(kind="cvp_log", stream="CVP", events=ev)
    tl, *_ = build([(InputFile("CVP1/CVP.log", "/x", ["CVP1"]), res)])
    got = tl.events["ts"].to_list()
    assert got == [
        datetime(2013, 11, 3, 5, 30, tzinfo=UTC),
        datetime(2013, 11, 3, 6, 30, tzinfo=UTC),
    ]


def test_host_names_are_case_insensitive_and_aliases_join() -> None:
    items = [
        (InputFile("flat/pim1.txt", "/x", ["flat"]), _log("icm_dumplog", LOCAL, host="pg1a")),
        (InputFile("flat/perf.csv", "/y", ["flat"]), _perf("PG1A", LOCAL, 300)),
        (InputFile("flat/old.csv", "/z", ["flat"]), _perf("PG1A-OLD", LOCAL, 300)),
    ]
    _tl, inputs, hosts, _w = build(items, aliases={"PG1A-OLD": "PG1A"})
    assert [h.name for h in hosts] == ["PG1A"]
    assert {i.host for i in inputs} == {"PG1A"}


def test_cumulative_counters_are_differenced_and_reboots_give_null() -> None:
    res = _perf("CVP1", [datetime(2013, 3, 30, 19, 0, s) for s in range(5)], 300)
    assert res.counters is not None
    res.counters = res.counters.with_columns(
        pl.lit("Network Interface").alias("object"),
        pl.lit("Packets Received Discarded").alias("counter"),
        pl.Series("value", [100.0, 100.0, 103.0, 2.0, 4.0]),
    )
    tl, *_ = build([(InputFile("p.csv", "/p", []), res)])
    assert tl.counters["value"].to_list() == [None, 0.0, 3.0, None, 2.0]


def test_bad_tz_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'"):
        parse_tz_options(["PG1A=Mars/Olympus"])


def test_tz_takes_zones_as_admins_write_them() -> None:
    got = parse_tz_options(
        ["PG1A=Central Standard Time", "CVP1=UTC-05:00", "X=+09:00", "Y=Asia/Tokyo"]
    )
    assert got["PG1A"].iana == "America/Chicago"
    assert (got["CVP1"].iana, got["CVP1"].fixed_min) == (None, -300)
    assert got["X"].fixed_min == 540 and got["Y"].iana == "Asia/Tokyo"


@settings(max_examples=60, deadline=None)
@given(
    hosts=st.lists(st.sampled_from(["PG1A", "CVP1", "PG1B"]), min_size=0, max_size=40),
    grouped=st.booleans(),
    seconds=st.floats(min_value=-3600, max_value=3600, allow_nan=False),
    nulls=st.sets(st.integers(min_value=0, max_value=39)),
)
def test_a_clock_correction_moves_only_its_hosts_rows(
    hosts: list[str], grouped: bool, seconds: float, nulls: set[int]
) -> None:
    # The timeline keeps each host's rows together (moved stretch by stretch); frames built
    # otherwise are moved row by row. Either way: that host's times, every one, by -seconds.
    if grouped:
        hosts = sorted(hosts)
    t0 = datetime(2013, 3, 30, 19, 36, 46, tzinfo=UTC)
    times = [None if i in nulls else t0 + timedelta(seconds=i) for i in range(len(hosts))]
    frame = pl.DataFrame(
        {"host": hosts, "ts": times, "line": list(range(len(hosts)))},
        schema={"host": CAT, "ts": UTC_TS, "line": pl.Int64},
    )
    streams = pl.DataFrame(schema={"host": CAT, "first": UTC_TS, "last": UTC_TS})
    tl = Timeline(frame, frame.rename({"line": "value"}), streams)
    moved = tl.shift_host("CVP1", seconds)
    step = timedelta(microseconds=round(seconds * 1e6))
    want = [
        t - step if (t is not None and h == "CVP1") else t
        for h, t in zip(hosts, times, strict=True)
    ]
    for out in (moved.events, moved.counters):
        assert out["ts"].to_list() == want
        assert out["host"].to_list() == hosts
        assert out.schema["ts"] == UTC_TS  # the timeline's unit stays
    assert moved.events["line"].to_list() == list(range(len(hosts)))


@pytest.mark.parametrize("n", [0, 1, 7])
def test_repeat_of_an_enum_value_is_polars_repeat(n: int) -> None:
    """The name columns of a file's events are taken from a Series of the enum's values made
    once (not by handing polars the enum for each file): the same values, dtype and chunks."""
    from hbtriage.timeline.frames import _repeat

    enum = pl.Enum(sorted(f"logs/app-{i:04d}.log" for i in range(300)))
    for value in ["logs/app-0000.log", "logs/app-0150.log", None]:
        got = _repeat(value, n, enum, "source")
        want = pl.repeat(value, n, dtype=enum, eager=True).alias("source")
        assert got.dtype == want.dtype
        assert got.equals(want) and got.n_chunks() == 1
    got = _repeat("PG1A", n, pl.Categorical(), "host")
    assert got.equals(pl.repeat("PG1A", n, dtype=pl.Categorical(), eager=True).alias("host"))


def test_concat_columns_equals_concat() -> None:
    """Frames joined column by column (taken out of the list as they go) are pl.concat's."""
    from hbtriage.timeline.frames import _concat_columns

    frames = [
        pl.DataFrame({"a": [i, i + 1], "message": [None, f"m{i}"], "b": ["x", None]})
        for i in range(5)
    ]
    want = pl.concat(frames)
    given_list = list(frames)
    got = _concat_columns(given_list)
    assert given_list == []
    assert got.equals(want)
    assert all(c.n_chunks() == 1 for c in got.get_columns())


@given(
    pieces=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=5),
    stated=st.booleans(),
    no_time=st.sets(st.integers(min_value=0, max_value=99), max_size=3),
)
# Pieces of one row: polars' drop merged some columns' small chunks and not others'.
@example(pieces=[1, 1, 3], stated=False, no_time=set())
def test_a_file_read_in_pieces_gives_the_timeline_read_in_one(
    pieces: list[int], stated: bool, no_time: set[int]
) -> None:
    # A large file is read in pieces (a chunk each): its timeline keeps those chunks, lined up
    # in every column, and holds what the same file read in one piece gives, row for row.
    n = sum(pieces)
    t0 = datetime(2013, 3, 30, 19, 0)
    times = [None if i in no_time else t0 + timedelta(seconds=i) for i in range(n)]
    whole = _log("icm_dumplog", times, -300 if stated else None, host="PG1A").events
    assert whole is not None
    edges = [0, *(sum(pieces[: k + 1]) for k in range(len(pieces)))]
    chunked = pl.DataFrame(
        [
            pl.concat(
                [c.slice(a, b - a) for a, b in zip(edges, edges[1:], strict=False)], rechunk=False
            )
            if c.name != "message"  # the readers' text is in one chunk (frames._sparse_text)
            else c
            for c in whole.get_columns()
        ]
    )
    got = []
    for events in (whole, chunked):
        res = ReadResult(kind="icm_dumplog", host="PG1A", stream="pim1", events=events)
        tl, *_ = build([(InputFile(path="/x/pim1.txt", display="pim1.txt"), res)])
        got.append(tl)
    one, many = got
    assert many.events.equals(one.events) and many.streams.equals(one.streams)
    lengths = {tuple(chunk_lengths(c)) for c in many.events.get_columns()}
    assert len(lengths) == 1
    if not no_time:  # (rows without a time are dropped from their chunks)
        assert [n for n in lengths.pop() if n] == [p for p in pieces if p]
