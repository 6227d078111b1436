"""Reporting API: closed-loop figures and dashboard chart data as JSON."""

from ninja import Query, Router, Schema
from ninja.errors import HttpError

from smarketing.analytics.closedloop import DIMENSIONS, ClosedLoopError
from smarketing.config.auth import read_auth
from smarketing.reporting import datasets as ds
from smarketing.reporting import selectors
from smarketing.reporting.charts import chart
from smarketing.reporting.filters import FilterError, parse_filters

router = Router(tags=["reporting"])


class ReportFilters(Schema):
    period: str | None = None
    team: str | None = None
    owner: str | None = None
    persona: str | None = None
    segment: str | None = None
    channel: str | None = None


def _filters(q: ReportFilters):
    try:
        return parse_filters({k: v for k, v in q.dict().items() if v is not None})
    except FilterError as exc:
        raise HttpError(422, str(exc)) from None


@router.get("/reporting/closed-loop", auth=read_auth())
def closed_loop(request, q: Query[ReportFilters], by: str = "channel", view: str = "period"):
    """Leads -> MQL -> SQL -> opportunity -> won, revenue, cost, ROI, feedback per group."""
    if by not in DIMENSIONS:
        raise HttpError(422, f"by: unknown grouping {by!r}; use {', '.join(DIMENSIONS)}")
    try:
        return selectors.closed_loop(_filters(q), by=by, view=view).to_dict()
    except ClosedLoopError as exc:
        raise HttpError(422, str(exc)) from None


@router.get("/reporting/dashboards/{dashboard}/{chart_name}", auth=read_auth())
def chart_data(request, dashboard: str, chart_name: str, q: Query[ReportFilters]):
    """The rows behind one dashboard chart (the same as its CSV)."""
    c = chart(dashboard, chart_name)
    if c is None:
        raise HttpError(404, f"no chart {dashboard}/{chart_name}")
    df = c.data(ds.Context(_filters(q)))
    if df is None:
        raise HttpError(404, f"{chart_name} is not available")
    return {
        "columns": list(df.columns),
        "rows": df.astype(object).where(df.notna(), None).values.tolist(),
    }
