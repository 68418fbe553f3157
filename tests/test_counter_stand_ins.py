"""The counters the causes use, under every name PAL's table gives them, as perfmon writes them.

Windows offers the Processor counters a second time under ``Processor Information`` (per NUMA
node, instances ``0,_Total`` ...) and, from Server 2012, the Network Interface counters under
``Network Adapter``; a collector set built in the Add Counters dialog often holds those. They
read as Processor and Network Interface, in every language of CounterLang.xml, and a file with
both objects gives one series per counter and instance (the object's own column).
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from hbtriage import analyze
from hbtriage.cli import reference_bundle
from hbtriage.counter_names import all_counters
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile

XML = Path(__file__).parent / "fixtures" / "pal" / "CounterLang.xml"
#: The 17 languages of the table (the attributes of its objects).
LANGS = sorted(next(ET.parse(XML).getroot().iter("CounterObject")).attrib)
#: The catalog object each object of the table is read as.
READ_AS = {
    **{c.object: c.object for c in all_counters() if not c.id.startswith("linux.")},
    "Processor Information": "Processor",
    "Network Adapter": "Network Interface",
}
#: Objects without instances: their paths have no "(...)".
SINGLE = {"UDPv4", "UDPv6", "TCPv4", "TCPv6", "System", "Memory"}


Row = tuple[str, str, str, str, str]


def _table() -> dict[str, list[Row]]:
    """language -> (catalog object, English counter, English object of the table, localized
    object, localized counter) of every catalog counter under every object CounterLang.xml
    lists it for that reads as a catalog object."""
    wanted = {(c.object, c.counter) for c in all_counters()}
    out: dict[str, list[Row]] = {lang: [] for lang in LANGS}
    seen: set[tuple[str, str, str]] = set()
    for obj in ET.parse(XML).getroot().iter("CounterObject"):
        target = READ_AS.get(obj.get("enUS") or "")
        if target is None:
            continue
        for c in obj.iter("CounterName"):
            key = (obj.get("enUS") or "", c.get("enUS") or "")
            if (target, key[1]) not in wanted or (*key, "") in seen:
                continue
            seen.add((*key, ""))
            for lang in LANGS:
                lobj, lctr = obj.get(lang), c.get(lang)
                if lobj and lctr:
                    out[lang].append((target, key[1], key[0], lobj, lctr))
    return out


TABLE = _table()


def _path(lobj: str, lctr: str, target: str, stand_in: bool) -> str:
    if target in SINGLE:
        return f"\\\\SRV1\\{lobj}\\{lctr}"
    # The stand-in's own instance (a CPU of NUMA node 0): its column is not Processor(_Total)'s.
    return f"\\\\SRV1\\{lobj}({'0,1' if stand_in else '_Total'})\\{lctr}"


def test_the_table_walk_covers_both_objects_of_every_processor_and_nic_counter() -> None:
    en = {(t, c, o) for t, c, o, _, _ in TABLE["enUS"]}
    for cid in ("DPC Rate", "% DPC Time", "DPCs Queued/sec", "% Interrupt Time"):
        assert {("Processor", cid, "Processor"), ("Processor", cid, "Processor Information")} <= en
    for cid in ("Packets Received Discarded", "Packets Received Errors"):
        assert ("Network Interface", cid, "Network Adapter") in en
    assert ("UDPv4", "Datagrams Received Errors", "UDPv4") in en
    assert ("TCPv4", "Connections Reset", "TCPv4") in en
    assert len(LANGS) == 17
    assert all(len(TABLE[lang]) == len(TABLE["enUS"]) for lang in LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_cause_counter_reads_under_its_name_in_every_language(
    lang: str, tmp_path: Path
) -> None:
    """One export per language holding every catalog counter under every object of the table
    (PAL's spelling, diacritics as PAL has them), quoted as perfmon writes it, first sample
    blank: each column is read, as its catalog object and English counter."""
    rows = TABLE[lang]
    cells = ['"(PDH-CSV 4.0) (W. Europe Standard Time)(-60)"']
    expected: set[tuple[str, str, str]] = set()
    for target, counter, en_obj, lobj, lctr in rows:
        stand_in = en_obj != target
        cells.append(f'"{_path(lobj, lctr, target, stand_in)}"')
        inst = "" if target in SINGLE else ("0,1" if stand_in else "_Total")
        expected.add((target, inst, counter))
    lines = [",".join(cells), '"03/30/2013 19:36:40.531",' + ",".join(['" "'] * (len(cells) - 1))]
    lines += [
        f'"03/30/2013 19:36:{s:02d}.531",' + ",".join([f'"{s}"'] * (len(cells) - 1))
        for s in range(41, 46)
    ]
    path = tmp_path / f"srv1_{lang}.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    out = read_one(InputFile(display=path.name, path=str(path), size=path.stat().st_size))
    assert out.result.counters is not None, out.result.warnings
    got = set(
        out.result.counters.select(
            pl.col("object").cast(pl.Utf8),
            pl.col("instance").cast(pl.Utf8).fill_null(""),
            pl.col("counter").cast(pl.Utf8),
        ).iter_rows()
    )
    assert expected - got == set(), lang
    assert out.result.extra["dropped_columns"] == 0, lang


def _rewrite(src: Path, objects: dict[str, str]) -> None:
    text = src.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n")
    for old, new in objects.items():
        head = head.replace(f"\\{old}(", f"\\{new}(")
    src.write_text(head + sep + rest, encoding="utf-8", newline="")


def _stand_in_bundle(tmp_path: Path) -> Path:
    """The reference bundle with both perfmon files logged under Processor Information and
    Network Adapter."""
    bundle = tmp_path / "pi_bundle"
    shutil.copytree(reference_bundle(), bundle)
    for host in ("CVP1", "PG1A"):
        _rewrite(
            bundle / host / f"{host}_perfmon.csv",
            {"Processor": "Processor Information", "Network Interface": "Network Adapter"},
        )
    return bundle


def test_reference_case_collected_as_processor_information_finds_the_dpc_storm(
    tmp_path: Path,
) -> None:
    """The reference bundle with both servers' perfmon collected under Processor Information
    and Network Adapter (Server 2012 style): the same incident, dpc_storm on CVP1, the same
    evidence as with Processor and Network Interface."""
    bundle = _stand_in_bundle(tmp_path)
    head = (bundle / "CVP1" / "CVP1_perfmon.csv").read_text(encoding="utf-8").split("\n")[0]
    assert "\\Processor Information(_Total)\\DPC Rate" in head
    assert "\\Processor(" not in head
    english = analyze([reference_bundle()])
    newer = analyze([bundle])
    top = newer.incidents[0].causes[0]
    assert (top.id, top.host) == ("dpc_storm", "CVP1")
    assert top.evidence == english.incidents[0].causes[0].evidence
    assert [(i.start, i.end, i.hosts) for i in newer.incidents] == [
        (i.start, i.end, i.hosts) for i in english.incidents
    ]
    # The evidence says Processor(_Total)\DPC Rate: each input says whose columns those are.
    notes = {Path(i.path).name: i.note for i in newer.inputs if i.kind == "perfmon_csv"}
    assert notes == dict.fromkeys(
        ("CVP1_perfmon.csv", "PG1A_perfmon.csv"),
        "Processor Information, Network Adapter counters are read and shown as Processor, "
        "Network Interface (Windows offers the same counters under both objects)",
    )
    assert not [i.note for i in english.inputs if i.kind == "perfmon_csv" and i.note]


def test_both_objects_in_one_file_give_one_series_from_processor(tmp_path: Path) -> None:
    """Processor(_Total) and Processor Information(_Total) side by side (the stand-in first):
    one DPC Rate series of _Total, with the Processor column's values."""
    path = tmp_path / "pg1a.csv"
    lines = [
        '"(PDH-CSV 4.0) (Tokyo Standard Time)(-540)",'
        '"\\\\PG1A\\Processor Information(_Total)\\DPC Rate",'
        '"\\\\PG1A\\Processor(_Total)\\DPC Rate"',
        *(f'"03/30/2013 19:36:{s:02d}.531","{100 + s}","{s}"' for s in range(40, 46)),
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    out = read_one(InputFile(display=path.name, path=str(path), size=path.stat().st_size))
    ct = out.result.counters
    assert ct is not None
    assert ct.height == 6
    assert set(ct["object"].cast(pl.Utf8)) == {"Processor"}
    assert ct.sort("ts_local")["value"].to_list() == [float(s) for s in range(40, 46)]


@pytest.mark.parametrize(
    ("instances", "kept"),
    [
        (["_Total", "0,_Total", "0,0", "0,1"], {"_Total", "0,0", "0,1"}),
        (["0,_Total", "1,_Total"], {"0,_Total", "1,_Total"}),
    ],
)
def test_per_node_totals_do_not_repeat_the_total(
    tmp_path: Path, instances: list[str], kept: set[str]
) -> None:
    """Processor Information(*) as a collector writes it: "_Total", a total per NUMA node
    ("0,_Total") and one instance per CPU. The node total repeated the machine's (the evidence
    listed "Processor(0,_Total)\\DPC Rate 0 → 10" beside "Processor(_Total)\\DPC Rate 0 → 10"):
    it is left out when "_Total" is there, kept when it is all there is."""
    path = tmp_path / "cvp1.csv"
    head = ",".join(
        ['"(PDH-CSV 4.0) (Tokyo Standard Time)(-540)"']
        + [f'"\\\\CVP1\\Processor Information({i})\\DPC Rate"' for i in instances]
    )
    rows = [
        f'"03/30/2013 19:36:{s:02d}.531",' + ",".join(f'"{s}"' for _ in instances)
        for s in range(40, 46)
    ]
    path.write_text("\r\n".join([head, *rows]) + "\r\n", encoding="utf-8")
    out = read_one(InputFile(display=path.name, path=str(path), size=path.stat().st_size))
    assert out.result.counters is not None
    assert set(out.result.counters["instance"].cast(pl.Utf8)) == kept


def test_the_note_names_only_stand_ins_whose_columns_are_kept(tmp_path: Path) -> None:
    """Processor and Processor Information side by side for every counter: Processor's columns
    are kept, and the note does not say Processor Information was read as Processor."""
    path = tmp_path / "pg1a.csv"
    cells = ['"(PDH-CSV 4.0) (Tokyo Standard Time)(-540)"'] + [
        f'"\\\\PG1A\\{obj}(_Total)\\{ctr}"'
        for obj in ("Processor Information", "Processor", "Network Adapter")
        for ctr in ("DPC Rate", "% DPC Time")
        if not (obj == "Network Adapter" and ctr == "% DPC Time")
    ]
    cells[-1] = '"\\\\PG1A\\Network Adapter(nic0)\\Packets Received Discarded"'
    rows = [
        f'"03/30/2013 19:36:{s:02d}.531",' + ",".join(f'"{s}"' for _ in cells[1:])
        for s in range(40, 46)
    ]
    path.write_text("\r\n".join([",".join(cells), *rows]) + "\r\n", encoding="utf-8")
    out = read_one(InputFile(display=path.name, path=str(path), size=path.stat().st_size))
    assert out.result.note == (
        "Network Adapter counters are read and shown as Network Interface (Windows offers the "
        "same counters under both objects)"
    )


def test_html_charts_of_a_perfmon_logged_under_processor_information(tmp_path: Path) -> None:
    """The HTML report's charts of the reference bundle logged under Processor Information and
    Network Adapter draw the same DPC Rate, % DPC Time and NIC series as under Processor and
    Network Interface: the reader keeps those counters under the object they count as, so the
    chart rows name that object only (the stand-ins listed in charts.toml were never drawn)."""
    import json

    from typer.testing import CliRunner

    from hbtriage.cli import app

    bundle = _stand_in_bundle(tmp_path)

    def series(*paths: Path) -> dict[str, list[str]]:
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        args = ["analyze", *map(str, paths), "--out", str(out), "--format", "html", "--quiet"]
        got = CliRunner().invoke(app, args)
        assert got.exit_code == 0, got.output
        charts = json.loads((out / "charts.json").read_text(encoding="utf-8"))["charts"]["en"]
        return {c["id"]: [t["name"] for t in c["data"]] for c in charts}

    newer = series(bundle)
    assert {"CVP1 DPC Rate", "PG1A DPC Rate", "CVP1 % DPC Time"} <= set(newer["chart-INC-001"])
    assert "CVP1 Network Interface\\Packets Received Discarded" in newer["chart-INC-001"]
    assert newer == series(reference_bundle())


def test_a_chart_row_on_a_stand_in_object_is_a_catalog_error(tmp_path: Path) -> None:
    """A site chart row on 'Processor Information' loaded and drew nothing, ever (the reader
    keeps those counters under Processor): the catalog says so and names the object to list."""
    from hbtriage.catalog import load_catalog
    from hbtriage.errors import CatalogError

    site = tmp_path / "site"
    site.mkdir()
    (site / "charts.toml").write_text(
        '[[row]]\nid = "site_dpc"\ntitle = "DPC Rate per node"\ntitle_ja = "ノード別 DPC レート"\n'
        'objects = ["Processor Information"]\ncounters = ["DPC Rate"]\nreference = "site"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(extra=[site])
    assert str(err.value) == (
        f"{site / 'charts.toml'} [site_dpc]: objects: 'Processor Information' is read as "
        "'Processor' (counters.toml counts_as), so it is never drawn: list 'Processor'"
    )
