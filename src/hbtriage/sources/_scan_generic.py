"""The compiled scanning core (:mod:`._scan`) for the generic reader's usual layouts.

ISO 8601 (``iso`` family) and RFC 3164 (``syslog`` family) lines are converted by the kernels
:func:`hbtriage.sources._scan_kernels.iso` and :func:`~hbtriage.sources._scan_kernels.syslog`;
here their outputs become the typed heads :func:`hbtriage.sources.generic_log` gets from its
family's regex on the general path (the same columns and values: the tests compare both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from hbtriage.sources._scan import _cat, _hit_rows, _line_at, _pick, _strings

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import polars as pl

    from hbtriage.sources._scan import Heads, Piece


def iso_heads(piece: Piece, lines: pl.DataFrame) -> Heads:
    """For :func:`hbtriage.sources._lines.split_heads`: which rows of ``lines`` are ISO 8601
    records the kernel converted, and their typed columns ``line``, ``_hlen``, ``ts_local``,
    ``offset_min``, ``_zone`` (as written, stripped) and ``severity`` (the level)."""
    import numpy as np
    import polars as pl

    from hbtriage.sources import _lines as L

    raw = piece.raw
    hit, ts, hlen, zone, sev, zrs, zrn, srs, srn = cast("tuple[np.ndarray, ...]", piece.found)
    rows = _hit_rows(hit)
    zones = _strings(raw, zrs, zrn)
    minutes = pl.DataFrame({"z": [*zones, None]}, schema={"z": pl.Utf8}).select(
        L.offset_minutes(pl.col("z"))
    )
    zid = zone[rows]
    quick = pl.DataFrame(
        [
            _line_at(lines, rows),
            pl.Series("_hlen", hlen[rows].astype(np.uint32)),
            pl.Series("ts_local", ts[rows].view("datetime64[ns]")),
            _pick(minutes.to_series(), zid).alias("offset_min"),
            _cat(zones, zid, "_zone"),
            _cat(_strings(raw, srs, srn), sev[rows], "severity"),
        ]
    )
    return pl.Series("hit", hit.astype(bool)), quick


def syslog_heads(piece: Piece, lines: pl.DataFrame) -> Heads:
    """:func:`iso_heads` for RFC 3164 records: ``line``, ``_hlen``, the month ``_m``, day
    ``_d`` and time of day ``_tod`` (ns; the reader adds the year at the end), ``severity``
    (from ``<PRI>``), ``component`` (the program) and ``node`` (the host; "-" is none)."""
    import numpy as np
    import polars as pl

    from hbtriage.sources.generic_log import _SYSLOG_LEVELS

    raw = piece.raw
    hit, hlen, mon, day, tod, pri, node, comp, nrs, nrn, crs, crn = cast(
        "tuple[np.ndarray, ...]", piece.found
    )
    rows = _hit_rows(hit)
    p = pri[rows]
    hosts = [None if h == "-" else h for h in _strings(raw, nrs, nrn)]
    quick = pl.DataFrame(
        [
            _line_at(lines, rows),
            pl.Series("_hlen", hlen[rows].astype(np.uint32)),
            pl.Series("_m", mon[rows].astype(np.int32)),
            pl.Series("_d", day[rows].astype(np.int32)),
            pl.Series("_tod", tod[rows]),
            # Most files have no <PRI> at all: no level to look up then.
            pl.repeat(None, p.size, dtype=pl.Categorical(), eager=True).alias("severity")
            if p.size and p.max() < 0
            else _cat(list[str | None](_SYSLOG_LEVELS), np.where(p < 0, -1, p % 8), "severity"),
            _cat(_strings(raw, crs, crn), comp[rows], "component"),
            _cat(hosts, node[rows], "node"),
        ]
    )
    return pl.Series("hit", hit.astype(bool)), quick


#: Per family of :mod:`.generic_log`: the kernel that converts its usual lines.
KERNELS: dict[str, str] = {"iso": "iso", "syslog": "syslog"}
#: Per family: the typed heads of a piece the kernel read (``_lines.split_heads``'s ``pre``).
HEADS: dict[str, Callable[[Piece, pl.DataFrame], Heads]] = {
    "iso": iso_heads,
    "syslog": syslog_heads,
}
