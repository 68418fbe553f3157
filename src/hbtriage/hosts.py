"""Who wrote what: one host per server, from every clue the inputs give.

A server is known by several names at once: its Windows computer name (perfmon ``\\\\MACHINE``,
``systeminfo`` Host Name, event-log computer), its ICM node name (dumplog ``pg1A-pim1``), its
IP addresses (CVP sender field, ``systeminfo`` network cards) and the folder a user put its
files in. These are clues of different strength, merged here into one identity per server:

1. **Folders.** A folder (or archive) holding the files of *one* server names every file in it,
   over the names found in their content. A folder holds one server when the files under it
   name at most one machine, one ICM node and one CVP sender, and not both a PIM and a CVP log
   (a PG and a CVP Call Server are different servers). Each file belongs to the outermost such
   folder up to the one the user named (folders above an argument are not looked at); a file
   named on its own has only its parent folder. A folder whose own files are one server's
   (with its PIM or CVP log) is that server's though the other server's folder sits below it
   (``PGSIDE_A/`` and ``PGSIDE_A/CALLSRV/``): its own files are one group, the folder below
   another.
2. **Names.** Each folder group (or file outside any) is linked to the names its files write;
   groups and files sharing a name are one host. ``--host-alias`` links names outright; a
   ``systeminfo`` links its host name with its addresses; a file name that carries a known
   name (``PG1A_pim1.txt``) is the weakest link.
3. **Disagreement.** A link that would join two different machine names, or a PIM log with a
   CVP log, is refused: the stronger clue wins, and a warning says which link was refused.
   Names of one host that differ (folder ``PG7A``, machine ``PGSRV01``, node ``pg7aB``) are
   merged with one warning that says why.

A host is shown by its alias target, else its Windows name, else its folder's name, else the
name its logs write, else its address; the others are listed as its aliases and addresses.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from hbtriage.catalog import bundled_text, entries_of, host_clues
from hbtriage.errors import CatalogError
from hbtriage.sources.base import InputFile, ReadResult, column_bounds, display_folder
from hbtriage.warning_text import Joined, warn


@functools.cache
def _words(entry: str) -> re.Pattern[str]:
    """The ``catalog/names.toml`` entry ``entry`` as one whole-word, case-insensitive regex."""
    return word_pattern(*bundled_text("names.toml"), entry)


@functools.lru_cache(maxsize=8)
def _word_entries(text: str, path: str) -> dict[object, dict[str, Any]]:
    """The ``words`` entries of names catalog ``text`` by id: the file parsed once, not once
    for each of its dozen word lists (a millisecond and more each)."""
    return {e.get("id"): e for e in entries_of(text, path, "words")[0]}


def word_pattern(text: str, path: str, entry: str, form: str = "^(?:{})$") -> re.Pattern[str]:
    """Entry ``entry`` of a names catalog ``text`` as one regex, its patterns' alternation put
    in ``form`` (CatalogError naming ``path`` and the entry when it is missing or a pattern
    does not compile)."""
    patterns = _word_entries(text, path).get(entry, {}).get("patterns")
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(p, str) for p in patterns)
    ):
        raise CatalogError(path, entry, warn("names_no_patterns"))
    try:
        return re.compile(form.format("|".join(f"(?:{p})" for p in patterns)), re.IGNORECASE)
    except re.error as exc:
        raise CatalogError(path, entry, warn("catalog_bad_pattern", error=str(exc))) from None


@functools.cache
def _folder_word_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a word of a folder name made of content and product words run together, ending in a
    number only after a content word: "CVPLogs", "logfiles", "Collector01"; a product word
    alone, "CVP")."""
    text, path = bundled_text("names.toml")
    product = word_pattern(text, path, "folder_products", "{}").pattern
    content = word_pattern(text, path, "folder_contents", "{}").pattern
    joiners = word_pattern(text, path, "folder_joiners", "{}").pattern
    content = f"{content}|{joiners}"
    either = f"(?:{product})|(?:{content})"
    compound = f"^(?:(?:{either})+|(?:{either})*(?:{content})\\d+)$"
    return re.compile(compound, re.IGNORECASE), re.compile(f"^(?:{product})+$", re.IGNORECASE)


@functools.cache
def _known_in_unspaced() -> re.Pattern[str]:
    """One known word (``catalog/names.toml`` folders, products, contents, joiners) wherever
    it starts: the words a run of a script written without spaces is made of ("側ログ")."""
    text, path = bundled_text("names.toml")
    entries = ("folders", "folder_products", "folder_contents", "folder_joiners")
    either = "|".join(f"(?:{word_pattern(text, path, e, '{}').pattern})" for e in entries)
    return re.compile(either, re.IGNORECASE)


#: The roles a computer's name can say (:func:`roles_named`).
ROLES = ("pg", "cvp")


@functools.cache
def _role_words() -> dict[str, re.Pattern[str]]:
    text, path = bundled_text("names.toml")
    return {role: word_pattern(text, path, f"role_{role}", "{}") for role in ROLES}


def roles_named(name: str) -> set[str]:
    """The roles (``pg``, ``cvp``) whose words (``catalog/names.toml`` ``role_pg``,
    ``role_cvp``) a computer's name holds anywhere, case ignored: ``CVP2``, ``SJCCVP02`` and
    ``cvp-cs-01`` say ``cvp``, ``PG2A`` says ``pg``, an address says none."""
    if is_address(name):
        return set()
    return {role for role, words in _role_words().items() if words.search(name)}


#: The words of a folder name: letters and digits of any script ("Сервер1", "CVPé"), the escape
#: that stands for a byte of a name that is no text ("CVP\xe9" as the bundle shows it) part of
#: its word, a number with the letters around it ("CVP1", "PG1A"); then (``_FOLDER_CASE``) case
#: changes within a word that is not one whole ("PerfLogs", "CVPLogs", "DataCollector01", but
#: "VXMLServer").
_FOLDER_WORD = re.compile(r"(?:[^\W_]|\\x[0-9a-fA-F]{2})+")
#: Scripts written without spaces between words (kana, CJK ideographs, Hangul): a name run from
#: Latin letters or digits into one of them is words of each ("CVP1側ログ", "PG3A号機").
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
_SCRIPT_RUN = re.compile(f"([{_UNSPACED}]+)|[^{_UNSPACED}]+")
_FOLDER_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
#: What follows a product word as its own word when the folder names a server ("CVP 1", "PG-A").
_SERVER_NUMBER = re.compile(r"^(?:\d{1,3}|[A-Za-z])$")


def without_copy_marks(name: str) -> str:
    """``name`` without what Windows adds to a name that is taken ("Copy of PG1A", "PG1A -
    Copy (2)", "CVP1 (2)": ``catalog/names.toml`` ``copy_prefixes`` and ``copy_suffixes``);
    ``name`` itself when nothing else is left."""
    prefix, suffix = _copy_mark_patterns()
    out = name
    while True:
        cut = suffix.sub("", prefix.sub("", out, count=1), count=1)
        if cut == out or not cut.strip():
            return out
        out = cut


@functools.cache
def _copy_mark_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    text, path = bundled_text("names.toml")
    return (
        word_pattern(text, path, "copy_prefixes", "^(?:{})"),
        word_pattern(text, path, "copy_suffixes", "(?:{})$"),
    )


@functools.lru_cache(maxsize=4096)  # a pure function of the name, asked per file
def host_address(name: str) -> bool:
    """Whether a folder called ``name`` is a server's IP address ("198.51.100.24"): an address
    that is no network's or broadcast's (a version folder, "12.5.1.0", is none)."""
    if not is_address(name):
        return False
    ip = ipaddress.ip_address(name.strip("[]"))
    return not (ip.version == 4 and name.rsplit(".", 1)[-1] in ("0", "255"))


#: A server's IPv4 address in a folder name, with the port a collection script may write after
#: it ("198.51.100.10_8000", "198.51.100.10-8000", "198.51.100.10 port 8000"), not a piece of
#: a longer run of digits and dots.
_FOLDER_ADDRESS = re.compile(
    r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})"
    r"(?:(?:[ _:\-]*(?i:port)[ _:\-]*|[_:\-])\d{1,5})?(?![\d.])"
)


def folder_address(name: str) -> tuple[str, str] | None:
    """The one server address folder name ``name`` writes among other words, and those words
    (``("198.51.100.10", " ")`` of "198.51.100.10_8000", ``("198.51.100.10", "CVP2 ()")`` of
    "CVP2 (198.51.100.10)", ``("198.51.100.10", "logs ")`` of "logs 198.51.100.10"); None
    when it writes none, or more than one, or is an address whole (:func:`host_address`)."""
    if host_address(name):
        return None
    found = [m for m in _FOLDER_ADDRESS.finditer(name) if host_address(m.group(1))]
    if len(found) != 1:
        return None
    m = found[0]
    return m.group(1), f"{name[: m.start()]} {name[m.end() :]}"


@functools.lru_cache(maxsize=4096)  # a pure function of the name, asked per file
def generic_folder(name: str) -> bool:
    """Whether a folder called ``name`` says nothing about a host ("logs", "2013-03-30",
    "CVPLogs", "PerfLogs", "SR 123456 - PG logs"): a name the ``folders`` words match whole, or
    one whose every word is such a name or content and product words run together. A product
    word followed by a short number or a letter is a server ("CVP 1", "PG-A"), as are words run
    into a number ("CVP1", "PG1A") and a server's address ("198.51.100.24"). What Windows adds
    to a copy's name ("CVP1 (2)", "Copy of logs") is no word of it."""
    name = without_copy_marks(name)
    if host_address(name) or folder_address(name) is not None:
        return False
    if _words("folders").match(name):
        return True
    if len(name) > 200:
        return False
    product = _folder_word_patterns()[1]
    words = [
        w
        for part in (name[start:end] for start, end in _folder_words(name))
        for w in ([part] if _known(part) else _FOLDER_CASE.split(part))
    ]
    for n, word in enumerate(words):
        if n and product.match(words[n - 1]) and _SERVER_NUMBER.match(word):
            return False
        if not _known(word):
            return False
    return bool(words)


def _known(word: str) -> bool:
    """Whether ``word`` says what a folder holds: a ``folders`` name, or content and product
    words run together ("CVPLogs", "PG側ログ")."""
    return bool(_words("folders").match(word) or _folder_word_patterns()[0].match(word))


def _folder_words(name: str) -> list[tuple[int, int]]:
    """Where the words of folder name ``name`` are. A run of letters and digits that is no
    known word whole is cut where Latin letters or digits meet a script written without
    spaces, and a run of such a script is cut into the known words it holds ("CVP1側ログ":
    "CVP1", "側", "ログ"; "PG3A号機": "PG3A", "号機"); a duplex side run into the words after
    it stays one word ("B側ログ": "B側", "ログ"), as does one written before its letter
    ("サイドA")."""
    pieces: list[tuple[int, int]] = []
    for m in _FOLDER_WORD.finditer(name):
        if _known(m.group()):
            pieces.append(m.span())
            continue
        for run in _SCRIPT_RUN.finditer(m.group()):
            at = m.start() + run.start()
            if run.group(1) is None:
                pieces.append((at, at + len(run.group())))
                continue
            cut = at
            for known in _known_in_unspaced().finditer(run.group()):
                if at + known.start() > cut:
                    pieces.append((cut, at + known.start()))
                pieces.append((at + known.start(), at + known.end()))
                cut = at + known.end()
            if cut < at + len(run.group()):
                pieces.append((cut, at + len(run.group())))
    spans: list[tuple[int, int]] = []
    for start, end in pieces:
        if spans and _words("side_folders").match(name[spans[-1][0] : end]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


@functools.lru_cache(maxsize=4096)  # a pure function of the name, asked per file
def folder_host(name: str) -> str:
    """The part of a folder name that names a host: the name without the generic words around
    it ("PG1A" of "PG1A_logs_20130330", "SR 123456789 - PG1A logs 2013-03-30" and "PG1A
    perfmon"; "cvp1.example.com" whole). A product word and the number after it stay ("CVP 1"),
    as does a short number after the name ("Server-1": "Server-2" is another server) and a
    product word before a name that does not say what the server is ("CVP Call Server 1"),
    but not what Windows adds to a copy's name ("CVP1" of "CVP1 (2)" and "Copy of CVP1")."""
    name = without_copy_marks(name)
    if host_address(name):
        return name
    at = folder_address(name)
    if at is not None:
        # "PG2A_198.51.100.16" and "CVP2 (198.51.100.20)" are PG2A and CVP2; "Server
        # 198.51.100.20" and "ACME 198.51.100.20" are the address: a word beside it names the
        # server when it has a number or says the server's role, as a server's name does.
        address, rest = at
        if generic_folder(rest) or not _folder_words(rest):
            return address
        other = folder_host(rest)
        return other if re.search(r"\d", other) or roles_named(other) else address
    if generic_folder(name):
        return name
    found = _folder_words(name)
    words = [name[start:end] for start, end in found]
    keep: list[int] = []
    for n, w in enumerate(words):
        if (
            not generic_folder(w)
            or (n + 1 < len(words) and _server_words(w, words[n + 1]))
            or (n > 0 and _server_words(words[n - 1], w))
            # a short number after the name is the name's ("Server-1", "ccx-01 logs"), unless
            # the name has its number already and no host name could go on so (an underscore
            # or a space): then it numbers the user's parts ("CVP2_1" and "CVP2 2" are CVP2's
            # files in two folders; "cvp01-02" stays a name)
            or (
                keep
                and keep[-1] == n - 1
                and _SERVER_NUMBER.match(w)
                and not (
                    w.isdigit()
                    and any(ch.isdigit() for ch in words[n - 1])
                    and name[found[n - 1][1] : found[n][0]] in ("_", " ")
                )
            )
        ):
            keep.append(n)
    # A product word just before a name that does not say the server's role is part of the
    # name ("CVP Call Server 1", "VXML Server 1"); not before one that does ("ICM PG1A"), nor
    # before a duplex side ("CVP side A").
    product = _folder_word_patterns()[1]
    while (
        keep
        and keep[0] > 0
        and product.match(words[keep[0] - 1])
        and not any(
            _server_name().match(words[k]) or _words("side_folders").match(words[k]) for k in keep
        )
    ):
        keep.insert(0, keep[0] - 1)
    return name[found[keep[0]][0] : found[keep[-1]][1]] if keep else name


def side_folder(name: str) -> bool:
    """Whether folder ``name`` names a side of a duplex pair ("Side A", "PG1 Side B", "A側"):
    its host part ends in a ``side_folders`` name of ``catalog/names.toml``."""
    host = folder_host(name)
    return any(_words("side_folders").match(host[start:]) for start, _ in _folder_words(host))


def _folder_name(folder: tuple[str, str, bool], chain: list[tuple[str, str, bool]]) -> str:
    """The name ``folder`` (in ``chain``, a file's folders nearest first) gives its host: its
    words that are not generic; for a side of a duplex pair ("Side A"), with the name of the
    nearest meaningful folder above it ("PG1 Side A"): "PG1/Side A" and "PG2/Side A" are two
    servers."""
    name = folder_host(folder[1])
    if not side_folder(name):
        return name
    above = [f for f in chain[[f[0] for f in chain].index(folder[0]) + 1 :]]
    parent = next((f[1] for f in above if not generic_folder(f[1])), None)
    return f"{folder_host(parent)} {name}" if parent else name


@functools.cache
def _server_name() -> re.Pattern[str]:
    """A word that names a server by its role and number ("CVP4", "PG4A", "callserver02"): a
    product word of ``catalog/names.toml`` run into a short number and side letter."""
    text, path = bundled_text("names.toml")
    product = word_pattern(text, path, "folder_products", "{}").pattern
    return re.compile(f"^(?:{product})+\\d{{1,3}}[a-z]?$", re.IGNORECASE)


def _server_words(word: str, after: str) -> bool:
    """Whether ``word after`` names a server: a product word and a short number ("CVP 1")."""
    return bool(_folder_word_patterns()[1].match(word) and _SERVER_NUMBER.match(after))


#: Readers whose host is a machine (computer) name, strongest first.
_MACHINE_KINDS = (
    "perfmon_csv",
    "config_snapshot",
    "eventlog",
    "sar",
    "watch_log",
    "latencymon",
    "tracerpt_dpcisr",
    "proc_interrupts",
)
#: Other readers whose host field is the computer's name (never a Windows PG or CVP's other
#: name): a syslog host that differs from a perfmon machine is another computer.
_HOSTNAME_KINDS = ("generic_log",)
_ARCHIVE_SUFFIXES = (
    ".tar.gz",
    ".tar.bz2",
    ".tar.xz",
    ".tgz",
    ".tbz2",
    ".txz",
    ".zip",
    ".tar",
    ".gz",
    ".bz2",
    ".xz",
)
_TOKEN = re.compile(r"[^A-Za-z0-9]+")
#: A date and time of day written in a file name ("2013-02-22T02-13-17.202000" as a WPA export's
#: prefix, "20130222T021317", "2013-02-22_02.13.17"): no host's name, though its pieces
#: ("22T02") hold a letter.
_NAME_STAMP = re.compile(
    r"(?<![0-9])(?:19|20)\d\d[-_.]?[01]\d[-_.]?[0-3]\d(?:[T_ -]?[0-2]\d(?:[-_.:h]?[0-5]\d){1,2}"
    r"(?:[.,]\d{1,9})?(?:Z|[+-][0-2]\d:?[0-5]\d)?)?(?![0-9])",
    re.IGNORECASE,
)


def role_of(res: ReadResult) -> str | None:
    """``pg`` for a PIM dumplog or a Cisco Log feed with a PIM's lines (its ``[pname=pim1]``
    or ``%ICM_PG_PIM``: ``catalog/names.toml`` ``pim_processes``), ``cvp`` for a CVP Call
    Server log, else None."""
    if res.kind == "cvp_log":
        return "cvp"
    if res.kind == "icm_dumplog" and (res.stream or "").lower().startswith("pim"):
        return "pg"
    if res.kind == "ciscolog" and res.events is not None and "component" in res.events.columns:
        procs = res.events["component"].cast(pl.Utf8).drop_nulls().unique().to_list()
        if any(_words("pim_processes").match(str(p)) for p in procs):
            return "pg"
    return None


#: An IPv4 address, each part 0-255 (the logs of these products write IPv4: the VRU a PIM
#: names, the peer a CVP's GED-125 socket names; fleet.pairs and clock_skew use it too).
IPV4 = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}"
IPV4_RE = re.compile(rf"\b{IPV4}\b")


def peer_addresses(res: ReadResult) -> list[str]:
    """The addresses a log names as its GED-125 peer's, in the lines of ``catalog/clues.toml``
    that its reader kept (a PIM's names its VRU, the CVP Call Server it connects to; a CVP's
    names the VRU PIM connected to it): each once, in order."""
    clues = [c.pattern for c in host_clues() if res.kind in c.kinds]
    ev = res.events
    if not clues or ev is None or not ev.height or "message" not in ev.columns:
        return []
    from hbtriage.timeline.frames import matching_rows  # (the timeline imports this module)

    either = "(?i)" + "|".join(f"(?:{p})" for p in clues)
    # The few lines kept (the readers null the others' text) looked into alone.
    text = ev.get_column("message")
    found: list[str] = []
    rx = re.compile(either)
    for message in text.gather(matching_rows(text, either)):
        for m in rx.finditer(str(message)):
            found += [a for a in IPV4_RE.findall(m.group(0)) if host_address(a)]
    return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=4096)  # a pure function of the name, asked per file
def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)  # a pure function of the name, asked per file
def name_key(name: str) -> str:
    """How names are compared: case-insensitive, a DNS name by its first label."""
    n = name.strip().strip("[]")
    if is_address(n):
        return n.lower()
    return n.split(".", 1)[0].upper() if "." in n and not n.startswith(".") else n.upper()


@dataclass
class Clues:
    """What one input says about who wrote it."""

    display: str
    kind: str
    folders: list[tuple[str, str, bool]]  # (key, name, named by the user), nearest first
    machines: list[str] = field(default_factory=list)  # computer names written in it
    writer: str | None = None  # ICM node, CiscoLog/syslog host or CVP sender
    reason: str = warn("host_reason_content")  # the reader's words for where it came from
    addresses: list[str] = field(default_factory=list)  # the writer's own IP addresses
    role: str | None = None
    filename: str = ""
    #: First and last local time of its records or samples (None when it has none).
    span: tuple[datetime, datetime] | None = None
    names: list[str] = field(default_factory=list)  # the writer's other names (syslog server's)
    vru: list[str] = field(default_factory=list)  # a PIM log's VRU (its CVP's) addresses
    pim: list[str] = field(default_factory=list)  # a CVP log's VRU PIM (its PG's) addresses
    place: str | None = None  # where what the user named that holds it is on disk
    #: One machine's part of a perfmon CSV of several machines: that file's path.
    whole: str | None = None
    #: What a configuration snapshot states (its findings' keys: "rss", "chimney", ...).
    settings: list[str] = field(default_factory=list)


#: A file whose times are this far from every PIM and CVP log around it is another capture,
#: not the one of the server whose folder it sits in (a perfmon export or a log of another
#: machine dropped into that folder, months or years apart). Wide enough for any zone and for
#: a perfmon started days before the logs that were collected.
APART = timedelta(days=7)


def clues_of(item: InputFile, res: ReadResult) -> Clues:
    """The clues of one input that was read."""
    machines: list[str] = []
    writer: str | None = None
    addresses: list[str] = []
    if res.counters is not None and res.counters.height:
        machines = [str(h) for h in res.counters["host"].unique().sort().to_list() if h]
    elif (res.kind in _MACHINE_KINDS or res.kind in _HOSTNAME_KINDS) and res.host:
        machines = [res.host]  # a syslog's host field is the computer's own name
    elif res.host:
        writer = res.host
    if res.config:
        addresses = [f.value for f in res.config if f.key == "address"]
    if writer is not None and is_address(writer):
        addresses.append(writer)
    # The names a syslog server wrote for the sender of these lines (sources/relay.py).
    relayed = item.senders or []
    addresses += [n for n in relayed if is_address(n)]
    role = role_of(res)
    return Clues(
        display=item.display,
        kind=res.kind,
        folders=folder_chain(item),
        machines=machines,
        writer=writer,
        reason=res.host_reason or warn("host_reason_content"),
        addresses=addresses,
        role=role,
        filename=""
        if item.senders is not None
        else PurePosixPath(item.display.rsplit("!", 1)[-1]).name,
        span=_span(res),
        names=[n for n in relayed if not is_address(n)],
        vru=peer_addresses(res) if role == "pg" else [],
        pim=peer_addresses(res) if role == "cvp" else [],
        place=item.given_path,
        whole=item.whole,
        settings=sorted({f.key for f in res.config or ()}) if res.kind == "config_snapshot" else [],
    )


def remote_parts(files: list[InputFile], hosts: list[str]) -> dict[int, str | None]:
    """Of the parts of perfmon CSVs of several machines (``InputFile.whole``), those whose
    host is not the machine that collected the file (indexes into ``files``; ``hosts``: each
    file's host), each with the host whose clock stamped it: the collector, or None when it is
    not known. The file does not say who collected it: the collector is taken to be the one
    host of the other files in the folder it sits in (the nearest folder up that holds other
    files), when that host is one of the file's machines; else every part is remote. The parts
    of a relog of separate captures (``InputFile.relogged``) were stamped by their own machine's
    clock: remote (the header's zone converts them) but with None, no collector's clock."""
    wholes: dict[str, list[int]] = {}
    for i, f in enumerate(files):
        if f.whole is not None:
            wholes.setdefault(f.whole, []).append(i)
    remote: dict[int, str | None] = {}
    for whole, parts in wholes.items():
        collector = _collector(whole, files, hosts)
        clock = None if files[parts[0]].relogged else collector
        remote.update((i, clock) for i in parts if hosts[i] != collector)
    return remote


def _collector(whole: str, files: list[InputFile], hosts: list[str]) -> str | None:
    """The host of the other files in the nearest folder around ``whole`` that holds any
    (None when they are several hosts' or none of ``whole``'s machines)."""
    mine = {hosts[i] for i, f in enumerate(files) if f.whole == whole}
    # The files whose folder names their host: not the parts of a file of several machines
    # or several senders (a syslog server's), which their content names.
    placed = [(f.display, hosts[i]) for i, f in enumerate(files) if f.senders is None]
    folder = whole
    while (cut := max(folder.rfind("/"), folder.rfind("!"))) > 0:
        folder = folder[:cut]
        around = {h for d, h in placed if d.startswith((folder + "/", folder + "!"))}
        if around:
            return next(iter(around)) if len(around) == 1 and around <= mine else None
    return None


def _span(res: ReadResult) -> tuple[datetime, datetime] | None:
    """The first and last local time of ``res``'s records and samples."""
    ends: list[datetime] = []
    for frame in (res.events, res.counters):
        if frame is None or not frame.height:
            continue
        lo, hi = column_bounds(frame, "ts_local")
        if isinstance(lo, datetime) and isinstance(hi, datetime):
            ends += [lo, hi]
    return (min(ends), max(ends)) if ends else None


#: How many generic folders above a file named on its own are looked through for the one that
#: names its server ("PGSIDE_A/PerfLogs/Admin/DataCollector01/x.csv", "CVP1/C$/Cisco/CVP/logs").
_GENERIC_LEVELS = 4


def folder_chain(item: InputFile) -> list[tuple[str, str, bool]]:
    """The folders (and archives) around ``item``, nearest first, up to the one the user named:
    ``(key, name, named by the user)``. A file named on its own has only its parent folder and,
    when that is generic ("logfiles", "PerfLogs/Admin/DataCollector01"), the folders above it up
    to the nearest one that is not, within :data:`_GENERIC_LEVELS`; so does a folder the user
    named, when it is generic ("PG2A/logs", also as "." from inside it), and a generic archive
    the user named. None for
    one sender's lines of a syslog server's file: its folder is the server's."""
    if item.senders is not None:
        return []
    if item.given is None:
        parent = Path(item.path).resolve().parent if item.path else None
        name = item.folder_hints[0] if item.folder_hints else (parent.name if parent else "")
        if parent is None or not name:
            return []
        return _folders_from(parent, name)
    out: list[tuple[str, str, bool]] = []
    layers = item.display.split("!")
    for depth in range(len(layers) - 1, -1, -1):
        prefix = "!".join(layers[:depth])
        parts = PurePosixPath(layers[depth]).parts
        # Inside an archive every folder counts; outside, only from the named folder down, and
        # the folders above it that its shown name holds ("PG1/Side A", "1/logs": see
        # sources.bundle._display_roots), which tell it from the other folders named.
        for n in range(len(parts) - 1, 0, -1):
            key = (prefix + "!" if prefix else "") + "/".join(parts[:n])
            out.append((key, parts[n - 1], key == item.given))
            if key == item.given and depth:
                return out
            if key == item.given and item.given_path:
                # The named folder, and the folders above it its shown name holds ("1/logs"):
                # when all are generic, the folders above them on disk, keyed as a file named
                # on its own keys them (so "alice" above "alice/logs" and "alice/x.csv" is one).
                shown = PurePosixPath(key).parts
                named = Path(item.given_path)
                top = named.parents[len(shown) - 2] if len(shown) > 1 else named
                if all(generic_folder(f) for f in shown):
                    out += _above(top, top.name, _GENERIC_LEVELS - len(shown) + 1)
        if depth:
            archive = layers[depth - 1]
            key = "!".join(layers[:depth])
            stem = _archive_stem(PurePosixPath(archive).name)
            if stem == layers[depth]:  # one compressed file ("CVP.log.gz"): no folder
                if key != item.given:
                    continue
                # Named on its own, it is in the folder it sits in, as a file named on its own
                # is (its name, "Error.2013-03-30.log", names no server).
                real = Path(item.given_path or archive).resolve() if depth == 1 else None
                if real is not None and real.parent.name:
                    out += _folders_from(real.parent, real.parent.name)
                return out
            out.append((key, stem, key == item.given))
            if key == item.given:
                # An archive named for its contents ("PG1A/logs.zip" beside "CVP1/logs.zip")
                # is named by the folder it sits in, as a file named on its own is.
                real = Path(archive).resolve() if depth == 1 and generic_folder(stem) else None
                if real is not None and real.parent.name:
                    out += _folders_from(real.parent, real.parent.name)
                return out
    if item.given == "" and item.given_path:
        # "." (the folder the user is in) is shown by no name: the files' own paths. It is the
        # named folder all the same, keyed by where it is on disk (as a file named on its own
        # keys its folder), with the folders above it when it is generic ("cd PG2A/logs;
        # analyze ." is "analyze PG2A/logs").
        here = Path(item.given_path)
        if here.name:
            out.append((str(here), here.name, True))
            out += _above(here, here.name, _GENERIC_LEVELS)
    return out


def _folders_from(parent: Path, name: str) -> list[tuple[str, str, bool]]:
    """Folder ``parent`` (called ``name``) of something named on its own and, when ``name`` is
    generic, the folders above it up to the nearest one that is not (within
    :data:`_GENERIC_LEVELS`; only ``parent`` when none is). None when ``parent`` is a user's
    own folder ("/home/alice/pim1.txt": see :func:`_personal`)."""
    if _personal(parent):
        return []
    return [(str(parent), name, False), *_above(parent, name, _GENERIC_LEVELS)]


def _personal(folder: Path) -> bool:
    """Whether ``folder`` is a user's own folder ("C:\\Users\\alice", "/home/alice": its parent
    is a ``profile_roots`` folder of ``catalog/names.toml``) or a profiles folder itself: its
    name is a person's, never a server's."""
    roots = _words("profile_roots")
    return bool(roots.match(folder.name) or (folder.name and roots.match(folder.parent.name)))


def _above(folder: Path, name: str, levels: int) -> list[tuple[str, str, bool]]:
    """The folders above ``folder`` (called ``name``) up to the nearest one that is not generic,
    within ``levels``, when ``name`` is generic; none when no such folder is that near, or when
    a user's own folder comes first (``~/Downloads``: the user's name names no server)."""
    chain: list[tuple[str, str, bool]] = []
    for above in folder.parents[: max(levels, 0)] if generic_folder(name) else ():
        if not above.name or _personal(above):
            break
        chain.append((str(above), above.name, False))
        if not generic_folder(above.name):
            return chain
    return []


def archive_of(folder: tuple[str, str, bool]) -> str | None:
    """The file name of the archive ``folder`` is (a :func:`folder_chain` entry: ``mz.zip``
    names its files ``mz`` as a folder would), None for a folder: what the warnings call it."""
    key, name, _given = folder
    last = re.split(r"[\\/]", key.rsplit("!", 1)[-1])[-1]
    return last if last != name and _archive_stem(last) == name else None


def _place(folder: tuple[str, str, bool]) -> str:
    """``folder 'PG1A'`` or ``archive 'mz.zip'``: how a warning names the place that named a
    host."""
    archive = archive_of(folder)
    return (
        warn("host_archive", archive=archive) if archive else warn("host_folder", folder=folder[1])
    )


def _archive_stem(name: str) -> str:
    low = name.lower()
    for suffix in _ARCHIVE_SUFFIXES:
        if low.endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclass
class HostIdentity:
    name: str
    aliases: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


@dataclass
class Identity:
    """The hosts found and which one wrote each input."""

    assigned: list[tuple[str, str]]  # per input: (host, why)
    hosts: dict[str, HostIdentity]
    warnings: list[str]
    keys: dict[str, str]  # every name's key -> host
    #: Inputs said to be another capture (one warning line each, which their readers' warnings
    #: join: see ``timeline.build``).
    aside: set[int] = field(default_factory=set)

    def host_for(self, name: str) -> str | None:
        """The host known by ``name`` (any of its names or addresses), or None."""
        return self.keys.get(name_key(name))


class _Component:
    __slots__ = ("machines", "roles")

    def __init__(self) -> None:
        self.machines: set[str] = set()
        self.roles: set[str] = set()


class _Graph:
    """Union-find over groups and names, refusing links between different servers."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.comp: dict[str, _Component] = {}

    def node(self, key: str) -> str:
        if key not in self.parent:
            self.parent[key] = key
            self.comp[key] = _Component()
        return key

    def find(self, key: str) -> str:
        self.node(key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def conflict(self, a: str, b: str) -> str | None:
        ca, cb = self.comp[self.find(a)], self.comp[self.find(b)]
        if ca.machines and cb.machines and not (ca.machines & cb.machines):
            return warn("conflict_computers")
        roles = ca.roles | cb.roles
        if "pg" in roles and "cvp" in roles:
            return warn("conflict_pim_cvp")
        return None

    def union(self, a: str, b: str, *, force: bool = False) -> str | None:
        """Link ``a`` and ``b``; returns why it was refused, or None."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if not force and (why := self.conflict(ra, rb)):
            return why
        self.parent[rb] = ra
        ca, cb = self.comp[ra], self.comp.pop(rb)
        ca.machines |= cb.machines
        ca.roles |= cb.roles
        return None


def _files_of(g: _Graph, group_of: list[str]) -> dict[str, list[int]]:
    """The inputs of each component that holds some (by root), in input order."""
    out: dict[str, list[int]] = {}
    for i, unit in enumerate(group_of):
        out.setdefault(g.find(unit), []).append(i)
    return out


def _names_of(g: _Graph) -> dict[str, list[str]]:
    """The names (keys) of each component that has some (by root)."""
    out: dict[str, list[str]] = {}
    for key in g.parent:
        if key.startswith("n:"):
            out.setdefault(g.find(key), []).append(key[2:])
    return out


def identify(clues: list[Clues], aliases: dict[str, str] | None = None) -> Identity:
    """Merge every clue into hosts and assign each input to one (see the module doc)."""
    aliases = {name_key(k): v for k, v in (aliases or {}).items()}
    warnings: list[str] = []
    original = clues
    clues, apart = _apart_from_their_folders(clues)
    clues, long_names = _netbios_names(clues)
    g = _Graph()

    # 1. Folder groups: the outermost folder of each file that holds one server's files.
    under: dict[str, list[int]] = {}
    for i, c in enumerate(clues):
        for key, _name, _given in c.folders:
            under.setdefault(key, []).append(i)
    _with_arguments_below(under, clues)
    versions = _version_folders(clues, under)

    def plain(folder: tuple[str, str, bool]) -> bool:
        """Whether ``folder`` names no host: a generic name, or a version number."""
        return folder[0] in versions or generic_folder(folder[1])

    # (Two meaningfully named folders side by side, PG1A/ and CVP1/, are two servers too.)
    single = {
        key: _one_server(clues[i] for i in idx) and _named_subfolders(key, idx, clues, plain) < 2
        for key, idx in under.items()
    }
    # Said only where it matters: a folder of one server would have named the file (once, at
    # the end, with the host it went to).
    outer = _outer_servers(clues, under, single)
    said = {i for i in apart if any(single.get(f[0]) or f[0] in outer for f in original[i].folders)}
    group_of: list[str] = []
    group_folder: dict[str, tuple[str, str, bool]] = {}
    for i, c in enumerate(clues):
        best = None
        for folder in c.folders:
            if not single[folder[0]]:
                break
            best = folder
        if best is None and c.folders and c.folders[0][0] in outer:
            best = c.folders[0]  # beside its server's own files, above the other's folder
        unit = f"g:{best[0]}" if best else f"f:{i}"
        if best:
            group_folder[unit] = best
        group_of.append(unit)
        comp = g.comp[g.find(g.node(unit))]
        comp.machines |= {name_key(m) for m in c.machines}
        if c.role:
            comp.roles.add(c.role)

    left = _named_apart_from_their_kind(clues, g, group_of, group_folder, plain)

    # Links refused: (place in warnings, what, name, why); worded once hosts have names.
    refused: list[tuple[int, str, str, str]] = []

    def link(unit: str, name: str, what: str) -> None:
        why = g.union(unit, "n:" + name_key(name))
        if why:
            refused.append((len(warnings), what, name, why))
            warnings.append(warn("host_link_refused", what=what, name=name, why=why))

    # 2. Links, strongest first.
    for alias, target in aliases.items():
        g.union("n:" + alias, "n:" + name_key(target), force=True)
    for short, longs in long_names.items():
        for long in longs:
            g.union("n:" + short, "n:" + name_key(long), force=True)
    for i, c in enumerate(clues):
        for m in c.machines:
            g.comp[g.find(g.node("n:" + name_key(m)))].machines.add(name_key(m))
            link(group_of[i], m, c.display)
    # The name a group's folder gives: the deepest meaningful folder all its files share
    # ("case-1/PG1A/{pim1.txt, perf/x.csv}" -> PG1A, not case-1), up to the group's own folder
    # (not "ACME case" above "ACME case/pg/", which holds the other server too).
    members: dict[str, list[int]] = {}
    folder_name: dict[str, str] = {}  # the name each group's folder gives its host
    for i, unit in enumerate(group_of):
        members.setdefault(unit, []).append(i)
    for unit, root_folder in sorted(group_folder.items()):
        chains = [clues[i].folders for i in members[unit]]
        shared = set.intersection(*({f[0] for f in ch} for ch in chains))
        own = chains[0][: [f[0] for f in chains[0]].index(root_folder[0]) + 1]
        folder = next(
            (f for f in own if f[0] in shared and not plain(f)),
            root_folder,
        )
        group_folder[unit] = folder
        if plain(folder):
            continue
        by = _folder_name(folder, chains[0])  # "PG1A logs" and "PG1A perfmon" are PG1A's
        written = {
            name_key(n)
            for i in members[unit]
            for n in [*clues[i].machines, clues[i].writer or "", *clues[i].names]
            if n and not is_address(n)
        }
        if _around(folder) and written and name_key(by) not in written:
            # A folder the user did not name, around what was named ("loghub/" of
            # "loghub/Thunderbird.log", beside other systems' logs), is no name of a server
            # its files name otherwise; it keeps together what it holds.
            if len(members[unit]) == 1:
                del group_folder[unit]
            continue
        folder_name[unit] = by
        link(unit, by, _place(folder))
        written_at = folder_address(without_copy_marks(folder[1]))  # "CVP2 (198.51.100.20)"
        if written_at is not None and name_key(written_at[0]) != name_key(by):
            link(unit, written_at[0], _place(folder))
    for i, c in enumerate(clues):
        for n in [c.writer, *c.names] if c.writer else c.names:
            link(group_of[i], n, c.display)
        for a in c.addresses:
            link(group_of[i], a, c.display)
    one_computer = _address_logs_join_their_computer(clues, g, group_of, under, single)
    vru = _vru_of(clues, g)
    relayed_cvp = _relayed_cvp_joins_the_cvp_host(clues, g, group_of, vru)
    # File names are the weakest clue, for files in no host's folder: a word that names a
    # known host ("PG1A_pim1.txt"), or that several such files share ("CALLSRV_perfmon.csv",
    # "CALLSRV_CVP.log"), links them; words that name a kind of file do not.
    loose = [i for i in range(len(clues)) if group_of[i].startswith("f:")]
    known = {k[2:] for k in g.parent if k.startswith("n:")}
    folder_named: dict[int, tuple[str, str, bool]] = {}
    # A file that names nobody, in a folder that holds more than one server's files (a stray
    # file of another machine was dropped in) but whose name is a host's ("CVP3/netsh.txt"
    # beside another server's perfmon), is that host's: the user named the folder after it.
    for i in loose:
        c = clues[i]
        if c.machines or c.writer or c.addresses:
            continue
        named_in = next((f for f in c.folders if not plain(f)), None)
        if named_in is None or name_key(folder_host(named_in[1])) not in known:
            continue
        # (refused quietly: a CVP log in the PG's folder is not the PG's, nor said to be)
        if g.union(group_of[i], "n:" + name_key(folder_host(named_in[1]))) is None:
            folder_named[i] = named_in
    words = {i: _name_words(clues[i]) for i in loose}
    sharing: dict[str, list[int]] = {}
    for i in loose:
        for w in words[i]:
            sharing.setdefault(w, []).append(i)
    for w, idx in sharing.items():  # words that are names already, first
        if w in known:
            for i in idx:
                g.union(group_of[i], "n:" + w)  # refused quietly on a conflict
    # Then the others, the words a file name starts with first (a host's name leads, "int" of
    # "PG1A_netsh_int_tcp.txt" follows): a later word finds the files already together.
    first_at = {w: min(words[i].index(w) for i in idx) for w, idx in sharing.items()}
    for w, idx in sorted(sharing.items(), key=lambda kv: first_at[kv[0]]):
        # A word names a host when it is a name already, or when the files that share it would
        # otherwise be apart and could be one server ("CALLSRV_CVP.log", whose sender is an
        # address, beside "CALLSRV_perfmon.csv" of machine CVPSRV02). A word shared across
        # two computers, or by a PIM and a CVP log, names a site or a date, not a host.
        roots = {g.find(group_of[i]) for i in idx}
        machines = set().union(*(g.comp[r].machines for r in roots))
        roles = set().union(*(g.comp[r].roles for r in roots))
        if w in known or len(machines) > 1 or {"pg", "cvp"} <= roles:
            continue
        # Files already together ("CVP4_CVP.log" and "CVP4_Error.log", one sender address)
        # take a word that names a server by its role and number and that each of their names
        # starts with, when nothing but an address or an ICM node names them: it is how the
        # user called that server ("CVP2.log" alone is a log's name, not a server's).
        if len(roots) < 2 and (
            machines
            or not _server_name().match(w)
            or not all(_leads(clues[i].filename, w) for i in idx)
        ):
            continue
        for i in idx:
            g.union(group_of[i], "n:" + w)  # refused quietly on a conflict
    # Files that name nobody and are no log, in a folder that names nobody either ("cvp/"
    # holding snapshots beside a perfmon CSV of several machines, whose parts it does not
    # hold), are placed as loose ones.
    names_now = _names_of(g)
    nameless = [
        i
        for unit, idx in members.items()
        if unit in group_folder and unit not in folder_name and not names_now.get(g.find(unit))
        if not any(clues[j].machines or clues[j].writer or clues[j].addresses for j in idx)
        and not any(clues[j].role for j in idx)
        for i in idx
    ]
    _led_as_placed_files(
        clues, g, group_of, {**words, **{i: _name_words(clues[i]) for i in nameless}}
    )
    _back_to_their_folder(left, g, group_of, group_folder)

    lone_machine = _lone_machine_joins_the_host_without_one(clues, g, group_of)
    for machine, server, logs in _machine_named_for_the_role_joins_its_logs(clues, g, group_of):
        files_said = [clues[i].display.rsplit("/", 1)[-1] for i in logs]
        more = len(files_said) - 3
        warnings.append(
            warn(
                "host_by_role_machine",
                machine=machine,
                role=server.upper(),
                logs=Joined(
                    files_said[:3] + ([f"+{more}"] if more > 0 else []), sep=", ", sep_ja="、"
                ),
            )
        )

    # 3. Components that hold files are hosts; orphans (no name, no folder) join by role.
    files_of = _files_of(g, group_of)
    names_of = _names_of(g)
    orphans = [r for r in files_of if not names_of.get(r)]
    named = [r for r in files_of if r not in orphans]
    orphan_reason: dict[str, str] = {}
    stand_in: dict[str | None, list[str]] = {}
    at_vru: dict[str, str] = {}  # orphan CVP logs placed by the address their PIM connects to
    vru_host: dict[str, str] = {}  # a host an orphan's VRU address made, with that reason
    # Logs first: where they go decides which hosts there are (the CVP the PIM connects to)
    # before a file without a role is placed; and each placement is seen by the next orphan
    # (a CVP log and the Error log beside it are one Call Server, not a host and an UNNAMED).
    for r in sorted(orphans, key=lambda r: not g.comp[r].roles):
        roles = g.comp[r].roles
        role = next(iter(roles)) if len(roles) == 1 else None
        found = _beside_snapshots(files_of[r], named, files_of, clues)
        if found is None and (found := _at_vru_address(role, vru, named, names_of, g, clues)):
            at_vru[r] = vru_host.get(found[0], found[1])
        found = found or _by_role(
            g,
            role,
            _may_be_vru(role, vru, named, names_of),
            names_of,
            unnamed=len(stand_in),
        )
        if found is not None:
            g.union(found[0], r, force=True)
            orphan_reason[r] = found[1]  # an orphan is one unit: its group or file
            files_of[found[0]] += files_of.pop(r)
        elif role == "cvp" and len(vru) == 1 and "n:" + vru[0] not in g.parent:
            # The one address the PIM logs connect to, which nothing else names: the CVP's.
            g.union("n:" + vru[0], r, force=True)
            at_vru[r] = warn("host_by_vru_address", pim=_pim_naming(vru[0], clues), address=vru[0])
            host = g.find(r)
            vru_host[host] = at_vru[r]
            named.append(host)
            names_of[host] = [vru[0]]
            files_of[host] = files_of.pop(r)
        else:  # one stand-in host per role for what nothing names (said in a warning below)
            stand_in.setdefault(role, []).append(r)
    beside = _beside_hosts(stand_in, named, files_of, clues)
    for units in stand_in.values():
        for r in units[1:]:
            g.union(units[0], r, force=True)
    # The VRU PIM address the CVP logs name: the PG's, when it is clear which PG that is.
    if _pim_address_joins_its_pg(clues, g, group_of) or at_vru:  # a host has a new name
        names_of = _names_of(g)
    files_of = _files_of(g, group_of)

    # 4. Names per host and the name it is shown by.
    spellings: dict[str, str] = {}
    for c in clues:
        folders = [folder_host(f[1]) for f in c.folders]
        for n in [*c.machines, *folders, *([c.writer] if c.writer else []), *c.names]:
            spellings.setdefault(name_key(n), n)
    for n in [*folder_name.values(), *(n for longs in long_names.values() for n in longs)]:
        spellings.setdefault(name_key(n), n)
    for target in aliases.values():
        spellings[name_key(target)] = target
    hosts: dict[str, HostIdentity] = {}
    shown: dict[str, str] = {}
    keys: dict[str, str] = {}
    taken: set[str] = set()
    unnamed: set[str] = set()  # hosts nothing names (shown as UNNAMED)
    for root in sorted(files_of, key=lambda r: min(files_of[r])):
        idx = files_of[root]
        name = _display(root, idx, clues, aliases, group_of, folder_name, g)
        full: list[str] = []
        if name is not None:
            folders = [folder_name[group_of[i]] for i in idx if group_of[i] in folder_name]
            name, full = _spelled(name, [clues[i] for i in idx], folders, [*aliases.values()])
        if name is None:
            unnamed.add(root)
            roles = g.comp[root].roles
            name = f"UNNAMED-{next(iter(roles)).upper()}" if len(roles) == 1 else "UNNAMED"
            warnings += _unknown_said(
                [clues[i].display for i in idx if i not in said and i not in beside], name
            )
        base, copy = name, 2
        while name_key(name) in taken:  # the number in the first label, which is the key
            first, dot, rest = base.partition(".")  # (of PG1A.example.com, of 192.0.2.16)
            name, copy = f"{first}-{copy}{dot}{rest}", copy + 1
        taken.add(name_key(name))
        shown[root] = name
        others = sorted(
            {spellings.get(k, k) for k in names_of.get(root, [])} - {name},
            key=lambda s: (is_address(s), s.upper()),
        )
        hosts[name] = HostIdentity(
            name=name,
            # A side's folder ("PG1/Side A") is no other name of a host its logs name.
            aliases=[
                o
                for o in others
                if not is_address(o) and name_key(o) != name_key(name) and not side_folder(o)
            ],
            addresses=[o for o in others if is_address(o)],
        )
        keys[name_key(name)] = name
        for k in names_of.get(root, []):
            keys.setdefault(k, name)
        if hosts[name].aliases:
            warnings.append(
                _merged_warning(name, hosts[name].aliases, idx, clues, group_of, group_folder)
            )
        # Its full DNS names are its names too, and no other server's: no warning for them.
        hosts[name].aliases += [f for f in full if f not in hosts[name].aliases]

    # A refused link names the host the name went to, when it is not that name itself
    # ('... names 192.0.2.9, which belongs to another host, CVP2').
    for at, what, link_name, because in refused:
        other = shown.get(g.find("n:" + name_key(link_name)))
        if other is not None and name_key(other) != name_key(link_name):
            warnings[at] = warn(
                "host_link_refused_to", what=what, name=link_name, why=because, host=other
            )
    for i, around in beside.items():
        hosts_there = [shown[g.find(r)] for r in around]
        # (a name that links a file: not an address, not one nothing names)
        linking = [shown[g.find(r)] for r in around if g.find(r) not in unnamed]
        example = next((n for n in linking if not is_address(n)), "HOST")
        reason = warn(
            "host_unknown_beside",
            hosts=", ".join(hosts_there),
            name=shown[g.find(group_of[i])],
            example=f"{example}_{clues[i].filename}",
        )
        warnings.append(warn("at_file", path=clues[i].display, reason=reason))

    # 5. Each input's host and the reason.
    assigned: list[tuple[str, str]] = []
    for i, c in enumerate(clues):
        root = g.find(group_of[i])
        host = shown[root]
        if root in unnamed:
            why: str = warn("host_by_nothing")
        elif group_of[i] in at_vru:
            why = at_vru[group_of[i]]
        elif i in folder_named and not (c.machines or c.writer or c.addresses):
            named_in = folder_named[i]
            archive = archive_of(named_in)
            why = (
                warn("host_by_archive_name", archive=archive, host=host)
                if archive
                else warn("host_by_folder_name", folder=named_in[1], host=host)
            )
        elif i in relayed_cvp:
            why = warn("host_by_relay_cvp", address=clues[i].writer, host=host)
        elif i in lone_machine:
            why = warn("host_by_lone_machine", machine=c.machines[0], host=host)
        elif i in one_computer and group_of[i] not in group_folder:
            key, name, given = one_computer[i]
            why = _folder_holds(name, given, host, key)
            if c.writer:
                why = warn("host_by_and", why=why, content=_named_in(c.reason, c.writer))
        else:
            why = _reason(c, host, group_of[i], group_folder, orphan_reason.get(group_of[i]), outer)
        assigned.append((host, why))
    warnings += [
        warn(
            "at_file",
            path=clues[i].display,
            reason=warn("another_capture", **apart[i], host=assigned[i][0], why=assigned[i][1]),
        )
        for i in sorted(said)
    ]
    return Identity(assigned=assigned, hosts=hosts, warnings=warnings, keys=keys, aside=said)


def _address_logs_join_their_computer(
    clues: list[Clues],
    g: _Graph,
    group_of: list[str],
    under: dict[str, list[int]],
    single: dict[str, bool],
) -> dict[int, tuple[str, str, bool]]:
    """Link each CVP log that names its server only by its sender address to the one computer
    the files around it name, and the files there that name nobody with it.

    The folder looked at is the nearest one around the log that does not hold one server's
    files by the folder rule (``CALLSRV/`` holding ``CVP.log`` beside the named sub-folders
    ``HostCounters/`` and ``HostReports/``). It must be named (not ``logs``, ``data``), hold the
    log directly or below folders that name nothing, and hold no PIM log (a PG's folder, or
    both servers' files flat: the address is the PG's peer), no other CVP sender (two CVP
    servers), exactly one computer name and no other host (a sub-folder named after another
    server). Nothing outside it may name the address (another host's systeminfo, a folder
    called by it). Returns, by input, the folder ``(key, name, named by the user)`` that
    placed it."""
    out: dict[int, tuple[str, str, bool]] = {}
    seen: set[str] = set()
    for c in clues:
        if c.role != "cvp" or c.machines or not c.writer or not is_address(c.writer):
            continue
        at = next((n for n, f in enumerate(c.folders) if not single[f[0]]), None)
        if at is None or c.folders[at][0] in seen:
            continue
        key, name, given = c.folders[at]
        seen.add(key)
        if generic_folder(name) or not all(generic_folder(f[1]) for f in c.folders[:at]):
            continue
        idx = set(under[key])
        address = name_key(c.writer)
        machines = {name_key(m) for j in idx for m in clues[j].machines}
        writers = {name_key(w) for j in idx if not clues[j].machines and (w := clues[j].writer)}
        if len(machines) != 1 or writers != {address} or any(clues[j].role == "pg" for j in idx):
            continue
        (machine,) = machines
        own = {g.find(g.node("n:" + address)), g.find(g.node("n:" + machine))}
        named = {g.find(k) for k in g.parent if k.startswith("n:")}
        if g.comp[g.find("n:" + address)].machines - {machine} or any(
            (j not in idx and g.find(group_of[j]) == g.find("n:" + address))
            or (j in idx and g.find(group_of[j]) in named - own)
            for j in range(len(clues))
        ):
            continue
        for j in sorted(idx):
            d = clues[j]
            if g.find(group_of[j]) in named - own or g.union(group_of[j], "n:" + machine):
                continue
            if d.role == "cvp" or not (d.machines or d.writer or d.addresses):
                out[j] = (key, name, given)
    return out


def _relayed_cvp_joins_the_cvp_host(
    clues: list[Clues], g: _Graph, group_of: list[str], vru: list[str]
) -> set[int]:
    """Join the CVP Call Server lines of a syslog server's file that name their server only by
    its address (no systeminfo lists it) to the bundle's one CVP host: the one host, other than
    a PG, with CVP logs of its own or "CVP" in a name, that has no address (another server's
    would be listed). When the bundle's PIM logs name the VRU they connect to (``vru``), only
    the lines of that address are the bundle's CVP (another sender is another Call Server).
    Nothing is joined when the lines name two addresses (of the ``vru``), or when no host or
    more than one is such a host. Returns the inputs joined."""
    lines = [
        i
        for i, c in enumerate(clues)
        if c.role == "cvp" and not c.folders and not c.filename and not c.machines
        if c.writer and is_address(c.writer) and (not vru or name_key(c.writer) in vru)
    ]
    roots = {g.find(group_of[i]) for i in lines}
    if len(roots) != 1:
        return set()
    (own,) = roots
    names = _names_of(g)
    if g.comp[own].machines or not all(is_address(n) for n in names.get(own, [])):
        return set()
    hosts = [
        r
        for r in {g.find(unit) for unit in group_of} - {own}
        if "pg" not in g.comp[r].roles
        and names.get(r)
        and not any(is_address(n) for n in names[r])
        and ("cvp" in g.comp[r].roles or any("cvp" in roles_named(n) for n in names[r]))
    ]
    if len(hosts) != 1 or g.union(own, hosts[0]) is not None:
        return set()
    return set(lines)


def _lone_machine_joins_the_host_without_one(
    clues: list[Clues], g: _Graph, group_of: list[str]
) -> set[int]:
    """Join the machine of a perfmon CSV of two machines that nothing else names to the
    bundle's one host with PIM or CVP logs and no computer name of its own, when the file's
    other machine is a host with logs (the collector's Data Collector Set with the peer's
    counters, or a relog of both servers' captures: the peer is the server the other logs are
    of). A part's folder never names it (``sources/perfmon_machines.py``), so without this the
    peer's counters and its logs would be two hosts. Nothing is joined when the file has other
    machines, when that other host is not the only one without a computer name, or when the
    machine's name has the other role's product word (``PG2A``'s counters to a CVP's logs).
    Returns the parts joined."""
    parts: dict[str, list[int]] = {}
    for i, c in enumerate(clues):
        if c.whole is not None and len(c.machines) == 1:
            parts.setdefault(c.whole, []).append(i)
    inputs = Counter(g.find(unit) for unit in group_of)
    roots = set(inputs)
    with_logs = {r for r in roots if g.comp[r].roles & {"pg", "cvp"}}
    bare = [r for r in with_logs if not g.comp[r].machines]
    if len(bare) != 1:
        return set()
    (host,) = bare
    joined: set[int] = set()
    for idx in parts.values():
        if len(idx) != 2:
            continue
        alone = [i for i in idx if inputs[g.find(group_of[i])] == 1]
        others = [g.find(group_of[i]) for i in idx if i not in alone]
        if len(alone) != 1 or len(others) != 1 or others[0] not in with_logs:
            continue
        (i,) = alone
        roles = g.comp[host].roles
        if len(roles) != 1 or roles_named(clues[i].machines[0]) - roles:
            continue
        if g.union(host, group_of[i]) is None:
            joined.add(i)
    return joined


def _machine_named_for_the_role_joins_its_logs(
    clues: list[Clues], g: _Graph, group_of: list[str]
) -> list[tuple[str, str, list[int]]]:
    """Join a computer that only perfmon or snapshots name (no logs, no address) to the logs of
    a PG or CVP that no computer name names but an address (a CVP's logs are known by the
    address they are sent from), when each is the only one of its kind in the bundle, the computer's name says
    that role (``CVP2``, ``CVPSRV02``: the product word in it, not the other's) and their
    times meet: both servers' files flat in one folder, the CVP's logs named as the product
    names them (``CVP.2013-04-15.log``) beside ``CVP2_perfmon.csv``. Returns each join: the
    computer's name, the role and the logs' inputs."""
    files = _files_of(g, group_of)
    names = _names_of(g)
    machine_only = [
        r
        for r in files
        if not g.comp[r].roles
        and g.comp[r].machines
        and not any(is_address(n) for n in names.get(r, []))
    ]
    joined: list[tuple[str, str, list[int]]] = []
    for role, other in (("cvp", "pg"), ("pg", "cvp")):
        # (roots only: a pass before may have joined some)
        bare = [
            r for r in files if r in g.comp and g.comp[r].roles == {role} and not g.comp[r].machines
        ]
        # The logs of one server known by the address they are sent from (logs that nothing
        # names at all are placed by role later, among them by a name that says the role).
        logs = [r for r in bare if names.get(r)]
        # ... and no other server of that role, at most one of the other (two PGs: the address
        # may be the other one's peer), nor another host whose name says the role (a folder
        # named after another CVP).
        # (Logs that name nobody are no other server: they are placed by role later, onto
        # these; a CVP log without the sender field beside those with it.)
        same = [
            r
            for r in files
            if r in g.comp
            and role in g.comp[r].roles
            and r not in logs
            and (names.get(r) or g.comp[r].machines)
        ]
        # (The other role's logs that name nobody, a CVP log and its Error log without the
        # sender field, are one server: they are placed by role later, together.)
        pair = [r for r in files if r in g.comp and other in g.comp[r].roles]
        named_pair = [r for r in pair if names.get(r) or g.comp[r].machines]
        pair = named_pair or pair[:1]
        like = [
            r
            for r in files
            if r in g.comp
            and r not in logs
            and any(role in roles_named(n) for n in names.get(r, []))
        ]
        said = [
            r
            for r in machine_only
            if r in g.comp and any(roles_named(m) == {role} for m in g.comp[r].machines)
        ]
        if len(logs) != 1 or same or len(pair) > 1 or len(said) != 1 or like != said:
            continue
        (machine,) = said
        theirs = [s for r in logs for i in files[r] if (s := clues[i].span) is not None]
        mine = [s for i in files[machine] if (s := clues[i].span) is not None]
        if theirs and mine and min(_gap(a, b) for a in theirs for b in mine) > _MEET:
            continue
        name = sorted(g.comp[machine].machines)[0]
        if all(g.union(machine, r) is None for r in logs):
            # (said of the logs alone: a report or snapshot in their folder is no log)
            said_logs = sorted(i for r in logs for i in files[r] if clues[i].role == role)
            joined.append((name, role, said_logs))
            machine_only.remove(machine)
    return joined


#: How far apart in time (local times, zones not known yet) a computer's files and the logs
#: of the server its name says may be and still be taken as one server's.
_MEET = timedelta(days=1)


def _vru_of(clues: list[Clues], g: _Graph) -> list[str]:
    """The keys of the addresses the bundle's PIM logs name as their VRU (each once, in
    order), but a PG's own (a PIM host's systeminfo lists it)."""
    out: list[str] = []
    for c in clues:
        for a in c.vru if c.role == "pg" else ():
            key = name_key(a)
            if "n:" + key in g.parent and "pg" in g.comp[g.find("n:" + key)].roles:
                continue
            if key not in out:
                out.append(key)
    return out


def _pim_address_joins_its_pg(clues: list[Clues], g: _Graph, group_of: list[str]) -> bool:
    """Give a PG host that no address names the address its CVP's logs name as their VRU
    PIM's (``Clues.pim``), which nothing else names, when it is clear which PG that is: the
    one whose PIM logs name one of that CVP host's addresses as their VRU, else the bundle's
    one PG when the CVP logs name that one PIM address only. (A folder named by the address
    gives it when the folder is given; a file given on its own has its address from its peer,
    so ``clock_skew.peers_of`` tells a site's sessions apart in every layout.) Whether a host
    took a name."""
    names_of = _names_of(g)
    roots = list(dict.fromkeys(g.find(u) for u in group_of))
    own = {r: {n for n in names_of.get(r, []) if is_address(n)} for r in roots}
    pgs = [r for r in roots if g.comp[r].roles == {"pg"}]
    bare = [r for r in pgs if names_of.get(r) and not own[r]]
    named_by: dict[str, set[str]] = {}  # a PIM address nothing names -> the CVP hosts naming it
    vru: dict[str, set[str]] = {}  # PG host -> the VRU addresses its PIM logs name
    for i, c in enumerate(clues):
        r = g.find(group_of[i])
        if c.role == "pg":
            vru.setdefault(r, set()).update(map(name_key, c.vru))
        for a in c.pim if c.role == "cvp" else ():
            if "n:" + name_key(a) not in g.parent:
                named_by.setdefault(name_key(a), set()).add(r)
    took = False
    for address, cvps in named_by.items():
        at = set().union(*(own[r] for r in cvps))
        theirs = [r for r in bare if vru.get(r, set()) & at]
        if not theirs and len(pgs) == len(bare) == len(named_by) == 1:
            theirs = bare
        if len(theirs) == 1 and g.union(theirs[0], "n:" + address) is None:
            bare.remove(theirs[0])
            took = True
    return took


def _pim_naming(address: str, clues: list[Clues]) -> str:
    """The first PIM log that names ``address`` as its VRU."""
    return next(c.display for c in clues if c.role == "pg" and address in map(name_key, c.vru))


def _at_vru_address(
    role: str | None,
    vru: list[str],
    named: list[str],
    names_of: dict[str, list[str]],
    g: _Graph,
    clues: list[Clues],
) -> tuple[str, str] | None:
    """The host of CVP logs that name nobody: the one host, no PG, known by an address the
    PIM logs connect to (its systeminfo lists it), else None."""
    if role != "cvp" or not vru:
        return None
    at = [
        (r, a)
        for r in named
        if "pg" not in g.comp[r].roles
        for a in vru
        if a in names_of.get(r, [])
    ]
    if len({r for r, _ in at}) != 1:
        return None
    root, address = at[0]
    return root, warn("host_by_vru_address_of", pim=_pim_naming(address, clues), address=address)


def _may_be_vru(
    role: str | None, vru: list[str], named: list[str], names_of: dict[str, list[str]]
) -> list[str]:
    """The ``named`` hosts CVP logs that name nobody may be: with the PIM logs' VRU known, no
    host known by addresses that are all others (another server's)."""
    if role != "cvp" or not vru:
        return named
    known = {r: [n for n in names_of.get(r, []) if is_address(n)] for r in named}
    return [r for r in named if not known[r] or set(known[r]) & set(vru)]


#: Files of one folder that nothing names, from which one warning says so for all of them.
UNKNOWN_GROUP = 5


def _unknown_said(displays: list[str], name: str) -> list[str]:
    """One warning per file of host ``name`` that nothing names (in the files' order), but one
    for :data:`UNKNOWN_GROUP` or more of them in one folder (a folder of other systems' logs)."""
    by_folder: dict[str, list[str]] = {}
    for d in displays:
        by_folder.setdefault(display_folder(d), []).append(d)
    out: list[str] = []
    for folder, same in by_folder.items():
        if len(same) < UNKNOWN_GROUP:
            out += [warn("at_file", path=d, reason=warn("host_unknown", name=name)) for d in same]
            continue
        first = same[0][len(folder) + 1 :] if folder else same[0]
        out.append(
            warn(
                "host_unknown_files", folder=folder or ".", count=len(same), first=first, name=name
            )
        )
    return out


def _apart_from_their_folders(
    clues: list[Clues],
) -> tuple[list[Clues], dict[int, dict[str, object]]]:
    """``clues`` with the folders taken from each file whose times are :data:`APART` from
    every PIM and CVP log that shares a folder with it: that file was captured elsewhere (another
    machine's perfmon dropped into a server's folder), so the folder says nothing about who
    wrote it and it must not name (or give its zone to) the folder's server. Its own names
    still place it. Also returns why (the fields of warning ``another_capture``), by the index of
    each such file."""
    logs = [c for c in clues if c.role and c.span and c.folders]
    out = list(clues)
    apart: dict[int, dict[str, object]] = {}
    for i, c in enumerate(clues):
        if c.role or not c.span or not c.folders:
            continue
        keys = {f[0] for f in c.folders}
        near = [d for d in logs if keys & {f[0] for f in d.folders}]
        if not near:
            continue
        gap = min(_gap(c.span, d.span) for d in near if d.span)
        if gap < APART:
            continue
        first, last = min(d.span[0] for d in near if d.span), max(d.span[1] for d in near if d.span)
        apart[i] = {
            "first": _day(c.span[0]),
            "last": _day(c.span[1]),
            "days": gap.days,
            "logs_first": _day(first),
            "logs_last": _day(last),
        }
        out[i] = dataclasses.replace(c, folders=[])
    return out, apart


#: How long a Windows computer's NetBIOS name is at most: a longer DNS host name
#: ("cvpcallserver01a.example.com", as event logs write it) is cut to this many characters for it
#: ("CVPCALLSERVER01", as perfmon and systeminfo write it). Microsoft, Computer Names:
#: https://learn.microsoft.com/en-us/windows/win32/sysinfo/computer-names
NETBIOS_LENGTH = 15


def _netbios_names(clues: list[Clues]) -> tuple[list[Clues], dict[str, list[str]]]:
    """``clues`` with each computer name longer than a NetBIOS name replaced by the NetBIOS
    name another file writes for it (its first :data:`NETBIOS_LENGTH` characters), so the one
    computer is one machine; and, by the key of each such NetBIOS name, the longer names it
    stands for (which stay its names)."""
    keys = {name_key(m): m for c in clues for m in c.machines if not is_address(m)}
    short = {k: m for k, m in keys.items() if len(k) == NETBIOS_LENGTH}
    twin = {
        k: short[k[:NETBIOS_LENGTH]]
        for k in keys
        if len(k) > NETBIOS_LENGTH and k[:NETBIOS_LENGTH] in short
    }
    if not twin:
        return clues, {}
    out = [
        dataclasses.replace(
            c, machines=list(dict.fromkeys(twin.get(name_key(m), m) for m in c.machines))
        )
        if any(name_key(m) in twin for m in c.machines)
        else c
        for c in clues
    ]
    longs: dict[str, list[str]] = {}
    for c in clues:
        for m in c.machines:
            if name_key(m) in twin:
                names = longs.setdefault(name_key(twin[name_key(m)]), [])
                if m not in names:
                    names.append(m)
    return out, longs


def _gap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> timedelta:
    """How far apart two spans of time are (zero when they overlap)."""
    return max(timedelta(0), max(a[0], b[0]) - min(a[1], b[1]))


def _day(t: datetime) -> str:
    return t.strftime("%Y-%m-%d")


def _named_apart_from_their_kind(
    clues: list[Clues],
    g: _Graph,
    group_of: list[str],
    group_folder: dict[str, tuple[str, str, bool]],
    plain: Callable[[tuple[str, str, bool]], bool],
) -> dict[int, tuple[str, tuple[str, str, bool]]]:
    """A file that names nobody, in a folder that names no server but what it holds
    ("config/", "trace/", "logs/": both servers' files sorted by kind, each named after its
    server), whose name starts with a name another file writes ("config/PG1A_netsh.txt"
    beside "config/CVP1_systeminfo.txt", the PG's perfmon writing ``\\\\PG1A``) or a word
    that starts the names of files in other folders too ("config/CALLSRV_netsh.txt" beside
    "logs/CALLSRV_CVP.log"), leaves that folder's group for one of its own (``group_of``),
    placed by its file name as a file in no host's folder is: the folder holds one kind of
    file, the file names tell the servers. Returns each such file's group and folder before
    (:func:`_back_to_their_folder`)."""
    written: set[str] = set()
    for c in clues:
        written |= {name_key(n) for n in [*c.machines, *c.names, *c.addresses] if n}
        if c.writer:
            written.add(name_key(c.writer))
    lead: dict[int, str] = {}
    units: dict[str, set[str]] = {}  # each leading word: the groups of the files it leads
    said: dict[str, set[str]] = {}  # ... and the computers and roles those files write
    for i, c in enumerate(clues):
        words = _name_words(c)
        if words and _leads(c.filename, words[0]):
            lead[i] = words[0]
            units.setdefault(words[0], set()).add(group_of[i])
            said.setdefault(words[0], set()).update(
                [*(f"m:{name_key(m)}" for m in c.machines), *([f"r:{c.role}"] if c.role else [])]
            )
    # A word that leads both servers' file names ("ACME_pim1.txt", "ACME_CVP.log") names a
    # site, not a server.
    server = {
        w
        for w, s in said.items()
        if sum(x.startswith("m:") for x in s) <= 1 and not {"r:pg", "r:cvp"} <= s
    }
    left: dict[int, tuple[str, tuple[str, str, bool]]] = {}
    for i, c in enumerate(clues):
        folder = group_folder.get(group_of[i])
        if folder is None or not plain(folder) or c.machines or c.writer or c.addresses:
            continue
        w = lead.get(i)
        if w in server and (w in written or len(units[w]) > 1):
            left[i] = (group_of[i], folder)
            group_of[i] = g.node(f"f:{i}")
            if c.role:
                g.comp[group_of[i]].roles.add(c.role)
    for unit, _folder in set(left.values()):  # (what the files that stay say of their roles)
        g.comp[g.find(unit)].roles = {
            r for j, u in enumerate(group_of) if u == unit and (r := clues[j].role)
        }
        if unit not in group_of:  # every file of it left
            del group_folder[unit]
    return left


def _back_to_their_folder(
    left: dict[int, tuple[str, tuple[str, str, bool]]],
    g: _Graph,
    group_of: list[str],
    group_folder: dict[str, tuple[str, str, bool]],
) -> None:
    """The files :func:`_named_apart_from_their_kind` took out of their folder's group that
    their file names placed nowhere (a site's word that leads both servers' file names) go
    back to it."""
    names = _names_of(g)
    for i, (unit, folder) in sorted(left.items()):
        if not names.get(g.find(group_of[i])):
            g.union(unit, group_of[i], force=True)
            group_of[i] = unit
            group_folder.setdefault(unit, folder)


def _led_as_placed_files(
    clues: list[Clues], g: _Graph, group_of: list[str], words: dict[int, list[str]]
) -> None:
    """Files in no host's folder that name nobody join the one host whose other files' names
    start with the same word, where a folder placed those ("cvp/CALLSRV_netsh.txt" beside
    "cvp/C$/Cisco/CVP/logs/CALLSRV_CVP.log", a folder of computer CVPSRV02's logs): the user
    called that server so. Not when the word leads files of several hosts (a site's or a
    ticket's word), nor for a file that names a computer. ``words``: the file-name words of
    the files to place (of a folder that names nobody: all its files, led by one word)."""
    lead: dict[str, set[str]] = {}
    for j, c in enumerate(clues):
        if group_of[j].startswith("f:") or j in words:
            continue
        tokens = _file_tokens(c.filename)
        if len(tokens) > 2:
            lead.setdefault(name_key(tokens[0]), set()).add(g.find(group_of[j]))
    led: dict[str, list[int]] = {}
    for i, ws in words.items():
        if ws and not clues[i].machines and _leads(clues[i].filename, ws[0]):
            led.setdefault(ws[0], []).append(i)
    units = Counter(group_of[i] for i in words)
    for w, idx in led.items():
        hosts = {g.find(r) for r in lead.get(w, ())}
        if len(hosts) == 1:
            target = next(iter(hosts))
            led_here = Counter(group_of[i] for i in idx)
            for unit in led_here:
                if led_here[unit] == units[unit]:  # (a folder's files: every one led by w)
                    g.union(target, unit)  # refused quietly on a conflict


def _address_pieces(filename: str) -> list[str]:
    """File name ``filename`` cut around the servers' IPv4 addresses it writes, each address a
    piece of its own ("192.0.2.16_pim1.txt": "", "192.0.2.16", "_pim1.txt"; a port after it,
    "_8000", goes with the address), every second piece an address."""
    out: list[str] = []
    at = 0
    for m in _FOLDER_ADDRESS.finditer(filename):
        if host_address(m.group(1)):
            out += [filename[at : m.start()], m.group(1)]
            at = m.end()
    return [*out, filename[at:]]


def _file_tokens(filename: str) -> list[str]:
    """The words of a file name: a server's address one word ("192.0.2.16" of
    "192.0.2.16_pim1.txt", as a collection script or a user names each server's files by its
    address), each other word a run of letters and digits."""
    pieces = _address_pieces(filename)
    out: list[str] = []
    for k, piece in enumerate(pieces):
        out += [piece] if k % 2 else [t for t in _TOKEN.split(piece) if t]
    return out


def _name_words(c: Clues) -> list[str]:
    """The words of a file name that may name a host (keys), in order; the extension (and a
    rotation number after it) is no word; a server's address is one (:func:`_file_tokens`)."""
    pieces = _address_pieces(c.filename)
    tail = re.sub(r"(\.[A-Za-z][A-Za-z0-9]{0,4})?(\.\d+)?$", "", pieces[-1])
    pieces[-1] = tail if tail or len(pieces) > 1 else pieces[-1]
    out: list[str] = []
    for k, piece in enumerate(pieces):
        if k % 2:
            if piece not in out:
                out.append(piece)
            continue
        for tok in _TOKEN.split(_NAME_STAMP.sub(" ", piece)):
            if len(tok) < 2 or not any(ch.isalpha() for ch in tok):
                continue
            if _words("file_words").match(tok) or generic_folder(tok):
                continue
            key = name_key(tok)
            if key not in out:
                out.append(key)
    return out


def _named_subfolders(
    key: str,
    idx: list[int],
    clues: list[Clues],
    plain: Callable[[tuple[str, str, bool]], bool],
) -> int:
    """How many folders directly below ``key`` with a meaningful name (not ``plain``) hold
    files."""
    below: set[str] = set()
    for i in idx:
        chain = clues[i].folders
        for n, (k, _name, _given) in enumerate(chain):
            if k == key and n > 0 and not plain(chain[n - 1]):
                below.add(chain[n - 1][0])
    return len(below)


def _version_folders(clues: list[Clues], under: dict[str, list[int]]) -> set[str]:
    """The folders named like an address ("11.6.1.2", "12.5.1.3") that are an install's or a
    release's version, not a server's address: those inside a folder whose files are one
    server's (a server's folder holds no other server's folder: "CVP3/11.6.1.2/",
    "Cisco/CVP/12.5.1.3/", "CVP3/11.6.1.2/" beside "CVP3/12.5.1.3/"). An address folder beside
    another server's files ("case/PG3A/" and "case/192.0.2.20/"), or given on the command line
    with nothing around it, stays the server's address."""
    out: set[str] = set()
    for c in clues:
        for n, (key, name, _given) in enumerate(c.folders[:-1]):
            if key not in out and _address_folder(name):
                parent = c.folders[n + 1][0]
                if _one_server(clues[i] for i in under[parent]):
                    out.add(key)
    return out


def _address_folder(name: str) -> bool:
    """Whether folder ``name`` names a server by its address alone ("198.51.100.24",
    "198.51.100.24_8000", "CVP 11.6.1.2" as a version reads)."""
    if host_address(name):
        return True
    return folder_address(name) is not None and host_address(folder_host(name))


def _with_arguments_below(under: dict[str, list[int]], clues: list[Clues]) -> None:
    """Count in each folder on disk above what the user named (``alice`` above ``alice/logs``)
    every input of the arguments below it, also those whose folders stop below it
    (``alice/PG1A`` beside ``alice/cvp logs``, a syslog server's lines): a folder that holds
    two servers' arguments is no one server's folder, as one holding their files is not.
    The machines' parts of a perfmon CSV or event log of several machines (``Clues.whole``)
    are not counted: the folder it sits in names none of them, and holds the collector's
    files, as it does when the folder itself is named (``192.0.2.16/DataCollector01.csv`` of
    the PG and the CVP beside the PG's logs, every file named on its own, is the PG's
    folder)."""
    disk = [k for k in under if "!" not in k and Path(k).is_absolute()]
    if not disk:
        return
    # (by argument, compared as strings: thousands of files named one by one stay quick)
    by_place: dict[str, list[int]] = {}
    for i, c in enumerate(clues):
        if c.place and c.whole is None:
            by_place.setdefault(c.place, []).append(i)
    for key in disk:
        have = set(under[key])
        inside = key.rstrip(os.sep) + os.sep
        under[key] += [
            i
            for place, idx in by_place.items()
            if place == key or place.startswith(inside)
            for i in idx
            if i not in have
        ]


def _outer_servers(
    clues: list[Clues], under: dict[str, list[int]], single: dict[str, bool]
) -> set[str]:
    """The folders that are one server's though another server's folder sits below them
    (``PGSIDE_A/`` holding the PG's files and ``PGSIDE_A/CALLSRV/`` the CVP's, ``logs/`` and
    ``logs/CVP/``, the other way round, or a level down: ``ticket/PG1A/CVP1/``): the files
    directly in such a folder are one server's and hold its own PIM or CVP log, while what is
    below it is more than one server's. Those files are that folder's server's, and the
    folder is named after it, not after the folder below (which stays its own server's). A
    folder whose own files are both servers' (flat), or only files that name nobody (beside
    ``PG1A/`` and ``CVP1/``: a case folder's stray ``netsh``), is not one."""
    direct: dict[str, list[int]] = {}
    for i, c in enumerate(clues):
        if c.folders and c.folders[0][0] in under and not single[c.folders[0][0]]:
            direct.setdefault(c.folders[0][0], []).append(i)
    return {
        key
        for key, idx in direct.items()
        if len(idx) < len(under[key])
        and not _one_server(clues[i] for i in under[key])
        and any(clues[i].role for i in idx)
        and _one_server(clues[i] for i in idx)
    }


def _one_server(files: Iterable[Clues]) -> bool:
    machines: set[str] = set()
    writers: set[str] = set()
    roles: set[str] = set()
    for c in files:
        machines |= {name_key(m) for m in c.machines}
        if c.writer and c.kind in ("icm_dumplog", "cvp_log", "ciscolog"):
            writers.add(c.kind + ":" + name_key(c.writer))
        if c.role:
            roles.add(c.role)
    per_kind = {w.split(":", 1)[0] for w in writers}
    return len(machines) <= 1 and len(per_kind) == len(writers) and len(roles) <= 1


def _beside_snapshots(
    idx: list[int], named: list[str], files_of: dict[str, list[int]], clues: list[Clues]
) -> tuple[str, str] | None:
    """The host of configuration snapshots that name nobody (``netsh``, ``ndis.sys`` version):
    the one named host with other snapshots in the same folder (``systeminfo.txt`` of CVP1
    beside them in a flat folder: collected together), else None. A host whose snapshot there
    states the same settings has its own (``CVP1_netsh_int_tcp_show_global.txt`` beside
    ``netsh_int_tcp_show_global.txt``: both servers' files in one folder, the second copy
    renamed by the user): these are another server's, the one other host in that folder when
    it has no such snapshot."""
    if not all(clues[i].kind == "config_snapshot" and clues[i].folders for i in idx):
        return None
    here = {clues[i].folders[0][0] for i in idx}
    stated = {k for i in idx for k in clues[i].settings}

    def there(j: int, *, same: bool = False) -> bool:
        c = clues[j]
        return (
            c.kind == "config_snapshot"
            and bool(c.folders)
            and c.folders[0][0] in here
            and (not same or bool(stated & set(c.settings)))
        )

    beside = [r for r in named if any(there(j) for j in files_of[r])]
    own = [r for r in beside if any(there(j, same=True) for j in files_of[r])]
    if len(beside) == 1 and not own:
        return beside[0], warn("host_only_snapshots")
    if not own:
        return None
    rest = [
        r
        for r in named
        if r not in own
        and any(clues[j].folders[:1] and clues[j].folders[0][0] in here for j in files_of[r])
    ]
    if len(rest) != 1 or any(stated & set(clues[j].settings) for j in files_of[rest[0]]):
        return None
    return rest[0], warn("host_only_without_snapshot")


def _beside_hosts(
    stand_in: dict[str | None, list[str]],
    named: list[str],
    files_of: dict[str, list[int]],
    clues: list[Clues],
) -> dict[int, list[str]]:
    """Of the files no host was found for that hold no log (``stand_in[None]``: a ``netsh``
    or ``ndis.sys`` snapshot), those whose folder holds the files of two hosts or more (both
    servers' files flat in one folder), with those hosts (roots, in the bundle's order): such a
    file may be either server's, so it is given to none. Not when :data:`UNKNOWN_GROUP` or more
    of them share a folder."""
    hosts = [*named, *(units[0] for role, units in stand_in.items() if role is not None)]
    folder_of = {i: c.folders[0][0] for i, c in enumerate(clues) if c.folders}
    folders = {h: {folder_of[j] for j in files_of[h] if j in folder_of} for h in hosts}
    out: dict[int, list[str]] = {}
    for r in stand_in.get(None, []):
        for i in files_of[r]:
            if i not in folder_of:
                continue
            there = [h for h in hosts if folder_of[i] in folders[h]]
            if len(there) > 1:
                out[i] = sorted(there, key=lambda h: min(files_of[h]))
    # Many in one folder are rather other systems' files: said once (``_unknown_said``).
    count: dict[str, int] = {}
    for i in out:
        count[folder_of[i]] = count.get(folder_of[i], 0) + 1
    return {i: around for i, around in out.items() if count[folder_of[i]] < UNKNOWN_GROUP}


def _by_role(
    g: _Graph,
    role: str | None,
    named: list[str],
    names_of: dict[str, list[str]],
    *,
    unnamed: int = 0,
) -> tuple[str, str] | None:
    """Where a file that names no host and sits in no host's folder most likely belongs
    (``unnamed``: how many hosts nothing names there are already, which ``named`` leaves out:
    with one, a lone named host is not the only host)."""
    if role:
        same = [r for r in named if role in g.comp[r].roles]
        if len(same) == 1:
            return same[0], warn("host_only_role_logs", role=role.upper())
        like = [r for r in named if any(role.upper() in n for n in names_of.get(r, []))]
        if len(like) == 1:
            return like[0], warn("host_only_named_like", role=role.upper())
        free = [r for r in named if not g.comp[r].roles]
        if len(free) == 1:
            return free[0], warn("host_only_without_logs")
    if len(named) == 1 and not unnamed and not (role and g.comp[named[0]].roles - {role}):
        return named[0], warn("host_only_one")
    return None


def _display(
    root: str,
    idx: list[int],
    clues: list[Clues],
    aliases: dict[str, str],
    group_of: list[str],
    folder_name: dict[str, str],
    g: _Graph,
) -> str | None:
    names = {k[2:] for k in g.parent if k.startswith("n:") and g.find(k) == root}
    for target in aliases.values():
        if name_key(target) in names:
            return target
    for kind in _MACHINE_KINDS:
        for i in idx:
            if clues[i].kind == kind and clues[i].machines:
                return clues[i].machines[0]
    for i in idx:
        if clues[i].machines:
            return clues[i].machines[0]
    named = [folder_name[group_of[i]] for i in idx if group_of[i] in folder_name]
    for n in named:
        if not side_folder(n) and not is_address(n):
            return n
    for i in idx:
        if clues[i].writer and not is_address(clues[i].writer or ""):
            return clues[i].writer
    named = [n for n in named if not is_address(n)] + [n for n in named if is_address(n)]
    if named and not is_address(named[0]):  # "PG1 Side A" when its ICM node is not known
        return named[0]
    word = _file_name_word(idx, clues, names, server=True)  # "CVP4_CVP.log", over its sender
    if word is not None:
        return word
    if named:  # a folder named by the server's address ("198.51.100.24_8000")
        return named[0]
    for i in idx:
        if clues[i].writer:
            return clues[i].writer
    for i in idx:
        if clues[i].addresses:
            return clues[i].addresses[0]
    for n in sorted(names):  # the address of the VRU a PIM log connects to
        if is_address(n):
            return n
    # Only file-name words: the first one of the first file that has one.
    return _file_name_word(idx, clues, names)


def _spelled(
    name: str, files: list[Clues], folders: list[str], targets: list[str]
) -> tuple[str, list[str]]:
    """The host shown as ``name`` (by :func:`_display`), spelt as the strongest clue that
    writes it spells it (of its ``files``, the names its ``folders`` give, the ``--host-alias``
    ``targets``), and its full DNS names. Names are one when they differ only in case
    or a DNS name's domain ("pg4a.example.com" is PG4A): the host is shown by the short name,
    spelt as a ``--host-alias`` target, else a computer name (perfmon, ``systeminfo``), else
    its folder, else a word of its file names, else its logs (the ICM node ``pg4A``) spell
    it: the spelling most of the strongest kind of clue use, written short before the first
    label of a DNS name. Its full DNS names are listed besides (``aliases``). An address is
    shown as it is."""
    if is_address(name):
        return name, []
    key = name_key(name)
    found: list[tuple[tuple[int, int], str]] = [((0, 0), t) for t in targets]
    found += [((2, 0), f) for f in folders]
    for c in files:
        rank = _MACHINE_KINDS.index(c.kind) if c.kind in _MACHINE_KINDS else len(_MACHINE_KINDS)
        found += [((1, rank), m) for m in c.machines]
        found += [((3, 0), t) for t in _TOKEN.split(c.filename) if t]
        found += [((4, 0), n) for n in [*([c.writer] if c.writer else []), *c.names]]
    same = sorted((rank, n) for rank, n in found if not is_address(n) and name_key(n) == key)
    full = [n for _, n in same if "." in n.strip(".")]
    # Of one kind of clue, a name written short is spelt as the server calls itself (systeminfo
    # "CVP3" over perfmon "\\cvp3.example.com"), a DNS name's first label otherwise.
    short = [((r[0], n in full, r[1]), n.split(".", 1)[0] if n in full else n) for r, n in same]
    best = min((rank for rank, _ in short), default=None)
    spelt = Counter(n for rank, n in short if rank == best).most_common(1)
    shown = spelt[0][0] if spelt else name
    once: dict[str, str] = {}  # each DNS name once, as the strongest clue spells it
    for f in full:
        once.setdefault(f.upper(), f)
    return shown, list(once.values())


def _leads(filename: str, word: str) -> bool:
    """Whether file name ``filename`` starts with ``word`` (a key) and goes on after it
    ("CVP4_CVP.log" with "cvp4"; not "CVP4.log")."""
    tokens = _file_tokens(filename)
    return len(tokens) > 2 and name_key(tokens[0]) == word


def _file_name_word(
    idx: list[int], clues: list[Clues], names: set[str], *, server: bool = False
) -> str | None:
    """The first word of the first file name among ``idx`` that is one of the host's
    ``names``, as the file name writes it (``server``: only a word that names a server by its
    role and number, "CVP4")."""
    for i in idx:
        for w in _name_words(clues[i]):
            if w in names and (not server or _server_name().match(w)):
                return next(t for t in _file_tokens(clues[i].filename) if name_key(t) == w)
    return None


def _reason(
    c: Clues,
    host: str,
    unit: str,
    group_folder: dict[str, tuple[str, str, bool]],
    orphan: str | None,
    outer: set[str],
) -> str:
    if c.machines:
        own = c.reason
        if any(name_key(m) == name_key(host) for m in c.machines):
            return own
        content: str = _named_in(own, c.machines[0])
    elif c.writer:
        content = _named_in(c.reason, c.writer)
    else:
        content = ""
    folder = group_folder.get(unit)
    if folder is not None:
        key, name, given = folder
        why = _folder_holds(name, given, host, key, outer=unit == f"g:{key}" and key in outer)
        return warn("host_by_and", why=why, content=content) if content else why
    if content and c.writer and name_key(c.writer) == name_key(host):
        return c.reason
    if content:
        return warn("host_another_name", content=content, host=host)
    if orphan:
        return orphan
    return warn("host_by_file_name", host=host)


def _around(folder: tuple[str, str, bool]) -> bool:
    """Whether ``folder`` is around what the user named (holding a file named on its own, or
    above a generic folder named), not named itself nor in the bundle: keyed on disk."""
    key, _name, given = folder
    return not given and bool(key) and "!" not in key and os.path.isabs(key)


def _named_in(reason: str, name: str) -> str:
    """``name`` as the reader found it (``reason``: ``systeminfo Host Name``)."""
    return warn("host_named_in", reason=reason, name=name)


def _folder_holds(name: str, given: bool, host: str, key: str = "", *, outer: bool = False) -> str:
    """Why a file is ``host``'s: folder ``name`` (named on the command line when ``given``;
    ``key``: where it is, a path on disk for a folder around what was named: above a generic
    folder named, or holding a file named on its own) holds only its files; its files beside
    the other server's folder are only its, when ``outer`` (see :func:`_outer_servers`)."""
    if given:
        how = warn("how_given")
    elif _around((key, name, given)):
        how = warn("how_around")
    else:
        how = warn("how_in_bundle")
    archive = archive_of((key, name, given)) if key else None
    if archive:
        return warn("host_by_archive", archive=archive, how=how, host=host)
    if outer:
        return warn("host_by_outer_folder", folder=name, how=how, host=host)
    return warn("host_by_folder", folder=name, how=how, host=host)


def _merged_warning(
    host: str,
    others: list[str],
    idx: list[int],
    clues: list[Clues],
    group_of: list[str],
    group_folder: dict[str, tuple[str, str, bool]],
) -> str:
    places = {group_folder[group_of[i]] for i in idx if group_of[i] in group_folder}
    folders = sorted({place[1] for place in places})
    archives = {archive_of(place) for place in places}
    if len(folders) != 1:
        why = warn("merged_by_names")
    elif len(archives) == 1 and (archive := archives.pop()):
        why = warn("merged_by_archive", archive=archive)
    else:
        why = warn("merged_by_folder", folder=folders[0])
    return warn("host_merged", host=host, others=", ".join(others), why=why)
