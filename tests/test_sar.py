"""Linux sysstat output: `sadf -d` (UTC) and plain `sar` reports become counter rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.counter_names import canonical
from hbtriage.errors import InputError
from hbtriage.sources.base import COUNTER_SCHEMA, InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import ReadOptions
from hbtriage.sources.sar import READER, parse_sadf, parse_sar_text

FIX = Path(__file__).parent / "fixtures" / "sar"


def read(path: Path) -> ReadResult:
    head, enc = read_head(str(path))
    assert READER.sniff(head, path.name)
    return READER.read(InputFile(display=path.name, path=str(path)), enc)


def values(r: ReadResult, obj: str, counter: str, instance: str) -> list[float | None]:
    assert r.counters is not None
    return r.counters.filter(
        pl.col("object") == obj, pl.col("counter") == counter, pl.col("instance") == instance
    )["value"].to_list()


def test_sadf_d_blocks() -> None:
    r = read(FIX / "sadf_d_cpu_net_udp.csv")
    assert (r.kind, r.host, r.offset_min, r.zone) == ("sar", "cvp-lnx1", 0, "UTC")
    c = r.counters
    assert c is not None and c.schema == pl.Schema(COUNTER_SCHEMA)
    assert values(r, "Processor", "% Soft IRQ Time", "_Total") == [0.85, 7.25]
    assert values(r, "Processor", "% Soft IRQ Time", "0") == [1.7, 14.5]
    assert values(r, "Processor", "% Interrupt Time", "_Total") == [0.4, 0.45]
    assert values(r, "Processor", "% Processor Time", "_Total") == pytest.approx([4.6, 11.1])
    assert values(r, "Network Interface", "Packets Received Discarded/sec", "eth0") == [0.0, 42.75]
    assert values(r, "Network Interface", "Packets Received Errors/sec", "eth0") == [0.0, 0.15]
    assert values(r, "Network Interface", "Receive FIFO Overruns/sec", "eth0") == [0.0, 3.5]
    assert values(r, "Network Interface", "Packets Received/sec", "eth0") == [120.5, 130.0]
    assert values(r, "Network Interface", "Bytes Total/sec", "eth0") == [16384.0, 20480.0]
    assert values(r, "UDPv4", "Datagrams Received Errors/sec", "") == [0.0, 12.25]
    assert values(r, "UDPv4", "Datagrams/sec", "") == [99.0, 95.5]
    assert values(r, "System", "Processor Queue Length", "") == [1.0, 6.0]
    assert set(c["ts_local"].unique()) == {datetime(2024, 3, 5, 14, 1), datetime(2024, 3, 5, 14, 2)}
    assert c["offset_min"].null_count() == 0 and set(c["offset_min"]) == {0}
    # the LINUX-RESTART marker is not data; the broken EDEV row is reported by file line
    assert r.warnings == [
        "sadf_d_cpu_net_udp.csv:13: expected 13 ';'-separated fields starting "
        "hostname;interval;timestamp; row skipped"
    ]


def test_every_sar_counter_is_in_the_catalog() -> None:
    for path in (FIX / "sadf_d_cpu_net_udp.csv", FIX / "sar_text_cpu_edev.txt"):
        c = read(path).counters
        assert c is not None
        for obj, counter in c.select("object", "counter").unique().iter_rows():
            hit = canonical(obj, counter)
            assert hit is not None and hit[:2] == (obj, counter), (obj, counter)


def test_plain_sar_text_report() -> None:
    r = read(FIX / "sar_text_cpu_edev.txt")
    assert (r.host, r.offset_min, r.zone) == ("cvp-lnx2", None, None)
    assert values(r, "Processor", "% Soft IRQ Time", "_Total") == [0.85, 7.25]
    assert values(r, "Network Interface", "Packets Received Discarded/sec", "eth0") == [0.0, 42.75]
    c = r.counters
    assert c is not None
    # 11:59:00 PM then 12:00:00 AM: past midnight, the next day (Average: lines are not samples)
    assert sorted(set(c["ts_local"])) == [datetime(2024, 3, 5, 23, 59), datetime(2024, 3, 6, 0, 0)]


def test_sadf_with_comma_decimals_and_no_utc_suffix() -> None:
    text = (
        "# hostname;interval;timestamp;idgm/s;odgm/s;noport/s;idgmerr/s\n"
        "h1;60;2024-03-05 14:01:00;50,5;49,5;0,00;1,25\n"
    )
    r = parse_sadf(text, "x")
    assert values(r, "UDPv4", "Datagrams Received Errors/sec", "") == [1.25]
    assert values(r, "UDPv4", "Datagrams/sec", "") == [100.0]


def test_sniff_and_refusal() -> None:
    assert not READER.sniff('"(PDH-CSV 4.0) (","\\\\H\\Memory\\Pages/sec"\n', "a.csv")
    assert not READER.sniff("Mar  5 14:00:00 host kernel: eth0 link up\n", "syslog")
    with pytest.raises(InputError):
        parse_sar_text("nothing to see\n", "x.txt")
    r = parse_sadf("# hostname;interval;timestamp;CPU;%user;%idle\n", "empty")
    assert r.counters is not None and r.counters.height == 0


@settings(max_examples=50, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1)),
    idle=st.lists(
        st.floats(min_value=0, max_value=100).map(lambda v: round(v, 2)), min_size=1, max_size=20
    ),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,14}", fullmatch=True),
)
def test_sadf_roundtrip_property(start: datetime, idle: list[float], host: str) -> None:
    start = start.replace(microsecond=0)
    lines = ["# hostname;interval;timestamp;CPU;%user;%nice;%system;%iowait;%steal;%idle"]
    times = [start + timedelta(seconds=60 * i) for i in range(len(idle))]
    for t, v in zip(times, idle, strict=True):
        lines.append(f"{host};60;{t:%Y-%m-%d %H:%M:%S} UTC;-1;1.00;0.00;1.00;0.00;0.00;{v:.2f}")
    r = parse_sadf("\n".join(lines) + "\n", "p")
    assert r.host == host
    c = r.counters
    assert c is not None
    assert c["ts_local"].to_list() == times
    assert c["value"].to_list() == pytest.approx([100.0 - v for v in idle])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="#;:-.,0123456789 abcdhnostmpirelUTC%/\n\t", max_size=300))
def test_hostile_sar_input_never_crashes(text: str) -> None:
    for parse in (parse_sadf, parse_sar_text):
        try:
            r = parse("# hostname;interval;timestamp;CPU;%idle\n" + text, "h")
        except InputError:
            continue
        assert r.counters is not None


# ---- sadf -d read in pieces ------------------------------------------------------------------

_BLOCKS = [
    "# hostname;interval;timestamp;CPU;%user;%nice;%system;%iowait;%steal;%idle",
    "# hostname;interval;timestamp;IFACE;rxpck/s;txpck/s;rxkB/s;txkB/s;rxcmp/s;txcmp/s;rxmcst/s",
    "# hostname;interval;timestamp;IFACE;rxerr/s;txerr/s;coll/s;rxdrop/s;txdrop/s;txcarr/s;"
    "rxfram/s;rxfifo/s;txfifo/s",
    "# hostname;interval;timestamp;idgm/s;odgm/s;noport/s;idgmerr/s",
]


def _sadf_text(rows_per_block: list[int], seed: int, crlf: bool, junk: float) -> str:
    """sadf -d output of several blocks (CPU, DEV, EDEV, UDP), with restarts, blank lines, bad
    rows and comments sprinkled in at rate ``junk``."""
    rng = random.Random(seed)
    out: list[str] = []
    for header, rows in zip(_BLOCKS, rows_per_block, strict=False):
        out.append(header)
        width = header.count(";")
        for i in range(rows):
            t = datetime(2024, 3, 5) + timedelta(seconds=i)
            inst = ["-1"] if "CPU" in header else ["lo", "eth0"] if "IFACE" in header else []
            for name in inst or [None]:
                cells = ["h1", "1", f"{t:%Y-%m-%d %H:%M:%S} UTC"] + ([name] if name else [])
                cells += [f"{rng.random() * 9:.2f}" for _ in range(width + 1 - len(cells))]
                out.append(";".join(cells))
            roll = rng.random()
            if roll < junk:
                out.append(
                    rng.choice(
                        [
                            "",
                            "   ",
                            "# a comment",
                            "h1;1;2024-03-05 00:00:00 UTC;LINUX-RESTART",
                            "h1;1;not a time;1;2",
                            "h1;1;2024-03-05 00:00:01 UTC;too;few",
                        ]
                    )
                )
    sep = "\r\n" if crlf else "\n"
    return sep.join(out) + sep


def _same_read(text: str, tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "sar.csv"
    path.write_bytes(text.encode("utf-8"))
    whole = parse_sadf(text, "sar.csv")
    item = InputFile(display="sar.csv", path=str(path), size=len(text))
    got = READER.read(item, "", ReadOptions(chunk_bytes=chunk))
    assert whole.counters is not None and got.counters is not None
    assert got.counters.equals(whole.counters)
    assert (got.warnings, got.host, got.extra) == (whole.warnings, whole.host, whole.extra)


@pytest.mark.parametrize("chunk", [64, 700, 4096, 1 << 24])
def test_sadf_file_read_in_pieces_equals_one_pass(tmp_path: Path, chunk: int) -> None:
    """Blocks run across pieces, bad rows (warnings with their file line numbers, more than
    the cap), restarts, comments, blank lines, CRLF: the same rows, in the same order, and the
    same warnings as parsing the whole text."""
    text = _sadf_text([300, 200, 200, 300], seed=3, crlf=True, junk=0.2)
    _same_read(text, tmp_path, chunk)
    whole = parse_sadf(text, "sar.csv")
    assert whole.warnings[-1].startswith("... and ")


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.integers(0, 40), min_size=1, max_size=4),
    seed=st.integers(0, 1000),
    crlf=st.booleans(),
    junk=st.sampled_from([0.0, 0.1, 0.5]),
    chunk=st.integers(16, 2000),
)
def test_sadf_pieces_property(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[int],
    seed: int,
    crlf: bool,
    junk: float,
    chunk: int,
) -> None:
    _same_read(_sadf_text(rows, seed, crlf, junk), tmp_path_factory.mktemp("sar"), chunk)
