"""The command line: thin wrappers around the library; errors become one line and exit 2."""

from __future__ import annotations

import json
import math
import os
import re
import sys

# polars allocates through jemalloc, which keeps freed pages for up to ~1.5 s before giving
# them back; on a large bundle, frames freed stage after stage then pile up in the resident
# size. A background thread returning them sooner lowers the peak on the 1 GB bench from ~860
# to ~760 MiB (bench/scale.py). After 0.3 s, not 0.1 s: pages given back are faulted in and
# zeroed again by the next frame's allocation (the 1 GB bench: 470k page faults at 0.1 s,
# 410k at 0.3 s; the whole bundle 3.55 -> 3.42 s, the logs alone 2.19 -> 2.15 s; the peak the
# same within the runs' spread). Set before polars is first imported (hbtriage's own
# imports are lazy); a value the user already set wins. Linux only: that is where polars'
# wheels use jemalloc with background threads.
if sys.platform.startswith("linux"):
    os.environ.setdefault(
        "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:300,muzzy_decay_ms:0"
    )
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum, StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from hbtriage.errors import HbtriageError

if TYPE_CHECKING:
    from hbtriage.findings import Findings

#: Other names users type for a choice: ``--format markdown``, ``--lang japanese``.
_CHOICE_ALIASES = {
    "markdown": "md",
    "htm": "html",
    "terminal": "text",
    "txt": "text",
    "console": "text",
    "english": "en",
    "en-us": "en",
    "en_us": "en",
    "en-gb": "en",
    "en_gb": "en",
    "japanese": "ja",
    "jp": "ja",
    "ja-jp": "ja",
    "ja_jp": "ja",
    "日本語": "ja",
}
#: The values of every choice of the command line (Fmt, Lang, FleetFmt).
_CHOICE_VALUES = frozenset({"text", "json", "html", "md", "en", "ja"})


def _choice_token(token: str) -> str:
    """The choice ``token`` names, in any case and by the other names of
    :data:`_CHOICE_ALIASES` (``Markdown`` is ``md``); any other token as it is. The parser
    normalizes the choices given and the option and command names with it (click's
    ``token_normalize_func``): those are no choice value or alias, so they stay as typed."""
    key = token.strip().lower()
    key = _CHOICE_ALIASES.get(key, key)
    return key if key in _CHOICE_VALUES else token


app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Find out why two servers lose their heartbeats (logs + perfmon on one UTC timeline).",
    context_settings={"token_normalize_func": _choice_token},
)


class Fmt(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    md = "md"


class Lang(StrEnum):
    en = "en"
    ja = "ja"


@app.callback()
def _everywhere(
    ctx: typer.Context,
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang", help="Language of the command's output (as its own --lang): en or ja."
        ),
    ] = None,
) -> None:
    """Find out why two servers lose their heartbeats (logs + perfmon on one UTC timeline)."""
    commands = getattr(ctx.command, "commands", None)
    if lang is not None and isinstance(commands, dict):
        # ``hbtriage --lang ja analyze ...``: the command's own --lang, when it has one, wins.
        ctx.default_map = {name: {"lang": lang.value} for name in commands}


def _escaped(text: str) -> str:
    """``text`` safe to print on a terminal (see :func:`~hbtriage.report.terminal.safe_terminal`):
    error messages and progress name files and hosts, which may hold control characters."""
    try:
        from hbtriage.report.terminal import safe_terminal
    except Exception:  # noqa: BLE001 - an error must still be told, and told safely
        return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return safe_terminal(text)


def _error_line(message: str, lang: str = "en", said: str = "cli_error") -> str:
    """``hbtriage: error: message`` (``said``: the i18n key of its second word), its words in
    ``lang`` where ``message`` is worded by id, control characters escaped."""
    if lang == "en":
        word = "warning" if said == "cli_warning" else "error"
        return f"hbtriage: {word}: {_escaped(message)}"
    from hbtriage.report.i18n import t
    from hbtriage.warning_text import render

    return f"hbtriage: {t(said, lang)}: {_escaped(render(message, lang))}"


def _one_on_stdout(fmt: list[Fmt], lang: Lang) -> None:
    """A usage error when ``--format`` asks for both reports written to standard output
    (``text`` and ``json``): one would be dropped without a word."""
    if Fmt.text in fmt and Fmt.json in fmt:
        from hbtriage.warning_text import warn

        _fail(warn("usage_two_on_stdout"), lang.value)


def _fail(message: str, lang: str = "en") -> None:
    """One line on stderr (``message`` in ``lang`` when it is worded by id), exit code 2."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        _error_line(message, lang), markup=False, emoji=False
    )
    raise typer.Exit(2)


def _argv_lang(argv: list[str] | None = None) -> str:
    """The ``--lang`` of the command line (``"en"`` without one or for an unknown one): the
    lines :func:`main` writes itself (a stop, a parser's usage error) come before or without
    the command's own parsing."""
    args = sys.argv[1:] if argv is None else argv
    lang = "en"
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            lang = args[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.partition("=")[2]
    lang = _choice_token(lang)
    return lang if lang in ("en", "ja") else "en"


def _stopped_line(signum: int, lang: str) -> str:
    """``hbtriage: stopped by SIGINT; temporary files removed`` in ``lang``, with its newline."""
    import signal

    from hbtriage.warning_text import render, warn

    said = warn("cli_stopped", signal=signal.Signals(signum).name)
    return f"hbtriage: {render(said, lang)}\n"


def _said(exc: Exception) -> str:
    """What an error says, with its id when it was worded by one (``str(exc)`` loses it)."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, str) and first == str(exc) else str(exc)


class _Signalled(BaseException):
    """SIGINT, SIGTERM or SIGHUP, raised in the main thread (as SIGINT raises KeyboardInterrupt):
    every ``with`` and ``finally`` on the way out runs, so the work folder with what was
    extracted, decoded copies and half-written outputs are removed. Not an Exception, nor a
    KeyboardInterrupt: nothing on the way (typer included) may take it for something else."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _PipeClosed(BaseException):
    """stdout or stderr is a pipe its reader closed (``hbtriage analyze X | head -1``): the
    command ends as one killed by SIGPIPE would (exit 141), saying nothing, after its clean-up.
    Not an OSError: click, typer and rich would each turn that into exit 1."""


#: The exit code of a command whose output pipe was closed: 128 + SIGPIPE.
EXIT_PIPE_CLOSED = 141


class _PipeGuard:
    """``sys.stdout`` or ``sys.stderr`` as it was, whose writes into a closed pipe raise
    :class:`_PipeClosed`; everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise _PipeClosed from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise _PipeClosed from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _guard_pipes() -> Iterator[None]:
    """stdout and stderr through :class:`_PipeGuard` while the command runs. After a closed
    pipe, the stream's file descriptor is pointed at the null device, so the interpreter's last
    flush at exit cannot say "Exception ignored ... BrokenPipeError"."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _PipeGuard(sys.stdout), _PipeGuard(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    except _PipeClosed:
        _silence(saved)
        raise
    finally:
        sys.stdout, sys.stderr = saved


def _silence(streams: tuple[Any, ...]) -> None:
    """Point each of ``streams`` at the null device (its buffered text dropped)."""
    from contextlib import suppress

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in streams:
            with suppress(OSError, ValueError, AttributeError):
                os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


#: After SIGINT, SIGTERM or SIGHUP a run has this long to unwind by itself before its
#: temporary folder is removed for it and it exits (see :func:`_stop_on_signals`).
STOP_GRACE_S = 5.0


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP stop the command alike (see :class:`_Signalled`); a second
    one while the first is being cleaned up after is ignored, so it cannot cut the clean-up
    short (SIGKILL still ends it at once, leaving its temporary files).

    A Python handler runs only when the main thread is back in Python, and it can be inside one
    long polars call. So every temporary file of the command goes below one folder of its own
    (``tempfile.tempdir``), and a watchdog thread, told of the signal at once through the
    wakeup fd, gives the clean unwinding :data:`STOP_GRACE_S` seconds; then it removes that
    folder itself and exits, with the same line and exit code."""
    import shutil
    import signal
    import socket
    import tempfile
    import threading
    from contextlib import suppress

    wanted = [getattr(signal, name, None) for name in ("SIGINT", "SIGTERM", "SIGHUP")]
    signals = [s for s in wanted if s is not None]
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers and the wakeup fd belong to the main thread
        return

    def stop(signum: int, _frame: object) -> None:
        for s in signals:
            signal.signal(s, signal.SIG_IGN)
        raise _Signalled(signum)

    # Its first call writes and removes a probe file; an exception raised between the two
    # (a signal) would leave the probe behind.
    tempfile.gettempdir()
    previous: dict[int, Any] = {}
    try:
        for s in signals:
            # A signal already ignored stays ignored: under nohup, SIGHUP must not stop the run
            # (nor a long ``watch``) when the terminal closes.
            if signal.getsignal(s) is signal.SIG_IGN:
                continue
            previous[s] = signal.signal(s, stop)
    except ValueError:  # not the main thread: leave the process's handlers alone
        pass
    # polars hooks SIGINT when it is first imported (to abort a query with KeyboardInterrupt),
    # over SIG_IGN too: a run started in the background of a script (``hbtriage analyze big/
    # &``, whose SIGINT the shell ignores so that the terminal's Ctrl-C of the script leaves it
    # going) was stopped by the first SIGINT that met a query, silently, exit 130, no report.
    # Python never sees that change (it still says SIG_IGN), so polars is imported here first.
    if signal.SIGINT in signals and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        import polars  # noqa: F401

        signal.signal(signal.SIGINT, signal.SIG_IGN)

    saved_tempdir = tempfile.tempdir
    try:
        own = tempfile.mkdtemp(prefix="hbtriage-")
    except OSError:
        own = None  # the run itself will say what is wrong with the temporary folder
    else:
        tempfile.tempdir = own
    finished = threading.Event()
    receiver, sender = socket.socketpair()
    sender.setblocking(False)
    numbers = {int(s) for s in previous}

    def watchdog() -> None:
        while True:
            try:
                got = receiver.recv(64)
            except OSError:
                return
            if not got:
                return
            signum = next((n for n in got if n in numbers), None)
            if signum is None:
                continue
            if finished.wait(STOP_GRACE_S):
                return
            os.write(2, _stopped_line(signum, _argv_lang()).encode())
            if own is not None:
                shutil.rmtree(own, ignore_errors=True)
            os._exit(128 + signum)

    old_fd = -1
    try:
        old_fd = signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
    except ValueError:
        pass
    else:
        threading.Thread(target=watchdog, name="hbtriage-stop", daemon=True).start()
    try:
        yield
    finally:
        finished.set()
        for s, handler in previous.items():
            signal.signal(s, handler)
        with suppress(ValueError):
            signal.set_wakeup_fd(old_fd)
        sender.close()
        receiver.close()
        tempfile.tempdir = saved_tempdir
        if own is not None:
            shutil.rmtree(own, ignore_errors=True)


#: An automatic progress bar (stderr is a terminal) appears only for runs longer than this.
PROGRESS_DELAY_S = 1.0


@contextmanager
def _progress(enabled: bool, delay: float = 0.0, lang: str = "en"):  # type: ignore[no-untyped-def]
    """A rich progress bar on stderr: stage, bytes and files read, last file, elapsed time.

    It appears after ``delay`` seconds (so quick runs print nothing) and vanishes at the end.
    When stderr is not a terminal (``--progress`` into a pipe or a log file) the same facts
    come as plain lines: one per stage and per file read. Its words are in ``lang``."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():
        yield _progress_lines(lang)
        return
    import threading

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.fields[stage]}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TextColumn("{task.fields[detail]}", style="dim", markup=False),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("hbtriage", total=1, stage="read", detail="", count="")
    lock = threading.Lock()
    state = {"started": False, "done": False}

    def start() -> None:
        with lock:
            if not state["done"] and not state["started"]:
                bar.start()
                state["started"] = True

    timer = threading.Timer(delay, start)
    timer.daemon = True
    if delay > 0:
        timer.start()
    else:
        start()

    left = _TimeLeft(lang)

    def update(stage: str, done: int, total: int, detail: str) -> None:
        count = _count(stage, done, total) + left.text(stage, done, total)
        bar.update(
            task,
            total=max(total, 1),
            completed=done,
            stage=_stage(stage, lang),
            count=count,
            detail=_escaped(_detail(detail, lang))[-60:],
        )

    try:
        yield update
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                bar.stop()


def _count(stage: str, done: int, total: int) -> str:
    """The bar's byte count: read so far of the total, or extracted so far."""
    if stage == "read":
        return f"{done / 1e6:,.0f}/{total / 1e6:,.0f} MB"
    if stage == "extract":
        return f"{done / 1e6:,.0f} MB"
    return ""


def _stage(stage: str, lang: str) -> str:
    """A progress stage's name in ``lang`` (one without a wording as it is)."""
    from hbtriage.report.i18n import STRINGS, t

    key = f"stage_{stage}"
    return t(key, lang) if key in STRINGS["en"] else stage


#: The count a detail starts with: files read (``api``: ``"3/9 files  last/file"``) or bundles
#: done (``fleet``: ``"1/2 bundles  name"``).
_FILES_DONE = re.compile(r"(\d+)/(\d+) (files|bundles)(?=\s|$)")


def _detail(detail: str, lang: str) -> str:
    """A progress detail in ``lang``: its files count worded, the file name as it is."""
    if lang == "en":
        return detail
    from hbtriage.report.i18n import t

    found = _FILES_DONE.match(detail)
    if found is None:
        return detail
    n, total, what = found.groups()
    return t(f"progress_{what}", lang, n=n, total=total) + detail[found.end() :]


class _TimeLeft:
    """How long reading should still take, from the bytes read since the read stage began:
    ``" · ~12 s left"`` once it has run for a few seconds, else nothing."""

    #: Reading must have run this long (seconds) before its pace says anything.
    SETTLE_S = 3.0

    def __init__(self, lang: str = "en") -> None:
        self.start: tuple[float, int] | None = None  # (when, bytes) the read stage began
        self.lang = lang

    def text(self, stage: str, done: int, total: int) -> str:
        import time

        if stage != "read":
            return ""
        now = time.monotonic()
        if self.start is None:
            self.start = (now, done)
            return ""
        since, at = self.start
        if now - since < self.SETTLE_S or done <= at or done >= total:
            return ""
        from hbtriage.report.i18n import t

        left = (total - done) * (now - since) / (done - at)
        return " · " + t("progress_left", self.lang, left=_duration(left, self.lang))


def _duration(seconds: float, lang: str = "en") -> str:
    """``"42 s"``, ``"3 min 5 s"``, ``"1 h 2 min"`` (in ``lang``: ``"3 分 5 秒"``)."""
    from hbtriage.report.i18n import t

    s = max(1, round(seconds))
    if s < 60:
        return t("progress_seconds", lang, s=s)
    if s < 3600:
        return t("progress_minutes", lang, m=s // 60, s=s % 60)
    return t("progress_hours", lang, h=s // 3600, m=s % 3600 // 60)


#: In a pipe or log file, how often (seconds) a line tells how far reading is inside large
#: files (a line per file read and per stage comes as it happens).
PROGRESS_LINE_EVERY_S = 5.0


def _progress_lines(lang: str = "en"):  # type: ignore[no-untyped-def]
    """Progress as lines on stderr, for a pipe or a log file (no cursor tricks)."""
    import time

    from hbtriage.report.i18n import t

    t0 = time.monotonic()
    last = {"stage": "", "detail": ""}
    at = [-1.0]  # when the last line was written
    left = _TimeLeft(lang)

    def update(stage: str, done: int, total: int, detail: str) -> None:
        now = time.monotonic()
        eta = left.text(stage, done, total)
        if stage == last["stage"] and detail == last["detail"]:
            # Inside large files: a line every few seconds, so a long read is not silent.
            if stage != "read" or now - at[0] < PROGRESS_LINE_EVERY_S:
                return
        # An archive can hold thousands of members: one extract line a second at most.
        elif stage == "extract" == last["stage"] and now - at[0] < 1.0:
            return
        last["stage"], last["detail"], at[0] = stage, detail, now
        count = f"  {_count(stage, done, total)}{eta}" if stage in ("read", "extract") else ""
        note = f"  {_escaped(_detail(detail, lang))}" if detail else ""
        elapsed = t("progress_elapsed", lang, s=f"{time.monotonic() - t0:6.1f}")
        sys.stderr.write(f"hbtriage: {elapsed} {_stage(stage, lang)}{count}{note}\n")
        sys.stderr.flush()

    return update


def _analyze_and_report(
    paths: list[Path],
    tz: list[str],
    host_alias: list[str],
    out: Path,
    fmt: list[Fmt],
    lang: Lang,
    quiet: bool,
    progress: bool,
    catalog_dirs: list[Path] | None = None,
) -> None:
    from hbtriage.api import run
    from hbtriage.catalog import load_catalog
    from hbtriage.report.files import out_folder

    show_progress = progress or (not quiet and sys.stderr.isatty())
    try:
        # An --out that cannot be made is said before the analysis, not after it.
        out_folder(out)
        # A site catalog's entry that cannot be used is left out (a warning of the report);
        # the command's error line says it once the reports are written, exit code 2.
        catalog = load_catalog(extra=catalog_dirs or [], skip_bad=True)
        delay = 0.0 if progress else PROGRESS_DELAY_S
        with _progress(show_progress, delay, lang.value) as update:
            analysis = run(
                paths, tz=tz, host_aliases=host_alias, progress=update, catalog=catalog, out=out
            )
    except HbtriageError as exc:
        _fail(_said(exc), lang.value)
        return
    from hbtriage.report import REPORTERS

    findings = analysis.findings
    # The chart data step runs when a report draws charts (saved as charts.json for
    # ``hbtriage report``), in the report language (another language re-rendered later falls
    # back to these figures: same data, titles as drawn now).
    charts = None
    if any(REPORTERS[f.value].needs_charts for f in fmt if f.value in REPORTERS):
        from hbtriage.report.charts import chart_data

        charts = chart_data(findings, analysis.timeline, (lang.value,), catalog)
    _write_reports(findings, charts, out, fmt, lang, quiet)
    # Bad input (a site catalog's entry left out, an input that is damaged or cannot be
    # read): the rest was analysed and the reports say each; the first is the command's one
    # line, exit code 2.
    problems = [*catalog.skipped, *analysis.problems]
    if problems:
        from hbtriage.warning_text import warn

        said, more = problems[0], len(problems) - 1
        _fail(warn("cli_bad_input_more", said=said, count=more) if more else said, lang.value)


#: Characters JSON may hold raw that a terminal acts on: C1 controls, line separators and
#: bidirectional overrides (C0 controls are escaped by JSON itself).
_TERMINAL_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


#: What a stdout that is not UTF-8 may not hold: everything past ASCII.
_NOT_ASCII = re.compile("[^\x00-\x7f]")


def _json_escape(char: str) -> str:
    """``char`` as JSON writes it escaped: ``\\uXXXX``, a surrogate pair past the BMP."""
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _terminal_json(text: str, encoding: str | None = "utf-8") -> str:
    """``text`` (JSON) with the characters of :data:`_TERMINAL_UNSAFE` written as ``\\uXXXX``
    escapes: the same JSON value, safe to print. On a stdout of another ``encoding`` (ASCII,
    Latin-1, a Windows code page) every character past ASCII is escaped so: the stream's own
    escapes (``\\U0001f600``) would not be JSON."""
    utf = (encoding or "").lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
    unsafe = _TERMINAL_UNSAFE if utf else _NOT_ASCII
    return unsafe.sub(lambda m: _json_escape(m.group()), text)


def _write_reports(
    findings: Findings,
    charts: dict[str, Any] | None,
    out: Path,
    fmt: list[Fmt],
    lang: Lang,
    quiet: bool,
    *,
    save: bool = True,
) -> None:
    """Write findings.json and charts.json (``save``) and the reports asked for into ``out``,
    then show the terminal report (or the JSON on stdout)."""
    from hbtriage.report import json_out
    from hbtriage.report.files import write_reports
    from hbtriage.report.i18n import t
    from hbtriage.report.terminal import render_terminal

    try:
        formats = [f.value for f in fmt]
        written = write_reports(findings, charts, out, formats, lang.value, save=save)
    except HbtriageError as exc:
        _fail(_said(exc), lang.value)
        return
    if Fmt.json in fmt:
        encoding = getattr(sys.stdout, "encoding", None)
        sys.stdout.write(_terminal_json(json_out.to_json(findings), encoding))
        return
    console = Console(highlight=False, soft_wrap=False)
    render_terminal(findings, console, lang=lang.value)
    if not quiet and written:
        paths = ", ".join(_escaped(str(p)) for p in written)
        console.print(t("cli_wrote", lang.value, paths=paths), markup=False)


TzOpt = Annotated[
    list[str],
    typer.Option(
        "--tz",
        help="Zone of a host (any of its names), or of all: HOST=ZONE or ZONE; ZONE is an IANA name "
        "(Asia/Tokyo), a Windows zone name (Central Standard Time) or an offset (UTC-05:00).",
    ),
]
AliasOpt = Annotated[
    list[str], typer.Option("--host-alias", help="NAME=CANONICAL: two names for one machine.")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder for findings.json and reports.")]
FmtOpt = Annotated[list[Fmt], typer.Option("--format", help="text, json (to stdout), html, md.")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Report language.")]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", metavar="", help="No progress bar, no 'Wrote' line.")
]
ProgOpt = Annotated[
    bool, typer.Option("--progress", metavar="", help="Progress on stderr even when not a tty.")
]
CatalogOpt = Annotated[
    list[Path],
    typer.Option(
        "--catalog",
        help="A folder of site catalog files (signatures/, causes/, formats/, anomalies.toml, "
        "counters.toml, config_checks.toml) layered on the bundled catalog; repeatable.",
    ),
]


@app.command()
def analyze(
    # (readable=False: a file or folder that cannot be read is a warning of the report and the
    # rest is analysed, not the parser's refusal of the whole command line, in English)
    paths: Annotated[
        list[Path], typer.Argument(help="Files, folders and .zip bundles.", readable=False)
    ],
    tz: TzOpt = [],  # noqa: B006
    host_alias: AliasOpt = [],  # noqa: B006
    out: OutOpt = Path("hbtriage-out"),
    fmt: FmtOpt = [Fmt.text],  # noqa: B006
    lang: LangOpt = Lang.en,
    quiet: QuietOpt = False,
    progress: ProgOpt = False,
    catalog: CatalogOpt = [],  # noqa: B006
) -> None:
    """Analyse a bundle: incidents, evidence, ranked causes, remedies; writes findings.json."""
    _one_on_stdout(fmt, lang)
    missing = [str(p) for p in paths if not os.path.exists(p)]  # (False for a name too long)
    if missing:
        from hbtriage.sources.bundle import is_link_loop
        from hbtriage.warning_text import warn

        loops = [p for p in missing if is_link_loop(p)]
        if loops:
            _fail(warn("usage_link_loop", paths=", ".join(loops)), lang.value)
        _fail(warn("usage_no_such_path", paths=", ".join(missing)), lang.value)
    _analyze_and_report(paths, tz, host_alias, out, fmt, lang, quiet, progress, catalog)


@app.command()
def report(
    findings_json: Annotated[
        Path,
        typer.Argument(
            help="A findings.json written by analyze (charts.json beside it).", readable=False
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the reports (default: the findings' folder)."),
    ] = None,
    fmt: FmtOpt = [Fmt.text],  # noqa: B006
    lang: LangOpt = Lang.en,
    quiet: QuietOpt = False,
) -> None:
    """Render a saved analysis again (text, html, md, json) without its inputs."""
    from hbtriage.findings import DocumentError, Findings
    from hbtriage.warning_text import warn

    _one_on_stdout(fmt, lang)

    source = findings_json / "findings.json" if os.path.isdir(findings_json) else findings_json
    try:  # a FIFO waits for a writer, /dev/zero never ends
        special = source.exists() and not source.is_file()
    except OSError:  # a name too long: said as the reading below says it
        special = False
    if special:
        _fail(warn("usage_not_regular", path=source), lang.value)
    try:
        # (bytes: UTF-8 with or without a BOM, UTF-16 and UTF-32, as an editor may have
        # saved it again; json tells them apart)
        doc = json.loads(source.read_bytes(), parse_float=_finite, parse_constant=_finite)
        if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(
            "hbtriage/findings@"
        ):
            _fail(warn("usage_not_findings", path=source), lang.value)
        findings = Findings.from_dict(doc)
    except OSError as exc:
        _fail(warn("usage_cannot_read", path=source, error=exc.strerror), lang.value)
        return
    except DocumentError as exc:
        where = exc.where or "/"
        if exc.missing:
            said = warn("usage_findings_missing", path=source, where=where, expected=exc.expected)
        else:
            said = warn(
                "usage_findings_value",
                path=source,
                where=where,
                expected=exc.expected,
                found=exc.found,
            )
        _fail(said, lang.value)
        return
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        _fail(warn("usage_not_findings_why", path=source, why=exc), lang.value)
        return
    charts: dict[str, Any] | None = None
    beside = source.parent / "charts.json"
    warning = ""  # told once the reports are written: a failure is one line on its own
    if beside.is_file():
        try:
            charts = json.loads(beside.read_bytes(), parse_float=_finite, parse_constant=_finite)
            if not isinstance(charts, dict):  # (a list would be taken for a timeline)
                charts = None
                raise ValueError(warn("expected", expected=warn("json_object")))
        except (OSError, ValueError, RecursionError) as exc:
            said = warn("report_no_charts", path=beside, error=_said(exc))
            warning = _error_line(said, lang.value, "cli_warning") + "\n"
    _write_reports(findings, charts, out or source.parent, fmt, lang, quiet, save=False)
    sys.stderr.write(warning)


def _finite(text: str) -> float:
    """A number of a findings.json: Infinity, NaN and 1e999 are none analyze writes."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def reference_bundle() -> Path:
    """Where the bundled reference case (package data) lives."""
    return Path(str(resources.files("hbtriage") / "simulate" / "reference"))


@app.command()
def demo(
    out: OutOpt = Path("hbtriage-out"),
    fmt: FmtOpt = [Fmt.text, Fmt.html],  # noqa: B006
    lang: LangOpt = Lang.en,
    quiet: QuietOpt = False,
    progress: ProgOpt = False,
) -> None:
    """Run analyze on the bundled reference case (PG1A + CVP1, 2013-03-30, DPC storm)."""
    _analyze_and_report([reference_bundle()], [], [], out, fmt, lang, quiet, progress)


@app.command()
def simulate(
    scenario: Annotated[str, typer.Argument(help="Scenario name (see --list).")] = "",
    out: Annotated[Path, typer.Option("--out", help="Folder to write the bundle into.")] = Path(
        "hbtriage-sim"
    ),
    seed: Annotated[int, typer.Option("--seed", min=0)] = 1,
    list_: Annotated[bool, typer.Option("--list", metavar="", help="List the scenarios.")] = False,
    lang: LangOpt = Lang.en,
) -> None:
    """Write a labelled bundle in the real formats plus truth.json."""
    from hbtriage.report.files import out_folder
    from hbtriage.report.i18n import t
    from hbtriage.simulate.scenarios import SCENARIOS, generate_whole
    from hbtriage.warning_text import warn

    if list_ or not scenario:
        for name in SCENARIOS:
            typer.echo(name)
        return
    if scenario not in SCENARIOS:
        said = warn("usage_unknown_scenario", scenario=scenario, names=", ".join(SCENARIOS))
        _fail(said, lang.value)
    try:
        generate_whole(scenario, out_folder(out), seed)
    except HbtriageError as exc:
        _fail(_said(exc), lang.value)
    except OSError as exc:
        error = exc.strerror or str(exc)
        _fail(warn("at_file", path=out, reason=warn("write_failed", error=error)), lang.value)
    typer.echo(
        t("simulate_wrote", lang.value, scenario=scenario, seed=seed, out=_escaped(str(out)))
    )


@app.command()
def plan(
    windows: Annotated[
        bool, typer.Option("--windows", metavar="", help="Windows commands (default).")
    ] = False,
    linux: Annotated[
        bool, typer.Option("--linux", metavar="", help="Linux (sysstat) commands.")
    ] = False,
    hosts: Annotated[list[str], typer.Option("--hosts", help="Host names to fill in.")] = [],  # noqa: B006
    lang: LangOpt = Lang.en,
    write_profiles: Annotated[
        Path | None,
        typer.Option(
            "--write-profiles",
            metavar="DIR",
            help="Also write the WPR/WPA profiles and the trigger script into DIR (never over a file).",
        ),
    ] = None,
) -> None:
    """Print the commands that collect what a diagnosis needs, ready to paste."""
    from hbtriage.live import plan as plan_lib

    target = "linux" if linux and not windows else "windows"
    names: list[str] = []
    for h in hosts:
        names.extend(x for x in h.split(",") if x)
    try:
        text = plan_lib.render_plan(target, names, lang.value)
        written = plan_lib.write_profiles(write_profiles) if write_profiles is not None else []
    except HbtriageError as exc:
        _fail(_said(exc), lang.value)
    except OSError as exc:
        _fail(str(exc), lang.value)
    typer.echo(text)
    from hbtriage.report.i18n import t

    for path in written:
        typer.echo(t("plan_wrote", lang.value, path=_escaped(str(path))), err=True)


@app.command()
def watch(
    listen: Annotated[str, typer.Option("--listen", help="ADDR:PORT to listen on (UDP and TCP).")],
    peer: Annotated[str, typer.Option("--peer", help="HOST:PORT of the other end.")],
    interval: Annotated[
        str, typer.Option("--interval", help="Heartbeat interval, e.g. 1s, 200ms.")
    ] = "1s",
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the watch log and counters.")
    ] = Path("hbtriage-watch"),
    host: Annotated[str, typer.Option("--host", help="This end's name in the records.")] = "",
    metrics_port: Annotated[
        int, typer.Option("--metrics-port", min=0, max=65535, help="Prometheus port (0: off).")
    ] = 0,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Shared key that signs the heartbeats (same file on both ends; else the"
            " HBTRIAGE_WATCH_KEY environment variable; without one, unauthenticated).",
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many seconds.")
    ] = None,
    lang: Annotated[
        Lang, typer.Option("--lang", help="Language of what it says on stderr.")
    ] = Lang.en,
) -> None:
    """Exchange heartbeats with a peer and record loss, suspicion and counters for analyze."""
    from hbtriage.live.probe import main_watch

    try:
        main_watch(
            listen=listen,
            peer=peer,
            interval=interval,
            out_dir=out,
            host=host or None,
            metrics_port=metrics_port or None,
            key_file=key_file,
            duration=duration,
            lang=lang.value,
        )
    except (HbtriageError, ValueError) as exc:
        _fail(_said(exc), lang.value)


class FleetFmt(StrEnum):
    html = "html"
    md = "md"


@app.command()
def fleet(
    roots: Annotated[
        list[Path],
        typer.Argument(help="Folders whose sub-folders/archives are bundles.", readable=False),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the fleet view and each bundle's findings.")
    ],
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler", help="Dask scheduler, e.g. tcp://host:8786 (default: a local cluster)."
        ),
    ] = "",
    workers: Annotated[
        int,
        typer.Option("--workers", min=0, max=256, help="Local worker processes (0: one per core)."),
    ] = 0,
    fmt: Annotated[
        list[FleetFmt],
        typer.Option("--format", help="Reports per bundle besides findings.json: html, md."),
    ] = [],  # noqa: B006
    force: Annotated[
        bool, typer.Option("--force", metavar="", help="Analyse unchanged bundles again.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0, help="Seconds per bundle (0: no limit).")
    ] = 0,
    quiet: QuietOpt = False,
    progress: ProgOpt = False,
    lang: LangOpt = Lang.en,
) -> None:
    """Analyse every bundle under ROOT on Dask; writes fleet.json, incidents.parquet, fleet.html."""
    from hbtriage.fleet import run_fleet
    from hbtriage.report.i18n import t
    from hbtriage.warning_text import warn

    missing = [str(p) for p in roots if not os.path.isdir(p)]
    if missing:
        _fail(warn("usage_no_such_folder", paths=", ".join(missing)), lang.value)
    if not math.isfinite(timeout):
        _fail(warn("usage_timeout", value=timeout), lang.value)
    try:
        shown = progress or (not quiet and sys.stderr.isatty())
        with _progress(shown, 0.0 if progress else PROGRESS_DELAY_S, lang.value) as update:
            run = run_fleet(
                roots,
                out,
                scheduler=scheduler or None,
                workers=workers or None,
                formats=[f.value for f in fmt],
                force=force,
                timeout=timeout or None,
                progress=update,
                lang=lang.value,
            )
    except HbtriageError as exc:
        _fail(_said(exc), lang.value)
        return
    bad = sum(1 for r in run.rows if r["status"] != "ok")
    if not quiet:
        said = t("fleet_done", lang.value, n=len(run.rows), unchanged=len(run.skipped), bad=bad)
        wrote = t(
            "fleet_wrote", lang.value, s=f"{run.wall_s:.1f}", path=_escaped(str(out / "fleet.json"))
        )
        typer.echo(f"{said}{wrote}")


_MISSING = object()


def _lean_value(annotation: Any, value: Any, param: Any, ctx: Any) -> Any:
    """``value`` coerced to ``annotation`` as typer's own adapters would, for the values a
    command line gives (a ``str``, an enum member, a ``Path``, a list of them); ``_MISSING``
    for anything else, which is left to typer."""
    from typing import get_args, get_origin

    from typer._param_types import coerce_cli_choice, coerce_cli_path

    info = param.type_descriptor.parameter_info
    if info.parser is not None:
        return _MISSING  # the parameter's own parser: typer runs it
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        items = value if isinstance(value, (list, tuple)) else [value]
        out = [_lean_value(item_type, item, param, ctx) for item in items]
        return _MISSING if any(v is _MISSING for v in out) else out
    if annotation is str:
        return value if type(value) is str else _MISSING
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            return _MISSING  # typer words the error
    if annotation is Path and type(value) is str and not value:
        # ('' would be Path('.'): the current folder, read or written without a word)
        from hbtriage.warning_text import warn

        raise typer.BadParameter(warn("usage_empty_path"), ctx=ctx, param=param)
    if annotation is Path and info.path_type is None and type(value) in (str, type(Path())):
        try:
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        except typer.BadParameter:
            return _MISSING
    return _MISSING


class _LeanCoercion:
    """A parameter's coercion that gives what typer's gives without building its pydantic
    adapters (importing pydantic and building them is ~0.1 s a run, more than a tiny bundle's
    analysis): plain values are converted by typer's own choice and path functions, anything
    else (and every error, so its wording stays typer's) by typer's runtime parameter, built
    then."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self._full: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        if not (multi and isinstance(value, str)):
            got = _lean_value(param.type_descriptor.annotation, value, param, ctx)
            if got is not _MISSING:
                return got
        if self._full is None:
            self._full = self._build(param.type_descriptor)
        return self._full.coerce(value, param=param, ctx=ctx)


def _lean_params(command: Any, parent: Any = None) -> None:
    """Give the parameters of ``command`` and its subcommands, their ``--help`` included,
    :class:`_LeanCoercion`, when this typer builds pydantic adapters per parameter (typer
    0.2x); otherwise nothing."""
    try:
        from typer._coercion import build_runtime_param
        from typer.core import _TyperParameter
    except ImportError:
        return
    params = list(getattr(command, "params", ()))
    ctx = None
    try:
        # The help option is made (and kept) on first use, with the names the context says:
        # made here in a context set up as the run's will be (settings, parent).
        ctx = command.context_class(command, parent=parent, **command.context_settings)
        params.append(command.get_help_option(ctx))
    except Exception:  # noqa: BLE001, S110 - then typer coerces --help itself, as it would
        pass
    for param in params:
        if isinstance(param, _TyperParameter) and getattr(param, "_runtime_param", 0) is None:
            param._runtime_param = _LeanCoercion(build_runtime_param)  # type: ignore[assignment]
    for sub in getattr(command, "commands", {}).values():
        _lean_params(sub, ctx)


def _hint(param: Any, ctx: Any) -> str:
    """How the parser names ``param`` in its errors (``'--format'``, ``'paths'``)."""
    try:
        return str(param.get_error_hint(ctx))  # click
    except TypeError:
        return str(param.get_error_hint())  # typer's own parameters


def _bad_value(exc: Any, param: Any, name: str) -> str | None:
    """A bad value of ``param`` worded by id from what typer's validation found (its kind,
    the value, the limits); None for one it does not know."""
    from hbtriage.warning_text import warn

    if isinstance(exc.message, str) and hasattr(exc.message, "id"):  # worded by hbtriage
        return warn("usage_bad_value", name=name, reason=exc.message)
    errors = getattr(exc.__cause__, "errors", None)
    found = errors() if callable(errors) else []
    if not found or not isinstance(found[0], dict):
        return None
    kind, value = found[0].get("type"), found[0].get("input")
    info = param.type_descriptor.parameter_info
    choices = [str(getattr(c, "value", c)) for c in param.type_descriptor.choices or ()]
    if kind == "value_error" and choices and value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        return warn("usage_not_a_choice", name=name, value=value, choices=listed)
    if kind in ("int_parsing", "float_parsing"):
        return warn(
            "usage_not_an_integer" if kind == "int_parsing" else "usage_not_a_number",
            name=name,
            value=value,
        )
    if kind in ("greater_than_equal", "less_than_equal"):
        if info.min is not None and info.max is not None:
            return warn("usage_in_range", name=name, value=value, low=info.min, high=info.max)
        if kind == "greater_than_equal":
            return warn("usage_at_least", name=name, value=value, limit=info.min)
        return warn("usage_at_most", name=name, value=value, limit=info.max)
    return None


def _usage_said(exc: Any, command: Any, argv: list[str]) -> str | None:
    """A usage error of the parser (click's, as typer bundles it or depends on it) worded by
    id from its kind and fields, with the command it concerns; None for one it does not know
    (its English line is told then). ``command``: the whole command line's group."""
    from hbtriage.warning_text import warn

    kinds = {k.__name__ for k in type(exc).__mro__}
    ctx, param = getattr(exc, "ctx", None), getattr(exc, "param", None)
    said: str | None = None
    if "NoSuchOption" in kinds:
        like = ", ".join(sorted(getattr(exc, "possibilities", None) or ()))
        said = (
            warn("usage_no_such_option_like", option=exc.option_name, options=like)
            if like
            else warn("usage_no_such_option", option=exc.option_name)
        )
    elif "MissingParameter" in kinds and param is not None and not exc.message:
        kind = exc.param_type or param.param_type_name
        if kind == "argument":
            said = warn("usage_missing_argument", name=_hint(param, ctx))
        elif kind == "option":
            said = warn("usage_missing_option", name=_hint(param, ctx))
    elif "BadParameter" in kinds and param is not None and exc.param_hint is None:
        said = _bad_value(exc, param, _hint(param, ctx))
    elif "BadOptionUsage" in kinds:
        # (raised without a context: the option is looked up in every command, and worded
        # when it is a flag everywhere or takes a value everywhere)
        subs = getattr(command, "commands", {}).values()
        flags = {
            bool(getattr(p, "is_flag", False))
            for sub in subs
            for p in sub.params
            if exc.option_name in getattr(p, "opts", ())
        }
        if len(flags) == 1:
            said = warn(
                "usage_takes_no_value" if flags.pop() else "usage_needs_value",
                option=exc.option_name,
            )
    elif kinds.isdisjoint({"BadParameter", "BadOptionUsage", "BadArgumentUsage"}) and ctx:
        said = _plain_usage(ctx, argv)
    if said is None or ctx is None:
        return said
    return warn("usage_at_command", command=ctx.command_path, message=said)


def _plain_usage(ctx: Any, argv: list[str]) -> str | None:
    """A usage error click tells by its message only: a command the group does not have (the
    first word of ``argv`` not an option), or the arguments a command has no place for
    (``argv``'s words after the command name its parser leaves over)."""
    from hbtriage.warning_text import warn

    subs = getattr(ctx.command, "commands", None)
    if subs is not None:
        try:  # the group's own options take their values (``--lang ja nope``: "nope")
            _opts, words, _order = ctx.command.make_parser(ctx).parse_args(args=list(argv))
        except Exception:  # noqa: BLE001 - then the first word that is no option
            words = [a for a in argv if not a.startswith("-")]
        name = next(iter(words), None)
        return None if name is None or name in subs else warn("usage_no_such_command", name=name)
    if ctx.info_name not in argv:
        return None
    try:  # (the parser gives its arguments their words and returns the rest)
        _opts, extra, _order = ctx.command.make_parser(ctx).parse_args(
            args=argv[argv.index(ctx.info_name) + 1 :]
        )
    except Exception:  # noqa: BLE001 - then the parser's own line is told
        return None
    return warn("usage_extra_arguments", args=" ".join(extra)) if extra else None


def _unencodable_escaped() -> None:
    """stdout writes what its encoding cannot hold as ``\\u2192`` escapes, as stderr does,
    instead of stopping the command: a report on a terminal or into a file in ASCII, Latin-1 or a
    Windows code page (``LC_ALL=en_US.ISO-8859-1``, ``PYTHONIOENCODING``, ``> report.txt`` on
    Windows) was cut at its first arrow or Japanese word by 'unexpected UnicodeEncodeError'."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if callable(reconfigure) and getattr(sys.stdout, "errors", None) == "strict":
        from contextlib import suppress

        with suppress(ValueError, OSError):  # (a stream already closed: nothing to change)
            reconfigure(errors="backslashreplace")


def main() -> None:
    """The ``hbtriage`` command: every error is one line on stderr, never a traceback; usage
    errors exit 2 (click's, whether typer bundles click or depends on it, are told apart by
    their ``format_message`` and ``exit_code``). SIGINT, SIGTERM and SIGHUP stop it with
    its temporary files removed, exit code 128 + the signal's number (130, 143, 129)."""
    # numpy's OpenBLAS starts a thread per core at import, which spins a while: hbtriage never
    # multiplies matrices (a user's own setting is kept).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _unencodable_escaped()
    command = None
    try:
        with _stop_on_signals(), _guard_pipes():
            command = typer.main.get_command(app)
            _lean_params(command)
            code = command(standalone_mode=False)
    except _PipeClosed:
        raise SystemExit(EXIT_PIPE_CLOSED) from None
    except _Signalled as stop:
        sys.stderr.write(_stopped_line(stop.signum, _argv_lang()))
        raise SystemExit(128 + stop.signum) from None
    except KeyboardInterrupt:
        sys.stderr.write(_stopped_line(2, _argv_lang()))
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise: one line, never a traceback
        message = getattr(exc, "format_message", None)
        if type(exc).__name__ == "Abort":  # Ctrl-C, as click reports it
            sys.stderr.write(_stopped_line(2, _argv_lang()))
            raise SystemExit(130) from None
        if callable(message) and isinstance(getattr(exc, "exit_code", None), int):
            from hbtriage.warning_text import warn

            ctx = getattr(exc, "ctx", None)
            where = f"{ctx.command_path}: " if ctx is not None else ""
            said = where + message()  # (the parser's own words, in English)
            lang = _argv_lang()
            # In Japanese, worded by kind where it is known; in English a bad value too
            # (the parser's own line is pydantic's: "Value error, 'pdf' is not one of ...",
            # "Input should be a valid integer" without the value).
            if lang != "en" or "BadParameter" in {k.__name__ for k in type(exc).__mro__}:
                said = _usage_said(exc, command, sys.argv[1:]) or said
            if exc.exit_code == 2:  # type: ignore[attr-defined]
                said = warn("usage_see_help", message=said)
            if message():  # (help shown for no arguments says it all)
                sys.stderr.write(_error_line(said, lang) + "\n")
            raise SystemExit(exc.exit_code) from None  # type: ignore[attr-defined]
        from hbtriage.warning_text import warn

        said = warn("cli_unexpected", name=type(exc).__name__, error=str(exc))
        sys.stderr.write(_error_line(said, _argv_lang()) + "\n")
        raise SystemExit(2) from None
    if code == 128 + 2:
        # typer's exit code for a KeyboardInterrupt it caught on its way out (polars raises one
        # for a SIGINT that meets a query): a stop like any other, said so.
        sys.stderr.write(_stopped_line(2, _argv_lang()))
    raise SystemExit(code if isinstance(code, int) else 0)


#: Commands after which the process leaves without the interpreter's teardown (see
#: :func:`entry`): they start no child process and leave nothing to clean at exit.
_QUICK_EXIT = frozenset({"analyze"})


def _closed_streams_on_null() -> None:
    """Standard input, output and error that the process was started without (``>&-``,
    ``2>&-``) opened on the null device: the command runs as with ``>/dev/null``. Python had
    left ``sys.stdout`` None ('unexpected AttributeError ... please report this', then a
    traceback, exit 1), and the first file the run opened took the free descriptor, so what
    was printed to it went into that file."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # (the lowest free descriptor: this one)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            if getattr(sys, name) is None:
                mode = "r" if fd == 0 else "w"
                setattr(sys, name, open(fd, mode, closefd=False, errors="backslashreplace"))  # noqa: SIM115


def entry() -> None:
    """The installed ``hbtriage`` command (and ``python -m hbtriage``): :func:`main`, then,
    after the commands of :data:`_QUICK_EXIT`, the process ends at once with the same exit
    code once its output is flushed. Tearing the interpreter down (every module, the frames
    of a large bundle, the compiled core's code) took 0.1-0.2 s after a 1 GB analysis and
    nothing is left to clean by then: temporary folders are removed and reports written and
    closed before :func:`main` returns. Other commands (``fleet`` starts worker processes)
    exit the usual way. :func:`main` itself never ends the process (tests call it)."""
    quick = len(sys.argv) > 1 and sys.argv[1] in _QUICK_EXIT
    _closed_streams_on_null()
    try:
        main()
    except SystemExit as done:
        if not quick:
            raise
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, int | None):
            sys.stderr.write(f"{done.code}\n")
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            code = EXIT_PIPE_CLOSED
        except OSError:
            code = code or 1
        os._exit(code)


if __name__ == "__main__":
    entry()
