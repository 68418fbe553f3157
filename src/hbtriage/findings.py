"""The result of an analysis, and its JSON form (schema ``hbtriage/findings@1``).

Every reporter (terminal, JSON, HTML, Markdown) renders the same :class:`Findings`.
"""

from __future__ import annotations

import json
import types
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

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
        """The :class:`Findings` of a ``hbtriage/findings@1`` document. Every value is checked
        against its field's type (:class:`DocumentError` names the first that does not fit:
        a findings.json is anyone's file); keys this version does not know are left out (a
        newer findings@1 only adds keys)."""
        if not isinstance(doc, dict):
            raise DocumentError("", _expected("object"), doc)
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"expected schema {SCHEMA}, got {doc.get('schema')!r}")
        return _build(cls, doc, "")  # type: ignore[no-any-return]


class DocumentError(ValueError):
    """A value of a findings.json that does not fit its field: ``where`` is its place
    (``incidents[0].causes[1].confidence``; "" for the whole document), ``expected`` what was
    expected there (worded by id), ``found`` what was there (JSON, shortened, ASCII only);
    ``missing`` when the key is not there at all."""

    def __init__(self, where: str, expected: str, found: Any = None, *, missing: bool = False):
        self.where = where
        self.expected = expected
        self.missing = missing
        self.found = "" if missing else _shown(found)
        said = f"missing (expected {expected})" if missing else f"expected {expected}"
        super().__init__(
            f"{where or 'the document'}: {said}" + ("" if missing else f", found {self.found}")
        )


#: The longest part of a wrong value an error shows.
SHOWN_CHARS = 60


def _shown(value: Any) -> str:
    """``value`` as JSON (ASCII: no control or bidi character reaches a terminal), cut short."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _expected(kind: str, inner: str = "", *, plural: bool = False) -> str:
    """What a field of type ``kind`` holds, worded by id (``inner``: a list's items or what
    may also be null; ``plural``: the items of a list)."""
    from hbtriage.warning_text import warn

    if kind == "list":
        return warn("json_list_of", item=inner)
    if kind == "null":
        return warn("json_or_null", expected=inner)
    if kind == "within":
        return warn("json_within", bound=inner)
    words = {
        **{"str": warn("json_text"), "int": warn("json_whole"), "float": warn("json_number")},
        **{"bool": warn("json_bool"), "object": warn("json_object")},
        "time": warn("json_time", first=DOC_YEARS[0], last=DOC_YEARS[1]),
    }
    if plural:
        words |= {"str": warn("json_texts"), "object": warn("json_objects")}
    return words.get(kind, words["object"])


#: Years a log or counter time stamp may have (the readers keep no other), and so a time of a
#: document. Others are placeholders or clocks gone wrong (1601 and 0001 are Windows' and
#: .NET's zero dates, 9999 a "never"), and would not fit the nanosecond times either: parsed
#: into them they wrap silently (1601 -> 2185, 9999 -> 1816). The readers read them as no
#: time stamp and warn about those lines. (``sources._scan_kernels`` keeps its own copy: a
#: compiled kernel's constants are its module's.)
MIN_YEAR, MAX_YEAR = 1970, 2200

#: Years a time of a findings.json may have: any analyze can write, which is any a nanosecond
#: time holds (1677-09-21 to 2262-04-11: the years 1677 to 2262), not only the readers' (a reader's 1970-01-01 00:00 in
#: UTC+09:00 is 1969 in UTC, and every later stage works on the nanosecond times). Outside them
#: a report's arithmetic overflows (year 1, 9999).
DOC_YEARS = (1677, 2262)

#: Numbers of a document with a bound (± the value): a clock offset of a year (the pairing
#: takes at most minutes) moves a time of MAX_YEAR nowhere a report cannot show.
_BOUNDS = {"clock_offset_s": 366 * 86400.0}

#: Keys a document must have besides the fields without a default: the contract's top-level
#: keys (README, "findings.json").
_REQUIRED = {"Findings": ("inputs", "hosts", "incidents", "config_findings", "warnings")}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _build(cls: type, obj: Any, where: str) -> Any:
    """An instance of the dataclass ``cls`` from the JSON object ``obj`` at ``where``."""
    if not isinstance(obj, dict):
        raise DocumentError(where, _expected("object"), obj)
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        here = f"{where}.{f.name}" if where else f.name
        if f.name not in obj:
            if f.name in _REQUIRED.get(cls.__name__, ()) or (
                f.default is MISSING and f.default_factory is MISSING
            ):
                raise DocumentError(here, _described(hints[f.name]), missing=True)
            continue
        values[f.name] = _conform(obj[f.name], hints[f.name], here)
    return cls(**values)


def _described(hint: Any, *, plural: bool = False) -> str:
    """What a value of the type ``hint`` is (``plural``: a list's items), worded by id."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        one = len(rest) == 1
        inner = _described(rest[0], plural=plural) if one else _expected("object", plural=plural)
        return _expected("null", inner) if type(None) in args else inner
    if origin is list:
        return _expected("list", _described(args[0], plural=True))
    if hint is datetime:
        return _expected("time")
    if hint in (str, int, float, bool):
        return _expected(hint.__name__, plural=plural)
    return _expected("object", plural=plural)


def _conform(value: Any, hint: Any, where: str) -> Any:
    """``value`` as a field of type ``hint`` holds it (a time parsed), else DocumentError."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            try:
                return _conform(value, rest[0], where)
            except DocumentError as exc:
                if exc.where != where:
                    raise
        raise DocumentError(where, _described(hint), value)
    if origin is list:
        if not isinstance(value, list):
            raise DocumentError(where, _described(hint), value)
        return [_conform(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict or hint is dict:
        ok = isinstance(value, dict)
    elif is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    elif hint is datetime:
        if isinstance(value, str):
            try:
                ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                ts = None
            # (a time without a zone would be taken in this machine's; one no nanosecond time
            # holds overflows a report's arithmetic)
            first, last = DOC_YEARS
            if ts is not None and ts.tzinfo is not None and first <= ts.year <= last:
                return ts.astimezone(UTC)
        raise DocumentError(where, _described(hint), value)
    elif hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str)
    else:  # a type no field has yet: taken as it is
        ok = True
    if not ok:
        raise DocumentError(where, _described(hint), value)
    bound = _BOUNDS.get(where.rpartition(".")[2]) if hint is float else None
    if bound is not None and not -bound <= value <= bound:
        raise DocumentError(where, _expected("within", str(bound)), value)
    return value


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
