"""check_config: configuration findings per host, texts from catalog/config_checks.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.detect.config_checks import (
    check_config,
    load_texts,
    version_tuple,
)
from hbtriage.errors import CatalogError
from hbtriage.sources.base import ConfigFact, InputFile
from hbtriage.sources.config_snapshot import READER
from hbtriage.sources.encoding import read_head

NDIS_FIXED = load_catalog().config_texts["ndis_hotfix_missing"].params["fixed_version"]

FIX = Path(__file__).parent / "fixtures" / "config"


def facts_of(*names: str) -> list[ConfigFact]:
    out: list[ConfigFact] = []
    for name in names:
        head, enc = read_head(str(FIX / name))
        out += READER.read(InputFile(display=name, path=str(FIX / name)), enc).config
    return out


def w2003(ndis: str, arch: str = "x86", sp: str = "2") -> list[ConfigFact]:
    return [
        ConfigFact("os", "Microsoft(R) Windows(R) Server 2003, Enterprise Edition"),
        ConfigFact("os_version", "5.2.3790"),
        ConfigFact("service_pack", sp),
        ConfigFact("arch", arch),
        ConfigFact("ndis_version", ndis, "wmic"),
    ]


def test_seed_like_2003_hosts() -> None:
    found = check_config(
        {"PG1A": facts_of("pg1a_snapshot.txt"), "CVP1": facts_of("cvp1_snapshot_utf16.txt")}
    )
    assert [(f.host, f.id) for f in found] == [
        ("CVP1", "ndis_hotfix_missing"),
        ("PG1A", "rss_disabled"),
        ("PG1A", "chimney_enabled"),
        ("PG1A", "ndis_hotfix_missing"),
    ]
    cvp = found[0]
    assert "5.2.3790.3959" in cvp.detail and "x64" in cvp.detail and NDIS_FIXED in cvp.detail
    assert "restart is required" in cvp.detail and "no registry change" in cvp.detail
    assert "再起動が必要" in cvp.detail_ja and "x64" in cvp.detail_ja
    assert any("972071" in ref for ref in cvp.references)
    rss = found[1]
    # Both sides are cited, not one rule.
    assert "Microsoft" in rss.detail and "Cisco" in rss.detail and "EnableRSS = 0x0" in rss.detail
    assert any("Microsoft" in r for r in rss.references) and any(
        "Cisco" in r for r in rss.references
    )
    assert "Microsoft" in rss.detail_ja and "Cisco" in rss.detail_ja
    assert found[2].title == "TCP Chimney Offload is on" and "'enabled'" in found[2].detail


def test_healthy_modern_server_is_silent() -> None:
    assert check_config({"CVP2": facts_of("healthy_2012r2.txt")}) == []


def test_hotfixed_2003_is_silent_and_itanium_named() -> None:
    assert check_config({"PG1A": w2003("5.2.3790.4524")}) == []
    assert check_config({"PG1A": w2003("5.2.3790.5190")}) == []
    found = check_config({"PG1B": w2003("5.2.3790.3959", arch="ia64")})
    assert [f.id for f in found] == ["ndis_hotfix_missing"] and "IA-64" in found[0].detail


def test_versions_compare_numerically_not_as_text() -> None:
    # "5.2.3790.999" sorts after "5.2.3790.4524" as text but is older.
    assert [f.id for f in check_config({"H": w2003("5.2.3790.999")})] == ["ndis_hotfix_missing"]
    assert version_tuple("5.2.3790.999") < version_tuple("5.2.3790.4524")  # type: ignore[operator]


def test_ndis_rule_needs_2003_sp2() -> None:
    assert check_config({"H": w2003("5.2.3790.3959", sp="1")}) == []
    modern = [
        ConfigFact("os", "Microsoft Windows Server 2008 R2"),
        ConfigFact("ndis_version", "6.1.7601.17514"),
    ]
    assert check_config({"H": modern}) == []


def test_offloads_and_automatic_chimney() -> None:
    found = check_config({"CVP3": facts_of("adapters_2012r2.txt", "netsh_global_2008r2.txt")})
    ids = [f.id for f in found]
    assert ids == ["rss_disabled", "chimney_enabled", "tcp_offload_enabled"]
    offload = found[2]
    assert "Large Send Offload V2 (IPv4) = Enabled" in offload.detail
    assert "UDP Checksum Offload" not in offload.detail
    assert "'automatic'" in found[1].detail


def test_catalog_is_complete_and_validated(tmp_path: Path) -> None:
    texts = load_texts()
    assert set(texts) == {
        "rss_disabled",
        "chimney_enabled",
        "tcp_offload_enabled",
        "ndis_hotfix_missing",
        "ndis_hotfix_not_listed",
    }
    for t in texts.values():
        assert t.title_ja and t.detail_ja and t.references
    # A site folder layered on the bundled catalog that replaces an entry with a broken one.
    (tmp_path / "config_checks.toml").write_text(
        '[[finding]]\nid = "rss_disabled"\ntitle = "x"\n', encoding="utf-8"
    )
    with pytest.raises(
        CatalogError, match=r"config_checks.toml \[rss_disabled\]: missing title_ja"
    ):
        load_catalog(extra=[tmp_path])


_fact = st.builds(
    ConfigFact,
    key=st.sampled_from(
        [
            "rss",
            "chimney",
            "tcp_offload",
            "os",
            "os_version",
            "service_pack",
            "arch",
            "ndis_version",
        ]
    ),
    value=st.text(max_size=20),
    detail=st.text(max_size=30),
)


@settings(deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.lists(_fact, max_size=12), max_size=3))
def test_property_any_facts_give_known_findings(facts: dict[str, list[ConfigFact]]) -> None:
    found = check_config(facts)
    assert {f.id for f in found} <= set(load_texts())
    assert {f.host for f in found} <= set(facts)
    assert all("{" not in f.title for f in found)
