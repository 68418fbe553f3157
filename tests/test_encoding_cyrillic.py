"""Encoding detection tells Cyrillic (cp1251 / cp866) from western cp1252 and looks at a whole
perfmon header; perfmon counters in a language the catalog lacks are never a silent empty read."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile
from hbtriage.sources.encoding import detect_encoding, header_encoding

FIX = Path(__file__).parent / "fixtures"
COUNTERS = Path(__file__).resolve().parent.parent / "src" / "hbtriage" / "catalog" / "counters.toml"

#: Object and counter names as Russian Windows writes them (seen in scripts and perfmon paths
#: written on Russian Windows: Get-Counter, PerformanceCounter, a PDH-CSV header).
RUSSIAN = (
    "Процессор",
    "% загруженности процессора",
    "Память",
    "Доступно МБ",
    "Доступно байт",
    "Физический диск",
    "Средняя длина очереди диска",
    "Процесс",
    "Сетевой интерфейс",
    "Байт получено/с",
    "Байт послано/с",
)


def _western_names() -> list[str]:
    """Localized counter paths of the catalog in the western languages (cp1252 on Windows)."""
    doc = tomllib.loads(COUNTERS.read_text(encoding="utf-8"))
    out = []
    for entry in doc["counter"]:
        for lang, name in entry.get("names", {}).items():
            if lang in {"deDE", "frFR", "esES", "itIT", "ptBR", "ptPT", "svSE", "nlNL"}:
                out.append(name)
    return [n for n in out if not n.isascii()]


WESTERN = _western_names()


def _item(path: Path) -> InputFile:
    return InputFile(display=path.name, path=str(path), size=path.stat().st_size)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.sampled_from(RUSSIAN), min_size=2, max_size=12),
    sep=st.sampled_from([",", "\\", " "]),
)
def test_property_russian_names_are_cp1251_or_cp866_never_cp1252(
    words: list[str], sep: str
) -> None:
    text = sep.join(words)
    assert detect_encoding(text.encode("cp1251")) == "cp1251"
    assert detect_encoding(text.encode("cp866")) == "cp866"


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(WESTERN), min_size=1, max_size=12))
def test_property_western_names_stay_cp1252(words: list[str]) -> None:
    text = ",".join(words)
    assert detect_encoding(text.encode("cp1252")) == "cp1252"


def test_real_japanese_perfmon_headers_stay_cp932() -> None:
    for path in sorted((FIX / "perfmon").glob("ja-cp932_*.csv")):
        data = path.read_bytes()
        assert header_encoding(str(path), data[:65536], detect_encoding(data[:65536])) == "cp932"


def test_a_header_longer_than_the_head_is_looked_at_whole(tmp_path: Path) -> None:
    """The real gpu file has a 68,057-byte header whose CP932 cells come after 64 KiB: its
    first 64 KiB are ASCII, which alone looks like UTF-8."""
    paths = ",".join(f'"\\\\PG1A\\Processor({i})\\DPC Rate"' for i in range(3000))
    header = f'"(PDH-CSV 4.0) ()(-540)",{paths},"説明"\r\n'
    row = '"03/30/2013 19:36:46.531",' + ",".join("0" for _ in range(3000)) + ',""\r\n'
    path = tmp_path / "long_header.csv"
    path.write_bytes((header + row * 3).encode("cp932"))
    head = path.read_bytes()[:65536]
    assert head.isascii() and detect_encoding(head) == "utf-8"
    assert header_encoding(str(path), head, "utf-8") == "cp932"
    out = read_one(_item(path))
    assert out.result is not None and out.encoding == "cp932"


def _perfmon(
    tmp_path: Path, header: list[str], codec: str, zone: str = "RTZ 2 (зима)", bias: int = -180
) -> Path:
    cells = [f'"(PDH-CSV 4.0) ({zone})({bias})"'] + [f'"\\\\SRV1\\{c}"' for c in header]
    rows = [
        f'"03/30/2013 19:36:{s:02d}.531",' + ",".join(f'"{s}"' for _ in header)
        for s in range(40, 50)
    ]
    path = tmp_path / "srv1_perfmon.csv"
    path.write_bytes(("\r\n".join([",".join(cells), *rows]) + "\r\n").encode(codec))
    return path


def test_russian_perfmon_counters_are_read(tmp_path: Path) -> None:
    """Russian Windows writes Cyrillic counter names (catalog/counters_local.toml): they are
    read as the English ones would be, from cp1251."""
    path = _perfmon(
        tmp_path,
        ["Процессор(_Total)\\% загруженности процессора", "Процессор(_Total)\\Скорость DPC"],
        "cp1251",
    )
    out = read_one(_item(path))
    assert out.result is not None and out.encoding == "cp1251"
    assert out.result.counters is not None
    assert sorted(out.result.counters["counter"].unique().to_list()) == [
        "% Processor Time",
        "DPC Rate",
    ]
    assert out.result.warnings == []


def test_perfmon_in_a_language_the_catalog_lacks_is_not_a_silent_empty_read(
    tmp_path: Path,
) -> None:
    path = _perfmon(
        tmp_path,
        [
            "Επεξεργαστής(_Total)\\% χρόνου επεξεργαστή",
            "Μνήμη\\Διαθέσιμα MB",
        ],
        "utf-8",
        "GTB Standard Time",
    )
    out = read_one(_item(path))
    assert out.result is not None and out.encoding == "utf-8"
    assert out.result.counters is not None and out.result.counters.height == 0
    assert out.result.warnings == [
        "srv1_perfmon.csv: 2 counters, 2 dropped (none of them is a counter hbtriage knows: "
        "Επεξεργαστής, Μνήμη); perfmon names in a Windows language hbtriage does "
        "not know are not read: export on an English Windows or with English names (relog / "
        "typeperf) if this host's counters matter"
    ]


def test_some_english_counters_kept_and_the_unknown_language_ones_named(tmp_path: Path) -> None:
    path = _perfmon(
        tmp_path,
        ["Processor(_Total)\\DPC Rate", "Επεξεργαστής(_Total)\\% χρόνου επεξεργαστή"],
        "utf-8",
        "GTB Standard Time",
    )
    out = read_one(_item(path))
    assert out.result is not None and out.result.counters is not None
    assert out.result.counters["counter"].unique().to_list() == ["DPC Rate"]
    assert out.result.warnings[0].startswith(
        "srv1_perfmon.csv: 2 counters, 1 dropped (1 kept; objects in a language the catalog "
        "lacks: Επεξεργαστής)"
    )


def test_english_counters_hbtriage_does_not_use_are_dropped_quietly(tmp_path: Path) -> None:
    path = _perfmon(
        tmp_path, ["Processor(_Total)\\DPC Rate", "Paging File(_Total)\\% Usage"], "utf-8"
    )
    out = read_one(_item(path))
    assert out.result is not None and out.result.warnings == []


@pytest.mark.parametrize(
    ("names", "codec"),
    [
        (["Procesor(_Total)\\Szybkość DPC", "Procesor(_Total)\\Czas DPC (%)"], "cp1250"),
        (["Procesor(_Total)\\Rychlost volání DPC", "Procesor(_Total)\\% času DPC"], "cp1250"),
        (["İşlemci(_Total)\\% DPC Zamanı", "İşlemci(_Total)\\% İşlemci Zamanı"], "cp1254"),
    ],
)
def test_central_european_and_turkish_exports_are_read_in_their_code_page(
    tmp_path: Path, names: list[str], codec: str
) -> None:
    """Polish, Czech and Turkish Windows write perfmon in their ANSI code page, which a byte
    guess takes for cp1252 ("Szybkość" would read "SzybkoϾ" and match nothing): the code
    page under which the counter names are known is the one used, and reported."""
    path = _perfmon(tmp_path, names, codec, "Central European Standard Time")
    out = read_one(_item(path))
    assert out.result is not None and out.encoding == codec
    assert out.result.counters is not None
    assert out.result.counters["counter"].n_unique() == 2
    assert out.result.warnings == []
