"""The result of an analysis, and its JSON form (schema ``hbtriage/findings@1``).

Every reporter (terminal, JSON, HTML, Markdown) renders the same :class:`Findings`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA = "hbtriage/findings@1"

SIGNAL_KINDS = ("signature", "log_gap", "counter_anomaly", "sample_gap", "config")

#: Inputs that put a host on the heartbeat's timeline: the logs of either end (dumplog, CVP log,
#: CiscoLog) and perfmon. A host with none (a systeminfo only, a log of another system dropped
#: in) is another machine: no zone warning, not counted with the servers in the headline.
HEARTBEAT_KINDS = frozenset({"icm_dumplog", "cvp_log", "ciscolog", "perfmon_csv"})


def heartbeat_hosts(hosts: list[HostInfo], inputs: list[InputInfo]) -> set[str]:
    """The hosts with an input of :data:`HEARTBEAT_KINDS` or counters."""
    return {i.host for i in inputs if i.kind in HEARTBEAT_KINDS and i.host} | {
        h.name for h in hosts if h.has_perfmon
    }


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 UTC with millisecond precision and a ``Z``."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class InputInfo:
    """One input file and what was read from it."""

    path: str
    kind: str  # reader kind, or "unsupported" / "unreadable"
    encoding: str | None = None
    host: str | None = None
    host_reason: str = ""
    zone: str | None = None  # zone used to put it on UTC
    zone_source: str = ""  # "perfmon header", "--tz", "log offsets", "assumed UTC"
    first: datetime | None = None
    last: datetime | None = None
    records: int = 0
    stream: str | None = None
    note: str = ""
    #: The labels above in Japanese (:func:`hbtriage.warning_text.word_labels`), so a report
    #: rendered again from the document words them too; "" where the English one is empty,
    #: and in a document written before there were any.
    host_reason_ja: str = ""
    zone_ja: str = ""
    zone_source_ja: str = ""
    note_ja: str = ""


@dataclass
class HostInfo:
    name: str
    zone: str | None = None
    zone_source: str = ""
    clock_offset_s: float = 0.0  # estimated offset of this host's clock vs the reference host
    clock_offset_basis: str = ""
    inputs: int = 0
    has_perfmon: bool = False
    has_logs: bool = False
    first: datetime | None = None
    last: datetime | None = None
    #: Other names the host is known by (folder, ICM node, Windows name, FQDN), best first.
    aliases: list[str] = field(default_factory=list)
    #: IP addresses of the host (systeminfo, CVP sender field).
    addresses: list[str] = field(default_factory=list)
    #: How its local time relates to UTC: an IANA zone (with its DST rules) when one is known,
    #: else a fixed offset in minutes east of UTC; both None when nothing is known.
    tz_iana: str | None = None
    utc_offset_min: int | None = None
    #: What its systeminfo says (:mod:`hbtriage.host_facts`): ``{name, version ("5.2.3790"),
    #: build (3790), service_pack (2, None when none)}``; None without a systeminfo.
    os: dict[str, Any] | None = None
    #: Hotfix KB numbers systeminfo lists; ``hotfixes_complete`` is False when it counted more
    #: than it listed (its list cut short), None when there is no list.
    hotfixes: list[str] = field(default_factory=list)
    hotfixes_complete: bool | None = None
    #: Last boot: ISO 8601 UTC with ``Z`` when the host's zone is known, else its local wall
    #: time without ``Z``; ``boot_time_note`` says which zone was used or why none was.
    boot_time: str | None = None
    boot_time_note: str = ""
    #: Each DPC/ISR or IRQ/softirq report of the host on its own, whole report (the ``driver``
    #: form, with ``module`` None when no module stands out).
    dpc_reports: list[dict[str, Any]] = field(default_factory=list)
    #: ``zone``, ``zone_source`` and ``clock_offset_basis`` in Japanese (as for InputInfo).
    zone_ja: str = ""
    zone_source_ja: str = ""
    clock_offset_basis_ja: str = ""


@dataclass
class Signal:
    kind: str  # one of SIGNAL_KINDS
    host: str
    start: datetime
    end: datetime
    detail: str
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable facts (ids, numbers)


@dataclass
class Cause:
    id: str
    host: str | None
    confidence: float
    evidence: list[str]
    remedy: str
    title: str = ""
    title_ja: str = ""
    remedy_ja: str = ""
    evidence_ja: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    #: The module a DPC/ISR (IRQ/softirq) report names for this cause's host
    #: (:meth:`hbtriage.detect.drivers.Attribution.to_dict`); None when no report names one.
    driver: dict[str, Any] | None = None


@dataclass
class Incident:
    id: str
    start: datetime
    end: datetime
    hosts: list[str]
    signals: list[Signal] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    #: Signals of the incident left out of ``signals`` (see ``api.MAX_SIGNALS_PER_INCIDENT``):
    #: the diagnosis saw them all; the document lists the first ones in time.
    signals_omitted: int = 0


@dataclass
class ConfigFinding:
    id: str
    host: str
    title: str
    detail: str
    title_ja: str = ""
    detail_ja: str = ""
    references: list[str] = field(default_factory=list)


@dataclass
class Findings:
    inputs: list[InputInfo] = field(default_factory=list)
    hosts: list[HostInfo] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    config_findings: list[ConfigFinding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generated_by: str = ""
    schema: str = SCHEMA
    #: ``warnings`` in Japanese, one for one (a warning the catalog does not word is in
    #: English); empty in a document written before there were any.
    warnings_ja: list[str] = field(default_factory=list)
    #: The ``catalog/warnings.toml`` id of each of ``warnings`` (None: not worded by id).
    warning_ids: list[str | None] = field(default_factory=list)

    def warnings_in(self, lang: str) -> list[str]:
        """The warnings in ``lang`` ("ja": Japanese where the catalog words them)."""
        if lang == "ja" and len(self.warnings_ja) == len(self.warnings):
            return self.warnings_ja
        return self.warnings

    def to_dict(self) -> dict[str, Any]:
        """The ``hbtriage/findings@1`` document (plain JSON types, times as ISO Z strings)."""
        return _jsonable(asdict(self))  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Findings:
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"expected schema {SCHEMA}, got {doc.get('schema')!r}")

        def t(v: Any) -> Any:
            return parse_iso(v) if isinstance(v, str) else v

        inputs = [
            InputInfo(**{**i, "first": t(i["first"]), "last": t(i["last"])}) for i in doc["inputs"]
        ]
        hosts = [
            HostInfo(**{**h, "first": t(h["first"]), "last": t(h["last"])}) for h in doc["hosts"]
        ]
        incidents = []
        for inc in doc["incidents"]:
            signals = [
                Signal(**{**s, "start": t(s["start"]), "end": t(s["end"])}) for s in inc["signals"]
            ]
            causes = [Cause(**c) for c in inc["causes"]]
            incidents.append(
                Incident(
                    id=inc["id"],
                    start=t(inc["start"]),
                    end=t(inc["end"]),
                    hosts=list(inc["hosts"]),
                    signals=signals,
                    causes=causes,
                    signals_omitted=int(inc.get("signals_omitted", 0)),
                )
            )
        return cls(
            inputs=inputs,
            hosts=hosts,
            incidents=incidents,
            config_findings=[ConfigFinding(**c) for c in doc["config_findings"]],
            warnings=list(doc["warnings"]),
            generated_by=doc.get("generated_by", ""),
            warnings_ja=list(doc.get("warnings_ja") or []),
            warning_ids=list(doc.get("warning_ids") or []),
        )


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return iso(obj)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 6)
    return obj
