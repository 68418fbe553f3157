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
line above. :func:`split` writes each such sender's lines into a file of its own, the other
senders' lines left blank so that every line keeps its number, and each file is then read by
the reader its lines call for (Cisco Log for a PG, CVP for a Call Server), as if the sender's
feed had been collected alone. The names the server wrote for a sender (its sender field) go
with its stream (``InputFile.senders``) when no other sender's lines carry them; the folder
the file sits in is the server's, and names no host. Lines of senders hbtriage does not read
(a switch, the server's own messages) are left out, with one warning.

Splitting needs one pass over the file, written once more as the senders' files in a private
temporary folder, removed after reading. A file with one sender and nothing else is read
where it is.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

import polars as pl

from hbtriage.sources import _lines as L
from hbtriage.sources.base import InputFile
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import ReadOptions
from hbtriage.warning_text import warn

#: Share of a file's first lines behind a syslog server's prefix that makes it a server's file.
MIN_SHARE = 0.5
#: Senders kept as streams of their own; lines of more are left out with the unknown ones.
MAX_SENDERS = 64
#: Cisco Log applications whose lines hbtriage reads: ICM/UCCE processes and CVP.
_READ_APPS = r"^(?:ICM|CVP)"

#: A line as a syslog server writes it: its stamp, the sender field ``r``, then, for a Cisco
#: Log line, the HOST field ``n`` and the application ``app``.
_LINE = (
    rf"^{L.SYSLOG_RELAY_STAMP} (?P<r>\S+) (?:<[0-9]{{1,3}}>)?"
    r"(?:[0-9]{1,18}: (?P<n>[^\s:]+|\[[0-9A-Fa-f:.]+\]): "
    rf"\*?{L.MONTH_ABBR} +[0-9]{{1,2}} [0-9]{{4}} [0-9]{{1,2}}:[0-9]{{2}}:[0-9]{{2}}"
    r"(?:\.[0-9]{1,9})?(?: [+-][0-9]{2}:?[0-9]{2}| [A-Z]{2,5})?: "
    r"%(?P<app>[A-Za-z][A-Za-z0-9_]*))?"
)


def relayed(head: str) -> bool:
    """Whether the first lines of ``head`` are mostly behind a syslog server's prefix."""
    lines = L.head_lines(head)
    hits, n = L.share_matching(lines, f"^{L.SYSLOG_RELAY}")
    return hits > 0 and hits >= MIN_SHARE * n


def sender_key(name: str) -> str:
    """How senders are told apart: an address as written (lower case), a name by its first
    DNS label, case ignored."""
    n = name.strip("[]")
    try:
        return str(ipaddress.ip_address(n)).lower()
    except ValueError:
        return n.split(".", 1)[0].upper() if "." in n and not n.startswith(".") else n.upper()


@dataclass
class _Stream:
    """One sender's lines being written."""

    path: str
    out: IO[bytes]
    spellings: Counter[str] = field(default_factory=Counter)
    lines: int = 0


@dataclass
class Split:
    """What :func:`split` made of a syslog server's file: one input per sender read, the
    warning about the lines left out (None when there were none), and the folder of the
    senders' files (None when the file is read where it is), removed by :meth:`close`."""

    items: list[InputFile]
    ignored: str | None = None
    folder: str | None = None

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def split(item: InputFile, encoding: str, options: ReadOptions) -> Split | None:
    """``item`` as one input per sender when it is a syslog server's file (see the module
    doc), else None (it is read as it is)."""
    if not relayed(read_head(item.path)[0]):
        return None
    folder = tempfile.mkdtemp(prefix="hbtriage-relay-")
    streams: dict[str, _Stream] = {}
    relay_of: dict[str, set[str]] = {}  # sender field -> the streams it was written for
    ignored: Counter[str] = Counter()
    carry: str | None = None
    try:
        for df, _unterminated, before, _last in L.line_chunks(item.path, encoding, None, options):
            carry = _piece(df, before, carry, folder, streams, relay_of, ignored)
    except BaseException:
        for s in streams.values():
            s.out.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    for s in streams.values():
        s.out.close()
    if not streams:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    items: list[InputFile] = []
    alone = len(streams) == 1 and not ignored
    for key, s in streams.items():
        shown = s.spellings.most_common(1)[0][0]
        names = sorted(r for r, keys in relay_of.items() if keys == {key})
        if alone:
            items.append(dataclasses.replace(item, senders=names))
            continue
        items.append(
            InputFile(
                display=f"{item.display} [{shown}]",
                path=s.path,
                size=os.path.getsize(s.path),
                senders=names,
            )
        )
    if alone:
        shutil.rmtree(folder, ignore_errors=True)
        return Split(items)
    said = None
    if ignored:
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
    return Split(items, said, folder)


def _piece(
    df: pl.DataFrame,
    before: int,
    carry: str | None,
    folder: str,
    streams: dict[str, _Stream],
    relay_of: dict[str, set[str]],
    ignored: Counter[str],
) -> str | None:
    """Write one piece's lines into the senders' files; the sender of its last line."""
    g = df["text"].str.extract_groups(_LINE)
    r, n, app = (g.struct.field(f) for f in ("r", "n", "app"))
    ours = n.is_not_null() & app.str.contains(_READ_APPS).fill_null(False)
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
    for k in key.unique(maintain_order=True).to_list():  # streams in the order they start
        count = count_of[k]
        if k.startswith("\0") or (k not in streams and len(streams) >= MAX_SENDERS):
            ignored[k[1:] if k.startswith("\0") else k] += int(count)
        elif k not in streams:
            path = os.path.join(folder, f"{len(streams):03d}.log")
            streams[k] = _Stream(path, open(path, "wb"))  # noqa: SIM115 (closed by split)
            streams[k].out.write(b"\n" * before)
            streams[k].lines = before
    for k, s in streams.items():
        mine = key == k
        if mine.any():
            text = df["text"].zip_with(mine, pl.Series([""] * df.height, dtype=pl.Utf8))
            s.out.write(text.str.join("\n").item().encode("utf-8") + b"\n")
            s.spellings.update(names.filter(own == k).to_list())
        else:
            s.out.write(b"\n" * df.height)
        s.lines += df.height
    pairs = pl.DataFrame({"r": r.filter(ours), "k": own}).unique()
    for rv, k in pairs.iter_rows():
        relay_of.setdefault(rv, set()).add(k)
    last = key.tail(1).to_list()
    return str(last[0]) if last else carry
