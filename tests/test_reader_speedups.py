""":func:`_lines.per_value` gives what a plain per-row conversion gives, on its shortcuts too
(one value only, an enum of strings) and around them (nulls, numbers, an empty frame); a dumplog
piece whose lines do not all share the first line's token takes the general token path."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.sources import _lines as L
from hbtriage.sources import icm_dumplog


def _convert(values: pl.DataFrame) -> pl.DataFrame:
    k = pl.col("k").cast(pl.Utf8)
    return values.with_columns(
        (k + "!").alias("shout"), k.str.len_chars().alias("n"), k.cast(pl.Categorical).alias("c")
    )


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (["a", "a", "a"], pl.Utf8),
        (["a", "b", "a"], pl.Utf8),
        (["a", "b", "b", "a"], pl.Utf8),
        (["", "x", ""], pl.Utf8),
        (["a", None, "a"], pl.Utf8),
        ([None, None], pl.Utf8),
        ([], pl.Utf8),
        ([1, 2, 1], pl.Int64),
        ([7, 7], pl.Int64),
    ],
)
def test_per_value_is_a_per_row_conversion(values: list[object], dtype: pl.DataType) -> None:
    df = pl.DataFrame([pl.Series("i", range(len(values))), pl.Series("k", values, dtype=dtype)])
    got = L.per_value(df, "k", _convert)
    want = _convert(df).with_columns(
        pl.when(pl.col("k").is_not_null()).then(pl.col(c)).alias(c) for c in ("shout", "n", "c")
    )
    assert got.select(want.columns).equals(want)


def test_dumplog_mixed_tokens_take_the_general_path() -> None:
    lines = pl.DataFrame(
        {
            "line": [1, 2, 3, 4],
            "text": [
                "01:00:00:015 pg1A-pim1 Trace: one",
                "01:00:00:016 pg1A-pim1 two",
                "01:00:01:017 pg1A-pim10 Trace: three",
                "01:00:01:018 pg1A-pim1",
            ],
        }
    )
    got = icm_dumplog._fast_typed(lines)
    assert got["node"].cast(pl.Utf8).to_list() == ["pg1A"] * 4
    assert got["component"].cast(pl.Utf8).to_list() == ["pim1", "pim1", "pim10", "pim1"]
    assert got["_hlen"].to_list() == [30, 23, 31, 22]
    assert got["severity"].cast(pl.Utf8).to_list() == ["trace", None, "trace", None]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["PG1A", "pg1a", "CVP1", "b", ""]))),
    categorical=st.booleans(),
)
def test_most_frequent_is_the_count_then_first_seen(
    values: list[str | None], categorical: bool
) -> None:
    """The host a reader names from its lines: the value on most rows, the first seen of those
    tied, none when every row is null."""
    s = pl.Series("node", values, dtype=pl.Categorical if categorical else pl.Utf8)
    seen = [v for v in values if v is not None]
    want = max(seen, key=lambda v: (seen.count(v), -seen.index(v))) if seen else None
    assert L.most_frequent(s) == want


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 30),
    fail_at=st.one_of(st.none(), st.integers(0, 30)),
    in_work=st.booleans(),
)
def test_working_one_piece_ahead_keeps_order_and_errors(
    n: int, fail_at: int | None, in_work: bool
) -> None:
    """Pieces read and split one ahead on another thread come in file order, each with its
    own result; a failure (reading or splitting piece k) is raised when piece k is asked for,
    after every piece before it was given."""

    def items() -> Any:
        for i in range(n):
            if fail_at == i and not in_work:
                raise OSError(f"read {i}")
            yield i

    def work(item: int, index: int) -> tuple[int, int]:
        if fail_at == item and in_work:
            raise ValueError(f"split {item}")
        return item * 10, index

    got: list[tuple[int, tuple[int, int]]] = []
    failing = fail_at is not None and fail_at < n
    pieces = L._ahead(items(), work)
    if failing:
        with pytest.raises(ValueError if in_work else OSError):
            got.extend(pieces)
    else:
        got.extend(pieces)
    upto = fail_at if failing else n
    assert got == [(i, (i * 10, i)) for i in range(upto)]


def test_stopping_early_takes_at_most_one_piece_ahead() -> None:
    taken: list[int] = []

    def items() -> Any:
        for i in range(100):
            taken.append(i)
            yield i

    ahead = L._ahead(items(), lambda item, _i: item)
    assert [next(ahead)[0] for _ in range(3)] == [0, 1, 2]
    ahead.close()  # the caller stops
    assert len(taken) <= 4
