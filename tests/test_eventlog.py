"""eventlog reader: Event Viewer CSV (2003 and later), PowerShell Export-Csv, wevtutil /f:text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.sources.base import EVENT_SCHEMA, InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.eventlog import READER

FIX = Path(__file__).parent / "fixtures" / "eventlog"


def read(path: Path, display: str | None = None) -> ReadResult:
    head, enc = read_head(str(path))
    assert READER.sniff(head, path.name), path.name
    return READER.read(InputFile(display=display or path.name, path=str(path)), enc)


def write(
    tmp_path: Path, text: str, name: str = "events.txt", encoding: str = "utf-8"
) -> ReadResult:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return READER.read(InputFile(display=name, path=str(p)), encoding)


def test_event_viewer_csv_with_multiline_messages() -> None:
    r = read(FIX / "System.csv")
    ev = r.events
    assert ev is not None and ev.schema == pl.Schema(EVENT_SCHEMA)
    assert r.stream == "eventlog-System"  # from the file name: this layout has no log column
    assert r.host is None
    first = ev.row(1, named=True)
    assert first["ts_local"] == datetime(2013, 3, 30, 19, 36, 57)
    assert first["component"] == "Service Control Manager"
    assert first["severity"] == "Information"
    assert (
        first["message"]
        == "EventID 7036: The Cisco CVP CallServer service entered the stopped state."
    )
    assert first["offset_min"] is None
    link = ev.filter(pl.col("component") == "e1express")
    assert link["message"].to_list()[0].endswith("Network link is disconnected.")
    # line numbers follow the file, including the continuation lines of quoted messages
    assert ev["line"].to_list() == [2, 3, 4, 6, 8]
    assert (
        ev.filter(pl.col("component") == "Tcpip")["message"]
        .item()
        .startswith("EventID 4202: The system")
    )


def test_wevtutil_text_blocks_and_offsets() -> None:
    r = read(FIX / "cvp1_system_wevtutil.txt")
    ev = r.events
    assert ev is not None
    assert r.stream == "eventlog-System"
    assert r.host == "CVP1" and ev["node"].unique().to_list() == ["CVP1.example.com"]
    assert ev["line"].to_list() == [1, 16, 32]
    assert ev["ts_local"].to_list() == [
        datetime(2013, 3, 30, 19, 36, 57, 123000),
        datetime(2013, 3, 30, 19, 36, 40, 500000),
        datetime(2013, 3, 30, 19, 36, 39),
    ]
    assert ev["offset_min"].to_list() == [None, -300, None]
    assert ev["message"][1] == (
        "EventID 27: Broadcom NetXtreme Gigabit Ethernet: The network link is down.\n"
        "Check to make sure the network cable is properly connected."
    )
    assert ev["component"].to_list() == ["Service Control Manager", "b57nd60a", "NDIS"]
    assert ev["severity"].to_list() == ["Information", "Warning", "Error"]


def test_get_winevent_export_csv() -> None:
    r = read(FIX / "pg1a_get_winevent.csv")
    ev = r.events
    assert ev is not None
    assert r.host == "PG1A" and r.stream == "eventlog-System"
    assert (
        ev["message"].to_list()[1]
        == "EventID 7036: The Cisco ICM pim1 service entered the stopped state."
    )
    assert ev["component"].to_list() == ["Tcpip", "Service Control Manager", "e1q"]
    assert ev["severity"].to_list() == ["Information", "Information", "Warning"]
    assert ev["ts_local"][2] == datetime(2013, 3, 30, 19, 36, 47)
    assert (
        ev["message"][2]
        == "EventID 27: Intel(R) PRO/1000 MT Network Connection\n Network link is disconnected."
    )


def test_get_eventlog_export_csv_log_from_type_line() -> None:
    r = read(FIX / "pg1a_get_eventlog.csv")
    ev = r.events
    assert ev is not None
    assert r.stream == "eventlog-System"
    assert ev["message"].to_list() == [
        "EventID 7036: The Cisco ICM pim1 service entered the stopped state.",
        "EventID 7036: The Cisco ICM pim1 service entered the running state.",
    ]
    assert ev["ts_local"][1] == datetime(2013, 3, 30, 19, 37, 9)
    assert ev["line"].to_list() == [3, 4]


def test_windows_2003_event_viewer_csv_without_header() -> None:
    r = read(FIX / "pg1a_system_2003.csv", display="bundle.zip!PG1A/sys.csv")
    ev = r.events
    assert ev is not None
    assert r.host == "PG1A" and r.stream == "eventlog"
    assert ev["message"][1].startswith("EventID 10317: The NIC HP NC382i")
    assert "has encountered a reset" in ev["message"][1]
    assert (
        ev["message"][2]
        == "EventID 27: Intel(R) PRO/1000 PT Dual Port Server Adapter\n  Network link is disconnected."
    )
    assert ev["line"].to_list() == [1, 2, 3]


def test_utf16_export(tmp_path: Path) -> None:
    text = (FIX / "cvp1_system_wevtutil.txt").read_text()
    r = write(tmp_path, "\ufeff" + text, encoding="utf-16-le")
    assert r.events is not None and r.events.height == 3


def test_day_first_locale_and_bad_dates(tmp_path: Path) -> None:
    text = (
        "Level,Date and Time,Source,Event ID,Task Category\n"
        "Information,30/03/2013 19:36:57,Service Control Manager,7036,None,stopped\n"
        "Information,not a date,Service Control Manager,7036,None,lost\n"
        "Information,31/03/2013 08:00:00,Service Control Manager,7036,None,running\n"
    )
    r = write(tmp_path, text, name="System.csv")
    assert r.events is not None
    assert r.events["ts_local"].to_list() == [
        datetime(2013, 3, 30, 19, 36, 57),
        datetime(2013, 3, 31, 8),
    ]
    assert r.warnings == ["System.csv:3: unreadable event date 'not a date', record skipped"]


def test_not_an_event_export(tmp_path: Path) -> None:
    assert not READER.sniff("Host Name: PG1A\nOS Name: Windows\n", "x.txt")
    with pytest.raises(InputError):
        write(tmp_path, "just some text\n")


_source = st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,20}[A-Za-z0-9]", fullmatch=True)
_msg = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .,()/-]{0,60}", fullmatch=True)
_when = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1)).map(
    lambda d: d.replace(microsecond=0)
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_when, _source, st.integers(0, 65535), _msg), min_size=1, max_size=6),
    pad=st.integers(1, 3),
)
def test_property_wevtutil_round_trip(
    tmp_path: Path, rows: list[tuple[datetime, str, int, str]], pad: int
) -> None:
    blocks = []
    for i, (when, source, eid, msg) in enumerate(rows):
        sp = " " * pad
        blocks.append(
            f"Event[{i}]:\n{sp}Log Name: Application\n{sp}Source: {source}\n"
            f"{sp}Date: {when.isoformat(timespec='milliseconds')}\n{sp}Event ID: {eid}\n"
            f"{sp}Level: Information\n{sp}Computer: CVP1\n{sp}Description: \n{msg}\n"
        )
    r = write(tmp_path, "\n".join(blocks))
    ev = r.events
    assert ev is not None and r.stream == "eventlog-Application"
    assert ev["ts_local"].to_list() == [w for w, _, _, _ in rows]
    assert ev["message"].to_list() == [f"EventID {e}: {m.strip()}" for _, _, e, m in rows]
    assert ev["component"].to_list() == [s for _, s, _, _ in rows]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_when, _source, st.integers(0, 65535), _msg), min_size=1, max_size=6)
)
def test_property_event_viewer_csv_round_trip(
    tmp_path: Path, rows: list[tuple[datetime, str, int, str]]
) -> None:
    lines = ["Level,Date and Time,Source,Event ID,Task Category"]
    for when, source, eid, msg in rows:
        stamp = f"{when.month}/{when.day}/{when.year} {when.strftime('%I:%M:%S %p').lstrip('0')}"
        lines.append(f'Warning,{stamp},{source},{eid},None,"{msg}\nsecond line"')
    r = write(tmp_path, "\r\n".join(lines) + "\r\n", name="Application.csv")
    ev = r.events
    assert ev is not None
    assert ev["ts_local"].to_list() == [w for w, _, _, _ in rows]
    # The message text is stripped as a whole: a blank at the end of its first line stays.
    assert ev["message"].to_list() == [
        f"EventID {e}: " + (m + "\nsecond line").strip() for _, _, e, m in rows
    ]
    assert ev["line"].to_list() == [2 + 2 * i for i in range(len(rows))]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
def test_property_arbitrary_text(tmp_path: Path, text: str) -> None:
    READER.sniff(text, "x.txt")
    try:
        r = write(tmp_path, text)
    except InputError:
        return
    assert r.events is not None and r.events.schema == pl.Schema(EVENT_SCHEMA)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(
        [
            "Level,Date and Time,Source,Event ID,Task Category\n",
            '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\n"Message","Id","ProviderName","TimeCreated"\n',
            "Event[0]:\n  Source: Tcpip\n  Event ID: 4201\n",
            "3/30/2013,7:36:57 PM,Information,Tcpip,None,4201,N/A,PG1A,",
        ]
    ),
    text=st.text(max_size=300),
)
def test_property_hostile_body_after_real_header(tmp_path: Path, prefix: str, text: str) -> None:
    try:
        r = write(tmp_path, prefix + text)
    except InputError:
        return
    assert r.events is not None and r.events.schema == pl.Schema(EVENT_SCHEMA)
    assert len(r.warnings) <= 21


# Event Viewer's other text save: "Text (Tab delimited)" (.txt) beside "CSV (Comma Separated)",
# in Vista and later ("Save All Events As...": EVTX, XML, TXT, CSV) and in Windows Server 2003,
# whose archived-log formats Microsoft documents ("File formats for archived logs", Windows Server
# 2003: .evt, .txt tab delimited, .csv) with the record's fields in the order Date, Time, Source,
# Type, Category, Event, User, Computer, Description. Fixtures: our own text in those layouts.


def test_event_viewer_tab_delimited_text_save() -> None:
    # Vista+ Event Viewer, saved as UTF-16 text: the CSV's header and columns with tabs.
    r = read(FIX / "cvpsrv_system_viewer_tab.txt")
    ev = r.events
    assert ev is not None and r.extra == {"layout": "eventviewer_tsv"}
    assert ev["ts_local"].to_list() == [
        datetime(2014, 4, 2, 8, 12, 53),
        datetime(2014, 4, 2, 8, 12, 41),
        datetime(2014, 4, 2, 8, 12, 39),
    ]
    assert ev["component"].to_list() == ["Service Control Manager"] * 2 + ["b57nd60a"]
    assert ev["severity"].to_list() == ["Information", "Information", "Warning"]
    assert ev["message"][1] == (
        "EventID 7036: The Cisco CVP CallServer service entered the stopped state."
    )
    assert ev["message"][2] == (
        "EventID 4: Broadcom NetXtreme Gigabit Ethernet (Slot 2): adapter reset\n"
        " by the driver after a transmit timeout."
    )
    assert ev["line"].to_list() == [2, 3, 4]


@pytest.mark.parametrize(
    "name", ["pgsideb_system_2003_source_type.csv", "pgsideb_system_2003_tab.txt"]
)
def test_windows_2003_saves_in_the_documented_column_order(name: str) -> None:
    # Source before Type, comma or tab separated: the source is the component, the type the
    # severity (before, a CSV in this order had them swapped and a tab-separated save was not
    # read at all).
    r = read(FIX / name)
    ev = r.events
    assert ev is not None and r.host == "PGSIDEB"
    assert ev["component"][0] == "Service Control Manager"
    assert ev["severity"][0] == "Information"
    assert ev["component"][-1] == "e1express" and ev["severity"][-1] == "Error"
    assert ev["message"][0] == "EventID 7036: The Cisco ICM pim1 service entered the stopped state."
    assert ev["message"][-1] == (
        "EventID 27: Intel(R) PRO/1000 PT Dual Port Server Adapter\n  Network link is disconnected."
    )
    assert ev["ts_local"][0] == datetime(2014, 4, 2, 8, 12, 41)


_TYPES = {"information", "warning", "error", "success audit", "failure audit", "fehler"}
_type = st.sampled_from(["Information", "Warning", "Error", "Failure Audit", "Fehler", "警告"])


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            _when, _source.filter(lambda s: s.lower() not in _TYPES), _type, st.integers(0, 65535)
        ),
        min_size=1,
        max_size=6,
    ),
    source_first=st.booleans(),
    sep=st.sampled_from([",", "\t"]),
)
def test_property_windows_2003_either_column_order(
    tmp_path: Path,
    rows: list[tuple[datetime, str, str, int]],
    source_first: bool,
    sep: str,
) -> None:
    lines = []
    for when, source, kind, eid in rows:
        stamp = f"{when.month}/{when.day}/{when.year}{sep}{when.strftime('%I:%M:%S %p')}"
        pair = (source, kind) if source_first else (kind, source)
        lines.append(sep.join([stamp, *pair, "None", str(eid), "N/A", "PGSIDEB", f"event {eid}"]))
    r = write(tmp_path, "\r\n".join(lines) + "\r\n", name="sys.txt")
    ev = r.events
    assert ev is not None
    assert ev["ts_local"].to_list() == [w for w, _, _, _ in rows]
    assert ev["component"].to_list() == [s for _, s, _, _ in rows]
    assert ev["severity"].to_list() == [k for _, _, k, _ in rows]
    assert ev["message"].to_list() == [f"EventID {e}: event {e}" for _, _, _, e in rows]
