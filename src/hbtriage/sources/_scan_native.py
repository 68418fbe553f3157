"""The compiled scanning core's machine code, loaded without numba.

numba compiles the kernels of :mod:`._scan_kernels` once per machine; :func:`save` keeps the
machine code as one object file, and every later run loads it with llvmlite alone
(:func:`load`: ~5 ms after llvmlite's import) and calls it through ctypes, which releases
the GIL for each call. A run that asked numba's own cache for the kernels spent 0.5-0.7 s
first (numba's import, its typing and lowering registries, the cached code's load), holding
the GIL.

Each kernel is a C-callable entry (numba's calling convention: status, result pointer,
exception pointer, then the arguments) that fills arrays made here; the methods of
:class:`Kernels` give what the kernels gave before (the same arrays, in the same order), so
the callers in :mod:`._scan` do not know which way the code came.

The object files (one per part of the kernels compiled at once, :data:`PARTS`) and their
description (``kernels.json``: the entries' symbols and argument kinds, the symbols they need
from the process, a digest of each file's bytes) are kept in a folder of
their own (:func:`folders`): in numba's cache folder when ``NUMBA_CACHE_DIR`` is set, else
next to this file, else in the user's cache. They are used only when made for this
processor (name and features), this llvmlite and this source of the kernels; otherwise the
kernels are compiled again (see :func:`hbtriage.sources._scan.kernels`).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: Longest line a kernel converts (the readers cut longer lines; those take the general path).
MAX_LINE = 65_536
#: Distinct strings interned per piece and per table (more: the rest take the general path).
MAX_IDS = 2048
#: Open-addressing slots per intern table.
SLOTS = 4096
#: One intern table's int64 words (see ``_scan_kernels._tab``).
TABLE = 2 * SLOTS + 2 * MAX_IDS + 5
#: Raised when an entry's arguments change: object files of another ABI are not used.
ABI = 6
FOLDER = "hbtriage-kernels"
_META = "kernels.json"
#: The entries of ``_scan_kernels.ENTRIES`` compiled together, one process and one object file
#: per part, the parts at once (the install's compile on 2 cores: about half the time). The
#: parts hold about the same compile time (each entry alone, in seconds: ciscolog 11.9,
#: keep_flags 7.4, cvp 6.9, iso 4.0, syslog 3.6, dumplog 1.7, the rest under 1 each).
PARTS = (
    (
        "ciscolog",
        "syslog",
        "dumplog",
        "gather_size",
        "gather",
        "classes",
        "line_count",
        "spacing",
        "spacing_count",
        "spacing_hist",
        "spacing_pick",
        "rollover",
    ),
    ("iso", "cvp", "keep_flags", "split"),
)
#: What the split tells of a piece's bytes (``_scan_kernels._split``'s ``info``): a byte above
#: 127 is there; a 0x1F byte (the column separator of polars' line splitter) is there.
HIGH_BYTE = 1
UNIT_SEPARATOR = 2
#: The split's first guess at a piece's lines: one every this many bytes at the most (log
#: lines are longer: 85 bytes on average in the PIM log, 137 in the CVP log).
SPLIT_BYTES_PER_LINE = 24
#: Blocks of 64 bytes the split marks the line ends of at a time (``_scan_kernels._split``).
SPLIT_WINDOW = 1024
#: The int64 words of the spacing kernel's running state (``_scan_kernels._spacing``): whether
#: a value came before, that value, the steps, those at most ``short``, the least and greatest
#: step, those at least ``gap``, the least and greatest value.
SPACING_CARRY = 9
#: The spacing's carry before the first chunk (least so far: the largest int64, and so on).
_I64_MAX = (1 << 63) - 1
_KERNELS_SOURCE = Path(__file__).with_name("_scan_kernels.py")


def folders() -> list[Path]:
    """Where the machine code may be, in the order looked at: numba's cache folder when
    ``NUMBA_CACHE_DIR`` is set (the code is numba's work, and an empty one means: nothing
    compiled yet); else next to this file, then the user's cache folder."""
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        return [Path(env) / FOLDER]
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hbtriage"
    return [Path(__file__).resolve().parent / "__pycache__" / FOLDER, user / FOLDER]


def writable_folder() -> Path | None:
    """The first of :func:`folders` this process can write in (made when missing)."""
    for folder in folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder):
                return folder
        except OSError:
            continue
    return None


def _key(llvm: Any) -> dict[str, Any]:
    """What the machine code must have been made for to be used here."""
    import llvmlite

    source = hashlib.sha256(_KERNELS_SOURCE.read_bytes()).hexdigest()
    return {
        "abi": ABI,
        "source": source,
        "triple": llvm.get_process_triple(),
        "cpu": llvm.get_host_cpu_name(),
        "features": llvm.get_host_cpu_features().flatten(),
        "llvmlite": getattr(llvmlite, "__version__", ""),
    }


def _binding() -> Any:
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm


def load() -> Kernels | None:
    """The kernels from the first folder holding machine code made for this machine (see
    :func:`folders`), or None (none there, or llvmlite missing)."""
    try:
        llvm = _binding()
        key = _key(llvm)
    except Exception:  # noqa: BLE001 - no llvmlite, or it does not work here
        return None
    for folder in folders():
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
            if meta.get("key") != key:
                continue
            objs = [(folder / o["file"]).read_bytes() for o in meta["objects"]]
            digests = [hashlib.sha256(obj).hexdigest() for obj in objs]
            if digests != [o["sha256"] for o in meta["objects"]]:
                continue
            if not all(llvm.address_of_symbol(s) for s in meta["needs"]):
                continue
            return Kernels(llvm, objs, meta["entries"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def save(objs: list[bytes], entries: dict[str, tuple[str, str]], needs: list[str]) -> Path:
    """Keep the machine code ``objs`` (object files; entries: name -> (symbol, argument kinds,
    ``p`` a pointer and ``n`` an int64 each); ``needs``: the symbols it takes from the
    process) in :func:`writable_folder`, once it loads and runs here; the folder. The files are
    written whole under other names and renamed, the description last: a run never sees
    half."""
    llvm = _binding()
    outside = sorted({s for s in needs if not s.startswith("llvm.")})
    missing = [s for s in outside if not llvm.address_of_symbol(s)]
    if missing:
        raise RuntimeError(f"the kernels need symbols this process lacks: {missing}")
    Kernels(llvm, objs, entries).smoke()
    folder = writable_folder()
    if folder is None:
        raise OSError("no folder to keep the compiled kernels in")
    # Named by their bytes: two compiles that save at once never mix their files.
    files = [f"kernels-{hashlib.sha256(o).hexdigest()[:16]}.o" for o in objs]
    meta = {
        "key": _key(llvm),
        "objects": [
            {"file": f, "sha256": hashlib.sha256(o).hexdigest()}
            for f, o in zip(files, objs, strict=True)
        ],
        "entries": entries,
        "needs": outside,
    }
    writes = [*zip(files, objs, strict=True), (_META, json.dumps(meta, indent=1).encode())]
    for name, data in writes:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)  # readable by every user of a shared install
            os.replace(tmp, folder / name)
        finally:
            with contextlib.suppress(OSError):
                os.remove(tmp)
    _drop_stale(folder, set(files))
    return folder


def _drop_stale(folder: Path, keep: set[str]) -> None:
    """Remove the object files of earlier compiles (an hour old: not a compile saving now)."""
    import time

    for old in folder.glob("kernels-*.o"):
        with contextlib.suppress(OSError):
            if old.name not in keep and time.time() - old.stat().st_mtime > 3600:
                old.unlink()


def _tables(n: int) -> np.ndarray:
    """A kernel's block of ``n`` empty intern tables (see ``_scan_kernels._tab``)."""
    import numpy as np

    tb = np.zeros((n, TABLE), dtype=np.int64)
    tb[:, :SLOTS] = -1
    tb[:, -4:] = -1  # the last ids found: none yet (the ids given, before them, 0)
    return tb


def _reps(tb: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each table's representatives' starts and lengths, in id order."""
    out: list[np.ndarray] = []
    a = 2 * SLOTS
    for row in tb:
        count = int(row[a + 2 * MAX_IDS])
        out += [row[a : a + count].copy(), row[a + MAX_IDS : a + MAX_IDS + count].copy()]
    return tuple(out)


def _c(a: np.ndarray, dtype: Any) -> np.ndarray:
    """``a`` as a C-contiguous array of ``dtype`` (booleans seen as bytes, no copy)."""
    import numpy as np

    if a.dtype == np.bool_ and np.dtype(dtype) == np.uint8:
        a = a.view(np.uint8)
    return np.ascontiguousarray(a, dtype=dtype)


class Kernels:
    """The kernels loaded from machine code: the functions :mod:`._scan` calls."""

    def __init__(self, llvm: Any, objs: list[bytes], entries: dict[str, Any]) -> None:
        target = llvm.Target.from_default_triple()
        self._engine = llvm.create_mcjit_compiler(
            llvm.parse_assembly(""), target.create_target_machine(codemodel="jitdefault")
        )
        for obj in objs:
            self._engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self._engine.finalize_object()
        self._fn: dict[str, Any] = {}
        for name, (symbol, kinds) in entries.items():
            addr = self._engine.get_function_address(symbol)
            if not addr:
                raise LookupError(f"no entry {name} in the compiled kernels")
            args = [ctypes.c_void_p if k == "p" else ctypes.c_int64 for k in kinds]
            proto = ctypes.CFUNCTYPE(
                ctypes.c_int32, ctypes.POINTER(ctypes.c_int64), ctypes.c_void_p, *args
            )
            self._fn[name] = proto(addr)

    def _call(self, name: str, *args: Any) -> int:
        import numpy as np

        out = ctypes.c_int64(0)
        exc = ctypes.c_void_p(0)
        flat = [a.ctypes.data if isinstance(a, np.ndarray) else int(a) for a in args]
        status = self._fn[name](ctypes.byref(out), ctypes.byref(exc), *flat)
        if status != 0:
            raise RuntimeError(f"compiled kernel {name} failed ({status})")
        return int(out.value)

    def split_lines(self, buf: np.ndarray, first: bool) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) byte offsets of every line of ``buf`` (``_scan_kernels._split``)."""
        starts, ends, _info = self.split_lines_info(buf, first)
        return starts, ends

    def split_lines_info(self, buf: np.ndarray, first: bool) -> tuple[np.ndarray, np.ndarray, int]:
        """:meth:`split_lines` and what the split saw of the bytes (:data:`HIGH_BYTE`,
        :data:`UNIT_SEPARATOR`)."""
        import numpy as np

        b = _c(buf, np.uint8)
        info = np.zeros(1, dtype=np.int64)
        # Places for a line every SPLIT_BYTES_PER_LINE bytes (memory only written where a
        # line is found): no count of the lines first, unless there are more than that.
        cap = b.size // SPLIT_BYTES_PER_LINE + 64
        starts = np.empty(cap, dtype=np.int64)
        ends = np.empty(cap, dtype=np.int64)
        masks = np.empty(SPLIT_WINDOW, dtype=np.uint64)
        m = self._call("split", b, b.size, int(first), starts, ends, cap, info, masks, masks.size)
        if m < 0:
            m = self._call("line_count", b, b.size, int(first))
            starts = np.empty(m, dtype=np.int64)
            ends = np.empty(m, dtype=np.int64)
            got = self._call(
                "split", b, b.size, int(first), starts, ends, m, info, masks, masks.size
            )
            if got != m:
                raise RuntimeError("compiled kernel split found another count")
        return starts[:m], ends[:m], int(info[0])

    def _layout(
        self,
        name: str,
        buf: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        per_line: list[tuple[Any, int]],
        tables: int,
    ) -> tuple[np.ndarray, ...]:
        import numpy as np

        b = _c(buf, np.uint8)
        s = _c(starts, np.int64)
        e = _c(ends, np.int64)
        m = s.size
        outs = [np.full(m, fill, dtype=dtype) for dtype, fill in per_line]
        tb = _tables(tables)
        self._call(name, b, b.size, s, e, m, *outs, tb)
        return (*outs, *_reps(tb))

    def dumplog(self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Any:
        """``hit, tod, hlen, tok, trace`` per line, then the token table (``_dumplog``)."""
        import numpy as np

        shape = [(np.uint8, 0), (np.int64, 0), (np.int32, 0), (np.int32, -1), (np.uint8, 0)]
        return self._layout("dumplog", buf, starts, ends, shape, 1)

    def cvp(self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Any:
        """``hit, ts, hlen, zone, hdr, node`` per line, then three tables (``_cvp``)."""
        import numpy as np

        shape = [(np.uint8, 0), (np.int64, 0), (np.int32, 0)] + [(np.int32, -1)] * 3
        return self._layout("cvp", buf, starts, ends, shape, 3)

    def ciscolog(self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Any:
        """``hit, ts, hlen, seq, zone, hdr, node, pname, sev`` per line, then five tables."""
        import numpy as np

        shape = [(np.uint8, 0), (np.int64, 0), (np.int32, 0), (np.int64, 0)]
        return self._layout("ciscolog", buf, starts, ends, shape + [(np.int32, -1)] * 5, 5)

    def iso(self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Any:
        """``hit, ts, hlen, zone, sev`` per line, then two tables (``_iso``)."""
        import numpy as np

        shape = [(np.uint8, 0), (np.int64, 0), (np.int32, 0)] + [(np.int32, -1)] * 2
        return self._layout("iso", buf, starts, ends, shape, 2)

    def syslog(self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Any:
        """``hit, hlen, mon, day, tod, pri, node, comp`` per line, then two tables."""
        import numpy as np

        shape = [(np.uint8, 0), (np.int32, 0), (np.int8, 0), (np.int8, 0), (np.int64, 0)]
        return self._layout("syslog", buf, starts, ends, shape + [(np.int32, -1)] * 3, 2)

    def keep_flags(
        self,
        buf: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        lits: np.ndarray,
        lit_at: np.ndarray,
        ascii_only: bool,
    ) -> np.ndarray:
        """The prefilter's verdict per line (``_scan_kernels._keep_flags``)."""
        import numpy as np

        b = _c(buf, np.uint8)
        s = _c(starts, np.int64)
        e = _c(ends, np.int64)
        lw = _c(lits, np.uint8)
        at = _c(lit_at, np.int64)
        out = np.zeros(s.size, dtype=np.uint8)
        shift = np.empty(1 << 16, dtype=np.uint8)
        pairs = np.empty(256, dtype=np.int64)
        fold = np.empty(64, dtype=np.uint8)
        args: tuple[Any, ...] = (b, b.size, s, e, s.size, lw, lw.size, at, at.size)
        args += (int(ascii_only), _low(), shift, pairs, fold)
        self._call("keep_flags", *args, out)
        return out

    def gather(
        self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, want: np.ndarray
    ) -> np.ndarray:
        """The bytes of the lines ``want`` marks, one line per row (``_gather``)."""
        import numpy as np

        b = _c(buf, np.uint8)
        s = _c(starts, np.int64)
        e = _c(ends, np.int64)
        w = _c(want, np.uint8)
        size = self._call("gather_size", b, b.size, s, e, s.size, w)
        out = np.empty(size, dtype=np.uint8)
        self._call("gather", b, b.size, s, e, s.size, w, out, size)
        return out

    def classes(
        self,
        buf: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        hit: np.ndarray,
        lead: np.ndarray,
        skip: np.ndarray,
        after: np.ndarray,
    ) -> np.ndarray:
        """What each line the kernel did not convert can be (``_classes``)."""
        import numpy as np

        b = _c(buf, np.uint8)
        s = _c(starts, np.int64)
        e = _c(ends, np.int64)
        tables = [_c(t, np.uint8) for t in (hit, lead, skip, after)]
        out = np.zeros(s.size, dtype=np.uint8)
        self._call("classes", b, b.size, s, e, s.size, *tables, out)
        return out

    def spacing(
        self, chunks: list[np.ndarray], short: int, gap: int, cap: int
    ) -> tuple[list[int], np.ndarray, np.ndarray]:
        """The steps from each value to the next of the int64 ``chunks`` (one column, in
        order) summed up (``_scan_kernels._spacing``): the carry's figures (how many steps,
        how many at most ``short``, the least and greatest step, how many at least ``gap``,
        the least and greatest value), and the places and sizes of the steps of at least
        ``gap``, all of them (``cap``: room for as many at first)."""
        import numpy as np

        while True:
            carry = np.array(
                [0, 0, 0, 0, _I64_MAX, -_I64_MAX - 1, 0, _I64_MAX, -_I64_MAX - 1], dtype=np.int64
            )
            gpos = np.empty(cap, dtype=np.int64)
            gval = np.empty(cap, dtype=np.int64)
            self._chunk_by_chunk("spacing", chunks, carry, short, gap, gpos, gval, cap)
            found = int(carry[6])
            if found <= cap:
                return carry[2:].tolist(), gpos[:found], gval[:found]
            cap = found

    def _chunk_by_chunk(
        self, name: str, chunks: list[np.ndarray], carry: np.ndarray, *args: Any
    ) -> None:
        """Spacing kernel ``name`` on each of the int64 ``chunks`` of one column in turn, the
        state from one chunk to the next in ``carry``."""
        import numpy as np

        for c in chunks:
            v = _c(c, np.int64)
            self._call(name, v, v.size, carry, *args)

    def spacing_count(self, chunks: list[np.ndarray], a: int, b: int) -> tuple[int, ...]:
        """How many steps of ``chunks`` are below ``a``, equal to ``a``, at most ``b``, equal
        to ``b`` (``_scan_kernels._spacing_count``)."""
        import numpy as np

        carry = np.zeros(6, dtype=np.int64)
        self._chunk_by_chunk("spacing_count", chunks, carry, a, b)
        return tuple(carry[2:].tolist())

    def spacing_hist(
        self, chunks: list[np.ndarray], lo: int, shift: int, buckets: int
    ) -> tuple[int, np.ndarray]:
        """How many steps of ``chunks`` are below ``lo``, and how many fall in each of
        ``buckets`` buckets of ``1 << shift`` from ``lo`` on (``_scan_kernels._spacing_hist``)."""
        import numpy as np

        carry = np.zeros(3, dtype=np.int64)
        hist = np.zeros(buckets, dtype=np.int64)
        self._chunk_by_chunk("spacing_hist", chunks, carry, lo, shift, hist, buckets)
        return int(carry[2]), hist

    def spacing_pick(self, chunks: list[np.ndarray], lo: int, hi: int, count: int) -> np.ndarray:
        """The ``count`` steps of ``chunks`` from ``lo`` to ``hi`` (``_spacing_pick``)."""
        import numpy as np

        carry = np.zeros(3, dtype=np.int64)
        out = np.empty(count, dtype=np.int64)
        self._chunk_by_chunk("spacing_pick", chunks, carry, lo, hi, out, count)
        if int(carry[2]) != count:
            raise RuntimeError("compiled kernel spacing_pick found another count")
        return out

    def rollover(
        self,
        tod: np.ndarray,
        valid: np.ndarray | None,
        seg: np.ndarray,
        date: np.ndarray | None,
        state: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """A dumplog piece's days past midnight, and its local times in microseconds when every
        record has its date and time of day inside a nanosecond time stamp's range, else None
        (``_scan_kernels._rollover``): ``tod`` (int64 ns, 0 where ``valid`` is False; None:
        every one valid), ``seg`` (int64), ``date`` (int32 days from 1970; None: a date or a
        time of day is missing), ``state`` (six int64, carried from piece to piece, in place)."""
        import numpy as np

        n = tod.size
        days = np.empty(n, dtype=np.int64)
        nd = n if date is not None else 0
        us = np.empty(max(nd, 1), dtype=np.int64)
        flags = np.ones(1, dtype=np.uint8) if valid is None else _c(valid, np.uint8)
        got = self._call(
            "rollover",
            _c(tod, np.int64),
            n,
            flags,
            flags.size,
            int(valid is None),
            _c(seg, np.int64),
            _c(date if date is not None else np.zeros(1, dtype=np.int32), np.int32),
            max(nd, 1),
            int(date is not None),
            state,
            days,
            us,
        )
        return days, (us if got == 1 else None)

    def smoke(self) -> None:
        """Run every kernel once on two lines (a broken object file shows up here)."""
        import numpy as np

        data = b"19:36:35:105 pg1A-pim1 Trace: x\nMar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-X: y\n"
        buf = np.frombuffer(data, dtype=np.uint8)
        starts, ends = self.split_lines(buf, True)
        if starts.size != 2:
            raise RuntimeError("the compiled kernels do not split lines")
        hit = self.dumplog(buf, starts, ends)[0]
        if hit.tolist() != [1, 0] or self.cvp(buf, starts, ends)[0].tolist() != [0, 1]:
            raise RuntimeError("the compiled kernels do not read the usual layouts")
        self.ciscolog(buf, starts, ends)
        self.iso(buf, starts, ends)
        self.syslog(buf, starts, ends)
        lits = np.frombuffer(b"heartbeatpath", dtype=np.uint8)
        self.keep_flags(buf, starts, ends, lits, np.array([0, 9, 13]), True)
        self.gather(buf, starts, ends, hit == 0)
        table = np.zeros(256, dtype=np.uint8)
        self.classes(buf, starts, ends, hit, table, table, table)
        times = [np.array([5, 7], dtype=np.int64), np.array([7, 20], dtype=np.int64)]
        figures, at, size = self.spacing(times, 1, 10, 1)
        if figures[:2] != [3, 1] or at.tolist() != [2] or size.tolist() != [13]:
            raise RuntimeError("the compiled kernels do not measure steps")
        if self.spacing_count(times, 2, 2) != (1, 1, 2, 1):
            raise RuntimeError("the compiled kernels do not count steps")
        if self.spacing_hist(times, 1, 2, 4)[1].tolist() != [1, 0, 0, 1]:
            raise RuntimeError("the compiled kernels do not count steps")
        if self.spacing_pick(times, 0, 5, 2).tolist() != [2, 0]:
            raise RuntimeError("the compiled kernels do not pick steps")
        state = np.zeros(6, dtype=np.int64)
        tod = np.array([23 * 3600 * 10**9, 10**9], dtype=np.int64)
        seg = np.zeros(2, dtype=np.int64)
        days, us = self.rollover(tod, None, seg, np.zeros(2, dtype=np.int32), state)
        if (
            days.tolist() != [0, 1]
            or us is None
            or us.tolist() != [23 * 3600 * 10**6, 86401 * 10**6]
        ):
            raise RuntimeError("the compiled kernels do not count days")


_LOW: list[np.ndarray] = []


def _low() -> np.ndarray:
    """ASCII letters' lower case per byte (the prefilter's table)."""
    import numpy as np

    if not _LOW:
        low = np.arange(256, dtype=np.uint8)
        low[65:91] += 32
        _LOW.append(low)
    return _LOW[0]
