"""A stream's spacing, measured by the compiled core: the steps from each of its times to the
next (as ``diff()`` gives them), counted, their two middle ones, and the long ones.

The stream summary (:func:`hbtriage.timeline.frames._streams`) takes the median step of every
stream and the gap detector (:mod:`hbtriage.detect.log_gaps`) its steps of two seconds and
more. In polars both make a column of the steps first (8 bytes a line, in new memory: page
faults, and a copy of the times when they are in several chunks) and select the median from
it. The kernels (:meth:`hbtriage.sources._scan_native.Kernels.spacing`) walk the times' own
chunks instead, with the GIL released, and hold no column of steps: one pass counts them,
keeps the long ones and finds the least and greatest step and time; the median's two steps
come from a sorted sample and one more pass that counts the steps against two bounds taken
from it (a log's steps are whole milliseconds: the middle falls on a bound), else from the
few steps between the bounds, picked and sorted, else from counting the steps in buckets by
size, pass after pass in the bucket that holds them (see :func:`middle`). 9-12 ms for a
stream of 3-5 million lines, where polars took 30-40 ms and its page faults.

Used only when the process has loaded the kernels (a run that read its logs with the core):
a small bundle keeps the polars path, which gives the same figures (the tests compare both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from hbtriage.sources import _scan

if TYPE_CHECKING:
    import numpy as np

    from hbtriage.sources._scan_native import Kernels

#: Buckets per counting pass: ``1 << BUCKET_BITS`` (512 KiB of counts, in the cache).
BUCKET_BITS = 16
#: Steps picked and sorted at the most: a bucket holding more is counted again, finer.
PICK_MAX = 1 << 16
#: Steps sampled to find the middle ones (see :func:`middle`).
SAMPLE = 1 << 14
#: Places kept for long steps before they are counted (more: the pass runs again for all).
GAPS_FIRST = 1024
#: Values this far apart at the most: no step, nor a step less another, leaves int64.
_SPAN_MAX = 1 << 62


@dataclass(frozen=True)
class Spacing:
    """The steps of one column of integers (a stream's times in nanoseconds)."""

    #: How many steps (one less than the values).
    steps: int
    #: How many are at most the ``short`` asked for.
    short: int
    #: The place among the steps (0: from the first value to the second) of each step of at
    #: least the ``gap`` asked for, in order; and their sizes.
    gaps: np.ndarray
    gap_steps: np.ndarray
    #: The least and the greatest step.
    least: int
    greatest: int
    #: The least and the greatest value.
    lowest: int
    highest: int
    #: The column's chunks (zero-copy views) the figures were taken from.
    chunks: list[np.ndarray]


def measure(values: pl.Series, *, short: int = -1, gap: int = 1 << 62) -> Spacing | None:
    """The :class:`Spacing` of ``values`` (Int64, in order of rows), or None when the core is
    not loaded (see :func:`hbtriage.sources._scan.loaded`), a value is null, there are fewer
    than two values, or they lie so far apart that a step could leave int64: the caller's
    polars path then."""
    k = _scan.loaded()
    if k is None or values.dtype != pl.Int64 or values.len() < 2 or values.null_count():
        return None
    chunks = [c.to_numpy(allow_copy=False) for c in values.get_chunks()]
    figures, gaps, sizes = k.spacing(chunks, short, gap, GAPS_FIRST)
    steps, few, lo, hi, _long, vlo, vhi = figures
    if vhi - vlo >= _SPAN_MAX:
        return None
    return Spacing(steps, few, gaps, sizes, lo, hi, vlo, vhi, chunks)


def middle(measured: Spacing) -> tuple[int, int]:
    """The two middle steps of ``measured`` in order: places ``(steps - 1) // 2`` and
    ``steps // 2`` of its steps sorted (the same step twice for an odd count).

    A sample of the steps (one in every ``steps // SAMPLE`` places) sorted gives two steps
    that lie a little below and above the middle ones; one pass counts the steps against them
    (below, equal, at most). When the middle places fall on either (a log's steps are whole
    milliseconds: most are equal), that is all; else the few steps between them are picked
    and sorted. A sample that misses (the counts say the middle is not between them) leaves
    it to :func:`_counted`, which needs no sample."""
    import numpy as np

    k = _scan.loaded()
    if k is None:
        raise RuntimeError("the compiled core is not loaded")
    chunks, n = measured.chunks, measured.steps
    first, second = (n - 1) // 2, n // 2
    lo, hi = measured.least, measured.greatest
    if lo == hi:
        return lo, lo
    sample = _sample(chunks, n)
    if sample.size:
        size = sample.size
        spread = 2 * int(size**0.5) + 1  # places of the sample on either side
        a = int(sample[max(0, first * size // n - spread)])
        b = int(sample[min(size - 1, second * size // n + spread)])
        below, at_a, upto, at_b = k.spacing_count(chunks, a, b)
        if below <= first and second < upto:
            got = [
                a if p < below + at_a else b if p >= upto - at_b else None for p in (first, second)
            ]
            if got[0] is not None and got[1] is not None:
                return got[0], got[1]
            count = upto - below
            if count <= PICK_MAX:
                picked = np.sort(k.spacing_pick(chunks, a, b, count))
                return int(picked[first - below]), int(picked[second - below])
            lo, hi = a, b
    return _counted(k, chunks, n, lo, hi)


def _sample(chunks: list[np.ndarray], n: int) -> np.ndarray:
    """About :data:`SAMPLE` of the steps of ``chunks`` (``n`` of them), sorted: the step into
    every ``n // SAMPLE``-th value of each chunk (none between chunks); empty for few steps."""
    import numpy as np

    every = n // SAMPLE
    if every < 2:
        return np.zeros(0, dtype=np.int64)
    parts = []
    for c in chunks:
        at = np.arange(every, c.size, every)
        parts.append(c[at] - c[at - 1])
    return np.sort(np.concatenate(parts))


def _counted(k: Kernels, chunks: list[np.ndarray], n: int, lo: int, hi: int) -> tuple[int, int]:
    """:func:`middle` of the ``n`` steps of ``chunks``, the middle ones from ``lo`` to ``hi``,
    with no sample (see :func:`_placed`)."""
    first, second = (n - 1) // 2, n // 2
    got = _placed(k, chunks, [first, second] if first != second else [first], lo, hi)
    return got[0], got[-1]


def _placed(k: Kernels, chunks: list[np.ndarray], places: list[int], lo: int, hi: int) -> list[int]:
    """The steps of ``chunks`` at ``places`` (one or two, in order) of the steps sorted, all
    from ``lo`` to ``hi``: the steps are counted in buckets by size, and the bucket that holds
    the places is counted again, finer (each its own when two buckets hold them), until a
    bucket is one value wide or holds no more than :data:`PICK_MAX` steps, which are picked and
    sorted (at most five passes a place: each narrows the span by ``1 << BUCKET_BITS``)."""
    import numpy as np

    while True:
        shift = max(0, (hi - lo).bit_length() - BUCKET_BITS)
        below, hist = k.spacing_hist(chunks, lo, shift, ((hi - lo) >> shift) + 1)
        # upto[b]: how many steps are below the end of bucket b
        upto = np.cumsum(hist) + below
        buckets = [int(np.searchsorted(upto, p, side="right")) for p in places]
        if shift == 0:
            return [lo + b for b in buckets]
        spans = [(lo + (b << shift), min(hi, lo + ((b + 1) << shift) - 1)) for b in buckets]
        if buckets[0] != buckets[-1]:
            return [
                v
                for p, span in zip(places, spans, strict=True)
                for v in _placed(k, chunks, [p], *span)
            ]
        b = buckets[0]
        start = int(upto[b - 1]) if b else below  # the place of the first step in bucket b
        count = int(upto[b]) - start
        lo, hi = spans[0]
        if count <= PICK_MAX:
            picked = np.sort(k.spacing_pick(chunks, lo, hi, count))
            return [int(picked[p - start]) for p in places]


def middle_value(middle: tuple[int, int], scale: float | None = None) -> float:
    """The median of steps whose two middle ones are ``middle``, exactly as polars' ``median``
    of the whole column of them gives it (of the steps divided by ``scale`` when given, as a
    column of them divided by it would): polars takes it from those two alone, the same way
    for two values as for millions."""
    two = pl.Series("steps", middle, dtype=pl.Int64)
    got = (two / scale if scale is not None else two).median()
    return float(got)  # type: ignore[arg-type]
