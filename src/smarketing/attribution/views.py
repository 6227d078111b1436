"""The attribution page: model, level, conversion, period, team split, comparison, CSV.

The view validates the query (a bad parameter is a 400 naming it), reads the cached report
(:func:`selectors.report`) and renders; the chart is built here from the comparison.
"""

from __future__ import annotations

import csv
import datetime as dt

import plotly.graph_objects as go
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render

from smarketing.attribution import pathset, selectors
from smarketing.attribution.adapter import CONVERSIONS, COST_LEVELS, LEVELS
from smarketing.attribution.selectors import COMPARED_MODELS, QueryError
from smarketing.web.charts import chart, style

#: Keys shown in the comparison chart (largest credit under any model first).
CHART_KEYS = 12
CONVERSION_LABELS = {
    "lead": "Lead created",
    "mql": "MQL",
    "sql": "SQL",
    "opportunity": "Opportunity created (pipeline)",
    "won": "Deal won (revenue)",
}
#: Conversions that carry a value (pipeline, revenue): value and ROI apply only to these.
VALUED = {"opportunity", "won"}


def comparison_figure(comparison: dict, *, selected: str) -> go.Figure:
    """Grouped bars: each key's share under every model."""
    rows = sorted(comparison["rows"], key=lambda r: (-max(r["shares"].values()), r["key"]))
    rows = rows[:CHART_KEYS]
    keys = [r["key"] for r in rows]
    fig = go.Figure()
    for model in comparison["models"]:
        fig.add_bar(
            name=model,
            x=keys,
            y=[r["shares"][model] for r in rows],
            marker_line_width=2 if model == selected else 0,
            marker_line_color="#111",
            hovertemplate="%{x}<br>" + model + ": %{y:.1%}<extra></extra>",
        )
    return style(
        fig,
        y_title="Share of credit (%)",
        barmode="group",
        height=420,
        margin={"l": 64, "r": 16, "t": 10, "b": 110},
        yaxis={"tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.12},
    )


def disagreements(comparison: dict, *, limit: int = 6) -> list[dict]:
    """The keys whose credit depends most on the model: spread, lowest and highest model."""
    out = []
    for row in comparison["rows"][:limit]:
        if row["spread"] <= 0:
            break
        low = min(row["shares"], key=lambda m: (row["shares"][m], m))
        high = max(row["shares"], key=lambda m: (row["shares"][m], m))
        out.append(
            {
                "key": row["key"],
                "spread": row["spread"],
                "low_model": low,
                "low": row["shares"][low],
                "high_model": high,
                "high": row["shares"][high],
            }
        )
    return out


def _csv(result: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"attribution-{result['model']}-{result['by']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    bounds = {i["key"]: i for i in result.get("intervals", {}).get("keys", [])}
    has_cost = any("cost" in c for c in result["credits"])
    header = [result["by"], "conversions", "value", "share"]
    if bounds:
        header += ["conversions_low", "conversions_high", "share_low", "share_high"]
    if has_cost:
        header += ["cost", "cost_per_conversion", "roi"]
    writer = csv.writer(response)
    writer.writerow(header)
    for c in result["credits"]:
        row = [c["key"], c["conversions"], c["value"], c["share"]]
        if bounds:
            b = bounds.get(c["key"], {})
            row += [
                b.get(f) for f in ("conversions_low", "conversions_high", "share_low", "share_high")
            ]
        if has_cost:
            row += [c.get("cost"), c.get("cost_per_conversion"), c.get("roi")]
        writer.writerow(["" if v is None else v for v in row])
    return response


@login_required
def index(request):
    """Attribution: credit per key under one model, team split, model comparison."""
    try:
        query = selectors.parse_query(request.GET)
    except QueryError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    data = selectors.report(query)
    result = data["result"]
    if data["pending"]:
        _request_build()
    if request.GET.get("format") == "csv":
        if result is None:
            message = data["error"] or PENDING
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return _csv(result)
    context = {
        "query": query,
        "data": data,
        "result": result,
        "models": selectors.model_choices(),
        "levels": LEVELS,
        "conversions": [(k, CONVERSION_LABELS[k]) for k in CONVERSIONS],
        "since": query.since.date().isoformat() if query.since else "",
        "until": _until_text(query),
        "weights": ",".join(f"{k}={v:g}" for k, v in query.weights or ()),
        "cost_levels": COST_LEVELS,
        "compared": COMPARED_MODELS,
        "has_value": query.conversion in VALUED,
        "no_value": (
            f"{CONVERSION_LABELS[query.conversion]} conversions carry no value, so value and "
            "ROI do not apply: choose Opportunity or Deal won"
        ),
        "as_of": dt.datetime.fromisoformat(data["as_of"]) if data.get("as_of") else None,
        "stale": bool(data.get("as_of")) and pathset.is_stale(),
        "roi_period": _roi_period(query),
    }
    if result is not None:
        bounds = {i["key"]: i for i in result.get("intervals", {}).get("keys", [])}
        context["rows"] = [dict(c, interval=bounds.get(c["key"])) for c in result["credits"]]
        context["has_cost"] = any("cost" in c for c in result["credits"])
        context["has_intervals"] = bool(bounds)
        context["team"] = data["team"]["credits"] if data["team"] else []
        context["chart"] = chart(
            comparison_figure(data["comparison"], selected=query.model),
            name="attribution-comparison",
            title=f"Share of {query.conversion} credit by {query.by} under each model",
        )
        context["disagreements"] = disagreements(data["comparison"])
    return render(request, "attribution/index.html", context)


#: What the page (and its CSV) says while the stored path set is being built.
PENDING = "The attribution paths are being computed; this page fills in when they are ready."


def _request_build() -> None:
    """Ask the worker to build the path set (once per few minutes; never in the request:
    with an inline task queue the page only waits for the periodic task)."""
    from huey.contrib.djhuey import HUEY

    from smarketing.attribution import tasks

    if HUEY.immediate or not cache.add("attribution:build-requested", 1, 300):
        return
    tasks.build_path_set()


@login_required
def status(request):
    """The stored path set's state, polled by the page while it is being computed."""
    st = pathset.state()
    built = st is not None and st.built_at is not None
    return JsonResponse(
        {
            "ready": built,
            "as_of": st.refreshed_at.isoformat() if built else None,
            "build_seconds": st.build_seconds if built else None,
            "stale": pathset.is_stale() if built else None,
        }
    )


def _roi_period(query) -> str:
    """The period the ROI figures cover, as the page states it."""
    if query.since is None and query.until is None:
        return "all time"
    since = query.since.date().isoformat() if query.since else "the first conversion"
    return f"{since} to {_until_text(query) or 'today'}"


def _until_text(query) -> str:
    if query.until is None:
        return ""
    # A bare date means "through that day": show the day before the exclusive bound.
    if query.until.time() == dt.time() and query.until.tzinfo is not None:
        return (query.until - dt.timedelta(days=1)).date().isoformat()
    return query.until.isoformat()
