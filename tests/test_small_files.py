"""Bundles of many small files: what is done once per run or per file instead of once per
reader and line gives the same findings, byte for byte, as the step-by-step way.

* Sniffing: every reader tests the same head, so the patterns are tested all at once
  (:func:`hbtriage.sources._lines.head_hits`); the CVP and Cisco Log sniffers count on those
  hits. Checked against the one-query-per-pattern way on heads of every layout (hypothesis),
  reader by reader against their former polars code.
* Lines: a small piece of a file is split into lines in Python (:func:`L._small_line_frame`),
  not by polars' CSV reader or string steps; checked against both on text and bytes of every
  kind of line end (hypothesis).
* Timeline: a small file's order check (:func:`hbtriage.timeline.frames._never_down`) in
  Python; host names' pure functions (folder words, addresses) remembered per name.
* All of it on a whole bundle of many small files: findings.json byte for byte as the former
  way gives it (each of the above turned back).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hbtriage import hosts
from hbtriage.api import analyze
from hbtriage.catalog import load_catalog
from hbtriage.report.json_out import to_json
from hbtriage.sources import _lines as L
from hbtriage.sources import ciscolog, cvp_log, generic_log, readers_for, relay
from hbtriage.timeline import frames

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT / "fixtures"
REFERENCE = ROOT.parent / "src" / "hbtriage" / "simulate" / "reference"


def _old_head_lines(head: str, limit: int = L.SNIFF_LINES) -> pl.Series:
    """What ``head_lines`` gave before it was one query: :func:`L.line_frame`, cut, filtered."""
    df, _ = L.line_frame(head)
    s = df["text"].str.slice(0, 4096)
    return s.filter(s.str.strip_chars() != "").head(limit)


def _old_hits(head: str, pattern: str) -> tuple[bool, ...]:
    """One query per pattern, as each sniffer ran it."""
    return tuple(_old_head_lines(head).str.contains(pattern).to_list())


def _old_cvp_count(head: str) -> tuple[int, int]:
    lines = _old_head_lines(head)
    n = lines.len()
    if n == 0:
        return 0, 0
    wrapped = (
        lines.str.contains(cvp_log._SNIFF_STAMP_ALONE)
        & lines.shift(-1).str.contains(cvp_log._SNIFF_HEAD_BELOW).fill_null(False)
    ).fill_null(False)
    n_cvp = int(
        (lines.str.contains(cvp_log._SNIFF) | wrapped | wrapped.shift(1).fill_null(False)).sum()
    )
    return n_cvp, n


def _old_ciscolog_sniff(head: str) -> bool:
    lines = _old_head_lines(head)
    if lines.len() == 0:
        return False
    apps = lines.str.extract_groups(f"^{ciscolog.PATTERN}").struct.field("app").drop_nulls()
    n_hits = apps.len()
    if n_hits == 0 or n_hits < min(2, lines.len()) or n_hits < 0.2 * lines.len():
        return False
    return int(apps.str.starts_with("CVP").sum()) * 2 < n_hits


def _old_generic_choose(head: str) -> tuple[str | None, float]:
    lines = _old_head_lines(head)
    if lines.len() == 0:
        return None, 0.0
    counts = [L.share_matching(lines, f"^{f.pattern}")[0] for f in generic_log.FAMILIES]
    best = max(counts)
    if best == 0:
        return None, 0.0
    for fam, n in zip(generic_log.FAMILIES, counts, strict=True):
        if n >= 0.9 * best:
            return fam.name, best / lines.len()
    return None, 0.0


_T0 = datetime(2013, 3, 30, 19, 36, 40)
#: Lines of every layout the sniffers tell apart, and what sits between them in real files.
_LINE = st.sampled_from(
    [
        "Mar 30 2013 19:36:46.531 -0500: %CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed 2",
        "1234: 10.0.0.5: Mar 30 2013 19:36:46.531 -0500: %CVP_8_5_IVR-7-CALL: {Thrd=x} y",
        "Mar 30 2013 19:36:46.531 -0500:",  # a wrapped header: the stamp alone ...
        "   %CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: Shutting down VRU PIM connection.",  # ... below
        "41: PG1A: Mar 30 2013 19:36:46.531 -0500: %ICM_Router_ProcessSynchronization: [x]: y",
        "42: CVP1: Mar 30 2013 19:36:46.531 -0500: %CVP_8_5_ICM-6-X: y",
        "Mar 30 19:36:46 syslog1 41: PG1A: Mar 30 2013 19:36:46.531 -0500: %ICM_PIM: y",
        "Events from March 30, 2013",
        "19:36:46:531 PG1A-pim1 Trace: NEW_CALL_REQ dialogue 0x000123",
        "2013-03-30 19:36:46,531 INFO worker finished batch 7",
        "2013-03-30T19:36:46.531Z [WARN] heartbeat late",
        "Mar 30 19:36:46 cvp1 app[7]: session opened",
        "<34>1 2013-03-30T19:36:46.003Z host app 42 ID47 - text",
        "2016-09-28 04:30:30, Info   CBS    Loaded Servicing Stack",
        "2015-07-29 17:41:44,747 - INFO  [main:QuorumPeer@774] - text",
        "\tat com.example.Thing(Thing.java:42)",
        "",
        "   ",
        "\u3000",  # an ideographic space: blank to strip_chars
        "x" * 5000,  # cut at 4,096 characters
        "caf\u00e9 \u2014 \u30ed\u30b0",
    ]
)


_STAMP_ALONE, _BELOW = "Mar 30 2013 19:36:46.531 -0500:", "   %CVP_8_5_ICM-1-X: y"
_CISCO_ICM, _CISCO_CVP = "41: PG1A: Mar 30 2013 19:36:46.531 -0500: %ICM_PIM: y", "42: CVP1: Mar 30 2013 19:36:46.531 -0500: %CVP_8_5_ICM-6-X: y"  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(lines=[_STAMP_ALONE, _BELOW, "x", "y", "z", _BELOW, _STAMP_ALONE], crlf=False, end="")
@example(lines=[_STAMP_ALONE, _BELOW, "x", _STAMP_ALONE, "", _BELOW], crlf=True, end="\n")
@example(lines=[_CISCO_ICM, "a", "b", "c", _CISCO_CVP, "d", "e"], crlf=False, end="\n")
@example(lines=[_CISCO_ICM, _CISCO_CVP, _CISCO_CVP, "a"], crlf=False, end="\n")
@example(lines=[_CISCO_ICM, "", _STAMP_ALONE, _BELOW] * 70, crlf=True, end="\n")  # > 200 lines
@given(
    lines=st.lists(_LINE, max_size=260),
    crlf=st.booleans(),
    end=st.sampled_from(["", "\n", "\n\n"]),
)
def test_head_hits_equal_one_query_per_pattern(lines: list[str], crlf: bool, end: str) -> None:
    head = ("\r\n" if crlf else "\n").join(lines) + end
    patterns = [
        cvp_log._SNIFF,
        cvp_log._SNIFF_STAMP_ALONE,
        cvp_log._SNIFF_HEAD_BELOW,
        f"^{ciscolog.PATTERN}",
        f"^{L.SYSLOG_RELAY}",
        *(f"^{f.pattern}" for f in generic_log.FAMILIES),
    ]
    assert L.head_lines(head).to_list() == _old_head_lines(head).to_list()
    for p in patterns:
        assert L.head_hits(head, p) == _old_hits(head, p), p
    assert cvp_log.sniff_count(head) == _old_cvp_count(head)
    assert ciscolog.READER.sniff(head, "x.log") == _old_ciscolog_sniff(head)
    fam, share = generic_log._choose_head(head)
    assert (fam.name if fam else None, share) == _old_generic_choose(head)
    assert generic_log._choose(L.head_lines(head)) == generic_log._choose_head(head)


def test_head_hits_invalid_pattern_raises_for_its_asker_only() -> None:
    """A site's declared format with a pattern polars rejects fails its own sniff (which the
    sniff loop skips), not the patterns tested with it."""
    head = "2013-03-30 19:36:46,531 INFO a\n2013-03-30 19:36:47,531 INFO b\n"
    with pytest.raises(pl.exceptions.PolarsError):
        L.head_hits(head, "^(unclosed")
    assert L.head_hits(head, "^2013") == (True, True)
    with pytest.raises(pl.exceptions.PolarsError):
        L.head_hits(head, "^(unclosed")


def test_every_sniffer_as_before_on_the_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reader's verdict on every fixture's head, with the shared hits and with one
    query per pattern (the former way): the same."""
    readers = readers_for(load_catalog().read_options().formats)
    heads = []
    for f in sorted(FIXTURES.rglob("*")):
        if f.is_file():
            with open(f, "rb") as fh:
                heads.append(fh.read(64 * 1024).decode("utf-8", errors="replace"))

    def verdicts() -> list[list[bool | str]]:
        out: list[list[bool | str]] = []
        for head in heads:
            row: list[bool | str] = [relay.relayed(head)]
            for r in readers:
                try:
                    row.append(bool(r.sniff(head, "x.log")))
                except Exception as exc:  # noqa: BLE001 (as the sniff loop does)
                    row.append(type(exc).__name__)
            out.append(row)
        return out

    now = verdicts()
    _old_way(monkeypatch)
    assert verdicts() == now
    assert any(any(v is True for v in row[1:]) for row in now)


def _old_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step of this file's changes back as it was: one query per pattern, lines split by
    polars, order checked by polars, host names worked out again each time."""
    monkeypatch.setattr(L, "head_lines", _old_head_lines)
    monkeypatch.setattr(L, "head_hits", _old_hits)
    monkeypatch.setattr(L, "SMALL_TEXT", -1)
    monkeypatch.setattr(frames, "_FEW", -1)
    for name in ("host_address", "generic_folder", "folder_host", "is_address", "name_key"):
        monkeypatch.setattr(hosts, name, getattr(hosts, name).__wrapped__)


_TEXT = st.text(alphabet=st.sampled_from(["a", "\u00e9", "\u65e5", "\r", "\n", "\x00", "\u2028", " ", "\x85"]), max_size=60)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_small_text_lines_as_polars_splits_them(text: str) -> None:
    small = L.line_frame(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(L, "SMALL_TEXT", -1)
        big = L.line_frame(text)
    assert small[1] == big[1]
    assert small[0].schema == big[0].schema
    assert small[0].equals(big[0])


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=40) | _TEXT.map(lambda t: t.encode("utf-8")), first=st.booleans())
def test_small_piece_lines_as_the_csv_split_gives_them(data: bytes, first: bool) -> None:
    """A small piece is decoded and split by :func:`L.line_frame` (as any piece polars' CSV
    split cannot take): where that split takes it, the lines are the same."""
    fast = L._split_bytes(data, "utf-8", first=first)
    assert L._split_piece((data, True, "utf-8"), first, None) == (None, None)
    text = L.decode(data, "utf-8")
    if first and text.startswith("\ufeff"):
        text = text[1:]
    if fast is not None and data:
        frame, _ = L.line_frame(text)
        assert frame.equals(fast) and frame.schema == fast.schema


@given(
    values=st.lists(st.integers(0, 2**32 - 1), max_size=300),
    strict=st.booleans(),
    unsigned=st.booleans(),
    ordered=st.booleans(),
)
def test_few_values_ordered_as_polars_says(
    values: list[int], strict: bool, unsigned: bool, ordered: bool
) -> None:
    s = pl.Series(sorted(values) if ordered else values, dtype=pl.UInt32 if unsigned else pl.Int64)
    few = frames._never_down(s, strict=strict)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(frames, "_FEW", -1)
        assert few == frames._never_down(s, strict=strict)


def _small_bundle(root: Path, n: int = 60) -> Path:
    """A support export of many small files: tiny ISO 8601 and syslog logs (a few with a
    heartbeat loss), the reference case's CVP log rotated into small files, its PIM dumplog,
    a Cisco Log file, syslog relay feeds and declared-format logs."""
    bundle = root / "export"
    rng = random.Random(3)
    for i in range(n):
        t = _T0 + timedelta(seconds=rng.randrange(-600, 600))
        lines = []
        for k in range(rng.randrange(1, 8)):
            t += timedelta(milliseconds=rng.randrange(5, 4000))
            text = f"call {rng.randrange(9999)} routed"
            if i % 20 == 3 and k == 0:
                text = "Missed 2 VRU PIM heartbeats. Shutting down VRU PIM connection."
            if i % 2:
                lines.append(f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} INFO {text}")
            else:
                lines.append(f"{t:%b} {t.day:2d} {t:%H:%M:%S} cvp1 app[{i}]: {text}")
        sub = bundle / ("CVP1" if i % 3 else "misc")
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"app-{i:03d}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cvp = (REFERENCE / "CVP1" / "CVP.2013-03-30.log").read_bytes()
    cuts = [0, *sorted(rng.sample(range(1, len(cvp)), 24)), len(cvp)]
    starts = [cvp.find(b"\n", c) + 1 if c else 0 for c in cuts[:-1]] + [len(cvp)]
    for k, (a, b) in enumerate(zip(starts, starts[1:], strict=False)):
        if b > a:
            (bundle / "CVP1" / f"CVP.2013-03-30.{k}.log").write_bytes(cvp[a:b])
    (bundle / "PG1A").mkdir()
    shutil.copy(REFERENCE / "PG1A" / "pim1.txt", bundle / "PG1A" / "pim1.txt")
    shutil.copy(REFERENCE / "CVP1" / "Error.2013-03-30.log", bundle / "CVP1")
    for kind in ("ciscolog", "syslog_relay", "declared", "generic_log"):
        shutil.copytree(FIXTURES / kind, bundle / "more" / kind)
    return bundle


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _small_bundle(tmp_path_factory.mktemp("small"))


def _findings(bundle: Path, patch: Callable[[], None] | None = None) -> str:
    if patch is not None:
        patch()
    return to_json(analyze([bundle]))


def test_small_files_findings_as_with_one_query_per_pattern(
    small_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _findings(small_bundle)
    before = _findings(small_bundle, lambda: _old_way(monkeypatch))
    assert now == before
    assert '"incidents": [\n    {' in now  # the heartbeat loss is found
