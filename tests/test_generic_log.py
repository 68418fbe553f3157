"""Generic line-timestamped log reader: real loghub logs (CBS, syslog, ZooKeeper) and ISO/RFC 5424."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.sources.base import EVENT_SCHEMA, InputFile
from hbtriage.sources.encoding import read_head
from hbtriage.sources.generic_log import READER
from hbtriage.sources.options import ReadOptions

FIX = Path(__file__).parent / "fixtures"
LOGHUB = FIX / "loghub"


def _read(path: Path, display: str | None = None):
    return READER.read(InputFile(display=display or path.name, path=str(path)), "utf-8")


def _write(tmp_path: Path, text: str, name: str = "app.log") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def _with_mtime(tmp_path: Path, src: Path, when: dt.datetime) -> Path:
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    os.utime(dst, (when.timestamp(), when.timestamp()))
    return dst


def test_loghub_linux_syslog(tmp_path: Path) -> None:
    r = _read(_with_mtime(tmp_path, LOGHUB / "Linux_2k.log", dt.datetime(2005, 8, 1)))
    ev = r.events
    assert dict(ev.schema) == EVENT_SCHEMA
    assert (r.kind, r.stream, r.host, r.host_reason) == (
        "generic_log",
        "syslog",
        "combo",
        "syslog host name",
    )
    assert r.extra["format"] == "syslog"
    assert ev.height == 2000
    assert ev["ts_local"][0] == dt.datetime(2005, 6, 14, 15, 16, 1)
    assert ev["ts_local"][-1] == dt.datetime(2005, 7, 27, 14, 42, 0)
    assert ev["line"].to_list() == list(range(1, 2001))
    assert ev["node"].unique().to_list() == ["combo"]
    top = ev["component"].value_counts(sort=True).head(3).rows()
    assert top == [("ftpd", 916), ("sshd(pam_unix)", 677), ("su(pam_unix)", 172)]
    restart = ev.filter(pl.col("line") == 146).row(0, named=True)
    assert (restart["component"], restart["message"]) == ("syslogd", "restart.")
    assert ev["offset_min"].null_count() == 2000
    assert r.warnings == [
        "Linux_2k.log: syslog time stamps carry no year; assumed 2005 from the file's modified time"
    ]


def test_syslog_year_before_mtime_month_and_new_year(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Dec 31 23:59:58 pg1a app[1]: old year\nJan  1 00:00:01 pg1a app[1]: new year\n",
        "messages",
    )
    os.utime(p, (dt.datetime(2014, 1, 5).timestamp(),) * 2)
    ev = _read(p).events
    assert ev["ts_local"].to_list() == [
        dt.datetime(2013, 12, 31, 23, 59, 58),
        dt.datetime(2014, 1, 1, 0, 0, 1),
    ]
    p2 = _write(tmp_path, "Dec 30 10:00:00 h k: x\nDec 31 10:00:00 h k: y\n", "m2")
    os.utime(p2, (dt.datetime(2015, 6, 1).timestamp(),) * 2)
    assert _read(p2).events["ts_local"][0] == dt.datetime(2014, 12, 30, 10, 0)


def test_loghub_windows_cbs() -> None:
    r = _read(LOGHUB / "Windows_2k.log")
    ev = r.events
    assert (r.stream, r.host, r.extra["format"]) == ("cbs", None, "cbs")
    assert ev.height == 2000
    assert ev["ts_local"][0] == dt.datetime(2016, 9, 28, 4, 30, 30)
    assert ev["ts_local"][-1] == dt.datetime(2016, 9, 29, 2, 4, 40)
    assert ev["component"].value_counts(sort=True).rows() == [("CBS", 1973), ("CSI", 27)]
    assert ev["severity"].unique().to_list() == ["Info"]
    assert ev["message"][0].startswith("Loaded Servicing Stack v6.1.7601.23505 with Core: ")
    assert r.warnings == []


def test_loghub_zookeeper() -> None:
    r = _read(LOGHUB / "Zookeeper_2k.log")
    ev = r.events
    assert (r.stream, r.extra["format"]) == ("zookeeper", "zookeeper")
    assert ev.height == 2000
    assert ev["ts_local"][0] == dt.datetime(2015, 7, 29, 17, 41, 44, 747000)
    assert ev["ts_local"][-1] == dt.datetime(2015, 8, 10, 18, 12, 34, 4000)
    assert ev["component"][0] == "FastLeaderElection"
    assert ev["message"][0] == "Notification time out: 3200"
    assert dict(ev["severity"].value_counts().rows()) == {"WARN": 1318, "INFO": 669, "ERROR": 13}
    assert r.warnings == []


def test_iso_variants_offsets_levels_and_continuation() -> None:
    r = _read(FIX / "generic_log" / "probe.log")
    ev = r.events
    assert (r.stream, r.extra["format"]) == ("probe", "iso")
    assert ev["ts_local"].to_list() == [
        dt.datetime(2024, 5, 1, 12, 0, 0, 123000),
        dt.datetime(2024, 5, 1, 12, 0, 5, 124000),
        dt.datetime(2024, 5, 1, 12, 0, 10, 125000),
        dt.datetime(2024, 5, 1, 12, 0, 15),
    ]
    assert ev["offset_min"].to_list() == [0, 540, None, None]
    assert ev["severity"].to_list() == ["INFO", "WARN", "ERROR", None]
    assert ev["message"][2] == "heartbeat lost\n  detail: no reply in 10 s"
    assert ev["line"].to_list() == [1, 2, 3, 5]


def test_rfc5424() -> None:
    r = _read(FIX / "generic_log" / "rfc5424.log")
    ev = r.events
    assert (r.stream, r.host, r.extra["format"]) == ("syslog", "cvp1.example.com", "rfc5424")
    assert ev["severity"].to_list() == ["crit", "notice", "notice"]
    assert ev["component"].to_list() == ["CallServer", "CallServer", None]
    assert ev["offset_min"].to_list() == [0, -300, 0]
    assert ev["ts_local"][2] == dt.datetime(2003, 10, 11, 22, 14, 17, 500000)
    assert ev["message"][1] == "heartbeat resumed"


def test_sniff_is_the_fallback_only() -> None:
    # loghub's logs this reader reads (the others have declared formats, test_loghub_others.py)
    generic = ("Linux", "Windows", "Zookeeper", "Hadoop", "Mac", "OpenSSH")
    for p in [*(LOGHUB / f"{n}_2k.log" for n in generic), *(FIX / "generic_log").glob("*.log")]:
        h, _ = read_head(str(p))
        assert READER.sniff(h, p.name), p.name
    for other in [
        FIX / "cvp_log" / "CVP.2013-03-30.log",
        FIX / "cvp_log" / "Error.2013-03-30.log",
        FIX / "icm_dumplog" / "pim1.txt",
        FIX / "ciscolog" / "pim1_ciscolog.txt",
        LOGHUB / "LICENSE",
        *sorted((FIX / "perfmon").glob("*.csv")),
    ]:
        h, _ = read_head(str(other))
        assert not READER.sniff(h, other.name), other.name


def test_mostly_foreign_lines_are_not_claimed() -> None:
    head = "2024-05-01 12:00:00 one\n" + "plain text line\n" * 3
    assert not READER.sniff(head, "x.log")
    assert READER.sniff("2024-05-01 12:00:00 one\n" * 3 + "plain\n", "x.log")


def test_bad_input(tmp_path: Path) -> None:
    p = tmp_path / "blob.log"
    p.write_bytes(os.urandom(4096).replace(b"\n", b"") + b"\n" + bytes(range(256)))
    with pytest.raises(InputError) as info:
        READER.read(InputFile(display="blob.log", path=str(p)), "cp1252")
    assert "time stamp" in info.value.expected
    big = _write(tmp_path, "2024-05-01T00:00:00Z start\n2024-05-01T00:00:01Z " + "z" * 10_000_000)
    r = _read(big)
    assert r.events.height == 2
    assert any(":2: line of 10,000,021 bytes cut" in w for w in r.warnings)


# --- property tests -------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=40
).map(str.strip)
_message = st.one_of(_text, st.just("<script>alert(1)</script>"), st.just("ハートビート"))
_LEVELS = ("INFO", "WARN", "ERROR", "DEBUG")


def _iso(t: dt.datetime, msg: str, level: str) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}+09:00 {level} {msg}"


def _syslog(t: dt.datetime, msg: str, level: str) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S} pg1a-host app[42]: {msg}"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    family=st.sampled_from(["iso", "syslog"]),
    records=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10 * 24 * 3600 * 1000),  # < 1 year in all
            _message.filter(
                lambda m: m.split(" ")[0].strip("[]:") not in ("INFO", "WARN", "ERROR", "DEBUG")
            ),
            st.sampled_from(_LEVELS),
            st.lists(_text.filter(bool).map(lambda c: "\t" + c), max_size=2),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_roundtrip_property(tmp_path: Path, family: str, records: list) -> None:
    t = dt.datetime(2023, 1, 2, 3, 4, 5)
    fmt = _iso if family == "iso" else _syslog
    out, expected, line = [], [], 1
    for step, msg, level, conts in records:
        t += dt.timedelta(milliseconds=step)
        if family == "syslog":
            t = t.replace(microsecond=0)
        out.append(fmt(t, msg, level))
        out.extend(conts)
        expected.append((t, line, "\n".join([msg, *conts]).rstrip()))
        line += 1 + len(conts)
    p = _write(tmp_path, "\n".join(out) + "\n")
    os.utime(p, (dt.datetime(2023, 12, 31).timestamp(),) * 2)
    r = _read(p)
    ev = r.events
    assert list(zip(ev["ts_local"], ev["line"], ev["message"], strict=True)) == expected
    if family == "iso":
        assert ev["offset_min"].unique().to_list() == [540]
        assert ev["severity"].to_list() == [rec[2] for rec in records]
    else:
        assert ev["node"].unique().to_list() == ["pg1a-host"]
        assert ev["component"].unique().to_list() == ["app"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    blob=st.one_of(
        st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
    ),
    first=st.sampled_from(["", "2024-05-01 12:00:00 x\n", "Jun 14 15:16:01 h p: ", "<34>1 "]),
)
def test_arbitrary_text_never_crashes(tmp_path: Path, blob: str, first: str) -> None:
    READER.sniff(first + blob, "x.log")
    try:
        r = _read(_write(tmp_path, first + blob))
    except InputError:
        return
    assert dict(r.events.schema) == EVENT_SCHEMA


def _pieces_equal_whole(path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    from hbtriage.catalog import load_catalog

    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    for keep in (None, load_catalog().keep_patterns()):
        whole = READER.read(item, "", ReadOptions(keep=keep))
        parts = READER.read(item, "", ReadOptions(keep=keep, chunk_bytes=size))
        assert parts.events is not None and whole.events is not None
        assert parts.events.equals(whole.events), (path.name, size)
        assert (parts.warnings, parts.host, parts.zone, parts.stream) == (
            whole.warnings,
            whole.host,
            whole.zone,
            whole.stream,
        )


@pytest.mark.parametrize("size", [300, 4096])
def test_real_logs_read_in_pieces_equal_one_pass(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large generic logs are read piece by piece (memory bounded); the loghub logs (syslog
    without years, CBS, ZooKeeper) and the RFC 5424 fixture give the same records either way."""
    root = Path(__file__).parent / "fixtures"
    files = [root / "loghub" / f for f in ("Linux_2k.log", "Windows_2k.log", "Zookeeper_2k.log")]
    files += [root / "generic_log" / "rfc5424.log", root / "generic_log" / "probe.log"]
    for path in files:
        _pieces_equal_whole(path, monkeypatch, size)


def test_stack_traces_and_new_year_across_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Continuation lines stay with their record and a Dec -> Jan jump still starts a new year
    when the pieces are cut every few hundred bytes."""
    iso = tmp_path / "app.log"
    rows = []
    for i in range(60):
        rows.append(f"2024-05-01T12:00:{i:02d}.000Z ERROR worker {i} failed")
        rows += [f"\tat com.example.Worker.run(Worker.java:{i})", "\tat java.lang.Thread.run"]
    iso.write_text("\n".join(rows) + "\n", encoding="utf-8")
    syslog = tmp_path / "messages"
    lines = [f"Dec 31 23:{m:02d}:00 host1 app[1]: tick {m}" for m in range(50)]
    lines += [f"Jan  1 00:{m:02d}:00 host1 app[1]: tock {m}" for m in range(50)]
    syslog.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(syslog, (1_717_000_000, 1_717_000_000))  # modified in 2024
    for size in (200, 333, 1000):
        _pieces_equal_whole(iso, monkeypatch, size)
        _pieces_equal_whole(syslog, monkeypatch, size)
    ev = READER.read(InputFile(display="app.log", path=str(iso)), "utf-8").events
    assert ev.height == 60 and ev["message"][7].count("\n") == 2
    ts = READER.read(InputFile(display="messages", path=str(syslog)), "utf-8").events["ts_local"]
    assert (ts[0].year, ts[-1].year) == (2023, 2024)


def test_a_syslog_year_never_lands_after_the_files_modified_time(tmp_path: Path) -> None:
    """Same month as the file's modified time, a later day: the records are last year's."""
    import os
    import time

    path = tmp_path / "messages"
    path.write_text(
        "Jan 20 10:00:00 host1 sshd[1]: one\nJan 20 10:00:01 host1 sshd[1]: two\n",
        encoding="utf-8",
    )
    mtime = time.mktime((2024, 1, 5, 12, 0, 0, 0, 0, -1))
    os.utime(path, (mtime, mtime))
    res = READER.read(InputFile(display=path.name, path=str(path)), "utf-8")
    assert res.events is not None
    assert {t.year for t in res.events["ts_local"].to_list()} == {2023}
    assert any("assumed 2023" in w for w in res.warnings), res.warnings
    # a record on the file's own day (or the day after, another zone) keeps the year
    path.write_text("Jan 6 01:00:00 host1 sshd[1]: one\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))
    res = READER.read(InputFile(display=path.name, path=str(path)), "utf-8")
    assert res.events is not None and res.events["ts_local"][0].year == 2024
