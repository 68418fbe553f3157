"""``--lang ja``: a Japanese user sees Japanese on every surface the command prints or writes:
the progress on stderr, the closing line, and the labels of the reports' inputs and hosts
tables (where a zone and a host came from). Data (paths, host and zone names, counter names)
stays as written; the English output does not change."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hbtriage import cli

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
CLI = [sys.executable, "-m", "hbtriage.cli"]
#: English words of the progress display and the closing line.
PROGRESS_EN = re.compile(r"\b(extract|read|timeline|detect|diagnose|files?|left|min|Wrote)\b")


def _run(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "analyze", str(REFERENCE), "--out", str(tmp_path), *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_progress_lines_and_the_closing_line_are_japanese(tmp_path: Path) -> None:
    res = _run(tmp_path, "--progress", "--lang", "ja")
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    stages = [line.split()[2] for line in lines]
    assert stages[0] == "読み込み" and {"タイムライン作成", "検出", "診断"} <= set(stages)
    last_read = [line for line in lines if " 読み込み " in line][-1]
    assert "5/5 ファイル" in last_read and "/4 MB" in last_read
    assert re.match(r"hbtriage: +\d+\.\d秒 ", lines[0])
    # file names are data: cut them before looking for English words
    words = [line.split("  ")[:3] for line in lines]
    assert not [w for w in words if PROGRESS_EN.search(" ".join(w))], lines
    assert "\n出力ファイル: " in res.stdout and "Wrote" not in res.stdout


def test_progress_lines_in_english_are_unchanged(tmp_path: Path) -> None:
    res = _run(tmp_path, "--progress")
    lines = res.stderr.splitlines()
    assert re.match(r"hbtriage: +\d+\.\ds read  0/4 MB  0/5 files$", lines[0])
    assert "\nWrote: " in res.stdout


def test_time_left_is_worded_in_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    for lang, want in (("en", " · ~3 min 20 s left"), ("ja", " · 残り約 3 分 20 秒")):
        left = cli._TimeLeft(lang)
        assert left.text("read", 0, 1000) == ""
        now[0] += 10  # 50 bytes in 10 s: 950 bytes left take 190 s
        assert left.text("read", 50, 1000) == want.replace("3 min 20 s", "3 min 10 s").replace(
            "3 分 20 秒", "3 分 10 秒"
        )
    assert cli._duration(42, "ja") == "42 秒" and cli._duration(3725, "ja") == "1 時間 2 分"
    assert cli._duration(42) == "42 s" and cli._duration(3725) == "1 h 2 min"


def test_progress_detail_keeps_the_file_name_as_written() -> None:
    detail = "3/9 files  PG1A/3 files old/pim1.txt"
    assert cli._detail(detail, "ja") == "3/9 ファイル  PG1A/3 files old/pim1.txt"
    assert cli._detail(detail, "en") == detail
    assert cli._detail("case.zip!PG1A/x.log", "ja") == "case.zip!PG1A/x.log"
