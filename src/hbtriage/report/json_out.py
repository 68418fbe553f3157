"""``findings.json``: the findings@1 document."""

from __future__ import annotations

import json
from pathlib import Path

from hbtriage.findings import Findings


def to_json(findings: Findings) -> str:
    return json.dumps(findings.to_dict(), ensure_ascii=False, indent=2) + "\n"


def write_json(findings: Findings, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "findings.json"
    path.write_text(to_json(findings), encoding="utf-8")
    return path
