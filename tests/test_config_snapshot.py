"""config_snapshot reader: each command output in its real layout becomes the expected facts."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.config_snapshot import READER
from hbtriage.sources.encoding import read_head

FIX = Path(__file__).parent / "fixtures" / "config"


def read(path: Path) -> ReadResult:
    head, enc = read_head(str(path))
    assert READER.sniff(head, path.name), path.name
    return READER.read(InputFile(display=path.name, path=str(path)), enc)


def facts(result: ReadResult, key: str) -> list[str]:
    return [f.value for f in result.config if f.key == key]


def read_text_fixture(
    tmp_path: Path, text: str, name: str = "snap.txt", encoding: str = "utf-8"
) -> ReadResult:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return READER.read(InputFile(display=name, path=str(p)), encoding)


def test_concatenated_2003_snapshot_systeminfo_wmic_and_registry() -> None:
    r = read(FIX / "pg1a_snapshot.txt")
    assert r.kind == "config_snapshot"
    assert r.host == "PG1A" and r.host_reason == "systeminfo Host Name"
    assert facts(r, "os") == ["Microsoft(R) Windows(R) Server 2003, Standard Edition"]
    assert facts(r, "os_version") == ["5.2.3790"]
    assert facts(r, "service_pack") == ["2"]
    assert facts(r, "arch") == ["x86"]
    # Only the Hotfix(s) section counts: processor and NIC "[01]:" items are not hotfixes.
    assert facts(r, "hotfix") == ["Q147222", "KB925876", "KB968389", "KB2079403"]
    assert facts(r, "ndis_version") == ["5.2.3790.3959"]
    assert facts(r, "rss") == ["disabled"]
    assert facts(r, "chimney") == ["enabled"]
    assert facts(r, "time_zone") == ["(GMT-05:00) Eastern Time (US & Canada)"]
    assert r.events is None and r.counters is None


def test_utf16_le_bom_snapshot_with_powershell_versioninfo_table() -> None:
    assert (FIX / "cvp1_snapshot_utf16.txt").read_bytes().startswith(codecs.BOM_UTF16_LE)
    r = read(FIX / "cvp1_snapshot_utf16.txt")
    assert r.encoding == "utf-16"
    assert r.host == "CVP1"
    assert facts(r, "arch") == ["x64"]
    assert facts(r, "hotfix") == ["KB955839", "KB968389"]
    assert facts(r, "ndis_version") == ["5.2.3790.3959"]


def test_netsh_global_english() -> None:
    r = read(FIX / "netsh_global_2008r2.txt")
    assert facts(r, "rss") == ["disabled"]
    assert facts(r, "chimney") == ["automatic"]
    assert "Receive-Side Scaling State" in r.config[0].detail
    assert r.host is None


def test_netsh_global_german_labels() -> None:
    r = read(FIX / "netsh_global_de.txt")
    assert facts(r, "rss") == ["enabled"]
    assert facts(r, "chimney") == ["disabled"]


def test_systeminfo_csv_itanium_and_hotfixes() -> None:
    r = read(FIX / "systeminfo_csv.csv")
    assert r.host == "PG1B"
    assert facts(r, "arch") == ["ia64"]
    assert facts(r, "service_pack") == ["2"]
    assert facts(r, "hotfix") == ["KB968389", "KB972071"]


@pytest.mark.parametrize(
    ("name", "version"),
    [("ndis_formatlist.txt", "5.2.3790.4524"), ("filever_ndis.txt", "5.2.3790.3959")],
)
def test_ndis_version_forms(name: str, version: str) -> None:
    assert facts(read(FIX / name), "ndis_version") == [version]


def test_get_netadapterrss_and_advanced_properties() -> None:
    r = read(FIX / "adapters_2012r2.txt")
    rss = [(f.value, f.detail) for f in r.config if f.key == "rss"]
    assert (
        "enabled",
        "Get-NetAdapterRss adapter Visible (Intel(R) 82574L Gigabit Network Connection)",
    ) in rss
    assert any(v == "disabled" and "Private" in d for v, d in rss)
    assert any(v == "enabled" and "Receive Side Scaling" in d for v, d in rss)
    offload = {f.detail.split(": ", 1)[1]: f.value for f in r.config if f.key == "tcp_offload"}
    assert offload == {
        "IPv4 Checksum Offload = Rx & Tx Enabled": "enabled",
        "Large Send Offload V2 (IPv4) = Enabled": "enabled",
        "TCP Checksum Offload (IPv4) = Rx & Tx Enabled": "enabled",
        "UDP Checksum Offload (IPv4) = Disabled": "disabled",
    }
    # Flow control, interrupt moderation, jumbo and speed are not offloads.
    assert len(r.config) == 7


def test_healthy_modern_server() -> None:
    r = read(FIX / "healthy_2012r2.txt")
    assert r.host == "CVP2"
    assert facts(r, "rss") == ["enabled", "enabled"]
    assert facts(r, "chimney") == ["disabled"]
    assert facts(r, "service_pack") == []
    assert facts(r, "os_version") == ["6.3.9600"]


def test_unrelated_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_text_fixture(tmp_path, "2013-03-30 19:36:57 some log line\nanother line\n")
    assert not READER.sniff("2016-09-28 04:30:30, Info CBS Loaded Servicing Stack\n", "CBS.log")


_state = st.sampled_from(["enabled", "disabled", "automatic"])
_pad = st.integers(min_value=1, max_value=12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rss=_state, chimney=_state, p1=_pad, p2=_pad, crlf=st.booleans(), utf16=st.booleans())
def test_property_netsh_round_trip(
    tmp_path: Path, rss: str, chimney: str, p1: int, p2: int, crlf: bool, utf16: bool
) -> None:
    text = (
        "Querying active state...\n\nTCP Global Parameters\n" + "-" * 46 + "\n"
        f"Receive-Side Scaling State{' ' * p1}: {rss}\n"
        f"Chimney Offload State{' ' * p2}: {chimney}\n"
        f"NetDMA State{' ' * p1}: enabled\n"
    )
    if crlf:
        text = text.replace("\n", "\r\n")
    enc = "utf-16" if utf16 else "utf-8"
    r = read_text_fixture(tmp_path, text, encoding=enc)
    assert READER.sniff(text, "x.txt")
    assert facts(r, "rss") == [rss] and facts(r, "chimney") == [chimney]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    host=st.from_regex(r"[A-Z][A-Z0-9-]{0,14}", fullmatch=True),
    build=st.integers(min_value=0, max_value=9999),
    kbs=st.lists(
        st.integers(min_value=100000, max_value=9999999), min_size=0, max_size=5, unique=True
    ),
    pad=_pad,
)
def test_property_systeminfo_round_trip(
    tmp_path: Path, host: str, build: int, kbs: list[int], pad: int
) -> None:
    lines = [
        "",
        f"Host Name:{' ' * pad}{host}",
        f"OS Name:{' ' * pad}Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
        f"OS Version:{' ' * pad}5.2.3790 Service Pack 2 Build 3790",
        f"System Type:{' ' * pad}X86-based PC",
        f"Hotfix(s):{' ' * pad}{len(kbs)} Hotfix(s) Installed.",
        *[f"{' ' * (pad + 10)}[{i + 1:02d}]: KB{kb} - Update" for i, kb in enumerate(kbs)],
        f"Network Card(s):{' ' * pad}1 NIC(s) Installed.",
        f"{' ' * (pad + 10)}[01]: Adapter KB1234567 lookalike",
        "",
        "ProductVersion   FileVersion      FileName",
        "--------------   -----------      --------",
        f"5.2.3790.{build}    5.2.3790.{build}... C:\\WINDOWS\\system32\\drivers\\ndis.sys",
    ]
    r = read_text_fixture(tmp_path, "\n".join(lines) + "\n")
    assert r.host == host
    assert facts(r, "hotfix") == [f"KB{kb}" for kb in kbs]
    assert facts(r, "ndis_version") == [f"5.2.3790.{build}"]
    assert facts(r, "arch") == ["x86"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
def test_property_arbitrary_text(tmp_path: Path, text: str) -> None:
    READER.sniff(text, "x.txt")
    try:
        r = read_text_fixture(tmp_path, text)
    except InputError:
        return
    assert all(f.key for f in r.config)


# ----------------------------------------------------- netsh in other languages, hotfix lists


def test_netsh_chinese_from_cmd_in_cp936_gives_the_rss_state() -> None:
    # Was "not a format hbtriage reads": the labels were known in English, German and
    # Japanese only, and cp936 bytes were read as cp1252.
    r = read(FIX / "netsh_global_zh-cn_cp936.txt")
    assert r.encoding == "cp936"
    assert facts(r, "rss") == ["disabled"]
    assert any("接收方缩放状态" in f.detail for f in r.config)
    assert r.warnings == []


def test_netsh_japanese_windows7_output_gives_rss_and_chimney() -> None:
    r = read(FIX / "netsh_global_ja_cp932.txt")
    assert facts(r, "rss") == ["disabled"] and facts(r, "chimney") == ["enabled"]


def test_netsh_in_a_language_the_catalog_lacks_is_named_not_refused(tmp_path: Path) -> None:
    text = (
        "Interrogation de l'état actif...\r\n\r\nParamètres TCP globaux\r\n"
        + "-" * 46
        + "\r\nÉtat de mise à l'échelle côté réception : disabled\r\n"
        "Capacité ECN                          : disabled\r\n"
        "Horodatages RFC 1323                  : disabled\r\n"
    )
    assert READER.sniff(text, "netsh.txt")
    r = read_text_fixture(tmp_path, text, encoding="utf-8")
    assert facts(r, "rss") == []
    (w,) = r.warnings
    assert "snap.txt" in w and "labels hbtriage does not know" in w and "Capacité ECN" in w


def _netsh_cases() -> list[tuple[str, str, str | None, str]]:
    """(language id, RSS label, Chimney label or None, title) of each catalog language, with
    labels as the real outputs spell them."""
    from hbtriage.sources.config_snapshot import snapshot_words

    real = {
        "en": ("Receive-Side Scaling State", "Chimney Offload State"),
        "de": ("Status der empfangsseitigen Skalierung", "Chimney-Abladestatus"),
        "ja": ("Receive-Side Scaling 状態", "Chimney オフロード状態"),
        "zh-cn": ("接收方缩放状态", None),
    }
    langs = snapshot_words().netsh
    assert {lang.id for lang in langs} == set(real)
    return [(lang.id, *real[lang.id], lang.titles[-1]) for lang in langs]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    case=st.sampled_from(_netsh_cases()),
    rss=_state,
    chimney=_state,
    pad=_pad,
    crlf=st.booleans(),
    how=st.sampled_from(["oem", "utf-16", "utf-8"]),
)
def test_property_netsh_any_catalog_language_round_trip(
    tmp_path: Path,
    case: tuple[str, str, str | None, str],
    rss: str,
    chimney: str,
    pad: int,
    crlf: bool,
    how: str,
) -> None:
    from hbtriage.sources.config_snapshot import snapshot_words

    lang_id, rss_label, chimney_label, title = case
    lines = [title, "-" * 46, f"{rss_label}{' ' * pad}: {rss}"]
    if chimney_label:
        lines.append(f"{chimney_label}{' ' * pad}: {chimney}")
    lines += [f"ECN{' ' * pad}: disabled", f"RFC 1323{' ' * pad}: disabled", ""]
    text = ("\r\n" if crlf else "\n").join(["", *lines])
    code_page = next(lang.code_page for lang in snapshot_words().netsh if lang.id == lang_id)
    enc = {"oem": code_page, "utf-16": "utf-16", "utf-8": "utf-8"}[how]
    p = tmp_path / "netsh.txt"
    p.write_bytes(text.encode(enc))
    head, head_enc = read_head(str(p))
    assert READER.sniff(head, p.name)
    r = READER.read(InputFile(display=p.name, path=str(p)), head_enc)
    assert facts(r, "rss") == [rss]
    assert facts(r, "chimney") == ([chimney] if chimney_label else [])
    assert r.warnings == []


def test_get_hotfix_table_from_powershell_utf16() -> None:
    # Was "not a format hbtriage reads", though hbtriage itself tells users to collect it
    # when systeminfo cuts its hotfix list short.
    r = read(FIX / "gethotfix_cvp1_utf16.txt")
    assert r.host == "CVP1" and "Get-HotFix" in r.host_reason
    assert facts(r, "hotfix") == ["KB2534111", "KB2639308", "KB2582281"]
    assert facts(r, "hotfix_list") == ["complete"]


def test_wmic_qfe_list_full_utf16() -> None:
    r = read(FIX / "wmic_qfe_list_full_cvp1_utf16.txt")
    assert r.host == "CVP1"
    assert facts(r, "hotfix") == ["KB2534111", "KB2639308"]
    assert facts(r, "hotfix_list") == ["complete"]


def _hotfix_text(layout: str, host: str, kbs: list[str]) -> str:
    if layout == "table":
        head = "Source        Description      HotFixID      InstalledBy          InstalledOn"
        rule = "------        -----------      --------      -----------          -----------"
        by = "NT AUTHORITY\\SYSTEM"
        rows = [f"{host:<13} {'Update':<16} {kb:<13} {by:<20} 3/2/2014 12:00:00 AM" for kb in kbs]
        return "\n".join(["", head, rule, *rows, "", ""])
    if layout == "list":
        blocks = [
            f"Source      : {host}\nDescription : Update\nHotFixID    : {kb}\n"
            "InstalledOn : 3/2/2014 12:00:00 AM"
            for kb in kbs
        ]
        return "\n\n" + "\n\n".join(blocks) + "\n\n"
    if layout == "wmic_full":
        blocks = [
            f"Caption=http://support.microsoft.com/?kbid={kb[2:]}\nCSName={host}\n"
            f"Description=Update\nFixComments=\nHotFixID={kb}\nInstallDate=\nInstalledOn=3/2/2014"
            for kb in kbs
        ]
        return "\n\n" + "\n\n\n".join(blocks) + "\n\n\n"
    header = '"PSComputerName","InstalledOn","Caption","CSName","Description","HotFixID"'
    rows = [
        f'"{host}","3/2/2014 12:00:00 AM","http://support.microsoft.com/?kbid={kb[2:]}",'
        f'"{host}","Update","{kb}"'
        for kb in kbs
    ]
    type_line = "#TYPE System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering"
    return "\n".join([type_line, header, *rows, ""])


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.sampled_from(["table", "list", "wmic_full", "csv"]),
    host=st.from_regex(r"[A-Z][A-Z0-9-]{0,12}", fullmatch=True),
    numbers=st.lists(
        st.integers(min_value=100000, max_value=9999999), min_size=1, max_size=6, unique=True
    ),
    crlf=st.booleans(),
    utf16=st.booleans(),
)
def test_property_hotfix_lists_round_trip(
    tmp_path: Path, layout: str, host: str, numbers: list[int], crlf: bool, utf16: bool
) -> None:
    kbs = [f"KB{n}" for n in numbers]
    text = _hotfix_text(layout, host, kbs)
    if crlf:
        text = text.replace("\n", "\r\n")
    p = tmp_path / "hotfixes.txt"
    p.write_bytes(b"\xff\xfe" + text.encode("utf-16-le") if utf16 else text.encode("utf-8"))
    head, enc = read_head(str(p))
    assert READER.sniff(head, p.name)
    r = READER.read(InputFile(display=p.name, path=str(p)), enc)
    assert facts(r, "hotfix") == kbs
    assert facts(r, "hotfix_list") == ["complete"]
    assert r.host == host


def test_get_hotfix_beside_a_cut_systeminfo_makes_the_hotfix_list_known(tmp_path: Path) -> None:
    # The real 2003 R2 SP2 systeminfo cuts its list (240 of 352): KB972071, the NDIS hotfix,
    # was "may be among those not shown" even with Get-HotFix, which lists it, beside it.
    host_dir = tmp_path / "SRV2K3R2SP2X86"
    host_dir.mkdir()
    src = Path(__file__).parent / "fixtures" / "systeminfo"
    (host_dir / "systeminfo.txt").write_bytes(
        (src / "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt").read_bytes()
    )
    text = _hotfix_text("table", "SRV2K3R2SP2X86", ["KB972071", "KB2534111"])
    (host_dir / "hotfixes.txt").write_bytes(
        b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")
    )
    from hbtriage import host_facts
    from hbtriage.api import run

    analysis = run([tmp_path])
    (h,) = analysis.findings.hosts
    assert h.hotfixes_complete is True
    assert "KB972071" in h.hotfixes
    assert host_facts.ndis_hotfix_state(h).installed is True
