"""A stream's spacing measured by the compiled core (``timeline/spacing.py``): the same
counts, long steps and median as polars gives from the column of the steps, to the last bit;
the stream summary and the gap detector find the same with the core as without it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import accumulate

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.detect.log_gaps import log_gaps
from hbtriage.sources import _scan
from hbtriage.timeline import EVENTS_SCHEMA, Timeline, spacing
from hbtriage.timeline.frames import _never_down, _streams
from hbtriage.timeline.model import steps

pytestmark = pytest.mark.usefixtures("core_loads")

CAT = load_catalog()
#: (SAMPLE, PICK_MAX): the module's own, and small ones that make a few hundred steps take
#: every way to the middle (the sample, the pick, the counting in buckets).
SIZES = [(spacing.SAMPLE, spacing.PICK_MAX), (8, 4), (4, 1), (1 << 20, 1)]


@contextlib.contextmanager
def _sizes(sample: int, pick: int) -> Iterator[None]:
    old = spacing.SAMPLE, spacing.PICK_MAX
    spacing.SAMPLE, spacing.PICK_MAX = sample, pick
    try:
        yield
    finally:
        spacing.SAMPLE, spacing.PICK_MAX = old


@contextlib.contextmanager
def _without_core() -> Iterator[None]:
    """The steps after reading as in a run that did not load the core (polars)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_scan, "loaded", lambda: None)
        yield


def _chunked(values: list[int], cuts: set[int]) -> pl.Series:
    """``values`` as an Int64 column in chunks cut at ``cuts`` (a stream over several pieces)."""
    s = pl.Series("t", values, dtype=pl.Int64)
    edges = [0, *sorted(c for c in cuts if 0 < c < len(values)), len(values)]
    return pl.concat(
        [s.slice(a, b - a) for a, b in zip(edges, edges[1:], strict=False)], rechunk=False
    )


_STEP = st.one_of(
    st.integers(-(10**6), 10**6),
    st.sampled_from([0, 0, 1, 10**6, 10**6, 27 * 10**6, 2 * 10**9, 7 * 10**9]),
    st.integers(0, 10**12),
)


@settings(max_examples=400, deadline=None)
@given(
    steps_in=st.lists(_STEP, min_size=1, max_size=300),
    start=st.integers(-(10**15), 10**15),
    cuts=st.sets(st.integers(1, 300), max_size=6),
    short=st.sampled_from([-1, 0, 10**6, 300_000_000]),
    gap=st.sampled_from([1, 10**6, 2 * 10**9]),
    sizes=st.sampled_from(SIZES),
)
def test_measured_spacing_is_the_column_of_steps_own(
    steps_in: list[int],
    start: int,
    cuts: set[int],
    short: int,
    gap: int,
    sizes: tuple[int, int],
) -> None:
    column = _chunked(list(accumulate(steps_in, initial=start)), cuts)
    want = steps(column)
    assert want is not None
    got = spacing.measure(column, short=short, gap=gap)
    assert got is not None
    assert got.steps == want.len()
    assert got.short == int((want <= short).sum())
    at = (want >= gap).arg_true()
    assert got.gaps.tolist() == at.to_list()
    assert got.gap_steps.tolist() == want.gather(at).to_list()
    assert (got.least, got.greatest) == (want.min(), want.max())
    with _sizes(*sizes):
        middle = spacing.middle(got)
    assert spacing.middle_value(middle) == want.median()
    assert spacing.middle_value(middle, 1e9) == (want / 1e9).median()


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize(
    "pattern",
    [
        [1, 2, 3, 1000],  # a period the sample's stride may fall in step with
        [0] * 9 + [10**6],  # most steps equal, as a log's whole milliseconds
        [5, 5, 5, 7, 7, 7, 6, 6, 6, 6],
        [-3, 10**9, 4, 0],  # steps back (times out of order)
    ],
)
def test_middle_of_a_long_column_with_repeating_steps(
    pattern: list[int], sizes: tuple[int, int]
) -> None:
    column = _chunked(list(accumulate(pattern * 5000, initial=10**15)), {7, 9000, 12345})
    want = steps(column)
    assert want is not None
    got = spacing.measure(column)
    assert got is not None
    with _sizes(*sizes):
        middle = spacing.middle(got)
    assert spacing.middle_value(middle) == want.median()
    assert spacing.middle_value(middle, 1e9) == (want / 1e9).median()


def test_what_the_core_leaves_to_polars(monkeypatch: pytest.MonkeyPatch) -> None:
    # A null, a single value, steps that could leave int64, another dtype: the caller's path.
    assert spacing.measure(pl.Series([1, None, 3], dtype=pl.Int64)) is None
    assert spacing.measure(pl.Series([1], dtype=pl.Int64)) is None
    assert spacing.measure(pl.Series([-(2**62), 2**62], dtype=pl.Int64)) is None
    assert spacing.measure(pl.Series([1, 2], dtype=pl.Int32)) is None
    assert spacing.measure(pl.Series([1, 2], dtype=pl.Int64)) is not None
    monkeypatch.setenv(_scan.ENV, "0")
    assert spacing.measure(pl.Series([1, 2], dtype=pl.Int64)) is None


def test_a_run_that_did_not_load_the_core_does_not_load_it_for_the_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # loaded() tells, and never loads: a small bundle's run keeps polars' path.
    monkeypatch.setattr(_scan, "_state", {})
    assert _scan.loaded() is None
    assert spacing.measure(pl.Series([1, 2, 3], dtype=pl.Int64)) is None
    assert _scan._state == {}


T0 = int(datetime(2013, 3, 30, 19, 0, tzinfo=UTC).timestamp()) * 10**9


def _timeline(streams: list[tuple[str, str, list[int]]], cuts: set[int]) -> Timeline:
    """Events of each (host, stream, steps in ns), one stretch of rows each, in chunks."""
    host, stream, ts = [], [], []
    for h, s, stepped in streams:
        times = list(accumulate(stepped, initial=T0))
        host += [h] * len(times)
        stream += [s] * len(times)
        ts += times
    n = len(ts)
    ev = pl.DataFrame(
        {
            "host": host,
            "stream": stream,
            "ts": pl.Series(ts, dtype=pl.Int64).cast(pl.Datetime("ns", "UTC")),
            "line": list(range(1, n + 1)),
            "severity": [None] * n,
            "component": [None] * n,
            "message": [None] * n,
            "signature": [None] * n,
            "source": ["test"] * n,
        },
        schema=EVENTS_SCHEMA,
    )
    edges = [0, *sorted(c for c in cuts if 0 < c < n), n]
    ev = pl.concat(
        [ev.slice(a, b - a) for a, b in zip(edges, edges[1:], strict=False)], rechunk=False
    )
    return Timeline(ev, pl.DataFrame(), _streams(ev, {}))


_BUSY = st.lists(
    st.one_of(
        st.sampled_from([0, 10**6, 27 * 10**6, 250 * 10**6]),
        st.sampled_from([2 * 10**9, 9 * 10**9, 60 * 10**9]),
        st.integers(0, 400 * 10**6),
    ),
    min_size=0,
    max_size=400,
)


@settings(max_examples=120, deadline=None)
@given(
    a=_BUSY,
    b=_BUSY,
    cuts=st.sets(st.integers(1, 800), max_size=5),
    sizes=st.sampled_from(SIZES),
)
def test_gaps_and_cadences_are_the_same_with_the_core_and_without(
    a: list[int], b: list[int], cuts: set[int], sizes: tuple[int, int]
) -> None:
    tl = _timeline([("CVP1", "cvp_log", a), ("PG1A", "pim1", b)], cuts)
    with _sizes(*sizes):
        gaps = log_gaps(tl, CAT)
        summary = _streams(tl.events, {})
    with _without_core():
        assert spacing.measure(pl.Series([1, 2], dtype=pl.Int64)) is None
        assert log_gaps(tl, CAT) == gaps
        assert _streams(tl.events, {}).equals(summary)


@settings(max_examples=200, deadline=None)
@given(
    steps_in=st.lists(st.integers(-3, 10**9), min_size=60, max_size=300),
    cuts=st.sets(st.integers(1, 300), max_size=5),
    strict=st.booleans(),
)
def test_order_is_told_the_same_with_the_core_and_without(
    steps_in: list[int], cuts: set[int], strict: bool
) -> None:
    # _combine sorts a file only when its times go back: the least step tells it.
    column = _chunked(list(accumulate(steps_in, initial=T0)), cuts)
    got = _never_down(column, strict=strict)
    assert got is (min(steps_in) > 0 if strict else min(steps_in) >= 0)
    with _without_core():
        assert _never_down(column, strict=strict) is got
