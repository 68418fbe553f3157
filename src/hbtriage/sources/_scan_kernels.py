"""The compiled loops of :mod:`hbtriage.sources._scan` (numba; imported only through it).

Each kernel walks one piece of a log as raw bytes, once, with the GIL released: it finds the
line boundaries the way polars splits the same bytes (at LF, one CR before it dropped, a
leading UTF-8 BOM skipped on the first piece), and for each line decides whether it is in the
reader's usual fixed layout *and* simple enough to be converted here exactly as the polars
path would (a valid calendar date, a year the readers keep, hours below 24, ...). Such lines
get their typed fields; any other line is left to the reader's general path, which gives the
same result for it. Repeated strings (node-process tokens, CVP headers, zones, senders) are
interned per piece in a small open-addressing table: the caller decodes one representative of
each and maps the ids back.

Helpers called once per line or per byte are inlined (``inline="always"``): a compiled call
that takes an array costs its reference counts on every call (interning was 60 % of the CVP
kernel's time that way; inlined, the CVP and dumplog kernels take 0.8x the time). A kernel
itself is called once per piece and is not inlined into its entry (numba's inlining of the
Cisco Log kernel alone took a minute to compile).

Every kernel is an entry of :data:`ENTRIES` that fills arrays its caller made: numba compiles
them once per machine and :func:`export` keeps the machine code, which runs without numba
(see :mod:`._scan_native`); ``make`` compiles them at install time
(``_scan.main(["--warm"])``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir as _ir
from numba import carray, njit, types
from numba.core.extending import intrinsic
from numba.cpython.unsafe.numbers import trailing_zeros

from hbtriage.sources._scan_native import (
    HIGH_BYTE,
    MAX_IDS,
    MAX_LINE,
    SPACING_CARRY,
    TABLE,
    UNIT_SEPARATOR,
)
from hbtriage.sources._scan_native import SLOTS as _SLOTS

__all__ = ["ENTRIES", "MAX_IDS", "MAX_LINE", "TABLE", "export"]


def _load8_typed(typingctx, arr, idx):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The 8 bytes of the byte array ``arr`` from ``idx`` as one unsigned integer (the
    machine's byte order), in one unaligned load: numba leaves eight byte loads, shifts and ors
    as they are (the caller keeps ``idx + 8`` within the array)."""
    sig = types.uint64(arr, types.intp)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        a, i = args
        ary = context.make_array(signature.args[0])(context, builder, a)
        ptr = builder.gep(ary.data, [i])
        p64 = builder.bitcast(ptr, _ir.IntType(64).as_pointer())
        return builder.load(p64, align=1)

    return sig, codegen


#: (typed as Any: mypy takes numba's intrinsics for functions of their typing arguments)
_load8: Any = intrinsic(_load8_typed)
_ctz: Any = trailing_zeros


@njit(nogil=True, inline="always")
def _same(buf: np.ndarray, q: int, s: int, n: int, wide: bool) -> bool:  # pragma: no cover
    """Whether the ``n`` bytes at ``q`` and at ``s`` are the same: ``wide``, eight at a time
    (the last word overlapping the one before) and byte by byte under eight; else byte by
    byte. (Which is faster depends on the kernel it is inlined into, as compiled: words took
    the dumplog kernel from 30.5 to 25.5 ms on 64 MiB; the CVP kernel's headers first from
    37.5 to 45-60, then, with the kernels as they are now, from 38.5 to 32 ms: measure again
    after a change to a kernel.)"""
    if wide and n >= 8:
        k = 0
        while k + 8 < n:
            if _load8(buf, q + k) != _load8(buf, s + k):
                return False
            k += 8
        return _load8(buf, q + n - 8) == _load8(buf, s + n - 8)
    k = 0
    while k < n and buf[q + k] == buf[s + k]:
        k += 1
    return k == n


_MONTHS = np.array(
    [
        ord(c)
        for c in "JanFebMarAprMayJunJulAugSepOctNovDec"  # 3 bytes per month, in order
    ],
    dtype=np.uint8,
)
_MDAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

#: Years a reader keeps (``_lines.MIN_YEAR``..``MAX_YEAR``).
_MIN_YEAR, _MAX_YEAR = 1970, 2200


@njit(nogil=True, inline="always")
def _skip(buf: np.ndarray, first: int) -> int:  # pragma: no cover
    """3 when ``buf`` is a file's first piece (``first``) and starts with a UTF-8 BOM, else 0."""
    n = buf.size
    if first and n >= 3 and buf[0] == 0xEF and buf[1] == 0xBB and buf[2] == 0xBF:
        return 3
    return 0


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _line_count(buf: np.ndarray, first: int) -> int:  # pragma: no cover
    """How many lines :func:`_split` finds in ``buf``."""
    n = buf.size
    count = 0
    for i in range(n):
        count += buf[i] == 10  # no branch: the loop is vectorised
    tail = 1 if n > _skip(buf, first) and buf[n - 1] != 10 else 0
    return count + tail


@njit(nogil=True, inline="always")
def _pop(x: np.uint64) -> np.uint64:  # pragma: no cover
    """How many bits of ``x`` are set."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(nogil=True, inline="always")
def _each_end(
    m: np.uint64, base: int, ends: np.ndarray, k: int, cap: int
) -> int:  # pragma: no cover
    """The places of the LF bytes mask ``m`` flags (bit ``i``: byte ``base + i``) into
    ``ends`` from place ``k`` on, one by one; the count after them, -1 past ``cap``."""
    while m:
        if k >= cap:
            return -1
        ends[k] = base + _ctz(m)
        k += 1
        m &= m - np.uint64(1)
    return k


@njit(nogil=True, inline="always")
def _ends_of(
    m: np.uint64, base: int, ends: np.ndarray, k: int, cap: int
) -> int:  # pragma: no cover
    """:func:`_each_end`, the first two with no branch (most blocks of 64 bytes of a log hold
    none or one LF; a place past the count is taken by the next block's)."""
    if k + 2 > cap:
        return _each_end(m, base, ends, k, cap)
    c = _pop(m)
    ends[k] = base + _ctz(m)
    m &= m - np.uint64(1)
    ends[k + 1] = base + _ctz(m)
    m &= m - np.uint64(1)
    if c > 2:
        return _each_end(m, base, ends, k + 2, cap)
    return k + int(c)


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _split(
    buf: np.ndarray,
    first: int,
    starts: np.ndarray,
    ends: np.ndarray,
    info: np.ndarray,
    masks: np.ndarray,
) -> int:  # pragma: no cover
    """(start, end) byte offsets of every line of ``buf`` into ``starts`` and ``ends``, and
    how many lines there are; -1 when they hold fewer places than that (then what they hold is
    no result: the caller counts the lines first, :func:`_line_count`, and asks again). Lines
    end at LF, one CR before it (or at the end of an unterminated last line) is not part of
    the line, and a UTF-8 BOM at the start of the first piece is skipped.

    ``info[0]``: :data:`HIGH_BYTE` when ``buf`` holds a byte above 127, plus
    :data:`UNIT_SEPARATOR` when it holds a 0x1F byte (what decides whether the bytes go to
    polars' splitter as they are), found in the same pass over the words (a separate pass in
    Python, ``bytes.isascii`` and ``in``, held the GIL for 0.4 s of thread time per GB).

    Three passes, the first two a window of ``masks.size`` blocks of 64 bytes at a time (the
    masks stay in the cache): a mask per block, one bit per LF byte (found exactly, eight
    bytes at a time, with no branch: the compiler's vector code), with the bytes' classes;
    then each LF's place from the masks (:func:`_ends_of`: no branch per word, nor per line
    for most); then each line's start and end from the places, the CR before an LF dropped.
    0.55x the time of one pass that tested each word for an LF and went through the line ends
    it held (24.5 -> 14 ms on 64 MiB of PIM log, 26 -> 12.8 of CVP log)."""
    n = buf.size
    cap = starts.size
    info[0] = 0
    skip = _skip(buf, first)
    tail = 1 if n > skip and buf[n - 1] != 10 else 0
    full = n // 64  # whole blocks of 64 bytes
    room = masks.size
    m7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    lo = np.uint64(0x0101010101010101)
    hi = np.uint64(0x8080808080808080)
    lf = np.uint64(0x0A0A0A0A0A0A0A0A)
    us = np.uint64(0x1F1F1F1F1F1F1F1F)
    gather = np.uint64(0x0102040810204080)  # each byte's low bit to the top byte, in order
    w8 = buf[: full * 64].view(np.uint64)
    high = np.uint64(0)  # every byte's top bit, OR-ed
    sep = np.uint64(0)  # nonzero once a word held a 0x1F byte
    k = 0
    for b0 in range(0, full, room):
        cnt = min(room, full - b0)
        ww = w8[b0 * 8 : (b0 + cnt) * 8]
        for i in range(cnt):
            m = np.uint64(0)
            for j in range(8):
                v = ww[i * 8 + j]
                high |= v
                y = v ^ us
                sep |= (y - lo) & ~y & hi
                x = v ^ lf
                t = ~(((x & m7) + m7) | x | m7)  # 0x80 in each byte that is LF, exactly
                m |= ((t >> np.uint64(7)) * gather >> np.uint64(56)) << np.uint64(8 * j)
            masks[i] = m
        for i in range(cnt):
            k = _ends_of(masks[i], (b0 + i) * 64, ends, k, cap)
            if k < 0:
                return -1
    m = np.uint64(0)
    for i in range(full * 64, n):  # the last bytes, under 64
        c = buf[i]
        high |= np.uint64(c)
        if c == 31:
            sep = np.uint64(1)
        if c == 10:
            m |= np.uint64(1) << np.uint64(i - full * 64)
    k = _ends_of(m, full * 64, ends, k, cap)
    if k < 0 or k + tail > cap:
        return -1
    s = skip
    for i in range(k):
        e = ends[i]
        starts[i] = s
        ends[i] = e - 1 if (e > s and buf[e - 1] == 13) else e
        s = e + 1
    if tail:
        starts[k] = s
        ends[k] = n - 1 if buf[n - 1] == 13 else n
    info[0] = (HIGH_BYTE if high & hi else 0) + (UNIT_SEPARATOR if sep else 0)
    return k + tail


@njit(nogil=True, inline="always")
def _digit(b: int) -> bool:  # pragma: no cover
    return 48 <= b <= 57


@njit(nogil=True, inline="always")
def _num(buf: np.ndarray, s: int, n: int) -> int:  # pragma: no cover
    """The decimal number of ``n`` bytes at ``s`` (-1 unless all are ASCII digits)."""
    v = 0
    for i in range(s, s + n):
        b = buf[i]
        if b < 48 or b > 57:
            return -1
        v = v * 10 + (b - 48)
    return v


@njit(nogil=True, inline="always")
def _word(b: int) -> bool:  # pragma: no cover
    """[A-Za-z0-9_]"""
    return (48 <= b <= 57) or (65 <= b <= 90) or (97 <= b <= 122) or b == 95


@njit(nogil=True, inline="always")
def _alpha(b: int) -> bool:  # pragma: no cover
    return (65 <= b <= 90) or (97 <= b <= 122)


@njit(nogil=True, inline="always")
def _days(y: int, m: int, d: int) -> int:  # pragma: no cover
    """Days from 1970-01-01 to the proleptic Gregorian date (y, m, d)."""
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(nogil=True, inline="always")
def _valid_date(y: int, m: int, d: int) -> bool:  # pragma: no cover
    if y < _MIN_YEAR or y > _MAX_YEAR or m < 1 or m > 12 or d < 1:
        return False
    last = _MDAYS[m - 1]
    if m == 2 and (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        last = 29
    return d <= last


@njit(nogil=True, inline="always")
def _tod(buf: np.ndarray, s: int) -> int:  # pragma: no cover
    """Nanoseconds of "hh:mm:ss" at ``s`` (-1 when not a valid time of day)."""
    hh = _num(buf, s, 2)
    mm = _num(buf, s + 3, 2)
    ss = _num(buf, s + 6, 2)
    if hh < 0 or mm < 0 or ss < 0 or buf[s + 2] != 58 or buf[s + 5] != 58:
        return -1
    if hh > 23 or mm > 59 or ss > 59:
        return -1
    return ((hh * 60 + mm) * 60 + ss) * 1_000_000_000


#: One intern table: open-addressing slots, their hashes, the representatives' starts and
#: lengths, and (ids given, last id found).
_Table = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@njit(nogil=True, inline="always")
def _intern(buf: np.ndarray, s: int, n: int, table: _Table, wide: bool) -> int:  # pragma: no cover
    """The id of the bytes ``buf[s:s+n]`` in one intern table (-1 when the table is full).
    ``count[1:]`` holds the ids found last, newest first: consecutive lines mostly repeat one
    of a few (a CVP log's headers take turns), and comparing bytes (eight at a time,
    :func:`_same`) is cheaper than hashing them. The hash (FNV-1 on eight bytes at a time,
    its high bits folded in) only picks slots: ids are given in the order strings are first
    met. (Words loaded whole instead of byte by byte: the CVP kernel 85 -> 71 ns a line, the
    dumplog kernel 44 -> 39.)"""
    slots, hashes, rep_s, rep_n, count = table
    # The most recently met ids (count[1:]), newest first: lines mostly repeat one of a few.
    for r in range(1, count.size):
        cand = count[r]
        if cand < 0:
            break
        if rep_n[cand] == n and _same(buf, rep_s[cand], s, n, wide):
            for u in range(r, 1, -1):
                count[u] = count[u - 1]
            count[1] = cand
            return cand
    h = np.int64(1469598103934665603)
    i = s
    while i + 8 <= s + n:
        h = (h ^ np.int64(_load8(buf, i))) * 1099511628211
        i += 8
    while i < s + n:
        h = (h ^ buf[i]) * 1099511628211
        i += 1
    h ^= h >> 29
    mask = slots.size - 1
    j = h & mask
    while True:
        idx = slots[j]
        if idx < 0:
            new = count[0]
            if new >= rep_s.size:
                return -1
            count[0] = new + 1
            for u in range(count.size - 1, 1, -1):
                count[u] = count[u - 1]
            count[1] = new
            slots[j] = new
            hashes[j] = h
            rep_s[new] = s
            rep_n[new] = n
            return new
        if hashes[j] == h and rep_n[idx] == n and _same(buf, rep_s[idx], s, n, wide):
            for u in range(count.size - 1, 1, -1):
                count[u] = count[u - 1]
            count[1] = idx
            return idx
        j = (j + 1) & mask


@njit(nogil=True, inline="always")
def _tab(tb: np.ndarray, t: int) -> _Table:  # pragma: no cover
    """Intern table ``t`` of a kernel's table block ``tb`` (one row of :data:`TABLE` int64 per
    table, made by the caller: slots -1, ids given 0, the last ids found -1)."""
    row = tb[t]
    a = 2 * _SLOTS
    b = a + MAX_IDS
    c = b + MAX_IDS
    return row[:_SLOTS], row[_SLOTS:a], row[a:b], row[b:c], row[c : c + 5]


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _dumplog(buf, starts, ends, hit, tod, hlen, tok, trace, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    """ICM dumplog lines of the usual layout ``hh:mm:ss[:.]mmm node-proc ...``.

    Per line: ``hit`` (1: converted here), ``tod`` (time of day, ns), ``hlen`` (where the
    message starts), ``tok`` (id of the node-process token), ``trace`` (a "Trace:" follows);
    and the token table's representatives (start, length, count)."""
    m = starts.size
    toks = _tab(tb, 0)
    for i in range(m):
        s = starts[i]
        e = ends[i]
        if e - s < 15 or e - s > MAX_LINE:
            continue
        sep = buf[s + 8]
        if not (sep == 58 or sep == 46) or buf[s + 12] != 32:
            continue
        t = _tod(buf, s)
        ms = _num(buf, s + 9, 3)
        if t < 0 or ms < 0:
            continue
        # The token: printable ASCII from 13 to a space or the line end, split at its last
        # hyphen into node and process (at least one character after it).
        j = s + 13
        last_dash = -1
        while j < e and 33 <= buf[j] <= 126:
            if buf[j] == 45:
                last_dash = j
            j += 1
        if j < e and buf[j] != 32:
            continue
        if last_dash < 0 or last_dash >= j - 1:
            continue
        tid = _intern(buf, s + 13, j - s - 13, toks, True)
        if tid < 0:
            continue
        # What follows: " Trace: " (7 + the space), " Trace:" (6 + 1), " " (1) or nothing.
        skip = 0
        if j < e:
            skip = 1
            if (
                j + 7 <= e
                and buf[j + 1] == 84
                and buf[j + 2] == 114
                and buf[j + 3] == 97
                and buf[j + 4] == 99
                and buf[j + 5] == 101
                and buf[j + 6] == 58
            ):
                trace[i] = 1
                skip = 8 if (j + 7 < e and buf[j + 7] == 32) else 7
        hit[i] = 1
        tod[i] = t + ms * 1_000_000
        hlen[i] = j - s + skip
        tok[i] = tid
    return 0


@njit(nogil=True, inline="always")
def _cvp_body(buf: np.ndarray, p: int, e: int) -> tuple[int, int, int, int]:  # pragma: no cover
    """The CVP stamp and header at ``p``: ``Mon dd yyyy hh:mm:ss.mmm ±zzzz: %FAC-S-MNEM:``.

    Returns (local time ns, position of the header's colon, position of the header, -1 on no
    match / a value the polars path would not keep as is) with the time -1 when not converted."""
    if e - p < 38:
        return -1, -1, -1, -1
    mon = -1
    for k in range(12):
        if (
            buf[p] == _MONTHS[3 * k]
            and buf[p + 1] == _MONTHS[3 * k + 1]
            and buf[p + 2] == _MONTHS[3 * k + 2]
        ):
            mon = k + 1
            break
    if mon < 0 or buf[p + 3] != 32 or buf[p + 6] != 32 or buf[p + 11] != 32:
        return -1, -1, -1, -1
    day = _num(buf, p + 5, 1) if buf[p + 4] == 32 else _num(buf, p + 4, 2)
    year = _num(buf, p + 7, 4)
    if day < 0 or year < 0:
        return -1, -1, -1, -1
    t = _tod(buf, p + 12)
    if t < 0 or buf[p + 20] != 46 or buf[p + 24] != 32:
        return -1, -1, -1, -1
    ms = _num(buf, p + 21, 3)
    sign = buf[p + 25]
    if ms < 0 or not (sign == 43 or sign == 45) or _num(buf, p + 26, 4) < 0:
        return -1, -1, -1, -1
    if buf[p + 30] != 58 or buf[p + 31] != 32 or buf[p + 32] != 37 or not _alpha(buf[p + 33]):
        return -1, -1, -1, -1
    if not _valid_date(year, mon, day):
        return -1, -1, -1, -1
    j = p + 34
    while j < e and _word(buf[j]):
        j += 1
    if j + 3 >= e or buf[j] != 45 or not (48 <= buf[j + 1] <= 55) or buf[j + 2] != 45:
        return -1, -1, -1, -1
    j += 3
    k = j
    while k < e and _word(buf[k]):
        k += 1
    if k == j or k >= e or buf[k] != 58:
        return -1, -1, -1, -1
    ts = _days(year, mon, day) * 86_400_000_000_000 + t + ms * 1_000_000
    return ts, k, p + 33, 0


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _cvp(buf, starts, ends, hit, ts, hlen, zone, hdr, node, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    """CVP log lines of the usual layouts, with or without a ``seq: sender: `` prefix.

    Per line: ``hit`` (1: no prefix, 2: prefixed), ``ts`` (local time, ns), ``hlen`` (where
    the message starts), ``zone``, ``hdr`` and ``node`` ids (-1: none); and per table (zone,
    header "FAC-S-MNEM", sender) the representatives' starts and lengths."""
    m = starts.size
    zones, headers, senders = _tab(tb, 0), _tab(tb, 1), _tab(tb, 2)
    for i in range(m):
        s = starts[i]
        e = ends[i]
        if e - s > MAX_LINE or e - s < 38:
            continue
        p = s
        kind = 1
        nid = -1
        if _digit(buf[s]):
            # "digits: sender: " with a printable ASCII sender free of ':' (IPv6 in brackets,
            # ``<PRI>``, ``*`` take the general path).
            j = s
            while j < e and _digit(buf[j]):
                j += 1
            if j + 2 >= e or buf[j] != 58 or buf[j + 1] != 32:
                continue
            a = j + 2
            k = a
            while k < e and 33 <= buf[k] <= 126 and buf[k] != 58:
                k += 1
            if k == a or k + 1 >= e or buf[k] != 58 or buf[k + 1] != 32:
                continue
            nid = _intern(buf, a, k - a, senders, False)
            if nid < 0:
                continue
            p = k + 2
            kind = 2
        t, colon, h0, ok = _cvp_body(buf, p, e)
        if ok < 0:
            continue
        zid = _intern(buf, p + 25, 5, zones, False)
        hid = _intern(buf, h0, colon - h0, headers, True)
        if zid < 0 or hid < 0:
            continue
        sp = 1 if (colon + 1 < e and buf[colon + 1] == 32) else 0
        hit[i] = kind
        ts[i] = t
        hlen[i] = colon + 1 + sp - s
        zone[i] = zid
        hdr[i] = hid
        node[i] = nid
    return 0


@njit(nogil=True, inline="always")
def _literal_at(
    buf: np.ndarray,
    q: int,
    lits: np.ndarray,
    lit_at: np.ndarray,
    low: np.ndarray,
    cut: int,
    longer: bool,
) -> bool:  # pragma: no cover
    """Whether one of the literals (see :func:`_keep_flags`) starts at byte ``q``: of those
    longer than ``cut`` bytes (``longer``) or of the others."""
    n = buf.size
    for k in range(lit_at.size - 1):
        a = lit_at[k]
        w = lit_at[k + 1] - a
        if (w > cut) != longer or q + w > n:
            continue
        j = 0
        while j < w and low[buf[q + j]] == lits[a + j]:
            j += 1
        if j == w:
            return True
    return False


@njit(nogil=True, inline="always")
def _mark_at(
    q: int, starts: np.ndarray, ends: np.ndarray, out: np.ndarray
) -> int:  # pragma: no cover
    """The line byte ``q`` falls in (if any) marked 1; where the next line may begin (every
    byte before it is in a marked line or before ``q``)."""
    li = np.searchsorted(ends, q, side="right")
    if li < out.size and starts[li] <= q:
        out[li] = 1
        return int(max(q + 1, ends[li]))
    return q + 1


@njit(nogil=True, inline="always")
def _pair_hash(x: int, y: int) -> int:  # pragma: no cover
    """The slot of ``pairs`` (see :func:`_walk_hit`) for two lower-cased bytes."""
    return int(((np.int64(x) << 3) ^ np.int64(y)) & 255)


@njit(nogil=True, inline="always")
def _walk_hit(
    buf: np.ndarray,
    p: int,
    short: int,
    lits: np.ndarray,
    lit_at: np.ndarray,
    low: np.ndarray,
    cut: int,
    pairs: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover
    """The walk's window ends at ``p`` with a pair that ends some literal's first ``short``
    bytes: the line is marked when a literal longer than ``cut`` starts at the window.
    ``pairs[h]`` has bit ``k % 64`` set when literal ``k``'s pair there hashes to ``h``, so
    only those are compared (with every literal compared, the Cisco Log's words but ``link``
    and ``path`` were searched at 0.77 GB/s in the PIM log, with this 1.14 GB/s)."""
    q = p - short + 1
    nl = lit_at.size - 1
    bits = np.uint64(pairs[_pair_hash(low[buf[p - 1]], low[buf[p]])])
    one = np.uint64(1)
    b = 0
    while bits != 0:
        if bits & one:
            for k in range(b, nl, 64):
                a = lit_at[k]
                w = lit_at[k + 1] - a
                if w <= cut or q + w > buf.size:
                    continue
                j = 0
                while j < w and low[buf[q + j]] == lits[a + j]:
                    j += 1
                if j == w:
                    _mark_at(q, starts, ends, out)
                    return
        bits >>= one
        b += 1


@njit(nogil=True, inline="always")
def _block_hit(buf: np.ndarray, i0: int, fold: np.ndarray, slots: int, width: int) -> bool:
    """Whether one of the ``slots`` short literals in ``fold`` starts at one of the 64 bytes
    from ``i0`` (read up to ``i0 + 63 + width - 1``). ``slots`` and ``width`` are constants
    where it is inlined, so the loops over them unroll and LLVM vectorises the loop over the
    bytes (64 at a time on AVX-512): no branch, byte-wide flags, unsigned indices (a signed
    one is wrapped around, which turns the loads into gathers)."""
    acc = False
    for i in range(i0, i0 + 64):
        u = np.uint64(i)
        for s in range(slots):
            f = True
            for j in range(width):
                f = f & ((buf[u + np.uint64(j)] | fold[s * 8 + j]) == fold[32 + s * 8 + j])
            acc = acc | f
    return acc


@njit(nogil=True, inline="always")
def _short_walk(
    buf: np.ndarray,
    fold: np.ndarray,
    slots: int,
    width: int,
    lits: np.ndarray,
    lit_at: np.ndarray,
    low: np.ndarray,
    cut: int,
    starts: np.ndarray,
    ends: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover
    """The lines holding a literal of at most ``cut`` bytes marked 1: 64 bytes at a time by
    :func:`_block_hit`, a block with a hit (and the last bytes) byte by byte. The blocks
    without a hit are passed over in a loop of their own (in one loop with the branches for
    the others, it took twice the time: 33 -> 16 ms on 64 MiB of PIM log)."""
    n = buf.size
    i = 0
    while i < n:
        while i + 63 + width <= n and not _block_hit(buf, i, fold, slots, width):
            i += 64
        hi = n if i + 63 + width > n else i + 64
        while i < hi:  # once a line is marked, the rest of it is passed over
            if _literal_at(buf, i, lits, lit_at, low, cut, False):
                i = _mark_at(i, starts, ends, out)
            else:
                i += 1


#: The search's cost per byte, in ns, measured on the PIM log: Wu-Manber's walk about
#: ``_WALK / shift``, the short literals' pass about ``slots * width / _SHORT``.
_WALK = 3.0
_SHORT = 160.0


@njit(nogil=True, inline="always")
def _split_at(lit_at: np.ndarray) -> tuple[int, int]:
    """Which literals the short pass takes: those of at most ``cut`` bytes (0: none, all go
    through the walk), and the length of the shortest of the rest (0: none is left)."""
    nl = lit_at.size - 1
    short = MAX_LINE
    for k in range(nl):
        short = min(short, lit_at[k + 1] - lit_at[k])
    best_cut = 0
    best = _WALK / max(short - 1, 1)
    for cut in range(1, 7):
        count = 0
        rest = 0
        for k in range(nl):
            w = lit_at[k + 1] - lit_at[k]
            if w <= cut:
                count += 1
            elif rest == 0 or w < rest:
                rest = w
        if count == 0 or count > 4:
            continue
        slots = 1 if count == 1 else 2 if count == 2 else 4
        cost = slots * (4 if cut <= 4 else 6) / _SHORT
        if rest > 0:
            cost += _WALK / max(min(rest - 1, 255), 1)
        if cost < best:
            best = cost
            best_cut = cut
    rest = 0
    for k in range(nl):
        w = lit_at[k + 1] - lit_at[k]
        if w > best_cut and (rest == 0 or w < rest):
            rest = w
    return best_cut, rest


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _keep_flags(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    lits: np.ndarray,
    lit_at: np.ndarray,
    ascii_only: int,
    low: np.ndarray,
    shift: np.ndarray,
    pairs: np.ndarray,
    fold: np.ndarray,
    out: np.ndarray,
) -> int:  # pragma: no cover
    """The catalog's line prefilter (plain literals, ASCII case ignored) on every line.

    ``lits``: the literals' bytes, ASCII letters in lower case, one after the other;
    ``lit_at``: where each starts (plus the end). ``ascii_only``: ``buf`` has no byte above
    127. Per line: 0 no literal in it, 1 one is, 2 not decided here (a byte outside ASCII,
    where the regex engine's Unicode case folding could match otherwise, or a line longer
    than :data:`MAX_LINE`, which the reader cuts first): the caller runs the regex on those.
    ``shift`` (65536 bytes), ``pairs`` (256 int64) and ``fold`` (64 bytes) are scratch.

    The literals hold no line end, so they are searched in the whole piece at once, skipping
    ahead by the pair of bytes at the end of a window as long as the shortest one (Wu and
    Manber's multi-pattern search with blocks of two bytes). Each step waits for its table
    load, so four walks over four quarters of the piece go on side by side in one loop: the
    processor overlaps their loads (2.4x faster than one walk on PIM and CVP logs).

    The walk's speed goes with its shift, so a few short words (the dumplog's ``link`` and
    ``path`` hold its shift to 3 bytes) are left out of it and found by a second pass that
    tries every byte, branch-free and vectorised (:func:`_block_hit`; 16 ms per 64 MiB for two
    words of four bytes, see :func:`_short_walk`): on the PIM log the walk's shift goes to 7
    and the prefilter from 1.06 to 1.4 GB/s (CVP log: 2.25 to 2.35 GB/s, from
    :func:`_walk_hit`). Up to four words of up to six bytes go that way, when the costs measured
    (:data:`_WALK`, :data:`_SHORT`) say it pays (:func:`_split_at`); CVP logs' words are
    all longer, their search is as before."""
    m = starts.size
    nl = lit_at.size - 1
    n = buf.size
    cut, short = _split_at(lit_at)
    if nl > 0 and m > 0 and cut > 0:
        # fold: per short word (four slots of eight bytes) an OR mask and the byte it must
        # give then: 0x20 and the letter for a lower-case letter (either case matches), 0 and
        # the byte for others; 0xFF and an upper-case letter (which ``low`` never gives:
        # no match); 0xFF and 0xFF past the word's end (any byte). Unused slots repeat one.
        slots = 0
        for k in range(nl):
            a = lit_at[k]
            w = lit_at[k + 1] - a
            if w > cut:
                continue
            for j in range(8):
                mask = 0xFF
                want = 0xFF
                if j < w:
                    c = lits[a + j]
                    want = c
                    mask = 0x20 if 97 <= c <= 122 else 0xFF if 65 <= c <= 90 else 0
                fold[slots * 8 + j] = mask
                fold[32 + slots * 8 + j] = want
            slots += 1
        for s in range(slots, 4):
            for j in range(8):
                fold[s * 8 + j] = fold[j]
                fold[32 + s * 8 + j] = fold[32 + j]
        if slots == 1 and cut <= 4:
            _short_walk(buf, fold, 1, 4, lits, lit_at, low, cut, starts, ends, out)
        elif slots == 1:
            _short_walk(buf, fold, 1, 6, lits, lit_at, low, cut, starts, ends, out)
        elif slots == 2 and cut <= 4:
            _short_walk(buf, fold, 2, 4, lits, lit_at, low, cut, starts, ends, out)
        elif slots == 2:
            _short_walk(buf, fold, 2, 6, lits, lit_at, low, cut, starts, ends, out)
        elif cut <= 4:
            _short_walk(buf, fold, 4, 4, lits, lit_at, low, cut, starts, ends, out)
        else:
            _short_walk(buf, fold, 4, 6, lits, lit_at, low, cut, starts, ends, out)
    if nl > 0 and m > 0 and short > 0 and n >= short:
        # shift[pair]: how far the window may move when its last two bytes are ``pair`` (as
        # they are: every case of a letter has its entry; one byte each, so the table stays
        # in the cache).
        top = min(short - 1, 255)
        for k in range(shift.size):
            shift[k] = top
        for k in range(pairs.size):
            pairs[k] = 0
        for k in range(nl):
            a = lit_at[k]
            if lit_at[k + 1] - a <= cut:
                continue
            h = _pair_hash(lits[a + short - 2], lits[a + short - 1])
            pairs[h] |= np.int64(1) << (k & 63)
            for j in range(short - 1):
                x = np.int64(lits[a + j])
                y = np.int64(lits[a + j + 1])
                d = min(short - 2 - j, 255)
                xu = x - 32 if 97 <= x <= 122 else x
                yu = y - 32 if 97 <= y <= 122 else y
                for pair in ((x << 8) | y, (xu << 8) | y, (x << 8) | yu, (xu << 8) | yu):
                    shift[pair] = min(shift[pair], d)
        # The window ends short-1 .. n-1, in four quarters walked at once (each walk skips
        # only windows that cannot hold a literal, so together they see every one that can).
        lo = short - 1
        span = n - lo
        b1 = lo + span // 4
        b2 = lo + span // 2
        b3 = lo + 3 * span // 4
        p0, p1, p2, p3 = lo, b1, b2, b3
        while p0 < b1 and p1 < b2 and p2 < b3 and p3 < n:
            s0 = shift[(np.int64(buf[p0 - 1]) << 8) | buf[p0]]
            s1 = shift[(np.int64(buf[p1 - 1]) << 8) | buf[p1]]
            s2 = shift[(np.int64(buf[p2 - 1]) << 8) | buf[p2]]
            s3 = shift[(np.int64(buf[p3 - 1]) << 8) | buf[p3]]
            if s0 == 0:  # a literal may start where the window does
                _walk_hit(buf, p0, short, lits, lit_at, low, cut, pairs, starts, ends, out)
                s0 = 1
            if s1 == 0:
                _walk_hit(buf, p1, short, lits, lit_at, low, cut, pairs, starts, ends, out)
                s1 = 1
            if s2 == 0:
                _walk_hit(buf, p2, short, lits, lit_at, low, cut, pairs, starts, ends, out)
                s2 = 1
            if s3 == 0:
                _walk_hit(buf, p3, short, lits, lit_at, low, cut, pairs, starts, ends, out)
                s3 = 1
            p0 += s0
            p1 += s1
            p2 += s2
            p3 += s3
        # What is left of each quarter, one walk at a time.
        for p, hi in ((p0, b1), (p1, b2), (p2, b3), (p3, n)):
            while p < hi:
                sh = shift[(np.int64(buf[p - 1]) << 8) | buf[p]]
                if sh == 0:
                    _walk_hit(buf, p, short, lits, lit_at, low, cut, pairs, starts, ends, out)
                    sh = 1
                p += sh
    for i in range(m):
        if ends[i] - starts[i] > MAX_LINE:
            out[i] = 2
    if not ascii_only:
        for i in range(m):
            for q in range(starts[i], ends[i]):
                if buf[q] >= 128:
                    out[i] = 2
                    break
    return 0


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _gather_size(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, want: np.ndarray
) -> int:  # pragma: no cover
    """How many bytes :func:`_gather` writes."""
    m = starts.size
    size = 0
    for i in range(m):
        size += 1
        if want[i]:
            size += ends[i] - starts[i]
            if ends[i] > starts[i] and buf[ends[i] - 1] == 13:
                size += 1
    return size


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _gather(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, want: np.ndarray, out: np.ndarray
) -> int:  # pragma: no cover
    """The bytes of every line, one line per row: the line's own bytes where ``want`` is
    set, nothing (an empty line) elsewhere. Each line ends with LF, or CR LF when its last
    byte is CR (a reader splitting at LF then drops that CR only, and the line comes back
    with its own CR)."""
    m = starts.size
    o = 0
    for i in range(m):
        if want[i]:
            s = starts[i]
            e = ends[i]
            for p in range(s, e):
                out[o] = buf[p]
                o += 1
            if e > s and buf[e - 1] == 13:
                out[o] = 13
                o += 1
        out[o] = 10
        o += 1
    return o


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _classes(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    hit: np.ndarray,
    lead: np.ndarray,
    skip: np.ndarray,
    after: np.ndarray,
    out: np.ndarray,
) -> int:  # pragma: no cover
    """What each line the kernel did not convert can be, for the reader's general path:
    0 converted (``hit``), 1 it may start a record (or hold bytes outside ASCII), 2 it cannot
    and holds a byte other than white space, 3 it cannot and is blank (ASCII white space as
    the regex engine's ``\\s``: tab, LF, VT, FF, CR, space).

    A line may start a record when its first byte is in the table ``lead``, or when it
    starts with bytes of ``skip`` followed by a byte of ``after`` (what the reader's record
    regex can begin with)."""
    m = starts.size
    for i in range(m):
        if hit[i]:
            continue
        s = starts[i]
        e = ends[i]
        if e - s > MAX_LINE:
            out[i] = 1
            continue
        may = False
        if s < e:
            if lead[buf[s]]:
                may = True
            elif skip[buf[s]]:
                p = s
                while p < e and skip[buf[p]]:
                    p += 1
                may = p < e and after[buf[p]] != 0
        blank = True
        for p in range(s, e):
            b = buf[p]
            if b == 32 or 9 <= b <= 13:
                continue
            if b >= 128:
                may = True  # white space or not: the regex engine decides
            else:
                blank = False
            break
        out[i] = 1 if may else (3 if blank else 2)
    return 0


@njit(nogil=True, inline="always")
def _long_step(
    s: int, n: int, gap: int, gpos: np.ndarray, gval: np.ndarray, ng: int
) -> int:  # pragma: no cover
    """Step ``s`` (place ``n``) noted in ``gpos``/``gval`` when it is at least ``gap`` and
    there is room; the count of such steps after it."""
    if s >= gap:
        if ng < gpos.size:
            gpos[ng] = n
            gval[ng] = s
        ng += 1
    return ng


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _spacing(
    v: np.ndarray, carry: np.ndarray, short: int, gap: int, gpos: np.ndarray, gval: np.ndarray
) -> int:  # pragma: no cover
    """One chunk ``v`` of a column of integers (a stream's times, in nanoseconds) after the
    chunks before it: the step from each value to the next (as ``diff()`` gives it), counted
    and summed up with those of the chunks before, in ``carry``: whether a value came before,
    that value, how many steps, how many of at most ``short``, the least and greatest step,
    how many of at least ``gap``, the least and greatest value. Each step of at least ``gap``
    also gets its place among the steps (``gpos``) and its size (``gval``), as many as there
    is room for (all are counted). Returns how many such steps so far.

    The counts, least and greatest in one loop without a branch (the compiler makes vector
    code of it: 0.7 ns a step, against 4.3 with a branch per step), and the long steps noted
    in a second walk, only when there are any (a log's gaps)."""
    m = v.size
    if m == 0:
        return carry[6]
    n = carry[2]
    ng = carry[6]
    few = 0
    long = 0
    lo = carry[4]
    hi = carry[5]
    vlo = carry[7]
    vhi = carry[8]
    for t in range(1, m):
        x = v[t]
        s = x - v[t - 1]
        few += s <= short
        long += s >= gap
        lo = s if s < lo else lo
        hi = s if s > hi else hi
        vlo = x if x < vlo else vlo
        vhi = x if x > vhi else vhi
    first = v[0]
    vlo = first if first < vlo else vlo
    vhi = first if first > vhi else vhi
    if carry[0]:
        # the step from the chunk before into this one
        s = first - carry[1]
        few += s <= short
        lo = s if s < lo else lo
        hi = s if s > hi else hi
        ng = _long_step(s, n, gap, gpos, gval, ng)
        n += 1
    if long:
        for t in range(1, m):
            ng = _long_step(v[t] - v[t - 1], n + t - 1, gap, gpos, gval, ng)
    carry[0] = 1
    carry[1] = v[m - 1]
    carry[2] = n + m - 1
    carry[3] += few
    carry[4] = lo
    carry[5] = hi
    carry[6] = ng
    carry[7] = vlo
    carry[8] = vhi
    return ng


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _spacing_count(v: np.ndarray, carry: np.ndarray, a: int, b: int) -> int:  # pragma: no cover
    """The steps of chunk ``v`` (after the chunks before it, ``carry``: whether a value came
    before, that value, then the counts so far) counted against ``a`` and ``b``: below ``a``,
    equal to ``a``, at most ``b``, equal to ``b``. One loop without a branch (vector code)."""
    m = v.size
    if m == 0:
        return 0
    below = 0
    at_a = 0
    upto = 0
    at_b = 0
    for t in range(1, m):
        s = v[t] - v[t - 1]
        below += s < a
        at_a += s == a
        upto += s <= b
        at_b += s == b
    if carry[0]:
        s = v[0] - carry[1]
        below += s < a
        at_a += s == a
        upto += s <= b
        at_b += s == b
    carry[0] = 1
    carry[1] = v[m - 1]
    carry[2] += below
    carry[3] += at_a
    carry[4] += upto
    carry[5] += at_b
    return 0


@njit(nogil=True, inline="always")
def _bucket(s: int, lo: int, shift: int, hist: np.ndarray) -> int:  # pragma: no cover
    """Step ``s`` counted in bucket ``(s - lo) >> shift`` of ``hist`` (none past the last);
    1 when it is below ``lo`` instead, else 0."""
    if s < lo:
        return 1
    b = (s - lo) >> shift
    if b < hist.size:
        hist[b] += 1
    return 0


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _spacing_hist(
    v: np.ndarray, carry: np.ndarray, lo: int, shift: int, hist: np.ndarray
) -> int:  # pragma: no cover
    """The steps of chunk ``v`` (after the chunks before it, ``carry``: whether a value came
    before, that value, how many steps below ``lo``) counted by size: below ``lo``, or in
    bucket ``(step - lo) >> shift`` of ``hist`` (a step past the last bucket is not counted).
    The caller makes sure no step minus ``lo`` overflows. Returns the count below ``lo``."""
    m = v.size
    if m == 0:
        return carry[2]
    below = _bucket(v[0] - carry[1], lo, shift, hist) if carry[0] else 0
    for t in range(1, m):
        below += _bucket(v[t] - v[t - 1], lo, shift, hist)
    carry[0] = 1
    carry[1] = v[m - 1]
    carry[2] += below
    return carry[2]


@njit(nogil=True, inline="always")
def _pick(s: int, lo: int, hi: int, out: np.ndarray, k: int) -> int:  # pragma: no cover
    """Step ``s`` put at place ``k`` of ``out`` when it lies from ``lo`` to ``hi`` (and there
    is room); the count of steps picked after it."""
    if lo <= s <= hi:
        if k < out.size:
            out[k] = s
        k += 1
    return k


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _spacing_pick(
    v: np.ndarray, carry: np.ndarray, lo: int, hi: int, out: np.ndarray
) -> int:  # pragma: no cover
    """The steps of chunk ``v`` (after the chunks before it, ``carry``: whether a value came
    before, that value, how many steps picked) from ``lo`` to ``hi``, put in ``out`` in the
    order met, as many as there is room for (all are counted). Returns the count so far."""
    m = v.size
    if m == 0:
        return carry[2]
    k = carry[2]
    if carry[0]:
        k = _pick(v[0] - carry[1], lo, hi, out, k)
    for t in range(1, m):
        k = _pick(v[t] - v[t - 1], lo, hi, out, k)
    carry[0] = 1
    carry[1] = v[m - 1]
    carry[2] = k
    return k


@njit(nogil=True, inline="always")
def _month(buf: np.ndarray, p: int) -> int:  # pragma: no cover
    """1-12 for the English month abbreviation ("Jan", case as written) at ``p``, else -1."""
    for k in range(12):
        if (
            buf[p] == _MONTHS[3 * k]
            and buf[p + 1] == _MONTHS[3 * k + 1]
            and buf[p + 2] == _MONTHS[3 * k + 2]
        ):
            return k + 1
    return -1


@njit(nogil=True, inline="always")
def _tag_at(
    buf: np.ndarray, x: int, e: int, name: np.ndarray, alt: np.ndarray
) -> int:  # pragma: no cover
    """Where the value of the tag ``[name=`` (or ``[name`` ``alt`` ``=``, when ``alt`` is not
    empty) at the ``[`` at ``x`` starts, as the regex ``\\[name(?:alt)?=`` matches there; -1
    when it does not."""
    n = name.size
    if x + 1 + n >= e:
        return -1
    for k in range(n):
        if buf[x + 1 + k] != name[k]:
            return -1
    v = x + 1 + n
    if alt.size and v + alt.size < e:
        k = 0
        while k < alt.size and buf[v + k] == alt[k]:
            k += 1
        if k == alt.size and buf[v + k] == 61:
            v += k
    return v + 1 if buf[v] == 61 else -1


_PNAME = np.frombuffer(b"pname", dtype=np.uint8)
_ORIG = np.frombuffer(b".orig", dtype=np.uint8)
_SEV = np.frombuffer(b"sev", dtype=np.uint8)
_PART = np.frombuffer(b"part", dtype=np.uint8)
_NONE = np.zeros(0, dtype=np.uint8)


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _ciscolog(buf, starts, ends, hit, ts, hlen, seq, zone, hdr, node, pname, sevt, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Cisco Log lines of the usual layout
    ``[<PRI>]seq: host: Mon d yyyy hh:mm:ss[.fff] [zone]: %APP[-S-MNEM]: [%][tags][:] ``
    (a sequence number without leading zeros, a printable ASCII host free of ':', a two-digit
    hour, a zone ``±hh[:]mm`` or two to five capitals, tags in ASCII).

    Per line: ``hit`` (1: converted here), ``ts`` (local time, ns), ``hlen`` (where the
    message starts), ``seq``, and the ids of ``zone``, ``hdr`` ("APP" or "APP-S-MNEM"),
    ``node``, ``pname`` and ``sev`` (the values of the first ``[pname=]`` or
    ``[pname.orig=]`` tag and of the first ``[sev=]`` tag; -1: none); and per table the
    representatives' starts and lengths. A line with a ``[part=]`` tag (a part of a message
    cut in several) is left to the general path, which joins the parts."""
    m = starts.size
    zones, headers, hosts = _tab(tb, 0), _tab(tb, 1), _tab(tb, 2)
    pnames, sevs = _tab(tb, 3), _tab(tb, 4)
    for i in range(m):
        s = starts[i]
        e = ends[i]
        if e - s > MAX_LINE or e - s < 30:
            continue
        p = s
        if buf[p] == 60:  # <PRI>
            q = p + 1
            while q < e and q - p <= 4 and _digit(buf[q]):
                q += 1
            if q - p - 1 < 1 or q - p - 1 > 3 or q >= e or buf[q] != 62:
                continue
            p = q + 1
        q = p
        while q < e and q - p <= 18 and _digit(buf[q]):
            q += 1
        nd = q - p
        if nd < 1 or nd > 18 or (nd > 1 and buf[p] == 48) or q + 1 >= e:
            continue
        if buf[q] != 58 or buf[q + 1] != 32:
            continue
        sq = _num(buf, p, nd)
        a = q + 2
        p = a
        while p < e and 33 <= buf[p] <= 126 and buf[p] != 58:
            p += 1
        if p == a or p + 1 >= e or buf[p] != 58 or buf[p + 1] != 32:
            continue
        n0 = a
        n1 = p
        p += 2
        if p + 3 >= e:
            continue
        mon = _month(buf, p)
        if mon < 0 or buf[p + 3] != 32:
            continue
        p += 3
        while p < e and buf[p] == 32:
            p += 1
        a = p
        while p < e and p - a <= 2 and _digit(buf[p]):
            p += 1
        if p - a < 1 or p - a > 2 or p + 14 > e or buf[p] != 32:
            continue
        day = _num(buf, a, p - a)
        year = _num(buf, p + 1, 4)
        if year < 0 or buf[p + 5] != 32:
            continue
        t = _tod(buf, p + 6)
        if t < 0 or not _valid_date(year, mon, day):
            continue
        p += 14
        if p < e and buf[p] == 46:  # .fraction, 1 to 9 digits
            a = p + 1
            p = a
            while p < e and p - a <= 9 and _digit(buf[p]):
                p += 1
            nd = p - a
            if nd < 1 or nd > 9:
                continue
            f = _num(buf, a, nd)
            for _ in range(9 - nd):
                f *= 10
            t += f
        zid = -1
        if p < e and buf[p] == 32:  # the zone
            a = p + 1
            p = a
            if p < e and (buf[p] == 43 or buf[p] == 45):
                if p + 5 > e or _num(buf, p + 1, 2) < 0:
                    continue
                p += 4 if buf[p + 3] == 58 else 3
                if p + 2 > e or _num(buf, p, 2) < 0:
                    continue
                p += 2
            else:
                while p < e and p - a <= 5 and 65 <= buf[p] <= 90:
                    p += 1
                if p - a < 2 or p - a > 5:
                    continue
            zid = _intern(buf, a, p - a, zones, False)
            if zid < 0:
                continue
        if p + 2 >= e or buf[p] != 58 or buf[p + 1] != 32 or buf[p + 2] != 37:
            continue
        h0 = p + 3
        p = h0
        if p >= e or not _alpha(buf[p]):
            continue
        while p < e and _word(buf[p]):
            p += 1
        if p < e and buf[p] == 45:  # -S-MNEM
            if p + 3 >= e or not (48 <= buf[p + 1] <= 55) or buf[p + 2] != 45:
                continue
            k = p + 3
            while k < e and _word(buf[k]):
                k += 1
            if k == p + 3:
                continue
            p = k
        if p >= e or buf[p] != 58:
            continue
        h1 = p
        p += 1
        if p < e and buf[p] == 32:
            p += 1
        # Tags "[...][...]" (an unterminated one ends them), ASCII; the values of the first
        # "[pname=" or "[pname.orig=" and of the first "[sev=" in them, as the reader's
        # regexes find them: at any "[", inside a tag too, up to the next "]".
        t0 = p + 1 if (p < e and buf[p] == 37) else p
        q = t0
        pv = -1
        pe = -1
        sv = -1
        se = -1
        ascii_tags = True
        part = False  # a part of a message cut in several: the general path joins them
        while q < e and buf[q] == 91:
            ip = -1
            isv = -1
            r = q
            while r < e and buf[r] != 93:
                b = buf[r]
                if b >= 128:
                    ascii_tags = False
                    break
                if b == 91:
                    if ip < 0:
                        ip = _tag_at(buf, r, e, _PNAME, _ORIG)
                    if isv < 0:
                        isv = _tag_at(buf, r, e, _SEV, _NONE)
                    if _tag_at(buf, r, e, _PART, _NONE) >= 0:
                        part = True
                r += 1
            if not ascii_tags or r >= e:
                break
            if pv < 0 and ip >= 0:
                pv = ip
                pe = r
            if sv < 0 and isv >= 0:
                sv = isv
                se = r
            q = r + 1
        if not ascii_tags or part:
            continue
        pid = -1
        sid = -1
        if q > t0:
            if pv >= 0:
                pid = _intern(buf, pv, pe - pv, pnames, False)
                if pid < 0:
                    continue
            if sv >= 0:
                sid = _intern(buf, sv, se - sv, sevs, False)
                if sid < 0:
                    continue
            p = q
            if p < e and buf[p] == 58:
                p += 1
            if p < e and buf[p] == 32:
                p += 1
        hid = _intern(buf, h0, h1 - h0, headers, False)
        nid = _intern(buf, n0, n1 - n0, hosts, False)
        if hid < 0 or nid < 0:
            continue
        hit[i] = 1
        ts[i] = _days(year, mon, day) * 86_400_000_000_000 + t
        hlen[i] = p - s
        seq[i] = sq
        zone[i] = zid
        hdr[i] = hid
        node[i] = nid
        pname[i] = pid
        sevt[i] = sid
    return 0


#: The ISO family's levels (``generic_log._LEVELS``, in its order; a test compares them), one
#: after the other, and where each starts.
_LEVEL_NAMES = ["TRACE", "DEBUG", "FINE", "FINER", "FINEST", "CONFIG", "INFO", "NOTICE", "WARN",
                "WARNING", "ERROR", "ERR", "SEVERE", "CRITICAL", "CRIT", "FATAL", "ALERT", "EMERG"]  # fmt: skip
_LEVEL_BYTES = np.frombuffer("".join(_LEVEL_NAMES).encode("ascii"), dtype=np.uint8).copy()
_LEVEL_AT = np.cumsum(np.array([0] + [len(w) for w in _LEVEL_NAMES], dtype=np.int64))


@njit(nogil=True, inline="always")
def _month_of(b0: int, b1: int, b2: int) -> int:  # pragma: no cover
    """1-12 for the English month abbreviation ("Jan", case as written) of three bytes, else -1
    (bytes, not the buffer: no array reference counted in a hot loop)."""
    for k in range(12):
        if b0 == _MONTHS[3 * k] and b1 == _MONTHS[3 * k + 1] and b2 == _MONTHS[3 * k + 2]:
            return k + 1
    return -1


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _iso(buf, starts, ends, hit, ts, hlen, zone, sev, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Lines of the generic reader's ``iso`` family:
    ``[[]yyyy-mm-dd(T| )hh:mm:ss[(.|,)f{1,9}][Z|[ ](+|-)hh[:]mm][]]<separator>[[][LEVEL][]][:] ``.

    The regex tries its choices in order and goes back on one when what follows fails; a line
    is converted here only when the first choice at each step leads to a match (then that is
    the regex's match), else it is left to the general path. A valid date of a kept year and a
    time below 24:00:00 only (the general path parses the others).

    Per line: ``hit`` (1: converted here), ``ts`` (local time, ns), ``hlen`` (where the
    message starts), the ids of ``zone`` (as written, without the space before it) and ``sev``
    (-1: none); and per table the representatives' starts and lengths."""
    m = starts.size
    zones, sevs = _tab(tb, 0), _tab(tb, 1)
    nlev = _LEVEL_AT.size - 1
    for i in range(m):
        s = starts[i]
        e = ends[i]
        if e - s > MAX_LINE or e - s < 19:
            continue
        p = s + 1 if buf[s] == 91 else s  # "["
        if p + 19 > e or buf[p + 4] != 45 or buf[p + 7] != 45:
            continue
        year = _num(buf, p, 4)
        mon = _num(buf, p + 5, 2)
        day = _num(buf, p + 8, 2)
        tsep = buf[p + 10]
        if year < 0 or mon < 0 or day < 0 or not (tsep == 84 or tsep == 32):
            continue
        hh = _num(buf, p + 11, 2)
        mm = _num(buf, p + 14, 2)
        ss = _num(buf, p + 17, 2)
        if hh < 0 or mm < 0 or ss < 0 or buf[p + 13] != 58 or buf[p + 16] != 58:
            continue
        if hh > 23 or mm > 59 or ss > 59 or not _valid_date(year, mon, day):
            continue
        t = ((hh * 60 + mm) * 60 + ss) * 1_000_000_000
        p += 19
        # The fraction: every digit after the mark (a shorter one leaves a digit where
        # nothing that follows can match); more than nine: no match.
        if p + 1 < e and (buf[p] == 46 or buf[p] == 44) and 48 <= buf[p + 1] <= 57:
            a = p + 1
            q = a
            while q < e and 48 <= buf[q] <= 57:
                q += 1
            nd = q - a
            if nd > 9:
                continue
            f = _num(buf, a, nd)
            for _ in range(9 - nd):
                f *= 10
            t += f
            p = q
        # The zone: "Z", or [space] sign hh [:] mm; when what follows fails after one, the
        # regex would try without it: left to the general path.
        z0 = -1
        z1 = -1
        if p < e and buf[p] == 90:
            z0 = p
            z1 = p + 1
        else:
            r = p + 1 if (p < e and buf[p] == 32) else p
            if r + 3 <= e and (buf[r] == 43 or buf[r] == 45) and _num(buf, r + 1, 2) >= 0:
                if r + 6 <= e and buf[r + 3] == 58 and _num(buf, r + 4, 2) >= 0:
                    z0 = r
                    z1 = r + 6
                elif r + 5 <= e and _num(buf, r + 3, 2) >= 0:
                    z0 = r
                    z1 = r + 5
        if z0 >= 0:
            p = z1
        if p < e and buf[p] == 93:  # "]"
            p += 1
        # The separator: [ \t]* [,;|:-]? [ \t]+, or the line's end.
        q = p
        while q < e and (buf[q] == 32 or buf[q] == 9):
            q += 1
        c = buf[q] if q < e else 0
        if c == 44 or c == 59 or c == 124 or c == 58 or c == 45:
            r = q + 1
            while r < e and (buf[r] == 32 or buf[r] == 9):
                r += 1
            if r > q + 1:
                p = r
            elif q > p:
                p = q
            else:
                continue
        elif q > p or q == e:
            p = q
        else:
            continue
        # The level: a run of capitals that is one of the levels, then "]" and ":" if there,
        # then blanks or the line's end (else no level: the regex has no other way to one).
        v0 = -1
        v1 = -1
        q = p + 1 if (p < e and buf[p] == 91) else p
        a = q
        while q < e and 65 <= buf[q] <= 90:
            q += 1
        if q > a:
            r = q
            if r < e and buf[r] == 93:
                r += 1
            if r < e and buf[r] == 58:
                r += 1
            if r == e or buf[r] == 32 or buf[r] == 9:
                n = q - a
                known = False
                for k in range(nlev):
                    w0 = _LEVEL_AT[k]
                    if _LEVEL_AT[k + 1] - w0 != n:
                        continue
                    j = 0
                    while j < n and buf[a + j] == _LEVEL_BYTES[w0 + j]:
                        j += 1
                    if j == n:
                        known = True
                        break
                if known:
                    while r < e and (buf[r] == 32 or buf[r] == 9):
                        r += 1
                    v0 = a
                    v1 = q
                    p = r
        zid = _intern(buf, z0, z1 - z0, zones, False) if z0 >= 0 else -1
        vid = _intern(buf, v0, v1 - v0, sevs, False) if v0 >= 0 else -1
        if (z0 >= 0 and zid < 0) or (v0 >= 0 and vid < 0):
            continue  # a table is full
        ts[i] = _days(year, mon, day) * 86_400_000_000_000 + t
        zone[i], sev[i], hlen[i], hit[i] = zid, vid, p - s, 1
    return 0


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _syslog(buf, starts, ends, hit, hlen, mon, day, tod, pri, node, comp, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    """RFC 3164 lines of the generic reader's ``syslog`` family:
    ``[<PRI>]Mon +d{1,2} hh:mm:ss host +[prog[[pid]| [v]version]: [ ]]`` (a host and program
    in printable ASCII, a time below 24:00:00; anything else goes to the general path).

    The year is not in the line: per line ``hit`` (1: converted here), ``hlen`` (where the
    message starts), ``mon`` (1-12), ``day`` (as written: the reader checks the date once the
    year is known), ``tod`` (time of day, ns), ``pri`` (-1: none), the ids of ``node`` and
    ``comp`` (the program; -1: none); and per table the representatives' starts and lengths."""
    m = starts.size
    nodes, comps = _tab(tb, 0), _tab(tb, 1)
    for i in range(m):
        s, e = starts[i], ends[i]
        if e - s > MAX_LINE or e - s < 17:
            continue
        p, pv = s, -1
        if buf[p] == 60:  # <PRI>
            q = p + 1
            while q < e and q - p <= 3 and 48 <= buf[q] <= 57:
                q += 1
            nd = q - p - 1
            if nd < 1 or q >= e or buf[q] != 62:
                continue
            pv = _num(buf, p + 1, nd)
            p = q + 1
        if p + 3 > e:
            continue
        mo = _month_of(buf[p], buf[p + 1], buf[p + 2])
        p += 3
        if mo < 0 or p >= e or buf[p] != 32:
            continue
        while p < e and buf[p] == 32:
            p += 1
        a = p
        while p < e and p - a < 2 and 48 <= buf[p] <= 57:
            p += 1
        if p == a or p + 10 > e or buf[p] != 32:
            continue
        d = _num(buf, a, p - a)
        p += 1
        hh = _num(buf, p, 2)
        mm = _num(buf, p + 3, 2)
        ss = _num(buf, p + 6, 2)
        if hh < 0 or mm < 0 or ss < 0 or buf[p + 2] != 58 or buf[p + 5] != 58:
            continue
        if hh > 23 or mm > 59 or ss > 59 or buf[p + 8] != 32:
            continue
        p += 9
        # The host: up to a space (any other end: left to the general path).
        n0 = p
        while p < e and 33 <= buf[p] <= 126 and buf[p] != 58:
            p += 1
        if p == n0 or p >= e or buf[p] != 32:
            continue
        n1 = p
        while p < e and buf[p] == 32:
            p += 1
        # The program: the longest run that can be one (a shorter one leaves a character
        # nothing that follows can match), then "[pid]" or " [v]version", then ":".
        c0 = p
        q = p
        while q < e and 33 <= buf[q] <= 126 and buf[q] != 58 and buf[q] != 91:
            q += 1
        b = buf[q] if q < e else 32
        if not (b == 32 or b == 58 or b == 91):
            continue  # a byte the regex may read otherwise (non-ASCII, control, tab)
        r = -1
        if q > c0:
            if q < e and b == 58:
                r = q + 1
            elif q < e and b == 91:
                x = q + 1
                while x < e and 48 <= buf[x] <= 57:
                    x += 1
                if x > q + 1 and x + 1 < e and buf[x] == 93 and buf[x + 1] == 58:
                    r = x + 2
            elif q < e:  # a space
                x = q + 1
                if x < e and buf[x] == 118:  # "v"
                    x += 1
                if x < e and 48 <= buf[x] <= 57:
                    while x < e and (48 <= buf[x] <= 57 or buf[x] == 46):
                        x += 1
                    if x < e and buf[x] == 58:
                        r = x + 1
        cid = -1
        if r >= 0:
            if r < e and buf[r] == 32:
                r += 1
            cid = _intern(buf, c0, q - c0, comps, False)
            if cid < 0:
                continue
            p = r
        nid = _intern(buf, n0, n1 - n0, nodes, False)
        if nid < 0:
            continue
        hit[i] = 1
        hlen[i] = p - s
        mon[i] = mo
        day[i] = d
        tod[i] = ((hh * 60 + mm) * 60 + ss) * 1_000_000_000
        pri[i] = pv
        node[i] = nid
        comp[i] = cid
    return 0


#: Nanoseconds in half a day, in a day, and the days from 1970 a nanosecond time stamp holds
#: either way with a day to spare (``icm_dumplog``'s ``_HALF_DAY_NS``, ``_DAY_NS``, ``_NS_DAYS``).
_HALF_DAY = 12 * 3600 * 1_000_000_000
_FULL_DAY = 2 * _HALF_DAY
_STAMP_DAYS = (2**63 - 1) // _FULL_DAY - 1


@njit(nogil=True, error_model="numpy", boundscheck=False)
def _rollover(tod, valid, all_valid, seg, date, stamps, state, days, us):  # type: ignore[no-untyped-def]  # pragma: no cover
    """A dumplog piece's days past midnight and local times, in one pass
    (``icm_dumplog._Rollover.apply``'s rule): a record whose time of day (``tod``, ns; 0
    where ``valid`` is 0, unless ``all_valid``) is more than 12 h behind the record before, in
    the same segment (``seg``), adds a day; ``days`` counts them from the segment's first record.
    ``state`` carries the piece before's last record and counts, in and out: whether it had a
    time of day, that time, whether there was one, its segment, the days added in the file so
    far, that count when the current segment began.

    With ``stamps`` (every record has its time of day and date): ``us`` gets each record's
    local time in microseconds, ``date`` (days from 1970) plus ``days`` plus the time of day
    rounded down, and 1 is returned; 0 when a date or time of day leaves what a nanosecond time
    stamp holds (the caller's polars step then, as ``_stamps``), or without ``stamps``."""
    n = tod.size
    has_tod = state[0] != 0
    prev_tod = state[1]
    has_seg = state[2] != 0
    prev_seg = state[3]
    back = state[4]
    base = state[5]
    for i in range(n):
        t = tod[i]
        g = seg[i]
        if i == 0:
            same = has_seg and prev_seg == g
            went = has_tod and prev_tod - t > _HALF_DAY
            ok = all_valid != 0 or valid[0] != 0
        else:
            same = seg[i - 1] == g
            went = tod[i - 1] - t > _HALF_DAY
            ok = all_valid != 0 or (valid[i] != 0 and valid[i - 1] != 0)
        if same and went and ok:
            back += 1
        if not same:
            base = back
        days[i] = back - base
    if n > 0:
        state[0] = 1 if all_valid != 0 or valid[n - 1] != 0 else 0
        state[1] = tod[n - 1]
        state[2] = 1
        state[3] = seg[n - 1]
        state[4] = back
        state[5] = base
    if stamps == 0:
        return 0
    for i in range(n):
        d = np.int64(date[i])
        day = d + days[i]
        t = tod[i]
        if d <= -_STAMP_DAYS or day >= _STAMP_DAYS or t <= -_FULL_DAY or t >= _FULL_DAY:
            return 0
        us[i] = day * (24 * 3600 * 1_000_000) + t // 1000
    return 1


# -- the entries: C-callable, every array made by the caller ---------------------------------
#
# Each takes raw pointers and sizes and returns an int64; the arrays it fills are made by the
# caller (:mod:`._scan_native`), so the machine code needs no run-time support of numba's:
# :func:`export` writes it to an object file that a run loads with llvmlite alone.

_U8 = types.CPointer(types.uint8)
_S8 = types.CPointer(types.int8)
_S32 = types.CPointer(types.int32)
_S64 = types.CPointer(types.int64)
_U64 = types.CPointer(types.uint64)
_N = types.int64


def _line_count_c(b, n, first):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _line_count(carray(b, n), first)


def _split_c(b, n, first, s, e, m, info, masks, room):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _split(
        carray(b, n), first, carray(s, m), carray(e, m), carray(info, 1), carray(masks, room)
    )


def _dumplog_c(b, n, s, e, m, hit, tod, hlen, tok, trace, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _dumplog(
        carray(b, n), carray(s, m), carray(e, m), carray(hit, m), carray(tod, m),
        carray(hlen, m), carray(tok, m), carray(trace, m), carray(tb, (1, TABLE)),
    )  # fmt: skip


def _cvp_c(b, n, s, e, m, hit, ts, hlen, zone, hdr, node, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _cvp(
        carray(b, n), carray(s, m), carray(e, m), carray(hit, m), carray(ts, m),
        carray(hlen, m), carray(zone, m), carray(hdr, m), carray(node, m), carray(tb, (3, TABLE)),
    )  # fmt: skip


def _ciscolog_c(b, n, s, e, m, hit, ts, hlen, seq, zone, hdr, node, pname, sevt, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _ciscolog(
        carray(b, n), carray(s, m), carray(e, m), carray(hit, m), carray(ts, m),
        carray(hlen, m), carray(seq, m), carray(zone, m), carray(hdr, m), carray(node, m),
        carray(pname, m), carray(sevt, m), carray(tb, (5, TABLE)),
    )  # fmt: skip


def _iso_c(b, n, s, e, m, hit, ts, hlen, zone, sev, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _iso(
        carray(b, n), carray(s, m), carray(e, m), carray(hit, m), carray(ts, m),
        carray(hlen, m), carray(zone, m), carray(sev, m), carray(tb, (2, TABLE)),
    )  # fmt: skip


def _syslog_c(b, n, s, e, m, hit, hlen, mon, day, tod, pri, node, comp, tb):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _syslog(
        carray(b, n), carray(s, m), carray(e, m), carray(hit, m), carray(hlen, m),
        carray(mon, m), carray(day, m), carray(tod, m), carray(pri, m), carray(node, m),
        carray(comp, m), carray(tb, (2, TABLE)),
    )  # fmt: skip


def _keep_flags_c(b, n, s, e, m, lits, nlits, at, nat, ascii_only, low, shift, pairs, fold, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _keep_flags(
        carray(b, n), carray(s, m), carray(e, m), carray(lits, nlits), carray(at, nat),
        ascii_only, carray(low, 256), carray(shift, 1 << 16), carray(pairs, 256),
        carray(fold, 64), carray(out, m),
    )  # fmt: skip


def _gather_size_c(b, n, s, e, m, want):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _gather_size(carray(b, n), carray(s, m), carray(e, m), carray(want, m))


def _gather_c(b, n, s, e, m, want, out, size):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _gather(carray(b, n), carray(s, m), carray(e, m), carray(want, m), carray(out, size))


def _classes_c(b, n, s, e, m, hit, lead, skip, after, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _classes(
        carray(b, n), carray(s, m), carray(e, m), carray(hit, m), carray(lead, 256),
        carray(skip, 256), carray(after, 256), carray(out, m),
    )  # fmt: skip


def _spacing_c(v, m, carry, short, gap, gpos, gval, cap):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _spacing(
        carray(v, m), carray(carry, SPACING_CARRY), short, gap, carray(gpos, cap),
        carray(gval, cap),
    )  # fmt: skip


def _spacing_count_c(v, m, carry, a, b):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _spacing_count(carray(v, m), carray(carry, 6), a, b)


def _spacing_hist_c(v, m, carry, lo, shift, hist, nb):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _spacing_hist(carray(v, m), carray(carry, 3), lo, shift, carray(hist, nb))


def _spacing_pick_c(v, m, carry, lo, hi, out, cap):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _spacing_pick(carray(v, m), carray(carry, 3), lo, hi, carray(out, cap))


def _rollover_c(tod, n, valid, nv, all_valid, seg, date, nd, stamps, state, days, us):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _rollover(
        carray(tod, n), carray(valid, nv), all_valid, carray(seg, n), carray(date, nd), stamps,
        carray(state, 6), carray(days, n), carray(us, nd),
    )  # fmt: skip


#: name: (function, argument types); every entry returns an int64. The names and the order
#: of the arguments are :mod:`._scan_native`'s.
ENTRIES = {
    "line_count": (_line_count_c, (_U8, _N, _N)),
    "split": (_split_c, (_U8, _N, _N, _S64, _S64, _N, _S64, _U64, _N)),
    "dumplog": (_dumplog_c, (_U8, _N, _S64, _S64, _N, _U8, _S64, _S32, _S32, _U8, _S64)),
    "cvp": (_cvp_c, (_U8, _N, _S64, _S64, _N, _U8, _S64, _S32, _S32, _S32, _S32, _S64)),
    "ciscolog": (
        _ciscolog_c,
        (_U8, _N, _S64, _S64, _N, _U8, _S64, _S32, _S64, _S32, _S32, _S32, _S32, _S32, _S64),
    ),
    "iso": (_iso_c, (_U8, _N, _S64, _S64, _N, _U8, _S64, _S32, _S32, _S32, _S64)),
    "syslog": (
        _syslog_c,
        (_U8, _N, _S64, _S64, _N, _U8, _S32, _S8, _S8, _S64, _S32, _S32, _S32, _S64),
    ),
    "keep_flags": (
        _keep_flags_c,
        (_U8, _N, _S64, _S64, _N, _U8, _N, _S64, _N, _N, _U8, _U8, _S64, _U8, _U8),
    ),
    "gather_size": (_gather_size_c, (_U8, _N, _S64, _S64, _N, _U8)),
    "gather": (_gather_c, (_U8, _N, _S64, _S64, _N, _U8, _U8, _N)),
    "classes": (_classes_c, (_U8, _N, _S64, _S64, _N, _U8, _U8, _U8, _U8, _U8)),
    "spacing": (_spacing_c, (_S64, _N, _S64, _N, _N, _S64, _S64, _N)),
    "spacing_count": (_spacing_count_c, (_S64, _N, _S64, _N, _N)),
    "spacing_hist": (_spacing_hist_c, (_S64, _N, _S64, _N, _N, _S64, _N)),
    "spacing_pick": (_spacing_pick_c, (_S64, _N, _S64, _N, _N, _S64, _N)),
    "rollover": (_rollover_c, (_S64, _N, _U8, _N, _N, _S64, _S32, _N, _N, _S64, _S64, _S64)),
}


def export(
    names: tuple[str, ...] | None = None,
) -> tuple[bytes, dict[str, tuple[str, str]], list[str]]:
    """Compile the entries ``names`` (default: every one; numba, for this machine's processor)
    and link them into one object file: its bytes, per entry its symbol and its arguments'
    kinds (``p`` a pointer, ``n`` an int64), and the symbols it needs from outside. Everything but the entries is made
    internal and what no entry reaches is dropped (numba's reference counting helpers, the
    Python wrappers), so the code does not need numba to run."""
    import re

    import llvmlite.binding as llvm

    linked = None
    symbols: dict[str, tuple[str, str]] = {}
    tm = None
    for name in ENTRIES if names is None else names:
        fn, args = ENTRIES[name]
        jit: Any = njit(types.int64(*args), nogil=True, error_model="numpy", boundscheck=False)
        cres: Any = jit(fn).overloads[tuple(args)]
        entry = cres.fndesc.llvm_func_name
        kinds = "".join("p" if isinstance(t, types.CPointer) else "n" for t in args)
        symbols[name] = (entry, kinds)
        tm = cres.library.codegen._tm  # numba's own: this processor, its features, -O3

        def internal(m: re.Match[str], entry: str = entry) -> str:
            line = m.group(0)
            if f'@"{entry}"(' in line or f"@{entry}(" in line:
                return line
            return re.sub(
                r"^define (?:linkonce_odr |weak_odr |external |dso_local )*",
                "define internal ",
                line,
            )

        ir = re.sub(r"^define [^\n]*", internal, cres.library.get_llvm_str(), flags=re.M)
        # NRT_decref calls it for an array whose count falls to zero; the entries' arrays
        # are views of the caller's memory, without a count (NRT_decref returns on them
        # first), so it is never called: a no-op stands in for numba's.
        ir = re.sub(
            r"^declare void @NRT_MemInfo_call_dtor\(ptr\)[^\n]*$",
            "define internal void @NRT_MemInfo_call_dtor(ptr %p) {\n  ret void\n}",
            ir,
            flags=re.M,
        )
        mod = llvm.parse_assembly(ir)
        if linked is None:
            linked = mod
        else:
            linked.link_in(mod)
    assert linked is not None and tm is not None
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=0))
    mpm = llvm.create_new_module_pass_manager()
    mpm.add_global_dead_code_eliminate_pass()
    mpm.add_strip_dead_prototype_pass()
    mpm.run(linked, pb)
    linked.verify()
    needs = sorted(f.name for f in linked.functions if f.is_declaration)
    return tm.emit_object(linked), symbols, needs
