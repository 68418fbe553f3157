"""Both servers' files flat in one folder, laid out as engineers collect them by hand, must give
the verdict of the servers' own folders: each file on the server that wrote it, no file left
to an ``UNNAMED`` host, the culprit the same server.

- Each file named after its server's address (``192.0.2.16_pim1.txt``,
  ``192.0.2.20_netsh_int_tcp_show_global.txt``), as a collection script that loops over the
  servers' addresses writes them: the address is a word of the file name like a server's name
  (it was split into numbers and dropped, so the CVP's ``netsh`` went to ``UNNAMED`` and the
  TCP offload incident was blamed on ``UNNAMED``).
- Both servers' files sorted by kind into folders that name no server (``logs/``, ``perfmon/``,
  ``config/``, ``trace/``), each file named after its server (``config/PG3A_netsh_int_tcp_show_
  global.txt`` beside ``config/CVP3_systeminfo.txt``): the file name places a file that names
  nobody, not the folder (``config/`` was taken as one server's, or its files as nobody's, and
  the PG's TCP offload was blamed on ``UNNAMED``); a word that leads both servers' file names
  (``ACME_``) names a site, and each server's generic folder still names its files.
- The files under their own names, the PG's computer (``ICMPGA01``) not its ICM node's name
  (``pgsite7a``), the CVP's logs without a sender address: the PIM log is the one PG
  computer's (it was a host of its own, because the CVP log and its Error log, which name
  nobody, were counted as two other servers).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from layouts import prepare
from test_host_layouts import _analyze

from hbtriage.simulate.scenarios import generate


def _laid_out(src: Path, dst: Path, place: Any) -> Path:
    """Every file of the server folders under ``src`` copied into ``dst`` at ``place(server
    folder, file name)``."""
    for server in sorted(p for p in src.iterdir() if p.is_dir()):
        for f in sorted(server.iterdir()):
            (dst / place(server.name, f.name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst / place(server.name, f.name))
    return dst


def _top(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(inc["causes"][0]["id"], inc["causes"][0]["host"]) for inc in doc["incidents"]]


def _host_of(doc: dict[str, Any], file_name: str) -> str | None:
    return next(i["host"] for i in doc["inputs"] if i["path"].endswith(file_name))


def test_a_pim_log_flat_beside_its_pg_computers_perfmon_is_that_computers(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "sim"
    truth = generate("vm_stun_pg", bundle, 3)  # the PG's VM stunned
    fs = prepare(bundle, "renamed", tmp_path / "set", truth)  # PG: ICMPGA01, node pgsite7a
    parent = _analyze(tmp_path / "out-parent", fs.data)
    flat = _laid_out(fs.data, tmp_path / "flat", lambda server, f: f)

    doc = _analyze(tmp_path / "out-flat", flat)

    assert _top(parent) == [("vm_stun", "ICMPGA01")]
    assert _top(doc) == _top(parent)
    assert _host_of(doc, "pim1.txt") == "ICMPGA01"
    assert [c["confidence"] for c in doc["incidents"][0]["causes"][:1]] == [
        c["confidence"] for c in parent["incidents"][0]["causes"][:1]
    ]
    assert json.dumps(doc["hosts"]).count("pgsite7a") == 1  # one alias, no host of its own


_KIND_FOLDER = {"pim1.txt": "logs", ".log": "logs", "perfmon.csv": "perfmon", "dpcisr": "trace"}
_ADDRESS = {"PG2A": "192.0.2.16", "CVP2": "192.0.2.20"}  # tcp_offload_cvp seed 1's


def _by_kind(server: str, f: str) -> str:
    folder = next((d for k, d in _KIND_FOLDER.items() if k in f), "config")
    return f"{folder}/{f if f.startswith(server) else f'{server}_{f}'}"


@pytest.mark.parametrize(
    ("scenario", "seed", "place", "culprit", "placed"),
    [
        pytest.param(
            "tcp_offload_cvp",
            1,
            lambda server, f: f"{_ADDRESS[server]}_{f}",
            "CVP2",
            {"192.0.2.20_netsh_int_tcp_show_global.txt": "CVP2", "192.0.2.16_pim1.txt": "PG2A"},
            id="flat-named-by-address",
        ),
        pytest.param(
            "tcp_offload_pg",
            1,
            _by_kind,
            "PG3A",
            {
                "config/PG3A_netsh_int_tcp_show_global.txt": "PG3A",
                "config/CVP3_netsh_int_tcp_show_global.txt": "CVP3",
            },
            id="sorted-by-kind",
        ),
    ],
)
def test_files_named_after_their_server_are_that_servers(
    tmp_path: Path, scenario: str, seed: int, place: Any, culprit: str, placed: dict[str, str]
) -> None:
    bundle = tmp_path / "sim"
    truth = generate(scenario, bundle, seed)
    parent = _analyze(tmp_path / "out-parent", *(bundle / name for name in truth["hosts"]))
    laid_out = _laid_out(bundle, tmp_path / "laid-out", place)

    doc = _analyze(tmp_path / "out", laid_out)

    assert _top(parent) == [("tcp_offload", culprit)]
    assert _top(doc) == _top(parent)
    assert sorted(h["name"] for h in doc["hosts"]) == sorted(truth["hosts"])
    assert {f: _host_of(doc, f) for f in placed} == placed


def test_a_site_word_leading_both_servers_file_names_names_no_server(tmp_path: Path) -> None:
    bundle = tmp_path / "sim"
    generate("tcp_offload_pg", bundle, 1)
    site = _laid_out(
        bundle,
        tmp_path / "site",
        lambda server, f: f"{'logs' if server == 'PG3A' else 'cvp'}/ACME_{f}",
    )

    doc = _analyze(tmp_path / "out-site", site)

    assert _top(doc) == [("tcp_offload", "PG3A")]
    assert _host_of(doc, "logs/ACME_netsh_int_tcp_show_global.txt") == "PG3A"
    assert _host_of(doc, "cvp/ACME_netsh_int_tcp_show_global.txt") == "CVP3"
