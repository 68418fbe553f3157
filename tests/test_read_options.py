"""Read options travel with each call: nothing process-wide is left behind by an analysis."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hbtriage.api import analyze
from hbtriage.catalog import load_catalog
from hbtriage.report.json_out import to_json
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile
from hbtriage.sources.options import ReadOptions

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
CVP = REFERENCE / "CVP1" / "CVP.2013-03-30.log"


def _messages(options: ReadOptions | None = None) -> int:
    item = InputFile(display=CVP.name, path=str(CVP), size=CVP.stat().st_size)
    outcome = read_one(item) if options is None else read_one(item, options)
    assert outcome.result is not None and outcome.result.events is not None
    return int(outcome.result.events["message"].is_not_null().sum())


def test_overlapping_analyses_in_threads_agree_and_leave_nothing_set() -> None:
    alone = to_json(analyze([REFERENCE]))
    everything = _messages()
    with ThreadPoolExecutor(4) as pool:
        runs = [pool.submit(lambda: to_json(analyze([REFERENCE]))) for _ in range(4)]
        reads = [pool.submit(_messages) for _ in range(4)]
        assert [r.result() for r in runs] == [alone] * 4
        # A plain read during the analyses keeps every message: no analysis's keep patterns
        # leaked into it.
        assert [r.result() for r in reads] == [everything] * 4
    assert _messages() == everything
    slim = _messages(load_catalog().read_options())
    assert 0 < slim < everything  # the catalog's options do keep fewer texts


def test_piece_sizes_are_options_not_module_constants() -> None:
    whole = to_json(analyze([REFERENCE]))
    small = dataclasses.replace(
        load_catalog().read_options(),
        chunk_bytes=8192,
        block_bytes=4096,
        stream_block_bytes=1000,
        stream_min_bytes=1,
    )
    assert to_json(analyze([REFERENCE], read_options=small)) == whole


@pytest.mark.parametrize("name", ["chunk_bytes", "block_bytes", "stream_block_bytes"])
def test_nonsense_sizes_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ReadOptions(**{name: 0})
