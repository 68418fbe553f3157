"""The knowledge of hbtriage, as reviewed TOML data: signatures, counters, anomaly rules,
causes, configuration checks and line formats. One :class:`Catalog` object holds it all and is
passed to every stage that needs knowledge.

``load_catalog()`` reads the bundled files; ``load_catalog(extra=[DIR])`` layers a user's folder
on top (``hbtriage analyze --catalog DIR``), laid out like the bundled one: an entry whose id is
already known replaces it, a new id adds one. The whole is validated like source, every problem
collected (file, entry, why) before one :class:`CatalogError` is raised: unique ids, known roles
and evidence kinds, compilable patterns, examples that match, remedies in English and Japanese,
and the checks across files (an anomaly rule's counter must be one the perfmon reader keeps, a
cause's counters must have anomaly rules, a signature's reader kinds must exist).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from hbtriage.errors import CatalogError
from hbtriage.warning_text import Joined, warn

_T = TypeVar("_T")

if TYPE_CHECKING:
    from hbtriage.counter_names import CounterIndex
    from hbtriage.sources.options import ReadOptions

ROLES = frozenset(
    {
        "heartbeat_loss",
        "disconnect",
        "restart",
        "link_down",
        "link_up",
        "suspicion",
        "suspicion_cleared",
        "reconnect",
        "service_stop",
        "service_start",
        "info",
        "vm_stun",
        "port_exhaustion",
    }
)
#: Units of a signature's ``lasted`` number, in seconds.
LASTED_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
#: Roles whose events open an incident.
INCIDENT_ROLES = frozenset({"heartbeat_loss", "disconnect", "suspicion", "link_down"})
#: Causes the pipeline itself refers to (every other cause is found in ``causes/*.toml``).
REQUIRED_CAUSES = ("unknown",)
EVIDENCE_KINDS = frozenset(
    {
        "counter_rise",
        "counter_fall",
        "log_gap",
        "log_gap_any_host",
        "all_streams_silent",
        "sample_gap",
        "signature_role",
        "config",
        "quiet_all",
        "counters_present_all",
        "loss_on_hosts",
        "dpc_driver",  # a DPC/ISR or IRQ/softirq report names a culprit module for the host
        "dpc_burst",  # ... and it is set against the incident window (a report with time)
    }
)


@dataclass(frozen=True)
class Signature:
    id: str
    title: str
    product: str
    pattern: str
    role: str
    reference: str
    kinds: tuple[str, ...] = ()
    pair: str | None = None
    example: str = ""
    #: A regex whose first group is how long the event lasted before its line was written (a
    #: VM stun's "vm stopped for 11283702 us"), in ``lasted_unit``: the signal then spans it.
    lasted: str = ""
    lasted_unit: str = "s"


@dataclass(frozen=True)
class AnomalyRule:
    """How a counter's rise (or fall) above its host's own baseline is judged."""

    object: str
    counter: str
    direction: str  # "up" or "down"
    min_change: float  # absolute change from baseline that counts
    factor: float  # and at least this many robust deviations (MAD) from baseline
    floor: float | None  # "up": peak must reach this; "down": value must fall below this
    min_ratio: float  # "up": value >= min_ratio * baseline; "down": value <= baseline / min_ratio
    title: str
    reference: str


@dataclass(frozen=True)
class Evidence:
    kind: str
    weight: float
    required: bool = False  # at least one "required" item of a rule must hold
    must: bool = False  # this item must hold, or the rule does not apply
    counters: tuple[str, ...] = ()  # "Object\\Counter"
    roles: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    text: str = ""
    text_ja: str = ""


@dataclass(frozen=True)
class RemedyVariant:
    """A cause's remedy for one family of OS (``[[variant]]`` of a cause file): chosen when the
    host's systeminfo version starts with one of ``versions`` ("5.2") or is at least
    ``min_version`` ("6.0"), and its service pack is one of ``service_packs`` when they are
    given (0 = none). ``hotfix``: the KB the remedy installs; a host whose systeminfo lists it
    gets ``remedy_installed`` instead."""

    id: str
    os: str  # how the OS family is named in the remedy ("Windows Server 2003 SP2")
    remedy: str
    remedy_ja: str
    references: tuple[str, ...]
    versions: tuple[str, ...] = ()
    min_version: str = ""
    os_ja: str = ""  # the family's name in Japanese text, when it has words to translate
    service_packs: tuple[int, ...] = ()
    hotfix: str = ""
    remedy_installed: str = ""
    remedy_installed_ja: str = ""

    def fits(self, version: str, service_pack: int | None = None) -> bool:
        # 2003 SP1 and SP2 share version 5.2.3790: the service pack tells the hotfix's reach
        if self.service_packs and (service_pack or 0) not in self.service_packs:
            return False
        if any(version == v or version.startswith(v + ".") for v in self.versions):
            return True
        if self.min_version:
            have, want = _version(version), _version(self.min_version)
            return have is not None and want is not None and have >= want
        return False


def _version(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


@dataclass(frozen=True)
class CauseRule:
    id: str
    title: str
    title_ja: str
    remedy: str
    remedy_ja: str
    references: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    missing: str = ""  # what to collect when this cause cannot be judged
    missing_ja: str = ""
    order: int = 500  # place among the causes (ties, listings): lower first, then by id
    variants: tuple[RemedyVariant, ...] = ()  # remedies by OS of the host, first fit wins


@dataclass(frozen=True)
class ConfigText:
    """The words of one configuration finding (``config_checks.toml``); ``params`` are values
    the check itself uses (e.g. the Ndis.sys version the hotfix ships)."""

    id: str
    title: str
    title_ja: str
    detail: str
    detail_ja: str
    references: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class LineFormat:
    """A simple log format declared as data (``formats/*.toml``): what a line that starts a
    record looks like, where its time stamp is and how it is written. See
    :mod:`hbtriage.sources.declared`."""

    id: str  # also the reader kind signatures name in ``kinds``
    title: str
    reference: str
    start: str  # regex (Python and polars syntax) with named groups, at the start of a line
    timestamp: str  # strptime layout of the ``time`` group (plus ``date`` when it has one)
    date: str = ""  # strptime layout of the ``date`` group, when the stamp is split in two
    fields: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    zone: str | None = None  # fixed zone of the stamps ("UTC", "+09:00"), None: the host's
    min_share: float = 0.6  # share of the first lines that must start a record to sniff
    example: str = ""
    path: str = ""  # the file it came from


@dataclass(frozen=True)
class Sentence:
    """A sentence the diagnosis writes (``sentences.toml``), with ``{name}`` fields."""

    id: str
    en: str
    ja: str

    def say(self, **values: object) -> tuple[str, str]:
        """(English, Japanese) with the fields filled; ``name_ja`` values, when given, fill
        ``{name}`` in the Japanese text."""
        ja = {k: values.get(f"{k}_ja", v) for k, v in values.items()}
        return self.en.format(**values), self.ja.format(**ja)


@dataclass(frozen=True)
class WarningWording:
    """A warning about the inputs (``warnings.toml``) in English and Japanese, with ``{name}``
    fields (made by :func:`hbtriage.warning_text.warn`, worded by its ``render``)."""

    id: str
    en: str
    ja: str


@dataclass(frozen=True)
class ChartRow:
    """One counter row of the report's charts (``charts.toml``)."""

    id: str
    title: str
    title_ja: str
    objects: tuple[str, ...]  # acceptable objects, preferred first
    counters: tuple[str, ...]
    sum_instances: bool  # one series per host and counter, summed over instances
    reference: str


@dataclass(frozen=True)
class Side:
    """One end of the heartbeat (``sides.toml``): the reader kinds that show it is in a bundle,
    and what to collect from it when it is not."""

    id: str
    kinds: tuple[str, ...]
    title: str
    title_ja: str
    collect: str
    collect_ja: str
    reference: str


@dataclass(frozen=True)
class DriverCategory:
    """A kind of driver (``drivers.toml`` ``[[category]]``) and what to do about it when a
    DPC/ISR trace names one of its drivers; ``{module}`` and ``{what}`` in the remedy are the
    module's name and what it is."""

    id: str
    title: str
    title_ja: str
    remedy: str
    remedy_ja: str
    reference: str
    keep_os_remedy: bool = False  # the cause's OS-fitted remedy is the one for this kind


@dataclass(frozen=True)
class DriverEntry:
    """Module names of one driver family (``drivers.toml`` ``[[driver]]``)."""

    id: str
    match: tuple[str, ...]  # case-insensitive shell patterns
    category: str
    title: str
    reference: str
    title_ja: str = ""  # what it is, in Japanese (a site layer may leave it out: the English)

    def matches(self, module: str) -> bool:
        from fnmatch import fnmatchcase

        name = module.lower()
        return any(fnmatchcase(name, pat.lower()) for pat in self.match)


@dataclass(frozen=True)
class Drivers:
    """``drivers.toml``: driver families, their categories and the culprit limits."""

    categories: dict[str, DriverCategory] = field(default_factory=dict)
    entries: tuple[DriverEntry, ...] = ()
    limits: dict[str, float] = field(default_factory=dict)

    @property
    def unknown(self) -> DriverCategory:
        """The category of a module no driver pattern matches (required by the loader)."""
        return self.categories["unknown"]

    def lookup(self, module: str) -> DriverEntry | None:
        """The first driver family whose pattern matches ``module`` (None when none does)."""
        return next((d for d in self.entries if d.matches(module)), None)


@dataclass(frozen=True)
class OsFile:
    """Files an operating system writes beside a user's own for itself (``attachments.toml``
    ``[[os_file]]``): skipped unread. ``names`` are matched against a file's name, ``folders``
    against each folder above it; both case-insensitive shell patterns."""

    id: str
    title: str
    names: tuple[str, ...]
    folders: tuple[str, ...]
    reference: str


#: The limits ``drivers.toml`` must set (read by :mod:`hbtriage.detect.drivers`).
DRIVER_LIMITS = ("min_share", "long_us", "busy_ms_per_s", "min_rise", "busy_count_per_s")


@dataclass
class Catalog:
    signatures: list[Signature] = field(default_factory=list)
    anomalies: dict[tuple[str, str], AnomalyRule] = field(default_factory=dict)
    causes: dict[str, CauseRule] = field(default_factory=dict)
    root: str = ""
    counters: CounterIndex | None = None  # None: the bundled counters.toml
    config_texts: dict[str, ConfigText] = field(default_factory=dict)
    formats: tuple[LineFormat, ...] = ()
    sides: tuple[Side, ...] = ()
    chart_rows: tuple[ChartRow, ...] = ()
    sentences: dict[str, Sentence] = field(default_factory=dict)
    warnings: dict[str, WarningWording] = field(default_factory=dict)
    layers: tuple[str, ...] = ()  # the folders read, bundled first
    drivers: Drivers = field(default_factory=Drivers)
    os_files: tuple[OsFile, ...] = ()
    #: What a site layer holds that nothing reads (a misspelled folder, a file or table only
    #: the bundled catalog has): said as warnings of the analysis.
    unread: tuple[str, ...] = ()
    #: The site layers' entries and files left out because they cannot be used (each worded
    #: with its file, entry and problem; ``load_catalog(skip_bad=True)``): said as warnings of
    #: the analysis, and by the command line as its error.
    skipped: tuple[str, ...] = ()

    @property
    def cause_ids(self) -> tuple[str, ...]:
        """Every cause the catalog knows, in catalog order."""
        return tuple(self.causes)

    def counter_index(self) -> CounterIndex:
        """The counters the perfmon reader keeps."""
        from hbtriage.counter_names import default_index

        return self.counters or default_index()

    def signature(self, sid: str) -> Signature:
        return next(s for s in self.signatures if s.id == sid)

    def read_options(self) -> ReadOptions:
        """How readers read for this catalog: message text kept only where a signature can
        match (every text when there are no signatures)."""
        from hbtriage.sources.options import ReadOptions

        return ReadOptions(
            keep=self.keep_patterns() if self.signatures else None,
            counters=self.counters,
            formats=self.formats,
        )

    def keep_patterns(self) -> dict[str, str | None]:
        """Per reader kind, one regex (polars syntax, as the signature tagger runs it) matching
        every message a signature of that kind could match; "*" stands for every kind no
        signature names. None: no signature applies, no message text is needed."""
        kinds = sorted({k for s in self.signatures for k in s.kinds}) + ["*"]
        out: dict[str, str | None] = {}
        for kind in kinds:
            pats = [s.pattern for s in self.signatures if not s.kinds or kind in s.kinds]
            # The lines that name a host's peer (``clues.toml``) keep their text too.
            pats += [c.pattern for c in host_clues() if kind in c.kinds]
            out[kind] = "(?is)" + "|".join(f"(?:{p})" for p in pats) if pats else None
        return out


def _root() -> Path:
    return Path(str(resources.files("hbtriage") / "catalog"))


def bundled_text(name: str) -> tuple[str, str]:
    """The text and path of the catalog file ``name`` shipped with the package."""
    ref = resources.files("hbtriage").joinpath("catalog", name)
    return ref.read_text(encoding="utf-8"), str(ref)


@dataclass(frozen=True)
class HostClue:
    """Lines that name a host's peer (``clues.toml``): no signature, but their text is kept
    so :mod:`hbtriage.hosts` can read the address they name."""

    id: str
    title: str
    kinds: tuple[str, ...]
    pattern: str  # matched case-insensitively; an IPv4 address in the match is the one named
    reference: str


@cache
def host_clues() -> tuple[HostClue, ...]:
    """The bundled ``clues.toml`` entries (CatalogError naming the file and the entry when one
    lacks a field, its pattern does not compile or an example does not match it)."""
    text, path = bundled_text("clues.toml")
    out: list[HostClue] = []
    for doc in entries_of(text, path, "clue")[0]:
        cid = str(doc.get("id") or "")
        fields = [doc.get(k) for k in ("id", "title", "pattern", "reference")]
        kinds, examples = doc.get("kinds"), doc.get("examples")
        if not all(isinstance(f, str) and f for f in fields):
            raise CatalogError(path, cid or None, warn("catalog_clue_fields"))
        if not isinstance(kinds, list) or not kinds or not isinstance(examples, list):
            raise CatalogError(path, cid, warn("catalog_clue_lists"))
        try:
            rx = re.compile(str(doc["pattern"]), re.IGNORECASE)
        except re.error as exc:
            raise CatalogError(path, cid, warn("catalog_bad_pattern", error=str(exc))) from None
        if not examples or not all(isinstance(e, str) and rx.search(e) for e in examples):
            raise CatalogError(path, cid, warn("catalog_example_no_match"))
        out.append(
            HostClue(cid, doc["title"], tuple(map(str, kinds)), doc["pattern"], doc["reference"])
        )
    return tuple(out)


def string_list(value: object, *, single: bool = False) -> tuple[str, ...] | None:
    """A catalog field that must be a non-empty list of words (strings with more than blanks),
    as a tuple; with ``single`` one such string stands for a list of it. None when it is not
    (the caller raises :class:`CatalogError` naming its file and entry)."""
    if single and isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    return None


def entries_of(text: str, path: str, table: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The ``[[table]]`` entries of catalog TOML ``text``, and the whole document (CatalogError
    naming ``path`` when the text is no TOML or has no such entries)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(path, None, warn("catalog_not_toml", error=str(exc))) from exc
    found = data.get(table)
    if not isinstance(found, list) or not found:
        raise CatalogError(path, None, warn("catalog_no_entries", table=table))
    return found, data


class _Problems:
    """Every problem found while loading, reported together."""

    def __init__(self) -> None:
        self.items: list[CatalogError] = []
        self.docs: dict[Path, dict[str, Any] | None] = {}  # each file parsed once per load
        self.read: dict[Path, set[str | None]] = {}  # file -> the tables read (None: whole)
        self.patterns: list[str] = []  # the files looked for in each folder
        #: (file, entry id or ``#n``) left out; (file, None): the whole file
        self.skip: frozenset[tuple[str, str | None]] = frozenset()

    def add(self, path: str | Path, entry: str | None, problem: str) -> None:
        self.items.append(CatalogError(str(path), entry, problem))

    def need(self, doc: dict[str, Any], key: str, path: str | Path, entry: str | None) -> Any:
        if key not in doc or doc[key] in ("", None):
            self.add(path, entry, warn("catalog_missing_field", field=key))
            return None
        return doc[key]

    def raise_any(self) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            raise self.items[0]
        first = self.items[0]
        # each worded (its own "where: problem"), so the line is said in one language
        said = Joined([first.problem, *(e.args[0] for e in self.items[1:4])], "; ", "。")
        extra = len(self.items) - 4
        more = warn("catalog_problems_more", count=extra) if extra > 0 else ""
        error = CatalogError(first.path, first.entry, said, count=len(self.items), more=more)
        error.problems = tuple(self.items)
        raise error


def _load_toml(path: Path, problems: _Problems) -> dict[str, Any] | None:
    if path in problems.docs:
        return problems.docs[path]
    problems.docs[path] = doc = _parse_toml(path, problems)
    return doc


#: The most a catalog file may hold (the largest shipped one is well under 1 MiB): a site
#: layer's file that is a link to ``/dev/zero`` is refused, not read until memory runs out.
MAX_CATALOG_FILE_BYTES = 16 << 20


def _parse_toml(path: Path, problems: _Problems) -> dict[str, Any] | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            # (opening a FIFO waits for a writer: the run hung there, before any analysis)
            problems.add(path, None, warn("catalog_not_regular"))
            return None
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CATALOG_FILE_BYTES + 1)
        if len(raw) > MAX_CATALOG_FILE_BYTES:
            problems.add(path, None, warn("catalog_too_large", limit=f"{MAX_CATALOG_FILE_BYTES:,}"))
            return None
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problems.add(path, None, warn("catalog_not_utf8", byte=f"{exc.start:,}"))
    except tomllib.TOMLDecodeError as exc:
        problems.add(path, None, warn("catalog_not_toml", error=str(exc)))
    except OSError as exc:
        problems.add(path, None, warn("catalog_unreadable", error=exc.strerror))
    return None


Entry = tuple[str, dict[str, Any]]  # (file, entry)


def _layered(
    roots: Sequence[Path], pattern: str | tuple[str, ...], table: str | None, problems: _Problems
) -> list[Entry]:
    """The ``[[table]]`` entries of the files matching ``pattern`` (one or several globs) in
    each folder (``table`` None: each file is one entry), in order; an entry of a later folder
    whose id an earlier one has replaces it in place. Within one folder an id may appear once."""
    patterns = (pattern,) if isinstance(pattern, str) else pattern
    problems.patterns += [p for p in patterns if p not in problems.patterns]
    out: dict[str, Entry] = {}
    for root in roots:
        here: set[str] = set()
        for path in [p for pat in patterns for p in sorted(root.glob(pat))]:
            problems.read.setdefault(path, set()).add(table)
            if (str(path), None) in problems.skip:
                continue
            doc = _load_toml(path, problems)
            if doc is None:
                continue
            found = [doc] if table is None else doc.get(table, [])
            if not isinstance(found, list):
                problems.add(path, None, warn("catalog_not_tables", table=table))
                continue
            for n, entry in enumerate(found, 1):
                eid = entry.get("id") if isinstance(entry, dict) else None
                if (str(path), eid if isinstance(eid, str) and eid else f"#{n}") in problems.skip:
                    continue
                if not isinstance(eid, str) or not eid:
                    problems.add(path, f"#{n}", warn("catalog_no_id"))
                    continue
                if eid in here:
                    problems.add(path, eid, warn("catalog_duplicate_id"))
                    continue
                here.add(eid)
                out[eid] = (str(path), entry)
    return list(out.values())


def _signatures(entries: list[Entry], kinds: set[str], problems: _Problems) -> list[Signature]:
    out: list[Signature] = []
    for path, doc in entries:
        sid = doc["id"]
        role, pattern = (
            problems.need(doc, "role", path, sid),
            problems.need(doc, "pattern", path, sid),
        )
        if role is not None and role not in ROLES:
            problems.add(path, sid, warn("catalog_unknown_role", role=repr(role)))
        rx = None
        if pattern is not None:
            try:
                rx = re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                problems.add(path, sid, warn("catalog_bad_pattern", error=str(exc)))
        example = doc.get("example", "")
        if example and rx is not None and not rx.search(example):
            problems.add(path, sid, warn("catalog_example_no_match"))
        lasted, lasted_unit = doc.get("lasted", ""), doc.get("lasted_unit", "s")
        if lasted:
            try:
                if re.compile(lasted).groups < 1:
                    raise re.error("no group holds the number")
            except re.error as exc:
                problems.add(path, sid, warn("catalog_bad_pattern", error=str(exc)))
                lasted = ""
        if lasted_unit not in LASTED_UNITS:
            problems.add(
                path, sid, warn("catalog_bad_pattern", error=f"lasted_unit {lasted_unit!r}")
            )
            lasted_unit = "s"
        sig_kinds = tuple(doc.get("kinds", ()))
        unknown = sorted(set(sig_kinds) - kinds)
        if unknown:
            known = ", ".join(sorted(kinds))
            problems.add(path, sid, warn("catalog_unknown_kinds", kinds=unknown, known=known))
        fields = [problems.need(doc, k, path, sid) for k in ("title", "product", "reference")]
        if None in fields or role is None or rx is None:
            continue
        out.append(
            Signature(
                id=sid,
                title=fields[0],
                product=fields[1],
                pattern=pattern,
                role=role,
                reference=fields[2],
                kinds=sig_kinds,
                pair=doc.get("pair"),
                example=example,
                lasted=lasted,
                lasted_unit=lasted_unit,
            )
        )
    return out


def _anomalies(
    entries: list[Entry], counters: CounterIndex | None, problems: _Problems
) -> dict[tuple[str, str], AnomalyRule]:
    out: dict[tuple[str, str], AnomalyRule] = {}
    for path, doc in entries:
        rid = doc["id"]
        counter = problems.need(doc, "counter", path, rid)
        if counter is None:
            continue
        obj, _, ctr = counter.partition("\\")
        if counters is not None and counters.canonical(obj, ctr) is None:
            problems.add(path, rid, warn("catalog_counter_not_kept", counter=repr(counter)))
        direction = doc.get("direction", "up")
        if direction not in ("up", "down"):
            problems.add(path, rid, warn("catalog_direction"))
        if (obj, ctr) in out:
            problems.add(path, rid, warn("catalog_duplicate_rule"))
        need = [problems.need(doc, k, path, rid) for k in ("min_change", "title", "reference")]
        if None in need:
            continue
        try:
            out[(obj, ctr)] = AnomalyRule(
                object=obj,
                counter=ctr,
                direction=direction,
                min_change=float(need[0]),
                factor=float(doc.get("factor", 6.0)),
                floor=float(doc["floor"]) if "floor" in doc else None,
                min_ratio=float(doc.get("min_ratio", 1.0)),
                title=need[1],
                reference=need[2],
            )
        except (TypeError, ValueError):
            problems.add(path, rid, warn("catalog_rule_numbers"))
    return out


def _evidence(
    ev: dict[str, Any],
    path: str,
    cid: str,
    anomalies: dict[tuple[str, str], AnomalyRule],
    problems: _Problems,
) -> Evidence | None:
    kind = problems.need(ev, "kind", path, cid)
    if kind is not None and kind not in EVIDENCE_KINDS:
        problems.add(path, cid, warn("catalog_unknown_evidence", kind=repr(kind)))
        kind = None
    counters = tuple(ev.get("counters", ()))
    for c in counters:
        o, _, n = c.partition("\\")
        if (o, n) not in anomalies:
            problems.add(path, cid, warn("catalog_counter_no_rule", counter=repr(c)))
    roles = tuple(ev.get("roles", ()))
    if set(roles) - ROLES:
        problems.add(path, cid, warn("catalog_unknown_roles", roles=sorted(set(roles) - ROLES)))
    weight = problems.need(ev, "weight", path, cid)
    if kind is None or weight is None:
        return None
    return Evidence(
        kind=kind,
        weight=float(weight),
        required=bool(ev.get("required", False)),
        must=bool(ev.get("must", False)),
        counters=counters,
        roles=roles,
        findings=tuple(ev.get("findings", ())),
        text=ev.get("text", ""),
        text_ja=ev.get("text_ja", ""),
    )


def _causes(
    entries: list[Entry], anomalies: dict[tuple[str, str], AnomalyRule], problems: _Problems
) -> dict[str, CauseRule]:
    out: dict[str, CauseRule] = {}
    for path, doc in entries:
        cid = doc["id"]
        evidence = [_evidence(ev, path, cid, anomalies, problems) for ev in doc.get("evidence", [])]
        refs = doc.get("references") or [doc.get("reference", "")]
        if not any(refs):
            problems.add(path, cid, warn("catalog_no_references"))
        texts = [
            problems.need(doc, k, path, cid) for k in ("title", "title_ja", "remedy", "remedy_ja")
        ]
        order = doc.get("order", 500)
        if not isinstance(order, int) or isinstance(order, bool):
            problems.add(path, cid, warn("catalog_order"))
            order = 500
        if None in texts or None in evidence:
            continue
        out[cid] = CauseRule(
            id=cid,
            title=texts[0],
            title_ja=texts[1],
            remedy=texts[2],
            remedy_ja=texts[3],
            references=tuple(refs),
            evidence=tuple(e for e in evidence if e is not None),
            missing=doc.get("missing", ""),
            missing_ja=doc.get("missing_ja", ""),
            order=order,
            variants=_variants(doc.get("variant", []), path, cid, problems),
        )
    return dict(sorted(out.items(), key=lambda kv: (kv[1].order, kv[0])))


def _variants(
    docs: list[dict[str, Any]], path: str, cid: str, problems: _Problems
) -> tuple[RemedyVariant, ...]:
    out: list[RemedyVariant] = []
    for doc in docs:
        vid = doc.get("id") or "?"
        texts = [problems.need(doc, k, path, f"{cid}/{vid}") for k in ("os", "remedy", "remedy_ja")]
        versions = tuple(doc.get("versions", ()))
        min_version = str(doc.get("min_version", ""))
        if not versions and not min_version:
            problems.add(path, f"{cid}/{vid}", warn("catalog_variant_versions"))
            continue
        if min_version and _version(min_version) is None:
            problems.add(
                path, f"{cid}/{vid}", warn("catalog_min_version", version=repr(min_version))
            )
            continue
        refs = doc.get("references") or []
        if not refs:
            problems.add(path, f"{cid}/{vid}", warn("catalog_no_references"))
        if None in texts or not refs:
            continue
        packs = doc.get("service_packs", [])
        if not isinstance(packs, list) or not all(isinstance(n, int) for n in packs):
            problems.add(path, f"{cid}/{vid}", warn("catalog_service_packs"))
            continue
        hotfix = str(doc.get("hotfix", ""))
        installed = (str(doc.get("remedy_installed", "")), str(doc.get("remedy_installed_ja", "")))
        if hotfix and not all(installed):
            problems.add(path, f"{cid}/{vid}", warn("catalog_hotfix_texts"))
            continue
        out.append(
            RemedyVariant(
                str(vid),
                texts[0],
                texts[1],
                texts[2],
                tuple(refs),
                versions,
                min_version,
                os_ja=str(doc.get("os_ja", "")),
                service_packs=tuple(packs),
                hotfix=hotfix,
                remedy_installed=installed[0],
                remedy_installed_ja=installed[1],
            )
        )
    return tuple(out)


def _config_texts(entries: list[Entry], problems: _Problems) -> dict[str, ConfigText]:
    out: dict[str, ConfigText] = {}
    for path, doc in entries:
        fid = doc["id"]
        keys = ("title", "title_ja", "detail", "detail_ja", "references")
        missing = [k for k in keys if not doc.get(k)]
        if missing:
            problems.add(
                path, fid, warn("catalog_missing_fields", fields=Joined(missing, ", ", "、"))
            )
            continue
        params = doc.get("params", {})
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            problems.add(path, fid, warn("catalog_params"))
            continue
        out[fid] = ConfigText(
            id=fid,
            title=doc["title"],
            title_ja=doc["title_ja"],
            detail=doc["detail"],
            detail_ja=doc["detail_ja"],
            references=tuple(doc["references"]),
            params=dict(params),
        )
    return out


def _formats(entries: list[Entry], problems: _Problems) -> tuple[LineFormat, ...]:
    from hbtriage.sources.declared import check_format

    out: list[LineFormat] = []
    for path, doc in entries:
        fid = doc["id"]
        need = [
            problems.need(doc, k, path, fid) for k in ("title", "reference", "start", "timestamp")
        ]
        fields = doc.get("fields", {})
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            problems.add(path, fid, warn("catalog_format_fields"))
            continue
        if None in need:
            continue
        fmt = LineFormat(
            id=fid,
            title=need[0],
            reference=need[1],
            start=need[2],
            timestamp=need[3],
            date=doc.get("date", ""),
            fields=dict(fields),
            zone=doc.get("zone"),
            min_share=float(doc.get("min_share", 0.6)),
            example=doc.get("example", ""),
            path=path,
        )
        for problem in check_format(fmt):
            problems.add(path, fid, problem)
        out.append(fmt)
    return tuple(out)


def _sides(entries: list[Entry], problems: _Problems) -> tuple[Side, ...]:
    out: list[Side] = []
    for path, doc in entries:
        sid = doc["id"]
        keys = ("title", "title_ja", "collect", "collect_ja", "reference")
        texts = [problems.need(doc, k, path, sid) for k in keys]
        kinds = doc.get("kinds")
        if not isinstance(kinds, list) or not kinds:
            problems.add(path, sid, warn("catalog_side_kinds"))
            continue
        if None not in texts:
            out.append(Side(sid, tuple(kinds), *texts))
    return tuple(out)


def _drivers(roots: Sequence[Path], problems: _Problems) -> Drivers:
    categories: dict[str, DriverCategory] = {}
    for path, doc in _layered(roots, "drivers.toml", "category", problems):
        cid = doc["id"]
        keys = ("title", "title_ja", "remedy", "remedy_ja", "reference")
        texts = [problems.need(doc, k, path, cid) for k in keys]
        if None not in texts:
            title, title_ja, remedy, remedy_ja, reference = texts
            categories[cid] = DriverCategory(
                cid, title, title_ja, remedy, remedy_ja, reference, bool(doc.get("keep_os_remedy"))
            )
    entries: list[DriverEntry] = []
    for path, doc in _layered(roots, "drivers.toml", "driver", problems):
        did = doc["id"]
        texts = [problems.need(doc, k, path, did) for k in ("category", "title", "reference")]
        match = doc.get("match")
        if not isinstance(match, list) or not match or not all(isinstance(m, str) for m in match):
            problems.add(path, did, warn("catalog_driver_match"))
            continue
        if texts[0] is not None and texts[0] not in categories:
            problems.add(path, did, warn("catalog_unknown_category", category=repr(texts[0])))
            continue
        if None not in texts:
            title_ja = doc.get("title_ja")
            if title_ja is not None and not (isinstance(title_ja, str) and title_ja.strip()):
                problems.add(path, did, warn("catalog_title_ja"))
                continue
            category, title, reference = texts
            entries.append(
                DriverEntry(did, tuple(match), category, title, reference, title_ja or title)
            )
    limits: dict[str, float] = {}
    for path, doc in _layered(roots, "drivers.toml", "limit", problems):
        lid = doc["id"]
        problems.need(doc, "title", path, lid)
        problems.need(doc, "reference", path, lid)
        value = doc.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            problems.add(path, lid, warn("catalog_limit_value"))
            continue
        limits[lid] = float(value)
    for lid in DRIVER_LIMITS:
        if lid not in limits and not any(p.entry == lid for p in problems.items):
            problems.add(roots[0] / "drivers.toml", lid, warn("catalog_limit_missing"))
    if "unknown" not in categories and not any(p.entry == "unknown" for p in problems.items):
        problems.add(roots[0] / "drivers.toml", "unknown", warn("catalog_unknown_module_category"))
    return Drivers(categories, tuple(entries), limits)


def _sentences(entries: list[Entry], problems: _Problems) -> dict[str, Sentence]:
    from hbtriage.diagnose import SENTENCE_IDS

    no_such = warn("catalog_no_such_sentence", known=", ".join(SENTENCE_IDS))
    missing = warn("catalog_missing_sentence")
    texts = _bilingual(entries, problems, SENTENCE_IDS, no_such, missing, "sentences.toml")
    return {sid: Sentence(sid, en, ja) for sid, (en, ja) in texts.items()}


def _warning_wordings(entries: list[Entry], problems: _Problems) -> dict[str, WarningWording]:
    """``warnings.toml``: every id the code words a warning with, each text using only the
    fields the code fills (those of the bundled English text)."""
    from hbtriage.warning_text import bundled, fields_of

    known = {wid: fields_of(en) for wid, (en, _ja) in bundled().items()}
    no_such, missing = warn("catalog_no_such_warning"), warn("catalog_missing_warning")
    texts = _bilingual(entries, problems, known, no_such, missing, "warnings.toml")
    return {wid: WarningWording(wid, en, ja) for wid, (en, ja) in texts.items()}


def _bilingual(
    entries: list[Entry],
    problems: _Problems,
    known: dict[str, set[str]],
    no_such: str,
    missing: str,
    name: str,
) -> dict[str, tuple[str, str]]:
    """``id -> (en, ja)`` of entries with ``{field}`` templates in both languages, each id one
    of ``known`` (id -> the fields the code fills; ``no_such`` said of another id), using no
    other field; every known id must be there (``missing`` said of one that is not)."""
    from hbtriage.warning_text import fields_of

    out: dict[str, tuple[str, str]] = {}
    for path, doc in entries:
        eid = doc["id"]
        en, ja = problems.need(doc, "en", path, eid), problems.need(doc, "ja", path, eid)
        problems.need(doc, "reference", path, eid)
        if en is None or ja is None:
            continue
        if not isinstance(en, str) or not isinstance(ja, str):
            problems.add(path, eid, warn("catalog_en_ja"))
            continue
        try:
            names = fields_of(en) | fields_of(ja)
        except ValueError as exc:
            problems.add(path, eid, warn("catalog_bad_template", error=str(exc)))
            continue
        fields = known.get(eid)
        if fields is None:
            problems.add(path, eid, no_such)
            continue
        extra = names - fields
        if extra:
            problems.add(
                path,
                eid,
                warn("catalog_unknown_fields", fields=sorted(extra), known=sorted(fields)),
            )
            continue
        out[eid] = (en, ja)
    for eid in known:
        if eid not in out and not any(p.entry == eid for p in problems.items):
            problems.add(entries[0][0] if entries else name, eid, missing)
    return out


def _os_files(entries: list[Entry], problems: _Problems) -> tuple[OsFile, ...]:
    out: list[OsFile] = []
    for path, doc in entries:
        oid = doc["id"]
        texts = [problems.need(doc, k, path, oid) for k in ("title", "reference")]
        lists = [doc.get(k, []) for k in ("names", "folders")]
        patterns = all(
            isinstance(x, list) and all(isinstance(p, str) and p for p in x) for x in lists
        )
        if not patterns or not any(lists):
            problems.add(path, oid, warn("catalog_os_file_patterns"))
            continue
        if None not in texts:
            out.append(OsFile(oid, texts[0], tuple(lists[0]), tuple(lists[1]), texts[1]))
    return tuple(out)


def _chart_rows(
    entries: list[Entry], counters: CounterIndex | None, problems: _Problems
) -> tuple[ChartRow, ...]:
    out: list[ChartRow] = []
    for path, doc in entries:
        rid = doc["id"]
        texts = [problems.need(doc, k, path, rid) for k in ("title", "title_ja", "reference")]
        objects, names = doc.get("objects"), doc.get("counters")
        if not (isinstance(objects, list) and objects and isinstance(names, list) and names):
            problems.add(path, rid, warn("catalog_chart_lists"))
            continue
        if counters is not None and not any(
            counters.canonical(o, c) for o in objects for c in names
        ):
            problems.add(path, rid, warn("catalog_chart_empty"))
        elif counters is not None:
            # The perfmon reader keeps each counter under its object's canonical English name
            # (Processor Information's under Processor): another spelling is never drawn.
            for o in objects:
                canon = counters.known_object(o)
                if canon is None:
                    problems.add(path, rid, warn("catalog_chart_no_object", object=repr(o)))
                elif canon != o:
                    said = warn("catalog_chart_read_as", object=repr(o), read_as=repr(canon))
                    problems.add(path, rid, said)
        if None not in texts:
            out.append(
                ChartRow(
                    rid,
                    texts[0],
                    texts[1],
                    tuple(objects),
                    tuple(names),
                    bool(doc.get("sum_instances", False)),
                    texts[2],
                )
            )
    return tuple(out)


def _counter_index(roots: Sequence[Path], problems: _Problems) -> CounterIndex | None:
    from hbtriage.counter_names import index_of

    counters = _layered(roots, _WITH_CAUSES["counters.toml"], "counter", problems)
    objects = _layered(roots, "counters.toml", "object", problems) if counters else []
    if not counters:
        problems.add(roots[0] / "counters.toml", None, warn("catalog_no_entries", table="counter"))
        return None
    local = _layered(roots, "counters_local.toml", "counter", problems)  # hand-kept names
    try:
        return index_of([e for _, e in counters], [e for _, e in objects], counters[0][0], local)
    except CatalogError as exc:
        problems.items.append(exc)
        return None


#: A cause file may bring the counters and anomaly rules only it uses (``[[counter]]``,
#: ``[[rule]]`` tables laid out as in counters.toml and anomalies.toml): a new cause on a new
#: counter is one file.
_WITH_CAUSES = {
    "counters.toml": ("counters.toml", "causes/*.toml"),
    "anomalies.toml": ("anomalies.toml", "causes/*.toml"),
}


def _reader_kinds() -> set[str]:
    from hbtriage.sources import READERS

    return {r.kind for r in READERS}


def _check_systeminfo(roots: Sequence[Path], problems: _Problems) -> None:
    """``systeminfo.toml`` (systeminfo labels per UI language, code pages per locale; read by
    :mod:`hbtriage.sources.systeminfo`) is checked with the rest, in every layer that has one."""
    from hbtriage.sources.systeminfo import build_catalog

    for root in roots:
        path = root / "systeminfo.toml"
        if path.is_file() and not any(str(path) == file for file, _entry in problems.skip):
            try:
                build_catalog(path.read_text(encoding="utf-8"), str(path))
            except CatalogError as exc:
                problems.items.append(exc)


def _unread(root: Path, problems: _Problems) -> list[str]:
    """The TOML files under site layer ``root`` that no loader reads, and the tables of a
    file read for others (``attachments.toml``'s ``[[attachment]]``), each worded."""
    files = ", ".join(problems.patterns)
    out: list[str] = []
    for path in sorted(root.rglob("*.toml")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        tables = problems.read.get(path)
        if tables is None:
            out.append(warn("catalog_file_not_read", path=str(path), files=files))
            continue
        doc = problems.docs.get(path)
        if None in tables or doc is None:
            continue
        for key, value in doc.items():
            entries = isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
            if key not in tables and entries:
                out.append(warn("catalog_table_not_read", path=str(path), table=key))
    return out


def _load(roots: Sequence[Path], skip: frozenset[tuple[str, str | None]] = frozenset()) -> Catalog:
    problems = _Problems()
    problems.skip = skip
    formats = _formats(_layered(roots, "formats/*.toml", "format", problems), problems)
    counters = _counter_index(roots, problems)
    rules = _layered(roots, _WITH_CAUSES["anomalies.toml"], "rule", problems)
    anomalies = _anomalies(rules, counters, problems)
    kinds = _reader_kinds() | {f.id for f in formats}
    signatures = _signatures(
        _layered(roots, "signatures/*.toml", "signature", problems), kinds, problems
    )
    causes = _causes(_layered(roots, "causes/*.toml", None, problems), anomalies, problems)
    for cid in REQUIRED_CAUSES:
        if cid not in causes and not any(p.entry == cid for p in problems.items):
            problems.add(roots[0] / "causes", None, warn("catalog_cause_missing", cause=repr(cid)))
    config_texts = _config_texts(
        _layered(roots, "config_checks.toml", "finding", problems), problems
    )
    from hbtriage.detect.config_checks import CHECK_IDS

    for fid in CHECK_IDS:
        if fid not in config_texts and not any(p.entry == fid for p in problems.items):
            problems.add(roots[0] / "config_checks.toml", fid, warn("catalog_check_missing"))
    _check_systeminfo(roots, problems)
    sides = _sides(_layered(roots, "sides.toml", "side", problems), problems)
    chart_rows = _chart_rows(_layered(roots, "charts.toml", "row", problems), counters, problems)
    sentences = _sentences(_layered(roots, "sentences.toml", "sentence", problems), problems)
    warnings = _warning_wordings(_layered(roots, "warnings.toml", "warning", problems), problems)
    drivers = _drivers(roots, problems)
    os_files = _os_files(_layered(roots, "attachments.toml", "os_file", problems), problems)
    problems.raise_any()
    unread = tuple(w for root in roots[1:] for w in _unread(root, problems))
    return Catalog(
        signatures=signatures,
        anomalies=anomalies,
        causes=causes,
        root=str(roots[0]),
        counters=counters,
        config_texts=config_texts,
        formats=formats,
        sides=sides,
        chart_rows=chart_rows,
        sentences=sentences,
        warnings=warnings,
        layers=tuple(str(r) for r in roots),
        drivers=drivers,
        os_files=os_files,
        unread=unread,
    )


#: Where the parsed bundled catalog is kept between runs: ``$HBTRIAGE_CACHE`` when set (empty:
#: no cache), else ``$XDG_CACHE_HOME/hbtriage`` or ``~/.cache/hbtriage``.
CACHE_ENV = "HBTRIAGE_CACHE"


def _cache_dir() -> Path | None:
    import os

    own = os.environ.get(CACHE_ENV)
    if own is not None:
        return Path(own) if own else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hbtriage"


def _cache_key(root: Path) -> str:
    """What the bundled catalog is made from: the version, Python, the catalog folder, and the
    name, size and time of every file the package holds (its TOML files and the code that
    parses and checks them), so any edit makes a new key."""
    import os
    import sys

    from hbtriage import __version__

    package = Path(__file__).resolve().parent.parent
    parts = [__version__, sys.version, str(root), str(package)]
    for folder in (package, root):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".toml")):
                    st = os.stat(os.path.join(dirpath, name))
                    parts.append(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def _cached(root: Path) -> Catalog:
    """``_load([root])``, kept parsed in :func:`_cache_dir`: the ~22 TOML files take
    0.05-0.07 s to parse and check, the pickle 1 ms to load. Never used for other layers."""
    got = _through_cache("catalog", root, lambda: _load([root]))
    if not isinstance(got, Catalog):  # pragma: no cover - a cache of another build's objects
        return _load([root])
    return got


def cached_bundled(name: str, build: Callable[[str, str], _T]) -> _T:
    """``build(text, path)`` of the bundled catalog file ``name`` (e.g. ``systeminfo.toml``,
    which :mod:`hbtriage.sources.systeminfo` checks and indexes on first use), kept in the
    cache like the catalog."""
    stem = name.replace("/", "_").removesuffix(".toml")
    return _through_cache(stem, _root(), lambda: build(*bundled_text(name)))


def _through_cache(stem: str, root: Path, make: Callable[[], _T]) -> _T:
    """``make()``, kept in :func:`_cache_dir` as a pickle of it and the :func:`_cache_key` of
    ``root`` it was made under. A cache that cannot be read or written is passed by (the
    value is made again); one made under another key is made again and replaced."""
    import os
    import pickle
    import tempfile
    import zlib

    folder = _cache_dir()
    if folder is None:
        return make()
    key = _cache_key(root)
    where = zlib.crc32("\n".join(key.split("\n", 4)[:4]).encode("utf-8", "surrogateescape"))
    path = folder / f"{stem}-{where:08x}.pickle"
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            # A pickle runs code when loaded: only one this user wrote and nobody else may.
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                raise PermissionError(path)
            got_key, got = pickle.load(fh)  # noqa: S301 - written by this code, checked above
        if got_key == key:
            return cast("_T", got)
    except Exception:  # noqa: BLE001, S110 - no cache, or a bad one: make it
        pass
    value = make()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:  # noqa: BLE001, S110 - unwritable or full: the next run makes it again
        pass
    return value


@cache
def _load_default() -> Catalog:
    root = _root()
    catalog = _cached(root)
    if catalog.signatures:
        # What the readers keep of messages (prefilter literals worked out of the signature
        # patterns) is as much work as parsing the catalog: kept in the cache with it.
        from hbtriage.sources.options import keep_for, known_keeps

        patterns = sorted({p for p in catalog.keep_patterns().values() if p})
        known_keeps(_through_cache("keeps", root, lambda: {p: keep_for(p) for p in patterns}))
    return catalog


def load_catalog_from(root: Path) -> Catalog:
    """A catalog from one folder laid out like the bundled one (nothing layered under it)."""
    return _load([Path(root)])


#: How many times a catalog is loaded again leaving out what a site layer got wrong: leaving
#: out an entry can leave another that needs it wrong (a cause on a rule left out).
_SKIP_ROUNDS = 6


def _site_file(path: str, layers: Sequence[Path]) -> bool:
    """Whether ``path`` (as a problem names it) is a file of one of the site ``layers``."""
    return any(Path(path).is_relative_to(layer) and Path(path) != layer for layer in layers)


def _load_skipping(roots: Sequence[Path]) -> Catalog:
    """:func:`_load`, with the site layers' (``roots[1:]``) entries and files that cannot be
    used left out, each said in :attr:`Catalog.skipped`; CatalogError as :func:`_load` when a
    problem is not one of a site layer's files (the bundled catalog, a check across files)."""
    skip: set[tuple[str, str | None]] = set()
    said: list[str] = []
    for _ in range(_SKIP_ROUNDS):
        try:
            catalog = _load(roots, frozenset(skip))
        except CatalogError as exc:
            found = exc.problems
            if not all(_site_file(p.path, roots[1:]) for p in found):
                raise
            for problem in found:
                # (a variant ``cause/variant`` is its cause file's entry)
                entry = problem.entry.split("/")[0] if problem.entry else None
                skip.add((problem.path, entry))
                said.append(
                    warn("catalog_entry_skipped", problem=problem.args[0])
                    if entry
                    else warn("catalog_file_skipped", problem=problem.args[0])
                )
            continue
        return replace(catalog, skipped=tuple(said))
    return _load(roots, frozenset(skip))  # (raises what is still wrong)


def load_catalog(
    path: str | Path | None = None, *, extra: Sequence[str | Path] = (), skip_bad: bool = False
) -> Catalog:
    """The bundled catalog (or the one in folder ``path``), with the folders ``extra`` layered
    on top in order (see the module doc). Raises :class:`CatalogError` listing what is wrong;
    with ``skip_bad``, what is wrong in a file of ``extra`` is left out instead (the entry, or
    the file that is no TOML) and said in the catalog's :attr:`~Catalog.skipped`."""
    base = _root() if path is None else Path(path)
    layers = [Path(p) for p in extra]
    for folder in layers:
        if not os.path.isdir(folder):  # (False for a name too long, where is_dir raises)
            raise CatalogError(str(folder), None, warn("catalog_not_a_folder"))
    if path is None and not layers:
        return _load_default()
    if skip_bad and layers:
        return _load_skipping([base, *layers])
    return _load([base, *layers])
