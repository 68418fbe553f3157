"""What users attach that hbtriage does not read (an EMS log, .evtx/.evt, .etl, a capture, a RAR
or cabinet archive, a memory dump) is named in one warning line per file with the command that
turns it into something hbtriage reads, in every report and in both languages, by its first
bytes first (a renamed file is named right) and by its extension second; the exit code and the
rest of the analysis are unchanged (catalog/attachments.toml)."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.errors import CatalogError
from hbtriage.sources import sniff
from hbtriage.sources.attachments import build_catalog, by_magic, known, note
from hbtriage.sources.base import InputFile

runner = CliRunner()

#: Files as users attach them: name -> first bytes (the rest zeros or a byte ramp).
ATTACHED = {
    "PG2A/pim1_130330_093601.ems": bytes(range(256)) * 16,
    "CVP2/System.evtx": b"ElfFile\0" + bytes(4088),
    "PG2A/AppEvent.evt": b"\x30\0\0\0LfLe" + bytes(200),
    # An ETL of 64 KiB buffers starts as a Vista .blg does (00 00 01 00, mostly zeros).
    "CVP2/dpcisr_CVP2.etl": struct.pack("<I", 65536) + bytes(4092),
    "logs.rar": b"Rar!\x1a\x07\x01\x00" + bytes(200),
    "support.cab": b"MSCF\0\0\0\0" + bytes(200),
    "CVP2/ged125.pcapng": b"\x0a\x0d\x0d\x0a" + bytes(200),
    "CVP2/capture-from-wireshark.txt": b"\xd4\xc3\xb2\xa1" + bytes(200),  # a renamed pcap
    "PG2A/pim1.dmp": b"MDMP\x93\xa7" + bytes(200),
}

#: The line each gives (terminal and findings.json), ``b/`` being the folder analysed.
EXPECTED = {
    "b/PG2A/pim1_130330_093601.ems": "a binary Cisco ICM EMS log, which hbtriage does not read: "
    "turn it into dumplog text on an ICM server (in a folder that holds it): "
    '`dumplog /if "pim1_130330_093601.ems" /all /ms /of "pim1_130330_093601.txt"`, '
    "and give hbtriage the .txt",
    "b/CVP2/System.evtx": "a binary Windows event log (.evtx), which hbtriage does not read: "
    "export it as text on Windows, best on the server it came from (the message texts are "
    'looked up there): `wevtutil qe "System.evtx" /lf:true /f:text > "System.txt"`, and give '
    "hbtriage the .txt",
    "b/PG2A/AppEvent.evt": "a binary Windows Server 2003 event log (.evt), which hbtriage does "
    "not read: export it as text on Windows Vista / Server 2008 or later: "
    '`wevtutil qe "AppEvent.evt" /lf:true /f:text > "AppEvent.txt"`',
    "b/CVP2/dpcisr_CVP2.etl": "a binary ETW trace (.etl), which hbtriage does not read: "
    "turn a DPC/ISR trace into the report hbtriage reads on a Windows machine with the Windows "
    'Performance Toolkit: `xperf -i "dpcisr_CVP2.etl" -o "dpcisr_CVP2_dpcisr.txt" -a dpcisr` '
    '(a Server 2003 tracelog trace: `tracerpt "dpcisr_CVP2.etl" -report '
    '"dpcisr_CVP2_dpcisr.txt" -df`)',
    "b/logs.rar": "a RAR archive, which hbtriage does not read: extract it first",
    "b/support.cab": "a Windows cabinet archive (.cab), which hbtriage does not read: extract "
    'it first, on Windows with `expand -F:* "support.cab" "support"`',
    "b/CVP2/ged125.pcapng": "a network packet capture, which hbtriage does not read: hbtriage "
    "does not analyse packets, so this file is not used",
    "b/CVP2/capture-from-wireshark.txt": "a network packet capture, which hbtriage does not read",
    "b/PG2A/pim1.dmp": "a Windows memory dump, which hbtriage does not read: hbtriage does not "
    "analyse memory dumps, so this file is not used",
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "b"
    res = runner.invoke(app, ["simulate", "dpc_storm_cvp", "--out", str(out), "--seed", "1"])
    assert res.exit_code == 0, res.output
    (out / "truth.json").unlink(missing_ok=True)
    return out


def _analyze(folder: Path, out: Path, *extra: str) -> tuple[int, str, dict]:
    res = runner.invoke(app, ["analyze", str(folder), "--out", str(out), *extra])
    return res.exit_code, res.output, json.loads((out / "findings.json").read_text())


def _verdict(findings: dict) -> list:
    return [
        (i["start"], i["end"], [(c["id"], c["host"], c["confidence"]) for c in i["causes"]])
        for i in findings["incidents"]
    ]


def test_attachments_are_named_with_their_command_in_every_report(
    simulated: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain" / "b"
    shutil.copytree(simulated, plain)
    code_plain, _, findings_plain = _analyze(plain, tmp_path / "out-plain")

    bundle = tmp_path / "attached" / "b"
    shutil.copytree(simulated, bundle)
    for name, data in ATTACHED.items():
        (bundle / name).write_bytes(data)
    code, output, findings = _analyze(bundle, tmp_path / "out", "--format", "html")

    # Exit code and verdict as without them.
    assert code == code_plain == 0
    assert _verdict(findings) == _verdict(findings_plain)
    assert findings_plain["incidents"], "the scenario has an incident"

    # One warning line per file, naming it and saying what to run.
    for path, text in EXPECTED.items():
        shown = path.replace("b/", f"{bundle.name}/", 1)
        lines = [w for w in findings["warnings"] if w.startswith(f"{shown}: ")]
        assert len(lines) == 1, (path, findings["warnings"])
        assert text in lines[0], lines[0]
        assert "binary file, not a log" not in lines[0]
    kinds = {i["path"]: i["kind"] for i in findings["inputs"]}
    assert all(kinds[p.replace("b/", f"{bundle.name}/", 1)] == "unsupported" for p in EXPECTED)
    flat = " ".join(output.split())
    assert '`dumplog /if "pim1_130330_093601.ems" /all /ms /of "pim1_130330_093601.txt"`' in flat

    # HTML: the same line, escaped.
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "wevtutil qe &#34;System.evtx&#34; /lf:true /f:text &gt; &#34;System.txt&#34;" in page
    assert 'qe "System.evtx"' not in page

    # Markdown and Japanese, from the same findings.
    res = runner.invoke(
        app,
        [
            "report",
            str(tmp_path / "out" / "findings.json"),
            "--format",
            "md",
            "--lang",
            "ja",
            "--out",
            str(tmp_path / "md"),
        ],
    )
    assert res.exit_code == 0, res.output
    md = (tmp_path / "md" / "report.md").read_text(encoding="utf-8")
    assert "Cisco ICM のバイナリ EMS ログで、hbtriage では読めません。" in md
    assert "RAR アーカイブで、hbtriage では読めません。先に (7-Zip や WinRAR で) 展開して" in md


@pytest.mark.parametrize("entry", known(), ids=lambda a: a.id)
def test_each_catalog_entry_names_its_files(tmp_path: Path, entry) -> None:
    """By its magic under any name, else by its extension when no reader takes the file."""
    for n, (at, magic) in enumerate(entry.magic):
        f = tmp_path / f"renamed{n}.log"
        f.write_bytes(bytes(at) + magic + bytes(64))
        reader, _enc, said = sniff(InputFile(display=str(f), path=str(f)))
        assert reader is None and said == note(entry, f.name), said
    for ext in entry.extensions:
        f = tmp_path / f"x{ext}"
        f.write_bytes(bytes(range(256)) * 4)  # binary, no magic of any entry
        reader, _enc, said = sniff(InputFile(display=str(f), path=str(f)))
        assert reader is None and said == note(entry, f.name), (ext, said)


def test_a_readable_text_file_with_an_attachment_extension_is_still_read(tmp_path: Path) -> None:
    f = tmp_path / "CVP.cap"
    f.write_text(
        "2013-03-30 19:36:46.531 CVP1 heartbeat ok\n2013-03-30 19:36:47.531 CVP1 heartbeat ok\n"
    )
    reader, _enc, said = sniff(InputFile(display=str(f), path=str(f)))
    assert reader is not None and said == ""


def test_the_catalog_is_checked() -> None:
    good = known()
    assert {a.id for a in good} >= {"ems", "evtx", "evt", "etl", "rar", "cab", "capture", "dump"}
    assert all(a.reference for a in good)
    bad_cases = {
        "missing required field 'how.ja'": '[[attachment]]\nid = "x"\ntitle.en = "t"\ntitle.ja = "t"\n'
        'how.en = "h"\nextensions = [".x"]\nreference = "r"\n',
        "magic": '[[attachment]]\nid = "x"\ntitle.en = "t"\ntitle.ja = "t"\nhow.en = "h"\n'
        'how.ja = "h"\nmagic = [{ hex = "zz" }]\nreference = "r"\n',
        "unknown ['path']": '[[attachment]]\nid = "x"\ntitle.en = "t"\ntitle.ja = "t"\n'
        'how.en = "{path}"\nhow.ja = "h"\nextensions = [".x"]\nreference = "r"\n',
        "neither magic nor extensions": '[[attachment]]\nid = "x"\ntitle.en = "t"\n'
        'title.ja = "t"\nhow.en = "h"\nhow.ja = "h"\nreference = "r"\n',
    }
    for problem, text in bad_cases.items():
        with pytest.raises(CatalogError, match=problem.replace("[", r"\[").replace("]", r"\]")):
            build_catalog(text, "attachments.toml")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.text(max_size=40))
def test_property_naming_never_raises_and_keeps_one_line(head: bytes, name: str) -> None:
    kind = by_magic(head)
    for entry in (kind, *known()[:2]):
        if entry is None:
            continue
        said = note(entry, name)
        assert "\n" not in said and "\r" not in said
        assert said.startswith(entry.title)


def test_the_catalogs_own_problems_are_worded_in_japanese_too() -> None:
    """attachments.toml's and names.toml's problems were English only: worded by id now, like
    every other catalog problem (a --lang ja run says them in Japanese)."""
    from hbtriage.hosts import word_pattern
    from hbtriage.warning_text import render

    text = '[[attachment]]\nid = "x"\ntitle.en = "t"\ntitle.ja = "t"\nhow.en = "h"\n'
    with pytest.raises(CatalogError) as err:
        build_catalog(text + 'how.ja = "h"\nreference = "r"\n', "attachments.toml")
    assert (
        render(err.value.args[0], "ja") == "attachments.toml [x]: magic も extensions もありません"
    )
    words = '[[words]]\nid = "w"\ntitle = "t"\nreference = "r"\npatterns = ["(pim"]\n'
    with pytest.raises(CatalogError) as err:
        word_pattern(words, "names.toml", "w")
    assert render(err.value.args[0], "ja").startswith(
        "names.toml [w]: pattern が正規表現としてコンパイルできません: "
    )
