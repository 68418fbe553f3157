"""The perfmon CSV reader on real exports (TIERRA, Japanese Windows) and on every variant a
support bundle brings: TSV, German Excel, typeperf, BOM, UTF-16, instance names, .blg."""

from __future__ import annotations

import codecs
import csv
import io
import string
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.counter_names import canonical
from hbtriage.errors import InputError
from hbtriage.sources.base import COUNTER_SCHEMA, InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import ReadOptions
from hbtriage.sources.perfmon_csv import (
    READER,
    is_blg,
    parse_text,
    parse_zone,
    split_counter_path,
    zone_cut,
)

FIX = Path(__file__).parent / "fixtures" / "perfmon"
REAL = {
    "ja-cp932_TIERRA_gpu-dpc-netif_1s_527rows.csv": (527, "2018-12-15 20:04:30.076", "2018-12-15 20:13:16.058"),
    "ja-cp932_TIERRA_proc-dpc-mem_1s_440rows.csv": (440, "2018-01-07 21:05:56.624", "2018-01-07 21:13:15.622"),
    "ja-cp932_TIERRA_proc-dpc-mem_1s_61rows.csv": (61, "2017-12-30 20:56:30.873", "2017-12-30 20:57:30.878"),
    "ja-cp932_TIERRA_excel-resaved-of-61rows.csv": (61, "2017-12-30 20:56:30.873", "2017-12-30 20:57:30.878"),
}  # fmt: skip
DPC_FIVE = {"Interrupts/sec", "% DPC Time", "% Interrupt Time", "DPCs Queued/sec", "DPC Rate"}
NIC = "Intel[R] 82579V Gigabit Network Connection"


def read(path: Path) -> ReadResult:
    head, enc = read_head(str(path))
    assert READER.sniff(head, path.name), f"{path.name} not recognised"
    return READER.read(InputFile(display=path.name, path=str(path)), enc)


def series(result: ReadResult, obj: str, counter: str, instance: str | None = None) -> pl.DataFrame:
    assert result.counters is not None
    df = result.counters.filter(pl.col("object") == obj, pl.col("counter") == counter)
    if instance is not None:
        df = df.filter(pl.col("instance") == instance)
    return df


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_tierra_exports(name: str) -> None:
    rows, first, last = REAL[name]
    r = read(FIX / name)
    assert r.kind == "perfmon_csv"
    assert r.host == "TIERRA"
    assert r.host_reason == "perfmon \\\\MACHINE prefix"
    assert r.zone is None and r.offset_min is None  # header cell is "(PDH-CSV 4.0) ("
    assert r.tz_iana is None
    # The zone name Windows wrote ("東京 (標準時)") was dropped: said once; the trailing CP932
    # description column is skipped silently.
    assert r.warnings == [
        f"{name}:1: time-zone part of the PDH header is cut off ('(PDH-CSV 4.0) (': no "
        "complete zone name and bias); the zone comes from --tz or the other inputs"
    ]
    assert r.extra["non_counter_columns"] == 1
    c = r.counters
    assert c is not None
    assert c.schema == pl.Schema(COUNTER_SCHEMA)
    assert c["ts_local"].min() == ts(first) and c["ts_local"].max() == ts(last)
    assert c["host"].unique().to_list() == ["TIERRA"]
    proc = c.filter(pl.col("object") == "Processor")
    assert set(proc["counter"].unique()) >= DPC_FIVE
    assert set(proc["instance"].unique()) == {"_Total"}
    for counter in DPC_FIVE:
        assert series(r, "Processor", counter).height == rows
    # First sample: rate counters are blank (null, never 0); DPC Rate is an instant value.
    for counter in ("Interrupts/sec", "% DPC Time", "% Interrupt Time", "DPCs Queued/sec"):
        assert series(r, "Processor", counter)["value"][0] is None
    assert series(r, "Processor", "DPC Rate")["value"][0] is not None
    assert c.filter(pl.col("object") == "Memory")["counter"].n_unique() == 3


def test_values_of_61_row_capture() -> None:
    r = read(FIX / "ja-cp932_TIERRA_proc-dpc-mem_1s_61rows.csv")
    assert series(r, "Processor", "DPC Rate")["value"].head(2).to_list() == [14.0, 13.0]
    assert series(r, "Processor", "DPC Rate")["value"][-1] == 4.0
    assert series(r, "Processor", "Interrupts/sec")["value"][1] == pytest.approx(8855.666513)
    assert series(r, "Processor", "DPCs Queued/sec")["value"][1] == pytest.approx(574.6352613)
    assert series(r, "Processor", "% DPC Time")["value"][1] == pytest.approx(0.19786892)
    assert series(r, "Processor", "Interrupts/sec")["value"][-1] == pytest.approx(11023.47528)
    assert series(r, "Processor", "DPC Rate")["ts_local"][1] == ts("2017-12-30 20:56:31.865")


def test_network_interface_counters_of_gpu_capture() -> None:
    r = read(FIX / "ja-cp932_TIERRA_gpu-dpc-netif_1s_527rows.csv")
    nic = r.counters.filter(pl.col("object") == "Network Interface")  # type: ignore[union-attr]
    assert set(nic["instance"].unique()) == {NIC}
    assert set(nic["counter"].unique()) == {
        "Bytes Total/sec",
        "Packets Received/sec",
        "Packets Received Discarded",
        "Packets Received Errors",
        "Packets Outbound Discarded",
        "Packets Outbound Errors",
        "Output Queue Length",
    }
    discarded = series(r, "Network Interface", "Packets Received Discarded", NIC)["value"]
    assert discarded.to_list()[:2] == [475.0, 475.0]  # raw count since boot, kept raw
    assert series(r, "Network Interface", "Bytes Total/sec")["value"][0] is None
    assert series(r, "Network Interface", "Bytes Total/sec")["value"][1] == pytest.approx(
        67.339123579365094
    )
    assert series(r, "Processor", "DPC Rate")["value"].head(2).to_list() == [96.0, 23.0]
    assert r.extra["dropped_columns"] == 754 - 17  # 753 counters + description - kept


def test_reader_agrees_with_csv_module_cell_by_cell() -> None:
    """Every kept value equals what Python's csv module reads from the same file."""
    path = FIX / "ja-cp932_TIERRA_proc-dpc-mem_1s_440rows.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp932"))))
    r = read(path)
    header = rows[0]
    for i, cell in enumerate(header):
        if "\\Processor(_Total)\\" not in cell:
            continue
        counter = cell.rsplit("\\", 1)[1]
        if canonical("Processor", counter) is None:  # not a catalog counter: dropped
            continue
        expected = [float(row[i]) if row[i].strip() else None for row in rows[1:]]
        assert series(r, "Processor", counter)["value"].to_list() == expected, counter


def test_excel_resaved_file_matches_original_capture() -> None:
    orig = read(FIX / "ja-cp932_TIERRA_proc-dpc-mem_1s_61rows.csv").counters
    excel = read(FIX / "ja-cp932_TIERRA_excel-resaved-of-61rows.csv").counters
    assert orig is not None and excel is not None
    key = ["object", "instance", "counter", "ts_local"]
    both = orig.join(excel, on=key, suffix="_x")
    assert both.height == orig.height == excel.height
    assert both.filter(pl.col("value").is_null() != pl.col("value_x").is_null()).height == 0
    diff = both.filter(pl.col("value").is_not_null()).select(
        ((pl.col("value") - pl.col("value_x")).abs() / pl.col("value").abs().clip(1.0)).max()
    )
    assert diff.item() < 1e-6


# --------------------------------------------------------------------------- .blg


def test_blg_is_recognised_and_refused_with_relog_hint() -> None:
    path = FIX / "SampleLog.blg"
    assert is_blg(path.read_bytes()[:4096])
    head, enc = read_head(str(path))
    assert READER.sniff(head, "SampleLog.blg")
    assert READER.sniff(head, "no-extension")  # content, not name
    with pytest.raises(InputError) as err:
        READER.read(InputFile(display="bundle.zip!SampleLog.blg", path=str(path)), enc)
    assert "relog file.blg -f csv -o file.csv" in str(err.value)
    assert str(err.value).startswith("bundle.zip!SampleLog.blg: expected")


def test_csv_bytes_are_not_blg() -> None:
    for name in REAL:
        assert not is_blg((FIX / name).read_bytes()[:4096])
    assert not is_blg(b"")


# --------------------------------------------------------------------------- variants


def test_zone_bias_instances_and_object_without_instance() -> None:
    r = read(FIX / "pg1a_est_instances.csv")
    assert (r.host, r.zone, r.offset_min) == ("PG1A", "Eastern Standard Time", -300)
    c = r.counters
    assert c is not None
    assert series(r, "Processor", "DPC Rate", "0")["value"].to_list() == [0.0, 10.0, 0.0]
    assert series(r, "Processor", "DPC Rate", "1")["value"].to_list() == [0.0, 2.0, 1.0]
    assert series(r, "Processor", "% DPC Time", "_Total")["value"].to_list() == [None, 3.5, 0.25]
    nic = "Intel[R] PRO_1000 MT Network Connection (Copy 2)"
    assert series(r, "Network Interface", "Packets Received Discarded", nic)["value"].to_list() == [
        1200.0,
        1207.0,
        1207.0,
    ]
    assert series(r, "Network Interface", "Packets Received Errors", "isatap.{8A2B}#1").height == 3
    assert series(r, "Memory", "Pages/sec", "")["value"].to_list() == [None, 12.25, 0.0]
    assert r.extra["dropped_columns"] == 1  # Process(svchost#1)\Working Set
    assert c["ts_local"][0] == ts("2024-03-05 14:00:00.125")
    assert c["offset_min"].null_count() == c.height  # rows carry no offset of their own


def test_bom_and_negative_bias_header() -> None:
    r = read(FIX / "tokyo_bom_bias-540.csv")
    assert (r.host, r.zone, r.offset_min) == ("TOKYO-PG", None, 540)
    assert series(r, "Processor", "DPCs Queued/sec")["value"].to_list() == [None, 812.5]
    assert series(r, "Processor", "DPC Rate")["ts_local"].to_list() == [
        ts("2023-11-20 09:00:00"),
        ts("2023-11-20 09:00:15"),
    ]


def test_tsv_from_relog() -> None:
    r = read(FIX / "cvp1_relog.tsv")
    assert (r.host, r.zone, r.offset_min) == ("CVP1", "Pacific Standard Time", -480)
    assert r.extra["delimiter"] == "\t"
    assert series(r, "UDPv4", "Datagrams Received Errors")["value"].to_list() == [17.0, 17.0, 19.0]
    assert series(r, "Processor", "% Interrupt Time")["ts_local"][-1] == ts(
        "2024-02-01 00:00:00.500"
    )


def test_german_excel_semicolons_and_decimal_commas() -> None:
    r = read(FIX / "cvp2_de_excel_semicolon.csv")
    assert r.encoding == "cp1252"
    assert (r.host, r.zone, r.offset_min) == ("CVP2", "Mitteleuropäische Zeit", 60)
    assert series(r, "Processor", "DPC Rate")["value"].to_list() == [3.0, 11.0, 2.0]
    assert series(r, "Processor", "% DPC Time")["value"].to_list() == [None, 4.75, 0.5]
    assert series(r, "Network Interface", "Packets Received Discarded", "Intel[R] Ethernet")[
        "value"
    ].to_list() == [88.0, 90.0, 90.0]
    assert series(r, "Memory", "Available MBytes")["value"].to_list() == [2048.0, 2047.5, 1500.0]
    assert r.warnings == []


def test_typeperf_output_with_trailer_lines() -> None:
    r = read(FIX / "vru_typeperf.csv")
    assert (r.host, r.zone, r.offset_min) == ("VRU-PG", None, None)
    assert series(r, "Processor", "DPC Rate")["value"].to_list() == [1.0, 9.0]
    assert series(r, "TCPv4", "Connections Reset")["value"].to_list() == [52.0, 53.0]
    assert r.warnings == []
    assert r.extra["trailer_lines"] == 2


# --------------------------------------------------------------------------- German twin

GERMAN = {
    ("Processor", "DPC Rate"): "Prozessor(_Total)\\DPC-Rate",
    ("Processor", "% DPC Time"): "Prozessor(_Total)\\DPC-Zeit (%)",
    ("Processor", "DPCs Queued/sec"): "Prozessor(_Total)\\DPCs in Warteschlange/s",
    ("Network Interface", "Packets Received Discarded"): (
        "Netzwerkschnittstelle(Intel[R] Ethernet)\\Empfangene Pakete, verworfen"
    ),
    ("UDPv4", "Datagrams Received Errors"): "UDPv4\\Erhaltene Datagramme, Fehler",
}
ENGLISH = {
    ("Processor", "DPC Rate"): "Processor(_Total)\\DPC Rate",
    ("Processor", "% DPC Time"): "Processor(_Total)\\% DPC Time",
    ("Processor", "DPCs Queued/sec"): "Processor(_Total)\\DPCs Queued/sec",
    ("Network Interface", "Packets Received Discarded"): (
        "Network Interface(Intel[R] Ethernet)\\Packets Received Discarded"
    ),
    ("UDPv4", "Datagrams Received Errors"): "UDPv4\\Datagrams Received Errors",
}


def write_pdh(
    path: Path,
    host: str,
    paths: list[str],
    rows: list[tuple[datetime, list[float | None]]],
    *,
    encoding: str = "utf-8",
    header_cell: str = "(PDH-CSV 4.0) (W. Europe Standard Time)(-60)",
    newline: str = "\r\n",
) -> None:
    def q(cell: str) -> str:
        return '"' + cell + '"'

    lines = [",".join([q(header_cell)] + [q(f"\\\\{host}\\{p}") for p in paths])]
    for when, values in rows:
        stamp = when.strftime("%m/%d/%Y %H:%M:%S.") + f"{when.microsecond // 1000:03d}"
        cells = [" " if v is None else repr(v) for v in values]
        lines.append(",".join([q(stamp)] + [q(c) for c in cells]))
    data = (newline.join(lines) + newline).encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    elif encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)


def twin_rows() -> list[tuple[datetime, list[float | None]]]:
    start = datetime(2024, 3, 5, 14, 0, 0, 250000)
    out: list[tuple[datetime, list[float | None]]] = []
    for i in range(30):
        rate = None if i == 0 else float(i % 7)
        out.append((start + timedelta(seconds=i), [float(i % 5), rate, rate, 100.0 + i // 10, 3.0]))
    return out


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_german_utf16_export_equals_english_utf8_twin(tmp_path: Path, encoding: str) -> None:
    keys = list(GERMAN)
    de, en = tmp_path / "de.csv", tmp_path / "en.csv"
    write_pdh(de, "CVP2", [GERMAN[k] for k in keys], twin_rows(), encoding=encoding)
    write_pdh(en, "CVP2", [ENGLISH[k] for k in keys], twin_rows(), newline="\n")
    r_de, r_en = read(de), read(en)
    assert r_de.encoding == "utf-16"
    assert (r_de.zone, r_de.offset_min) == ("W. Europe Standard Time", 60)
    assert r_de.counters is not None and r_en.counters is not None
    assert r_de.counters.height == 30 * len(keys)
    assert r_de.counters.equals(r_en.counters)
    assert set(r_de.counters["counter"].unique()) == {k[1] for k in keys}


# --------------------------------------------------------------------------- bad input


def test_bad_rows_are_skipped_with_file_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    text = (
        '"(PDH-CSV 4.0) (UTC)(0)","\\\\H1\\Processor(_Total)\\DPC Rate"\r\n'
        '"03/05/2024 14:00:00.000","1"\r\n'
        '"03/05/2024 14:00:01.000","2","99"\r\n'
        "\r\n"
        '"not a time","3"\r\n'
        '"03/05/2024 14:00:03.000","4"\r\n'
    )
    path.write_text(text, encoding="utf-8", newline="")
    r = read(path)
    assert series(r, "Processor", "DPC Rate")["value"].to_list() == [1.0, 4.0]
    assert r.warnings == [
        "bad.csv:3: expected 2 columns, found 3; row skipped",
        "bad.csv:5: expected a timestamp like 12/31/2024 23:59:59.000, found 'not a time'; row skipped",
    ]


def test_many_bad_rows_are_capped() -> None:
    lines = ['"(PDH-CSV 4.0)","\\\\H1\\Memory\\Pages/sec"'] + ['"x","1","2"'] * 30
    lines.append('"03/05/2024 14:00:03.000","4"')
    r = parse_text("\n".join(lines), "f.csv")
    assert len(r.warnings) == 21 and r.warnings[-1] == "... and 10 more"
    assert series(r, "Memory", "Pages/sec")["value"].to_list() == [4.0]


def test_header_only_and_no_catalog_counter() -> None:
    r = parse_text('"(PDH-CSV 4.0)","\\\\H1\\Memory\\Pages/sec"\r\n', "empty.csv")
    assert r.counters is not None and r.counters.height == 0
    assert r.warnings == ["empty.csv: no data rows"]
    r = parse_text(
        '"(PDH-CSV 4.0)","\\\\H1\\Process(x)\\Working Set"\r\n"03/05/2024 14:00:03.000","4"\r\n',
        "other.csv",
    )
    assert r.counters is not None and r.counters.height == 0
    assert r.host == "H1" and r.extra["dropped_columns"] == 1


def test_two_machines_in_one_file() -> None:
    text = (
        '"(PDH-CSV 4.0) (UTC)(0)","\\\\PG1A\\Processor(_Total)\\DPC Rate",'
        '"\\\\cvp1\\Processor(_Total)\\DPC Rate"\n"03/05/2024 14:00:00.000","1","5"\n'
    )
    r = parse_text(text, "two.csv")
    assert r.host is None and r.extra["hosts"] == ["PG1A", "cvp1"]
    c = r.counters
    assert c is not None
    assert dict(zip(c["host"], c["value"], strict=True)) == {"PG1A": 1.0, "cvp1": 5.0}


def test_not_a_perfmon_file_is_refused() -> None:
    assert not READER.sniff("2024-03-05 14:00:00 INFO started\n", "app.log")
    assert not READER.sniff("# hostname;interval;timestamp;CPU;%user\n", "sar.csv")
    with pytest.raises(InputError):
        parse_text("just some text\nmore\n", "x.txt")


@pytest.mark.parametrize(
    ("cell", "zone", "offset"),
    [
        ("(PDH-CSV 4.0) (Eastern Standard Time)(300)", "Eastern Standard Time", -300),
        ("(PDH-CSV 4.0) (東京 (標準時))(-540)", "東京 (標準時)", 540),
        ("(PDH-CSV 4.0) ()(-540)", None, 540),
        ("(PDH-CSV 4.0) (", None, None),
        ("(PDH-CSV 4.0)", None, None),
        ("(PDH-TSV 4.0) (Hora de verano romance)(-120)", "Hora de verano romance", 120),
        ("(PDH-CSV 4.0) (RTZ 2 (", None, None),
        ("(PDH-CSV 4.0) (東京 (標準時)", None, None),
        ("(PDH-CSV 4.0) (Eastern Standard Time)", "Eastern Standard Time", None),
    ],
)
def test_parse_zone(cell: str, zone: str | None, offset: int | None) -> None:
    assert parse_zone(cell) == (zone, offset)


@pytest.mark.parametrize(
    ("cell", "cut"),
    [
        ("(PDH-CSV 4.0) (Eastern Standard Time)(300)", False),
        ("(PDH-TSV 4.0) (Hora de verano romance)(-120)", False),
        ("(PDH-CSV 4.0) ()(-540)", False),
        ("(PDH-CSV 4.0)", False),  # typeperf: no zone part at all
        ("(PDH-CSV 4.0) (", True),
        ("(PDH-CSV 4.0) (RTZ 2 (", True),
        ("(PDH-CSV 4.0) (Eastern Standard Time)", True),  # the bias is missing
    ],
)
def test_zone_cut(cell: str, cut: bool) -> None:
    assert zone_cut(cell) is cut


# --------------------------------------------------------------------------- zones in headers


def test_spanish_pdh_tsv_states_its_zone_like_pdh_csv() -> None:
    """relog -f tsv on Spanish Windows: "(PDH-TSV 4.0) (Hora de verano romance)(-120)",
    tab-separated, Spanish counter paths, ANSI. The zone is Romance Daylight Time (UTC+2 in
    April), which is Europe/Paris: the timeline can follow it across the October change."""
    r = read(FIX / "es-cp1252_pdh-tsv_hora-de-verano-romance.tsv")
    assert r.kind == "perfmon_csv" and r.encoding == "cp1252"
    assert (r.host, r.zone, r.offset_min) == ("CVP-MAD1", "Hora de verano romance", 120)
    assert r.tz_iana == "Europe/Paris"
    assert r.extra["delimiter"] == "\t" and r.extra["rows"] == 6
    assert r.warnings == []
    assert series(r, "Processor", "DPC Rate")["value"].to_list() == [0, 0, 1, 10, 0, 0]
    assert series(r, "Memory", "Pages/sec")["value"][0] is None
    assert series(r, "Network Interface", "Packets Received Discarded")["value"].to_list() == [
        412.0,
        412.0,
        412.0,
        418.0,
        418.0,
        418.0,
    ]


def test_cut_zone_in_the_header_is_a_warning_and_no_zone() -> None:
    """Russian Windows writes "(RTZ 2 (зима))(-180)"; a writer that dropped what it could not
    encode left "(PDH-CSV 4.0) (RTZ 2 (": no zone, said once, the samples still read."""
    r = read(FIX / "ru_cut-zone_RTZ2.csv")
    assert (r.host, r.zone, r.offset_min, r.tz_iana) == ("MSK-PG1", None, None, None)
    assert r.warnings == [
        "ru_cut-zone_RTZ2.csv:1: time-zone part of the PDH header is cut off "
        "('(PDH-CSV 4.0) (RTZ 2 (': no complete zone name and bias); "
        "the zone comes from --tz or the other inputs"
    ]
    assert series(r, "Processor", "DPC Rate")["value"].to_list() == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("cell", "first", "zone", "offset", "iana"),
    [
        # The reference case: US Central on daylight time, 30 March 2013.
        ("(Central Daylight Time)(300)", "03/30/2013 19:05:00.000", "Central Daylight Time", -300,
         "America/Chicago"),
        # A name whose zone has another offset that day: the stated offset wins, fixed.
        ("(Eastern Standard Time)(300)", "07/01/2013 12:00:00.000", "Eastern Standard Time", -300,
         None),
        ("(Eastern Standard Time)(300)", "01/15/2013 12:00:00.000", "Eastern Standard Time", -300,
         "America/New_York"),
        ("(Mitteleuropäische Sommerzeit)(-120)", "07/01/2024 12:00:00.000",
         "Mitteleuropäische Sommerzeit", 120, "Europe/Berlin"),
        ("(東京 (標準時))(-540)", "11/20/2023 09:00:00.000", "東京 (標準時)", 540, "Asia/Tokyo"),
        ("()(-540)", "11/20/2023 09:00:00.000", None, 540, None),
        ("(Some Zone Nobody Knows)(-60)", "11/20/2023 09:00:00.000", "Some Zone Nobody Knows", 60,
         None),
    ],
)  # fmt: skip
def test_header_zone_maps_to_iana_only_when_the_bias_fits(
    cell: str, first: str, zone: str | None, offset: int, iana: str | None
) -> None:
    text = f'"(PDH-CSV 4.0) {cell}","\\\\H1\\Processor(_Total)\\DPC Rate"\r\n"{first}","3"\r\n'
    r = parse_text(text, "z.csv")
    assert (r.host, r.zone, r.offset_min, r.tz_iana) == ("H1", zone, offset, iana)
    assert r.warnings == []


def test_header_zone_name_without_bias_still_names_the_zone() -> None:
    text = '"(PDH-CSV 4.0) (Tokyo Standard Time)","\\\\H1\\Processor(_Total)\\DPC Rate"\r\n"11/20/2023 09:00:00.000","3"\r\n'
    r = parse_text(text, "z.csv")
    assert (r.zone, r.offset_min, r.tz_iana) == ("Tokyo Standard Time", None, "Asia/Tokyo")
    assert r.warnings == []


def test_split_counter_path() -> None:
    assert split_counter_path("\\\\H\\Processor(0)\\DPC Rate") == (
        "H",
        "Processor",
        "0",
        "DPC Rate",
    )
    assert split_counter_path("\\\\H\\Memory\\Pages/sec") == ("H", "Memory", "", "Pages/sec")
    assert split_counter_path("\\\\H\\Network Interface(A (B) #1)\\Packets Received Errors") == (
        "H",
        "Network Interface",
        "A (B) #1",
        "Packets Received Errors",
    )
    assert split_counter_path("このテンプレートで基本データ") is None


# --------------------------------------------------------------------------- property

_instances = st.text(
    alphabet=string.ascii_letters + string.digits + "_#[]() .-{}/äöüßéñ",
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s.count("(") == s.count(")"))
_values = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e15, max_value=1e15),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    instance=_instances,
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)),
    steps=st.lists(st.integers(min_value=1, max_value=90_000), min_size=1, max_size=12),
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-16-le", "cp1252"]),
)
def test_roundtrip_property(
    tmp_path: Path,
    instance: str,
    start: datetime,
    steps: list[int],
    data: st.DataObject,
    encoding: str,
) -> None:
    start = start.replace(microsecond=start.microsecond // 1000 * 1000)
    times = [start]
    for ms in steps[1:]:
        times.append(times[-1] + timedelta(milliseconds=ms))
    paths = [
        f"Processor({instance})\\DPC Rate",
        f"Network Interface({instance})\\Packets Received Errors",
    ]
    rows = [(t, [data.draw(_values), data.draw(_values)]) for t in times]
    path = tmp_path / "prop.csv"
    write_pdh(path, "HOST-1", paths, rows, encoding=encoding)
    r = READER.read(
        InputFile(display="prop.csv", path=str(path)), "utf-16" if "16" in encoding else encoding
    )
    assert r.warnings == []
    for k, (obj, counter) in enumerate(
        [("Processor", "DPC Rate"), ("Network Interface", "Packets Received Errors")]
    ):
        s = series(r, obj, counter, instance)
        assert s["ts_local"].to_list() == times
        assert s["value"].to_list() == [row[1][k] for row in rows]


_SAMPLE = (
    '"(PDH-CSV 4.0) (X)(0)","\\\\H\\Processor(_Total)\\DPC Rate","\\\\H\\Memory\\Pages/sec"\n'
    '"03/05/2024 14:00:00.000","1","2"\n"03/05/2024 14:00:01.000","3","4"\n'
)


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(_SAMPLE)),
            st.sampled_from(['"', ",", "\n", "\r", ";", "\t", "\\", "(", "\x00", "\x1f", "", "x"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_hostile_input_never_crashes(edits: list[tuple[int, str]]) -> None:
    """Damaged exports either parse (equal-length series) or raise InputError: no crash."""
    text = _SAMPLE
    for pos, ch in edits:
        text = text[:pos] + ch + text[pos + 1 :]
    try:
        r = parse_text(text, "hostile.csv")
    except InputError:
        return
    assert r.counters is not None
    lengths = r.counters.group_by("object", "instance", "counter").len()["len"]
    assert lengths.n_unique() <= 1


@pytest.mark.parametrize("size", [64, 1000, 4096])
def test_blocks_give_the_same_counters_on_real_exports(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # fmt: skip
    """Every real export in the fixtures, saved again with a UTF-8 BOM and decoded block by
    block (blocks of a few bytes: lines cut across blocks, header in the first), reads the
    same as the original does; warnings too."""
    from hbtriage.sources import perfmon_csv
    from hbtriage.sources.encoding import decode

    files = sorted(FIX.glob("*.csv")) + sorted(FIX.glob("*.tsv"))
    assert len(files) >= 9
    for path in files:
        item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
        whole = perfmon_csv.READER.read(item, "")
        copy = tmp_path / path.name
        copy.write_bytes(b"\xef\xbb\xbf" + decode(path.read_bytes(), whole.encoding).encode())
        parts = perfmon_csv.READER.read(
            InputFile(display=path.name, path=str(copy), size=copy.stat().st_size),
            "",
            ReadOptions(block_bytes=size, stream_min_bytes=64),
        )
        assert parts.encoding == "utf-8-sig"
        assert (whole.counters is None) == (parts.counters is None), path.name
        if whole.counters is not None and parts.counters is not None:
            assert parts.counters.equals(whole.counters), path.name
        assert parts.warnings == whole.warnings, path.name


def test_unit_separator_byte_mid_file_takes_the_decoding_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 0x1F byte (found by the whole-file scan) sends the file to the decoding path (which
    reads it as a space), with the same counters as a file with a space there."""
    from hbtriage.sources import perfmon_csv

    src = (FIX / "pg1a_est_instances.csv").read_bytes()
    lines = src.split(b"\n")
    mid = len(lines) // 2
    cells = lines[mid].split(b",")
    cells[0] = cells[0][:-2] + b'\x1f"'  # inside the quoted time stamp's cell
    lines[mid] = b",".join(cells)
    odd, plain = tmp_path / "odd.csv", tmp_path / "plain.csv"
    odd.write_bytes(b"\n".join(lines))
    plain.write_bytes(b"\n".join(lines).replace(b"\x1f", b" "))
    decoded: list[str] = []
    real_parse_text = perfmon_csv.parse_text
    monkeypatch.setattr(
        perfmon_csv, "parse_text", lambda *a, **k: decoded.append("x") or real_parse_text(*a, **k)
    )
    got = perfmon_csv.READER.read(InputFile(display="odd.csv", path=str(odd)), "utf-8")
    assert decoded, "the decoding path read it"
    want = perfmon_csv.READER.read(InputFile(display="odd.csv", path=str(plain)), "utf-8")
    assert got.counters is not None and want.counters is not None
    assert got.counters.equals(want.counters)
    assert got.warnings == want.warnings


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40).map(lambda b: b.replace(b"\x1f", b" ")) | st.text("a\n\r\", \t").map(str.encode))  # fmt: skip
def test_line_count_of_bytes_is_polars_split(block: bytes) -> None:
    """The fast path counts a block's lines with ``bytes.count``; polars' line split (which the
    row-count proof compares with) gives the same number on any bytes, or fails on none."""
    from hbtriage.sources import perfmon_csv

    try:
        want: int | None = int(perfmon_csv._split_lines(block).select(pl.len()).collect().item())
    except pl.exceptions.PolarsError:
        want = None
    try:
        got: int | None = perfmon_csv._count_lines(block)
    except pl.exceptions.PolarsError:
        got = None
    assert got == want


@pytest.mark.parametrize(
    "name",
    [
        "vru_typeperf.csv",
        "cvp1_relog.tsv",
        "pg1a_est_instances.csv",
        "tokyo_bom_bias-540.csv",
        "ru_cut-zone_RTZ2.csv",
        "ja-cp932_TIERRA_gpu-dpc-netif_1s_527rows.csv",
    ],
)
def test_a_large_files_line_ends_counted_by_numpy_read_alike(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file's pieces' line ends are counted by numpy, in small parts: the same
    counters and warnings as counted by ``bytes.count`` (real exports, UTF-8 and decoded)."""
    import numpy  # noqa: F401 - loaded: every piece is counted by it below

    from hbtriage.sources import perfmon_csv

    item = InputFile(display=name, path=str(FIX / name))
    monkeypatch.setattr(perfmon_csv, "_COUNT_NUMPY_BYTES", 1 << 62)
    plain = perfmon_csv.READER.read(item, "")
    monkeypatch.setattr(perfmon_csv, "_COUNT_NUMPY_BYTES", 0)
    monkeypatch.setattr(perfmon_csv, "_COUNT_STEP", 97)
    counted_pieces: list[int] = []
    real = perfmon_csv._count_lf

    def spy(data: bytes) -> int:
        counted_pieces.append(len(data))
        return real(data)

    monkeypatch.setattr(perfmon_csv, "_count_lf", spy)
    counted = perfmon_csv.READER.read(item, "")
    assert counted_pieces  # (the pieces were counted, by numpy)
    assert (plain.counters is None) == (counted.counters is None)
    if plain.counters is not None and counted.counters is not None:
        assert plain.counters.equals(counted.counters)
    assert plain.warnings == counted.warnings


_NUMPY_AFTER = """
import sys
from hbtriage.sources import perfmon_csv
from hbtriage.sources.base import InputFile
if sys.argv[2] == "large":
    perfmon_csv._COUNT_IMPORT_BYTES = 0
result = perfmon_csv.READER.read(InputFile(display="x.csv", path=sys.argv[1]), "")
assert result.counters is not None and result.counters.height
print("numpy" in sys.modules)
"""


def test_only_a_large_perfmon_file_loads_numpy() -> None:
    """numpy counts a large file's line ends (its import is paid back); a small file's are
    counted without it: a small bundle never imports numpy (a quarter of a tiny run)."""
    import subprocess
    import sys

    path = str(FIX / "vru_typeperf.csv")
    for size, want in (("small", "False"), ("large", "True")):
        done = subprocess.run(
            [sys.executable, "-c", _NUMPY_AFTER, path, size],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.strip() == want, (size, done.stdout, done.stderr)


@settings(max_examples=200, deadline=None)
@given(
    block=st.binary(max_size=3000) | st.text("ab\n\r,", max_size=3000).map(str.encode),
    step=st.integers(1, 700),
)
def test_line_ends_counted_by_numpy_are_bytes_count(block: bytes, step: int) -> None:
    """A large block's line ends are counted by numpy part by part (here: any block, cut into
    parts of any size): the count ``bytes.count`` gives."""
    import numpy as np  # noqa: F401 - loaded: the numpy count is taken

    from hbtriage.sources import perfmon_csv

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(perfmon_csv, "_COUNT_NUMPY_BYTES", 0)
        mp.setattr(perfmon_csv, "_COUNT_STEP", step)
        assert perfmon_csv._count_lf(block) == block.count(b"\n")


def _wide_export(path: Path, *, kept_first: bool, german: bool = False) -> None:
    """A ``\\Process(*)\\*``-style export: thousands of columns hbtriage does not use around
    catalog counters over many instances, with blank, padded, junk and non-finite cells."""
    sep, q = (";", "") if german else (",", '"')
    kept = [f"\\\\PG1A\\Processor({i})\\{c}" for i in ["_Total", *range(40)]
            for c in ("% DPC Time", "DPC Rate", "Interrupts/sec")]  # fmt: skip
    kept += ["\\\\PG1A\\Processor Information(_Total)\\% DPC Time",
             "\\\\PG1A\\Processor Information(0,_Total)\\DPC Rate"]  # fmt: skip
    other = [f"\\\\PG1A\\Process(svchost#{i})\\{c}" for i in range(300)
             for c in ("% Processor Time", "Working Set", "Handle Count", "ID Process")]  # fmt: skip
    cols = (
        kept + other
        if kept_first
        else [c for pair in zip(other, kept * 40, strict=False) for c in pair]
    )
    cols = list(dict.fromkeys(cols))
    cells = [" ", "", "0", "1.5", " 7", "abc", "NaN", "1e309", "12", "99.25"]
    lines = [sep.join(f"{q}{c}{q}" for c in ["(PDH-CSV 4.0) (Eastern Standard Time)(300)", *cols])]
    t = datetime(2013, 3, 29, 19, 30)
    for r in range(12):
        row = [cells[(r * 7 + k) % len(cells)] for k in range(len(cols))]
        if german:
            row = [c.replace(".", ",") for c in row]
        stamp = f"{t + timedelta(seconds=r):%m/%d/%Y %H:%M:%S}.000"
        lines.append(sep.join(f"{q}{c}{q}" for c in [stamp, *row]))
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


@pytest.mark.parametrize("german", [False, True])
@pytest.mark.parametrize("kept_first", [False, True])
def test_wide_export_fast_path_equals_line_checked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept_first: bool, german: bool
) -> None:
    """A wide export (1,300 columns, 125 kept over 42 instances, blanks, padded numbers, junk,
    NaN, 1e309, German decimal commas) reads the same on the one-pass fast path (header
    classified once per (object, counter), blanks and numbers converted over all kept columns
    at once) as on the line-by-line checked path, warnings included."""
    from hbtriage.sources import perfmon_csv

    path = tmp_path / "wide.csv"
    _wide_export(path, kept_first=kept_first, german=german)
    item = InputFile(display="wide.csv", path=str(path))
    fast = perfmon_csv.READER.read(item, "utf-8")
    monkeypatch.setattr(perfmon_csv, "_read_fast", lambda *a, **k: None)
    slow = perfmon_csv.READER.read(item, "utf-8")
    assert fast.counters is not None and slow.counters is not None
    assert fast.counters.height == slow.counters.height > 0
    assert fast.counters.equals(slow.counters)
    assert fast.warnings == slow.warnings
    assert fast.extra == slow.extra
    assert fast.note == slow.note
