"""Chart data, a step of its own: what the HTML report draws, computed once from the timeline
and saved beside ``findings.json`` as ``charts.json`` (schema ``hbtriage/charts@1``), so a saved
analysis can be rendered again without its inputs (``hbtriage report``).

``{"schema", "generated_by", "charts": {"en": [figure, ...], "ja": [...]}, "lines": {incident
id: {"rows": [...], "more": n}}}``: plotly figures per report language (titles and legends are
translated; the data are the same), and the signature-matched log lines of each incident.

Size: the overview chart is bucketed to at most :data:`MAX_POINTS` points per series (peak per
bucket, so a 10-second DPC spike survives a 24-hour view), only the key counters are plotted, and
full resolution is kept only within :data:`INCIDENT_MARGIN` of each incident. Text that plotly
draws (hover text, legend names, titles) is HTML-escaped here, because plotly understands a few
tags in those strings.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from hbtriage import __version__
from hbtriage.catalog import Catalog, ChartRow, load_catalog
from hbtriage.findings import Findings, HostInfo, Incident, iso
from hbtriage.report.i18n import LANGS, t
from hbtriage.report.localtime import hosts_by_name, local_span
from hbtriage.report.terminal import safe_visible
from hbtriage.timeline import runs

SCHEMA = "hbtriage/charts@1"

#: Points per series in the whole-capture chart.
MAX_POINTS = 2000
#: Full-resolution data kept either side of an incident.
INCIDENT_MARGIN = timedelta(minutes=5)
#: Incidents that get their own chart (the rest are still listed).
MAX_INCIDENT_CHARTS = 30
#: Signature matches drawn / listed per incident.
MAX_MARKERS = 1000
MAX_LINES_LISTED = 50
#: Instances per counter drawn when a host has no "_Total" instance.
MAX_INSTANCES = 8

_HOST_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def chart_data(
    findings: Findings,
    timeline: Any | None,
    langs: Sequence[str] = LANGS,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The charts and matched lines of ``findings`` drawn from ``timeline`` (anything with polars
    frames ``.events`` and ``.counters``, see ``hbtriage.timeline.Timeline``), for each of
    ``langs``. JSON-ready (no NaN: values that are not finite are gaps)."""
    hosts = hosts_by_name(findings.hosts)
    lines: dict[str, dict[str, Any]] = {}
    for incident in findings.incidents:
        rows, more = _matched_lines(incident, hosts, timeline)
        lines[incident.id] = {"rows": rows, "more": more}
    return {
        "schema": SCHEMA,
        "generated_by": f"hbtriage {__version__}",
        "charts": _charts(findings, timeline, langs, (catalog or load_catalog()).chart_rows),
        "lines": lines,
    }


def slug(text: str) -> str:
    """An id-safe form of ``text`` (chart ids)."""
    return "".join(c if c.isalnum() else "-" for c in text)


def _frame(timeline: Any | None, name: str) -> pl.DataFrame | None:
    frame = getattr(timeline, name, None) if timeline is not None else None
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame) or frame.is_empty():
        return None
    return frame


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _between(frame: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    ts = pl.col("ts")
    return frame.filter((ts >= _utc(start)) & (ts <= _utc(end)))


def _matched_lines(
    incident: Incident, hosts: dict[str, HostInfo], timeline: Any | None
) -> tuple[list[dict[str, Any]], int]:
    events = _frame(timeline, "events")
    if events is None or "signature" not in events.columns:
        return [], 0
    hits = _between(
        events.filter(pl.col("signature").is_not_null()),
        incident.start - INCIDENT_MARGIN,
        incident.end + INCIDENT_MARGIN,
    ).sort("ts")
    rows = [
        {
            "ts": iso(r["ts"]),
            "local": local_span(r["ts"], r["ts"], hosts.get(r["host"]), with_date=False) or "—",
            "host": r["host"],
            "signature": r["signature"],
            "message": r["message"] or "",
            "source": f"{r.get('source') or ''}:{r.get('line') or ''}".strip(":"),
        }
        for r in hits.head(MAX_LINES_LISTED).iter_rows(named=True)
    ]
    return rows, max(0, hits.height - MAX_LINES_LISTED)


# --- chart data -----------------------------------------------------------------------------------


def _row_label(row: ChartRow, lang: str) -> str:
    return row.title_ja if lang == "ja" and row.title_ja else row.title


def _charts(
    findings: Findings, timeline: Any | None, langs: Sequence[str], rows: tuple[ChartRow, ...]
) -> dict[str, list[dict[str, Any]]]:
    events = _frame(timeline, "events")
    counters = _frame(timeline, "counters")
    if events is None and counters is None:
        return {lang: [] for lang in langs}
    key = _key_series(counters, rows) if counters is not None else None
    dpc = list(getattr(timeline, "dpc", None) or [])
    hosts = _host_order(findings, events, key)
    ev = _LogEvents(events) if events is not None else None
    out: dict[str, list[dict[str, Any]]] = {}
    for lang in langs:
        charts: list[dict[str, Any]] = []
        overview = _overview(findings, ev, key, hosts, lang, rows)
        if overview is not None:
            charts.append(overview)
        for incident in findings.incidents[:MAX_INCIDENT_CHARTS]:
            chart = _incident_chart(incident, ev, key, hosts, lang, rows, dpc)
            if chart is not None:
                charts.append(chart)
        out[lang] = charts
    return out


class _LogEvents:
    """The log events the charts draw, without copying the timeline's millions of rows:
    ``lines`` (host, ms) is lazy and only ever aggregated, by the streaming engine (morsel by
    morsel); ``marks`` holds the few rows with a signature (host, ms, signature, message)."""

    def __init__(self, events: pl.DataFrame) -> None:
        ms = pl.col("ts").dt.epoch("ms").alias("ms")
        self.lines = events.lazy().select("host", ms)
        self.marks = events.filter(pl.col("signature").is_not_null()).select(
            "host", ms, "signature", "message"
        )


def _host_order(
    findings: Findings, events: pl.DataFrame | None, counters: pl.DataFrame | None
) -> dict[str, str]:
    names = [h.name for h in findings.hosts]
    for frame in (events, counters):
        if frame is not None:
            names += frame.get_column("host").unique().cast(pl.Utf8).drop_nulls().sort().to_list()
    ordered = list(dict.fromkeys(names))
    return {h: _HOST_COLORS[i % len(_HOST_COLORS)] for i, h in enumerate(ordered)}


def _key_series(counters: pl.DataFrame, rows: tuple[ChartRow, ...]) -> pl.DataFrame | None:
    """The key counters only (the catalog's chart rows): row (its id), host, label, ms (epoch
    ms), value.

    row, host and label are categorical: the frame has a row per sample. Which series a chart
    row shows (and its label) is decided on the table of distinct series, then joined to the
    samples."""
    wanted_counters = sorted({c for row in rows for c in row.counters})
    wanted_objects = sorted({o for row in rows for o in row.objects})
    keys = ["host", "object", "instance", "counter"]
    # One pass over a possibly huge frame (comparing the names as they are stored: a cast to
    # text first would make a string per row); everything after works on the small result.
    small = counters.filter(
        pl.col("counter").is_in(wanted_counters) & pl.col("object").is_in(wanted_objects)
    ).select(*keys, pl.col("ts").dt.epoch("ms").alias("ms"), pl.col("value").cast(pl.Float64))
    if small.is_empty():
        return None
    # The names as text (instance null -> ""), one row per series; k_* keep the stored names
    # to join the samples on.
    spans = runs(small, keys)  # the timeline keeps each series together: no hashing of rows
    distinct = (
        small.select(keys).unique()
        if spans is None
        else small.select(keys)[[offset for offset, _ in spans]]
    )
    series = distinct.with_row_index("_i").select(
        "_i",
        *(pl.col(k).alias(f"k_{k}") for k in keys),
        pl.col("host").cast(pl.Utf8),
        pl.col("object").cast(pl.Utf8),
        pl.col("instance").cast(pl.Utf8).fill_null(""),
        pl.col("counter").cast(pl.Utf8),
    )
    parts: list[pl.DataFrame] = []
    for row in rows:
        chosen = series.filter(
            pl.col("counter").is_in(list(row.counters)) & pl.col("object").is_in(list(row.objects))
        )
        if chosen.is_empty():
            continue
        rank = {o: i for i, o in enumerate(row.objects)}
        if row.sum_instances:
            # Every object the host has is a series of its own, named by it: UDP receive errors
            # are carried by UDPv4 or UDPv6 (or both), and neither hides the other.
            chosen = chosen.with_columns(
                label=pl.col("host") + " " + pl.col("object") + "\\" + pl.col("counter")
            )
            # The instances of one (host, object, counter) are summed per time stamp, a group
            # at a time (one integer key: grouping millions of rows on several keys is costly).
            sums = [
                _samples_of(small, members, keys, spans)
                .group_by("ms")
                .agg(
                    pl.col("host", "label").first(),
                    pl.col("value").sum(),
                    # plain sum + count keep polars on its fast group-by path
                    pl.col("value").count().alias("_n"),
                )
                for _, members in chosen.group_by("host", "object", "counter", maintain_order=True)
            ]
            # all-null stays null
            df = pl.concat(sums).with_columns(
                pl.when(pl.col("_n") > 0).then(pl.col("value")).alias("value")
            )
        else:
            chosen = chosen.with_columns(rank=_rank_expr(rank))
            chosen = chosen.filter(pl.col("rank") == pl.col("rank").min().over("host", "counter"))
            has_total = (pl.col("instance") == "_Total").any().over("host", "counter")
            chosen = chosen.filter(~has_total | (pl.col("instance") == "_Total"))
            chosen = chosen.filter(
                pl.col("instance").rank("dense").over("host", "counter") <= MAX_INSTANCES
            )
            suffix = (
                pl.when(pl.col("instance").is_in(["_Total", ""]))
                .then(pl.lit(""))
                .otherwise(" [" + pl.col("instance") + "]")
            )
            chosen = chosen.with_columns(label=pl.col("host") + " " + pl.col("counter") + suffix)
            df = _samples_of(small, chosen, keys, spans)
        parts.append(
            df.select(
                pl.lit(row.id, pl.Categorical).alias("row"),
                pl.col("host").cast(pl.Categorical),
                pl.col("label").cast(pl.Categorical),
                "ms",
                pl.col("value").round(3),
            )
        )
    if not parts:
        return None
    return pl.concat(parts)


def _samples_of(
    small: pl.DataFrame,
    chosen: pl.DataFrame,
    keys: list[str],
    spans: list[tuple[int, int]] | None,
) -> pl.DataFrame:
    """The samples (ms, value) of the series in ``chosen`` with its host and label (categorical:
    a row per sample): slices of ``small`` when its series are stretches of rows (``spans``,
    indexed by ``_i``), else a join on the stored names."""
    text = ["host", "label"]
    if spans is not None:
        pieces = [
            small.slice(*spans[row["_i"]]).select(
                "ms", "value", *(pl.lit(row[c], pl.Categorical).alias(c) for c in text)
            )
            for row in chosen.sort("_i").iter_rows(named=True)
        ]
        return pl.concat(pieces)
    stored = [f"k_{k}" for k in keys]
    picked = chosen.select(*stored, *(pl.col(c).cast(pl.Categorical) for c in text))
    return (
        small.select(*(pl.col(k).alias(f"k_{k}") for k in keys), "ms", "value")
        .join(picked, on=stored, how="inner", nulls_equal=True)
        .drop(stored)
    )


def _rank_expr(rank: dict[str, int]) -> pl.Expr:
    expr = pl.lit(len(rank), dtype=pl.Int32)
    for name, i in reversed(rank.items()):
        expr = pl.when(pl.col("object") == name).then(pl.lit(i, dtype=pl.Int32)).otherwise(expr)
    return expr


def _break_gaps(df: pl.DataFrame, by: str) -> pl.DataFrame:
    """Insert a null after a sample whose successor is > 3x the series' usual step away.

    plotly joins points across missing samples; a null makes a stalled perfmon (a VM stun, a
    reboot) visible as a break instead of a straight line.
    """
    if df.height < 3:
        return df
    df = df.sort(by, "ms")
    step = pl.col("ms").diff().over(by)
    df = df.with_columns(_next=pl.col("ms").shift(-1).over(by) - pl.col("ms"))
    df = df.with_columns(_usual=step.median().over(by))
    holes = df.filter(pl.col("_next") > pl.col("_usual") * 3).with_columns(
        pl.col("ms") + 1, pl.lit(None, dtype=pl.Float64).alias("value")
    )
    return pl.concat([df, holes]).drop("_next", "_usual").sort(by, "ms")


def _log_rate(
    ev: _LogEvents, lo: int, hi: int, bucket_ms: int
) -> dict[str, tuple[list[int], list[float]]]:
    """Lines per second per host, zero-filled between the host's first and last line."""
    counts = (
        ev.lines.filter((pl.col("ms") >= lo) & (pl.col("ms") <= hi))
        .group_by("host", (pl.col("ms") // bucket_ms * bucket_ms).alias("b"))
        .agg(n=pl.len())
        .collect(engine="streaming")
    )
    if counts.is_empty():
        return {}
    span = (
        ev.lines.group_by("host")
        .agg(first=pl.col("ms").min(), last=pl.col("ms").max())
        .collect(engine="streaming")
    )
    out: dict[str, tuple[list[int], list[float]]] = {}
    for host, first, last in span.sort("host").iter_rows():
        if host is None:
            continue
        start = max(lo, first) // bucket_ms * bucket_ms
        stop = min(hi, last) // bucket_ms * bucket_ms
        if stop < start:
            continue
        grid = pl.DataFrame({"b": pl.int_range(start, stop + 1, bucket_ms, eager=True)})
        mine = counts.filter(pl.col("host") == host).select("b", "n")
        full = grid.join(mine, on="b", how="left").with_columns(
            rate=(pl.col("n").fill_null(0) * 1000 / bucket_ms).round(3)
        )
        out[str(host)] = (full["b"].to_list(), full["rate"].to_list())
    return out


def _esc(text: str) -> str:
    """Text for plotly's pseudo-HTML (hover text, legend names, titles): shown as written, its
    control and bidirectional characters escaped as on the rest of the page."""
    return safe_visible(html.escape(text, quote=False)).replace("\n", "<br>")


def _counter_traces(key: pl.DataFrame, colors: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    by_row: dict[str, list[dict[str, Any]]] = {}
    dashes = ("solid", "dot", "dash", "dashdot", "longdash")
    seen: dict[str, int] = {}
    for (row, host, label), part in key.sort("row", "host", "label", "ms").group_by(
        "row", "host", "label", maintain_order=True
    ):
        n = seen.get(f"{row}|{host}", 0)
        seen[f"{row}|{host}"] = n + 1
        by_row.setdefault(str(row), []).append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _esc(str(label)),
                "legendgroup": _esc(str(host)),
                "x": part["ms"].to_list(),
                "y": part["value"].to_list(),
                "line": {"color": colors.get(str(host)), "width": 1.5, "dash": dashes[n % 5]},
                "connectgaps": False,
            }
        )
    return by_row


def _rate_traces(
    rates: dict[str, tuple[list[int], list[float]]], colors: dict[str, str], lang: str
) -> list[dict[str, Any]]:
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "name": _esc(t("legend_log_rate", lang, host=host)),
            "legendgroup": _esc(host),
            "x": xs,
            "y": ys,
            "line": {"color": colors.get(host), "width": 1.5, "shape": "hv"},
        }
        for host, (xs, ys) in rates.items()
    ]


def _signature_traces(
    ev: _LogEvents, lo: int, hi: int, colors: dict[str, str], lang: str
) -> list[dict[str, Any]]:
    hits = (
        ev.marks.filter(
            pl.col("signature").is_not_null() & (pl.col("ms") >= lo) & (pl.col("ms") <= hi)
        )
        .sort("ms")
        .head(MAX_MARKERS)
    )
    traces = []
    for (host,), part in hits.group_by("host", maintain_order=True):
        texts = [
            _esc(
                f"{_ms_iso(ms)}  {host}\n[{sig}]\n{(msg or '')[:400]}"
                + ("…" if msg and len(msg) > 400 else "")
            )
            for ms, sig, msg in zip(part["ms"], part["signature"], part["message"], strict=True)
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _esc(t("legend_signature", lang, host=str(host))),
                "legendgroup": _esc(str(host)),
                "x": part["ms"].to_list(),
                "y": [_esc(str(host))] * part.height,
                "hovertext": texts,
                "hoverinfo": "text",
                "marker": {"color": colors.get(str(host)), "size": 10, "symbol": "x-thin-open"},
            }
        )
    return traces


def _ms_iso(ms: int) -> str:
    return iso(datetime.fromtimestamp(ms / 1000, tz=UTC)) or ""


def _figure(
    chart_id: str,
    title: str,
    rows: list[tuple[str, list[dict[str, Any]], bool]],
    shapes: list[dict[str, Any]],
    lang: str,
    x_range: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Stacked rows sharing one time axis: zooming any row zooms them all."""
    weights = [0.5 if lanes else 1.0 for _, _, lanes in rows]
    gap = 0.035
    usable = 1.0 - gap * (len(rows) - 1)
    total = sum(weights)
    layout: dict[str, Any] = {
        "title": {"text": _esc(title), "x": 0, "font": {"size": 15}},
        "height": 140 + int(190 * total),
        "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
        "hovermode": "closest",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.08, "yanchor": "top"},
        "shapes": shapes,
        "annotations": [],
    }
    data: list[dict[str, Any]] = []
    top = 1.0
    n = len(rows)
    for i, (label, traces, lanes) in enumerate(rows):
        height = usable * weights[i] / total
        domain = [max(0.0, round(top - height, 4)), round(top, 4)]
        top = domain[0] - gap
        axis = "y" if i == 0 else f"y{i + 1}"
        layout["yaxis" if i == 0 else f"yaxis{i + 1}"] = {
            "domain": domain,
            "anchor": "x",
            "automargin": True,
            "zeroline": False,
            "fixedrange": True,  # zoom acts on time only; values autoscale
            **({"type": "category"} if lanes else {"rangemode": "tozero"}),
        }
        layout["annotations"].append(
            {
                "text": _esc(label),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": domain[1],
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12, "color": "#444"},
            }
        )
        for trace in traces:
            data.append({**trace, "xaxis": "x", "yaxis": axis})
    layout["xaxis"] = {
        "type": "date",
        "anchor": "y" if n == 1 else f"y{n}",
        "domain": [0, 1],
        "showspikes": True,
        "spikemode": "across",
        "spikethickness": 1,
        "title": {"text": _esc(t("time", lang))},
    }
    if x_range is not None:
        layout["xaxis"]["range"] = list(x_range)
    return {"id": chart_id, "title": title, "data": data, "layout": layout}


def _band(start_ms: int, end_ms: int, color: str, name: str) -> dict[str, Any]:
    return {
        "type": "rect",
        "xref": "x",
        "yref": "paper",
        "x0": start_ms,
        "x1": end_ms,
        "y0": 0,
        "y1": 1,
        "fillcolor": color,
        "opacity": 0.18,
        "line": {"width": 0},
        "layer": "below",
        "name": name,
    }


def _ms(ts: datetime) -> int:
    return int(_utc(ts).timestamp() * 1000)


#: Bucket sizes of the overview chart, seconds: the first one that keeps a series within
#: :data:`MAX_POINTS` points (past the last one, whole days), so a capture spanning months reads
#: "peak per 6 h bucket", not "peak per 17280 s bucket".
_BUCKETS_S = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
)  # fmt: skip


def _bucket_ms(lo: int, hi: int) -> int:
    """The overview's bucket (ms) for a capture from ``lo`` to ``hi`` (epoch ms)."""
    need = math.ceil((hi - lo + 1) / MAX_POINTS / 1000)
    return 1000 * next((s for s in _BUCKETS_S if s >= need), 86400 * math.ceil(need / 86400))


def _bucket_label(bucket_ms: int, lang: str) -> str:
    seconds = bucket_ms // 1000
    for unit, key in ((86400, "bucket_days"), (3600, "bucket_hours"), (60, "bucket_minutes")):
        if seconds >= unit and seconds % unit == 0:
            return t(key, lang, n=seconds // unit)
    return t("bucket_seconds", lang, n=seconds)


def _overview(
    findings: Findings,
    ev: _LogEvents | None,
    key: pl.DataFrame | None,
    colors: dict[str, str],
    lang: str,
    key_rows: tuple[ChartRow, ...],
) -> dict[str, Any] | None:
    span = (pl.col("ms").min().alias("lo"), pl.col("ms").max().alias("hi"))
    spans = [key.select(*span).row(0)] if key is not None else []
    if ev is not None:
        spans.append(ev.lines.select(*span).collect(engine="streaming").row(0))
    spans = [s for s in spans if s[0] is not None]
    if not spans:
        return None
    lo = min(s[0] for s in spans)
    hi = max(s[1] for s in spans)
    bucket_ms = _bucket_ms(lo, hi)
    rows: list[tuple[str, list[dict[str, Any]], bool]] = []
    if ev is not None:
        rates = _log_rate(ev, lo, hi, bucket_ms)
        if rates:
            rows.append((t("row_log_rate", lang), _rate_traces(rates, colors, lang), False))
    if key is not None:
        by = ("row", "host", "label")
        # Peak per bucket, one series at a time when they are stretches of rows (as
        # _key_series makes them): a group_by over every sample on four keys is costly.
        series = runs(key, list(by))
        bucketed = pl.concat(
            [
                part.group_by(*by, (pl.col("ms") // bucket_ms * bucket_ms)).agg(
                    pl.col("value").max()
                )
                for part in ([key] if series is None else [key.slice(o, n) for o, n in series])
            ]
        ).pipe(_break_gaps, "label")
        by_row = _counter_traces(bucketed, colors)
        rows += [(_row_label(r, lang), by_row[r.id], False) for r in key_rows if r.id in by_row]
    if not rows:
        return None
    # an 11 s incident in a 24 h view would be a hairline: give the band a visible minimum width
    min_width = max(bucket_ms, (hi - lo) // 400)
    shapes = [
        _band(_ms(inc.start), max(_ms(inc.end), _ms(inc.start) + min_width), "#d62728", "incident")
        for inc in findings.incidents
    ]
    title = t("overview_chart", lang, bucket=_bucket_label(bucket_ms, lang))
    return _figure("chart-overview", title, rows, shapes, lang)


#: Drivers drawn per host in the incident charts' DPC row (the busiest in the window).
DPC_TOP = 3


def _dpc_traces(
    reports: list[Any], lo: int, hi: int, colors: dict[str, str]
) -> list[dict[str, Any]]:
    """DPC (softirq ...) time per second of each host's busiest modules in ``lo``..``hi`` (ms),
    from the DPC/ISR reports with time (``Timeline.dpc``); ms of CPU per s."""
    dashes = ("solid", "dot", "dash")
    out: list[dict[str, Any]] = []
    for rep in reports:
        rows = rep.rows
        if rows is None or rows.is_empty():
            continue
        ms = pl.col("ts").dt.epoch("ms")
        part = rows.filter((ms >= lo) & (ms <= hi) & pl.col("time_us").is_not_null())
        if part.is_empty():
            continue
        per = (
            part.with_columns(((ms // 1000) * 1000).alias("sec"))
            .group_by("module", "sec")
            .agg((pl.col("time_us").sum() / 1000.0).alias("busy"))
        )
        top = (
            per.group_by("module")
            .agg(pl.col("busy").sum())
            .sort(["busy", "module"], descending=[True, False])
            .head(DPC_TOP)["module"]
            .to_list()
        )
        seconds = list(range((lo // 1000) * 1000, hi + 1, 1000))
        for n, module in enumerate(top):
            got = dict(per.filter(pl.col("module") == module).select("sec", "busy").iter_rows())
            out.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": _esc(f"{rep.host} {module}"),
                    "legendgroup": _esc(str(rep.host)),
                    "x": seconds,
                    "y": [round(got.get(x, 0.0), 3) for x in seconds],
                    "line": {"color": colors.get(str(rep.host)), "width": 1.5, "dash": dashes[n]},
                }
            )
    return out


def _incident_chart(
    incident: Incident,
    ev: _LogEvents | None,
    key: pl.DataFrame | None,
    colors: dict[str, str],
    lang: str,
    key_rows: tuple[ChartRow, ...],
    dpc: list[Any] | None = None,
) -> dict[str, Any] | None:
    lo = _ms(incident.start - INCIDENT_MARGIN)
    hi = _ms(incident.end + INCIDENT_MARGIN)
    rows: list[tuple[str, list[dict[str, Any]], bool]] = []
    if ev is not None:
        rates = _log_rate(ev, lo, hi, 1000)
        if rates:
            rows.append((t("row_log_rate", lang), _rate_traces(rates, colors, lang), False))
        marks = _signature_traces(ev, lo, hi, colors, lang)
        if marks:
            rows.append((t("row_signatures", lang), marks, True))
    if key is not None:
        inside = key.filter((pl.col("ms") >= lo) & (pl.col("ms") <= hi)).pipe(_break_gaps, "label")
        by_row = _counter_traces(inside, colors)
        rows += [(_row_label(r, lang), by_row[r.id], False) for r in key_rows if r.id in by_row]
    drivers = _dpc_traces(dpc or [], lo, hi, colors)
    if drivers:
        rows.append((t("row_dpc_by_driver", lang), drivers, False))
    if not rows:
        return None
    shapes = [
        _band(_ms(s.start), _ms(s.end), "#7f7f7f", t("legend_silence", lang))
        for s in incident.signals
        if s.kind == "log_gap"
    ]
    shapes.append(
        {
            **_band(_ms(incident.start), _ms(incident.end), "#d62728", t("legend_incident", lang)),
            "opacity": 0.08,
        }
    )
    title = t(
        "incident_chart", lang, id=incident.id, minutes=int(INCIDENT_MARGIN.total_seconds() // 60)
    )
    return _figure(f"chart-{slug(incident.id)}", title, rows, shapes, lang, x_range=(lo, hi))
