"""Counter recorder: the host's CPU and network-drop counters as a perfmon-style CSV.

The file is what Windows' ``relog -f csv`` writes (PDH-CSV 4.0, UTC header, one column per
``\\\\HOST\\Object(Instance)\\Counter``) so that the perfmon reader takes it as it is:

* Linux: ``/proc/stat`` (CPU, IRQ and soft-IRQ time), ``/proc/softirqs`` (NET_RX count),
  ``/proc/net/softnet_stat`` (backlog drops, time squeezes), ``/proc/net/snmp`` (UDP errors),
  ``/proc/net/dev`` (per-interface drops and errors).
* Windows (and anything else): psutil (``cpu_times_percent`` with its ``dpc``/``interrupt``
  fields on Windows, ``net_io_counters(pernic=True)`` ``dropin``/``errin``/``dropout``).

Cumulative counters are written raw (count since boot) like perfmon does; the timeline
differences them. Rate and percent counters are blank (``" "``) in the first row.

On Linux, :class:`IrqRecorder` also keeps ``irq-<host>.txt`` next to the CSV: at every sample a
UTC time line and the lines of ``/proc/interrupts`` and ``/proc/softirqs`` that changed since the
previous sample, as the kernel wrote them (every line at the top of each rotated file and every
``full_every`` samples). ``analyze`` reads it with the /proc snapshot reader
(:mod:`hbtriage.sources.irq_proc`, which takes a missing line as unchanged) into per-interval,
per-CPU rows: which NIC queue, disk or softirq kept the CPUs busy, and when.

:class:`RotatingFile` bounds the disk: ``max_bytes`` per file, ``backups`` older files (the IRQ
file has a budget of its own, the same size).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from hbtriage.sources import irq_proc

PDH_HEADER = "(PDH-CSV 4.0) (Coordinated Universal Time)(0)"

#: Counters this recorder invents for Linux (object "Linux Net") plus "% Soft IRQ Time":
#: (object, counter, semantics). They need entries in catalog/counters.toml.
LINUX_ONLY_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("Processor", "% Soft IRQ Time", "percent"),
    ("Linux Net", "Softnet Dropped", "cumulative"),
    ("Linux Net", "Softnet Squeezed", "cumulative"),
    ("Linux Net", "NET_RX Softirqs/sec", "rate"),
    ("Linux Net", "UDP Rcvbuf Errors", "cumulative"),
)


class RotatingFile:
    """Append-only text file rotated by size: ``name``, ``name.1`` ... ``name.<backups>``.

    Every line is flushed (a crash loses nothing already written). ``header`` (if any) is the
    first line of every file; an existing file with another header is rotated away first.
    """

    def __init__(
        self,
        path: Path,
        max_bytes: int = 5_000_000,
        backups: int = 5,
        header: str | None = None,
        newline: str = "\n",
    ) -> None:
        if max_bytes < 1024:
            raise ValueError("max_bytes must be at least 1024")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = max(backups, 0)
        self.header = header
        self.newline = newline
        self.rotations = 0  # how many times the file was rotated since opened
        # The first write that failed (a full disk): the file is closed then, what it holds is
        # kept, and the owner stops and says so (see ``hbtriage.live.probe.run_watch``).
        self.failed: OSError | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if header is not None and self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, encoding="utf-8", errors="replace", newline="") as fh:
                first = fh.readline().rstrip("\r\n")
            if first != header:
                self._shift()
        self._fh = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115
        self._size = self._fh.tell()
        if self._size == 0 and header is not None:
            self._write(header)

    def _write(self, line: str) -> None:
        data = line + self.newline
        self._fh.write(data)
        self._fh.flush()
        self._size += len(data.encode("utf-8"))

    def _shift(self) -> None:
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        oldest = self.path.with_name(f"{self.path.name}.{self.backups}")
        oldest.unlink(missing_ok=True)
        for i in range(self.backups - 1, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{i}")
            if src.exists():
                src.replace(self.path.with_name(f"{self.path.name}.{i + 1}"))
        if self.path.exists():
            self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    def write_line(self, line: str) -> None:
        if self._fh.closed:
            return
        try:
            self._write(line)
            if self._size >= self.max_bytes:
                self._fh.close()
                self._shift()
                self.rotations += 1
                self._fh = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115
                self._size = 0
                if self.header is not None:
                    self._write(self.header)
        except OSError as exc:
            self.failed = self.failed or exc
            with contextlib.suppress(OSError):  # (closed even when its last flush fails)
                self._fh.close()

    def files(self) -> list[Path]:
        """The current file and its backups that exist."""
        out = [self.path] if self.path.exists() else []
        for i in range(1, self.backups + 1):
            p = self.path.with_name(f"{self.path.name}.{i}")
            if p.exists():
                out.append(p)
        return out

    def close(self) -> None:
        if not self._fh.closed:
            try:
                self._fh.flush()
            except OSError as exc:
                self.failed = self.failed or exc
            with contextlib.suppress(OSError):
                self._fh.close()


@dataclass(frozen=True)
class Column:
    object: str
    instance: str | None  # None = object without instances (e.g. "Linux Net", "UDPv4")
    counter: str

    def path(self, host: str) -> str:
        inst = f"({self.instance})" if self.instance is not None else ""
        return f"\\\\{host}\\{self.object}{inst}\\{self.counter}"


class CounterSource(Protocol):
    columns: list[Column]

    def sample(self, elapsed_s: float) -> list[float | None]:
        """One value per column; None = no value yet (first sample of a rate)."""
        ...


def perfmon_instance(name: str) -> str:
    """Instance name the way perfmon writes it (no parentheses, slashes or hashes)."""
    return (
        name.replace("(", "[")
        .replace(")", "]")
        .replace("/", "_")
        .replace("\\", "_")
        .replace("#", "_")
        .replace('"', "'")
        or "_"
    )


class LinuxProcSource:
    """Counters from a ``/proc`` tree (``root`` is a parameter so tests can use a fake one)."""

    def __init__(self, root: Path = Path("/proc"), interfaces: Sequence[str] | None = None):
        self.root = Path(root)
        ifaces = list(interfaces) if interfaces is not None else self._interfaces()
        self.ifaces = [i for i in ifaces if i != "lo"] or ifaces
        self.columns = [
            Column("Processor", "_Total", "% Processor Time"),
            Column("Processor", "_Total", "% Interrupt Time"),
            Column("Processor", "_Total", "% Soft IRQ Time"),
        ]
        for i in self.ifaces:
            inst = perfmon_instance(i)
            self.columns += [
                Column("Network Interface", inst, "Packets Received Discarded"),
                Column("Network Interface", inst, "Packets Received Errors"),
                Column("Network Interface", inst, "Packets Outbound Discarded"),
            ]
        self.columns += [
            Column("UDPv4", None, "Datagrams Received Errors"),
            Column("Linux Net", None, "Softnet Dropped"),
            Column("Linux Net", None, "Softnet Squeezed"),
            Column("Linux Net", None, "NET_RX Softirqs/sec"),
            Column("Linux Net", None, "UDP Rcvbuf Errors"),
        ]
        self._prev_cpu: list[int] | None = None
        self._prev_netrx: int | None = None

    def _read(self, rel: str) -> str:
        try:
            return (self.root / rel).read_text()
        except OSError:
            return ""

    def _interfaces(self) -> list[str]:
        return list(self._net_dev().keys())

    def _net_dev(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for line in self._read("net/dev").splitlines()[2:]:
            name, sep, rest = line.partition(":")
            if sep:
                with contextlib.suppress(ValueError):
                    out[name.strip()] = [int(x) for x in rest.split()]
        return out

    def _cpu(self) -> list[int] | None:
        for line in self._read("stat").splitlines():
            if line.startswith("cpu "):
                return [int(x) for x in line.split()[1:]]
        return None

    def _netrx(self) -> int | None:
        for line in self._read("softirqs").splitlines():
            if line.strip().startswith("NET_RX:"):
                return sum(int(x) for x in line.split()[1:])
        return None

    def _softnet(self) -> tuple[int | None, int | None]:
        dropped = squeezed = 0
        seen = False
        for line in self._read("net/softnet_stat").splitlines():
            cols = line.split()
            if len(cols) >= 3:
                seen = True
                dropped += int(cols[1], 16)
                squeezed += int(cols[2], 16)
        return (dropped, squeezed) if seen else (None, None)

    def _udp(self) -> dict[str, int]:
        lines = [ln for ln in self._read("net/snmp").splitlines() if ln.startswith("Udp:")]
        if len(lines) < 2:
            return {}
        keys, values = lines[0].split()[1:], lines[1].split()[1:]
        return {k: int(v) for k, v in zip(keys, values, strict=False)}

    def sample(self, elapsed_s: float) -> list[float | None]:
        values: list[float | None] = []
        cpu = self._cpu()
        pct: list[float | None] = [None, None, None]
        if cpu is not None and self._prev_cpu is not None:
            delta = [a - b for a, b in zip(cpu, self._prev_cpu, strict=False)]
            total = sum(delta[:8])  # user nice system idle iowait irq softirq steal
            if total > 0:
                idle = delta[3] + (delta[4] if len(delta) > 4 else 0)
                pct = [
                    100.0 * (total - idle) / total,
                    100.0 * (delta[5] if len(delta) > 5 else 0) / total,
                    100.0 * (delta[6] if len(delta) > 6 else 0) / total,
                ]
        self._prev_cpu = cpu
        values += pct
        dev = self._net_dev()
        for i in self.ifaces:
            row = dev.get(i)
            if row is None or len(row) < 12:
                values += [None, None, None]
            else:
                values += [float(row[3]), float(row[2]), float(row[11])]
        udp = self._udp()
        values.append(float(udp["InErrors"]) if "InErrors" in udp else None)
        dropped, squeezed = self._softnet()
        values.append(None if dropped is None else float(dropped))
        values.append(None if squeezed is None else float(squeezed))
        netrx = self._netrx()
        rate = None
        if netrx is not None and self._prev_netrx is not None and elapsed_s > 0:
            rate = max(netrx - self._prev_netrx, 0) / elapsed_s
        self._prev_netrx = netrx
        values.append(rate)
        values.append(float(udp["RcvbufErrors"]) if "RcvbufErrors" in udp else None)
        return values


class PsutilSource:
    """Counters through psutil (Windows: DPC and interrupt time; elsewhere CPU and NIC drops)."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        psutil.cpu_times_percent(interval=None)  # prime: the next call measures from here
        self._cpu_fields = [
            f for f in ("interrupt", "dpc", "irq", "softirq") if f in psutil.cpu_times()._fields
        ]
        names = {"interrupt": "% Interrupt Time", "irq": "% Interrupt Time", "dpc": "% DPC Time"}
        names["softirq"] = "% Soft IRQ Time"
        self.columns = [Column("Processor", "_Total", "% Processor Time")]
        self._cpu_cols: list[str] = []
        for f in self._cpu_fields:
            if names[f] not in [c.counter for c in self.columns]:
                self.columns.append(Column("Processor", "_Total", names[f]))
                self._cpu_cols.append(f)
        self.nics = sorted(psutil.net_io_counters(pernic=True).keys())
        for nic in self.nics:
            inst = perfmon_instance(nic)
            self.columns += [
                Column("Network Interface", inst, "Packets Received Discarded"),
                Column("Network Interface", inst, "Packets Received Errors"),
                Column("Network Interface", inst, "Packets Outbound Discarded"),
            ]
        self._first = True

    def sample(self, elapsed_s: float) -> list[float | None]:
        cpu = self._psutil.cpu_times_percent(interval=None)
        values: list[float | None]
        if self._first:
            values = [None] * (1 + len(self._cpu_cols))
            self._first = False
        else:
            values = [max(0.0, 100.0 - cpu.idle)]
            values += [float(getattr(cpu, f)) for f in self._cpu_cols]
        nics = self._psutil.net_io_counters(pernic=True)
        for nic in self.nics:
            c = nics.get(nic)
            if c is None:
                values += [None, None, None]
            else:
                values += [float(c.dropin), float(c.errin), float(c.dropout)]
        return values


class IrqRecorder:
    """``/proc/interrupts`` and ``/proc/softirqs`` snapshots, changed lines only (module doc)."""

    FILES = ("interrupts", "softirqs")

    def __init__(
        self,
        out_dir: Path,
        host: str,
        root: Path = Path("/proc"),
        max_bytes: int = 5_000_000,
        backups: int = 5,
        full_every: int = 600,
    ) -> None:
        self.root = Path(root)
        self.full_every = max(full_every, 1)
        self.file = RotatingFile(
            Path(out_dir) / f"irq-{host}.txt",
            max_bytes,
            backups,
            header=f"{irq_proc.WATCH_HEADER} host={host}",
        )
        self._last: dict[str, dict[str, str]] = {}  # file -> first field -> line as written
        self._rotations = -1
        self.samples = 0

    def available(self) -> bool:
        return any((self.root / f).is_file() for f in self.FILES)

    def sample_once(self, now: datetime) -> None:
        full = self.file.rotations != self._rotations or self.samples % self.full_every == 0
        self._rotations = self.file.rotations
        out: list[str] = []
        for name in self.FILES:
            try:
                lines = (self.root / name).read_text(errors="replace").splitlines()
            except OSError:
                continue
            if not lines:
                continue
            rows = {ln.split(":", 1)[0].strip(): ln for ln in lines[1:] if ":" in ln}
            last = self._last.get(name, {})
            if last.get("") != lines[0]:  # CPUs came or went: every line again
                last = {}
            changed = [ln for key, ln in rows.items() if full or last.get(key) != ln]
            self._last[name] = {"": lines[0], **rows}
            if changed:
                out += [lines[0], *changed]
        if out:  # one write: a rotation never splits a snapshot
            stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            self.file.write_line("\n".join([stamp, *out]))
        self.samples += 1

    def close(self) -> None:
        self.file.close()


def default_source() -> CounterSource:
    if sys.platform.startswith("linux") and os.path.exists("/proc/stat"):
        return LinuxProcSource()
    return PsutilSource()


def pdh_timestamp(ts: datetime) -> str:
    ts = ts.astimezone(UTC) if ts.tzinfo else ts
    return ts.strftime("%m/%d/%Y %H:%M:%S.") + f"{ts.microsecond // 1000:03d}"


def _fmt(v: float | None) -> str:
    if v is None:
        return '" "'
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return f'"{text or "0"}"'


class CounterRecorder:
    """Writes one CSV row per :meth:`sample_once` to a rotating PDH-CSV file."""

    def __init__(
        self,
        out_dir: Path,
        host: str,
        source: CounterSource | None = None,
        max_bytes: int = 5_000_000,
        backups: int = 5,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.host = host
        self.source = source or default_source()
        header = ",".join([f'"{PDH_HEADER}"'] + [f'"{c.path(host)}"' for c in self.source.columns])
        self.file = RotatingFile(
            Path(out_dir) / f"counters-{host}.csv", max_bytes, backups, header, newline="\r\n"
        )
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last: datetime | None = None
        self.rows = 0
        self.irq: IrqRecorder | None = None
        if isinstance(self.source, LinuxProcSource):
            irq = IrqRecorder(out_dir, host, self.source.root, max_bytes, backups)
            if irq.available():
                self.irq = irq
            else:
                irq.close()
                irq.file.path.unlink(missing_ok=True)

    def sample_once(self) -> list[float | None]:
        now = self._clock()
        elapsed = (now - self._last).total_seconds() if self._last else 0.0
        self._last = now
        values = self.source.sample(elapsed)
        self.file.write_line(",".join([f'"{pdh_timestamp(now)}"'] + [_fmt(v) for v in values]))
        self.rows += 1
        if self.irq is not None:
            self.irq.sample_once(now)
        return values

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not stop.is_set():
            try:
                self.sample_once()
            except (OSError, ValueError) as exc:  # a /proc file vanished: skip this sample
                print(f"hbtriage sampler: {exc}", file=sys.stderr)
            if self.failed() is not None:  # nothing more can be recorded: the watch stops
                stop.set()
            next_at += interval
            delay = next_at - loop.time()
            if delay < 0:
                next_at, delay = loop.time(), 0.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    def failed(self) -> tuple[Path, OSError] | None:
        """The file this recorder could not write, and why (None: all written)."""
        files = [self.file, *([self.irq.file] if self.irq is not None else [])]
        return next(((f.path, f.failed) for f in files if f.failed is not None), None)

    def close(self) -> None:
        self.file.close()
        if self.irq is not None:
            self.irq.close()
