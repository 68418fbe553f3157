"""Cisco Log reader (``dumplog /ciscoLog`` output and ICM syslog)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.sources.base import EVENT_SCHEMA, InputFile
from hbtriage.sources.ciscolog import READER
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import ReadOptions

FIX = Path(__file__).parent / "fixtures"
PIM1 = FIX / "ciscolog" / "pim1_ciscolog.txt"


def _read(path: Path):
    return READER.read(InputFile(display=path.name, path=str(path)), "utf-8")


def _write(tmp_path: Path, text: str, name: str = "rtr.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def test_fixture_fields() -> None:
    r = _read(PIM1)
    ev = r.events
    assert dict(ev.schema) == EVENT_SCHEMA
    assert (r.kind, r.host, r.host_reason, r.zone) == (
        "ciscolog",
        "PG1A",
        "Cisco Log HOST field",
        "+0000",
    )
    assert r.stream == "ciscolog"  # two processes (pim1, opc) in one file
    assert ev.height == 8
    assert ev["component"].to_list() == [
        "pim1",
        "pim1",
        "pim1",
        "opc",
        "pim1",
        "pim1",
        "opc",
        "pim1",
    ]
    assert ev["severity"].to_list()[:4] == ["info", "error", "error", "warning"]
    assert ev["offset_min"].unique().to_list() == [0]
    assert ev["ts_local"][1] == dt.datetime(2013, 3, 30, 0, 36, 57, 328000)
    assert ev["message"][2] == "TCP connection to VRU has been broken."
    # <PRI> prefix, APPNAME-SEV-MSGID header, and a continuation line.
    assert ev["message"][7] == "VRU session open;\n  GED-125 version 9 negotiated."
    assert ev["line"][7] == 8


def test_sequence_reset_is_reported_as_restart() -> None:
    r = _read(PIM1)
    assert r.restarts == [
        {
            "line": 5,
            "ts_local": "2013-03-30T00:40:10.500",
            "offset_min": 0,
            "node": "PG1A",
            "component": "pim1",
            "seq": 0,
            "previous_seq": 122,
        }
    ]
    assert r.events.height == 8  # restarts add no rows


def test_doc_examples_and_one_digit_day(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "10: CICMRGRA: Feb 8 2007 05:37:44.658 +0000: %ICM_Router_ProcessSynchronization: "
        "[comp=Router-A][pname=rtr][iid=acme][sev=info]: MDS is in service.\n"
        "12: host.example.com: *Jun 13 2003 23:11:52.454 UTC: %BACC-4-BAD_REQUEST: "
        "%[pname.orig=rdu][comp=parser]: Bad request received.\n"
        "13: host.example.com: Jun 13 2003 23:11:53.000 -0700: %ICM_Router-3-FF: no tags here\n",
    )
    r = _read(p)
    ev = r.events
    assert ev["component"].to_list() == ["rtr", "rdu", "ICM_Router"]
    assert ev["severity"].to_list() == ["info", "4", "3"]
    assert ev["node"].to_list() == ["CICMRGRA", "host.example.com", "host.example.com"]
    assert ev["message"].to_list() == [
        "MDS is in service.",
        "Bad request received.",
        "no tags here",
    ]
    assert ev["ts_local"][0] == dt.datetime(2007, 2, 8, 5, 37, 44, 658000)
    assert ev["offset_min"].to_list() == [0, 0, -420]
    assert r.restarts == []


def test_sniff_leaves_cvp_to_cvp_reader() -> None:
    h, _ = read_head(str(PIM1))
    assert READER.sniff(h, PIM1.name)
    for other in [
        FIX / "cvp_log" / "Error.2013-03-30.log",
        FIX / "cvp_log" / "CVP.2013-03-30.log",
        FIX / "icm_dumplog" / "pim1.txt",
        FIX / "loghub" / "Linux_2k.log",
        FIX / "loghub" / "Zookeeper_2k.log",
        *sorted((FIX / "perfmon").glob("*.csv")),
    ]:
        h, _ = read_head(str(other))
        assert not READER.sniff(h, other.name), other.name


def test_garbage_and_empty(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    with pytest.raises(InputError) as info:
        READER.read(InputFile(display="empty.txt", path=str(p)), "utf-8")
    assert info.value.found == "an empty file"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    with pytest.raises(InputError):
        READER.read(InputFile(display="empty.txt", path=str(p)), "cp1252")


# --- property tests -------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=40
).map(str.strip)
_message = st.one_of(_text, st.just("<script>x</script>"), st.just("回線断"))
_record = st.tuples(
    st.integers(min_value=0, max_value=3 * 24 * 3600 * 1000),
    st.sampled_from(["pim1", "opc", "rtr"]),
    st.sampled_from(["info", "error", "warning"]),
    _message,
    st.lists(_text.filter(bool), max_size=2),
    st.booleans(),  # restart before this record
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_record, min_size=1, max_size=20))
def test_roundtrip_property(tmp_path: Path, records: list) -> None:
    t = dt.datetime(2013, 12, 31, 20, 0, 0)
    seqs: dict[str, int] = {}
    out, expected, restarts, line = [], [], [], 1
    for step, proc, sev, msg, conts, restart in records:
        t += dt.timedelta(milliseconds=step)
        if restart and seqs.get(proc, 0) > 1:  # last written seq >= 1: a drop to 0 shows
            seqs[proc] = 0
            restarts.append(line)
        seq = seqs.get(proc, 0)
        seqs[proc] = seq + 1
        out.append(
            f"{seq}: PG1A: {t:%b} {t.day} {t.year} {t:%H:%M:%S}.{t.microsecond // 1000:03d} +0000: "
            f"%ICM_PG_X: [comp=PG-A][pname={proc}][iid=acme][sev={sev}]: {msg}"
        )
        out.extend("  " + c for c in conts)
        body = "\n".join([msg, *("  " + c for c in conts)]).rstrip()
        expected.append((t, line, proc, sev, body))
        line += 1 + len(conts)
    r = _read(_write(tmp_path, "\n".join(out) + "\n"))
    cols = ("ts_local", "line", "component", "severity", "message")
    assert list(zip(*(r.events[c] for c in cols), strict=True)) == expected
    assert [x["line"] for x in r.restarts] == restarts


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
    READER.sniff(blob, "x")
    head = "1: H: Feb 8 2007 05:37:44.658 +0000: %ICM_X: [pname=rtr]: " if valid_first else ""
    try:
        r = _read(_write(tmp_path, head + blob))
    except InputError:
        return
    assert dict(r.events.schema) == EVENT_SCHEMA


def test_pieces_equal_one_pass_with_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in pieces of a few hundred bytes (records with continuation lines, sequence numbers
    falling back on a process restart across a piece boundary), the records, warnings and
    restarts are those of one pass."""

    out = []
    for i in range(80):
        seq = i if i < 50 else i - 50  # pim1 restarts at record 50
        out.append(
            f"{seq}: PG1A: Mar 30 2013 19:{i // 60:02d}:{i % 60:02d}.000 -0500: %ICM_PG_PIM: "
            f"[comp=PG-A][pname=pim1][iid=acme][sev=info]: record {i}"
        )
        if i % 7 == 0:
            out.append("  continued line")
    path = _write(tmp_path, "\n".join(out) + "\n")
    whole = _read(path)
    assert [x["seq"] for x in whole.restarts] == [0]
    for size in (200, 333, 4096):
        item = InputFile(display=path.name, path=str(path))
        parts = READER.read(item, "utf-8", ReadOptions(chunk_bytes=size))
        assert parts.events.equals(whole.events), size
        assert parts.warnings == whole.warnings
        assert parts.restarts == whole.restarts
        assert (parts.host, parts.zone, parts.stream) == (whole.host, whole.zone, whole.stream)


def test_pg_syslog_feed_as_a_syslog_server_writes_it(tmp_path: Path) -> None:
    # A PG's syslog feed sends Cisco Log lines ("seq: host: Mon dd yyyy hh:mm:ss.mmm zone:
    # %ICM_...", the Cisco Log message format of Cisco's Serviceability Best Practices Guide for
    # Unified ICM/CCE); they carry no RFC 3164 header, so the syslog server writes its own stamp
    # and the sender before each (RFC 3164 section 4.3.3; BSD syslogd / rsyslog "Mmm dd
    # hh:mm:ss HOST msg", rsyslog's RFC 3339 "stamp HOST msg"). The record's time is the Cisco
    # Log stamp, not the receiver's (here on UTC, a year-less stamp five hours later).
    path = FIX / "syslog_relay" / "syslog_relay_pg.log"
    head, _ = read_head(str(path))
    assert READER.sniff(head, path.name)
    r = _read(path)
    ev = r.events
    assert r.host == "PG1A" and r.warnings == []
    assert ev["ts_local"].to_list() == [
        dt.datetime(2013, 3, 30, 19, 36, 45, 106000),
        dt.datetime(2013, 3, 30, 19, 36, 57, 328000),
        dt.datetime(2013, 3, 30, 19, 36, 57, 329000),
        dt.datetime(2013, 3, 30, 19, 36, 58, 2000),
        dt.datetime(2013, 3, 30, 19, 40, 10, 500000),
    ]
    assert ev["offset_min"].unique().to_list() == [-300]
    assert ev["message"][2] == "TCP connection to VRU has been broken."
    assert [x["component"] for x in r.restarts] == ["pim1"]  # its sequence fell back to 0
    # Through analyze: the PIM's disconnect on UTC, on the host the lines name.
    from hbtriage.api import run

    (tmp_path / "syslog").mkdir()
    (tmp_path / "syslog" / path.name).write_bytes(path.read_bytes())
    analysis = run([tmp_path / "syslog"])
    found = [
        (s.host, s.data["signature"], s.start.isoformat())
        for i in analysis.findings.incidents
        for s in i.signals
        if s.kind == "signature"
    ]
    assert ("PG1A", "pim.vru_tcp_broken", "2013-03-31T00:36:57.329000+00:00") in found


# Cisco Log cuts a message too long for one line into parts, each a line of its own with its
# own sequence number and a [part=FIRST.N/COUNT] tag (FIRST: the first part's sequence number;
# the Cisco Log message format in Cisco's CiscoLog documentation, e.g. the Unified
# Serviceability alarms chapter). Their text is read back as one record.
_PART_HEAD = (
    "{seq}: PG1A: Mar 30 2013 19:36:57.{ms:03d} -0500: %ICM_PG_PIM: "
    "[comp=PG-A][pname=pim1][iid=acme][mid=103000B7][sev=error][part={first}.{n}/{count}]: "
)
_CUT = (
    "Error receiving data from VRU. Last API Error [10054]: "
    "An existing connection was forcibly closed by the remote host."
)


def _parts(message: str, cuts: list[int], first: int = 41) -> list[str]:
    bounds = [0, *cuts, len(message)]
    count = len(bounds) - 1
    return [
        _PART_HEAD.format(seq=first + k, ms=k, first=first, n=k + 1, count=count)
        + message[bounds[k] : bounds[k + 1]]
        for k in range(count)
    ]


def _catalog_options(core: bool) -> ReadOptions:
    import dataclasses

    from hbtriage.catalog import load_catalog

    return dataclasses.replace(load_catalog().read_options(), compiled=core, compiled_min_bytes=0)


@pytest.mark.usefixtures("core_loads")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    message=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=2, max_size=90)
    .map(lambda s: "x" + s)
    .filter(lambda s: s == s.rstrip()),
    data=st.data(),
)
def test_a_message_cut_into_parts_anywhere_reads_back_whole(
    tmp_path: Path, message: str, data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(1, len(message) - 1), min_size=1, max_size=4)))
    before = "40: PG1A: Mar 30 2013 19:36:45.106 -0500: %ICM_PG_PIM: [pname=pim1]: before"
    after = "60: PG1A: Mar 30 2013 19:36:58.000 -0500: %ICM_PG_PIM: [pname=pim1]: after"
    path = _write(tmp_path, "\n".join([before, *_parts(message, cuts), after]) + "\n")
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    for options in (ReadOptions(), _catalog_options(False), _catalog_options(True)):
        ev = READER.read(item, "utf-8", options).events
        assert ev["line"].to_list() == [1, 2, len(cuts) + 3]
        assert ev["ts_local"][1] == dt.datetime(2013, 3, 30, 19, 36, 57)
        if options.slimming:
            continue  # (text kept only where a signature can match)
        assert ev["message"].to_list() == ["before", message, "after"]


def test_a_signature_spanning_the_parts_of_a_message_is_found(tmp_path: Path) -> None:
    # The PIM's "Error receiving data from VRU ... [10054]" cut just before the error code:
    # neither part matches pim.vru_recv_error alone.
    from hbtriage.api import run

    lines = [
        "40: PG1A: Mar 30 2013 19:36:45.106 -0500: %ICM_PG_PIM: [pname=pim1]: heartbeat sent",
        *_parts(_CUT, [_CUT.index("[10054]")]),
        # another process's part with the same numbers is another message
        *_parts("Peripheral 5000 went offline.", [11])[:1],
    ]
    lines[-1] = lines[-1].replace("pname=pim1", "pname=opc")
    _write(tmp_path, "\n".join(lines) + "\n", "pim1_ciscolog.txt")
    found = [
        (s.host, s.data["signature"], s.detail)
        for i in run([tmp_path]).findings.incidents
        for s in i.signals
        if s.kind == "signature"
    ]
    assert [f[1] for f in found] == ["pim.vru_recv_error"]
