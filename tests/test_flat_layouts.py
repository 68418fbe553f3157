"""Both servers' files flat in one folder, laid out as engineers collect them by hand, must give
the verdict of the servers' own folders: each file on the server that wrote it, no file left
to an ``UNNAMED`` host, the culprit the same server.

- Each file named after its server's address (``192.0.2.16_pim1.txt``,
  ``192.0.2.20_netsh_int_tcp_show_global.txt``), as a collection script that loops over the
  servers' addresses writes them: the address is a word of the file name like a server's name
  (it was split into numbers and dropped, so the CVP's ``netsh`` went to ``UNNAMED`` and the
  TCP offload incident was blamed on ``UNNAMED``).
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

from layouts import prepare
from test_host_layouts import _analyze

from hbtriage.simulate.scenarios import generate


def _flat(src: Path, dst: Path, name: Any) -> Path:
    """Every file of the server folders under ``src`` copied into ``dst``, named ``name(server
    folder, file name)``."""
    dst.mkdir(parents=True)
    for server in sorted(p for p in src.iterdir() if p.is_dir()):
        for f in sorted(server.iterdir()):
            shutil.copyfile(f, dst / name(server.name, f.name))
    return dst


def _top(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(inc["causes"][0]["id"], inc["causes"][0]["host"]) for inc in doc["incidents"]]


def _host_of(doc: dict[str, Any], file_name: str) -> str | None:
    return next(i["host"] for i in doc["inputs"] if i["path"].endswith(file_name))


def test_files_named_by_their_servers_address_are_that_servers(tmp_path: Path) -> None:
    bundle = tmp_path / "sim"
    truth = generate("tcp_offload_cvp", bundle, 1)  # PG2A 192.0.2.16, CVP2 192.0.2.20
    ip = {name: h["ip"] for name, h in truth["hosts"].items()}
    parent = _analyze(tmp_path / "out-parent", *(bundle / name for name in ip))
    flat = _flat(bundle, tmp_path / "flat", lambda server, f: f"{ip[server]}_{f}")

    doc = _analyze(tmp_path / "out-flat", flat)

    assert _top(parent) == [("tcp_offload", "CVP2")]
    assert _top(doc) == _top(parent)
    assert sorted(h["name"] for h in doc["hosts"]) == ["CVP2", "PG2A"]
    assert _host_of(doc, "192.0.2.20_netsh_int_tcp_show_global.txt") == "CVP2"
    assert _host_of(doc, "192.0.2.16_pim1.txt") == "PG2A"


def test_a_pim_log_flat_beside_its_pg_computers_perfmon_is_that_computers(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "sim"
    truth = generate("vm_stun_pg", bundle, 3)  # the PG's VM stunned
    fs = prepare(bundle, "renamed", tmp_path / "set", truth)  # PG: ICMPGA01, node pgsite7a
    parent = _analyze(tmp_path / "out-parent", fs.data)
    flat = _flat(fs.data, tmp_path / "flat", lambda server, f: f)

    doc = _analyze(tmp_path / "out-flat", flat)

    assert _top(parent) == [("vm_stun", "ICMPGA01")]
    assert _top(doc) == _top(parent)
    assert _host_of(doc, "pim1.txt") == "ICMPGA01"
    assert [c["confidence"] for c in doc["incidents"][0]["causes"][:1]] == [
        c["confidence"] for c in parent["incidents"][0]["causes"][:1]
    ]
    assert json.dumps(doc["hosts"]).count("pgsite7a") == 1  # one alias, no host of its own
