"""The compiled scanning core: the usual layouts of the big logs, converted from raw bytes.

Most lines of a PIM dumplog or a CVP log have one fixed layout. The polars path finds them
with a regex over every line and cuts their fields with a dozen string expressions; here one
compiled loop (:mod:`._scan_kernels`, numba, GIL released) walks the piece's bytes once and
gives, for every line it is sure about, the typed fields the reader's fast path would have made
(:func:`dumplog_heads`, :func:`cvp_heads`). The reader's own general path then runs on the
other lines only, exactly as before, and the record assembly, message slimming and digests are
unchanged: the results are the same with the core on and off (``ReadOptions.compiled``; the
tests compare both).

The core is used for files of at least ``ReadOptions.compiled_min_bytes`` only, so a small
bundle never imports numba (about 0.2 s); when numba cannot be imported or compiled, the
polars path is used with no error. The kernels are compiled once and cached where the package
is installed; ``make`` compiles them at install time (:func:`main` with ``--warm``).
"""

from __future__ import annotations

import os
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from hbtriage.sources.options import ReadOptions

_lock = threading.Lock()
_state: dict[str, ModuleType | None] = {}


def kernels() -> ModuleType | None:
    """The compiled kernels module, or None when numba is missing or does not work here."""
    with _lock:
        if "k" not in _state:
            try:
                from hbtriage.sources import _scan_kernels as k

                # Compile (or load from the cache) on a tiny input now, under the lock, so two
                # reader threads never compile at once and a broken install shows up here.
                _smoke(k)
                _state["k"] = k
            except Exception:  # noqa: BLE001 - any failure means: use the polars path
                _state["k"] = None
        return _state["k"]


def _smoke(k: ModuleType) -> None:
    import numpy as np

    data = b"19:36:35:105 pg1A-pim1 Trace: x\nMar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-X: y\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends = k.split_lines(buf, True)
    k.dumplog(buf, starts, ends)
    k.cvp(buf, starts, ends)


#: In the environment: 0 reads every log with the polars path, 1 every log with the core
#: whatever its size (benchmarks compare both).
ENV = "HBTRIAGE_COMPILED"


def use_for(size: int, options: ReadOptions) -> bool:
    """Whether a file of ``size`` bytes is read with the core under ``options`` (and the core
    works here); ``HBTRIAGE_COMPILED`` set to 0 or 1 overrides the size threshold."""
    env = os.environ.get(ENV)
    if not options.compiled or env == "0":
        return False
    if size < options.compiled_min_bytes and env != "1":
        return False
    return kernels() is not None


def _scan(raw: bytes, first: bool, lines: pl.DataFrame, kernel: str) -> tuple[object, ...] | None:
    """The outputs of kernel ``kernel`` on the piece ``raw``, or None when its lines are not
    exactly the rows of ``lines`` (then the piece takes the polars path)."""
    import numpy as np

    k = kernels()
    if k is None:
        return None
    buf = np.frombuffer(raw, dtype=np.uint8)
    starts, ends = k.split_lines(buf, first)
    if starts.size != lines.height:
        return None
    lens = lines["text"].str.len_bytes().to_numpy()
    if not np.array_equal(lens, ends - starts):
        return None
    return tuple(getattr(k, kernel)(buf, starts, ends))


def _strings(raw: bytes, rep_s: np.ndarray, rep_n: np.ndarray) -> list[str | None]:
    """The interned strings (printable ASCII, checked by the kernel) of one table."""
    return [
        raw[s : s + n].decode("ascii") for s, n in zip(rep_s.tolist(), rep_n.tolist(), strict=True)
    ]


def _cat(values: list[str | None], ids: np.ndarray, name: str) -> pl.Series:
    """A categorical column: ``values[id]`` per row (id -1: null)."""
    import numpy as np
    import polars as pl

    ids = np.where(ids < 0, len(values), ids).astype(np.uint32)
    table = pl.Series(name, [*values, None], dtype=pl.Categorical())
    return table.gather(pl.Series(ids))


def dumplog_heads(
    raw: bytes, first: bool, lines: pl.DataFrame
) -> tuple[pl.Series, pl.DataFrame] | None:
    """For :func:`hbtriage.sources._lines.split_heads`: which rows of ``lines`` (the piece
    ``raw`` split into lines) are dumplog records of the usual layout, and their typed columns
    (``line``, ``_hlen``, ``_tod_ns``, ``severity``, ``component``, ``node``), as
    :func:`hbtriage.sources.icm_dumplog._fast_typed` makes them. None: the piece takes the
    polars path."""
    import numpy as np
    import polars as pl

    found = _scan(raw, first, lines, "dumplog")
    if found is None:
        return None
    hit, tod, hlen, tok, trace, rep_s, rep_n = cast("tuple[np.ndarray, ...]", found)
    rows = np.flatnonzero(hit)
    tokens = [str(t).rsplit("-", 1) for t in _strings(raw, rep_s, rep_n)]
    ids = tok[rows]
    quick = pl.DataFrame(
        [
            lines["line"].gather(pl.Series(rows)),
            pl.Series("_hlen", hlen[rows].astype(np.uint32)),
            pl.Series("_tod_ns", tod[rows]),
            _cat(["trace"], np.where(trace[rows] > 0, 0, -1), "severity"),
            _cat([t[1] for t in tokens], ids, "component"),
            _cat([t[0] for t in tokens], ids, "node"),
        ]
    )
    return pl.Series("hit", hit.astype(bool)), quick


def cvp_heads(
    raw: bytes, first: bool, lines: pl.DataFrame
) -> tuple[pl.Series, pl.DataFrame] | None:
    """:func:`dumplog_heads` for CVP logs: the typed columns ``line``, ``_hlen``, ``ts_local``,
    ``offset_min``, ``_zone``, ``severity``, ``component``, ``mnem``, ``node`` of the lines of
    either usual layout, as :func:`hbtriage.sources.cvp_log._typed_at` makes them."""
    import numpy as np
    import polars as pl

    found = _scan(raw, first, lines, "cvp")
    if found is None:
        return None
    hit, ts, hlen, zone, hdr, node, zrs, zrn, hrs, hrn, nrs, nrn = cast(
        "tuple[np.ndarray, ...]", found
    )
    rows = np.flatnonzero(hit)
    zones = [str(z) for z in _strings(raw, zrs, zrn)]
    headers = [str(h).split("-", 2) for h in _strings(raw, hrs, hrn)]
    minutes = [(-1 if z[0] == "-" else 1) * (int(z[1:3]) * 60 + int(z[3:5])) for z in zones]
    zid = zone[rows]
    hid = hdr[rows]
    quick = pl.DataFrame(
        [
            lines["line"].gather(pl.Series(rows)),
            pl.Series("_hlen", hlen[rows].astype(np.uint32)),
            pl.Series("ts_local", ts[rows].view("datetime64[ns]")),
            pl.Series("offset_min", np.asarray(minutes, dtype=np.int32)[zid]),
            _cat(list[str | None](zones), zid, "_zone"),
            _cat([h[1] for h in headers], hid, "severity"),
            _cat([h[0] for h in headers], hid, "component"),
            _cat([h[2] for h in headers], hid, "mnem"),
            _cat(_strings(raw, nrs, nrn), node[rows], "node"),
        ]
    )
    return pl.Series("hit", hit.astype(bool)), quick


def warm() -> bool:
    """Compile the kernels (or load them from the cache); whether the core works here."""
    return kernels() is not None


def main(argv: list[str] | None = None) -> int:
    """``--warm``: compile the kernels into the cache (the Makefile's install step)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["--warm"]:
        print("usage: _scan.main(['--warm'])", file=sys.stderr)
        return 2
    ok = warm()
    print(
        "hbtriage: compiled scanning core ready"
        if ok
        else "hbtriage: compiled scanning core unavailable (numba missing or failing); "
        "the polars path is used"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
