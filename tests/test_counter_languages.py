"""Perfmon counters in the languages Windows localizes them in (issue 15 part 4).

Russian Windows writes Cyrillic counter names (PAL's table gives English for it): they are in
``catalog/counters_local.toml`` with their sources, and a Russian export (cp1251 or UTF-16 LE
with BOM, as relog writes them) reads like an English one, down to ``dpc_storm`` on the
reference case. Names are matched ignoring case and diacritics (PAL lost them for Czech,
Polish, Turkish, Hungarian ...), and the catalog refuses two counters that fold alike. A
language the catalog really lacks (Greek here) still gets its warning.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage import analyze
from hbtriage.catalog import load_catalog
from hbtriage.cli import reference_bundle
from hbtriage.counter_names import all_counters, build_index, canonical, fold_name, known_object
from hbtriage.errors import CatalogError
from hbtriage.findings import Findings
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile
from hbtriage.sources.options import ReadOptions

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "src" / "hbtriage" / "catalog"
RU = Path(__file__).parent / "fixtures" / "perfmon" / "ru"
RU_CP1251 = RU / "ru-cp1251_MSK-APP7_dpc-storm_60rows.csv"
RU_UTF16 = RU / "ru-utf16le-bom_MSK-APP7_dpc-storm_60rows.csv"

#: (object, counter) -> catalog id, and every (id, language, "Object\\Counter") of the catalog.
IDS = {(c.object, c.counter): c.id for c in all_counters()}
SPELLINGS = sorted(
    {(c.id, lang, name) for c in all_counters() for lang, name in c.names.items()}
    | {(c.id, "canonical", f"{c.object}\\{c.counter}") for c in all_counters()}
)


def _item(path: Path) -> InputFile:
    return InputFile(display=path.name, path=str(path), size=path.stat().st_size)


def _id_of(obj: str, counter: str) -> str | None:
    hit = canonical(obj, counter)
    return IDS[(hit[0], hit[1])] if hit else None


def _strip_marks(text: str) -> str:
    """``text`` as a writer that lost its diacritics spells it (PAL's ``% casu DPC``)."""
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return bare.translate(str.maketrans({"ı": "i", "ł": "l", "Ł": "L"}))


# --- the Russian names ---------------------------------------------------------------------


def test_every_catalog_counter_has_its_russian_name() -> None:
    """Every Windows counter of counters.toml got the name Russian Windows writes, in
    Cyrillic where Windows localizes (TCPv4, UDPv6 ... keep their Latin object names)."""
    # (Linux counters, and the counts since boot only error-counter snapshots give, have no
    # perfmon name in any Windows language.)
    windows = [c for c in all_counters() if not c.id.startswith(("linux.", "snapshot."))]
    assert len(windows) == 29
    for c in windows:
        name = c.names["ruRU"]
        assert name != f"{c.object}\\{c.counter}", c.id
        assert any("CYRILLIC" in unicodedata.name(ch, "") for ch in name), (c.id, name)
    assert {c.names["ruRU"].split("\\")[0] for c in windows} == {
        "Процессор",
        "Сетевой интерфейс",
        "UDPv4",
        "UDPv6",
        "TCPv4",
        "TCPv6",
        "Система",
        "Память",
    }


@pytest.mark.parametrize(
    ("path", "cid"),
    [
        # Real paths of public scripts run on Russian Windows (Get-Counter, typeperf, logman).
        ("Процессор(_Total)\\% загруженности процессора", "processor.pct_processor_time"),
        ("Память\\Доступно МБ", "memory.available_mbytes"),
        ("Сетевой интерфейс(*)\\Всего байт/с", "network_interface.bytes_total_per_sec"),
        ("Система\\Длина очереди процессора", "system.processor_queue_length"),
        ("Память\\Обмен страниц/с", "memory.pages_per_sec"),
        ("процессор(_total)\\% загруженности процессора", "processor.pct_processor_time"),
        ("сетевой интерфейс(x)\\всего байт/с", "network_interface.bytes_total_per_sec"),
        # The DPC and interrupt counters of the Russian name table (Perflib\019).
        ("Процессор(0)\\% времени DPC", "processor.pct_dpc_time"),
        ("Процессор(_Total)\\Скорость DPC", "processor.dpc_rate"),
        ("Процессор(_Total)\\Поставлено в очередь DPC/сек", "processor.dpcs_queued_per_sec"),
        ("Процессор(_Total)\\% времени прерываний", "processor.pct_interrupt_time"),
        ("Процессор(_Total)\\Прерываний/с", "processor.interrupts_per_sec"),
        ("Процессор(_Total)\\% работы в привилегированном режиме", "processor.pct_privileged_time"),
        ("TCPv4\\Сбросов подключений", "tcpv4.connections_reset"),
        ("TCPv6\\Переотправлено сегментов/сек", "tcpv6.segments_retransmitted_per_sec"),
        ("UDPv4\\Получено датаграмм с другими ошибками", "udpv4.datagrams_received_errors"),
        # A Chinese path quoted as tested on Chinese Windows Server 2016.
        ("处理器(_Total)\\% 处理器时间", "processor.pct_processor_time"),
    ],
)
def test_real_localized_paths_map_to_their_counter(path: str, cid: str) -> None:
    obj, counter = path.split("\\")
    assert _id_of(obj.split("(")[0], counter) == cid


def test_local_names_are_sourced_and_consistent() -> None:
    """Each hand-kept name cites one of the file's [sources]; one language spells one object
    one way; Japanese keeps English (real Japanese exports do) and Korean stays as PAL has it
    (no source gives its names)."""
    doc = tomllib.loads((CATALOG / "counters_local.toml").read_text(encoding="utf-8"))
    sources = set(doc["sources"])
    assert sources == {"ru_perflib", "ru_scripts", "zh_tested"}
    objects: dict[tuple[str, str], set[str]] = {}
    by_id = {c.id: c for c in all_counters()}
    for entry in doc["counter"]:
        for lang, value in entry.items():
            if lang == "id":
                continue
            cited = {part.split(":", 1)[0].strip() for part in value["reference"].split(";")}
            assert cited <= sources, (entry["id"], lang, cited)
            assert by_id[entry["id"]].names[lang] == value["name"]
            objects.setdefault((lang, by_id[entry["id"]].object), set()).add(
                value["name"].split("\\")[0]
            )
    assert all(len(v) == 1 for v in objects.values()), objects
    dpc = by_id["processor.dpc_rate"]
    assert dpc.names["jaJP"] == "Processor\\DPC Rate" == dpc.names["koKR"]


# --- diacritics and case -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "counter", "cid"),
    [
        # Czech as Windows writes it (a public multi-language script); PAL: "% casu DPC".
        ("Procesor", "% času DPC", "processor.pct_dpc_time"),
        ("PROCESOR", "% ČASU DPC", "processor.pct_dpc_time"),
        # Turkish object as Windows writes it ("İşlemci(_Total)"); PAL: "Islemci".
        ("İşlemci", "% DPC Zamani", "processor.pct_dpc_time"),
        ("işlemci", "% DPC Zamanı", "processor.pct_dpc_time"),
        ("ISLEMCI", "DPC HIZI", "processor.dpc_rate"),
        # Diacritics PAL dropped, put back (Polish ś ć, Hungarian ő, Czech ě).
        ("Procesor", "Szybkość DPC", "processor.dpc_rate"),
        (
            "Processzor",
            "DPC-hívásokra fordított időhányad (%)",
            "processor.pct_dpc_time",
        ),
        ("Procesor", "Volání DPC ve frontě/s", "processor.dpcs_queued_per_sec"),
        ("Pamięć", "Strony/s", "memory.pages_per_sec"),
        # And PAL's own spellings, in any case.
        ("procesor", "% CASU DPC", "processor.pct_dpc_time"),
    ],
)
def test_diacritics_and_case_do_not_matter(obj: str, counter: str, cid: str) -> None:
    assert _id_of(obj, counter) == cid


def test_fold_name_keeps_turkish_i_apart_from_nothing() -> None:
    assert fold_name("İşlemci") == fold_name("Islemci") == fold_name("ışlemcı") == "islemci"
    assert fold_name("  % času\tDPC ") == fold_name("% casu DPC") == "% casu dpc"
    assert fold_name("Straße") == fold_name("STRASSE")
    assert fold_name("Скорость DPC") != fold_name("Скорость DPC/сек")
    assert known_object("İŞLEMCİ") == "Processor"


@st.composite
def _respelled(draw: st.DrawFn) -> tuple[str, str, str]:
    cid, _lang, name = draw(st.sampled_from(SPELLINGS))
    if draw(st.booleans()):
        name = _strip_marks(name)
    if draw(st.booleans()):
        name = unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD", "NFKC"])), name)
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    name = "".join(ch.upper() if up else ch.lower() for ch, up in zip(name, flips, strict=True))
    spaces = draw(st.sampled_from(["", " ", "  "]))
    obj, counter = name.split("\\", 1)
    return cid, f"{spaces}{obj}", f"{counter}{spaces}"


@settings(max_examples=400, deadline=None)
@given(case=_respelled())
def test_property_any_spelling_in_any_language_maps_to_its_id(case: tuple[str, str, str]) -> None:
    cid, obj, counter = case
    assert _id_of(obj.strip(), counter.strip()) == cid


# --- the collision check -------------------------------------------------------------------


def _counter(cid: str, counter: str, names: dict[str, str]) -> str:
    table = "\n".join(f'{lang} = "{name}"' for lang, name in names.items())
    return (
        f'[[counter]]\nid = "{cid}"\nobject = "Processor"\ncounter = "{counter}"\n'
        f'semantics = "rate"\ntitle = "t"\nreference = "r"\n[counter.names]\n{table}\n'
    )


def test_two_counters_folding_alike_in_one_language_are_refused() -> None:
    a = _counter("a", "DPC Rate", {"plPL": "Procesor\\\\Szybkość DPC"})
    b = _counter("b", "Other", {"plPL": "Procesor\\\\SZYBKOSC dpc"})
    with pytest.raises(CatalogError, match=r"x.toml \[b\]: .*same spelling as counter 'a' in plPL"):
        build_index(a + b, "x.toml")
    c = _counter("c", "Other", {"trTR": "İşlemci\\\\Kesme/sn"})
    d = _counter("d", "Interrupts/sec", {"trTR": "Islemci\\\\kesme/SN"})
    with pytest.raises(CatalogError, match=r"\[d\]: .*same spelling as counter 'c' in trTR"):
        build_index(c + d, "x.toml")
    assert len(build_index(a + _counter("b", "Other", {"plPL": "Procesor\\\\Inne"}), "x").counters)


def test_two_counters_folding_alike_across_languages_or_objects_are_refused() -> None:
    a = _counter("a", "DPC Rate", {"deDE": "Prozessor\\\\DPC-Rate"})
    b = _counter("b", "Other", {"nlNL": "Processor\\\\dpc-rate"})
    with pytest.raises(CatalogError, match=r"same spelling as counter 'a' in deDE and nlNL"):
        build_index(a + b, "x.toml")
    other = _counter("b", "Other", {"deDE": "Prozessor\\\\Anders"}).replace(
        'object = "Processor"', 'object = "Memory"'
    )
    with pytest.raises(CatalogError, match=r"object 'Prozessor' \(deDE\) folds to the same"):
        build_index(a + other, "x.toml")


LOCAL_OK = '[[counter]]\nid = "a"\nruRU = { name = "Процессор\\\\Скорость DPC", reference = "s" }\n'


@pytest.mark.parametrize(
    ("local", "problem"),
    [
        (LOCAL_OK.replace('"a"', '"zz"'), r"l.toml \[zz\]: no \[\[counter\]\] of counters"),
        (LOCAL_OK.replace("ruRU", "russian"), r"'russian' is not a language code"),
        (LOCAL_OK.replace('reference = "s"', 'reference = ""'), r"ruRU: missing or empty"),
        (LOCAL_OK.replace("Процессор\\\\", ""), r"ruRU: name must be"),
        (LOCAL_OK.replace("ruRU = {", "ruRU = { x = 1, ").replace("name =", "nm ="), "name must"),
    ],
)
def test_local_names_are_checked(local: str, problem: str) -> None:
    base = _counter("a", "DPC Rate", {"enUS": "Processor\\\\DPC Rate"})
    assert build_index(base, "x.toml", LOCAL_OK, "l.toml").counters[0].names["ruRU"]
    with pytest.raises(CatalogError, match=problem):
        build_index(base, "x.toml", local, "l.toml")


def test_a_local_name_colliding_with_another_counter_is_refused() -> None:
    base = _counter("a", "DPC Rate", {}) + _counter("b", "% DPC Time", {"ruRU": "П\\\\x"})
    local = '[[counter]]\nid = "a"\nruRU = { name = "П\\\\X", reference = "s" }\n'
    with pytest.raises(CatalogError, match=r"\[b\]: .*same spelling as counter 'a' in ruRU"):
        build_index(base, "x.toml", local, "l.toml")


def test_a_catalog_layer_brings_its_own_local_names(tmp_path: Path) -> None:
    """A --catalog folder with a counters_local.toml adds a language (Greek names made up
    here): its export then reads; a bad id in it is a catalog error naming the file."""
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "counters_local.toml").write_text(
        '[[counter]]\nid = "processor.dpc_rate"\n'
        'elGR = { name = "Επεξεργαστής\\\\Ρυθμός DPC", reference = "test" }\n',
        encoding="utf-8",
    )
    catalog = load_catalog(extra=[layer])
    assert catalog.counter_index().canonical("ΕΠΕΞΕΡΓΑΣΤΗΣ", "ρυθμος dpc") == (
        "Processor",
        "DPC Rate",
        "instant",
    )
    path = _greek_export(tmp_path)
    out = read_one(_item(path), ReadOptions(counters=catalog.counter_index()))
    assert out.result is not None and out.result.counters is not None
    assert sorted(out.result.counters["counter"].unique().to_list()) == ["% DPC Time", "DPC Rate"]
    (layer / "counters_local.toml").write_text(
        '[[counter]]\nid = "processor.nope"\nelGR = { name = "Α\\\\Β", reference = "t" }\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match=r"counters_local.toml \[processor.nope\]"):
        load_catalog(extra=[layer])


# --- reading Russian exports ---------------------------------------------------------------


@pytest.mark.parametrize(("path", "encoding"), [(RU_CP1251, "cp1251"), (RU_UTF16, "utf-16")])
def test_russian_export_reads_host_encoding_counters_and_the_storm(
    path: Path, encoding: str
) -> None:
    out = read_one(_item(path))
    assert out.kind == "perfmon_csv" and out.encoding == encoding
    res = out.result
    assert res is not None and res.counters is not None
    assert res.host == "MSK-APP7" and res.offset_min == 180 and res.zone == "RTZ 2 (зима)"
    assert res.warnings == []  # PhysicalDisk and Process are dropped quietly
    assert res.extra["dropped_columns"] == 2 and res.extra["rows"] == 60
    kept = set(res.counters.select("object", "counter").unique().iter_rows())
    assert len(kept) == 20 and {(o, c) for o, c in kept} <= set(IDS)
    dpc = res.counters.filter(res.counters["counter"] == "DPC Rate")["value"].to_list()
    assert dpc[:30] == [0.0] * 30 and dpc[30:41] == [38.0] * 11 and dpc[41:] == [0.0] * 19
    pct = res.counters.filter(res.counters["counter"] == "% DPC Time")["value"].to_list()
    assert pct[0] is None and max(pct[1:30]) < 1 and min(pct[30:41]) > 40


def test_fixtures_are_what_make_fixtures_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_ru", RU / "make_fixtures.py")
    assert spec and spec.loader
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    body = make.text()
    assert RU_CP1251.read_bytes() == body.encode("cp1251")
    assert RU_UTF16.read_bytes() == b"\xff\xfe" + body.encode("utf-16-le")


def test_both_russian_encodings_read_the_same() -> None:
    a = read_one(_item(RU_CP1251)).result
    b = read_one(_item(RU_UTF16)).result
    assert a is not None and b is not None and a.counters is not None
    assert a.counters.equals(b.counters)


def _translate(src: Path, dst: Path, encoding: str) -> None:
    """Rewrite an English perfmon export with the Russian names of the catalog's counters,
    with CRLF line ends as perfmon writes them."""
    lines = [line.rstrip("\r") for line in src.read_text(encoding="utf-8").split("\n")]
    cells = lines[0].split('","')
    for i, cell in enumerate(cells[1:], start=1):
        host, rest = cell.lstrip('"\\').split("\\", 1)
        obj_inst, counter = rest.rstrip('"').rsplit("\\", 1)
        obj, _, inst = obj_inst.partition("(")
        lobj, lcounter = next(
            c.names["ruRU"] for c in all_counters() if (c.object, c.counter) == (obj, counter)
        ).split("\\")
        cells[i] = f"\\\\{host}\\{lobj}{'(' + inst if inst else ''}\\{lcounter}"
    lines[0] = '","'.join(cells) + ('"' if not cells[-1].endswith('"') else "")
    text = "\r\n".join(lines)
    data = b"\xff\xfe" + text.encode("utf-16-le") if encoding == "utf-16" else text.encode(encoding)
    dst.write_bytes(data)


def _summary(f: Findings) -> list[tuple[str, str, list[str], str, str | None]]:
    return [
        (
            i.start.isoformat(timespec="seconds"),
            i.end.isoformat(timespec="seconds"),
            i.hosts,
            i.causes[0].id,
            i.causes[0].host,
        )
        for i in f.incidents
    ]


def test_reference_case_with_russian_perfmon_finds_the_same_dpc_storm(tmp_path: Path) -> None:
    """The reference bundle (PG1A + CVP1) with both perfmon exports as Russian Windows writes
    them, CVP1's in cp1251 and PG1A's in UTF-16 LE with BOM: the same incident, dpc_storm on
    CVP1 first, the same evidence."""
    bundle = tmp_path / "ru_bundle"
    shutil.copytree(reference_bundle(), bundle)
    for host, encoding in (("CVP1", "cp1251"), ("PG1A", "utf-16")):
        path = bundle / host / f"{host}_perfmon.csv"
        _translate(path, path, encoding)
    header = (bundle / "CVP1" / "CVP1_perfmon.csv").read_bytes().split(b"\r\n", 1)[0]
    assert "Процессор(_Total)\\Скорость DPC".encode("cp1251") in header
    english = analyze([reference_bundle()])
    russian = analyze([bundle])
    assert _summary(russian) == _summary(english)
    top = russian.incidents[0].causes[0]
    assert (top.id, top.host) == ("dpc_storm", "CVP1")
    assert top.evidence == english.incidents[0].causes[0].evidence
    assert not [w for w in russian.warnings if "language" in w]


# --- a language the catalog lacks ----------------------------------------------------------


def _export(tmp_path: Path, host: str, zone: str, paths: list[str], encoding: str) -> Path:
    """A 10-sample perfmon export of ``host``: ``zone`` as the header writes it (``(name)(bias)``),
    counter ``paths`` after ``\\\\HOST\\``."""
    cells = [f'"(PDH-CSV 4.0) {zone}"'] + [f'"\\\\{host}\\{p}"' for p in paths]
    rows = [
        f'"03/30/2013 19:36:{s:02d}.531",' + ",".join(f'"{s % 3}"' for _ in paths)
        for s in range(40, 50)
    ]
    path = tmp_path / f"{host.lower()}_perfmon.csv"
    path.write_bytes(("\r\n".join([",".join(cells), *rows]) + "\r\n").encode(encoding))
    return path


def _greek_export(tmp_path: Path) -> Path:
    """An export with one English counter and Greek ones (Greek is in no catalog language)."""
    paths = [
        "Processor(_Total)\\% DPC Time",
        "Επεξεργαστής(_Total)\\Ρυθμός DPC",
        "Μνήμη\\Διαθέσιμα MB",
    ]
    return _export(tmp_path, "ATH1", "(GTB Standard Time)(-120)", paths, "utf-8")


def test_greek_counters_still_get_the_unknown_language_warning(tmp_path: Path) -> None:
    out = read_one(_item(_greek_export(tmp_path)))
    assert out.result is not None and out.result.counters is not None
    assert out.result.counters["counter"].unique().to_list() == ["% DPC Time"]
    assert out.result.warnings[0].startswith(
        "ath1_perfmon.csv: 3 counters, 2 dropped (1 kept; objects in a language the catalog "
        "lacks: Επεξεργαστής, Μνήμη)"
    )


def test_a_russian_export_of_unknown_counters_only_still_warns(tmp_path: Path) -> None:
    """Russian names of counters hbtriage does not use (Process, PhysicalDisk): an empty read,
    said as such."""
    paths = [
        "Процесс(_Total)\\% загруженности процессора",
        "Физический диск(_Total)\\Средняя длина очереди диска",
    ]
    out = read_one(_item(_export(tmp_path, "SRV1", "(RTZ 2 (зима))(-180)", paths, "cp1251")))
    assert out.result is not None and out.encoding == "cp1251"
    assert out.result.warnings[0].startswith(
        "srv1_perfmon.csv: 2 counters, 2 dropped (none of them is a counter hbtriage knows: "
        "Процесс, Физический диск)"
    )


def test_a_russian_export_mixing_known_and_other_counters_is_quiet(tmp_path: Path) -> None:
    paths = [
        "Процессор(_Total)\\Скорость DPC",
        "Память\\Доступно МБ",
        "Процесс(_Total)\\% загруженности процессора",
        "Файл подкачки(_Total)\\% использования",
    ]
    random.Random(15).shuffle(paths)
    out = read_one(_item(_export(tmp_path, "SRV1", "(RTZ 2 (зима))(-180)", paths, "cp1251")))
    assert out.result is not None and out.result.counters is not None
    kept = sorted(out.result.counters["counter"].unique().to_list())
    assert kept == ["Available MBytes", "DPC Rate"] and out.result.warnings == []
