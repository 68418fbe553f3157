"""Which driver used the CPUs: DPC/ISR traces (Windows) and IRQ/softirq reports (Linux) read
against an incident.

A report with time (WPA raw rows, per-interval tables, bcc ``-T``, /proc snapshots) is read in
the incident window against the rest of the report (its baseline): the culprit is the module
that holds most of the DPC (softirq) time in the window, at several times its own baseline rate,
and busy enough to matter. A report with whole-trace totals only cannot be tied to the window:
modules are ranked by their share of DPC time and their longest executions, and the evidence
says so. A module is named only when it passes the limits in ``catalog/drivers.toml``; a
healthy host's report names none. What each module is (NIC miniport, storage, filter ...) is
catalog data too, and picks the remedy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from hbtriage.catalog import Catalog, DriverEntry
from hbtriage.sources.base import ModuleUse
from hbtriage.timeline.model import HostDpc

#: Kinds in the order a culprit is looked for: deferred work first (where NDIS receive runs),
#: then the interrupts that queue it.
KIND_ORDER = ("dpc", "softirq", "isr", "hardirq")
KIND_LABEL = {"dpc": "DPC", "softirq": "softirq", "isr": "ISR", "hardirq": "hard IRQ"}
KIND_LABEL_JA = {
    "dpc": "DPC",
    "softirq": "ソフト割り込み",
    "isr": "ISR",
    "hardirq": "ハード割り込み",
}
TOP = 5  # modules listed per report


@dataclass
class Ranked:
    """One module of a report, as ranked for a window or for the whole report."""

    module: str
    kind: str
    share: float | None  # of the kind's time (else count) in the window / report
    time_us: float | None = None
    count: int | None = None
    longest_us: float | None = None
    over_long: int | None = None
    baseline_share: float | None = None  # window basis only
    rise: float | None = None  # window rate / baseline rate (None: no baseline)
    busy_ms_per_s: float | None = None
    count_per_s: float | None = None
    latency_max_us: float | None = None
    description: str = ""


@dataclass
class Attribution:
    """What one report says about one host, for one incident window or for itself."""

    host: str
    source: str
    tool: str
    basis: str  # "window": set against the incident window; "report": whole-report totals
    ranked: list[Ranked] = field(default_factory=list)  # best first, up to TOP
    culprit: Ranked | None = None
    entry: DriverEntry | None = None  # what the culprit is (None: not in the catalog)
    long_us: float = 4000.0
    #: The report's bounds do not cover the incident (it was taken at another time).
    elsewhere: bool = False
    start: datetime | None = None
    end: datetime | None = None
    span_s: float | None = None
    verdict: str = ""

    def to_dict(self, catalog: Catalog) -> dict[str, Any]:
        """The ``driver`` key of a cause, and the entries of ``hosts[].dpc_reports``."""
        c = self.culprit
        category = catalog.drivers.categories.get(self.entry.category) if self.entry else None
        out: dict[str, Any] = {
            "module": c.module if c else None,
            "kind": c.kind if c else None,
            "category": self.entry.category if self.entry else None,
            "what": what(self, catalog) if c else None,
            "what_ja": what(self, catalog, "ja") if c else None,
            "category_title": category.title if category else None,
            "share": _r(c.share) if c else None,
            "baseline_share": _r(c.baseline_share) if c else None,
            "longest_us": _r(c.longest_us) if c else None,
            "over_long": c.over_long if c else None,
            "long_us": self.long_us,
            "basis": self.basis,
            "tool": self.tool,
            "source": self.source,
            "host": self.host,
            "covers_incident": None
            if self.basis == "report" and self.start is None
            else not self.elsewhere,
            "verdict": self.verdict or None,
            "top": [
                {
                    "module": r.module,
                    "kind": r.kind,
                    "share": _r(r.share),
                    "count": r.count,
                    "time_us": _r(r.time_us),
                    "longest_us": _r(r.longest_us),
                }
                for r in self.ranked
            ],
        }
        return out


def _r(v: float | None) -> float | None:
    return None if v is None else round(float(v), 4)


def describe(report: HostDpc, catalog: Catalog) -> Attribution:
    """The report on its own (no incident): its modules ranked over the whole report, with a
    culprit only when one passes the limits."""
    return _whole_report(report, catalog)


def attribute(
    reports: list[HostDpc], host: str, lo: datetime, hi: datetime, catalog: Catalog
) -> Attribution | None:
    """The best account ``host``'s reports give of the window ``lo``..``hi``: a report with time
    that covers the window first, then whole-report totals (a report taken during the window
    before one taken at another time). None when the host has no report."""
    mine = [r for r in reports if r.host == host]
    if not mine:
        return None
    found: list[Attribution] = []
    for rep in mine:
        if rep.rows is not None and rep.rows.height:
            got = _in_window(rep, lo, hi, catalog)
            if got is not None:
                found.append(got)
                continue
        whole = _whole_report(rep, catalog)
        whole.elsewhere = _elsewhere(rep, lo, hi)
        found.append(whole)
    found.sort(key=lambda a: (a.basis != "window", a.elsewhere, a.culprit is None, a.source))
    return found[0]


def _elsewhere(rep: HostDpc, lo: datetime, hi: datetime) -> bool:
    if rep.rows is not None and rep.rows.height:
        first, last = rep.rows["ts"].min(), rep.rows["ts"].max()
        return not (first <= hi and last >= lo)  # type: ignore[operator]
    if rep.start is None or rep.end is None:
        return False  # not known: the report does not say when it was taken
    return not (rep.start <= hi and rep.end >= lo)


def _in_window(rep: HostDpc, lo: datetime, hi: datetime, catalog: Catalog) -> Attribution | None:
    """Modules in the window against the rest of the report; None when the rows do not reach
    into the window."""
    rows = rep.rows
    assert rows is not None
    end = pl.col("ts") + pl.duration(microseconds=pl.col("span_us").fill_null(0).cast(pl.Int64))
    inside = (pl.col("ts") <= hi) & (end >= lo)
    flagged = rows.with_columns(inside.alias("in_window"))
    if not flagged["in_window"].any():
        return None
    first: datetime = rows["ts"].min()  # type: ignore[assignment]
    last: datetime = flagged.select(end.max()).item()
    window_s = max(1e-3, (min(hi, last) - max(lo, first)).total_seconds())
    total_s = max(window_s, (last - first).total_seconds())
    base_s = total_s - window_s
    lim = catalog.drivers.limits
    att = Attribution(
        rep.host,
        rep.source,
        rep.trace.tool,
        "window",
        long_us=rep.trace.long_us,
        start=first,
        end=last,
        span_s=total_s,
        verdict=rep.trace.verdict,
    )
    per = flagged.group_by("module", "kind", "in_window").agg(
        pl.col("time_us").sum().alias("time_us"),
        pl.col("time_us").is_not_null().any().alias("timed"),
        pl.col("count").sum().alias("count"),
        pl.col("max_us").max().alias("max_us"),
        # Only rows of one execution each (WPA raw rows) can count long executions.
        ((pl.col("count") == 1) & (pl.col("max_us") > rep.trace.long_us)).sum().alias("over_long"),
        (pl.col("count") == 1).any().alias("single"),
    )
    for kind in KIND_ORDER:
        part = per.filter(pl.col("kind") == kind)
        if part.is_empty() or not part.filter(pl.col("in_window")).height:
            continue
        timed = bool(part["timed"].any())
        measure = "time_us" if timed else "count"
        win = {r["module"]: r for r in part.filter(pl.col("in_window")).iter_rows(named=True)}
        base = {r["module"]: r for r in part.filter(~pl.col("in_window")).iter_rows(named=True)}
        win_total = sum(float(r[measure] or 0) for r in win.values())
        base_total = sum(float(r[measure] or 0) for r in base.values())
        ranked: list[Ranked] = []
        for module, r in win.items():
            amount = float(r[measure] or 0)
            b = base.get(module)
            b_amount = float(b[measure] or 0) if b else 0.0
            rate, b_rate = amount / window_s, (b_amount / base_s if base_s > 0 else None)
            ranked.append(
                Ranked(
                    module=module,
                    kind=kind,
                    share=amount / win_total if win_total else None,
                    time_us=float(r["time_us"]) if timed and r["time_us"] is not None else None,
                    count=int(r["count"]) if r["count"] is not None else None,
                    longest_us=float(r["max_us"]) if r["max_us"] is not None else None,
                    over_long=int(r["over_long"]) if r["single"] else None,
                    baseline_share=(b_amount / base_total if base_total else 0.0)
                    if base_s > 0
                    else None,
                    rise=(rate / b_rate if b_rate else None) if b_rate is not None else None,
                    busy_ms_per_s=rate / 1000.0 if timed else None,
                    count_per_s=None if timed else rate,
                )
            )
        ranked.sort(key=lambda x: (-(x.share or 0.0), x.module))
        if not att.ranked:
            att.ranked = ranked[:TOP]
        top = ranked[0] if ranked else None
        if top is not None and _window_culprit(top, lim):
            att.ranked, att.culprit = ranked[:TOP], top
            break
    _name(att, catalog)
    return att


def _window_culprit(r: Ranked, lim: dict[str, float]) -> bool:
    if (r.share or 0.0) < lim["min_share"]:
        return False
    # No baseline rate (the module was idle, or the report is all window): a rise by definition.
    if r.rise is not None and r.rise < lim["min_rise"]:
        return False
    if r.busy_ms_per_s is not None:
        return r.busy_ms_per_s >= lim["busy_ms_per_s"] or (r.longest_us or 0.0) >= lim["long_us"]
    return (r.count_per_s or 0.0) >= lim["busy_count_per_s"]


def _whole_report(rep: HostDpc, catalog: Catalog) -> Attribution:
    t = rep.trace
    lim = catalog.drivers.limits
    att = Attribution(
        rep.host,
        rep.source,
        t.tool,
        "report",
        long_us=t.long_us,
        start=rep.start,
        end=rep.end,
        span_s=t.span_s,
        verdict=t.verdict,
    )
    for kind in KIND_ORDER:
        mods = [m for m in t.modules if m.kind == kind]
        if not mods:
            continue
        ranked = [_ranked(m, t.span_s) for m in mods]
        ranked.sort(key=lambda x: (-(x.share or 0.0), -(x.time_us or 0.0), x.module))
        if not att.ranked:
            att.ranked = ranked[:TOP]
        top = ranked[0]
        if _report_culprit(top, lim):
            att.ranked, att.culprit = ranked[:TOP], top
            break
    _name(att, catalog)
    return att


def _ranked(m: ModuleUse, span_s: float | None) -> Ranked:
    busy = m.time_us / 1000.0 / span_s if m.time_us is not None and span_s else None
    per_s = m.count / span_s if m.count is not None and span_s and m.time_us is None else None
    return Ranked(
        module=m.module,
        kind=m.kind,
        share=m.share,
        time_us=m.time_us,
        count=m.count,
        longest_us=m.longest_us,
        over_long=m.over_long,
        busy_ms_per_s=busy,
        count_per_s=per_s,
        latency_max_us=m.latency_max_us,
        description=m.description,
    )


def _report_culprit(r: Ranked, lim: dict[str, float]) -> bool:
    if (r.share or 0.0) < lim["min_share"]:
        return False
    if (r.longest_us or 0.0) >= lim["long_us"] or (r.over_long or 0) > 0:
        return True
    if r.busy_ms_per_s is not None:
        return r.busy_ms_per_s >= lim["busy_ms_per_s"]
    return r.count_per_s is not None and r.count_per_s >= lim["busy_count_per_s"]


def _name(att: Attribution, catalog: Catalog) -> None:
    if att.culprit is not None:
        att.entry = catalog.drivers.lookup(att.culprit.module)


# -- words ---------------------------------------------------------------------------------------


def pct(v: float | None) -> str:
    return "?" if v is None else f"{v * 100:.0f} %"


def dur(us: float | None) -> str:
    """Microseconds as a person reads them: 850 µs, 8.1 ms, 2.3 s."""
    if us is None:
        return "?"
    if us >= 1e6:
        return f"{us / 1e6:.1f} s"
    if us >= 1000:
        return f"{us / 1000:.1f} ms"
    return f"{us:.0f} µs"


def what(att: Attribution, catalog: Catalog, lang: str = "en") -> str:
    """What the culprit is, in a few words (in ``lang``, "en" or "ja"): its driver family, else
    the tool's description of it (as the tool wrote it), else the catalog's words for a module
    it does not know."""
    ja = lang == "ja"
    if att.entry is not None:
        return att.entry.title_ja if ja else att.entry.title
    c = att.culprit
    unknown = catalog.drivers.unknown
    return (c.description if c and c.description else "") or (
        unknown.title_ja if ja else unknown.title
    )
