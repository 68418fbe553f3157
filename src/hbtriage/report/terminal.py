"""The terminal report: the verdict first, then the details an engineer checks next.

Everything taken from the inputs (log lines, paths, host names) is put on screen as
:class:`rich.text.Text` or escaped, so a log line holding ``[bold]`` prints as written, and
passed through :func:`safe_terminal` first, so a control character in a file or host name
(``ESC[2J``, an OSC title sequence, a newline that fakes a report line) prints as ``\\x1b``,
``\\n`` ..., never reaching the terminal raw.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from hbtriage.findings import Cause, Findings, HostInfo, Incident, iso
from hbtriage.report.bounds import TERMINAL_INCIDENTS, TERMINAL_ITEMS, Cut, bounded
from hbtriage.report.i18n import (
    TERMINAL_INPUTS,
    cause_title,
    fmt_confidence,
    fmt_dpc,
    fmt_duration,
    fmt_range,
    fmt_system,
    fmt_zone_of,
    localized,
    localized_list,
    missing_evidence,
    shown_inputs,
    summary,
    t,
)
from hbtriage.report.localtime import hosts_by_name, incident_local_windows

#: Characters that act on a terminal instead of printing: C0 controls (ESC, newline, carriage
#: return, backspace, bell ...), DEL, C1 controls (0x9B is a one-byte CSI on some terminals),
#: Unicode line and paragraph separators, and the bidirectional overrides that make text read
#: in another order than it is written.
_CONTROL = [
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_ESCAPES = {c: _NAMED.get(c, f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _CONTROL}


def safe_terminal(text: str) -> str:
    """``text`` with every character that would act on a terminal written as an escape
    (``\\x1b``, ``\\n``, ``\\u202e`` ...): for anything taken from the inputs (file, folder and
    host names, log lines, warnings) before it is printed."""
    return text.translate(_ESCAPES)


_VISIBLE_ESCAPES = {c: e for c, e in _ESCAPES.items() if c not in _NAMED}


def safe_visible(text: str) -> str:
    """``text`` with the characters of :func:`safe_terminal` escaped but for tab, newline and
    carriage return: for a page (HTML, Markdown), where those are only white space while an
    ESC still acts when the file is shown with ``cat`` and a right-to-left override still makes
    ``red\u202egnp.exe`` read ``redexe.png``."""
    return text.translate(_VISIBLE_ESCAPES)


def _safe_copy(value: Any) -> Any:
    """``value`` (findings and what they hold) with :func:`safe_terminal` applied to every
    string in it; datetimes and numbers as they are."""
    if isinstance(value, str):
        return safe_terminal(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _safe_copy(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, list):
        return [_safe_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_safe_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _safe_copy(v) for k, v in value.items()}
    return value


def render_terminal(findings: Findings, console: Console, lang: str = "en") -> None:
    """Print the whole report for ``findings`` on ``console`` in ``lang`` ("en" or "ja").
    Every string in ``findings`` is escaped with :func:`safe_terminal` first: here is the one
    place the report's data goes to the terminal."""
    headline = summary(findings, lang)  # (all the incidents and hosts counted)
    hosts = hosts_by_name(_safe_copy(findings.hosts))
    shown, cut = bounded(findings, TERMINAL_INCIDENTS, TERMINAL_ITEMS)
    findings = _safe_copy(shown)
    console.print(Text(t("report_title", lang), style="bold"))
    if not findings.incidents:
        _no_incidents(findings, console, lang)
    else:
        console.print(Text(headline))
        for incident in findings.incidents:
            _incident(incident, hosts, console, lang)
        _more(cut.incidents, console, lang)
    _config(findings, cut, console, lang)
    _hosts(findings, cut, console, lang)
    _inputs(findings, console, lang)
    _warnings(findings, cut, console, lang)


def _more(n: int, console: Console, lang: str) -> None:
    """The line "... and N more in findings.json" when ``n`` items of a list were left out."""
    if n:
        console.print(Text("  " + t("more_in_findings", lang, n=f"{n:,}"), style="dim"))


def _no_incidents(findings: Findings, console: Console, lang: str) -> None:
    console.print()
    console.print(Text(t("no_incidents", lang), style="bold green"))
    missing = missing_evidence(findings, lang)
    if missing:
        console.print(Text(t("missing_evidence", lang), style="yellow"))
        for item in missing:
            console.print(Text("  • " + item))
    else:
        console.print(Text(t("missing_nothing", lang)))


def _incident(incident: Incident, hosts: dict[str, HostInfo], console: Console, lang: str) -> None:
    console.print()
    console.rule(Text(t("incident", lang, id=incident.id), style="bold"))
    window = f"{iso(incident.start)} → {iso(incident.end)}"
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    facts.add_row(Text(t("window", lang)), Text(window))
    # the same window on each host's own clock: what to grep its logs for
    for name, local in incident_local_windows(incident, hosts, lang):
        facts.add_row(Text(f"{name} {t('local', lang)}"), Text(local))
    facts.add_row(Text(t("duration", lang)), Text(fmt_duration(incident.start, incident.end, lang)))
    facts.add_row(Text(t("hosts", lang)), Text(", ".join(incident.hosts)))
    if not incident.causes:
        console.print(facts)
        console.print(Text(t("no_cause", lang), style="yellow"))
        return
    top = incident.causes[0]
    verdict = Text()
    verdict.append(cause_title(top.id, top.title, top.title_ja, lang), style="bold red")
    verdict.append(f"  [{top.id}]", style="dim")
    facts.add_row(Text(t("top_cause", lang)), verdict)
    facts.add_row(Text(t("host", lang)), Text(top.host or t("all_hosts", lang)))
    facts.add_row(Text(t("confidence", lang)), Text(fmt_confidence(top.confidence)))
    console.print(facts)
    _evidence_and_remedy(top, console, lang)
    if len(incident.causes) > 1:
        _other_causes(incident.causes[1:], console, lang)


def _evidence_and_remedy(cause: Cause, console: Console, lang: str) -> None:
    evidence = localized_list(cause.evidence, cause.evidence_ja, lang)
    if evidence:
        console.print(Text(t("evidence", lang), style="bold"))
        console.print(_bullets(evidence))
    remedy = localized(cause.remedy, cause.remedy_ja, lang)
    if remedy:
        console.print(Text(t("remedy", lang), style="bold"))
        console.print(Padding(Text(remedy, style="green"), (0, 0, 0, 2)))
    if cause.references:
        console.print(Text(t("references", lang), style="bold"))
        console.print(_bullets(cause.references, style="dim"))


def _bullets(items: list[str], style: str = "") -> Table:
    """A bullet list with hanging indents; an item that starts with spaces is a sub-item."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    # fold, not rich's ellipsis: a Japanese run has no space to wrap at and was cut with '…'
    grid.add_column(overflow="fold")
    for item in items:
        if item[:1].isspace():
            grid.add_row(Text("   "), Text("– ") + Text(item.strip(), style=style))
        else:
            grid.add_row(Text("  •"), Text(item.strip(), style=style))
    return grid


def _other_causes(causes: list[Cause], console: Console, lang: str) -> None:
    table = Table(title=escape(t("other_causes", lang)), box=box.SIMPLE, title_justify="left")
    table.add_column(escape(t("rank", lang)), justify="right")
    table.add_column(escape(t("cause", lang)), overflow="fold")
    table.add_column(escape(t("host", lang)))
    table.add_column(escape(t("confidence", lang)), justify="right")
    table.add_column(escape(t("evidence", lang)), overflow="fold")
    for rank, cause in enumerate(causes, start=2):
        evidence = localized_list(cause.evidence, cause.evidence_ja, lang)
        table.add_row(
            Text(str(rank)),
            Text(cause_title(cause.id, cause.title, cause.title_ja, lang)),
            Text(cause.host or t("all_hosts", lang)),
            Text(fmt_confidence(cause.confidence)),
            Text(evidence[0] if evidence else ""),
        )
    console.print(table)


def _config(findings: Findings, cut: Cut, console: Console, lang: str) -> None:
    console.print()
    console.print(Text(t("config_findings", lang), style="bold"))
    if not findings.config_findings:
        console.print(Text("  " + t("no_config_findings", lang)))
        return
    for item in findings.config_findings:
        line = Text("  • ")
        line.append(f"{item.host}: ", style="bold")
        line.append(localized(item.title, item.title_ja, lang))
        console.print(line)
        detail = localized(item.detail, item.detail_ja, lang)
        if detail:
            console.print(Text("    " + detail, style="dim"))
    _more(cut.config_findings, console, lang)


def _hosts(findings: Findings, cut: Cut, console: Console, lang: str) -> None:
    """Each host's time zone and where it came from: what its local times above are in."""
    if not findings.hosts:
        return
    console.print()
    console.print(Text(t("hosts_heading", lang), style="bold"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for host in findings.hosts:
        grid.add_row(Text("  " + host.name, style="bold"), Text(fmt_zone_of(host, lang)))
        if host.os is not None or host.hotfixes or host.boot_time:
            grid.add_row(Text(""), Text(fmt_system(host, lang), style="dim"))
        for line in fmt_dpc(host, lang):
            grid.add_row(Text(""), Text(line, style="dim"))
    console.print(grid)
    _more(cut.hosts, console, lang)


def _inputs(findings: Findings, console: Console, lang: str) -> None:
    if console.width < 110:
        _inputs_narrow(findings, console, lang)
        return
    table = Table(
        title=escape(t("inputs", lang)),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
        collapse_padding=True,
    )
    # Paths are what the user copies next: keep them whole up to a sane width, wrap the rest.
    longest = max((len(i.path) for i in findings.inputs), default=10)
    table.add_column(escape(t("path", lang)), overflow="fold", min_width=min(longest, 40))
    for key, widest in (("kind", 16), ("host", 16), ("zone_source", 22), ("encoding", 10)):
        table.add_column(escape(t(key, lang)), overflow="fold", max_width=widest)
    table.add_column(escape(t("range", lang)), no_wrap=True, min_width=20)
    table.add_column(escape(t("records", lang)), justify="right", no_wrap=True)
    shown, more = shown_inputs(findings, TERMINAL_INPUTS)
    for item in shown:
        table.add_row(
            Text(item.path),
            Text(item.kind),
            Text(item.host or "—"),
            Text(fmt_zone_of(item, lang)),
            Text(item.encoding or "—"),
            Text(_short_range(item.first, item.last)),
            Text(f"{item.records:,}"),
        )
    console.print()
    console.print(table)
    _more(more, console, lang)


def _inputs_narrow(findings: Findings, console: Console, lang: str) -> None:
    """One block per input: a seven-column table does not fit an 80-column terminal."""
    console.print()
    console.print(Text(t("inputs", lang), style="bold"))
    shown, more = shown_inputs(findings, TERMINAL_INPUTS)
    for item in shown:
        console.print(Text("  " + item.path, style="bold"), overflow="fold")
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="dim", no_wrap=True)
        facts.add_column(overflow="fold")
        facts.add_row(Text("    " + t("kind", lang)), Text(item.kind))
        facts.add_row(Text("    " + t("host", lang)), Text(item.host or "—"))
        facts.add_row(Text("    " + t("zone_source", lang)), Text(fmt_zone_of(item, lang)))
        facts.add_row(Text("    " + t("encoding", lang)), Text(item.encoding or "—"))
        facts.add_row(Text("    " + t("range", lang)), Text(fmt_range(item.first, item.last)))
        facts.add_row(Text("    " + t("records", lang)), Text(f"{item.records:,}"))
        console.print(facts)
    _more(more, console, lang)


def _short_range(first: datetime | None, last: datetime | None) -> str:
    """Seconds are enough on a terminal; the end loses its date when it is the same day."""
    if first is None or last is None:
        return fmt_range(first, last)
    a = first.astimezone(UTC)
    b = last.astimezone(UTC)
    end = b.strftime("%H:%M:%SZ") if a.date() == b.date() else b.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{a.strftime('%Y-%m-%dT%H:%M:%SZ')}\n→ {end}"


def _warnings(findings: Findings, cut: Cut, console: Console, lang: str) -> None:
    """The warnings (the first :data:`~hbtriage.report.bounds.TERMINAL_ITEMS`; findings.json
    has them all, up to api.MAX_WARNINGS)."""
    console.print(Text(t("warnings", lang), style="bold"))
    if not findings.warnings:
        console.print(Text("  " + t("no_warnings", lang)))
        return
    for warning in findings.warnings_in(lang):
        console.print(Text("  ! ", style="yellow") + Text(warning))
    _more(cut.warnings, console, lang)
