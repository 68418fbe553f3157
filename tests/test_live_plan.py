"""`hbtriage plan`: the commands people paste on their servers."""

from __future__ import annotations

import re

import pytest

from hbtriage.errors import UsageError
from hbtriage.live.plan import plan_counters, render_plan

NEEDED = [
    r"\Processor(*)\% DPC Time",
    r"\Processor(*)\DPC Rate",
    r"\Processor(*)\DPCs Queued/sec",
    r"\Processor(*)\% Interrupt Time",
    r"\Processor(*)\Interrupts/sec",
    r"\Processor(*)\% Processor Time",
    r"\Network Interface(*)\Packets Received Discarded",
    r"\Network Interface(*)\Packets Received Errors",
    r"\Network Interface(*)\Packets Outbound Discarded",
    r"\Network Interface(*)\Output Queue Length",
    r"\UDPv4\Datagrams Received Errors",
    r"\UDPv6\Datagrams Received Errors",
    r"\TCPv4\Segments Retransmitted/sec",
    r"\TCPv4\Connections Reset",
    r"\System\Processor Queue Length",
    r"\Memory\Pages/sec",
    r"\Memory\Available MBytes",
]


def _logman_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("logman create")]


def test_windows_plan_has_a_logman_line_with_every_counter() -> None:
    text = render_plan("windows", ["pg1a"], "en")
    circular, csv = _logman_lines(text)
    for line in (circular, csv):
        for counter in NEEDED:
            assert f'"{counter}"' in line, counter
    assert "-si 00:00:01 -f bincirc -max 500" in circular
    assert '-o "C:\\PerfLogs\\hbtriage\\hbtriage_pg1a"' in circular
    assert "-f csv -max 500" in csv
    assert sorted(plan_counters()) == sorted(NEEDED)


def test_windows_plan_converts_dumps_and_snapshots() -> None:
    text = render_plan("windows", ["pg1a"], "en")
    assert (
        'relog "C:\\PerfLogs\\hbtriage\\hbtriage_pg1a.blg" -f csv '
        '-o "C:\\PerfLogs\\hbtriage\\hbtriage_pg1a.csv"'
    ) in text
    assert re.search(r"dumplog pim1 /bd \S+ /bt \S+ /ed \S+ /et \S+ /ms /of \S+pg1a_pim1.txt", text)
    assert "CVP.*.log,Error.*.log" in text
    for snippet in (
        "netsh int tcp show global >",
        "systeminfo >",
        "ndis.sys",
        "Get-NetAdapterRss",
        "Get-NetAdapterAdvancedProperty",
    ):
        assert snippet in text, snippet


def test_one_block_per_host_and_the_peer_filled_in() -> None:
    text = render_plan("windows", ["pg1a", "cvp1"], "en")
    assert text.count("logman start hbtriage") == 2
    assert "On pg1a:" in text and "On cvp1:" in text
    assert "--peer cvp1:7000" in text and "--peer pg1a:7000" in text


def test_without_hosts_the_machine_name_is_used() -> None:
    assert "hbtriage_%COMPUTERNAME%.blg" in render_plan("windows", [], "en")
    assert "sa_$(hostname)" in render_plan("linux", [], "en")


def test_linux_plan_uses_sadc_and_sadf() -> None:
    text = render_plan("linux", ["cvp1"], "en")
    assert "sadc -S XALL 1 86400 /var/tmp/hbtriage/sa_cvp1" in text
    assert "sadf -d /var/tmp/hbtriage/sa_cvp1 -- -u -n DEV,EDEV,UDP > " in text
    assert "logman" not in text


def test_japanese_plan_translates_texts_and_keeps_commands() -> None:
    en = render_plan("windows", ["pg1a"], "en")
    ja = render_plan("windows", ["pg1a"], "ja")
    assert "採取手順" in ja and "パフォーマンスカウンター" in ja
    assert "Performance counters" not in ja
    commands = [ln for ln in en.splitlines() if ln.startswith("    ")]
    assert commands == [ln for ln in ja.splitlines() if ln.startswith("    ")]
    assert "{" not in en + ja  # every placeholder was filled


@pytest.mark.parametrize(("os_", "lang"), [("solaris", "en"), ("windows", "fr")])
def test_unknown_os_or_language_is_a_usage_error(os_: str, lang: str) -> None:
    with pytest.raises(UsageError):
        render_plan(os_, [], lang)


@pytest.mark.parametrize(("os_", "key_path"), [("windows", "C:\\PerfLogs\\hbtriage\\watch.key"),
                                               ("linux", "/var/tmp/hbtriage/watch.key")])  # fmt: skip
def test_the_watch_commands_sign_with_a_shared_key(os_: str, key_path: str) -> None:
    for lang in ("en", "ja"):
        text = render_plan(os_, ["pg1a", "cvp1"], lang)
        watch = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("hbtriage watch")]
        assert len(watch) == 2 and all(f"--key-file {key_path} " in ln for ln in watch)
        assert "HBTRIAGE_WATCH_KEY" in text and "key_id" in text and "secrets.token_hex" in text


# --- DPC/ISR trace, stop trigger and reports (issue 17, item 3) -------------------------------

import shlex  # noqa: E402
import tomllib  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from importlib import resources  # noqa: E402
from pathlib import Path  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from hbtriage.cli import app  # noqa: E402
from hbtriage.live.plan import (  # noqa: E402
    load_plan,
    profile_files,
    trigger_ere,
    trigger_pattern,
    trigger_signatures,
    write_profiles,
)


def _commands(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.startswith("    ")]


def _one(text: str, start: str) -> str:
    found = [c for c in _commands(text) if c.startswith(start)]
    assert found, start
    return found[0]


def _catalog_signature(sid: str) -> dict[str, str]:
    folder = resources.files("hbtriage").joinpath("catalog/signatures")
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            for sig in tomllib.loads(entry.read_text(encoding="utf-8"))["signature"]:
                if sig["id"] == sid:
                    return dict(sig)
    raise AssertionError(sid)


def test_windows_plan_has_a_circular_size_capped_dpc_isr_trace_for_each_windows() -> None:
    text = render_plan("windows", ["pg1a"], "en")
    wpr = _one(text, "wpr -start ")
    assert wpr == r"wpr -start C:\PerfLogs\hbtriage\hbtriage-dpcisr.wprp!HbtriageDpcIsr.Verbose"
    xperf = _one(text, "xperf -on ").split()
    assert xperf[2] == "PROC_THREAD+LOADER+DPC+INTERRUPT"
    opts = dict(zip(xperf[3::2], xperf[4::2], strict=True))
    assert opts == {
        "-BufferSize": "1024",
        "-MinBuffers": "64",
        "-MaxBuffers": "256",
        "-MaxFile": "512",
        "-FileMode": "Circular",
        "-f": r"C:\PerfLogs\hbtriage\dpcisr_pg1a_kernel.etl",
    }
    tracelog = _one(text, "tracelog -start ").split()
    for flag in ("-dpcisr", "-UsePerfCounter"):
        assert flag in tracelog
    assert tracelog[tracelog.index("-cir") + 1] == "512"  # circular, MB
    assert tracelog[tracelog.index("-f") + 1] == r"C:\PerfLogs\hbtriage\dpcisr_pg1a.etl"
    stops = [c for c in _commands(text) if c.startswith("schtasks /create ")]
    assert [c.split('/tr "')[1] for c in stops] == [
        r'wpr -stop C:\PerfLogs\hbtriage\dpcisr_pg1a.etl"',
        r'xperf -d C:\PerfLogs\hbtriage\dpcisr_pg1a.etl"',
        'tracelog -stop"',
    ]
    assert all("/tn hbtriage_dpcisr_stop /ru SYSTEM /sc once" in c for c in stops)
    assert "/st 00:00:00 " in stops[2]  # Server 2003's schtasks wants seconds


def test_windows_plan_turns_the_trace_into_reports() -> None:
    text = render_plan("windows", ["pg1a"], "en")
    etl = r"C:\PerfLogs\hbtriage\dpcisr_pg1a.etl"
    cmds = _commands(text)
    assert f"xperf -i {etl} -o C:\\PerfLogs\\hbtriage\\pg1a_dpcisr.txt -a dpcisr" in cmds
    assert (
        f"wpaexporter -i {etl} -profile C:\\PerfLogs\\hbtriage\\dpcisr-raw.wpaProfile "
        "-outputfolder C:\\PerfLogs\\hbtriage\\wpa_pg1a -prefix pg1a_"
    ) in cmds
    # the text report the tracerpt reader reads (its HTML report is for reading by eye)
    assert f"tracerpt {etl} -report C:\\PerfLogs\\hbtriage\\pg1a_dpcisr.txt -df" in cmds
    # no command whose output analyze would not use
    assert not any("-a dpcisr -interval" in c for c in cmds)
    assert "LatencyMon" in text
    # where hbtriage installs the profiles, said in the plan
    assert str(resources.files("hbtriage").joinpath("catalog")) + "\\wpa" in text


def test_the_windows_trigger_uses_the_catalogs_cvp_pattern_and_stops_both_ends() -> None:
    sig = _catalog_signature("cvp.missed_vru_heartbeats")
    assert trigger_pattern("windows") == sig["pattern"]
    text = render_plan("windows", ["pg1a", "cvp1"], "en")
    line = _one(text, 'start "hbtriage trigger" powershell ')
    argv = shlex.split(line.replace("\\", "/"))  # cmd quoting: one argument per quoted span
    pattern = argv[argv.index("-Pattern") + 1].replace("/", "\\")
    assert pattern == sig["pattern"]
    assert re.search(pattern, sig["example"], re.IGNORECASE)
    assert re.search(pattern, "Missed 2 VRU PIM heartbeats. Closing session", re.IGNORECASE)
    assert not re.search(pattern, "Shutting down VRU PIM connection", re.IGNORECASE)
    assert argv[argv.index("-LogDir") + 1] == "C:/Cisco/CVP/logs"
    assert argv[argv.index("-Peers") + 1] == "cvp1"
    assert "-ExecutionPolicy" in argv and argv[argv.index("-File") + 1].endswith(
        "hbtriage-trigger.ps1"
    )


def test_the_trigger_script_takes_its_pattern_from_the_command_line() -> None:
    script = (
        resources.files("hbtriage").joinpath("catalog/wpr/hbtriage-trigger.ps1").read_text("utf-8")
    )
    assert "Missed" not in script and "VRU PIM" not in script  # no second copy of the text
    for needed in ("[string]$Pattern", "IgnoreCase", "schtasks.exe /run /tn $Task", "/s $peer"):
        assert needed in script


def test_linux_plan_captures_irq_time_in_a_ring_and_stops_on_the_heartbeat_loss() -> None:
    text = render_plan("linux", ["cvp1"], "en")
    bcc = _one(text, "nohup bash -c 'echo $$ >> /var/tmp/hbtriage/irq/loops.pid; while")
    assert "timeout -s INT 3600 hardirqs -T 1 > /var/tmp/hbtriage/irq/hardirqs_cvp1_$t.txt" in bcc
    assert "timeout -s INT 3600 softirqs -T 1 > /var/tmp/hbtriage/irq/softirqs_cvp1_$t.txt" in bcc
    assert "PYTHONUNBUFFERED=1" in bcc and "tail -n +25 | xargs -r rm -f --" in bcc
    snap = [c for c in _commands(text) if "/proc/interrupts" in c][0]
    assert "( date -Is; cat /proc/interrupts; date -Is; cat /proc/softirqs ) >> $f" in snap
    assert "tail -n +7 | xargs -r rm -f --" in snap and "sleep 1" in snap
    mpstat = [c for c in _commands(text) if "mpstat" in c][0]
    assert "mpstat -I ALL 1 > /var/tmp/hbtriage/irq/mpstat_cvp1_" in mpstat
    assert "sadf -d /var/tmp/hbtriage/sa_cvp1 -- -I ALL > /var/tmp/hbtriage/sar_irq_cvp1.csv" in (
        _commands(text)
    )
    trig = [c for c in _commands(text) if "grep -m1" in c][0]
    assert "<(tail -n 0 -F <log file>)" in trig
    assert "touch /var/tmp/hbtriage/irq/stop" in trig
    assert "pkill -INT -P \\$p" in trig  # expanded by the inner bash, not when pasted
    ere = re.search(r"grep -m1 -i -E '([^']*)'", trig)
    assert ere is not None and ere.group(1) == trigger_ere("linux")


def test_the_linux_trigger_matches_every_catalog_sample_it_is_built_from() -> None:
    sigs = trigger_signatures("linux")
    assert [s[0] for s in sigs] == ["cvp.missed_vru_heartbeats", "pim.vru_heartbeat_timeout"]
    ere = re.compile(trigger_ere("linux"), re.IGNORECASE)  # ERE here is also valid Python re
    for _, _, example in sigs:
        assert ere.search(example), example
    assert not ere.search("LOGMSG_ICM_SS_STATE: ICM Service is starting [id:2006]")
    assert "\\" not in trigger_ere("linux")  # grep -E has no \d


def test_english_and_japanese_dpcisr_sections_are_complete() -> None:
    data = load_plan()
    for section in data["section"]:
        for lang in ("en", "ja"):
            assert section["title"][lang].strip() and section["text"][lang].strip(), section["id"]
    for os_ in ("windows", "linux"):
        en = render_plan(os_, ["pg1a", "cvp1"], "en")
        ja = render_plan(os_, ["pg1a", "cvp1"], "ja")
        assert _commands(en) == _commands(ja)
        assert not re.search(r"\{[a-z_]+\}", en + ja)  # every placeholder filled
    ja = render_plan("windows", [], "ja")
    assert "循環" in ja and "トリガー" in ja and "DPC/ISR" in ja
    ids = {r["id"] for r in data["reference"]}
    assert {"wpr_cli", "xperf_start", "xperf_dpcisr", "tracelog_dpcisr", "wpaexporter"} <= ids
    assert all(r["url"].startswith("https://") for r in data["reference"])


def test_the_shipped_profiles_are_well_formed_package_data() -> None:
    root = resources.files("hbtriage").joinpath("catalog")
    assert "wpr/hbtriage-dpcisr.wprp" in profile_files()
    shipped = [rel for rel in profile_files() if root.joinpath(rel).is_file()]
    assert "wpr/hbtriage-dpcisr.wprp" in shipped and "wpr/hbtriage-trigger.ps1" in shipped
    for rel in shipped:
        if rel.endswith((".wprp", ".wpaProfile")):
            ET.fromstring(root.joinpath(rel).read_bytes())  # raises on malformed XML
    wprp = ET.fromstring(root.joinpath("wpr/hbtriage-dpcisr.wprp").read_bytes())
    keywords = {k.get("Value") for k in wprp.iter("Keyword")}
    assert keywords == {"ProcessThread", "Loader", "DPC", "Interrupt"}
    modes = {p.get("Id"): p.get("LoggingMode") for p in wprp.iter("Profile")}
    assert modes == {
        "HbtriageDpcIsr.Verbose.Memory": "Memory",
        "HbtriageDpcIsr.Verbose.File": "File",
    }
    cap = next(wprp.iter("MaximumFileSize"))
    assert (cap.get("Value"), cap.get("FileMode")) == ("512", "Circular")
    # declared as package data, so a wheel carries them
    pyproject = tomllib.loads(
        (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    )
    globs = pyproject["tool"]["setuptools"]["package-data"]["hbtriage"]
    assert "catalog/wpr/*" in globs and "catalog/wpa/*.wpaProfile" in globs


def test_write_profiles_writes_the_files(tmp_path: Path) -> None:
    out = tmp_path / "profiles"
    written = write_profiles(out)
    names = {p.name for p in written}
    assert {"hbtriage-dpcisr.wprp", "hbtriage-trigger.ps1"} <= names
    root = resources.files("hbtriage").joinpath("catalog")
    for path in written:
        rel = next(r for r in profile_files() if r.endswith(path.name))
        assert path.read_bytes() == root.joinpath(rel).read_bytes()


runner = CliRunner()


def test_write_profiles_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "p"
    res = runner.invoke(app, ["plan", "--windows", "--write-profiles", str(out)])
    assert res.exit_code == 0, res.output
    assert "wpr -start" in res.output and (out / "hbtriage-dpcisr.wprp").is_file()


def test_write_profiles_never_overwrites_a_users_file(tmp_path: Path) -> None:
    mine = tmp_path / "hbtriage-trigger.ps1"
    mine.write_text("my own edits", encoding="utf-8")
    res = runner.invoke(app, ["plan", "--windows", "--write-profiles", str(tmp_path)])
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"hbtriage: error: --write-profiles {mine}: already exists; not overwritten"
    )
    assert mine.read_text(encoding="utf-8") == "my own edits"
    assert not (tmp_path / "hbtriage-dpcisr.wprp").exists()  # nothing written at all
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    res = runner.invoke(app, ["plan", "--write-profiles", str(afile)])
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"hbtriage: error: --write-profiles {afile}: is a file, expected a folder"
    )


def test_write_profiles_into_a_full_disk_leaves_no_part_of_a_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while the second profile is written: it used to say ``[Errno 28] No space
    left on device`` naming no file, and leave an empty profile beside whole ones (taken for a
    whole one at the next run, which then refused to write over it)."""
    import errno
    import os

    import hbtriage.live.plan as plan_mod

    class Full:
        def __init__(self, path: Path) -> None:
            self.fh = open(path, "xb")  # noqa: SIM115

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            self.fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    opened: list[Path] = []

    def fake_open(path: Path, mode: str) -> object:
        opened.append(path)
        return open(path, mode) if len(opened) == 1 else Full(path)  # noqa: SIM115

    monkeypatch.setattr(plan_mod, "open", fake_open, raising=False)
    folder = tmp_path / "profiles"
    res = CliRunner().invoke(app, ["plan", "--write-profiles", str(folder)])
    assert res.exit_code == 2
    assert res.output == (
        f"hbtriage: error: {opened[1]}: cannot be written (No space left on device)\n"
    )
    assert list(folder.iterdir()) == []


def test_write_profiles_below_a_file_is_one_line(tmp_path: Path) -> None:
    """It was ``[Errno 20] Not a directory: ...``, the words of Python."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    res = CliRunner().invoke(app, ["plan", "--write-profiles", str(blocker / "p")])
    assert res.exit_code == 2
    assert res.output == (
        f"hbtriage: error: --write-profiles {blocker / 'p'}: cannot create the folder"
        " (Not a directory)\n"
    )


def test_a_trigger_on_a_signature_the_catalog_lacks_is_said_in_japanese_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """plan.toml's problems were English only: worded by id now, like every catalog problem."""
    from hbtriage.errors import CatalogError
    from hbtriage.live import plan as plan_mod
    from hbtriage.warning_text import render

    monkeypatch.setattr(plan_mod, "load_plan", lambda: {"trigger": {"windows": ["cvp.nope"]}})
    with pytest.raises(CatalogError) as err:
        plan_mod.trigger_signatures("windows")
    assert str(err.value) == "plan.toml [trigger.windows]: no signature 'cvp.nope' in the catalog"
    assert render(err.value.args[0], "ja") == (
        "plan.toml [trigger.windows]: カタログにシグネチャ 'cvp.nope' がありません"
    )


@pytest.mark.parametrize("os_", ["--windows", "--linux"])
@pytest.mark.parametrize(
    "name",
    [
        "PG1A;rm -rf /",
        "CVP$(id)",
        "a\x1b]0;pwned\x07",
        "PG1A\nshutdown /s",
        'x" & del *',
        "PG\u202eX",
    ],
)
def test_a_host_name_the_pasted_shell_would_run_is_one_line_and_exit_2(os_: str, name: str) -> None:
    """``--hosts 'PG1A;rm -rf /'`` was written into the commands to paste as they were
    (``sadc ... /var/tmp/hbtriage/sa_PG1A;rm -rf / >/dev/null``), an escape sequence reached
    the terminal, a newline began a command of its own."""
    from hbtriage.cli import app as the_app

    res = CliRunner().invoke(the_app, ["plan", os_, "--hosts", f"CVP1,{name}"])
    assert res.exit_code == 2
    assert res.output == (
        f"hbtriage: error: --hosts {ascii(name)}: expected a host name or address of letters,"
        " digits, '-', '_', '.' and ':' (the plan's commands are pasted into a shell)\n"
    )
    res = CliRunner().invoke(the_app, ["plan", os_, "--hosts", name, "--lang", "ja"])
    assert res.exit_code == 2 and res.output.startswith("hbtriage: エラー: --hosts ")
    assert "ホスト名" in res.output and res.output.count("\n") == 1


def test_host_names_and_addresses_are_filled_in() -> None:
    text = render_plan("linux", ["PG1A", "cvp1.example.com", "192.0.2.16", "2001:db8::1"], "en")
    assert "sa_cvp1.example.com" in text and "sa_2001:db8::1" in text
