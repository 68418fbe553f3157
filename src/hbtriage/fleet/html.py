"""``fleet.html``: one self-contained page (no script, no network) over the fleet view of
:func:`hbtriage.fleet.summary.cross_bundle`. Every text from the bundles (names, hosts,
errors) goes through jinja2's autoescape; the timelines are inline SVG drawn from numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

#: Colours of the causes on the timelines, in the order the causes are listed.
PALETTE = (
    "#d62728",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
WIDTH = 900  # px of the time axis
MAX_LANES = 200  # lanes drawn per timeline; the rest are counted


def _lanes(
    items: list[dict[str, Any]], lo: float, span: float, colours: dict[str | None, str]
) -> list[dict[str, Any]]:
    """One lane per host or pair: its incidents as marks placed on the shared time axis."""
    lanes: dict[str, list[dict[str, Any]]] = {}
    for it in items:
        start, end = it["start"].timestamp(), it["end"].timestamp()
        x = (start - lo) / span * WIDTH
        w = max(3.0, (end - start) / span * WIDTH)
        lanes.setdefault(str(it["who"]), []).append(
            {
                "x": round(x, 1),
                "w": round(min(w, WIDTH - x + 3), 1),
                "colour": colours.get(it["cause"], "#444"),
                "tip": f"{it['bundle']} {it['incident']}: {it['cause']} "
                f"{it['start']:%Y-%m-%d %H:%M:%S}Z",
            }
        )
    return [{"name": k, "marks": v} for k, v in sorted(lanes.items())][:MAX_LANES]


def render_fleet_html(
    view: dict[str, Any], rows: Sequence[dict[str, Any]], lang: str = "en"
) -> str:
    """The page for ``view`` (see ``cross_bundle``) and the bundles' ``rows``, its words in
    ``lang`` (:mod:`hbtriage.report.i18n`; ids, names and error texts as the rows hold them)."""
    import jinja2

    from hbtriage.report.i18n import fleet_t, t

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hbtriage.fleet", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    colours = {c["cause"]: PALETTE[i % len(PALETTE)] for i, c in enumerate(view["causes"])}
    times = [it["start"] for it in view["per_host"]] + [it["end"] for it in view["per_host"]]
    lo = min(times).timestamp() if times else 0.0
    hi = max(times).timestamp() if times else 1.0
    span = max(hi - lo, 1.0)
    axis = (
        [
            {
                "x": round(WIDTH * k / 4, 1),
                "label": f"{datetime.fromtimestamp(lo + span * k / 4, tz=UTC):%Y-%m-%d %H:%M}Z",
            }
            for k in range(5)
        ]
        if times
        else []
    )
    return env.get_template("fleet.html.j2").render(
        view=view,
        rows=rows,
        colours=colours,
        width=WIDTH,
        axis=axis,
        host_lanes=_lanes(view["per_host"], lo, span, colours),
        pair_lanes=_lanes(view["per_pair"], lo, span, colours),
        max_lanes=MAX_LANES,
        lang=lang,
        t=lambda key, **fmt: (fleet_t if key.startswith("fleet_") else t)(key, lang, **fmt),
    )
