"""One server's folder inside the other's: the user copied the CVP's folder into the PG's
(``PGSIDE_A/`` holding the PG's files and ``PGSIDE_A/CALLSRV/`` the CVP's, ``logs/`` and
``logs/CVP/``), the other way round, or a level down (``ticket/PGSIDE_A/CALLSRV/``). The files
directly in the outer folder are its own server's, whatever server folder sits below it; the
folder below stays the other server's. Each layout must give what the same folders side by
side give: the hosts, every file on its server, nothing ``UNNAMED``, one incident and its
culprit.

The bundle is generated here: tcp_offload_pg seed 7 (PG2A and CVP2, 2013-09-17, TCP offload on
PG2A). Each server's folder holds a ``netsh_int_tcp_show_global.txt`` that names nobody: the
PG's one, beside the PG's files directly in the outer folder, was ``UNNAMED`` and the culprit
of the incident became ``UNNAMED``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from test_host_layouts import _analyze  # analyze --format json, findings.json read

from hbtriage.simulate.scenarios import generate

NETSH = "netsh_int_tcp_show_global.txt"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "offload"
    generate("tcp_offload_pg", root, 7)
    return root


def _lay(bundle: Path, root: Path, outer: str, inner: str, *, logs_only: bool) -> None:
    """``outer``/``inner`` are "<server>=<folder path>", the inner one's path below the outer's
    (or beside it, for the layout of reference)."""
    skip = shutil.ignore_patterns("*perfmon.csv", "systeminfo.txt") if logs_only else None
    for spec in (outer, inner):
        server, folder = spec.split("=")
        shutil.copytree(bundle / server, root / folder, ignore=skip)


def _seen(doc: dict[str, Any]) -> tuple[list[str], list[Any], dict[str, str]]:
    hosts = sorted(h["name"] for h in doc["hosts"])
    verdict = [
        (sorted(inc["hosts"]), inc["causes"][0]["id"], inc["causes"][0]["host"])
        for inc in doc["incidents"]
    ]
    # each file by its server's folder and its name: the host it went to
    placed = {
        "/".join(i["path"].split("/")[-2:]): i["host"]
        for i in doc["inputs"]
        if not i["path"].endswith("truth.json")
    }
    return hosts, verdict, placed


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        # The CVP's folder in the PG's, each named by neither server's name.
        ("PG2A=PGSIDE_A", "CVP2=PGSIDE_A/CALLSRV"),
        # The PG's files in a folder named for what it holds, the CVP's in a role's folder.
        ("PG2A=logs", "CVP2=logs/CVP"),
        # The other way round, folders named by role only.
        ("CVP2=CVP", "PG2A=CVP/PG"),
        # Three levels: a ticket's folder above the PG's, the CVP's inside the PG's.
        ("PG2A=SR 612345678/PGSIDE_A", "CVP2=SR 612345678/PGSIDE_A/CALLSRV"),
        # The inner one named by its address, or by a generic word.
        ("PG2A=PGSIDE_A", "CVP2=PGSIDE_A/192.0.2.20"),
        ("PG2A=PGSIDE_A", "CVP2=PGSIDE_A/logs"),
    ],
)
@pytest.mark.parametrize("logs_only", [False, True], ids=["full", "logs_only"])
def test_a_server_folder_inside_the_other_is_placed_as_side_by_side(
    bundle: Path, tmp_path: Path, outer: str, inner: str, logs_only: bool
) -> None:
    nested = tmp_path / "nested"
    _lay(bundle, nested, outer, inner, logs_only=logs_only)
    # The same folders side by side, each under its own last name.
    side = tmp_path / "side"
    _lay(
        bundle,
        side,
        *(f"{s.split('=')[0]}={s.split('=')[1].rsplit('/', 1)[-1]}" for s in (outer, inner)),
        logs_only=logs_only,
    )
    hosts, verdict, placed = _seen(_analyze(tmp_path / "out", nested))
    ref_hosts, ref_verdict, ref_placed = _seen(_analyze(tmp_path / "ref", side))

    assert not any(h.startswith("UNNAMED") for h in hosts), placed
    assert hosts == ref_hosts
    assert placed == ref_placed
    assert verdict == ref_verdict
    assert len(verdict) == 1
    if not logs_only:  # (with logs only, the hosts are the folders' names)
        assert verdict == [(["CVP2", "PG2A"], "tcp_offload", "PG2A")]
        assert placed[f"{outer.split('=')[1].rsplit('/', 1)[-1]}/{NETSH}"] == outer.split("=")[0]


def test_the_outer_folder_s_files_say_why(bundle: Path, tmp_path: Path) -> None:
    """The reason given for a file beside the other server's folder says it is the files
    directly in that folder that are the host's (not that the folder holds only its files)."""
    _lay(bundle, tmp_path / "in", "PG2A=PGSIDE_A", "CVP2=PGSIDE_A/CALLSRV", logs_only=False)
    doc = _analyze(tmp_path / "out", tmp_path / "in")
    why = {
        i["path"].rsplit("/", 2)[-2] + "/" + i["path"].rsplit("/", 1)[-1]: i for i in doc["inputs"]
    }
    netsh = why[f"PGSIDE_A/{NETSH}"]
    assert netsh["host"] == "PG2A"
    assert "the files directly in folder 'PGSIDE_A'" in netsh["host_reason"]
    assert "直下のファイル" in netsh["host_reason_ja"]
    assert "holds only CVP2's files" in why[f"CALLSRV/{NETSH}"]["host_reason"]


def test_a_stray_file_beside_two_server_folders_stays_apart(bundle: Path, tmp_path: Path) -> None:
    """A case folder holding ``PG2A/`` and ``CVP2/`` and, directly, a file that names nobody is
    no server's folder: the file is still kept apart with the warning that says how to name
    it (the rule above needs a server's own log beside it)."""
    _lay(bundle, tmp_path / "case", "PG2A=PGSIDE_A", "CVP2=CALLSRV", logs_only=False)
    shutil.copyfile(bundle / "PG2A" / NETSH, tmp_path / "case" / NETSH)
    doc = _analyze(tmp_path / "out", tmp_path / "case")
    stray = next(i for i in doc["inputs"] if i["path"] == f"case/{NETSH}")
    assert stray["host"] == "UNNAMED"
    assert any(w.startswith(f"case/{NETSH}: ") for w in doc["warnings"])
    assert [(inc["causes"][0]["host"]) for inc in doc["incidents"]] == ["PG2A"]
