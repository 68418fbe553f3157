"""ICM dumplog reader: what a user sees from a PIM log written by ``dumplog pim1 /bt ... /ms /o``."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.sources.base import EVENT_SCHEMA, InputFile
from hbtriage.sources.encoding import read_head
from hbtriage.sources.icm_dumplog import READER, _Rollover
from hbtriage.sources.options import ReadOptions

FIX = Path(__file__).parent / "fixtures"
PIM1 = FIX / "icm_dumplog" / "pim1.txt"


def _read(path: Path, enc: str = "utf-8"):
    return READER.read(InputFile(display=path.name, path=str(path)), enc)


def _write(tmp_path: Path, text: str, name: str = "pim1.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def test_fixture_records_times_and_names() -> None:
    r = _read(PIM1)
    ev = r.events
    assert r.kind == "icm_dumplog"
    assert dict(ev.schema) == EVENT_SCHEMA
    assert ev.height == 19
    assert (r.host, r.host_reason, r.stream) == ("pg1A", "dumplog node name", "pim1")
    assert r.warnings == []
    assert ev["offset_min"].null_count() == ev.height  # dumplog has no zone
    assert set(ev["component"]) == {"pim1"}
    assert ev["ts_local"][0] == dt.datetime(2013, 3, 30, 19, 36, 30, 104000)
    # The day change header moves the date on.
    assert ev["ts_local"][-1] == dt.datetime(2013, 3, 31, 0, 0, 5, 103000)
    assert ev["line"][-1] == 23


def test_wrapped_10054_error_is_one_record_on_its_first_line() -> None:
    ev = _read(PIM1).events
    row = ev.filter(pl.col("message").str.contains("10054")).row(0, named=True)
    assert row["line"] == 10
    assert row["ts_local"] == dt.datetime(2013, 3, 30, 19, 36, 57, 328000)
    assert row["message"] == (
        "Error receiving data from VRU.\n"
        "Last API Error [10054]: An existing connection was\n"
        "forcibly closed by the remote host."
    )
    nxt = ev.filter(pl.col("line") == 13)["message"][0]
    assert nxt == "TCP connection to VRU has been broken."


def test_trace_prefix_becomes_severity_and_leaves_message() -> None:
    ev = _read(PIM1).events
    first = ev.row(0, named=True)
    assert first["severity"] == "trace"
    assert first["message"].startswith("VRU heartbeat request sent")
    assert ev.filter(pl.col("line") == 13)["severity"][0] is None


def test_the_log_gap_of_the_incident_is_visible() -> None:
    ev = _read(PIM1).events.sort("ts_local")
    gaps = ev.with_columns(pl.col("ts_local").diff().alias("gap")).filter(
        (pl.col("ts_local") > dt.datetime(2013, 3, 30, 19, 36))
        & (pl.col("ts_local") < dt.datetime(2013, 3, 30, 19, 40))
    )
    biggest = gaps.sort("gap", descending=True, nulls_last=True).row(0, named=True)
    assert biggest["ts_local"] == dt.datetime(2013, 3, 30, 19, 36, 57, 328000)
    assert biggest["gap"] == dt.timedelta(seconds=10, microseconds=797000)


def test_node_with_hyphens_splits_on_last_hyphen_and_weekday_header(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Events from Saturday, March 30, 2013\n"
        "19:36:35 cc-pg1A-pim1 Trace: VRU heartbeat sent\n"
        "19:36:36.5 cc-pg1A-pim1 dotted millis\n",
    )
    r = _read(p)
    assert r.host == "cc-pg1A"
    assert r.events["component"].to_list() == ["pim1", "pim1"]
    assert r.events["ts_local"].to_list() == [
        dt.datetime(2013, 3, 30, 19, 36, 35),
        dt.datetime(2013, 3, 30, 19, 36, 36, 500000),
    ]


def test_midnight_without_header_rolls_the_day(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Events from Mar 30, 2013\n"
        "23:59:59:900 pg1A-pim1 before midnight\n"
        "00:00:00:100 pg1A-pim1 after midnight\n"
        "19:00:00:000 pg1A-pim1 evening\n"
        "Events from March 31, 2013\n"
        "20:00:00:000 pg1A-pim1 header date wins\n",
    )
    ts = _read(p).events["ts_local"].to_list()
    assert ts == [
        dt.datetime(2013, 3, 30, 23, 59, 59, 900000),
        dt.datetime(2013, 3, 31, 0, 0, 0, 100000),
        dt.datetime(2013, 3, 31, 19, 0),
        dt.datetime(2013, 3, 31, 20, 0),
    ]


def test_records_before_the_first_header_belong_to_the_day_before(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "23:59:58:000 pg1A-pim1 cut file\nEvents from April 1, 2013\n00:00:01:000 pg1A-pim1 new day\n",
    )
    ts = _read(p).events["ts_local"].to_list()
    assert ts == [dt.datetime(2013, 3, 31, 23, 59, 58), dt.datetime(2013, 4, 1, 0, 0, 1)]


def test_no_header_takes_date_from_mtime_and_warns(tmp_path: Path) -> None:
    p = _write(tmp_path, "10:00:00 pg1A-pim1 a\n10:00:01 pg1A-pim1 b\n10:00:02 pg1A-pim1 c\n")
    stamp = dt.datetime(2020, 2, 29, 12, 0).timestamp()
    os.utime(p, (stamp, stamp))
    r = _read(p)
    assert r.events["ts_local"][0] == dt.datetime(2020, 2, 29, 10, 0)
    assert any("modified time" in w for w in r.warnings)


def test_sniff_claims_dumplog_and_nothing_else() -> None:
    head, _ = read_head(str(PIM1))
    assert READER.sniff(head, "pim1.txt")
    for other in [
        FIX / "cvp_log" / "CVP.2013-03-30.log",
        FIX / "ciscolog" / "pim1_ciscolog.txt",
        FIX / "loghub" / "Linux_2k.log",
        FIX / "loghub" / "Windows_2k.log",
        FIX / "loghub" / "Zookeeper_2k.log",
        *sorted((FIX / "perfmon").glob("*.csv")),
    ]:
        h, _ = read_head(str(other))
        assert not READER.sniff(h, other.name), other.name
    assert not READER.sniff("", "empty.txt")


def test_garbage_raises_input_error_with_place(tmp_path: Path) -> None:
    p = tmp_path / "junk.bin"
    p.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(InputError) as info:
        READER.read(InputFile(display="junk.bin", path=str(p)), "cp1252")
    assert info.value.path == "junk.bin"
    assert "dumplog" in info.value.expected


def test_huge_line_and_truncated_tail_warn_but_parse(tmp_path: Path) -> None:
    big = "x" * (10 * 1024 * 1024)
    p = _write(
        tmp_path,
        f"Events from March 30, 2013\n19:36:35 pg1A-pim1 {big}\n19:36:36 pg1A-pim1 ok\n\tpartial cont",
    )
    r = _read(p)
    assert r.events.height == 2
    assert r.events["message"][1] == "ok\npartial cont"
    assert len(r.events["message"][0]) < 70_000
    assert any(w.startswith("pim1.txt:2: line of") for w in r.warnings)
    assert any(w.startswith("pim1.txt:4: last line has no line end") for w in r.warnings)


def test_invalid_header_date_is_warned(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Events from March 30, 2013\n10:00:00 pg1A-pim1 a\n"
        "Events from February 30, 2013\n10:00:01 pg1A-pim1 b\n",
    )
    r = _read(p)
    assert r.events.height == 2
    assert any(":3: date line not understood" in w for w in r.warnings)


# --- property tests -------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)),
    max_size=40,
).map(str.strip)
_message = st.one_of(_text, st.just("<script>alert('x')</script>"), st.just("接続が切断されました"))
_record = st.tuples(
    st.integers(min_value=0, max_value=6 * 3600 * 1000),  # ms since previous record
    _message.filter(lambda m: not m.startswith("Trace:")),
    st.lists(_text.filter(bool), max_size=3),
    st.booleans(),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_record, min_size=1, max_size=25))
def test_roundtrip_property(tmp_path: Path, records: list) -> None:
    t = dt.datetime(2013, 3, 30, 0, 0, 0)
    out = []
    expected = []
    line = 1
    day = None
    for step, msg, conts, trace in records:
        t += dt.timedelta(milliseconds=step)
        if t.date() != day:
            out.append(f"Events from {t:%B} {t.day}, {t.year}")
            line += 1
            day = t.date()
        ms = t.microsecond // 1000
        out.append(f"{t:%H:%M:%S}:{ms:03d} cc-pg1A-pim1 {'Trace: ' if trace else ''}{msg}")
        out.extend("\t" + c for c in conts)
        expected.append((t, line, "\n".join([msg, *conts]).rstrip()))
        line += 1 + len(conts)
    p = _write(tmp_path, "\n".join(out) + "\n")
    r = _read(p)
    got = list(zip(r.events["ts_local"], r.events["line"], r.events["message"], strict=True))
    assert got == expected
    assert r.warnings == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    blob=st.one_of(
        st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
    )
)
def test_arbitrary_text_never_crashes(tmp_path: Path, blob: str) -> None:
    READER.sniff(blob, "x.txt")
    p = _write(tmp_path, blob, "x.txt")
    try:
        r = READER.read(InputFile(display="x.txt", path=str(p)), "utf-8")
    except InputError:
        return
    assert dict(r.events.schema) == EVENT_SCHEMA


def test_days_and_dates_carry_across_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three days without a date line between, a date line, a bad date line, records before
    the first date line and an invalid time: read in pieces of a few hundred bytes, the records,
    times and warnings are those of one pass over the whole file."""
    lines = ["22:00:00:000 pg1A-pim1 before any date line", "25:00:00:000 pg1A-pim1 bad time"]
    lines.append("Events from March 30, 2013")
    for day in range(3):
        lines += [
            f"{h:02d}:{m:02d}:00:{day:03d} pg1A-pim1 tick {day}"
            for h in (6, 12, 18, 23)
            for m in (0, 30)
        ]
    lines += ["Events from Febtember 40, 2013", "01:00:00:000 pg1A-pim1 after a bad date line"]
    lines += ["Events from April 9, 2013", "03:00:00:000 pg1A-pim1 new segment"]
    lines += [
        "02:00:00:000 pg1A-pim1 earlier, same day",
        "\tcontinued",
        "23:00:00:000 pg1A-pim1 late",
    ]
    p = _write(tmp_path, "\n".join(lines) + "\n")
    whole = _read(p)
    for size in (64, 200, 333):
        parts = READER.read(
            InputFile(display=p.name, path=str(p)), "utf-8", ReadOptions(chunk_bytes=size)
        )
        assert parts.events.equals(whole.events), size
        assert parts.warnings == whole.warnings
    ts = whole.events["ts_local"].to_list()
    assert ts[0] == dt.datetime(2013, 3, 29, 22, 0)  # the day before the first date line
    assert ts[1] == dt.datetime(2013, 3, 30, 6, 0)
    assert dt.datetime(2013, 4, 1, 23, 30, 0, 2000) in ts  # third day: two roll-overs
    assert ts[-4] == dt.datetime(2013, 4, 2, 1, 0)  # bad date line: the day carries on
    assert ts[-3:] == [
        dt.datetime(2013, 4, 9, 3, 0),
        dt.datetime(2013, 4, 9, 2, 0),
        dt.datetime(2013, 4, 9, 23, 0),
    ]
    assert "pim1.txt:2: invalid time of day; record skipped" in whole.warnings
    assert any(w.startswith("pim1.txt:28: date line not understood") for w in whole.warnings)


_DAY_NS = 86_400_000_000_000


_H = 3_600_000_000_000


@settings(max_examples=300, deadline=None)
@example(records=[(23 * _H, 0), (1 * _H, 0), (2 * _H, 0)], cuts=[2])  # counted past a cut
@example(records=[(23 * _H, 0), (None, 0), (1 * _H, 0), (22 * _H, 1), (1 * _H, 1)], cuts=[1, 4])
@given(
    records=st.lists(
        st.tuples(
            # Time of day in ns, to the microsecond (None: invalid).
            st.one_of(st.none(), st.integers(0, _DAY_NS // 1000 - 1).map(lambda us: us * 1000)),
            st.integers(0, 2),  # segments grow (a good date line starts the next)
        ),
        max_size=40,
    ),
    cuts=st.lists(st.integers(0, 40), max_size=4),
)
def test_midnight_roll_over_piece_by_piece_is_record_by_record(
    records: list[tuple[int | None, int]], cuts: list[int]
) -> None:
    # The rule, one record at a time: a day is added when the time of day goes back by more
    # than 12 h from the record before, in the same segment; it counts from the segment's start.
    segs = sorted(s for _, s in records)
    rows = [(tod, seg) for (tod, _), seg in zip(records, segs, strict=True)]
    want, back, base, prev = [], 0, 0, None
    for tod, seg in rows:
        if prev is None or prev[1] != seg:
            base = back
        elif prev[0] is not None and tod is not None and prev[0] - tod > _DAY_NS // 2:
            back += 1
        want.append(back - base)
        prev = (tod, seg)
    # The reader: the same records cut into pieces anywhere, the state carried between them.
    roll, plain = _Rollover(), _Rollover()  # plain: the polars-only form (numpy not loaded)
    got: list[int] = []
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        piece = pl.DataFrame(
            {
                "_tod_ns": [t for t, _ in rows[lo:hi]],
                "seg": [s for _, s in rows[lo:hi]],
                "date": [dt.date(2013, 3, 30)] * (hi - lo),
            },
            schema={"_tod_ns": pl.Int64, "seg": pl.Int64, "date": pl.Date},
        )
        out = roll.apply(piece)
        assert out.equals(plain._apply_polars(piece))
        assert vars(roll) == vars(plain)  # the state carried to the next piece
        got += out["_days"].to_list()
        # ... and the local time is the segment's date + the time of day + those days (ns).
        start = dt.datetime(2013, 3, 30) - dt.datetime(1970, 1, 1)
        date_ns = (start.days * 86_400) * 1_000_000_000
        expect = [
            None if t is None else date_ns + t + d * _DAY_NS
            for (t, _), d in zip(rows[lo:hi], out["_days"].to_list(), strict=True)
        ]
        assert out["ts_local"].dt.cast_time_unit("ns").to_physical().to_list() == expect
    assert got == want


@pytest.mark.usefixtures("core_loads")
@settings(max_examples=300, deadline=None)
@example(records=[(23 * _H, 0), (1 * _H, 0), (2 * _H, 0)], cuts=[2], late=False)
@example(
    records=[(23 * _H, 0), (None, 0), (1 * _H, 0), (22 * _H, 1), (1 * _H, 1)],
    cuts=[1, 4],
    late=False,
)
@example(records=[(23 * _H, 0), (1 * _H, 0)], cuts=[], late=True)  # past a ns stamp's range
@given(
    records=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-_DAY_NS, 2 * _DAY_NS)),  # any ns, some out of a day
            st.integers(0, 2),
        ),
        max_size=40,
    ),
    cuts=st.lists(st.integers(0, 40), max_size=4),
    late=st.booleans(),
)
def test_midnight_roll_over_in_the_core_is_the_numpy_steps(
    records: list[tuple[int | None, int]], cuts: list[int], late: bool
) -> None:
    """The compiled core's pass (a run that loaded it) gives each piece the days, local times
    and carried state of the numpy steps, piece after piece: nulls, segments, times outside a
    day, and dates where a nanosecond stamp ends (the times then from polars, both ways)."""
    from unittest import mock

    from hbtriage.sources import _scan

    kernels = _scan.kernels()
    segs = sorted(s for _, s in records)
    rows = [(tod, seg) for (tod, _), seg in zip(records, segs, strict=True)]
    core, steps = _Rollover(), _Rollover()
    day = dt.date(2262, 4, 10) if late else dt.date(2013, 3, 30)
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        piece = pl.DataFrame(
            {
                "_tod_ns": [t for t, _ in rows[lo:hi]],
                "seg": [s for _, s in rows[lo:hi]],
                "date": [day] * (hi - lo),
            },
            schema={"_tod_ns": pl.Int64, "seg": pl.Int64, "date": pl.Date},
        )
        with mock.patch.object(_scan, "loaded", lambda: kernels):
            got = core.apply(piece)
        with mock.patch.object(_scan, "loaded", lambda: None):
            want = steps.apply(piece)
        assert got.equals(want)
        assert got.schema == want.schema
        assert vars(core) == vars(steps)
