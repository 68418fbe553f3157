"""Each host's local wall-clock time beside UTC, in the text, HTML and Markdown reports.

A TAC engineer greps a server's logs in its local time: the reports show an incident's window
and a signal's time on each host's own clock, and nothing when the host's zone is unknown.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

try:
    from tests.test_report_html import HOSTILE_SCRIPT, _english_leaks, parse
except ImportError:  # tests/ is not a package: pytest puts it on sys.path itself
    from test_report_html import (  # type: ignore[no-redef]
        HOSTILE_SCRIPT,
        _english_leaks,
        parse,
    )

from hbtriage.api import Analysis, run
from hbtriage.cli import reference_bundle
from hbtriage.findings import Cause, Findings, HostInfo, Incident, Signal
from hbtriage.report import render_html, render_markdown, render_terminal
from hbtriage.report.localtime import local_span, local_time

CHICAGO = HostInfo(name="PG1A", tz_iana="America/Chicago")
TOKYO = HostInfo(name="TKY1", utc_offset_min=540)
UNKNOWN = HostInfo(name="LOST1", zone_source="assumed UTC (no zone found; use --tz)")
NEW_YORK = HostInfo(name="NY1", tz_iana="America/New_York")
AT = datetime(2013, 3, 31, 0, 36, 46, 531900, tzinfo=UTC)

#: A local time as the reports write it: a clock reading not followed by "Z" (UTC is ISO Z).
LOCAL_CLOCK = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3}(?!Z)")


def terminal(findings: Findings, lang: str = "en", width: int = 120) -> str:
    console = Console(
        file=io.StringIO(), record=True, width=width, color_system=None, force_terminal=False
    )
    render_terminal(findings, console, lang=lang)
    return console.export_text()


def html_text(findings: Findings, lang: str = "en", timeline: object | None = None) -> str:
    return "\n".join(parse(render_html(findings, timeline, lang=lang)).text)


def line_of(text: str, start: str) -> str:
    return next(ln for ln in text.splitlines() if ln.strip().startswith(start))


# --- local_time / local_span -------------------------------------------------------------------


def test_iana_zone_gives_its_abbreviation_and_offset() -> None:
    assert local_time(AT, CHICAGO) == "2013-03-30 19:36:46.531 CDT (UTC-05:00)"


def test_fixed_offset_gives_the_offset() -> None:
    assert local_time(AT, TOKYO) == "2013-03-31 09:36:46.531 UTC+09:00"
    half = HostInfo(name="X", utc_offset_min=-150)
    assert local_time(AT, half) == "2013-03-30 22:06:46.531 UTC-02:30"


def test_unknown_zone_gives_nothing() -> None:
    assert local_time(AT, UNKNOWN) is None
    assert local_span(AT, AT, UNKNOWN) is None
    assert local_span(AT, AT, None) is None
    assert local_time(AT, HostInfo(name="X", tz_iana="Not/A_Zone")) is None


def test_naive_time_is_utc() -> None:
    assert local_time(AT.replace(tzinfo=None), CHICAGO) == local_time(AT, CHICAGO)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2024, 1, 15, 15, 0, tzinfo=UTC), "2024-01-15 10:00:00.000 EST (UTC-05:00)"),
        (datetime(2024, 7, 15, 15, 0, tzinfo=UTC), "2024-07-15 11:00:00.000 EDT (UTC-04:00)"),
    ],
)
def test_daylight_saving_time_is_followed(when: datetime, expected: str) -> None:
    assert local_time(when, NEW_YORK) == expected


def test_zone_without_letter_abbreviation_shows_the_offset_once() -> None:
    dubai = HostInfo(name="DXB1", tz_iana="Asia/Dubai")
    assert local_time(AT, dubai) == "2013-03-31 04:36:46.531 UTC+04:00"


def test_span_shows_the_zone_once_and_the_end_date_only_when_it_changes() -> None:
    end = AT + timedelta(seconds=10.8)
    assert local_span(AT, end, CHICAGO) == "2013-03-30 19:36:46.531 → 19:36:57.331 CDT (UTC-05:00)"
    assert local_span(AT, end, CHICAGO, with_date=False) == (
        "19:36:46.531 → 19:36:57.331 CDT (UTC-05:00)"
    )
    assert local_span(AT, AT, TOKYO, with_date=False) == "09:36:46.531 UTC+09:00"
    # across local midnight the dates are written whatever with_date says
    late = datetime(2013, 3, 31, 4, 59, 58, tzinfo=UTC)
    assert local_span(late, late + timedelta(seconds=4), CHICAGO, with_date=False) == (
        "2013-03-30 23:59:58.000 → 2013-03-31 00:00:02.000 CDT (UTC-05:00)"
    )


def test_span_across_a_daylight_saving_change_names_both_zones() -> None:
    # 2024-11-03 06:00Z: New York falls back from EDT to EST
    start = datetime(2024, 11, 3, 5, 59, 50, tzinfo=UTC)
    assert local_span(start, start + timedelta(seconds=20), NEW_YORK) == (
        "2024-11-03 01:59:50.000 EDT (UTC-04:00) → 01:00:10.000 EST (UTC-05:00)"
    )


def test_a_corrected_clock_skew_is_put_back() -> None:
    """The report's times have a host's corrected skew taken out; its logs still have it."""
    fast = HostInfo(name="PG1B", tz_iana="America/Chicago", clock_offset_s=3.25)
    assert local_time(AT, fast) == "2013-03-30 19:36:49.781 CDT (UTC-05:00)"
    jitter = HostInfo(name="PG1B", tz_iana="America/Chicago", clock_offset_s=0.4)
    assert local_time(AT, jitter) == "2013-03-30 19:36:46.531 CDT (UTC-05:00)"  # not applied


# --- the reference case: US Central, CDT ---------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> Analysis:
    return run([reference_bundle()])


def test_reference_hosts_are_on_central_daylight_time(reference: Analysis) -> None:
    hosts = {h.name: h for h in reference.findings.hosts}
    assert set(hosts) == {"PG1A", "CVP1"}
    assert all(h.tz_iana == "America/Chicago" for h in hosts.values())
    (incident,) = reference.findings.incidents
    assert incident.start.strftime("%H:%M:%S") == "00:36:46"


def test_reference_terminal_shows_local_beside_utc(reference: Analysis) -> None:
    out = terminal(reference.findings)
    window = line_of(out, "Window (UTC)")
    assert "2013-03-31T00:36:46" in window and "2013-03-31T00:36:57" in window
    for host in ("PG1A", "CVP1"):
        local = line_of(out, f"{host} local")
        assert "2013-03-30 19:36:46." in local and "→ 19:36:57." in local, local
        assert local.rstrip().endswith("CDT (UTC-05:00)"), local
        assert out.index(window) < out.index(local) < out.index("Most likely cause")
    # the hosts section says which zone, and where it came from
    hosts = out[out.index("\nHosts\n") :]
    assert "PG1A  Central Daylight Time (UTC-05:00, America/Chicago) (perfmon header)" in hosts


def test_reference_terminal_fits_80_columns(reference: Analysis) -> None:
    out = terminal(reference.findings, width=80)
    line = line_of(out, "PG1A local")
    assert "2013-03-30 19:36:46." in line and "CDT (UTC-05:00)" in line  # on one line


def test_reference_markdown_shows_local_beside_utc(reference: Analysis) -> None:
    md = render_markdown(reference.findings)
    head = line_of(md, "### Incident")
    assert "2013-03-31T00:36:46" in head
    for host in ("PG1A", "CVP1"):
        line = line_of(md, f"- **{host} local:**")
        assert re.fullmatch(
            rf"- \*\*{host} local:\*\* 2013-03-30 19:36:46\.\d{{3}} → 19:36:57\.\d{{3}} "
            r"CDT \(UTC-05:00\)",
            line,
        ), line
    # each signal row: UTC start and end, then the host's local time
    silence = line_of(md, "| log silence | PG1A |")
    cells = [c.strip() for c in silence.strip("|").split(" | ")]
    assert cells[2].startswith("2013-03-31T00:36:46") and cells[4].startswith("19:36:46.")
    assert cells[4].endswith("CDT (UTC-05:00)")
    assert "| Signal | Host | Start (UTC) | End (UTC) | Local time | Detail |" in md
    hosts = md[md.index("## Hosts") :]
    assert "| PG1A | Central Daylight Time (UTC-05:00, America/Chicago) (perfmon header) |" in hosts


def test_reference_html_shows_local_beside_utc(reference: Analysis) -> None:
    page = render_html(reference.findings, reference.timeline)
    text = "\n".join(parse(page).text)
    assert "2013-03-31T00:36:46" in text
    for host in ("PG1A", "CVP1"):
        # in the verdict card and again in the incident's own section
        found = re.findall(
            rf"{host} local\n?(2013-03-30 19:36:46\.\d{{3}} → 19:36:57\.\d{{3}} CDT \(UTC-05:00\))",
            text,
        )
        assert len(found) == 2, host
    # signal and matched-line rows carry the host's local time next to UTC
    rows = re.findall(r"<tr class=\"sig-log_gap\">(.*?)</tr>", page)
    assert rows and all("<td>19:36:46." in r and "CDT (UTC-05:00)</td>" in r for r in rows)
    lines = page[page.index('class="lines"') :]
    lines = lines[: lines.index("</table>")]
    assert "<td>2013-03-31T00:36:57.345Z</td><td>19:36:57.345 CDT (UTC-05:00)</td>" in lines
    assert "Central Daylight Time (UTC-05:00, America/Chicago) (perfmon header)" in text


def test_reference_japanese_labels(reference: Analysis) -> None:
    out = terminal(reference.findings, lang="ja")
    assert "2013-03-30 19:36:46." in line_of(out, "PG1A 現地時刻")
    md = render_markdown(reference.findings, lang="ja")
    assert "2013-03-30 19:36:46." in line_of(md, "- **CVP1 現地時刻:**")
    assert "| 現地時刻 |" in md
    text = html_text(reference.findings, lang="ja")
    assert "PG1A 現地時刻" in text
    assert not re.search(r"\blocal\b", out + md + text)
    # the words around an unknown local time are translated too
    unknown = terminal(one_incident(UNKNOWN), lang="ja")
    assert "--tz" in line_of(unknown, "LOST1 現地時刻")
    assert not _english_leaks(unknown), _english_leaks(unknown)


# --- other hosts: a fixed offset, an unknown zone, daylight saving time ------------------------


def one_incident(*hosts: HostInfo, start: datetime = AT) -> Findings:
    end = start + timedelta(seconds=10.797)
    return Findings(
        hosts=list(hosts),
        incidents=[
            Incident(
                id="INC-1",
                start=start,
                end=end,
                hosts=[h.name for h in hosts],
                signals=[
                    Signal("log_gap", h.name, start, end, f"{h.name} silent for 10.8 s")
                    for h in hosts
                ],
                causes=[Cause(id="unknown", host=None, confidence=0.1, evidence=[], remedy="")],
            )
        ],
    )


def all_three(findings: Findings) -> dict[str, str]:
    return {
        "terminal": terminal(findings),
        "markdown": render_markdown(findings),
        "html": html_text(findings),
    }


def test_fixed_offset_host_in_every_report() -> None:
    for name, out in all_three(one_incident(TOKYO)).items():
        assert "2013-03-31 09:36:46.531 → 09:36:57.328 UTC+09:00" in out, name
        assert "09:36:46.531 → 09:36:57.328 UTC+09:00" in out.split("Signals")[-1] or (
            name == "terminal"  # the terminal lists no signal rows
        ), name


def test_unknown_zone_host_gets_no_made_up_local_time() -> None:
    for name, out in all_three(one_incident(UNKNOWN)).items():
        assert "LOST1 local" in out, name
        assert "unknown (no time zone found for this host; use --tz)" in out, name
        assert not LOCAL_CLOCK.findall(out), (name, LOCAL_CLOCK.findall(out))
        assert "2013-03-31T00:36:46.531Z" in out, name  # UTC is still there
    md = render_markdown(one_incident(UNKNOWN))
    assert "| log silence | LOST1 | 2013-03-31T00:36:46.531Z | 2013-03-31T00:36:57.328Z | — |" in md


def test_hosts_of_one_incident_each_on_their_own_clock() -> None:
    out = terminal(one_incident(CHICAGO, TOKYO, UNKNOWN))
    assert "19:36:46.531 → 19:36:57.328 CDT (UTC-05:00)" in line_of(out, "PG1A local")
    assert "09:36:46.531 → 09:36:57.328 UTC+09:00" in line_of(out, "TKY1 local")
    assert "unknown" in line_of(out, "LOST1 local")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2024, 1, 15, 15, 0, 5, tzinfo=UTC), "2024-01-15 10:00:05.000 → "),
        (datetime(2024, 7, 15, 15, 0, 5, tzinfo=UTC), "2024-07-15 11:00:05.000 → "),
    ],
)
def test_daylight_saving_time_in_every_report(start: datetime, expected: str) -> None:
    zone = "EST (UTC-05:00)" if start.month == 1 else "EDT (UTC-04:00)"
    other = "EDT" if start.month == 1 else "EST"
    for name, out in all_three(one_incident(NEW_YORK, start=start)).items():
        assert expected in out and f"15.797 {zone}" in out, name
        assert other not in out, name


def test_host_names_in_local_lines_are_escaped() -> None:
    evil = HostInfo(name=f"{HOSTILE_SCRIPT}|[bold]x[/bold]", utc_offset_min=60)
    findings = one_incident(evil)
    out = terminal(findings)
    assert f"{HOSTILE_SCRIPT}|[bold]x[/bold] local" in out  # rich markup printed as written
    md = render_markdown(findings)
    assert HOSTILE_SCRIPT not in md
    assert "- **\\<script\\>alert(1)\\</script\\>\\|\\[bold\\]x\\[/bold\\] local:** " in md
    page = render_html(findings, None)
    assert HOSTILE_SCRIPT not in page
    assert f"{HOSTILE_SCRIPT}|[bold]x[/bold] local" in "".join(parse(page).text)
