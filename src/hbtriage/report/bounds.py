"""What a report shows of findings of any size: findings.json keeps everything, a report a
bounded part of it, and says how much it left out.

A findings.json is anyone's file (``hbtriage report`` renders what it is given): 100,000
incidents or warnings, or a string of a megabyte in every field, made a page of hundreds of
megabytes and took minutes. :func:`bounded` cuts every list and every string a renderer walks;
the renderers say "... and N more in findings.json" where a list of the document was cut.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from hbtriage.findings import Findings

#: Incidents detailed on the terminal, and in report.html / report.md (the headline counts
#: them all; a week of a site's flapping gives tens).
TERMINAL_INCIDENTS = 20
REPORT_INCIDENTS = 200

#: Items of any other list shown: hosts, configuration findings, warnings, the evidence and
#: references of a cause, a host's names and addresses ...
TERMINAL_ITEMS = 40
REPORT_ITEMS = 200

#: Signals listed per incident in report.html / report.md before "... and N more".
MAX_SIGNALS = 20

#: Characters of any one string shown (a log line, a path, an evidence item): the rest is
#: said as a count. Real ones are shorter (readers keep at most 8 KiB of a line).
MAX_TEXT = 4000


@dataclass(frozen=True)
class Cut:
    """How many of each top-level list :func:`bounded` left out."""

    incidents: int
    hosts: int
    config_findings: int
    warnings: int


def bounded(findings: Findings, incidents: int, items: int) -> tuple[Findings, Cut]:
    """A copy of ``findings`` with at most ``incidents`` incidents (their first
    :data:`MAX_SIGNALS` signals, the rest counted in ``signals_omitted``), ``items`` of every
    other list and :data:`MAX_TEXT` characters of every string (a list of strings ends with
    one saying how many more there are); its inputs are all kept (the renderers pick those to
    list), their strings cut. The whole findings are left as they are."""
    warnings = findings.warnings
    both = len(findings.warnings_ja) == len(warnings)  # (warnings_in's test, kept)
    cut = Cut(
        incidents=max(0, len(findings.incidents) - incidents),
        hosts=max(0, len(findings.hosts) - items),
        config_findings=max(0, len(findings.config_findings) - items),
        warnings=max(0, len(warnings) - items),
    )
    copy = dataclasses.replace(
        findings,
        inputs=[_cut(i, items) for i in findings.inputs],
        hosts=[_cut(h, items) for h in findings.hosts[:items]],
        incidents=[_incident(i, items) for i in findings.incidents[:incidents]],
        config_findings=[_cut(c, items) for c in findings.config_findings[:items]],
        warnings=[_text(w) for w in warnings[:items]],
        warnings_ja=[_text(w) for w in findings.warnings_ja[: items if both else None]],
        warning_ids=list(findings.warning_ids[:items]),
    )
    return copy, cut


def _incident(incident: Any, items: int) -> Any:
    signals = incident.signals
    omitted = incident.signals_omitted + max(0, len(signals) - MAX_SIGNALS)
    shown = dataclasses.replace(incident, signals=signals[:MAX_SIGNALS], signals_omitted=omitted)
    return _cut(shown, items)


def _text(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}… (+{len(text) - MAX_TEXT:,})"


#: Levels of lists and mappings :func:`_cut` goes down (a signal's ``data``, a driver): what
#: lies deeper no renderer shows, and a document nested a thousand levels must not exhaust
#: the stack.
MAX_DEPTH = 8


#: Lists the reports show only by their length (a host's hotfixes: "68 hotfix KB numbers
#: listed"): never cut, or the count shown would be the cut's.
COUNTED = frozenset({"hotfixes"})


def _cut(value: Any, items: int, depth: int = 0) -> Any:
    """``value`` with every list and mapping in it cut to ``items`` entries and every string
    to :data:`MAX_TEXT` characters (below :data:`MAX_DEPTH` levels: left out)."""
    if isinstance(value, str):
        return _text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        changes = {
            f.name: _cut(getattr(value, f.name), items, depth)
            for f in fields
            if f.name not in COUNTED
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, list | tuple | dict) and depth >= MAX_DEPTH:
        return type(value)()
    if isinstance(value, list | tuple):
        kept = [_cut(v, items, depth + 1) for v in value[:items]]
        if len(value) > items and all(isinstance(v, str) for v in kept):
            kept.append(f"… (+{len(value) - items:,})")
        return kept
    if isinstance(value, dict):
        return {k: _cut(v, items, depth + 1) for k, v in list(value.items())[:items]}
    return value
