"""Real logs of other systems (loghub, tests/fixtures/loghub/SOURCES.md) handed over as users do:
each alone, and each beside a simulated PG/CVP bundle in the PG's folder and in a folder of its
own. They are read with their times right, or skipped with one line; they never crash the run,
invent an incident, or rename or split the PG and the CVP."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hbtriage.catalog import LineFormat
from hbtriage.cli import app
from hbtriage.simulate.scenarios import generate
from hbtriage.sources import declared
from hbtriage.sources.base import InputFile

LOGHUB = Path(__file__).parent / "fixtures" / "loghub"

#: file -> (kind, first time stamp as the report shows it (UTC), or None: skipped with a note).
#: Times checked by hand against the text; year-less stamps take the year of the file's time,
#: set to 2026-12-05 below.
EXPECTED: dict[str, tuple[str, str | None]] = {
    "Android_2k.log": ("android_logcat", "2026-03-17T16:13:38.811Z"),
    "Apache_2k.log": ("apache_error", "2005-12-04T04:47:44.000Z"),
    # seconds since 1970: 1117838570 (the RAS stamp beside it is 15.42.50 local, UTC-7)
    "BGL_2k.log": ("bgl_ras", "2005-06-03T22:42:50.000Z"),
    "HDFS_2k.log": ("hdfs_log", "2008-11-09T20:36:15.000Z"),
    # out of order: the earliest is 1074119817 on line 13
    "HPC_2k.log": ("hpc_events", "2004-01-14T22:36:57.000Z"),
    "Hadoop_2k.log": ("generic_log", "2015-10-18T18:01:47.978Z"),
    "HealthApp_2k.log": ("healthapp_log", "2017-12-23T22:15:29.000Z"),
    "Mac_2k.log": ("generic_log", "2026-07-01T09:00:55.000Z"),
    "OpenSSH_2k.log": ("generic_log", "2026-12-10T06:55:46.000Z"),
    "OpenStack_2k.log": ("unsupported", None),
    "Proxifier_2k.log": ("proxifier_log", "2026-10-30T16:49:06.000Z"),
    "Spark_2k.log": ("spark_log", "2017-06-09T20:10:40.000Z"),
    "Thunderbird_2k.log": ("thunderbird_syslog", "2005-11-09T20:01:01.000Z"),
}
#: The file's modified time the year-less logs are read against.
MTIME = dt.datetime(2026, 12, 11, 12, 0, tzinfo=dt.UTC).timestamp()


def _copy(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / name
    shutil.copyfile(LOGHUB / name, dst)
    os.utime(dst, (MTIME, MTIME))
    return dst


def _analyze(out: Path, *paths: Path) -> tuple[int, dict[str, Any], str]:
    res = CliRunner().invoke(
        app, ["analyze", *map(str, paths), "--out", str(out), "--quiet", "--format", "json"]
    )
    found = out / "findings.json"
    return res.exit_code, json.loads(found.read_text()) if found.exists() else {}, res.output


def _story(findings: dict[str, Any]) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    return [
        (i["start"], sorted(i["hosts"]), [(c["id"], c["host"]) for c in i["causes"]])
        for i in findings["incidents"]
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_alone_read_with_its_times_or_skipped_in_one_line(name: str, tmp_path: Path) -> None:
    kind, first = EXPECTED[name]
    path = _copy(name, tmp_path / "in")
    code, findings, output = _analyze(tmp_path / "out", path)
    assert "Traceback" not in output
    if first is None:  # nothing readable: exit 2 and one line that names the file
        assert code == 2
        lines = [ln for ln in output.splitlines() if ln.strip()]
        assert len(lines) == 1 and name in lines[0] and "not a format" in lines[0]
        return
    assert code == 0, output
    (inp,) = findings["inputs"]
    assert inp["kind"] == kind
    assert inp["first"] == first
    assert findings["incidents"] == []


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """dpc_storm_pg seed 3 (PG2A, CVP2) and the story it tells without other logs."""
    root = tmp_path_factory.mktemp("sim")
    generate("dpc_storm_pg", root / "b", 3)
    (root / "b" / "truth.json").unlink()
    code, findings, output = _analyze(root / "out", root / "b")
    assert code == 0, output
    story = _story(findings)
    assert story and story[0][2][0] == ("dpc_storm", "PG2A")
    return root / "b", story


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_beside_the_pg_and_in_a_folder_of_its_own(
    name: str, bundle: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    src, story = bundle
    b = tmp_path / "b"
    shutil.copytree(src, b)
    _copy(name, b / "PG2A")
    _copy(name, b / "OTHER")
    code, findings, output = _analyze(tmp_path / "out", b)
    assert code == 0 and "Traceback" not in output
    assert _story(findings) == story
    names = {h["name"] for h in findings["hosts"]}
    assert {"PG2A", "CVP2"} <= names
    theirs = [i for i in findings["inputs"] if i["path"].endswith(name)]
    assert len(theirs) == 2
    for inp in theirs:
        assert inp["host"] not in ("PG2A", "CVP2")
        assert inp["kind"] == EXPECTED[name][0]


def test_all_of_them_in_one_folder_beside_the_bundle(
    bundle: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    src, story = bundle
    shutil.copytree(src, tmp_path / "case" / "bundle")
    for name in sorted(os.listdir(LOGHUB)):
        if name.endswith(".log"):
            _copy(name, tmp_path / "case" / "loghub")
    code, findings, output = _analyze(tmp_path / "out", tmp_path / "case")
    assert code == 0 and "Traceback" not in output
    assert _story(findings) == story
    skipped = [w for w in findings["warnings"] if "not a format hbtriage reads" in w]
    assert len(skipped) == 1 and "OpenStack_2k.log" in skipped[0]


# The year of stamps without one: a property of the declared reader.
_MD = LineFormat(
    id="md_test",
    title="month-day test layout",
    reference="tests",
    start=r"(?P<time>[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}) ",
    timestamp="%m-%d %H:%M:%S",
)


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    steps=st.lists(st.integers(min_value=0, max_value=40 * 86_400), min_size=1, max_size=12),
)
def test_a_year_less_log_is_read_in_order_ending_by_the_file_time(
    start: dt.datetime, steps: list[int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Records in time order, each less than half a year after the one before, written up to
    the file's modified time: read back exactly, in their years."""
    times = [start.replace(microsecond=0)]
    for s in steps:
        times.append(times[-1] + dt.timedelta(seconds=s))
    path = tmp_path_factory.mktemp("md") / "x.log"
    path.write_text("".join(f"{t:%m-%d %H:%M:%S} line\n" for t in times), encoding="utf-8")
    mtime = times[-1] + dt.timedelta(hours=1)
    stamp = time.mktime(mtime.timetuple())  # the reader takes the file's time as local time
    os.utime(path, (stamp, stamp))
    reader = declared.DeclaredReader(_MD)
    item = InputFile(display="x.log", path=str(path), size=path.stat().st_size)
    got = reader.read(item, "utf-8").events["ts_local"].to_list()
    assert got == times
    assert pl.Series(got).is_sorted()
