"""Log formats shipped as catalog declarations (catalog/formats/): Apache's error log and the
Thunderbird syslog collection of loghub, in their published layouts."""

from __future__ import annotations

from pathlib import Path

from hbtriage.catalog import load_catalog
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile

APACHE = """\
[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6
[Sun Dec 04 04:51:08 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10
[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 192.0.2.9:0] \
File does not exist: /usr/local/apache2/htdocs/favicon.ico
"""

THUNDERBIRD = """\
- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed \
for user root
- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: (root) CMD (run-parts \
/etc/cron.hourly)
VAPI 1131566479 2005.11.09 tbird-admin1 Nov 10 00:01:19 local@tbird-admin1 kernel: \
[KERNEL_IB][ib_mad_dispatch] bad MAD
"""


def _read(tmp_path: Path, name: str, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    item = InputFile(display=name, path=str(path), size=path.stat().st_size)
    return read_one(item, load_catalog().read_options())


def test_apache_error_log(tmp_path: Path) -> None:
    outcome = _read(tmp_path, "error_log", APACHE)
    assert outcome.kind == "apache_error", outcome.message
    events = outcome.result.events
    assert [str(t) for t in events["ts_local"]] == [
        "2005-12-04 04:47:44",
        "2005-12-04 04:47:44",
        "2005-12-04 04:51:08",
        "2000-10-11 14:32:52",
    ]
    assert events["severity"].cast(str).to_list() == ["notice", "error", "notice", "error"]
    assert events["component"].cast(str).to_list()[-1] == "core"
    assert outcome.result.warnings == []


def test_thunderbird_syslog(tmp_path: Path) -> None:
    outcome = _read(tmp_path, "Thunderbird.log", THUNDERBIRD)
    assert outcome.kind == "thunderbird_syslog", outcome.message
    res = outcome.result
    events = res.events
    # seconds since 1970 are UTC: 12:01:01 PST on the node is 20:01:01Z
    assert str(events["ts_local"][0]) == "2005-11-09 20:01:01"
    assert res.offset_min == 0 and res.zone == "UTC"
    assert events["node"].cast(str).to_list() == ["dn228", "dn228", "tbird-admin1"]
    assert events["component"].cast(str).to_list() == ["crond(pam_unix)", "crond", "kernel"]
    assert events["severity"].cast(str).to_list() == ["-", "-", "VAPI"]
    assert res.host == "dn228"


def test_the_real_loghub_files_keep_their_readers() -> None:
    fixtures = Path(__file__).parent / "fixtures" / "loghub"
    kinds = {}
    for name in ("Linux_2k.log", "Windows_2k.log", "Zookeeper_2k.log"):
        path = fixtures / name
        item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
        kinds[path.name] = read_one(item, load_catalog().read_options()).kind
    assert set(kinds.values()) == {"generic_log"}, kinds


def test_a_one_sided_bundle_says_which_side_is_missing_and_what_to_collect(
    tmp_path: Path,
) -> None:
    import shutil

    from hbtriage.api import analyze

    reference = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
    shutil.copytree(reference / "PG1A", tmp_path / "PG1A")
    found = analyze([tmp_path / "PG1A"])
    (note,) = [w for w in found.warnings if "is missing" in w]
    assert "the CVP Call Server is missing" in note
    assert "CVP.<date>.log" in note and "DPC Rate" in note
    both = analyze([reference])
    assert not [w for w in both.warnings if "is missing" in w]


def test_the_layout_fixtures_are_read_by_their_declared_formats() -> None:
    fixtures = Path(__file__).parent / "fixtures" / "declared"
    expected = {"error_log": "apache_error", "Thunderbird.log": "thunderbird_syslog"}
    for name, kind in expected.items():
        path = fixtures / name
        item = InputFile(display=name, path=str(path), size=path.stat().st_size)
        outcome = read_one(item, load_catalog().read_options())
        assert outcome.kind == kind, (name, outcome.message)
        assert outcome.result is not None and not outcome.result.warnings
