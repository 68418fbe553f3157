"""``analyze(paths)``: the whole pipeline, stage after stage, returning :class:`Findings`.

Reading runs ``workers`` files at a time in threads (polars and the regex engine release the
GIL, so two large files really are parsed at once), biggest first. Line-oriented logs are read
in pieces and keep message text only for records a catalog signature could match
(:mod:`hbtriage.sources._lines`), so memory follows the piece size and the signature hits, not
the size of the logs.
"""

from __future__ import annotations

import dataclasses
import functools
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from hbtriage import __version__, host_facts
from hbtriage.catalog import Catalog, load_catalog
from hbtriage.detect import DETECTORS, clock_skew, drivers
from hbtriage.detect import incidents as incident_mod
from hbtriage.detect.config_checks import check_config
from hbtriage.detect.sample_gaps import sample_times
from hbtriage.detect.signatures import signature_signals, tag
from hbtriage.diagnose import diagnose, fit_driver_remedies, fit_remedies
from hbtriage.errors import UsageError
from hbtriage.findings import (
    ConfigFinding,
    Findings,
    HostInfo,
    Incident,
    InputInfo,
    Signal,
    heartbeat_hosts,
)
from hbtriage.report.files import is_report_file
from hbtriage.sources import Outcome, ReadOptions, _scan, read_all
from hbtriage.sources.base import ConfigFact, InputFile, display_folder
from hbtriage.sources.bundle import collect
from hbtriage.sources.continued import continue_dates
from hbtriage.timeline import (
    ZONE_ASSUMED,
    Timeline,
    build,
    compact,
    parse_aliases,
    parse_tz_options,
)
from hbtriage.timeline.clocks import (
    local_to_utc,
    rezone_host,
    unrecorded,
    written_offsets,
    written_samples,
    zone_source_text,
)
from hbtriage.warning_text import (
    Joined,
    Worded,
    bad_input,
    render,
    said_id,
    warn,
    word_labels,
)
from hbtriage.zones import (
    RuleChoice,
    Zone,
    choose_rule,
    fitting_zones,
    fmt_offset,
    server_zones,
    utc_offset_at,
)

#: What the findings keep, whatever the input (a million lines matching a signature made a
#: 250 MB findings.json): signals per incident, and warnings; what is left out is counted.
MAX_SIGNALS_PER_INCIDENT = 500
MAX_WARNINGS = 300
#: How often (seconds) the read stage reports bytes read inside large files.
PROGRESS_TICK_S = 0.5

#: progress(stage, done, total, detail); for stage "read", done/total are bytes (inside the
#: files being read too) and detail says how many files are done and which one finished last.
#: Always called from the thread that called :func:`run`, so it may raise to stop the run.
Progress = Callable[[str, int, int, str], None]


@dataclass
class Analysis:
    findings: Findings
    timeline: Timeline
    #: The inputs that could not be read, or not wholly, for what is wrong with them (their
    #: warnings, as in ``findings.warnings``): a damaged file, a file or folder that cannot be
    #: opened, an archive cut short or stopped at a cap. The rest was analysed; the command
    #: says the first on stderr and exits with 2 (see :func:`warning_text.bad_input`).
    problems: list[str] = field(default_factory=list)


def analyze(
    paths: Sequence[str | Path],
    *,
    tz: Sequence[str] = (),
    host_aliases: Sequence[str] = (),
    catalog: Catalog | None = None,
    progress: Progress | None = None,
    workers: int = 2,
    read_options: ReadOptions | None = None,
) -> Findings:
    """Read every input under ``paths`` and return what was found. See :func:`run`."""
    return run(
        paths,
        tz=tz,
        host_aliases=host_aliases,
        catalog=catalog,
        progress=progress,
        workers=workers,
        read_options=read_options,
    ).findings


def run(
    paths: Sequence[str | Path],
    *,
    tz: Sequence[str] = (),
    host_aliases: Sequence[str] = (),
    catalog: Catalog | None = None,
    progress: Progress | None = None,
    workers: int = 2,
    read_options: ReadOptions | None = None,
    out: Path | None = None,
) -> Analysis:
    """The pipeline: sources → timeline → detect → diagnose. Raises UsageError when nothing
    in ``paths`` could be read. ``read_options`` (piece sizes, what text to keep) default to
    the catalog's (:meth:`Catalog.read_options`). ``out``: the folder the reports go to; the
    report files found there are no input (:func:`is_report_file`). Safe to call from several threads at once:
    nothing is process-wide."""
    catalog = catalog or load_catalog()
    tz_map = parse_tz_options(list(tz))
    aliases = parse_aliases(list(host_aliases))
    note = progress or (lambda *_: None)
    outcomes, warnings = _read_all(paths, catalog, read_options, workers, note, out)
    # What could not be read for what is wrong with it: a reader that failed on its file, a
    # file that cannot be opened, a damaged archive (not: a file of no kind hbtriage reads).
    problems = [w for w in warnings if bad_input(w)]
    problems += [
        o.message
        for o in outcomes
        if o.result is None and o.message and (o.kind == "unreadable" or bad_input(o.message))
    ]
    # a site catalog's entry that cannot be used, and its file or table that nothing reads
    warnings[:0] = [*catalog.skipped, *catalog.unread]
    continue_dates(outcomes)  # a dumplog cut into parts: the later parts lack their date
    note("timeline", 0, 1, "")
    timeline, inputs, hosts, written, samples = _to_timeline(
        outcomes, warnings, tz_map, aliases, catalog
    )
    del outcomes  # the readers' frames: the timeline holds what is needed of them
    note("detect", 0, 1, "")
    timeline = tag(timeline, catalog)
    # Clocks are aligned on the signature signals alone (the paired events of both ends; the
    # other detectors' signals play no part in it), and every detector runs once, after.
    paired = signature_signals(timeline, catalog)
    # Who talks to whom (a site holds several PIM <-> CVP pairs): from the addresses the logs
    # name, which no clock move changes.
    peers = clock_skew.peers_of(paired, _owners(hosts))
    timeline, skews = _align_clocks(
        timeline, paired, hosts, inputs, warnings, catalog, peers, written, samples
    )
    signals = _detect(timeline, catalog)
    host_facts.apply(hosts, timeline.config)  # OS, hotfixes, boot time: zones are settled
    note("diagnose", 0, 1, "")
    # Who lost which session: the addresses, else the disconnects the clocks were paired by
    # (two pairs of a site losing their sessions in the same minute are two incidents).
    sessions = clock_skew.with_sessions(peers, skews)
    config_findings, incidents = _diagnose(timeline, signals, hosts, catalog, sessions)
    findings = Findings(
        inputs=inputs,
        hosts=hosts,
        incidents=incidents,
        config_findings=config_findings,
        warnings=warnings,
        generated_by=f"hbtriage {__version__}",
    )
    return Analysis(_worded(_bounded(findings), catalog), timeline, problems)


def _return_freed_memory() -> None:
    """Give the C allocator's free memory back to the system (Linux, glibc).

    Reading allocates a piece's bytes and arrays (16 MiB, tens of MB) again and again from
    several reader threads; glibc keeps much of what they free for later, but what follows
    the reading allocates through polars' own allocator, so that memory only adds to the
    peak (50 MB on the 1 GB bench). Giving it back once after reading costs a few ms (keeping
    every large block on pages of its own instead cost 0.7 s more system time there). No
    effect elsewhere; never fails."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return  # not glibc (musl has no malloc_trim)
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)


#: The UTC offsets time zones use (minutes east): UTC-12:00 (Baker Island) to UTC+14:00 (Line
#: Islands). An offset inferred outside them is a clock or a date that is off, not a zone.
ZONE_OFFSETS_MIN = (-12 * 60, 14 * 60)

#: Files of one folder not read for one reason (thousands of EMS logs, a folder of notes)
#: are said in one warning from this many on; each stays in findings.json's inputs.
UNREAD_GROUP = 5
#: Warnings about one input each (the others are about the analysis: zones, clocks, hosts).
_PER_INPUT = frozenset({"at_file", "at_line", "more_in_file", "at_files", "host_unknown_files"})


def _unread_said(unread: list[Outcome]) -> list[str]:
    """The warnings of the inputs that were not read, in their order: one each, but one for
    :data:`UNREAD_GROUP` or more files of one folder not read for the same reason (the same
    kind of attachment, "binary file", "not a format hbtriage reads" ...)."""

    def key(o: Outcome) -> tuple[str, str, str]:
        display = o.item.display
        folder = display_folder(display)
        reason = o.message.fields.get("reason") if isinstance(o.message, Worded) else None
        if not isinstance(reason, Worded):
            return folder, "", o.message  # not worded: never grouped with another
        return folder, reason.id, str(reason.fields.get("title", ""))

    groups: dict[tuple[str, str, str], list[Outcome]] = {}
    for o in unread:
        if o.message:
            groups.setdefault(key(o), []).append(o)
    out: list[str] = []
    for (folder, wid, _title), same in groups.items():
        if len(same) < UNREAD_GROUP or not wid:
            out.extend(o.message for o in same)
            continue
        first = same[0]
        assert isinstance(first.message, Worded)
        name = first.item.display[len(folder) + 1 :] if folder else first.item.display
        reason = first.message.fields["reason"]
        out.append(
            warn("at_files", folder=folder or ".", count=len(same), first=name, reason=reason)
        )
    return out


def _bounded(findings: Findings) -> Findings:
    """The findings within :data:`MAX_SIGNALS_PER_INCIDENT` and :data:`MAX_WARNINGS`, with
    counts of what was left out (after the diagnosis, which saw everything)."""
    for inc in findings.incidents:
        if len(inc.signals) > MAX_SIGNALS_PER_INCIDENT:
            inc.signals.sort(key=lambda s: (s.start, s.host, s.kind))
            inc.signals_omitted = len(inc.signals) - MAX_SIGNALS_PER_INCIDENT
            del inc.signals[MAX_SIGNALS_PER_INCIDENT:]
    said = findings.warnings
    if len(said) > MAX_WARNINGS:
        # The analysis's own warnings (zones, clocks, hosts: a few) are all kept; of the
        # inputs' (one per file or line), the first ones.
        per_input = [i for i, w in enumerate(said) if getattr(w, "id", None) in _PER_INPUT]
        room = MAX_WARNINGS - 1 - (len(said) - len(per_input))
        if room < 0:
            kept = list(range(MAX_WARNINGS - 1))
        else:
            dropped = set(per_input[room:])
            kept = [i for i in range(len(said)) if i not in dropped]
        more = len(said) - len(kept)
        findings.warnings = [said[i] for i in kept]
        findings.warnings.append(warn("more_warnings", count=more))
    return findings


def _worded(findings: Findings, catalog: Catalog) -> Findings:
    """Each warning as the catalog words it (a site layer may reword one by id), in English
    and Japanese, and its id (see :mod:`hbtriage.warning_text`)."""
    wordings = catalog.warnings or None
    said = findings.warnings
    findings.warnings = [render(w, "en", wordings) for w in said]
    findings.warnings_ja = [render(w, "ja", wordings) for w in said]
    findings.warning_ids = [said_id(w) for w in said]
    word_labels(findings, wordings)
    return findings


def _read_all(
    paths: Sequence[str | Path],
    catalog: Catalog,
    read_options: ReadOptions | None,
    workers: int,
    note: Progress,
    out: Path | None = None,
) -> tuple[list[Outcome], list[str]]:
    """Stage 1: collect the inputs (archives extracted to a private folder, removed after) and
    read every file, ``workers`` at a time, biggest first; outcomes in bundle order."""
    with tempfile.TemporaryDirectory(prefix="hbtriage-") as work:
        collected = collect(
            list(paths),
            Path(work),
            lambda what, done: note("extract", done, 0, what),
            os_files=catalog.os_files,
        )
        files = collected.files
        if out is not None:  # the last run's report, written into the input folder
            files = [f for f in files if not is_report_file(Path(f.path), out)]
        total = len(files)
        total_bytes = sum(f.size for f in files)
        done_bytes = 0
        outcomes: list[Outcome] = []
        note("read", 0, total_bytes, f"0/{total} files")
        # Biggest files first so the two workers finish together; outcomes keep bundle order.
        order = sorted(range(total), key=lambda i: -files[i].size)
        by_index: dict[int, list[Outcome]] = {}
        # The compiled core reads the logs when their total makes up for loading it.
        options = _scan.for_run(read_options or catalog.read_options(), files)
        # How far into each file being read its reader is (bytes; see ReadOptions.progress).
        inside_file: dict[int, int] = {}
        stopping = threading.Event()
        with _reading_pool(workers, stopping) as pool:
            # Digests may be worked out later from the file when it stays where it is (not
            # extracted into ``work``, removed before the timeline is built).
            later = dataclasses.replace(options, defer_digests=True)
            inside = Path(work).resolve()
            futures = {
                pool.submit(
                    _read,
                    files[i],
                    dataclasses.replace(
                        options if Path(files[i].path).resolve().is_relative_to(inside) else later,
                        progress=functools.partial(_told, stopping, inside_file, i),
                    ),
                ): i
                for i in order
            }
            # Each future puts itself on a queue when done: waiting on the queue costs the
            # same for 2,000 small files as for 2 (concurrent.futures.wait registers a waiter
            # on every pending future at each call: quadratic in the number of files).
            finished_q: queue.SimpleQueue[Future[list[Outcome]]] = queue.SimpleQueue()
            for fut in futures:
                fut.add_done_callback(finished_q.put)
            left, n, last = len(futures), 0, ""  # last: the file that finished last

            def tell() -> None:
                partly = sum(inside_file.copy().values())
                note("read", done_bytes + partly, total_bytes, f"{n}/{total} files{last}")

            while left:
                # Progress (and the caller's checks, see Progress) comes from this thread
                # only: when a file ends, and every PROGRESS_TICK_S inside large files.
                finished = _finished(finished_q, PROGRESS_TICK_S)
                left -= len(finished)
                for fut in sorted(finished, key=lambda f: -files[futures[f]].size):
                    i = futures[fut]
                    by_index[i] = fut.result()
                    inside_file.pop(i, None)
                    done_bytes, n, last = done_bytes + files[i].size, n + 1, f"  {files[i].display}"
                    tell()
                if not finished:
                    tell()
        outcomes = [o for i in range(total) for o in by_index[i]]
        if _scan.compiling(options):  # a first large run after a pip install
            collected.warnings.append(warn("core_compiling"))
    _return_freed_memory()
    return outcomes, list(collected.warnings)


def _finished(
    done: queue.SimpleQueue[Future[list[Outcome]]], timeout: float
) -> list[Future[list[Outcome]]]:
    """The futures on ``done``: waits up to ``timeout`` seconds for the first (none: an empty
    list), then takes all that are there, without waiting."""
    try:
        got = [done.get(timeout=timeout)]
    except queue.Empty:
        return []
    with suppress(queue.Empty):
        while True:
            got.append(done.get_nowait())
    return got


def _to_timeline(
    outcomes: list[Outcome],
    warnings: list[str],
    tz_map: dict[str | None, Zone],
    aliases: dict[str, str],
    catalog: Catalog,
) -> tuple[
    Timeline,
    list[InputInfo],
    list[HostInfo],
    dict[str, list[int]],
    dict[str, list[tuple[datetime, int]]],
]:
    """Stage 2: hosts, zones and UTC (:func:`hbtriage.timeline.build`); the inputs that could
    not be read join the list with their reason; the UTC offsets each log writes in its lines
    (:func:`written_offsets`) and what they tell of their zones (:func:`written_samples`).
    UsageError when nothing could be read."""
    good = [(o.item, o.result) for o in outcomes if o.result is not None]
    if not good:
        problems = [o.message for o in outcomes if o.message] or warnings
        said = Joined(problems[:3], sep="; ", sep_ja="。")
        if len(problems) > 3:  # (how many more: the line names three)
            raise UsageError(warn("no_readable_input_more", problems=said, count=len(problems) - 3))
        raise UsageError(
            warn("no_readable_input", problems=said) if said else warn("no_readable_input_none")
        )
    samples = written_samples(good)  # before build takes the rows
    written = written_offsets(samples)
    timeline, inputs, hosts, tl_warnings = build(
        good,
        tz=tz_map,
        aliases=aliases,
        counter_index=catalog.counter_index(),
        signatures=[s.id for s in catalog.signatures],
    )
    warnings.extend(tl_warnings)
    unread = [o for o in outcomes if o.result is None]
    for o in unread:
        inputs.append(
            InputInfo(path=o.item.display, kind=o.kind, encoding=o.encoding, note=o.message)
        )
    warnings.extend(_unread_said(unread))
    inputs.sort(key=lambda i: i.path)
    warnings.extend(missing_sides(inputs, catalog))
    return timeline, inputs, hosts, written, samples


def _align_clocks(
    timeline: Timeline,
    signals: list[Signal],
    hosts: list[HostInfo],
    inputs: list[InputInfo],
    warnings: list[str],
    catalog: Catalog,
    peers: dict[str, set[str]],
    written: dict[str, list[int]],
    samples: dict[str, list[tuple[datetime, int]]] | None = None,
) -> tuple[Timeline, list[clock_skew.Skew]]:
    """Stage 4: one clock for all hosts before incidents group events across them. Zones
    written nowhere are inferred from the peer, then clock skew is measured on paired events
    and corrected from 1 s. ``signals``: the signature signals (see
    :func:`signature_signals`), found again after a zone moved a host; ``written``: the UTC
    offsets each log writes in its lines (:func:`written_offsets`); ``samples``: when they
    write them (:func:`written_samples`). Returns the timeline and the clock pairing's skews."""
    timeline, signals = _infer_zones(
        timeline, signals, hosts, inputs, warnings, catalog, peers, samples
    )
    ref = clock_skew.pick_reference(signals, timeline.hosts)
    skews = clock_skew.estimate_site(signals, ref, peers) if ref else []
    if ref:
        # A loss no disconnect pairs with, when the other end's process was down: its restart
        # bounds the clocks (see clock_skew.restart_bounds).
        aligned = {ref, *(sk.host for sk in skews)}
        skews += clock_skew.restart_bounds(
            signals, ref, peers, aligned, functools.partial(_last_line_before, timeline)
        )
    for sk in skews:
        host_info = next((h for h in hosts if h.name == sk.host), None)
        if host_info is not None:
            host_info.clock_offset_s = round(sk.offset_s, 3)
            bound = sk.keys == ["restart"]  # see clock_skew.restart_bounds
            says = {"pairs": sk.pairs, "keys": ", ".join(sk.keys), "reference": sk.reference}
            if bound:
                host_info.clock_offset_basis = warn("clock_basis_restart", **says)
            elif sk.applied:
                host_info.clock_offset_basis = warn("clock_basis_applied", **says)
            else:
                host_info.clock_offset_basis = warn("clock_basis_not_applied", **says)
        if sk.applied:
            timeline = timeline.shift_host(sk.host, sk.offset_s)
            told = {"host": sk.host, "offset": sk.offset_s, "reference": sk.reference}
            if sk.keys == ["restart"]:
                warnings.append(warn("clock_skew_restart", **told))
            else:
                warnings.append(warn("clock_skew", pairs=sk.pairs, **told))
    for h in hosts:
        if h.name == ref and skews:
            h.clock_offset_basis = warn("clock_basis_reference")
    timeline, said = _zone_conflicts(timeline, signals, hosts, inputs, ref, skews, peers, written)
    warnings.extend(said)
    return timeline, skews


def _last_line_before(timeline: Timeline, host: str, stream: str, at: datetime) -> datetime | None:
    """The time of the last line of ``host``'s log ``stream`` before ``at`` (None: none)."""
    ev = timeline.events
    got = ev.filter(
        (pl.col("host") == host) & (pl.col("stream") == stream) & (pl.col("ts") < at)
    ).select(pl.col("ts").max())
    return got.item() if got.height else None


def _zone_conflicts(
    timeline: Timeline,
    signals: list[Signal],
    hosts: list[HostInfo],
    inputs: list[InputInfo],
    ref: str | None,
    skews: list[clock_skew.Skew],
    peers: dict[str, set[str]],
    written: dict[str, list[int]],
) -> tuple[Timeline, list[str]]:
    """Hosts whose zones are both known (stated, given with ``--tz`` or inferred) but put the
    same disconnect further apart than clock skew alone (:data:`clock_skew.MAX_PAIR_DISTANCE_S`):
    a clock minutes or hours off, a daylight-saving hour, a ``--tz`` of the wrong zone. The
    host's times are moved onto the reference's clock by the disconnect, so the loss is one
    incident (a split incident hides the cause on one side); the warning says how far apart
    they were and which ``--tz`` would set the zones right, or that a clock is to be set. A
    ``--tz`` is named only for a host whose disconnect lines take its zone: lines that write
    their own UTC offset (``written``, by file) keep it whatever the ``--tz``; when both ends'
    lines do, their files disagree, and the servers' clocks are to be looked at, not ``--tz``."""
    info = {h.name: h for h in hosts if h.zone_source != ZONE_ASSUMED}
    if ref is None or ref not in info:
        return timeline, []
    lone = [h for h in sorted(info) if h != ref and h not in {sk.host for sk in skews}]
    out: list[str] = []
    guesses = [
        g for g in clock_skew.infer_zones(signals, lone, [ref], peers, on_utc=True) if g.zone_min
    ]
    kept = []
    for guess in guesses:
        missing = _unrecorded_pairs(timeline, guess)
        if missing is None:
            kept.append(guess)
            continue
        at, host_name = missing
        apart = guess.zone_min * 60 + guess.skew_s
        out.append(
            warn(
                "zone_apart_unrecorded",
                host=guess.host,
                reference=ref,
                at=f"{at:%Y-%m-%d %H:%M:%S}",
                apart=_apart_text(apart),
                missing=host_name,
            )
        )
    guesses = kept
    for guess in guesses:
        host, other = info[guess.host], info[ref]
        # The --tz that would join them: the host's offset moved by the gap (the reference's
        # the other way), for a host whose disconnect lines take its zone; None where they
        # write their own offset (no --tz moves them) or the host's offset is not known.
        cure: dict[str, int | None] = {}
        stated: dict[str, dict[str, list[int]] | None] = {}
        for h, sign in ((host, 1), (other, -1)):
            stated[h.name] = _stated_offsets(h.name, signals, written)
            now = _offset_at(h, signals)
            cure[h.name] = None if stated[h.name] or now is None else now + sign * guess.zone_min
        apart = guess.zone_min * 60 + guess.skew_s
        # The reference's clock is kept (ICM nodes keep time with their central controller),
        # unless its disconnect takes a --tz and the host's a zone its files state: an
        # admin's --tz is the likelier mistake. It moves (with the hosts aligned on it) only
        # when this is the one pair of the bundle.
        typed = {h.name: h.zone_source == "--tz" and not stated[h.name] for h in (host, other)}
        if len(guesses) == 1 and typed[ref] and not typed[host.name]:
            moved, onto = other, host
            for name in [ref, *(sk.host for sk in skews)]:
                mate = next(h for h in hosts if h.name == name)
                timeline = _move_onto(timeline, mate, inputs, -apart, guess, onto.name)
        else:
            moved, onto = host, other
            timeline = _move_onto(timeline, host, inputs, apart, guess, ref)
        if any(cure[h] is None and not stated[h] for h in (host.name, ref)):
            continue  # a zone not known at the disconnect: nothing sure to say
        said = Joined(_zone_said(h, stated[h.name]) for h in (host, other))
        head = {
            "host": host.name,
            "reference": ref,
            "apart": _apart_text(apart),
            "said": said,
            "moved": moved.name,
            "onto": onto.name,
        }
        movable = [(h, z) for h, z in cure.items() if z is not None]
        offsets = [_offset_at(h, signals) for h in (host, other)]
        if guess.zone_min % 60 and all(o is not None and o % 60 == 0 for o in offsets):
            # Not whole hours between zones of whole hours: a clock that far off, not a zone.
            most = clock_skew.MAX_PAIR_DISTANCE_S / 60
            out.append(warn("zone_apart_clock", **head, minutes=apart / 60, most=most))
        elif len(movable) == 2:
            (a, za), (b, zb) = movable
            za_, zb_ = fmt_offset(za), fmt_offset(zb)
            out.append(warn("zone_apart_either", **head, a=a, za=za_, b=b, zb=zb_))
        elif movable:
            (a, za), tied = movable[0], next(h for h in cure if cure[h] is None)
            out.append(warn("zone_apart_one", **head, tied=tied, a=a, za=fmt_offset(za)))
        else:
            out.append(warn("zone_apart_files", **head))
    return timeline, out


def _apart_text(seconds: float) -> str:
    """How far apart one disconnect is logged: ``10.0 min``, ``9.00 h``."""
    if abs(seconds) < 3600:
        return warn("apart_minutes", value=abs(seconds) / 60)
    return warn("apart_hours", value=abs(seconds) / 3600)


def _unrecorded_pairs(
    timeline: Timeline, guess: clock_skew.ZoneGuess
) -> tuple[datetime, str] | None:
    """Whether the disconnects ``guess`` pairs far apart may be two, each missing from the
    other's logs: every pair has one end logged while the other host's logs have a hole
    around it (:func:`unrecorded`: lines before and after, none near), so its absence there
    needs no clock error. Then (that disconnect's time, the host whose logs miss it) of the
    first such pair; None when some pair has both hosts' logs written around the other's
    disconnect (its absence is what a clock that far off looks like) or nothing says."""
    said: tuple[datetime, str] | None = None
    for mine, theirs in guess.both:
        if unrecorded(timeline, guess.reference, mine):
            said = said or (mine, guess.reference)
        elif unrecorded(timeline, guess.host, theirs):
            said = said or (theirs, guess.host)
        else:
            return None
    return said


def _move_onto(
    timeline: Timeline,
    host: HostInfo,
    inputs: list[InputInfo],
    seconds: float,
    guess: clock_skew.ZoneGuess,
    onto: str,
) -> Timeline:
    """``timeline`` with ``host``'s times moved by ``-seconds`` onto ``onto``'s clock, by the
    disconnect both logged (``guess``), and the host's clock offset, span and its inputs'
    spans said accordingly."""
    host.clock_offset_s = round(host.clock_offset_s + seconds, 3)  # on a skew, if any
    host.clock_offset_basis = warn(
        "clock_basis_moved", pairs=guess.pairs, keys=", ".join(guess.keys), reference=onto
    )
    by = timedelta(seconds=seconds)
    host.first, host.last = _earlier([host.first, host.last], by)
    for inp in inputs:
        if inp.host == host.name:
            inp.first, inp.last = _earlier([inp.first, inp.last], by)
    return timeline.shift_host(host.name, seconds)


def _stated_offsets(
    host: str, signals: list[Signal], written: dict[str, list[int]]
) -> dict[str, list[int]] | None:
    """The UTC offsets written in the lines of each file that holds ``host``'s paired
    disconnects, or None when one of those files writes none: its times take the host's zone,
    which ``--tz`` sets."""
    files = {
        str(s.data.get("source") or "").rpartition(":")[0]
        for s in signals
        if s.host == host and s.kind == "signature" and s.data.get("pair")
    }
    if not files or not files <= written.keys():
        return None
    return {f: written[f] for f in sorted(files)}


def _zone_said(host: HostInfo, stated: dict[str, list[int]] | None) -> str:
    """Where ``host``'s disconnect got its zone: ``PG3A: UTC+02:00 from --tz``, or the offsets
    its files write (``CVP3: UTC+01:00 written in the lines of CVP3/CVP.log``)."""
    if not stated:
        source = zone_source_text(host.zone_source)
        return warn("zone_said", host=host.name, zone=host.zone, source=source)
    by_offsets: dict[str, list[str]] = {}
    for path, offsets in stated.items():
        shown = ", ".join(f"UTC{fmt_offset(o)}" for o in offsets)
        by_offsets.setdefault(shown, []).append(path)
    written = Joined(
        (
            warn("zone_written_in", offsets=shown, paths=", ".join(paths))
            for shown, paths in by_offsets.items()
        ),
        ", ",
        "、",
    )
    return warn("zone_said_written", host=host.name, written=written)


def _offset_at(host: HostInfo, signals: list[Signal]) -> int | None:
    """The host's UTC offset (minutes east) at its first paired disconnect."""
    if host.tz_iana is None:
        return host.utc_offset_min
    at = min((s.start for s in signals if s.host == host.name and s.data.get("pair")), default=None)
    if at is None:
        return None
    return utc_offset_at(Zone(host.tz_iana, host.tz_iana, None), at)


def _diagnose(
    timeline: Timeline,
    signals: list[Signal],
    hosts: list[HostInfo],
    catalog: Catalog,
    peers: dict[str, set[str]],
) -> tuple[list[ConfigFinding], list[Incident]]:
    """Stage 5: configuration findings, incidents (signals grouped across hosts), their ranked
    causes with the remedy for each host's OS."""
    config_findings = check_config(timeline.config, catalog=catalog)
    incidents = incident_mod.find_incidents(signals, peers)
    pads = _pads(timeline)
    incident_mod.attach(incidents, signals, pads, peers)
    diagnose(incidents, timeline, catalog, config_findings, pads, signals, peers)
    for host in hosts:
        host.dpc_reports = [
            drivers.describe(r, catalog).to_dict(catalog)
            for r in timeline.dpc
            if r.host == host.name
        ]
    fit_remedies(incidents, hosts, catalog)
    fit_driver_remedies(incidents, hosts, catalog)
    return config_findings, incidents


def _owners(hosts: list[HostInfo]) -> dict[str, str]:
    """Address -> host, for telling the sessions of a site's PIM <-> CVP pairs apart."""
    return {a: h.name for h in hosts for a in h.addresses}


def missing_sides(inputs: Sequence[InputInfo], catalog: Catalog) -> list[str]:
    """One warning per end of the heartbeat (``catalog/sides.toml``) whose logs are not in the
    bundle while the other end's are, saying what to collect from it."""
    present = [s for s in catalog.sides if any(i.kind in s.kinds for i in inputs)]
    if not present:
        return []
    there = " and ".join(s.title for s in present)
    return [
        warn(
            "missing_side",
            there=there,
            there_ja="と".join(s.title_ja for s in present),
            missing=side.title,
            missing_ja=side.title_ja,
            collect=side.collect,
            collect_ja=side.collect_ja,
        )
        for side in catalog.sides
        if side not in present
    ]


def _infer_zones(
    timeline: Timeline,
    signals: list[Signal],
    hosts: list[HostInfo],
    inputs: list[InputInfo],
    warnings: list[str],
    catalog: Catalog,
    peers: dict[str, set[str]],
    samples: dict[str, list[tuple[datetime, int]]] | None = None,
) -> tuple[Timeline, list[Signal]]:
    """Hosts whose zone is written nowhere get it from the disconnect seen at both ends (see
    :func:`clock_skew.infer_zones`): a zone with its daylight-saving rules where something
    tells which (:func:`_zone_rule`), else the fixed offset; those still without one are named
    in a warning. ``samples``: the ``(UTC, offset)`` each log writes, by input path
    (:func:`written_samples`)."""
    zoned = [h.name for h in hosts if h.zone_source != ZONE_ASSUMED]
    unzoned = [h for h in timeline.unzoned if h not in zoned]
    # A host whose process was down logs no disconnect: its restart stands for one.
    implied = clock_skew.implied_disconnects(
        signals, set(unzoned), functools.partial(_last_line_before, timeline)
    )
    guesses = clock_skew.infer_zones(signals + implied, unzoned, zoned, peers) if zoned else []
    by_restarts = {s.host for s in implied}
    # A restart pairs with whatever loss the other side logged, hours away or not: only an
    # offset that leaves the skew of a clock kept by time sync (the loss seconds after the
    # process went down) is taken.
    guesses = [
        g
        for g in guesses
        if g.host not in by_restarts or abs(g.skew_s) <= clock_skew.MAX_IMPLIED_SKEW_S
    ]
    for guess in guesses:
        info = next(h for h in hosts if h.name == guess.host)
        peer = next(h for h in hosts if h.name == guess.reference)
        written = [
            s for i in inputs if i.host == peer.name for s in (samples or {}).get(i.path, [])
        ]
        rule, why = _zone_rule(guess, info, peer, written, timeline.config.get(info.name, []))
        inferred = {
            "pairs": guess.pairs,
            "keys": ", ".join(guess.keys),
            "reference": guess.reference,
        }
        # Inferred from a restart standing for the host's end of the session (it logs none).
        by_restart = guess.host in by_restarts
        if by_restart:
            info.zone_source = (
                warn("zone_source_inferred_restart_why", **inferred, why=why)
                if why
                else warn("zone_source_inferred_restart", **inferred)
            )
        else:
            info.zone_source = (
                warn("zone_source_inferred_why", **inferred, why=why)
                if why
                else warn("zone_source_inferred", **inferred)
            )
        # first/last were local times taken as UTC: moved as the rows are.
        to_utc: Callable[[list[datetime | None]], list[datetime | None]]
        if rule.iana is not None:
            timeline = rezone_host(timeline, guess.host, rule.iana)
            info.zone, info.utc_offset_min, info.tz_iana = rule.iana, None, rule.iana
            to_utc = functools.partial(local_to_utc, iana=rule.iana)
        else:
            info.zone, info.utc_offset_min = f"UTC{fmt_offset(guess.zone_min)}", guess.zone_min
            info.tz_iana = None
            timeline = timeline.shift_host(guess.host, guess.zone_min * 60.0, zone=True)
            to_utc = functools.partial(_earlier, by=timedelta(minutes=guess.zone_min))

        info.first, info.last = to_utc([info.first, info.last])
        for inp in inputs:
            if inp.host == guess.host and inp.zone_source == ZONE_ASSUMED:
                inp.first, inp.last = to_utc([inp.first, inp.last])
                inp.zone, inp.zone_source = info.zone, info.zone_source
        if rule.apart:
            warnings.append(_fixed_across_change(guess, info, rule))
        elif not ZONE_OFFSETS_MIN[0] <= guess.zone_min <= ZONE_OFFSETS_MIN[1]:
            # No zone is that far from UTC: the host's clock (or its date) is off, not its zone.
            warnings.append(
                warn(
                    "zone_inferred_no_zone",
                    host=guess.host,
                    offset=info.zone,
                    reference=guess.reference,
                )
            )
        else:
            said = {"host": guess.host, "zone": info.zone, "reference": guess.reference}
            if by_restart:
                warnings.append(
                    warn("zone_inferred_restart_why", **said, why=why)
                    if why
                    else warn("zone_inferred_restart", **said)
                )
            else:
                warnings.append(
                    warn("zone_inferred_why", **said, why=why)
                    if why
                    else warn("zone_inferred", **said)
                )
    done = {g.host for g in guesses}
    # Said only of the servers (PIM/CVP logs, perfmon): another machine's times play no part in
    # any incident or pairing, so its zone changes no verdict.
    servers = heartbeat_hosts(hosts, inputs)
    for host in timeline.unzoned:
        if host not in done and host in servers:
            warnings.append(warn("zone_not_found", host=host))
    if guesses:
        signals = signature_signals(timeline, catalog)
    return timeline, signals


def _earlier(times: list[datetime | None], by: timedelta) -> list[datetime | None]:
    return [t - by if t else None for t in times]


def _zone_rule(
    guess: clock_skew.ZoneGuess,
    host: HostInfo,
    peer: HostInfo,
    written: list[tuple[datetime, int]],
    facts: list[ConfigFact],
) -> tuple[RuleChoice, str]:
    """Whether ``host``, inferred ``guess.zone_min`` east of UTC, follows a zone's
    daylight-saving rules, and why (for its ``zone_source``). The candidates are the zones
    with that offset at the paired disconnects, among: the zone the host's own systeminfo
    names; else the peer's IANA zone (``--tz``, perfmon header); else the zones that fit every
    ``(UTC, offset)`` the peer's lines write (``written``). Those tell a rule when they fit
    (the peer's written offsets only when they change over time: one offset fits zones with
    and without daylight saving time alike); else every Windows zone with that offset there is
    a candidate, and the fixed offset stays (:func:`choose_rule`)."""

    def fits(zone: str) -> bool:
        return all(utc_offset_at(Zone(zone, zone, None), t) == guess.zone_min for t in guess.at)

    own = next((f.value for f in facts if f.key == "time_zone"), None)
    own_iana = host_facts.display_zone(own) if own else None
    offsets = list(dict.fromkeys(o for _, o in sorted(written)))  # in the order written
    told: list[str] = []
    why = ""
    if own_iana and fits(own_iana):
        told, why = [own_iana], warn("zone_why_own", own=own)
    elif peer.tz_iana and fits(peer.tz_iana):
        told = [peer.tz_iana]
        why = warn(
            "zone_why_peer",
            zone=peer.tz_iana,
            source=zone_source_text(peer.zone_source),
            offset=fmt_offset(guess.zone_min),
        )
    elif len(offsets) > 1:
        told = [z for z in fitting_zones(written) if fits(z)]
        shown = " then ".join(f"UTC{fmt_offset(o)}" for o in offsets)
        shown_ja = " から ".join(f"UTC{fmt_offset(o)}" for o in offsets)
        why = (
            warn("zone_why_written", offsets=shown, offsets_ja=shown_ja, zone=told[0])
            if told
            else ""
        )
    span = _utc_span(host, guess.zone_min)
    if told:
        choice = choose_rule(told, *span, told=True) if span else RuleChoice(told[0])
        return choice, warn("zone_why_followed", why=why)
    if span is None:
        return RuleChoice(None), ""
    return choose_rule([z for z in server_zones() if fits(z)], *span, told=False), ""


def _utc_span(host: HostInfo, zone_min: int) -> tuple[datetime, datetime] | None:
    """The host's first and last time (local, taken as UTC) on UTC at the fixed ``zone_min``."""
    if host.first is None or host.last is None:
        return None
    moved = timedelta(minutes=zone_min)
    return host.first - moved, host.last - moved


def _fixed_across_change(guess: clock_skew.ZoneGuess, host: HostInfo, rule: RuleChoice) -> str:
    """The warning for a host given a fixed offset although its span (``host.first`` to
    ``host.last``, on UTC) may cross a daylight-saving change that nothing settles."""
    said = []
    for zone, change in rule.apart:
        if change is None:
            said.append(warn("zone_no_change", zone=zone))
            continue
        at, new = change
        said.append(
            warn("zone_changes", zone=zone, offset=fmt_offset(new), at=f"{at:%Y-%m-%d %H:%M}")
        )
    first = host.first.strftime("%Y-%m-%d %H:%M") if host.first else "?"
    last = host.last.strftime("%Y-%m-%d %H:%M") if host.last else "?"
    return warn(
        "zone_fixed_across_change",
        host=guess.host,
        offset=fmt_offset(guess.zone_min),
        reference=guess.reference,
        first=first,
        last=last,
        changes=Joined(said),
        example=rule.apart[0][0],
    )


class _ReadingStopped(BaseException):
    """Raised in a reader thread, at its next piece, once the run is stopping: a file of
    gigabytes is left where it is (its reader's ``finally`` removes its temporary copies)
    instead of being read to its end while the user waits for the stop."""


def _told(stopping: threading.Event, inside_file: dict[int, int], i: int, pos: int) -> None:
    """A reader's progress (``ReadOptions.progress``) for file ``i``; stops it when asked."""
    if stopping.is_set():
        raise _ReadingStopped
    inside_file[i] = pos


@contextmanager
def _reading_pool(workers: int, stopping: threading.Event) -> Iterator[ThreadPoolExecutor]:
    """The threads that read the files. When the run is stopped (Ctrl-C, SIGTERM, SIGHUP) or
    fails, no file more is started and ``stopping`` is set: the files being read stop at
    their next piece (see :func:`_told`), removing their own temporary copies, before the
    work folder is removed."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        try:
            yield pool
        except BaseException:
            stopping.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _read(item: InputFile, options: ReadOptions) -> list[Outcome]:
    """Read one file (one outcome per sender of a syslog server's file) and shrink its frames
    to what the timeline keeps, in the worker thread, so the files already read hold as
    little as possible while the others are being read."""
    outcomes = read_all(item, options)
    for outcome in outcomes:
        if outcome.result is not None:
            compact(outcome.result)
    return outcomes


def _detect(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    signals: list[Signal] = []
    for detector in DETECTORS:
        signals.extend(detector(timeline, catalog))
    return signals


def _pads(timeline: Timeline) -> dict[str, timedelta]:
    """Evidence window padding per host: at least 10 s, and 1.5 sampling intervals."""
    pads: dict[str, timedelta] = {}
    ct = timeline.counters
    if ct.is_empty():
        return pads
    iv = (
        sample_times(ct)
        .group_by("host")
        .agg((pl.col("ts").diff().dt.total_nanoseconds().median() / 1e9).alias("iv"))
    )
    for host, seconds in iv.iter_rows():
        pads[str(host)] = timedelta(seconds=max(10.0, 1.5 * float(seconds or 0)))
    return pads


__all__ = ["Analysis", "Findings", "analyze", "run", "UsageError"]
