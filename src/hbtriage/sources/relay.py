"""A syslog server's file that collects several servers' feeds, one stream per sender.

A site's syslog server (rsyslog, syslog-ng, Kiwi) writes what the PG's and the CVP Call
Server's Cisco Log feeds send, and often what switches and other servers send, into one file,
each line behind the server's own stamp and the sender's name or address
(``_lines.SYSLOG_RELAY``)::

    Mar 31 00:36:57 198.51.100.7 121: PG1A: Mar 30 2013 19:36:57.328 -0500: %ICM_PG_PIM: ...
    Mar 31 00:36:57 198.51.100.10 204: 198.51.100.10: Mar 30 2013 19:36:57.033 -0500: %CVP_...
    Mar 31 00:36:58 192.0.2.1 %LINK-3-UPDOWN: Interface Gi0/1, changed state to down

Each line belongs to the sender its Cisco Log HOST field names (one stream per host, compared
as host names are: case ignored, a DNS name by its first label), when its application is one
hbtriage reads (``%ICM_...``, ``%CVP_...``); lines without the server's prefix continue the
line above. :func:`split` writes each such sender's lines into a file of its own, and each
file is then read by the reader its lines call for (Cisco Log for a PG, CVP for a Call
Server), as if the sender's feed had been collected alone; :meth:`Split.renumber` gives its
records (and warnings) back the line numbers they have in the server's file. The names the server wrote for a sender (its sender field) go
with its stream (``InputFile.senders``) when no other sender's lines carry them; the folder
the file sits in is the server's, and names no host. Lines of senders hbtriage does not read
(a switch, the server's own messages) are left out, with one warning.

Splitting takes a first pass over the file that finds each line's sender and writes nothing:
a file with one sender and nothing else is then read where it is. Else a second pass writes
each sender's lines (and no other line: a reader's work grows with the lines it is given, not
with the file's) into a private temporary folder, removed after reading.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from hbtriage.errors import InputError
from hbtriage.sources import _lines as L
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import ReadOptions
from hbtriage.warning_text import Worded, warn

if TYPE_CHECKING:
    import numpy as np

#: Share of a file's first lines behind a syslog server's prefix that makes it a server's file.
MIN_SHARE = 0.5
#: Senders kept as streams of their own; lines of more are left out with the unknown ones.
MAX_SENDERS = 64
#: A line behind a syslog server's prefix: its stamp and the sender field.
_PREFIXED = rf"^{L.SYSLOG_RELAY}"
#: A line as a syslog server writes a Cisco Log line of an application hbtriage reads
#: (ICM/UCCE processes and CVP): the server's stamp, the sender field, then the line's
#: sequence number, its HOST field, its stamp and ``%ICM``/``%CVP``. Such a line's sender
#: field is its prefix's second word and its HOST field what follows the first ": " after
#: it (see :func:`_fields`); these plain searches are an eighth of what capturing them takes.
_OURS = (
    rf"^{L.SYSLOG_RELAY_STAMP} \S+ (?:<[0-9]{{1,3}}>)?"
    r"[0-9]{1,18}: (?:[^\s:]+|\[[0-9A-Fa-f:.]+\]): "
    rf"\*?{L.MONTH_ABBR} +[0-9]{{1,2}} [0-9]{{4}} [0-9]{{1,2}}:[0-9]{{2}}:[0-9]{{2}}"
    r"(?:\.[0-9]{1,9})?(?: [+-][0-9]{2}:?[0-9]{2}| [A-Z]{2,5})?: %(?:ICM|CVP)"
)


def relayed(head: str) -> bool:
    """Whether the first lines of ``head`` are mostly behind a syslog server's prefix."""
    hits, n = L.head_share(head, f"^{L.SYSLOG_RELAY}")
    return hits > 0 and hits >= MIN_SHARE * n


def sender_key(name: str) -> str:
    """How senders are told apart: an address as written (lower case), a name by its first
    DNS label, case ignored."""
    n = name.strip("[]")
    try:
        return str(ipaddress.ip_address(n)).lower()
    except ValueError:
        return n.split(".", 1)[0].upper() if "." in n and not n.startswith(".") else n.upper()


#: Shares of a split file's progress (``ReadOptions.progress``): the first pass (finding each
#: line's sender) ends at ``FOUND``, the second (writing the senders' files) at ``READ_FROM``;
#: reading the senders' files (or the file itself, when it has one sender) takes the rest.
FOUND, READ_FROM = 0.1, 0.2


@dataclass
class _Found:
    """What the first pass found: the streams in the order they start (key -> index), the
    sender field's spellings of each, the streams each sender field was written for, the lines
    left out by sender field, and each piece's lines' stream index (-1: left out)."""

    index: dict[str, int] = field(default_factory=dict)
    spellings: list[Counter[str]] = field(default_factory=list)
    relay_of: dict[str, set[str]] = field(default_factory=dict)
    ignored: Counter[str] = field(default_factory=Counter)
    codes: list[np.ndarray] = field(default_factory=list)


@dataclass
class Split:
    """What :func:`split` made of a syslog server's file: one input per sender read, the
    warning about the lines left out (None when there were none), the folder of the senders'
    files (None when the file is read where it is), removed by :meth:`close`, and for each
    input the line number in the server's file of each of its lines (None: its own)."""

    items: list[InputFile]
    ignored: str | None = None
    folder: str | None = None
    lines: list[np.ndarray | None] = field(default_factory=list)

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def renumber(self, index: int, result: ReadResult) -> None:
        """Give what was read from input ``index`` the line numbers of the server's file."""
        lines = self.lines[index] if index < len(self.lines) else None
        if lines is None:
            return
        table = pl.Series("line", lines)
        if result.events is not None and result.events.height:
            own = result.events["line"]
            result.events = result.events.with_columns(table.gather(own - 1).alias("line"))
        for restart in result.restarts:
            n = restart.get("line")
            if isinstance(n, int) and 0 < n <= len(lines):
                restart["line"] = int(lines[n - 1])
        result.warnings = [_renumbered(w, lines) for w in result.warnings]


def _renumbered(said: str, lines: np.ndarray) -> str:
    if not isinstance(said, Worded) or said.id != "at_line":
        return said
    n = said.fields.get("line")
    if not isinstance(n, int) or not 0 < n <= len(lines):
        return said
    return warn("at_line", **{**said.fields, "line": int(lines[n - 1])})


def share(
    progress: Callable[[int], None] | None, size: int, lo: float, hi: float, total: int
) -> Callable[[int], None] | None:
    """``progress`` told ``done`` of ``total`` as the share ``lo``..``hi`` of ``size`` bytes."""
    if progress is None:
        return None
    span, whole = hi - lo, max(total, 1)
    return lambda done: progress(int(size * (lo + span * min(done, whole) / whole)))


def split(item: InputFile, encoding: str, options: ReadOptions) -> Split | None:
    """``item`` as one input per sender when it is a syslog server's file (see the module
    doc), else None (it is read as it is)."""
    if not relayed(read_head(item.path)[0]):
        return None
    first = dataclasses.replace(
        options, progress=share(options.progress, item.size, 0, FOUND, item.size)
    )
    found = _Found()
    carry: str | None = None
    for df, _unterminated, _before, _last in L.line_chunks(item.path, encoding, None, first):
        carry = _find(df, carry, found)
    if not found.index:
        return None
    keys = list(found.index)
    names = [sorted(r for r, ks in found.relay_of.items() if ks == {k}) for k in keys]
    if len(keys) == 1 and not found.ignored:
        return Split([dataclasses.replace(item, senders=names[0])])
    folder = tempfile.mkdtemp(prefix="hbtriage-relay-")
    try:
        paths = [os.path.join(folder, f"{i:03d}.log") for i in range(len(keys))]
        lines = _write(item, encoding, options, found, paths)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    items = [
        InputFile(
            display=f"{item.display} [{found.spellings[i].most_common(1)[0][0]}]",
            path=paths[i],
            size=os.path.getsize(paths[i]),
            senders=names[i],
            given_path=item.given_path,
        )
        for i in range(len(keys))
    ]
    said = None
    if found.ignored:
        ignored = found.ignored
        shown_senders = ", ".join(f"{r} ({n})" for r, n in ignored.most_common(5))
        more = len(ignored) - 5
        said = warn(
            "at_file",
            path=item.display,
            reason=warn(
                "relay_senders_ignored",
                lines=sum(ignored.values()),
                senders=shown_senders + (f", +{more}" if more > 0 else ""),
                count=len(ignored),
            ),
        )
    return Split(items, said, folder, list(lines))


def _write(
    item: InputFile, encoding: str, options: ReadOptions, found: _Found, paths: list[str]
) -> list[np.ndarray]:
    """The second pass: each stream's lines into its file (the pieces are the first pass's:
    same file, same options); the line numbers in ``item`` of each file's lines."""
    import numpy as np

    second = dataclasses.replace(
        options, progress=share(options.progress, item.size, FOUND, READ_FROM, item.size)
    )
    outs = [open(p, "wb") for p in paths]  # noqa: SIM115 (closed below)
    numbers: list[list[np.ndarray]] = [[] for _ in paths]
    try:
        pieces = L.line_chunks(item.path, encoding, None, second)
        for index, (df, _unterminated, before, _last) in enumerate(pieces):
            codes = found.codes[index] if index < len(found.codes) else None
            if codes is None or codes.size != df.height:
                raise InputError(item.display, None, "", reason=warn("relay_file_changed"))
            # Each stream's lines together, in order: one gather, one join per stream.
            order = np.argsort(codes, kind="stable")
            counts = np.bincount(codes + 1, minlength=len(paths) + 1)
            text = df["text"].gather(pl.Series(order))
            at = int(counts[0])  # the lines left out come first
            for k, out in enumerate(outs):
                n = int(counts[k + 1])
                if n:
                    out.write(text.slice(at, n).str.join("\n").item().encode("utf-8") + b"\n")
                    numbers[k].append(order[at : at + n] + (before + 1))
                at += n
    finally:
        for out in outs:
            out.close()
    return [np.concatenate(n) if n else np.zeros(0, np.int64) for n in numbers]


def _find(df: pl.DataFrame, carry: str | None, found: _Found) -> str | None:
    """Find the stream of each line of one piece (into ``found``); the stream of its last."""
    import numpy as np

    r, n, ours = _fields(df)
    names = n.filter(ours)
    keys = {v: sender_key(v) for v in names.unique().to_list()}
    own = names.replace_strict(keys, return_dtype=pl.Utf8) if keys else names
    # A line's stream: its sender's when it is one hbtriage reads; "\0" + the sender field for
    # another sender's; the line above's when it has no prefix (a message's next line).
    key = (
        pl.Series("k", [None] * df.height, dtype=pl.Utf8)
        .scatter(ours.arg_true(), own)
        .zip_with(ours | r.is_null(), "\0" + r)
        .fill_null(strategy="forward")
    )
    if carry is not None:
        key = key.fill_null(carry)
    key = key.fill_null("\0-")  # lines before the first with the server's prefix
    counts = key.value_counts()
    count_of = dict(zip(*counts.get_columns(), strict=True))
    code_of: dict[str, int] = {}
    for k in key.unique(maintain_order=True).to_list():  # streams in the order they start
        if k not in found.index and not k.startswith("\0") and len(found.index) < MAX_SENDERS:
            found.index[k] = len(found.index)
            found.spellings.append(Counter())
        if k in found.index:
            code_of[k] = found.index[k]
        else:
            found.ignored[k[1:] if k.startswith("\0") else k] += int(count_of[k])
    found.codes.append(
        key.replace_strict(code_of, default=-1, return_dtype=pl.Int8).to_numpy()
        if df.height
        else np.zeros(0, np.int8)
    )
    spelt = pl.DataFrame({"s": names, "k": own}).group_by("s", "k").len()
    for spelling, k, c in spelt.iter_rows():
        if k in found.index:
            found.spellings[found.index[k]][spelling] += c
    pairs = pl.DataFrame({"r": r.filter(ours), "k": own}).unique()
    for rv, k in pairs.iter_rows():
        found.relay_of.setdefault(rv, set()).add(k)
    last = key.tail(1).to_list()
    return str(last[0]) if last else carry


def _fields(df: pl.DataFrame) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Of each line of a line frame: its sender field (null: no server prefix), its Cisco Log
    HOST field (null: not a line of an application hbtriage reads), and whether it has one."""
    text = pl.col("text")
    # The server's stamp is ASCII: "Mmm dd hh:mm:ss" (a space at 3, 15 long) or RFC 3339
    # (no space), so the byte offset of the first space is its length in characters too.
    space = text.str.find(" ", literal=True)
    rest = text.str.slice(pl.when(space == 3).then(16).otherwise(space + 1))
    got = df.select(
        text.str.contains(_PREFIXED).alias("prefixed"),
        text.str.contains(_OURS).alias("ours"),
        rest.alias("rest"),
    ).select(
        pl.when("prefixed").then(pl.col("rest").str.splitn(" ", 2).struct.field("field_0")),
        # "sender [<PRI>]seq: HOST: ...": the sender field holds no space, the HOST field
        # (a name, or an address in brackets) no ": ".
        pl.when("ours").then(pl.col("rest").str.splitn(": ", 3).struct.field("field_1")),
        "ours",
    )
    r, n, ours = got.get_columns()
    return r, n, ours
