"""Score every catalog cause against the evidence around each incident.

A cause rule is data (``catalog/causes/<id>.toml``): a list of evidence items, each with
a kind, a weight and optionally ``required``. For each host, the weights of the items
that hold are summed (negative weights count against), clipped to 0..1; a rule with
required items only counts when at least one of them holds. The best host per cause is
kept, causes are ranked by that score; ``unknown`` comes when nothing reaches
``MIN_CONFIDENCE`` and says what evidence was missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from hbtriage.catalog import INCIDENT_ROLES, Catalog, CauseRule, Evidence
from hbtriage.detect import drivers
from hbtriage.detect.drivers import Attribution
from hbtriage.detect.incidents import related
from hbtriage.findings import Cause, ConfigFinding, HostInfo, Incident, Signal
from hbtriage.host_facts import has_hotfix
from hbtriage.timeline import Timeline

MIN_CONFIDENCE = 0.3
RESTART_ROLES = frozenset({"restart", "service_stop", "service_start"})
# A restart is rare and telling, and a host's clock may be off by up to a minute when no paired
# event let us measure it: restarts are looked for this far around the incident.
RESTART_WINDOW = timedelta(seconds=120)

#: The sentences this module writes (``catalog/sentences.toml``) and the fields each may use.
SENTENCE_IDS: dict[str, set[str]] = {
    "sample_gap": {"host", "detail", "span", "seconds", "interval"},
    "log_gap": {"host", "detail", "span", "stream", "seconds", "cadence"},
    "counter_anomaly": {"host", "detail", "at", "path", "baseline", "peak", "samples"},
    "counter_between": {"host", "path", "rise", "start", "end", "span"},
    "all_streams_silent": {"host", "count", "streams"},
    "signature_hit": {"host", "at", "detail"},
    "config_finding": {"host", "title", "detail"},
    "quiet_all": {"hosts"},
    "counters_present_all": {"hosts"},
    "loss_on_hosts": {"hosts"},
    "against": {"text"},
    "no_perfmon": {"host", "causes", "causes_ja"},
    "collect_on": {"host", "what"},
    "no_logs": {"host"},
    "counters_missing": {"host", "causes", "causes_ja"},
    "unexplained_stall": {"hosts"},
    "nothing_matched": set(),
    "remedy_for_os": {"os", "host", "name", "version", "remedy"},
    "remedy_os_unknown": {"remedy", "host"},
    "remedy_hotfix_unsure": {"remedy", "host", "kb"},
    "remedy_os_elsewhere": {"remedy", "host", "others", "other"},
    "dpc_driver_window": {
        "host",
        "module",
        "what",
        "kind",
        "share",
        "baseline",
        "long_part",
        "longest",
        "tool",
        "source",
    },
    "dpc_driver_report": {
        "host",
        "module",
        "what",
        "kind",
        "share",
        "span",
        "long_part",
        "longest",
        "elsewhere",
        "tool",
        "source",
    },
    "dpc_driver_remedy": {"tool", "host", "module", "what", "category", "remedy"},
    "dpc_capture": {"remedy", "host"},
    "dpc_long_part": {"count", "unit", "limit"},
    "dpc_baseline": {"share"},
    "dpc_baseline_none": set(),
    "dpc_span": {"seconds"},
    "dpc_elsewhere": {"start", "end"},
    "dpc_unnamed": {"remedy", "host"},
    "dpc_stray": {"remedy", "host", "files"},
}

#: Roles of a host's own fault (its adapter reset or lost its link, the hypervisor froze it): with
#: one in the window the hosts were not quiet, whatever their logs and counters say (a host whose
#: TCP stack ran out of ports, Tcpip 4227/4231, is no healthy end either).
HOST_FAULT_ROLES = frozenset({"link_down", "link_up", "vm_stun", "port_exhaustion"})

#: Evidence kinds that read the DPC/ISR reports: a cause with one of them names the driver.
DRIVER_EVIDENCE = frozenset({"dpc_driver", "dpc_burst"})


class _Ctx:
    def __init__(
        self,
        incident: Incident,
        timeline: Timeline,
        config: list[ConfigFinding],
        pads: dict[str, timedelta],
        all_signals: list[Signal] | None = None,
        catalog: Catalog | None = None,
        peers: Mapping[str, set[str]] | None = None,
    ):
        self.inc = incident
        self.sentences = (catalog or _bundled()).sentences
        lo, hi = incident.start - RESTART_WINDOW, incident.end + RESTART_WINDOW
        self.restarts = [
            s
            for s in (all_signals if all_signals is not None else incident.signals)
            if s.kind == "signature" and s.data.get("role") in RESTART_ROLES and lo <= s.start <= hi
        ]
        self.tl = timeline
        self.config = config
        self.pads = pads
        # Every host may be the cause, but another PIM <-> CVP pair's of a site (``peers``:
        # see ``incidents.related``): its DPC/ISR trace is no evidence of this pair's loss.
        members = set(incident.hosts)
        self.hosts = sorted(
            h for h in set(timeline.hosts) | members if related(h, members, peers or {})
        )
        self.signals = incident.signals
        self.catalog = catalog or _bundled()
        self._attributions: dict[str, Attribution | None] = {}

    def attribution(self, host: str) -> Attribution | None:
        """What the host's DPC/ISR reports say of the incident window (cached per host)."""
        if host not in self._attributions:
            lo, hi = self.window(host)
            self._attributions[host] = (
                drivers.attribute(self.tl.dpc, host, lo, hi, self.catalog) if self.tl.dpc else None
            )
        return self._attributions[host]

    def window(self, host: str) -> tuple[datetime, datetime]:
        pad = self.pads.get(host, timedelta(seconds=10))
        return self.inc.start - pad, self.inc.end + pad

    def of(self, host: str | None, kind: str) -> list[Signal]:
        return [s for s in self.signals if s.kind == kind and (host is None or s.host == host)]

    def has_counters(self, host: str) -> bool:
        lo, hi = self.window(host)
        ct = self.tl.counters
        if ct.is_empty():
            return False
        import polars as pl

        return ct.filter(
            (pl.col("host") == host) & (pl.col("ts") >= lo) & (pl.col("ts") <= hi)
        ).height > 0 or any(s.host == host for s in self.of(host, "sample_gap"))

    def counter_names(self, host: str) -> set[str]:
        """``Object\\Counter`` of the host's counters in the window (canonical English)."""
        lo, hi = self.window(host)
        ct = self.tl.counters
        if ct.is_empty():
            return set()
        import polars as pl

        got = ct.filter((pl.col("host") == host) & (pl.col("ts") >= lo) & (pl.col("ts") <= hi))
        pairs = got.select(pl.col("object").cast(pl.Utf8), pl.col("counter").cast(pl.Utf8))
        return {f"{o}\\{c}" for o, c in pairs.unique().iter_rows()}

    def has_logs(self, host: str) -> bool:
        st = self.tl.streams
        return st.height > 0 and host in st["host"].to_list()


Line = tuple[str, str]  # (English, Japanese)


def _bundled() -> Catalog:
    from hbtriage.catalog import load_catalog

    return load_catalog()


def _gap_line(s: Signal, ctx: _Ctx) -> Line:
    span = f"{_hms(s.start)} → {_hms(s.end)}"
    seconds = f"{s.data['seconds']:.1f}"
    if s.kind == "sample_gap":
        return ctx.sentences["sample_gap"].say(
            host=s.host,
            detail=s.detail,
            span=span,
            seconds=seconds,
            interval=f"{s.data['interval_s']:.1f}",
        )
    return ctx.sentences["log_gap"].say(
        host=s.host,
        detail=s.detail,
        span=span,
        stream=s.data["stream"],
        seconds=seconds,
        cadence=f"{s.data['cadence_s']:.2f}",
    )


def _span(delta: timedelta) -> str:
    """A time between snapshots as an engineer says it: 45 s, 21 min, 3.5 h."""
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _counter_line(s: Signal, ctx: _Ctx) -> Line:
    from hbtriage.detect.counter_anomaly import _num

    d = s.data
    inst = f"({d['instance']})" if d["instance"] else ""
    if d.get("between"):  # a rise between two snapshots (detect/counter_snapshots.py)
        return ctx.sentences["counter_between"].say(
            host=s.host,
            path=f"{d['object']}{inst}\\{d['counter']}",
            rise=_num(d["peak"]),
            start=_hms(s.start),
            end=_hms(s.end),
            span=_span(s.end - s.start),
        )
    return ctx.sentences["counter_anomaly"].say(
        host=s.host,
        detail=s.detail,
        at=_hms(d["peak_at"]),
        path=f"{d['object']}{inst}\\{d['counter']}",
        baseline=_num(d["baseline"]),
        peak=_num(d["peak"]),
        samples=d["samples"],
    )


def _match(ev: Evidence, host: str, ctx: _Ctx) -> list[Line]:
    """Evidence lines (English, Japanese) when ``ev`` holds for ``host``; empty when not."""
    k = ev.kind
    if k in ("counter_rise", "counter_fall"):
        order = [tuple(c.split("\\", 1)) for c in ev.counters]
        direction = "up" if k == "counter_rise" else "down"
        hits = [
            s
            for s in ctx.of(host, "counter_anomaly")
            if (s.data["object"], s.data["counter"]) in order and s.data["direction"] == direction
        ]
        # The rule lists its counters most telling first (DPC Rate before DPCs Queued/sec).
        hits.sort(
            key=lambda s: (
                order.index((s.data["object"], s.data["counter"])),
                -abs(s.data["peak"] - s.data["baseline"]),
            )
        )
        return [_counter_line(s, ctx) for s in hits[:4]]
    if k == "log_gap":
        return [_gap_line(s, ctx) for s in ctx.of(host, "log_gap")][:3]
    if k == "log_gap_any_host":
        return [_gap_line(s, ctx) for s in ctx.of(None, "log_gap") if s.host != host][:2]
    if k == "sample_gap":
        return [_gap_line(s, ctx) for s in ctx.of(host, "sample_gap")]
    if k == "all_streams_silent":
        st = ctx.tl.streams
        lo, hi = ctx.window(host)
        mine = sorted(
            r["stream"]
            for r in st.iter_rows(named=True)
            if r["host"] == host and r["first"] <= hi and r["last"] >= lo
        )
        silent = {s.data["stream"] for s in ctx.of(host, "log_gap")}
        if mine and set(mine) <= silent:
            return [
                ctx.sentences["all_streams_silent"].say(
                    host=host, count=len(mine), streams=", ".join(mine)
                )
            ]
        return []
    if k == "signature_role":
        pool = ctx.restarts if set(ev.roles) <= RESTART_ROLES else ctx.of(None, "signature")
        hits = [s for s in pool if s.host == host and s.data.get("role") in ev.roles]
        return [
            ctx.sentences["signature_hit"].say(host=s.host, at=_hms(s.start), detail=s.detail)
            for s in hits
        ][:4]
    if k == "config":
        return [
            ctx.sentences["config_finding"].say(
                host=f.host,
                title=f.title,
                title_ja=f.title_ja or f.title,
                detail=f.detail,
                detail_ja=f.detail_ja or f.detail,
            )
            for f in ctx.config
            if f.host == host and f.id in ev.findings
        ]
    if k in DRIVER_EVIDENCE:
        att = ctx.attribution(host)
        if att is None or att.culprit is None:
            return []
        if (k == "dpc_burst") != (att.basis == "window"):  # one line each, never both
            return []
        return [_driver_line(att, ctx)]
    if k == "quiet_all":
        noisy = [
            s
            for s in ctx.signals
            if s.kind in ("log_gap", "sample_gap", "counter_anomaly")
            or (s.kind == "signature" and s.data.get("role") in HOST_FAULT_ROLES)
        ]
        logging = [h for h in ctx.hosts if ctx.has_logs(h)]
        if noisy or ctx.restarts or not logging:
            return []
        return [ctx.sentences["quiet_all"].say(hosts=", ".join(logging))]
    if k == "counters_present_all":
        # The incident's hosts (the pair that lost the heartbeat): another server of the
        # bundle, with no perfmon and no part in the loss, says nothing of their health.
        present = sorted(ctx.inc.hosts) or ctx.hosts
        if any(not ctx.has_counters(h) for h in present):
            return []
        return [ctx.sentences["counters_present_all"].say(hosts=", ".join(present))]
    if k == "loss_on_hosts":
        lossy = sorted(
            {s.host for s in ctx.of(None, "signature") if s.data.get("role") in INCIDENT_ROLES}
        )
        if len(lossy) < 2:
            return []
        return [ctx.sentences["loss_on_hosts"].say(hosts=", ".join(lossy))]
    return []


_HOSTLESS = frozenset({"quiet_all"})


def _driver_line(att: Attribution, ctx: _Ctx) -> Line:
    c = att.culprit
    assert c is not None
    kind = drivers.KIND_LABEL.get(c.kind, c.kind)
    kind_ja = drivers.KIND_LABEL_JA.get(c.kind, c.kind)
    say = ctx.sentences
    unit = f"{kind}s" if c.kind in ("dpc", "isr") else f"{kind} runs"
    over = c.over_long or 0
    long_part, long_part_ja = (
        say["dpc_long_part"].say(
            count=f"{over:,}", unit=unit, unit_ja=kind_ja, limit=drivers.dur(att.long_us)
        )
        if over
        else ("", "")
    )
    common = {
        "host": att.host,
        "module": c.module,
        "what": drivers.what(att, ctx.catalog),
        "what_ja": drivers.what(att, ctx.catalog, "ja"),
        "kind": kind,
        "kind_ja": kind_ja,
        "share": drivers.pct(c.share),
        "long_part": long_part,
        "long_part_ja": long_part_ja,
        "longest": drivers.dur(c.longest_us),
        "tool": att.tool,
        "source": att.source,
    }
    if att.basis == "window":
        base, base_ja = (
            say["dpc_baseline_none"].say()
            if c.baseline_share is None
            else say["dpc_baseline"].say(share=drivers.pct(c.baseline_share))
        )
        return say["dpc_driver_window"].say(**common, baseline=base, baseline_ja=base_ja)
    span, span_ja = say["dpc_span"].say(seconds=f"{att.span_s:.1f}") if att.span_s else ("", "")
    when, when_ja = ("", "")
    if att.elsewhere and att.start and att.end:
        when, when_ja = say["dpc_elsewhere"].say(start=_hms(att.start), end=_hms(att.end))
    return ctx.sentences["dpc_driver_report"].say(
        **common, span=span, span_ja=span_ja, elsewhere=when, elsewhere_ja=when_ja
    )


def _score(rule: CauseRule, host: str, ctx: _Ctx) -> tuple[float, list[str], list[str]]:
    score = 0.0
    required_ok = not any(e.required for e in rule.evidence)
    lines: list[str] = []
    lines_ja: list[str] = []
    for ev in rule.evidence:
        got = _match(ev, host, ctx)
        if not got:
            if ev.must:
                return 0.0, [], []
            continue
        score += ev.weight
        if ev.required:
            required_ok = True
        if ev.text:
            en, ja = ev.text, ev.text_ja or ev.text
            if ev.weight < 0:
                en, ja = ctx.sentences["against"].say(text=en, text_ja=ja)
            lines.append(en)
            lines_ja.append(ja)
        lines.extend("  " + en for en, _ja in got)
        lines_ja.extend("  " + ja for _en, ja in got)
    if not required_ok:
        return 0.0, [], []
    return max(0.0, min(1.0, score)), lines, lines_ja


def diagnose(
    incidents: list[Incident],
    timeline: Timeline,
    catalog: Catalog,
    config: list[ConfigFinding],
    pads: dict[str, timedelta],
    signals: list[Signal] | None = None,
    peers: Mapping[str, set[str]] | None = None,
) -> None:
    """Fill ``incident.causes`` (best first) for every incident. ``signals``: every signal of
    the run (restarts are looked for in a wider window than the incident's own signals);
    ``peers``: who holds a session with whom (the incidents were grouped by them)."""
    for inc in incidents:
        ctx = _Ctx(inc, timeline, config, pads, signals, catalog, peers)
        causes: list[Cause] = []
        for rule in catalog.causes.values():
            if rule.id == "unknown":
                continue
            hostless = any(e.kind in _HOSTLESS for e in rule.evidence)
            best: tuple[float, str | None, list[str], list[str]] = (0.0, None, [], [])
            for host in ctx.hosts:
                sc, lines, lines_ja = _score(rule, host, ctx)
                if sc > best[0]:
                    best = (sc, None if hostless else host, lines, lines_ja)
            if best[0] >= MIN_CONFIDENCE:
                cause = _cause(rule, best[1], best[0], best[2], best[3])
                if best[1] is not None and any(e.kind in DRIVER_EVIDENCE for e in rule.evidence):
                    att = ctx.attribution(best[1])
                    if att is not None and att.culprit is not None:
                        cause.driver = att.to_dict(catalog)
                causes.append(cause)
        causes.sort(key=lambda c: -c.confidence)
        if not causes:
            causes.append(_unknown(catalog, ctx))
        inc.causes = causes


def _cause(
    rule: CauseRule, host: str | None, score: float, lines: list[str], lines_ja: list[str]
) -> Cause:
    """A ranked cause with the rule's titles, remedies and references in both languages."""
    return Cause(
        id=rule.id,
        host=host,
        confidence=round(score, 2),
        evidence=lines,
        remedy=rule.remedy.strip(),
        title=rule.title,
        title_ja=rule.title_ja,
        remedy_ja=rule.remedy_ja.strip(),
        evidence_ja=lines_ja,
        references=list(rule.references),
    )


def _unknown(catalog: Catalog, ctx: _Ctx) -> Cause:
    rule = catalog.causes["unknown"]
    counter_causes = [
        cause
        for cause in catalog.causes.values()
        if any(e.kind.startswith("counter_") for e in cause.evidence)
    ]
    said: list[tuple[str, str]] = []
    say = ctx.sentences
    for host in ctx.hosts:
        if not ctx.has_counters(host):
            said_of, unseen = "no_perfmon", counter_causes
        else:
            # perfmon is there but without the counters a cause is judged on (a collector set
            # that left out Processor\DPC Rate): the cause was not ruled out, it was not seen
            have = ctx.counter_names(host)
            said_of = "counters_missing"
            unseen = [
                c
                for c in counter_causes
                if _required_counters(c) and not _required_counters(c) & have
            ]
        if unseen:
            ids = [c.id for c in unseen]
            said.append(
                say[said_of].say(host=host, causes=", ".join(ids), causes_ja="、".join(ids))
            )
            what = next((c for c in unseen if c.missing), None)
            if what is not None:
                said.append(
                    say["collect_on"].say(
                        host=host, what=what.missing, what_ja=what.missing_ja or what.missing
                    )
                )
        if not ctx.has_logs(host):
            said.append(say["no_logs"].say(host=host))
    gaps = ctx.of(None, "log_gap")
    if gaps:
        said.append(say["unexplained_stall"].say(hosts=", ".join(sorted({g.host for g in gaps}))))
    if not said:
        said.append(say["nothing_matched"].say())
    return _cause(rule, None, 0.5, [en for en, _ in said], [ja for _, ja in said])


def _required_counters(rule: CauseRule) -> set[str]:
    """The counters of a cause's required counter evidence: with none of them on a host, the
    cause cannot be judged there."""
    return {
        name
        for e in rule.evidence
        if e.kind.startswith("counter_") and (e.required or e.must)
        for name in e.counters
    }


def _hms(ts: object) -> str:
    if isinstance(ts, datetime):
        return ts.strftime("%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
    return str(ts)


def fit_remedies(incidents: list[Incident], hosts: list[HostInfo], catalog: Catalog) -> None:
    """Give each cause the remedy for its host's OS (the cause file's ``[[variant]]`` that fits
    the version its systeminfo states), saying which OS it was chosen for; a host whose OS is not
    known keeps the general remedy, with a word on why."""
    by_name = {h.name: h for h in hosts}
    # A systeminfo whose Host Name is no server's of the bundle makes a host of its own, with
    # neither logs nor perfmon (the real file dropped in a server's folder): named, not ignored.
    strays = sorted(h.name for h in hosts if h.os and not h.has_logs and not h.has_perfmon)
    for incident in incidents:
        for cause in incident.causes:
            rule = catalog.causes.get(cause.id)
            if rule is None or not rule.variants or cause.host is None:
                continue
            host = by_name.get(cause.host)
            facts = (host.os or {}) if host else {}
            version = str(facts.get("version") or "")
            sp = facts.get("service_pack")
            pack = sp if isinstance(sp, int) else None
            fit = next((v for v in rule.variants if version and v.fits(version, pack)), None)
            if fit is None:
                if not version:
                    said = "remedy_os_elsewhere" if strays else "remedy_os_unknown"
                    cause.remedy, cause.remedy_ja = catalog.sentences[said].say(
                        remedy=cause.remedy,
                        remedy_ja=cause.remedy_ja,
                        host=cause.host,
                        others=", ".join(strays[:3]),
                        other=strays[0] if len(strays) == 1 else "NAME",
                    )
                continue
            name = str(facts.get("name") or version)
            remedy, remedy_ja = fit.remedy.strip(), fit.remedy_ja.strip()
            listed = has_hotfix(host, fit.hotfix) if fit.hotfix and host is not None else False
            if listed:
                remedy = fit.remedy_installed.strip().replace("{host}", cause.host)
                remedy_ja = fit.remedy_installed_ja.strip().replace("{host}", cause.host)
            elif listed is None and host is not None and host.hotfixes_complete is False:
                # A list cut short without the hotfix: it may be among those not shown.
                remedy, remedy_ja = catalog.sentences["remedy_hotfix_unsure"].say(
                    host=cause.host,
                    kb=fit.hotfix,
                    remedy=remedy,
                    remedy_ja=remedy_ja,
                )
            cause.remedy, cause.remedy_ja = catalog.sentences["remedy_for_os"].say(
                os=fit.os,
                os_ja=fit.os_ja or fit.os,
                host=cause.host,
                name=name,
                version=f"{version} SP{pack}" if pack else version,
                remedy=remedy,
                remedy_ja=remedy_ja,
            )
            cause.references = list(fit.references) + [
                r for r in cause.references if r not in fit.references
            ]


def fit_driver_remedies(incidents: list[Incident], hosts: list[HostInfo], catalog: Catalog) -> None:
    """A cause whose host's DPC/ISR report names a driver gets the remedy for that kind of
    driver (``catalog/drivers.toml``): kept and prefixed where the cause's own remedy is the
    one for it (the network stack: the NDIS hotfix, RSS), replaced otherwise. A cause that reads
    the reports, on a host without any, says how to capture one next time."""
    by_name = {h.name: h for h in hosts}
    # Reports of a "host" with neither logs nor perfmon: files no clue tied to a server.
    stray = [
        str(r.get("source"))
        for h in hosts
        if not h.has_logs and not h.has_perfmon
        for r in h.dpc_reports
    ]
    for incident in incidents:
        for cause in incident.causes:
            rule = catalog.causes.get(cause.id)
            if rule is None or cause.host is None:
                continue
            if not any(e.kind in DRIVER_EVIDENCE for e in rule.evidence):
                continue
            d = cause.driver
            if d is None:
                host = by_name.get(cause.host)
                if host is not None:
                    said = "dpc_unnamed" if host.dpc_reports else "dpc_capture"
                    if not host.dpc_reports and stray:
                        said = "dpc_stray"
                    cause.remedy, cause.remedy_ja = catalog.sentences[said].say(
                        remedy=cause.remedy,
                        remedy_ja=cause.remedy_ja,
                        host=cause.host,
                        files=", ".join(stray[:3]),
                    )
                continue
            category = catalog.drivers.categories.get(d.get("category") or "")
            category = category or catalog.drivers.unknown
            what = d.get("what") or category.title
            what_ja = d.get("what_ja") or (category.title_ja if not d.get("what") else what)
            remedy = category.remedy.format(module=d["module"], what=what)
            remedy_ja = category.remedy_ja.format(module=d["module"], what=what_ja)
            if category.keep_os_remedy:
                remedy, remedy_ja = f"{remedy} {cause.remedy}", f"{remedy_ja}{cause.remedy_ja}"
            known = category is not catalog.drivers.unknown
            if known and category.reference not in cause.references:
                cause.references.insert(0, category.reference)
            entry = catalog.drivers.lookup(d["module"])
            if entry is not None and entry.reference not in cause.references:
                cause.references.insert(0, entry.reference)
            cause.remedy, cause.remedy_ja = catalog.sentences["dpc_driver_remedy"].say(
                tool=d["tool"],
                host=cause.host,
                module=d["module"],
                what=what,
                what_ja=what_ja,
                category=category.title,
                category_ja=category.title_ja,
                remedy=remedy,
                remedy_ja=remedy_ja,
            )
