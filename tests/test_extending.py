"""The README's "Extending hbtriage" examples, run as written: a new cause in one file, a new log
format in one declaration, layered on the bundled catalog with ``--catalog``; and the catalog's
checks, within and across files."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.api import analyze
from hbtriage.catalog import LineFormat, load_catalog
from hbtriage.cli import app
from hbtriage.errors import CatalogError
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile
from hbtriage.sources.declared import DeclaredReader, check_format

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "src" / "hbtriage" / "simulate" / "reference"
_EXAMPLE = re.compile(r"<!-- example: (?P<path>\S+) -->\n```toml\n(?P<body>.*?)```", re.S)


def _site(tmp_path: Path) -> Path:
    """The README's example files, written where their markers say."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = list(_EXAMPLE.finditer(text))
    assert {m["path"] for m in found} >= {
        "site/causes/av_scan.toml",
        "site/formats/foo.toml",
        "site/signatures/foo.toml",
    }
    for m in found:
        dest = tmp_path / m["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(m["body"], encoding="utf-8")
    return tmp_path / "site"


def _disk_bound_reference(tmp_path: Path) -> Path:
    """The reference case with its DPC columns turned into PhysicalDisk reads: the same jump
    at the same moment, on a counter only the site's new cause knows."""
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    for csv in bundle.rglob("*_perfmon.csv"):
        head, _, rest = csv.read_text(encoding="utf-8").partition("\n")
        head = (
            head.replace("Processor(_Total)\\DPC Rate", "PhysicalDisk(_Total)\\Disk Reads/sec")
            .replace("Processor(_Total)\\% DPC Time", "PhysicalDisk(_Total)\\% Idle Time")
            .replace("Processor(_Total)\\DPCs Queued/sec", "PhysicalDisk(_Total)\\Split IO/Sec")
        )
        csv.write_text(head + "\n" + rest, encoding="utf-8")
    return bundle


def test_a_new_cause_is_one_file(tmp_path: Path) -> None:
    site = _site(tmp_path)
    bundle = _disk_bound_reference(tmp_path)
    without = analyze([bundle])
    assert without.incidents and without.incidents[0].causes[0].id != "av_scan"
    catalog = load_catalog(extra=[site])
    assert "av_scan" in catalog.cause_ids
    found = analyze([bundle], catalog=catalog)
    assert len(found.incidents) == 1
    top = found.incidents[0].causes[0]
    assert top.id == "av_scan", [(c.id, c.confidence) for c in found.incidents[0].causes]
    assert "Move the scheduled scan" in top.remedy
    assert any("Disk Reads/sec" in line for line in top.evidence)


def test_the_cli_takes_the_site_catalog(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    site = _site(tmp_path)
    bundle = _disk_bound_reference(tmp_path)
    out = tmp_path / "out"
    args = ["analyze", str(bundle), "--catalog", str(site), "--out", str(out), "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["incidents"][0]["causes"][0]["id"] == "av_scan"


def _foo_log(folder: Path, name: str = "foo-2013-03-30.log") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        "FOO 23:59:58 [info] pool web: health check ok\n"
        "FOO 23:59:59 [warn] pool web: member 192.0.2.7 down\n"
        "  reason: 3 probes timed out\n"
        "FOO 00:00:01 [info] pool web: member 192.0.2.7 up\n",
        encoding="utf-8",
    )
    return path


def test_a_new_log_format_is_one_declaration(tmp_path: Path) -> None:
    site = _site(tmp_path)
    catalog = load_catalog(extra=[site])
    path = _foo_log(tmp_path / "lb")
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    assert read_one(item).kind != "foo_log"  # unknown without the site catalog
    outcome = read_one(item, catalog.read_options())
    assert outcome.result is not None and outcome.result.events is not None, outcome.message
    events = outcome.result.events
    assert outcome.kind == "foo_log"
    assert events.height == 3
    assert [str(t) for t in events["ts_local"]] == [
        "2013-03-30 23:59:58",
        "2013-03-30 23:59:59",
        "2013-03-31 00:00:01",  # past midnight: the next day
    ]
    assert events["severity"].cast(str).to_list() == ["info", "warn", "info"]
    assert "3 probes timed out" in (events["message"][1] or "")  # continuation joined
    assert any("dates counted from 2013-03-30" in w for w in outcome.result.warnings)
    # and in a whole analysis the site signature tags the line
    from hbtriage.api import run

    analysis = run([path], catalog=catalog, tz=["UTC"])
    tagged = analysis.timeline.events.filter(analysis.timeline.events["signature"].is_not_null())
    assert tagged["signature"].to_list() == ["foo_member_down"]


def _write(folder: Path, name: str, text: str) -> None:
    dest = folder / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")


def test_every_problem_is_listed_across_files(tmp_path: Path) -> None:
    site = tmp_path / "site"
    # A rule on a counter the perfmon reader does not keep (it is in no counters table) ...
    _write(
        site,
        "anomalies.toml",
        '[[rule]]\nid = "disk_queue"\ncounter = "PhysicalDisk\\\\Avg. Disk Queue Length"\n'
        'min_change = 2\ntitle = "queue"\nreference = "r"\n',
    )
    # ... a signature for a reader that does not exist, with a pattern that does not compile
    _write(
        site,
        "signatures/x.toml",
        '[[signature]]\nid = "x"\ntitle = "x"\nproduct = "x"\npattern = "(unclosed"\n'
        'role = "info"\nkinds = ["no_such_reader"]\nreference = "r"\n',
    )
    # ... and a cause that names a counter with no rule.
    _write(
        site,
        "causes/y.toml",
        'id = "y"\ntitle = "y"\ntitle_ja = "y"\nremedy = "y"\nremedy_ja = "y"\n'
        'references = ["r"]\n[[evidence]]\nkind = "counter_rise"\nweight = 1\n'
        'counters = ["Memory\\\\Committed Bytes"]\n',
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(extra=[site])
    text = str(err.value)
    assert err.value.count == 4, text
    assert "\n" not in text
    assert "perfmon reader would drop it" in text
    assert "no_such_reader" in text and "does not compile" in text
    assert "has no rule in anomalies.toml" in text


def test_a_bad_site_entry_is_left_out_and_the_rest_analysed(tmp_path: Path) -> None:
    """One bad entry of a site catalog stopped the whole run (exit 2, nothing analysed): now
    the entry is left out, the site's good cause still ranks, the report says what was left
    out (English and Japanese), and the command's one line names the file, the entry and
    what was expected, exit code 2."""
    from test_cli_contract import _run  # main() in-process: exit code and stderr

    site = _site(tmp_path)
    bad = site / "signatures" / "broken.toml"
    _write(
        site,
        "signatures/broken.toml",
        '[[signature]]\nid = "site_broken"\ntitle = "x"\nproduct = "x"\npattern = "(unclosed"\n'
        'role = "info"\nreference = "r"\n',
    )
    bundle = _disk_bound_reference(tmp_path)
    for lang, said in (
        (
            "en",
            f"{bad} [site_broken]: pattern does not compile: missing ), unterminated subpattern",
        ),
        ("ja", f"{bad} [site_broken]: pattern が正規表現としてコンパイルできません"),
    ):
        out = tmp_path / f"out-{lang}"
        args = ["analyze", str(bundle), "--catalog", str(site), "--out", str(out), "--quiet"]
        code, stderr = _run([*args, "--lang", lang, "--format", "md"])
        assert code == 2 and stderr.count("\n") == 1, stderr
        assert stderr.startswith(f"hbtriage: {'error' if lang == 'en' else 'エラー'}: {said}")
        doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        assert doc["incidents"][0]["causes"][0]["id"] == "av_scan"  # the site's good cause
        key = "warnings" if lang == "en" else "warnings_ja"
        (warning,) = [w for w in doc[key] if "site_broken" in w]
        assert warning.startswith(said)
        left_out = (
            "this entry is left out, the rest of the site catalog is used"
            if lang == "en"
            else "この項目は使わず、サイト カタログの残りを使いました"
        )
        assert warning.endswith(left_out)
        assert left_out in (out / "report.md").read_text(encoding="utf-8")


def test_a_site_file_that_is_no_toml_is_left_out_and_the_rest_used(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _write(site, "signatures/zz.toml", "[[signature]\nid = 1\n")
    catalog = load_catalog(extra=[site], skip_bad=True)
    assert "av_scan" in catalog.cause_ids
    (said,) = catalog.skipped
    assert said.startswith(f"{site / 'signatures' / 'zz.toml'}: not valid TOML: ")
    assert "(at line 1, column" in said and said.endswith(
        "this file is left out, the rest of the site catalog is used"
    )
    with pytest.raises(CatalogError):
        load_catalog(extra=[site])  # the library's default: every problem raised


def test_a_site_entry_replaces_the_bundled_one_by_id(tmp_path: Path) -> None:
    bundled = load_catalog()
    sig = bundled.signatures[0]
    site = tmp_path / "site"
    _write(
        site,
        "signatures/override.toml",
        f'[[signature]]\nid = "{sig.id}"\ntitle = "site title"\nproduct = "{sig.product}"\n'
        f"pattern = 'never matches anything 0x7f'\nrole = \"{sig.role}\"\n"
        f'reference = "site runbook"\n',
    )
    layered = load_catalog(extra=[site])
    assert len(layered.signatures) == len(bundled.signatures)
    replaced = layered.signature(sig.id)
    assert replaced.title == "site title" and replaced.reference == "site runbook"
    assert [s.id for s in layered.signatures] == [s.id for s in bundled.signatures]
    assert load_catalog().signature(sig.id).title == sig.title  # the bundled one is untouched


def test_a_missing_catalog_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not a folder"):
        load_catalog(extra=[tmp_path / "nope"])


@pytest.mark.parametrize("case", ["binary", "endless"])
def test_a_site_catalog_file_that_is_no_toml_text_is_one_line(tmp_path: Path, case: str) -> None:
    """A binary file was ``unexpected UnicodeDecodeError ... (please report this)``; a link to
    /dev/zero (here: a file of more than 16 MiB) was read until the memory ran out. The file
    is left out and the bundle analysed (it stopped the run until the bad site entries were
    left out)."""
    from test_cli_contract import REFERENCE, _run  # main() in-process: exit code and stderr

    site = tmp_path / "site"
    (site / "signatures").mkdir(parents=True)
    path = site / "signatures" / "site.toml"
    if case == "binary":
        path.write_bytes(b"# site\n\x97\xff\x00 [[signature]]\n")
        said = "not UTF-8 text (byte 7), expected TOML"
    else:
        path.write_bytes(b"# a comment line that fills a file of more than 16 MiB\n" * 320_000)
        said = "more than 16,777,216 bytes, expected TOML"
    code, stderr = _run(["analyze", str(REFERENCE), "--catalog", str(site), "--quiet",
                         "--out", str(tmp_path / "out")])  # fmt: skip
    left_out = "this file is left out, the rest of the site catalog is used"
    assert (code, stderr) == (2, f"hbtriage: error: {path}: {said}; {left_out}\n")
    assert (tmp_path / "out" / "findings.json").is_file()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_in_a_site_catalog_is_never_opened(tmp_path: Path) -> None:
    """A FIFO named like a catalog file (site/signatures/x.toml) was opened to be read: the
    run waited for a writer forever, before any analysis."""
    import subprocess
    import sys

    site = tmp_path / "site"
    (site / "signatures").mkdir(parents=True)
    fifo = site / "signatures" / "x.toml"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, "-m", "hbtriage", "analyze", str(REFERENCE), "--catalog", str(site),
         "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (res.returncode, res.stderr) == (
        2,
        f"hbtriage: error: {fifo}: not a regular file (a FIFO, a socket or a device is never "
        "opened), expected TOML; this file is left out, the rest of the site catalog is used\n",
    )
    assert json.loads((out / "findings.json").read_text(encoding="utf-8"))["incidents"]


_LAYOUTS = [
    ("%H:%M:%S", "{h:02d}:{m:02d}:{s:02d}"),
    ("%Y-%m-%d %H:%M:%S", "2013-03-{d:02d} {h:02d}:{m:02d}:{s:02d}"),
    ("%d/%m/%Y %H:%M:%S", "{d:02d}/03/2013 {h:02d}:{m:02d}:{s:02d}"),
]


@settings(max_examples=40, deadline=None)
@given(
    layout=st.sampled_from(_LAYOUTS),
    stamps=st.lists(
        st.tuples(st.integers(1, 28), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
        min_size=1,
        max_size=30,
    ),
    messages=st.lists(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
            max_size=30,
        ),
        min_size=30,
        max_size=30,
    ),
    crlf=st.booleans(),
)
def test_declared_format_reads_every_record_it_writes(
    tmp_path_factory: pytest.TempPathFactory,
    layout: tuple[str, str],
    stamps: list[tuple[int, int, int, int]],
    messages: list[str],
    crlf: bool,
) -> None:
    """Any layout, any messages: one record per start line, each with its own time stamp (a
    date-bearing layout) and its message."""
    strptime, fmt = layout
    body = r"[0-9: /-]+?" if "%Y" in strptime else r"[0-9:]{8}"
    declared = LineFormat(
        id="prop_log",
        title="property log",
        reference="test",
        start=rf"REC (?P<time>{body}) \| ",
        timestamp=strptime,
    )
    assert check_format(declared) == []
    lines = [
        f"REC {fmt.format(d=d, h=h, m=m, s=s)} | {msg.strip() or 'x'}"
        for (d, h, m, s), msg in zip(stamps, messages, strict=False)
    ]
    path = tmp_path_factory.mktemp("prop") / "x.log"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\n")
    reader = DeclaredReader(declared)
    res = reader.read(InputFile(display="x.log", path=str(path)), "utf-8")
    assert res.events is not None
    assert res.events.height == len(lines)
    got = [m.strip() for m in res.events["message"].to_list()]
    assert got == [line.split(" | ", 1)[1].strip() for line in lines]
    if "%Y" in strptime:
        want = [f"2013-03-{d:02d} {h:02d}:{m:02d}:{s:02d}" for d, h, m, s in stamps]
        assert [str(t) for t in res.events["ts_local"]] == want


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"start": "FOO (?P<time>"}, "does not compile"),
        ({"start": "FOO (?P<when>[0-9:]+) "}, "no (?P<time>...) group"),
        ({"fields": {"colour": "time"}}, "not one of"),
        ({"fields": {"severity": "sev"}}, "names group 'sev'"),
        ({"zone": "Mars/Olympus"}, "zone"),
        ({"example": "BAR 12:00:00 x"}, "does not match"),
        ({"example": "FOO 25:61:00 x"}, "does not fit the layout"),
    ],
)
def test_bad_declarations_say_why(change: dict[str, object], problem: str) -> None:
    base: dict[str, object] = {
        "id": "foo_log",
        "title": "FOO",
        "reference": "r",
        "start": r"FOO (?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2}) ",
        "timestamp": "%H:%M:%S",
        "example": "FOO 12:00:00 x",
    }
    base.update(change)
    problems = check_format(LineFormat(**base))  # type: ignore[arg-type]
    assert any(problem in p for p in problems), problems


def test_a_site_file_that_nothing_reads_is_said(tmp_path: Path) -> None:
    """The README's new cause put in 'site/cause/' (one letter short), and an [[attachment]]
    in the site's attachments.toml (read from a site for its [[os_file]] entries only): both
    were left out without a word, and the user was left to wonder why av_scan never ranked.
    The analysis runs as before; a warning names each file or table that changes nothing, and
    the files a --catalog folder is read for, in English and Japanese."""
    from typer.testing import CliRunner

    site = _site(tmp_path)
    (site / "causes").rename(site / "cause")
    (site / "attachments.toml").write_text(
        '[[attachment]]\nid = "site_trace"\ntitle.en = "t"\ntitle.ja = "t"\n'
        'extensions = [".trc"]\nhow.en = "h"\nhow.ja = "h"\nreference = "r"\n',
        encoding="utf-8",
    )
    bundle = _disk_bound_reference(tmp_path)
    out = tmp_path / "out"
    args = ["analyze", str(bundle), "--catalog", str(site), "--out", str(out), "--quiet"]
    res = CliRunner().invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["incidents"][0]["causes"][0]["id"] != "av_scan"
    en, ja = doc["warnings"][:2], doc["warnings_ja"][:2]
    assert en[0] == (
        f"{site / 'attachments.toml'}: its [[attachment]] entries are not read from a --catalog "
        "folder (the bundled catalog's are used)"
    )
    assert en[1].startswith(
        f"{site / 'cause' / 'av_scan.toml'}: not read, so it changes nothing: a --catalog "
        "folder is read for "
    )
    assert "causes/*.toml" in en[1] and "signatures/*.toml" in en[1]
    assert ja[0].startswith(f"{site / 'attachments.toml'}: [[attachment]] のエントリは")
    assert ja[1].startswith(f"{site / 'cause' / 'av_scan.toml'}: 読み込んでいないため")
    assert not [w for w in doc["warnings"][2:] if str(site) in w]
