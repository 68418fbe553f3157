"""How readers read: one frozen :class:`ReadOptions` passed down the reader interface.

Nothing here is process-wide: two analyses running at once in threads each pass their own
options, and tests pass small piece sizes instead of patching module constants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from hbtriage.sources._prefilter import prefilter, required_literals
from hbtriage.sources.encoding import STREAM_BLOCK_BYTES, STREAM_MIN_BYTES

if TYPE_CHECKING:
    from hbtriage.catalog import LineFormat
    from hbtriage.counter_names import CounterIndex

#: Size of the pieces large line-oriented logs are read in.
CHUNK_BYTES = 16 * 1024 * 1024
#: Size of the blocks a perfmon file is parsed in (memory: one block at a time).
BLOCK_BYTES = 32 * 1024 * 1024
#: File size from which the compiled scanning core (:mod:`._scan`) reads a log. Loading the
#: kernels' machine code (numpy and llvmlite imported, the code loaded) costs 0.1-0.15 s and
#: ~25 MiB once per process (numba's import and cache cost 0.3-0.7 s and ~100 MiB before they
#: were kept as machine code). Measured on 2 cores, a bundle of a dumplog and a CVP log read
#: with the core and without: 32 MiB 0.72 against 0.78 s, 64 MiB 0.80 against 0.83 s, 128 MiB
#: 0.89 against 1.13 s (fastest of three; 256 MiB was the threshold before).
COMPILED_MIN_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Keep:
    """What a message must match to keep its text, for one reader kind."""

    full: str | None  # the regex (polars syntax); None: no signature applies, keep nothing
    pre: str | None  # plain alternatives every match contains (:mod:`._prefilter`), or None
    lines: str | None  # ``pre`` when it may be tried on single lines of a record
    #: The plain words ``lines`` is made of (case ignored), for the compiled core's search.
    literals: tuple[str, ...] = ()


#: :func:`keep_for`'s answers by pattern (a pure function, 20-50 ms on the bundled catalog's
#: patterns): worked out once per process, or given by :func:`known_keeps`.
_KEEPS: dict[str, Keep] = {}


def keep_for(pattern: str | None) -> Keep:
    """The :class:`Keep` of one signature regex (polars syntax)."""
    if not pattern:
        return Keep(None, None, None)
    got = _KEEPS.get(pattern)
    if got is None:
        got = _KEEPS.setdefault(pattern, _keep_for(pattern))
    return got


def known_keeps(keeps: Mapping[str, Keep]) -> None:
    """Take :func:`keep_for`'s answers worked out before (the bundled catalog's, kept in its
    cache by :mod:`hbtriage.catalog`)."""
    _KEEPS.update(keeps)


def _keep_for(pattern: str) -> Keep:
    pre = prefilter(pattern)
    lits = required_literals(pattern) if pre else None
    # Line by line only when no literal could straddle the ": " a reader inserts between a
    # CVP mnemonic and its text.
    if lits and not any(":" in w for w in lits):
        return Keep(pattern, pre, pre, tuple(sorted(lits)))
    return Keep(pattern, pre, None)


@dataclass(frozen=True)
class ReadOptions:
    """What a reader keeps and how big its pieces are.

    ``keep``: None keeps every message's text; one regex for every reader kind; or a regex per
    reader kind (see :meth:`hbtriage.catalog.Catalog.keep_patterns`; "*" stands for kinds not
    listed, None for "no signature applies: keep no text"). With ``keep`` set, records whose
    message no signature can match keep only a ``digest`` of it (see ``_lines.slim``).
    ``stream_block_bytes``/``stream_min_bytes``: block size, and the file size from which files
    that need decoding are decoded block by block (:class:`~.encoding.Utf8Stream`).
    ``lean``: whether record assembly may skip joining the messages nobody reads (tests compare
    both ways). ``fast_paths``: whether lines of a reader's usual layout are cut at fixed places
    instead of running its full regex (tests compare both). ``formats``: log formats declared
    in the catalog, sniffed after the built-in readers and before the generic one.
    ``compiled``: whether logs of at least ``compiled_min_bytes`` have the lines of their usual
    layouts converted by the compiled scanning core (:mod:`._scan`) when numba works here, not
    by polars expressions (tests compare both; the results are the same).
    ``counters``: the counter names the perfmon reader keeps (None: the bundled
    ``counters.toml``). ``defer_digests``: a reader may leave out the records' ``digest``
    (only a stream of several files that overlap in time needs it) and give a way to work it
    out later (``ReadResult.digests``, which reads the file again): the file must still be
    there when the timeline is built. ``read_ahead``: a log the core reads has its next piece
    read and split on another core while the reader assembles the current one (faster when
    no other file is being read, one more piece in memory; see ``_lines._ahead``).
    ``progress``: told, as a large file is read, how many of its bytes have been worked through
    so far (from the reading thread; it must be cheap and must not raise), so a run can show
    progress inside a file of gigabytes, not only when it is done."""

    keep: Mapping[str, str | None] | str | None = None
    chunk_bytes: int = CHUNK_BYTES
    block_bytes: int = BLOCK_BYTES
    stream_block_bytes: int = STREAM_BLOCK_BYTES
    stream_min_bytes: int = STREAM_MIN_BYTES
    lean: bool = True
    fast_paths: bool = True
    compiled: bool = True
    compiled_min_bytes: int = COMPILED_MIN_BYTES
    counters: CounterIndex | None = field(default=None, compare=False)
    formats: tuple[LineFormat, ...] = ()
    defer_digests: bool = False
    read_ahead: bool = False
    progress: Callable[[int], None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("chunk_bytes", "block_bytes", "stream_block_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"ReadOptions.{name} must be a positive number of bytes")

    @cached_property
    def _compiled(self) -> dict[str, Keep] | None:
        if self.keep is None:
            return None
        if isinstance(self.keep, str):
            return {"*": keep_for(self.keep)}
        return {kind: keep_for(p) for kind, p in self.keep.items()}

    @property
    def slimming(self) -> bool:
        """True when message text is kept only where a signature can match."""
        return self.keep is not None

    def keep_of(self, kind: str) -> Keep | None:
        """The :class:`Keep` of reader ``kind`` (None: keep every message)."""
        compiled = self._compiled
        if compiled is None:
            return None
        return compiled.get(kind) or compiled.get("*") or Keep(None, None, None)


#: Keep every message, default piece sizes: what a reader does when nobody says otherwise.
DEFAULT = ReadOptions()
