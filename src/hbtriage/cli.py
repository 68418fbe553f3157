"""The command line: thin wrappers around the library; errors become one line and exit 2."""

from __future__ import annotations

import os
import sys

# polars allocates through jemalloc, which keeps freed pages for up to ~1.5 s before giving
# them back; on a large bundle, frames freed stage after stage then pile up in the resident
# size. A background thread returning them after 0.1 s lowers the peak on the 1 GB bench from
# ~900 to ~740 MiB for ~3 % more time (bench/scale.py). Set before polars is first imported
# (hbtriage's own imports are lazy); a value the user already set wins. Linux only: that is
# where polars' wheels use jemalloc with background threads.
if sys.platform.startswith("linux"):
    os.environ.setdefault(
        "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0"
    )
from contextlib import contextmanager
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hbtriage.errors import HbtriageError

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Find out why two servers lose their heartbeats (logs + perfmon on one UTC timeline).",
)


class Fmt(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    md = "md"


class Lang(StrEnum):
    en = "en"
    ja = "ja"


def _fail(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"hbtriage: error: {message}", markup=False
    )
    raise typer.Exit(2)


#: An automatic progress bar (stderr is a terminal) appears only for runs longer than this.
PROGRESS_DELAY_S = 1.0


@contextmanager
def _progress(enabled: bool, delay: float = 0.0):  # type: ignore[no-untyped-def]
    """A rich progress bar on stderr: stage, bytes and files read, last file, elapsed time.

    It appears after ``delay`` seconds (so quick runs print nothing) and vanishes at the end.
    When stderr is not a terminal (``--progress`` into a pipe or a log file) the same facts
    come as plain lines: one per stage and per file read."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():
        yield _progress_lines()
        return
    import threading

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.fields[stage]}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TextColumn("{task.fields[detail]}", style="dim"),
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

    def update(stage: str, done: int, total: int, detail: str) -> None:
        count = _count(stage, done, total)
        bar.update(
            task,
            total=max(total, 1),
            completed=done,
            stage=stage,
            count=count,
            detail=detail[-60:],
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


def _progress_lines():  # type: ignore[no-untyped-def]
    """Progress as lines on stderr, for a pipe or a log file (no cursor tricks)."""
    import time

    t0 = time.monotonic()
    last = {"stage": "", "detail": ""}
    at = [-1.0]  # when the last line was written

    def update(stage: str, done: int, total: int, detail: str) -> None:
        if stage == last["stage"] and detail == last["detail"]:
            return
        now = time.monotonic()
        # An archive can hold thousands of members: one extract line a second at most.
        if stage == "extract" == last["stage"] and now - at[0] < 1.0:
            return
        last["stage"], last["detail"], at[0] = stage, detail, now
        count = f"  {_count(stage, done, total)}" if stage in ("read", "extract") else ""
        note = f"  {detail}" if detail else ""
        sys.stderr.write(f"hbtriage: {time.monotonic() - t0:6.1f}s {stage}{count}{note}\n")
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
    from hbtriage.report import json_out
    from hbtriage.report.terminal import render_terminal

    show_progress = progress or (not quiet and sys.stderr.isatty())
    try:
        catalog = load_catalog(extra=catalog_dirs or [])
        with _progress(show_progress, 0.0 if progress else PROGRESS_DELAY_S) as update:
            analysis = run(paths, tz=tz, host_aliases=host_alias, progress=update, catalog=catalog)
    except HbtriageError as exc:
        _fail(str(exc))
        return
    from hbtriage.report.files import write_atomic

    findings = analysis.findings
    try:
        written = [json_out.write_json(findings, out)]
        if Fmt.html in fmt:
            from hbtriage.report.html import render_html

            html = render_html(findings, analysis.timeline, lang=lang.value)
            written.append(write_atomic(out / "report.html", html))
        if Fmt.md in fmt:
            from hbtriage.report.markdown import render_markdown

            md = render_markdown(findings, lang=lang.value)
            written.append(write_atomic(out / "report.md", md))
    except HbtriageError as exc:
        _fail(str(exc))
        return
    if Fmt.json in fmt:
        sys.stdout.write(json_out.to_json(findings))
        return
    console = Console(highlight=False, soft_wrap=False)
    render_terminal(findings, console, lang=lang.value)
    if not quiet:
        console.print("Wrote: " + ", ".join(str(p) for p in written), markup=False)


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
    paths: Annotated[list[Path], typer.Argument(help="Files, folders and .zip bundles.")],
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
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    _analyze_and_report(paths, tz, host_alias, out, fmt, lang, quiet, progress, catalog)


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
    seed: Annotated[int, typer.Option("--seed")] = 1,
    list_: Annotated[bool, typer.Option("--list", metavar="", help="List the scenarios.")] = False,
) -> None:
    """Write a labelled bundle in the real formats plus truth.json."""
    from hbtriage.simulate.scenarios import SCENARIOS, generate

    if list_ or not scenario:
        for name in SCENARIOS:
            typer.echo(name)
        return
    if scenario not in SCENARIOS:
        _fail(f"unknown scenario {scenario!r}; expected one of: {', '.join(SCENARIOS)}")
    try:
        generate(scenario, out, seed)
    except HbtriageError as exc:
        _fail(str(exc))
    typer.echo(f"Wrote {scenario} (seed {seed}) to {out}")


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
) -> None:
    """Print the commands that collect what a diagnosis needs, ready to paste."""
    from hbtriage.live.plan import render_plan

    target = "linux" if linux and not windows else "windows"
    names: list[str] = []
    for h in hosts:
        names.extend(x for x in h.split(",") if x)
    typer.echo(render_plan(target, names, lang.value))


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
        int, typer.Option("--metrics-port", help="Prometheus port (0: off).")
    ] = 0,
) -> None:
    """Exchange heartbeats with a peer and record loss, suspicion and counters for analyze."""
    from hbtriage.live.probe import main_watch

    try:
        main_watch(
            listen=listen,
            peer=peer,
            interval=interval,
            out_dir=out,
            host=host or os.uname().nodename,
            metrics_port=metrics_port or None,
        )
    except (HbtriageError, ValueError) as exc:
        _fail(str(exc))


def main() -> None:
    """The ``hbtriage`` command: every error is one line on stderr, never a traceback; usage
    errors exit 2 (click's, whether typer bundles click or depends on it, are told apart by
    their ``format_message`` and ``exit_code``)."""
    try:
        code = app(standalone_mode=False)
    except (KeyboardInterrupt, BrokenPipeError):
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise: one line, never a traceback
        message = getattr(exc, "format_message", None)
        if type(exc).__name__ == "Abort":
            raise SystemExit(130) from None
        if callable(message) and isinstance(getattr(exc, "exit_code", None), int):
            ctx = getattr(exc, "ctx", None)
            where = f"{ctx.command_path}: " if ctx is not None else ""
            hint = " (see --help)" if exc.exit_code == 2 else ""  # type: ignore[attr-defined]
            if message():  # (help shown for no arguments says it all)
                sys.stderr.write(f"hbtriage: error: {where}{message()}{hint}\n")
            raise SystemExit(exc.exit_code) from None  # type: ignore[attr-defined]
        name = type(exc).__name__
        sys.stderr.write(f"hbtriage: error: unexpected {name}: {exc} (please report this)\n")
        raise SystemExit(2) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
