"""sysstat's JSON export (``sadf -j``): real output of sysstat 12.6.1 (tests/fixtures/sar/,
SOURCES.md) read into the counter series the sar text reader gives, host from ``nodename``,
UTC (``"utc": 1``) or local time (``-T``)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage import analyze
from hbtriage.counter_names import canonical
from hbtriage.errors import InputError
from hbtriage.simulate.scenarios import generate
from hbtriage.sources import sadf_json
from hbtriage.sources.base import InputFile
from hbtriage.sources.sar import READER

FIX = Path(__file__).parent / "fixtures" / "sar"


def _read(name: str):  # type: ignore[no-untyped-def]
    path = FIX / name
    assert READER.sniff(path.read_text(encoding="utf-8")[:4096], name)
    return READER.read(InputFile(display=name, path=str(path)), "utf-8")


def _series(name: str, obj: str, counter: str, instance: str) -> list[tuple[str, float]]:
    c = _read(name).counters
    rows = c.filter(
        (c["object"] == obj) & (c["counter"] == counter) & (c["instance"] == instance)
    ).sort("ts_local")
    return [(f"{t:%H:%M:%S}", v) for t, v in rows.select("ts_local", "value").iter_rows()]


def test_sadf_j_all_activities_give_the_sar_counters() -> None:
    r = _read("sadf_j_A.json")
    assert (r.host, r.zone, r.offset_min) == ("cvp3", "UTC", 0)
    assert r.extra["format"] == "sadf -j" and r.warnings == []
    got = {(o, c) for o, c in r.counters.select("object", "counter").unique().iter_rows()}
    assert {
        ("Processor", "% Processor Time"),
        ("Processor", "% Soft IRQ Time"),
        ("System", "Processor Queue Length"),
        ("Memory", "Available MBytes"),
        ("Memory", "Pages/sec"),
        ("Network Interface", "Packets Received Discarded/sec"),
        ("Network Interface", "Bytes Total/sec"),
        ("UDPv4", "Datagrams Received Errors/sec"),
        ("TCPv4", "Segments Retransmitted/sec"),
        ("Linux Net", "Softnet Dropped/sec"),
    } <= got
    for obj, counter in got:  # every one a catalog counter, under its canonical name
        hit = canonical(obj, counter)
        assert hit is not None and hit[:2] == (obj, counter), (obj, counter)


def test_sadf_j_values_and_instances() -> None:
    # -u ALL -P ALL: "cpu": "all" is _Total, 100 - idle is % Processor Time
    cpu = _series("sadf_j_u_ALL_P_ALL.json", "Processor", "% Processor Time", "_Total")
    assert cpu[0] == ("12:35:05", pytest.approx(99.4))
    one = _series("sadf_j_u_ALL_P_ALL.json", "Processor", "% Processor Time", "1")
    assert one[0] == ("12:35:05", pytest.approx(99.6))
    assert _series("sadf_j_q.json", "System", "Processor Queue Length", "")[0] == ("12:35:05", 11)
    # -r avail is kB: Available MBytes
    mem = _series("sadf_j_r.json", "Memory", "Available MBytes", "")
    assert len(mem) == 23 and mem[0] == ("12:35:05", pytest.approx(23715440 / 1024))
    dev = _series("sadf_j_n_DEV.json", "Network Interface", "Packets Received/sec", "eth0")
    assert len(dev) == 23


def test_sadf_j_local_time_is_read_as_local() -> None:
    r = _read("sadf_j_T_n_EDEV.json")
    assert (r.host, r.zone, r.offset_min) == ("cvp3", None, None)
    assert r.counters["ts_local"].min() == datetime(2013, 1, 23, 7, 35, 5)


@pytest.mark.parametrize("name", ["sadf_j_n_EDEV_drops.json", "sadf_j_T_n_EDEV_drops.json"])
def test_drops_in_sadf_j_at_the_loss_are_nic_errors(tmp_path: Path, name: str) -> None:
    # UTC times, and -T's local ones (the zone from the host's CVP logs)
    truth = generate("network_path", tmp_path, seed=1)
    assert truth["incidents"][0]["start"] == "2013-01-23T12:35:55.864Z"
    shutil.copyfile(FIX / name, tmp_path / "CVP3" / "sar.json")
    (inc,) = analyze([tmp_path]).incidents
    top = inc.causes[0]
    assert (top.id, top.host) == ("nic_errors", "CVP3"), [(c.id, c.host) for c in inc.causes]
    assert "Network Interface(eth0)\\Packets Received Discarded/sec 0 → 131" in "\n".join(
        top.evidence
    )


def test_real_busy_cpu_in_sadf_j_at_the_loss_is_cpu_saturation(tmp_path: Path) -> None:
    # the capture ran while the machine compiled: 99 % busy, 6-11 threads queued on 2 CPUs
    generate("network_path", tmp_path, seed=1)
    for name in ("sadf_j_u_ALL_P_ALL.json", "sadf_j_q.json"):
        shutil.copyfile(FIX / name, tmp_path / "CVP3" / name)
    (inc,) = analyze([tmp_path]).incidents
    top = inc.causes[0]
    assert (top.id, top.host) == ("cpu_saturation", "CVP3"), [(c.id, c.host) for c in inc.causes]


def test_compact_json_is_read_whole_and_garbage_refused() -> None:
    doc = json.loads((FIX / "sadf_j_q.json").read_text(encoding="utf-8"))
    r = sadf_json.parse(json.dumps(doc, separators=(",", ":")), "q.json")
    assert r.host == "cvp3" and r.counters.height == 23
    with pytest.raises(InputError):
        sadf_json.parse('{"sysstat": {"nothing": 1', "bad.json")


def _doc(host: str, start: datetime, runq: list[int], utc: bool) -> str:
    """sadf -j's layout (json_stats.c): tabs, one record per group of lines."""
    recs = []
    for i, q in enumerate(runq):
        t = start + timedelta(seconds=10 * i)
        recs.append(
            "\t\t\t\t{\n"
            f'\t\t\t\t\t"timestamp": {{"date": "{t:%Y-%m-%d}", "time": "{t:%H:%M:%S}", '
            f'"utc": {int(utc)}, "interval": 10}},\n'
            f'\t\t\t\t\t"queue": {{"runq-sz": {q}, "plist-sz": 200, "ldavg-1": 0.10, '
            '"ldavg-5": 0.10, "ldavg-15": 0.10, "blocked": 0}\n'
            "\t\t\t\t}"
        )
    return (
        '{"sysstat": {\n\t"hosts": [\n\t\t{\n'
        f'\t\t\t"nodename": "{host}",\n\t\t\t"sysname": "Linux",\n'
        '\t\t\t"timezone": "UTC",\n\t\t\t"statistics": [\n'
        + ",\n".join(recs)
        + '\n\t\t\t],\n\t\t\t"restarts": [\n\t\t\t]\n\t\t}\n\t]\n}}\n'
    )


@settings(max_examples=50, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1)),
    runq=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=20),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,14}", fullmatch=True),
    utc=st.booleans(),
)
def test_sadf_j_roundtrip_property(start: datetime, runq: list[int], host: str, utc: bool) -> None:
    start = start.replace(microsecond=0)
    text = _doc(host, start, runq, utc)
    for r in (sadf_json.parse(text, "p"), sadf_json.parse(text.replace("\n", ""), "p")):
        assert r.host == host and r.offset_min == (0 if utc else None)
        assert r.counters["ts_local"].to_list() == [
            start + timedelta(seconds=10 * i) for i in range(len(runq))
        ]
        assert r.counters["value"].to_list() == [float(q) for q in runq]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]":,\n\t 0123456789.-abcdeiklmnoqrstuyz', max_size=300))
def test_hostile_sadf_j_never_crashes(text: str) -> None:
    try:
        r = sadf_json.parse('{"sysstat": {"hosts": [\n' + text, "h")
    except InputError:
        return
    assert r.counters is not None


@pytest.mark.parametrize(
    ("json_name", "text_name"),
    [
        ("sadf_j_u_ALL_P_ALL.json", "sar_of_sadf_j_u_ALL_P_ALL_C.txt"),
        ("sadf_j_q.json", "sar_of_sadf_j_q_C.txt"),
        ("sadf_j_n_EDEV.json", "sar_of_sadf_j_n_EDEV_C.txt"),
        ("sadf_j_n_DEV.json", "sar_of_sadf_j_n_DEV_C.txt"),
        ("sadf_j_r.json", "sar_of_sadf_j_r_C.txt"),
        ("sadf_j_W.json", "sar_of_sadf_j_W_C.txt"),
        ("sadf_j_n_SOFT.json", "sar_of_sadf_j_n_SOFT_C.txt"),
    ],
)
def test_sadf_j_gives_the_series_sar_prints_of_the_same_file(
    json_name: str, text_name: str
) -> None:
    # sar -f sa_cvp3 <options> under LC_ALL=C, TZ=America/New_York: local times, 5 h behind
    def rows(name: str, shift: timedelta) -> list[tuple[object, ...]]:
        c = _read(name).counters.with_columns(ts_local=pl.col("ts_local") + shift)
        cols = ("object", "instance", "counter", "ts_local", "value")
        return sorted(tuple(str(v) for v in r) for r in c.select(cols).iter_rows())

    got = rows(json_name, timedelta(0))
    assert got and got == rows(text_name, timedelta(hours=5))


@pytest.mark.parametrize("year", [1969, 2263, 2313, 9999])
def test_a_record_in_a_year_no_time_can_have_is_skipped_with_a_warning(
    tmp_path: Path, year: int
) -> None:
    """A record whose date no time stamp can have (past 2262 no nanosecond time holds it) is
    skipped with the reader's warning, the others read (a fuzzed '2313-01-23' stopped the
    whole file with an internal conversion error)."""
    text = (FIX / "sadf_j_n_EDEV.json").read_text(encoding="utf-8")
    first = text.index('"date": "2013-')
    bad = tmp_path / "sadf.json"
    bad.write_text(text[:first] + text[first:].replace("2013-", f"{year}-", 1), encoding="utf-8")
    good = _read("sadf_j_n_EDEV.json")
    got = READER.read(InputFile(display=bad.name, path=str(bad)), "utf-8")
    assert 0 < got.counters.height < good.counters.height
    assert any("record skipped" in w for w in got.warnings)
