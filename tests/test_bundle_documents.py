"""Office documents and other files that are zips of their own parts (.xlsx, .docx, .odt,
.jar) handed over with the logs: one file each, named in one warning, never extracted."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from hbtriage import analyze
from hbtriage.simulate.scenarios import generate


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and n == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


_XLSX = [
    ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
    ("_rels/.rels", b"<Relationships/>"),
    ("xl/workbook.xml", b"<workbook/>"),
    ("xl/worksheets/sheet1.xml", b"<worksheet/>"),
]
_DOCX = [
    ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
    ("word/document.xml", b"<document/>"),
    ("docProps/core.xml", b"<coreProperties/>"),
]
_ODT = [
    ("mimetype", b"application/vnd.oasis.opendocument.text"),
    ("content.xml", b"<office:document-content/>"),
    ("META-INF/manifest.xml", b"<manifest/>"),
]
_JAR = [("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n"), ("a/B.class", b"\xca\xfe")]


def test_office_documents_beside_the_logs_are_one_warning_each(tmp_path: Path) -> None:
    """A timeline spreadsheet, the engineer's notes (.docx files saved as '.zip'), an
    OpenDocument text and a tool's .jar in the case folder, one inside a zip of the CVP's
    logs. Each was extracted as an archive: a warning for each of its XML parts (4 for one
    .xlsx), as if the user had handed over loose XML files. Each is now one file, named in one
    warning as a document that is not used, and the analysis is the one without them."""
    case = tmp_path / "case"
    generate("dpc_storm_cvp", case, 7)
    (case / "truth.json").unlink()
    want = analyze([str(case)]).to_dict()
    (case / "timeline.xlsx").write_bytes(_zip(_XLSX))
    (case / "notes.zip").write_bytes(_zip(_DOCX))
    # A writer that puts the content types last: not extracted either (known by its parts),
    # though its first bytes no longer tell what it is.
    (case / "export.zip").write_bytes(_zip(_DOCX[::-1]))
    (case / "PG3A" / "summary.odt").write_bytes(_zip(_ODT, stored_first=True))
    (case / "tool.jar").write_bytes(_zip(_JAR))
    cvp = case / "CVP3"
    inner = [(p.name, p.read_bytes()) for p in sorted(cvp.iterdir())]
    shutil.rmtree(cvp)
    (case / "CVP3.zip").write_bytes(_zip([*inner, ("CVP3 capacity.xlsx", _zip(_XLSX))]))

    doc = analyze([str(case)]).to_dict()

    documents = {
        "timeline.xlsx",
        "notes.zip",
        "PG3A/summary.odt",
        "tool.jar",
        "CVP3.zip!CVP3 capacity.xlsx",
    }
    paths = {i["path"].split("case/", 1)[1] for i in doc["inputs"]}
    assert documents | {"export.zip"} <= paths
    for part in ("[Content_Types].xml", "workbook.xml", "mimetype", "MANIFEST.MF", ".class"):
        assert not any(part in p for p in paths), paths
    said = [w for w in doc["warnings"] if "document or program package" in w]
    assert sorted(w.split("case/", 1)[1].split(":", 1)[0] for w in said) == sorted(documents)
    assert not any(".xml" in w for w in doc["warnings"]), doc["warnings"]
    assert len([w for w in doc["warnings"] if "export.zip" in w]) == 1
    verdict = [(i["hosts"], i["causes"][0]["id"]) for i in doc["incidents"]]
    assert verdict == [(i["hosts"], i["causes"][0]["id"]) for i in want["incidents"]]
    assert {h["name"] for h in doc["hosts"]} == {h["name"] for h in want["hosts"]}


def test_which_zips_are_documents_is_catalog_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The extensions and the parts that make a zip one document were a list in the code
    beside the same list in catalog/attachments.toml: they come from the catalog's entries
    with zip_parts now, so a kind added there (a Visio .vsdm here, known by its parts when it
    is renamed) is read as one file, not extracted."""
    from hbtriage.sources import attachments, bundle

    vsdm = attachments.Attachment(
        "visio",
        "a Visio drawing",
        "Visio 図面",
        "h",
        "h",
        (),
        (".vsdm",),
        "r",
        ("visio/document.xml",),
    )
    monkeypatch.setattr(bundle, "zip_documents", lambda: (vsdm,))
    given = tmp_path / "case"
    given.mkdir()
    (given / "drawing.zip").write_bytes(_zip([("visio/document.xml", b"<x/>")]))
    (given / "logs.zip").write_bytes(_zip([("docProps/core.xml", b"<x/>")]))
    files = bundle.collect([given], tmp_path).files
    assert sorted(Path(f.display).name for f in files) == ["core.xml", "drawing.zip"]
