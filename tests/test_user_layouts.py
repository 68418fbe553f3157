"""Layouts users made by hand that the layout benches did not draw: a zip from a Japanese
Windows Explorer (folder names in cp932, no UTF-8 flag), servers' folders named in Japanese
('PG側ログ', 'CVP3 ログ'), a drive copied whole ('CVP3/C/Cisco/CVP/logs'), a server's files in
a folder per day ('PG3A/day1'), and servers' folders reached through symbolic links named on the
command line. Each must give the hosts and verdict of the plain layout ('PG3A/', 'CVP3/').

The bundle is generated here: dpc_storm_cvp seed 7 (PG3A and CVP3, 2013-09-06, DPC storm on
CVP3). With logs only, nothing in the files names the CVP server but its folder: the folder
is what the user sees as the host."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_host_layouts import _analyze  # analyze --format json, findings.json read

from hbtriage.simulate.scenarios import generate
from hbtriage.sources.zip_names import archive_encoding


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "storm"
    generate("dpc_storm_cvp", root, 7)
    return root


def _summary(doc: dict[str, Any]) -> tuple[dict[str, list[str]], list[Any]]:
    hosts = {h["name"]: h["aliases"] for h in doc["hosts"]}
    verdict = [
        (inc["hosts"], inc["causes"][0]["id"], inc["causes"][0]["host"]) for inc in doc["incidents"]
    ]
    return hosts, verdict


def _files(storm: Path, server: str, *, logs_only: bool) -> list[Path]:
    skip = ("perfmon.csv", "systeminfo.txt") if logs_only else ()
    return [f for f in sorted((storm / server).iterdir()) if not f.name.endswith(skip)]


def _plain(
    storm: Path, root: Path, *, logs_only: bool, servers: tuple[str, str] = ("PG3A", "CVP3")
) -> dict[str, Any]:
    for server in servers:
        (root / "plain" / server).mkdir(parents=True)
        for f in _files(storm, server, logs_only=logs_only):
            shutil.copyfile(f, root / "plain" / server / f.name)
    return _analyze(root / "plain-out", root / "plain")


class _OemName(zipfile.ZipInfo):
    """A member whose name is written in a Windows OEM code page, without the UTF-8 flag, as
    Windows Explorer's 'Send to > Compressed (zipped) folder' writes it."""

    __slots__ = ("raw",)

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's name
        return self.raw, self.flag_bits & ~0x800


def _explorer_zip(path: Path, members: dict[str, bytes], code_page: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = _OemName(name, date_time=(2013, 9, 7, 10, 0, 0))
            info.raw = name.encode(code_page)
            info.create_system = 0  # made on Windows: "\\" separates folders
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def _generic(storm: Path, root: Path, *, logs_only: bool) -> dict[str, Any]:
    """The plain layout with folders that name no server: 'PG/' and 'CVP/'."""
    for server, where in (("PG3A", "PG"), ("CVP3", "CVP")):
        (root / "generic" / where).mkdir(parents=True)
        for f in _files(storm, server, logs_only=logs_only):
            shutil.copyfile(f, root / "generic" / where / f.name)
    return _analyze(root / "generic-out", root / "generic")


@pytest.mark.parametrize("logs_only", [False, True], ids=["with-perfmon", "logs-only"])
def test_a_zip_from_japanese_windows_explorer_keeps_its_folder_names(
    storm: Path, tmp_path: Path, logs_only: bool
) -> None:
    """'ログ.zip' holding 'PG側ログ\\...' and 'CVP側ログ\\...' (PG-side logs, CVP-side logs)
    with the names in cp932 and no UTF-8 flag. The names were read as code page 437: the
    inputs were shown as 'ログ.zip!CVPæñâìâO/CVP.2013-09-06.log', each server was 'also named'
    its mojibake folder in a warning, and with logs only the hosts were 'PGæñâìâO' and
    'CVPæñâìâO'. Now the hosts and verdict are those of 'PG/' and 'CVP/'."""
    want = _generic(storm, tmp_path, logs_only=logs_only)
    members = {
        f"{where}\\{f.name}": f.read_bytes()
        for server, where in (("PG3A", "PG側ログ"), ("CVP3", "CVP側ログ"))
        for f in _files(storm, server, logs_only=logs_only)
    }
    doc = _analyze(tmp_path / "out", _explorer_zip(tmp_path / "ログ.zip", members, "cp932"))
    assert _summary(doc) == _summary(want)
    assert len(doc["incidents"]) == 1 and len(doc["incidents"][0]["hosts"]) == 2
    shown = {i["path"].split("!", 1)[1]: i["host"] for i in doc["inputs"]}
    pg_host = next(h for p, h in shown.items() if p.endswith("pim1.txt"))
    assert shown == {
        **{f"PG側ログ/{f.name}": pg_host for f in _files(storm, "PG3A", logs_only=logs_only)},
        **{
            f"CVP側ログ/{f.name}": shown["CVP側ログ/CVP.2013-09-06.log"]
            for f in _files(storm, "CVP3", logs_only=logs_only)
        },
    }
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize(
    "on_disk",
    [
        lambda name: name.encode("cp932").decode("cp850").encode("cp1252"),  # Info-ZIP unzip
        lambda name: name.encode("cp932"),  # a tool that keeps the bytes
    ],
    ids=["unzip", "bytes-kept"],
)
def test_japanese_folder_names_unpacked_without_their_code_page_are_read_back(
    storm: Path, tmp_path: Path, on_disk: Any
) -> None:
    """The Japanese Explorer zip ('PG3A側ログ\\...', 'CVP3側ログ\\...' in cp932) unpacked
    on Linux without 'unzip -O cp932': the folder names on disk are not UTF-8 ('PG3A' and
    the bytes of 'æñâìâO'). The hosts were 'PG3A\\xe6\\xf1\\xe2\\xec\\xe2O' and
    'CVP3\\xe6...', the PG 'also named pg3A'. The names are read back: the hosts, verdict
    and paths are those of the zip, and one warning says why the names differ from 'ls'."""
    want = _plain(storm, tmp_path, logs_only=True)
    case = tmp_path / "case"
    for server in ("PG3A", "CVP3"):
        folder = os.path.join(bytes(case), on_disk(f"{server}側ログ"))
        os.makedirs(folder)
        for f in _files(storm, server, logs_only=True):
            shutil.copyfile(f, os.path.join(folder, f.name.encode()))
    doc = _analyze(tmp_path / "out", case)
    assert _summary(doc) == _summary(want)
    assert {i["path"].split("/")[1] for i in doc["inputs"]} == {"PG3A側ログ", "CVP3側ログ"}
    said = [w for w in doc["warnings"] if "code page" in w]
    assert len(said) == 1 and said[0].startswith(f"{len(doc['inputs'])} file(s)"), said
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]


def test_folder_names_in_no_known_code_page_are_said_once(storm: Path, tmp_path: Path) -> None:
    """Folder names in bytes that are neither UTF-8 nor Japanese (Latin-1 'CVP3 été'): shown
    with \\x escapes, and one warning says so and how to unpack them again."""
    case = tmp_path / "case"
    shutil.copytree(storm / "PG3A", case / "PG3A")
    folder = os.path.join(bytes(case), "CVP3 été".encode("latin-1"))
    os.makedirs(folder)
    for f in _files(storm, "CVP3", logs_only=True):
        shutil.copyfile(f, os.path.join(folder, f.name.encode()))
    doc = _analyze(tmp_path / "out", case)
    said = [w for w in doc["warnings"] if "code page" in w]
    assert said == [
        f"{len(_files(storm, 'CVP3', logs_only=True))} file(s) have names or folders that are "
        "neither UTF-8 nor Japanese in code page 932: shown with \\x escapes, and a folder "
        "named so names its host by them; unpack the bundle again with the code page it was "
        "made in (unzip -O CODEPAGE); first: case/CVP3 \\xe9t\\xe9/CVP.2013-09-06.log"
    ]


def test_the_names_of_a_zip_without_the_utf8_flag() -> None:
    """Which encoding a zip's unflagged names were written in, decided over the whole zip:
    cp932 only for Japanese text; UTF-8 when every name is valid UTF-8 (a tool that forgot
    the flag); else None (code page 437, as the format says): a German name written in cp850
    ('Übersicht', whose first two bytes are one kanji in cp932) stays as it is."""

    def infos(*raw: bytes) -> list[zipfile.ZipInfo]:
        out = []
        for r in raw:
            info = zipfile.ZipInfo(r.decode("cp437"))
            info.orig_filename = info.filename
            out.append(info)
        return out

    assert archive_encoding(infos("PG側ログ\\a.txt".encode("cp932"), b"b.txt")) == "cp932"
    assert archive_encoding(infos("障害\\a.txt".encode("cp932"))) == "cp932"
    assert archive_encoding(infos("Größe\\a.txt".encode())) == "utf-8"
    assert archive_encoding(infos("Übersicht\\a.txt".encode("cp850"))) is None
    assert archive_encoding(infos(b"PG1A\\a.txt")) is None


@pytest.mark.parametrize(
    ("pg", "cvp", "shown"),
    [
        ("PG側ログ", "CVP側ログ", None),
        ("PG3A ログ", "CVP3 ログ", {"PG3A", "CVP3"}),
        ("PG3A側ログ", "CVP3のログ", {"PG3A", "CVP3"}),
        ("PG3A号機", "CVP3サーバー", {"PG3A", "CVP3"}),
        ("PG3A/C/icm/logfiles", "CVP3/C/Cisco/CVP/logs", {"PG3A", "CVP3"}),
        ("PG3A/day1", "CVP3/Day 2", {"PG3A", "CVP3"}),
        ("PG3A/1日目", "CVP3/2013年9月6日", {"PG3A", "CVP3"}),
        ("PG日志", "CVP侧日志", None),
        ("PG端日誌", "CVP側資料", None),
        ("PG3A日志收集", "CVP3的日誌", {"PG3A", "CVP3"}),
        ("PG3A服务器", "CVP3伺服器效能監視器", {"PG3A", "CVP3"}),
        ("PG로그", "CVP측 로그", None),
        ("PG3A 로그수집", "CVP3서버 자료", {"PG3A", "CVP3"}),
    ],
    ids=[
        "japanese-role",
        "japanese-log-word",
        "japanese-run-into-name",
        "japanese-machine-word",
        "drive-copied",
        "day-folders",
        "japanese-days",
        "chinese-role",
        "chinese-traditional-role",
        "chinese-run-into-name",
        "chinese-server-word",
        "korean-role",
        "korean-run-into-name",
    ],
)
def test_folders_of_what_they_hold_in_cjk_drives_and_days_name_no_server(
    storm: Path, tmp_path: Path, pg: str, cvp: str, shown: set[str] | None
) -> None:
    """Logs only, so the folders are what names the servers. 'CVP側ログ' (CVP-side logs),
    'CVP3 ログ' (CVP3 log) and a server's name run into Japanese words as Japanese writes them
    ('PG3A側ログ', 'CVP3のログ', 'PG3A号機', 'CVP3サーバー') were host names, and so were a
    drive copied whole ('CVP3/C/...': the host was 'C') and a day's folder ('PG3A/day1':
    'day1'); they say what a folder holds, as 'CVP logs' does. Where no folder names a server, the hosts are the plain layout's
    without folders (the PIM's ICM node, the CVP's address). The Chinese and Korean words
    ('PG侧日志', 'CVP3的日誌', 'CVP3伺服器', 'PG측로그', 'CVP3서버') are read the same way."""
    for server, where in (("PG3A", pg), ("CVP3", cvp)):
        (tmp_path / "case" / where).mkdir(parents=True)
        for f in _files(storm, server, logs_only=True):
            shutil.copyfile(f, tmp_path / "case" / where / f.name)
    doc = _analyze(tmp_path / "out", tmp_path / "case")
    hosts, verdict = _summary(doc)
    if shown is None:
        want = _generic(storm, tmp_path, logs_only=True)
        assert (hosts, verdict) == _summary(want)
        assert not any(("側" in h) for h in hosts), hosts
    else:
        want = _plain(storm, tmp_path, logs_only=True)
        assert set(hosts) == shown == set(_summary(want)[0])
        assert verdict == _summary(want)[1]
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize(
    ("pg", "cvp"),
    [("PG3A로그", "CVP3日志"), ("PG3A的日志", "CVP3로그파일"), ("PG3A 日誌", "CVP3서버 로그")],
    ids=["korean-chinese", "chinese-possessive-korean-file", "traditional-korean-server"],
)
def test_cjk_folders_named_on_their_own_name_the_servers_as_in_their_parent(
    storm: Path, tmp_path: Path, pg: str, cvp: str
) -> None:
    """'analyze CVP3日志 PG3A로그': each server's folder named on the command line, where the
    folder the user named is the bundle and its name is no hint below it, so the name must
    be read on its own: logs only, the hosts are PG3A and CVP3 and the verdict is the one of
    the folder that holds them both."""
    for server, where in (("PG3A", pg), ("CVP3", cvp)):
        (tmp_path / "case" / where).mkdir(parents=True)
        for f in _files(storm, server, logs_only=True):
            shutil.copyfile(f, tmp_path / "case" / where / f.name)
    parent = _analyze(tmp_path / "parent-out", tmp_path / "case")
    alone = _analyze(tmp_path / "out", tmp_path / "case" / cvp, tmp_path / "case" / pg)
    assert set(_summary(alone)[0]) == {"PG3A", "CVP3"}
    assert _summary(alone) == _summary(parent)
    assert not any("also named" in w for w in alone["warnings"]), alone["warnings"]


def test_servers_folders_reached_through_links_named_on_the_command_line(
    storm: Path, tmp_path: Path
) -> None:
    """'analyze links/PG3A links/CVP3' where each is a symbolic link to the server's folder
    on a share (how a user keeps a case beside the data it points at). A link named on the
    command line was skipped ('symbolic link to a folder not followed'): no readable input,
    exit code 2. It is followed, shown by the link's name, and gives the plain layout's
    hosts and verdict; the same folder named twice (the link and its target) is read once."""
    want = _plain(storm, tmp_path, logs_only=True)
    links = tmp_path / "links"
    links.mkdir()
    for server in ("PG3A", "CVP3"):
        (links / server).symlink_to(tmp_path / "plain" / server, target_is_directory=True)
    doc = _analyze(tmp_path / "out", links / "PG3A", links / "CVP3")
    assert _summary(doc) == _summary(want)
    assert {i["path"].split("/")[0] for i in doc["inputs"]} == {"PG3A", "CVP3"}
    twice = _analyze(tmp_path / "twice", links / "CVP3", tmp_path / "plain" / "CVP3")
    assert len(twice["inputs"]) == len(_files(storm, "CVP3", logs_only=True))
    assert any("already read as part of" in w for w in twice["warnings"]), twice["warnings"]


def test_a_cvp_named_only_by_its_file_names_is_shown_by_them(tmp_path: Path) -> None:
    """Both servers' logs flat in one day's folder, each file name starting with its server's
    name ('2013-09-09/CVP4_CVP.2013-09-09.log', '2013-09-09/PG4A_pim1.txt'), logs only; the
    CVP's lines carry its sender address (peer_restart_pg seed 1: PG4A and CVP4). Its files
    were one host by that address already, so the word of their names was never taken: the
    host was shown as '192.0.2.20', where the servers' folders show 'CVP4'. Each host is
    shown as the servers' folders show it."""
    generate("peer_restart_pg", tmp_path / "sim", 1)
    want = _plain(tmp_path / "sim", tmp_path, logs_only=True, servers=("PG4A", "CVP4"))
    day = tmp_path / "case" / "2013-09-09"
    day.mkdir(parents=True)
    for server in ("PG4A", "CVP4"):
        for f in _files(tmp_path / "sim", server, logs_only=True):
            shutil.copyfile(f, day / f"{server}_{f.name}")
    doc = _analyze(tmp_path / "out", tmp_path / "case")
    # The PIM's host was its ICM node as the dumplog spells it, 'pg4A', though the user
    # spelt it 'PG4A' in the file's name, as the servers' folders do.
    assert _summary(doc) == _summary(want)
    assert set(_summary(doc)[0]) == {"PG4A", "CVP4"}
    cvp = [i for i in doc["inputs"] if i["path"].split("/")[-1].startswith("CVP4_")]
    assert len(cvp) == 3 and {i["host"] for i in cvp} == {"CVP4"}


@pytest.mark.parametrize("logs_only", [False, True], ids=["with-perfmon", "logs-only"])
def test_servers_folders_named_by_their_dns_names_show_their_short_names(
    storm: Path, tmp_path: Path, logs_only: bool
) -> None:
    """Each server's files in a folder named by its full DNS name ('PG3A.example.com/',
    'CVP3.corp.example.net/'). With logs only the hosts were shown by those full names;
    with perfmon they were 'PG3A' and 'CVP3' and the full names were no name of theirs at
    all. Names are compared by their first label: the hosts are shown by the short names,
    as 'PG3A/' and 'CVP3/' show them, the full names are their aliases, and no warning says
    they are 'also named' so."""
    want = _plain(storm, tmp_path, logs_only=logs_only)
    for server, where in (("PG3A", "PG3A.example.com"), ("CVP3", "CVP3.corp.example.net")):
        shutil.copytree(tmp_path / "plain" / server, tmp_path / "case" / where)
    doc = _analyze(tmp_path / "out", tmp_path / "case")
    assert _summary(doc)[1] == _summary(want)[1]
    assert _summary(doc)[0] == {"PG3A": ["PG3A.example.com"], "CVP3": ["CVP3.corp.example.net"]}
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]


def test_a_perfmon_naming_its_machine_by_dns_name_is_shown_by_the_computer_name(
    storm: Path, tmp_path: Path
) -> None:
    """The CVP's perfmon writes its machine by its DNS name ('\\\\cvp3.example.com\\...', a
    relogged or remote collection) beside the 'systeminfo' of 'CVP3', in a folder 'CVP-side'
    (the CVP's end). The host was shown as 'cvp3.example.com' and was 'also named side' in
    a warning. It is CVP3, as its 'systeminfo' calls it, the DNS name its alias; 'side' says
    which end a folder holds, as '側' does."""
    want = _plain(storm, tmp_path, logs_only=False)
    case = tmp_path / "case"
    shutil.copytree(tmp_path / "plain" / "PG3A", case / "PG3A")
    shutil.copytree(tmp_path / "plain" / "CVP3", case / "CVP-side")
    perfmon = case / "CVP-side" / "CVP3_perfmon.csv"
    raw = perfmon.read_bytes()
    assert b"\\\\CVP3\\" in raw
    perfmon.write_bytes(raw.replace(b"\\\\CVP3\\", b"\\\\cvp3.example.com\\"))
    perfmon.rename(case / "CVP-side" / "perfmon.csv")
    doc = _analyze(tmp_path / "out", case)
    assert _summary(doc)[1] == _summary(want)[1]
    assert _summary(doc)[0] == {"PG3A": [], "CVP3": ["cvp3.example.com"]}
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]


def test_a_dumplog_cut_into_parts_is_dated_as_one_log(storm: Path, tmp_path: Path) -> None:
    """The PIM's dumplog cut in two by the user ('pim1_part1.txt' keeps the 'Events from'
    line, 'pim1_part2.txt' starts mid-day with none), the parts copied today. The second part
    was dated by its modified time: its records, the PIM's side of the loss among them, were
    on the day of the copy (the input's 'last' and the PG's span ended years after the
    incident; when the loss fell in that part, the report showed a second incident there, on
    the PG alone). It continues the first part: its times are the whole log's, and a warning
    says so."""
    want = _plain(storm, tmp_path, logs_only=False)
    case = tmp_path / "case"
    shutil.copytree(tmp_path / "plain", case)
    lines = (case / "PG3A" / "pim1.txt").read_bytes().splitlines(keepends=True)
    (case / "PG3A" / "pim1.txt").unlink()
    cut = len(lines) // 2
    (case / "PG3A" / "pim1_part1.txt").write_bytes(b"".join(lines[:cut]))
    (case / "PG3A" / "pim1_part2.txt").write_bytes(b"".join(lines[cut:]))
    assert not lines[cut].startswith(b"Events from")
    doc = _analyze(tmp_path / "out", case)
    assert _summary(doc) == _summary(want)
    whole = next(i for i in want["inputs"] if i["path"].endswith("pim1.txt"))
    parts = {i["path"]: i for i in doc["inputs"] if "pim1_part" in i["path"]}
    assert parts["case/PG3A/pim1_part1.txt"]["first"] == whole["first"]
    assert parts["case/PG3A/pim1_part2.txt"]["last"] == whole["last"]
    pg = next(h for h in doc["hosts"] if h["name"] == "PG3A")
    assert pg["last"] == next(h for h in want["hosts"] if h["name"] == "PG3A")["last"]
    said = [w for w in doc["warnings"] if w.startswith("case/PG3A/pim1_part2.txt")]
    assert said == [
        "case/PG3A/pim1_part2.txt: no 'Events from <date>' line; it continues "
        "case/PG3A/pim1_part1.txt (same ICM process, its times follow on), so its dates go "
        "on from 2013-09-06, not from the file's modified time"
    ]


def test_what_macos_and_windows_write_for_themselves_is_one_line(
    storm: Path, tmp_path: Path
) -> None:
    """A zip made on a Mac ('__MACOSX/case/CVP3/._CVP.2013-09-06.log', a resource fork per
    file) of folders Windows Explorer had shown (.DS_Store, Thumbs.db, desktop.ini in each),
    and a custom folder icon of the Finder ('Icon' and a carriage return: it was an 'empty
    file' warning, its name breaking the line). Each of those files was a warning of its own
    ('binary file, not a log ...', 'not a format hbtriage reads'): 20 lines of noise above
    what the report had to say. They are no input, and one line says they were skipped, the
    names printable; the verdict is the plain layout's."""
    want = _plain(storm, tmp_path, logs_only=False)
    junk = 0
    with zipfile.ZipFile(tmp_path / "case.zip", "w") as zf:
        for server in ("PG3A", "CVP3"):
            for f in _files(storm, server, logs_only=False):
                zf.write(f, f"case/{server}/{f.name}")
                zf.writestr(f"__MACOSX/case/{server}/._{f.name}", b"\x00\x05\x16\x07" + bytes(78))
                junk += 1
            zf.writestr(f"case/{server}/.DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(64))
            zf.writestr(f"case/{server}/Thumbs.db", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
            zf.writestr(f"case/{server}/desktop.ini", "[.ShellClassInfo]\r\nIconResource=x\r\n")
            zf.writestr(f"case/{server}/Icon\r", b"")  # the Finder's custom folder icon
            junk += 4
    doc = _analyze(tmp_path / "out", tmp_path / "case.zip")
    assert _summary(doc) == _summary(want)
    assert len(doc["inputs"]) == len(want["inputs"])
    said = [w for w in doc["warnings"] if "._" in w or "Thumbs" in w or "Icon" in w]
    assert said == [
        f"{junk} file(s) that the operating system writes for itself, not a server, skipped "
        "(__MACOSX/, .DS_Store, Thumbs.db, desktop.ini, Icon\\r); first: "
        f"{tmp_path / 'case.zip'}!__MACOSX/case/PG3A/._{_files(storm, 'PG3A', logs_only=False)[0].name}"
    ]


def test_what_a_usb_stick_holds_for_the_system_is_one_line(storm: Path, tmp_path: Path) -> None:
    """The servers' folders handed over on a USB stick copied whole: a Mac that mounted it
    left its Spotlight index and file system event log (.fseventsd holds gzip files), and
    Windows its recycle bin and System Volume Information. Each file was a warning of its own
    ('binary file ...'), the gzip ones decompressed first. They are no input, never opened,
    and are counted in the one line that says what the OS wrote for itself. Such a folder is
    left out whole, never looked into (each of its files was listed, stat'ed and matched: a
    recycle bin of 20,000 files took 0.22 s of a 1.1 s run), so its files are not counted."""
    import gzip
    import os

    want = _plain(storm, tmp_path, logs_only=False)
    stick = tmp_path / "stick"
    shutil.copytree(tmp_path / "plain", stick)
    system = {
        ".Spotlight-V100/Store-V2/0A1B/store.db": b"8tsd" + bytes(60),
        ".fseventsd/00000000001a2b3c": gzip.compress(b"1SLD" + bytes(60)),
        ".fseventsd/fseventsd-uuid": b"0A1B2C3D\n",
        "$RECYCLE.BIN/S-1-5-21-1004/desktop.ini": b"[.ShellClassInfo]\r\n",
        "$RECYCLE.BIN/S-1-5-21-1004/$IAB12CD.txt": b"\x02" + bytes(40),
        "System Volume Information/IndexerVolumeGuid": "{0A1B}".encode("utf-16-le"),
    }
    for name, data in system.items():
        (stick / name).parent.mkdir(parents=True, exist_ok=True)
        (stick / name).write_bytes(data)
    (stick / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(64))
    looked_at: list[str] = []
    lstat = os.lstat

    def spy(path: str | os.PathLike[str], *args: object, **kwargs: object) -> os.stat_result:
        looked_at.append(os.fspath(path))  # type: ignore[arg-type]
        return lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "lstat", spy)
        doc = _analyze(tmp_path / "out", stick)
    inside = ("$RECYCLE.BIN/", ".Spotlight-V100/", ".fseventsd/", "System Volume Information/")
    assert looked_at and not [p for p in looked_at if any(f in p for f in inside)]
    assert _summary(doc) == _summary(want)
    assert len(doc["inputs"]) == len(want["inputs"])
    said = [w for w in doc["warnings"] if "stick/." in w or "stick/$" in w or "stick/S" in w]
    assert said == [
        "1 file(s) and 4 folder(s) (not looked into) that the operating system writes for "
        "itself, not a server, skipped ($RECYCLE.BIN/, .Spotlight-V100/, .fseventsd/, "
        "System Volume Information/, .DS_Store); first: stick/$RECYCLE.BIN/"
    ]
    ja = [w for w in doc["warnings_ja"] if "stick/$RECYCLE.BIN/" in w]
    assert ja == [
        "サーバーではなく OS が自身のために書き込むファイル 1 個とフォルダー 4 個 (中は見て"
        "いません) をスキップしました ($RECYCLE.BIN/、.Spotlight-V100/、.fseventsd/、"
        "System Volume Information/、.DS_Store。最初のもの: stick/$RECYCLE.BIN/)"
    ]
    # a folder of them only
    (stick / ".DS_Store").unlink()
    doc = _analyze(tmp_path / "out2", stick)
    said = [w for w in doc["warnings"] if "stick/$" in w]
    assert said == [
        "4 folder(s) that the operating system writes for itself, not a server, skipped "
        "without looking into them ($RECYCLE.BIN/, .Spotlight-V100/, .fseventsd/, "
        "System Volume Information/); first: stick/$RECYCLE.BIN/"
    ]


def test_a_site_catalog_names_more_files_to_skip(storm: Path, tmp_path: Path) -> None:
    """A site whose collection script leaves 'collect.done' beside each server's files names
    it in its own catalog (attachments.toml [[os_file]], as the bundled names .DS_Store): the
    names the tool skips were a list in the code, a site catalog could not add one, and each
    'collect.done' was an input of its own. Now they are skipped with the .DS_Store files, in
    the same one line, and the verdict is the plain layout's."""
    from typer.testing import CliRunner

    from hbtriage.cli import app

    want = _plain(storm, tmp_path, logs_only=False)
    case = tmp_path / "case"
    shutil.copytree(tmp_path / "plain", case)
    for server in ("PG3A", "CVP3"):
        (case / server / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(64))
        (case / server / "collect.done").write_text("collected 2013-09-07 10:00\n")
    site = tmp_path / "site"
    site.mkdir()
    (site / "attachments.toml").write_text(
        '[[os_file]]\nid = "collect_marks"\ntitle = "what the site\'s collection script leaves"'
        '\nnames = ["collect.done"]\nreference = "site runbook, log collection"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["analyze", str(case), "--catalog", str(site), "--out", str(out), "--quiet"]
    res = CliRunner().invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert _summary(doc) == _summary(want)
    assert [i["path"] for i in doc["inputs"]] == [
        i["path"].replace("plain/", "case/", 1) for i in want["inputs"]
    ]
    said = [w for w in doc["warnings"] if "collect.done" in w or ".DS_Store" in w]
    assert said == [
        "4 file(s) that the operating system writes for itself, not a server, skipped "
        "(.DS_Store, collect.done); first: case/CVP3/.DS_Store"
    ]


@pytest.mark.parametrize(
    ("pg_place", "cvp_place"),
    [
        ("home/alice/Downloads", "home/alice/Desktop"),  # saved from two mails
        ("home/alice", "home/alice/Documents/cvp"),  # the home folder, and a folder in it
        ("Users/alice/Desktop/ticket", "Users/alice/Downloads"),  # Windows
        ("home/alice/ダウンロード", "home/alice/デスクトップ"),  # a Japanese Linux desktop
    ],
)
def test_files_saved_in_a_users_own_folders_are_named_by_their_contents(
    storm: Path, tmp_path: Path, pg_place: str, cvp_place: str
) -> None:
    """Each server's logs saved into a different one of a user's own folders and named one by
    one: neither the folder ('Downloads', 'ticket' on the Desktop) nor the user's name
    ('alice') names a server; the hosts are those the files name (the PIM's ICM node, the
    CVP's sender address), as when the files sit in folders nothing names."""
    args = []
    for server, place in (("PG3A", pg_place), ("CVP3", cvp_place)):
        here = tmp_path / place
        here.mkdir(parents=True, exist_ok=True)
        for f in _files(storm, server, logs_only=True):
            shutil.copyfile(f, here / f.name)
            args.append(here / f.name)
    doc = _analyze(tmp_path / "out", *args)
    hosts, verdict = _summary(doc)
    names = {n.lower() for n in hosts} | {a.lower() for al in hosts.values() for a in al}
    words = {"alice", "downloads", "desktop", "ticket", "cvp", "ダウンロード", "デスクトップ"}
    assert not names & words, hosts
    assert any(n.lower() == "pg3a" for n in hosts) and len(hosts) == 2, hosts
    assert verdict and all(len(v[0]) == 2 for v in verdict), verdict


def _one_folder(
    tmp_path: Path, scenario: str, seed: int, servers: tuple[str, str]
) -> tuple[Path, Path]:
    """``scenario`` ``seed`` generated in ``sim/`` and every file of both ``servers`` copied into
    one folder ``case/logs/`` (returned, after ``sim/``), as a user copies them: a file of the
    second whose name the first's took saved with the server's name before it."""
    sim = tmp_path / "sim"
    generate(scenario, sim, seed)
    flat = tmp_path / "case" / "logs"
    flat.mkdir(parents=True)
    for server in servers:
        for f in sorted((sim / server).iterdir()):
            shutil.copy(f, flat / (f"{server}_{f.name}" if (flat / f.name).exists() else f.name))
    return sim, flat


@pytest.mark.parametrize("given", ["folder", "files"])
def test_both_servers_files_flat_in_one_folder_keep_the_cvps_logs_and_computer_one_host(
    tmp_path: Path, given: str
) -> None:
    """vm_stun_pg seed 5 (PG4B and CVP4; some of CVP4's log files write the sender field,
    192.0.2.20, one does not), every file of both servers in one folder 'logs/' with the names
    the products gave them. The CVP's logs were a host '192.0.2.20' and its perfmon
    (computer CVP4) another: a CVP log that names nobody was taken for another CVP server, so
    the computer named for the role did not join the logs known by their sender address. The
    parent layout's hosts and verdict (the PG's DPC/ISR report, which names no computer, is
    kept apart with a warning: in a folder of both servers, nothing says whose it is)."""
    sim, flat = _one_folder(tmp_path, "vm_stun_pg", 5, ("PG4B", "CVP4"))
    assert sorted(p.name for p in flat.iterdir()) == sorted(
        p.name for s in ("PG4B", "CVP4") for p in (sim / s).iterdir()
    )
    plain = _summary(_analyze(tmp_path / "plain", sim / "PG4B", sim / "CVP4"))
    paths = [flat] if given == "folder" else sorted(flat.iterdir())
    doc = _analyze(tmp_path / "out", *paths)
    assert plain[1] == [(["CVP4", "PG4B"], "vm_stun", "PG4B")]
    assert _summary(doc)[1] == plain[1]
    assert {h["name"]: h["addresses"] for h in doc["hosts"] if h["name"] != "UNNAMED"} == {
        "CVP4": ["192.0.2.20"],
        "PG4B": ["192.0.2.16"],
    }


def test_a_snapshot_of_the_kind_another_server_has_beside_it_is_the_other_servers(
    tmp_path: Path,
) -> None:
    """tcp_offload_pg seed 3 (TCP Chimney offload on PG1B), both servers' files in one folder:
    the PG's netsh output first, as 'netsh_int_tcp_show_global.txt', then the CVP's, which
    Windows would not put over it, saved as 'CVP1_netsh_int_tcp_show_global.txt'. The PG's
    went to CVP1, through the word 'int' its name shares with the CVP's (taken for a host's
    name, 'also named INT'), then as the only host with snapshots in the folder: the offload
    was blamed on CVP1. A server has one output of a command: the other is the one host there
    without it."""
    sim, flat = _one_folder(tmp_path, "tcp_offload_pg", 3, ("PG1B", "CVP1"))
    assert (flat / "CVP1_netsh_int_tcp_show_global.txt").exists()
    plain = _summary(_analyze(tmp_path / "plain", sim / "PG1B", sim / "CVP1"))
    assert plain[1] == [(["CVP1", "PG1B"], "tcp_offload", "PG1B")]
    doc = _analyze(tmp_path / "out", flat)
    assert _summary(doc) == plain
    netsh = next(i for i in doc["inputs"] if i["path"].endswith("/netsh_int_tcp_show_global.txt"))
    assert netsh["host"] == "PG1B"
