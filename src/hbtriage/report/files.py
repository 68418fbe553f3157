"""Writing report files safely: whole or not at all, never through a planted link."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hbtriage.errors import UsageError
from hbtriage.warning_text import warn

if TYPE_CHECKING:
    from hbtriage.findings import Findings


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def out_folder(out_dir: Path) -> Path:
    """``out_dir``, created when missing; a UsageError (one line) when it cannot be, or when
    no file can be made in it (a read-only disk: said before an analysis, not after it)."""
    try:  # (exists() raises for a name too long)
        if out_dir.exists() and not out_dir.is_dir():
            raise UsageError(warn("usage_out_is_file", path=out_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            warn("usage_out_cannot_create", path=out_dir, error=exc.strerror)
        ) from None
    try:  # (as the reports' temporary files are made: see _write_temp)
        fd, probe = tempfile.mkstemp(prefix=".hbtriage-", suffix=".tmp", dir=out_dir)
    except OSError as exc:
        raise UsageError(
            warn("usage_out_not_writable", path=out_dir, error=exc.strerror or str(exc))
        ) from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
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
    return write_set({path: text})[0]


def write_set(files: Mapping[Path, str]) -> list[Path]:
    """Write each path's text as :func:`write_atomic` does, the files as one set: every one is
    written whole to its temporary name first (a failure leaves the old set as it was), then
    they are renamed over the old ones with SIGINT, SIGTERM and SIGHUP held back, so a stop
    comes after the last rename, never between two (a new findings.json beside the last run's
    report.html). Only SIGKILL or a crash of the machine can still part them."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            temps.append((_write_temp(path, text), path))
        with _stops_held():
            while temps:
                tmp, path = temps[0]
                try:
                    os.replace(tmp, path)
                except OSError as exc:
                    raise UsageError(
                        warn("usage_cannot_write", path=path, error=exc.strerror or str(exc))
                    ) from None
                temps.pop(0)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return list(files)


def _write_temp(path: Path, text: str) -> str:
    """``text`` written and synced to a new temporary file beside ``path``; its name."""
    try:  # (a read-only or full folder refuses the temporary file itself)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(
            warn("usage_cannot_write", path=path, error=exc.strerror or str(exc))
        ) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # as open() would have made it, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(
            warn("usage_cannot_write", path=path, error=exc.strerror or str(exc))
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


@contextmanager
def _stops_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP noted, not acted on, inside the block; the first one noted
    is then given to the handler it would have met (``hbtriage``'s stop, KeyboardInterrupt, or
    the default action). Python handlers run in the main thread only: elsewhere, nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, _frame: object) -> None:
        noted.append(signum)

    previous: dict[int, Any] = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) not in (signal.SIG_IGN, None):
            previous[sig] = signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if noted:
            handler = previous[noted[0]]
            if callable(handler):
                handler(noted[0], None)
            else:  # SIG_DFL: what it would have done
                os.kill(os.getpid(), noted[0])


def write_reports(
    findings: Findings,
    charts: dict[str, Any] | None,
    out_dir: Path,
    formats: Iterable[str],
    lang: str,
    *,
    save: bool = True,
) -> list[Path]:
    """``findings.json`` and ``charts.json`` (``save``; charts.json when there are charts) and
    the reports of ``formats`` (:data:`hbtriage.report.REPORTERS`) into ``out_dir``, as one set
    (:func:`write_set`). Their paths in that order."""
    from hbtriage.report import REPORTERS, json_out

    texts: dict[str, str] = {}
    if save:
        texts["findings.json"] = json_out.to_json(findings)
        if charts is not None:
            text = json.dumps(charts, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            texts["charts.json"] = text
    for name in formats:
        reporter = REPORTERS.get(name)
        if reporter is not None:
            texts[reporter.filename] = reporter.render(findings, charts, lang)
    if not texts:
        return []
    folder = out_folder(out_dir)
    return write_set({folder / name: text for name, text in texts.items()})
