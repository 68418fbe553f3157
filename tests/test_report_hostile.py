"""``hbtriage report`` of a findings.json that is anyone's file: a value of the wrong type, a
key missing, a time or a number no report can show is one line on stderr naming the file, the
place in it and what was expected there (in Japanese with ``--lang ja``), exit code 2; never
"unexpected ... (please report this)"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cli_contract import REFERENCE, _run  # main() in-process: exit code and stderr

from hbtriage.findings import DocumentError, Findings


@pytest.fixture(scope="module")
def reference_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("ref")
    code, stderr = _run(["analyze", str(REFERENCE), "--out", str(root), "--quiet"])
    assert (code, stderr) == (0, "")
    return json.loads((root / "findings.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _report(doc: dict[str, Any], tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, stderr = _run(["report", str(path), "--out", str(tmp_path / "o"), "--quiet", *args])
    return code, stderr, path


@pytest.mark.parametrize(
    ("place", "value", "said"),
    [
        (("inputs", 0, "kind"), None, "inputs[0].kind: expected a string, found null"),
        (("inputs", 0, "records"), "12", 'inputs[0].records: expected a whole number, found "12"'),
        (
            ("inputs", 0, "host"),
            ["PG1A"],
            'inputs[0].host: expected a string or null, found ["PG1A"]',
        ),
        (("inputs", 0, "first"), 5, "inputs[0].first: expected an ISO 8601 UTC time"),
        (
            ("incidents", 0, "causes", 0, "confidence"),
            True,
            "confidence: expected a number, found true",
        ),
        (
            ("incidents", 0, "hosts"),
            "PG1A",
            'incidents[0].hosts: expected a list of strings, found "PG1A"',
        ),
        (
            ("incidents", 0, "start"),
            "0001-01-01T00:00:00Z",
            "incidents[0].start: expected an ISO 8601",
        ),
        (
            ("incidents", 0, "start"),
            "2013-03-31T00:41:46",
            "incidents[0].start: expected an ISO 8601",
        ),
        (("hosts", 0, "clock_offset_s"), 1e18, "hosts[0].clock_offset_s: expected a number from"),
        (("warnings",), [None], "warnings[0]: expected a string, found null"),
    ],
)
def test_a_value_of_the_wrong_type_is_one_line_naming_its_place(
    reference_doc: dict[str, Any], tmp_path: Path, place: tuple[Any, ...], value: Any, said: str
) -> None:
    """These were ``unexpected AttributeError: 'NoneType' object has no attribute 'translate'
    (please report this)``, ``unexpected OverflowError: date value out of range``, and a
    time without a zone was taken in this machine's."""
    doc = json.loads(json.dumps(reference_doc))
    target = doc
    for key in place[:-1]:
        target = target[key]
    target[place[-1]] = value
    code, stderr, path = _report(doc, tmp_path, "--format", "html", "--format", "md")
    assert code == 2
    assert stderr.startswith(f"hbtriage: error: {path}: ") and stderr.count("\n") == 1
    assert said in stderr
    assert "unexpected" not in stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_a_missing_key_is_named_in_japanese_too(
    reference_doc: dict[str, Any], tmp_path: Path
) -> None:
    doc = json.loads(json.dumps(reference_doc))
    del doc["incidents"][0]["causes"][0]["remedy"]
    code, stderr, path = _report(doc, tmp_path)
    assert (code, stderr) == (
        2,
        f"hbtriage: error: {path}: incidents[0].causes[0].remedy: missing (expected a string)\n",
    )
    code, stderr, path = _report(doc, tmp_path, "--lang", "ja")
    assert (code, stderr) == (
        2,
        f"hbtriage: エラー: {path}: incidents[0].causes[0].remedy:"
        " ありません (文字列 を想定していました)\n",
    )


def test_a_hostile_value_is_shown_short_and_escaped(
    reference_doc: dict[str, Any], tmp_path: Path
) -> None:
    doc = json.loads(json.dumps(reference_doc))
    doc["hosts"][0]["inputs"] = "\u202e\x1b[31m<script>" + "x" * 1_000_000
    code, stderr, _ = _report(doc, tmp_path)
    assert code == 2 and stderr.count("\n") == 1 and len(stderr) < 400
    assert "\x1b" not in stderr and "\u202e" not in stderr
    assert '"\\u202e\\u001b[31m<script>xxx' in stderr


def test_keys_a_newer_findings_at_1_adds_are_left_out(reference_doc: dict[str, Any]) -> None:
    """findings@1 only adds keys: a document with one this version does not know renders (it
    was "unexpected keyword argument")."""
    doc = json.loads(json.dumps(reference_doc))
    doc["incidents"][0]["causes"][0]["added_later"] = [1, 2]
    doc["added_later"] = {}
    findings = Findings.from_dict(doc)
    assert findings.incidents[0].causes[0].id == reference_doc["incidents"][0]["causes"][0]["id"]


def test_the_document_round_trips_and_a_top_level_key_is_required(
    reference_doc: dict[str, Any],
) -> None:
    assert Findings.from_dict(reference_doc).to_dict() == reference_doc
    doc = dict(reference_doc)
    del doc["incidents"]
    with pytest.raises(DocumentError) as caught:
        Findings.from_dict(doc)
    assert (caught.value.where, caught.value.missing) == ("incidents", True)


def test_reports_of_a_huge_findings_are_bounded_and_say_what_they_left_out(
    reference_doc: dict[str, Any], tmp_path: Path
) -> None:
    """5,000 incidents, 100,000 warnings, 100,000 aliases and a megabyte in one evidence item
    made a 28 MB report.html, a 13 MB report.md and a 15 MB terminal report in 30 s (100,000
    incidents: 550 MB and minutes); each report now details the first ones, counts the rest,
    and the headline counts them all."""
    import time

    doc = json.loads(json.dumps(reference_doc))
    incident = doc["incidents"][0]
    incident["signals"] = incident["signals"][:1]
    doc["incidents"] = [{**incident, "id": f"INC-{i:05d}"} for i in range(5_000)]
    doc["incidents"][0]["causes"] = [{**incident["causes"][0], "evidence": ["x" * 1_000_000]}]
    doc["warnings"] = [f"warning {i} <script>" for i in range(100_000)]
    doc["warnings_ja"], doc["warning_ids"] = [], []
    doc["hosts"][0]["aliases"] = [f"alias{i}" for i in range(100_000)]
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    began = time.monotonic()
    code, stderr = _run(
        ["report", str(path), "--out", str(tmp_path), "--format", "html", "--format", "md"]
    )
    assert (code, stderr) == (0, "")
    assert time.monotonic() - began < 30
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    ticket = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert len(page) < 8_000_000 and len(ticket) < 3_000_000
    assert "5000 heartbeat-loss incident(s)" in page and "5000 heartbeat-loss" in ticket
    assert page.count('class="card"') == 200 and "INC-00199" in page and "INC-00200" not in page
    assert "... and 4,800 more in findings.json" in page and "... and 4,800 more" in ticket
    assert "... and 99,800 more in findings.json" in page and "... and 99,800 more" in ticket
    assert "x" * 5000 not in page and "x" * 5000 not in ticket
    assert "<script>" not in page.split("<body", 1)[1].split("<script>")[0]


def test_the_terminal_report_of_a_huge_findings_is_bounded(
    reference_doc: dict[str, Any], tmp_path: Path
) -> None:
    doc = json.loads(json.dumps(reference_doc))
    doc["incidents"] = [{**doc["incidents"][0], "id": f"INC-{i:05d}"} for i in range(1_000)]
    doc["warnings"] = [f"warning {i}" for i in range(10_000)]
    doc["warnings_ja"], doc["warning_ids"] = [], []
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hbtriage",
            "report",
            str(path),
            "--out",
            str(tmp_path),
            "--lang",
            "ja",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert len(done.stdout) < 300_000
    assert "INC-00019" in done.stdout and "INC-00020" not in done.stdout
    assert "… ほか 980 件（findings.json に記載）" in done.stdout
    assert "… ほか 9,960 件（findings.json に記載）" in done.stdout


@pytest.fixture(scope="module")
def reference_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("refhtml")
    code, stderr = _run(["analyze", str(REFERENCE), "--out", str(root), "--format", "html"])
    assert (code, stderr) == (0, "")
    return root


@pytest.mark.parametrize(
    "charts",
    [
        [1, 2],
        {"charts": [1, 2], "lines": "x"},
        {"charts": {"en": [None, {"id": 5}, "x"]}, "lines": {"INC-001": None}},
        {"charts": {"en": []}, "lines": {"INC-001": {"rows": [{"ts": 5}, "x", None], "more": "9"}}},
    ],
)
def test_a_charts_json_of_another_shape_is_left_out_not_a_crash(
    reference_out: Path, tmp_path: Path, charts: Any
) -> None:
    """A list was taken for a timeline, ``"charts": [...]`` was ``unexpected AttributeError:
    'list' object has no attribute 'get' (please report this)``, a row without its fields
    was jinja's UndefinedError."""
    (tmp_path / "findings.json").write_bytes((reference_out / "findings.json").read_bytes())
    (tmp_path / "charts.json").write_text(json.dumps(charts), encoding="utf-8")
    code, stderr = _run(
        ["report", str(tmp_path / "findings.json"), "--format", "html", "--quiet", "--lang", "ja"]
    )
    assert code == 0
    assert stderr in (
        "",
        f"hbtriage: 警告: {tmp_path / 'charts.json'}: 読み取れないため"
        " (オブジェクト を想定していました)、グラフは描画しません\n",
    )
    assert "unexpected" not in stderr and (tmp_path / "report.html").is_file()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_a_findings_json_saved_again_with_a_bom_or_in_utf_16_renders(
    reference_out: Path, tmp_path: Path, encoding: str
) -> None:
    """Notepad saves UTF-8 with a BOM, PowerShell's ``>`` writes UTF-16: both were "expected a
    findings.json written by hbtriage analyze ('utf-8' codec can't decode byte 0xff ...)"."""
    text = (reference_out / "findings.json").read_text(encoding="utf-8")
    (tmp_path / "findings.json").write_bytes(text.encode(encoding))
    code, stderr = _run(["report", str(tmp_path / "findings.json"), "--format", "md", "--quiet"])
    assert (code, stderr) == (0, "")
    assert "INC-001" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_report_that_writes_nothing_says_no_empty_wrote_line(
    reference_out: Path, tmp_path: Path
) -> None:
    """``report F`` (text only) wrote nothing and still printed ``Wrote: `` with no path."""
    import contextlib
    import io
    import sys

    from hbtriage.cli import main

    out = io.StringIO()
    saved = sys.argv
    sys.argv = ["hbtriage", "report", str(reference_out / "findings.json")]
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = saved
    assert done.value.code == 0
    assert "Wrote" not in out.getvalue() and "INC-001" in out.getvalue()


def test_every_time_analyze_can_write_reads_back(reference_doc: dict[str, Any]) -> None:
    """A findings.json analyze wrote always reads back: its times are nanosecond times, which
    reach past the readers' years (1970-01-01 00:00 at UTC+09:00 is 1969 in UTC; the detect
    fuzzer's mutated readings gave 1863). Only a time no nanosecond time holds is refused."""
    import copy

    from hbtriage.findings import DocumentError, Findings

    for when in (
        "1969-12-31T15:00:00.000Z",
        "1863-07-12T01:48:25.766Z",
        "2261-12-31T00:00:00.000Z",
    ):
        doc = copy.deepcopy(reference_doc)
        doc["incidents"][0]["start"] = when
        assert Findings.from_dict(doc).to_dict()["incidents"][0]["start"] == when
    doc = copy.deepcopy(reference_doc)
    doc["incidents"][0]["start"] = "1601-01-01T00:00:00Z"
    with pytest.raises(DocumentError, match="years 1677 to 2262"):
        Findings.from_dict(doc)
