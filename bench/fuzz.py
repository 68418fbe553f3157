"""Mutation fuzzing of every reader, seeded with the test fixtures (real and hand-written files).

    python bench/fuzz.py --minutes 10 [--large-paths]

Each round takes a fixture, mutates it (byte flips, cut lines, duplicated/shuffled lines, random
insertions, truncation, encoding changes, huge lines), writes it to a temporary file and calls
every reader's ``sniff`` and ``read`` directly. Anything but ``InputError`` is a crash: it is
printed with the reproducer saved under bench/out/fuzz-crashes/. Prints a table per reader.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from hbtriage.errors import InputError
from hbtriage.sources import READERS
from hbtriage.sources.base import InputFile
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seed-bytes", type=int, default=300_000)
    ap.add_argument(
        "--large-paths",
        action="store_true",
        help="treat every input as a large file: decoding streams, pieces and blocks of a few "
        "KiB (the paths a multi-GB bundle takes)",
    )
    args = ap.parse_args()
    from hbtriage.sources.options import ReadOptions

    options = (
        ReadOptions(
            stream_min_bytes=64, chunk_bytes=4096, block_bytes=4096, stream_block_bytes=1024
        )
        if args.large_paths
        else ReadOptions()
    )
    rng = random.Random(args.seed)
    seeds = [
        p.read_bytes()[: args.max_seed_bytes]
        for p in sorted(FIXTURES.rglob("*"))
        if p.is_file() and p.stat().st_size < 3_000_000
    ]
    crash_dir = ROOT / "bench" / "out" / "fuzz-crashes"
    runs: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    deadline = time.monotonic() + args.minutes * 60
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
            for reader in READERS:
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
    for reader in READERS:
        k = reader.kind
        print(f"{k:18} {runs[k]:8d} {accepted[k]:8d} {refused[k]:8d} {crashes[k]:8d}")
    return 1 if sum(crashes.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
