"""Mutation fuzzing of every reader, of archive extraction, of the command line, and of detection
and diagnosis on records no reader gave as such; seeded with the test fixtures and simulated bundles.

    python bench/fuzz.py --minutes 10 [--large-paths]          # the readers
    python bench/fuzz.py --minutes 10 --target archives        # zips, tars, nested, through collect()
    python bench/fuzz.py --minutes 10 --target cli             # whole command lines
    python bench/fuzz.py --minutes 10 --target detect          # the stages after reading
    python bench/fuzz.py --minutes 10 --target all             # a quarter of the time each
    python bench/fuzz.py --minutes 2 --fixtures irq            # readers, seeded from one folder
    python bench/fuzz.py --replay bench/out/fuzz-crashes/cli-001.json   # (or a detect-*.pkl)

Readers: each round takes a fixture, mutates it (byte flips, cut lines, duplicated/shuffled lines,
random insertions, truncation, encoding changes, huge lines), writes it to a temporary file and
calls every reader's ``sniff`` and ``read`` directly. Anything but ``InputError`` is a crash: it
is printed with the reproducer saved under bench/out/fuzz-crashes/. Prints a table per reader.

Archives: each round builds a zip (stored, deflate, bzip2, lzma), a tar (plain, gz, bz2, xz;
ustar, GNU, pax) or a single .gz/.bz2/.xz holding fixtures, zeros (bombs), hostile names (``..``,
absolute, drive letters, 4 KiB paths, 300-byte names, control characters, duplicates, a file and
a folder of one name), links, devices and FIFOs, and archives inside archives (up to 6 levels);
then often mutates it, aware of the structure (zip local/central header fields, tar header fields
with the checksum made right again) or not (flips, cuts, splices). ``collect()`` runs on it with
small caps. A crash is any exception, a hang (30 s) or a broken promise: a file written outside
the work folder or a link in it, the user's file changed, more written than the ratio allows,
a work folder that cannot be removed.

Command line: each round draws a subcommand and builds its argv from the options the CLI has now
(read from the typer app, so a new option is fuzzed too; :data:`_CLI_KINDS` says what each takes):
values a user would pass, hostile text (control characters, bidi overrides, undecodable bytes as
Python shows them, 100,000 characters, numbers negative, huge, not finite), and paths to odd
things made in the round's folder (a file, a folder, read-only, missing, a FIFO, links dangling,
looping, to a file; names over 255 bytes, 200 levels deep, with control characters); damaged
findings.json and charts.json documents; then mutates it (options repeated, unknown, of another
subcommand; values dropped or replaced; ``--opt=value``, ``--``, ``--help``; order shuffled).
Inputs are a tiny bundle of fixtures, the reference case, a zip, one log. Rounds run in this
process with typer's ``standalone_mode=False`` through ``cli.main`` as tests/test_cli_contract.py
does (the round's folder as working directory, its own TMPDIR); ``watch``, ``fleet``, a round
naming a FIFO or a device, and one round in twenty run as ``python -m hbtriage`` in a process of
their own, stopped by SIGTERM after their time (a run that SIGTERM does not end in 15 s is
killed). The promises: exit code 0, 2 or 128+n (the CLI has no exit code for "incident found");
on a non-zero exit exactly one line on stderr (progress lines of ``--progress`` and watch's own
lines aside), never "Traceback" nor main()'s "(please report this)"; nothing written outside the
round's folder (values of ``--out``/``--write-profiles`` are kept inside it: writing where a user
asked is no broken promise); TMPDIR empty afterwards; the input files unchanged (hashed every
round); no hang, except a run reading a FIFO it was named (it waits for a writer, as ``cat`` does:
``hbtriage report <(...)`` relies on it), which SIGTERM must still end with exit code 143. Never
fuzzed: ``watch`` without a ``--duration`` (it runs until stopped: a short one is always last on
its command line), endless devices such as /dev/zero (reading one is as endless as ``cat``'s),
absolute paths other than the session's (``analyze /`` reads the whole disk, as asked),
``fleet --workers`` beyond 2 (a Dask cluster of as many processes as asked), and input files
whose names are not UTF-8 (shown with \\x escapes since InputFile makes every name printable;
tests/test_fuzz_found.py covers them; ``--out`` names that are not UTF-8 are fuzzed). A round in
this process that takes over its time ends the fuzzing (exit 3) with its reproducer saved
(cli-hang.json) and every thread's traceback printed.

Detection: the seed bundles (the reference case, the fixtures' tiny bundle, a site of one PG and
three Call Servers, six simulated scenarios) are read once; each round copies what the readers
gave and mutates it: records shuffled, duplicated, cut to 0-2 rows, time backwards, huge gaps,
one time for all, the years 1678 and 2261, offsets up to +-99:99, values NaN, infinite, huge,
negative, null, names repeated or hostile, one or two samples per counter series; files dropped
or read twice, one host only, a host per file, hosts of one name, zones and configuration facts
no file holds. Then ``api.run`` (its reading stage given those results): timeline, detectors,
clock alignment and zone inference, diagnosis; the findings as JSON (no NaN, reading back to the
same document) and the charts' data. ``HbtriageError`` is a refusal; any other exception is a
crash (saved as a pickle for ``--replay``), and so is a round over 180 s (the reproducer saved,
every thread's traceback printed, the fuzzer ends).
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import dataclasses
import faulthandler
import gzip
import hashlib
import io
import json
import lzma
import math
import os
import pickle
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from hbtriage.catalog import load_catalog
from hbtriage.errors import HbtriageError, InputError
from hbtriage.sources import readers_for
from hbtriage.sources.base import ConfigFact, InputFile
from hbtriage.sources.bundle import Limits, collect
from hbtriage.sources.encoding import decode, detect_encoding

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REFERENCE = ROOT / "src" / "hbtriage" / "simulate" / "reference"
CRASH_DIR = ROOT / "bench" / "out" / "fuzz-crashes"


def mutate(data: bytes, rng: random.Random) -> bytes:
    ops = rng.randint(1, 4)
    for _ in range(ops):
        op = rng.randrange(9)
        if not data:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
            continue
        if op == 0:  # flip bytes
            b = bytearray(data)
            for _ in range(rng.randint(1, 20)):
                b[rng.randrange(len(b))] = rng.getrandbits(8)
            data = bytes(b)
        elif op == 1:  # truncate
            data = data[: rng.randrange(len(data))]
        elif op in (2, 3):  # line surgery
            lines = data.split(b"\n")
            i = rng.randrange(len(lines))
            choice = rng.randrange(4)
            if choice == 0:
                del lines[i]
            elif choice == 1:
                lines.insert(i, lines[rng.randrange(len(lines))])
            elif choice == 2:
                rng.shuffle(lines)
            else:
                lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
            data = b"\n".join(lines)
        elif op == 4:  # random insertion
            pos = rng.randrange(len(data))
            junk = rng.choice(
                [
                    b"\x00" * 50,
                    b'","',
                    b"\t",
                    b"\r\n",
                    b"-0500: %CVP_8_5_X-9-Y: ",
                    b"99:99:99:999 a-b ",
                    b"Events from February 30, 2013\n",
                    b"(PDH-CSV 4.0) (",
                    "\u00e9\u65e5".encode(),
                    b"<script>alert(1)</script>",
                    bytes(rng.getrandbits(8) for _ in range(30)),
                ]
            )
            data = data[:pos] + junk + data[pos:]
        elif op == 5:  # re-encode
            enc = rng.choice(["utf-16", "utf-16-be", "cp932", "utf-8-sig", "latin-1"])
            text = decode(data, detect_encoding(data[:65536]))
            data = text.encode(enc, errors="replace")
        elif op == 6:  # a huge line
            pos = rng.randrange(len(data))
            data = data[:pos] + b"A" * rng.choice([70_000, 1_000_000]) + data[pos:]
        elif op == 7:  # duplicate a block
            a = rng.randrange(len(data))
            data = data + data[a : a + rng.randint(1, 4096)]
        else:  # swap digits (nonsense timestamps)
            b = bytearray(data)
            for _ in range(rng.randint(1, 30)):
                i = rng.randrange(len(b))
                if 48 <= b[i] <= 57:
                    b[i] = 48 + rng.randrange(10)
            data = bytes(b)
    return data


def _seeds(args: argparse.Namespace) -> list[bytes]:
    """The fixture files the readers' fuzzing starts from (``--fixtures``: only those folders,
    e.g. ``irq`` for the Linux IRQ/softirq layouts)."""
    roots = [FIXTURES / f for f in args.fixtures] if args.fixtures else [FIXTURES]
    return [
        p.read_bytes()[: args.max_seed_bytes]
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.stat().st_size < 3_000_000
    ]


def fuzz_readers(args: argparse.Namespace, minutes: float) -> int:
    from hbtriage.sources.options import ReadOptions

    options = (
        ReadOptions(
            stream_min_bytes=64, chunk_bytes=4096, block_bytes=4096, stream_block_bytes=1024
        )
        if args.large_paths
        else ReadOptions()
    )
    rng = random.Random(args.seed)
    seeds = _seeds(args)
    crash_dir = CRASH_DIR
    runs: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    # Every reader a run can use: the built-in ones and the catalog's declared formats.
    readers = readers_for(load_catalog().formats)
    deadline = time.monotonic() + minutes * 60
    start = time.monotonic()
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        while time.monotonic() < deadline:
            data = mutate(rng.choice(seeds), rng)
            path.write_bytes(data)
            head = data[:65536]
            enc = detect_encoding(head)
            text = decode(head, enc).lstrip("\ufeff")
            item = InputFile(display="fuzz-input", path=str(path), folder_hints=[], size=len(data))
            n += 1
            for reader in readers:
                runs[reader.kind] += 1
                try:
                    reader.sniff(text, "input.log")
                    res = reader.read(item, enc, options)
                    accepted[reader.kind] += 1
                    assert res.kind, "result without a kind"
                except InputError:
                    refused[reader.kind] += 1
                except Exception:  # noqa: BLE001 - this is what we hunt
                    crashes[reader.kind] += 1
                    crash_dir.mkdir(parents=True, exist_ok=True)
                    out = crash_dir / f"{reader.kind}-{crashes[reader.kind]:03d}.bin"
                    out.write_bytes(data)
                    if crashes[reader.kind] <= 3:
                        print(f"CRASH in {reader.kind} (saved {out}):", file=sys.stderr)
                        traceback.print_exc()
    elapsed = time.monotonic() - start
    print(f"fuzzed {n} mutated inputs in {elapsed:.0f} s ({len(seeds)} seed files)")
    print(f"{'reader':18} {'calls':>8} {'parsed':>8} {'refused':>8} {'crashes':>8}")
    for reader in readers:
        k = reader.kind
        print(f"{k:18} {runs[k]:8d} {accepted[k]:8d} {refused[k]:8d} {crashes[k]:8d}")
    return 1 if sum(crashes.values()) else 0


# --- archives ---------------------------------------------------------------------------------

#: Caps small enough that bombs stay quick; the promises checked are the same at any size.
ARCHIVE_LIMITS = Limits(
    entry_bytes=16 * 1024**2,
    total_bytes=96 * 1024**2,
    keep_free_bytes=256 * 1024**2,
    files=3000,
    ratio_free_bytes=1024**2,
    depth=4,
    tar_header_bytes=1024**2,
)
_HOSTILE_NAMES = [
    "../escape.log",
    "a/../../escape.log",
    "/tmp/abs.log",
    "C:/Windows/evil.log",
    "C:\\Windows\\evil.log",
    "..\\..\\win.log",
    "a/" * 2100 + "long.log",
    "n" * 300 + ".log",
    "x",
    "x/y.log",
    "dup.log",
    "dup.log",
    "CVP1\x1b[2J\x1b]0;t\x07\nWarnings\n.log",
    "\u202egol.exe",
    "",
    ".",
    "./",
    "a//b.log",
    "é/日本語.log",
    "nul\x00.log",
    "PG1A/",
]
_NORMAL_NAMES = ["CVP1/CVP.2013-03-30.log", "PG1A/pim1.txt", "PG1A/PG1A_perfmon.csv", "a.log"]


def _member_name(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(_HOSTILE_NAMES)
    name = rng.choice(_NORMAL_NAMES)
    if rng.random() < 0.3:
        name = f"d{rng.randrange(5)}/" + name
    return name


def _payload(rng: random.Random, seeds: list[bytes], depth: int) -> tuple[str, bytes]:
    """A member: (kind, bytes); kinds are file, zeros (a bomb), or an archive one level down."""
    roll = rng.random()
    if roll < 0.12:
        return "zeros", bytes(rng.choice([1, 3, 6]) * 1024**2)
    if roll < 0.27 and depth < 6:
        kind, data, _ = _archive(rng, seeds, depth + 1)
        return f"nested {kind}", data
    return "file", rng.choice(seeds)[: rng.choice([100, 5000, 300_000])]


def _zip_bytes(rng: random.Random, seeds: list[bytes], depth: int) -> bytes:
    buf = io.BytesIO()
    method = rng.choice(
        [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile's "Duplicate name"
        with zipfile.ZipFile(buf, "w", compression=method) as zf:
            for _ in range(rng.randint(1, 8)):
                name = _member_name(rng).replace("\x00", "")
                info = zipfile.ZipInfo(name or "empty")
                info.compress_type = method
                roll = rng.random()
                if roll < 0.05:
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    zf.writestr(info, "../../../etc/passwd")
                    continue
                if roll < 0.08:
                    zf.writestr(info.filename.rstrip("/") + "/", b"")  # a folder entry
                    continue
                _, data = _payload(rng, seeds, depth)
                zf.writestr(info, data)
    return buf.getvalue()


def _tar_bytes(rng: random.Random, seeds: list[bytes], depth: int, compression: str) -> bytes:
    buf = io.BytesIO()
    fmt = rng.choice([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
    mode = "w" if compression == "" else f"w:{compression}"
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as tf:  # type: ignore[call-overload]
        for _ in range(rng.randint(1, 8)):
            info = tarfile.TarInfo(_member_name(rng).replace("\x00", "") or "empty")
            roll = rng.random()
            try:
                if roll < 0.12:
                    info.type = rng.choice(
                        [
                            tarfile.SYMTYPE,
                            tarfile.LNKTYPE,
                            tarfile.CHRTYPE,
                            tarfile.FIFOTYPE,
                            tarfile.BLKTYPE,
                            tarfile.DIRTYPE,
                        ]
                    )
                    info.linkname = rng.choice(["/etc", "../..", "x", "CVP1"])
                    tf.addfile(info)
                    continue
                _, data = _payload(rng, seeds, depth)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            except ValueError:  # a name the chosen format cannot hold
                continue
    return buf.getvalue()


_COMPRESS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


def _archive(rng: random.Random, seeds: list[bytes], depth: int = 0) -> tuple[str, bytes, str]:
    """(kind, bytes, file name) of a freshly built archive."""
    roll = rng.random()
    if roll < 0.4:
        return "zip", _zip_bytes(rng, seeds, depth), rng.choice(["case.zip", "case.ZIP", "x"])
    if roll < 0.85:
        comp = rng.choice(["", "gz", "bz2", "xz"])
        names = {"": "case.tar", "gz": "case.tgz", "bz2": "case.tar.bz2", "xz": "case.tar.xz"}
        name = rng.choice([names[comp], "logs.gz" if comp == "gz" else "case.tar", "noext"])
        return f"tar{'.' + comp if comp else ''}", _tar_bytes(rng, seeds, depth, comp), name
    comp = rng.choice(list(_COMPRESS))
    _, inner = _payload(rng, seeds, depth)
    return comp, _COMPRESS[comp](inner), f"CVP.log.{comp}"


def _set(b: bytearray, at: int, size: int, value: int) -> None:
    if at >= 0 and at + size <= len(b):
        b[at : at + size] = (value % (1 << (8 * size))).to_bytes(size, "little")


_EXTREMES = [0, 1, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 20, 1 << 31]


def _mutate_zip(b: bytearray, rng: random.Random) -> None:
    """Corrupt a field of a local or a central header, or of the end record."""
    sig = rng.choice([b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"])
    spots: list[int] = []
    at = b.find(sig)
    while at >= 0 and len(spots) < 50:
        spots.append(at)
        at = b.find(sig, at + 1)
    if not spots:
        return
    pos = rng.choice(spots)
    fields = {  # offset, size
        b"PK\x03\x04": [(6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)],
        b"PK\x01\x02": [
            (8, 2),
            (10, 2),
            (16, 4),
            (20, 4),
            (24, 4),
            (28, 2),
            (30, 2),
            (38, 4),
            (42, 4),
        ],
        b"PK\x05\x06": [(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)],
    }[sig]
    at, size = rng.choice(fields)
    _set(b, pos + at, size, rng.choice([*_EXTREMES, rng.getrandbits(8 * size)]))


def _mutate_tar(b: bytearray, rng: random.Random) -> None:
    """Corrupt a field of a tar header and make its checksum right again, so it gets read."""
    headers = [i for i in range(0, len(b) - 511, 512) if b[i + 257 : i + 262] == b"ustar"][:50]
    if not headers:
        return
    h = rng.choice(headers)
    field = rng.choice([(0, 100), (124, 12), (156, 1), (157, 100), (345, 155)])
    at, size = field
    if size == 12:
        value = rng.choice(
            [
                b"%011o\0" % rng.choice([0, 1, 511, 10**9, 8**11 - 1]),
                b"\x80" + bytes(10) + b"\x01",
                os.urandom(12),
            ]
        )
    elif size == 1:
        value = rng.choice(
            [
                b"0",
                b"1",
                b"2",
                b"3",
                b"4",
                b"5",
                b"6",
                b"7",
                b"L",
                b"K",
                b"x",
                b"g",
                b"S",
                os.urandom(1),
            ]
        )
    else:
        value = rng.choice([b"../../x", b"/abs", b"a" * size, os.urandom(size), b"x\x00y"])
    b[h + at : h + at + size] = value[:size].ljust(size, b"\0")
    b[h + 148 : h + 156] = b" " * 8
    b[h + 148 : h + 156] = b"%06o\0 " % sum(b[h : h + 512])


def _mutate_archive(data: bytes, kind: str, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not b:
            break
        op = rng.randrange(7)
        if op == 0 and kind == "zip":
            _mutate_zip(b, rng)
        elif op == 0 and kind == "tar":
            _mutate_tar(b, rng)
        elif op == 1:  # flip bytes
            for _ in range(rng.randint(1, 10)):
                b[rng.randrange(len(b))] = rng.getrandbits(8)
        elif op == 2:  # cut
            del b[rng.randrange(len(b)) :]
        elif op == 3:  # splice a block elsewhere
            a = rng.randrange(len(b))
            block = b[a : a + rng.randint(1, 2048)]
            at = rng.randrange(len(b))
            b[at:at] = block
        elif op == 4:  # junk appended or prepended
            junk = os.urandom(rng.randint(1, 600))
            b = bytearray(junk) + b if rng.random() < 0.3 else b + junk
        elif op == 5:  # a 4-byte field somewhere set to an extreme
            _set(b, rng.randrange(len(b)), 4, rng.choice(_EXTREMES))
        else:  # zeros over a block
            at = rng.randrange(len(b))
            n = min(len(b) - at, rng.randint(1, 512))
            b[at : at + n] = bytes(n)
    return bytes(b)


class _Hang(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise _Hang("collect() took over 30 s")


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _broken_promises(got: object, user: Path, name: str, data: bytes, work: Path) -> list[str]:
    """What collect() promised and did not keep, for one archive the user handed over."""
    problems = []
    if _tree(user) != {name} or (user / name).read_bytes() != data:
        problems.append("the user's folder or file changed")
    for p in work.rglob("*"):
        if p.is_symlink():
            problems.append(f"a link in the work folder: {p}")
        elif not p.resolve().is_relative_to(work.resolve()):
            problems.append(f"outside the work folder: {p}")
    for f in got.files:  # type: ignore[attr-defined]
        where = Path(f.path).resolve()
        if where != (user / name).resolve() and not where.is_relative_to(work.resolve()):
            problems.append(f"an input outside the work folder: {f.path}")
    limits = ARCHIVE_LIMITS
    bound = max(limits.ratio_free_bytes, limits.ratio * len(data))
    if got.written_bytes > bound:  # type: ignore[attr-defined]
        problems.append(f"wrote {got.written_bytes:,} bytes, over {bound:,}")  # type: ignore[attr-defined]
    return problems


def fuzz_archives(args: argparse.Namespace, minutes: float) -> int:
    rng = random.Random(args.seed)
    seeds = [
        p.read_bytes()[: args.max_seed_bytes]
        for p in sorted(FIXTURES.rglob("*"))
        if p.is_file() and p.stat().st_size < 3_000_000
    ]
    crash_dir = CRASH_DIR
    kinds: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    slowest = (0.0, "")
    slowest_case = ("", b"")
    most_warnings = 0
    most_written = 0
    deadline = time.monotonic() + minutes * 60
    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        while time.monotonic() < deadline:
            kind, data, name = _archive(rng, seeds)
            family = "zip" if kind == "zip" else "tar" if kind.startswith("tar") else "compressed"
            if rng.random() < 0.6:
                data = _mutate_archive(data, family, rng)
                counts["mutated"] += 1
            kinds[kind] += 1
            counts["cases"] += 1
            with tempfile.TemporaryDirectory(prefix="hbtriage-fuzz-") as tmp:
                user = Path(tmp) / "user"
                user.mkdir()
                (user / name).write_bytes(data)
                work = Path(tmp) / "work"
                t0 = time.monotonic()
                problem = ""
                try:
                    signal.setitimer(signal.ITIMER_REAL, 30)
                    try:
                        got = collect([user / name], work, limits=ARCHIVE_LIMITS)
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                    broken = _broken_promises(got, user, name, data, work)
                    try:  # what was extracted must be removable (rmtree recurses per level)
                        if work.exists():  # (no archive, no work folder)
                            shutil.rmtree(work)
                    except (OSError, RecursionError) as exc:
                        broken.append(f"the work folder cannot be removed: {exc!r:.200}")
                    if broken:
                        problem = "; ".join(broken[:3])
                        counts["broken promises"] += 1
                except _Hang:
                    problem = "hang"
                    counts["hangs"] += 1
                except Exception:  # noqa: BLE001 - this is what we hunt
                    problem = traceback.format_exc()
                    counts["crashes"] += 1
                took = time.monotonic() - t0
                if problem:
                    crash_dir.mkdir(parents=True, exist_ok=True)
                    n = counts["crashes"] + counts["hangs"] + counts["broken promises"]
                    out = crash_dir / f"archive-{n:03d}-{name}"
                    out.write_bytes(data)
                    if n <= 5:
                        print(f"PROBLEM with a {kind} (saved {out}):\n{problem}", file=sys.stderr)
                    continue
                if took > slowest[0]:
                    slowest = (took, kind)
                    slowest_case = (name, data)
                counts["files"] += sum(1 for f in got.files if "!" in f.display)
                counts["warnings"] += len(got.warnings)
                counts["bytes written"] += got.written_bytes
                most_warnings = max(most_warnings, len(got.warnings))
                most_written = max(most_written, got.written_bytes)
                if any("decompression bomb" in w for w in got.warnings):
                    counts["bombs stopped"] += 1
    finally:
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - start
    print(
        f"fuzzed {counts['cases']:,} archives in {elapsed:.0f} s through collect() "
        f"({counts['mutated']:,} mutated, {len(seeds)} seed files)"
    )
    print("  " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())))
    print(
        f"  files extracted {counts['files']:,}, warnings {counts['warnings']:,} (at most "
        f"{most_warnings} for one archive), bombs stopped {counts['bombs stopped']:,}, bytes "
        f"written {counts['bytes written']:,} (at most {most_written:,} for one archive), "
        f"slowest {slowest[0]:.2f} s ({slowest[1]})"
    )
    if slowest_case[0]:  # to look at what took longest
        keep = ROOT / "bench" / "out" / f"fuzz-slowest-{slowest_case[0]}"
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_bytes(slowest_case[1])
        print(f"  slowest case saved as {keep}")
    bad = counts["crashes"] + counts["hangs"] + counts["broken promises"]
    print(
        f"  crashes {counts['crashes']}, hangs {counts['hangs']}, "
        f"broken promises {counts['broken promises']}"
    )
    return 1 if bad else 0


# --- shared by the command line and detection targets -----------------------------------------


@contextmanager
def _watchdog(seconds: float, on_hang: Callable[[], None]) -> Iterator[None]:
    """Calls ``on_hang`` and ends the process (exit 3) when the block takes over ``seconds``:
    a hang inside polars or a thread pool cannot be interrupted from Python, so the reproducer
    is saved and the tracebacks of every thread printed before the fuzzer gives up."""
    done = threading.Event()

    def watch() -> None:
        if done.wait(seconds):
            return
        try:  # (the round's sys.stderr may be a StringIO: the process's own stderr)
            on_hang()
            faulthandler.dump_traceback(file=2, all_threads=True)
        finally:
            os._exit(3)

    threading.Thread(target=watch, name="fuzz-watchdog", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def _tiny_bundle(folder: Path) -> Path:
    """A bundle of test fixtures, 30 KB: CVP1's two CVP logs, PG1A's PIM log and a perfmon
    file (of another day)."""
    for name, files in {
        "CVP1": sorted((FIXTURES / "cvp_log").glob("*.log")),
        "PG1A": [
            FIXTURES / "icm_dumplog" / "pim1.txt",
            FIXTURES / "perfmon" / "pg1a_est_instances.csv",
        ],
    }.items():
        (folder / name).mkdir(parents=True)
        for f in files:
            shutil.copy(f, folder / name / f.name)
    return folder


def _save_problem(name: str, data: bytes, problem: str, shown: int) -> Path:
    """The reproducer under bench/out/fuzz-crashes/, and the problem told for the first few."""
    CRASH_DIR.mkdir(parents=True, exist_ok=True)
    out = CRASH_DIR / name
    out.write_bytes(data)
    if shown <= 5:
        print(f"PROBLEM (saved {out}):\n{problem}", file=sys.__stderr__)
    return out


def _table(title: str, rows: Counter[str], columns: dict[str, Counter[str]]) -> None:
    """One line per key of ``rows``: its count and its count in each of ``columns``."""
    print(f"  {title:18} {'runs':>7} " + " ".join(f"{c:>9}" for c in columns))
    for key in sorted(rows):
        print(
            f"  {key:18} {rows[key]:7d} " + " ".join(f"{col[key]:9d}" for col in columns.values())
        )


# --- the command line -------------------------------------------------------------------------

#: Values no option expects: what a user, a script or a paste gone wrong may pass.
_HOSTILE_TEXT = [
    "",
    " ",
    "-",
    "--",
    "--out",
    "-x",
    "=",
    "==",
    "a=b=c",
    ",",
    ",,,",
    "\t",
    "\r\n",
    "line\nbreak",
    "\x1b[2J\x1b]0;title\x07",
    "\x7f\x85\x9b",
    "\u202egol.exe",
    "\u2028",
    "\u200b",
    "e\u0301",
    "日本語",
    "😀",
    "\udcff\udcfe",  # undecodable bytes, as Python shows them in sys.argv
    "-1",
    "0",
    "1e309",
    "nan",
    "inf",
    "-inf",
    "9" * 400,
    "٣",
    "0x10",
    "1_000",
    "A" * 100_000,
    "é" * 30_000,
    "a/" * 300,
    "n" * 300,
    "%s%n",
    "{}",
    "${HOME}",
    "$(id)",
    "~",
    "..",
    ".",
]

_RANGES = [(0x20, 0x7E), (0x01, 0x1F), (0x80, 0x9F), (0xA0, 0x2FFF), (0xE000, 0xFFFD)]


def _text(rng: random.Random) -> str:
    """A hostile value: one of the list, or random characters (no NUL, which argv cannot hold)."""
    if rng.random() < 0.6:
        return rng.choice(_HOSTILE_TEXT)
    ranges = [*_RANGES, (0x3000, 0xD7FF), (0x10000, 0x10FFFF)]
    text = "".join(
        chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.choice([1, 3, 12, 200]))
    )
    return "." + text if text.startswith("/") else text  # ("analyze /" reads the whole disk)


#: Things a path option may name, made in the round's folder before the run.
_THINGS = [
    "dir",
    "file",
    "fifo",
    "link-dir",
    "link-file",
    "link-dangling",
    "link-loop",
    "ro-dir",
    "under-file",
    "missing",
    "long-name",
    "deep",
    "hostile-name",
]
#: Options that write where their value says: the value must stay inside the round's folder.
_WRITES = ("--out", "--write-profiles")


class _CliWorld:
    """The folders of a CLI fuzzing session below ``root``: ``inputs`` (read only, hashed after
    every round), ``tmp`` (the runs' TMPDIR, empty after every round) and ``run`` (the round's
    folder and working directory, made afresh each round)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inputs = root / "inputs"
        self.tmp = root / "tmp"
        self.run = root / "run"
        self.made: list[tuple[str, str]] = []  # (name, kind) of the round's things
        self.fifo = False  # the round names a FIFO (see _cli_problems)

    def build(self) -> None:
        """The inputs: a tiny bundle, one log, the reference case, a zip, a findings.json
        written by analyze, damaged findings documents, site catalogs, watch keys."""
        shutil.rmtree(self.inputs, ignore_errors=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        tiny = _tiny_bundle(self.inputs / "tiny")
        shutil.copy(FIXTURES / "cvp_log" / "CVP.2013-03-30.log", self.inputs / "one.log")
        shutil.copytree(REFERENCE, self.inputs / "reference")
        with zipfile.ZipFile(self.inputs / "case.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(tiny.rglob("*")):
                zf.write(f, f.relative_to(tiny))
        shutil.copytree(tiny, self.inputs / "fleet" / "b1")
        self.run.mkdir(exist_ok=True)
        found = self.inputs / "findings"
        args = ["analyze", str(tiny), "--out", str(found), "--format", "html", "--format", "md"]
        code, _, err = _cli_in_process([*args, "--quiet"], self)
        if code != 0:
            raise SystemExit(f"analyze of the tiny bundle failed: {err}")
        text = (found / "findings.json").read_text(encoding="utf-8")
        for n, bad in enumerate(_bad_findings(text)):
            (self.inputs / "bad" / str(n)).mkdir(parents=True)
            (self.inputs / "bad" / str(n) / "findings.json").write_bytes(bad)
        charts = (found / "charts.json").read_bytes()
        for n, bad in enumerate(  # damaged charts.json beside a good findings.json
            [
                b"[[[",
                b"[" * 100_000 + b"]" * 100_000,
                charts.replace(b":0.", b":1e999"),
                charts[: len(charts) // 2],
                b'{"x": [1, 2, {}]}',
                b"[]",
                charts.replace(b'"', b"'", 1),
            ]
        ):
            (self.inputs / "charts" / str(n)).mkdir(parents=True)
            shutil.copy(found / "findings.json", self.inputs / "charts" / str(n))
            (self.inputs / "charts" / str(n) / "charts.json").write_bytes(bad)
        (self.inputs / "charts" / "dir" / "charts.json").mkdir(parents=True)
        shutil.copy(found / "findings.json", self.inputs / "charts" / "dir")
        site = self.inputs / "site"
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        for m in re.finditer(r"<!-- example: site/(\S+) -->\n```toml\n(.*?)```", readme, re.S):
            (site / m[1]).parent.mkdir(parents=True, exist_ok=True)
            (site / m[1]).write_text(m[2], encoding="utf-8")
        junk = self.inputs / "junk-site" / "signatures"
        junk.mkdir(parents=True)
        (junk / "x.toml").write_text('[[signature]]\nid = 1\npattern = "(["\n', encoding="utf-8")
        (self.inputs / "watch.key").write_text(os.urandom(24).hex(), encoding="utf-8")
        (self.inputs / "watch.key").chmod(0o600)
        (self.inputs / "short.key").write_text("abc", encoding="utf-8")
        self.digest = _digest_tree(self.inputs)

    def thing(self, rng: random.Random, kinds: Sequence[str] = _THINGS) -> str:
        kind = rng.choice(kinds)
        name = f"t{len(self.made)}-{kind}"
        self.made.append((name, kind))
        _make_thing(self.run, name, kind)
        if kind == "under-file":
            return f"{name}/sub"
        if kind == "deep":
            return name + "/d" * 200
        if kind == "long-name":
            return "n" * 300
        if kind == "hostile-name":
            return _HOSTILE_FILE_NAME
        return name


_HOSTILE_FILE_NAME = "CVP\x1b[2J\nWarnings\u202e.log"


def _make_thing(run: Path, name: str, kind: str) -> None:
    """Make what ``kind`` says as ``run/name`` (also used to replay a saved round)."""
    at = run / name
    if kind.startswith("copy:"):  # of a folder of the inputs (beside the round's folder)
        shutil.copytree(run.parent / "inputs" / kind.removeprefix("copy:"), at)
    elif kind in ("dir", "ro-dir"):
        at.mkdir()
        (at / "CVP.2013-03-30.log").write_bytes(
            (FIXTURES / "cvp_log" / "CVP.2013-03-30.log").read_bytes()
        )
        if kind == "ro-dir":
            at.chmod(0o555)
    elif kind in ("file", "under-file"):
        at.write_bytes(b"not a bundle\n")
    elif kind == "fifo":
        os.mkfifo(at)
    elif kind == "link-dir":
        (run / f"{name}.target").mkdir()
        at.symlink_to(f"{name}.target")
    elif kind == "link-file":
        (run / f"{name}.target").write_bytes(b"x\n")
        at.symlink_to(f"{name}.target")
    elif kind == "link-dangling":
        at.symlink_to(f"{name}.nowhere")
    elif kind == "link-loop":
        at.symlink_to(f"{name}.other")
        (run / f"{name}.other").symlink_to(name)
    elif kind == "hostile-name":
        with contextlib.suppress(FileExistsError):
            shutil.copy(FIXTURES / "cvp_log" / "CVP.2013-03-30.log", run / _HOSTILE_FILE_NAME)


def _bad_findings(text: str) -> list[bytes]:
    """Documents ``report`` must refuse in one line (or render): damaged copies of a real
    findings.json and JSON that is valid but of another shape."""
    doc = json.loads(text)
    variants: list[object] = [
        {**doc, "schema": "hbtriage/findings@9"},
        {"schema": "hbtriage/findings@1"},
        {**doc, "incidents": [1, "x", None, []]},
        {**doc, "incidents": [{**i, "signals": "x"} for i in doc["incidents"]]},
        {**doc, "incidents": [{**i, "start": "not a time"} for i in doc["incidents"]]},
        {**doc, "incidents": [{**i, "signals_omitted": {}} for i in doc["incidents"]]},
        {**doc, "hosts": [{"name": 1}]},
        {**doc, "hosts": {"a": 1}},
        {**doc, "warnings": None},
        {**doc, "inputs": "abc"},
        {**doc, "schema": ["hbtriage/findings@1"]},
        [],
        None,
        "hbtriage/findings@1",
        1e308,
    ]
    out = [json.dumps(v).encode() for v in variants]
    raw = text.encode()
    out += [
        raw[: len(raw) // 2],
        raw.replace(b'"Z"', b'"\xff"'),
        raw.replace(b"2013-", b"99999-"),
        raw.replace(b": 0.", b": 1e999"),
        re.sub(
            rb'("(?:utc_offset_min|signals_omitted|records)": )-?[0-9]+',
            rb"\g<1>9" + b"9" * 30,
            raw,
        ),
        b'{"schema": "hbtriage/findings@1", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"\xff\xfe" + text.encode("utf-16-le"),
        b"",
    ]
    return out


def _digest_tree(folder: Path) -> str:
    """One digest of the names, kinds, modes and bytes of everything under ``folder``."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        h.update(f"{p.relative_to(folder)}\0{st.st_mode:o}\0".encode("utf-8", "surrogateescape"))
        if stat.S_ISREG(st.st_mode):
            h.update(p.read_bytes())
    return h.hexdigest()


def _value(kind: str, rng: random.Random, world: _CliWorld) -> str:
    """A value for an option or argument of ``kind`` (see :data:`_CLI_KINDS`): mostly one a
    user would pass, else hostile text or a path to something odd."""
    roll = rng.random()
    if roll < 0.06:
        return _text(rng)
    if kind in ("input", "root", "findings", "catalog", "keyfile") and roll < 0.3:
        if rng.random() < 0.05:  # (no endless device: reading one is as endless as cat's)
            return "/dev/null"
        return world.thing(rng)
    if kind in ("input", "root", "catalog", "keyfile") and roll < 0.4:
        return os.path.relpath(rng.choice(list(world.inputs.iterdir())), world.run)
    if kind == "findings":  # a copy in the round's folder: report writes beside it by default
        src = Path(rng.choice(_CHOICES["findings"](world)))
        folder = src if src.is_dir() else src.parent
        name = f"t{len(world.made)}-copy"
        world.made.append((name, f"copy:{folder.relative_to(world.inputs)}"))
        _make_thing(world.run, name, world.made[-1][1])
        return str(world.run / name / src.relative_to(folder))
    choices = _CHOICES.get(kind)
    if choices is not None:
        return rng.choice(choices(world)).replace("{port}", str(rng.randint(20000, 60999)))
    if kind == "out":
        return world.thing(rng) if roll < 0.5 else f"out{rng.randrange(3)}/x{rng.randrange(3)}"
    return _text(rng)


SCENARIO_NAMES = ["healthy", "dpc_storm_pg", "vm_stun_cvp", "two_incidents", "network_path"]

_CHOICES: dict[str, Callable[[_CliWorld], list[str]]] = {
    "input": lambda w: (
        [str(w.inputs / n) for n in ("tiny", "one.log", "case.zip", "tiny")]
        + [str(w.inputs / "reference"), str(w.inputs / "tiny" / "PG1A")]
    ),
    "root": lambda w: [str(w.inputs / "fleet")] * 4 + [str(w.inputs / "tiny")],
    "findings": lambda w: (
        [str(w.inputs / "findings"), str(w.inputs / "findings" / "findings.json")] * 3
        + [str(p) for p in sorted((w.inputs / "bad").iterdir())]
        + [str(p) for p in sorted((w.inputs / "charts").iterdir())]
    ),
    "catalog": lambda w: [str(w.inputs / "site"), str(w.inputs / "junk-site")],
    "keyfile": lambda w: [str(w.inputs / "watch.key"), str(w.inputs / "short.key")],
    "tz": lambda w: [
        "UTC",
        "Asia/Tokyo",
        "Central Standard Time",
        "Central Daylight Time",
        "UTC-05:00",
        "+09:00",
        "-0500",
        "PG1A=Asia/Tokyo",
        "CVP1=UTC-05:00",
        "pim1=Eastern Standard Time",
        "NOSUCH=UTC",
        "PG1A=",
        "=UTC",
        "PG1A=Mars/Olympus",
        "PG1A=UTC+99:99",
        "UTC+14:00",
        "UTC-12:00",
    ],
    "alias": lambda w: ["PG1A=CVP1", "pim1=PG1A", "a=b", "PG1A=PG1A", "=PG1A", "PG1A=", "x"],
    "format": lambda w: ["text", "json", "html", "md"] * 3 + ["HTML", "pdf"],
    "fleet-format": lambda w: ["html", "md"] * 3 + ["text", "json"],
    "lang": lambda w: ["en", "ja"] * 4 + ["EN", "de", "ja_JP"],
    "scenario": lambda w: [*SCENARIO_NAMES, "Healthy", "healthy ", "--list"],
    "int": lambda w: ["0", "1", "2", "-1", "7", "65536", "99999999999999999999", " 3", "3.0"],
    # (a huge count is taken at its word: a Dask cluster of that many processes, see fuzz_cli)
    "workers": lambda w: ["0", "1", "1", "2", "-1", "1.5", "x"],
    "float": lambda w: ["0", "0.001", "1", "30", "-1", "nan", "inf", "1e309", "1e-320", "0x1p-2"],
    "hosts": lambda w: ["PG1A,CVP1", "PG1A", ",,,", "a," * 2000, "CVP1,CVP1", " PG1A , CVP1 "],
    "listen": lambda w: (
        ["127.0.0.1:{port}"] * 4
        + ["[::1]:{port}", "127.0.0.1:0", ":0", "127.0.0.1:65536", "0.0.0.0", "256.1.1.1:5000"]
    ),
    "peer": lambda w: ["127.0.0.1:9", "192.0.2.1:5000", "[::1]:9", ":5000", "localhost:1", "x:y"],
    "interval": lambda w: ["1s", "200ms", "0.05", "10ms", "9ms", "61s", "0", "-1s", "1e3", "ms"],
    "port": lambda w: ["0", "0", "{port}", "65536", "-1", "80", "x"],
    "duration": lambda w: [*["0.2", "0.5", "1"] * 3, "0", "-1", "nan", "inf", "1e9", "1e-9", "x"],
    "scheduler": lambda w: ["", "", "", "tcp://127.0.0.1:1", "inproc://nowhere", "host:8786"],
}

#: What each parameter of the CLI takes (its option name, or its name for an argument); one
#: missing here is fuzzed with text, and named once when the fuzzing starts.
_CLI_KINDS = {
    "paths": "input",
    "roots": "root",
    "findings_json": "findings",
    "scenario": "scenario",
    "--tz": "tz",
    "--host-alias": "alias",
    "--out": "out",
    "--write-profiles": "out",
    "--format": "format",
    "fleet --format": "fleet-format",
    "--lang": "lang",
    "--catalog": "catalog",
    "--seed": "int",
    "--workers": "workers",
    "--metrics-port": "port",
    "--timeout": "float",
    "--duration": "duration",
    "--hosts": "hosts",
    "--listen": "listen",
    "--peer": "peer",
    "--interval": "interval",
    "--host": "text",
    "--key-file": "keyfile",
    "--scheduler": "scheduler",
}
#: How often each subcommand is drawn ("" stands for none); watch and fleet run in a process.
_CLI_WEIGHTS = {
    "analyze": 40,
    "report": 14,
    "plan": 10,
    "simulate": 8,
    "demo": 3,
    "watch": 4,
    "fleet": 3,
    "": 5,
}
#: Seconds a round may take: fleet starts a Dask cluster (5-10 s on a loaded machine).
_CLI_TIMEOUT = {"fleet": 240.0, "": 60.0}


def _commands() -> dict[str, Any]:
    """The click commands of the typer app: every option of every subcommand, as the CLI has
    them now (so an option added later is fuzzed without touching this file)."""
    import typer

    from hbtriage.cli import app

    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _param_kind(command: str, param: Any) -> str:
    key = param.opts[0] if param.param_type_name == "option" else param.name
    return _CLI_KINDS.get(f"{command} {key}", _CLI_KINDS.get(key, "text"))


def _cli_argv(rng: random.Random, world: _CliWorld, commands: dict[str, Any]) -> list[str]:
    """An argv for one round: a subcommand's arguments and options drawn from its parameters,
    then mutated (repeated, unknown and other subcommands' options, values dropped or replaced
    by hostile text, ``--opt=value``, ``--``, ``--help``, order shuffled)."""
    names = list(_CLI_WEIGHTS)
    command = rng.choices(names, weights=[_CLI_WEIGHTS[n] for n in names])[0]
    if not command:
        return rng.choice(
            [[], ["--help"], [_text(rng)], ["--nosuch"], ["ANALYZE"], ["analyse", "x"], ["-h"]]
        )
    argv: list[str] = []
    positional: list[str] = []
    for param in commands[command].params:
        kind = _param_kind(command, param)
        if param.param_type_name == "argument":
            if param.required or rng.random() < 0.7:
                count = rng.choice([1, 1, 1, 2, 3]) if param.nargs == -1 else 1
                positional += [_value(kind, rng, world) for _ in range(count)]
            continue
        option = param.opts[0]
        if getattr(param, "is_flag", False):
            if rng.random() < 0.3:
                argv.append(option)
            continue
        if rng.random() < (0.92 if param.required or option == "--out" else 0.4):
            for _ in range(rng.choice([1, 1, 2, 3]) if param.multiple else 1):
                argv += [option, _value(kind, rng, world)]
    at = rng.randrange(len(argv) // 2 + 1) * 2
    argv[at:at] = positional
    argv = [command, *argv]
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
        _mutate_argv(argv, rng, world, commands)
    _contain_writes(argv, world, rng)
    if command == "watch":  # always ends: the last --duration wins
        argv += ["--duration", rng.choice(_CHOICES["duration"](world))]
    return argv


def _mutate_argv(
    argv: list[str], rng: random.Random, world: _CliWorld, commands: dict[str, Any]
) -> None:
    op = rng.randrange(9)
    at = rng.randint(1, len(argv))
    if op == 0 and len(argv) > 2:  # an option repeated
        i = rng.randrange(1, len(argv) - 1)
        argv[at:at] = argv[i : i + 2]
    elif op == 1:  # an unknown option
        argv.insert(at, rng.choice(["--nosuch", "--Out", "-o", "--out-", "---out", "-", "--tz="]))
    elif op == 2:  # an option of another subcommand (or its own again)
        other = commands[rng.choice(list(commands))]
        options = [p for p in other.params if p.param_type_name == "option"]
        if options:
            p = rng.choice(options)
            value = [] if getattr(p, "is_flag", False) else [_value(_param_kind("", p), rng, world)]
            argv[at:at] = [p.opts[0], *value]
    elif op == 3 and len(argv) > 1:  # a value dropped: the option takes the next token
        del argv[rng.randrange(1, len(argv))]
    elif op == 4 and len(argv) > 1:  # a value replaced by hostile text
        argv[rng.randrange(1, len(argv))] = _text(rng)
    elif op == 5:  # --opt=value
        for i in range(1, len(argv) - 1):
            if argv[i].startswith("--") and not argv[i + 1].startswith("-"):
                argv[i : i + 2] = [f"{argv[i]}={argv[i + 1]}"]
                break
    elif op == 6:
        argv.insert(at, "--")
    elif op == 7:
        argv.insert(at, rng.choice(["--help", "-h", "--version"]))
    else:
        rest = argv[1:]
        rng.shuffle(rest)
        argv[1:] = rest


def _contain_writes(argv: list[str], world: _CliWorld, rng: random.Random) -> None:
    """Every value of a writing option (:data:`_WRITES`) points inside the round's folder: the
    CLI writing where a user asked it to is no broken promise, so the fuzzing never asks it to
    write anywhere else (the inputs, the fuzzer's folders, the system)."""
    run = world.run.resolve()
    for i, token in enumerate(argv):
        option, eq, value = token.partition("=")
        if option not in _WRITES or (not eq and i + 1 >= len(argv)):
            continue
        target = value if eq else argv[i + 1]
        try:
            inside = (world.run / target).resolve().is_relative_to(run)
        except RuntimeError:  # a loop of links: the fuzzer makes them in the round's folder
            inside = True
        except (OSError, ValueError):
            inside = False
        if not inside or target.startswith("/"):
            fresh = f"out{rng.randrange(3)}"
            if eq:
                argv[i] = f"{option}={fresh}"
            else:
                argv[i + 1] = fresh


def _blocks(argv: list[str], world: _CliWorld) -> str:
    """ "fifo" when a token names a FIFO, "device" when one names a device, else "": opening
    either may wait forever, so the round runs in a process of its own."""
    found = ""
    for token in argv:
        for part in {token, token.partition("=")[2]}:
            try:
                mode = (world.run / part).stat().st_mode if part else 0
            except (OSError, ValueError):
                continue
            if stat.S_ISFIFO(mode):
                return "fifo"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                found = "device"
    return found


def _cli_in_process(argv: list[str], world: _CliWorld) -> tuple[int, str, str]:
    """``hbtriage ARGV`` in this process, in the round's folder with its TMPDIR: exit code,
    stdout, stderr (as tests/test_cli_contract.py runs it)."""
    from hbtriage.cli import main as cli_main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv, sys.stdin, os.getcwd(), tempfile.tempdir
    sys.argv, sys.stdin = ["hbtriage", *argv], io.StringIO("")
    os.chdir(world.run)
    tempfile.tempdir = str(world.tmp)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli_main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
            except Exception:  # noqa: BLE001 - main() let it through: a broken promise
                err.write(traceback.format_exc())
                code = -1
    finally:
        sys.argv, sys.stdin = saved[0], saved[1]
        os.chdir(saved[2])
        tempfile.tempdir = saved[3]
    return code, out.getvalue(), err.getvalue()


def _cli_process(
    argv: list[str], world: _CliWorld, timeout: float
) -> tuple[int | None, str, str, str]:
    """``python -m hbtriage ARGV`` in a process of its own session: exit code, stdout, stderr
    and what ended it late: "" (it ended by itself), "SIGTERM" (after ``timeout`` seconds, as a
    user would stop it) or "SIGKILL" (SIGTERM did not end it in 15 s; code None)."""
    env = {**os.environ, "TMPDIR": str(world.tmp), "COLUMNS": "100"}
    env.pop("HBTRIAGE_WATCH_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hbtriage", *argv],
        cwd=world.run,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    late = ""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        late = "SIGTERM"
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            late = "SIGKILL"
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
    code = None if late == "SIGKILL" else proc.returncode
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), late


_PROGRESS_LINE = re.compile(r"hbtriage: +\d+\.\d+(?:s|秒) ")


def _cli_problems(
    argv: list[str], code: int | None, out: str, err: str, world: _CliWorld, late: str = ""
) -> list[str]:
    """The promises of the command line that one run broke. A run that had to be stopped
    (``late``) is a hang unless it names a FIFO (reading one waits for a writer, as ``cat``
    does: ``hbtriage report <(...)`` relies on it); SIGTERM must stop it either way."""
    problems = []
    if late == "SIGKILL":
        problems.append("hang, and SIGTERM did not stop it in 15 s")
    elif late and not world.fifo:
        problems.append("hang (stopped by SIGTERM)")
    if code is not None and code not in (0, 2) and not 128 < code < 192:
        problems.append(f"exit code {code}")
    if "Traceback" in err or "Traceback" in out:
        problems.append("a traceback: " + err[-600:])
    if "please report this" in err:
        problems.append("an unexpected exception: " + err.strip()[-400:])
    lines = [
        line
        for line in err.splitlines()
        if line.strip()
        and not ("--progress" in argv and _PROGRESS_LINE.match(line))
        and not (argv[:1] == ["watch"] and line.startswith("hbtriage watch: "))
    ]
    if code and code > 0 and len(lines) != 1 and (lines or argv):
        problems.append(f"{len(lines)} lines on stderr with exit code {code}: {err[-400:]!r}")
    extra = sorted(
        p.name for p in world.root.iterdir() if p not in (world.inputs, world.tmp, world.run)
    )
    if extra:
        problems.append(f"written outside the round's folder: {extra}")
    left = sorted(p.name for p in world.tmp.iterdir())
    if left and late != "SIGKILL":  # (SIGKILL leaves them, as the README says)
        problems.append(f"temporary files left behind: {left[:5]}")
    if _digest_tree(world.inputs) != world.digest:
        problems.append("the input files changed")
    return problems


def _clean_round(world: _CliWorld) -> None:
    """An empty round folder and TMPDIR, and nothing else in the session's root (read-only
    folders made writable so they can be removed)."""
    for top in (world.run, world.tmp):
        if top.exists():
            for p in top.rglob("*"):
                if p.is_dir() and not p.is_symlink():
                    p.chmod(0o755)
            try:
                shutil.rmtree(top)
            except (OSError, RecursionError):
                subprocess.run(["rm", "-rf", str(top)], check=False)
        top.mkdir()
    for p in world.root.iterdir():
        if p not in (world.inputs, world.tmp, world.run):
            subprocess.run(["rm", "-rf", str(p)], check=False)


def fuzz_cli(args: argparse.Namespace, minutes: float) -> int:
    """Whole command lines, in this process (a round naming a FIFO or a device, ``watch``,
    ``fleet`` and one round in twenty: as ``python -m hbtriage`` in a process of its own)."""
    rng = random.Random(args.seed)
    commands = _commands()
    unknown = {
        f"{c} {p.opts[0] if p.param_type_name == 'option' else p.name}"
        for c, cmd in commands.items()
        for p in cmd.params
        if _param_kind(c, p) == "text" and p.opts[0] != "--host" and not getattr(p, "is_flag", 0)
    }
    if unknown:
        print(f"  parameters without a kind here (fuzzed with text): {sorted(unknown)}")
    runs: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    in_process: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    errors: Counter[str] = Counter()  # the one line of the runs with exit code 2, shortened
    with tempfile.TemporaryDirectory(prefix="hbtriage-fuzz-cli-") as tmp:
        world = _CliWorld(Path(tmp))
        world.build()
        deadline = time.monotonic() + minutes * 60
        start = time.monotonic()
        while time.monotonic() < deadline:
            _clean_round(world)
            world.made = []
            argv = _cli_argv(rng, world, commands)
            command = argv[0] if argv and argv[0] in commands else ""
            blocks = _blocks(argv, world)
            world.fifo = blocks == "fifo"
            process = bool(blocks) or command in ("watch", "fleet")
            process = process or rng.random() < 0.05
            timeout = _CLI_TIMEOUT.get(command, _CLI_TIMEOUT[""])
            case = {"argv": argv, "made": world.made, "root": str(world.root), "process": process}
            runs[command or "(none)"] += 1

            def hung(case: dict[str, Any] = case) -> None:
                _save_problem("cli-hang.json", json.dumps(case).encode(), "hang in process", 1)

            late = ""
            if process:
                code, out, err, late = _cli_process(argv, world, 10.0 if world.fifo else timeout)
                if late:
                    codes[f"stopped by {late}"] += 1
            else:
                in_process[command or "(none)"] += 1
                with _watchdog(timeout, hung):
                    code, out, err = _cli_in_process(argv, world)
            codes[str(code)] += 1
            if code == 2:
                said = re.sub(r"'[^']*'|[0-9]+", "_", err.strip().rpartition("\n")[2])
                said = said.replace(str(world.root), "ROOT")
                errors[f"{command or '(none)'}: {said[:100]}"] += 1
            found = _cli_problems(argv, code, out, err, world, late)
            if found:
                problems[command or "(none)"] += 1
                case["problems"] = found
                n = sum(problems.values())
                _save_problem(
                    f"cli-{n:03d}.json",
                    json.dumps(case, indent=1).encode(),
                    f"argv {argv!r:.600}\n" + "\n".join(f"  {p:.800}" for p in found),
                    n,
                )
                if "the input files changed" in found:
                    world.build()
        _clean_round(world)
    elapsed = time.monotonic() - start
    total = sum(runs.values())
    print(
        f"fuzzed {total:,} command lines in {elapsed:.0f} s ({sum(in_process.values()):,} in process)"
    )
    _table("subcommand", runs, {"in-process": in_process, "problems": problems})
    print("  exit codes: " + ", ".join(f"{k} x{v:,}" for k, v in sorted(codes.items())))
    print("  most frequent refusals (exit code 2):")
    for said, n in errors.most_common(15):
        print(f"  {n:5d} x {said}")
    print(f"  problems {sum(problems.values())}")
    return 1 if problems else 0


def replay_cli(path: Path) -> int:
    """Run a saved command line again (its things made afresh, the inputs rebuilt)."""
    case = json.loads(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="hbtriage-fuzz-cli-") as tmp:
        world = _CliWorld(Path(tmp))
        world.build()
        _clean_round(world)
        for name, kind in case["made"]:
            _make_thing(world.run, name, kind)
        argv = [a.replace(case["root"], tmp) for a in case["argv"]]
        world.fifo = _blocks(argv, world) == "fifo"
        late = ""
        if case.get("process"):
            code, out, err, late = _cli_process(argv, world, 10.0 if world.fifo else 240.0)
        else:
            code, out, err = _cli_in_process(argv, world)
        found = _cli_problems(argv, code, out, err, world, late)
        print(f"exit {code}\n--- stdout (end)\n{out[-2000:]}\n--- stderr\n{err[-4000:]}")
        print("problems: " + ("; ".join(found) or "none"))
        if "please report this" in err:  # where it came from: the command without main()'s net
            _clean_round(world)
            for name, kind in case["made"]:
                _make_thing(world.run, name, kind)
            saved = os.getcwd()
            os.chdir(world.run)
            try:
                commands = _commands()
                commands[argv[0]](argv[1:], standalone_mode=False)
            except Exception:  # noqa: BLE001 - shown
                traceback.print_exc()
            finally:
                os.chdir(saved)
        _clean_round(world)
        return 1 if found else 0


# --- detection and diagnosis ------------------------------------------------------------------

#: Times a reader can give (any year a log line may carry that fits in nanoseconds).
_EXTREME_TIMES = [
    datetime(1678, 1, 1),
    datetime(2261, 12, 31, 23, 59, 59),
    datetime(1970, 1, 1),
    datetime(1969, 12, 31, 23, 59, 59, 999999),
    datetime(2000, 2, 29),
    datetime(2038, 1, 19, 3, 14, 8),
]
_GAPS = [timedelta(seconds=1), timedelta(hours=1), timedelta(days=3), timedelta(days=400)]
_GAPS += [timedelta(days=-3), timedelta(days=365 * 150), timedelta(days=-365 * 150)]
_ODD_VALUES = [math.nan, math.inf, -math.inf, 1e308, -1e308, -1.0, 0.0, 5e-324, 2.0**63, None]
_ODD_NAMES = ["", " ", "PG1A", "pg1a", "PG1A ", "CVP1", "192.0.2.16", "x" * 300, "\x1b[2J"]
_ODD_NAMES += ["日本", "PG1A.example.com", "_Total", "\n", "a\\b", "PG1A-pim1"]
_ODD_OFFSETS = [None, 0, 1, -1, 840, -720, 6039, -6039]  # +-99:99 is the most a line holds
_ZONE_TEXTS = [None, "Eastern Standard Time", "-0500", "+99:99", "garbage", "Tokyo Standard Time"]
_IANA = [None, "Asia/Tokyo", "America/New_York", "UTC", "Europe/Berlin"]


def _fresh(outcomes: Sequence[Any]) -> list[Any]:
    """Copies of ``outcomes`` the pipeline may consume (the timeline takes the readers' frames
    over and drops them) while the originals stay whole for a reproducer."""
    out = []
    for o in outcomes:
        res = o.result
        if res is not None:
            dpc = res.dpc and dataclasses.replace(
                res.dpc, modules=[dataclasses.replace(m) for m in res.dpc.modules]
            )
            res = dataclasses.replace(
                res,
                config=list(res.config),
                warnings=list(res.warnings),
                restarts=[dict(r) for r in res.restarts],
                dpc=dpc,
                extra=dict(res.extra),
            )
        item = dataclasses.replace(o.item, folder_hints=list(o.item.folder_hints))
        out.append(dataclasses.replace(o, item=item, result=res))
    return out


def _frames(res: Any) -> list[str]:
    """The names of the frames ``res`` holds: events, counters, dpc (the DPC/ISR rows)."""
    names = [n for n in ("events", "counters") if getattr(res, n) is not None]
    return names + (["dpc"] if res.dpc is not None and res.dpc.rows is not None else [])


def _get(res: Any, name: str) -> pl.DataFrame:
    return res.dpc.rows if name == "dpc" else getattr(res, name)


def _put(res: Any, name: str, df: pl.DataFrame) -> None:
    if name == "dpc":
        res.dpc = dataclasses.replace(res.dpc, rows=df)
    else:
        setattr(res, name, df)


def _some(df: pl.DataFrame, rng: random.Random) -> pl.Series:
    """A random choice of rows (a boolean mask): a few, about half, or all of them."""
    share = rng.choice([0.01, 0.5, 1.0])
    gen = np.random.default_rng(rng.getrandbits(32))
    return pl.Series(gen.random(df.height) < share)


def _set_where(df: pl.DataFrame, col: str, mask: pl.Series, value: object) -> pl.DataFrame:
    dtype = df.schema[col]
    lit = pl.lit(value, dtype=pl.Utf8 if isinstance(value, str) else None)
    return df.with_columns(pl.when(mask).then(lit).otherwise(pl.col(col)).cast(dtype).alias(col))


def _fits(times: pl.Series, gap: timedelta) -> bool:
    """True when ``times`` moved by ``gap`` stay where a reader's can be (years 1678 to 2261:
    what nanoseconds since 1970 hold), so the fuzzer's own sum cannot wrap around."""
    low, high = times.min(), times.max()
    if not isinstance(low, datetime) or not isinstance(high, datetime):
        return False
    return _EXTREME_TIMES[0] <= low + gap and high + gap <= _EXTREME_TIMES[1]


def _mutate_frame(df: pl.DataFrame, rng: random.Random) -> tuple[pl.DataFrame, str]:
    """One change to a reader's frame, in its own schema: rows shuffled, duplicated, cut, times
    backwards, far apart, all equal or at the ends of what fits in nanoseconds, values that are
    not finite, huge or negative, names that repeat or hold control characters."""
    ts = "ts_local"
    op = rng.randrange(12)
    if df.height == 0 or op == 0:
        return df.head(rng.choice([0, 0, 1, 2])), "rows cut to 0-2"
    if op == 1:
        return df.sample(fraction=1.0, shuffle=True, seed=rng.getrandbits(32)), "rows shuffled"
    if op == 2:
        n = rng.choice([df.height, 2 * df.height, 3])
        return df.sample(n=n, with_replacement=True, seed=rng.getrandbits(32)), "rows duplicated"
    if op == 3 and ts in df.columns:
        back = pl.col(ts).min() + (pl.col(ts).max() - pl.col(ts))
        return df.with_columns(back.alias(ts)), "time backwards"
    gap = rng.choice(_GAPS)
    if op == 4 and ts in df.columns and _fits(df[ts], gap):
        at = rng.randrange(df.height)
        moved = pl.when(pl.int_range(pl.len()) >= at).then(pl.col(ts) + gap).otherwise(pl.col(ts))
        return df.with_columns(moved.alias(ts)), "a huge gap"
    if op == 5 and ts in df.columns:
        return _set_where(df, ts, _some(df, rng), rng.choice(_EXTREME_TIMES)), "extreme times"
    if op == 6 and ts in df.columns:
        return df.with_columns(pl.col(ts).first().alias(ts)), "one time for all rows"
    if op == 7 and "offset_min" in df.columns:
        return _set_where(df, "offset_min", _some(df, rng), rng.choice(_ODD_OFFSETS)), "offsets"
    floats = [c for c, t in df.schema.items() if t in (pl.Float64, pl.Float32)]
    if op == 8 and floats:
        col = rng.choice(floats)
        return _set_where(df, col, _some(df, rng), rng.choice(_ODD_VALUES)), f"odd {col}"
    names = [c for c, t in df.schema.items() if t in (pl.Categorical, pl.Utf8, pl.String)]
    if op == 9 and names:
        col = rng.choice(names)
        value = rng.choice([*_ODD_NAMES, None])
        return _set_where(df, col, _some(df, rng), value), f"names in {col}"
    if op == 10 and {"host", "object", "instance", "counter"} <= set(df.columns):
        key = ["host", "object", "instance", "counter"]
        keep = rng.choice([1, 2])
        return df.group_by(key, maintain_order=True).head(keep), f"{keep} sample(s) per series"
    ints = [c for c, t in df.schema.items() if t in (pl.Int64, pl.Int32) and c != "offset_min"]
    if ints:
        col = rng.choice(ints)
        number = rng.choice([0, -1, 2**31 - 1, -(2**31), None])
        return _set_where(df, col, _some(df, rng), number), f"odd {col}"
    return df, "unchanged"


def _mutate_outcomes(outcomes: list[Any], rng: random.Random) -> list[str]:
    """Changes to what the readers gave, in place: records (see :func:`_mutate_frame`), files
    dropped or read twice, one host only, a host per file, hosts of one name, zones and
    configuration facts no file would hold. Returns what was done."""
    done = []
    for _ in range(rng.randint(1, 5)):
        results = [o.result for o in outcomes if o.result is not None]
        op = rng.randrange(10)
        if op < 4 and results:
            res = rng.choice(results)
            frames = _frames(res)
            if frames:
                name = rng.choice(frames)
                df, what = _mutate_frame(_get(res, name), rng)
                _put(res, name, df)
                done.append(f"{name}: {what}")
        elif op == 4 and outcomes:
            del outcomes[rng.randrange(len(outcomes))]
            if rng.random() < 0.3:
                del outcomes[: rng.randrange(len(outcomes) + 1)]
            done.append("files dropped")
        elif op == 5 and outcomes:
            twice = _fresh([rng.choice(outcomes)])[0]
            if rng.random() < 0.5:
                twice.item.display += ".1"
            outcomes.append(twice)
            done.append("a file read twice")
        elif op == 6 and results:
            host = rng.choice(results).host
            outcomes[:] = [o for o in outcomes if o.result is None or o.result.host == host]
            done.append("one host only")
        elif op == 7 and results:
            same = rng.random() < 0.5
            for i, res in enumerate(results):
                res.host = rng.choice(_ODD_NAMES) if same else f"H{i}"
                res.host_reason = "fuzz"
            for i, o in enumerate(outcomes):
                o.item.folder_hints = [] if same else [f"H{i}"]
            done.append("hosts of one name" if same else "a host per file")
        elif op == 8 and results:
            res = rng.choice(results)
            res.offset_min = rng.choice([o for o in _ODD_OFFSETS if o is None or abs(o) < 1440])
            res.zone, res.tz_iana = rng.choice(_ZONE_TEXTS), rng.choice(_IANA)
            done.append("zone")
        elif results:
            res = rng.choice(results)
            keys = [f.key for r in results for f in r.config] or ["os", "boot_time", "hotfix"]
            res.config.append(ConfigFact(rng.choice(keys), _text(rng), _text(rng)))
            for r in res.restarts:
                r["ts_local"] = rng.choice([*_EXTREME_TIMES, "not a time", ""])
            done.append("config facts and restarts")
    return done


def _read_bundle(path: Path, catalog: Any) -> tuple[list[Any], list[str]]:
    """What the readers give for a bundle (as api.run's first stage, message digests kept)."""
    from hbtriage.api import _read

    with tempfile.TemporaryDirectory(prefix="hbtriage-fuzz-") as work:
        got = collect([path], Path(work))
        options = catalog.read_options()
        return [o for f in got.files for o in _read(f, options)], list(got.warnings)


def _detect_seeds(
    rng: random.Random, folder: Path, catalog: Any, scenarios: int
) -> list[tuple[str, Any]]:
    """The bundles the detection fuzzing starts from, read: the reference case, a tiny bundle of
    fixtures, a site of one PG and three Call Servers, and ``scenarios`` simulated ones."""
    from hbtriage.fleet.sitegen import write_site
    from hbtriage.simulate import SCENARIOS, generate

    tiny = _tiny_bundle(folder / "tiny")
    write_site(folder / "site", pgs=1, cvps_per_pg=3, broken=((0, 1),), minutes=10, seed=1)
    bundles = [("reference", REFERENCE), ("tiny", tiny), ("site", folder / "site")]
    for name in rng.sample(SCENARIOS, scenarios):
        generate(name, folder / name, rng.randrange(100))
        bundles.append((name, folder / name))
    return [(name, _read_bundle(path, catalog)) for name, path in bundles]


class _Broken(Exception):
    """A promise the pipeline did not keep (no exception of its own)."""


def _diagnose_records(
    outcomes: list[Any], warnings: list[str], case: dict[str, Any], catalog: Any
) -> int:
    """The stages after reading (``api.run`` with its reading stage given ``outcomes``), the
    JSON of the findings (no NaN, read back to the same document) and the charts' data.
    Returns the number of incidents; raises what the pipeline raised, or :class:`_Broken`."""
    from hbtriage import api
    from hbtriage.findings import Findings
    from hbtriage.report.charts import chart_data

    real = api._read_all
    api._read_all = lambda *_a, **_k: (outcomes, list(warnings))  # type: ignore[assignment]
    try:
        analysis = api.run(
            ["(fuzzed records)"], tz=case["tz"], host_aliases=case["aliases"], catalog=catalog
        )
    finally:
        api._read_all = real  # type: ignore[assignment]
    doc = analysis.findings.to_dict()
    try:
        text = json.dumps(doc, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise _Broken(f"findings.json would not be JSON: {exc}") from None
    if Findings.from_dict(json.loads(text)).to_dict() != doc:
        raise _Broken("findings.json does not read back to the same findings")
    charts = chart_data(analysis.findings, analysis.timeline, ("en", "ja"), catalog)
    try:
        json.dumps(charts, allow_nan=False)
    except ValueError as exc:
        raise _Broken(f"charts.json would not be JSON: {exc}") from None
    return len(analysis.findings.incidents)


def _names_for_options(outcomes: list[Any], rng: random.Random) -> tuple[list[str], list[str]]:
    """``--tz`` and ``--host-alias`` values for a round: none mostly, else about its hosts."""
    hosts = [o.result.host for o in outcomes if o.result is not None and o.result.host] or ["X"]
    tz: list[str] = []
    aliases: list[str] = []
    if rng.random() < 0.2:
        tz = [rng.choice(["UTC", f"{rng.choice(hosts)}=Asia/Tokyo", "UTC-05:00", "NOSUCH=UTC"])]
    if rng.random() < 0.1:
        aliases = [f"{rng.choice(hosts)}={rng.choice(hosts)}"]
    return tz, aliases


def fuzz_detect(args: argparse.Namespace, minutes: float) -> int:
    """Detection and diagnosis on records no reader gave as such (see the module's docstring)."""
    rng = random.Random(args.seed)
    catalog = load_catalog()
    with tempfile.TemporaryDirectory(prefix="hbtriage-fuzz-seeds-") as folder:
        seeds = _detect_seeds(rng, Path(folder), catalog, 6 if minutes >= 1 else 1)
    runs: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    slowest = (0.0, "")
    deadline = time.monotonic() + minutes * 60
    start = time.monotonic()
    while time.monotonic() < deadline:
        name, (outcomes, notes) = rng.choice(seeds)
        mutated = _fresh(outcomes)
        ops = _mutate_outcomes(mutated, rng)
        tz, aliases = _names_for_options(mutated, rng)
        case = {"seed bundle": name, "ops": ops, "tz": tz, "aliases": aliases, "warnings": notes}
        runs[name] += 1
        t0 = time.monotonic()

        def hung(case: dict[str, Any] = case, mutated: list[Any] = mutated) -> None:
            blob = pickle.dumps({**case, "outcomes": mutated})
            _save_problem("detect-hang.pkl", blob, f"hang: {case}", 1)

        try:
            with _watchdog(180, hung):
                counts["incidents"] += _diagnose_records(_fresh(mutated), notes, case, catalog)
        except HbtriageError as exc:
            refused[name] += 1
            counts[f"refused: {re.sub(r'[0-9]+', 'N', str(exc))[:90]}"] += 1
        except Exception as exc:  # noqa: BLE001 - this is what we hunt
            crashes[name] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            counts[f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"] += 1
            n = sum(crashes.values())
            blob = pickle.dumps({**case, "outcomes": mutated})
            _save_problem(f"detect-{n:03d}.pkl", blob, f"{case}\n{traceback.format_exc()}", n)
        took = time.monotonic() - t0
        if took > slowest[0]:
            slowest = (took, f"{name}: {', '.join(ops)}")
    elapsed = time.monotonic() - start
    total = sum(runs.values())
    print(f"fuzzed {total:,} mutated readings in {elapsed:.0f} s through the stages after reading")
    _table("seed bundle", runs, {"refused": refused, "crashes": crashes})
    print(f"  incidents found {counts['incidents']:,}; slowest {slowest[0]:.2f} s ({slowest[1]})")
    for what, n in [(w, n) for w, n in counts.most_common() if w != "incidents"][:12]:
        print(f"  {n:5d} x {what}")
    print(f"  crashes {sum(crashes.values())}")
    return 1 if crashes else 0


def replay_detect(path: Path) -> int:
    """Run a saved detection case again and show what it raises."""
    case = pickle.loads(path.read_bytes())  # noqa: S301 - a file this fuzzer wrote
    print(f"seed bundle {case['seed bundle']}: {', '.join(case['ops'])}; tz {case['tz']}")
    try:
        n = _diagnose_records(case["outcomes"], case["warnings"], case, load_catalog())
    except HbtriageError as exc:
        print(f"refused, as it may: {exc}")
        return 0
    except Exception:  # noqa: BLE001 - shown, as the fuzzer saw it
        traceback.print_exc()
        return 1
    print(f"no crash ({n} incidents)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seed-bytes", type=int, default=300_000)
    ap.add_argument(
        "--target",
        choices=[*TARGETS, "all"],
        default="readers",
        help="what to fuzz: every reader, archive extraction (collect), the command line, "
        "detection and diagnosis on mutated records, or all four (a quarter of the time each)",
    )
    ap.add_argument(
        "--large-paths",
        action="store_true",
        help="treat every input as a large file: decoding streams, pieces and blocks of a few "
        "KiB (the paths a multi-GB bundle takes)",
    )
    ap.add_argument(
        "--fixtures",
        nargs="+",
        metavar="FOLDER",
        help="seed the readers' fuzzing from these folders of tests/fixtures only (e.g. irq)",
    )
    ap.add_argument(
        "--replay",
        type=Path,
        metavar="FILE",
        help="run a saved cli-*.json or detect-*.pkl case of bench/out/fuzz-crashes/ again",
    )
    args = ap.parse_args()
    if args.replay is not None:
        return (replay_cli if args.replay.suffix == ".json" else replay_detect)(args.replay)
    if args.target != "all":
        return TARGETS[args.target](args, args.minutes)
    codes = [target(args, args.minutes / len(TARGETS)) for target in TARGETS.values()]
    return max(codes)


TARGETS: dict[str, Callable[[argparse.Namespace, float], int]] = {
    "readers": fuzz_readers,
    "archives": fuzz_archives,
    "cli": fuzz_cli,
    "detect": fuzz_detect,
}


if __name__ == "__main__":
    raise SystemExit(main())
