"""The command line as a user drives it (typer's CliRunner): outputs, files, exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hbtriage.cli import app

runner = CliRunner()
REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _walk_times(obj: object, key: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(_walk_times(v, k))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_walk_times(v, key))
    elif isinstance(obj, str) and key in ("start", "end", "first", "last", "peak_at"):
        out.append((key, obj))
    return out


def test_demo_prints_the_verdict_and_writes_the_contract(tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--out", str(tmp_path), "--quiet"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "dpc_storm" in out and "CVP1" in out
    assert "2013-03-31T00:36:46" in out
    assert "DPC Rate 0 → 10" in out
    assert "5.2.3790.4524" in out
    doc = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "hbtriage/findings@1"
    assert set(doc) == {
        "schema",
        "generated_by",
        "inputs",
        "hosts",
        "incidents",
        "config_findings",
        "warnings",
        "warnings_ja",
        "warning_ids",
    }
    (inc,) = doc["incidents"]
    assert set(inc) >= {"id", "start", "end", "hosts", "signals", "causes"}
    assert inc["hosts"] == ["CVP1", "PG1A"]
    for sig in inc["signals"]:
        assert sig["kind"] in {"signature", "log_gap", "counter_anomaly", "sample_gap", "config"}
        assert set(sig) >= {"kind", "host", "start", "end", "detail"}
    top = inc["causes"][0]
    assert set(top) >= {"id", "host", "confidence", "evidence", "remedy"}
    assert top["id"] == "dpc_storm" and top["host"] == "CVP1" and 0 <= top["confidence"] <= 1
    times = _walk_times(doc)
    assert times and all(ISO_Z.match(v) for _k, v in times), [
        t for t in times if not ISO_Z.match(t[1])
    ][:3]
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_analyze_json_to_stdout(tmp_path: Path) -> None:
    from hbtriage.cli import reference_bundle

    res = runner.invoke(
        app, ["analyze", str(reference_bundle()), "--out", str(tmp_path), "--format", "json"]
    )
    assert res.exit_code == 0
    assert json.loads(res.stdout)["incidents"][0]["causes"][0]["id"] == "dpc_storm"


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no such file or folder" in lines[0]
    assert "Traceback" not in res.output


def test_nothing_readable_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.bin"
    bad.write_bytes(bytes(range(256)) * 40)
    res = runner.invoke(app, ["analyze", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "no readable input" in res.output and "garbage.bin" in res.output
    assert "Traceback" not in res.output


def test_bad_tz_is_exit_2(tmp_path: Path) -> None:
    from hbtriage.cli import reference_bundle

    res = runner.invoke(
        app,
        ["analyze", str(reference_bundle()), "--tz", "PG1A=Nowhere/City", "--out", str(tmp_path)],
    )
    assert res.exit_code == 2 and "unknown time zone 'Nowhere/City'" in res.output


def test_tz_or_alias_naming_no_host_is_exit_2_listing_the_hosts(tmp_path: Path) -> None:
    from hbtriage.cli import reference_bundle

    for flag, value in (("--tz", "NOSUCHHOST=Asia/Tokyo"), ("--host-alias", "OLD=NOSUCH")):
        res = runner.invoke(
            app, ["analyze", str(reference_bundle()), flag, value, "--out", str(tmp_path)]
        )
        assert res.exit_code == 2, res.output
        line = res.output.strip()
        assert "\n" not in line and "no such host in the bundle" in line
        assert line.endswith("hosts found: CVP1, PG1A"), line


def test_tz_in_windows_form_applies_to_the_host(tmp_path: Path) -> None:
    from hbtriage.cli import reference_bundle

    res = runner.invoke(
        app,
        [
            "analyze",
            str(reference_bundle()),
            "--tz",
            "pg1a=Central Standard Time",
            "--tz",
            "CVP1=UTC-05:00",
            "--format",
            "json",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    hosts = {h["name"]: h for h in doc["hosts"]}
    assert hosts["PG1A"]["zone_source"] == "--tz" and hosts["PG1A"]["tz_iana"] == "America/Chicago"
    assert hosts["CVP1"]["utc_offset_min"] == -300
    assert [c["id"] for c in doc["incidents"][0]["causes"][:1]] == ["dpc_storm"]


def test_bad_file_in_bundle_is_a_warning_and_the_rest_is_analysed(tmp_path: Path) -> None:
    import shutil

    from hbtriage.cli import reference_bundle

    bundle = tmp_path / "b"
    shutil.copytree(reference_bundle(), bundle)
    (bundle / "CVP1" / "broken.csv").write_text(
        '"(PDH-CSV 4.0) (Eastern Standard Time)(300)","\\\\CVP1\\Processor(_Total)\\DPC Rate"\n"not a date","1"\n'
    )
    (bundle / "PG1A" / "empty.log").write_text("")
    (bundle / "PG1A" / "blob.bin").write_bytes(b"\x00\x01\x02" * 5000)
    res = runner.invoke(app, ["analyze", str(bundle), "--out", str(tmp_path / "o"), "--quiet"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))
    assert doc["incidents"][0]["causes"][0]["id"] == "dpc_storm"
    warnings = "\n".join(doc["warnings"])
    assert "broken.csv" in warnings and "blob.bin" in warnings
    kinds = {Path(i["path"]).name: i["kind"] for i in doc["inputs"]}
    assert kinds["empty.log"] == "empty" and kinds["blob.bin"] == "unsupported"
    assert "Traceback" not in res.output


def test_markdown_and_japanese(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["demo", "--out", str(tmp_path), "--format", "md", "--lang", "ja", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert "dpc_storm" in res.output
    assert "再起動" in res.output  # the remedy in Japanese says a reboot is needed
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Ndis.sys 5.2.3790.4524" in md


def test_simulate_list_and_write(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "--list"])
    assert res.exit_code == 0 and "dpc_storm" in res.output
    res = runner.invoke(app, ["simulate", "nonsense", "--out", str(tmp_path)])
    assert res.exit_code == 2


def test_plan_windows_has_logman_and_relog() -> None:
    res = runner.invoke(app, ["plan", "--windows", "--hosts", "PG1A,CVP1"])
    assert res.exit_code == 0
    assert "logman create counter" in res.output and "relog" in res.output
    assert "DPC Rate" in res.output


def test_out_that_is_a_file_is_one_line_exit_2(tmp_path: Path) -> None:
    from hbtriage.cli import reference_bundle

    target = tmp_path / "afile"
    target.write_text("mine", encoding="utf-8")
    res = runner.invoke(app, ["analyze", str(reference_bundle()), "--out", str(target)])
    assert res.exit_code == 2
    assert res.output.strip() == f"hbtriage: error: --out {target}: is a file, expected a folder"
    assert target.read_text(encoding="utf-8") == "mine"


def test_a_link_planted_at_a_report_path_is_replaced_not_followed(tmp_path: Path) -> None:
    from hbtriage.cli import reference_bundle

    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("keep", encoding="utf-8")
    for name in ("findings.json", "report.md"):
        (out / name).symlink_to(victim)
    res = runner.invoke(
        app, ["analyze", str(reference_bundle()), "--out", str(out), "--format", "md"]
    )
    assert res.exit_code == 0, res.output
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not (out / "findings.json").is_symlink()
    assert json.loads((out / "findings.json").read_text(encoding="utf-8"))["incidents"]
    assert (out / "findings.json").stat().st_mode & 0o044  # readable as open() makes files
    assert sorted(p.name for p in out.iterdir()) == ["findings.json", "report.md"]  # no temp left


def test_usage_errors_are_one_line_exit_2_from_the_real_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    exe = [sys.executable, "-c", "from hbtriage.cli import main; main()"]
    for args, expected in (
        (["analyze", "--bogus"], "No such option: --bogus"),
        (["analyze"], "Missing argument"),
        (["analyze", str(tmp_path), "--format", "nope"], "'nope' is not one of"),
    ):
        res = subprocess.run([*exe, *args], capture_output=True, text=True, timeout=60)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("hbtriage: error: ")
        assert expected in res.stderr and "Traceback" not in res.stderr
    helped = subprocess.run([*exe, "analyze", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0
    quiet = next(ln for ln in helped.stdout.splitlines() if "--quiet" in ln)
    assert "<bool>" not in quiet  # a flag, not an option taking a value


def test_format_and_lang_take_the_names_users_type(tmp_path: Path) -> None:
    """``--format markdown`` (was refused: "Value error, 'markdown' is not one of ..."),
    ``HTML``, ``terminal`` and ``--lang JP`` are the choices they name."""
    reference = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
    args = ["analyze", str(reference), "--out", str(tmp_path), "--quiet"]
    res = runner.invoke(app, [*args, "--format", "markdown", "--format", "HTML"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "charts.json",
        "findings.json",
        "report.html",
        "report.md",
    ]
    res = runner.invoke(app, [*args, "--format", "terminal", "--lang", "JP"])
    assert res.exit_code == 0, res.output
    assert "警告" in res.output and "dpc_storm" in res.output


def test_a_refused_value_is_one_worded_line_in_english_too(tmp_path: Path) -> None:
    import subprocess
    import sys

    exe = [sys.executable, "-c", "from hbtriage.cli import main; main()"]
    for args, expected in (
        (["analyze", str(tmp_path), "--format", "pdf"], "Invalid value for '--format': 'pdf' is "),
        (["analyze", str(tmp_path), "--lang", "fr"], "Invalid value for '--lang': 'fr' is not "),
        (["simulate", "x", "--seed", "abc"], "Invalid value for '--seed': 'abc' is not an integer"),
    ):
        res = subprocess.run([*exe, *args], capture_output=True, text=True, timeout=60)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr.count("\n") == 1 and expected in res.stderr, res.stderr
        assert "Value error" not in res.stderr and "Input should" not in res.stderr


def test_the_installed_command_ends_as_main_does(tmp_path: Path) -> None:
    """``python -m hbtriage`` (the installed command's entry) skips the interpreter's teardown
    after ``analyze``: same exit code, output and files as :func:`main`, output flushed."""
    import os
    import subprocess
    import sys

    reference = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a buffered pipe
    runs = {}
    for how, exe in (
        ("entry", [sys.executable, "-m", "hbtriage"]),
        ("main", [sys.executable, "-c", "from hbtriage.cli import main; main()"]),
    ):
        out = tmp_path / how
        res = subprocess.run(
            [*exe, "analyze", str(reference), "--out", str(out), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        runs[how] = (res.returncode, res.stdout, res.stderr, (out / "findings.json").read_text())
    assert runs["entry"][0] == 0
    assert runs["entry"] == runs["main"]
    assert json.loads(runs["entry"][1])["incidents"]  # the whole JSON reached the pipe
    bad = subprocess.run(
        [sys.executable, "-m", "hbtriage", "analyze", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_text_and_json_both_asked_for_on_stdout_is_one_usage_line(tmp_path: Path) -> None:
    """'--format text --format json' cannot both go to standard output: a one-line usage error
    (exit 2) before any reading, in the report's language, and nothing written; json with html
    is fine (the html goes to --out)."""
    from hbtriage.simulate.scenarios import generate

    bundle = tmp_path / "b"
    generate("dpc_storm_cvp", bundle, 3)
    for cmd in (["analyze", str(bundle)], ["report", str(tmp_path / "none.json")]):
        for lang, word in (("en", "standard output"), ("ja", "標準出力")):
            out = tmp_path / f"out-{cmd[0]}-{lang}"
            res = runner.invoke(
                app,
                [*cmd, "--format", "text", "--format", "json", "--out", str(out), "--lang", lang],
            )
            assert res.exit_code == 2, res.output
            lines = [line for line in res.output.splitlines() if line.strip()]
            assert len(lines) == 1 and word in lines[0] and "--format" in lines[0], res.output
            assert not out.exists()
    out = tmp_path / "both"
    res = runner.invoke(
        app, ["analyze", str(bundle), "--format", "json", "--format", "html", "--out", str(out)]
    )
    assert res.exit_code == 0 and json.loads(res.stdout)["incidents"], res.output
    assert (out / "report.html").is_file()


def test_an_unreadable_file_named_on_the_command_line_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the user cannot read, named beside the bundle (`analyze case case/secret.txt`),
    was the parser's refusal of the whole command line, in English under --lang ja too
    ("Invalid value for 'paths': path '...' is not readable."): nothing was analysed. It is
    a warning of the report now, as such a file inside a folder is, and the rest is read."""
    import os
    import shutil

    from test_cli_contract import _run

    bundle = tmp_path / "case"
    shutil.copytree(REFERENCE, bundle)
    secret = bundle / "PG1A" / "secret.txt"
    secret.write_text("x\n", encoding="utf-8")
    access = os.access

    def denied(path: object, mode: int, *args: object, **kwargs: object) -> bool:
        if Path(str(path)).name == "secret.txt":
            return False  # as for a user without read permission (root reads anything)
        return access(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", denied)
    for lang in ("en", "ja"):
        out = tmp_path / f"out-{lang}"
        code, stderr = _run(["analyze", str(bundle), str(secret), "--out", str(out), "--quiet",
                             "--lang", lang])  # fmt: skip
        assert (code, stderr) == (0, "")
        assert json.loads((out / "findings.json").read_text(encoding="utf-8"))["incidents"]


@pytest.mark.skipif(
    not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv")),
    reason="needs root and setpriv to read as a user without the right to (root reads anything)",
)
def test_an_unreadable_file_and_folder_are_warnings_the_rest_analysed_and_exit_2(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    bundle = tmp_path / "case"
    shutil.copytree(REFERENCE, bundle)
    secret = bundle / "PG1A" / "secret.txt"
    secret.write_text("x\n", encoding="utf-8")
    secret.chmod(0)
    (bundle / "locked").mkdir(mode=0)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src, "HBTRIAGE_CACHE": ""}
    said = {
        "en": [f"case/PG1A/secret.txt: cannot open ({os.strerror(13)})", "case/locked: folder "],
        "ja": ["case/PG1A/secret.txt: 開けません (アクセスが拒否されました)", "case/locked: フォ"],
    }
    for lang, expected in said.items():
        out = tmp_path / f"out-{lang}"
        res = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
             "hbtriage", "analyze", "case", "case/PG1A/secret.txt", "--out", str(out), "--quiet",
             "--lang", lang, "--format", "json"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
        )  # fmt: skip
        # Bad input: the rest is analysed, the first is the one line on stderr, exit code 2.
        assert res.returncode == 2, res.stderr
        (line,) = res.stderr.splitlines()
        word = "error" if lang == "en" else "エラー"
        assert line.startswith(f"hbtriage: {word}: {expected[1]}"), line
        doc = json.loads(res.stdout)
        assert doc["incidents"], doc["warnings"]
        warnings = doc["warnings" if lang == "en" else "warnings_ja"]
        for start in expected:
            assert any(w.startswith(start) for w in warnings), warnings
