"""What ``bench/fuzz.py --target cli`` and ``--target detect`` found, kept found: each test failed
before its fix. And both targets, run for a few seconds, still find nothing (so they cannot rot).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from pathlib import Path

import fuzz  # bench/fuzz.py (tests/conftest.py puts bench/ on sys.path)
import pytest
from test_cli_contract import _run

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOO_LONG = "n" * 300  # one name over the 255 bytes a file system takes: ENAMETOOLONG


def _one_line(code: int, stderr: str) -> str:
    """The one line of a refused command (exit 2), which must not be the safety net's."""
    assert code == 2, (code, stderr)
    assert stderr.count("\n") == 1 and stderr.startswith("hbtriage: error: "), stderr
    assert "please report this" not in stderr, stderr
    return stderr


def _bundle(folder: Path, offset: str = "-0500") -> Path:
    """The fixtures' CVP1 logs (with ``offset`` written on every line) and PG1A's PIM log."""
    (folder / "CVP1").mkdir(parents=True)
    (folder / "PG1A").mkdir()
    for log in (FIXTURES / "cvp_log").glob("*.log"):
        text = log.read_text(encoding="utf-8").replace(" -0500: ", f" {offset}: ")
        (folder / "CVP1" / log.name).write_text(text, encoding="utf-8")
    shutil.copy(FIXTURES / "icm_dumplog" / "pim1.txt", folder / "PG1A")
    return folder


# --- cli.py, report/files.py: names the file system refuses ------------------------------------


def test_analyze_of_a_name_too_long_says_it_is_not_there() -> None:
    # was: unexpected OSError: [Errno 36] File name too long (Path.exists raises for it)
    code, stderr = _run(["analyze", TOO_LONG, "--quiet"])
    assert "no such file or folder" in _one_line(code, stderr)


def test_out_of_a_name_too_long_is_one_line(tmp_path: Path) -> None:
    # was: unexpected OSError from report/files.py out_folder (exists() before the try)
    log = FIXTURES / "cvp_log" / "CVP.2013-03-30.log"
    code, stderr = _run(["analyze", str(log), "--out", str(tmp_path / TOO_LONG), "--quiet"])
    assert "cannot create the folder (File name too long)" in _one_line(code, stderr)


def test_fleet_and_report_of_a_name_too_long_are_one_line() -> None:
    # was: unexpected OSError from Path.is_dir in fleet and report
    assert "no such folder" in _one_line(*_run(["fleet", TOO_LONG, "--out", "x"]))
    assert "cannot be read (File name too long)" in _one_line(*_run(["report", TOO_LONG]))


def test_catalog_of_a_name_too_long_is_one_line() -> None:
    # was: unexpected OSError from catalog/__init__.py load_catalog (Path.is_dir)
    log = FIXTURES / "cvp_log" / "CVP.2013-03-30.log"
    code, stderr = _run(["analyze", str(log), "--catalog", TOO_LONG, "--quiet"])
    assert "not a folder" in _one_line(code, stderr)


# --- cli.py simulate ---------------------------------------------------------------------------


def test_simulate_into_a_dangling_link_is_one_line(tmp_path: Path) -> None:
    # was: unexpected FileExistsError (generate's mkdir; only HbtriageError was caught)
    (tmp_path / "out").symlink_to(tmp_path / "nowhere")
    code, stderr = _run(["simulate", "healthy", "--out", str(tmp_path / "out")])
    assert "File exists" in _one_line(code, stderr)


def test_simulate_refuses_a_negative_seed(tmp_path: Path) -> None:
    # was: unexpected ValueError: expected non-negative integer (numpy's seed)
    code, stderr = _run(["simulate", "healthy", "--seed", "-1", "--out", str(tmp_path / "s")])
    assert "--seed" in _one_line(code, stderr)
    assert not (tmp_path / "s").exists()


# --- cli.py watch, fleet: numbers out of range ------------------------------------------------


def test_watch_refuses_a_metrics_port_out_of_range(tmp_path: Path) -> None:
    # was: unexpected OverflowError: bind(): port must be 0-65535 (after the probe had started)
    args = ["watch", "--listen", "127.0.0.1:47231", "--peer", "192.0.2.1:5000"]
    args += ["--out", str(tmp_path / "w"), "--metrics-port", "65536", "--duration", "0.2"]
    assert "--metrics-port" in _one_line(*_run(args))


def test_fleet_refuses_a_timeout_that_is_not_finite(tmp_path: Path) -> None:
    # was: every bundle an error row (OverflowError in Thread.join) and tracebacks on stderr
    root = tmp_path / "root"
    _bundle(root / "b1")
    code, stderr = _run(["fleet", str(root), "--out", str(tmp_path / "o"), "--timeout", "inf"])
    assert "--timeout inf" in _one_line(code, stderr)


def test_an_error_line_says_what_it_was_given() -> None:
    # was: "no such file or folder: 👎" (rich read :-1: as an emoji code)
    assert "no such file or folder: :-1:\n" in _one_line(*_run(["analyze", ":-1:"]))


def test_the_fleet_view_is_written_into_a_folder_whose_name_is_not_utf8(tmp_path: Path) -> None:
    # was: unexpected TypeError: Object does not have a .write() method (polars given the name
    # of incidents.parquet: it takes names that are UTF-8 only; here the bytes ff fe)
    from hbtriage.fleet.summary import write_fleet

    out = tmp_path / "\udcff\udcfe"  # (as Python shows a name of bytes that are not UTF-8)
    out.mkdir()
    written = write_fleet([], out)
    assert sorted(p.name for p in written) == ["fleet.html", "fleet.json", "incidents.parquet"]
    assert all(p.stat().st_size for p in written)


# --- cli.py report: documents analyze never writes ---------------------------------------------


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a findings.json with incidents and its charts.json."""
    tmp = tmp_path_factory.mktemp("found")
    args = ["analyze", str(_bundle(tmp / "b")), "--out", str(tmp / "o"), "--format", "html"]
    code, stderr = _run([*args, "--quiet"])
    assert code == 0, stderr
    return tmp / "o"


@pytest.fixture
def findings_text(analysed: Path) -> str:
    """The findings.json, its clock offsets ready to be damaged."""
    text = (analysed / "findings.json").read_text(encoding="utf-8")
    assert '"incidents": []' not in text and '"clock_offset_s": 0.0' in text
    return text


@pytest.mark.parametrize("number", ["1e999", "NaN", "-Infinity"])
def test_report_refuses_numbers_that_are_not_finite(
    number: str, findings_text: str, tmp_path: Path
) -> None:
    # was: unexpected OverflowError / ValueError from report/localtime.py (timedelta of inf)
    doc = tmp_path / "findings.json"
    doc.write_text(findings_text.replace('"clock_offset_s": 0.0', f'"clock_offset_s": {number}'))
    code, stderr = _run(["report", str(doc), "--out", str(tmp_path / "o")])
    assert f"{number} is not a finite number" in _one_line(code, stderr)


@pytest.mark.parametrize("offset", ["6039", "9" * 30])
def test_report_shows_no_local_time_for_an_offset_no_clock_has(
    offset: str, findings_text: str, tmp_path: Path
) -> None:
    # was: unexpected ValueError / OverflowError from report/localtime.py (timezone of it)
    doc = tmp_path / "findings.json"
    doc.write_text(
        re.sub(r'"utc_offset_min": -?[0-9]+', f'"utc_offset_min": {offset}', findings_text)
    )
    assert offset in doc.read_text()
    code, stderr = _run(["report", str(doc), "--out", str(tmp_path / "o"), "--format", "md"])
    assert code == 0, stderr
    report = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "**CVP1 local:** unknown" in report and "2013-03-31T00:36:57.336Z" in report


@pytest.mark.parametrize("damage", ["nested too deep", "an infinity"])
def test_report_passes_charts_it_cannot_use(damage: str, analysed: Path, tmp_path: Path) -> None:
    # was: unexpected RecursionError from json.loads of the charts.json beside the findings,
    # and unexpected OverflowError or ValueError (not JSON compliant) from an infinity in it
    shutil.copy(analysed / "findings.json", tmp_path)
    charts = (analysed / "charts.json").read_text(encoding="utf-8")
    if damage == "an infinity":
        charts = charts.replace(":0.", ":1e999")
        assert "1e999" in charts
    else:
        charts = "[" * 100_000 + "]" * 100_000
    (tmp_path / "charts.json").write_text(charts)
    code, stderr = _run(["report", str(tmp_path), "--format", "html"])
    assert code == 0, stderr
    assert stderr.startswith("hbtriage: warning: ") and "no charts" in stderr, stderr


def test_report_that_fails_beside_damaged_charts_is_one_line(
    findings_text: str, tmp_path: Path
) -> None:
    # was: two lines on stderr, the charts.json warning and then the error
    (tmp_path / "findings.json").write_text(findings_text)
    (tmp_path / "charts.json").write_text("[[[")
    (tmp_path / "file").write_text("x")
    code, stderr = _run(
        ["report", str(tmp_path), "--format", "md", "--out", str(tmp_path / "file")]
    )
    assert "is a file, expected a folder" in _one_line(code, stderr)


def test_report_refuses_json_nested_too_deep(tmp_path: Path) -> None:
    # was: unexpected RecursionError from json.loads
    doc = tmp_path / "findings.json"
    doc.write_text('{"schema": "hbtriage/findings@1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, stderr = _run(["report", str(doc), "--out", str(tmp_path / "o")])
    assert "expected a findings.json" in _one_line(code, stderr)


# --- timeline: an offset no clock has ----------------------------------------------------------


def test_an_offset_of_a_day_or_more_is_taken_as_not_written(tmp_path: Path) -> None:
    # was: unexpected ValueError from report/localtime.py: timezone(timedelta(minutes=6039)),
    # the host's zone taken from CVP lines written "+9959" (the readers take +HH:MM as written)
    bundle = _bundle(tmp_path / "b", offset="+9959")
    code, stderr = _run(["analyze", str(bundle), "--out", str(tmp_path / "o"), "--format", "md"])
    assert code == 0, stderr
    report = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "+99:59" not in report and "2013-03-30" in report


@pytest.mark.parametrize("rows", ["some", "all"])
def test_counter_rows_that_name_no_host_are_the_files_host(rows: str, tmp_path: Path) -> None:
    # was: unexpected KeyError: 'None' in timeline _fold (a sadf -d row with an empty hostname)
    lines = (FIXTURES / "sar" / "sadf_d_cpu_net_udp.csv").read_text(encoding="utf-8").split("\n")
    cut = [
        line.removeprefix("cvp-lnx1") if rows == "all" or n % 3 else line
        for n, line in enumerate(lines)
    ]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "sadf.csv").write_text("\n".join(cut), encoding="utf-8")
    assert any(line.startswith(";") for line in cut)
    code, stderr = _run(["analyze", str(tmp_path / "b"), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 0, stderr
    doc = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))
    assert [h["name"] for h in doc["hosts"]] == ["b" if rows == "all" else "cvp-lnx1"]


# --- timeline: DPC/ISR numbers that are no measurement ----------------------------------------


@pytest.mark.parametrize(
    ("export", "column"),
    [("2013-03-30T19-36-40_DPC_ISR_Raw_Rows.csv", 7), ("dpcisr_duration_by_module_copy.txt", 4)],
)
def test_a_wpa_duration_of_1e308_ms_is_left_out(export: str, column: int, tmp_path: Path) -> None:
    # was: unexpected InvalidOperationError (raw rows: a span of inf µs cast to an integer in
    # detect/drivers.py), and a findings.json holding NaN and Infinity (module table: shares)
    bundle = tmp_path / "b"
    shutil.copytree(fuzz.REFERENCE, bundle)
    sep = "," if export.endswith(".csv") else "\t"
    lines = (FIXTURES / "dpcisr" / "wpa" / export).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines[1:], 1):
        cells = line.split(sep)
        if cells[1].lower() == "ndis.sys" or cells[2].lower() == "ndis.sys":
            cells[column] = cells[column + 1] = "1e308"
            lines[n] = sep.join(cells)
    (bundle / "PG1A" / export).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "1e308" in (bundle / "PG1A" / export).read_text(encoding="utf-8")
    code, stderr = _run(["analyze", str(bundle), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 0, stderr
    text = (tmp_path / "o" / "findings.json").read_text(encoding="utf-8")
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in findings.json"))


@pytest.mark.timeout(60)
def test_two_hosts_of_one_dns_name_get_two_names() -> None:
    # was: a loop without end in hosts.py identify: "srv.example.com-2" has the key SRV again
    from hbtriage.hosts import clues_of, identify
    from hbtriage.sources.base import InputFile, ReadResult

    items = [  # a PIM log and a CVP log naming one computer are two hosts (never merged)
        (InputFile("CVP.log", "/b/CVP.log"), ReadResult("cvp_log", host="srv.example.com")),
        (
            InputFile("pim1.txt", "/b/pim1.txt"),
            ReadResult("icm_dumplog", host="srv.example.com", stream="pim1"),
        ),
    ]
    ident = identify([clues_of(item, res) for item, res in items])
    # Shown by the short name, as every DNS name is (the full one is an alias), and told apart.
    assert sorted(ident.hosts) == ["srv", "srv-2"]


# --- the targets themselves --------------------------------------------------------------------


@pytest.mark.parametrize("target", ["cli", "detect"])
def test_the_target_runs_and_finds_nothing(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(seed=7)
    saved = os.getcwd()
    assert fuzz.TARGETS[target](args, 0.05) == 0, capsys.readouterr()
    assert os.getcwd() == saved
    out = capsys.readouterr().out
    assert "problems 0" in out if target == "cli" else "crashes 0" in out
    assert "fuzzed 0 " not in out, out


def test_file_and_folder_names_that_are_not_utf8_are_read_and_shown_escaped(
    tmp_path: Path,
) -> None:
    """A folder copied from an old Windows share keeps its cp1252 names as bytes: the files
    are read, the host named, and the names shown with \\x escapes (it was an 'unexpected
    UnicodeEncodeError' for the whole run)."""
    src = Path(__file__).parent / "fixtures" / "cvp_log" / "CVP.2013-03-30.log"
    root = tmp_path / "bundle"
    folder = os.path.join(os.fsencode(root), b"CVP\xe9")
    os.makedirs(folder)
    with open(os.path.join(folder, b"CVP\xff.log"), "wb") as fh:
        fh.write(src.read_bytes())
    out = tmp_path / "out"
    code, err = _run(["analyze", str(root), "--out", str(out), "--format", "json", "--quiet"])
    assert code == 0, err
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert [i["path"] for i in doc["inputs"]] == ["bundle/CVP\\xe9/CVP\\xff.log"]
    assert [h["name"] for h in doc["hosts"]] == ["CVP\\xe9"]


def test_fleet_workers_beyond_any_machine_are_refused_in_one_line(tmp_path: Path) -> None:
    """``fleet --workers 65536`` started a Dask cluster of that many processes."""
    code, err = _run(["fleet", str(tmp_path), "--workers", "65536", "--out", str(tmp_path / "o")])
    line = _one_line(code, err)
    assert "--workers" in line and "256" in line
    assert not (tmp_path / "o").exists()
