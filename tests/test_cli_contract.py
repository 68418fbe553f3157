"""The CLI contract users script against, property-tested: whatever value an option gets, the
command ends with exit 0 or with exactly one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.cli import main

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"

_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=30
) | st.sampled_from(
    ["UTC", "PG1A=Asia/Tokyo", "=", "PG1A=", "NOSUCH=UTC", "Central Standard Time", "html", "ja"]
)


def _run(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    out = io.StringIO()
    saved = sys.argv
    sys.argv = ["hbtriage", *args]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
            else:
                code = 0
    finally:
        sys.argv = saved
    return code, err.getvalue()


@pytest.mark.parametrize("option", ["--tz", "--format", "--lang", "--host-alias"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=_values)
def test_any_option_value_is_one_line_or_success(option: str, value: str, tmp_path: Path) -> None:
    code, stderr = _run(
        ["analyze", str(REFERENCE), option, value, "--out", str(tmp_path / "out"), "--quiet"]
    )
    assert "Traceback" not in stderr
    assert code in (0, 2), (code, stderr)
    if code == 2:
        assert stderr.count("\n") == 1 and stderr.startswith("hbtriage: error: "), stderr


@settings(max_examples=25, deadline=None)
@given(words=st.lists(_values, min_size=0, max_size=4))
def test_any_arguments_are_one_line_or_success(words: list[str]) -> None:
    code, stderr = _run(["report", *words])
    assert "Traceback" not in stderr
    assert code in (0, 2), (code, stderr)
    if code == 2 and stderr:
        assert stderr.count("\n") == 1 and stderr.startswith("hbtriage: error: "), stderr
