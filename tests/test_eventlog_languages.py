"""Windows event log exports as real users hand them over: wevtutil of Windows Server 2022
(``Event[0]`` without its colon), ``Get-WinEvent | Format-List`` saved by Windows PowerShell
(UTF-16 LE), Export-Csv of a Korean Windows (``오전``/``오후`` dates), Event Viewer CSV of a
Brazilian one (dd/MM/yyyy), the words from ``catalog/eventlog.toml``; and the events reaching
the causes on the right host."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import CatalogError
from hbtriage.sources import _eventlog_words
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.eventlog import READER

FIX = Path(__file__).parent / "fixtures" / "eventlog"


def read(path: Path) -> ReadResult:
    head, enc = read_head(str(path))
    assert READER.sniff(head, path.name), path.name
    return READER.read(InputFile(display=path.name, path=str(path)), enc)


def test_wevtutil_of_server_2022_without_the_colon() -> None:
    r = read(FIX / "pg1a_system_wevtutil_2022.txt")
    ev = r.events
    assert ev is not None and ev.height == 2
    assert r.host == "PG1A"
    assert ev["component"].to_list() == ["Microsoft-Windows-Kernel-Power", "EventLog"]
    assert ev["ts_local"][0] == datetime(2013, 5, 9, 16, 30, 44, 500000)
    assert ev["offset_min"].to_list() == [0, 0]
    assert ev["message"][1] == (
        "EventID 6008: The previous system shutdown at 10:30:31 AM on 5/9/2013 was unexpected."
    )


def test_format_list_of_windows_powershell_utf16() -> None:
    r = read(FIX / "pg1a_system_formatlist_ps5.txt")
    ev = r.events
    assert ev is not None and ev.height == 2
    assert r.extra["layout"] == "powershell_list"
    first = ev.row(0, named=True)
    assert first["ts_local"] == datetime(2013, 5, 9, 10, 30, 44)
    assert first["component"] == "Microsoft-Windows-Power-Troubleshooter"
    assert first["message"].startswith("EventID 1: The system has resumed from sleep.\n")
    assert "Wake Time: 2013-05-09T16:30:44.000000000Z" in first["message"]
    assert ev["line"].to_list() == [3, 13]


def test_export_csv_of_korean_windows_morning_and_afternoon() -> None:
    r = read(FIX / "pg1a_system_ko_export.csv")
    ev = r.events
    assert ev is not None
    assert ev["ts_local"].to_list() == [
        datetime(2013, 5, 9, 10, 30, 40),
        datetime(2013, 5, 9, 10, 31, 2),
        datetime(2013, 5, 9, 13, 5, 0),
    ]
    assert ev["severity"].to_list() == ["경고", "정보", "정보"]
    assert r.warnings == []


def test_event_viewer_csv_of_brazilian_windows_is_day_first() -> None:
    r = read(FIX / "pg1a_system_ptbr_viewer.csv")
    ev = r.events
    assert ev is not None
    # 09/05/2013 10:30:40 is the 9th of May (dd/MM/yyyy HH:mm:ss), not the 5th of September
    assert ev["ts_local"][1] == datetime(2013, 5, 9, 10, 30, 40)
    assert ev["message"][1].endswith("Network link is disconnected.")
    assert ev["severity"].to_list() == ["Informações", "Aviso", "Informações"]


def test_event_viewer_csv_with_added_columns_keeps_the_message(tmp_path: Path) -> None:
    # The view had columns added before it was saved: the message follows all of them.
    header = "Nível,Data e Hora,Fonte,Identificação do Evento,Categoria da Tarefa,Log,Computador\n"
    row = 'Aviso,09/05/2013 10:30:40,e1iexpress,27,Nenhum,System,PG1A,"Network link is disconnected."\n'
    p = tmp_path / "System.csv"
    p.write_text(header + row, encoding="utf-8")
    ev = read(p).events
    assert ev is not None
    assert ev["message"].to_list() == ["EventID 27: Network link is disconnected."]


def test_export_csv_with_use_culture_semicolons(tmp_path: Path) -> None:
    # Export-Csv -UseCulture on a German Windows separates with ';'
    text = (
        '"TimeCreated";"Id";"ProviderName";"LevelDisplayName";"Message"\n'
        '"09.05.2013 10:30:40";"27";"e1iexpress";"Warnung";"Network link is disconnected."\n'
    )
    p = tmp_path / "System.csv"
    p.write_text(text, encoding="utf-8")
    ev = read(p).events
    assert ev is not None
    assert ev.row(0, named=True)["message"] == "EventID 27: Network link is disconnected."
    assert ev["ts_local"][0] == datetime(2013, 5, 9, 10, 30, 40)


def test_catalog_entry_without_reference_is_named() -> None:
    text = (Path(_eventlog_words.__file__).parents[1] / "catalog" / "eventlog.toml").read_text(
        encoding="utf-8"
    )
    bad = text.replace('reference = ".NET / CLDR ko-KR', 'note = ".NET / CLDR ko-KR', 1)
    with pytest.raises(CatalogError) as exc:
        _eventlog_words.build(bad, "eventlog.toml")
    assert "ko" in str(exc.value)
    words = _eventlog_words.build(text, "eventlog.toml")
    assert words.wevtutil["event id"] == "id"
    assert ("nível", "data e hora") in words.viewer_headers


_LABEL = st.sampled_from(["Log Name", "Source", "Level", "Computer", "Task", "Opcode"])
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 5),
    colon=st.booleans(),
    extra=st.lists(st.tuples(_LABEL, _TEXT), max_size=4),
    desc=st.lists(_TEXT, max_size=3),
)
def test_wevtutil_records_property(
    tmp_path: Path, n: int, colon: bool, extra: list[tuple[str, str]], desc: list[str]
) -> None:
    """Every Event[n] block with a date is one record, its id and time kept, whatever the
    other labels and message lines hold and whether the colon is written."""
    blocks = []
    for i in range(n):
        lines = [f"Event[{i}]{':' if colon else ''}", f"  Date: 2013-05-09T10:30:{i:02d}.000"]
        lines += [f"  {k}: {v}" for k, v in extra]
        lines += [f"  Event ID: {100 + i}", "  Description: "]
        lines += [d for d in desc if not d.startswith("Event[")]
        blocks.append("\n".join(lines))
    p = tmp_path / "w.txt"
    p.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    ev = read(p).events
    assert ev is not None
    assert ev.height == n
    assert ev["message"].str.extract(r"^EventID ([0-9]+)").to_list() == [
        str(100 + i) for i in range(n)
    ]
    assert ev["ts_local"].dt.second().to_list() == list(range(n))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 5),
    msg=st.lists(
        st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs")), max_size=40),
        min_size=1,
        max_size=3,
    ),
)
def test_format_list_records_property(tmp_path: Path, n: int, msg: list[str]) -> None:
    """Each Format-List record is one event: continuation lines, indented, stay its message."""
    recs = []
    for i in range(n):
        body = "\n               ".join(msg)
        recs.append(
            f"TimeCreated  : 5/9/2013 10:30:{i:02d} AM\nProviderName : Tcpip\n"
            f"Id           : {4227 + i}\nMessage      : {body}"
        )
    p = tmp_path / "fl.txt"
    p.write_text("\n\n" + "\n\n".join(recs) + "\n\n", encoding="utf-8")
    ev = read(p).events
    assert ev is not None and ev.height == n
    assert ev["component"].to_list() == ["Tcpip"] * n
    assert ev["ts_local"].dt.second().to_list() == list(range(n))


# --------------------------------------------------------------- the events reach the causes


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hbtriage.simulate.scenarios import generate

    out = tmp_path_factory.mktemp("np")
    generate("network_path", out, 3)  # one loss at 16:30:46Z; PG1A's clock is UTC-6
    (out / "truth.json").unlink()
    return out


def _verdict(bundle: Path, tmp_path: Path, name: str, text: str | None = None) -> dict:
    from hbtriage.cli import app

    b = tmp_path / "b"
    shutil.copytree(bundle, b)
    if text is None:
        shutil.copy(FIX / name, b / "PG1A" / name)
    else:
        (b / "PG1A" / name).write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        app(["analyze", str(b), "--format", "json", "--out", str(tmp_path / "o")])
    assert done.value.code in (0, None)
    inc = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))["incidents"]
    assert len(inc) == 1
    return inc[0]["causes"][0]


@pytest.mark.parametrize(
    ("name", "cause"),
    [
        ("pg1a_system_wevtutil_2022.txt", "peer_restart"),  # Kernel-Power 41, EventLog 6008
        ("pg1a_system_formatlist_ps5.txt", "vm_stun"),  # resumed from sleep
        ("pg1a_system_ko_export.csv", "nic_errors"),  # e1iexpress 27 at 오전 10:30:40
        ("pg1a_system_ptbr_viewer.csv", "nic_errors"),  # e1iexpress 27 at 09/05/2013
    ],
)
def test_events_reach_the_cause_on_their_host(
    bundle: Path, tmp_path: Path, name: str, cause: str
) -> None:
    top = _verdict(bundle, tmp_path, name)
    assert (top["id"], top["host"]) == (cause, "PG1A")


def test_vmtools_time_jump_is_a_stun(bundle: Path, tmp_path: Path) -> None:
    text = (
        "Event[0]:\n  Log Name: System\n  Source: Microsoft-Windows-Kernel-General\n"
        "  Date: 2013-05-09T10:30:44.511\n  Event ID: 1\n  Level: Information\n"
        "  Computer: PG1A\n  Description: \n"
        "The system time has changed to \u200e2013\u200e-\u200e05\u200e-\u200e09T16:30:44.511000000Z"
        " from \u200e2013\u200e-\u200e05\u200e-\u200e09T16:30:29.648303500Z.\n\n"
        "Change Reason: An application or system component changed the time.\n"
        "Process: '\\Device\\HarddiskVolume2\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe'"
        " (PID 1432).\n"
    )
    top = _verdict(bundle, tmp_path, "System.txt", text)
    assert (top["id"], top["host"]) == ("vm_stun", "PG1A")


def test_port_exhaustion_is_not_a_quiet_network_path(bundle: Path, tmp_path: Path) -> None:
    text = (
        "Event[0]:\n  Log Name: System\n  Source: Tcpip\n  Date: 2013-05-09T10:30:40.000\n"
        "  Event ID: 4231\n  Level: Warning\n  Computer: PG1A\n  Description: \n"
        "A request to allocate an ephemeral port number from the global TCP port space has"
        " failed due to all such ports being in use.\n"
    )
    top = _verdict(bundle, tmp_path, "System.txt", text)
    assert top["id"] != "network_path"


def test_frame_is_polars(tmp_path: Path) -> None:
    assert isinstance(read(FIX / "pg1a_system_ko_export.csv").events, pl.DataFrame)
