"""``systeminfo`` output in any Windows UI language and code page.

systeminfo prints one ``Label:   value`` line per field, always in the same order, with the labels
in the language of the Windows UI (``catalog/systeminfo.toml``) and the bytes in the console's
OEM code page (``cmd > file``: cp850 on French Windows, cp866 on Russian, cp936 on Simplified
Chinese ...) or UTF-16 (PowerShell ``>``). ``/fo csv`` writes the labels as a header row.
``/fo table`` writes them as a header row too, over a rule of ``=`` runs (one per column, a
space between), and the values in one row below, each cut to its column: a multi-item value
(``22 Hotfix(s) Installed., [01]: KB...``) is joined with ``", "`` and cut like the others, so
a table usually keeps the hotfix count and not the list. ``/fo table /nh`` leaves out the
header and the rule.

How a file is read:

* :func:`decode`: BOM and UTF-16 first, then strict UTF-8; otherwise the OEM code page of the
  ``System Locale`` the file itself states (``ro;Română`` -> cp852), checked against every other
  candidate by how many catalog labels each decoding makes readable. The codec reported is the
  one used.
* :func:`parse`: CSV and table rows are first rewritten as the list form (one
  ``Label: value`` line per column, the items of a multi-item value as indented lines); a
  table's columns are the rule's runs, counted in display columns (a CJK character fills two,
  as in a DBCS console) or in characters, whichever lines the header up. A cell that fills
  its column may be cut: its last item is dropped and the list is said to be cut short.
* a field is found by its label when the catalog knows the language; when it
  does not (a language the catalog lacks, or a label it spells differently), by its value and
  its place: the OS version is the line ``6.1.7601 <anything> 7601``, the OS name the line
  above it, the host name the line above that, the install and boot dates the first two date
  lines after it, the hotfixes the list of KB numbers, the network cards the list with
  addresses.
* Dates are in the short date format of the machine: ``4/25/2014, 8:13:44 PM``,
  ``15.06.2016, 18:34:33``, ``2019/1/24, 9:46:29``, ``2020/7/29, 上午 10:53:07``. Day/month order
  is decided once per file (a day above 12, the locale), never per value.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import ipaddress
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from hbtriage.catalog import cached_bundled, entries_of
from hbtriage.errors import CatalogError
from hbtriage.sources.encoding import detect_encoding
from hbtriage.warning_text import warn

_CATALOG_FILE = "systeminfo.toml"

FIELDS = (
    "host",
    "os_name",
    "os_version",
    "os_manufacturer",
    "os_build_type",
    "install_date",
    "boot_time",
    "uptime",
    "system_type",
    "system_locale",
    "time_zone",
    "domain",
    "hotfixes",
    "network_cards",
    "connection_name",
    "ip_addresses",
)
REQUIRED = (
    "host",
    "os_name",
    "os_version",
    "install_date",
    "boot_time",
    "hotfixes",
    "network_cards",
)
#: The English label of each field, for the detail of the facts (what a user reads).
TITLES = {
    "host": "Host Name",
    "os_name": "OS Name",
    "os_version": "OS Version",
    "os_manufacturer": "OS Manufacturer",
    "os_build_type": "OS Build Type",
    "install_date": "Original Install Date",
    "boot_time": "System Boot Time",
    "uptime": "System Up Time",
    "system_type": "System Type",
    "system_locale": "System Locale",
    "time_zone": "Time Zone",
    "domain": "Domain",
    "hotfixes": "Hotfix(s)",
    "network_cards": "Network Card(s)",
    "connection_name": "Connection Name",
    "ip_addresses": "IP address(es)",
}
#: Fields that are lines of their own (the others are inside a network card).
_TOP_FIELDS = frozenset(FIELDS) - {"connection_name", "ip_addresses"}


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class Language:
    """One ``[[language]]`` of the catalog: how systeminfo labels its fields in it."""

    id: str
    title: str
    reference: str
    oem_code_page: str
    labels: dict[str, tuple[str, ...]] = field(compare=False, hash=False)
    unverified: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CodePage:
    """One ``[[code_page]]``: an OEM code page and the system locales that write in it."""

    id: str
    title: str
    reference: str
    ansi: str
    locales: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    languages: tuple[Language, ...]
    code_pages: tuple[CodePage, ...]
    #: folded label -> (field, languages that use it)
    labels: dict[str, tuple[str, tuple[str, ...]]] = field(compare=False, hash=False)
    #: every label as the catalog writes it (case kept: "İ" has no one-character lower case)
    spellings: tuple[str, ...] = ()

    def language(self, lid: str) -> Language:
        return next(lang for lang in self.languages if lang.id == lid)

    def oem_for_locale(self, locale: str) -> CodePage | None:
        """The OEM code page of a system locale (``en-us``, ``ro``, ``zh-cn``), else None."""
        code = locale.lower()
        for cand in (code, code.split("-")[0]):
            for cp in self.code_pages:
                if cand in cp.locales:
                    return cp
        return None

    @functools.cached_property
    def label_re(self) -> re.Pattern[str]:
        """A top-level line that starts with a known label: group 1 the label, 2 the value."""
        alts = sorted({_label_pattern(lab) for lab in self.spellings}, key=len, reverse=True)
        return re.compile(rf"^({'|'.join(alts)})[ \t]*:[ \t]*(.*?)\s*$", re.IGNORECASE)

    @functools.cached_property
    def shapes(self) -> dict[str, str | None]:
        """Each label's shape (:func:`_shape`) -> its field (None when two fields share one)."""
        out: dict[str, str | None] = {}
        for lab in self.spellings:
            fld = self.labels[_fold(lab)][0]
            key = _shape(lab)
            out[key] = fld if out.get(key, fld) == fld else None
        return out

    def field_of(self, label: str) -> tuple[str, tuple[str, ...]] | None:
        return self.labels.get(_fold(label))


def _fold(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).casefold()


def _shape(text: str) -> str:
    """``text`` with ASCII letters in lower case and every other character as U+0000: a label
    read in the wrong single-byte code page keeps its shape."""
    return "".join(c.lower() if c.isascii() else "\x00" for c in " ".join(text.split()))


def _label_pattern(label: str) -> str:
    """Regex for a label: any run of spaces, either apostrophe (case: the IGNORECASE flag)."""
    parts = [re.escape(p) for p in label.split()]
    return r"[ \t]+".join(parts).replace("'", "['\u2019]")


def build_catalog(text: str, path: str) -> Catalog:
    """Parse and check ``systeminfo.toml`` (exposed for tests of the checks): unique ids, known
    fields, the required ones in every language, a label naming one field in every language,
    known code pages."""
    entries, data = entries_of(text, path, "language")
    languages: list[Language] = []
    labels: dict[str, tuple[str, tuple[str, ...]]] = {}
    for entry in entries:
        lid = entry.get("id")
        if not isinstance(lid, str) or not lid:
            raise CatalogError(path, None, warn("catalog_no_id"))
        if any(lang.id == lid for lang in languages):
            raise CatalogError(path, lid, warn("catalog_duplicate_id"))
        for key in ("title", "reference", "oem_code_page"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise CatalogError(path, lid, warn("catalog_missing_field", field=key))
        check_codec(entry["oem_code_page"], path, lid)
        raw = entry.get("labels")
        if not isinstance(raw, dict) or not raw:
            raise CatalogError(path, lid, warn("systeminfo_no_labels"))
        unknown = set(raw) - set(FIELDS)
        if unknown:
            raise CatalogError(path, lid, warn("systeminfo_unknown_fields", fields=sorted(unknown)))
        missing = [f for f in REQUIRED if f not in raw]
        if missing:
            raise CatalogError(path, lid, warn("systeminfo_required_labels", fields=missing))
        by_field: dict[str, tuple[str, ...]] = {}
        for fname, values in raw.items():
            if not isinstance(values, list) or not values:
                raise CatalogError(path, lid, warn("systeminfo_label_list", field=fname))
            for v in values:
                if not isinstance(v, str) or not v.strip() or ":" in v:
                    said = warn("systeminfo_bad_label", field=fname, label=repr(v))
                    raise CatalogError(path, lid, said)
                folded = _fold(v)
                other = labels.get(folded)
                if other is not None and other[0] != fname:
                    langs = ", ".join(other[1])
                    said = warn(
                        "systeminfo_label_taken", label=repr(v), field=repr(other[0]), langs=langs
                    )
                    raise CatalogError(path, lid, said)
                labels[folded] = (fname, (*(other[1] if other else ()), lid))
            by_field[fname] = tuple(values)
        unverified = entry.get("unverified", [])
        if not isinstance(unverified, list) or set(unverified) - set(by_field):
            raise CatalogError(path, lid, warn("systeminfo_unverified"))
        languages.append(
            Language(
                id=lid,
                title=entry["title"],
                reference=entry["reference"],
                oem_code_page=entry["oem_code_page"],
                labels=by_field,
                unverified=frozenset(unverified),
            )
        )
    pages: list[CodePage] = []
    for entry in data.get("code_page", []):
        cid = entry.get("id")
        if not isinstance(cid, str) or not cid:
            raise CatalogError(path, None, warn("catalog_no_id"))
        if any(cp.id == cid for cp in pages):
            raise CatalogError(path, cid, warn("catalog_duplicate_id"))
        for key in ("title", "reference", "ansi"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise CatalogError(path, cid, warn("catalog_missing_field", field=key))
        check_codec(cid, path, cid)
        check_codec(entry["ansi"], path, cid)
        locales = entry.get("locales")
        if not isinstance(locales, list) or not locales:
            raise CatalogError(path, cid, warn("systeminfo_locales"))
        taken = {loc: cp.id for cp in pages for loc in cp.locales}
        for loc in locales:
            if not isinstance(loc, str) or not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", loc):
                raise CatalogError(path, cid, warn("systeminfo_bad_locale", locale=repr(loc)))
            if loc in taken:
                said = warn("systeminfo_locale_taken", locale=repr(loc), other=repr(taken[loc]))
                raise CatalogError(path, cid, said)
        pages.append(
            CodePage(cid, entry["title"], entry["reference"], entry["ansi"], tuple(locales))
        )
    known = {cp.id for cp in pages}
    for lang in languages:
        if lang.oem_code_page not in known:
            said = warn("systeminfo_no_code_page", code_page=repr(lang.oem_code_page))
            raise CatalogError(path, lang.id, said)
    spellings = tuple(
        dict.fromkeys(v for lang in languages for vs in lang.labels.values() for v in vs)
    )
    return Catalog(tuple(languages), tuple(pages), labels, spellings)


def check_codec(name: str, path: str, entry: str) -> None:
    """CatalogError naming ``path`` and ``entry`` when ``name`` is no codec Python knows."""
    try:
        "".encode(name)
    except LookupError:
        raise CatalogError(
            path, entry, warn("systeminfo_unknown_codec", codec=repr(name))
        ) from None


@functools.cache
def catalog() -> Catalog:
    """The bundled ``catalog/systeminfo.toml`` (kept parsed in the catalog's cache: every
    sniff asks for it)."""
    return cached_bundled(_CATALOG_FILE, build_catalog)


# --------------------------------------------------------------------------- sniff


#: The OS version line in every language: ``6.1.7601 Service Pack 1 Build 7601``,
#: ``10.0.17763 暂缺 Build 17763``, ``6.3.9600 Н/Д построение 9600``.
_VERSION = re.compile(
    r"^(?P<maj>\d{1,2})\.(?P<min>\d{1,2})\.(?P<build>\d{3,5})\b(?P<mid>.*?)(?P<tail>\d{3,5})?\s*$"
)
_LABEL_LINE = re.compile(r"^(?P<label>[^\s:][^:\n]{0,80}?)[ \t]*:[ \t]*(?P<value>.*?)\s*$")
_VERSION_LINE = re.compile(
    r"[^\s:][^:\n]{0,80}:[ \t]*\d{1,2}\.\d{1,2}\.(\d{3,5})\b[^\n]*?\b(\d{3,5})[ \t]*$"
)
_CSV_HEAD = re.compile(r'\ufeff?"([^"\n]{1,80})","([^"\n]{1,80})"')


def looks_like(head: str) -> bool:
    """True when ``head`` (the start of a file, decoded with whatever codec the bytes looked
    like) holds systeminfo output, in list, CSV or table form (with or without its header), in
    any language or code page.

    Looks at the first 400 lines, and only at those with a colon near their start, a table's
    rule (a line of ``=`` runs) or, for a table without header, a long line naming Windows (a
    sniff runs on every file of a bundle)."""
    lines = head[:65536].split("\n", 400)[:400]
    if _list_like(lines):
        return True
    if any(line.startswith("=") and _TABLE_RULE.match(line) for line in lines):
        table = _table_as_list("\n".join(lines))
        if table is not None and _list_like(table.text.split("\n")):
            return True
    return any(
        len(line) > 60 and "windows" in line.lower() and _nh_row(line) is not None for line in lines
    )


def _list_like(lines: list[str]) -> bool:
    cat = catalog()
    # What a label names, once per label: a log's lines repeat theirs ("Mar 30 2013 19" of every
    # CVP line of an hour), and each costs a fold and a shape of it.
    named: dict[str, str | None] = {}

    def field(label: str) -> str | None:
        if label not in named:
            named[label] = _fuzzy_field(cat, label)
        return named[label]

    found: set[str] = set()
    version = windows = False
    for line in lines:
        c = _CSV_HEAD.match(line)
        if c is not None:
            first, second = field(c.group(1)), field(c.group(2))
            if first == "host" and second == "os_name":
                return True
        colon = line.find(":", 0, 130)
        if colon < 0:
            continue
        line = line.rstrip("\r")
        if fld := field(line[:colon].strip()):  # a label never holds a colon
            found.add(fld)
        v = _VERSION_LINE.match(line)
        version = version or (v is not None and v.group(1) == v.group(2))
        windows = windows or "windows" in line[colon:].lower()
        if (len(found) >= 2 and found & {"os_name", "os_version"}) or (version and windows):
            return True
    return False


def _fuzzy_field(cat: Catalog, label: str) -> str | None:
    hit = cat.field_of(label)
    return hit[0] if hit is not None else cat.shapes.get(_shape(label))


# --------------------------------------------------------------------------- decode


#: Candidate code pages tried when the file states no locale the catalog knows, in order.
_FALLBACK_CODECS = (
    "cp437",
    "cp850",
    "cp852",
    "cp857",
    "cp866",
    "cp932",
    "cp936",
    "cp949",
    "cp950",
    "cp1250",
    "cp1251",
    "cp1252",
)
_LOCALE_BYTES = re.compile(
    rb"^[^\r\n:]{1,80}:[ \t]+([a-z]{2,3}(?:-[a-z0-9]{2,8})*);", re.MULTILINE | re.IGNORECASE
)
#: Bytes of a file used to score the candidate code pages (systeminfo is a few KiB).
_SCORE_BYTES = 256 * 1024


#: A locale value in a table row (``  ro;Română``): only read in a file with a table rule.
_LOCALE_CELL_BYTES = re.compile(rb"(?:^| )([a-z]{2,3}(?:-[a-z0-9]{2,8})*);[^\s;]", re.MULTILINE)
_TABLE_RULE_BYTES = re.compile(rb"^=+(?: +=+){3,}[ \t]*\r?$", re.MULTILINE)


def stated_locale(data: bytes) -> str | None:
    """The system locale a systeminfo states (``ro`` from ``System Locale: ro;Română``), read
    from the bytes (the locale code is ASCII in every code page); the first such line, or in a
    table (a rule under its header) the first cell that holds one."""
    sample = data[:_SCORE_BYTES]
    m = _LOCALE_BYTES.search(sample)
    if m is None and _TABLE_RULE_BYTES.search(sample):
        m = _LOCALE_CELL_BYTES.search(sample)
    return m.group(1).decode("ascii").lower() if m else None


def decode(data: bytes) -> tuple[str, str]:
    """(text, codec used) for a file that may hold systeminfo output.

    BOMs, UTF-16 and valid UTF-8 are taken as they are. Other bytes are decoded with the code
    page that makes the most catalog labels readable; ties go to the OEM code page of the
    locale the file states, then to the OEM code page of the language whose labels matched.
    When no label is readable in any, the locale's OEM code page (when it decodes), else
    :func:`detect_encoding`.
    """
    head_enc = detect_encoding(data[:65536])
    if head_enc.startswith(("utf-16", "utf-32", "utf-8-sig")):
        return _strip_bom(data.decode(head_enc, errors="replace")), head_enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    cat = catalog()
    sample = data[:_SCORE_BYTES]
    locale = stated_locale(sample)
    first: list[str] = []
    if locale is not None and (cp := cat.oem_for_locale(locale)) is not None:
        first = [cp.id, cp.ansi]
    order = list(dict.fromkeys([*first, *_FALLBACK_CODECS]))
    scored: list[tuple[int, int, str]] = []  # (labels readable, -rank, codec)
    for rank, codec in enumerate(order):
        try:
            text = _trim_tail(sample).decode(codec)
        except UnicodeDecodeError:
            continue
        scored.append((_label_score(cat, text), -rank, codec))
    best = max(scored, default=None)
    if best is not None and best[0] > 0:
        codec = best[2]
        tied = [c for s, _r, c in scored if s == best[0]]
        lang = _language_of(cat, sample.decode(codec, errors="replace"))
        if lang is not None and not first and lang.oem_code_page in tied:
            codec = lang.oem_code_page
    elif first and any(c == first[0] for _s, _r, c in scored):
        codec = first[0]
    else:
        codec = detect_encoding(data)
    return _strip_bom(data.decode(codec, errors="replace")), codec


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _trim_tail(sample: bytes) -> bytes:
    """The sample up to its last line end (a multi-byte character may be cut at its end)."""
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def _label_score(cat: Catalog, text: str) -> int:
    """How many lines start with a catalog label that holds a non-ASCII character (labels in
    plain ASCII read the same in every candidate)."""
    score = 0
    for line in _as_list(text).splitlines():
        m = cat.label_re.match(line)
        if m is not None and not m.group(1).isascii():
            score += 1
    return score


def _language_of(cat: Catalog, text: str) -> Language | None:
    votes: dict[str, int] = {}
    for line in _as_list(text).splitlines():
        m = cat.label_re.match(line)
        if m is None:
            continue
        hit = cat.field_of(m.group(1))
        if hit is not None:
            for lid in hit[1]:
                votes[lid] = votes.get(lid, 0) + 1
    if not votes:
        return None
    order = [lang.id for lang in cat.languages]
    lid = max(votes, key=lambda k: (votes[k], -order.index(k)))
    return cat.language(lid)


# --------------------------------------------------------------------------- parse


@dataclass
class NetworkCard:
    name: str
    connection: str | None = None
    addresses: list[str] = field(default_factory=list)


@dataclass
class SystemInfo:
    """What one systeminfo output says. Times are the machine's local wall time."""

    language: str | None = None  # catalog language of the labels; None when found by place
    labels_found: dict[str, str] = field(default_factory=dict)  # field -> label as written
    by_place: list[str] = field(default_factory=list)  # fields found by their value/place
    host: str | None = None
    os_name: str | None = None
    os_version_raw: str | None = None
    version: str | None = None  # "5.2.3790"
    build: int | None = None
    service_pack: int | None = None
    os_manufacturer: str | None = None
    system_type: str | None = None
    install_raw: str | None = None
    install_date: datetime | None = None
    boot_raw: str | None = None
    boot_time: datetime | None = None
    uptime_raw: str | None = None
    uptime_s: int | None = None
    date_note: str = ""  # how the day/month order was decided when it was not plain
    system_locale: str | None = None  # "en-us"
    time_zone: str | None = None  # as written: "(UTC+01:00) Amsterdam, ..."
    domain: str | None = None
    hotfixes: list[str] = field(default_factory=list)  # KB / Q numbers, listed order, unique
    hotfix_items: int = 0  # items listed (KB numbers or not: "File 1")
    hotfix_unnamed: int = 0  # items listed that name no KB or Q number ("File 1", "KB2862")
    hotfixes_declared: int | None = None  # the count systeminfo states ("352 Hotfix(s) ...")
    hotfix_list_cut: bool = False  # an item cut short ("[24", "KB2862")
    network_cards: list[NetworkCard] = field(default_factory=list)
    line: int = 0  # 1-based line of the first systeminfo line
    layout: str = "list"  # "list", "csv", "table" or "table_nh" (/fo table /nh)
    field_lines: dict[str, int] = field(default_factory=dict)  # field -> its 1-based line

    @property
    def hotfixes_complete(self) -> bool | None:
        """True when every hotfix systeminfo counted is listed; None when it states no count."""
        if self.hotfixes_declared is None:
            return None if not self.hotfix_items else not self.hotfix_list_cut
        return self.hotfix_items >= self.hotfixes_declared and not self.hotfix_list_cut

    @property
    def addresses(self) -> list[str]:
        return list(dict.fromkeys(a for card in self.network_cards for a in card.addresses))


@dataclass
class _Entry:
    """One top-level line and the indented lines under it."""

    line: int  # 1-based
    label: str | None
    value: str
    fld: str | None = None
    langs: tuple[str, ...] = ()
    sub: list[str] = field(default_factory=list)


_ITEM = re.compile(r"^\s+\[(\d+)\]\s*:\s*(.*?)\s*$")
_CUT_ITEM = re.compile(r"^\s+\[\d*\]?\s*$")
_KB = re.compile(r"(?<![A-Za-z0-9])(KB\d{5,8}|Q\d{6})(?!\d)", re.IGNORECASE)
_KB_CUT = re.compile(r"(?i)^KB\d{0,4}$")
_HOST = re.compile(r"^[^\s\\/:*?\"<>|,;]*[A-Za-z0-9][^\s\\/:*?\"<>|,;]*$")
_DATE = re.compile(r"^(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{1,4})\.?$")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_AM = ("am", "a.m.", "a. m.", "上午", "오전", "午前", "vorm.", "ص")
_PM = ("pm", "p.m.", "p. m.", "下午", "오후", "午後", "nachm.", "م")
_ZONE = re.compile(
    r"^\(\s*(?:UTC|GMT)\s*(?:(?P<sign>[+-])\s*(?P<h>\d{1,2}):(?P<m>\d{2}))?\s*\)", re.IGNORECASE
)
_LOCALE_VALUE = re.compile(r"^([a-z]{2,3}(?:-[a-z0-9]{2,8})*);", re.IGNORECASE)
_UPTIME = re.compile(r"^\D*(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D*$")


def _entries(text: str) -> list[_Entry]:
    cat = catalog()
    out: list[_Entry] = []
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            out.append(_Entry(n, None, ""))  # a blank line closes the entry above
            continue
        if line[0] in " \t":
            if out and out[-1].label is not None:
                out[-1].sub.append(line)
            continue
        m = cat.label_re.match(line)
        if m is not None:
            hit = cat.field_of(m.group(1))
            assert hit is not None
            fld, langs = hit
            out.append(
                _Entry(n, m.group(1), m.group(2), fld if fld in _TOP_FIELDS else None, langs)
            )
            continue
        g = _LABEL_LINE.match(line)
        if g is not None:
            out.append(_Entry(n, g.group("label"), g.group("value")))
        else:
            out.append(_Entry(n, None, line.strip()))
    return out


def _block(entries: list[_Entry]) -> list[_Entry]:
    """The entries of the systeminfo output in a file that may hold other command outputs: the
    run of non-blank top-level lines around the OS version line."""
    anchor = next((i for i, e in enumerate(entries) if e.fld == "os_version"), None)
    if anchor is None:
        anchor = next((i for i, e in enumerate(entries) if _version_line(e)), None)
    if anchor is None:
        anchor = next((i for i, e in enumerate(entries) if e.fld is not None), None)
    if anchor is None:
        return []
    lo = anchor
    while lo > 0 and entries[lo - 1].label is not None:
        lo -= 1
    hi = anchor
    while hi + 1 < len(entries) and entries[hi + 1].label is not None:
        hi += 1
    return entries[lo : hi + 1]


def _version_line(e: _Entry) -> bool:
    m = _VERSION.match(e.value) if e.label is not None else None
    return m is not None and m.group("tail") == m.group("build")


def parse(text: str) -> SystemInfo | None:
    """What the systeminfo output in ``text`` says (list, ``/fo csv`` or ``/fo table`` form, a
    table with or without its header), None when there is none. ``text`` is already decoded
    (:func:`decode`)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows = _csv_as_list(text) or _table_as_list(text)
    info = _parse_list(rows.text if rows is not None else text, rows)
    if info is None and rows is None and (row := _nh_as_list(text)) is not None:
        info = _parse_list(row.text, row)
    return info


def _parse_list(text: str, rows: _Rows | None) -> SystemInfo | None:
    block = _block(_entries(text))
    if not block:
        return None
    info = SystemInfo(line=block[0].line if rows is None else rows.line)
    info.layout = "list" if rows is None else rows.layout
    by_field: dict[str, _Entry] = {}
    votes: dict[str, int] = {}
    for e in block:
        if e.fld is not None and e.fld not in by_field:
            by_field[e.fld] = e
            info.labels_found[e.fld] = e.label or ""
            for lid in e.langs:
                votes[lid] = votes.get(lid, 0) + 1
    if votes:
        order = [lang.id for lang in catalog().languages]
        info.language = max(votes, key=lambda k: (votes[k], -order.index(k)))
    _by_place(block, by_field, info)
    info.field_lines = {
        f: (e.line if rows is None else rows.value_line) for f, e in by_field.items()
    }
    if "os_version" not in by_field and "os_name" not in by_field and "host" not in by_field:
        return None
    _fill(info, by_field)
    return info


def last_field(info: SystemInfo) -> str | None:
    """The English title of the last field ``info`` read (``Time Zone``), None when none."""
    if not info.field_lines:
        return None
    return TITLES.get(max(info.field_lines, key=lambda f: info.field_lines[f]))


def _by_place(block: list[_Entry], by_field: dict[str, _Entry], info: SystemInfo) -> None:
    """Fields the labels did not give, from their value and their place in the fixed order."""

    def take(fld: str, e: _Entry | None) -> None:
        if e is not None and fld not in by_field and e not in by_field.values():
            by_field[fld] = e
            info.by_place.append(fld)

    tops = [e for e in block if e.label is not None]
    ver = by_field.get("os_version")
    if ver is None:
        ver = next((e for e in tops if _version_line(e)), None)
        take("os_version", ver)
    if ver is not None and ver in tops:
        i = tops.index(ver)
        if i >= 1 and "windows" in tops[i - 1].value.lower():
            take("os_name", tops[i - 1])
        named = i >= 1 and by_field.get("os_name") is tops[i - 1]
        if named and i >= 2 and _HOST.match(tops[i - 2].value):
            take("host", tops[i - 2])
        after = tops[i + 1 :]
        dated = [e for e in after if _split_datetime(e.value) is not None][:2]
        if "install_date" not in by_field and dated:
            take("install_date", dated[0])
        if "boot_time" not in by_field and "uptime" not in by_field and len(dated) > 1:
            take("boot_time", dated[1])
    for e in tops:
        if "time_zone" not in by_field and _ZONE.match(e.value):
            take("time_zone", e)
        if "system_locale" not in by_field and _LOCALE_VALUE.match(e.value):
            take("system_locale", e)
        if "system_type" not in by_field and re.search(r"(?i)-based (PC|system)", e.value):
            take("system_type", e)
        items = [m.group(2) for s in e.sub if (m := _ITEM.match(s))]
        kbs = any(_KB.search(v) for v in items) and not any(_address(v) for v in items)
        if "hotfixes" not in by_field and kbs:
            take("hotfixes", e)
        if "network_cards" not in by_field and any(_address(v) for v in items):
            take("network_cards", e)


def _fill(info: SystemInfo, by: dict[str, _Entry]) -> None:
    def val(fld: str) -> str | None:
        e = by.get(fld)
        text = " ".join(e.value.split()) if e is not None else ""  # NBSP (cp850 0xFF) too
        return text or None

    host = val("host")
    info.host = host if host and _HOST.match(host) else None
    info.os_name = val("os_name")
    info.os_manufacturer = val("os_manufacturer")
    info.system_type = val("system_type")
    info.domain = val("domain")
    info.time_zone = val("time_zone")
    loc = _LOCALE_VALUE.match(val("system_locale") or "")
    info.system_locale = loc.group(1).lower() if loc else None
    raw = val("os_version")
    info.os_version_raw = raw
    m = _VERSION.match(raw or "")
    if m is not None:
        info.version = f"{int(m.group('maj'))}.{int(m.group('min'))}.{int(m.group('build'))}"
        info.build = int(m.group("build"))
        sp = re.search(r"(?i)service\s*pack\s*(\d+)", m.group("mid"))
        info.service_pack = int(sp.group(1)) if sp else None
    info.install_raw, info.boot_raw = val("install_date"), val("boot_time")
    info.uptime_raw = val("uptime")
    if info.uptime_raw and (u := _UPTIME.match(info.uptime_raw)):
        d, h, mi, sec = (int(x) for x in u.groups())
        info.uptime_s = ((d * 24 + h) * 60 + mi) * 60 + sec
    order, note = _date_order(
        [v for v in (info.install_raw, info.boot_raw) if v], info.system_locale, info.language
    )
    info.date_note = note
    info.install_date = parse_datetime(info.install_raw, order) if info.install_raw else None
    info.boot_time = parse_datetime(info.boot_raw, order) if info.boot_raw else None
    hot = by.get("hotfixes")
    if hot is not None:
        count = re.search(r"\d+", hot.value)
        info.hotfixes_declared = int(count.group(0)) if count else None
        seen: dict[str, None] = {}
        for s in hot.sub:
            m2 = _ITEM.match(s)
            if m2 is None:
                info.hotfix_list_cut |= bool(_CUT_ITEM.match(s))
                continue
            info.hotfix_items += 1
            item = m2.group(2)
            info.hotfix_list_cut |= bool(_KB_CUT.match(item))
            numbers = _KB.findall(item)
            info.hotfix_unnamed += not numbers
            for kb in numbers:
                seen.setdefault(kb.upper(), None)
        info.hotfixes = list(seen)
    nic = by.get("network_cards")
    if nic is not None:
        info.network_cards = _cards(nic.sub)


def _cards(sub: list[str]) -> list[NetworkCard]:
    cat = catalog()
    cards: list[NetworkCard] = []
    for s in sub:
        m = _ITEM.match(s)
        if m is not None:
            addr = _address(m.group(2))
            if addr is not None:
                if cards:
                    cards[-1].addresses.append(addr)
            elif m.group(2):
                cards.append(NetworkCard(m.group(2)))
            continue
        g = _LABEL_LINE.match(s.strip())
        if g is not None and cards:
            hit = cat.field_of(g.group("label"))
            if hit is not None and hit[0] == "connection_name":
                cards[-1].connection = g.group("value") or None
    return cards


def _address(text: str) -> str | None:
    """``text`` as an IP address (an IPv6 zone index dropped), else None."""
    t = text.strip()
    try:
        return str(ipaddress.ip_address(t.split("%", 1)[0]))
    except ValueError:
        return None


# --------------------------------------------------------------------------- dates


def _split_datetime(value: str) -> tuple[tuple[int, str, int, int], str] | None:
    """(date numbers with their separator, time text) of ``<date>, <time>``, else None."""
    date, sep, rest = value.partition(",")
    if not sep:
        return None
    d = _DATE.match(date.strip())
    if d is None or _TIME.search(rest) is None:
        return None
    return (int(d.group(1)), d.group(2), int(d.group(3)), int(d.group(4))), rest.strip()


def _date_order(raws: list[str], locale: str | None, language: str | None) -> tuple[str, str]:
    """ "ymd", "dmy" or "mdy" for the dates of one file, and a note when it was assumed."""
    parts = [p[0] for r in raws if (p := _split_datetime(r)) is not None]
    if not parts:
        return "mdy", ""
    if all(a > 31 for a, _s, _b, _c in parts):
        return "ymd", ""
    if any(s in ".-" for _a, s, _b, _c in parts):
        return "dmy", ""
    if any(a > 12 for a, _s, _b, _c in parts):
        return "dmy", ""
    if any(b > 12 for _a, _s, b, _c in parts):
        return "mdy", ""
    if locale is not None:
        mdy = locale in ("en-us", "en-ph", "es-us", "en-ca") or locale == "en"
        why = f"system locale {locale}"
    else:
        mdy = language in (None, "en")
        why = f"{'English' if mdy else 'the language of the'} labels"
    order = "mdy" if mdy else "dmy"
    shown = "month/day/year" if mdy else "day/month/year"
    return order, f"day and month are both 12 or less: {shown} assumed from the {why}"


def parse_datetime(value: str, order: str = "mdy") -> datetime | None:
    """A systeminfo date-time (``4/25/2014, 8:13:44 PM``, ``15.06.2016, 18:34:33``,
    ``2020/7/29, 上午 10:53:07``) as a naive local datetime; ``order`` is the day/month order
    of slashed dates. None when it is no date-time."""
    split = _split_datetime(value)
    if split is None:
        return None
    (a, _sep, b, c), rest = split
    if a > 31:
        y, mo, d = a, b, c
    elif order == "mdy":
        mo, d, y = a, b, c
    else:
        d, mo, y = a, b, c
    if y < 100:
        y += 2000
    t = _TIME.search(rest)
    assert t is not None
    hh, mm, ss = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
    low = rest.lower()
    if any(p in low for p in _PM) and hh < 12:
        hh += 12
    elif any(a_ in low for a_ in _AM) and hh == 12:
        hh = 0
    try:
        return datetime(y, mo, d, hh, mm, ss)
    except ValueError:
        return None


def zone_offset(time_zone: str) -> int | None:
    """Minutes east of UTC of a systeminfo time zone (``(UTC+01:00) Amsterdam, ...``,
    ``(GMT-05:00) ...``, ``(UTC) ...``), else None. This is the zone's standard offset."""
    m = _ZONE.match(time_zone.strip())
    if m is None:
        return None
    if m.group("sign") is None:
        return 0
    minutes = int(m.group("h")) * 60 + int(m.group("m"))
    return -minutes if m.group("sign") == "-" else minutes


# --------------------------------------------------------------------------- csv and table


@dataclass(frozen=True)
class _Rows:
    """A CSV or table form rewritten as the list form :func:`parse` reads."""

    text: str
    layout: str  # "csv", "table" or "table_nh"
    line: int  # 1-based line of the header (of the row without one)
    value_line: int  # 1-based line of the values


def _as_list(text: str) -> str:
    """``text`` as the list form when it holds a CSV or table form (to score labels), else
    ``text``."""
    rows = _csv_as_list(text) or _table_as_list(text)
    return rows.text if rows is not None else text


def _field_lines(label: str, value: str, cut: bool = False) -> list[str]:
    """The list-form lines of one column: ``label: value``, and a multi-item value (``3
    Hotfix(s) Installed.,[01]: KB...``) as indented items. ``cut``: the value may be cut short
    (it fills its table column): its last item is dropped, and an item cut before its number
    (``[``) says so."""
    parts = value.split(",") if re.search(r",\s*\[\d+\]\s*:", value) else [value]
    if cut and len(parts) > 1:
        parts.pop()
    lines = [f"{label}: {parts[0].strip()}"]
    lines += [f"    {p.strip()}" for p in parts[1:] if p.strip()]
    return [*lines, "    ["] if cut else lines


def _csv_as_list(text: str) -> _Rows | None:
    """``systeminfo /fo csv`` (a header row of labels, one row of values) rewritten in the list
    form :func:`parse` reads, else None."""
    cat = catalog()
    for m in re.finditer(rf"(?m)^{_CSV_HEAD.pattern}", text):
        if cat.field_of(m.group(1)) is None and cat.field_of(m.group(2)) is None:
            continue
        try:  # the header and the one data row; a damaged file may hold a 128 KiB+ "field"
            rows = list(itertools.islice(csv.reader(io.StringIO(text[m.start() :])), 2))
        except csv.Error:
            return None
        if len(rows) < 2:
            return None
        lines: list[str] = []
        for label, value in zip(rows[0], rows[1], strict=False):
            label = label.strip().lstrip("\ufeff")
            if label:
                lines += _field_lines(label, value)
        line = text.count("\n", 0, m.start()) + 1
        return _Rows("\n".join(lines) + "\n", "csv", line, line + 1)
    return None


#: The rule under a table's header: a run of "=" per column, one space between.
_TABLE_RULE = re.compile(r"^=+(?: +=+){3,}[ \t]*\r?$")


def _table_as_list(text: str) -> _Rows | None:
    """``systeminfo /fo table`` (a header row, a rule of ``=`` runs, a row of values) rewritten
    in the list form :func:`parse` reads, else None. The first table whose header names a
    catalog field, or whose row states a Windows version, is read (a file may hold other
    tables: tasklist, driverquery). Rows below the first one whose first column is blank
    continue its cells."""
    lines = text.split("\n")
    for n, rule in enumerate(lines):
        if not rule.startswith("=") or not _TABLE_RULE.match(rule):
            continue
        spans = [(m.start(), m.end()) for m in re.finditer(r"=+", rule)]
        head = lines[n - 1].rstrip("\r") if n > 0 and lines[n - 1].strip() else ""
        body = [ln.rstrip("\r") for ln in itertools.takewhile(str.strip, lines[n + 1 :])]
        if not body:
            continue
        labels = _header_labels(head, spans)
        cells = _cells(body[0], spans)
        for more in body[1:]:
            extra = _cells(more, spans)
            if extra[0][0].strip():
                break  # another record
            cells = [
                (f"{c.rstrip()}, {e.strip()}" if e.strip() else c, cut or e_cut)
                for (c, cut), (e, e_cut) in zip(cells, extra, strict=True)
            ]
        out: list[str] = []
        for label, (value, full) in zip(labels, cells, strict=True):
            value = value.strip()  # a trailing comma: the items after it were cut off
            out += _field_lines(label, value, bool(value) and (full or value.endswith(",")))
        listed = "\n".join(out) + "\n"
        known = [label for label in labels if catalog().field_of(label) is not None]
        if known or _nh_row(body[0]) is not None or _list_like(listed.split("\n")):
            return _Rows(listed, "table", n if head else n + 1, n + 2)
    return None


def _char_columns(line: str, wide: bool) -> list[int]:
    """The display column each character of ``line`` starts at: a wide (CJK) character takes
    two when ``wide`` (a DBCS console pads by bytes)."""
    cols: list[int] = []
    at = 0
    for ch in line:
        cols.append(at)
        at += _width(ch, wide)
    return cols


def _cells(line: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text of each column of a table row, and whether it fills its column (it may be cut:
    its last character ends right at the column's end). The last column takes the rest of the
    line. Columns are counted in display columns or in characters, whichever lines this row up
    (:func:`_wide_columns`)."""
    wide = _wide_columns(line, spans)
    cols = _char_columns(line, wide)
    ends = [c + _width(ch, wide) for c, ch in zip(cols, line, strict=True)]
    out: list[tuple[str, bool]] = []
    for i, (start, end) in enumerate(spans):
        last = i == len(spans) - 1
        lo = bisect.bisect_left(cols, start)
        hi = len(cols) if last else bisect.bisect_left(cols, end)
        text = line[lo:hi]
        body = text.rstrip()
        stop = ends[lo + len(body) - 1] if body else 0
        out.append((text, bool(body) and (stop == end if last else stop >= end)))
    return out


def _width(ch: str, wide: bool) -> int:
    return 2 if wide and unicodedata.east_asian_width(ch) in "WF" else 1


def _wide_columns(line: str, spans: list[tuple[int, int]]) -> bool:
    """Whether ``line``'s columns are counted with CJK characters two wide: the count under
    which more of its cells start right at their column, after a space."""

    def fits(wide: bool) -> int:
        cols = _char_columns(line, wide)
        starts = {c: k for k, c in enumerate(cols)}
        return sum(
            1
            for start, _end in spans[1:]
            if (k := starts.get(start)) is not None and not line[k].isspace() and line[k - 1] == " "
        )

    return any(unicodedata.east_asian_width(c) in "WF" for c in line) and fits(True) > fits(False)


def _header_labels(head: str, spans: list[tuple[int, int]]) -> list[str]:
    """The label of each column: the header's text, or the catalog label it is the start of
    when the header cut it to its column; ``Column N`` where there is none."""
    cat = catalog()
    out: list[str] = []
    for i, (text, full) in enumerate(_cells(head, spans) if head else [("", False)] * len(spans)):
        label = " ".join(text.split()).rstrip(":")
        if label and full and cat.field_of(label) is None:
            hits = {
                cat.labels[_fold(sp)][0]: sp
                for sp in cat.spellings
                if _fold(sp).startswith(_fold(label))
            }
            label = next(iter(hits.values())) if len(hits) == 1 else label
        out.append(label or f"Column {i + 1}")
    return out


#: The start of a table row without header: a host name, then at least two spaces.
_NH_HOST = re.compile(r"([^\s\\/:*?\"<>|,;]+) {2,}")
#: The OS version cell after the OS name (within the widest OS name column seen, 60).
_NH_VERSION = re.compile(r" (\d{1,2}\.\d{1,2}\.(\d{3,5}))\b")


def _nh_row(line: str) -> tuple[list[str], int] | None:
    """(host, OS name, OS version) at the start of a table row without header, and where the
    version cell ends; None unless the name names Windows and the version ends with its build
    (``10.0.19044 N/A Build 19044``). In time linear in the line."""
    host = _NH_HOST.match(line)
    if host is None:
        return None
    v = _NH_VERSION.search(line, host.end(), host.end() + 80)
    if v is None:
        return None
    name = line[host.end() : v.start()].strip()
    stop = line.find("  ", v.start() + 1)
    stop = len(line) if stop < 0 else stop
    version = line[v.start() + 1 : stop].rstrip()
    if (
        "windows" not in name.lower()
        or not version.endswith(v.group(2))
        or not 12 <= len(version) <= 60
    ):
        return None
    return [host.group(1), name, version], stop


def _nh_as_list(text: str) -> _Rows | None:
    """``systeminfo /fo table /nh`` (a row of values, no header, no rule) rewritten in the list
    form with ``Column N`` labels, else None: a row that starts with a host name, an OS name
    naming Windows and an OS version whose build ends it. Its cells are split at runs of two
    spaces; every field is then found by its value and place. A multi-item cell may be cut at
    a width this form does not show: its last item is dropped."""
    for n, raw in enumerate(text.split("\n")[:400], 1):
        line = raw.rstrip("\r")
        row = _nh_row(line) if len(line) > 60 else None
        if row is None:
            continue
        cells, stop = row
        cells += [c for c in re.split(r" {2,}", line[stop:].strip()) if c]
        out: list[str] = []
        for i, cell in enumerate(cells, 1):
            out += _field_lines(f"Column {i}", cell, cut=i > 3)
        return _Rows("\n".join(out) + "\n", "table_nh", n, n)
    return None
