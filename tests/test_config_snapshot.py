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
