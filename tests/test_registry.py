"""Contract tests over the registries: every reader and every reporter, on the same inputs.

Kind detection is by content: each fixture folder must be claimed by the reader of its kind
(first match in ``READERS`` order, as ``analyze`` does it); and every reader, given empty,
binary, hostile or absurd input, either returns a result of its own kind or raises
``InputError`` — never anything else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from hbtriage.catalog import load_catalog
from hbtriage.errors import InputError
from hbtriage.findings import Findings
from hbtriage.report.html import render_html
from hbtriage.report.json_out import to_json
from hbtriage.report.markdown import render_markdown
from hbtriage.report.terminal import render_terminal
from hbtriage.sources import readers_for, sniff
from hbtriage.sources.base import InputFile
from hbtriage.sources.encoding import detect_encoding

FIX = Path(__file__).parent / "fixtures"

# Fixture folder -> the kind analyze must detect for every file in it (by content only).
EXPECTED = {
    "ciscolog": "ciscolog",
    "config": "config_snapshot",
    "cvp_log": "cvp_log",
    "eventlog": "eventlog",
    "generic_log": "generic_log",
    "icm_dumplog": "icm_dumplog",
    "perfmon": "perfmon_csv",
    "get_counter": "get_counter",
    "sar": "sar",
    "systeminfo": "config_snapshot",
    "perfmon/ru": "perfmon_csv",
    "dpcisr/xperf": "xperf_dpcisr",
    "dpcisr/tracerpt": "tracerpt_dpcisr",
    "dpcisr/wpa": "wpa_dpcisr",
    "dpcisr/latencymon": "latencymon",
    "irq/bcc": "bcc_irq",
    "irq/proc": "proc_interrupts",
    "irq/mpstat": "sar",
    "irq/sadf": "sar",
}
NOT_DATA = {"LICENSE", "LICENSE-wesng.txt", "SOURCES.md", "README.md", "make_fixtures.py"}


def _cases() -> list[tuple[str, Path]]:
    return [
        (kind, p)
        for folder, kind in EXPECTED.items()
        for p in sorted((FIX / folder).iterdir())
        if p.is_file() and p.name not in NOT_DATA
    ]


@pytest.mark.parametrize(("kind", "path"), _cases(), ids=lambda v: getattr(v, "name", v))
def test_kind_is_detected_from_content(kind: str, path: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "upload.dat"  # the name must not matter
    renamed.write_bytes(path.read_bytes())
    reader, _enc, note = sniff(InputFile(display=path.name, path=str(renamed)))
    assert reader is not None, f"{path.name}: {note}"
    assert reader.kind == kind


HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "blank lines": b"\r\n\n \n",
    "binary": bytes(range(256)) * 64,
    "hostile text": ("<script>alert(1)</script>\x00\u202e" * 500 + "\n").encode("utf-8"),
    "one huge line": b"2013-03-30 19:36:46,531 INFO " + b"A" * 2_000_000,
    "absurd times": b"Events from February 31, 2013\n99:99:99:999 a-b Trace: x\n"
    b"Mar 99 2013 25:61:61.000 -9999: %CVP_8_5_X-9-Y: z\n",
    "utf-16 garbage": "\ufeff\ud7ff\u0000\uffff".encode("utf-16", errors="surrogatepass") * 100,
}


#: Every reader a run can use: the built-in ones and the bundled catalog's declared formats.
ALL_READERS = readers_for(load_catalog().formats)


@pytest.mark.parametrize("reader", ALL_READERS, ids=lambda r: r.kind)
@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_reader_returns_its_kind_or_input_error(reader, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "input"
    data = HOSTILE[name]
    path.write_bytes(data)
    enc = detect_encoding(data[:65536])
    reader.sniff(data[:65536].decode(enc, errors="replace"), "input")
    try:
        result = reader.read(InputFile(display="input", path=str(path)), enc)
    except InputError as exc:
        assert "input" in exc.one_line()  # the message names the file
        return
    assert result.kind == reader.kind


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_reporter_on_empty_findings(lang: str) -> None:
    empty = Findings(generated_by="test")
    console = Console(record=True, width=100)
    render_terminal(empty, console, lang=lang)
    text = console.export_text()
    md = render_markdown(empty, lang=lang)
    html = render_html(empty, None, lang=lang)
    none_found = {"en": "No heartbeat-loss incident", "ja": "インシデント"}[lang]
    for out in (text, md, html):
        assert none_found in out
    assert '"incidents": []' in to_json(empty)
