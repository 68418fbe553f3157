"""``--lang ja``: a Japanese user sees Japanese on every surface the command prints or writes:
the progress on stderr, the closing line, and the labels of the reports' inputs and hosts
tables (where a zone and a host came from). Data (paths, host and zone names, counter names)
stays as written; the English output does not change."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_progress import CLI, REFERENCE
from test_progress import _pipe as _run  # the CLI on the reference case, output captured

from hbtriage import cli

#: English words of the progress display and the closing line.
PROGRESS_EN = re.compile(r"\b(extract|read|timeline|detect|diagnose|files?|left|min|Wrote)\b")


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


# --- the labels of the inputs and hosts tables (and of the warnings that quote them) -----------

#: English labels the reports showed in Japanese before: where a zone came from, a file's
#: zone when its lines state their own offset, where a reader found the host, a clock's basis.
LABELS_EN = (
    "perfmon header",
    "offsets in each line",
    "the file's own UTC offsets",
    "MACHINE prefix",
    "dumplog node name",
    "systeminfo Host Name",
    "reference clock",
    "paired event",
    "not applied",
    "holds only",
    "not a format hbtriage reads",
)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The terminal, Markdown and HTML reports and findings.json of one simulated case with
    an unreadable file, in both languages."""
    from hbtriage.simulate import generate

    root = tmp_path_factory.mktemp("ja")
    bundle = root / "bundle"
    generate("dpc_storm_pg", bundle, 3)  # its truth.json is a file hbtriage does not read
    out: dict[str, str] = {}
    for lang in ("en", "ja"):
        res = subprocess.run(
            [*CLI, "analyze", str(bundle), "--out", str(root / lang), "--lang", lang]
            + ["--format", "text", "--format", "html", "--format", "md"],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert res.returncode == 0, res.stderr
        out[f"text_{lang}"] = res.stdout
        out[f"md_{lang}"] = (root / lang / "report.md").read_text(encoding="utf-8")
        out[f"html_{lang}"] = (root / lang / "report.html").read_text(encoding="utf-8")
        out[f"json_{lang}"] = (root / lang / "findings.json").read_text(encoding="utf-8")
    return out


def _tables(text: str, start: str) -> str:
    """The part of a report from its hosts table on (hosts, inputs, warnings)."""
    assert start in text
    return text[text.index(start) :]


@pytest.mark.parametrize("surface", ["text", "md", "html"])
def test_hosts_and_inputs_tables_have_no_english_labels_in_japanese(
    analysed: dict[str, str], surface: str
) -> None:
    import html

    ja = html.unescape(_tables(analysed[f"{surface}_ja"], "ホスト一覧"))
    assert not [w for w in LABELS_EN if w in ja]
    assert "perfmon ヘッダー" in ja and "各行の UTC オフセット" in ja
    if surface != "text":  # the terminal shows no clock offsets
        assert "基準の時計" in ja and "1 秒未満のため補正していません" in ja
    if surface == "html":  # where each file's host came from, and each file's note
        assert "perfmon の \\\\MACHINE 接頭辞" in ja
        assert "hbtriage が読める形式ではないため" in ja


@pytest.mark.parametrize("surface", ["text", "md", "html"])
def test_the_english_reports_keep_their_labels(analysed: dict[str, str], surface: str) -> None:
    import html

    en = html.unescape(_tables(analysed[f"{surface}_en"], "Hosts"))
    assert "perfmon header" in en and "offsets in each line" in en
    if surface != "text":
        assert "reference clock" in en and "below 1 s, not applied" in en


def test_findings_json_keeps_the_english_labels(analysed: dict[str, str]) -> None:
    """The JSON contract: the labels are the English they were, in either --lang."""
    import json

    for lang in ("en", "ja"):
        doc = json.loads(analysed[f"json_{lang}"])
        reasons = {i["host_reason"] for i in doc["inputs"]}
        assert "perfmon \\\\MACHINE prefix" in reasons and "systeminfo Host Name" in reasons
        assert "offsets in each line" in {i["zone"] for i in doc["inputs"]}
        bases = {h["clock_offset_basis"] for h in doc["hosts"]}
        assert "reference clock" in bases
        assert any(b.startswith("median of 1 paired event(s) (") for b in bases)
    assert analysed["json_en"].count("perfmon header") == analysed["json_ja"].count(
        "perfmon header"
    )


def test_a_report_rendered_again_from_findings_json_words_the_fixed_labels(
    analysed: dict[str, str], tmp_path: Path
) -> None:
    """``hbtriage report --lang ja``: the labels come back as plain English text from the
    document; those without fields are worded again."""
    (tmp_path / "findings.json").write_text(analysed["json_en"], encoding="utf-8")
    res = subprocess.run(
        [*CLI, "report", str(tmp_path / "findings.json"), "--lang", "ja", "--format", "md"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "perfmon ヘッダー" in md and "各行の UTC オフセット" in md and "基準の時計" in md
    assert "perfmon header" not in md and "reference clock" not in md


# --- the system's words inside a warning ---------------------------------------------------------


def test_a_system_error_inside_a_warning_is_japanese() -> None:
    import errno

    from hbtriage.warning_text import render, warn

    denied = os.strerror(errno.EACCES)
    w = warn("at_file", path="b/PG1A/pim1.txt", reason=warn("cannot_open", error=denied))
    assert w == f"b/PG1A/pim1.txt: cannot open ({denied})"  # findings.json: as before
    assert render(w, "ja") == "b/PG1A/pim1.txt: 開けません (アクセスが拒否されました)"
    full = warn("stop_disk_full", error=os.strerror(errno.ENOSPC))
    assert (
        render(full, "ja")
        == "作業フォルダーのディスクがいっぱいです (ディスクの空き容量がありません)"
    )
    # one the catalog does not know stays as the system wrote it, in a Japanese frame
    odd = warn("cannot_read", error="Stale file handle")
    assert render(odd, "ja") == "読み取れません (Stale file handle)"


@given(st.text(max_size=60))
def test_labels_in_english_are_always_as_written(text: str) -> None:
    from hbtriage.warning_text import label

    assert label(text, "en") == text
    assert isinstance(label(text, "ja"), str)


# --- a run that read nothing: the one line on stderr ------------------------------------------


@pytest.mark.parametrize(
    ("lang", "want"),
    [
        ("ja", "hbtriage: エラー: 読み込める入力がありません (ファイルが見つかりません)\n"),
        ("en", "hbtriage: error: no readable input (no files found)\n"),
    ],
)
def test_an_empty_folder_is_one_line_in_the_language(tmp_path: Path, lang: str, want: str) -> None:
    (tmp_path / "empty").mkdir()
    res = subprocess.run(
        [*CLI, "analyze", str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "--lang", lang],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and res.stderr == want


def test_nothing_readable_names_each_file_in_japanese(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.bin").write_bytes(b"zz\n")
    res = subprocess.run(
        [*CLI, "analyze", str(tmp_path / "junk"), "--out", str(tmp_path / "o"), "--lang", "ja"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert res.stderr.startswith("hbtriage: エラー: 読み込める入力がありません: ")
    assert "a.bin: hbtriage が読める形式ではないため" in res.stderr
    assert len(res.stderr.splitlines()) == 1


# --- a report rendered again from findings.json: the labels with fields, and the notes ---------

#: English words of the labels with fields (a folder's reason, a clock's basis) and of the
#: inputs' notes (systeminfo, DPC/ISR reports), as findings.json keeps them in English.
COMBINED_EN = (
    "holds only",
    "median of",
    "paired event",
    "not applied",
    "labels, utf-8",
    "hotfix KB number",
    "booted",
    "by driver over the whole trace",
)


def _report_again(doc: str, tmp_path: Path, lang: str) -> dict[str, str]:
    """``hbtriage report findings.json --lang LANG`` of ``doc``: its Markdown and HTML."""
    import html

    (tmp_path / "findings.json").write_text(doc, encoding="utf-8")
    res = subprocess.run(
        [*CLI, "report", str(tmp_path / "findings.json"), "--lang", lang, "--quiet"]
        + ["--format", "md", "--format", "html"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    return {
        "md": (tmp_path / "report.md").read_text(encoding="utf-8"),
        "html": html.unescape((tmp_path / "report.html").read_text(encoding="utf-8")),
    }


def test_a_saved_findings_json_renders_its_labels_with_fields_in_japanese(
    analysed: dict[str, str], tmp_path: Path
) -> None:
    """The reason a file went to its host, the clock's basis with its numbers and the inputs'
    notes come back in Japanese from the document (``*_ja`` beside each label)."""
    again = _report_again(analysed["json_en"], tmp_path, "ja")
    for surface in ("md", "html"):
        tables = _tables(again[surface], "ホスト一覧")
        assert not [w for w in COMBINED_EN if w in tables], surface
        assert "組のイベント (vru_session_close) の中央値" in tables.replace("\\_", "_")
    page = _tables(again["html"], "ホスト一覧")
    assert "のファイルだけがあります" in page  # the folder's reason (a cell's title)
    assert "systeminfo の内容 (ラベルの言語 en、utf-8): " in page
    assert "修正プログラムの KB 番号 5 件を記載、起動 " in page
    assert "xperf dpcisr レポート: トレース全体のドライバー別 DPC/ISR 時間" in page


def test_a_findings_json_without_the_japanese_labels_still_renders(
    analysed: dict[str, str], tmp_path: Path
) -> None:
    """A document of an older version has no ``*_ja`` labels: the report words again the
    labels without fields and shows the others as written."""
    import json

    doc = json.loads(analysed["json_en"])
    for part in ("inputs", "hosts"):
        for item in doc[part]:
            for key in [k for k in item if k.endswith("_ja")]:
                del item[key]
    again = _report_again(json.dumps(doc), tmp_path, "ja")
    assert "perfmon ヘッダー" in again["md"] and "基準の時計" in again["md"]
    assert "holds only" in again["html"]  # as the old document wrote it


def test_findings_json_adds_the_japanese_labels_after_the_old_keys(
    analysed: dict[str, str],
) -> None:
    """Only additions: each input and host keeps its keys, values and order, then the
    ``*_ja`` twins; the English labels and notes are the words they were."""
    import json

    doc = json.loads(analysed["json_en"])
    old_input = ["path", "kind", "encoding", "host", "host_reason", "zone", "zone_source"]
    old_input += ["first", "last", "records", "stream", "note"]
    for item in doc["inputs"]:
        assert list(item) == old_input + ["host_reason_ja", "zone_ja", "zone_source_ja", "note_ja"]
    for host in doc["hosts"]:
        assert list(host)[-3:] == ["zone_ja", "zone_source_ja", "clock_offset_basis_ja"]
        assert list(host)[-4] == "dpc_reports"
    notes = {i["note"] for i in doc["inputs"]}
    assert "xperf dpcisr report: DPC/ISR time by driver over the whole trace" in notes
    (sysinfo,) = [n for n in notes if n.startswith("systeminfo (")]
    assert sysinfo.startswith("systeminfo (en labels, utf-8): Microsoft(R) Windows(R) Server 2003")
    assert " SP2; 5 hotfix KB number(s) listed; booted " in sysinfo
    assert analysed["json_ja"] == analysed["json_en"]  # --lang changes no byte of it


# --- the command line's other one-line errors, and the stop line ------------------------------

#: (arguments, the English line as it always was, what the Japanese line says). ``{ref}`` is
#: the reference bundle, ``{file}`` a file that is no folder and no findings.json.
USAGE_ERRORS = [
    (
        ["analyze", "{ref}", "--tz", "NOHOST=UTC"],
        "--tz NOHOST: no such host in the bundle; hosts found: CVP1, PG1A",
        "--tz NOHOST: バンドルにそのホストはありません。見つかったホスト: CVP1, PG1A",
    ),
    (
        ["analyze", "{ref}", "--tz", "PG1A=+15:00"],
        "--tz PG1A=+15:00: UTC offset '+15:00' out of range: expected at most 14:00 hours"
        " either side of UTC (UTC-05:00, +09:00, -0500)",
        "--tz PG1A=+15:00: UTC オフセット '+15:00' が範囲外です",
    ),
    (
        ["analyze", "{ref}", "--host-alias", "X"],
        "--host-alias X: expected NAME=CANONICAL_NAME",
        "--host-alias X: NAME=CANONICAL_NAME の形で指定してください",
    ),
    (
        ["analyze", "{ref}", "--out", "{file}"],
        "--out {file}: is a file, expected a folder",
        "--out {file}: ファイルです。フォルダーを指定してください",
    ),
    (
        ["analyze", "{ref}/nope"],
        "no such file or folder: {ref}/nope",
        "ファイルまたはフォルダーが見つかりません: {ref}/nope",
    ),
    (
        ["report", "{file}"],
        "{file}: expected a findings.json written by hbtriage analyze"
        " (Expecting value: line 1 column 1 (char 0))",
        "{file}: hbtriage analyze が書いた findings.json ではありません",
    ),
    (
        ["report", "{file}.json"],
        "{file}.json: cannot be read (No such file or directory)",
        "{file}.json: 読み取れません (ファイルまたはフォルダーがありません)",
    ),
    (
        ["analyze", "{ref}", "--format", "pdf"],
        "hbtriage analyze: Invalid value for '--format'",
        "(--help を参照してください)",
    ),
]


def _error_lines(cwd: Path, argv: Callable[[str], list[str]]) -> dict[str, str]:
    """The one line on stderr (exit code 2, nothing on stdout) of the command ``argv(lang)``
    run in ``cwd``, for each language."""
    said = {}
    for lang in ("en", "ja"):
        res = subprocess.run(
            [sys.executable, "-m", "hbtriage", *argv(lang)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=cwd,
            env={**os.environ, "COLUMNS": "400"},
        )
        assert res.returncode == 2 and res.stdout == "", res.stderr
        assert len(res.stderr.splitlines()) == 1, res.stderr
        said[lang] = res.stderr.rstrip("\n")
    return said


@pytest.mark.parametrize(("args", "en", "ja"), USAGE_ERRORS, ids=lambda v: str(v)[:30])
def test_usage_errors_are_one_line_in_each_language(
    tmp_path: Path, args: list[str], en: str, ja: str
) -> None:
    (tmp_path / "afile").write_text("x\n", encoding="utf-8")
    names = {"ref": str(REFERENCE), "file": str(tmp_path / "afile")}
    argv = [a.format(**names) for a in args]
    said = _error_lines(tmp_path, lambda lang: [*argv, "--lang", lang])
    if args[-2:] == ["--format", "pdf"]:  # the parser's own words stay; its frame is worded
        assert said["en"].startswith("hbtriage: error: ") and said["en"].endswith(" (see --help)")
        assert en in said["en"] and said["ja"].startswith("hbtriage: エラー: ")
        assert said["ja"].endswith(ja)
        return
    assert said["en"] == f"hbtriage: error: {en.format(**names)}"
    assert said["ja"].startswith(f"hbtriage: エラー: {ja.format(**names)}")
    data = said["ja"]
    for value in (*names.values(), "NAME=CANONICAL_NAME", "UTC-05:00", "+09:00", "-0500"):
        data = data.replace(value, "")
    assert not re.search(r"\b(expected|no such|cannot|is a file|out of range)\b", data)


#: (arguments, what the parser's own error says in Japanese, what the English line still says).
PARSER_ERRORS = [
    (
        ["analyze", ".", "--bogus"],
        "--bogus というオプションはありません (候補: --out)",
        "No such op",
    ),
    (["analyze"], "analyze: 引数 'paths' を指定してください", "Missing argument 'paths'."),
    (["watch", "--listen", "a"], "watch: オプション '--peer' を指定してください", "Missing option"),
    (
        ["analyze", ".", "--format", "pdf"],
        "'--format' に 'pdf' は指定できません。次のいずれかを指定してください: 'text', 'json',",
        "Invalid value for '--format': 'pdf' is not one of 'text', 'json',",
    ),
    (
        ["simulate", "x", "--seed", "abc"],
        "'--seed' の値 'abc' は整数ではありません",
        "Invalid value for '--seed': 'abc' is not an integer",
    ),
    (
        ["simulate", "x", "--seed", "-1"],
        "'--seed' の値 -1 が小さすぎます。0 以上を",
        "Invalid value for '--seed': -1 is less than 0",
    ),
    (["fleet", "r", "--out", "o", "--workers", "999"], "999 は範囲外です。0 以上 256 以下", "256"),
    (
        ["watch", "--listen", "a", "--peer", "b", "--duration", "x"],
        "'x' は数値ではありません",
        "number",
    ),
    (
        ["demo", "--out"],
        "エラー: オプション --out には値を指定してください",
        "requires an argument.",
    ),
    (
        ["analyze", ".", "--quiet=yes"],
        "オプション --quiet は値を取りません",
        "does not take a value.",
    ),
    (
        ["plan", "--windows", "extra"],
        "plan: 余分な引数があります: extra",
        "extra argument(s) (extra)",
    ),
    (
        ["report", "f.json", "g.json"],
        "report: 余分な引数があります: g.json",
        "argument(s) (g.json)",
    ),
    (["badcommand"], "'badcommand' というコマンドはありません", "No such command 'badcommand'."),
    (["analyze", ""], "analyze: 'paths' の値が正しくありません: 空のパス ('') です", "empty path"),
    (["fleet", "", "--out", "o"], "fleet: 'roots' の値が正しくありません: 空のパス", "empty path"),
    (["report", ""], "report: 'findings_json' の値が正しくありません: 空のパス", "empty path"),
    (["analyze", ".", "--out", ""], "'--out' の値が正しくありません: 空のパス", "empty path"),
    (["plan", "--windows", "--write-profiles", ""], "'--write-profiles' の値が", "empty path"),
]


@pytest.mark.parametrize(("args", "ja", "en"), PARSER_ERRORS, ids=lambda v: str(v)[:40])
def test_the_parsers_own_errors_are_worded_in_japanese(
    tmp_path: Path, args: list[str], ja: str, en: str
) -> None:
    # was: "No such option: --bogus (Possible options: --out)" inside a Japanese frame, and
    # `analyze ""` analysed the current folder without a word
    said = _error_lines(tmp_path, lambda lang: [args[0], "--lang", lang, *args[1:]])
    assert said["en"].startswith("hbtriage: error: ") and en in said["en"]
    assert said["en"].endswith(" (see --help)")
    assert said["ja"].startswith("hbtriage: エラー: ") and ja in said["ja"]
    assert said["ja"].endswith(" (--help を参照してください)")
    assert not re.search(r"\b(Invalid|Missing|No such|Option|Got|Possible|empty)\b", said["ja"])
    assert list(tmp_path.iterdir()) == []  # nothing read or written in the current folder


def test_the_stop_line_in_each_language() -> None:
    import signal

    en = cli._stopped_line(signal.SIGINT, "en")
    assert en == "hbtriage: stopped by SIGINT; temporary files removed\n"
    ja = cli._stopped_line(signal.SIGTERM, "ja")
    assert ja == "hbtriage: SIGTERM により停止しました。一時ファイルは削除しました\n"


@given(st.lists(st.text(max_size=12), max_size=8), st.sampled_from(["en", "ja"]))
def test_the_language_of_main_s_own_lines_is_the_command_line_s(args: list[str], lang: str) -> None:
    assert cli._argv_lang(args) in ("en", "ja")
    head = [a for a in args if a != "--" and not a.startswith("--lang")]
    assert cli._argv_lang([*head, "--lang", lang]) == lang
    assert cli._argv_lang([*head, f"--lang={lang}"]) == lang
    assert cli._argv_lang(["--", "--lang", "ja"]) == "en"


# --- hbtriage fleet --lang ja ------------------------------------------------------------------


def test_fleet_in_japanese_words_its_progress_summary_page_and_reports(tmp_path: Path) -> None:
    """Progress lines, the closing line, fleet.html and each bundle's report in Japanese;
    bundle names, ids and file names as they are."""
    from hbtriage.simulate import generate

    generate("dpc_storm_cvp", tmp_path / "root" / "case1", 3)
    generate("healthy", tmp_path / "root" / "case2", 2)
    res = subprocess.run(
        [sys.executable, "-m", "hbtriage", "fleet", str(tmp_path / "root")]
        + ["--out", str(tmp_path / "o"), "--workers", "1", "--format", "md"]
        + ["--lang", "ja", "--progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("バンドル 2 件 (変更なし 0 件、エラー 0 件)、所要 ")
    assert "出力ファイル: " in res.stdout and "wrote" not in res.stdout
    lines = res.stderr.splitlines()
    assert any(" バンドル  2/2 バンドル  " in line for line in lines), lines
    assert not [line for line in lines if re.search(r"\bbundles?\b", line)]
    page = (tmp_path / "o" / "fleet.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in page and "全体で見た原因" in page and "バンドル一覧" in page
    words = re.sub(r"<[^>]+>|\{[^}]*\}|[^\n]*\{[^}]*\}[^\n]*", " ", page.split("</style>")[1])
    words = re.sub(
        r"case\d|dpc_storm|PIM|CVP\d?|PG\d?\w?|\S+\.(json|parquet|md)|hbtriage", "", words
    )
    english = re.findall(
        r"\b(?:bundles?|incidents?|causes?|analysed|errors?|None|Written)\b", words
    )
    assert not english
    assert "## ホスト一覧" in (tmp_path / "o" / "case1" / "report.md").read_text(encoding="utf-8")


# --- the last English lines: simulate, plan --write-profiles, watch, an unexpected error ----

#: English words of those lines (paths, addresses, options and names removed first).
LINES_EN = re.compile(
    r"\b(?:wrote|unknown|expected|listening|records?|counters|key|warning|error|unexpected"
    r"|please|report)\b",
    re.IGNORECASE,
)


def _hbtriage(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hbtriage", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "400"},
    )


def test_simulate_in_japanese(tmp_path: Path) -> None:
    unknown = _hbtriage("simulate", "nope", "--lang", "ja", cwd=tmp_path)
    assert unknown.returncode == 2 and len(unknown.stderr.splitlines()) == 1
    assert unknown.stderr.startswith("hbtriage: エラー: シナリオ 'nope' はありません。")
    assert "dpc_storm_cvp" in unknown.stderr  # the names to choose from, as they are
    english = _hbtriage("simulate", "nope", cwd=tmp_path)
    assert english.stderr.startswith(
        "hbtriage: error: unknown scenario 'nope'; expected one of: healthy, "
    )
    wrote = _hbtriage("simulate", "healthy", "--out", "sim", "--lang", "ja", cwd=tmp_path)
    assert wrote.stdout == "シナリオ healthy (シード 1) を sim に書き出しました\n"
    assert _hbtriage("simulate", "healthy", "--out", "sim2", cwd=tmp_path).stdout == (
        "Wrote healthy (seed 1) to sim2\n"
    )


def test_lang_before_the_command_is_every_command_s_language(tmp_path: Path) -> None:
    """``hbtriage --lang ja <command>`` as ``<command> --lang ja``; the command's own --lang wins."""
    wrote = _hbtriage("--lang", "ja", "simulate", "healthy", "--out", "sim", cwd=tmp_path)
    assert wrote.stdout == "シナリオ healthy (シード 1) を sim に書き出しました\n"
    mine = _hbtriage(
        "--lang", "ja", "simulate", "healthy", "--out", "s2", "--lang", "en", cwd=tmp_path
    )
    assert mine.stdout == "Wrote healthy (seed 1) to s2\n"
    plan = _hbtriage("--lang", "ja", "plan", "--windows", cwd=tmp_path)
    assert plan.returncode == 0 and plan.stdout.startswith("# hbtriage 採取手順")
    bad = _hbtriage("--lang", "xx", "plan", "--windows", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1 and "--lang" in bad.stderr
    # The unknown command is the word after --lang's value, not the value.
    unknown = _hbtriage("--lang", "ja", "nope", cwd=tmp_path)
    assert unknown.returncode == 2
    (line,) = unknown.stderr.splitlines()
    assert line.startswith("hbtriage: エラー: ") and "'ja'" not in line
    assert line.endswith(": 'nope' というコマンドはありません (--help を参照してください)")


def test_plan_write_profiles_says_what_it_wrote_in_japanese(tmp_path: Path) -> None:
    res = _hbtriage("plan", "--lang", "ja", "--write-profiles", "prof", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert lines and all(line.startswith("出力ファイル: prof/") for line in lines), lines


def test_watch_in_japanese_says_start_end_and_errors_in_japanese(tmp_path: Path) -> None:
    bad = _hbtriage(
        "watch", "--listen", "bad", "--peer", "192.0.2.1:7000", "--lang", "ja", cwd=tmp_path
    )
    assert (bad.returncode, bad.stderr) == (
        2,
        "hbtriage: エラー: HOST:PORT の形式で指定してください (指定値: 'bad')\n",
    )
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = _hbtriage(
        "watch", "--listen", f"127.0.0.1:{port}", "--peer", f"127.0.0.1:{port + 1}",
        "--out", "rec", "--host", "PG1A", "--duration", "0.5", "--lang", "ja", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert "(UDP と TCP) で 127.0.0.1:" in lines[0] and "記録先: rec" in lines[0]
    assert "警告: 鍵がありません" in lines[0]
    assert "件を記録しました" in lines[-1]
    words = re.sub(
        r"\S*(rec|HBTRIAGE_WATCH_KEY|127\.0\.0\.1)\S*|--\S+|hbtriage watch:", "", run.stderr
    )
    assert not LINES_EN.search(words), run.stderr


def test_an_unexpected_error_is_one_line_in_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bug line ("please report this") was English under --lang ja."""
    from test_cli_contract import _run

    import hbtriage.api

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(hbtriage.api, "run", broken)
    args = ["analyze", str(REFERENCE), "--out", "/nonexistent/never", "--quiet"]
    assert _run([*args, "--lang", "ja"]) == (
        2,
        "hbtriage: エラー: 予期しないエラー RuntimeError: boom (不具合としてご報告ください)\n",
    )
    assert _run(args) == (
        2,
        "hbtriage: error: unexpected RuntimeError: boom (please report this)\n",
    )


def test_a_site_catalog_that_is_not_toml_is_said_in_japanese(tmp_path: Path) -> None:
    """A site catalog's file that is no TOML, or is not UTF-8, was said in English inside the
    Japanese frame ('hbtriage: エラー: ...: not valid TOML: ...'): it is said in Japanese."""
    from typer.testing import CliRunner

    from hbtriage.cli import app

    def said(site: Path) -> str:
        out = str(tmp_path / "out")
        args = ["analyze", str(REFERENCE), "--catalog", str(site), "--lang", "ja", "--out", out]
        got = CliRunner().invoke(app, args)
        assert got.exit_code == 2, got.output
        return got.stderr

    site = tmp_path / "site"
    site.mkdir()
    (site / "anomalies.toml").write_text("[[anomaly]\nid = ", encoding="utf-8")
    text = said(site)
    assert "TOML として正しくありません" in text and "not valid TOML" not in text, text
    (site / "anomalies.toml").write_bytes(b"id = '\xff'\n")
    assert "UTF-8 のテキストではありません (バイト位置 6)" in said(site)
    assert "フォルダーではありません" in said(site / "no")


_BAD_SIGNATURES = """\
[[signature]]
id = "bad_pattern"
title = "a heartbeat line of the site's own monitor"
product = "site"
pattern = "HB lost ([unclosed"
role = "heartbeat_loss"
reference = "site runbook"

[[signature]]
title = "an entry someone forgot to name"

[[signature]]
id = "bad_fields"
title = "a signature with a role and reader kinds that do not exist"
product = "site"
pattern = "HB gone"
role = "heartbeat_gone"
kinds = ["site_monitor"]
"""


def test_a_site_catalogs_bad_entries_are_said_in_japanese(tmp_path: Path) -> None:
    """A site catalog with a bad entry (a pattern that does not compile, an entry without an
    id, an unknown role ...) was said in English inside the Japanese frame ('hbtriage: エラー:
    .../site.toml [bad_pattern]: pattern does not compile: ...'), and several of them as
    'hbtriage: エラー: 5 catalog problems: ...; ... (and 1 more)'. Each is said in Japanese
    now, still in one line, exit code 2 as before; Python's own regex message stays as Python
    words it. The bad entries are left out and the bundle analysed (this stopped the run until
    then), the first problem is the error line, the others are warnings of the report."""
    from typer.testing import CliRunner

    from hbtriage.cli import app

    site = tmp_path / "site"
    (site / "signatures").mkdir(parents=True)
    where = site / "signatures" / "site.toml"

    def said(lang: str) -> str:
        out = str(tmp_path / "out")
        args = ["analyze", str(REFERENCE), "--catalog", str(site), "--lang", lang, "--out", out]
        got = CliRunner().invoke(app, [*args, "--quiet"])
        assert got.exit_code == 2, got.output
        assert got.stderr.count("\n") == 1, got.stderr
        assert "INC-001" in got.stdout  # the bundle analysed
        return got.stderr

    where.write_text(_BAD_SIGNATURES.split("\n\n")[0], encoding="utf-8")
    left_out_ja = "この項目は使わず、サイト カタログの残りを使いました"
    assert said("ja") == (
        f"hbtriage: エラー: {where} [bad_pattern]: pattern が正規表現としてコンパイルできません: "
        f"unterminated character set at position 9。{left_out_ja}\n"
    )
    where.write_text(_BAD_SIGNATURES, encoding="utf-8")
    assert said("ja") == (
        f"hbtriage: エラー: {where} [#2]: エントリに id がありません。{left_out_ja} "
        "(ほかに同様の問題が 4 件あります: 読めなかった入力、除外したサイト カタログの項目。"
        "それぞれレポートの警告にあります。残りは解析しました)\n"
    )
    assert said("en") == (
        f"hbtriage: error: {where} [#2]: entry has no id; this entry is left out, the rest of "
        "the site catalog is used (and 4 more such problems: inputs that could not be read, "
        "site catalog entries left out; each is a warning of the report, and the rest was "
        "analysed)\n"
    )
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert doc["warnings_ja"][1] == (
        f"{where} [bad_pattern]: pattern が正規表現としてコンパイルできません: "
        f"unterminated character set at position 9。{left_out_ja}"
    )
    assert doc["warnings_ja"][3].startswith(
        f"{where} [bad_fields]: 不明なリーダーの種類 (kinds) ['site_monitor'] です (既知のもの: "
    )
    assert [w for w in doc["warnings"] if str(where) in w] == doc["warnings"][:5]


def _reader_kinds() -> set[str]:
    """The kinds a signature may name: the readers' and the bundled line formats'."""
    from hbtriage import load_catalog
    from hbtriage.sources import READERS

    return {r.kind for r in READERS} | {f.id for f in load_catalog().formats}


@pytest.mark.parametrize(
    ("name", "text", "ja", "en"),
    [
        (
            "formats/site.toml",
            '[[format]]\nid = "site_log"\ntitle = "t"\nreference = "r"\n'
            'start = "(?P<time>\\\\S+) "\ntimestamp = "%H:%M:%S"\nzone = "JST"\n',
            "[site_log]: zone 'JST' は 'UTC' でも '+09:00' のようなオフセットでもありません",
            "is not 'UTC' or an offset",
        ),
        (
            "counters_local.toml",
            '[[counter]]\nid = "processor.dpc_rate"\nrussian = { name = "a\\\\b", reference = "r" }\n',
            "[processor.dpc_rate]: 'russian' は ruRU のような言語コードではありません",
            "is not a language code",
        ),
        (
            "charts.toml",
            '[[row]]\nid = "site_row"\ntitle = "t"\ntitle_ja = "t"\nreference = "r"\n'
            "objects = []\ncounters = []\n",
            "[site_row]: objects と counters は空でない配列でなければなりません",
            "must be non-empty lists",
        ),
        (
            "attachments.toml",
            '[[os_file]]\nid = "site_marks"\ntitle = "t"\nreference = "r"\nnames = []\n',
            "[site_marks]: names と folders はシェルのパターン",
            "must be lists of shell patterns",
        ),
    ],
    ids=["format", "counters_local", "chart", "os_file"],
)
def test_each_kind_of_site_catalog_file_is_checked_in_japanese(
    tmp_path: Path, name: str, text: str, ja: str, en: str
) -> None:
    """The checks of a site's line formats, local counter names, chart rows and OS file names
    were English in a Japanese run too: said in Japanese now, one line, exit code 2 (the entry
    left out, the bundle analysed)."""
    from typer.testing import CliRunner

    from hbtriage.cli import app

    site = tmp_path / "site"
    (site / name).parent.mkdir(parents=True, exist_ok=True)
    (site / name).write_text(text, encoding="utf-8")
    args = ["analyze", str(REFERENCE), "--catalog", str(site), "--out", str(tmp_path / "out")]
    got = CliRunner().invoke(app, [*args, "--lang", "ja", "--quiet"])
    assert got.exit_code == 2, got.output
    assert got.stderr.startswith(f"hbtriage: エラー: {site / name} ") and ja in got.stderr
    assert en not in got.stderr and got.stderr.count("\n") == 1, got.stderr
