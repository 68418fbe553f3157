"""Mutation fuzzing of every reader, and of archive extraction, seeded with the test fixtures.

    python bench/fuzz.py --minutes 10 [--large-paths]          # the readers
    python bench/fuzz.py --minutes 10 --target archives        # zips, tars, nested, through collect()
    python bench/fuzz.py --minutes 10 --target all             # half the time each
    python bench/fuzz.py --minutes 2 --fixtures irq            # readers, seeded from one folder

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
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import lzma
import os
import random
import shutil
import signal
import stat
import sys
import tarfile
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from pathlib import Path

from hbtriage.catalog import load_catalog
from hbtriage.errors import InputError
from hbtriage.sources import readers_for
from hbtriage.sources.base import InputFile
from hbtriage.sources.bundle import Limits, collect
from hbtriage.sources.encoding import decode, detect_encoding

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


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
    crash_dir = ROOT / "bench" / "out" / "fuzz-crashes"
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
    crash_dir = ROOT / "bench" / "out" / "fuzz-crashes"
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seed-bytes", type=int, default=300_000)
    ap.add_argument(
        "--target",
        choices=["readers", "archives", "all"],
        default="readers",
        help="what to fuzz: every reader, archive extraction (collect), or both (half the time "
        "each)",
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
    args = ap.parse_args()
    if args.target == "readers":
        return fuzz_readers(args, args.minutes)
    if args.target == "archives":
        return fuzz_archives(args, args.minutes)
    code = fuzz_readers(args, args.minutes / 2)
    return fuzz_archives(args, args.minutes / 2) or code


if __name__ == "__main__":
    raise SystemExit(main())
