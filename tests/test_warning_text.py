"""Warnings worded by id (catalog/warnings.toml): the English text of findings.json as it was,
the Japanese reports in Japanese, the catalog complete and layered like the others."""

from __future__ import annotations

import ast
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hbtriage.api import _worded
from hbtriage.catalog import load_catalog
from hbtriage.cli import app
from hbtriage.errors import CatalogError
from hbtriage.findings import Findings
from hbtriage.report.html import render_html
from hbtriage.report.markdown import render_markdown
from hbtriage.warning_text import Joined, Worded, bundled, fields_of, render, said_id, warn

SRC = Path(__file__).resolve().parent.parent / "src" / "hbtriage"
CATALOG = SRC / "catalog" / "warnings.toml"
runner = CliRunner()


def _entries() -> list[dict[str, str]]:
    return tomllib.loads(CATALOG.read_text(encoding="utf-8"))["warning"]


def _ids_in_code() -> set[str]:
    """Every id passed to warn(...) in the package (a literal, or either side of an if)."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "warn"):
                continue
            first = node.args[0]
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for arg in options:
                assert isinstance(arg, ast.Constant), f"{path}: warn() id is not a literal"
                found.add(arg.value)
    return found


def test_every_entry_has_both_languages_with_the_same_fields() -> None:
    entries = _entries()
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    for e in entries:
        assert e["en"] and e["ja"] and e["reference"], e["id"]
        assert fields_of(e["en"]) == fields_of(e["ja"]), e["id"]
        # The words around the fields are Japanese (a frame has no words of its own; an
        # option's name, "--tz", is no word).
        if re.sub(r"\{[^}]*\}|--[a-z][a-z-]*", "", e["en"]).strip(" :"):
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", e["ja"]), e["id"]


def test_every_id_in_the_code_is_in_the_catalog_and_every_entry_is_used() -> None:
    from hbtriage.warning_text import OS_ERRORS

    used = _ids_in_code() | {f"os_error_{name}" for name in OS_ERRORS}
    known = {e["id"] for e in _entries()}
    assert used - known == set()
    assert known - used == set()


def test_the_catalog_loads_them_and_a_site_layer_rewords_by_id(tmp_path: Path) -> None:
    assert set(load_catalog().warnings) == set(bundled())
    site = tmp_path / "site"
    site.mkdir()
    (site / "warnings.toml").write_text(
        '[[warning]]\nid = "clock_skew"\nen = "{host} is {offset:+.1f} s off {reference}"\n'
        'ja = "{host} の時計は {reference} から {offset:+.1f} 秒ずれ"\nreference = "site"\n',
        encoding="utf-8",
    )
    catalog = load_catalog(extra=[site])
    w = warn("clock_skew", host="CVP1", offset=6.81, reference="PG1A", pairs=3)
    assert (
        w == "host CVP1: clock is +6.8 s off PG1A (from 3 paired events); its times were corrected"
    )
    assert render(w, "en", catalog.warnings) == "CVP1 is +6.8 s off PG1A"
    assert render(w, "ja", catalog.warnings) == "CVP1 の時計は PG1A から +6.8 秒ずれ"
    (site / "warnings.toml").write_text(
        '[[warning]]\nid = "clock_skew"\nen = "{host} {nope}"\nja = "{host}"\nreference = "x"\n'
        '[[warning]]\nid = "no_such"\nen = "a"\nja = "b"\nreference = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(extra=[site])
    assert "nope" in str(err.value) and "no_such" in str(err.value)


def test_a_reason_is_worded_inside_its_frame_and_strings_stay_strings() -> None:
    reason = warn("perfmon_columns", expected=19, found=3)
    w = warn("at_line", path="b/CVP1/x.csv", line=755, reason=reason)
    assert w == "b/CVP1/x.csv:755: expected 19 columns, found 3; row skipped"
    assert isinstance(w, str) and w.startswith("b/CVP1") and said_id(w) == "perfmon_columns"
    assert render(w, "ja") == "b/CVP1/x.csv:755: 19 列のはずが 3 列のため、行をスキップしました"
    # What is not worded by id (or built out of worded text by hand) stays as it is.
    assert render("plain words", "ja") == "plain words"
    assert render(w + "; more", "ja") == w + "; more"
    # The Japanese of a field given as name_ja; parts joined in each language.
    long = warn("long_line", size=5_000_000, more=" or more", more_ja="以上", limit=65536)
    assert long == "line of 5,000,000 bytes or more cut to 65,536 characters"
    assert render(long, "ja") == "5,000,000 バイト以上の行を 65,536 文字に切り詰めました"
    parts = Joined([warn("zone_no_change", zone="Europe/Paris"), "x"])
    assert str(parts) == "Europe/Paris does not change then; x"
    import pickle

    again = pickle.loads(pickle.dumps(w))
    assert again == w and again.id == "at_line" and render(again, "ja") == render(w, "ja")


_hostile = st.text(
    alphabet=st.sampled_from(list("{}<>&\"'!:%\\ \n\x00aZ0é漢")) | st.characters(), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(path=_hostile, line=st.integers(0, 10**12) | _hostile, found=_hostile)
def test_any_field_values_are_filled_as_they_are_and_escaped_in_html(
    path: str, line: object, found: str
) -> None:
    reason = warn("perfmon_timestamp", found=found)
    w = warn("at_line", path=path, line=line, reason=reason)
    assert isinstance(w, Worded) and w == f"{path}:{line}: {reason}"
    ja = render(w, "ja")
    assert ja.startswith(f"{path}:{line}: ") and repr(found) in ja
    assert render(w, "en") == w
    findings = _worded(Findings(warnings=[w]), load_catalog())
    assert findings.warnings == [str(w)] and findings.warnings_ja == [ja]
    assert findings.warning_ids == ["perfmon_timestamp"]
    html = render_html(findings, lang="ja")
    section = html.split('<section id="warnings">', 1)[1].split("</section>", 1)[0]
    for bad in "<>":
        assert bad not in section.split("<li>", 1)[1].split("</li>", 1)[0]
    md = render_markdown(findings, lang="ja")
    assert "行をスキップしました" in md


# ---- end to end: a simulated bundle with unreadable lines, a cut file, zones and clocks


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("warn") / "wb"
    res = runner.invoke(app, ["simulate", "dpc_storm_cvp", "--out", str(root), "--seed", "4"])
    assert res.exit_code == 0, res.output
    pim = root / "PG3B" / "pim1.txt"
    lines = pim.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(5, "07:55:99:999 pg3B-pim1 Trace: a line with a time that is no time\n")
    pim.write_text("".join(lines), encoding="utf-8")
    perf = root / "CVP3" / "CVP3_perfmon.csv"
    perf.write_bytes(perf.read_bytes()[:-301])  # cut short in the middle of a row
    other = root / "PG9B"  # a PIM with no zone and no disconnect to take one from
    other.mkdir()
    (other / "pim1.txt").write_text(
        "Events from August 27, 2013\n"
        + "".join(
            f"07:5{m}:1{s}:000 pg9B-pim1 Trace: Routing client: 3 calls in progress\n"
            for m in range(3)
            for s in range(3)
        ),
        encoding="utf-8",
    )
    return root


def _analyze(bundle: Path, out: Path, *args: str) -> dict[str, object]:
    res = runner.invoke(
        app, ["analyze", bundle.name, "--out", str(out), "--quiet", *args], catch_exceptions=False
    )
    assert res.exit_code in (0, 1), res.output  # 1: incidents found
    doc: dict[str, object] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return doc


# The English of the code before warnings were worded by id (generated once from it on this
# bundle): findings.json keeps it, character for character.
OLD_ENGLISH = [
    r"wb/CVP3/CVP3_perfmon\.csv:\d+: expected 19 columns, found \d+; row skipped",
    r"wb/PG3B/pim1\.txt:6: invalid time of day; record skipped",
    r"wb/truth\.json: not a format hbtriage reads \(no known timestamp or header\); skipped",
    r"host PG3B: no time zone written in its files; UTC\+01:00 inferred from the same "
    r"disconnect logged by CVP3 \(pass --tz PG3B=ZONE to override\)",
    r"host PG9B: no time zone found \(no perfmon header, no offsets in its logs, no disconnect "
    r"shared with a host whose zone is known\); times taken as UTC; pass --tz PG9B=ZONE if that "
    r"is wrong",
    r"host CVP3: clock is \+\d+\.\d s off PG3B \(from \d+ paired events\); its times were "
    r"corrected",
]
OLD_ENGLISH_TZ = [
    r"host PG3B: --tz gives Asia/Tokyo, but its files state their own zone \(wb/PG3B/PG3B_"
    r"perfmon\.csv: perfmon header Central European Standard Time \(UTC\+01:00\)\): they keep "
    r"the times they state; --tz converts only times written without a zone \(wb/PG3B/pim1\.txt\)",
    OLD_ENGLISH[0],
    OLD_ENGLISH[1],
    OLD_ENGLISH[2],
    OLD_ENGLISH[4],
    r"hosts CVP3 and PG3B: the same disconnect is logged 8\.00 h apart once their zones are "
    r"applied \(CVP3: UTC\+01:00 written in the lines of wb/CVP3/CVP\.2013-08-27\.log; PG3B: "
    r"Asia/Tokyo from --tz\); PG3B's times were moved onto CVP3's clock by the disconnect to "
    r"make it one incident; CVP3's lines write their own UTC "
    r"offset, which no --tz moves: if PG3B's zone is wrong, pass --tz PG3B=UTC\+01:00; else "
    r"look at CVP3's clock and zone setting",
]


def test_japanese_reports_word_the_warnings_in_japanese(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PG3B without its perfmon: its zone is inferred from CVP3's disconnect.
    moved = tmp_path / "b" / "wb"
    shutil.copytree(bundle, moved)
    (moved / "PG3B" / "PG3B_perfmon.csv").unlink()
    monkeypatch.chdir(moved.parent)
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        ["analyze", "wb", "--out", str(out), "--quiet", "--lang", "ja"]
        + ["--format", "text", "--format", "md", "--format", "html"],
        catch_exceptions=False,
    )
    assert res.exit_code in (0, 1), res.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(doc["warnings"]) == len(OLD_ENGLISH)
    for got, want in zip(doc["warnings"], OLD_ENGLISH, strict=True):
        assert re.fullmatch(want, got), got
    assert doc["warning_ids"] == [
        "perfmon_columns",
        "bad_time",
        "not_a_format",
        "zone_inferred",
        "zone_not_found",
        "clock_skew",
    ]
    ja = doc["warnings_ja"]
    assert re.fullmatch(r"wb/CVP3/CVP3_perfmon\.csv:\d+: 19 列のはずが \d+ 列のため、行を.*", ja[0])
    assert ja[1] == "wb/PG3B/pim1.txt:6: 時刻が不正なため、レコードをスキップしました"
    assert "--tz PG3B=ZONE" in ja[3] and "推定しました" in ja[3] and "UTC+01:00" in ja[3]
    assert "--tz PG9B=ZONE" in ja[4] and "タイム ゾーンが見つかりません" in ja[4]
    assert ja[5].startswith("ホスト CVP3: 時計が PG3B から +") and "秒ずれています" in ja[5]
    md = (out / "report.md").read_text(encoding="utf-8")
    section = md.split("## 警告", 1)[1]
    html = (out / "report.html").read_text(encoding="utf-8")
    text = " ".join(res.output.split())
    for report in (section, html, text):
        assert "時刻が不正なため" in report and "秒ずれています" in report
        assert "invalid time of day" not in report and "clock is" not in report
        assert "pass --tz" not in report


def test_english_findings_keep_the_old_words_and_japanese_has_them_all(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundle.parent)
    out = tmp_path / "out"
    doc = _analyze(bundle, out, "--tz", "PG3B=Asia/Tokyo", "--lang", "en", "--format", "md")
    warnings = doc["warnings"]
    assert isinstance(warnings, list) and len(warnings) == len(OLD_ENGLISH_TZ)
    for got, want in zip(warnings, OLD_ENGLISH_TZ, strict=True):
        assert re.fullmatch(want, got), got
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "invalid time of day; record skipped" in md and "警告" not in md
    ja = doc["warnings_ja"]
    assert isinstance(ja, list)
    assert ja[0].startswith("ホスト PG3B: --tz は Asia/Tokyo を指定していますが")
    assert "perfmon ヘッダーの Central European Standard Time (UTC+01:00)" in ja[0]
    assert ja[-1].startswith("ホスト CVP3 と PG3B: ゾーンを適用すると同じ切断が 8.00 時間離れて")
    assert "--tz PG3B=UTC+01:00 を指定してください" in ja[-1]
    assert "wb/CVP3/CVP.2013-08-27.log のログ行に記載された UTC+01:00" in ja[-1]


def test_a_saved_findings_without_japanese_warnings_shows_the_english(tmp_path: Path) -> None:
    findings = Findings.from_dict(
        {
            "schema": "hbtriage/findings@1",
            "inputs": [],
            "hosts": [],
            "incidents": [],
            "config_findings": [],
            "warnings": ["x.log:3: something old"],
        }
    )
    assert findings.warnings_in("ja") == ["x.log:3: something old"]
    assert "x.log:3: something old" in render_markdown(findings, lang="ja")


def test_bad_input_is_the_warnings_toml_flag_at_any_depth() -> None:
    """``analyze`` exits with 2 for the warnings ``warnings.toml`` marks ``bad_input`` (a
    damaged archive, a file that cannot be opened), met inside another's fields too (the
    bundle's "PATH: REASON, skipped" frame), and not for a file of no kind it reads."""
    import tomllib

    from hbtriage.catalog import bundled_text
    from hbtriage.warning_text import bad_input

    entries = tomllib.loads(bundled_text("warnings.toml")[0])["warning"]
    flagged = {e["id"] for e in entries if e.get("bad_input")}
    assert {"zip_cut_short", "cannot_open", "member_escape"} <= flagged
    assert not {"binary_file", "empty_file", "at_file"} & flagged
    for wid in flagged:
        inner = Worded("x", wid, {})
        assert bad_input(inner)
        assert bad_input(Worded("p: x, skipped", "at_file_skipped", {"path": "p", "reason": inner}))
        assert bad_input(Worded("a; x", "no_readable_input", {"problems": Joined(["a", inner])}))
    assert not bad_input(Worded("p: binary", "at_file", {"reason": Worded("b", "binary_file", {})}))
    assert not bad_input("cannot_open")  # plain text: no id to go by
