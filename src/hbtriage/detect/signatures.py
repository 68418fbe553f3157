"""Tag events with catalog signatures, and turn tagged events into signals."""

from __future__ import annotations

import dataclasses

import polars as pl

from hbtriage.catalog import Catalog
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline


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
    # One combined pass finds the few candidate rows; per-signature passes only run on those,
    # and only they are copied (the events frame may hold millions of rows).
    mask = ev["message"].str.contains(keep_pattern(catalog)).fill_null(False)
    if not mask.any():
        return timeline
    # The names may be categorical (the timeline's) or text (frames built by hand).
    kinds = timeline.streams.select(
        pl.col("host").cast(ev.schema["host"]), pl.col("stream").cast(ev.schema["stream"]), "kind"
    )
    hits = (
        ev.with_row_index("_row")
        .filter(mask)
        .join(kinds, on=["host", "stream"], how="left", maintain_order="left")
    )
    sig = pl.lit(None, pl.Utf8)
    for s in reversed(catalog.signatures):
        cond = pl.col("message").str.contains(_rust_pattern(s.pattern))
        if s.kinds:
            cond = cond & pl.col("kind").is_in(list(s.kinds))
        sig = pl.when(cond).then(pl.lit(s.id)).otherwise(sig)
    dtype = ev.schema["signature"]
    hits = hits.select("_row", sig.cast(dtype).alias("_sig"))
    found = pl.repeat(None, ev.height, dtype=dtype, eager=True).scatter(hits["_row"], hits["_sig"])
    ev = ev.with_columns(pl.coalesce(found, pl.col("signature")).alias("signature"))
    return dataclasses.replace(timeline, events=ev)


def signature_signals(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    """One signal per tagged event, plus process restarts the readers noticed."""
    ev = timeline.events
    out: list[Signal] = []
    if not ev.is_empty():
        # CVP writes the same record to CVP.log and Error.log: one signal per (host, time, id).
        tagged = ev.filter(pl.col("signature").is_not_null()).unique(
            subset=["host", "ts", "signature"], keep="first", maintain_order=True
        )
        roles = {s.id: s for s in catalog.signatures}
        for row in tagged.iter_rows(named=True):
            s = roles[row["signature"]]
            first_line = (row["message"] or "").split("\n", 1)[0]
            out.append(
                Signal(
                    kind="signature",
                    host=row["host"],
                    start=row["ts"],
                    end=row["ts"],
                    detail=f"{s.title}: {first_line[:300]}",
                    data={
                        "signature": s.id,
                        "role": s.role,
                        "pair": s.pair,
                        "stream": row["stream"],
                        "source": f"{row['source']}:{row['line']}",
                        "message": (row["message"] or "")[:2000],
                    },
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
