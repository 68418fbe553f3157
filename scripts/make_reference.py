"""Rebuild src/hbtriage/simulate/reference/ (the support note's case) deterministically.

Usage: .venv/bin/python scripts/make_reference.py [OUT_DIR]
The seed is fixed (hbtriage.simulate.scenarios.REFERENCE_SEED): running it twice gives the
same bytes. The output is package data; the tests check its facts.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from hbtriage.simulate.scenarios import write_reference

DEFAULT = Path(__file__).resolve().parent.parent / "src" / "hbtriage" / "simulate" / "reference"


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if out.exists():
        shutil.rmtree(out)
    files = write_reference(out)
    total = sum(p.stat().st_size for p in files)
    for p in files:
        print(f"{p.stat().st_size:>10,}  {p.relative_to(out)}")
    print(f"{total:>10,}  total")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
