"""Tag events with catalog signatures, and turn tagged events into signals."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from datetime import datetime, timedelta

import polars as pl

from hbtriage.catalog import LASTED_UNITS, Catalog, Signature
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline
from hbtriage.timeline.frames import matching_rows
from hbtriage.timeline.model import put_column


def _rust_pattern(pattern: str) -> str:
    # Catalog patterns are case-insensitive and may span continuation lines.
    return "(?is)" + pattern


def keep_pattern(catalog: Catalog) -> str:
    """One regex matching every message that any signature of ``catalog`` could match."""
    return _rust_pattern("|".join(f"(?:{s.pattern})" for s in catalog.signatures))


def tag(timeline: Timeline, catalog: Catalog) -> Timeline:
    """The timeline with ``events.signature`` set to the first matching catalog id."""
    ev = timeline.events
    if ev.is_empty() or not catalog.signatures:
        return timeline
    # One combined pass finds the candidate rows; per-signature passes only run on those. The
    # events frame may hold millions of rows: when candidates are few, only they are copied;
    # when most rows are candidates (a log repeating one matching line), the passes run on the
    # frame itself, so its messages are never copied.
    rows = matching_rows(ev["message"], keep_pattern(catalog))
    if rows.is_empty():
        return timeline
    # The names may be categorical (the timeline's) or text (frames built by hand).
    kinds = timeline.streams.select(
        pl.col("host").cast(ev.schema["host"]), pl.col("stream").cast(ev.schema["stream"]), "kind"
    )
    dtype = ev.schema["signature"]
    base = ev.select("host", "stream", "message")  # shares the frame's buffers
    if rows.len() * 4 > ev.height:
        named = base.with_columns(_at(rows, ev.height).alias("_m")).join(
            kinds, on=["host", "stream"], how="left", maintain_order="left"
        )
        sig = _first_signature(catalog, kinds.get_column("kind").to_list())
        found = named.select(
            pl.when(pl.col("_m")).then(sig).otherwise(None).cast(dtype).alias("_sig")
        ).to_series()
    else:
        hits = _rows_at(base, rows).join(
            kinds, on=["host", "stream"], how="left", maintain_order="left"
        )
        sig = _first_signature(catalog, hits.get_column("kind").to_list())
        hits = hits.select("_row", sig.cast(dtype).alias("_sig"))
        found = pl.repeat(None, ev.height, dtype=dtype, eager=True).scatter(
            hits["_row"], hits["_sig"]
        )
    before = ev.get_column("signature")
    if before.null_count() < before.len():  # tagged before: the first tag stays
        found = pl.select(pl.coalesce(found, before)).to_series()
    # The column is put in place (an expression on the frame would copy every column of a
    # frame built from several chunks).
    ev = put_column(ev, found.alias("signature"))
    return dataclasses.replace(timeline, events=ev)


def _first_signature(catalog: Catalog, kinds: Collection[str | None]) -> pl.Expr:
    """The id of the first signature of ``catalog`` whose pattern ``message`` matches and whose
    reader kinds hold the row's ``kind``, else null. Signatures of none of ``kinds`` (every
    ``kind`` of the rows, or more) are left out: they tag none of the rows, and polars compiles
    every pattern it is given (0.5 ms each; 20 ms for the catalog's 41 on a handful of rows)."""
    present = set(kinds)
    sig = pl.lit(None, pl.Utf8)
    for s in reversed(catalog.signatures):
        if s.kinds and not present.intersection(s.kinds):
            continue
        cond = pl.col("message").str.contains(_rust_pattern(s.pattern))
        if s.kinds:
            cond = cond & pl.col("kind").is_in(list(s.kinds))
        sig = pl.when(cond).then(pl.lit(s.id)).otherwise(sig)
    return sig


def _at(rows: pl.Series, n: int) -> pl.Series:
    """A column of ``n`` booleans, true at ``rows``."""
    return pl.repeat(False, n, dtype=pl.Boolean, eager=True).scatter(rows, True)


def _rows_at(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """``frame.with_row_index("_row")[rows]``: the rows at ``rows`` with their place, gathered
    (no row index over millions of rows for the few taken)."""
    return frame.select(pl.all().gather(rows)).insert_column(0, rows.alias("_row"))


#: Above this many signature hits in a run (a log that repeats one matching line a million
#: times), consecutive hits of one signature in one stream become one signal per stretch
#: (``data["repeats"]``): a signal per line took 120 s and 2.5 GiB for 1 M lines. No real
#: bundle comes near it, so their signals are one per line as before.
MAX_SIGNATURE_SIGNALS = 20_000


def _runs(tagged: pl.DataFrame) -> pl.DataFrame:
    """Hits folded into stretches: one per host, stream and signature whose hits follow each
    other within ``step`` (1 s, doubled until at most :data:`MAX_SIGNATURE_SIGNALS` are left);
    each keeps its first hit's row, with ``_last`` (time of its last hit) and ``_repeats``."""
    keys = ["host", "stream", "signature"]
    ordered = tagged.sort([*keys, "ts"], maintain_order=True)
    step_s = 1.0
    while True:
        gap = pl.col("ts").diff().over(keys).dt.total_nanoseconds()
        start = gap.is_null() | (gap > int(step_s * 1e9))
        runs = ordered.with_columns(start.cum_sum().alias("_run"))
        folded = (
            runs.group_by("_run", maintain_order=True)
            .agg(
                pl.all().exclude("_run").first(),
                pl.col("ts").last().alias("_last"),
                pl.len().alias("_repeats"),
            )
            .drop("_run")
        )
        if folded.height <= MAX_SIGNATURE_SIGNALS or step_s > 1e7:
            return folded.sort("ts", maintain_order=True)
        step_s *= 2


def _ends(catalog: Catalog) -> dict[str, str]:
    """Signature id -> the end of the session it is seen at (its product), for the signatures
    of a ``pair`` that both ends log in their own words (the PIM's reset and the CVP's missed
    heartbeats): two PIMs' resets are no one event seen at both ends. A pair one product logs
    at both ends (the probe pair's ``watch`` lines) has none."""
    products: dict[str, set[str]] = {}
    for s in catalog.signatures:
        if s.pair:
            products.setdefault(s.pair, set()).add(s.product)
    return {s.id: s.product for s in catalog.signatures if s.pair and len(products[s.pair]) > 1}


#: A ``lasted`` number past this (a day) is no stun the line describes: the line's time is kept.
MAX_LASTED = timedelta(days=1)


def _began(sig: Signature, ts: datetime, message: str) -> datetime:
    """When the event of a line began: its time less what the line says it lasted (``vm
    stopped for 11283702 us`` is written as the VM runs again), else the line's time."""
    if not sig.lasted:
        return ts
    m = re.search(sig.lasted, message, re.IGNORECASE)
    if m is None:
        return ts
    try:
        lasted = timedelta(seconds=float(m.group(1)) * LASTED_UNITS[sig.lasted_unit])
    except (ValueError, OverflowError, IndexError, TypeError):
        return ts
    return ts - lasted if lasted <= MAX_LASTED else ts


def signature_signals(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    """One signal per tagged event, plus process restarts the readers noticed."""
    ev = timeline.events
    out: list[Signal] = []
    if not ev.is_empty():
        # CVP writes the same record to CVP.log and Error.log: one signal per (host, time, id).
        # Rows are found without their text, which is fetched for the signals kept only (a
        # million matching lines fold into a few stretches: their text is never copied).
        tagged = _rows_at(
            ev.select(pl.all().exclude("message")),
            ev.get_column("signature").is_not_null().arg_true(),
        ).unique(subset=["host", "ts", "signature"], keep="first", maintain_order=True)
        if tagged.height > MAX_SIGNATURE_SIGNALS:
            tagged = _runs(tagged)
        tagged = tagged.with_columns(ev["message"].gather(tagged["_row"]).alias("message"))
        roles = {s.id: s for s in catalog.signatures}
        ends = _ends(catalog)
        for row in tagged.iter_rows(named=True):
            s = roles[row["signature"]]
            first_line = (row["message"] or "").split("\n", 1)[0]
            repeats = row.get("_repeats") or 1
            data = {
                "signature": s.id,
                "role": s.role,
                "pair": s.pair,
                "session_end": ends.get(s.id),
                "stream": row["stream"],
                "source": f"{row['source']}:{row['line']}",
                "message": (row["message"] or "")[:2000],
            }
            detail = f"{s.title}: {first_line[:300]}"
            if repeats > 1:
                data["repeats"] = repeats
                detail += f" (and {repeats - 1:,} more like it until the end of this signal)"
            out.append(
                Signal(
                    kind="signature",
                    host=row["host"],
                    start=_began(s, row["ts"], row["message"] or ""),
                    end=row.get("_last") or row["ts"],
                    detail=detail,
                    data=data,
                )
            )
    for r in timeline.restarts:
        ts = r.get("ts")
        if ts is None:
            continue
        out.append(
            Signal(
                kind="signature",
                host=str(r["host"]),
                start=ts,  # type: ignore[arg-type]
                end=ts,  # type: ignore[arg-type]
                detail=str(
                    r.get("detail")  # a reader may say what it saw (systeminfo: a boot)
                    or f"log sequence number fell back: {r.get('component') or 'a process'} restarted"
                ),
                data={
                    "signature": r.get("signature") or "log.sequence_reset",
                    "role": "restart",
                    "pair": None,
                    "source": f"{r.get('source')}:{r.get('line')}",
                },
            )
        )
    return out
