"""A syslog server's file that collects the PG's and the CVP Call Server's Cisco Log feeds (and
a switch's lines) is read as one stream per sender: each sender its own host, named by its
lines and the bundle's other files, never by the syslog server's folder; the verdict is the
one the same lines give as two separate files."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.api import run
from hbtriage.findings import Findings
from hbtriage.simulate.scenarios import generate
from hbtriage.sources import read_all, relay
from hbtriage.sources.base import InputFile
from hbtriage.sources.options import ReadOptions

FIX = Path(__file__).parent / "fixtures" / "syslog_relay"
_DAY = re.compile(r"^Events from (\w+ \d+, \d{4})")
_REC = re.compile(r"^(\d{2}):(\d{2}):(\d{2}):(\d{3}) (\S+?)-(\S+) (.*)$")
_CVP = re.compile(
    r"^(?:<\d+>)?(?:\d+: \S+: )?(\w{3} +\d+ \d{4} \d+:\d\d:\d\d\.\d{3}) ([+-]\d{4}): (.*)$"
)
_SWITCH = "%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up"


def _stamp(t: datetime) -> str:
    return f"{t:%b} {t.day} {t:%Y %H:%M:%S}.{t.microsecond // 1000:03d}"


def _pim_feed(path: Path, host: str, offset_min: int) -> list[tuple[datetime, str]]:
    """A PIM dumplog as the PG's Cisco Log feed sends it: (UTC, line)."""
    out: list[tuple[datetime, str]] = []
    day = None
    zone = f"{'+' if offset_min >= 0 else '-'}{abs(offset_min) // 60:02d}{abs(offset_min) % 60:02d}"
    for raw in path.read_text().splitlines():
        if m := _DAY.match(raw):
            day = datetime.strptime(m.group(1), "%B %d, %Y")
            continue
        if (m := _REC.match(raw)) and day is not None:
            h, mi, s, ms = (int(x) for x in m.groups()[:4])
            local = day + timedelta(hours=h, minutes=mi, seconds=s, milliseconds=ms)
            if out and local < out[-1][0] + timedelta(minutes=offset_min - 720):
                day += timedelta(days=1)
                local += timedelta(days=1)
            proc, text = m.group(6), m.group(7)
            head = f"{len(out)}: {host}: {_stamp(local)} {zone}: %ICM_PG_PIM: "
            tags = f"[comp=PG-A][pname={proc}][iid=acme][sev=info]: "
            out.append((local - timedelta(minutes=offset_min), head + tags + text))
        elif raw.strip() and out:  # a continuation: Cisco Log sends one line
            t, line = out[-1]
            out[-1] = (t, f"{line} {raw.strip()}")
    return out


def _cvp_feed(paths: list[Path], address: str) -> list[tuple[datetime, str]]:
    out: list[tuple[datetime, str]] = []
    for path in paths:
        for raw in path.read_text().splitlines():
            if m := _CVP.match(raw):
                t = datetime.strptime(m.group(1), "%b %d %Y %H:%M:%S.%f")
                off = int(m.group(2)[:3]) * 60 + (1 if m.group(2)[0] == "+" else -1) * int(
                    m.group(2)[3:]
                )
                line = f"{len(out)}: {address}: {m.group(1)} {m.group(2)}: {m.group(3)}"
                out.append((t - timedelta(minutes=off), line))
    return out


def _relayed(feed: list[tuple[datetime, str]], sender: str) -> list[tuple[datetime, str]]:
    """Each line behind the syslog server's stamp (UTC, no year) and the sender field."""
    return [(t, f"{t:%b} {t.day:2d} {t:%H:%M:%S} {sender} {line}") for t, line in feed]


def _bundles(scenario: str, seed: int, root: Path, *, by_name: bool) -> tuple[Path, Path, dict]:
    """The simulated bundle twice, its PIM and CVP logs replaced by their syslog feeds as a
    syslog server ``SYSLOG01`` wrote them: once in one file with a switch's lines, once in two
    files. ``by_name``: the server wrote the senders' names, else their addresses."""
    sim = root / "sim"
    truth = generate(scenario, sim, seed)
    pg, cvp = (next(h for h, v in truth["hosts"].items() if v["role"] == r) for r in ("pg", "cvp"))
    pg_info, cvp_info = truth["hosts"][pg], truth["hosts"][cvp]
    pim = _pim_feed(sorted((sim / pg).glob("pim*.txt"))[0], pg, pg_info["offset_min"])
    calls = _cvp_feed(sorted((sim / cvp).glob("*.log")), cvp_info["ip"])
    pim = _relayed(pim, pg if by_name else "198.51.100.7")
    calls = _relayed(calls, cvp if by_name else cvp_info["ip"])
    start = min(pim[0][0], calls[0][0])
    switch = [
        (t, f"{t:%b} {t.day:2d} {t:%H:%M:%S} 192.0.2.1 {n}: {_SWITCH}")
        for n, t in enumerate(start + timedelta(minutes=k) for k in range(0, 40, 7))
    ]
    out = []
    for layout in ("one", "two"):
        bundle = root / layout
        shutil.copytree(
            sim, bundle, ignore=shutil.ignore_patterns("pim*.txt", "*.log", "truth.json")
        )
        (bundle / "SYSLOG01").mkdir()
        if layout == "one":
            lines = sorted(pim + calls + switch, key=lambda x: x[0])
            (bundle / "SYSLOG01" / "messages").write_text("".join(f"{s}\n" for _, s in lines))
        else:
            (bundle / "SYSLOG01" / "pg.log").write_text("".join(f"{s}\n" for _, s in pim))
            (bundle / "SYSLOG01" / "cvp.log").write_text("".join(f"{s}\n" for _, s in calls))
        out.append(bundle)
    return out[0], out[1], truth


def _verdict(f: Findings) -> list[tuple[tuple[str, ...], str, str | None]]:
    return [
        (tuple(sorted(i.hosts)), i.causes[0].id, i.causes[0].host) for i in f.incidents if i.causes
    ]


@pytest.mark.parametrize(
    ("scenario", "seed", "by_name"),
    [
        ("dpc_storm_cvp", 1, True),
        ("dpc_storm_pg", 2, True),
        ("network_path", 3, False),
        ("peer_restart_cvp", 4, False),
    ],
)
def test_one_syslog_file_of_both_servers_gives_the_verdict_of_two_files(
    tmp_path: Path, scenario: str, seed: int, by_name: bool
) -> None:
    one, two, truth = _bundles(scenario, seed, tmp_path, by_name=by_name)
    a, b = run([one]).findings, run([two]).findings
    assert _verdict(a) == _verdict(b)
    assert len(a.incidents) == len(truth["incidents"])  # found once, never split
    hosts = {h.name for h in a.hosts}
    assert not {n.upper() for n in hosts} & {"SYSLOG01", "MESSAGES"}
    pg, cvp = (next(h for h, v in truth["hosts"].items() if v["role"] == r) for r in ("pg", "cvp"))
    assert pg in hosts  # the PG by the HOST field of its Cisco Log lines
    cvp_ip = truth["hosts"][cvp]["ip"]
    # The CVP by the name the syslog server wrote, or (by its address, which no systeminfo
    # lists) as the bundle's one CVP host: one host with its perfmon.
    assert cvp in hosts and cvp_ip in next(h for h in a.hosts if h.name == cvp).addresses
    assert cvp_ip not in hosts
    want = [(t["cause"], t["host"]) for t in truth["incidents"]]
    assert [(c, h) for _, c, h in _verdict(a)] == want
    if not by_name:
        (feed,) = (i for i in a.inputs if i.path.endswith(f"messages [{cvp_ip}]"))
        assert feed.host == cvp and f"only by its address {cvp_ip}" in feed.host_reason
    # The switch's lines are left out, in one warning naming it.
    said = [w for w in a.warnings if "192.0.2.1" in w]
    assert len(said) == 1 and "does not read" in said[0]
    ja = a.warnings_ja[a.warnings.index(said[0])]
    assert "読まない送信元" in ja


def test_senders_are_read_apart_with_their_own_line_numbers(tmp_path: Path) -> None:
    pg = (FIX / "syslog_relay_pg.log").read_text().splitlines()
    cvp = (FIX / "syslog_callserver.log").read_text().splitlines()
    switch = "Mar 31 00:36:58 192.0.2.1 17: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down"
    lines = [pg[0], cvp[0], switch, *pg[1:3], *cvp[1:], *pg[3:]]
    path = tmp_path / "messages"
    path.write_text("\n".join(lines) + "\n")
    before = path.read_bytes()
    outcomes = read_all(InputFile(display="messages", path=str(path), size=len(before)))
    got = {o.result.kind: o for o in outcomes if o.result is not None}
    assert set(got) == {"ciscolog", "cvp_log"}
    pim, call = got["ciscolog"], got["cvp_log"]
    assert (pim.result.host, call.result.host) == ("PG1A", "198.51.100.10")
    assert pim.item.display == "messages [PG1A]"
    # Line numbers are the file's own.
    assert pim.result.events["line"].to_list() == [1, 4, 5, 10, 11]
    assert call.result.events["line"].to_list() == [2, 6, 7, 8, 9]
    # The names the server wrote for each sender go with it; folders name neither.
    assert pim.item.senders == ["198.51.100.7"]
    assert call.item.senders == ["198.51.100.10", "callsrv-b.example.net"]
    assert pim.result.warnings[0] == (
        "messages: 1 line(s) of 1 sender(s) whose lines hbtriage does not read left out:"
        " 192.0.2.1 (1)"
    )
    assert path.read_bytes() == before  # the user's file is left as it was


def test_a_file_of_one_sender_is_read_in_place_and_not_named_by_its_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "SYSLOG01"
    folder.mkdir()
    shutil.copy(FIX / "syslog_relay_pg.log", folder / "messages")
    f = run([tmp_path]).findings
    assert [h.name for h in f.hosts] == ["PG1A"]
    assert [i.path.endswith("SYSLOG01/messages") for i in f.inputs] == [True]
    assert "198.51.100.7" in f.hosts[0].addresses
    assert json.dumps(f.warnings).count("SYSLOG01") == 0


def _mixed(tmp_path: Path, bad: bool = False) -> InputFile:
    """The PG's and the Call Server's fixture feeds interleaved in one file ``messages``; with
    ``bad``, the PG's second line dated February 30 (line 4 of the file)."""
    pg = (FIX / "syslog_relay_pg.log").read_text().splitlines()
    cvp = (FIX / "syslog_callserver.log").read_text().splitlines()
    second = pg[1].replace("Mar 30 2013", "Feb 30 2013") if bad else pg[1]
    path = tmp_path / "messages"
    path.write_text("\n".join([pg[0], *cvp[:2], second, *pg[2:], *cvp[2:]]) + "\n")
    return InputFile(display="messages", path=str(path), size=path.stat().st_size)


def test_a_sender_s_warnings_name_the_line_of_the_server_s_file(tmp_path: Path) -> None:
    outcomes = read_all(_mixed(tmp_path, bad=True))
    pim = next(o for o in outcomes if o.result is not None and o.result.kind == "ciscolog")
    assert pim.result is not None
    assert pim.result.warnings == ["messages [PG1A]:4: invalid date or time; record skipped"]
    assert pim.result.events["line"].to_list() == [1, 5, 6, 7]


def test_progress_goes_on_while_the_senders_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _mixed(tmp_path)
    seen: list[int] = []
    at_split: list[int] = []
    plain = relay.split

    def split(*args: object, **kwargs: object) -> relay.Split | None:
        got = plain(*args, **kwargs)  # type: ignore[arg-type]
        at_split.append(max(seen))
        return got

    monkeypatch.setattr(relay, "split", split)
    outcomes = read_all(item, ReadOptions(chunk_bytes=256, progress=seen.append))
    assert len(outcomes) == 2
    # The split shows as part of the way, the reading of each sender's lines as the rest.
    assert 0 < at_split[0] < item.size // 2
    assert seen == sorted(seen) and seen[-1] == item.size
    assert len({n for n in seen if n > at_split[0]}) >= 2


def test_a_file_of_one_sender_is_not_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "messages"
    shutil.copy(FIX / "syslog_callserver.log", path)

    def no_copy(*_: object, **__: object) -> str:
        raise AssertionError("a file of one sender was copied")

    monkeypatch.setattr(relay.tempfile, "mkdtemp", no_copy)
    seen: list[int] = []
    item = InputFile(display="messages", path=str(path), size=path.stat().st_size)
    (outcome,) = read_all(item, ReadOptions(chunk_bytes=256, progress=seen.append))
    assert outcome.result is not None and outcome.result.host == "198.51.100.10"
    assert outcome.item.path == str(path)
    assert outcome.item.senders == ["198.51.100.10", "callsrv-b.example.net"]
    assert seen == sorted(seen) and seen[-1] == item.size


def test_a_file_that_changes_while_it_is_split_is_one_line_and_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _mixed(tmp_path)
    plain = relay._write

    def grows(it: InputFile, *args: object) -> object:
        with open(it.path, "a") as fh:  # a syslog server still writing to it
            fh.write((FIX / "syslog_relay_pg.log").read_text())
        return plain(it, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(relay, "_write", grows)
    before = Path(item.path).read_bytes()
    (outcome,) = read_all(item)
    assert outcome.result is None and outcome.kind == "unreadable"
    assert outcome.message.startswith("messages: expected the file to stay as it was")
    assert Path(item.path).read_bytes() == before + (FIX / "syslog_relay_pg.log").read_bytes()


_SENDERS = {
    # sender field, Cisco Log line (or None: a line hbtriage does not read), stream key
    "pg": (
        "198.51.100.7",
        "{n}: PG1A: Mar 30 2013 19:36:57.328 -0500: %ICM_PG_PIM: [pname=pim1]: ",
    ),
    "pg_fqdn": ("pg1a.example", "{n}: pg1a.example: Mar 30 2013 19:36:57.3 -0500: %ICM_PG_OPC: "),
    "cvp": (
        "198.51.100.10",
        "<134>{n}: 198.51.100.10: Mar 30 2013 19:36:57.328 -0500: %CVP_8_5_ICM-1-X: ",
    ),
    "switch": ("192.0.2.1", "{n}: %LINK-3-UPDOWN: "),
    "other_app": ("192.0.2.2", "{n}: sw2: Mar 30 2013 19:36:57.328 UTC: %SYS-5-CONFIG_I: "),
}
_STREAM = {"pg": "PG1A", "pg_fqdn": "PG1A", "cvp": "198.51.100.10"}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(
        st.tuples(
            st.sampled_from([*_SENDERS, "continued"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    ),
    chunk=st.sampled_from([64, 1 << 20]),
)
def test_each_sender_keeps_its_lines_at_their_numbers(
    tmp_path: Path, picks: list[tuple[str, str, bool]], chunk: int
) -> None:
    lines: list[str] = []
    owner: list[str | None] = []
    for n, (who, text, iso) in enumerate(picks):
        if who == "continued":  # no server prefix: the line above's message goes on
            lines.append(" " + text)
            owner.append(owner[-1] if owner else None)
            continue
        field, body = _SENDERS[who]
        stamp = "2013-03-31T00:36:57.1+00:00" if iso else "Mar 31 00:36:57"
        lines.append(f"{stamp} {field} {body.format(n=n)}{text}")
        owner.append(_STREAM.get(who))
    path = tmp_path / "messages"
    path.write_text("\n".join(lines) + "\n")
    item = InputFile(display="messages", path=str(path), size=path.stat().st_size)
    split = relay.split(item, "utf-8", ReadOptions(chunk_bytes=chunk))
    wanted = [s for s in dict.fromkeys(owner) if s is not None]
    if not wanted or not relay.relayed(path.read_text()):
        # (no sender read, or a head mostly of continued lines: no syslog server's file)
        assert split is None
        return
    assert split is not None
    try:
        shown = [i.display.removeprefix("messages [").removesuffix("]") for i in split.items]
        assert [relay.sender_key(s) for s in shown] == wanted or shown == ["messages"]
        if split.folder is None:  # one sender, nothing else: read in place
            assert owner == [wanted[0]] * len(lines) and split.ignored is None
            return
        for part, who, numbers in zip(split.items, wanted, split.lines, strict=True):
            # Each sender's file holds its lines alone, each with its number in the file.
            mine = [n for n, o in enumerate(owner, 1) if o == who]
            assert Path(part.path).read_text().split("\n")[:-1] == [lines[n - 1] for n in mine]
            assert numbers is not None and numbers.tolist() == mine
        left = sum(o is None for o in owner)
        assert (split.ignored is not None) == (left > 0)
    finally:
        split.close()
    assert path.read_text() == "\n".join(lines) + "\n"


#: The first version's one regex that captured the sender field, the HOST field and the
#: application of each line: the reference the cheaper searches must agree with.
_REFERENCE = (
    r"^(?:[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})) (?P<r>\S+) (?:<[0-9]{1,3}>)?"
    r"(?:[0-9]{1,18}: (?P<n>[^\s:]+|\[[0-9A-Fa-f:.]+\]): "
    r"\*?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +[0-9]{1,2} [0-9]{4} "
    r"[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?: [+-][0-9]{2}:?[0-9]{2}| [A-Z]{2,5})?: "
    r"%(?P<app>[A-Za-z][A-Za-z0-9_]*))?"
)


def _any(usual: str, *odd: str) -> st.SearchStrategy[str]:
    """One of the parts, the usual one as likely as all the odd ones."""
    return st.one_of(st.just(usual), st.sampled_from(odd)) if odd else st.just(usual)


_ODD = st.text(st.sampled_from("a:[]. \t\u00a0é0<>%*-"), max_size=4)


@pytest.mark.parametrize(
    "host", ["PG1A", "198.51.100.10", "[2001:db8::10]", "[zz]", "a b", "h\u00a0", "ü", "a:b"]
)
@settings(max_examples=150, deadline=None)
@given(
    parts=st.tuples(
        _any("Mar 31 00:36:57", "Apr  2 12:12:30", "2013-03-31T00:36:57.1+00:00", "Mar 31"),
        _any(" ", "  ", "\t"),
        _any("198.51.100.7", "pg1a.example", "[2001:db8::7]", "sw\u00a0x", "é", "a:b"),
        _any(" ", " <134>", " <1234>", "  "),
        _any("120: ", "007: ", "x: ", ""),
        _any(": ", ":", ": : "),
        _any("Mar 30 2013 19:36:57.328 -0500", "*Mar  3 2013 9:36:57 UTC", "Mar 30 2013"),
        _any(": %ICM_PG_PIM: x", ": %CVP_8_5_ICM-1-X: y", ": %LINK-3-UPDOWN: z", ": %ICMP", ""),
    ),
    noise=st.lists(st.tuples(st.integers(0, 8), _ODD), max_size=2),
)
def test_the_sender_and_host_fields_are_those_the_full_regex_captures(
    host: str, parts: tuple[str, ...], noise: list[tuple[int, str]]
) -> None:
    pieces = [*parts[:5], host, *parts[5:]]
    for at, text in noise:
        pieces[at] += text
    line = "".join(pieces)
    df = pl.DataFrame({"text": [line]})
    r, n, ours = (s.to_list()[0] for s in relay._fields(df))
    g = df["text"].str.extract_groups(_REFERENCE)
    want_r, want_n, app = (g.struct.field(f).to_list()[0] for f in ("r", "n", "app"))
    want_ours = want_n is not None and app is not None and app[:3] in ("ICM", "CVP")
    assert (r, ours) == (want_r, want_ours), line
    if ours:
        assert n == want_n, line


def test_a_cvp_named_by_address_stays_apart_when_two_cvp_hosts_could_be_it(
    tmp_path: Path,
) -> None:
    one, _two, truth = _bundles("network_path", 3, tmp_path, by_name=False)
    cvp = next(h for h, v in truth["hosts"].items() if v["role"] == "cvp")
    other = one / "CVP9"  # another Call Server's snapshot: which one the address is, is unknown
    other.mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "config" / "netsh_global_2008r2.txt", other)
    f = run([one]).findings
    hosts = {h.name for h in f.hosts}
    assert {cvp, "CVP9", truth["hosts"][cvp]["ip"]} <= hosts


def test_no_room_to_split_the_senders_reads_the_file_whole_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The senders' files could not be written (a full disk): the run stopped with
    'unexpected OSError ... (please report this)'. The file is now read whole, as one log, one
    warning says why, and the rest of the bundle is analysed."""
    import errno

    one, _two, _truth = _bundles("dpc_storm_cvp", 1, tmp_path, by_name=True)

    def full(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(relay, "_write", full)
    a = run([one]).findings
    said = [w for w in a.warnings if w.startswith(f"{one.name}/SYSLOG01/messages: ")]
    assert said and "could not be written apart (No space left on device)" in said[0]
    assert a.incidents and a.incidents[0].causes[0].id == "dpc_storm"
