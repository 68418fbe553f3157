"""Files that change under the reader: a log cut short while it is read (log rotation by
truncating the file, a copy still being made) is one warning naming it, and the rest of the
bundle is analysed; the run never waits forever for bytes that are gone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from hbtriage.simulate.scenarios import generate

#: The real command, with the log named by ``HBT_SHRINK`` cut to a tenth of what has been read
#: when its third piece has been read (pieces of 64 KiB, so a small file has several).
_SHRINKING = """
import dataclasses, os
import hbtriage.sources._lines as L
victim = os.environ["HBT_SHRINK"]
real_chunks, real_seen = L._byte_chunks, L._seen
def small_pieces(path, encoding, starts, options, **more):
    return real_chunks(
        path, encoding, starts, dataclasses.replace(options, chunk_bytes=1 << 16), **more
    )
def seen(options, fh, pos):
    if getattr(fh, "name", None) == victim and pos >= 3 << 16 and os.path.getsize(victim) > pos:
        os.truncate(victim, pos // 10)
    real_seen(options, fh, pos)
L._byte_chunks, L._seen = small_pieces, seen
from hbtriage.cli import main
main()
"""


def test_a_log_cut_short_while_read_is_one_warning_and_the_rest_is_analysed(
    tmp_path: Path,
) -> None:
    """It used to ask for the missing bytes again and again: the run never ended."""
    root = tmp_path / "case"
    truth = generate("dpc_storm_pg", root, 1)
    (root / "truth.json").unlink()
    cvp = next(h for h, v in truth["hosts"].items() if v["role"] == "cvp")
    rotated = root / cvp / "app.log"
    lines = (
        f"2013-11-23 10:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{i % 10}00 INFO filler {i}\n"
        for i in range(40_000)
    )
    rotated.write_text("".join(lines), encoding="utf-8")
    size = rotated.stat().st_size
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _SHRINKING, "analyze", str(root), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HBT_SHRINK": str(rotated)},
    )
    # The file is bad input: its one line on stderr, exit code 2, the rest analysed.
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("hbtriage: error: ") and "app.log" in line, line
    assert rotated.stat().st_size < size  # (it was cut while read)
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    said = [w for w in doc["warnings"] if "app.log" in w]
    assert len(said) == 1, said
    assert re.fullmatch(
        rf"case/{cvp}/app\.log: expected the file to stay as it was while it was read, but it got"
        rf" shorter \({size:,} bytes when reading began, none left after byte [\d,]+\): copy it"
        r" once nothing writes to it, and analyze the copy",
        said[0],
    ), said[0]
    assert "file_shrank" in doc["warning_ids"]
    (ja,) = [w for w in doc["warnings_ja"] if "app.log" in w]
    assert "読み込み中にファイルが短くなりました" in ja
    assert [c["id"] for c in doc["incidents"][0]["causes"]][0] == "dpc_storm"
    assert any(i["path"].endswith("app.log") and i["kind"] == "unreadable" for i in doc["inputs"])
