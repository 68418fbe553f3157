"""systeminfo in any Windows UI language and code page.

The real files of tests/fixtures/systeminfo/ as they are (kind, host, encoding, OS facts,
hotfixes, addresses, dates); every catalog language written in every code page that can hold
it, in any order and spacing (hypothesis); a language the catalog lacks, found by place; and
what reaches findings.json (os, hotfixes, addresses, boot_time)."""

from __future__ import annotations

import codecs
import hashlib
import json
import random
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage import host_facts
from hbtriage.api import run
from hbtriage.errors import CatalogError
from hbtriage.findings import Findings, HostInfo
from hbtriage.sources import read_one, sniff
from hbtriage.sources import systeminfo as SI
from hbtriage.sources.base import InputFile
from hbtriage.sources.config_snapshot import READER
from hbtriage.sources.encoding import detect_encoding

FIX = Path(__file__).parent / "fixtures" / "systeminfo"
CONFIG = Path(__file__).parent / "fixtures" / "config"
CATALOG = Path(__file__).resolve().parent.parent / "src" / "hbtriage" / "catalog"


@dataclass(frozen=True)
class Real:
    size: int
    sha256: str
    encoding: str
    language: str
    host: str
    os_name: str
    version: str
    service_pack: int | None
    hotfixes: int  # KB / Q numbers listed (unique)
    complete: bool
    addresses: tuple[str, ...]
    install: str  # local, as written in the file
    boot: str | None  # local; None: the file states only an uptime
    boot_json: str | None  # findings.json hosts[].boot_time


REAL = {
    "10_1803_x86_enterprise_nl_systeminfo.txt": Real(
        2349,
        "64343f0c60de8b381c70524880e90c7b1eb9f24c92d8e6fa28824562d1526528",
        "utf-8",
        "en",
        "DESKTOP-LFQSJM4",
        "Microsoft Windows 10 Enterprise",
        "10.0.17134",
        None,
        4,
        True,
        ("192.168.5.129", "fe80::a930:6429:d92c:e9d2"),
        "2019-01-26 08:27:55",
        "2019-01-26 08:51:26",
        "2019-01-26T07:51:26.000Z",
    ),
    "10_1809_x64_enterprise_zh-cn_systeminfo.txt": Real(
        1731,
        "f89837805069af55b66a9407fce5fff53ae7dce7678bd4e7be6d1037f3bde12a",
        "cp936",
        "zh-cn",
        "DESKTOP-0CQH3P2",
        "Microsoft Windows 10 企业版 LTSC",
        "10.0.17763",
        None,
        1,
        True,
        ("192.168.5.128", "fe80::80b0:e291:97be:f0a6"),
        "2019-01-24 09:46:29",
        "2019-01-24 10:32:25",
        "2019-01-24T09:32:25.000Z",
    ),
    "7_sp1_x64_enterprise_fr_systeminfo_cmd.txt": Real(
        7132,
        "6b215f6726394b5af6b53b9a5164c9e3506ba42da3348953f4b558b693d5132d",
        "cp850",
        "fr",
        "WIN-IDKKFN87EL8",
        "Microsoft Windows 7 Entreprise N",
        "6.1.7601",
        1,
        73,
        True,
        ("192.168.5.129", "fe80::705b:55d8:33f4:e9d6"),
        "2019-04-29 18:52:20",
        "2019-04-29 18:56:01",
        "2019-04-29T16:56:01.000Z",  # Paris/Berlin summer time: UTC+02:00
    ),
    "7_sp1_x64_ultimaten_de_systeminfo.txt": Real(
        19511,
        "ca4b71dbba75e2009acc02b35dec97377037ce0675bf702850df973049c8468e",
        "utf-8",
        "de",
        "OLI7-PC",
        "Microsoft Windows 7 Ultimate N",
        "6.1.7601",
        1,
        242,
        False,
        ("172.30.50.20", "fe80::39b6:9daa:3945:f78e"),
        "2016-06-15 18:34:33",
        "2019-03-04 11:44:54",
        "2019-03-04T10:44:54.000Z",
    ),
    "srv_2003_sp1_x64_standard_en-us_systeminfo.txt": Real(
        2052,
        "715ec9414f6894f0d33c840f4dc9bb5d7c2217a509b0950b538bd619bd7aeabb",
        "utf-8",
        "en",
        "WINSRV2K3SP1X64",
        "Microsoft(R) Windows(R) Server 2003 Standard x64 Edition",
        "5.2.3790",
        1,
        1,
        True,
        ("192.168.159.215",),
        "2014-04-23 22:48:08",
        None,
        None,
    ),
    "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt": Real(
        12897,
        "154ec1bad0f63f107555c3be8d3fd82fe51cb5d713401581067a35dfef5ea2b9",
        "utf-8",
        "en",
        "SRV2K3R2SP2X86",
        "Microsoft(R) Windows(R) Server 2003, Standard Edition",
        "5.2.3790",
        2,
        68,
        False,
        ("192.168.159.213",),
        "2014-04-25 11:19:12",
        None,
        None,
    ),
    "srv_2008r2_sp1_x64_standard_en-us_systeminfo.txt": Real(
        2174,
        "fc09ced2c5a4d81ccba86da4d003ba6955d9a8cd5497577db0ce9e2fabc584d2",
        "utf-8",
        "en",
        "SRV2K8R2SP1X64",
        "Microsoft Windows Server 2008 R2 Standard",
        "6.1.7601",
        1,
        2,
        True,
        ("192.168.159.209", "fe80::dc8d:d317:f4e3:5156"),
        "2014-04-25 20:13:44",
        "2019-03-04 09:04:37",
        "2019-03-04T08:04:37.000Z",
    ),
    "srv_2019_rtm_datacenter_en-us_systeminfo.txt": Real(
        2385,
        "c90a66552481ba2e5301e7f42e9e9d3cea7519804afe42d7799abf6db740c110",
        "utf-8",
        "en",
        "WIN-O863JARO7CM",
        "Microsoft Windows Server 2019 Datacenter",
        "10.0.17763",
        None,
        5,
        True,
        ("192.168.159.128", "fe80::b444:b900:1018:e397"),
        "2018-10-03 02:06:51",
        "2019-01-13 13:52:11",
        "2019-01-13T21:52:11.000Z",  # Pacific Time, winter: UTC-08:00
    ),
}


def _item(path: Path) -> InputFile:
    return InputFile(display=path.name, path=str(path), size=path.stat().st_size)


def _facts(path: Path) -> dict[str, list[str]]:
    out = read_one(_item(path))
    assert out.result is not None, out.message
    found: dict[str, list[str]] = {}
    for f in out.result.config:
        found.setdefault(f.key, []).append(f.value)
    return found


# --------------------------------------------------------------------------- real files


def test_fixtures_are_the_real_files_byte_for_byte() -> None:
    for name, real in REAL.items():
        data = (FIX / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (real.size, real.sha256), name
    assert "Redistribution and use" in (FIX / "LICENSE-wesng.txt").read_text(encoding="ascii")


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_file_kind_host_encoding_and_os(name: str) -> None:
    real = REAL[name]
    out = read_one(_item(FIX / name))
    assert out.result is not None, out.message
    assert (out.kind, out.encoding) == ("config_snapshot", real.encoding)
    assert (out.result.host, out.result.host_reason) == (real.host, "systeminfo Host Name")
    facts = _facts(FIX / name)
    assert facts["os"] == [real.os_name]
    assert facts["os_version"] == [real.version]
    assert facts["os_build"] == [real.version.rsplit(".", 1)[1]]
    assert facts.get("service_pack", []) == ([str(real.service_pack)] if real.service_pack else [])
    assert len(facts["hotfix"]) == real.hotfixes
    assert facts["hotfix_list"] == ["complete" if real.complete else "incomplete"]
    assert tuple(facts["address"]) == real.addresses
    assert facts["systeminfo_language"] == [real.language]
    assert facts["install_date"] == [real.install.replace(" ", "T")]
    assert facts.get("boot_time", []) == ([real.boot.replace(" ", "T")] if real.boot else [])
    # What the user reads for this input in the report.
    note = out.result.note
    assert note.startswith(f"systeminfo ({real.language} labels, {real.encoding}): ")
    assert real.version in note
    # Every real file's Domain line reads WORKGROUP (Domäne, Domaine, 域 ...).
    assert note.endswith("; domain WORKGROUP"), note


def test_french_cmd_output_in_cp850_reads_its_accented_labels() -> None:
    """Before: "not a format hbtriage reads". The OS name keeps its words (a no-break space,
    cp850 byte 0xFF, between "Windows" and "7" in the file)."""
    path = FIX / "7_sp1_x64_enterprise_fr_systeminfo_cmd.txt"
    assert b"Nom de l'h\x93te:" in path.read_bytes()  # ô in cp850
    info = SI.parse(SI.decode(path.read_bytes())[0])
    assert info is not None
    assert info.labels_found["host"] == "Nom de l'hôte"
    assert info.labels_found["boot_time"] == "Heure de démarrage du système"
    assert [c.connection for c in info.network_cards] == ["Connexion au réseau local"]


def test_hotfix_lists_cut_short_are_said_to_be_incomplete() -> None:
    """systeminfo stops its hotfix list after about 245 items: the 2003 R2 file counts 352 and
    lists 240 (the last one cut: "KB2862"), the German one counts 263 and lists 245."""
    # The 2003 R2 list's "File 1" entries (170, and the cut "KB2862") name no KB number: the
    # host row counts its 68 distinct KB numbers, and the warning says how 240 comes to 68.
    unnamed = {
        "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt": (
            ", and 171 of those 240 name no KB number ('File 1'), so 68 distinct KB numbers are "
            "known"
        ),
        "7_sp1_x64_ultimaten_de_systeminfo.txt": "",
    }
    for name, counted, listed in (
        ("srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt", 352, 240),
        ("7_sp1_x64_ultimaten_de_systeminfo.txt", 263, 245),
    ):
        info = SI.parse(SI.decode((FIX / name).read_bytes())[0])
        assert info is not None
        assert (info.hotfixes_declared, info.hotfix_items) == (counted, listed)
        assert info.hotfix_list_cut and info.hotfixes_complete is False
        out = read_one(_item(FIX / name))
        assert out.result is not None
        assert out.result.warnings == [
            f"{name}:2: systeminfo lists {listed} of the {counted} hotfixes it counts (its list "
            f"is cut short){unnamed[name]}: a hotfix not among them may still be installed; "
            "collect `wmic qfe list full` or `Get-HotFix` for the whole list"
        ]
    info = SI.parse(
        SI.decode((FIX / "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt").read_bytes())[0]
    )
    assert info is not None
    assert "KB2862" not in info.hotfixes and "KB975558" in info.hotfixes  # "KB975558_WM8"
    assert "KB2510531" in info.hotfixes  # "KB2510531-IE8 - Update"


def test_server_2003_states_an_uptime_not_a_boot_time() -> None:
    info = SI.parse(
        SI.decode((FIX / "srv_2003_sp1_x64_standard_en-us_systeminfo.txt").read_bytes())[0]
    )
    assert info is not None
    assert info.boot_time is None and info.uptime_s == 2 * 60 + 13


def test_catalog_labels_not_marked_unverified_are_in_the_real_files() -> None:
    """The real files are the ground truth: every label of en, de, fr and zh-cn that the
    catalog does not mark unverified starts a line of one of them."""
    lines: dict[str, list[str]] = {}
    for name, real in REAL.items():
        text, _ = SI.decode((FIX / name).read_bytes())
        lines.setdefault(real.language, []).extend(
            " ".join(ln.split()).casefold() for ln in text.splitlines()
        )
    for lang in SI.catalog().languages:
        if lang.id not in lines:
            continue
        for fld, labels in lang.labels.items():
            if fld in lang.unverified:
                continue
            for label in labels:
                want = " ".join(label.split()).casefold()
                assert any(ln.startswith(want) for ln in lines[lang.id]), (lang.id, fld, label)


# --------------------------------------------------------------------------- catalog


def test_catalog_has_the_languages_and_code_pages_asked_for() -> None:
    cat = SI.catalog()
    ids = {lang.id for lang in cat.languages}
    assert ids >= {"en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl", "cs", "tr", "ru"}
    assert ids >= {"ja", "ko", "zh-cn", "zh-tw"}
    assert {cp.id for cp in cat.code_pages} >= {
        "cp437", "cp850", "cp852", "cp866", "cp932", "cp936", "cp949", "cp950"
    }  # fmt: skip
    for lang in cat.languages:
        assert lang.title and lang.reference and set(SI.REQUIRED) <= set(lang.labels)
        # Unsure labels say so: no language is unverified without saying it in its reference.
        if len(lang.unverified) >= len(lang.labels) - 1:
            assert "unverified" in lang.reference, lang.id
    assert cat.oem_for_locale("ro") is not None and cat.oem_for_locale("ro").id == "cp852"
    assert cat.oem_for_locale("en-us").id == "cp437"  # type: ignore[union-attr]
    assert cat.oem_for_locale("en-gb").id == "cp850"  # type: ignore[union-attr]


def _catalog_text() -> str:
    return (CATALOG / "systeminfo.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "entry", "problem"),
    [
        ('id = "de"', 'id = "en"', "en", "duplicate id"),
        ('hotfixes = ["Correctif(s)"]', "", "fr", "required field(s) ['hotfixes']"),
        ('domain = ["Domäne"]', 'domain = ["Time Zone"]', "de", "is 'time_zone' in en"),
        ('oem_code_page = "cp866"', 'oem_code_page = "cp9999"', "ru", "unknown codec"),
        (
            'unverified = ["connection_name", "ip_addresses"]\n[language.labels]\nhost = ["호',
            'unverified = ["uptime"]\n[language.labels]\nhost = ["호',
            "ko",
            "unverified",
        ),  # fmt: skip
        ('locales = ["tr", "az-latn"]', 'locales = ["tr", "pl"]', "cp857", "also in 'cp852'"),
    ],
)
def test_catalog_checks_name_the_file_and_entry(
    old: str, new: str, entry: str, problem: str
) -> None:
    text = _catalog_text()
    assert old in text
    with pytest.raises(CatalogError) as err:
        SI.build_catalog(text.replace(old, new, 1), "systeminfo.toml")
    assert err.value.path == "systeminfo.toml" and err.value.entry == entry
    assert problem in err.value.problem


def test_catalog_load_checks_systeminfo_toml_too(tmp_path: Path) -> None:
    """A broken systeminfo.toml is a catalog error like any other catalog file."""
    from hbtriage.catalog import load_catalog_from

    root = tmp_path / "catalog"
    shutil.copytree(CATALOG, root)
    (root / "systeminfo.toml").write_text(
        _catalog_text().replace('id = "de"', 'id = "en"', 1), encoding="utf-8"
    )
    with pytest.raises(CatalogError) as err:
        load_catalog_from(root)
    assert err.value.path.endswith("systeminfo.toml") and err.value.entry == "en"


# --------------------------------------------------------------------------- any language


LOCALES = {
    "en": "en-us",
    "de": "de",
    "fr": "fr",
    "es": "es",
    "it": "it",
    "nl": "nl",
    "pt": "pt-br",
    "pt-pt": "pt-pt",
    "sv": "sv",
    "pl": "pl",
    "cs": "cs",
    "tr": "tr",
    "ru": "ru",
    "ja": "ja",
    "ko": "ko",
    "zh-cn": "zh-cn",
    "zh-tw": "zh-tw",
}
CODECS = (
    "cp437",
    "cp850",
    "cp852",
    "cp857",
    "cp866",
    "cp932",
    "cp936",
    "cp949",
    "cp950",
    "cp1250",
    "cp1251",
    "cp1252",
    "utf-8",
    "utf-16",
    "utf-16-le",
)
OSES = (
    ("Microsoft(R) Windows(R) Server 2003, Enterprise Edition", "5.2.3790", "Build"),
    ("Microsoft Windows Server 2008 R2 Standard", "6.1.7601", "Build"),
    ("Microsoft Windows Server 2019 Datacenter", "10.0.17763", "Build"),
)
#: Date styles real systeminfo outputs use (the locale line makes slashed day/month explicit).
STYLES = ("mdy_ampm", "dmy_dots", "dmy_dashes", "dmy_slashes", "ymd_slashes", "ymd_ko", "ymd_tw")
ADDRESSES = st.one_of(
    st.integers(1, 254).map(lambda n: f"192.0.2.{n}"),
    st.integers(1, 254).map(lambda n: f"198.51.100.{n}"),
    st.integers(1, 254).map(lambda n: f"203.0.113.{n}"),
    st.integers(1, 0xFFFF).map(lambda n: f"2001:db8::{n:x}"),
)


def _when(t: datetime, style: str) -> str:
    h12 = t.hour % 12 or 12
    hms = f"{t.hour}:{t.minute:02d}:{t.second:02d}"
    if style == "mdy_ampm":
        return f"{t.month}/{t.day}/{t.year}, {h12}:{t.minute:02d}:{t.second:02d} " + (
            "PM" if t.hour >= 12 else "AM"
        )
    if style == "dmy_dots":
        return f"{t.day:02d}.{t.month:02d}.{t.year}, {hms}"
    if style == "dmy_dashes":
        return f"{t.day}-{t.month}-{t.year}, {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if style == "dmy_slashes":
        return f"{t.day:02d}/{t.month:02d}/{t.year}, {hms}"
    if style == "ymd_slashes":
        return f"{t.year}/{t.month}/{t.day}, {hms}"
    marker = {"ymd_ko": ("오전", "오후"), "ymd_tw": ("上午", "下午")}[style][t.hour >= 12]
    sep = "-" if style == "ymd_ko" else "/"
    day = (
        f"{t.year}{sep}{t.month:02d}{sep}{t.day:02d}"
        if style == "ymd_ko"
        else (f"{t.year}/{t.month}/{t.day}")
    )
    return f"{day}, {marker} {h12}:{t.minute:02d}:{t.second:02d}"


@dataclass
class Drawn:
    """What one systeminfo output states, drawn before it is written in a layout."""

    language: SI.Language
    labels: dict[str, str]  # one spelling of each field's label
    host: str
    os: tuple[str, str, str]
    service_pack: int | None
    kbs: list[str]
    addresses: list[str]
    install: datetime
    boot: datetime
    style: str
    locale: str


@dataclass
class Doc(Drawn):
    text: str = ""


@st.composite
def drawn(draw: st.DrawFn, max_kbs: int = 8) -> Drawn:
    lang = draw(st.sampled_from(SI.catalog().languages))
    labels = {f: draw(st.sampled_from(v)) for f, v in lang.labels.items()}
    host = draw(st.from_regex(r"[A-Z][A-Z0-9-]{0,14}", fullmatch=True))
    os = draw(st.sampled_from(OSES))
    sp = draw(st.sampled_from([None, 1, 2]))
    numbers = draw(st.lists(st.integers(100000, 9999999), max_size=max_kbs, unique=True))
    addrs = draw(st.lists(ADDRESSES, min_size=1, max_size=3, unique=True))
    moments = st.datetimes(datetime(2005, 1, 1), datetime(2030, 12, 31)).map(
        lambda t: t.replace(microsecond=0)
    )
    install, boot = draw(moments), draw(moments)
    style = draw(st.sampled_from(STYLES))
    # The system locale sets the date format and the console code page: the locale line
    # matches the style (an English UI on a Korean locale writes Korean AM/PM markers).
    locale = {"mdy_ampm": "en-us", "ymd_ko": "ko", "ymd_tw": "zh-tw"}.get(style, LOCALES[lang.id])
    if style == "dmy_slashes" and locale == "en-us":
        locale = "en-gb"  # day/month/year in English: the British locale says so
    kbs = [f"KB{n}" for n in numbers]
    return Drawn(lang, labels, host, os, sp, kbs, addrs, install, boot, style, locale)


@st.composite
def documents(draw: st.DrawFn) -> Doc:
    d = draw(drawn())
    labels, host, os, sp, kbs, addrs = d.labels, d.host, d.os, d.service_pack, d.kbs, d.addresses
    install, boot, style, locale = d.install, d.boot, d.style, d.locale
    pad = draw(st.integers(1, 30))
    deep = " " * draw(st.integers(pad + 1, pad + 12))
    mid = f"Service Pack {sp}" if sp else "N/A"

    def line(fld: str, value: str) -> str:
        gap = " " * draw(st.integers(1, pad))
        return f"{labels[fld]}:{gap}{value}"

    blocks = [
        [line("host", host)],
        [line("os_name", os[0])],
        [line("os_version", f"{os[1]} {mid} {os[2]} {os[1].rsplit('.', 1)[1]}")],
        [line("install_date", _when(install, style))],
        [line("boot_time", _when(boot, style))],
        [line("system_locale", f"{locale};X")],
        [line("hotfixes", f"{len(kbs)} Hotfix(s)")]
        + [f"{deep}[{i:02d}]: {kb}" for i, kb in enumerate(kbs, 1)],
        [line("network_cards", "1 NIC(s)"), f"{deep}[01]: Example Gigabit Adapter"]
        + [f"{deep}  [{i:02d}]: {a}" for i, a in enumerate(addrs, 1)],
    ]
    if "time_zone" in labels:
        blocks.append([line("time_zone", "(UTC-05:00) Eastern Time (US & Canada)")])
    order = draw(st.permutations(blocks))
    nl = draw(st.sampled_from(["\r\n", "\n"]))
    lead = draw(st.sampled_from(["", nl]))
    text = lead + nl.join(ln for block in order for ln in block) + nl
    return Doc(**vars(d), text=text)


def _codecs(doc: Doc) -> list[str]:
    """The code pages the document can be written in. A file whose labels are plain ASCII can
    only be told apart by its locale: cmd writes it in the locale's OEM code page (or a user
    re-saved it in the ANSI one, UTF-8 or UTF-16); catalog labels with other letters are read
    in any code page that holds them."""
    allowed = set(CODECS)
    labels_ascii = all(
        ln.split(":", 1)[0].isascii() for ln in doc.text.splitlines() if ln and ln[0] != " "
    )
    oem = SI.catalog().oem_for_locale(doc.locale)
    if labels_ascii and oem is not None:
        allowed = {oem.id, oem.ansi, "utf-8", "utf-16", "utf-16-le"}
    return [c for c in _encodable(doc.text) if c in allowed]


def _encodable(text: str) -> list[str]:
    out = []
    for codec in CODECS:
        try:
            text.encode(codec)
        except UnicodeEncodeError:
            continue
        out.append(codec)
    return out


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=documents(), pick=st.randoms(use_true_random=False))
def test_property_any_language_any_code_page_any_order(
    tmp_path: Path, doc: Doc, pick: random.Random
) -> None:
    codec = pick.choice(_codecs(doc))
    data = doc.text.encode(codec)
    text, used = SI.decode(data)
    # The codec reported is one that gives back exactly what was written.
    assert text == doc.text and data.decode(used).lstrip("\ufeff") == doc.text, (codec, used)
    oem = SI.catalog().oem_for_locale(doc.locale)
    if not data.isascii() and oem is not None and codec == oem.id:
        assert used == codec  # the OEM code page of the locale the file states
    read_back(tmp_path / "systeminfo.txt", data, doc.host, used)
    info = SI.parse(text)
    assert info is not None
    assert info.language == doc.language.id
    assert (info.host, info.os_name, info.version) == (doc.host, doc.os[0], doc.os[1])
    assert info.build == int(doc.os[1].rsplit(".", 1)[1])
    assert info.service_pack == doc.service_pack
    assert info.hotfixes == doc.kbs and info.hotfixes_complete is True
    assert info.addresses == [str(a) for a in doc.addresses]
    assert (info.install_date, info.boot_time) == (doc.install, doc.boot)


def read_back(path: Path, data: bytes, host: str, codec: str) -> None:
    """``data`` written to ``path`` is claimed by the config snapshot reader by its content and
    read with ``codec``, naming ``host``."""
    path.write_bytes(data)
    reader, _enc, note = sniff(_item(path))
    assert reader is READER, note
    out = read_one(_item(path))
    assert out.result is not None and out.result.host == host
    assert out.encoding == codec


def test_all_languages_round_trip_through_their_own_oem_code_page() -> None:
    """Each catalog language in the code page cmd writes it in, with and without the locale
    line: decoded right, the codec reported is that code page."""
    for lang in SI.catalog().languages:
        for with_locale in (True, False):
            lines = [
                f"{lang.labels['host'][0]}:  PG1A",
                f"{lang.labels['os_name'][0]}:  Microsoft Windows Server 2003",
                f"{lang.labels['os_version'][0]}:  5.2.3790 Service Pack 2 Build 3790",
                f"{lang.labels['boot_time'][0]}:  30.03.2013, 19:36:46",
                f"{lang.labels['hotfixes'][0]}:  1",
                "      [01]: KB972071",
            ]
            if with_locale:
                lines.append(f"{lang.labels['system_locale'][0]}:  {LOCALES[lang.id]};X")
            text = "\r\n".join(lines) + "\r\n"
            data = text.encode(lang.oem_code_page)
            decoded, used = SI.decode(data)
            assert decoded == text, (lang.id, used)
            if not data.isascii():
                assert used == lang.oem_code_page, (lang.id, used)


# --------------------------------------------------------------------------- by place


def test_a_language_the_catalog_lacks_is_read_by_place_in_its_oem_code_page(
    tmp_path: Path,
) -> None:
    """Labels here are placeholders in no catalog language; the values and the fixed order of
    systeminfo give the fields; the Romanian locale gives the code page (cp852)."""
    rows = [
        ("Câmp A", "RO-SRV1"),
        ("Câmp B", "Microsoft Windows Server 2008 R2 Standard"),
        ("Câmp C", "6.1.7601 Service Pack 1 Build 7601"),
        ("Câmp D", "Microsoft Corporation"),
        ("Câmp E", "14.06.2011, 10:12:33"),
        ("Câmp F", "30.03.2013, 19:36:46"),
        ("Câmp G", "x64-based PC"),
        ("Câmp H", "ro;Română"),
        ("Câmp I", "(UTC+02:00) Atena, Bucureşti"),
        ("Câmp J", "2 remedieri"),
    ]
    lines = [f"{k}:{' ' * 8}{v}" for k, v in rows]
    lines += ["            [01]: KB972071", "            [02]: KB968389"]
    lines += [
        "Câmp K:        1 placă",
        "            [01]: Adaptor",
        "              [01]: 192.0.2.7",
    ]
    path = tmp_path / "sysinfo_ro.txt"
    path.write_bytes(("\r\n" + "\r\n".join(lines) + "\r\n").encode("cp852"))
    assert detect_encoding(path.read_bytes()) != "cp852"  # what a byte guess alone says
    out = read_one(_item(path))
    assert out.result is not None and out.encoding == "cp852"
    text, _ = SI.decode(path.read_bytes())
    info = SI.parse(text)
    assert info is not None and info.language is None
    assert (info.host, info.version, info.service_pack) == ("RO-SRV1", "6.1.7601", 1)
    assert info.boot_time == datetime(2013, 3, 30, 19, 36, 46)
    assert info.hotfixes == ["KB972071", "KB968389"] and info.addresses == ["192.0.2.7"]
    assert info.time_zone == "(UTC+02:00) Atena, Bucureşti" and info.system_locale == "ro"
    assert set(info.by_place) >= {"host", "os_name", "os_version", "boot_time", "hotfixes"}
    assert "found by place: os_version, os_name, host" in out.result.note


def test_english_labels_on_a_romanian_locale_report_cp852_not_cp932(tmp_path: Path) -> None:
    text = (
        "\r\nHost Name:                 RO-SRV2\r\n"
        "OS Name:                   Microsoft Windows Server 2008 R2 Standard\r\n"
        "OS Version:                6.1.7601 Service Pack 1 Build 7601\r\n"
        "System Locale:             ro;Română\r\n"
        "Input Locale:              ro;Română\r\n"
        "Time Zone:                 (UTC+02:00) Atena, Bucureşti, Istanbul\r\n"
    )
    path = tmp_path / "systeminfo.txt"
    path.write_bytes(text.encode("cp852"))
    assert detect_encoding(path.read_bytes()) == "cp932"  # the byte guess the issue saw
    out = read_one(_item(path))
    assert out.result is not None
    assert (out.encoding, out.result.host) == ("cp852", "RO-SRV2")
    assert [f.value for f in out.result.config if f.key == "time_zone"] == [
        "(UTC+02:00) Atena, Bucureşti, Istanbul"
    ]


def test_powershell_redirect_utf16_of_the_french_file(tmp_path: Path) -> None:
    """``systeminfo > file`` in PowerShell writes UTF-16 LE with a BOM."""
    text, _ = SI.decode((FIX / "7_sp1_x64_enterprise_fr_systeminfo_cmd.txt").read_bytes())
    path = tmp_path / "systeminfo_ps.txt"
    path.write_bytes(text.encode("utf-16"))
    out = read_one(_item(path))
    assert out.result is not None
    assert (out.encoding, out.result.host) == ("utf-16", "WIN-IDKKFN87EL8")


def test_csv_form_in_german(tmp_path: Path) -> None:
    head = ["Hostname", "Betriebssystemname", "Betriebssystemversion", "Systemstartzeit"]
    head += ["Hotfix(es)", "Netzwerkkarte(n)"]
    row = ["DE-SRV1", "Microsoft Windows Server 2008 R2 Standard"]
    row += ["6.1.7601 Service Pack 1 Build 7601", "30.03.2013, 19:36:46"]
    row += ["2 Hotfix(e) installiert.,[01]: KB972071,[02]: KB968389"]
    row += ["1 Netzwerkadapter installiert.,[01]: Adapter,Verbindungsname: LAN,[01]: 192.0.2.9"]
    body = ",".join(f'"{c}"' for c in head) + "\r\n" + ",".join(f'"{c}"' for c in row) + "\r\n"
    path = tmp_path / "systeminfo.csv"
    path.write_bytes(body.encode("cp850"))
    out = read_one(_item(path))
    assert out.result is not None and out.result.host == "DE-SRV1"
    info = SI.parse(SI.decode(path.read_bytes())[0])
    assert info is not None and info.language == "de"
    assert info.hotfixes == ["KB972071", "KB968389"] and info.addresses == ["192.0.2.9"]
    assert info.network_cards[0].connection == "LAN"
    assert info.boot_time == datetime(2013, 3, 30, 19, 36, 46)


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("4/25/2014, 8:13:44 PM", "mdy", datetime(2014, 4, 25, 20, 13, 44)),  # en-us
        ("10/3/2018, 2:06:51 AM", "mdy", datetime(2018, 10, 3, 2, 6, 51)),
        ("12/1/2018, 12:06:51 AM", "mdy", datetime(2018, 12, 1, 0, 6, 51)),
        ("15.06.2016, 18:34:33", "dmy", datetime(2016, 6, 15, 18, 34, 33)),  # de
        ("23.04.2020, 7:15:57", "dmy", datetime(2020, 4, 23, 7, 15, 57)),  # ru
        ("26-1-2019, 08:27:55", "dmy", datetime(2019, 1, 26, 8, 27, 55)),  # nl
        ("29/04/2019, 18:56:01", "dmy", datetime(2019, 4, 29, 18, 56, 1)),  # fr
        ("2019/1/24, 10:32:25", "mdy", datetime(2019, 1, 24, 10, 32, 25)),  # zh-cn, ja
        ("2020/7/29, 上午 10:53:07", "mdy", datetime(2020, 7, 29, 10, 53, 7)),  # zh-tw
        ("2020/9/21, 下午 1:09:19", "mdy", datetime(2020, 9, 21, 13, 9, 19)),
        ("2026-03-20, 오후 1:56:59", "mdy", datetime(2026, 3, 20, 13, 56, 59)),  # ko
        ("0 Days, 0 Hours, 2 Minutes, 13 Seconds", "mdy", None),  # 2003's uptime
        ("31/02/2019, 10:00:00", "dmy", None),
    ],
)
def test_dates_in_the_formats_real_files_show(
    value: str, order: str, expected: datetime | None
) -> None:
    assert SI.parse_datetime(value, order) == expected


def test_day_month_order_is_decided_once_per_file() -> None:
    """A day above 12 anywhere in the file decides it; else the locale, and it is said."""
    text = "Host Name: A\r\nOS Name: Microsoft Windows\r\nOS Version: 6.1.7601 N/A Build 7601\r\n"
    both = text + "Original Install Date: 13/04/2018, 10:00:00\r\n"
    info = SI.parse(both + "System Boot Time: 03/04/2019, 09:00:00\r\n")
    assert info is not None and info.boot_time == datetime(2019, 4, 3, 9, 0, 0)
    assert info.date_note == ""
    info = SI.parse(
        text
        + "Original Install Date: 03/04/2018, 10:00:00\r\n"
        + "System Boot Time: 05/06/2019, 09:00:00\r\nSystem Locale: en-us;English\r\n"
    )
    assert info is not None and info.boot_time == datetime(2019, 5, 6, 9, 0, 0)
    assert info.date_note == (
        "day and month are both 12 or less: month/day/year assumed from the system locale en-us"
    )


# --------------------------------------------------------------------------- findings.json


def _bundle(tmp_path: Path, names: list[str]) -> Path:
    root = tmp_path / "bundle"
    root.mkdir()
    for name in names:
        src = FIX / name if (FIX / name).exists() else CONFIG / name
        shutil.copy2(src, root / name)
    return root


def test_findings_json_hosts_carry_os_hotfixes_addresses_and_boot_time(tmp_path: Path) -> None:
    root = _bundle(tmp_path, [*REAL, "systeminfo_csv.csv", "pg1a_snapshot.txt"])
    analysis = run([root])
    doc = json.loads(json.dumps(analysis.findings.to_dict()))
    hosts = {h["name"]: h for h in doc["hosts"]}
    for real in REAL.values():
        h = hosts[real.host]
        assert h["os"] == {
            "name": real.os_name,
            "version": real.version,
            "build": int(real.version.rsplit(".", 1)[1]),
            "service_pack": real.service_pack,
        }
        assert len(h["hotfixes"]) == real.hotfixes
        assert h["hotfixes_complete"] is real.complete
        assert h["boot_time"] == real.boot_json
        if real.host != "WIN-IDKKFN87EL8":  # its IPv4 address is also the Dutch PC's (two VMs)
            assert tuple(h["addresses"]) == real.addresses
    h2019 = hosts["WIN-O863JARO7CM"]
    assert h2019["boot_time_note"] == (
        "systeminfo says 2019-01-13 13:52:11 local time; put on UTC with the zone systeminfo "
        "names, (UTC-08:00) Pacific Time (US & Canada) (America/Los_Angeles)"
    )
    assert hosts["DESKTOP-0CQH3P2"]["boot_time_note"] == (
        "systeminfo says 2019-01-24 10:32:25 local time; put on UTC with the zone systeminfo "
        "names, (UTC+01:00) 阿姆斯特丹，柏林，伯尔尼，罗马，斯德哥尔摩，维也纳 (Europe/Berlin)"
    )
    assert hosts["SRV2K3R2SP2X86"]["boot_time_note"] == (
        "systeminfo states no boot time, only how long the host had been up when it ran "
        "(0 Days, 0 Hours, 1 Minutes, 27 Seconds); the time it ran is not in the file"
    )
    assert hosts["SRV2K3R2SP2X86"]["hotfixes"][:3] == ["Q147222", "KB2742604", "KB2894845"]
    # Older documents (without the new keys) still load, and the new ones round-trip.
    assert Findings.from_dict(doc).to_dict() == doc
    old = {**doc, "hosts": [{k: v for k, v in h.items() if k not in {"os", "hotfixes",
           "hotfixes_complete", "boot_time", "boot_time_note"}} for h in doc["hosts"]]}  # fmt: skip
    assert Findings.from_dict(old).hosts[0].os is None


def test_a_chinese_or_japanese_zone_display_name_is_the_hosts_zone(tmp_path: Path) -> None:
    """Chinese Windows names W. Europe Standard Time "(UTC+01:00) 阿姆斯特丹，柏林，..." (the real
    zh-cn file). It was not placed: the host's zone was "assumed UTC (no zone found)" and a
    summer boot stayed in local time. Now it is Europe/Berlin, daylight saving included; a
    Japanese systeminfo's "(UTC+09:00) 大阪、札幌、東京" is Asia/Tokyo."""
    name = "10_1809_x64_enterprise_zh-cn_systeminfo.txt"
    raw = (FIX / name).read_bytes()
    assert "2019/1/24, 10:32:25".encode("gbk") in raw
    summer = tmp_path / "zh" / name
    summer.parent.mkdir()
    summer.write_bytes(raw.replace(b"2019/1/24, 10:32:25", b"2019/7/24, 10:32:25"))
    (h,) = run([summer]).findings.to_dict()["hosts"]
    zone = "(UTC+01:00) 阿姆斯特丹，柏林，伯尔尼，罗马，斯德哥尔摩，维也纳"
    assert (h["zone"], h["tz_iana"]) == (f"{zone} (Europe/Berlin)", "Europe/Berlin")
    assert h["zone_source"] == "the Time Zone its systeminfo names"
    assert h["boot_time"] == "2019-07-24T08:32:25.000Z"  # CEST, UTC+02:00
    text = (
        "ホスト名:               TYO-CVP1\r\n"
        "OS 名:                  Microsoft Windows Server 2012 R2 Standard\r\n"
        "OS バージョン:          6.3.9600 N/A ビルド 9600\r\n"
        "システム起動時間:       2019/07/24, 10:32:25\r\n"
        "システム ロケール:      ja;日本語\r\n"
        "タイム ゾーン:          (UTC+09:00) 大阪、札幌、東京\r\n"
    )
    path = tmp_path / "ja" / "tyo-cvp1_systeminfo.txt"
    path.parent.mkdir()
    path.write_bytes(text.encode("cp932"))
    (h,) = run([path]).findings.to_dict()["hosts"]
    assert (h["name"], h["tz_iana"]) == ("TYO-CVP1", "Asia/Tokyo")
    assert h["boot_time"] == "2019-07-24T01:32:25.000Z"


def test_boot_time_uses_the_hosts_own_zone_when_it_is_known(tmp_path: Path) -> None:
    root = _bundle(tmp_path, ["7_sp1_x64_enterprise_fr_systeminfo_cmd.txt"])
    doc = run([root], tz=["WIN-IDKKFN87EL8=Asia/Tokyo"]).findings.to_dict()
    (h,) = doc["hosts"]
    assert h["boot_time"] == "2019-04-29T09:56:01.000Z"
    assert h["boot_time_note"].endswith("with the host's zone Asia/Tokyo (--tz)")


def test_boot_time_stays_local_when_daylight_saving_is_unknown(tmp_path: Path) -> None:
    """A zone display name the catalog cannot place, on a summer date: UTC+01:00 zones were at
    +01:00 (no DST) or +02:00 then. The local time is kept, and the note says why."""
    text = (
        "Host Name: X1\r\nOS Name: Microsoft Windows Server 2019\r\n"
        "OS Version: 10.0.17763 N/A Build 17763\r\n"
        "Original Install Date: 7/1/2019, 9:00:00 AM\r\n"
        "System Boot Time: 7/2/2019, 9:00:00 AM\r\nSystem Locale: en-us;English\r\n"
        "Time Zone: (UTC+01:00) Somewhere, Elsewhere\r\n"
    )
    path = tmp_path / "x1_systeminfo.txt"
    path.write_text(text, encoding="ascii")
    (h,) = run([path]).findings.to_dict()["hosts"]
    assert h["boot_time"] == "2019-07-02T09:00:00"
    assert "UTC+01:00 or UTC+02:00 at that date" in h["boot_time_note"]


def test_a_boot_at_the_incident_is_evidence_the_host_restarted(tmp_path: Path) -> None:
    """The reference case (CVP1's log silent 19:36:46-57 CDT) with a systeminfo of CVP1 that
    says it booted at 19:36:50: peer_restart, with the boot as its evidence."""
    root = tmp_path / "case"
    shutil.copytree(
        Path(__file__).resolve().parent.parent / "src/hbtriage/simulate/reference", root
    )
    (root / "CVP1" / "systeminfo.txt").write_text(
        "\r\nHost Name:                 CVP1\r\n"
        "OS Name:                   Microsoft Windows Server 2008 R2 Standard\r\n"
        "OS Version:                6.1.7601 Service Pack 1 Build 7601\r\n"
        "Original Install Date:     6/14/2011, 10:12:33 AM\r\n"
        "System Boot Time:          3/30/2013, 7:36:50 PM\r\n"
        "System Locale:             en-us;English (United States)\r\n",
        encoding="ascii",
    )
    findings = run([root]).findings
    cvp1 = next(h for h in findings.hosts if h.name == "CVP1")
    assert cvp1.boot_time == "2013-03-31T00:36:50.000Z"  # with CVP1's own zone (perfmon, CDT)
    (inc,) = findings.incidents
    best = inc.causes[0]
    assert (best.id, best.host) == ("peer_restart", "CVP1")
    assert (
        "  CVP1 00:36:50.000Z: the host booted (systeminfo System Boot Time: 3/30/2013, 7:36:50 PM)"
    ) in best.evidence


# --------------------------------------------------------------------------- remedies (data)


def _host(tmp_path: Path, name: str) -> HostInfo:
    root = tmp_path / name.replace(".", "_")
    root.mkdir()
    src = FIX / name if (FIX / name).exists() else CONFIG / name
    shutil.copy2(src, root / name)
    (h,) = run([root]).findings.hosts
    return h


@pytest.mark.parametrize(
    ("name", "applies", "installed", "detail"),
    [
        ("systeminfo_csv.csv", True, True, "KB972071 is in the hotfix list"),
        (
            "pg1a_snapshot.txt",
            True,
            False,
            "KB972071 is not among the 4 hotfixes systeminfo lists",
        ),
        (
            "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt",
            True,
            None,
            "KB972071 is not among the 68 hotfix KB numbers shown, but systeminfo cut its list "
            "short: it may be among those not shown",
        ),
        (
            "srv_2003_sp1_x64_standard_en-us_systeminfo.txt",
            False,
            None,
            "Microsoft(R) Windows(R) Server 2003 Standard x64 Edition is not Windows Server 2003 "
            "SP2",
        ),
        (
            "srv_2019_rtm_datacenter_en-us_systeminfo.txt",
            False,
            None,
            "Microsoft Windows Server 2019 Datacenter is not Windows Server 2003 SP2",
        ),
    ],
)
def test_ndis_hotfix_state_by_os_and_hotfix_list(
    tmp_path: Path, name: str, applies: bool, installed: bool | None, detail: str
) -> None:
    h = _host(tmp_path, name)
    state = host_facts.ndis_hotfix_state(h)
    assert (state.applies, state.installed, state.detail) == (applies, installed, detail)
    assert host_facts.is_server_2003_sp2(h) is applies


def test_ndis_hotfix_state_without_systeminfo() -> None:
    state = host_facts.ndis_hotfix_state(HostInfo(name="PG1A"))
    assert (state.applies, state.installed) == (None, None)
    assert state.detail == "no systeminfo for this host: its OS is not known"


# --------------------------------------------------------------------------- hostile input


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=600).map(lambda t: t.encode("utf-8")),
        st.lists(
            st.sampled_from(
                [
                    b"Host Name: A",
                    b"OS Version: 5.2.3790 Service Pack 2 Build 3790",
                    b"Hotfix(s): 99 Hotfix(s) Installed.",
                    b"   [01]: KB972071",
                    b"   [0",
                    b"Network Card(s): 1 NIC(s)",
                    b"      [01]: 192.0.2.300",
                    b"System Boot Time: 13/13/2013, 25:61:61 PM",
                    b"System Locale: zz-zz;",
                    b'"Host Name","OS Name"',
                    b"Host Name  OS Name                OS Version       Hotfix(s)",
                    b"=== ===================== ================ ========= ==",
                    b"A   Microsoft Windows 7  6.1.7601 Build 7601  1, [01]: KB9, [02]: ",
                    "\u4e3b\u673a\u540d  \uff21".encode("utf-8"),
                    b"\x93\xe9\xff\x00",
                ]
            ),
            max_size=30,
        ).map(b"\r\n".join),
    )
)
def test_property_hostile_bytes_never_crash_the_systeminfo_reader(data: bytes) -> None:
    text, used = SI.decode(data)
    assert isinstance(text, str) and used
    SI.looks_like(text)
    info = SI.parse(text)
    if info is not None:
        assert all(kb.startswith(("KB", "Q")) for kb in info.hotfixes)
        for card in info.network_cards:
            assert all(":" in a or a.count(".") == 3 for a in card.addresses)


def test_an_address_two_real_pcs_share_names_the_host_it_went_to(tmp_path: Path) -> None:
    """The Dutch and the French PC both had 192.168.5.129 (two VMs on one private network).
    The warning said the French file 'names '192.168.5.129', which belongs to another host',
    without saying which, and the Japanese called the address that host's 'name' (名前): it
    names the host, DESKTOP-LFQSJM4, in both languages."""
    nl, fr = (
        "10_1803_x86_enterprise_nl_systeminfo.txt",
        "7_sp1_x64_enterprise_fr_systeminfo_cmd.txt",
    )
    found = run([_bundle(tmp_path, [nl, fr])]).findings
    said = [i for i, w in enumerate(found.warnings) if "192.168.5.129" in w]
    assert [found.warnings[i] for i in said] == [
        f"bundle/{fr} names '192.168.5.129', which belongs to another host, DESKTOP-LFQSJM4 "
        "(different computer names); not merged"
    ]
    assert found.warnings_ja[said[0]] == (
        f"bundle/{fr} は '192.168.5.129' を示していますが、これは別のホスト DESKTOP-LFQSJM4 "
        "のものです (コンピューター名が異なります)。統合しませんでした"
    )


def test_a_utf16_systeminfo_cut_in_a_character_is_said_to_be_cut(tmp_path: Path) -> None:
    """The 2019 systeminfo saved as UTF-16 (PowerShell's `>`) and cut at an odd byte, in its
    Time Zone line: the zone read "(UTC-08:00) Pacific T\\ufffd" and nothing said the file was
    cut (no hotfix list, no network card, and no word of why)."""
    text = (FIX / "srv_2019_rtm_datacenter_en-us_systeminfo.txt").read_bytes().decode("cp437")
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    at = data.index("Pacific Time".encode("utf-16-le")) + len("Pacific T".encode("utf-16-le"))
    path = tmp_path / "si.txt"
    path.write_bytes(data[: at + 1])
    out = read_one(_item(path))
    assert out.result is not None
    assert "\ufffd" not in out.result.note
    assert out.result.note.endswith("zone (UTC-08:00) Pacific T")
    assert out.result.warnings == [
        "si.txt:24: systeminfo output cut short: it ends in the middle of a character, in its "
        "Time Zone field; what systeminfo prints below it (hotfixes, network cards) may be "
        "missing: collect it again (systeminfo > systeminfo.txt)"
    ]
    path.write_bytes(data[:at])  # cut between two characters: nothing to say of it
    out = read_one(_item(path))
    assert out.result is not None and out.result.warnings == []
