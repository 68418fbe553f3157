"""The compiled kernels' machine code (``sources/_scan_native.py``): a run loads it without
numba, and machine code that is not this machine's, or damaged, is never run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hbtriage.sources import _scan, _scan_native

pytestmark = pytest.mark.usefixtures("core_loads")

REF = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"

_RUN = """
import dataclasses, sys
from pathlib import Path
from hbtriage.api import analyze
from hbtriage.catalog import load_catalog
from hbtriage.sources import _scan
options = dataclasses.replace(load_catalog().read_options(), compiled_min_bytes=0)
findings = analyze([Path(sys.argv[1])], read_options=options)
print(type(_scan.kernels()).__name__, "numba" in sys.modules, len(findings.incidents))
"""


def _folder() -> Path:
    for folder in _scan_native.folders():
        if (folder / "kernels.json").exists():
            return folder
    pytest.fail("no compiled kernels: run `make test` (it compiles them)")


def test_a_run_uses_the_kernels_without_importing_numba() -> None:
    got = subprocess.run(
        [sys.executable, "-c", _RUN, str(REF)], capture_output=True, text=True, check=True
    )
    kind, numba_loaded, incidents = got.stdout.split()
    assert (kind, numba_loaded) == ("Kernels", "False")
    assert int(incidents) >= 1


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The machine code copied into a cache folder of its own (``NUMBA_CACHE_DIR``)."""
    folder = tmp_path / "cache" / _scan_native.FOLDER
    shutil.copytree(_folder(), folder)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    assert _scan_native.folders() == [folder]
    assert _scan_native.load() is not None
    return folder


def test_machine_code_made_for_another_processor_is_not_used(copied: Path) -> None:
    meta = json.loads((copied / "kernels.json").read_text())
    meta["key"]["features"] = meta["key"]["features"].replace("+", "-")
    (copied / "kernels.json").write_text(json.dumps(meta))
    assert _scan_native.load() is None


def test_machine_code_of_another_source_of_the_kernels_is_not_used(copied: Path) -> None:
    meta = json.loads((copied / "kernels.json").read_text())
    meta["key"]["source"] = "0" * 64
    (copied / "kernels.json").write_text(json.dumps(meta))
    assert _scan_native.load() is None


@pytest.mark.parametrize("damage", ["flip", "cut", "empty", "no-json"])
def test_damaged_machine_code_is_not_run(copied: Path, damage: str) -> None:
    first = json.loads((copied / "kernels.json").read_text())["objects"][0]["file"]
    obj = copied / first
    data = bytearray(obj.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
        obj.write_bytes(bytes(data))
    elif damage == "cut":
        obj.write_bytes(bytes(data[: len(data) // 3]))
    elif damage == "empty":
        obj.write_bytes(b"")
    else:
        (copied / "kernels.json").write_text("{not json")
    assert _scan_native.load() is None


def test_a_symbol_the_process_lacks_keeps_the_machine_code_unused(copied: Path) -> None:
    meta = json.loads((copied / "kernels.json").read_text())
    meta["needs"] = [*meta["needs"], "hbtriage_no_such_symbol"]
    (copied / "kernels.json").write_text(json.dumps(meta))
    assert _scan_native.load() is None


def test_saved_machine_code_is_whole_readable_and_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What :func:`_scan_native.save` writes: the object and its description, readable by
    every user of a shared install, no temporary file left; loaded, the kernels split lines
    as before."""
    import numpy as np

    src = _folder()
    meta = json.loads((src / "kernels.json").read_text())
    objs = [(src / o["file"]).read_bytes() for o in meta["objects"]]
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    folder = _scan_native.save(objs, meta["entries"], meta["needs"])
    names = ["kernels.json", *(o["file"] for o in meta["objects"])]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)  # named by their bytes
    assert all(p.stat().st_mode & 0o444 == 0o444 for p in folder.iterdir())
    k = _scan_native.load()
    assert k is not None
    starts, ends = k.split_lines(np.frombuffer(b"\xef\xbb\xbfa\r\nbc\n\nd", dtype=np.uint8), True)
    assert (starts.tolist(), ends.tolist()) == ([3, 6, 9, 10], [4, 8, 9, 11])


def test_saving_refuses_machine_code_that_needs_what_the_process_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _folder()
    meta = json.loads((src / "kernels.json").read_text())
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    objs = [(src / o["file"]).read_bytes() for o in meta["objects"]]
    with pytest.raises(RuntimeError, match="lacks"):
        _scan_native.save(objs, meta["entries"], ["hbtriage_nope"])
    assert not (tmp_path / _scan_native.FOLDER / "kernels.json").exists()


def test_a_cold_run_compiles_in_a_process_of_its_own_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``HBTRIAGE_COMPILED=1`` with nothing compiled: the kernels are compiled (numba, in a
    child process) into the cache folder and loaded; this process never imports numba for
    it. The child is stood in for by copying the machine code (a compile takes ~1 min)."""
    src = _folder()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv(_scan.ENV, "1")
    monkeypatch.setattr(_scan, "_state", {})
    monkeypatch.setattr(_scan, "_cold", {})
    calls: list[int] = []

    def child() -> bool:
        calls.append(1)
        shutil.copytree(src, tmp_path / _scan_native.FOLDER)
        return True

    monkeypatch.setattr(_scan, "_compile_now", child)
    k = _scan.kernels()
    assert k is not None and calls == [1]
    assert _scan.kernels() is k and calls == [1]  # once per process


def test_the_parts_compiled_at_once_hold_every_kernel_once() -> None:
    from hbtriage.sources import _scan_kernels

    named = [name for part in _scan_native.PARTS for name in part]
    assert sorted(named) == sorted(_scan_kernels.ENTRIES)


def test_without_numba_no_compile_is_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """numba missing and nothing compiled: the polars path, and no compile in the background
    (each large run would start one that fails)."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(_scan.ENV, raising=False)
    monkeypatch.setattr(_scan, "_state", {})
    monkeypatch.setattr(_scan, "_cold", {})
    monkeypatch.setattr(_scan, "_compiler_there", lambda: False)
    started: list[str] = []
    monkeypatch.setattr(_scan, "_compile_later", lambda folder: started.append(folder) or True)
    assert _scan.kernels() is None
    assert started == []
    assert not _scan.compiling()
