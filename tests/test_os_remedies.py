"""Remedies and configuration findings chosen for the culprit host's Windows, from its
systeminfo: the NDIS hotfix on Windows Server 2003 SP2 only, RSS/VMQ/driver guidance on 2008
and later, and a word on why when the OS is not known."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hbtriage.api import analyze
from hbtriage.findings import Findings

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "src" / "hbtriage" / "simulate" / "reference"
SYSTEMINFO = Path(__file__).parent / "fixtures" / "systeminfo"


def _with_systeminfo(tmp_path: Path, name: str | None) -> Findings:
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    if name is not None:
        raw = (SYSTEMINFO / name).read_bytes()
        # the real file, on the CVP server: its own host name made CVP1's
        raw = re.sub(rb"(Host Name:\s+)\S+", rb"\g<1>CVP1", raw, count=1)
        (bundle / "CVP1" / "systeminfo.txt").write_bytes(raw)
    return analyze([bundle])


def _top(findings: Findings):  # type: ignore[no-untyped-def]
    (incident,) = findings.incidents
    top = incident.causes[0]
    assert (top.id, top.host) == ("dpc_storm", "CVP1")
    return top


def test_server_2019_gets_rss_vmq_and_driver_guidance_not_the_2003_hotfix(
    tmp_path: Path,
) -> None:
    top = _top(_with_systeminfo(tmp_path, "srv_2019_rtm_datacenter_en-us_systeminfo.txt"))
    assert top.remedy.startswith("For Windows Server 2008 or later (CVP1 runs")
    assert "10.0.17763" in top.remedy
    assert "does not apply" in top.remedy and "VMQ" in top.remedy
    assert "Install KB972071" not in top.remedy
    assert "Receive Side Scaling" in top.references[0]
    assert top.remedy_ja.startswith("Windows Server 2008 or later 向け")


def test_server_2003_sp2_gets_the_hotfix_and_a_finding_when_it_is_not_listed(
    tmp_path: Path,
) -> None:
    found = _with_systeminfo(tmp_path, "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt")
    top = _top(found)
    assert top.remedy.startswith("For Windows Server 2003 SP2 (CVP1 runs")
    assert "Install KB972071" in top.remedy
    assert "KB 972071" in top.references[0]
    (cvp,) = [h for h in found.hosts if h.name == "CVP1"]
    assert cvp.hotfixes and "KB972071" not in cvp.hotfixes
    ids = {(c.id, c.host) for c in found.config_findings}
    if cvp.hotfixes_complete:
        assert ("ndis_hotfix_not_listed", "CVP1") in ids
        detail = next(c.detail for c in found.config_findings if c.id == "ndis_hotfix_not_listed")
        assert "KB972071" in detail and f"{len(cvp.hotfixes)} hotfixes" in detail
    else:  # a list systeminfo cut short proves nothing: no finding
        assert ("ndis_hotfix_not_listed", "CVP1") not in ids


def test_without_systeminfo_the_remedy_says_the_os_is_unknown(tmp_path: Path) -> None:
    top = _top(_with_systeminfo(tmp_path, None))
    assert "No systeminfo for CVP1" in top.remedy
    assert "systeminfo がない" in top.remedy_ja


@pytest.mark.parametrize(
    ("version", "expected"),
    [("5.2.3790", "windows_2003_sp2"), ("6.0.6002", "windows_2008_or_later"),
     ("10.0.20348", "windows_2008_or_later"), ("5.1.2600", None), ("", None)],
)  # fmt: skip
def test_variant_choice_by_version(version: str, expected: str | None) -> None:
    from hbtriage.catalog import load_catalog

    rule = load_catalog().causes["dpc_storm"]
    fit = next((v.id for v in rule.variants if version and v.fits(version)), None)
    assert fit == expected


def test_a_complete_hotfix_list_without_kb972071_is_a_finding() -> None:
    from hbtriage.detect.config_checks import check_config
    from hbtriage.sources.base import ConfigFact as F

    base = [
        F("os", "Microsoft(R) Windows(R) Server 2003, Standard Edition"),
        F("os_version", "5.2.3790"),
        F("service_pack", "2"),
        F("arch", "x86"),
        F("hotfix", "KB925902"),
        F("hotfix", "KB936357"),
    ]
    found = check_config({"PG1A": [*base, F("hotfix_list", "complete")]})
    assert [(f.id, f.host) for f in found] == [("ndis_hotfix_not_listed", "PG1A")]
    assert "KB972071 is not among the 2 hotfixes" in found[0].detail
    # listed, cut short, or an Ndis.sys version known: no such finding
    assert (
        check_config({"PG1A": [*base, F("hotfix_list", "complete"), F("hotfix", "KB972071")]}) == []
    )
    assert check_config({"PG1A": [*base, F("hotfix_list", "incomplete")]}) == []
    later = [
        F("os", "Windows Server 2019"),
        F("os_version", "10.0.17763"),
        F("hotfix_list", "complete"),
    ]
    assert check_config({"CVP1": later}) == []


def test_reports_show_what_systeminfo_says(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from hbtriage.report.html import render_html
    from hbtriage.report.markdown import render_markdown
    from hbtriage.report.terminal import render_terminal

    found = _with_systeminfo(tmp_path, "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt")
    (cvp,) = [h for h in found.hosts if h.name == "CVP1"]
    assert cvp.os is not None
    out = io.StringIO()
    render_terminal(found, Console(file=out, width=160, color_system=None), lang="en")
    md, page = render_markdown(found, lang="en"), render_html(found, None, lang="en")
    for text in (out.getvalue(), md, page):
        assert "SP2 (5.2.3790)" in text
        assert f"{len(cvp.hotfixes)} hotfixes listed (systeminfo cut its list short)" in text
    ja = render_markdown(found, lang="ja")
    assert f"修正プログラム {len(cvp.hotfixes)} 個" in ja
