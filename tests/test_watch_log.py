"""The watch log reader: what `hbtriage watch` writes is read back exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.sources.base import InputFile
from hbtriage.sources.watch_log import EVENTS, READER, format_record, header_line

SAMPLE = """# hbtriage-watch 1 host=cvp1
2026-11-27T10:00:00.001Z cvp1 started listen=192.0.2.1:7000 peer=192.0.2.2:7000 interval_s=1 session=3f2a9c01b7de
2026-11-27T10:00:01.234Z cvp1 hb_rx proto=udp peer=192.0.2.2:7000 n=1 lost=0 seq=1 rtt_ms=0.41
2026-11-27T10:00:05.500Z cvp1 hb_missed proto=udp peer=192.0.2.2:7000 seq=42 count=3 phi=9.1
2026-11-27T10:00:06.000Z cvp1 suspicion_raised proto=tcp peer=192.0.2.2:7000 phi=8.2
2026-11-27T10:00:09.000Z cvp1 tcp_disconnect peer=192.0.2.2:7000 reason=silent
"""


def _read(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "watch-cvp1.log"
    path.write_text(text, encoding="utf-8")
    return READER.read(InputFile(display="watch-cvp1.log", path=str(path)), "utf-8")


def test_sample_is_read_with_utc_times_hosts_and_events(tmp_path: Path) -> None:
    assert READER.sniff(SAMPLE, "watch-cvp1.log")
    res = _read(tmp_path, SAMPLE)
    assert (res.kind, res.host, res.stream, res.offset_min) == ("watch_log", "cvp1", "watch", 0)
    ev = res.events
    assert ev is not None and ev.height == 5
    assert ev.get_column("line").to_list() == [2, 3, 4, 5, 6]
    assert ev.get_column("ts_local")[2] == datetime(2026, 11, 27, 10, 0, 5, 500000)
    assert ev.get_column("message")[2] == (
        "hb_missed proto=udp peer=192.0.2.2:7000 seq=42 count=3 phi=9.1"
    )
    assert ev.get_column("severity").to_list() == ["info", "info", "warning", "warning", "warning"]
    assert ev.get_column("component").to_list() == ["watch", "udp", "udp", "tcp", "watch"]
    assert set(ev.get_column("offset_min").to_list()) == {0}


def test_a_bad_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    res = _read(tmp_path, SAMPLE + "garbage in the middle\n" + SAMPLE.splitlines()[2] + "\n")
    assert res.events is not None and res.events.height == 6
    assert res.warnings == ["watch-cvp1.log:7: not a watch record, skipped"]


def test_a_file_without_records_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        _read(tmp_path, "hello\nworld\n")
    assert err.value.line == 1


def test_other_logs_are_not_taken() -> None:
    syslog = "Nov 27 10:00:01 host1 sshd[12]: Accepted publickey for root\n" * 5
    cvp = "2145: 192.0.2.10: Nov 27 2026 10:00:01.234 -0500: %CVP_8_5_ICM-3-CALL_ERROR: x\n"
    iso_generic = "2026-11-27T10:00:01.234Z INFO something happened here\n" * 3
    assert not READER.sniff(syslog, "messages")
    assert not READER.sniff(cvp, "CVP.2026-11-27.log")
    assert not READER.sniff(iso_generic, "app.log")
    assert not READER.sniff("", "empty.log")


_token = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="="),
    min_size=1,
    max_size=12,
)
_record = st.tuples(
    st.integers(min_value=0, max_value=10**9),  # milliseconds after the base time
    st.sampled_from(["cvp1", "pg1a", "host-b", "a.example"]),
    st.sampled_from(sorted(EVENTS)),
    st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), _token, max_size=5),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_record, min_size=1, max_size=30))
def test_round_trip(tmp_path: Path, records: list) -> None:  # type: ignore[type-arg]
    base = datetime(2026, 11, 27, tzinfo=UTC)
    lines = [header_line("x")]
    for ms, host, event, fields in records:
        lines.append(format_record(base + timedelta(milliseconds=ms), host, event, fields))
    text = "\n".join(lines) + "\n"
    assert READER.sniff(text, "w.log")
    res = _read(tmp_path, text)
    ev = res.events
    assert ev is not None and ev.height == len(records) and not res.warnings
    for row, (ms, host, event, fields) in zip(ev.iter_rows(named=True), records, strict=True):
        assert row["ts_local"] == (base + timedelta(milliseconds=ms)).replace(tzinfo=None)
        assert row["node"] == host
        expected = " ".join([event, *(f"{k}={v}" for k, v in fields.items())])
        assert row["message"] == expected
        assert row["severity"] == EVENTS[event]
        assert row["component"] == fields.get("proto", "watch")
    hosts = {r[1] for r in records}
    assert res.host == (hosts.pop() if len(hosts) == 1 else None)


def test_values_with_spaces_are_kept_on_one_token() -> None:
    line = format_record(datetime(2026, 1, 1, tzinfo=UTC), "h", "stopped", {"reason": "a b\nc"})
    assert line == "2026-01-01T00:00:00.000Z h stopped reason=a_b_c"


def test_a_probes_two_files_read_alike(tmp_path: Path) -> None:
    """watch-<host>.log (outages) and watch-<host>.rx.log (heartbeat stream and rejection
    summaries, header "file=rx") are both taken by the reader, with the probe's new events."""
    t = datetime(2026, 11, 27, 10, 0, 1, tzinfo=UTC)
    outages = [
        header_line("cvp1"),
        format_record(t, "cvp1", "unauthenticated", {"peer": "192.0.2.2:7000", "detail": "no key"}),
        format_record(t, "cvp1", "tcp_client_error", {"error": "OSError", "connected": 1}),
        format_record(t, "cvp1", "records_suppressed", {"record": "peer_restarted", "count": 3}),
    ]
    stream = [
        header_line("cvp1", "rx"),
        format_record(t, "cvp1", "rejected", {"count": 54432, "reasons": "addr:54432"}),
    ]
    assert stream[0] == "# hbtriage-watch 1 host=cvp1 file=rx"
    severities = []
    for name, lines in (("watch-cvp1.log", outages), ("watch-cvp1.rx.log", stream)):
        text = "\n".join(lines) + "\n"
        assert READER.sniff(text, name)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        res = READER.read(InputFile(display=name, path=str(path)), "utf-8")
        assert res.host == "cvp1" and not res.warnings and res.events is not None
        severities += res.events.get_column("severity").to_list()
    assert severities == ["warning", "warning", "info", "warning"]


def test_control_characters_never_reach_a_record() -> None:
    line = format_record(
        datetime(2026, 1, 1, tzinfo=UTC), "h\x1b]0;x\x07", "tcp_client_error",
        {"detail": "boom\x1b[2J\tnext\u0085line\u00a0end"},
    )  # fmt: skip
    assert line == (
        "2026-01-01T00:00:00.000Z h?]0;x? tcp_client_error detail=boom?[2J_next?line_end"
    )
