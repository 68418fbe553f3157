"""The terminal report and the UI string tables it shares with the other reports."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

try:
    from tests.test_report_html import (
        HOSTILE_MARKUP,
        HOSTILE_SCRIPT,
        _english_leaks,
        sample_findings,
    )
except ImportError:  # tests/ is not a package: pytest puts it on sys.path itself
    from test_report_html import (  # type: ignore[no-redef]
        HOSTILE_MARKUP,
        HOSTILE_SCRIPT,
        _english_leaks,
        sample_findings,
    )

from hbtriage.findings import Findings, HostInfo, InputInfo
from hbtriage.report import render_terminal
from hbtriage.report.i18n import STRINGS, t

REPORT_DIR = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "report"


def render(findings: Findings, lang: str = "en") -> str:
    console = Console(
        file=io.StringIO(), record=True, width=120, color_system=None, force_terminal=False
    )
    render_terminal(findings, console, lang=lang)
    return console.export_text()


def test_verdict_first_then_details() -> None:
    out = render(sample_findings())
    order = [
        "Incident INC-1",
        "2013-03-31T00:36:46.531Z → 2013-03-31T00:36:57.328Z",
        "10.8 s",
        "DPC storm starves the NIC receive path",
        "86%",
        "DPC Rate rose from 0 to 10 on PG1A",
        "Install the NDIS hotfix",
        "Other causes considered",
        "VM stun",
        "Configuration findings",
        "Receive Side Scaling is disabled",
        "Inputs",
        "bundle.zip!PG1A/PerfmonPG1A.csv",
        "Warnings",
    ]
    positions = [out.index(s) for s in order]
    assert positions == sorted(positions), out
    assert "PG1A, CVP1" in out
    assert "Eastern Standard Time" in out and "(perfmon header)" in out  # zone (source)
    assert "utf-16" in out and "1,380" in out
    assert "21%" in out and "5%" in out  # the other causes, ranked with their confidence
    assert out.index("VM stun") < out.index("Heartbeats were lost on the network path")


def test_user_text_is_not_rich_markup() -> None:
    findings = sample_findings()
    findings.warnings.append(f"x.log:9: odd line {HOSTILE_MARKUP}")
    findings.incidents[0].causes[0].evidence.append("[red]literal brackets[/red]")
    out = render(findings)
    assert HOSTILE_MARKUP in out
    assert "[red]literal brackets[/red]" in out
    assert HOSTILE_SCRIPT in out


def test_no_incident_names_the_missing_evidence() -> None:
    findings = Findings(
        inputs=[
            InputInfo(path="PG1A/pim1.log", kind="icm_dumplog", host="PG1A", records=10),
            InputInfo(path="CVP1/blob.bin", kind="unsupported"),
        ],
        hosts=[HostInfo(name="PG1A", has_logs=True)],
    )
    out = render(findings)
    assert "No heartbeat-loss incident was found in these inputs." in out
    assert "no perfmon data for host PG1A" in out
    assert "only one host (PG1A)" in out
    assert "1 input file(s) could not be read" in out
    assert "No configuration findings." in out
    assert "No warnings." in out


def test_healthy_bundle_says_so() -> None:
    findings = Findings(
        inputs=[InputInfo(path="a.csv", kind="perfmon_csv", host="A")],
        hosts=[
            HostInfo(name="A", has_logs=True, has_perfmon=True),
            HostInfo(name="B", has_logs=True, has_perfmon=True),
        ],
    )
    out = render(findings)
    assert "No heartbeat-loss incident" in out
    assert "the heartbeats look healthy" in out


def test_empty_findings_do_not_crash() -> None:
    out = render(Findings())
    assert "no input could be read" in out


def test_japanese_terminal_report() -> None:
    out = render(sample_findings(), lang="ja")
    assert "インシデント INC-1" in out
    assert "DPC の集中で NIC の受信処理が滞っている" in out
    assert "NDIS 修正プログラム" in out
    assert "Install the NDIS hotfix" not in out
    assert "10.8 秒" in out
    assert not _english_leaks(out), _english_leaks(out)
    assert not _english_leaks(render(Findings(), lang="ja"))


def test_cause_without_title_gets_its_catalog_title() -> None:
    findings = sample_findings()
    findings.incidents[0].causes = findings.incidents[0].causes[2:]  # network_path, no title
    assert "Heartbeats were lost on the network path" in render(findings)  # catalog title
    assert "ホスト間のネットワーク経路" in render(findings, lang="ja")


# --- the string tables ---------------------------------------------------------------------------


def test_languages_have_the_same_keys() -> None:
    assert set(STRINGS) == {"en", "ja"}
    assert STRINGS["en"].keys() == STRINGS["ja"].keys()


@pytest.mark.parametrize("key", sorted(STRINGS["en"]))
def test_each_string_is_translated_with_the_same_placeholders(key: str) -> None:
    en, ja = STRINGS["en"][key], STRINGS["ja"][key]
    assert en.strip() and ja.strip()
    assert en != ja, f"{key} is not translated"
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja), f"{key}: no Japanese in {ja!r}"
    assert sorted(re.findall(r"\{(\w+)\}", en)) == sorted(re.findall(r"\{(\w+)\}", ja))


def test_every_key_used_by_the_reports_exists() -> None:
    used: set[str] = set()
    for path in [*REPORT_DIR.glob("*.py"), *REPORT_DIR.glob("templates/*")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']""", text))
        used |= set(re.findall(r'''_KeyRow\(\s*"([a-z_]+)"''', text))
    assert len(used) > 40
    missing = used - STRINGS["en"].keys()
    assert not missing, missing


def test_t_formats_and_falls_back() -> None:
    assert t("incident", "en", id="INC-7") == "Incident INC-7"
    assert t("incident", "ja", id="INC-7") == "インシデント INC-7"
    assert t("incident", "xx", id="INC-7") == "Incident INC-7"
    with pytest.raises(KeyError):
        t("no_such_key", "en")


def test_japanese_evidence_is_folded_not_cut_at_80_columns(tmp_path: Path) -> None:
    """A Japanese sentence has no spaces to wrap at: at 80 columns rich cut a run longer than
    the line with '…' (the RSS finding lost 「使用のリリースに照らして…」). Every word of
    the evidence and other causes is in the text, folded."""
    import shutil

    from hbtriage.api import analyze
    from hbtriage.cli import reference_bundle

    bundle = tmp_path / "bundle"
    shutil.copytree(reference_bundle(), bundle)
    fixture = Path(__file__).parent / "fixtures" / "config" / "netsh_global_2008r2.txt"
    shutil.copy(fixture, bundle / "CVP1" / "netsh_int_tcp_show_global.txt")
    found = analyze([bundle])
    console = Console(file=io.StringIO(), record=True, width=80, color_system=None)
    render_terminal(found, console, lang="ja")
    out = console.export_text()
    assert "…" not in out
    flat = re.sub(r"\s+", "", out)
    (incident,) = found.incidents
    said = [line for cause in incident.causes for line in cause.evidence_ja]
    assert any("RSS" in line and len(line) > 200 for line in said)  # the long one is there
    for line in said:
        assert re.sub(r"\s+", "", line.lstrip(" –")) in flat
