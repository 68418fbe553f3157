"""sar text reports in the LC_TIME they were printed under (real sysstat 12.6.1 output).

sar writes its banner's date with strftime %x and each row's time with %X of its locale
(``catalog/sysstat.toml``): ``01/23/2013`` and ``07:35:00 AM`` in en_US, ``23.01.2013`` in de_DE,
``2013年01月23日`` and ``07時35分00秒`` in ja_JP, ``2013년 01월 23일`` and ``07시 35분 00초`` in
ko_KR. A de_DE, ja_JP, ko_KR or zh_CN report was "not a format hbtriage reads"; an en_GB or
fr_FR one (``23/01/2013``) was read with no counters at all, and one of the 5th of January
(``05/01/2013``) as the 1st of May.
"""

from __future__ import annotations

import datetime as dt
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbtriage import analyze
from hbtriage.simulate.scenarios import generate
from hbtriage.sources import sar

FIX = Path(__file__).parent / "fixtures" / "sar"
LOCALES = ["C", "en_US", "de_DE", "ja_JP", "fr_FR", "en_GB", "ko_KR", "zh_CN"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_report_of_any_locale_is_read_with_its_times(locale: str) -> None:
    path = FIX / f"sar_n_EDEV_{locale}.txt"
    f = analyze([path], tz=["cvp3=America/New_York"])
    (inp,) = f.inputs
    assert (inp.kind, inp.host, inp.records) == ("sar", "cvp3", 460)  # 23 rows x 4 NICs x 5
    assert inp.first == datetime(2013, 1, 23, 12, 35, 5, tzinfo=UTC)
    assert inp.last == datetime(2013, 1, 23, 12, 36, 55, tzinfo=UTC)
    assert not f.warnings or all("sar" not in w for w in f.warnings)


def test_drops_in_a_japanese_report_at_the_loss_are_nic_errors(tmp_path: Path) -> None:
    truth = generate("network_path", tmp_path, seed=1)
    assert truth["incidents"][0]["start"] == "2013-01-23T12:35:55.864Z"
    shutil.copyfile(FIX / "sar_n_EDEV_ja_JP_drops.txt", tmp_path / "CVP3" / "sar_edev.txt")
    (inc,) = analyze([tmp_path]).incidents
    top = inc.causes[0]
    assert (top.id, top.host) == ("nic_errors", "CVP3"), [(c.id, c.host) for c in inc.causes]
    assert "Network Interface(eth0)\\Packets Received Discarded/sec 0 → 131" in "\n".join(
        top.evidence
    )


def _times(name: str, counter: str) -> tuple[list[str], list[str]]:
    path = FIX / name
    r = sar.parse_sar_text(path.read_text(encoding="utf-8"), name)
    rows = r.counters.filter(r.counters["counter"] == counter)
    return [str(t) for t in rows["ts_local"].to_list()], r.warnings


def test_a_table_after_a_restart_past_midnight_is_of_the_next_day() -> None:
    times, warnings = _times("sar_u_q_midnight_restart_en_US.txt", "Processor Queue Length")
    assert times == [
        "2013-01-05 23:59:45",
        "2013-01-05 23:59:50",
        "2013-01-05 23:59:55",
        "2013-01-06 00:00:00",
        "2013-01-06 00:00:40",  # after 12:00:30 AM LINUX RESTART
        "2013-01-06 00:00:45",
        "2013-01-06 00:00:50",
    ]
    assert warnings == []  # 01/05/2013 with AM/PM rows: en_US's, the 5th of January


def test_a_two_digit_year_date_both_ways_is_said() -> None:
    # en_GB writes the 5th of January 05/01/13, which C (sa2's cron reports) would write for
    # the 1st of May: the rows' 24-hour clock is both's, so the reading is said
    times, warnings = _times("sar_u_q_midnight_restart_en_GB.txt", "% Processor Time")
    assert times[0] == "2013-05-01 23:59:45"
    assert warnings == [
        "sar banner date '05/01/13' read as 2013-05-01 (C, POSIX (cron's sa2 reports "
        "/var/log/sa/sarDD) write it so); it is 2013-01-05 as en_GB, es_ES write it"
    ]


def test_nfs_retransmissions_are_not_tcp_segments() -> None:
    path = FIX / "sar_n_NFS_ETCP_C.txt"
    r = sar.parse_sar_text(path.read_text(encoding="utf-8"), path.name)
    tcp = r.counters.filter(r.counters["counter"] == "Segments Retransmitted/sec")
    assert tcp.height == 23  # the ETCP table's rows only, not the NFS table's too


# The locales' %x and %X (glibc localedata), with the clock each writes.
_WRITE = {
    "en_US": ("%m/%d/%Y", "%I:%M:%S %p"),
    "fr_FR": ("%d/%m/%Y", "%H:%M:%S"),
    "C": ("%m/%d/%y", "%H:%M:%S"),
    "en_GB": ("%d/%m/%y", "%H:%M:%S"),
    "de_DE": ("%d.%m.%Y", "%H:%M:%S"),
    "ja_JP": ("%Y年%m月%d日", "%H時%M分%S秒"),
    "zh_CN": ("%Y年%m月%d日", "%H时%M分%S秒"),
    "ko_KR": ("%Y년 %m월 %d일", "%H시 %M분 %S초"),
}


@given(
    locale=st.sampled_from(sorted(_WRITE)),
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2068, 12, 31, 23)),
)
def test_any_date_and_time_in_any_locale_reads_back(locale: str, when: datetime) -> None:
    d_fmt, t_fmt = _WRITE[locale]
    when = when.replace(microsecond=0)
    later = when + dt.timedelta(seconds=5)
    text = (
        f"Linux 5.14.0 (cvp3) \t{when.strftime(d_fmt)} \t_x86_64_\t(2 CPU)\n\n"
        f"{when.strftime(t_fmt)}     CPU     %user     %nice   %system   %iowait    %steal     %idle\n"
        f"{later.strftime(t_fmt)}     all      1.00      0.00      1.00      0.00      0.00     98.00\n"
    )
    r = sar.parse_sar_text(text, "x")
    (got,) = r.counters.filter(r.counters["counter"] == "% Processor Time")["ts_local"].to_list()
    if r.warnings:  # a two-digit year date that reads both ways: C's is taken, en_GB's said
        assert locale in ("C", "en_GB")
        assert when.date().isoformat() in r.warnings[0]
    if not r.warnings or locale == "C":
        assert got == later
