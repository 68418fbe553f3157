"""The compiled scanning core: the usual layouts of the big logs, converted from raw bytes.

Most lines of a PIM dumplog, a CVP log or a Cisco Log file have one fixed layout. The polars path finds them
with a regex over every line and cuts their fields with a dozen string expressions; here one
compiled loop (:mod:`._scan_kernels`, numba, GIL released) walks the piece's bytes once and
gives, for every line it is sure about, the typed fields the reader's fast path would have made
(:func:`dumplog_heads`, :func:`cvp_heads`; :func:`ciscolog_heads` for Cisco Log files, whose
reader has no fast path of its own; the generic reader's ISO 8601 and RFC 3164 lines: see
:mod:`._scan_generic`). The reader's own general path then runs on the
other lines only, exactly as before, and the record assembly, message slimming and digests are
unchanged: the results are the same with the core on and off (``ReadOptions.compiled``; the
tests compare both).

A piece is cut at line ends into one part per usable core, the parts scanned on threads at
once and their results stitched into the one-part scan's (:func:`scan_parts`).

The core is used when a run's logs of the kinds it reads hold ``ReadOptions.compiled_min_bytes``
together (:func:`for_run`; a file read on its own: when it is that big), so a small bundle
never loads the kernels; when they cannot be compiled or loaded, the polars path is used with
no error. numba compiles the kernels once per machine, where the package is installed, and
their machine code is kept (:mod:`._scan_native`); a run loads it with llvmlite alone in a few
milliseconds, never importing numba (its import, registries and cache took 0.5-0.7 s of every
run, holding the GIL). ``make`` compiles them at install time (:func:`main` with ``--warm``).
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import operator
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import polars as pl

    from hbtriage.sources._lines import Pieces, Raw, Scanner
    from hbtriage.sources._scan_native import Kernels
    from hbtriage.sources.base import InputFile
    from hbtriage.sources.options import ReadOptions

#: Which lines of a piece the core converted, and their typed columns (see
#: :func:`hbtriage.sources._lines.split_heads`).
Heads = tuple["pl.Series", "pl.DataFrame"]

_lock = threading.Lock()
_state: dict[str, Kernels | None] = {}
_state_pool: list[ThreadPoolExecutor] = []


def kernels(*, compile_now: bool = False) -> Kernels | None:
    """The compiled kernels (see :mod:`._scan_native`), or None when they cannot work here
    (numba or llvmlite missing or failing), or when they are not compiled for this machine
    yet (see :func:`compiling`) and neither ``compile_now`` nor ``HBTRIAGE_COMPILED=1`` asks
    to compile them here and now (in a process of its own, waited for: ~40 s)."""
    with _lock:
        if "k" not in _state:
            try:
                from hbtriage.sources import _scan_native

                k = _scan_native.load() if _may_look() else None
                if k is None:
                    if not _compiler_there():
                        raise RuntimeError("numba is not installed: nothing compiles the kernels")
                    if not (compile_now or os.environ.get(ENV) == "1"):
                        _cold_start()
                        return None
                    if not _compile_now():
                        raise RuntimeError("the kernels do not compile here")
                    k = _scan_native.load()
                    if k is None:
                        raise RuntimeError("the compiled kernels do not load")
                # Every kernel once on a tiny input, under the lock: a broken object file
                # shows up here, not in the middle of a read.
                k.smoke()
                _state["k"] = k
            except Exception:  # noqa: BLE001 - any failure means: use the polars path
                _state["k"] = None
        return _state["k"]


def loaded() -> Kernels | None:
    """The compiled kernels when this process has loaded them already (a run that read its
    logs with the core), else None; never loads them (a small bundle does not pay for it), and
    None under ``HBTRIAGE_COMPILED=0``. For the steps after reading (see
    :mod:`hbtriage.timeline.spacing`)."""
    if os.environ.get(ENV) == "0":
        return None
    return _state.get("k")


#: A run that finds the kernels uncompiled looks again after this many seconds (a long-lived
#: process: ``watch``, a fleet worker), and a compile started this long ago is taken as dead.
_COLD_RECHECK_S = 10.0
_COMPILE_STALE_S = 1800.0
#: The file that says a compile is under way, in the kernels' folder.
_COMPILING = "hbtriage-compiling"
_cold: dict[str, float] = {}


def _compiler_there() -> bool:
    """Whether numba is installed (looked up, not imported): without it no compile is started,
    in the background or not, and every run reads with the polars path."""
    import importlib.util

    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):
        return False


def _may_look() -> bool:
    """Whether to look for the compiled kernels now (called under ``_lock``): not again
    within :data:`_COLD_RECHECK_S` of finding them missing."""
    import time

    return time.monotonic() - _cold.get("checked", -_COLD_RECHECK_S) >= _COLD_RECHECK_S


def _cold_start() -> None:
    """The kernels are not compiled for this machine (called under ``_lock``): start their
    compile for later runs in the background (once, see :func:`_compile_later`); this run
    reads with the polars path. A first run after a plain ``pip install`` takes the polars
    path's seconds, not a minute of compiling first."""
    import time

    from hbtriage.sources import _scan_native

    if not _may_look():
        return
    _cold["checked"] = time.monotonic()
    folder = _scan_native.writable_folder()
    _cold["compiling"] = float(folder is not None and _compile_later(str(folder)))


def _compile_now() -> bool:
    """Compile the kernels into their folder in a process of its own (a compiler that
    crashes takes only that process), waiting for it; whether it did."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != ENV}
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "hbtriage.sources._scan", "--export"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        check=False,
    )
    return done.returncode == 0


def _export() -> bool:
    """Compile the kernels with numba and keep their machine code (:func:`_scan_native.save`),
    unless machine code for this machine is there already; whether it is there now. The parts
    of :data:`_scan_native.PARTS` compile in processes of their own, as many at once as there
    are usable cores."""
    import json
    import subprocess
    import tempfile

    from hbtriage.sources import _scan_native

    if _scan_native.load() is not None:
        return True
    parts = _scan_native.PARTS
    with tempfile.TemporaryDirectory(prefix="hbtriage-kernels-") as tmp:
        running: list[subprocess.Popen[bytes]] = []
        done: list[int] = []
        for i in range(len(parts)):
            if len(running) >= cores():
                done.append(running.pop(0).wait())
            running.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and module
                    [sys.executable, "-m", "hbtriage.sources._scan", "--export-part", str(i), tmp],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        done += [child.wait() for child in running]
        if any(done):
            return False
        objs: list[bytes] = []
        entries: dict[str, tuple[str, str]] = {}
        needs: list[str] = []
        for i in range(len(parts)):
            meta = json.loads(Path(tmp, f"part-{i}.json").read_text(encoding="utf-8"))
            objs.append(Path(tmp, f"part-{i}.o").read_bytes())
            entries.update({k: (v[0], v[1]) for k, v in meta["entries"].items()})
            needs += meta["needs"]
    _scan_native.save(objs, entries, needs)
    return _scan_native.load() is not None


def _export_part(i: int, folder: str) -> None:
    """Compile part ``i`` of :data:`_scan_native.PARTS` into ``folder`` (``part-I.o`` and
    ``part-I.json``): a child of :func:`_export`."""
    import json

    from hbtriage.sources import _scan_kernels, _scan_native

    obj, entries, needs = _scan_kernels.export(_scan_native.PARTS[i])
    Path(folder, f"part-{i}.o").write_bytes(obj)
    meta = {"entries": entries, "needs": needs}
    Path(folder, f"part-{i}.json").write_text(json.dumps(meta), encoding="utf-8")


def compiling(options: ReadOptions | None = None) -> bool:
    """Whether this process found the kernels not compiled for this machine and a compile is
    under way in the background (started by it or by another run): the logs it reads take
    the polars path meanwhile. With a run's ``options`` (see :func:`for_run`): whether that
    run's logs would have been read with the core."""
    if options is not None and not (
        options.compiled and options.compiled_min_bytes == 0 and os.environ.get(ENV) != "0"
    ):
        return False
    return bool(_cold.get("compiling")) and _state.get("k") is None


def _compile_later(folder: str) -> bool:
    """Start ``python -m hbtriage.sources._scan --compile`` in the background, detached and at
    a low priority, unless a compile is under way (the file :data:`_COMPILING` in numba's
    cache ``folder``, younger than :data:`_COMPILE_STALE_S`; it holds the compiling process's
    id, which leads its own process group); whether one is under way now."""
    import subprocess
    import time

    marker = os.path.join(folder, _COMPILING)
    try:
        os.makedirs(folder, exist_ok=True)
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if time.time() - os.path.getmtime(marker) < _COMPILE_STALE_S:
                return True
            os.remove(marker)  # left by a compile that died
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        env = {k: v for k, v in os.environ.items() if k != ENV}
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "hbtriage.sources._scan", "--compile", marker],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            env=env,
        )
        os.write(fd, f"{child.pid}\n".encode())  # who compiles (its own process group)
        os.close(fd)
    except OSError:
        with suppress(OSError):
            os.remove(marker)
        return False
    return True


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


#: The reader kinds whose usual layouts the core converts (:func:`setup`'s callers).
KINDS = frozenset({"cvp_log", "icm_dumplog", "ciscolog", "generic_log"})
#: How many of a run's files :func:`for_run` sniffs at most (biggest first).
MAX_SNIFFED = 256


def for_run(options: ReadOptions, files: Sequence[InputFile]) -> ReadOptions:
    """``options`` for one run over ``files``: when the logs the core reads (files of
    :data:`KINDS` in a layout it converts, see :func:`_has_kernel`) hold
    ``options.compiled_min_bytes`` together, every one of them is read with the core whatever
    its size (the one import of numba pays for itself on their sum,
    however many files it is spread over); else ``options`` as they are, and no log is that
    big alone. The sum is counted only when the whole bundle is that big (a small bundle
    sniffs nothing here and never imports numba), biggest file first, sniffing no more than
    it takes to decide (:data:`MAX_SNIFFED` files at most). ``HBTRIAGE_COMPILED`` still
    decides over it. A run of one file on more than one core reads it ahead
    (``ReadOptions.read_ahead``: nothing else is read meanwhile)."""
    if len(files) == 1 and cores() > 1:
        options = dataclasses.replace(options, read_ahead=True)
    need = options.compiled_min_bytes
    if not (options.compiled and options.fast_paths) or need <= 0:
        return options
    left = sum(f.size for f in files)
    if left < need or os.environ.get(ENV) in ("0", "1"):
        return options
    from hbtriage.sources import readers_for, sniff

    readers = readers_for(options.formats)
    got = 0
    for f in sorted(files, key=lambda f: -f.size)[:MAX_SNIFFED]:
        if got >= need or got + left < need:
            break
        left -= f.size
        reader = sniff(f, readers)[0]
        if reader is not None and reader.kind in KINDS and _has_kernel(reader.kind, f.path):
            if not got:
                _load_soon()
            got += f.size
    return dataclasses.replace(options, compiled_min_bytes=0) if got >= need else options


def _load_soon() -> None:
    """Load the kernels in a thread of their own, now: a run that reads logs with the core
    needs them as its readers start, and their load (numpy's import, the machine code's link,
    ~65 ms) runs meanwhile, much of it without the GIL, instead of in the first reader."""
    if "k" not in _state:
        threading.Thread(target=kernels, name="hbtriage-core-load", daemon=True).start()


def _has_kernel(kind: str, path: str) -> bool:
    """Whether the core converts the usual layout of the file at ``path`` of reader ``kind``
    (one of :data:`KINDS`): every such file, but generic logs of the families with a kernel
    only (a large CBS or ZooKeeper log is no reason to load numba)."""
    if kind != "generic_log":
        return True
    from hbtriage.sources import generic_log

    return generic_log.has_kernel(path)


@dataclass
class Piece:
    """One piece of a log as the core saw it: its bytes, line boundaries, the outputs of the
    reader's kernel, and the line prefilter's verdict per line (see
    :func:`hbtriage.sources._scan_kernels.keep_flags`; None: no prefilter asked for)."""

    raw: Raw
    starts: np.ndarray
    ends: np.ndarray
    found: tuple[object, ...]
    flags: np.ndarray | None
    #: Per line, for sparse pieces: see :func:`hbtriage.sources._scan_kernels.classes`.
    classes: np.ndarray | None = None


#: What the general path's record regex of each kernel's reader can begin with (see
#: :func:`hbtriage.sources._scan_kernels.classes`): first bytes; bytes skipped before a byte
#: of the third string. Dumplog: a record ("19:36:35 ...") or a date line ("Events from"
#: after spaces or tabs); CVP: a ``<PRI>``, a sequence number, ``*`` or a month; CiscoLog:
#: a ``<PRI>``, a sequence number or a month (a syslog server's stamp); ISO 8601 (generic reader): a ``[`` or a digit; RFC 3164: a
#: ``<PRI>`` or a month.
_LEADS = {
    "dumplog": ("0123456789E", " \t", "E"),
    "cvp": ("<*0123456789JFMASOND", "", ""),
    "ciscolog": ("<0123456789JFMASOND", "", ""),
    "iso": ("[0123456789", "", ""),
    "syslog": ("<JFMASOND", "", ""),
}


def _table(chars: str) -> np.ndarray:
    import numpy as np

    t = np.zeros(256, dtype=np.uint8)
    for c in chars.encode("ascii"):
        t[c] = 1
    return t


def literal_table(literals: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray] | None:
    """The inputs of the kernel prefilter for ``literals`` (their bytes, lower case, one after
    the other, and where each starts), or None when one is not ASCII or shorter than two
    characters: the regex engine ignores case the Unicode way (``K`` matches the Kelvin sign),
    which only the regex does."""
    import numpy as np

    if not all(w.isascii() and len(w) >= 2 and "\n" not in w for w in literals):
        return None
    words = [w.lower().encode("ascii") for w in literals]
    at = np.zeros(len(words) + 1, dtype=np.int64)
    at[1:] = np.cumsum([len(w) for w in words])
    return np.frombuffer(b"".join(words) or b"\0", dtype=np.uint8).copy(), at


@dataclass(frozen=True, eq=False)
class Ask:
    """What a reader asks of the core on each piece: the kernel that converts its usual
    layouts, the prefilter's words (see :func:`literal_table`; None: no prefilter) and
    whether its pieces are sparse (see :func:`scan`)."""

    kernel: str
    literals: tuple[np.ndarray, np.ndarray] | None = None
    sparse: bool = False


#: Per kernel: how many of its outputs are per line (the rest are its intern tables, two
#: arrays each: representatives' starts and lengths), and which per-line output holds the
#: ids of which table.
_SHAPES: dict[str, tuple[int, dict[int, int]]] = {
    "dumplog": (5, {3: 0}),
    "cvp": (6, {3: 0, 4: 1, 5: 2}),
    "ciscolog": (9, {4: 0, 5: 1, 6: 2, 7: 3, 8: 4}),
    "iso": (5, {3: 0, 4: 1}),
    "syslog": (8, {6: 0, 7: 1}),
}

#: A piece is cut into parts for the cores from this size (smaller: one part, no thread).
SPLIT_MIN_BYTES = 1 << 20


def cores() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _pool() -> ThreadPoolExecutor:
    with _lock:
        if _state_pool:
            return _state_pool[0]
        pool = ThreadPoolExecutor(max(1, cores() - 1), thread_name_prefix="hbtriage-scan")
        _state_pool.append(pool)
        return pool


def part_bounds(raw: Raw, cuts: Sequence[int]) -> list[int]:
    """The offsets ``raw`` is cut at, each just after a line end: every cut in ``cuts`` moved
    to the end of the line it falls in, with 0 and ``len(raw)`` around them."""
    out = [0]
    for c in sorted(cuts):
        j = _line_end(raw, max(c - 1, 0))
        if j < 0 or j + 1 >= len(raw):
            break
        if j + 1 > out[-1]:
            out.append(j + 1)
    out.append(len(raw))
    return out


def _line_end(raw: Raw, at: int) -> int:
    """The offset of the first LF of ``raw`` from ``at`` on, -1 when there is none."""
    if isinstance(raw, bytes):
        return raw.find(b"\n", at)
    import numpy as np

    buf = np.frombuffer(raw, dtype=np.uint8)
    step = 4096
    while at < buf.size:
        hit = np.flatnonzero(buf[at : at + step] == 0x0A)
        if hit.size:
            return at + int(hit[0])
        at += step
        step = min(step * 4, 1 << 22)
    return -1


#: How many pieces are being scanned right now (by the threads reading files at once).
_scanning = [0]
_scanning_lock = threading.Lock()


def _even_cuts(size: int, scanning: int = 1) -> list[int]:
    """Where a piece of ``size`` bytes is cut when ``scanning`` pieces (this one included) are
    being scanned at once, or files read by the core (see :func:`scan_parts`): into one part
    per usable core left to it. Two files scanned at once on two cores keep a core each
    (cutting them would only add the threads' hand-over); the file read last, alone, gets
    both."""
    n = max(1, cores() // max(1, scanning)) if size >= SPLIT_MIN_BYTES else 1
    return [size * i // n for i in range(1, n)]


_Part = tuple[
    "np.ndarray",
    "np.ndarray",
    tuple["np.ndarray", ...],
    "np.ndarray | None",
    "np.ndarray | None",
    int,
]


def _scan_part(buf: np.ndarray, first: bool, ask: Ask) -> _Part:
    """Line boundaries, the kernel's outputs, the prefilter's flags, (sparse pieces) the line
    classes of one part (offsets within the part) and what the split saw of its bytes
    (``_scan_native.HIGH_BYTE``, ``UNIT_SEPARATOR``); nogil calls only. The prefilter takes
    the part's bytes as all ASCII when the split saw no byte above 127 (its flags are those
    of the whole piece's test: a part of ASCII bytes has no line with another byte)."""
    import numpy as np

    from hbtriage.sources._scan_native import HIGH_BYTE

    k = cast("Kernels", kernels())
    starts, ends, info = k.split_lines_info(buf, first)
    ascii_only = not info & HIGH_BYTE
    found = tuple(getattr(k, ask.kernel)(buf, starts, ends))
    flags = None
    if ask.literals is not None:
        lits, at = ask.literals
        if at.size > 1:
            flags = k.keep_flags(buf, starts, ends, lits, at, ascii_only)
        else:
            flags = np.zeros(starts.size, dtype=np.uint8)
    cls = None
    if ask.sparse:
        lead, skip, after = (_table(c) for c in _LEADS[ask.kernel])
        cls = k.classes(buf, starts, ends, found[0], lead, skip, after)
    return starts, ends, found, flags, cls, info


def scan_parts(
    raw: Raw,
    first: bool,
    ask: Ask,
    cuts: Sequence[int] | None = None,
) -> _Part:
    """What :func:`_scan_part` gives for the whole of ``raw``, worked out on parts cut at line
    ends (``cuts``, see :func:`part_bounds`; default: one part per core that no other piece is
    being scanned on and no other file is being read on, see :func:`_even_cuts`: a piece cut
    while the other file's reader was between two scans put three threads on two cores, and
    the logs of the 1 GB bench took 2.37 s, not 2.32 s, in 10 alternating runs), each on its
    own thread (the kernels release
    the GIL), and stitched: line offsets moved by the part's start, per-line outputs one after
    the other, and each intern table's ids renumbered in the order the whole piece meets them,
    so the result is the one-part scan's to the byte. When the stitched table would hold more
    strings than one scan interns (the one-part scan gives up on some lines then), the piece
    is scanned in one part."""
    from hbtriage.sources._lines import _CORE_FILES

    with _scanning_lock:
        _scanning[0] += 1
        scanning = max(_scanning[0], _CORE_FILES[0])
    try:
        bounds = part_bounds(raw, _even_cuts(len(raw), scanning) if cuts is None else cuts)
        return _scan_bounds(raw, first, ask, bounds)
    finally:
        with _scanning_lock:
            _scanning[0] -= 1


def _scan_bounds(raw: Raw, first: bool, ask: Ask, bounds: list[int]) -> _Part:
    """:func:`scan_parts` on the parts between ``bounds``."""
    import numpy as np

    buf = np.frombuffer(raw, dtype=np.uint8)
    if len(bounds) <= 2:
        return _scan_part(buf, first, ask)
    pool = _pool()
    jobs = [
        pool.submit(_scan_part, buf[a:b], first and i == 0, ask)
        for i, (a, b) in enumerate(zip(bounds[1:-1], bounds[2:], strict=True), 1)
    ]
    parts = [_scan_part(buf[: bounds[1]], first, ask)]
    parts += [job.result() for job in jobs]
    stitched = _stitch(raw, bounds[:-1], parts, ask.kernel)
    if stitched is None:
        return _scan_part(buf, first, ask)
    return stitched


def _stitch(raw: Raw, at: list[int], parts: list[_Part], kernel: str) -> _Part | None:
    """The parts' outputs (part ``i`` starting at byte ``at[i]``) as one scan's."""
    import numpy as np

    from hbtriage.sources._scan_native import MAX_IDS

    per_line, ids_of = _SHAPES[kernel]
    n_tables = (len(parts[0][2]) - per_line) // 2
    tables: list[dict[bytes, int]] = [{} for _ in range(n_tables)]
    reps: list[tuple[list[int], list[int]]] = [([], []) for _ in range(n_tables)]
    remaps: list[list[np.ndarray | None]] = [[] for _ in range(n_tables)]
    for off, (_s, _e, found, _f, _c, _i) in zip(at, parts, strict=True):
        for t in range(n_tables):
            seen, (rs, rn) = tables[t], reps[t]
            local = []
            for s, n in zip(
                (found[per_line + 2 * t] + off).tolist(),
                found[per_line + 2 * t + 1].tolist(),
                strict=True,
            ):
                key = bytes(raw[s : s + n])
                gid = seen.get(key)
                if gid is None:
                    gid = seen[key] = len(rs)
                    rs.append(s)
                    rn.append(n)
                local.append(gid)
            if len(rs) > MAX_IDS:
                return None
            # None: the ids stay as they are (always so in the first part, whose strings
            # are numbered first, and often in the others): no gather over its lines.
            same = local == list(range(len(local)))
            remaps[t].append(None if same else np.asarray([*local, -1], dtype=np.int32))
    found_out: list[np.ndarray] = []
    for j in range(per_line):
        cols = [p[2][j] for p in parts]
        table = ids_of.get(j)
        if table is not None:  # id -1 (none) indexes the -1 at the end of the remap
            cols = [
                c if (remap := remaps[table][i]) is None else remap[c] for i, c in enumerate(cols)
            ]
        found_out.append(np.concatenate(cols))
    for rs, rn in reps:
        found_out += [np.asarray(rs, dtype=np.int64), np.asarray(rn, dtype=np.int64)]

    starts = np.concatenate([p[0] for p in parts])
    ends = np.concatenate([p[1] for p in parts])
    a = parts[0][0].size
    for p, off in zip(parts[1:], at[1:], strict=True):  # offsets within the piece, in place
        b = a + p[0].size
        starts[a:b] += off
        ends[a:b] += off
        a = b
    return (
        starts,
        ends,
        tuple(found_out),
        _joined([p[3] for p in parts]),
        _joined([p[4] for p in parts]),
        functools.reduce(operator.or_, (p[5] for p in parts), 0),
    )


def _joined(cols: list[np.ndarray | None]) -> np.ndarray | None:
    import numpy as np

    return None if any(c is None for c in cols) else np.concatenate(cast("list[np.ndarray]", cols))


def scan(
    raw: Raw,
    first: bool,
    ask: Ask,
    cuts: Sequence[int] | None = None,
    *,
    utf8: bool = True,
) -> tuple[pl.DataFrame, Piece] | None:
    """The line frame of the piece ``raw`` (``first``: the file's first piece)
    as :func:`hbtriage.sources._lines.line_frame` makes it, and what the kernel ``ask.kernel``
    found in it; None when the core does not work here.

    ``ask.sparse``: the ``text`` of a line is there only when some step reads it: lines the
    kernel did not convert (the reader's general path, continuation lines), lines the
    prefilter (``ask.literals``) lets through or cannot decide, and the first line of the
    records those continue; every other line's text is null (the reader reads its typed
    fields from the kernel). Else every line's text is there, as polars splits the bytes.

    The kernels run on parts of the piece at once, one per usable core (see
    :func:`scan_parts`; ``cuts``: where to cut instead, for tests).

    None also when polars' splitter may split the bytes otherwise than the text decoded
    (see :func:`hbtriage.sources._lines._splittable`): a 0x1F byte, a UTF-8 BOM at the start
    of a piece that is not the file's first, a byte above 127 in a piece that is not UTF-8
    (``utf8``: the file's encoding is UTF-8; else an ASCII-compatible code page) or is not
    valid UTF-8. The split finds the first two in the same pass as the lines (the rare piece
    that has them was scanned for nothing)."""
    import numpy as np
    import polars as pl

    from hbtriage.sources._lines import read_lines
    from hbtriage.sources._scan_native import HIGH_BYTE, UNIT_SEPARATOR

    k = kernels()
    if k is None or (not first and raw[:3] == codecs.BOM_UTF8):
        return None
    buf = np.frombuffer(raw, dtype=np.uint8)
    starts, ends, found, flags, cls, info = scan_parts(raw, first, ask, cuts)
    if info & UNIT_SEPARATOR:
        return None
    if info & HIGH_BYTE:
        if not utf8:
            return None
        try:
            codecs.utf_8_decode(raw, "strict", True)
        except UnicodeDecodeError:
            return None
    n = int(starts.size)
    text: pl.Series | None
    if n == 0:
        text = pl.Series("text", [], dtype=pl.Utf8)
        cls = None
    elif ask.sparse and cls is not None:
        hit = cast("np.ndarray", found[0])
        # Text for: lines that may start a record (the general path reads them) and every
        # line of the stretch between two converted lines that holds one, or a line the
        # prefilter lets through or cannot decide (its record's message is joined).
        seed = cls == 1
        if flags is not None:
            seed |= flags > 0
        if not hit.any():
            want = np.ones(n, dtype=bool)
        elif seed.any():
            stretch = np.cumsum(hit != 0)
            marked = np.zeros(int(stretch[-1]) + 1, dtype=bool)
            marked[stretch[seed]] = True
            want = marked[stretch]
        else:
            want = np.zeros(n, dtype=bool)
        want[0] = True
        text = _wanted_text(k, buf, starts, ends, want)
    else:
        cls = None
        text = read_lines(raw if isinstance(raw, bytes) else raw.tobytes())
        text = None if text is None else text.fill_null("")
    if text is None or text.len() != n:
        return None
    frame = pl.DataFrame(
        [
            pl.Series("line", np.arange(1, n + 1, dtype=np.int64)),
            text.alias("text"),
            pl.Series("_len", (ends - starts).astype(np.uint32)),
        ]
    )
    return frame, Piece(raw, starts, ends, found, flags, cls)


def _wanted_text(
    k: Kernels, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, want: np.ndarray
) -> pl.Series | None:
    """The text of the lines ``want`` marks, null on the others (and on empty lines), as
    polars splits them; None when it cannot (invalid UTF-8). When few lines are wanted only
    theirs are split and put in place, else every line is (the others empty)."""
    import numpy as np
    import polars as pl

    from hbtriage.sources._lines import filled, read_lines

    rows = np.flatnonzero(want)
    if rows.size * 4 >= want.size:
        # After an empty first line: a line starting with a BOM stays as it is.
        text = read_lines(b"\n" + k.gather(buf, starts, ends, want).tobytes())
        return None if text is None else text.slice(1)
    # Few lines: split by Python's str.split (polars' CSV parser costs a millisecond however
    # few they are). The CSV parser splits at LF only and drops one CR before it, which the
    # gather put back where the line itself ends with one; an empty line is null.
    rows = rows[ends[rows] > starts[rows]]
    out = filled("text", None, pl.Utf8(), want.size)
    if rows.size == 0:
        return out
    every = np.ones(rows.size, dtype=bool)
    try:
        joined = k.gather(buf, starts[rows], ends[rows], every).tobytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
    some = pl.Series("text", joined[:-1].split("\n"), pl.Utf8)
    if "\r" in joined:
        some = some.str.strip_suffix("\r")
    return out.scatter(rows, some)


def setup(kernel: str, kind: str, size: int, options: ReadOptions) -> tuple[Scanner | None, bool]:
    """What a reader of ``kind`` whose usual layouts kernel ``kernel`` converts hands to
    :class:`hbtriage.sources._lines.Pieces` for a file of ``size`` bytes (None: no core), and
    whether its pieces are sparse (then the reader leaves the records' digests out: they need
    every line's text).

    Sparse when the reader slims messages line by line (``lean``), the prefilter's words are
    ASCII (searched in the bytes here) and ``options.defer_digests``."""
    if not (options.fast_paths and use_for(size, options)):
        return None, False
    keep = options.keep_of(kind)
    lean = options.lean and keep is not None and (keep.lines is not None or keep.full is None)
    table = literal_table(keep.literals) if lean and keep is not None else None
    sparse = table is not None and options.defer_digests

    ask = Ask(kernel, table, sparse)

    def scanner(raw: Raw, first: bool, utf8: bool) -> tuple[pl.DataFrame, object] | None:
        return scan(raw, first, ask, utf8=utf8)

    return scanner, sparse


def keep_flags(piece: Piece | None) -> pl.Series | None:
    """The prefilter's verdict per line of ``piece`` (0 no, 1 yes, 2 ask the regex)."""
    import polars as pl

    return None if piece is None or piece.flags is None else pl.Series("_pf", piece.flags)


def found(
    walk: Pieces, lines: pl.DataFrame, heads: Callable[[Piece, pl.DataFrame], Heads]
) -> tuple[Piece | None, Heads | None]:
    """What the core found in the piece ``walk`` has just given as ``lines`` (None: the piece
    was split by polars), and the heads (``split_heads``'s ``pre``) ``heads`` makes of it."""
    piece = cast("Piece | None", walk.seen)
    return piece, heads(piece, lines) if piece is not None else None


def assembly(piece: Piece | None, sparse: bool, kind: str, options: ReadOptions) -> dict[str, Any]:
    """The arguments of :func:`hbtriage.sources._lines.assemble_heads` for one piece (None:
    split by polars) of a file of reader ``kind``: the ``lean`` assembly, the prefilter's
    flags and the line classes the core found, and whether the records get their digests
    here (not for a reader whose pieces are sparse)."""
    return {
        "lean": True,
        "kind": kind,
        "options": options,
        "flags": keep_flags(piece),
        "classes": line_classes(piece),
        "digest": not sparse,
    }


def line_classes(piece: Piece | None) -> pl.Series | None:
    """What each line of a sparse ``piece`` can be (see ``_scan_kernels.classes``)."""
    import polars as pl

    return None if piece is None or piece.classes is None else pl.Series("_cls", piece.classes)


def _strings(raw: Raw, rep_s: np.ndarray, rep_n: np.ndarray) -> list[str | None]:
    """The interned strings (printable ASCII, checked by the kernel) of one table."""
    return [
        str(raw[s : s + n], "ascii") for s, n in zip(rep_s.tolist(), rep_n.tolist(), strict=True)
    ]


def _cat(values: list[str | None], ids: np.ndarray, name: str) -> pl.Series:
    """A categorical column: ``values[id]`` per row (id -1: null)."""
    return _cats({name: values}, ids)[0]


def _cats(columns: dict[str, list[str | None]], ids: np.ndarray) -> list[pl.Series]:
    """:func:`_cat` of several columns picked by the same ``ids`` (the parts of one interned
    string), in one gather."""
    import polars as pl

    table = [
        pl.Series(name, [*values, None], dtype=pl.Categorical()) for name, values in columns.items()
    ]
    return _pick_rows(pl.DataFrame(table), ids).get_columns()


def _pick(table: pl.Series, ids: np.ndarray) -> pl.Series:
    """``table[id]`` per row, where ``table`` ends with a null and id -1 stands for it."""
    return _pick_rows(table.to_frame(), ids).to_series()


def _pick_rows(table: pl.DataFrame, ids: np.ndarray) -> pl.DataFrame:
    """:func:`_pick` of each column of ``table``. The usual column holds one value on every
    row (a log's node, its zone): that value repeated, with no gather."""
    import numpy as np
    import polars as pl

    last = table.height - 1
    if ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if lo == hi:
            at = lo if lo >= 0 else last
            return pl.DataFrame([c.new_from_index(at, ids.size) for c in table.get_columns()])
    # -1 wraps to the largest unsigned value, which the minimum turns into the null's row.
    return table[np.minimum(ids.astype(np.uint32), np.uint32(last))]


def _hit_rows(hit: np.ndarray) -> np.ndarray | slice:
    """The rows of a piece's lines the kernel converted (``hit``), to index its per-line
    outputs with: every row (a slice, so the outputs are taken as they are, not gathered: a
    dumplog's pieces are most often lines of the usual layout only), else their places."""
    import numpy as np

    rows = np.flatnonzero(hit)
    return slice(None) if rows.size == hit.size else rows


def _line_at(lines: pl.DataFrame, rows: np.ndarray | slice) -> pl.Series:
    """The ``line`` numbers of ``rows`` of a piece's line frame."""
    import polars as pl

    if isinstance(rows, slice):
        return lines["line"].alias("line")
    return pl.Series("line", lines["line"].to_numpy()[rows])


def dumplog_heads(piece: Piece, lines: pl.DataFrame) -> Heads:
    """For :func:`hbtriage.sources._lines.split_heads`: which rows of ``lines`` (the piece
    ``raw`` split into lines) are dumplog records of the usual layout, and their typed columns
    (``line``, ``_hlen``, ``_tod_ns``, ``severity``, ``component``, ``node``), as
    :func:`hbtriage.sources.icm_dumplog._fast_typed` makes them. None: the piece takes the
    polars path."""
    import numpy as np
    import polars as pl

    raw = piece.raw
    hit, tod, hlen, tok, trace, rep_s, rep_n = cast("tuple[np.ndarray, ...]", piece.found)
    rows = _hit_rows(hit)
    tokens = [str(t).rsplit("-", 1) for t in _strings(raw, rep_s, rep_n)]
    ids = tok[rows]
    quick = pl.DataFrame(
        [
            _line_at(lines, rows),
            pl.Series("_hlen", hlen[rows].astype(np.uint32)),
            pl.Series("_tod_ns", tod[rows]),
            _cat(["trace"], np.where(trace[rows] > 0, 0, -1), "severity"),
            *_cats({"component": [t[1] for t in tokens], "node": [t[0] for t in tokens]}, ids),
        ]
    )
    return pl.Series("hit", hit.astype(bool)), quick


def cvp_heads(piece: Piece, lines: pl.DataFrame) -> Heads:
    """:func:`dumplog_heads` for CVP logs: the typed columns ``line``, ``_hlen``, ``ts_local``,
    ``offset_min``, ``_zone``, ``severity``, ``component``, ``mnem``, ``node`` of the lines of
    either usual layout, as :func:`hbtriage.sources.cvp_log._typed_at` makes them."""
    import numpy as np
    import polars as pl

    raw = piece.raw
    hit, ts, hlen, zone, hdr, node, zrs, zrn, hrs, hrn, nrs, nrn = cast(
        "tuple[np.ndarray, ...]", piece.found
    )
    rows = _hit_rows(hit)
    zones = [str(z) for z in _strings(raw, zrs, zrn)]
    headers = [str(h).split("-", 2) for h in _strings(raw, hrs, hrn)]
    minutes = [(-1 if z[0] == "-" else 1) * (int(z[1:3]) * 60 + int(z[3:5])) for z in zones]
    zid = zone[rows]
    hid = hdr[rows]
    quick = pl.DataFrame(
        [
            _line_at(lines, rows),
            pl.Series("_hlen", hlen[rows].astype(np.uint32)),
            pl.Series("ts_local", ts[rows].view("datetime64[ns]")),
            pl.Series("offset_min", np.asarray(minutes, dtype=np.int32)[zid]),
            _cat(list[str | None](zones), zid, "_zone"),
            *_cats(
                {
                    "severity": [h[1] for h in headers],
                    "component": [h[0] for h in headers],
                    "mnem": [h[2] for h in headers],
                },
                hid,
            ),
            _cat(_strings(raw, nrs, nrn), node[rows], "node"),
        ]
    )
    return pl.Series("hit", hit.astype(bool)), quick


def ciscolog_heads(piece: Piece, lines: pl.DataFrame) -> Heads:
    """:func:`dumplog_heads` for Cisco Log files: the typed columns ``line``, ``_hlen``,
    ``ts_local``, ``offset_min``, ``severity`` (the ``[sev=]`` tag, else the header's digit),
    ``component`` (a non-empty ``[pname=]`` tag, else the app name), ``node``, ``seq`` and
    ``zone`` of the lines of the usual layout, as :func:`hbtriage.sources.ciscolog._convert`
    makes them."""
    import numpy as np
    import polars as pl

    raw = piece.raw
    hit, ts, hlen, seq, zone, hdr, node, pname, sevt, *tables = cast(
        "tuple[np.ndarray, ...]", piece.found
    )
    zones, headers, nodes, pnames, sevs = (
        _strings(raw, tables[2 * t], tables[2 * t + 1]) for t in range(5)
    )
    rows = _hit_rows(hit)
    parts = [str(h).split("-", 2) for h in headers]
    apps = [h[0] for h in parts]
    digits = [h[1] if len(h) == 3 else None for h in parts]
    pid, hid, sid = pname[rows], hdr[rows], sevt[rows]
    # One table for each column: the tag's values, then the header's.
    named = np.asarray([bool(v) for v in pnames] + [False], dtype=bool)[pid]
    comp = np.where(named, pid, len(pnames) + hid)
    sev = np.where(sid >= 0, sid, len(sevs) + hid)
    minutes = [_minutes(str(z)) for z in zones]
    zid = zone[rows]
    quick = pl.DataFrame(
        [
            _line_at(lines, rows),
            pl.Series("_hlen", hlen[rows].astype(np.uint32)),
            pl.Series("ts_local", ts[rows].view("datetime64[ns]")),
            pl.Series("offset_min", [*minutes, None], dtype=pl.Int32).gather(
                pl.Series(np.where(zid < 0, len(zones), zid).astype(np.uint32))
            ),
            _cat([*sevs, *digits], sev, "severity"),
            _cat([*pnames, *apps], comp, "component"),
            _cat(nodes, node[rows], "node"),
            pl.Series("seq", seq[rows]).cast(pl.Utf8),
            pl.Series("zone", [*zones, None], dtype=pl.Utf8).gather(
                pl.Series(np.where(zid < 0, len(zones), zid).astype(np.uint32))
            ),
        ]
    )
    return pl.Series("hit", hit.astype(bool)), quick


def _minutes(zone: str) -> int | None:
    """:func:`hbtriage.sources._lines.offset_minutes` of a zone the CiscoLog kernel took."""
    if zone[0] in "+-":
        return (-1 if zone[0] == "-" else 1) * (int(zone[1:3]) * 60 + int(zone[-2:]))
    return 0 if zone in ("UTC", "GMT", "UT") else None


def _exported() -> bool:
    """:func:`_export`, any failure a no."""
    try:
        return _export()
    except Exception:  # noqa: BLE001 - numba or llvmlite missing or failing: no core
        return False


def warm() -> bool:
    """Compile the kernels (or load them from the cache); whether the core works here."""
    return kernels(compile_now=True) is not None


def main(argv: list[str] | None = None) -> int:
    """``--warm``: compile the kernels into the cache and the package's modules to bytecode
    (the Makefile's install step: where ``PYTHONDONTWRITEBYTECODE`` is set or the install is
    not writable at run time, every run would otherwise compile ~0.1 s of source)."""
    import compileall

    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--compile":
        # Started by a run that found the kernels uncompiled (:func:`_compile_later`): compile
        # them into the cache at a low priority, then remove the file that said so. Exit 0
        # when the kernels work here (nobody waits for it: for the tests and a user's look).
        try:
            with suppress(OSError):
                os.nice(10)
            ok = _exported()
        finally:
            with suppress(OSError):
                os.remove(args[1])
        return 0 if ok else 1
    if args == ["--export"]:  # :func:`_compile_now`'s process
        return 0 if _exported() else 1
    if len(args) == 3 and args[0] == "--export-part":  # :func:`_export`'s children
        _export_part(int(args[1]), args[2])
        return 0
    if args != ["--warm"]:
        print("usage: _scan.main(['--warm'])", file=sys.stderr)
        return 2
    compileall.compile_dir(Path(__file__).resolve().parents[1], quiet=1)
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
