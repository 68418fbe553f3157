"""The knowledge of hbtriage, as reviewed TOML data: signatures, counters, anomaly rules, causes.

``load_catalog()`` reads and validates it like source: unique ids, known roles, compilable
patterns, examples that match, remedies in English and Japanese, known counters.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hbtriage.errors import CatalogError

if TYPE_CHECKING:
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
    }
)
#: Roles whose events open an incident.
INCIDENT_ROLES = frozenset({"heartbeat_loss", "disconnect", "suspicion", "link_down"})
CAUSE_IDS = (
    "dpc_storm",
    "nic_errors",
    "vm_stun",
    "cpu_saturation",
    "memory_pressure",
    "tcp_offload",
    "network_path",
    "peer_restart",
    "unknown",
)
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


@dataclass
class Catalog:
    signatures: list[Signature] = field(default_factory=list)
    anomalies: dict[tuple[str, str], AnomalyRule] = field(default_factory=dict)
    causes: dict[str, CauseRule] = field(default_factory=dict)
    root: str = ""

    def signature(self, sid: str) -> Signature:
        return next(s for s in self.signatures if s.id == sid)

    def read_options(self) -> ReadOptions:
        """How readers read for this catalog: message text kept only where a signature can
        match (every text when there are no signatures)."""
        from hbtriage.sources.options import ReadOptions

        return ReadOptions(keep=self.keep_patterns() if self.signatures else None)

    def keep_patterns(self) -> dict[str, str | None]:
        """Per reader kind, one regex (polars syntax, as the signature tagger runs it) matching
        every message a signature of that kind could match; "*" stands for every kind no
        signature names. None: no signature applies, no message text is needed."""
        kinds = sorted({k for s in self.signatures for k in s.kinds}) + ["*"]
        out: dict[str, str | None] = {}
        for kind in kinds:
            pats = [s.pattern for s in self.signatures if not s.kinds or kind in s.kinds]
            out[kind] = "(?is)" + "|".join(f"(?:{p})" for p in pats) if pats else None
        return out


def _root() -> Path:
    return Path(str(resources.files("hbtriage") / "catalog"))


def bundled_text(name: str) -> tuple[str, str]:
    """The text and path of the catalog file ``name`` shipped with the package."""
    ref = resources.files("hbtriage").joinpath("catalog", name)
    return ref.read_text(encoding="utf-8"), str(ref)


def entries_of(text: str, path: str, table: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The ``[[table]]`` entries of catalog TOML ``text``, and the whole document (CatalogError
    naming ``path`` when the text is no TOML or has no such entries)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(path, None, f"not valid TOML: {exc}") from exc
    found = data.get(table)
    if not isinstance(found, list) or not found:
        raise CatalogError(path, None, f"no [[{table}]] entries")
    return found, data


def _need(doc: dict[str, Any], key: str, path: Path, entry: str | None) -> Any:
    if key not in doc or doc[key] in ("", None):
        raise CatalogError(str(path), entry, f"missing required field {key!r}")
    return doc[key]


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(str(path), None, f"not valid TOML: {exc}") from None


def load_signatures(root: Path) -> list[Signature]:
    out: list[Signature] = []
    seen: set[str] = set()
    for path in sorted((root / "signatures").glob("*.toml")):
        for doc in _load_toml(path).get("signature", []):
            sid = _need(doc, "id", path, None)
            if sid in seen:
                raise CatalogError(str(path), sid, "duplicate signature id")
            seen.add(sid)
            role = _need(doc, "role", path, sid)
            if role not in ROLES:
                raise CatalogError(str(path), sid, f"unknown role {role!r}")
            pattern = _need(doc, "pattern", path, sid)
            try:
                rx = re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise CatalogError(str(path), sid, f"pattern does not compile: {exc}") from None
            example = doc.get("example", "")
            if example and not rx.search(example):
                raise CatalogError(str(path), sid, "its example does not match its pattern")
            out.append(
                Signature(
                    id=sid,
                    title=_need(doc, "title", path, sid),
                    product=_need(doc, "product", path, sid),
                    pattern=pattern,
                    role=role,
                    reference=_need(doc, "reference", path, sid),
                    kinds=tuple(doc.get("kinds", ())),
                    pair=doc.get("pair"),
                    example=example,
                )
            )
    return out


def load_anomalies(root: Path) -> dict[tuple[str, str], AnomalyRule]:
    path = root / "anomalies.toml"
    out: dict[tuple[str, str], AnomalyRule] = {}
    for doc in _load_toml(path).get("rule", []):
        rid = _need(doc, "id", path, None)
        obj, _, ctr = _need(doc, "counter", path, rid).partition("\\")
        direction = doc.get("direction", "up")
        if direction not in ("up", "down"):
            raise CatalogError(str(path), rid, "direction must be 'up' or 'down'")
        if (obj, ctr) in out:
            raise CatalogError(str(path), rid, "duplicate counter rule")
        out[(obj, ctr)] = AnomalyRule(
            object=obj,
            counter=ctr,
            direction=direction,
            min_change=float(_need(doc, "min_change", path, rid)),
            factor=float(doc.get("factor", 6.0)),
            floor=float(doc["floor"]) if "floor" in doc else None,
            min_ratio=float(doc.get("min_ratio", 1.0)),
            title=_need(doc, "title", path, rid),
            reference=_need(doc, "reference", path, rid),
        )
    return out


def load_causes(root: Path, anomalies: dict[tuple[str, str], AnomalyRule]) -> dict[str, CauseRule]:
    out: dict[str, CauseRule] = {}
    for path in sorted((root / "causes").glob("*.toml")):
        doc = _load_toml(path)
        cid = _need(doc, "id", path, None)
        if cid not in CAUSE_IDS:
            raise CatalogError(str(path), cid, f"unknown cause id (known: {', '.join(CAUSE_IDS)})")
        if cid in out:
            raise CatalogError(str(path), cid, "duplicate cause id")
        evidence = []
        for ev in doc.get("evidence", []):
            kind = _need(ev, "kind", path, cid)
            if kind not in EVIDENCE_KINDS:
                raise CatalogError(str(path), cid, f"unknown evidence kind {kind!r}")
            counters = tuple(ev.get("counters", ()))
            for c in counters:
                o, _, n = c.partition("\\")
                if (o, n) not in anomalies:
                    raise CatalogError(
                        str(path), cid, f"counter {c!r} has no rule in anomalies.toml"
                    )
            roles = tuple(ev.get("roles", ()))
            if set(roles) - ROLES:
                raise CatalogError(str(path), cid, f"unknown roles {set(roles) - ROLES}")
            evidence.append(
                Evidence(
                    kind=kind,
                    weight=float(_need(ev, "weight", path, cid)),
                    required=bool(ev.get("required", False)),
                    must=bool(ev.get("must", False)),
                    counters=counters,
                    roles=roles,
                    findings=tuple(ev.get("findings", ())),
                    text=ev.get("text", ""),
                    text_ja=ev.get("text_ja", ""),
                )
            )
        refs = doc.get("references") or [doc.get("reference", "")]
        if not any(refs):
            raise CatalogError(str(path), cid, "missing references")
        out[cid] = CauseRule(
            id=cid,
            title=_need(doc, "title", path, cid),
            title_ja=_need(doc, "title_ja", path, cid),
            remedy=_need(doc, "remedy", path, cid),
            remedy_ja=_need(doc, "remedy_ja", path, cid),
            references=tuple(refs),
            evidence=tuple(evidence),
            missing=doc.get("missing", ""),
            missing_ja=doc.get("missing_ja", ""),
        )
    missing = set(CAUSE_IDS) - set(out)
    if missing:
        raise CatalogError(str(root / "causes"), None, f"no rule for causes {sorted(missing)}")
    return out


@cache
def _load_default() -> Catalog:
    return load_catalog_from(_root())


def load_catalog_from(root: Path) -> Catalog:
    anomalies = load_anomalies(root)
    return Catalog(
        signatures=load_signatures(root),
        anomalies=anomalies,
        causes=load_causes(root, anomalies),
        root=str(root),
    )


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The bundled catalog, or one from ``path`` (a folder laid out like the bundled one)."""
    return _load_default() if path is None else load_catalog_from(Path(path))
