"""Counter recorder: /proc values into a perfmon-style CSV, bounded on disk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hbtriage.live.sampler import CounterRecorder, LinuxProcSource, RotatingFile
from hbtriage.sources.base import InputFile

NET_DEV = """Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0
  eth0: 5000 40 {errs} {drop} 0 0 0 0 6000 50 0 {txdrop} 0 0 0 0
"""
SNMP = """Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 100 0 {inerr} 90 {rcvbuf} 0 0 0 0
"""


def _proc(root: Path, cpu: list[int], netrx: int, drop: int, squeeze: int, n: int) -> None:
    (root / "net").mkdir(parents=True, exist_ok=True)
    (root / "stat").write_text("cpu  " + " ".join(map(str, cpu)) + "\ncpu0 1 2 3\n")
    (root / "softirqs").write_text(f"      CPU0 CPU1\n    NET_TX: 1 1\n    NET_RX: {netrx} 0\n")
    (root / "net" / "softnet_stat").write_text(
        f"00000010 {drop:08x} {squeeze:08x} 0 0\n00000010 00000001 00000000 0 0\n"
    )
    (root / "net" / "dev").write_text(NET_DEV.format(errs=n, drop=2 * n, txdrop=3 * n))
    (root / "net" / "snmp").write_text(SNMP.format(inerr=4 * n, rcvbuf=5 * n))


def test_linux_counters_from_a_fake_proc(tmp_path: Path) -> None:
    root = tmp_path / "proc"
    _proc(root, [100, 0, 100, 700, 0, 0, 0, 0, 0, 0], netrx=1000, drop=0, squeeze=0, n=0)
    src = LinuxProcSource(root)
    assert src.ifaces == ["eth0"]  # loopback left out
    first = src.sample(0.0)
    names = [f"{c.object}\\{c.counter}" for c in src.columns]
    got = dict(zip(names, first, strict=True))
    assert got["Processor\\% Processor Time"] is None  # a percentage needs two samples
    assert got["Linux Net\\NET_RX Softirqs/sec"] is None
    # one second later: 50 user + 30 irq + 20 softirq jiffies busy, 100 idle
    _proc(root, [150, 0, 100, 800, 0, 30, 20, 0, 0, 0], netrx=1500, drop=7, squeeze=3, n=1)
    got = dict(zip(names, src.sample(1.0), strict=True))
    assert got["Processor\\% Processor Time"] == 50.0
    assert got["Processor\\% Interrupt Time"] == 15.0
    assert got["Processor\\% Soft IRQ Time"] == 10.0
    assert got["Linux Net\\NET_RX Softirqs/sec"] == 500.0
    assert got["Linux Net\\Softnet Dropped"] == 8.0  # summed over the CPUs (7 + 1)
    assert got["Linux Net\\Softnet Squeezed"] == 3.0
    assert got["Network Interface\\Packets Received Errors"] == 1.0
    assert got["Network Interface\\Packets Received Discarded"] == 2.0
    assert got["Network Interface\\Packets Outbound Discarded"] == 3.0
    assert got["UDPv4\\Datagrams Received Errors"] == 4.0
    assert got["Linux Net\\UDP Rcvbuf Errors"] == 5.0


def test_csv_is_pdh_shaped_and_read_by_the_perfmon_reader(tmp_path: Path) -> None:
    root = tmp_path / "proc"
    _proc(root, [100, 0, 100, 700, 0, 0, 0, 0, 0, 0], netrx=1000, drop=0, squeeze=0, n=0)
    t0 = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    clock = iter([t0, t0 + timedelta(seconds=1)])
    rec = CounterRecorder(
        tmp_path / "out", "cvp1", LinuxProcSource(root), clock=lambda: next(clock)
    )
    rec.sample_once()
    _proc(root, [150, 0, 100, 800, 0, 30, 20, 0, 0, 0], netrx=1500, drop=7, squeeze=3, n=1)
    rec.sample_once()
    rec.close()
    raw = rec.file.path.read_bytes()
    lines = raw.decode().split("\r\n")
    assert lines[0].startswith(
        '"(PDH-CSV 4.0) (Coordinated Universal Time)(0)",'
        '"\\\\cvp1\\Processor(_Total)\\% Processor Time",'
    )
    assert '"\\\\cvp1\\Network Interface(eth0)\\Packets Received Discarded"' in lines[0]
    assert '"\\\\cvp1\\Linux Net\\Softnet Dropped"' in lines[0]
    assert lines[1].startswith('"11/27/2026 10:00:00.000"," "')
    assert lines[2].startswith('"11/27/2026 10:00:01.000","50"')

    from hbtriage.sources import perfmon_csv

    head = raw.decode()
    assert perfmon_csv.READER.sniff(head, rec.file.path.name)
    res = perfmon_csv.READER.read(InputFile(display="c.csv", path=str(rec.file.path)), "utf-8")
    assert res.host == "cvp1"
    cpu = res.counters.filter(  # type: ignore[union-attr]
        res.counters["counter"] == "% Processor Time"  # type: ignore[index]
    )
    assert cpu.get_column("value").drop_nulls().to_list() == [50.0]


def test_rotation_keeps_disk_bounded(tmp_path: Path) -> None:
    f = RotatingFile(tmp_path / "w.log", max_bytes=2048, backups=3, header="# head")
    for k in range(2000):
        f.write_line(f"line {k:06d} " + "x" * 40)
    f.close()
    files = f.files()
    assert [p.name for p in files] == ["w.log", "w.log.1", "w.log.2", "w.log.3"]
    assert all(p.stat().st_size <= 2048 + 60 for p in files)
    for p in files:
        assert p.read_text().splitlines()[0] == "# head"  # every file stands alone
    assert "line 001999" in files[0].read_text()


def test_a_file_with_another_header_is_rotated_away(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text('"old header"\n"row"\n')
    f = RotatingFile(tmp_path / "c.csv", header='"new header"')
    f.close()
    assert (tmp_path / "c.csv").read_text() == '"new header"\n'
    assert (tmp_path / "c.csv.1").read_text().startswith('"old header"')
