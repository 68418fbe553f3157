"""The least and greatest value of a reader's column, found once per frame (the steps after
reading ask for them again and again): the same as the column's own min and max, for every
frame on its own, and nothing kept once a frame is gone."""

from __future__ import annotations

import gc
from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbtriage.sources import base
from hbtriage.sources.base import column_bounds

_VALUES = st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)), max_size=40)


@given(values=_VALUES, chunks=st.integers(1, 4))
def test_bounds_are_the_columns_min_and_max(values: list[int | None], chunks: int) -> None:
    size = max(1, len(values) // chunks)
    parts = [values[i : i + size] for i in range(0, len(values), size)] or [[]]
    col = pl.concat([pl.Series("v", p, dtype=pl.Int64) for p in parts], rechunk=False)
    frame = col.to_frame()
    start = datetime(2013, 3, 30)
    times = pl.Series(
        "t",
        [None if v is None else start + timedelta(microseconds=v % 10**12) for v in values],
        dtype=pl.Datetime("ns"),
    )
    frame = frame.with_columns(times)
    assert column_bounds(frame, "v") == (col.min(), col.max())
    assert column_bounds(frame, "t") == (frame["t"].min(), frame["t"].max())
    assert column_bounds(frame, "v") == (col.min(), col.max())  # (kept: asked again)
    # A large frame's are found by one query: the same values.
    queried = frame.clone()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(base, "_BOUNDS_QUERY_ROWS", 0)
        assert column_bounds(queried, "v") == (col.min(), col.max())
        assert column_bounds(queried, "t") == (frame["t"].min(), frame["t"].max())


def test_a_new_frame_gets_its_own_and_a_frame_let_go_is_forgotten() -> None:
    frame = pl.DataFrame({"line": [3, 1, 2]})
    assert column_bounds(frame, "line") == (1, 3)
    moved = frame.with_columns(pl.col("line") + 10)  # a step makes a new frame
    assert column_bounds(moved, "line") == (11, 13)
    assert column_bounds(frame, "line") == (1, 3)
    empty = pl.DataFrame({"line": pl.Series([], dtype=pl.Int64)})
    assert column_bounds(empty, "line") == (None, None)
    held = len(base._BOUNDS)
    del frame, moved, empty
    gc.collect()
    assert len(base._BOUNDS) == held - 3
