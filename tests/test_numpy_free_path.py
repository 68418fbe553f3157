"""The readers' steps that use numpy when it is loaded (a run with the compiled core) and
polars alone when it is not (a small run never imports numpy: ``_lines.loaded_numpy``) give
the same results either way."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hbtriage.api import analyze
from hbtriage.catalog import load_catalog
from hbtriage.report.json_out import to_json
from hbtriage.simulate.scenarios import SCENARIOS, generate
from hbtriage.sources import _lines
from hbtriage.sources.icm_dumplog import _Rollover

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_DAY_NS = 86_400_000_000_000
_H = 3_600_000_000_000


def _options() -> object:
    # Small pieces: the steps run piece by piece, their state carried between pieces.
    return dataclasses.replace(
        load_catalog().read_options(), compiled=False, chunk_bytes=64 * 1024, stream_min_bytes=0
    )


def _both(monkeypatch: pytest.MonkeyPatch, run: object) -> tuple[object, object]:
    """``run()`` with numpy's forms, then with polars' alone."""
    assert _lines.loaded_numpy() is not None  # the tests' process has numpy
    with_numpy = run()  # type: ignore[operator]
    monkeypatch.setattr(_lines, "loaded_numpy", lambda: None)
    without = run()  # type: ignore[operator]
    monkeypatch.undo()
    return with_numpy, without


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenarios_read_alike_with_and_without_numpy(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(scenario, tmp_path / scenario, seed=5)
    a, b = _both(
        monkeypatch, lambda: to_json(analyze([tmp_path / scenario], read_options=_options()))
    )
    assert a == b


def test_the_fixtures_read_alike_with_and_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every real-format file of the tests (logs of every reader, several languages)."""
    a, b = _both(monkeypatch, lambda: to_json(analyze([FIXTURES], read_options=_options())))
    assert a == b


@settings(max_examples=200, deadline=None)
@example(records=[(23 * _H, 0), (1 * _H, 0), (2 * _H, 0)], cuts=[2])
@example(records=[(23 * _H, 0), (None, 0), (1 * _H, 0), (22 * _H, 1), (1 * _H, 1)], cuts=[1, 4])
@given(
    records=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, _DAY_NS // 1000 - 1).map(lambda us: us * 1000)),
            st.integers(0, 2),
        ),
        max_size=40,
    ),
    cuts=st.lists(st.integers(0, 40), max_size=4),
)
def test_midnight_roll_over_alike_with_and_without_numpy(
    records: list[tuple[int | None, int]], cuts: list[int]
) -> None:
    segs = sorted(s for _, s in records)
    rows = [(tod, seg) for (tod, _), seg in zip(records, segs, strict=True)]
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    fast, plain = _Rollover(), _Rollover()
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        piece = pl.DataFrame(
            {
                "_tod_ns": [t for t, _ in rows[lo:hi]],
                "seg": [s for _, s in rows[lo:hi]],
                "date": [dt.date(2013, 3, 30)] * (hi - lo),
            },
            schema={"_tod_ns": pl.Int64, "seg": pl.Int64, "date": pl.Date},
        )
        got = fast.apply(piece)
        want = plain._apply_polars(piece)
        assert got.equals(want)
        assert vars(fast) == vars(plain)  # the state carried to the next piece
