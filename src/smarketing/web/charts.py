"""The one chart helper: every Plotly chart of every page goes through here.

A view builds a ``plotly.graph_objects.Figure`` and passes it to :func:`chart`, which styles
it (palette, font, axis titles with units, the company's currency), checks it has data and
returns a plain dict for the ``web/_chart.html`` include. The include writes the figure with
``json_script`` (a dict, so it is JSON-encoded exactly once) and ``web/static/web/charts.js``
draws every such figure with Plotly; pages have no inline chart scripts. Plotly's own
JavaScript is served from the installed ``plotly`` package by :func:`plotly_js` (no CDN).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from functools import lru_cache

import plotly.graph_objects as go
import plotly.io as pio
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified

#: A colour-blind-safe palette (Okabe & Ito, 2008), then two of Paul Tol's for charts of ten series
#: (the attribution comparison draws ten models).
COLORS = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#555555",
    "#882255", "#999933",
]  # fmt: skip
EMPTY = "No data for these filters."
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
_SLUG = re.compile(r"[^a-z0-9-]+")


def currency() -> str:
    """The company's currency code (``SMARKETING_CURRENCY``, default ``USD``)."""
    return getattr(settings, "SMARKETING_CURRENCY", "USD")


def money(what: str) -> str:
    """An axis title for an amount of money: ``money("Revenue") == "Revenue (USD)"``."""
    return f"{what} ({currency()})"


def has_points(fig: go.Figure) -> bool:
    """Whether any trace of ``fig`` has at least one data point (an x/y pair, or a value)."""
    for trace in fig.data:
        for attr in ("values", "z"):
            values = getattr(trace, attr, None)
            if values is not None and any(_present(v) for v in _flat(values)):
                return True
        xs, ys = getattr(trace, "x", None), getattr(trace, "y", None)
        if xs is not None and ys is not None:
            if any(_present(a) and _present(b) for a, b in zip(xs, ys)):
                return True
        elif any(_present(v) for v in (xs if xs is not None else ys if ys is not None else ())):
            return True
    return False


def _flat(values):
    for v in values:
        if isinstance(v, list | tuple):
            yield from v
        else:
            yield v


def _present(v) -> bool:
    return v is not None and v == v  # NaN != NaN


def figure_dict(fig: go.Figure) -> dict:
    """The figure as plain JSON types (numpy arrays, dates and NaN converted the Plotly way),
    ready for ``json_script``: a dict, not a JSON string, so it is encoded once."""
    return json.loads(pio.to_json(fig, validate=False, engine="json"))


def style(
    fig: go.Figure,
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int = 320,
    **layout,
) -> go.Figure:
    """Apply the house style: palette, font, white background, grid, legend below, titles."""
    base = {
        "height": height,
        "margin": {"l": 64, "r": 24, "t": 16, "b": 56},
        "colorway": COLORS,
        "font": {"family": FONT, "size": 12, "color": "#1d2330"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.22, "x": 0},
        "hoverlabel": {"namelength": -1},
        "separators": ".,",
    }
    fig.update_layout(**{**base, **layout})
    fig.update_xaxes(gridcolor="#e5e8ee", zerolinecolor="#c9ced8", automargin=True)
    fig.update_yaxes(gridcolor="#e5e8ee", zerolinecolor="#c9ced8", automargin=True)
    if x_title:
        fig.update_layout(xaxis_title_text=x_title)
    if y_title:
        fig.update_layout(yaxis_title_text=y_title)
    return fig


def slug(name: str) -> str:
    """A safe element-id fragment for a chart name (``"Cost & ROI" -> "cost-roi"``)."""
    return _SLUG.sub("-", name.lower().replace("_", "-")).strip("-") or "chart"


def chart(
    fig: go.Figure | None,
    *,
    name: str,
    title: str,
    empty: str = EMPTY,
    filename: str | None = None,
) -> dict:
    """What ``web/_chart.html`` needs to draw ``fig`` (already styled), or its empty state.

    ``name`` must be unique on the page: the chart's element is ``chart-<name>`` and its data
    script ``chart-<name>-data``, names no other element of a page uses. ``title`` is the
    chart's title (the page shows it as the card heading; downloaded PNG/SVG images carry it).
    A figure with no trace holding a data point gives ``figure=None`` and the ``empty``
    message instead of empty axes.
    """
    key = slug(name)
    drawn = fig is not None and has_points(fig)
    return {
        "id": f"chart-{key}",
        "data_id": f"chart-{key}-data",
        "title": title,
        "filename": filename or key,
        "figure": figure_dict(fig) if drawn else None,
        "empty": empty,
    }


@lru_cache(maxsize=1)
def _plotly_source() -> tuple[bytes, bytes, str]:
    """Plotly's bundle, gzipped once (4.8 MB -> about 1.4 MB on the wire), and its ETag."""
    from plotly.offline import get_plotlyjs

    body = get_plotlyjs().encode()
    return body, gzip.compress(body, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def plotly_js(request):
    """Plotly's JavaScript from the installed ``plotly`` package (the product works offline).

    One URL for every page; cached by the browser for a day and revalidated by ETag."""
    body, zipped, etag = _plotly_source()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(zipped, content_type="application/javascript")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="application/javascript")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    response["Vary"] = "Accept-Encoding"
    return response
