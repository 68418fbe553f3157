"""The same simulated bundle laid out the ways users hand files over, and the verdicts on each.

A bundle from :func:`hbtriage.simulate.scenarios.generate` is ``<PG>/``, ``<CVP>/`` and
``truth.json``. :func:`prepare` copies the host folders into a *file set* (a variant of which
files exist and how the servers are named) and :func:`layout` turns a file set into the
argument paths a user would give ``hbtriage analyze``:

layouts
    ``parent``               the folder above the host folders (canonical)
    ``per_host``             each host folder as its own argument
    ``zip_per_host``         one zip per host, the files at the zip's root
    ``zip_per_host_nested``  one zip per host holding ``<HOST>/...``
    ``flat``                 every file in one folder, the host only in the file name
                             (``PG1A_pim1.txt``, ``CVP1_CVP.2013-03-30.log``, ``PG1A_perfmon.csv``)
    ``files``                every file of the host folders as its own argument
    ``explorer_copies``      the host folders as Windows and a ticket tool name them, under
                             ``SR 612345678/From customer/``: ``Copy of <PG>/``, ``<CVP> (2)/``
    ``twice``                the parent folder with every file given twice: each host folder
                             also copied as ``<HOST> - Copy/``, each log also as ``<log>.gz``
    ``side_folder``          the PG's files in ``PG/Side A/`` (a duplex PG's side), the CVP's in
                             ``CVP/<CVP>/``
    ``per_host_logs``        each server's files in a folder of the same generic name, each
                             given as its own argument: ``1/logs`` and ``2/logs``
    ``per_host_inner``       each server's files in a generic folder inside its folder, each
                             given as its own argument: ``<PG>/logs`` and ``<CVP>/Logs``
    ``flat_home``            every file as in ``flat``, in a generic folder of a user's home
                             folder, given: ``alice/logs`` (the name above names no server)

file sets (variants)
    ``full``                 as generated
    ``perfmon_pg_only``      the CVP host's perfmon deleted
    ``perfmon_cvp_only``     the PG host's perfmon deleted
    ``no_perfmon``           both perfmon files deleted
    ``renamed``              every name of a server differs: folder, perfmon ``\\\\MACHINE``,
                             ICM node in the dumplog, CVP sender address (and systeminfo's
                             Host Name, the computer name of a LatencyMon or tracerpt DPC/ISR
                             report, the CVP address where the PIM log names it, a file name
                             that starts with the server's name)

:class:`HostNames` keeps every name of each truth host, so a verdict's host can be compared
by identity (:func:`identity`). :func:`run_bundle` does a whole bundle (every file set x
layout, optionally the CLI) and returns plain JSON-able verdicts; the tests and
``bench/accuracy.py --layouts`` run it in worker processes.

Importable from the tests (``tests/conftest.py`` puts ``bench/`` on ``sys.path``).
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

#: Layouts that rename or repeat folders around the same files ("CVP1 (2)", a file given
#: twice, "PG1/Side A", two arguments both called "logs", version folders, archives of one
#: generic name): the host rules they test do not depend on a scenario's random draws, so the
#: unit suite runs them on one seed (tests/test_layouts.py); ``--layouts`` on every bundle.
FOLDER_NAME_LAYOUTS: tuple[str, ...] = (
    "explorer_copies",
    "twice",
    "side_folder",
    "per_host_logs",
    "side_args",
    "version_folders",
    "zip_generic",
    "per_host_inner",
    "flat_home",
)
#: Layouts that keep each server's files in a folder named after it (or an archive of its
#: name): their hosts must be shown by the names the parent layout shows them by.
SHOWN_AS_PARENT: tuple[str, ...] = ("version_folders", "zip_generic", "per_host_inner")
LAYOUTS: tuple[str, ...] = (
    "parent",
    "per_host",
    "zip_per_host",
    "zip_per_host_nested",
    "flat",
    "files",
    *FOLDER_NAME_LAYOUTS,
)
VARIANTS: tuple[str, ...] = ("full", "perfmon_pg_only", "perfmon_cvp_only", "no_perfmon", "renamed")

#: The names a server gets in the ``renamed`` file set, by role.
RENAMED: dict[str, dict[str, str | None]] = {
    "pg": {"folder": "PGSIDE_A", "machine": "ICMPGA01", "node": "pgsite7a", "address": None},
    "cvp": {"folder": "CALLSRV", "machine": "CVPSRV02", "node": None, "address": "203.0.113.24"},
}

#: A found incident matches a true one when their windows overlap with this much slack.
SLACK = timedelta(seconds=30)


# --------------------------------------------------------------------------- names


@dataclass
class HostNames:
    """Every name one truth host goes by in a file set."""

    truth: str  # the name in truth.json
    role: str  # pg | cvp
    folder: str  # its folder (and the prefix of its files in the flat layout)
    machine: str  # perfmon \\MACHINE, systeminfo Host Name
    node: str | None  # ICM node in the dumplog (pg only)
    address: str  # its IP (CVP sender prefix, PIM "VRU at <ip>", CVP "VRU PIM <ip>")
    perfmon_encoding: str
    files: list[str] = field(default_factory=list)  # relative to the file set's data folder

    def all(self) -> set[str]:
        """Every name, case-folded (the truth name only when the file set keeps it: a host
        still called by it in the ``renamed`` file set is a name left over, not the server)."""
        names = {self.folder, self.machine, self.address}
        if self.folder == self.truth:
            names.add(self.truth)
        if self.node:
            names.add(self.node)
        return {n.casefold() for n in names}


@dataclass
class FileSet:
    variant: str
    data: Path  # the folder above the host folders
    work: Path  # scratch space for the layouts
    hosts: dict[str, HostNames]  # truth name -> names

    def folder(self, truth_name: str) -> Path:
        return self.data / self.hosts[truth_name].folder


# --------------------------------------------------------------------------- file sets


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _codec(data: bytes, declared: str) -> tuple[bytes, str]:
    """(BOM, codec of the bytes after it) for a file written in ``declared`` encoding."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if declared not in ("utf-8-sig", "utf-16", codec):
                raise ValueError(f"{declared} file starts with a {codec} BOM")
            return bom, codec
    if declared in ("utf-8-sig", "utf-16"):
        raise ValueError(f"{declared} file without a BOM")
    return b"", declared


def _rewrite(path: Path, encoding: str, edit: Any) -> None:
    """Decode ``path`` in ``encoding`` (BOM kept), apply ``edit(text) -> text``, re-encode.

    Raises when the file does not round-trip byte for byte unedited (so nothing but the
    edit can change)."""
    data = path.read_bytes()
    bom, codec = _codec(data, encoding)
    text = data[len(bom) :].decode(codec)
    if text.encode(codec) != data[len(bom) :]:
        raise ValueError(f"{path}: {encoding} does not round-trip")
    path.write_bytes(bom + edit(text).encode(codec))


def _ip_re(ip: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\d.])" + re.escape(ip) + r"(?![\d])")


def _rename(data: Path, truth: dict[str, Any], hosts: dict[str, HostNames]) -> None:
    """Rename both servers inside the copied host folders (folders still carry truth names)."""
    old_cvp_ip = next(h["ip"] for h in truth["hosts"].values() if h["role"] == "cvp")
    subs = {old_cvp_ip: str(RENAMED["cvp"]["address"])}
    for name, h in hosts.items():
        _rename_server(data / name, name, h, subs)
        (data / name).rename(data / h.folder)


def _rename_server(folder: Path, name: str, h: HostNames, subs: dict[str, str]) -> None:
    """Give server ``name``'s files in ``folder`` the names of ``h``: its perfmon ``\\\\MACHINE``
    and file name, systeminfo's Host Name, a DPC/ISR report's computer name, its ICM node
    (pg), a file name that starts with its name; and every address in ``subs`` the new one."""
    ips = [(_ip_re(old), new) for old, new in subs.items()]

    def addresses(t: str) -> str:
        for old, new in ips:
            t = old.sub(new, t)
        return t

    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        base = path.name
        if base == f"{name}_perfmon.csv":
            machine = re.compile(r"\\\\" + re.escape(name) + r"\\", re.IGNORECASE)
            _rewrite(
                path,
                h.perfmon_encoding,
                lambda t, m=machine, new=h.machine: m.sub(lambda _: "\\\\" + new + "\\", t),
            )
            path.rename(path.with_name(f"{h.folder}_perfmon.csv"))
            continue
        enc = _text_encoding(path)
        edits: list[Any] = [addresses]
        if base == "systeminfo.txt":
            edits.append(
                lambda t, new=h.machine: re.sub(
                    r"^(Host Name:\s+)\S+", lambda m: m.group(1) + new, t, flags=re.M
                )
            )
        # The computer name a DPC/ISR report writes: LatencyMon's "Computer name:",
        # tracerpt's boxed "Computer:" row (xperf and WPA exports write none).
        edits.append(
            lambda t, old=name, new=h.machine: re.sub(
                r"^(\W*Computer(?: name)?:[ \t]+)" + re.escape(old) + r"\b",
                lambda m: m.group(1) + new,
                t,
                flags=re.M | re.I,
            )
        )
        if h.role == "pg":
            old_node = name[:2].lower() + name[2:]
            node = re.compile(r"^(\d\d:\d\d:\d\d(?::\d{3})?) " + re.escape(old_node) + "-", re.M)
            edits.append(lambda t, n=node, new=h.node: n.sub(lambda m: f"{m.group(1)} {new}-", t))
        _rewrite(path, enc, lambda t, es=edits: _chain(t, es))
        if base.startswith(f"{name}_"):  # "CVP1_latencymon.txt", "PG1A_dpcisr.txt"
            path.rename(path.with_name(h.folder + base[len(name) :]))


#: The addresses :func:`second_pair` gives the second PG and CVP server of a site.
SECOND_PAIR_ADDRESSES = {"pg": "192.0.2.17", "cvp": "192.0.2.21"}


def second_pair(bundle: Path, dst: Path, pg: str, cvp: str) -> dict[str, HostNames]:
    """Copy the two servers of generated ``bundle`` into ``dst/<pg>`` and ``dst/<cvp>`` as
    servers ``pg`` and ``cvp`` of the same site as another bundle's pair (side B of a duplex
    PG and a second CVP server): every name of each renamed as :data:`RENAMED` does it, and
    the addresses moved to :data:`SECOND_PAIR_ADDRESSES`, so no name links them to the first
    pair. Returns their names by role."""
    truth = json.loads((bundle / "truth.json").read_text(encoding="utf-8"))
    subs = {info["ip"]: SECOND_PAIR_ADDRESSES[info["role"]] for info in truth["hosts"].values()}
    out: dict[str, HostNames] = {}
    for name, info in truth["hosts"].items():
        new = pg if info["role"] == "pg" else cvp
        h = HostNames(
            truth=new,
            role=info["role"],
            folder=new,
            machine=new,
            node=new[:2].lower() + new[2:] if info["role"] == "pg" else None,
            address=subs[info["ip"]],
            perfmon_encoding=info["encoding"],
        )
        shutil.copytree(bundle / name, dst / new)
        _rename_server(dst / new, name, h, subs)
        out[info["role"]] = h
    return out


def _text_encoding(path: Path) -> str:
    """How :func:`_rename` decodes a log or snapshot: by its BOM when it has one (localized
    Windows hosts write UTF-16 snapshots), else UTF-8 CVP logs and, for the rest (cp1252
    dumplogs, cp1250/cp1251/cp866 snapshots), Latin-1, which round-trips any byte: every edit
    is on ASCII text (addresses, host and node names)."""
    head = path.read_bytes()[:3]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return "latin-1" if path.name.endswith(".txt") else "utf-8"


def _chain(text: str, edits: list[Any]) -> str:
    for e in edits:
        text = e(text)
    return text


def prepare(bundle: Path, variant: str, work: Path, truth: dict[str, Any] | None = None) -> FileSet:
    """Copy the host folders of ``bundle`` into ``work/data`` as file set ``variant``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    truth = truth or json.loads((bundle / "truth.json").read_text(encoding="utf-8"))
    data = work / "data"
    data.mkdir(parents=True)
    hosts: dict[str, HostNames] = {}
    for name, info in truth["hosts"].items():
        shutil.copytree(bundle / name, data / name)
        role = info["role"]
        if variant == "renamed":
            r = RENAMED[role]
            hosts[name] = HostNames(
                truth=name,
                role=role,
                folder=str(r["folder"]),
                machine=str(r["machine"]),
                node=r["node"],
                address=str(r["address"] or info["ip"]),
                perfmon_encoding=info["encoding"],
            )
        else:
            hosts[name] = HostNames(
                truth=name,
                role=role,
                folder=name,
                machine=name,
                node=name[:2].lower() + name[2:] if role == "pg" else None,
                address=info["ip"],
                perfmon_encoding=info["encoding"],
            )
        drop = {
            "perfmon_pg_only": role == "cvp",
            "perfmon_cvp_only": role == "pg",
            "no_perfmon": True,
        }.get(variant, False)
        if drop:
            (data / name / f"{name}_perfmon.csv").unlink()
    if variant == "renamed":
        _rename(data, truth, hosts)
    for h in hosts.values():
        h.files = sorted(
            p.relative_to(data).as_posix() for p in (data / h.folder).rglob("*") if p.is_file()
        )
    return FileSet(variant, data, work, hosts)


# --------------------------------------------------------------------------- layouts


def _flat_name(folder: str, rel: str) -> str:
    base = rel.split("/", 1)[1].replace("/", "_")
    return base if base.startswith(f"{folder}_") else f"{folder}_{base}"


def layout(fs: FileSet, name: str) -> list[Path]:
    """The argument paths of layout ``name`` for file set ``fs`` (built under ``fs.work``)."""
    hosts = sorted(fs.hosts.values(), key=lambda h: h.role != "pg")  # PG first
    if name == "parent":
        return [fs.data]
    if name == "per_host":
        return [fs.data / h.folder for h in hosts]
    if name == "files":
        return [fs.data / rel for h in hosts for rel in h.files]
    if name in ("zip_per_host", "zip_per_host_nested"):
        out = fs.work / name
        out.mkdir(exist_ok=True)
        zips = []
        for h in hosts:
            z = out / f"{h.folder}.zip"
            with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
                for rel in h.files:
                    arc = rel if name == "zip_per_host_nested" else rel.split("/", 1)[1]
                    zf.write(fs.data / rel, arc)
            zips.append(z)
        return zips
    if name in ("flat", "flat_home"):
        # flat_home: both servers' files flat in a user's "logs" folder ("alice" names neither).
        out = fs.work / ("flat" if name == "flat" else "flat_home/alice/logs")
        out.mkdir(parents=True, exist_ok=True)
        for h in hosts:
            for rel in h.files:
                dst = out / _flat_name(h.folder, rel)
                if dst.exists():
                    raise ValueError(f"{name} layout: two files named {dst.name}")
                shutil.copyfile(fs.data / rel, dst)
        return [out]
    if name in ("explorer_copies", "side_folder"):
        out = fs.work / name
        for h in hosts:
            if name == "explorer_copies":
                where = f"SR 612345678/From customer/{_copied(h)}"
            else:
                where = "PG/Side A" if h.role == "pg" else f"CVP/{h.folder}"
            shutil.copytree(fs.folder(h.truth), out / where)
        return [out / "SR 612345678" if name == "explorer_copies" else out]
    if name == "per_host_logs":
        # Each server's files copied into a folder of the same generic name, each named on the
        # command line: "1/logs" and "2/logs".
        out = fs.work / name
        for n, h in enumerate(hosts, 1):
            shutil.copytree(fs.folder(h.truth), out / str(n) / "logs")
        return [out / str(n) / "logs" for n in range(1, len(hosts) + 1)]
    if name == "per_host_inner":
        # Each server's generic folder inside its own, named on the command line: "PG2A/logs"
        # and "CVP2/Logs" (names that differ, so no same-name rule shows the folder above).
        out = fs.work / name
        args = []
        for h in hosts:
            inner = out / h.folder / ("logs" if h.role == "pg" else "Logs")
            args.append(Path(shutil.copytree(fs.folder(h.truth), inner)))
        return args
    if name == "side_args":
        # The side_folder layout, each server's folder named on the command line:
        # "PG/Side A" and "CVP/<folder>".
        out = fs.work / name
        args = []
        for h in hosts:
            where = "PG/Side A" if h.role == "pg" else f"CVP/{h.folder}"
            args.append(Path(shutil.copytree(fs.folder(h.truth), out / where)))
        return args
    if name == "version_folders":
        # Each server's files under the release they were collected on, as the install
        # folders are: "<folder>/Cisco/CVP/12.5.1.3/", "<folder>/icm/11.6.1.2/".
        out = fs.work / name
        for h in hosts:
            where = "Cisco/CVP/12.5.1.3" if h.role == "cvp" else "icm/11.6.1.2"
            shutil.copytree(fs.folder(h.truth), out / h.folder / where)
        return [out]
    if name == "zip_generic":
        # A zip per server, all called "logs.zip", each in its server's folder, each named.
        out = fs.work / name
        zips = []
        for h in hosts:
            z = out / h.folder / "logs.zip"
            z.parent.mkdir(parents=True)
            with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
                for rel in h.files:
                    zf.write(fs.data / rel, rel.split("/", 1)[1])
            zips.append(z)
        return zips
    if name == "twice":
        out = fs.work / "twice"
        for h in hosts:
            shutil.copytree(fs.folder(h.truth), out / h.folder)
            shutil.copytree(fs.folder(h.truth), out / f"{h.folder} - Copy")
            for rel in h.files:
                if re.fullmatch(r"pim\d*\.txt|.*\.log", Path(rel).name):  # the PIM and CVP logs
                    gz = gzip.compress((fs.data / rel).read_bytes(), mtime=0)
                    (out / f"{rel}.gz").write_bytes(gz)
        return [out]
    raise ValueError(f"unknown layout {name!r}; known: {', '.join(LAYOUTS)}")


def _copied(h: HostNames) -> str:
    """The name Windows gives a copy of ``h``'s folder (PG: "Copy of X", CVP: "X (2)")."""
    return f"Copy of {h.folder}" if h.role == "pg" else f"{h.folder} (2)"


# --------------------------------------------------------------------------- verdicts


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def identity(
    found: str | None, found_hosts: list[dict[str, Any]], names: dict[str, HostNames]
) -> str | None:
    """Which truth host a found host name is: the truth name; None for no host;
    ``?ambiguous(A|B)`` when its names belong to both servers, ``?unknown(x)`` to neither.

    The found name and the ``aliases``/``addresses`` of that host in findings ``hosts`` all
    count as its names."""
    if found is None:
        return None
    cands = {found.casefold()}
    for h in found_hosts:
        if str(h.get("name", "")).casefold() == found.casefold():
            cands |= {str(a).casefold() for a in h.get("aliases") or []}
            cands |= {str(a).casefold() for a in h.get("addresses") or []}
    hits = sorted(t for t, n in names.items() if n.all() & cands)
    if len(hits) == 1:
        return hits[0]
    return f"?ambiguous({'|'.join(hits)})" if hits else f"?unknown({found})"


def _short(path: str) -> str:
    parts = Path(path).parts
    return "/".join(parts[-2:])


def summarize(doc: dict[str, Any], names: dict[str, HostNames]) -> dict[str, Any]:
    """The verdict of a findings document (``Findings.to_dict()`` / CLI JSON), JSON-able."""
    hosts = [
        {
            "name": h["name"],
            "aliases": list(h.get("aliases") or []),
            "addresses": list(h.get("addresses") or []),
        }
        for h in doc.get("hosts", [])
    ]
    for h in hosts:
        h["id"] = identity(h["name"], hosts, names)
        # Shown by a name the server does not have ("CVP1 (2", "Side A"): said by misnamed().
        h["misnamed"] = h["id"] in names and h["name"].casefold() not in names[h["id"]].all()
    incidents = []
    for inc in sorted(doc.get("incidents", []), key=lambda i: i["start"]):
        top = inc["causes"][0] if inc.get("causes") else {"id": None, "host": None}
        incidents.append(
            {
                "start": inc["start"],
                "end": inc["end"],
                "top": top["id"],
                "host": top["host"],
                "id": identity(top["host"], hosts, names),
                "ranked": [c["id"] for c in inc.get("causes", [])][:3],
                "hosts": list(inc.get("hosts", [])),
            }
        )
    inputs = []
    for i in doc.get("inputs", []):
        host = i.get("host")
        inputs.append(
            {
                "path": _short(i["path"]),
                "kind": i.get("kind"),
                "host": host,
                "id": identity(host, hosts, names),
                "owner": owner(i["path"], names),
                "reason": i.get("host_reason", ""),
            }
        )
    return {"error": None, "incidents": incidents, "hosts": hosts, "inputs": inputs}


def owner(path: str, names: dict[str, HostNames]) -> str | None:
    """The truth host an input path came from: its host folder (or the copy of it a layout
    made: ``Copy of <folder>``, ``<folder> (2)``, ``<folder> - Copy``, the PG's ``Side A``),
    ``<folder>.zip`` or the ``<folder>_`` prefix of a flat file name."""
    numbered = re.search(r"(?:^|/)(\d+)/logs/", path)  # per_host_logs: "1/logs", PG first
    if numbered:
        ranked = sorted(names, key=lambda t: names[t].role != "pg")
        return ranked[int(numbered.group(1)) - 1] if int(numbered.group(1)) <= len(ranked) else None
    for part in re.split(r"[/\\!]", path):
        for t, h in names.items():
            if part == h.folder or part.startswith((f"{h.folder}_", f"{h.folder}.zip")):
                return t
            if part in (_copied(h), f"{h.folder} - Copy") or (part == "Side A" and h.role == "pg"):
                return t
    inner = re.match(r"(logs|Logs)/", path)  # per_host_inner: the PG's "logs", the CVP's "Logs"
    role = {"logs": "pg", "Logs": "cvp"}.get(inner.group(1)) if inner else None
    return next((t for t, h in names.items() if h.role == role), None)


def misassigned(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    """Inputs read as belonging to another server than the one they came from."""
    return [
        i
        for i in verdict.get("inputs", [])
        if i.get("kind") not in ("unsupported", "unreadable") and i.get("id") != i.get("owner")
    ]


def misnamed(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    """Hosts shown by a name that is none of their server's (its folder, computer, ICM node or
    address): "CVP1 (2" for the folder "CVP1 (2)", "Side A" for the PG's side folder."""
    return [h for h in verdict.get("hosts", []) if h.get("misnamed")]


def analyze_layout(fs: FileSet, name: str) -> dict[str, Any]:
    """Run ``hbtriage.analyze`` on layout ``name`` of ``fs``; a crash is a verdict too."""
    from hbtriage import analyze

    args = layout(fs, name)
    t0 = time.perf_counter()
    try:
        doc = analyze(args).to_dict()
    except Exception as exc:  # noqa: BLE001 - a crash is a result here
        return {"error": f"{type(exc).__name__}: {exc}", "incidents": [], "hosts": [], "inputs": []}
    verdict = summarize(doc, fs.hosts)
    verdict["seconds"] = round(time.perf_counter() - t0, 3)
    return verdict


def hbtriage_cli() -> list[str]:
    """The ``hbtriage`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("hbtriage")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from hbtriage.cli import main; main()"]


def analyze_cli(fs: FileSet, out: Path) -> dict[str, Any]:
    """``hbtriage analyze PG/ CVP/ --format json`` (the host folders, with their slash)."""
    hosts = sorted(fs.hosts.values(), key=lambda h: h.role != "pg")
    args = [f"{fs.data / h.folder}/" for h in hosts]
    cmd = [*hbtriage_cli(), "analyze", *args, "--format", "json", "--quiet", "--out", str(out)]
    shown = f"hbtriage analyze {' '.join(h.folder + '/' for h in hosts)} --format json"
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    failed: dict[str, Any] = {"incidents": [], "hosts": [], "inputs": [], "command": shown}
    # 2 with JSON on stdout: an input was bad (said on stderr), the rest was analysed.
    if res.returncode not in (0, 2) or (res.returncode == 2 and not res.stdout.strip()):
        return failed | {"error": f"exit {res.returncode}: {res.stderr.strip()[-500:]}"}
    try:
        doc = json.loads(res.stdout)
    except json.JSONDecodeError as exc:
        return failed | {"error": f"stdout is not JSON ({exc}): {res.stdout[:300]!r}"}
    verdict = summarize(doc, fs.hosts)
    verdict["command"] = shown
    return verdict


def run_bundle(
    scenario: str,
    seed: int,
    variants: tuple[str, ...] = VARIANTS,
    layouts: tuple[str, ...] = LAYOUTS,
    cli: bool = False,
) -> dict[str, Any]:
    """Generate ``scenario``/``seed`` and return the verdict of every file set x layout.

    ``{"scenario", "seed", "truth": {"incidents", "hosts"}, "variants": {variant: {"names":
    {truth host: HostNames as dict}, "layouts": {layout: verdict}, "cli": verdict}}}``; the CLI
    runs on the ``full`` file set only."""
    from hbtriage.simulate.scenarios import generate

    with tempfile.TemporaryDirectory(prefix="hbtriage-layouts-") as tmp:
        root = Path(tmp)
        truth = generate(scenario, root / "bundle", seed)
        result: dict[str, Any] = {
            "scenario": scenario,
            "seed": seed,
            "truth": {
                "incidents": truth["incidents"],
                "hosts": {k: {"role": v["role"], "ip": v["ip"]} for k, v in truth["hosts"].items()},
            },
            "variants": {},
        }
        for variant in variants:
            fs = prepare(root / "bundle", variant, root / variant, truth)
            res: dict[str, Any] = {
                "names": {k: asdict(v) for k, v in fs.hosts.items()},
                "layouts": {name: analyze_layout(fs, name) for name in layouts},
            }
            if cli and variant == "full":
                res["cli"] = analyze_cli(fs, root / "cli-out")
            result["variants"][variant] = res
        return result


def names_of(variant_result: dict[str, Any]) -> dict[str, HostNames]:
    """The :class:`HostNames` of a file set back from :func:`run_bundle`'s JSON."""
    return {k: HostNames(**v) for k, v in variant_result["names"].items()}


# --------------------------------------------------------------------------- comparing


def overlaps(found: dict[str, Any], true: dict[str, Any]) -> bool:
    return (
        _t(found["start"]) <= _t(true["end"]) + SLACK
        and _t(found["end"]) >= _t(true["start"]) - SLACK
    )


def splits(verdict: dict[str, Any], truth_incidents: list[dict[str, Any]]) -> int:
    """How many true incidents more than one found incident overlaps."""
    return sum(sum(overlaps(f, t) for f in verdict["incidents"]) > 1 for t in truth_incidents)


def match_truth(
    verdict: dict[str, Any], truth_incidents: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(true incident, the first unused found incident overlapping it, or None)."""
    used: set[int] = set()
    out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for t in truth_incidents:
        hit = None
        for k, f in enumerate(verdict["incidents"]):
            if k not in used and overlaps(f, t):
                used.add(k)
                hit = f
                break
        out.append((t, hit))
    return out


def describe(verdict: dict[str, Any], *, inputs: bool = True) -> str:
    """A verdict in a few lines, for failure messages and the bench."""
    if verdict.get("error"):
        return f"    CRASH {verdict['error']}"
    lines = []
    for k, i in enumerate(verdict["incidents"], 1):
        lines.append(
            f"    incident {k}: {i['start']} .. {i['end']}  top {i['top']} on {i['host']}"
            f" (= {i['id']})  ranked {i['ranked']}  hosts {i['hosts']}"
        )
    if not verdict["incidents"]:
        lines.append("    no incident")
    hosts = ", ".join(
        f"{h['name']} (= {h['id']}; aliases {h['aliases']}, addresses {h['addresses']})"
        for h in verdict.get("hosts", [])
    )
    lines.append(f"    hosts: {hosts}")
    if inputs:
        for i in verdict.get("inputs", []):
            wrong = i.get("id") != i.get("owner")
            lines.append(
                f"      {i['path']:<42} {i['kind']:<15} -> {i['host']}  ({i['reason']})"
                + (f"  <- WRONG SERVER: the file is {i.get('owner')}'s" if wrong else "")
            )
    return "\n".join(lines)
