"""A Markdown summary to paste into a ticket: verdict, evidence, remedy, inputs.

Text from the inputs goes through :func:`md_escape`, so a log line cannot open a table cell, a
code span, a link or an HTML tag in whatever renders the ticket.
"""

from __future__ import annotations

import re

from hbtriage.findings import Findings, HostInfo, Incident, iso
from hbtriage.report.bounds import REPORT_INCIDENTS, REPORT_ITEMS, bounded
from hbtriage.report.i18n import (
    REPORT_INPUTS,
    cause_title,
    fmt_confidence,
    fmt_dpc,
    fmt_duration,
    fmt_offset,
    fmt_range,
    fmt_system,
    fmt_zone_of,
    localized,
    localized_list,
    missing_evidence,
    shown_inputs,
    signal_kind,
    summary,
    t,
)
from hbtriage.report.localtime import hosts_by_name, incident_local_windows, local_span
from hbtriage.report.terminal import safe_visible

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that change
# meaning inside a paragraph or a table cell.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|#!~])")


def md_escape(text: str) -> str:
    """Plain text -> Markdown that renders as the same text, on one line; control and
    bidirectional characters escaped (see :func:`safe_visible`)."""
    text = _MD_SPECIAL.sub(r"\\\1", safe_visible(text))
    text = text.replace("&", "&amp;")
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = [_row([md_escape(h) for h in headers]), _row(["---"] * len(headers))]
    out.extend(_row([md_escape(c) for c in row]) for row in rows)
    return out


def render_markdown(findings: Findings, lang: str = "en") -> str:
    """The ticket-ready Markdown summary of ``findings`` in ``lang`` ("en" or "ja"): a bounded
    part of them (:mod:`hbtriage.report.bounds`), with what was left out counted."""
    headline = summary(findings, lang)
    hosts = hosts_by_name(findings.hosts)
    findings, cut = bounded(findings, REPORT_INCIDENTS, REPORT_ITEMS)
    out: list[str] = [f"# {md_escape(t('report_title', lang))}", ""]
    if findings.generated_by:
        out += [f"_{md_escape(t('generated_by', lang, tool=findings.generated_by))}_", ""]
    out += [f"## {md_escape(t('verdict', lang))}", ""]
    if not findings.incidents:
        out += [f"**{md_escape(t('no_incidents', lang))}**", ""]
        missing = missing_evidence(findings, lang)
        if missing:
            out.append(md_escape(t("missing_evidence", lang)))
            out.append("")
            out += [f"- {md_escape(m)}" for m in missing]
        else:
            out.append(md_escape(t("missing_nothing", lang)))
        out.append("")
    else:
        out += [md_escape(headline), ""]
        for incident in findings.incidents:
            out += _incident(incident, hosts, lang)
        out += _more(cut.incidents, lang)

    out += [f"## {md_escape(t('config_findings', lang))}", ""]
    if findings.config_findings:
        rows = [
            [
                c.host,
                localized(c.title, c.title_ja, lang),
                localized(c.detail, c.detail_ja, lang),
            ]
            for c in findings.config_findings
        ]
        out += _table([t("host", lang), t("config_findings", lang), t("detail", lang)], rows)
        out += _more(cut.config_findings, lang)
    else:
        out.append(md_escape(t("no_config_findings", lang)))
    out.append("")

    if findings.hosts:
        out += [f"## {md_escape(t('hosts_heading', lang))}", ""]
        rows = [
            [
                h.name,
                fmt_zone_of(h, lang),
                fmt_offset(h, lang),
                fmt_system(h, lang),
            ]
            for h in findings.hosts
        ]
        keys = ("host", "zone_source", "clock_offset", "system")
        out += _table([t(k, lang) for k in keys], rows)
        out += _more(cut.hosts, lang)
        out.append("")
        dpc = [(h.name, line) for h in findings.hosts for line in fmt_dpc(h, lang)]
        if dpc:
            out += [f"### {md_escape(t('dpc_heading', lang))}", ""]
            out += [f"- {md_escape(name)}: {md_escape(line)}" for name, line in dpc]
            out.append("")

    out += [f"## {md_escape(t('inputs', lang))}", ""]
    headers = [
        t(k, lang) for k in ("path", "kind", "host", "zone_source", "encoding", "range", "records")
    ]
    shown, more = shown_inputs(findings, REPORT_INPUTS)
    rows = [
        [
            i.path,
            i.kind,
            i.host or "—",
            fmt_zone_of(i, lang),
            i.encoding or "—",
            fmt_range(i.first, i.last),
            str(i.records),
        ]
        for i in shown
    ]
    out += _table(headers, rows)
    out += _more(more, lang)
    out.append("")

    out += [f"## {md_escape(t('warnings', lang))}", ""]
    if findings.warnings:
        out += [f"- {md_escape(w)}" for w in findings.warnings_in(lang)]
        out += _more(cut.warnings, lang)
    else:
        out.append(md_escape(t("no_warnings", lang)))
    out.append("")
    return "\n".join(out)


def _more(n: int, lang: str) -> list[str]:
    """A paragraph "... and N more in findings.json" when ``n`` items were left out."""
    return ["", md_escape(t("more_in_findings", lang, n=f"{n:,}"))] if n else []


def _incident(incident: Incident, hosts: dict[str, HostInfo], lang: str) -> list[str]:
    head = f"{t('incident', lang, id=incident.id)}: {iso(incident.start)} → {iso(incident.end)}"
    out = [f"### {md_escape(head)}", ""]

    def fact(key: str, value: str) -> str:
        return f"- **{md_escape(t(key, lang))}:** {value}"

    out.append(fact("duration", md_escape(fmt_duration(incident.start, incident.end, lang))))
    out.append(fact("hosts", md_escape(", ".join(incident.hosts))))
    # the window on each host's own clock: what to grep its logs for
    for name, local in incident_local_windows(incident, hosts, lang):
        label = md_escape(f"{name} {t('local', lang)}")
        out.append(f"- **{label}:** {md_escape(local)}")
    if not incident.causes:
        out += ["", md_escape(t("no_cause", lang)), ""]
        return out
    top = incident.causes[0]
    title = md_escape(cause_title(top.id, top.title, top.title_ja, lang))
    out.append(fact("top_cause", f"**{title}** (`{top.id}`)"))
    out.append(fact("host", md_escape(top.host or t("all_hosts", lang))))
    out.append(fact("confidence", fmt_confidence(top.confidence)))
    out.append("")
    evidence = localized_list(top.evidence, top.evidence_ja, lang)
    if evidence:
        out += [f"**{md_escape(t('evidence', lang))}**", ""]
        # an evidence item that starts with spaces details the one above it
        out += [
            f"  - {md_escape(e.strip())}" if e[:1].isspace() else f"- {md_escape(e)}"
            for e in evidence
        ]
        out.append("")
    remedy = localized(top.remedy, top.remedy_ja, lang)
    if remedy:
        out += [f"**{md_escape(t('remedy', lang))}**", "", md_escape(remedy), ""]
    if top.references:
        out += [f"**{md_escape(t('references', lang))}**", ""]
        out += [
            f"- <{r}>" if r.startswith("http") and " " not in r else f"- {md_escape(r)}"
            for r in top.references
        ]
        out.append("")
    if len(incident.causes) > 1:
        out += [f"**{md_escape(t('other_causes', lang))}**", ""]
        rows = []
        for rank, cause in enumerate(incident.causes[1:], start=2):
            ev = localized_list(cause.evidence, cause.evidence_ja, lang)
            rows.append(
                [
                    str(rank),
                    f"{cause_title(cause.id, cause.title, cause.title_ja, lang)} ({cause.id})",
                    cause.host or t("all_hosts", lang),
                    fmt_confidence(cause.confidence),
                    "; ".join(e.strip() for e in ev),
                ]
            )
        headers = [t(k, lang) for k in ("rank", "cause", "host", "confidence", "evidence")]
        out += _table(headers, rows)
        out.append("")
    if incident.signals:
        out += [f"**{md_escape(t('signals', lang))}**", ""]
        rows = [
            [
                signal_kind(s.kind, lang),
                s.host,
                iso(s.start) or "",
                iso(s.end) or "",
                local_span(s.start, s.end, hosts.get(s.host), with_date=False) or "—",
                s.detail,
            ]
            for s in incident.signals
        ]
        headers = [
            t(k, lang) for k in ("signal_kind", "host", "start", "end", "local_time", "detail")
        ]
        out += _table(headers, rows)
        if incident.signals_omitted:
            out += ["", md_escape(t("more_rows", lang, n=incident.signals_omitted))]
        out.append("")
    return out
