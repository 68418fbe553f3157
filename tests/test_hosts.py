"""Host identity: one host per server from folders, content names, addresses and aliases."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.hosts import Clues, folder_chain, identify
from hbtriage.sources.base import InputFile
from hbtriage.warning_text import said_id


def _c(display: str, kind: str, given: str | None, **kw: object) -> Clues:
    item = InputFile(display=display, path="/nonexistent/" + display, given=given)
    return Clues(
        display=display,
        kind=kind,
        folders=folder_chain(item),
        filename=display.rsplit("/", 1)[-1].rsplit("!", 1)[-1],
        **kw,  # type: ignore[arg-type]
    )


def _bundle(top: str | None) -> list[Clues]:
    """A PG and a CVP whose folder, Windows, ICM node and address names all differ, laid out
    under ``top`` (the parent named by the user) or with each host folder named on its own."""
    pg = "bundle/PG7A" if top else "PG7A"
    cvp = "bundle/CVP1B" if top else "CVP1B"
    g_pg, g_cvp = ("bundle", "bundle") if top else ("PG7A", "CVP1B")
    return [
        _c(f"{pg}/perf.csv", "perfmon_csv", g_pg, machines=["PGSRV01"]),
        _c(f"{pg}/pim1.txt", "icm_dumplog", g_pg, writer="pg7aB", role="pg"),
        _c(f"{cvp}/perf.csv", "perfmon_csv", g_cvp, machines=["CVPSRV02"]),
        _c(f"{cvp}/CVP.log", "cvp_log", g_cvp, writer="203.0.113.24", role="cvp"),
        _c(f"{cvp}/Error.log", "cvp_log", g_cvp, writer="203.0.113.24", role="cvp"),
    ]


def test_every_name_of_a_server_is_one_host_in_both_layouts() -> None:
    for top in ("bundle", None):
        ident = identify(_bundle(top))
        assert [h for h, _ in ident.assigned] == ["PGSRV01"] * 2 + ["CVPSRV02"] * 3, top
        assert ident.hosts["PGSRV01"].aliases == ["PG7A", "pg7aB"]
        assert ident.hosts["CVPSRV02"].addresses == ["203.0.113.24"]
        assert ident.host_for("pg7ab") == "PGSRV01"
        assert ident.host_for("203.0.113.24") == "CVPSRV02"
        merged = [w for w in ident.warnings if w.startswith("host PGSRV01: also named")]
        assert len(merged) == 1 and "folder 'PG7A'" in merged[0]


def test_folder_named_on_the_command_line_names_files_without_perfmon() -> None:
    clues = [
        _c("PG7A/pim1.txt", "icm_dumplog", "PG7A", writer="pg7aB", role="pg"),
        _c("CVP1B/CVP.log", "cvp_log", "CVP1B", writer="203.0.113.24", role="cvp"),
    ]
    ident = identify(clues)
    assert [h for h, _ in ident.assigned] == ["PG7A", "CVP1B"]
    assert "named on the command line" in ident.assigned[1][1]
    assert ident.hosts["CVP1B"].addresses == ["203.0.113.24"]


def test_a_folder_with_two_servers_names_neither() -> None:
    clues = [
        _c("flat/PG1A_perfmon.csv", "perfmon_csv", "flat", machines=["PG1A"]),
        _c("flat/CVP1_perfmon.csv", "perfmon_csv", "flat", machines=["CVP1"]),
        _c("flat/PG1A_pim1.txt", "icm_dumplog", "flat", writer="pgsite7", role="pg"),
        _c("flat/CVP1_CVP.2013-03-30.log", "cvp_log", "flat", role="cvp"),
    ]
    ident = identify(clues)
    assert [h for h, _ in ident.assigned] == ["PG1A", "CVP1", "PG1A", "CVP1"]
    assert "flat" not in ident.hosts


def test_an_unnamed_cvp_log_joins_the_host_with_cvp_logs_or_cvp_name() -> None:
    clues = [
        _c("x/PG1A.csv", "perfmon_csv", "x", machines=["PG1A"]),
        _c("x/CVP1.csv", "perfmon_csv", "x", machines=["CVP1"]),
        _c("x/pim1.txt", "icm_dumplog", "x", writer="pg1A", role="pg"),
        _c("x/CVP.2013-03-30.log", "cvp_log", "x", role="cvp"),
    ]
    ident = identify(clues)
    assert ident.assigned[3][0] == "CVP1"
    assert "CVP server" in ident.assigned[3][1]


def test_conflicting_names_are_not_merged_and_said_once() -> None:
    # A PIM log whose node is the CVP's computer name: the folder (with the PG's perfmon) wins.
    clues = [
        _c("PG1A/perf.csv", "perfmon_csv", "PG1A", machines=["PG1A"]),
        _c("PG1A/pim1.txt", "icm_dumplog", "PG1A", writer="CVP1", role="pg"),
        _c("CVP1/perf.csv", "perfmon_csv", "CVP1", machines=["CVP1"]),
    ]
    ident = identify(clues)
    assert [h for h, _ in ident.assigned] == ["PG1A", "PG1A", "CVP1"]
    refused = [w for w in ident.warnings if "not merged" in w]
    assert len(refused) == 1 and "'CVP1'" in refused[0]


def test_alias_joins_two_computer_names() -> None:
    clues = [
        _c("a/new.csv", "perfmon_csv", "a", machines=["CVP1"]),
        _c("b/old.csv", "perfmon_csv", "b", machines=["CVP1-OLD"]),
    ]
    assert len(identify(clues).hosts) == 2
    ident = identify(clues, {"CVP1-OLD": "CVP1"})
    assert [h for h, _ in ident.assigned] == ["CVP1", "CVP1"]
    assert "CVP1-OLD" in ident.hosts["CVP1"].aliases


def test_folder_chain_of_archives_and_folders() -> None:
    item = InputFile("up/PG1A.zip!inner/pim1.txt", "/tmp/x", given="up")
    assert folder_chain(item) == [
        ("up/PG1A.zip!inner", "inner", False),
        ("up/PG1A.zip", "PG1A", False),
        ("up", "up", True),
    ]
    item = InputFile("c/PG1A.tar.gz!pim1.txt", "/tmp/x", given="c/PG1A.tar.gz")
    assert folder_chain(item) == [("c/PG1A.tar.gz", "PG1A", True)]


_NAMES = st.sampled_from(["PG1A", "PG2B", "CVP1", "CVP2", "ICMPG01"])


@settings(max_examples=150, deadline=None)
@given(
    hosts=st.lists(
        st.tuples(_NAMES, st.sampled_from(["pg", "cvp"])),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    ),
    order=st.randoms(use_true_random=False),
    per_host=st.booleans(),
)
def test_grouping_does_not_depend_on_order_or_layout(
    hosts: list[tuple[str, str]], order: object, per_host: bool
) -> None:
    """Property: each server's files land on one host named by its computer name, whatever
    the order of the inputs and whether each host folder or their parent was named."""
    clues: list[Clues] = []
    for name, role in hosts:
        folder = name if per_host else f"top/{name}"
        given = name if per_host else "top"
        kind = "icm_dumplog" if role == "pg" else "cvp_log"
        clues.append(_c(f"{folder}/perf.csv", "perfmon_csv", given, machines=[name]))
        clues.append(_c(f"{folder}/a.log", kind, given, role=role))
        clues.append(_c(f"{folder}/b.log", kind, given, role=role))
    order.shuffle(clues)  # type: ignore[attr-defined]
    ident = identify(clues)
    for c, (host, _why) in zip(clues, ident.assigned, strict=True):
        assert host == c.display.split("/")[-2]
    assert sorted(ident.hosts) == sorted(n for n, _ in hosts)


def test_a_file_name_word_shared_by_two_computers_names_no_host() -> None:
    """'site7' is in every file name: it names the site, so the unnamed CVP log is not given
    to PG1A by it (it goes to the host with the CVP-like name instead)."""
    clues = [
        _c("x/site7_PG1A_perfmon.csv", "perfmon_csv", "x", machines=["PG1A"]),
        _c("x/site7_CVP1_perfmon.csv", "perfmon_csv", "x", machines=["CVP1"]),
        _c("x/site7_pim1.txt", "icm_dumplog", "x", writer="pg1A", role="pg"),
        _c("x/site7_CVP.2013-03-30.log", "cvp_log", "x", role="cvp"),
    ]
    ident = identify(clues)
    assert [h for h, _ in ident.assigned] == ["PG1A", "CVP1", "PG1A", "CVP1"]
    assert "SITE7" not in ident.keys and "site7" not in ident.hosts["PG1A"].aliases


def test_file_name_word_links_files_that_all_carry_other_names() -> None:
    clues = [
        _c("f/CALLSRV_perfmon.csv", "perfmon_csv", "f", machines=["CVPSRV02"]),
        _c("f/CALLSRV_CVP.2013-01-23.log", "cvp_log", "f", writer="203.0.113.24", role="cvp"),
        _c("f/PGSIDE_A_perfmon.csv", "perfmon_csv", "f", machines=["ICMPGA01"]),
        _c("f/PGSIDE_A_pim1.txt", "icm_dumplog", "f", writer="pgsite7a", role="pg"),
    ]
    ident = identify(clues)
    assert [h for h, _ in ident.assigned] == ["CVPSRV02", "CVPSRV02", "ICMPGA01", "ICMPGA01"]
    assert ident.hosts["CVPSRV02"].addresses == ["203.0.113.24"]


def test_a_word_two_hosts_files_share_does_not_pull_one_file_across() -> None:
    """Both netsh snapshots say 'int' and 'show'; each file's host name word wins, whatever
    the order the files come in."""
    for order in (1, -1):
        clues = [
            _c("f/CVP1_perfmon.csv", "perfmon_csv", "f", machines=["CVP1"]),
            _c("f/PG1A_perfmon.csv", "perfmon_csv", "f", machines=["PG1A"]),
            _c("f/CVP1_netsh_int_tcp_show_global.txt", "config_snapshot", "f"),
            _c("f/PG1A_netsh_int_tcp_show_global.txt", "config_snapshot", "f"),
        ][::order]
        got = {c.filename: h for c, (h, _) in zip(clues, identify(clues).assigned, strict=True)}
        assert got["PG1A_netsh_int_tcp_show_global.txt"] == "PG1A"
        assert got["CVP1_netsh_int_tcp_show_global.txt"] == "CVP1"


def test_leading_file_name_words_link_before_later_ones() -> None:
    """Every name differs and only the file names tie a server's files; the netsh snapshots
    share 'int' and 'show' but each goes with its own prefix."""
    clues = [
        _c("f/PGSIDE_A_netsh_int_tcp_show_global.txt", "config_snapshot", "f"),
        _c("f/CALLSRV_netsh_int_tcp_show_global.txt", "config_snapshot", "f"),
        _c("f/PGSIDE_A_perfmon.csv", "perfmon_csv", "f", machines=["ICMPGA01"]),
        _c("f/CALLSRV_perfmon.csv", "perfmon_csv", "f", machines=["CVPSRV02"]),
    ]
    got = [h for h, _ in identify(clues).assigned]
    assert got == ["ICMPGA01", "CVPSRV02", "ICMPGA01", "CVPSRV02"]


def test_word_lists_are_catalog_data_and_checked() -> None:
    from hbtriage.errors import CatalogError
    from hbtriage.hosts import generic_folder, word_pattern

    assert generic_folder("logs") and generic_folder("2013-03-30") and not generic_folder("PG1A")
    good = '[[words]]\nid = "w"\ntitle = "t"\nreference = "r"\npatterns = ["pim\\\\d*"]\n'
    assert word_pattern(good, "x.toml", "w").match("PIM1")
    with pytest.raises(CatalogError, match="x.toml.*nope"):
        word_pattern(good, "x.toml", "nope")
    with pytest.raises(CatalogError, match="pattern does not compile"):
        word_pattern(good.replace("pim\\\\d*", "(unclosed"), "x.toml", "w")


def test_word_lists_are_read_from_one_parse_of_their_file() -> None:
    # Each word list of a names catalog comes from the file parsed once (a dozen lists were
    # a dozen parses of names.toml per run); a file that is no TOML is said every time.
    from hbtriage.errors import CatalogError
    from hbtriage.hosts import _word_entries, word_pattern

    good = '[[words]]\nid = "a"\npatterns = ["pg\\\\d"]\n[[words]]\nid = "b"\npatterns = ["cvp"]\n'
    before = _word_entries.cache_info()
    assert word_pattern(good, "y.toml", "a").match("PG1")
    assert word_pattern(good, "y.toml", "b", "{}").match("CVP") and not word_pattern(
        good, "y.toml", "a"
    ).match("CVP")
    after = _word_entries.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
    for _ in range(2):
        with pytest.raises(CatalogError, match="z.toml"):
            word_pattern("[[words", "z.toml", "a")


@pytest.mark.parametrize(
    "name",
    [
        "CVPLogs", "logfiles", "PerfData", "PerfLogs", "Admin", "DataCollector01", "CVP logs",
        "PG logs", "Perf Data", "EventLogs", "Cisco", "C$", "New Data Collector Set",
        "SR 123456789 - logs 2013-03-30", "CVP 2013-03-30", "VXMLServer", "CallServer",
        "pim1", "PIM 1", "logs (2)", "Copy of logs", "CVPLogs - Copy", "12.5.1.0",
    ],
)  # fmt: skip
def test_folders_named_for_their_contents_name_no_host(name: str) -> None:
    from hbtriage.hosts import generic_folder

    assert generic_folder(name)


@pytest.mark.parametrize(
    "name",
    [
        "PG1A", "CVP1", "pg1a", "CVP 1", "PG-A", "CVP1Logs", "CALLSRV", "PGSIDE_A", "ICMPGA01",
        "HostReports", "HostCounters", "SR 123456789 - CVP1 logs 2013-03-30", "cvp1.example.com",
        "198.51.100.24", "CVP1 (2)", "Copy of PG1A", "Side A", "198.51.100.24_8000",
        "logs 198.51.100.24",
    ],
)  # fmt: skip
def test_folders_named_after_a_server_name_it(name: str) -> None:
    from hbtriage.hosts import generic_folder

    assert not generic_folder(name)


def _callsrv(*extra: Clues, top: list[Clues] | None = None) -> list[Clues]:
    """CALLSRV/ with the CVP logs (sender address only) and two snapshots at its top, the
    perfmon and systeminfo of CVPSRV02 in two named sub-folders (so the folder rule does not
    make CALLSRV one server's), beside the PG's folder."""
    return [
        _c("b/PGSIDE_A/PGSIDE_A_perfmon.csv", "perfmon_csv", "b", machines=["ICMPGA01"]),
        _c("b/PGSIDE_A/pim1.txt", "icm_dumplog", "b", writer="pgsite7a", role="pg"),
        _c("b/CALLSRV/HostCounters/p.csv", "perfmon_csv", "b", machines=["CVPSRV02"]),
        _c("b/CALLSRV/HostReports/systeminfo.txt", "config_snapshot", "b", machines=["CVPSRV02"]),
        *(
            top
            if top is not None
            else [
                _c("b/CALLSRV/CVP.log", "cvp_log", "b", writer="203.0.113.24", role="cvp"),
                _c("b/CALLSRV/Error.log", "cvp_log", "b", writer="203.0.113.24", role="cvp"),
            ]
        ),
        _c("b/CALLSRV/netsh.txt", "config_snapshot", "b"),
        *extra,
    ]


def test_a_cvp_log_named_by_address_joins_the_one_computer_its_folder_names() -> None:
    ident = identify(_callsrv())
    assert [h for h, _ in ident.assigned] == ["ICMPGA01"] * 2 + ["CVPSRV02"] * 5
    assert sorted(ident.hosts) == ["CVPSRV02", "ICMPGA01"]
    assert ident.hosts["CVPSRV02"].addresses == ["203.0.113.24"]
    assert ident.assigned[4][1].startswith("folder 'CALLSRV' (in the bundle) holds only CVPSRV02")
    assert ident.assigned[6][1] == "folder 'CALLSRV' (in the bundle) holds only CVPSRV02's files"


def test_an_address_log_does_not_join_a_computer_where_another_server_may_be() -> None:
    """Not merged: two CVP senders at the top (two CVP servers); a PIM log in the folder (the
    address is its peer); the address in another host's systeminfo; a sub-folder named after
    another server; the log in a named folder of its own beside the computer's (two servers)."""
    two = identify(
        _callsrv(
            top=[
                _c("b/CALLSRV/CVP.log", "cvp_log", "b", writer="203.0.113.24", role="cvp"),
                _c("b/CALLSRV/CVP2.log", "cvp_log", "b", writer="203.0.113.25", role="cvp"),
            ]
        )
    )
    assert {"203.0.113.24", "203.0.113.25"} <= set(two.hosts)
    assert two.host_for("203.0.113.24") != two.host_for("203.0.113.25")
    pim = identify(_callsrv(_c("b/CALLSRV/pim1.txt", "icm_dumplog", "b", writer="pg9", role="pg")))
    assert pim.host_for("203.0.113.24") != pim.host_for("CVPSRV02")
    other = _c(
        "b/CVPB/systeminfo.txt",
        "config_snapshot",
        "b",
        machines=["CVPSRV09"],
        addresses=["203.0.113.24"],
    )
    listed = identify(_callsrv(other))
    assert listed.host_for("203.0.113.24") == "CVPSRV09"
    assert listed.assigned[4][0] == "CVPSRV09"
    named = identify(_callsrv(_c("b/CALLSRV/CVP7/ndis.txt", "config_snapshot", "b")))
    assert named.host_for("203.0.113.24") != named.host_for("CVPSRV02")
    side = identify(
        [
            _c("b/PG1A/PG1A_perfmon.csv", "perfmon_csv", "b", machines=["PG1A"]),
            _c("b/PG1A/netsh.txt", "config_snapshot", "b"),
            _c("b/CVP1/CVP.log", "cvp_log", "b", writer="203.0.113.24", role="cvp"),
        ]
    )
    assert [h for h, _ in side.assigned] == ["PG1A", "PG1A", "CVP1"]


def test_snapshots_that_name_nobody_join_the_one_host_with_snapshots_beside_them() -> None:
    """In a flat folder, netsh and ndis.sys snapshots go with the host whose systeminfo sits
    beside them; with two such hosts, or none in that folder, nothing tells, and they stay on
    the stand-in host."""
    servers = [
        _c("f/pim1.txt", "icm_dumplog", "f", writer="pg1A", role="pg"),
        _c("f/CVP.log", "cvp_log", "f", writer="192.0.2.20", role="cvp"),
        _c("f/a.csv", "perfmon_csv", "f", machines=["PG1A"]),
        _c("f/b.csv", "perfmon_csv", "f", machines=["CVP1"]),
    ]
    loose = [_c("f/netsh.txt", "config_snapshot", "f"), _c("f/ndis.txt", "config_snapshot", "f")]
    cvp_info = _c("f/systeminfo.txt", "config_snapshot", "f", machines=["CVP1"])
    one = identify([*servers, cvp_info, *loose])
    assert [h for h, _ in one.assigned[-2:]] == ["CVP1", "CVP1"]
    assert one.assigned[-1][1] == "the only host with other configuration snapshots in its folder"
    pg_info = _c("f/pg/systeminfo.txt", "config_snapshot", "f", machines=["PG1A"])
    elsewhere = identify([*servers, pg_info, *loose])  # PG1A's systeminfo is in another folder
    both = identify(
        [*servers, cvp_info, _c("f/si2.txt", "config_snapshot", "f", machines=["PG1A"]), *loose]
    )
    for ident in (elsewhere, both):
        assert [h for h, _ in ident.assigned[-2:]] == ["UNNAMED", "UNNAMED"]


@pytest.mark.parametrize(
    ("folder", "host"),
    [
        ("PG1A_logs_20130330", "PG1A"),
        ("SR 123456789 - PG1A logs 2013-03-30", "PG1A"),
        ("PG1A perfmon", "PG1A"),
        ("PG1A - Copy", "PG1A"),
        ("CVP 1 logs", "CVP 1"),
        ("PGSIDE_A", "PGSIDE_A"),
        ("cvp1.example.com", "cvp1.example.com"),
        ("logs", "logs"),
        # A short number after the name is part of it: two servers stay two.
        ("Server-1", "Server-1"),
        ("Server-2 logs", "Server-2"),
        ("ccx-01 perfmon", "ccx-01"),
        # ... unless the name has its number: then a number after an underscore or a space
        # numbers the user's parts of one server's files; a hyphen may be the name's own
        ("CVP2_1", "CVP2"),
        ("PG2A 2 logs", "PG2A"),
        ("cvp01-02", "cvp01-02"),
        ("Server_2", "Server_2"),
        # Letters of any script are letters, and a byte that is no text (shown escaped) is
        # part of its word: no name falls apart into a generic word and a stray piece.
        ("ЦВП-1", "ЦВП-1"),
        ("Сервер1 logs", "Сервер1"),
        ("CVPé", "CVPé"),
        ("CVP\\xe9", "CVP\\xe9"),
        # What Windows adds to a copy's name is no part of it; an address is a name whole.
        ("CVP1 (2)", "CVP1"),
        ("Copy of PG1A", "PG1A"),
        ("Copy (2) of PG1A", "PG1A"),
        ("PG1A - Copy (2)", "PG1A"),
        ("コピー ～ PG1A", "PG1A"),
        ("PG1A - コピー", "PG1A"),
        ("PG1A_logs_20130330 (3)", "PG1A"),
        ("198.51.100.24", "198.51.100.24"),
        ("CVP 2", "CVP 2"),
        # An address with a port, or generic words, names the server by its address; beside a
        # server's name, the name.
        ("198.51.100.24_8000", "198.51.100.24"),
        ("198.51.100.24 port 8000", "198.51.100.24"),
        ("SR 612345678 198.51.100.24 logs 2013-03-30", "198.51.100.24"),
        ("Server 198.51.100.24", "198.51.100.24"),
        ("PG1A_198.51.100.24", "PG1A"),
        ("CVP2 (198.51.100.24)", "CVP2"),
        ("198.51.100.24 - CALLSRV02", "CALLSRV02"),
        ("198.51.100.24_20130330", "198.51.100.24"),
    ],
)
def test_a_folder_names_its_host_by_its_words_that_are_not_generic(folder: str, host: str) -> None:
    from hbtriage.hosts import folder_host

    assert folder_host(folder) == host


_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_\-]{0,12}[0-9][A-Za-z]?", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(name=_NAME, n=st.integers(2, 99), form=st.integers(0, 4))
def test_a_copy_of_a_folder_names_the_host_the_folder_names(name: str, n: int, form: int) -> None:
    """Whatever the name, Windows' copy marks around it change neither whether it is generic
    nor the host it names."""
    from hbtriage.hosts import folder_host, generic_folder

    copy = [f"{name} ({n})", f"Copy of {name}", f"Copy ({n}) of {name}", f"{name} - Copy",
            f"{name} - Copy ({n})"][form]  # fmt: skip
    assert generic_folder(copy) == generic_folder(name)
    assert folder_host(copy) == folder_host(name)


@pytest.mark.parametrize(
    ("folder", "host", "side"),
    [
        ("CVP1側ログ", "CVP1", False),  # CVP1-side logs
        ("PG3A号機", "PG3A", False),  # machine PG3A
        ("CVP1のログ", "CVP1", False),  # CVP1's logs
        ("CVP1サーバー", "CVP1", False),  # server CVP1
        ("PG3A側", "PG3A", False),
        ("A側", "A側", True),  # side A
        ("B側ログ", "B側", True),  # side B's logs
        ("サイドAログ", "サイドA", True),
        ("PG1 B系", "PG1 B系", True),  # PG1, system B
    ],
)
def test_a_servers_name_run_into_japanese_words_is_its_name(
    folder: str, host: str, side: bool
) -> None:
    """Japanese writes no space between a server's name and the words after it: the folder
    'CVP1側ログ' named a host 'CVP1側ログ'. Its name is 'CVP1'; a duplex side run into them
    ('B側ログ') stays a side, not a server called 'B'."""
    from hbtriage.hosts import folder_host, generic_folder, side_folder

    assert (folder_host(folder), side_folder(folder)) == (host, side)
    assert not generic_folder(folder)


@pytest.mark.parametrize(
    ("folder", "host", "side"),
    [
        ("CVP Call Server 1", "CVP Call Server 1", False),
        ("VXML Server 1 logs", "VXML Server 1", False),
        ("ICM PG1A logs", "PG1A", False),
        ("CVP side A", "side A", True),
        ("PGSIDE_A", "PGSIDE_A", False),
        ("PG1 Side A", "PG1 Side A", True),
    ],
)
def test_the_words_of_a_folder_that_name_its_server(folder: str, host: str, side: bool) -> None:
    """'CVP Call Server 1' named a host 'Call Server 1': the product word before a name that
    does not say what the server is belongs to it (not before 'PG1A', which does)."""
    from hbtriage.hosts import folder_host, side_folder

    assert (folder_host(folder), side_folder(folder)) == (host, side)


@pytest.mark.parametrize("name", ["CVP-side", "PG side logs", "CVP側"])
def test_a_folder_named_for_one_end_of_the_link_names_no_server(name: str) -> None:
    """'CVP-side' (the CVP's end) named a host 'side'."""
    from hbtriage.hosts import generic_folder

    assert generic_folder(name)


def test_side_folders_name_a_side_of_the_folder_above() -> None:
    """'PG1/Side A' and 'PG2/Side A' are two servers, each shown by its ICM node; a side's
    folder is not listed as another name of a host its logs name."""
    ident = identify(
        [
            _c("b/PG1/Side A/pim1.txt", "icm_dumplog", "b", writer="pg1A", role="pg"),
            _c("b/PG2/Side A/pim1.txt", "icm_dumplog", "b", writer="pg2A", role="pg"),
            _c("b/PG2/Side A/netsh.txt", "config_snapshot", "b"),
            _c("b/PG3/Side A/netsh.txt", "config_snapshot", "b"),
        ]
    )
    assert [h for h, _ in ident.assigned] == ["pg1A", "pg2A", "pg2A", "PG3 Side A"]
    assert ident.hosts["pg1A"].aliases == []
    assert ident.host_for("PG2 Side A") == "pg2A"


def test_a_computer_name_cut_to_15_characters_is_the_longer_name() -> None:
    """Windows cuts a DNS host name to 15 characters for the NetBIOS name perfmon writes: the
    two are one computer; two names that differ within 15 characters stay two."""
    one = identify(
        [
            _c("f/a.csv", "perfmon_csv", "f", machines=["CVPCALLSERVER01"]),
            _c("f/System.txt", "eventlog", "f", machines=["cvpcallserver01a.example.com"]),
        ]
    )
    assert sorted(one.hosts) == ["CVPCALLSERVER01"]
    assert "cvpcallserver01a.example.com" in one.hosts["CVPCALLSERVER01"].aliases
    two = identify(
        [
            _c("f/a.csv", "perfmon_csv", "f", machines=["CVPCALLSERVER01"]),
            _c("f/System.txt", "eventlog", "f", machines=["cvpcallserver02a.example.com"]),
        ]
    )
    assert len(two.hosts) == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2013-02-22T02-12-56.847000", "2013-02-22T02-13-17.202000"),
        ("20130222T021256", "20130222T021317"),
        ("2013-02-22_02.12.56", "2013-02-22_02.13.17"),
        ("2013-02-22T02:12:56Z", "2013-02-22T02:13:17Z"),
    ],
)
def test_a_date_and_time_in_a_file_name_names_no_host(first: str, second: str) -> None:
    """Two WPA exports named by their time stamps ('2013-02-22T02-12-56.847000_...'), one
    from each server, collected in one folder with both servers' perfmon: the stamps' shared piece '22T02' holds a letter
    and was taken for a host's name, so both reports went to a host called '22T02'. With
    nothing else to place them, they go to UNNAMED (and the user is told)."""
    clues = [
        _c("logs/PG1A_perfmon.csv", "perfmon_csv", "logs", machines=["PG1A"]),
        _c("logs/CVP1_perfmon.csv", "perfmon_csv", "logs", machines=["CVP1"]),
        _c(f"logs/{first}_DPC_ISR_Raw_Rows.csv", "wpa_dpcisr", "logs"),
        _c(f"logs/{second}_DPC_ISR_Raw_Rows.csv", "wpa_dpcisr", "logs"),
    ]
    ident = identify(clues)
    assert [h for h, _ in ident.assigned] == ["PG1A", "CVP1", "UNNAMED", "UNNAMED"]
    assert sorted(ident.hosts) == ["CVP1", "PG1A", "UNNAMED"]


def test_cvp_logs_known_by_their_address_join_the_one_computer_named_as_a_cvp() -> None:
    """Both servers' files flat in one folder: the CVP's logs (known by the address they are
    sent from) and CVP2's perfmon are one server, and the PIM log's peer; not when another
    server may be theirs (a second PIM, another folder named for a CVP), when the computer's
    name does not say CVP, or when their times are days apart."""

    def flat(*extra: Clues, machine: str = "CVP2", cvp_day: int = 15) -> list[Clues]:
        log = _c("f/CVP.2013-04-15.log", "cvp_log", "f", writer="192.0.2.20", role="cvp")
        log.span = (datetime(2013, 4, cvp_day, 2), datetime(2013, 4, cvp_day, 3))
        perf = _c("f/cvp_perfmon.csv", "perfmon_csv", "f", machines=[machine])
        perf.span = (datetime(2013, 4, 15, 2), datetime(2013, 4, 15, 3))
        return [
            _c("f/pim1.txt", "icm_dumplog", "f", writer="pg2A", role="pg"),
            _c("f/PG2A_perfmon.csv", "perfmon_csv", "f", machines=["PG2A"]),
            log,
            perf,
            *extra,
        ]

    one = identify(flat())
    assert [h for h, _ in one.assigned] == ["PG2A", "PG2A", "CVP2", "CVP2"]
    assert sorted(one.hosts) == ["CVP2", "PG2A"] and one.host_for("192.0.2.20") == "CVP2"
    assert [said_id(w) for w in one.warnings] == ["host_by_role_machine"]
    renamed = identify(flat(machine="CVPSRV02"))
    assert renamed.host_for("192.0.2.20") == "CVPSRV02"
    # The PG known by its ICM node name alone (no perfmon of its own) is still the one PG.
    node_only = identify([c for c in flat() if c.display != "f/PG2A_perfmon.csv"])
    assert node_only.host_for("192.0.2.20") == "CVP2" and len(node_only.hosts) == 2
    for apart in (
        identify(flat(_c("f/pim2.txt", "icm_dumplog", "f", writer="pg3B", role="pg"))),
        identify(flat(_c("f/CVP7/ndis.txt", "config_snapshot", "f"))),
        identify(flat(machine="SRV02")),
        identify(flat(cvp_day=20)),
    ):
        computer = apart.host_for("CVP2") or apart.host_for("SRV02")
        assert computer is not None and apart.host_for("192.0.2.20") != computer


@pytest.mark.parametrize(
    ("machine", "joined"),
    [
        ("SJCCVP02", True),  # a site's prefix before the product word
        ("sjc-cvp-02", True),
        ("CallServer02", True),  # the CVP's own role name (catalog/names.toml role_cvp)
        ("PGCVP02", False),  # says both roles: not taken for either
        ("SJCPG02", False),  # says the other role
    ],
)
def test_a_computer_name_says_its_role_however_it_is_written(machine: str, joined: bool) -> None:
    """The one computer only perfmon names joins the CVP logs known by their sender address
    when its name says CVP in any of the ways sites name their Call Servers, and never when
    it says the PG's role."""
    log = _c("f/CVP.2013-04-15.log", "cvp_log", "f", writer="192.0.2.20", role="cvp")
    log.span = (datetime(2013, 4, 15, 2), datetime(2013, 4, 15, 3))
    perf = _c("f/cvp_perfmon.csv", "perfmon_csv", "f", machines=[machine])
    perf.span = log.span
    ident = identify(
        [
            _c("f/pim1.txt", "icm_dumplog", "f", writer="pg2A", role="pg"),
            _c("f/PG2A_perfmon.csv", "perfmon_csv", "f", machines=["PG2A"]),
            log,
            perf,
        ]
    )
    if joined:
        assert sorted(ident.hosts) == sorted(["PG2A", machine])
        assert ident.host_for("192.0.2.20") == machine
    else:
        assert ident.host_for("192.0.2.20") != machine


def test_a_computer_named_for_the_role_is_said_to_take_only_the_logs() -> None:
    """The PG's folder, named by its address, holds its PIM log (ICM node only) and its DPC/ISR
    report; the PG's computer is named only by its part of the collector's perfmon CSV. The
    warning that the PG logs are taken as that computer's listed the report as a PG log."""

    def part(display: str, machine: str) -> Clues:
        c = _c(display, "perfmon_csv", None, machines=[machine])
        c.folders, c.whole = [], display.rsplit(" ", 1)[0]
        return c

    report = "2013-04-15T03-19-38.426000_DPC_ISR_Raw_Rows.csv"
    ident = identify(
        [
            _c("b/192.0.2.16/log.txt", "icm_dumplog", "b", writer="pgsite7a", role="pg"),
            _c(f"b/192.0.2.16/{report}", "wpa_dpcisr", "b"),
            part("b/192.0.2.16/DataCollector01.csv [ICMPGA01]", "ICMPGA01"),
            part("b/192.0.2.16/DataCollector01.csv [CVPSRV02]", "CVPSRV02"),
            _c("b/callsrv/log.txt", "cvp_log", "b", writer="203.0.113.24", role="cvp"),
        ]
    )
    assert [h for h, _ in ident.assigned] == ["ICMPGA01"] * 3 + ["CVPSRV02"] * 2
    said = [str(w) for w in ident.warnings if said_id(w) == "host_by_role_machine"]
    assert [w.split(":", 1)[0] for w in said] == ["host CVPSRV02", "host ICMPGA01"]
    assert "the PG logs that name no computer (log.txt) are taken" in said[1]
