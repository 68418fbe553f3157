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
    assert top.remedy.startswith("For Windows Vista / Windows Server 2008 or later (CVP1 runs")
    assert "10.0.17763" in top.remedy
    assert "does not apply" in top.remedy and "VMQ" in top.remedy
    assert "Install KB972071" not in top.remedy
    assert "Receive Side Scaling" in top.references[0]
    assert top.remedy_ja.startswith("Windows Vista / Windows Server 2008 以降 向け")


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
    ("version", "sp", "expected"),
    [("5.2.3790", 2, "windows_2003_sp2"), ("5.2.3790", 1, "windows_2003_before_sp2"),
     ("5.2.3790", None, "windows_2003_before_sp2"), ("6.0.6002", 2, "windows_2008_or_later"),
     ("10.0.20348", None, "windows_2008_or_later"), ("5.1.2600", 3, None), ("", None, None)],
)  # fmt: skip
def test_variant_choice_by_version(version: str, sp: int | None, expected: str | None) -> None:
    from hbtriage.catalog import load_catalog

    rule = load_catalog().causes["dpc_storm"]
    fit = next((v.id for v in rule.variants if version and v.fits(version, sp)), None)
    assert fit == expected


def _text_reports(found: Findings, lang: str) -> list[str]:
    import io

    from rich.console import Console

    from hbtriage.report.html import render_html
    from hbtriage.report.markdown import render_markdown
    from hbtriage.report.terminal import render_terminal

    out = io.StringIO()
    render_terminal(found, Console(file=out, width=400, color_system=None), lang=lang)
    return [out.getvalue(), render_markdown(found, lang=lang), render_html(found, None, lang=lang)]


def test_server_2003_sp1_is_told_to_install_sp2_before_the_hotfix(tmp_path: Path) -> None:
    # 2003 SP1 has the same version as SP2 (5.2.3790): it was given "Install KB972071", a
    # hotfix that does not install before SP2.
    found = _with_systeminfo(tmp_path, "srv_2003_sp1_x64_standard_en-us_systeminfo.txt")
    top = _top(found)
    assert top.remedy.startswith("For Windows Server 2003 before SP2 (CVP1 runs")
    assert "version 5.2.3790 SP1" in top.remedy
    assert "Install Service Pack 2 first, then KB972071" in top.remedy
    assert "Install KB972071," not in top.remedy
    assert top.remedy_ja.startswith("SP2 より前の Windows Server 2003 向け (CVP1 は")
    assert "先に Service Pack 2 を適用し" in top.remedy_ja
    for text in _text_reports(found, "en"):
        assert "Install Service Pack 2 first" in text
    for text in _text_reports(found, "ja"):
        assert "先に Service Pack 2 を適用し" in text
        assert "before SP2" not in text


def test_a_hotfix_list_cut_short_without_kb972071_says_to_check_before_installing(
    tmp_path: Path,
) -> None:
    """The real 2003 R2 SP2 systeminfo counts 352 hotfixes and shows 240: KB972071 is not among
    them, and may be among the 112 not shown. The remedy said "Install KB972071" as if it were
    known to be missing; it now says to check first, in English and Japanese."""
    found = _with_systeminfo(tmp_path, "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt")
    top = _top(found)
    assert top.remedy.startswith(
        "For Windows Server 2003 SP2 (CVP1 runs Microsoft(R) Windows(R) Server 2003, Standard "
        "Edition, version 5.2.3790 SP2, by its systeminfo): CVP1's systeminfo cut its hotfix "
        "list short and KB972071 is not among the hotfixes it shows: it may be among those not "
        "shown, so check first (Get-HotFix -Id KB972071"
    )
    assert "install it only if it is missing. Install KB972071," in top.remedy
    assert "表示されていない中に含まれている可能性がある" in top.remedy_ja
    assert "未適用の場合にのみ適用してください" in top.remedy_ja
    assert any("lists 240 of the 352 hotfixes" in w for w in found.warnings)
    for text in _text_reports(found, "en"):
        assert "may be among those not shown" in text
    # a complete list without it (the count made what it shows, its last item whole): no such
    # words
    raw = (tmp_path / "bundle" / "CVP1" / "systeminfo.txt").read_bytes()
    raw = raw.replace(b"352 Hotfix(s) Installed.", b"240 Hotfix(s) Installed.", 1)
    raw = raw.replace(b"[240]: KB2862\r\n", b"[240]: KB2862330 - Update\r\n", 1)
    (tmp_path / "bundle" / "CVP1" / "systeminfo.txt").write_bytes(raw)
    top = _top(analyze([tmp_path / "bundle"]))
    assert "may be among those not shown" not in top.remedy
    assert "): Install KB972071," in top.remedy


def test_a_hotfix_listed_as_installed_is_not_asked_for_again(tmp_path: Path) -> None:
    found = _with_systeminfo(tmp_path, "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt")
    assert "Install KB972071," in _top(found).remedy
    # the same real file with KB972071 in its (cut short) list
    raw = (tmp_path / "bundle" / "CVP1" / "systeminfo.txt").read_bytes()
    row = b"                           [241]: KB972071\r\n"
    raw = raw.replace(b"Network Card(s):", row + b"Network Card(s):", 1)
    (tmp_path / "bundle" / "CVP1" / "systeminfo.txt").write_bytes(raw)
    found = analyze([tmp_path / "bundle"])
    top = _top(found)
    assert "CVP1's systeminfo lists KB972071" in top.remedy
    assert "installing it again will not help" in top.remedy
    assert "Install KB972071," not in top.remedy
    assert "適用済み" in top.remedy_ja and "再適用しても効果はありません" in top.remedy_ja
    assert not {"ndis_hotfix_not_listed"} & {c.id for c in found.config_findings}
    for text in _text_reports(found, "en"):
        assert "installing it again will not help" in text


def test_a_systeminfo_naming_another_computer_is_named_in_the_remedy(tmp_path: Path) -> None:
    # The real file in CVP1/ keeps its own Host Name: it makes a host of its own, and the
    # remedy said "No systeminfo for CVP1" as if none had been handed over.
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    name = "srv_2019_rtm_datacenter_en-us_systeminfo.txt"
    (bundle / "CVP1" / "systeminfo.txt").write_bytes((SYSTEMINFO / name).read_bytes())
    top = _top(analyze([bundle]))
    assert "No systeminfo for CVP1" not in top.remedy
    assert "A systeminfo in the bundle names WIN-O863JARO7CM" in top.remedy
    assert "--host-alias WIN-O863JARO7CM=CVP1" in top.remedy
    assert "--host-alias WIN-O863JARO7CM=CVP1 を付けて再実行" in top.remedy_ja
    # what it says to do works: the 2019 remedy
    top = _top(analyze([bundle], host_aliases=["WIN-O863JARO7CM=CVP1"]))
    assert top.remedy.startswith("For Windows Vista / Windows Server 2008 or later (CVP1 runs")


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
        # (said as the warning says it: 240 of 352 listed, 68 distinct KB numbers among them;
        # the row said "68 hotfixes listed" beside "lists 240 of the 352")
        assert "68 hotfix KB numbers listed (systeminfo cut its list short)" in text
        assert "so 68 distinct KB numbers are known" in text
    assert len(cvp.hotfixes) == 68
    ja = render_markdown(found, lang="ja")
    assert "修正プログラムの KB 番号 68 個" in ja
    assert "わかる KB 番号は (重複を除いて) 68 個です" in ja


@pytest.mark.parametrize(
    ("name", "said", "not_said"),
    [
        ("srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt",
         "For Windows Server 2003 ({host} runs Microsoft(R) Windows(R) Server 2003, Standard "
         "Edition, version 5.2.3790 SP2, by its systeminfo): Disable TCP Chimney offload with "
         "`netsh int ip set chimney DISABLED`", "netsh int tcp set global chimney=disabled`)"),
        ("srv_2008r2_sp1_x64_standard_en-us_systeminfo.txt",
         "For Windows Vista / Windows Server 2008 or later ({host} runs Microsoft Windows Server 2008 R2 "
         "Standard, version 6.1.7601 SP1, by its systeminfo): Disable TCP Chimney offload "
         "(`netsh int tcp set global chimney=disabled`)", "netsh int ip set chimney"),
        (None, "No systeminfo for {host}", None),
    ],
)  # fmt: skip
def test_the_tcp_offload_remedy_gives_the_command_of_the_hosts_windows(
    tmp_path: Path, name: str | None, said: str, not_said: str | None
) -> None:
    """Windows Server 2003 has no `netsh int tcp set global`: its Chimney is switched off with
    `netsh int ip set chimney DISABLED` (or the registry). The remedy gave the 2008 command to
    every host; it now fits the real systeminfo of the culprit, and names both when none is
    there."""
    from hbtriage.simulate.scenarios import generate

    truth = generate("tcp_offload_pg", tmp_path, seed=7)
    host = truth["incidents"][0]["host"]
    if name is not None:
        raw = (SYSTEMINFO / name).read_bytes()
        raw = re.sub(rb"(Host Name:\s+)\S+", rb"\g<1>" + host.encode(), raw, count=1)
        (tmp_path / host / "systeminfo.txt").write_bytes(raw)
    (incident,) = analyze([tmp_path]).incidents
    top = incident.causes[0]
    assert (top.id, top.host) == ("tcp_offload", host)
    assert said.format(host=host) in top.remedy
    if not_said is not None:
        assert not_said not in top.remedy
    else:
        assert "`netsh int ip set chimney DISABLED` on Windows Server 2003 SP2" in top.remedy
        assert "Windows Server 2003 SP2 は `netsh int ip set chimney DISABLED`" in top.remedy_ja
    if name is not None and "2003" in name:
        assert "`netsh int ip set chimney DISABLED` で TCP Chimney" in top.remedy_ja
        assert any("KB 948496" in r for r in top.references)


@pytest.mark.parametrize(
    ("name", "machine", "runs"),
    [
        ("7_sp1_x64_ultimaten_de_systeminfo.txt", "OLI7-PC", "Microsoft Windows 7 Ultimate N"),
        ("10_1809_x64_enterprise_zh-cn_systeminfo.txt", "DESKTOP-0CQH3P2", "Microsoft Windows 10"),
    ],
)
def test_a_client_windows_is_not_labelled_as_a_server_os(
    tmp_path: Path, name: str, machine: str | None, runs: str
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    (bundle / "CVP1" / "systeminfo.txt").write_bytes((SYSTEMINFO / name).read_bytes())
    aliases = [f"{machine}=CVP1"] if machine else []
    top = _top(analyze([bundle], host_aliases=aliases))
    assert top.remedy.startswith("For Windows Vista / Windows Server 2008 or later (CVP1 runs")
    assert runs in top.remedy
    assert top.remedy_ja.startswith("Windows Vista / Windows Server 2008 以降 向け")
