"""The warnings moved to catalog/warnings.toml after the first ones (hosts, the bundle, the
readers, zones): the English of findings.json as it was, the Japanese reports in Japanese."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from test_hosts import _c  # the clues of one file, as the host tests make them
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.hosts import identify
from hbtriage.simulate.scenarios import generate
from hbtriage.sources.bundle import collect
from hbtriage.warning_text import Joined, Worded, one_line_per_path, render, said_id, warn

runner = CliRunner()


def _analyze_ja(out: Path, *args: str) -> tuple[dict[str, object], str]:
    """findings.json and the Markdown report's warnings of ``analyze --lang ja``."""
    res = runner.invoke(
        app,
        ["analyze", *args, "--out", str(out), "--quiet", "--lang", "ja", "--format", "md"],
        catch_exceptions=False,
    )
    assert res.exit_code in (0, 2), res.output  # 2: an input could not be read (said once)
    doc: dict[str, object] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    md = (out / "report.md").read_text(encoding="utf-8").split("## 警告", 1)[1]
    return doc, md


# ---- hosts and the bundle


def test_host_decisions_are_worded_in_both_languages() -> None:
    refused = identify(
        [
            _c("PG1A/perf.csv", "perfmon_csv", "PG1A", machines=["SRV9"]),
            _c("PG1A/pim1.txt", "icm_dumplog", "PG1A", writer="pg1A", role="pg"),
            _c("CVP/CVP.log", "cvp_log", "CVP", writer="pg1A", role="cvp"),
        ]
    )
    assert [str(w) for w in refused.warnings] == [
        "CVP/CVP.log names 'pg1A', which belongs to another host, SRV9 (a PIM log and a CVP "
        "Call Server log); not merged",
        "host SRV9: also named PG1A; taken as one server because their files sit in folder 'PG1A'",
    ]
    assert [render(w, "ja") for w in refused.warnings] == [
        "CVP/CVP.log は 'pg1A' を示していますが、これは別のホスト SRV9 のものです (PIM ログと "
        "CVP Call Server ログは別のサーバーのものです)。統合しませんでした",
        "ホスト SRV9: 別名 PG1A もあります。それらのファイルがフォルダー 'PG1A' にあるため、1 台の"
        "サーバーとみなしました",
    ]
    # Why each file is its host's is worded too (it is quoted in the 'another capture' warning).
    why = refused.assigned[1][1]
    assert why == (
        "folder 'PG1A' (named on the command line) holds only SRV9's files; named in the file's "
        "content pg1A"
    )
    assert render(why, "ja").startswith(
        "フォルダー 'PG1A' (コマンド ラインで指定) には SRV9 のファイルだけがあります。また、"
    )
    servers = [
        _c("f/CVP.log", "cvp_log", "f", writer="192.0.2.20", role="cvp"),
        _c("f/a.csv", "perfmon_csv", "f", machines=["PG1A"]),
        _c("f/b.csv", "perfmon_csv", "f", machines=["CVP1"]),
        _c("f/pg/systeminfo.txt", "config_snapshot", "f", machines=["PG1A"]),
    ]
    unnamed = identify([*servers, _c("f/netsh.txt", "config_snapshot", "f")])
    said = [w for w in unnamed.warnings if w.startswith("f/netsh.txt")]
    # (its folder holds the files of two servers, the CVP's logs joined to the computer its
    # perfmon names, CVP1: which one's it is is not guessed)
    assert said == [
        "f/netsh.txt: names no computer, and its folder holds the files of CVP1, PG1A: kept "
        "apart as 'UNNAMED' rather than given to one of them (move it into its server's folder, "
        "or start its name with that server's name, as in CVP1_netsh.txt)"
    ]
    assert render(said[0], "ja") == (
        "f/netsh.txt: コンピューター名が書かれておらず、同じフォルダーに CVP1, PG1A "
        "のファイルがあるため、いずれにも割り当てずに 'UNNAMED' として分けました (そのサーバーの"
        "フォルダーに移すか、ファイル名をサーバー名で始めてください。例: CVP1_netsh.txt)"
    )
    joined = [w for w in unnamed.warnings if said_id(w) == "host_by_role_machine"]
    assert joined == [
        "host CVP1: the CVP logs that name no computer (CVP.log) are taken as this computer's, "
        "the bundle's one computer whose name says CVP and that only perfmon or snapshots name"
    ]
    assert render(joined[0], "ja").startswith(
        "ホスト CVP1: コンピューター名のない CVP のログ (CVP.log) を、このコンピューターのもの"
    )
    assert said_id(said[0]) == "host_unknown_beside"
    # Five or more of them there are rather other systems' files: said once, as below.
    six = identify([*servers, *(_c(f"f/x{n}.txt", "config_snapshot", "f") for n in range(6))])
    assert [said_id(w) for w in six.warnings if "UNNAMED" in w] == ["host_unknown_files"]
    # Five or more such files of one folder (other systems' logs beside the servers') are said
    # once, with how many; fewer are still said one by one.
    others = [_c(f"f/logs/app{n}.log", "generic_log", "f") for n in range(6)]
    many = identify([*servers, *others, _c("f/misc/x.log", "generic_log", "f")])
    said = [w for w in many.warnings if "UNNAMED" in w]
    assert said == [
        "f/logs: 6 files like app0.log: could not tell which host wrote them; using 'UNNAMED' "
        "(put each host's files in a folder named after the host, or start each file's name with "
        "its host's name and an underscore)",
        "f/misc/x.log: could not tell which host wrote it; using 'UNNAMED' (put each host's "
        "files in a folder named after the host, or start each file's name with its host's name "
        "and an underscore)",
    ]
    assert said_id(said[0]) == "host_unknown_files"
    assert render(said[0], "ja").startswith("f/logs: app0.log など 6 個のファイルは、")
    assert [h for h, _ in many.assigned[len(servers) :]] == ["UNNAMED"] * 7


def test_what_is_said_of_one_file_is_one_line_worded_part_by_part() -> None:
    capture = warn("at_file", path="b/old.csv", reason=warn("perfmon_no_rows"))
    cut = warn("at_file", path="b/old.csv", reason=warn("no_line_end"))
    other = warn("at_line", path="b/old.csv", line=3, reason=warn("perfmon_quotes"))
    out = one_line_per_path([capture, "x", cut, "b/old.csv: plain words", other], {"b/old.csv"})
    assert out == [
        "b/old.csv: no data rows; last line has no line end (file cut short?); plain words",
        "x",
        other,  # path:line: is not the file's own line
    ]
    assert isinstance(out[0], Worded) and said_id(out[0]) == "perfmon_no_rows"
    assert render(out[0], "ja") == (
        "b/old.csv: データ行がありません。最終行に改行がありません (ファイルが途中で切れている可能性が"
        "あります)。plain words"
    )
    # Joined again (a second pass) keeps one flat list of parts.
    again = one_line_per_path(
        [out[0], warn("at_file", path="b/old.csv", reason="more")], {"b/old.csv"}
    )
    assert isinstance(again[0], Worded) and isinstance(again[0].fields["reason"], Joined)
    assert len(again[0].fields["reason"]) == 4 and again[0] == out[0] + "; more"


def test_paths_that_are_no_files_are_worded(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    got = collect([tmp_path / "nothere", tmp_path / "real", tmp_path / "real"], tmp_path / "w")
    assert got.warnings == [
        f"{tmp_path}/nothere: no such file or folder",
        f"{tmp_path}/real: already read as part of {tmp_path}/real; read once",
    ]
    assert [render(w, "ja") for w in got.warnings] == [
        f"{tmp_path}/nothere: そのようなファイルまたはフォルダーはありません",
        f"{tmp_path}/real: {tmp_path}/real の一部としてすでに読み取ったため、1 回だけ読み取ります",
    ]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dpc_storm_cvp seed 7 with, in PG3A's folder, another machine's perfmon taken 72 days
    earlier instead of its own; a zip with members that would escape, one with a duplicate
    name, and a link to a folder."""
    root = tmp_path_factory.mktemp("hosts_bundle")
    generate("dpc_storm_cvp", root / "storm", 7)
    generate("two_incidents", root / "other", 7)
    case = root / "case"
    shutil.copytree(root / "storm", case)
    (case / "truth.json").unlink()
    (case / "PG3A" / "PG3A_perfmon.csv").unlink()
    shutil.copy(root / "other" / "CVP1" / "CVP1_perfmon.csv", case / "PG3A" / "old.csv")
    with zipfile.ZipFile(case / "evil.zip", "w") as z:
        for name in ("../a.txt", "../b.txt", "/abs.txt"):
            z.writestr(name, "x")
    with pytest.warns(UserWarning), zipfile.ZipFile(case / "dup.zip", "w") as z:
        z.writestr("a.txt", "x")
        z.writestr("a.txt", "y")
    os.symlink(case / "CVP3", case / "link_to_cvp", target_is_directory=True)
    return case


def test_hosts_and_bundle_warnings_in_findings_and_the_japanese_report(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case.parent)
    doc, md = _analyze_ja(tmp_path / "out", "case")
    warnings = doc["warnings"]
    assert isinstance(warnings, list)
    english = [
        "case/dup.zip!a.txt: same name as a member extracted before it (the first kept), skipped",
        "case/evil.zip: 3 members skipped: path would escape the extraction folder; first: "
        "../a.txt",
        "case/link_to_cvp: symbolic link to a folder not followed, skipped",
        "case/PG3A/old.csv: its times (2013-06-25 to 2013-06-25) are 72 days away from the "
        "PIM/CVP logs beside it (2013-09-06 to 2013-09-06): another capture, so its folder does "
        "not name its host; read as host 'CVP1' (perfmon \\\\MACHINE prefix), apart from the "
        "servers",
    ]
    assert warnings[: len(english)] == english
    assert doc["warning_ids"][: len(english)] == [  # type: ignore[index]
        "member_duplicate",
        "member_escape",
        "dir_symlink",
        "another_capture",
    ]
    japanese = [
        "case/dup.zip!a.txt: 先に展開されたメンバーと同じ名前です (最初のものを保持)。"
        "スキップしました",
        "case/evil.zip: パスが展開先フォルダーの外を指しています。3 個のメンバーをスキップしました "
        "(最初のもの: ../a.txt)",
        "case/link_to_cvp: フォルダーへのシンボリック リンクはたどりません。スキップしました",
        "case/PG3A/old.csv: 時刻 (2013-06-25 ～ 2013-06-25) が同じフォルダーの PIM/CVP ログ "
        "(2013-09-06 ～ 2013-09-06) から 72 日離れています。",
    ]
    ja = doc["warnings_ja"]
    assert isinstance(ja, list)
    assert ja[:3] == japanese[:3] and ja[3].startswith(japanese[3])
    assert "サーバーとは別のホスト 'CVP1' として読み取りました" in ja[3]
    plain = md.replace("\\", "")  # Markdown escapes (case/dup.zip\\!a.txt)
    for text in japanese:
        assert text.replace("\\", "") in plain, text
    for text in english:
        assert text.split(": ", 1)[1][:40] not in plain


# ---- the readers, what they expected, and the words inside the zone warnings

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def readers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of files the readers warn about: a sadf row cut short, a bcc report without
    times, a .blg, a systeminfo whose hotfix list is cut, an xperf report cut off, an event log
    with a bad date."""
    root = tmp_path_factory.mktemp("readers") / "rd"
    srv = root / "SRV"
    srv.mkdir(parents=True)
    for name in (
        "sar/sadf_d_cpu_net_udp.csv",
        "irq/bcc/hardirqs_dist.txt",
        "perfmon/SampleLog.blg",
    ):
        shutil.copy(FIX / name, srv)
    shutil.copy(FIX / "systeminfo" / "7_sp1_x64_ultimaten_de_systeminfo.txt", srv / "si.txt")
    xperf = (FIX / "dpcisr" / "xperf" / "dpcisr_ndis_culprit.txt").read_text()
    cut = xperf[: xperf.index("Total = 140120 for module b57nd60a.sys") + 60]
    (srv / "xperf_cut.txt").write_text(cut, newline="")
    (srv / "System.csv").write_text(
        "Level,Date and Time,Source,Event ID,Task Category\n"
        "Information,30/03/2013 19:36:57,Service Control Manager,7036,None,stopped\n"
        "Information,not a date,Service Control Manager,7036,None,lost\n"
    )
    return root


READERS = {  # id: (English in findings.json, as before; Japanese in the report)
    "event_bad_date": (
        "rd/SRV/System.csv:3: unreadable event date 'not a date', record skipped",
        "rd/SRV/System.csv:3: イベントの日付 'not a date' を読み取れないため、レコードをスキップしました",
    ),
    "irq_no_times": (
        "rd/SRV/hardirqs_dist.txt: no time stamps (run the tool with -T): module totals only, no "
        "rows in time",
        "rd/SRV/hardirqs_dist.txt: タイムスタンプがありません (ツールを -T 付きで実行してください)。"
        "モジュールごとの合計だけで、時系列の行はありません",
    ),
    "sar_fields": (
        "rd/SRV/sadf_d_cpu_net_udp.csv:13: expected 13 ';'-separated fields starting "
        "hostname;interval;timestamp; row skipped",
        "rd/SRV/sadf_d_cpu_net_udp.csv:13: hostname;interval;timestamp で始まる ';' 区切りの 13 "
        "個のフィールドのはずが、そうなっていないため、行をスキップしました",
    ),
    "hotfixes_cut": (
        "rd/SRV/si.txt:2: systeminfo lists 245 of the 263 hotfixes it counts (its list is cut "
        "short): a hotfix not among them may still be installed; collect `wmic qfe list full` or "
        "`Get-HotFix` for the whole list",
        "rd/SRV/si.txt:2: systeminfo は数えている 263 個の修正プログラムのうち 245 個しか列挙して"
        "いません (一覧が途中で切れています)。",
    ),
    "report_cut": (
        "rd/SRV/xperf_cut.txt:51: the file ends in the middle of a line (cut off?); read up to it",
        "rd/SRV/xperf_cut.txt:51: ファイルが行の途中で終わっています (途中で切れている可能性があり"
        "ます)。そこまでを読み取りました",
    ),
    "blg_log": (
        "rd/SRV/SampleLog.blg: expected a perfmon CSV; this is a binary .blg log: convert it on "
        "Windows with `relog file.blg -f csv -o file.csv`",
        "rd/SRV/SampleLog.blg: perfmon CSV ではなく、バイナリの .blg ログです。Windows で `relog "
        "file.blg -f csv -o file.csv` により CSV に変換してください",
    ),
}


def test_readers_warnings_in_findings_and_the_japanese_report(
    readers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(readers.parent)
    doc, md = _analyze_ja(tmp_path / "out", "rd")
    by_id = dict(zip(doc["warning_ids"], doc["warnings"], strict=True))  # type: ignore[call-overload]
    ja_by_id = dict(zip(doc["warning_ids"], doc["warnings_ja"], strict=True))  # type: ignore[call-overload]
    assert None not in by_id, doc["warnings"]
    plain = md.replace("\\", "")
    for wid, (english, japanese) in READERS.items():
        assert by_id[wid] == english
        assert ja_by_id[wid].startswith(japanese)
        assert japanese.replace("`", "") in plain.replace("`", ""), wid
        assert english.split(": ", 1)[1][:30] not in plain, wid


def test_what_a_reader_expected_and_the_words_in_zone_warnings() -> None:
    from hbtriage.errors import InputError
    from hbtriage.timeline.clocks import _names, zone_source_text

    err = InputError("x.txt", 1, warn("expect_sar_banner"), "hello")
    assert (
        err.one_line()
        == str(err)
        == ("x.txt:1: expected a sar banner like 'Linux 5.15.0 (host) 01/15/2024' (found 'hello')")
    )
    assert render(err.one_line(), "ja") == (
        "x.txt:1: 'Linux 5.15.0 (host) 01/15/2024' のような sar のバナー を想定していましたが、"
        "'hello' でした"
    )
    empty = InputError("y.log", None, warn("expect_dumplog"), warn("an_empty_file")).one_line()
    assert empty.endswith("(found 'an empty file')") and said_id(empty) == "expected_found"
    assert render(empty, "ja").endswith("を想定していましたが、'空のファイル' でした")
    # A peer's zone source, a list cut short and the units, inside the zone warnings.
    peer = warn(
        "zone_why_peer",
        zone="Europe/Berlin",
        source=zone_source_text("perfmon header"),
        offset="+01:00",
    )
    assert (
        peer == "whose zone it is (Europe/Berlin, from perfmon header; UTC+01:00 at the disconnect)"
    )
    assert "perfmon ヘッダー による" in render(peer, "ja")
    assert zone_source_text("--tz") == "--tz"
    names = _names(["a", "b", "c", "d", "e"])
    assert (names, render(names, "ja")) == ("a, b, c and 2 more", "a, b, c ほか 2 件")
    assert (_names(["a"]), render(_names(["a"]), "ja")) == ("a", "a")
    apart = warn("apart_minutes", value=7.25)
    assert (apart, render(apart, "ja")) == ("7.2 min", "7.2 分")
    hours = warn("apart_hours", value=8)
    assert (hours, render(hours, "ja")) == ("8.00 h", "8.00 時間")
