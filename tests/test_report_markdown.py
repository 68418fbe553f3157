"""The Markdown summary: ready to paste into a ticket, whatever the log lines contain."""

from __future__ import annotations

import re

try:
    from tests.test_report_html import HOSTILE_SCRIPT, _english_leaks, sample_findings
except ImportError:  # tests/ is not a package: pytest puts it on sys.path itself
    from test_report_html import (  # type: ignore[no-redef]
        HOSTILE_SCRIPT,
        _english_leaks,
        sample_findings,
    )

from hbtriage.findings import Findings, HostInfo
from hbtriage.report import render_markdown
from hbtriage.report.markdown import md_escape


def test_ticket_summary_content() -> None:
    md = render_markdown(sample_findings())
    assert md.startswith("# hbtriage heartbeat-loss report\n")
    assert "### Incident INC\\-1: 2013-03-31T00:36:46.531Z → 2013-03-31T00:36:57.328Z" not in md
    assert "### Incident INC-1: 2013-03-31T00:36:46.531Z → 2013-03-31T00:36:57.328Z" in md
    assert "- **Most likely cause:** **DPC storm starves the NIC receive path** (`dpc_storm`)" in md
    assert "- **Host:** PG1A" in md
    assert "- **Confidence:** 86%" in md
    assert "- **Duration:** 10.8 s" in md
    assert "Install the NDIS hotfix (Ndis.sys 5.2.3790.4524) and reboot" in md
    assert "- <https://support.microsoft.com/kb/example>" in md
    # verdict before the details
    assert md.index("## Verdict") < md.index("**Evidence**") < md.index("## Inputs")
    assert "| 2 | VM stun (vm\\_stun) | PG1A | 21% |" in md
    assert "| log silence | PG1A | 2013-03-31T00:36:46.531Z | 2013-03-31T00:36:57.328Z |" in md


def test_table_cells_cannot_break_the_table() -> None:
    findings = sample_findings()
    findings.inputs[0].path = "odd|name`with`ticks\nand a newline.csv"
    md = render_markdown(findings)
    row = next(line for line in md.splitlines() if "odd" in line)
    assert row.count(" | ") == 6  # 7 cells, no extra separator from the path
    assert "odd\\|name\\`with\\`ticks and a newline.csv" in row
    # every table row in the document has the header's number of cells
    for block in md.split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.startswith("| ")]
        if lines:
            widths = {ln.replace("\\|", "").count("|") for ln in lines}
            assert len(widths) == 1, block


def test_hostile_text_is_inert() -> None:
    md = render_markdown(sample_findings())
    assert HOSTILE_SCRIPT not in md
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert not re.search(r"(?<!\\)<img", md)  # only as the escaped text \<img
    assert md_escape("[link](http://x) *b* _i_ <b> & #") == (
        "\\[link\\](http://x) \\*b\\* \\_i\\_ \\<b\\> &amp; \\#"
    )


def test_no_incident() -> None:
    md = render_markdown(Findings(hosts=[HostInfo(name="PG1A", has_logs=True)]))
    assert "**No heartbeat\\-loss incident" not in md
    assert "**No heartbeat-loss incident was found in these inputs.**" in md
    assert "- no perfmon data for host PG1A" in md


def test_japanese_summary() -> None:
    md = render_markdown(sample_findings(), lang="ja")
    assert md.startswith("# hbtriage ハートビート断 調査レポート")
    assert "## 結論" in md
    assert "NDIS 修正プログラム" in md
    assert "**確度:** 86%" in md
    assert "Install the NDIS hotfix" not in md
    assert not _english_leaks(md), _english_leaks(md)


def test_a_zone_assumed_to_be_utc_is_said_once() -> None:
    """A host whose files name no zone showed 'UTC (assumed UTC (no zone found; use --tz))'
    in the hosts table, 'UTC (UTC とみなしました (...))' in Japanese: the zone twice and a
    parenthesis inside a parenthesis. The label says the zone: it is shown alone."""
    host = HostInfo(name="TIERRA", zone="UTC", zone_source="assumed UTC (no zone found; use --tz)")
    rows = {
        lang: next(
            line
            for line in render_markdown(Findings(hosts=[host]), lang).splitlines()
            if line.startswith("| TIERRA |")
        )
        for lang in ("en", "ja")
    }
    assert rows["en"].startswith("| TIERRA | assumed UTC (no zone found; use --tz) |")
    assert rows["ja"].startswith(
        "| TIERRA | UTC とみなしました (ゾーンが見つかりません。--tz を指定してください) |"
    )
