"""The readers' steps that use numpy when it is loaded (a run with the compiled core) and
polars alone when it is not (a small run never imports numpy: ``_lines.loaded_numpy``) give
the same results either way (the midnight roll-over's two forms: see test_icm_dumplog)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hbtriage.api import analyze
from hbtriage.catalog import load_catalog
from hbtriage.report.json_out import to_json
from hbtriage.simulate.scenarios import SCENARIOS, generate
from hbtriage.sources import _lines

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _options() -> object:
    # Small pieces: the steps run piece by piece, their state carried between pieces.
    return dataclasses.replace(
        load_catalog().read_options(), compiled=False, chunk_bytes=64 * 1024, stream_min_bytes=0
    )


def _both(monkeypatch: pytest.MonkeyPatch, run: object) -> tuple[object, object]:
    """``run()`` with numpy's forms, then with polars' alone."""
    assert _lines.loaded_numpy() is not None  # the tests' process has numpy
    with_numpy = run()  # type: ignore[operator]
    monkeypatch.setattr(_lines, "loaded_numpy", lambda: None)
    without = run()  # type: ignore[operator]
    monkeypatch.undo()
    return with_numpy, without


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenarios_read_alike_with_and_without_numpy(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(scenario, tmp_path / scenario, seed=5)
    a, b = _both(
        monkeypatch, lambda: to_json(analyze([tmp_path / scenario], read_options=_options()))
    )
    assert a == b


def test_the_fixtures_read_alike_with_and_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every real-format file of the tests (logs of every reader, several languages)."""
    a, b = _both(monkeypatch, lambda: to_json(analyze([FIXTURES], read_options=_options())))
    assert a == b
