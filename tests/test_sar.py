"""Linux sysstat output: `sadf -d` (UTC) and plain `sar` reports become counter rows."""

from __future__ import annotations

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
