"""The literal prefilter never rejects a line its full pattern would match.

Property: for patterns built from the constructs catalog signatures use (words, alternatives,
optional parts, bounded repeats, ``.{0,n}``, classes, anchors, ``\\b``, ``\\d+``) and for strings
hypothesis generates *to match them*, the prefilter (run by polars, like the full pattern) says
yes whenever the full pattern does. Plus the catalog itself: each signature's example, in any
letter case, passes its kind's prefilter.
"""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.sources import _lines as L
from hbtriage.sources._prefilter import escape, prefilter, required_literals
from hbtriage.sources.options import ReadOptions


def _contains(pattern: str, text: str) -> bool:
    return bool(pl.Series([text]).str.contains(pattern)[0])


def test_literals_of_hand_written_patterns() -> None:
    assert required_literals("Shutting down VRU PIM connection|Transition to partial service") == {
        "Shutting down VRU PIM connection",
        "Transition to partial service",
    }
    assert required_literals(r"Missed \d+ VRU PIM heartbeats") == {" VRU PIM heartbeats"}
    # "time ?out" multiplies out; the longest sure word wins over short alternatives.
    assert required_literals(r"(VRU|peripheral).{0,40}heartbeat.{0,40}(time ?out|missed)") == {
        "heartbeat"
    }
    assert required_literals(r"(time ?out|timed out)") == {"timeout", "time out", "timed out"}
    assert required_literals(r"a.b") is None  # nothing of three characters is certain
    assert required_literals(r"(foo)?bar") == {"bar"}
    assert required_literals(r"(foo)?ba") is None
    assert required_literals(r"[[:alpha:]]+ error") is None  # read differently by the engines
    assert required_literals(r"\p{L}+ down") is None
    assert required_literals("unbalanced (") is None


def test_escape_is_literal_in_polars() -> None:
    text = r"a.b+c*d?e(f)g|h[i]j{k}l^m$n#o&p-q~r\s"
    assert _contains("^" + escape(text) + "$", text)
    assert not _contains("^" + escape(text) + "$", text.replace(".", "x"))


@pytest.mark.parametrize("sig", load_catalog().signatures, ids=lambda s: s.id)
def test_every_signature_example_passes_its_kinds_prefilter(sig) -> None:  # type: ignore[no-untyped-def]
    patterns = load_catalog().keep_patterns()
    for kind in sig.kinds or ["*"]:
        full = patterns[kind]
        assert full is not None
        pre = prefilter(full)
        assert pre is not None
        for text in (sig.example, sig.example.upper(), sig.example.lower(), sig.example.swapcase()):
            assert _contains(full, text), (kind, text)
            assert _contains(pre, text), (kind, text)


_WORDS = st.sampled_from(
    ["heartbeat", "VRU", "PIM", "link", "down", "time", "out", "a", "xy", "10054", "(GED125)"]
)


@st.composite
def _pattern(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 9 if depth < 2 else 5))
        if kind <= 2:
            parts.append(re.escape(draw(_WORDS)).replace("\\ ", " "))
        elif kind == 3:
            parts.append(draw(st.sampled_from([" ", ".{0,5}", r"\d+", "[ab]", r"\b", "^", " ?"])))
        elif kind == 4:
            parts.append(re.escape(draw(_WORDS)) + draw(st.sampled_from(["?", "{2}", "+", "*"])))
        elif kind == 5:
            parts.append(draw(st.sampled_from([".", r"\s", "[^x]", "(?:x|yy)"])))
        else:
            alts = [draw(_pattern(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
            parts.append("(?:" + "|".join(alts) + ")" + draw(st.sampled_from(["", "", "?"])))
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_prefilter_never_rejects_a_match(data: st.DataObject) -> None:
    pattern = data.draw(_pattern())
    pre = prefilter(pattern)
    if pre is None:
        return
    compiled = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    text = data.draw(st.from_regex(compiled, fullmatch=False).filter(lambda t: "\x00" not in t))
    if _contains("(?is)" + pattern, text):
        assert _contains(pre, text), (pattern, pre, text)


def test_keep_messages_per_kind() -> None:
    patterns = load_catalog().keep_patterns()
    assert patterns["*"] is None  # every signature names its reader kinds
    msgs = pl.Series(
        ["Shutting down VRU PIM connection", "Error receiving data from VRU.\n[10054]", "x"]
    )
    options = ReadOptions(keep=patterns)
    assert L.keep_mask(msgs, "cvp_log", options).to_list() == [True, False, False]
    assert L.keep_mask(msgs, "icm_dumplog", options).to_list() == [False, True, False]
    assert L.keep_mask(msgs, "some_new_kind", options).to_list() == [False, False, False]
    everything = L.keep_mask(msgs, "cvp_log", ReadOptions())  # no keep patterns: keep all
    assert everything.to_list() == [True, True, True]


_MESSAGES = st.sampled_from(
    [None, "Shutting down VRU PIM connection", "Error receiving data from VRU.\n[10054]", "x",
     "heartbeat missed", "", "TRANSITION TO PARTIAL SERVICE", None, None]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(messages=st.lists(_MESSAGES, max_size=40))
def test_keep_mask_equals_the_full_pattern_with_nulls_never_kept(
    messages: list[str | None],
) -> None:
    """However many messages a reader already dropped (null): the kept ones are those the
    kind's full pattern matches."""
    options = ReadOptions(keep=load_catalog().keep_patterns())
    s = pl.Series("message", messages, dtype=pl.Utf8)
    for kind in ("cvp_log", "icm_dumplog"):
        keep = options.keep_of(kind)
        assert keep is not None and keep.full is not None
        want = [m is not None and _contains(keep.full, m) for m in messages]
        assert L.keep_mask(s, kind, options).to_list() == want


def test_every_reader_with_signatures_slims_its_logs_line_by_line() -> None:
    """Each reader kind a signature names gets a literal prefilter that works line by line (no
    literal with a ':' that could straddle the ': ' a reader inserts), in ASCII for the kinds the
    compiled core reads: else their large logs are read with every line's text and digest (a signature whose words held 'NETDEV WATCHDOG:' once
    took the generic reader's sparse pieces away)."""
    from hbtriage.catalog import load_catalog
    from hbtriage.sources import _scan

    catalog = load_catalog()
    options = catalog.read_options()
    for kind in (k for k in catalog.keep_patterns() if k != "*"):
        keep = options.keep_of(kind)
        assert keep is not None and keep.lines is not None, kind
        if kind in _scan.KINDS:  # the compiled core searches the words in the bytes
            assert keep.literals and _scan.literal_table(keep.literals) is not None, kind
