"""Digests read later: a reader that left its records' ``digest`` out (the compiled core's
sparse pieces, see :mod:`._scan`) gives a way to work them out when the timeline needs them,
which is only for files of one stream that overlap in time (rotated copies)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from hbtriage.sources.base import InputFile, Reader
    from hbtriage.sources.options import ReadOptions


def later(
    reader: Reader, item: InputFile, encoding: str, options: ReadOptions
) -> Callable[[], pl.DataFrame]:
    """``line`` and ``digest`` of every record ``reader`` gives for ``item``, read again with
    the digests (the same values a read with ``defer_digests`` off gives)."""
    again = dataclasses.replace(options, defer_digests=False)

    def digests() -> pl.DataFrame:
        events = reader.read(item, encoding, again).events
        assert events is not None
        return events.select("line", "digest")

    return digests
