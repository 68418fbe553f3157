"""Random layouts of a user's own making: the features of bench/layouts.py, composed.

    python bench/layout_fuzz.py --n 300 [--seed 1] [--workers 2]
    python bench/layout_fuzz.py --replay bench/out/layout-fuzz/s1-0042.json
    python bench/layout_fuzz.py --seed 1 --case 42          # the same draw, from its numbers

Each draw takes a simulated bundle (:data:`SCENARIOS`, a few seeds) as a file set of
``bench/layouts.py`` (``full``, one or no perfmon, ``renamed`` servers), drops some of its files,
and lays the two servers out by drawing every feature independently (:func:`draw`):

    names     each server's folder: its name, lower case, a copy ("PG2A (2)", "Copy of CVP2"),
              ticket words ("SR 612345678 PG2A logs"), a generic word ("logs", "cvp"), its
              address (also "192.0.2.16_8000", "PG2A (192.0.2.16)"), a date suffix ("CVP2_20131116"), a Japanese word ("CVP2 ログ", "PG側ログ")
    above     folders above the servers' ("SR 612345678/From customer")
    inner     generic folders inside a server's: ``logs/``, ``PerfLogs/Admin/HB/<M>_2013...``,
              ``C$/Cisco/CVP/logs``, ``icm/<node>/pim1/logfiles``, a drive copied whole
              (``C/Cisco/CVP/logs``, ``D/icm/...``), a day's folder (``day1``)
    files     file names: as generated, generic (``DataCollector01.csv``, ``log.txt``),
              prefixed by the server's folder name, dated
    wrap      none, a zip per server, a zip of everything, a tar.gz, a zip of per-server zips,
              a ``.gz`` per log, a zip of everything as a Japanese Windows Explorer writes it
              (names in cp932 without the UTF-8 flag, ``\\`` between folders)
    args      the parent, each server's folder, the inner generic folders, every file, a mix
              (one server's folder + the other's zip), ``.`` from inside the parent
    drop      systeminfo, the CVP's Error log, the DPC/ISR report
    merged    both perfmon CSVs as one multi-machine CSV in one server's folder
    cut       the PIM's dumplog cut in two by the user (``pim1_part1.txt``, ``pim1_part2.txt``:
              the second part without its ``Events from`` line)

and checks what a user sees (``hbtriage.analyze(...).to_dict()``): no crash; every true incident
found, once; the top cause and its server as the parent layout of the same files gives them
(when that one is right); each input on the server it came from; every host one server (none
split in two, none merged, none that is no server), shown by one of its names (never a generic
word, a copy mark or a ticket number). A failing draw's recipe (seed, case, features) is saved
under ``bench/out/layout-fuzz/`` and replays with ``--replay``. Deterministic from ``--seed``,
``--n`` (the draws are ``(seed, 0..n-1)``); ``--workers`` (at most 2) only spreads them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import tarfile
import tempfile
import time
import traceback
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from layouts import (  # noqa: E402 - bench/ on the path first
    VARIANTS,
    FileSet,
    HostNames,
    match_truth,
    prepare,
    splits,
    summarize,
)

SCENARIOS = (
    "dpc_storm_pg",
    "dpc_storm_cvp",
    "nic_errors_cvp",
    "vm_stun_pg",
    "two_incidents",
    "peer_restart_pg",
    "healthy",
)
SIM_SEEDS = (1, 2, 3)
FEATURES: dict[str, tuple[str, ...]] = {
    "variant": VARIANTS,
    "name_pg": ("truth", "lower", "copy", "ticket", "generic", "address", "dated", "japanese"),
    "name_cvp": ("truth", "lower", "copy", "ticket", "generic", "address", "dated", "japanese"),
    "above": ("none", "ticket", "deep"),
    "inner": ("none", "logs", "perflogs", "install", "drive", "day"),
    "files": ("generated", "generic", "prefixed", "dated"),
    "wrap": (
        "none",
        "zip_per_server",
        "zip_all",
        "tar_gz",
        "nested_zip",
        "gz_logs",
        "zip_explorer",
    ),
    "args": ("parent", "per_server", "inner", "files", "mix", "dot"),
    "drop": ("none", "systeminfo", "error_log", "dpc_report", "all"),
    "merged": ("no", "in_pg", "in_cvp"),
    "cut": ("no", "pim"),
}
GENERIC = {
    "pg": ("logs", "pg", "Server1", "data", "PG側ログ"),
    "cvp": ("logs", "cvp", "Server2", "Logs (2)", "CVP側ログ"),
}
#: Words that name no server: a host shown by one of them (or by a ticket number) is misnamed.
NOT_A_NAME = re.compile(
    r"(?i)^(logs?|pg|cvp|data|server|perflogs|admin|hb|icm|cisco|logfiles|c\$|sr|"
    r"copy.*|.*\(\d+\)|.*copy|\d{6,}|from customer|.*\bsr \d+.*|error|txt|csv|log|"
    r".*ログ.*|day\d+|[c-z]|.*[\x80-\xff].*)$"
)
OUT = Path(__file__).resolve().parent / "out" / "layout-fuzz"
#: Wraps that put the whole layout in one archive.
WRAPPED_ALL = ("zip_all", "nested_zip", "tar_gz", "zip_explorer")


# --------------------------------------------------------------------------- drawing


def draw(seed: int, case: int) -> dict[str, Any]:
    """The features of draw ``case`` of run ``seed`` (the same numbers, the same draw)."""
    rng = random.Random(f"layout-fuzz:{seed}:{case}")
    f: dict[str, Any] = {"scenario": rng.choice(SCENARIOS), "sim_seed": rng.choice(SIM_SEEDS)}
    for k, values in FEATURES.items():
        f[k] = rng.choice(values)
    f["pick"] = rng.randrange(1000)  # which generic word, which server goes zipped in "mix"
    return f


# --------------------------------------------------------------------------- building


_BUNDLES: dict[tuple[str, int], tuple[Path, dict[str, Any]]] = {}


def _bundle(scenario: str, seed: int, cache: Path) -> tuple[Path, dict[str, Any]]:
    """The generated bundle (kept for the worker's life: generating takes 1-2 s)."""
    from hbtriage.simulate.scenarios import generate

    key = (scenario, seed)
    if key not in _BUNDLES:
        where = cache / f"{scenario}-{seed}"
        if (where / "truth.json").exists():
            truth = json.loads((where / "truth.json").read_text(encoding="utf-8"))
        else:
            shutil.rmtree(where, ignore_errors=True)
            truth = generate(scenario, where, seed)
        _BUNDLES[key] = (where, truth)
    return _BUNDLES[key]


def _folder_name(h: HostNames, style: str, pick: int) -> str:
    return {
        "truth": h.folder,
        "lower": h.folder.lower(),
        "copy": f"Copy of {h.folder}" if pick % 2 else f"{h.folder} (2)",
        "ticket": f"SR 612345678 {h.folder} logs",
        "generic": GENERIC[h.role][pick % len(GENERIC[h.role])],
        # as a collection script names it, with the port, or after the server's name
        "address": (h.address, f"{h.address}_8000", f"{h.folder} ({h.address})")[pick % 3],
        "dated": f"{h.folder}_20131116",
        "japanese": f"{h.folder} ログ" if pick % 2 else f"{h.folder}_ログ採取",
    }[style]


def _kind(name: str) -> str:
    if name.endswith("_perfmon.csv"):
        return "perfmon"
    if re.fullmatch(r"pim\d*\.txt", name):
        return "pim"
    if name.startswith("CVP.") and name.endswith(".log"):
        return "cvp"
    if name.startswith("Error.") and name.endswith(".log"):
        return "error"
    if "DPC_ISR" in name or name.endswith(("_latencymon.txt", "_dpcisr.txt")):
        return "dpc"
    return "other"


def _file_name(h: HostNames, base: str, style: str) -> str:
    kind = _kind(base)
    if style == "generic":
        generic = {
            "perfmon": "DataCollector01.csv",
            "pim": "log.txt",
            "cvp": "log.txt",
            "error": "error.txt",
        }
        return generic.get(kind, base)
    if style == "prefixed":
        return base if base.startswith(f"{h.folder}_") else f"{h.folder}_{base}"
    if style == "dated":
        stem, dot, ext = base.rpartition(".")
        return f"{stem}_20131116.{ext}" if dot else f"{base}_20131116"
    return base


def _inner(h: HostNames, base: str, style: str) -> str:
    """The generic folders a file sits in inside its server's folder."""
    kind = _kind(base)
    if style == "logs":
        return "logs"
    if style == "perflogs" and kind == "perfmon":
        return f"PerfLogs/Admin/HB/{h.machine}_20131116-000001"
    if style == "install" and kind in ("cvp", "error"):
        return "C$/Cisco/CVP/logs"
    if style == "install" and kind == "pim":
        return f"icm/{(h.node or h.folder).lower()}/pim1/logfiles"
    if style == "drive":
        return {
            "cvp": "C/Cisco/CVP/logs",
            "error": "C/Cisco/CVP/logs",
            "pim": f"D/icm/{(h.node or h.folder).lower()}/pim1/logfiles",
            "perfmon": "C/PerfLogs",
        }.get(kind, "C")
    if style == "day":
        return "day1"
    return ""


def _merge_perfmon(fs: FileSet, collector: HostNames, truth: dict[str, Any]) -> bytes | None:
    """Both servers' perfmon CSVs as the collector's Data Collector Set writes them
    (:func:`hbtriage.simulate.collected.collected_perfmon`: its rows and time stamps, the
    other's cells blank while that one does not answer), or None: a perfmon missing, or the
    two in other languages, which one collector never writes."""
    from hbtriage.simulate.collected import collected_perfmon

    files = {t: fs.folder(t) / f"{h.folder}_perfmon.csv" for t, h in fs.hosts.items()}
    if not all(p.exists() for p in files.values()):
        return None
    if len({truth["hosts"][t]["locale"] for t in files}) > 1:
        return None
    return collected_perfmon(files, truth["hosts"], collector.truth)


def build(
    f: dict[str, Any], work: Path, cache: Path
) -> tuple[FileSet, dict[str, Any], Path, list[str], dict[tuple[str, ...], str], dict[str, str]]:
    """Lay out draw ``f`` under ``work``: (file set, truth, the folder to run in, the
    arguments, where each file ends up -> the truth host it came from, each server's
    folder name)."""
    bundle, truth = _bundle(f["scenario"], f["sim_seed"], cache)
    fs = prepare(bundle, f["variant"], work / "fs", truth)
    drop = f["drop"]
    for h in fs.hosts.values():
        for rel in list(h.files):
            kind = _kind(Path(rel).name)
            gone = (
                (drop in ("systeminfo", "all") and Path(rel).name == "systeminfo.txt")
                or (drop in ("error_log", "all") and kind == "error")
                or (drop in ("dpc_report", "all") and kind == "dpc")
            )
            if gone:
                (fs.data / rel).unlink()
                h.files.remove(rel)
    # Each server's files as {path inside its folder: bytes source path}.
    hosts = sorted(fs.hosts.values(), key=lambda h: h.role != "pg")
    folders = {h.truth: _folder_name(h, f[f"name_{h.role}"], f["pick"]) for h in hosts}
    if len({v.casefold() for v in folders.values()}) < 2:  # two of one name: the CVP's numbered
        cvp = hosts[-1].truth
        folders[cvp] = f"{folders[cvp]} (2)"
    merged = None
    if f["merged"] != "no":
        collector = hosts[0] if f["merged"] == "in_pg" else hosts[-1]
        merged = (collector, _merge_perfmon(fs, collector, truth))
        if merged[1] is None:
            merged = None
    placed: dict[str, list[tuple[str, Path | bytes]]] = {}
    for h in hosts:
        items: list[tuple[str, Path | bytes]] = []
        seen: set[str] = set()
        for rel in h.files:
            base = Path(rel).name
            if merged and _kind(base) == "perfmon":
                continue
            name = _file_name(h, base, f["files"])
            inner = _inner(h, base, f["inner"])
            where = f"{inner}/{name}" if inner else name
            while where.casefold() in seen:  # "log.txt" twice: the second numbered
                stem, _, ext = where.rpartition(".")
                where = f"{stem}1.{ext}"
            seen.add(where.casefold())
            if f.get("cut", "no") == "pim" and _kind(base) == "pim":
                lines = (fs.data / rel).read_bytes().splitlines(keepends=True)
                stem, _, ext = where.rpartition(".")
                half = len(lines) // 2
                items.append((f"{stem}_part1.{ext}", b"".join(lines[:half])))
                items.append((f"{stem}_part2.{ext}", b"".join(lines[half:])))
                continue
            items.append((where, fs.data / rel))
        if merged and merged[0].truth == h.truth:
            inner = _inner(h, "x_perfmon.csv", f["inner"])
            items.append(((f"{inner}/" if inner else "") + "DataCollector01.csv", merged[1]))
        placed[h.truth] = items
    above = {"none": "", "ticket": "SR 612345678", "deep": "case/From customer"}[f["above"]]
    root = work / "case"
    parent = root / above if above else root
    parent.mkdir(parents=True)
    where_from: dict[tuple[str, ...], str] = {}

    def put(path: Path, src: Path | bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, bytes):
            path.write_bytes(src)
        else:
            shutil.copyfile(src, path)

    wrap = f["wrap"]
    for h in hosts:
        for where, src in placed[h.truth]:
            name = Path(where).name
            if (
                wrap == "gz_logs"
                and _kind(name) in ("pim", "cvp", "error")
                or (wrap == "gz_logs" and name in ("log.txt", "log1.txt", "error.txt"))
            ):
                data = src if isinstance(src, bytes) else src.read_bytes()
                put(parent / folders[h.truth] / f"{where}.gz", gzip.compress(data, mtime=0))
            else:
                put(parent / folders[h.truth] / where, src)
    owners = {h.truth: h.truth for h in hosts}
    # Archives, built from the folders just written (then the folders go).
    if wrap in ("zip_per_server", "nested_zip"):
        for h in hosts:
            d = parent / folders[h.truth]
            _zip(d, d.with_name(d.name + ".zip"), inside=False)
            shutil.rmtree(d)
    if wrap in WRAPPED_ALL:
        tmp = work / "wrapped"
        if parent == root:
            parent.rename(tmp)
        else:
            shutil.move(str(root), str(tmp))
        root.mkdir(parents=True, exist_ok=True)
        archive = root / ("case.tar.gz" if wrap == "tar_gz" else "case.zip")
        if wrap == "tar_gz":
            with tarfile.open(archive, "w:gz") as tf:
                for p in sorted(tmp.rglob("*")):
                    if p.is_file():
                        tf.add(p, p.relative_to(tmp).as_posix())
        else:
            _zip(tmp, archive, inside=False, explorer=wrap == "zip_explorer")
        shutil.rmtree(tmp)
        parent = root
    args, cwd = _arguments(f, root, parent, folders, hosts, placed)
    # Where each file is now, by the parts of its path below ``root`` (archive members after
    # their archive's name, as the inputs' paths write them: ``a.zip!B/c.txt``).
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        for parts, host in _members(p, p.relative_to(root).parts, folders, owners):
            where_from[parts] = host
    return fs, truth, cwd, args, where_from, folders


class _OemName(zipfile.ZipInfo):
    """A member named in cp932 without the UTF-8 flag, as a Japanese Windows Explorer's 'Send
    to > Compressed (zipped) folder' writes it."""

    __slots__ = ("raw",)

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's name
        return self.raw, self.flag_bits & ~0x800


def _zip(folder: Path, dst: Path, *, inside: bool, explorer: bool = False) -> None:
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                arc = p.relative_to(folder.parent if inside else folder).as_posix()
                if not explorer:
                    zf.write(p, arc)
                    continue
                info = _OemName(arc.replace("/", "\\"), date_time=(2013, 11, 17, 9, 0, 0))
                info.raw = info.filename.encode("cp932")
                info.create_system, info.compress_type = 0, zipfile.ZIP_DEFLATED
                zf.writestr(info, p.read_bytes())


def _member_names(zf: zipfile.ZipFile) -> list[str]:
    """The members' names as their maker wrote them (cp932 without the UTF-8 flag; ``\\``
    between folders when made on Windows)."""
    out = []
    for m in zf.infolist():
        name = m.filename
        if not m.flag_bits & 0x800 and not name.isascii():
            name = name.encode("cp437").decode("cp932")
        out.append(name.replace("\\", "/") if m.create_system == 0 else name)
    return out


def _owner_of(parts: tuple[str, ...], folders: dict[str, str]) -> str | None:
    for part in (piece for p in parts for piece in p.split("!")):
        for t, name in folders.items():
            if part in (name, f"{name}.zip"):
                return t
    return None


def _members(
    p: Path, parts: tuple[str, ...], folders: dict[str, str], owners: dict[str, str]
) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path parts, truth host) of ``p`` and of every member of it when it is an archive."""
    name = p.name
    if name.endswith(".zip") or name.endswith(".tar.gz"):
        if name.endswith(".zip"):
            with zipfile.ZipFile(p) as zf:
                members = [
                    (name, zf.read(m))
                    for m, name in zip(zf.infolist(), _member_names(zf), strict=True)
                    if not name.endswith("/")
                ]
        else:
            with tarfile.open(p) as tf:
                members = []
                for m in tf.getmembers():
                    fo = tf.extractfile(m) if m.isfile() else None
                    if fo is not None:
                        members.append((m.name, fo.read()))
        for m, data in members:
            sub = (*parts[:-1], f"{parts[-1]}!{m.split('/')[0]}", *m.split("/")[1:])
            if m.endswith(".zip"):
                with tempfile.TemporaryDirectory() as t:
                    q = Path(t) / Path(m).name
                    q.write_bytes(data)
                    yield from _members(q, sub, folders, owners)
            else:
                host = _owner_of(sub, folders)
                if host:
                    yield sub, host
        return
    host = _owner_of(parts, folders)
    if host:
        yield parts, host


def _arguments(
    f: dict[str, Any],
    root: Path,
    parent: Path,
    folders: dict[str, str],
    hosts: list[HostNames],
    placed: dict[str, list[tuple[str, Path | bytes]]],
) -> tuple[list[str], Path]:
    """The command line's paths of draw ``f`` and the folder it runs in."""
    how = f["args"]
    wrapped_all = f["wrap"] in WRAPPED_ALL
    if wrapped_all:
        return ([str(p) for p in sorted(root.iterdir())], root) if how != "dot" else (["."], root)
    if how == "dot":
        return ["."], parent
    per = [parent / folders[h.truth] for h in hosts]
    if f["wrap"] == "zip_per_server":
        per = [p.with_name(p.name + ".zip") for p in per]
    if how == "per_server":
        return [str(p) for p in per], root
    if how == "inner" and f["inner"] == "logs" and f["wrap"] != "zip_per_server":
        return [str(p / "logs") for p in per], root
    if how == "files" and f["wrap"] != "zip_per_server":
        return [str(p) for d in per for p in sorted(d.rglob("*")) if p.is_file()], root
    if how == "mix" and f["wrap"] != "zip_per_server":
        zipped = per[f["pick"] % 2]
        z = zipped.with_name(zipped.name + ".zip")
        _zip(zipped, z, inside=bool(f["pick"] % 3 == 0))
        shutil.rmtree(zipped)
        return [str(p if p != zipped else z) for p in per], root
    return [str(parent)], root


# --------------------------------------------------------------------------- checking


def _owner(path: str, where_from: dict[tuple[str, ...], str], names: dict[str, HostNames]) -> Any:
    """The truth host of an input's path (a perfmon part ``x.csv [M]``: machine M's)."""
    part = re.search(r" \[([^\]]+)\]$", path)
    if part:
        m = part.group(1).casefold()
        return next((t for t, h in names.items() if m in h.all()), f"?machine({m})")
    path = re.sub(r"(\.gz)![^/!]+$", r"\1", path)  # "pim1.txt.gz!pim1.txt": the .gz
    bits = tuple(path.split("/"))
    # The input's path is absolute, or starts at the argument it was found under: the placed
    # file whose path ends the same way, over the whole of one of the two.
    best: tuple[int, set[str]] = (0, set())
    for key, host in where_from.items():
        c = 0
        while c < min(len(key), len(bits)) and key[-1 - c] == bits[-1 - c]:
            c += 1
        if c in (len(key), len(bits)) and c >= best[0]:
            best = (c, best[1] | {host}) if c == best[0] else (c, {host})
    if len(best[1]) == 1:
        return next(iter(best[1]))
    return f"?path({path})"


def check(
    doc: dict[str, Any],
    parent: dict[str, Any],
    fs: FileSet,
    truth: Any,
    wf: Any,
    folders: dict[str, str],
) -> list[tuple[str, str]]:
    """(what failed, detail) for draw ``f``'s findings ``doc`` (``parent``: the verdict of the
    same files in the parent layout)."""
    # A folder the user named "Server2" is that server's name (catalog/names.toml: "Server-2"
    # names a server), the one it is shown by when nothing else names it.
    names = {
        t: dataclasses.replace(h, node=folders[t]) if re.fullmatch(r"Server\d", folders[t]) else h
        for t, h in fs.hosts.items()
    }
    v = summarize(doc, names)
    fails: list[tuple[str, str]] = []
    incidents = truth["incidents"]
    if splits(v, incidents):
        fails.append(("split_incident", f"{len(v['incidents'])} found for {len(incidents)}"))
    if len(v["incidents"]) > len(parent["incidents"]):
        fails.append(
            ("extra_incident", f"{len(v['incidents'])} vs parent {len(parent['incidents'])}")
        )
    pmatch = dict((t["start"], hit) for t, hit in match_truth(parent, incidents))
    for t, hit in match_truth(v, incidents):
        if hit is None:
            fails.append(("missed_incident", t["start"]))
            continue
        ph = pmatch.get(t["start"])
        if ph and ph["top"] == t["cause"] and (hit["top"] != t["cause"]):
            fails.append(("wrong_cause", f"{hit['top']} for {t['cause']}"))
        elif ph and ph["top"] == t["cause"] and ph["id"] == t["host"] and hit["id"] != t["host"]:
            fails.append(("wrong_cause_host", f"{hit['host']} (= {hit['id']}) for {t['host']}"))
    ids = Counter(h["id"] for h in v["hosts"])
    for h in v["hosts"]:
        if h["id"] not in names:
            kind = "merged_hosts" if str(h["id"]).startswith("?ambiguous") else "unknown_host"
            fails.append((kind, f"{h['name']} = {h['id']}"))
        elif ids[h["id"]] > 1:
            fails.append(("split_host", f"{h['name']} = {h['id']}"))
        if NOT_A_NAME.match(h["name"]) or (h["id"] in names and h["misnamed"]):
            fails.append(("misnamed_host", h["name"]))
    for i, raw in zip(v["inputs"], doc.get("inputs", []), strict=True):
        if i["kind"] in ("unsupported", "unreadable"):
            continue
        own = _owner(raw["path"], wf, names)
        if i["id"] != own:
            fails.append(("misassigned", f"{i['path']} -> {i['host']} ({own}'s): {i['reason']}"))
    return fails


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_case(f: dict[str, Any], cache: Path) -> dict[str, Any]:
    """Build and analyse draw ``f``: ``{"features", "fails": [(kind, detail)], "seconds"}``."""
    from hbtriage import analyze

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hbtriage-lfuzz-") as tmp:
        work = Path(tmp)
        try:
            fs, truth, cwd, args, wf, folders = build(f, work, cache)
        except Exception:  # noqa: BLE001 - a draw this bench cannot build is its own bug
            return {"features": f, "fails": [("build", traceback.format_exc(limit=3))]}
        try:
            parent = summarize(analyze([fs.data]).to_dict(), fs.hosts)
            with _cwd(cwd):
                doc = analyze(args).to_dict()
        except Exception:  # noqa: BLE001 - a crash is a result here
            return {"features": f, "fails": [("crash", traceback.format_exc(limit=6))]}
        fails = check(doc, parent, fs, truth, wf, folders)
        # The relative args as the user typed them (the folder it ran in is a temporary one).
        shown = [os.path.relpath(a, cwd) if os.path.isabs(a) else a for a in args]
    return {
        "features": f,
        "args": shown,
        "fails": fails,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _job(seed: int, case: int, cache: str) -> dict[str, Any]:
    f = draw(seed, case)
    res = run_case(f, Path(cache))
    res["seed"], res["case"] = seed, case
    return res


# --------------------------------------------------------------------------- the run


def _table(results: list[dict[str, Any]]) -> str:
    """Failures per kind, and per feature value the draws that failed / drawn."""
    kinds: Counter[str] = Counter()
    by_feature: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        failed = bool(r["fails"])
        for k in {k for k, _ in r["fails"]}:
            kinds[k] += 1
        for feat, val in r["features"].items():
            if feat in ("pick", "sim_seed"):
                continue
            cell = by_feature[(feat, str(val))]
            cell[0] += failed
            cell[1] += 1
    bad = sum(bool(r["fails"]) for r in results)
    lines = [f"{bad} of {len(results)} draws failed"]
    for k, n in kinds.most_common():
        lines.append(f"  {k:<18} {n}")
    lines.append("failed / drawn per feature value:")
    for feat in ("scenario", *FEATURES):
        cells = sorted((v, c) for (ft, v), c in by_feature.items() if ft == feat)
        lines.append(f"  {feat:<9} " + "  ".join(f"{v} {c[0]}/{c[1]}" for v, c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, choices=(1, 2))
    ap.add_argument("--case", type=int, help="run draw CASE of --seed alone, with details")
    ap.add_argument("--replay", type=Path, help="a saved recipe (its features as drawn)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    cache = Path(tempfile.gettempdir()) / "hbtriage-layout-fuzz-bundles"
    cache.mkdir(exist_ok=True)
    if args.replay or args.case is not None:
        if args.replay:
            recipe = json.loads(args.replay.read_text(encoding="utf-8"))
            f = recipe["features"]
        else:
            f = draw(args.seed, args.case)
        res = run_case(f, cache)
        print(json.dumps({k: res.get(k) for k in ("features", "args")}, indent=None))
        for kind, detail in res["fails"]:
            print(f"FAIL {kind}: {detail}")
        print("ok" if not res["fails"] else f"{len(res['fails'])} failure(s)")
        return 1 if res["fails"] else 0
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as ex:
        futs = [ex.submit(_job, args.seed, c, str(cache)) for c in range(args.n)]
        for fut in futs:
            results.append(fut.result())
    args.out.mkdir(parents=True, exist_ok=True)
    for r in results:
        if r["fails"]:
            recipe = {k: r.get(k) for k in ("seed", "case", "features", "args", "fails")}
            path = args.out / f"s{r['seed']}-{r['case']:04d}.json"
            path.write_text(json.dumps(recipe, indent=1), encoding="utf-8")
    print(_table(results))
    print(f"{len(results)} draws in {time.perf_counter() - t0:.0f} s; recipes of the failures in")
    print(f"  {args.out}/s{args.seed}-*.json  (python bench/layout_fuzz.py --replay FILE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
