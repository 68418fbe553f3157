"""The memory-lean paths (zero-copy slices per stream / series, sparse message text, column-wise
concatenation) give what the general paths give: the same signals, counters and charts whether
a timeline comes in its own order (one stretch of rows per stream and per series) or with its
rows interleaved (frames built by hand)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.counter_names import default_index
from hbtriage.detect.counter_anomaly import counter_anomalies
from hbtriage.detect.log_gaps import log_gaps
from hbtriage.detect.sample_gaps import sample_gaps, sample_times
from hbtriage.findings import Findings, HostInfo, Signal
from hbtriage.report import charts
from hbtriage.sources.base import ReadResult
from hbtriage.timeline import CAT, COUNTERS_SCHEMA, EVENTS_SCHEMA, Timeline, compact, runs
from hbtriage.timeline.frames import (
    _concat_columns,
    _difference_cumulative,
    _never_down,
    _sparse_text,
    _streams,
)
from hbtriage.timeline.model import chunk_lengths, put_column

T0 = datetime(2013, 3, 30, 6, 0, tzinfo=UTC)
CATALOG = load_catalog()


def _events() -> pl.DataFrame:
    """Two hosts, three streams, each in time order, with a few long silences."""
    rng = random.Random(7)
    frames = []
    for host, stream, step in (("CVP1", "CVP", 0.5), ("CVP1", "Error", 3.0), ("PG1A", "pim1", 0.2)):
        t, times = T0, []
        for i in range(400):
            t += timedelta(seconds=step * rng.uniform(0.5, 1.5) + (40 if i % 97 == 50 else 0))
            times.append(t)
        n = len(times)
        frames.append(
            pl.DataFrame(
                {
                    "host": [host] * n,
                    "stream": [stream] * n,
                    "ts": times,
                    "line": list(range(1, n + 1)),
                    "severity": ["1"] * n,
                    "component": ["app"] * n,
                    "message": [f"record {i}" if i % 50 == 0 else None for i in range(n)],
                    "signature": [None] * n,
                    "source": [f"{host}/{stream}.log"] * n,
                },
                schema=EVENTS_SCHEMA,
            )
        )
    return pl.concat(frames)


def _counters() -> pl.DataFrame:
    """Two hosts' key counters, one series after the other in name order (the timeline's own
    order), with a DPC storm on PG1A and a stalled collector on CVP1."""
    rng = random.Random(11)
    rows: list[dict[str, object]] = []
    series = [
        ("Network Interface", "nic0", "Packets Received Discarded"),
        ("Network Interface", "nic1", "Packets Received Discarded"),
        ("Processor", "0", "% Processor Time"),
        ("Processor", "_Total", "% DPC Time"),
        ("Processor", "_Total", "% Processor Time"),
        ("Processor", "_Total", "DPC Rate"),
        ("System", None, "Processor Queue Length"),
    ]
    for host in ("CVP1", "PG1A"):
        for obj, inst, ctr in sorted(series, key=lambda s: (s[0], s[1] or "", s[2])):
            for i in range(300):
                if host == "CVP1" and 100 <= i < 110:
                    continue  # perfmon stalled
                value = rng.uniform(1.0, 3.0)
                if host == "PG1A" and ctr == "% DPC Time" and 200 <= i < 206:
                    value = 60.0
                if ctr == "Packets Received Discarded":
                    value = float(i * 2 + (50 if host == "PG1A" and i == 150 else 0))
                rows.append(
                    {
                        "host": host,
                        "object": obj,
                        "instance": inst,
                        "counter": ctr,
                        "ts": T0 + timedelta(seconds=5 * i),
                        "value": value,
                    }
                )
    return pl.DataFrame(rows, schema=COUNTERS_SCHEMA).sort(
        ["host", "object", "instance", "counter", "ts"], maintain_order=True
    )


def _interleaved(frame: pl.DataFrame) -> pl.DataFrame:
    """The same rows ordered by time first: streams and series no longer one stretch each."""
    return frame.sort("ts", maintain_order=True)


def _key(signals: list[Signal]) -> list[tuple[object, ...]]:
    return sorted((s.kind, s.host, s.start, s.end, s.detail, str(s.data)) for s in signals)


def test_runs_are_the_stretches_of_equal_keys() -> None:
    df = pl.DataFrame(
        {"host": ["A", "A", "B", "B", "B"], "stream": ["x", "x", "x", "y", "y"]},
        schema={"host": CAT, "stream": CAT},
    )
    assert runs(df, ["host", "stream"]) == [(0, 2), (2, 1), (3, 2)]
    assert runs(df, ["host"]) == [(0, 2), (2, 3)]
    assert runs(df[[0, 2, 1]], ["host"]) is None  # A, B, A: A is split
    assert runs(df.clear(), ["host"]) == []


def test_detectors_agree_in_timeline_order_and_interleaved() -> None:
    ordered = Timeline(_events(), _counters(), pl.DataFrame())
    mixed = Timeline(_interleaved(ordered.events), _interleaved(ordered.counters), pl.DataFrame())
    assert runs(mixed.events, ["host", "stream"]) is None
    assert runs(mixed.counters, ["host", "object", "instance", "counter"]) is None
    for detector in (log_gaps, counter_anomalies, sample_gaps):
        fast, general = detector(ordered, CATALOG), detector(mixed, CATALOG)
        assert fast, detector.__name__  # the data has something for each detector to find
        assert _key(fast) == _key(general), detector.__name__
    # The gaps are the 40 s silences written into each stream, in the stream's own words.
    gaps = log_gaps(ordered, CATALOG)
    assert {s.data["stream"] for s in gaps} == {"CVP", "Error", "pim1"}
    assert all(s.data["seconds"] >= 40 for s in gaps)
    # The stalled collector is one sample gap of CVP1 (50 s with a 5 s interval).
    (stall,) = sample_gaps(ordered, CATALOG)
    assert (stall.host, stall.data["seconds"], stall.data["interval_s"]) == ("CVP1", 55.0, 5.0)
    assert sample_times(mixed.counters).equals(sample_times(ordered.counters))


def test_stream_summary_agrees_in_timeline_order_and_interleaved() -> None:
    ev = _events()
    fast = _streams(ev, {}).sort("host", "stream")
    general = _streams(_interleaved(ev), {}).sort("host", "stream")
    assert fast.drop("cadence_s").equals(general.drop("cadence_s"))
    assert fast["lines"].to_list() == [400, 400, 400]
    # A group_by divides the median spacing by 1e9 in its own way (one unit in the last place
    # apart at most); per stream it is a plain division.
    for a, b in zip(fast["cadence_s"], general["cadence_s"], strict=True):
        assert abs(a - b) <= 1e-12 * abs(b)
    cvp = ev.filter(pl.col("stream") == "CVP")["ts"]
    assert fast["cadence_s"][0] == cvp.diff().dt.total_nanoseconds().median() / 1e9  # type: ignore[operator]


def test_counters_in_place_equal_the_sorted_path() -> None:
    ct = _counters()
    by_host = [ct.filter(pl.col("host") == h) for h in ("PG1A", "CVP1")]  # files in any order
    fast = _difference_cumulative(by_host, default_index())
    assert by_host == []  # consumed
    general = _difference_cumulative([_interleaved(ct)], default_index())
    assert fast.equals(general)
    # Cumulative discards became increases per sample, the first sample of a series null.
    nic = fast.filter(
        (pl.col("host") == "PG1A") & (pl.col("instance") == "nic0") & (pl.col("counter") != "")
    )["value"].to_list()
    assert nic[:3] == [None, 2.0, 2.0] and max(v for v in nic if v is not None) == 52.0


def test_sparse_text_and_column_concat_keep_every_value_in_one_chunk() -> None:
    ev = _events()
    parts = [ev.slice(0, 500), ev.slice(500, 300), ev.slice(800, 400)]
    whole = _concat_columns(parts)
    assert parts == []
    assert whole.equals(ev)
    assert all(n == 1 for n in whole.n_chunks("all"))
    msg = pl.concat([ev["message"].slice(0, 600), ev["message"].slice(600)], rechunk=False)
    sparse = _sparse_text(msg)
    assert sparse.n_chunks() == 1 and sparse.to_list() == ev["message"].to_list()


def test_compact_keeps_values_and_drops_what_the_timeline_ignores() -> None:
    events = pl.DataFrame(
        {
            "ts_local": [datetime(2013, 3, 30, 1, 0, s) for s in range(3)],
            "offset_min": [None, None, None],
            "line": [1, 2, 3],
            "severity": ["1", "2", None],
            "component": ["a", "b", "c"],
            "message": [None, "kept text", None],
            "node": ["n1", "n1", "n1"],
        },
        schema_overrides={"offset_min": pl.Int32, "severity": CAT, "component": CAT, "node": CAT},
    )
    counters = pl.DataFrame(
        {
            "host": ["PG1A"] * 2,
            "object": ["Processor"] * 2,
            "instance": ["_Total", None],
            "counter": ["DPC Rate"] * 2,
            "ts_local": [datetime(2013, 3, 30, 1, 0, s) for s in range(2)],
            "offset_min": [None, None],
            "value": [1.5, None],
        },
        schema_overrides={"offset_min": pl.Int32},
    )
    res = ReadResult(kind="icm_dumplog", events=events.clone(), counters=counters.clone())
    compact(res)
    assert res.events is not None and res.counters is not None
    assert res.events.equals(events.drop("node"))
    assert res.counters.schema["object"] == CAT
    assert res.counters.with_columns(
        pl.col(c).cast(pl.Utf8) for c in ("host", "object", "instance", "counter")
    ).equals(counters)


def test_charts_agree_in_timeline_order_and_interleaved() -> None:
    findings = Findings(
        inputs=[],
        hosts=[HostInfo(name="CVP1"), HostInfo(name="PG1A")],
        incidents=[],
        config_findings=[],
        warnings=[],
    )
    ordered = Timeline(
        _events(), _difference_cumulative([_counters()], default_index()), pl.DataFrame()
    )
    mixed = Timeline(_interleaved(ordered.events), _interleaved(ordered.counters), pl.DataFrame())
    fast = charts.chart_data(findings, ordered)["charts"]
    general = charts.chart_data(findings, mixed)["charts"]
    assert fast == general
    (overview,) = fast["en"]
    names = {trace["name"] for trace in overview["data"]}
    # Per-CPU instances are hidden behind _Total; NIC instances are summed per host.
    assert "PG1A % Processor Time" in names and "PG1A % Processor Time [0]" not in names
    assert "PG1A Network Interface\\Packets Received Discarded" in names


def test_many_copies_of_one_rotated_file_merge_quickly(tmp_path: Path) -> None:
    """40 copies of one log (a bundle zipped with every rotation twice, or a user copying a
    folder into itself): the overlaps merge into one span and the copies' lines count once, as
    for one file (the filter had one term per pair of files, 780 here: 50 s; now about 1 s,
    measured outside the tests)."""
    import shutil

    from hbtriage.api import analyze

    src = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
    error_log = src / "CVP1" / "Error.2013-03-30.log"
    for i in range(40):
        shutil.copy(error_log, tmp_path / f"Error.2013-03-30.{i}.log")
    once = analyze([error_log])
    many = analyze([tmp_path])
    assert sum(i.records for i in many.inputs) == 40 * sum(i.records for i in once.inputs)
    assert len(many.incidents) == len(once.incidents)


# ---- perfmon CSV read in pieces (one piece of the file held at a time) = read in one piece

_PDH_HEADER = (
    '"(PDH-CSV 4.0) (Eastern Standard Time)(300)","\\\\H\\Processor(_Total)\\% DPC Time",'
    '"\\\\H\\Processor(_Total)\\DPC Rate","\\\\H\\Foo\\Bar","\\\\H\\Memory\\Pages/sec"\n'
)


def _pdh_rows(n: int, day_first: bool) -> str:
    """``n`` samples; ``day_first``: days past 12 after the first rows, so the time stamp
    format is only settled by rows that may lie in a later piece."""
    rows = []
    for i in range(n):
        day = f"{13 + i % 10:02d}" if day_first and i > 20 else f"0{1 + i % 9}"
        rows.append(
            f'"{day}/05/2024 14:{i // 60:02d}:{i % 60:02d}.000","{i % 7}"," ","{i}","{i * 1.5}"\n'
        )
    return "".join(rows)


def _perfmon_read(path: Path, block_bytes: int) -> tuple[object, ...]:
    from hbtriage.errors import InputError
    from hbtriage.sources.base import InputFile
    from hbtriage.sources.options import ReadOptions
    from hbtriage.sources.perfmon_csv import READER

    item = InputFile(display="x.csv", path=str(path), size=path.stat().st_size)
    try:
        r = READER.read(item, "", ReadOptions(block_bytes=block_bytes))
    except InputError as exc:
        return ("error", str(exc))
    counters = None if r.counters is None else r.counters.to_dicts()
    return (r.warnings, r.extra, r.zone, r.offset_min, r.tz_iana, r.encoding, r.host, counters)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(min_value=1, max_value=60),
    day_first=st.booleans(),
    edits=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1),
            st.sampled_from(['"', ",", "\n", "\r", "", " ", "x", "\x1f", "\n\n", '""', '"\n"']),
        ),
        max_size=5,
    ),
    invalid_utf8=st.booleans(),
    block_bytes=st.integers(min_value=1, max_value=3000),
)
def test_perfmon_file_in_pieces_reads_as_in_one_piece(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    day_first: bool,
    edits: list[tuple[float, str]],
    invalid_utf8: bool,
    block_bytes: int,
) -> None:
    """A UTF-8 perfmon file cut into pieces at any line end (pieces of 1 byte to a few KiB)
    reads exactly as in one piece: counters, warnings, zone, or the same error, also with
    stray quotes (a quoted cell running across a cut), blank lines, 0x1F and invalid UTF-8."""
    text = _PDH_HEADER + _pdh_rows(n, day_first)
    for at, ch in edits:
        k = int(at * len(text))
        text = text[:k] + ch + text[k + 1 :]
    path = tmp_path_factory.mktemp("pieces") / "x.csv"
    path.write_bytes(text.encode() + (b"\xff\n" if invalid_utf8 else b""))
    assert _perfmon_read(path, block_bytes) == _perfmon_read(path, 1 << 30)


def test_perfmon_pieces_take_the_fast_path_one_piece_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A well-formed file in pieces is read by the fast path (no fallback to the line-by-line
    checks), as many pieces as its size asks for, and gives the counters of the same bytes read
    whole in memory; the time stamp format is settled by a row of the last piece."""
    from hbtriage.sources import perfmon_csv

    text = _PDH_HEADER + _pdh_rows(400, day_first=True)
    path = tmp_path / "x.csv"
    path.write_text(text)
    pieces: list[int] = []
    real = perfmon_csv._file_blocks

    def spy(*args: object) -> object:
        for piece in real(*args):  # type: ignore[arg-type]
            pieces.append(len(piece[0]))
            yield piece

    monkeypatch.setattr(perfmon_csv, "_file_blocks", spy)
    monkeypatch.setattr(perfmon_csv, "_scan_lines", None)  # the slow path would need it
    got = _perfmon_read(path, 1000)
    assert len(pieces) >= 20 and max(pieces) < 1100
    whole = perfmon_csv.parse_text(text, "x.csv", "utf-8")
    assert whole.counters is not None
    assert got[-1] == whole.counters.to_dicts()
    # Days past 12 only from row 21 on: day first, as the rows of later pieces say.
    assert got[-1][0]["ts_local"] == datetime(2024, 5, 1, 14, 0)  # type: ignore[index]


@given(
    values=st.lists(
        st.integers(min_value=-(2**61), max_value=2**61), max_size=30
    ),  # ns: 1897 to 2043
    strict=st.booleans(),
)
def test_order_check_of_a_file_is_the_row_by_row_comparison(
    values: list[int], strict: bool
) -> None:
    # _combine sorts a file's rows only when they are out of (time, line) order.
    pairs = zip(values, values[1:], strict=False)
    want = all(b > a if strict else b >= a for a, b in pairs)
    assert _never_down(pl.Series(values, dtype=pl.Int64), strict=strict) == want


@given(
    values=st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=30),
    strict=st.booleans(),
)
def test_order_check_of_a_large_file_is_the_check_of_its_steps(
    values: list[int], strict: bool
) -> None:
    # A large file's order is checked on all its rows at once (nulls at its end keep it off
    # the row-by-row path): the verdict is the one of its steps as polars' diff gives them,
    # 64-bit steps, for times of any span.
    from hbtriage.timeline.frames import _FEW

    def step(a: int, b: int) -> int:
        return (b - a + 2**63) % 2**64 - 2**63

    steps = [step(a, b) for a, b in zip(values, values[1:], strict=False)]
    want = not steps or (min(steps) > 0 if strict else min(steps) >= 0)
    column = pl.Series(values + [None] * _FEW, dtype=pl.Int64)
    assert _never_down(column, strict=strict) == want


@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 2**32 - 1)), max_size=30),
    strict=st.booleans(),
    cut=st.integers(0, 30),
)
def test_order_check_of_32_bit_line_numbers_is_the_check_of_their_steps(
    values: list[int | None], strict: bool, cut: int
) -> None:
    # The timeline's 32-bit line numbers are compared row by row with no look at their least
    # and greatest first (no step of them overflows): the verdict of their steps as diff()
    # gives them (a null is no step), in one chunk or two.
    from hbtriage.timeline.frames import _FEW

    column = pl.Series(values + [None] * _FEW, dtype=pl.UInt32)
    steps = column.cast(pl.Int64).diff().drop_nulls().to_list()
    want = not steps or (min(steps) > 0 if strict else min(steps) >= 0)
    two = pl.concat([column.slice(0, cut), column.slice(cut)], rechunk=False)
    assert _never_down(column, strict=strict) == _never_down(two, strict=strict) == want


def _lined_up(frame: pl.DataFrame) -> bool:
    return len({tuple(chunk_lengths(c)) for c in frame.get_columns()}) == 1


def test_the_timeline_keeps_a_chunk_per_file_lined_up_through_detection() -> None:
    # Files are joined without copying (a chunk each, the same in every column); steps that
    # replace a column (signatures, a clock correction) must keep the chunks lined up, or every
    # later expression copies the whole timeline first.
    from hbtriage.api import run

    analysis = run([str(Path(__file__).parents[1] / "src/hbtriage/simulate/reference")])
    ev = analysis.timeline.events
    assert ev["ts"].n_chunks() > 1 and _lined_up(ev)
    moved = analysis.timeline.shift_host("CVP1", 2.5)
    assert _lined_up(moved.events)
    assert moved.events.drop("ts").equals(ev.drop("ts"))
    assert (
        analysis.findings.incidents and analysis.findings.incidents[0].causes[0].id == "dpc_storm"
    )


@given(
    lengths=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=6),
    one_chunk=st.booleans(),
)
def test_a_column_put_in_place_lines_up_with_the_frame(lengths: list[int], one_chunk: bool) -> None:
    schema = {"a": pl.Int64, "b": pl.Utf8}
    parts = [
        pl.DataFrame({"a": list(range(n)), "b": [f"x{i}" for i in range(n)]}, schema=schema)
        for n in lengths
    ]
    frame = pl.concat(parts, rechunk=False)
    new = pl.Series("b", [f"y{i}" for i in range(frame.height)])
    if not one_chunk:  # in pieces of its own
        new = pl.concat([new.slice(0, 1), new.slice(1, 2), new.slice(3)], rechunk=False)
    out = put_column(frame, new)
    assert out["b"].to_list() == new.to_list() and out["a"].to_list() == frame["a"].to_list()
    assert out.columns == frame.columns and _lined_up(out)


def test_the_timeline_names_take_a_byte_a_row_and_sort_as_text() -> None:
    # host, stream, source (one value per file) and signature held 16 of the 40 bytes of every
    # log line as categoricals (4 bytes a row): 950 MB of a 10 GB bundle's timeline. Enums of
    # the values a bundle (or the catalog) has take one.
    from hbtriage.api import run

    analysis = run([str(Path(__file__).parents[1] / "src/hbtriage/simulate/reference")])
    ev = analysis.timeline.events
    for name in ("host", "stream", "source"):
        col = ev[name]
        assert isinstance(col.dtype, pl.Enum), name
        assert col.to_physical().dtype == pl.UInt8, name
        cats = col.dtype.categories.to_list()
        assert cats == sorted(cats) and set(col.unique().to_list()) == set(cats)
    # The signature (null until tagged) takes its values from the catalog's ids.
    sig = ev["signature"]
    assert isinstance(sig.dtype, pl.Enum) and sig.to_physical().dtype == pl.UInt8
    assert "cvp.missed_vru_heartbeats" in sig.drop_nulls().unique().to_list()
    assert {s.id for s in load_catalog().signatures} == set(sig.dtype.categories.to_list())
    # Line numbers take 4 bytes (every file's fit in 32 bits), and a file's lines whose
    # numbers do not fit keep 8.
    from hbtriage.timeline.frames import event_names

    assert ev["line"].dtype == pl.UInt32
    assert event_names([("H", "s", "f")], last_line=2**32)["line"] == pl.Int64
    assert event_names([("H", "s", "f")], last_line=2**32 - 1)["line"] == pl.UInt32
    assert ev.estimated_size() / ev.height < 25
    # Sorted by name, the rows come in the order of the text; a name not there matches nothing.
    order = ev.select("host", "stream").unique().sort(["host", "stream"])
    assert order.rows() == sorted(order.rows())
    assert (
        ev.filter(pl.col("host") == "CVP1").height and not ev.filter(pl.col("host") == "X").height
    )


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(
        st.tuples(
            st.sampled_from(["PG1A", "CVP1", "cvp1", "Ω-host", ""]),
            st.sampled_from(["pim1", "CVP", "Error"]),
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_event_names_hold_every_file_and_parts_concatenate(
    files: list[tuple[str, str, int]],
) -> None:
    """Whatever the files are called, each file's names cast to the bundle's enums unchanged,
    and the parts concatenate (one enum for all)."""
    from hbtriage.timeline.frames import event_names

    parts = [(host, stream, f"f{i}.log") for i, (host, stream, _n) in enumerate(files)]
    names = event_names(parts)
    both = pl.concat(
        [
            pl.DataFrame(
                [
                    pl.repeat(value, n, dtype=names[c], eager=True).alias(c)
                    for c, value in zip(("host", "stream", "source"), part, strict=True)
                ]
            )
            for part, (_h, _s, n) in zip(parts, files, strict=True)
        ]
    )
    want = [part for part, f in zip(parts, files, strict=True) for _ in range(f[2])]
    assert both.cast(pl.Utf8).rows() == want


@given(
    texts=st.lists(
        st.one_of(st.none(), st.sampled_from(["vru heartbeat lost", "Heartbeat", "ok", ""])),
        max_size=600,
    ),
    nulls=st.integers(min_value=0, max_value=5000),
)
def test_text_matching_on_the_few_messages_kept_is_the_whole_columns(
    texts: list[str | None], nulls: int
) -> None:
    # Signatures are looked for in the few messages the readers keep (the other rows' text
    # is null): the same rows match as when the regex goes over every row.
    from hbtriage.timeline.frames import matching_rows

    column = _sparse_text(pl.Series("message", texts + [None] * nulls, dtype=pl.Utf8))
    want = column.str.contains("(?i)heartbeat").fill_null(False).arg_true()
    got = matching_rows(column, "(?i)heartbeat")
    assert got.dtype == want.dtype and got.to_list() == want.to_list()


@given(
    steps_in=st.lists(st.integers(min_value=0, max_value=10**10), max_size=60),
    cut=st.integers(min_value=0, max_value=60),
    null_at=st.one_of(st.none(), st.integers(min_value=0, max_value=59)),
)
def test_spacing_quantiles_are_those_of_the_spacings_with_their_first_null(
    steps_in: list[int], cut: int, null_at: int | None
) -> None:
    # Log gaps and stream cadences take the quantiles of a stream's steps without the null
    # diff() puts first (and in one chunk): the same figures, to the last bit.
    from itertools import accumulate

    from hbtriage.timeline.model import steps

    times: list[int | None] = list(accumulate(steps_in))
    if null_at is not None and null_at < len(times):
        times[null_at] = None
    s = pl.Series(times, dtype=pl.Int64)
    if 0 < cut < s.len():  # a stream over two files: two chunks
        s = pl.concat([s.slice(0, cut), s.slice(cut)], rechunk=False)
    found = steps(s)
    if s.null_count():
        assert found is None
        return
    assert found is not None and found.n_chunks() == 1
    assert found.to_list() == s.diff().to_list()[1:]
    for dt, mine in ((s.diff(), found), (s.diff() / 1e9, found / 1e9)):
        assert mine.median() == dt.median()
        assert mine.quantile(0.9) == dt.quantile(0.9)


@given(
    hosts=st.lists(st.sampled_from(["PG1A", "CVP1"]), min_size=1, max_size=30),
    cuts=st.sets(st.integers(min_value=1, max_value=29), max_size=4),
    seconds=st.floats(min_value=-36000, max_value=36000, allow_nan=False),
)
def test_a_clock_correction_keeps_the_files_chunks(
    hosts: list[str], cuts: set[int], seconds: float
) -> None:
    # A timeline of several files (a chunk each, a host's files together): the moved host's
    # times move, every other time is the one it was, and the chunks still line up.
    hosts = sorted(hosts)
    t0 = datetime(2013, 3, 30, 19, 36, 46, tzinfo=UTC)
    rows = pl.DataFrame(
        {"host": hosts, "ts": [t0 + timedelta(seconds=i) for i in range(len(hosts))]},
        schema={"host": CAT, "ts": pl.Datetime("ns", "UTC")},
    )
    edges = [0, *sorted(c for c in cuts if c < rows.height), rows.height]
    frame = pl.DataFrame(
        [
            pl.concat(
                [column.slice(a, b - a) for a, b in zip(edges, edges[1:], strict=False)],
                rechunk=False,
            )
            for column in rows.get_columns()
        ]
    )
    assert _lined_up(frame) and frame["ts"].n_chunks() == len(edges) - 1
    empty = {"host": CAT, "first": rows.schema["ts"], "last": rows.schema["ts"]}
    tl = Timeline(frame, rows.clear(), pl.DataFrame(schema=empty))
    moved = tl.shift_host("CVP1", seconds).events
    step = timedelta(microseconds=round(seconds * 1e6))
    want = [t - step if h == "CVP1" else t for h, t in rows.iter_rows()]
    assert moved["ts"].to_list() == want and moved["host"].to_list() == hosts
    assert _lined_up(moved) and chunk_lengths(moved["ts"]) == chunk_lengths(frame["ts"])


@given(keep=st.lists(st.one_of(st.none(), st.booleans()), max_size=50))
def test_tagged_rows_are_found_with_their_place_as_by_a_row_index(keep: list[bool | None]) -> None:
    # The few tagged rows of millions are gathered with their place (the signals name the
    # line by it), not found through a row index over the whole timeline: the same rows.
    from hbtriage.detect.signatures import _rows_at

    n = len(keep)
    frame = pl.DataFrame(
        {"line": list(range(n)), "host": ["PG1A"] * n}, schema={"line": pl.Int64, "host": CAT}
    )
    mask = pl.Series(keep, dtype=pl.Boolean)
    want = frame.with_row_index("_row").filter(mask)
    got = _rows_at(frame, mask.arg_true())
    assert got.equals(want) and got.schema == want.schema


@given(
    hosts=st.lists(st.sampled_from(["CVP1", "PG1A", None]), max_size=40),
    cuts=st.sets(st.integers(min_value=1, max_value=39), max_size=6),
    dtype=st.sampled_from([pl.Utf8(), CAT, pl.Enum(["CVP1", "PG1A"])]),
)
def test_stretches_of_a_timeline_in_pieces_are_those_of_the_whole(
    hosts: list[str | None], cuts: set[int], dtype: pl.DataType
) -> None:
    # The timeline keeps the pieces each file was read in: the stretches of one host (or
    # stream) are found piece by piece, the same as over the column in one piece.
    whole = pl.DataFrame({"host": hosts}, schema={"host": dtype})
    edges = [0, *sorted(c for c in cuts if c < whole.height), whole.height]
    pieces = [whole["host"].slice(a, b - a) for a, b in zip(edges, edges[1:], strict=False)]
    chunked = pl.DataFrame([pl.concat(pieces, rechunk=False)]) if pieces else whole
    assert runs(chunked, ["host"]) == runs(whole, ["host"])
    # The hosts there are: one per stretch when each host is one, else by unique().
    from hbtriage.timeline.model import present

    got, want = present(chunked, "host"), whole["host"].unique().to_list()
    assert len(got) == len(want) and set(got) == set(want)
    if whole.height:
        want = whole["host"].rle().struct.field("len").cum_sum().to_list()
        from hbtriage.timeline.model import _run_ends

        assert _run_ends(chunked["host"]) == want
