"""CVP Call Server log reader (CVP.<date>.log, Error.<date>.log)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.sources.base import EVENT_SCHEMA, InputFile
from hbtriage.sources.cvp_log import READER
from hbtriage.sources.encoding import read_head

FIX = Path(__file__).parent / "fixtures"
CVP = FIX / "cvp_log" / "CVP.2013-03-30.log"
ERR = FIX / "cvp_log" / "Error.2013-03-30.log"


def _read(path: Path, display: str | None = None):
    return READER.read(InputFile(display=display or path.name, path=str(path)), "utf-8")


def _write(tmp_path: Path, text: str, name: str = "CVP.log") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def test_cvp_log_without_prefix() -> None:
    r = _read(CVP)
    ev = r.events
    assert dict(ev.schema) == EVENT_SCHEMA
    assert (r.kind, r.stream, r.zone, r.host) == ("cvp_log", "CVP", "-0500", None)
    assert ev.height == 6
    assert ev["line"].to_list() == [1, 2, 4, 6, 7, 8]
    assert ev["offset_min"].unique().to_list() == [-300]
    assert ev["node"].null_count() == 6
    row = ev.filter(pl.col("line") == 6).row(0, named=True)
    assert row["ts_local"] == dt.datetime(2013, 3, 30, 19, 36, 57, 328000)
    assert (row["component"], row["severity"]) == ("CVP_8_5_ICM", "6")
    assert row["message"].startswith("LOGMSG_ICM_SS_GENERAL_INFO: Lost 2 consecutive VRU PIM")
    # The continuation line belongs to the IVR record above it.
    call = ev.filter(pl.col("line") == 4)["message"][0]
    assert call.endswith(
        "\nGenerated VXML from template 'GetDigits.template' for client: 192.0.2.39 clientType: IOS"
    )
    # The silence of the incident: 19:36:46.531 -> 19:36:57.328.
    gap = ev["ts_local"][3] - ev["ts_local"][2]
    assert gap == dt.timedelta(seconds=10, microseconds=797000)


def test_error_log_with_prefix_stack_trace_and_dst_change() -> None:
    r = _read(ERR, "bundle.zip!CVP1/Error.2013-03-30.log")
    ev = r.events
    assert (r.stream, r.host, r.host_reason) == ("Error", "192.0.2.10", "CVP log sender address")
    assert r.zone is None  # two offsets in the file
    assert ev.height == 5
    assert ev["node"].unique().to_list() == ["192.0.2.10"]
    first = ev.row(0, named=True)
    assert (first["component"], first["severity"]) == ("CVP_8_5_ICM", "1")
    assert first["message"].startswith("LOGMSG_ICM_SS_STATE: VRU PIM connection is being shut down")
    assert ev["component"][1] == "CVP_8_5_MSGBUS"
    assert "localport=5000" in ev["message"][1]
    assert ev["message"][2].endswith("\tat com.example.ged125.Reader.run(Reader.java:212)")
    # Fall-back of daylight saving time: same wall clock range, offsets differ per row.
    assert ev["offset_min"].to_list()[-2:] == [-240, -300]
    assert ev["ts_local"][-1] == dt.datetime(2013, 11, 3, 1, 0, 0, 10000)
    assert ev["line"].to_list() == [1, 2, 3, 7, 8]


def test_versions_one_digit_days_and_wrapped_header(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Mar  3 2013 01:02:03.4 -0500: %CVP_4_1_ICM-3-ERR_X: a\n"
        "Mar 3 2013 01:02:04 +0530: %CVP_12_0_SIP-7-CALL: b\n"
        "12: cvp1.example.com: Mar 30 2013 19:36:57.328 -0500:\n"
        "%CVP_10_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed heartbeats.\n"
        "Closing session. [id:2007]\n",
        "Error.x.log",
    )
    r = _read(p)
    ev = r.events
    assert ev["component"].to_list() == ["CVP_4_1_ICM", "CVP_12_0_SIP", "CVP_10_5_ICM"]
    assert ev["ts_local"].to_list()[:2] == [
        dt.datetime(2013, 3, 3, 1, 2, 3, 400000),
        dt.datetime(2013, 3, 3, 1, 2, 4),
    ]
    assert ev["offset_min"].to_list() == [-300, 330, -300]
    assert ev["message"][2] == (
        "LOGMSG_ICM_SS_GENERAL_INFO: Missed heartbeats.\nClosing session. [id:2007]"
    )
    assert ev["severity"][2] == "6"
    assert ev["node"][2] == "cvp1.example.com"


def test_stream_from_file_name() -> None:
    assert _read(CVP, "x/CVP.2013-03-30.log").stream == "CVP"
    assert _read(CVP, "callserver.txt").stream == "cvp"


def test_sniff() -> None:
    for p in (CVP, ERR):
        h, _ = read_head(str(p))
        assert READER.sniff(h, p.name)
    for other in [
        FIX / "icm_dumplog" / "pim1.txt",
        FIX / "ciscolog" / "pim1_ciscolog.txt",
        FIX / "loghub" / "Linux_2k.log",
        FIX / "loghub" / "Windows_2k.log",
        FIX / "loghub" / "Zookeeper_2k.log",
        *sorted((FIX / "perfmon").glob("*.csv")),
    ]:
        h, _ = read_head(str(other))
        assert not READER.sniff(h, other.name), other.name


def test_bad_lines_are_skipped_with_warnings(tmp_path: Path) -> None:
    lines = ["preamble from a cut file"]
    lines += [f"Feb 30 2013 10:00:{i:02d}.000 -0500: %CVP_8_5_ICM-6-X: bad {i}" for i in range(25)]
    lines += ["Mar 30 2013 10:00:00.000 -0500: %CVP_8_5_ICM-6-X: good"]
    r = _read(_write(tmp_path, "\n".join(lines) + "\n"))
    assert r.events["message"].to_list() == ["X: good"]
    assert r.warnings[0] == "CVP.log:1: 1 line(s) before the first record (line 2) skipped"
    assert r.warnings[1] == "CVP.log:2: invalid date or time; record skipped"
    assert len(r.warnings) == 21
    assert r.warnings[-1] == "CVP.log: ... and 6 more"


def test_garbage_raises_input_error(tmp_path: Path) -> None:
    p = tmp_path / "CVP.bin"
    p.write_bytes(b"\x00\xff\xfe" * 5000)
    with pytest.raises(InputError) as info:
        READER.read(InputFile(display="CVP.bin", path=str(p)), "cp1252")
    assert "CVP log record" in info.value.expected


def test_huge_line_does_not_crash(tmp_path: Path) -> None:
    big = "y" * (10 * 1024 * 1024)
    p = _write(tmp_path, f"Mar 30 2013 10:00:00.000 -0500: %CVP_8_5_ICM-6-X: {big}\nMar 30 2013")
    r = _read(p)
    assert r.events.height == 1
    assert any("line of 10,485," in w for w in r.warnings)
    assert any(":2: last line has no line end" in w for w in r.warnings)


# --- property tests -------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=40
).map(str.strip)
_message = st.one_of(
    _text, st.just("<script>alert(1)</script> [id:2006]"), st.just("ハートビート消失")
)
_record = st.tuples(
    st.integers(min_value=0, max_value=400 * 24 * 3600 * 1000),
    st.sampled_from(["-0500", "-0400", "+0000", "+0930"]),
    st.booleans(),
    st.sampled_from(["CVP_8_5_ICM", "CVP_12_0_IVR", "CVP_4_1_MSGBUS"]),
    st.integers(min_value=0, max_value=7),
    _message,
    st.lists(_text.filter(bool), max_size=3),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_record, min_size=1, max_size=20))
def test_roundtrip_property(tmp_path: Path, records: list) -> None:
    t = dt.datetime(2012, 12, 30, 23, 0, 0)
    out, expected, line = [], [], 1
    for n, (step, zone, prefix, fac, sev, msg, conts) in enumerate(records):
        t += dt.timedelta(milliseconds=step)
        pre = f"{n}: 192.0.2.10: " if prefix else ""
        out.append(
            f"{pre}{t:%b} {t.day:2d} {t.year} {t:%H:%M:%S}.{t.microsecond // 1000:03d} {zone}: "
            f"%{fac}-{sev}-LOGMSG_X: {msg}"
        )
        out.extend("\t" + c for c in conts)
        sign = -1 if zone[0] == "-" else 1
        off = sign * (int(zone[1:3]) * 60 + int(zone[3:]))
        body = "\n".join([f"LOGMSG_X: {msg}", *("\t" + c for c in conts)]).rstrip()
        expected.append((t, off, line, fac, str(sev), body, "192.0.2.10" if prefix else None))
        line += 1 + len(conts)
    r = _read(_write(tmp_path, "\r\n".join(out) + "\r\n"))
    got = list(
        zip(
            *(r.events[c] for c in ("ts_local", "offset_min", "line", "component", "severity")),
            r.events["message"],
            r.events["node"],
            strict=True,
        )
    )
    assert got == expected
    assert r.warnings == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    blob=st.one_of(
        st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
    ),
    valid_first=st.booleans(),
)
def test_arbitrary_text_never_crashes(tmp_path: Path, blob: str, valid_first: bool) -> None:
    READER.sniff(blob, "CVP.log")
    head = "Mar 30 2013 10:00:00 -0500: %CVP_8_5_ICM-6-X: " if valid_first else ""
    p = _write(tmp_path, head + blob)
    try:
        r = _read(p)
    except InputError:
        return
    assert dict(r.events.schema) == EVENT_SCHEMA


def test_cvp_syslog_feed_as_a_syslog_server_writes_it() -> None:
    # CVP's syslog feed sends Cisco Log lines ("<PRI>seq: host: Mon dd yyyy hh:mm:ss.mmm zone:
    # %CVP_...", the Cisco Log message format of Cisco's Serviceability Best Practices Guide for
    # Unified ICM/CCE); they carry no RFC 3164 header, so the syslog server writes its own
    # stamp and the sender before each (RFC 3164 section 4.3.3; BSD syslogd / rsyslog file
    # layouts "Mmm dd hh:mm:ss HOST msg" and "RFC 3339 stamp HOST msg"). Before, the generic
    # reader took the receiver's stamp: no year (the file's mtime year: the incident a decade
    # off, on a host of its own), no milliseconds, no zone.
    path = FIX / "syslog_relay" / "syslog_callserver.log"
    head, _ = read_head(str(path))
    assert READER.sniff(head, path.name)
    r = _read(path)
    ev = r.events
    assert (r.host, r.zone, r.stream) == ("198.51.100.10", "-0400", "cvp")
    assert ev["ts_local"].to_list() == [
        dt.datetime(2014, 4, 2, 8, 12, 30, 101000),
        dt.datetime(2014, 4, 2, 8, 12, 35, 104000),
        dt.datetime(2014, 4, 2, 8, 12, 41, 2000),
        dt.datetime(2014, 4, 2, 8, 12, 41, 33000),
        dt.datetime(2014, 4, 2, 8, 12, 52, 210000),
    ]
    assert ev["offset_min"].unique().to_list() == [-240]
    assert ev["component"][2] == "CVP_10_5_ICM" and ev["severity"][2] == "1"
    assert ev["message"][2] == (
        "LOGMSG_ICM_SS_STATE: Shutting down VRU PIM connection. Transition to partial service."
        " [id:2006]"
    )
    assert ev["message"][4].startswith("LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats.")
    assert r.warnings == []
