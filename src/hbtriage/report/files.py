"""Writing report files safely: whole or not at all, never through a planted link."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hbtriage.errors import UsageError
from hbtriage.warning_text import warn


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def out_folder(out_dir: Path) -> Path:
    """``out_dir``, created when missing; a UsageError (one line) when it cannot be."""
    try:  # (exists() raises for a name too long)
        if out_dir.exists() and not out_dir.is_dir():
            raise UsageError(warn("usage_out_is_file", path=out_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            warn("usage_out_cannot_create", path=out_dir, error=exc.strerror)
        ) from None
    return out_dir


#: The files a run writes into ``--out`` (see :data:`hbtriage.report.REPORTERS`).
REPORT_FILES = frozenset({"findings.json", "charts.json", "report.html", "report.md"})


def is_report_file(path: Path, out_dir: Path) -> bool:
    """Whether ``path`` is one of the report files (or a part of one being written, see
    :func:`write_atomic`) in ``out_dir``: a run with ``--out`` inside its input folder must
    not read the last run's report as input."""
    name = path.name
    if name.startswith(".") and name.endswith(".tmp"):
        name = name[1:].rsplit(".", 2)[0]
    if name not in REPORT_FILES:
        return False
    try:
        return path.parent.resolve() == out_dir.resolve()
    except (OSError, RuntimeError):
        return False


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder renamed over it:
    a reader sees the old file or the new one, never a part (a full disk leaves the old file),
    and a symbolic link planted at ``path`` is replaced, not followed."""
    try:  # (a read-only or full folder refuses the temporary file itself)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # as open() would have made it, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(
            warn("usage_cannot_write", path=path, error=exc.strerror or str(exc))
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
