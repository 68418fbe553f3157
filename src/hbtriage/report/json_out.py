"""``findings.json``: the findings@1 document."""

from __future__ import annotations

import json
from pathlib import Path

from hbtriage.findings import Findings


def to_json(findings: Findings) -> str:
    return json.dumps(findings.to_dict(), ensure_ascii=False, indent=2) + "\n"


def write_json(findings: Findings, out_dir: Path) -> Path:
    from hbtriage.report.files import out_folder, write_atomic

    return write_atomic(out_folder(out_dir) / "findings.json", to_json(findings))
