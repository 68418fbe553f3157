"""Linux IRQ / softirq reports: which NIC queue, disk or softirq kept the CPUs busy, and when.

bcc ``hardirqs``/``softirqs``, ``/proc/interrupts`` + ``/proc/softirqs`` snapshots, ``mpstat -I``,
``sar -I``/``sadf -d`` and ``hbtriage watch``'s IRQ file all end up in ``ReadResult.dpc``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.live.sampler import CounterRecorder, IrqRecorder, LinuxProcSource
from hbtriage.simulate import irq_writers as W
from hbtriage.sources import READERS, irq_bcc, irq_linux, irq_proc, read_one, sar, sniff
from hbtriage.sources.base import DPC_SCHEMA, DpcTrace, InputFile, ReadResult

FIX = Path(__file__).parent / "fixtures"
IRQ = FIX / "irq"
KINDS = {"bcc": "bcc_irq", "proc": "proc_interrupts", "mpstat": "sar", "sadf": "sar"}


def read(path: Path, display: str | None = None) -> ReadResult:
    out = read_one(InputFile(display=display or path.name, path=str(path)))
    assert out.result is not None, out.message
    return out.result


def trace(path: Path, display: str | None = None) -> DpcTrace:
    r = read(path, display)
    assert r.dpc is not None
    return r.dpc


def top(t: DpcTrace, kind: str) -> str:
    return next(m.module for m in t.modules if m.kind == kind)


def rows_of(t: DpcTrace, module: str, cpu: int | None = None) -> list[tuple[dt.datetime, int]]:
    assert t.rows is not None
    f = t.rows.filter(pl.col("module") == module)
    if cpu is not None:
        f = f.filter(pl.col("cpu") == cpu)
    return [(ts, n) for ts, n in f.sort("ts_local").select("ts_local", "count").iter_rows()]


# ---------------------------------------------------------------- detection


def _fixtures() -> list[tuple[str, Path]]:
    return [
        (kind, p)
        for folder, kind in KINDS.items()
        for p in sorted((IRQ / folder).iterdir())
        if p.is_file()
    ]


@pytest.mark.parametrize(("kind", "path"), _fixtures(), ids=lambda v: getattr(v, "name", v))
def test_kind_is_detected_from_content(kind: str, path: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "upload.dat"
    renamed.write_bytes(path.read_bytes())
    reader, _enc, note = sniff(InputFile(display=path.name, path=str(renamed)))
    assert reader is not None, note
    assert reader.kind == kind
    assert read(renamed, path.name).dpc is not None  # every fixture says which module


def test_the_irq_sniffers_claim_no_other_fixture() -> None:
    others = [
        p
        for p in FIX.rglob("*")
        if p.is_file() and IRQ not in p.parents and p.stat().st_size < 2_000_000
    ]
    assert len(others) > 20
    for p in others:
        head = p.read_bytes()[:65536].decode("utf-8", errors="replace")
        for reader in irq_linux.READERS:
            assert not reader.sniff(head, p.name), f"{reader.kind} claims {p}"


def test_registered_before_the_generic_reader() -> None:
    kinds = [r.kind for r in READERS]
    assert kinds.index("bcc_irq") < kinds.index("generic_log")
    assert kinds.index("proc_interrupts") < kinds.index("generic_log")


# ---------------------------------------------------------------- bcc


def test_bcc_hardirqs_with_time_stamps() -> None:
    r = read(IRQ / "bcc" / "hardirqs-T-2024-03-05.txt")
    t = r.dpc
    assert t is not None and t.tool == "bcc hardirqs"
    assert top(t, "hardirq") == "eth0-TxRx-0"
    first = t.modules[0]
    assert first.time_us == 2420 + 2421 + 2422 + 412348 + 2424 and first.share > 0.95  # type: ignore[operator]
    assert t.rows is not None and t.rows.schema == DPC_SCHEMA
    # the tool prints each interval's end: the rows start one interval earlier
    storm = t.rows.filter(pl.col("module") == "eth0-TxRx-0").sort("ts_local")
    assert storm["ts_local"].to_list()[0] == dt.datetime(2024, 3, 5, 8, 10, 1)
    assert storm["span_us"].unique().to_list() == [1e6]
    assert storm.sort("time_us")["ts_local"][-1] == dt.datetime(2024, 3, 5, 8, 10, 4)
    assert (t.start_local, t.end_local) == (
        dt.datetime(2024, 3, 5, 8, 10, 1),
        dt.datetime(2024, 3, 5, 8, 10, 6),
    )
    assert any("2024-03-05 in the file name" in w for w in r.warnings)
    assert r.offset_min is None  # local time of the traced host


def test_bcc_softirqs_date_from_mtime_across_midnight(tmp_path: Path) -> None:
    p = tmp_path / "softirqs.out"
    p.write_bytes((IRQ / "bcc" / "softirqs_T_midnight.txt").read_bytes())
    stamp = dt.datetime(2024, 3, 6, 0, 0, 12).timestamp()
    os.utime(p, (stamp, stamp))
    r = read(p)
    t = r.dpc
    assert t is not None and top(t, "softirq") == "net_rx"
    assert t.rows is not None
    assert t.rows["count"].null_count() == t.rows.height  # time totals: no counts
    starts = sorted(set(t.rows["ts_local"].to_list()))
    assert starts == [
        dt.datetime(2024, 3, 5, 23, 59, 40),
        dt.datetime(2024, 3, 5, 23, 59, 50),
        dt.datetime(2024, 3, 6, 0, 0, 0),
    ]
    assert any("modified time" in w for w in r.warnings)


def test_bcc_histograms_give_counts_and_the_longest_run() -> None:
    r = read(IRQ / "bcc" / "hardirqs_dist.txt")
    t = r.dpc
    assert t is not None and t.rows is None  # no -T: totals only
    eth = t.modules[0]
    assert (eth.module, eth.count, eth.longest_us, eth.over_long) == ("eth0-TxRx-0", 13453, 8191, 3)
    assert {m.module for m in t.modules} == {"eth0-TxRx-0", "nvme0q1", "ahci[0000:00:1f.2]"}
    assert any("-T" in w for w in r.warnings)


def test_bcc_counts_and_old_function_names() -> None:
    t = trace(IRQ / "bcc" / "hardirqs_count_T-20240305.txt")
    assert [(m.module, m.count) for m in t.modules][:1] == [("ens3", 100000)]
    assert rows_of(t, "ens3") == [
        (dt.datetime(2024, 3, 5, 9, 30), 25000),
        (dt.datetime(2024, 3, 5, 9, 30, 5), 75000),
    ]
    once = trace(IRQ / "bcc" / "softirqs_once.txt")
    assert top(once, "softirq") == "net_rx_action"
    assert once.modules[0].time_us == 70321


# ---------------------------------------------------------------- /proc


def test_proc_interrupts_deltas_per_cpu() -> None:
    r = read(IRQ / "proc" / "interrupts_date_x3.txt")
    t = r.dpc
    assert t is not None and (t.cpus, r.offset_min, r.zone) == (4, 0, "UTC")
    eth = t.modules[0]
    assert (eth.module, eth.kind, eth.count) == ("eth0-TxRx-0", "hardirq", 5200 + 208000)
    assert eth.description == "IRQ 29 IR-PCI-MSI 524289-edge"
    assert rows_of(t, "eth0-TxRx-0", cpu=0) == [
        (dt.datetime(2024, 3, 5, 8, 10, 1), 5200),
        (dt.datetime(2024, 3, 5, 8, 10, 11), 208000),
    ]
    assert rows_of(t, "eth0-TxRx-0", cpu=1) == []  # nothing on the other CPUs
    assert t.rows is not None and (t.rows["count"] > 0).all()
    assert t.rows["span_us"].unique().to_list() == [10e6]
    names = {m.module for m in t.modules}
    assert {"LOC", "RES", "nvme0q1", "ahci[0000:00:1f.2]"} <= names
    assert "ERR" not in names and "acpi" not in names  # no interrupt in the capture
    assert r.warnings == []


def test_proc_softirqs_with_iso_times() -> None:
    r = read(IRQ / "proc" / "softirqs_iso_x4.txt")
    t = r.dpc
    assert t is not None and r.offset_min == 540 and t.offset_min == 540
    assert top(t, "softirq") == "NET_RX"
    assert [n for _ts, n in rows_of(t, "NET_RX", cpu=0)] == [9000, 9000, 99000]


def test_one_snapshot_gives_counts_since_boot() -> None:
    r = read(IRQ / "proc" / "interrupts_single_old_kernel.txt")
    t = r.dpc
    assert t is not None and t.rows is None
    by = {m.module: m for m in t.modules}
    assert by["ehci_hcd:usb1, ens3"].count == 45012 + 1203  # a shared line keeps both names
    assert by["mlx5_comp0@pci:0000:3b:00.0"].count == 6123456
    assert by["ata_piix"].description == "IRQ 19 IO-APIC-fasteoi"
    assert any("counts since boot" in w for w in r.warnings)


SNAP = """{when}
           CPU0       CPU1
 29: {a:10d} {b:10d}  IR-PCI-MSI 524289-edge      eth0-TxRx-0
LOC: {c:10d} {d:10d}   Local timer interrupts
"""


def _snaps(tmp_path: Path, counts: list[tuple[int, int, int, int]]) -> Path:
    text = "".join(
        SNAP.format(when=f"2024-03-05T08:10:{10 * k:02d}Z", a=a, b=b, c=c, d=d)
        for k, (a, b, c, d) in enumerate(counts)
    )
    p = tmp_path / "interrupts.txt"
    p.write_text(text)
    return p


def test_a_reboot_is_dropped_and_a_32_bit_wrap_is_counted(tmp_path: Path) -> None:
    p = _snaps(
        tmp_path,
        [
            (100, 200, 300, 400),
            (150, 260, 390, 480),
            (10, 20, 30, 40),  # reboot: everything fell
            (60, 25, 60, 70),
        ],
    )
    r = read(p)
    assert r.dpc is not None
    assert rows_of(r.dpc, "eth0-TxRx-0", cpu=0) == [
        (dt.datetime(2024, 3, 5, 8, 10), 50),
        (dt.datetime(2024, 3, 5, 8, 10, 20), 50),
    ]
    assert any("reboot" in w for w in r.warnings)
    wrap = _snaps(tmp_path, [(2**32 - 100, 5, 300, 400), (50, 9, 390, 480)])
    got = read(wrap)
    assert got.dpc is not None
    assert rows_of(got.dpc, "eth0-TxRx-0", cpu=0)[0][1] == 150
    assert any("wrapped" in w for w in got.warnings)


def test_a_missing_line_is_unchanged(tmp_path: Path) -> None:
    text = SNAP.format(when="2024-03-05T08:10:00Z", a=100, b=0, c=1000, d=1000)
    text += "2024-03-05T08:10:01Z\n           CPU0       CPU1\nLOC:  1250  1250  Local timer\n"
    text += SNAP.format(when="2024-03-05T08:10:02Z", a=180, b=0, c=1500, d=1500)
    p = tmp_path / "irq.txt"
    p.write_text(text)
    t = trace(p)
    assert rows_of(t, "eth0-TxRx-0", cpu=0) == [(dt.datetime(2024, 3, 5, 8, 10, 1), 80)]
    assert [n for _ts, n in rows_of(t, "LOC", cpu=0)] == [250, 250]


# ---------------------------------------------------------------- sysstat


def test_mpstat_interrupt_blocks() -> None:
    r = read(IRQ / "mpstat" / "mpstat_A_1_3.txt")
    assert (r.kind, r.host) == ("sar", "cvp-lnx1")
    t = r.dpc
    assert t is not None and t.tool == "mpstat -I" and t.cpus == 2
    assert top(t, "hardirq") == "irq 29" and top(t, "softirq") == "NET_RX"
    assert rows_of(t, "irq 29", cpu=0) == [
        (dt.datetime(2024, 3, 5, 8, 10, 1), 5200),
        (dt.datetime(2024, 3, 5, 8, 10, 2), 5200),
        (dt.datetime(2024, 3, 5, 8, 10, 3), 48000),
    ]
    assert [n for _ts, n in rows_of(t, "NET_RX", cpu=0)] == [1800, 1800, 21000]
    assert r.counters is not None and r.counters.height > 0  # the -u block as before


def test_mpstat_one_report_since_boot_has_rates_only() -> None:
    r = read(IRQ / "mpstat" / "mpstat_I_SCPU_once.txt")
    t = r.dpc
    assert t is not None and t.rows is None
    net = t.modules[0]
    assert (net.module, net.count) == ("NET_RX", None)
    assert net.share == pytest.approx((512.40 + 40.80) / 1513.23, rel=1e-3)


def test_sadf_intr_block_in_utc() -> None:
    r = read(IRQ / "sadf" / "sadf_d_intr.csv")
    t = r.dpc
    assert t is not None and t.offset_min == 0 and t.tool == "sadf -d INTR"
    assert rows_of(t, "irq 29") == [
        (dt.datetime(2024, 3, 5, 8, 10), 312000),
        (dt.datetime(2024, 3, 5, 8, 11), 2880000),
    ]
    assert "irq -1" not in {m.module for m in t.modules}  # the sum is no interrupt line
    assert r.counters is not None and r.counters.height > 0


def test_sar_I_text_matches_sadf() -> None:
    text = trace(IRQ / "sadf" / "sar_I_ALL_text.txt")
    sadf = trace(IRQ / "sadf" / "sadf_d_intr.csv")
    assert rows_of(text, "irq 29") == rows_of(sadf, "irq 29")


# ---------------------------------------------------------------- writers round trip

T0 = dt.datetime(2024, 3, 5, 8, 10, 0)


def _rows(
    counts: list[list[int]], kind: str, modules: list[str], span_s: int = 1, cpus: int = 1
) -> pl.DataFrame:
    recs = []
    for k, per in enumerate(counts):
        for i, n in enumerate(per):
            if n:
                recs.append(
                    {
                        "ts_local": T0 + dt.timedelta(seconds=span_s * k),
                        "offset_min": None,
                        "span_us": span_s * 1e6,
                        "module": modules[i % len(modules)],
                        "kind": kind,
                        "cpu": (i // len(modules)) % cpus if cpus > 1 else None,
                        "count": n,
                        "time_us": float(n * 3),
                        "max_us": float(n % 9000 + 1),
                    }
                )
    return pl.DataFrame(recs, schema=DPC_SCHEMA)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _same(got: DpcTrace, rows: pl.DataFrame, cols: tuple[str, ...]) -> None:
    assert got.rows is not None
    key = ["ts_local", "module", "cpu"]
    a = got.rows.select(*key, *cols).sort(key)
    b = rows.select(*key, *cols).sort(key)
    assert a.to_dicts() == b.to_dicts()


def test_writers_read_back(tmp_path: Path) -> None:
    soft = _rows(
        [[900, 40, 0], [950, 41, 7], [90000, 39, 0]], "softirq", ["NET_RX", "TIMER", "RCU"]
    )
    # bcc: totals per interval; the name dates the rows
    t = trace(_write(tmp_path, "softirqs-2024-03-05.txt", W.bcc_irqs(soft, "softirq")))
    _same(t, soft.with_columns(pl.lit(None, pl.Int32).alias("cpu")), ("time_us",))
    hard = _rows([[5, 7], [3, 9]], "hardirq", ["eth0-TxRx-0", "nvme0q1"])
    t = trace(_write(tmp_path, "hi-20240305.txt", W.bcc_irqs(hard, "hardirq", unit="count")))
    _same(t, hard, ("count",))
    dist = trace(_write(tmp_path, "d.txt", W.bcc_irqs_dist(hard)))
    assert {m.module: m.count for m in dist.modules} == {"eth0-TxRx-0": 8, "nvme0q1": 16}
    # /proc: per CPU, both tables in one file
    both = pl.concat(
        [
            _rows([[5, 7, 1, 2], [3, 9, 4, 0]], "hardirq", ["eth0-TxRx-0", "LOC"], 10, 2),
            _rows([[12, 3, 4, 5], [1, 0, 2, 8]], "softirq", ["NET_RX", "SCHED"], 10, 2),
        ]
    )
    t = trace(_write(tmp_path, "p.txt", W.proc_snapshots(both)))
    _same(t, both, ("count", "span_us"))
    # mpstat and sadf: rates back to counts
    mp = _rows([[5, 7, 1, 2], [3, 9, 4, 0]], "hardirq", ["irq 29", "LOC"], 1, 2)
    t = trace(_write(tmp_path, "m.txt", W.mpstat_irq(mp, "cvp-lnx1")))
    _same(t, mp, ("count",))
    sd = _rows([[600, 60], [1200, 0]], "hardirq", ["irq 29", "irq 30"], 60)
    t = trace(_write(tmp_path, "s.csv", W.sadf_intr(sd, "cvp-lnx1")))
    _same(t, sd, ("count",))


# ---------------------------------------------------------------- hbtriage watch


INTERRUPTS = """           CPU0       CPU1
 29: {eth:10d}          0  IR-PCI-MSI 524289-edge      eth0-TxRx-0
 30:          7          0  IR-PCI-MSI 524290-edge      eth0-TxRx-1
LOC: {loc:10d} {loc:10d}   Local timer interrupts
"""
SOFTIRQS = """                    CPU0       CPU1
      NET_RX: {rx:10d}          5
       TIMER:        100        100
"""


def _proc(root: Path, eth: int, loc: int, rx: int) -> None:
    (root / "net").mkdir(parents=True, exist_ok=True)
    (root / "stat").write_text("cpu  1 0 1 7 0 0 0 0 0 0\n")
    (root / "interrupts").write_text(INTERRUPTS.format(eth=eth, loc=loc))
    (root / "softirqs").write_text(SOFTIRQS.format(rx=rx))


def test_watch_records_irq_deltas_that_analyze_reads(tmp_path: Path) -> None:
    root = tmp_path / "proc"
    _proc(root, 100, 1000, 50)
    t0 = dt.datetime(2026, 11, 27, 10, 0, 0, tzinfo=dt.UTC)
    clock = iter([t0 + dt.timedelta(seconds=k) for k in range(4)])
    rec = CounterRecorder(
        tmp_path / "out", "cvp1", LinuxProcSource(root, ["eth0"]), clock=lambda: next(clock)
    )
    for eth, loc, rx in ((100, 1000, 50), (180, 1250, 90), (90180, 1500, 40090)):
        _proc(root, eth, loc, rx)
        rec.sample_once()
    rec.close()
    assert rec.irq is not None
    text = rec.irq.file.path.read_text()
    assert text.splitlines()[0] == "# hbtriage-irq 1 host=cvp1"
    assert text.count("eth0-TxRx-1") == 1  # unchanged lines are written once
    r = read(rec.irq.file.path)
    assert (r.kind, r.host, r.offset_min) == ("proc_interrupts", "cvp1", 0)
    assert r.dpc is not None
    assert rows_of(r.dpc, "eth0-TxRx-0", cpu=0) == [
        (dt.datetime(2026, 11, 27, 10, 0, 0), 80),
        (dt.datetime(2026, 11, 27, 10, 0, 1), 90000),
    ]
    assert [n for _ts, n in rows_of(r.dpc, "NET_RX", cpu=0)] == [40, 40000]
    assert top(r.dpc, "hardirq") == "eth0-TxRx-0"


def test_watch_irq_file_rotates_and_each_file_stands_alone(tmp_path: Path) -> None:
    root = tmp_path / "proc"
    rec = IrqRecorder(tmp_path / "out", "pg1", root, max_bytes=1024, backups=2)
    for k in range(40):
        _proc(root, 100 + 10 * k, 1000 + 250 * k, 50 + k)
        rec.sample_once(dt.datetime(2026, 11, 27, 10, 0, k, tzinfo=dt.UTC))
    rec.close()
    files = rec.file.files()
    assert len(files) == 3 and all(p.stat().st_size < 1024 + 600 for p in files)
    with_rows = 0
    for p in files:
        got = read(p)  # a file just rotated holds the header only: read, empty
        assert got.dpc is not None and got.host == "pg1"
        if got.dpc.rows is not None:
            with_rows += 1
            assert set(got.dpc.rows["count"].to_list()) <= {10, 250, 1}  # every step, per CPU
    assert with_rows >= 2


def test_no_irq_file_without_proc_interrupts(tmp_path: Path) -> None:
    root = tmp_path / "proc"
    root.mkdir()
    (root / "stat").write_text("cpu  1 0 1 7 0 0 0 0 0 0\n")
    rec = CounterRecorder(tmp_path / "out", "h", LinuxProcSource(root, []))
    rec.close()
    assert rec.irq is None and not (tmp_path / "out" / "irq-h.txt").exists()


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("reader", "text"),
    [
        (irq_linux.BCC_READER, "Tracing hard irq event time... Hit Ctrl-C to end.\n^C\n"),
        (irq_linux.BCC_READER, "HARDIRQ   TOTAL_usecs\n<script>x</script>\n\x00\n"),
        (irq_linux.PROC_READER, "           CPU0       CPU1\n"),
        (irq_linux.PROC_READER, "           CPU0\n  zz: q\n"),
    ],
)
def test_unusable_input_is_an_input_error_naming_the_file(
    reader: object, text: str, tmp_path: Path
) -> None:
    p = _write(tmp_path, "input", text)
    with pytest.raises(InputError) as err:
        reader.read(InputFile(display="bundle.zip!lnx/irq.txt", path=str(p)), "utf-8")  # type: ignore[attr-defined]
    assert "bundle.zip!lnx/irq.txt" in err.value.one_line()


def test_a_cut_off_file_reads_what_is_there(tmp_path: Path) -> None:
    data = (IRQ / "proc" / "interrupts_date_x3.txt").read_text()
    cut = data[: data.rindex("eth0-TxRx-2") - 30]
    r = read(_write(tmp_path, "cut.txt", cut))
    assert r.dpc is not None and r.dpc.rows is not None
    assert any("cut off" in w for w in r.warnings)
    bcc = (IRQ / "bcc" / "hardirqs-T-2024-03-05.txt").read_text()
    r = read(_write(tmp_path, "b-2024-03-05.txt", bcc[: bcc.rindex("eth0-TxRx-0") + 14]))
    assert any("cut off" in w for w in r.warnings)
    assert r.dpc is not None and top(r.dpc, "hardirq") == "eth0-TxRx-0"


# ---------------------------------------------------------------- properties

PROPS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(result: ReadResult) -> None:
    assert result.dpc is not None
    if result.dpc.rows is not None:
        assert result.dpc.rows.schema == DPC_SCHEMA
        assert (result.dpc.rows["count"].drop_nulls() >= 0).all()
        assert (result.dpc.rows["span_us"].drop_nulls() >= 0).all()
    for m in result.dpc.modules:
        assert m.count is None or m.count >= 0
        assert m.share is None or 0 <= m.share <= 1


def _parse(fn: object, text: str, name: str = "x-2024-03-05.txt") -> None:
    try:
        _check(fn(text, InputFile(display=name, path="/nonexistent")))  # type: ignore[operator]
    except InputError as exc:
        assert name in exc.one_line()


counts = st.lists(st.integers(0, 2**33), min_size=1, max_size=24)


@PROPS
@given(counts, st.integers(1, 8), st.integers(0, 4000), st.booleans())
def test_proc_parser_never_crashes_and_deltas_never_go_negative(
    values: list[int], ncpu: int, cut: int, iso: bool
) -> None:
    lines = []
    for k in range(0, len(values), ncpu):
        when = (
            f"2024-03-05T08:10:{k % 60:02d}Z" if iso else f"Tue Mar  5 08:{k % 60:02d}:00 UTC 2024"
        )
        row = values[k : k + ncpu]
        lines += [when, " " * 11 + "".join(f"CPU{c:<8d}" for c in range(ncpu))]
        lines.append(" 29: " + " ".join(f"{v:10d}" for v in row) + "  PCI-MSI 1-edge  eth0")
        lines.append("LOC: " + " ".join(f"{v // 3:10d}" for v in row) + "  Local timer")
    _parse(irq_proc.parse, "\n".join(lines)[:cut])


@PROPS
@given(counts, st.integers(0, 3000), st.sampled_from(["usecs", "count", "nsecs"]))
def test_bcc_parser_never_crashes(values: list[int], cut: int, unit: str) -> None:
    rows = _rows([values[i : i + 3] for i in range(0, len(values), 3)], "hardirq", ["a", "b", "c"])
    text = W.bcc_irqs(rows, "hardirq", unit=unit) + W.bcc_irqs_dist(rows)
    _parse(irq_bcc.parse, text[:cut])


@PROPS
@given(counts, st.integers(1, 4), st.integers(0, 5000))
def test_mpstat_and_sadf_parsers_never_crash(values: list[int], ncpu: int, cut: int) -> None:
    rows = _rows(
        [values[i : i + 4] for i in range(0, len(values), 4)], "hardirq", ["irq 29", "LOC"], 1, ncpu
    )
    for text in (W.mpstat_irq(rows), W.sadf_intr(rows)):
        try:
            got = (
                sar.parse_sadf(text[:cut], "x.csv")
                if text.startswith("#")
                else sar.parse_sar_text(text[:cut], "x.txt")
            )
        except InputError:
            continue
        if got.dpc is not None:
            _check(got)


def test_a_year_no_report_has_is_no_crash(tmp_path: Path) -> None:
    # found by bench/fuzz.py --large-paths: a mutated banner date out of nanosecond range
    text = (IRQ / "mpstat" / "mpstat_A_1_3.txt").read_text().replace("03/05/2024", "03/05/1024")
    r = read(_write(tmp_path, "m.txt", text))
    assert r.dpc is not None and r.dpc.rows is None


def test_digits_that_are_no_decimal_digits(tmp_path: Path) -> None:
    # found by bench/fuzz.py: '²' passes str.isdigit() but int() refuses it
    text = "           CPU0       CPU1\n 29:        1²0          0  PCI-MSI 1-edge  eth0\n"
    with pytest.raises(InputError):
        irq_linux.PROC_READER.read(InputFile("x", str(_write(tmp_path, "x", text))), "utf-8")
