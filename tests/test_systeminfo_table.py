"""``systeminfo /fo table`` (and ``/fo table /nh``) in any catalog language and code page.

The layout is the one real output shows (a public sample, Windows 10 21H2, en-us: a header row
of labels, a rule of ``=`` runs, one row of values; each column a fixed width, a multi-item
value joined with ``", "`` and cut to its column). The tables here are built from the same data
as a list form and must give the same facts; the synthetic fixtures in
tests/fixtures/systeminfo/ follow the sample's column widths with made-up values."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_systeminfo import CODECS, Drawn, _encodable, _item, _when, drawn, read_back

from hbtriage.sources import read_one, sniff
from hbtriage.sources import systeminfo as SI
from hbtriage.sources.base import InputFile
from hbtriage.sources.config_snapshot import READER

FIX = Path(__file__).parent / "fixtures" / "systeminfo"
TABLE = FIX / "synthetic_table_en-us_systeminfo.txt"
TABLE_NH = FIX / "synthetic_table_nh_en-us_systeminfo.txt"

#: Column widths of the public sample (English labels, Windows 10): its header, rule and row.
SAMPLE_WIDTHS = {
    "Host Name": 30,
    "OS Name": 30,
    "OS Version": 30,
    "OS Manufacturer": 40,
    "Original Install Date": 25,
    "System Boot Time": 30,
    "System Type": 25,
    "System Locale": 35,
    "Time Zone": 50,
    "Hotfix(s)": 20,
    "Network Card(s)": 100,
}


def _dw(text: str, wide: bool) -> int:
    return sum(2 if wide and unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, wide: bool) -> str:
    return text + " " * (width - _dw(text, wide))


def _cut(text: str, width: int, wide: bool) -> str:
    out = ""
    for c in text:
        if _dw(out + c, wide) > width:
            break
        out += c
    return out


def render_table(
    columns: list[tuple[str, str]], widths: list[int], nl: str, wide: bool, header: bool = True
) -> str:
    """A ``/fo table`` as systeminfo writes it: a blank line, the header, the rule, the row;
    each value cut to its column (``/nh``: no header, no rule)."""
    head = " ".join(_pad(label, w, wide) for (label, _v), w in zip(columns, widths, strict=True))
    rule = " ".join("=" * w for w in widths)
    row = " ".join(
        _pad(_cut(value, w, wide), w, wide) for (_l, value), w in zip(columns, widths, strict=True)
    )
    lines = ["", head, rule, row] if header else ["", row]
    return nl.join(lines) + nl


@dataclass
class Record(Drawn):
    zone: str = ""

    def values(self) -> list[tuple[str, str, list[str]]]:
        """(field, first line, items) in systeminfo's order; an item may hold a label line."""
        mid = f"Service Pack {self.service_pack}" if self.service_pack else "N/A"
        version = f"{self.os[1]} {mid} {self.os[2]} {self.os[1].rsplit('.', 1)[1]}"
        conn = f"{self.labels['connection_name']}: LAN" if "connection_name" in self.labels else ""
        nic = ["[01]: Example Gigabit Adapter", *([conn] if conn else [])]
        nic += [f"[{i:02d}]: {a}" for i, a in enumerate(self.addresses, 1)]
        out = [
            ("host", self.host, []),
            ("os_name", self.os[0], []),
            ("os_version", version, []),
            ("install_date", _when(self.install, self.style), []),
            ("boot_time", _when(self.boot, self.style), []),
            ("system_type", "x64-based PC", []),
            ("system_locale", f"{self.locale};X", []),
            ("time_zone", self.zone, []),
            (
                "hotfixes",
                f"{len(self.kbs)} Hotfix(s)",
                [f"[{i:02d}]: {kb}" for i, kb in enumerate(self.kbs, 1)],
            ),
            ("network_cards", "1 NIC(s)", nic),
        ]
        return [v for v in out if v[0] in self.labels]

    def as_list(self, nl: str = "\r\n") -> str:
        lines = [""]
        for fld, first, items in self.values():
            lines.append(f"{self.labels[fld]}:{' ' * 6}{first}")
            lines += [f"{' ' * 27}{item}" for item in items]
        return nl.join(lines) + nl

    def columns(self) -> list[tuple[str, str]]:
        return [
            (self.labels[fld], ", ".join([first, *items])) for fld, first, items in self.values()
        ]


@st.composite
def records(draw: st.DrawFn) -> Record:
    zones = ["(UTC-05:00) Eastern Time (US & Canada)", "(UTC+01:00) Amsterdam, Berlin, Bern"]
    return Record(**vars(draw(drawn(max_kbs=6))), zone=draw(st.sampled_from(zones)))


def _facts(info: SI.SystemInfo | None) -> dict[str, object]:
    assert info is not None
    return {
        "language": info.language,
        "host": info.host,
        "os": (info.os_name, info.version, info.build, info.service_pack),
        "dates": (info.install_date, info.boot_time),
        "hotfixes": (info.hotfixes, info.hotfixes_complete),
        "addresses": info.addresses,
        "cards": [(c.name, c.connection) for c in info.network_cards],
        "locale": info.system_locale,
        "zone": info.time_zone,
    }


def _table_codecs(rec: Record, text: str) -> list[str]:
    """The code pages a table can be written in: as for the list form (test_systeminfo), plain
    ASCII column labels are told apart only by the locale the row states, in its OEM code page
    (or its ANSI one when nothing else in the table is not ASCII: a label inside a cell, the
    connection name, is not scored)."""
    allowed = set(CODECS)
    oem = SI.catalog().oem_for_locale(rec.locale)
    if all(label.isascii() for label, _v in rec.columns()) and oem is not None:
        allowed = {oem.id, "utf-8", "utf-16", "utf-16-le"}
        allowed |= {oem.ansi} if text.isascii() or oem.ansi == oem.id else set()
    return [c for c in _encodable(text) if c in allowed]


# --------------------------------------------------------------------------- property


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rec=records(),
    extra=st.lists(st.integers(1, 12), min_size=10, max_size=10),
    wide=st.booleans(),
    nl=st.sampled_from(["\r\n", "\n"]),
    pick=st.randoms(use_true_random=False),
)
def test_property_table_gives_the_facts_of_the_list_form(
    tmp_path: Path, rec: Record, extra: list[int], wide: bool, nl: str, pick: random.Random
) -> None:
    """Any language entry, any code page that holds it (OEM, ANSI, UTF-8, UTF-16), any column
    widths wider than their values (counted in display columns as a DBCS console does, or in
    characters), either line end: the table's facts are the list form's."""
    cols = rec.columns()
    widths = [
        max(_dw(label, wide), _dw(value, wide)) + x
        for (label, value), x in zip(cols, extra, strict=False)
    ]
    table = render_table(cols, widths, nl, wide)
    expected = _facts(SI.parse(rec.as_list(nl)))
    assert expected["host"] == rec.host and expected["language"] == rec.language.id
    codec = pick.choice(_table_codecs(rec, table))
    data = table.encode(codec)
    text, used = SI.decode(data)
    assert text == table, (codec, used)
    info = SI.parse(text)
    assert _facts(info) == expected
    assert info is not None and info.layout == "table" and not info.by_place
    assert (info.line, info.field_lines["host"]) == (2, 4)
    read_back(tmp_path / "systeminfo_table.txt", data, rec.host, used)


@settings(max_examples=100, deadline=None)
@given(rec=records(), nl=st.sampled_from(["\r\n", "\n"]))
def test_property_table_without_header_is_read_by_place(rec: Record, nl: str) -> None:
    """``/fo table /nh``: no labels, so no language; host, OS, dates, locale, zone and the
    addresses come from the values and their order, as for a language the catalog lacks."""
    cols = rec.columns()
    widths = [_dw(value, True) + 4 for _label, value in cols]
    info = SI.parse(render_table(cols, widths, nl, True, header=False))
    assert info is not None and info.layout == "table_nh" and info.language is None
    assert (info.host, info.os_name, info.version) == (rec.host, rec.os[0], rec.os[1])
    assert info.service_pack == rec.service_pack
    assert (info.install_date, info.boot_time) == (rec.install, rec.boot)
    assert (info.system_locale, info.time_zone) == (rec.locale, rec.zone)
    assert {"host", "os_name", "os_version", "install_date", "boot_time"} <= set(info.by_place)
    # The width a cell had is not in the row: its last item may be cut, so it is left out.
    assert set(info.addresses) <= set(rec.addresses)
    assert set(info.hotfixes) <= set(rec.kbs) and info.hotfixes_complete is not True


# --------------------------------------------------------------------------- the sample's layout


def test_synthetic_fixture_follows_the_sample_layout_and_cuts_like_it() -> None:
    """The fixture is rebuilt here from its values with the sample's widths: the hotfix column
    (20) keeps only the count, the network card column (100) the card and its connection."""
    kbs = [f"KB50{n:05d}" for n in range(10472, 10472 + 22)]
    nic = "4 NIC(s) Installed., [01]: Example Wireless Adapter, Connection Name: Wi-Fi, "
    nic += "IP address(es), [01]: 192.0.2.139, [02]: 2001:db8::77"
    values = {
        "Host Name": "EXAMPLE-PC7",
        "OS Name": "Microsoft Windows 10 Home",
        "OS Version": "10.0.19044 N/A Build 19044",
        "OS Manufacturer": "Microsoft Corporation",
        "Original Install Date": "6/29/2020, 5:38:47 PM",
        "System Boot Time": "4/9/2022, 9:03:05 PM",
        "System Type": "x64-based PC",
        "System Locale": "en-us;English (United States)",
        "Time Zone": "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi",
        "Hotfix(s)": ", ".join(
            ["22 Hotfix(s) Installed.", *(f"[{i:02d}]: {k}" for i, k in enumerate(kbs, 1))]
        ),  # fmt: skip
        "Network Card(s)": nic,
    }
    built = render_table(list(values.items()), list(SAMPLE_WIDTHS.values()), "\r\n", False)
    assert TABLE.read_bytes() == built.encode("ascii")
    assert TABLE_NH.read_bytes() == render_table(
        list(values.items()), list(SAMPLE_WIDTHS.values()), "\r\n", False, header=False
    ).encode("ascii")


def test_table_cut_like_the_sample_keeps_the_count_and_says_the_list_is_cut() -> None:
    out = read_one(_item(TABLE))
    assert out.result is not None and out.kind == "config_snapshot"
    assert (out.result.host, out.encoding) == ("EXAMPLE-PC7", "utf-8")
    facts: dict[str, list[str]] = {}
    for f in out.result.config:
        facts.setdefault(f.key, []).append(f.value)
    assert facts["os_version"] == ["10.0.19044"] and facts["os_build"] == ["19044"]
    assert facts["install_date"] == ["2020-06-29T17:38:47"]
    assert facts["boot_time"] == ["2022-04-09T21:03:05"]
    assert facts["system_locale"] == ["en-us"] and facts["systeminfo_language"] == ["en"]
    assert facts["time_zone"] == ["(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi"]
    assert facts["hotfix_list"] == ["incomplete"] and "hotfix" not in facts
    assert facts["nic"] == ["Example Wireless Adapter"] and "address" not in facts
    assert out.result.warnings == [
        f"{TABLE.name}:2: systeminfo lists 0 of the 22 hotfixes it counts (its list is cut "
        "short): a hotfix not among them may still be installed; collect `wmic qfe list full` "
        "or `Get-HotFix` for the whole list"
    ]
    info = SI.parse(SI.decode(TABLE.read_bytes())[0])
    assert info is not None and info.layout == "table"
    assert [(c.name, c.connection) for c in info.network_cards] == [
        ("Example Wireless Adapter", "Wi-Fi")
    ]


def test_table_without_header_like_the_sample_is_read_by_place() -> None:
    out = read_one(_item(TABLE_NH))
    assert out.result is not None and out.result.host == "EXAMPLE-PC7"
    assert out.result.note.startswith(
        "systeminfo (labels not in the catalog; found by place: os_version, os_name, host, "
        "install_date, boot_time"
    )
    info = SI.parse(SI.decode(TABLE_NH.read_bytes())[0])
    assert info is not None and info.layout == "table_nh"
    assert (info.version, info.boot_time) == ("10.0.19044", datetime(2022, 4, 9, 21, 3, 5))
    assert (info.system_locale, info.hotfixes) == ("en-us", [])


@pytest.mark.parametrize(
    "path", sorted(p for p in FIX.iterdir() if p.suffix == ".txt" and "LICENSE" not in p.name)
)
def test_every_systeminfo_fixture_is_detected_by_content_alone(path: Path, tmp_path: Path) -> None:
    """As the registry contract test does for its folders: renamed, each file (list, table,
    table without header) is claimed by the config snapshot reader."""
    renamed = tmp_path / "upload.dat"
    renamed.write_bytes(path.read_bytes())
    reader, _enc, note = sniff(InputFile(display=path.name, path=str(renamed)))
    assert reader is READER, f"{path.name}: {note}"


# --------------------------------------------------------------------------- odd tables


def test_a_header_cut_to_its_column_is_matched_to_the_label_it_starts() -> None:
    """A label longer than its column (German "Ursprüngliches Installationsdatum" in 25) may be
    cut in the header: the catalog label it is the start of names the column."""
    cols = [
        ("Hostname", "DE-SRV1"),
        ("Betriebssystemname", "Microsoft Windows Server 2008 R2 Standard"),
        ("Betriebssystemversion", "6.1.7601 Service Pack 1 Build 7601"),
        ("Ursprüngliches Installationsdatum", "14.06.2011, 10:12:33"),
        ("Systemstartzeit", "30.03.2013, 19:36:46"),
        ("Systemgebietsschema", "de;Deutsch (Deutschland)"),
    ]
    head = [_cut(label, 25, False) for label, _v in cols]
    table = render_table(
        [(h, v) for h, (_l, v) in zip(head, cols, strict=True)], [25, 45, 40, 25, 25, 30], "\n",
        False,
    )  # fmt: skip
    assert "Ursprüngliches Installati " in table
    info = SI.parse(table)
    assert info is not None and info.language == "de"
    assert info.labels_found["install_date"] == "Ursprüngliches Installationsdatum"
    assert info.install_date == datetime(2011, 6, 14, 10, 12, 33)
    assert (info.version, info.service_pack) == ("6.1.7601", 1)


def test_continuation_rows_add_items_to_their_column() -> None:
    """Rows under the first one with a blank first column continue its cells (a table written
    with one item a row); a row with a first column is another record and is not read."""
    widths = [15, 45, 40, 25, 30]
    cols = [
        ("Host Name", "SRV9"),
        ("OS Name", "Microsoft Windows Server 2019 Datacenter"),
        ("OS Version", "10.0.17763 N/A Build 17763"),
        ("Hotfix(s)", "2 Hotfix(s) Installed."),
        ("Network Card(s)", "1 NIC(s) Installed."),
    ]
    table = render_table(cols, widths, "\n", False).rstrip("\n").split("\n")
    pad = [" " * w for w in widths]
    table.append(" ".join([*pad[:3], _pad("[01]: KB4464455", 25, False), pad[4]]))
    table.append(" ".join([*pad[:3], _pad("[02]: KB4470788", 25, False), "[01]: Example NIC"]))
    table.append(" ".join([*pad[:4], "IP address(es)"]))
    table.append(" ".join([*pad[:4], "[01]: 198.51.100.7"]))
    table.append(" ".join([_pad("OTHER", 15, False), *pad[1:]]))
    info = SI.parse("\n".join(table) + "\n")
    assert info is not None and info.host == "SRV9"
    assert info.hotfixes == ["KB4464455", "KB4470788"] and info.hotfixes_complete is True
    assert info.addresses == ["198.51.100.7"]


def test_another_table_in_the_file_does_not_hide_the_list_form() -> None:
    """tasklist writes the same rule: a table that names no systeminfo field and no Windows
    version is not taken for systeminfo."""
    tasklist = (
        "\nImage Name                     PID Session Name        Session#    Mem Usage\n"
        "========================= ======== ================ =========== ============\n"
        "System Idle Process              0 Services                   0          8 K\n"
    )
    listed = (
        "\nHost Name:                 SRV8\n"
        "OS Name:                   Microsoft Windows Server 2016 Standard\n"
        "OS Version:                10.0.14393 N/A Build 14393\n"
    )
    info = SI.parse(tasklist + listed)
    assert info is not None and info.layout == "list"
    assert (info.host, info.version, info.line) == ("SRV8", "10.0.14393", 6)
    assert not SI.looks_like(tasklist)
