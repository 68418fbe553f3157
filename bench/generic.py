"""The generic reader on large Linux syslog and ISO 8601 logs: polars path, compiled core, and
the reader before it moved onto typed heads, against ``cat`` + ``grep`` on the same bytes.

    python bench/generic.py [--mb 300] [--repeat 1] [--before REV]

Writes (once; reruns only measure) ``bench/out/generic/messages`` (RFC 3164 syslog) and
``bench/out/generic/app.log`` (ISO 8601), about ``--mb`` MB each, deterministic (seeded):
several hosts, programs and levels, a few continuation lines, some lines a catalog signature
matches. Then, page cache warm, per file:

* ``cat FILE | grep -c -i heartbeat`` (the "reading bytes" floor);
* the generic reader in a subprocess (the catalog's read options, digests deferred as
  ``analyze`` reads files that stay where they are) with the compiled core off
  (``HBTRIAGE_COMPILED=0``) and on (``=1``, kernels cached), and the reader of ``--before``
  (default: the commit before the move, ``git archive``'d under ``bench/out/``);

each: wall seconds and peak RSS (``os.wait4`` rusage of the child), the fastest of ``--repeat``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from scale import run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "generic"
#: The commit before the generic reader moved onto typed heads.
BEFORE = "dd7e0c2"

_HOSTS = ["pg1a", "pg1b", "cvp1", "cvp2", "192.0.2.17", "rtr-a"]
_PROGS = ["sshd[811]", "kernel", "CRON[4211]", "pim1[2231]", "systemd[1]", "ntpd[602]",
          "rsyslogd", "app v2.1.0", "sshd(pam_unix)[19939]", "su(pam_unix)[77]"]  # fmt: skip
_TEXTS = [
    "Accepted publickey for ops from 198.51.100.{n} port {p} ssh2",
    "pam_unix(cron:session): session opened for user root by (uid=0)",
    "e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
    "synchronized to 203.0.113.{n}, stratum 2",
    "Started Session {p} of user ops.",
    "call {p} routed to label 5551{n:03d}, queue time {n} ms",
    "worker {n} finished batch {p} in {n}.{n} s",
]
#: Lines a catalog signature matches (one in about 400).
_SIGNALS = [
    "VRU heartbeat timed out after 2 intervals",
    "TCP connection to VRU has been broken.",
    "Error receiving data from VRU.",
    "Transition to partial service",
]
_LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "[WARN]", "ERROR", "NOTICE"]


def _text(rng: random.Random) -> str:
    if rng.random() < 0.0025:
        return rng.choice(_SIGNALS)
    return rng.choice(_TEXTS).format(n=rng.randrange(256), p=rng.randrange(60000))


def _write(path: Path, size: int, line: object, seed: int) -> None:
    """Lines made by ``line(rng, time)`` until ``size`` bytes, then the file renamed in place
    (a file there is complete)."""
    if path.exists():
        return
    rng = random.Random(seed)
    t = datetime(2013, 3, 29, 22, 0, 0)
    part = path.with_suffix(".part")
    written = 0
    with part.open("w", encoding="utf-8", newline="\n") as fh:
        while written < size:
            block = []
            for _ in range(10_000):
                t += timedelta(microseconds=rng.randrange(2_000, 60_000))
                block.append(line(rng, t))  # type: ignore[operator]
                if rng.random() < 0.01:
                    block.append("\tat com.example.Worker.run(Worker.java:42)")
            text = "\n".join(block) + "\n"
            fh.write(text)
            written += len(text)
    part.rename(path)


def _syslog_line(rng: random.Random, t: datetime) -> str:
    pri = f"<{rng.randrange(192)}>" if rng.random() < 0.1 else ""
    host, prog = rng.choice(_HOSTS), rng.choice(_PROGS)
    return f"{pri}{t:%b} {t.day:2d} {t:%H:%M:%S} {host} {prog}: {_text(rng)}"


def _iso_line(rng: random.Random, t: datetime) -> str:
    sep = "T" if rng.random() < 0.8 else " "
    return (
        f"{t:%Y-%m-%d}{sep}{t:%H:%M:%S}.{t.microsecond // 1000:03d}-05:00 "
        f"{rng.choice(_LEVELS)} {_text(rng)}"
    )


_READ = """
import dataclasses, sys
from hbtriage.catalog import load_catalog
from hbtriage.sources.base import InputFile
from hbtriage.sources.generic_log import READER
path = sys.argv[1]
opts = dataclasses.replace(load_catalog().read_options(), compiled_min_bytes=0)
if "defer_digests" in {f.name for f in dataclasses.fields(opts)}:
    opts = dataclasses.replace(opts, defer_digests=True)
READER.read(InputFile(display=path, path=path), "utf-8", opts)
"""


def _before(rev: str) -> Path:
    """The source tree of ``rev`` under ``bench/out/`` (made once)."""
    dest = OUT / f"src-{rev}"
    if not (dest / "src").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True,
                                 capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def _reader(path: Path, env: dict[str, str], repeat: int) -> dict:
    cmd = ["env", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-c", _READ, str(path)]
    return min((run(cmd) for _ in range(repeat)), key=lambda r: r["s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--before", default=BEFORE)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    size = args.mb * 1_000_000
    files = {
        "syslog": OUT / f"messages-{args.mb}mb",
        "iso": OUT / f"app-{args.mb}mb.log",
    }
    _write(files["syslog"], size, _syslog_line, 1)
    _write(files["iso"], size, _iso_line, 2)
    old = _before(args.before)
    new = ROOT / "src"
    warm = "from hbtriage.sources import _scan; assert _scan.warm()"
    subprocess.run([sys.executable, "-c", warm], check=True)  # kernels compiled and cached
    print(f"{'file':<8} {'what':<34} {'wall s':>7} {'peak MiB':>9} {'MB/s':>7}")
    for name, path in files.items():
        mb = path.stat().st_size / 1e6
        run(["cat", str(path)])  # page cache warm
        grep = min(
            (run(["sh", "-c", 'cat "$1" | grep -c -i heartbeat | cat', "sh", str(path)])
             for _ in range(args.repeat)),
            key=lambda r: r["s"],
        )  # fmt: skip
        rows = [("cat | grep -c -i heartbeat", grep)]
        for label, src, core in (
            (f"reader before ({args.before})", old, "0"),
            ("reader, core off", new, "0"),
            ("reader, core on", new, "1"),
        ):
            env = {"PYTHONPATH": str(src), "HBTRIAGE_COMPILED": core}
            rows.append((label, _reader(path, env, args.repeat)))
        for label, r in rows:
            print(f"{name:<8} {label:<34} {r['s']:7.2f} {r['rss']:9.0f} {mb / r['s']:7.0f}")
        floor = grep["s"]
        for label, r in rows[1:]:
            print(f"{name:<8}   {label} / (cat | grep) = {r['s'] / floor:.2f}x")


if __name__ == "__main__":
    main()
