"""What a run loads before and besides its work: readers only for the formats met, no report or
chart code it is not asked for, typer's command line without pydantic, the bundled catalog
from its cache. Behaviour only (what is imported, what is parsed): the times are in
bench/startup.py."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from startup import tiny_bundle  # bench/startup.py (tests/conftest.py puts bench/ on sys.path)

from hbtriage import catalog as catalog_mod
from hbtriage.catalog import load_catalog
from hbtriage.cli import _lean_params, app
from hbtriage.sources import READERS, LazyReader, resolved, sniff
from hbtriage.sources.base import InputFile

FIX = Path(__file__).parent / "fixtures"

#: The registry's order, as it was when every reader module was imported up front.
ORDER = [
    "perfmon_csv",
    "get_counter",
    "sar",
    "watch_log",
    "latencymon",
    "config_snapshot",
    "net_counters",
    "eventlog",
    "cvp_log",
    "ciscolog",
    "icm_dumplog",
    "xperf_dpcisr",
    "tracerpt_dpcisr",
    "wpa_dpcisr",
    "bcc_irq",
    "proc_interrupts",
    "generic_log",
]

#: Never needed by a run on CVP logs and a dumplog written as text.
UNNEEDED = [
    "pydantic",
    "jinja2",
    "plotly",
    "numba",
    "numpy",  # (0.09 s: imported by the syslog-relay split at the top, it cost the tiny run that)
    "py7zr",
    "hbtriage.report.charts",
    "hbtriage.report.html",
    "hbtriage.report.markdown",
    "hbtriage.sources.sar",
    "hbtriage.sources.sadf_json",
    "hbtriage.sources.watch_log",
    "hbtriage.sources.eventlog",
    "hbtriage.sources.dpcisr_latencymon",
    "hbtriage.sources.dpcisr_xperf",
    "hbtriage.sources.dpcisr_tracerpt",
    "hbtriage.sources.dpcisr_wpa",
    "hbtriage.sources._dpcisr_common",
    "hbtriage.sources.irq_linux",
    "hbtriage.sources.generic_log",
]


def _python(code: str, **env: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints a JSON value last."""
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert res.returncode == 0, res.stderr
    got: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return got


def test_registry_keeps_its_kinds_and_order() -> None:
    assert [r.kind for r in READERS] == ORDER
    for lazy in READERS:
        assert isinstance(lazy, LazyReader)
        assert resolved(lazy).kind == lazy.kind
        assert resolved(resolved(lazy)) is resolved(lazy)


def test_importing_the_library_imports_no_reader_nor_report() -> None:
    code = (
        "import json, sys, hbtriage.api, hbtriage.sources\nprint(json.dumps(sorted(sys.modules)))"
    )
    loaded = set(_python(code))
    readers = {f"hbtriage.sources.{r.module}" for r in READERS if isinstance(r, LazyReader)}
    assert not (loaded & readers), loaded & readers
    assert not (loaded & set(UNNEEDED)), loaded & set(UNNEEDED)


def test_a_tiny_run_imports_only_what_it_needs(tmp_path: Path) -> None:
    bundle = tiny_bundle(tmp_path / "bundle")  # the bundle bench/startup.py times
    code = (
        "import json, sys\n"
        f"sys.argv = ['hbtriage', 'analyze', {str(bundle)!r}, '--out', {str(tmp_path / 'o')!r},"
        " '--quiet']\n"
        "from hbtriage.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = set(_python(code, HBTRIAGE_CACHE=str(tmp_path / "cache")))
    assert {"hbtriage.sources.cvp_log", "hbtriage.sources.icm_dumplog"} <= loaded
    assert not (loaded & set(UNNEEDED)), loaded & set(UNNEEDED)
    assert (tmp_path / "o" / "findings.json").is_file()


def _heads() -> list[tuple[str, str]]:
    out = []
    for p in sorted(FIX.rglob("*")):
        if p.is_file() and p.stat().st_size < 5_000_000:
            out.append((p.read_bytes()[:65536].decode("utf-8", errors="replace"), p.name))
    return out


def test_light_sniffs_are_the_readers_own() -> None:
    heads = _heads()
    assert len(heads) > 50
    for lazy in READERS:
        assert isinstance(lazy, LazyReader)
        real = resolved(lazy)
        for head, name in heads:
            assert lazy.sniff(head, name) == real.sniff(head, name), (lazy.kind, name)


def test_sniff_returns_the_reader_itself() -> None:
    path = sorted((FIX / "cvp_log").glob("*.log"))[0]
    reader, _enc, _note = sniff(InputFile(display=path.name, path=str(path)))
    from hbtriage.sources import cvp_log

    assert reader is cvp_log.READER


# ------------------------------------------------------------------------ command line

ARGVS = [
    ["analyze", "b"],
    ["analyze", "b", "c", "--out", "o", "--format", "md", "--format", "HTML", "--lang", "ja"],
    ["analyze", "b", "--tz", "PG1A=Asia/Tokyo", "--tz", "UTC", "--host-alias", "a=b"],
    ["analyze", "b", "--catalog", "x", "--catalog", "y", "--quiet", "--progress"],
    ["analyze", "b", "--format", "xml"],
    ["analyze", "b", "--lang", "fr"],
    ["analyze", "b", "--format", "json", "--out", "-"],
    ["report", "o", "--format", "md", "--lang", "en"],
    ["simulate", "healthy", "--seed", "7", "--out", "s"],
    ["simulate", "healthy", "--seed", "x"],
    ["plan", "--windows", "--hosts", "PG1A,CVP1"],
    ["watch", "--help"],
    ["fleet", "--help"],
]


def _parse(argv: list[str], lean: bool) -> tuple[str, Any]:
    group = typer.main.get_command(app)
    if lean:
        _lean_params(group)
    cmd = group.commands[argv[0]]  # type: ignore[attr-defined]
    ctx = group.make_context("hbtriage", list(argv), resilient_parsing=True)
    try:
        sub = cmd.make_context(argv[0], list(argv[1:]), parent=ctx)
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return "error", (type(exc).__name__, getattr(exc, "format_message", str)())
    return "ok", {k: (type(v), v) for k, v in sub.params.items()}


@pytest.mark.parametrize("argv", ARGVS, ids=lambda a: " ".join(a))
def test_lean_coercion_gives_what_typer_gives(argv: list[str]) -> None:
    assert _parse(argv, lean=True) == _parse(argv, lean=False)


@pytest.mark.parametrize(
    "argv", [["analyze", ""], ["analyze", "b", "--catalog", "x", "--catalog", ""], ["report", ""]]
)
def test_an_empty_path_is_an_error_where_typer_reads_the_current_folder(argv: list[str]) -> None:
    lean, typer_s = _parse(argv, lean=True), _parse(argv, lean=False)
    assert lean[0] == "error" and "an empty path ('')" in lean[1][1]
    assert typer_s[0] == "ok"  # Path('.'): what the lean coercion refuses


def test_lean_coercion_spares_pydantic() -> None:
    code = (
        "import json, sys, typer.main\n"
        "from hbtriage.cli import _lean_params, app\n"
        "g = typer.main.get_command(app); _lean_params(g)\n"
        "ctx = g.make_context('hbtriage', ['analyze', 'b'], resilient_parsing=True)\n"
        "g.commands['analyze'].make_context('analyze', ['b', '--format', 'md', '--out', 'o',"
        " '--tz', 'UTC', '--lang', 'ja'], parent=ctx)\n"
        "print(json.dumps('pydantic' in sys.modules))"
    )
    assert _python(code) is False


# ------------------------------------------------------------------------ catalog cache


def test_catalog_cache_gives_the_parsed_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(catalog_mod.CACHE_ENV, str(tmp_path / "cache"))
    root = catalog_mod._root()
    fresh = catalog_mod._load([root])
    first = catalog_mod._cached(root)  # parses and writes the cache
    (kept,) = (tmp_path / "cache").glob("catalog-*.pickle")
    second = catalog_mod._cached(root)  # from the cache
    assert first == fresh == second
    key, cached = pickle.loads(kept.read_bytes())
    assert key == catalog_mod._cache_key(root) and cached == fresh


def test_catalog_cache_follows_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(catalog_mod.CACHE_ENV, str(tmp_path / "cache"))
    root = tmp_path / "catalog"
    shutil.copytree(catalog_mod._root(), root)
    before = catalog_mod._cached(root)
    sig = root / "signatures" / "cvp.toml"
    text = sig.read_text(encoding="utf-8")
    sig.write_text(text.replace('title = "', 'title = "Edited: ', 1), encoding="utf-8")
    after = catalog_mod._cached(root)
    assert after != before
    assert any(s.title.startswith("Edited: ") for s in after.signatures)
    assert after == catalog_mod._load([root])


@pytest.mark.parametrize("how", ["unwritable", "off", "corrupt"])
def test_catalog_without_a_usable_cache(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = catalog_mod._root()
    cache = tmp_path / "cache"
    if how == "unwritable":
        cache.write_text("a file where the folder would be")
        monkeypatch.setenv(catalog_mod.CACHE_ENV, str(cache / "below"))
    elif how == "off":
        monkeypatch.setenv(catalog_mod.CACHE_ENV, "")
    else:
        monkeypatch.setenv(catalog_mod.CACHE_ENV, str(cache))
        catalog_mod._cached(root)
        for p in cache.glob("catalog-*.pickle"):
            p.write_bytes(b"not a pickle")
    assert catalog_mod._cached(root) == catalog_mod._load([root])
    if how == "off":
        assert not cache.exists()


def test_catalog_layers_are_never_taken_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(catalog_mod.CACHE_ENV, str(tmp_path / "cache"))
    site = tmp_path / "site"
    (site / "signatures").mkdir(parents=True)
    layered = load_catalog(extra=[site])
    assert layered.layers == (str(catalog_mod._root()), str(site))
    assert not (tmp_path / "cache").exists()


def test_cached_keeps_and_systeminfo_are_what_would_be_worked_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hbtriage.sources import options
    from hbtriage.sources import systeminfo as SI

    monkeypatch.setenv(catalog_mod.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(options, "_KEEPS", {})
    catalog_mod._load_default.cache_clear()
    try:
        cat = catalog_mod._load_default()  # writes the caches
        assert (tmp_path / "cache").is_dir()
        monkeypatch.setattr(options, "_KEEPS", {})
        catalog_mod._load_default.cache_clear()
        assert catalog_mod._load_default() == cat  # from the caches
        patterns = {p for p in cat.keep_patterns().values() if p}
        assert patterns and patterns <= set(options._KEEPS)
        for p in patterns:
            assert options._KEEPS[p] == options._keep_for(p)
    finally:
        catalog_mod._load_default.cache_clear()
    fresh = SI.build_catalog(*catalog_mod.bundled_text("systeminfo.toml"))
    for _ in range(2):  # made and written, then read
        kept = catalog_mod.cached_bundled("systeminfo.toml", SI.build_catalog)
        assert kept == fresh  # languages and code pages
        assert (kept.labels, kept.spellings) == (fresh.labels, fresh.spellings)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_cache_file_others_may_write_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(catalog_mod.CACHE_ENV, str(cache))
    made = catalog_mod.cached_bundled("sides.toml", lambda text, path: "made")
    assert made == "made"
    (kept,) = cache.glob("sides-*.pickle")
    key, _value = pickle.loads(kept.read_bytes())
    kept.write_bytes(pickle.dumps((key, "from the cache")))
    kept.chmod(0o600)
    assert catalog_mod.cached_bundled("sides.toml", lambda text, path: "made") == "from the cache"
    kept.write_bytes(pickle.dumps((key, "planted")))
    kept.chmod(0o666)
    assert catalog_mod.cached_bundled("sides.toml", lambda text, path: "made") == "made"
