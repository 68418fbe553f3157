"""The counter catalog: localized names map back to English, semantics are right, the file is
valid and regenerates byte for byte from PAL's CounterLang.xml."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from hbtriage import counter_names
from hbtriage.counter_names import all_counters, build_index, canonical, semantics
from hbtriage.errors import CatalogError

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "src" / "hbtriage" / "catalog" / "counters.toml"


@pytest.mark.parametrize(
    ("obj", "counter", "expected"),
    [
        ("Processor", "DPC Rate", ("Processor", "DPC Rate", "instant")),
        ("Prozessor", "DPC-Rate", ("Processor", "DPC Rate", "instant")),
        ("Prozessor", "DPC-Zeit (%)", ("Processor", "% DPC Time", "percent")),
        ("Prozessor", "DPCs in Warteschlange/s", ("Processor", "DPCs Queued/sec", "rate")),
        ("PROZESSOR", "dpc-rate", ("Processor", "DPC Rate", "instant")),
        (
            "Prozessor",
            "% DPC Time",
            ("Processor", "% DPC Time", "percent"),
        ),  # object alone localized
        ("Processeur", "Taux DPC", ("Processor", "DPC Rate", "instant")),
        ("Procesador", "Velocidad de DPC", ("Processor", "DPC Rate", "instant")),
        (
            "Netzwerkschnittstelle",
            "Empfangene Pakete, verworfen",
            ("Network Interface", "Packets Received Discarded", "cumulative"),
        ),
        (
            "Interface réseau",
            "Paquets reçus et rejetés",
            ("Network Interface", "Packets Received Discarded", "cumulative"),
        ),
        (
            "UDPv4",
            "Erhaltene Datagramme, Fehler",
            ("UDPv4", "Datagrams Received Errors", "cumulative"),
        ),
        ("TCPv4", "Zurückgesetzte Verbindungen", ("TCPv4", "Connections Reset", "cumulative")),
        ("Arbeitsspeicher", "Verfügbare MB", ("Memory", "Available MBytes", "gauge")),
        ("System", "Processor Queue Length", ("System", "Processor Queue Length", "gauge")),
        ("Processor", "% Soft IRQ Time", ("Processor", "% Soft IRQ Time", "percent")),
    ],
)
def test_canonical(obj: str, counter: str, expected: tuple[str, str, str]) -> None:
    assert canonical(obj, counter) == expected


def test_unknown_names() -> None:
    assert canonical("Process", "Working Set") is None
    assert canonical("Processor", "Working Set") is None
    assert canonical("", "") is None
    assert semantics("Processor", "Nope") is None
    assert semantics("Prozessor", "Interrupts/s") == "rate"


def test_catalog_holds_what_the_diagnosis_needs() -> None:
    by_key = {(c.object, c.counter): c for c in all_counters()}
    wanted = {
        ("Processor", "% DPC Time"): "percent",
        ("Processor", "DPC Rate"): "instant",
        ("Processor", "DPCs Queued/sec"): "rate",
        ("Processor", "% Interrupt Time"): "percent",
        ("Processor", "Interrupts/sec"): "rate",
        ("Network Interface", "Packets Received Discarded"): "cumulative",
        ("Network Interface", "Packets Received Errors"): "cumulative",
        ("Network Interface", "Packets Outbound Discarded"): "cumulative",
        ("UDPv4", "Datagrams Received Errors"): "cumulative",
        ("UDPv6", "Datagrams Received Errors"): "cumulative",
        ("TCPv4", "Connections Reset"): "cumulative",
        ("System", "Processor Queue Length"): "gauge",
        ("Memory", "Pages/sec"): "rate",
        ("Memory", "Available MBytes"): "gauge",
    }
    for key, sem in wanted.items():
        assert by_key[key].semantics == sem, key
    dpc = by_key[("Processor", "DPC Rate")]
    assert dpc.names["deDE"] == "Prozessor\\DPC-Rate"
    assert dpc.names["jaJP"] == "Processor\\DPC Rate"  # Japanese Windows keeps English names
    assert len(dpc.names) == 17
    assert all(c.reference and c.title for c in all_counters())


def test_no_localized_spelling_is_ambiguous() -> None:
    """Within one object, no language's counter name equals another counter's name."""
    seen: dict[tuple[str, str], str] = {}
    for c in all_counters():
        for name in set(c.names.values()) | {f"{c.object}\\{c.counter}"}:
            key = (c.object, name.split("\\", 1)[1].casefold())
            assert seen.setdefault(key, c.id) == c.id, (key, seen[key], c.id)


BASE = """
[[counter]]
id = "a"
object = "Processor"
counter = "DPC Rate"
semantics = "instant"
title = "t"
reference = "r"
[counter.names]
enUS = "Processor\\\\DPC Rate"
"""


def test_validation_names_file_and_entry() -> None:
    assert len(build_index(BASE, "x.toml").counters) == 1
    with pytest.raises(CatalogError, match=r"x.toml \[a\]: duplicate id"):
        build_index(BASE + BASE.replace("DPC Rate", "Other"), "x.toml")
    with pytest.raises(CatalogError, match=r"x.toml \[a\]: semantics 'speed' not one of"):
        build_index(BASE.replace('"instant"', '"speed"'), "x.toml")
    with pytest.raises(CatalogError, match=r"\[a\]: missing or empty 'reference'"):
        build_index(BASE.replace('reference = "r"', ""), "x.toml")
    with pytest.raises(CatalogError, match="not valid TOML"):
        build_index("[[counter]\n", "x.toml")
    with pytest.raises(CatalogError, match=r"\[b\]: Processor\\DPC Rate listed twice"):
        build_index(BASE + BASE.replace('id = "a"', 'id = "b"'), "x.toml")


#: A second Processor counter (% DPC Time, Italian name) and Processor Information standing in
#: for Processor.
STAND_IN = (
    BASE.replace('id = "a"', 'id = "b"')
    .replace('"DPC Rate"', '"% DPC Time"')
    .replace('"instant"', '"percent"')
    .replace('enUS = "Processor\\\\DPC Rate"', 'itIT = "Processore\\\\% tempo DPC"')
    + """
[[object]]
id = "processor_information"
object = "Processor Information"
counts_as = "Processor"
[object.names]
itIT = "Informazioni processore"
"""
)


def test_a_stand_in_object_is_checked_when_the_catalog_loads() -> None:
    """An [[object]] that ``counts_as`` another (Processor Information as Processor): its names
    and its own counter spellings read as the other's counters; a wrong one names the entry."""
    text = BASE + STAND_IN
    index = build_index(text + '[object.counters."DPC Rate"]\nitIT = "Frequenza DPC"\n', "c.toml")
    hit = index.canonical("Informazioni processore", "Frequenza DPC")
    assert hit == ("Processor", "DPC Rate", "instant")
    assert index.stands_in("informazioni PROCESSORE") and not index.stands_in("Processor")
    with pytest.raises(CatalogError, match=r"c.toml \[object Processor Information\]: counts_as"):
        build_index(text.replace('counts_as = "Processor"', 'counts_as = "Prozessor"'), "c.toml")
    with pytest.raises(CatalogError, match=r"'Nope' is not a Processor counter"):
        build_index(text + '[object.counters."Nope"]\nitIT = "X"\n', "c.toml")
    with pytest.raises(CatalogError, match=r"'% tempo DPC' is already another Processor counter"):
        build_index(text + '[object.counters."DPC Rate"]\nitIT = "% tempo DPC"\n', "c.toml")


def test_packaged_catalog_loads() -> None:
    counter_names._index.cache_clear()
    assert len(all_counters()) >= 29
    data = tomllib.loads(CATALOG.read_text(encoding="utf-8"))
    assert "generated by scripts/gen_counter_names.py" in CATALOG.read_text().lower()
    assert {o["object"] for o in data["object"]} >= {"Processor", "Network Interface", "Memory"}


def test_generator_reproduces_the_generated_part(tmp_path: Path) -> None:
    """Run the script on a tiny CounterLang.xml: names come from the XML, missing counters
    are English-only with a comment, and the hand-maintained section survives."""
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_counter_names.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    xml = tmp_path / "CounterLang.xml"
    xml.write_text(
        '<CounterLang><CounterObject enUS="Processor" deDE="Prozessor" frFR="">'
        '<CounterName enUS="DPC Rate" deDE="DPC-Rate" frFR="Taux DPC" />'
        "</CounterObject></CounterLang>",
        encoding="utf-8",
    )
    out = tmp_path / "counters.toml"
    out.write_text("old\n" + gen.HAND_MARKER + "\n# kept\n", encoding="utf-8")
    assert gen.main([str(xml), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    dpc = next(c for c in data["counter"] if c["counter"] == "DPC Rate")
    assert dpc["names"] == {"deDE": "Prozessor\\DPC-Rate", "enUS": "Processor\\DPC Rate"}
    assert dpc["id"] == "processor.dpc_rate"
    reset = next(c for c in data["counter"] if c["counter"] == "Connections Reset")
    assert reset["names"] == {"enUS": "TCPv4\\Connections Reset"}
    assert "# TCPv4\\Connections Reset: not in CounterLang.xml" in text
    assert text.rstrip().endswith("# kept") and not text.startswith("old")
    assert "7cfe6d8d238db7edd68f13116d1909cfe685c8ff" in text
