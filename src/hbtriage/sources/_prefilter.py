"""Literal prefilters for regular expressions: which plain strings a match must contain.

Signature patterns are full regexes (``.{0,40}``, alternatives, ``(?s)``), run case-insensitively
by polars' Rust engine at 100-600 ns per line. Almost no log line can match them, and every match
contains one of a few plain words ("heartbeat", "Shutting down VRU PIM connection", "10054" ...).
:func:`required_literals` works those words out from the pattern's syntax tree, and
:func:`prefilter` turns them into a pattern of plain alternatives, which the engine scans with
SIMD literal search at ~1.5 GB/s. Lines the prefilter rejects can never match the full pattern;
the full pattern runs on the rest only.

The tree comes from Python's own regex parser (``re._parser``): catalog patterns are written in
the syntax both engines share. A pattern Python cannot parse, or with constructs the two engines
read differently (POSIX classes, Unicode classes), gets no prefilter (None), and callers run the
full pattern everywhere, which is always correct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

try:  # Python 3.11+: the parser module is private but stable
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older layouts
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

#: Largest set of exact strings followed through concatenations and alternatives.
_MAX_SET = 64
#: Shortest literal worth a prefilter (one- and two-letter words are on every line).
MIN_LITERAL = 3
#: Characters with a meaning in Rust regex syntax, escaped in :func:`prefilter`.
_META = set("\\.+*?()|[]{}^$#&-~")


@dataclass(frozen=True)
class _Info:
    exact: frozenset[str] | None  # every string the node matches, when few and known
    req: frozenset[str] | None  # every match contains one of these (None: nothing known)


def _quality(s: frozenset[str] | None) -> tuple[int, int]:
    if not s or any(("\n" in x or "\r" in x) for x in s):
        return (-1, 0)
    return (min(len(x) for x in s), -len(s))


def _best(*cands: frozenset[str] | None) -> frozenset[str] | None:
    good = [c for c in cands if _quality(c)[0] > 0]
    return max(good, key=_quality) if good else None


_ZERO_WIDTH = {C.AT, C.ASSERT, C.ASSERT_NOT}
_EMPTY = _Info(frozenset({""}), None)
_UNKNOWN = _Info(None, None)


def _node(op: object, av: object) -> _Info:
    if op == C.LITERAL:
        return _Info(frozenset({chr(av)}), None)  # type: ignore[arg-type]
    if op in _ZERO_WIDTH:
        return _EMPTY  # matches no characters: it can only make matches rarer
    if op == C.IN:
        chars: set[str] = set()
        for sub_op, sub_av in av:  # type: ignore[attr-defined]
            if sub_op == C.LITERAL:
                chars.add(chr(sub_av))
            elif sub_op == C.RANGE and sub_av[1] - sub_av[0] < _MAX_SET:
                chars.update(chr(c) for c in range(sub_av[0], sub_av[1] + 1))
            else:
                return _UNKNOWN
        return _Info(frozenset(chars), None) if 0 < len(chars) <= _MAX_SET else _UNKNOWN
    if op == C.SUBPATTERN:
        return _seq(av[-1])  # type: ignore[index]
    if op == C.BRANCH:
        infos = [_seq(alt) for alt in av[1]]  # type: ignore[index]
        exact: frozenset[str] | None = None
        if all(i.exact is not None for i in infos):
            union = frozenset().union(*(i.exact for i in infos if i.exact is not None))
            exact = union if len(union) <= _MAX_SET else None
        reqs = [_best(i.req, i.exact) for i in infos]
        req = None if any(r is None for r in reqs) else frozenset().union(*reqs)  # type: ignore[arg-type]
        return _Info(exact, req)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        lo: int = av[0]  # type: ignore[index]
        hi: int = av[1]  # type: ignore[index]
        inner = _seq(av[2])  # type: ignore[index]
        if lo == 0:
            if hi == 1 and inner.exact is not None:
                return _Info(inner.exact | {""}, None)
            return _UNKNOWN
        exact = None
        if lo == hi and inner.exact is not None:
            words = frozenset({""})
            for _ in range(lo):
                words = frozenset(a + b for a in words for b in inner.exact)
                if len(words) > _MAX_SET:
                    words = None  # type: ignore[assignment]
                    break
            exact = words
        return _Info(exact, _best(inner.req, inner.exact))
    return _UNKNOWN  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, ...


def _seq(items: object) -> _Info:
    """A concatenation: runs of exact items multiply out; the best required set wins."""
    run: frozenset[str] | None = frozenset({""})
    whole = True
    cands: list[frozenset[str] | None] = []
    for op, av in items:  # type: ignore[attr-defined]
        info = _node(op, av)
        if run is not None and info.exact is not None:
            product = frozenset(a + b for a in run for b in info.exact)
            if len(product) <= _MAX_SET:
                run = product
                continue
        whole = False
        cands.append(run)
        cands.append(info.req)
        cands.append(info.exact)
        run = frozenset({""})
    cands.append(run)
    return _Info(run if whole else None, _best(*cands))


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings of which every match of ``pattern`` contains at least one (compared without
    regard to case), or None when no such set of strings of at least :data:`MIN_LITERAL`
    characters, free of line ends, can be told from the pattern."""
    if "[[:" in pattern or re.search(r"\\[pPX]", pattern):
        return None
    try:
        tree = P.parse(pattern, 0)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    info = _seq(list(tree))
    best = _best(info.req, info.exact)
    if best is None or min(len(x) for x in best) < MIN_LITERAL:
        return None
    # A literal containing another one is redundant: the shorter one is found anyway.
    lits = sorted(best, key=len)
    kept: list[str] = []
    for w in lits:
        if not any(k.lower() in w.lower() for k in kept):
            kept.append(w)
    return frozenset(kept)


def escape(text: str) -> str:
    """``text`` as a literal in Rust regex syntax."""
    return "".join("\\" + ch if ch in _META else ch for ch in text)


def prefilter(pattern: str) -> str | None:
    """A case-insensitive pattern of plain alternatives that every string matching
    ``pattern`` also matches (see :func:`required_literals`), or None."""
    lits = required_literals(pattern)
    if not lits:
        return None
    return "(?i)" + "|".join(escape(w) for w in sorted(lits))
