"""The dashboards: which charts each one shows, and how each chart is drawn (Plotly).

A chart is ``(name, title, dataset, figure)``: the dataset (``datasets.py``) is also the CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

from smarketing.reporting import datasets as ds

COLORS = ["#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2"]


@dataclass(frozen=True)
class Chart:
    """One dashboard chart: its data function and its figure builder."""

    name: str
    title: str
    data: Callable[[ds.Context], pd.DataFrame | None]
    figure: Callable[[pd.DataFrame], go.Figure]
    note: str = ""
    unavailable: str = "Not available yet."


def _layout(fig: go.Figure, **kw) -> go.Figure:
    base = {
        "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
        "height": 320,
        "legend": {"orientation": "h", "y": -0.2},
        "colorway": COLORS,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }
    fig.update_layout(**{**base, **kw})
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def lines(x: str, ys: list[str]) -> Callable[[pd.DataFrame], go.Figure]:
    def build(df: pd.DataFrame) -> go.Figure:
        fig = go.Figure()
        for y in ys:
            fig.add_scatter(x=df[x].astype(str), y=df[y], name=y.replace("_", " "), mode="lines")
        return _layout(fig)

    return build


def bars(x: str, ys: list[str], *, horizontal: bool = False, stack: bool = False):
    def build(df: pd.DataFrame) -> go.Figure:
        fig = go.Figure()
        for y in ys:
            if horizontal:
                fig.add_bar(y=df[x].astype(str), x=df[y], name=y.replace("_", " "), orientation="h")
            else:
                fig.add_bar(x=df[x].astype(str), y=df[y], name=y.replace("_", " "))
        kw = {"barmode": "stack" if stack else "group"}
        if horizontal:
            kw["yaxis"] = {"autorange": "reversed"}
            kw["height"] = max(320, 22 * len(df) + 80)
        return _layout(fig, **kw)

    return build


def funnel_figure(df: pd.DataFrame) -> go.Figure:
    text = [
        f"{c:,}" + (f" · {v:.0%} → next" if pd.notna(v) else "")
        for c, v in zip(df["count"], df["conversion_to_next"])
    ]
    fig = go.Figure(go.Funnel(y=df["step"], x=df["count"], text=text, textinfo="text"))
    return _layout(fig)


def roi_figure(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df["label"], y=df["cost"], name="cost")
    fig.add_bar(x=df["label"], y=df["revenue"], name="revenue")
    fig.add_scatter(
        x=df["label"], y=df["roi"], name="ROI", mode="markers", yaxis="y2", marker={"size": 9}
    )
    return _layout(
        fig,
        barmode="group",
        margin={"l": 48, "r": 56, "t": 16, "b": 40},
        yaxis2={"overlaying": "y", "side": "right", "title": "ROI", "tickformat": ".0%"},
        height=380,
    )


DASHBOARDS: dict[str, tuple[str, str, list[Chart]]] = {
    "marketing": (
        "Marketing dashboard",
        "Traffic, leads, qualified leads, sources and campaigns, cost and ROI.",
        [
            Chart(
                "traffic",
                "Traffic: page views and sessions per day",
                ds.traffic,
                lines("day", ["page_views", "sessions"]),
                "A session is one visitor (contact or anonymous browser) on one day.",
            ),
            Chart(
                "leads",
                "New leads, MQLs and SQLs (qualified) per day",
                ds.leads_over_time,
                lines("day", ["leads", "mqls", "sqls"]),
            ),
            Chart(
                "leads_by_source",
                "Leads by source",
                ds.leads_by_source,
                bars("label", ["leads", "mqls", "sqls"], horizontal=True),
            ),
            Chart(
                "leads_by_campaign",
                "Leads by campaign (top 25)",
                ds.leads_by_campaign,
                bars("label", ["leads", "mqls", "sqls"], horizontal=True),
            ),
            Chart(
                "cost_roi",
                "Cost, revenue and ROI by campaign (top 25 by cost)",
                ds.cost_roi_by_campaign,
                roi_figure,
                "Cost prorated to the period; revenue of won deals whose contact the campaign "
                "sourced; ROI = (revenue - cost) / cost.",
            ),
        ],
    ),
    "sales": (
        "Sales dashboard",
        "Sales generated, sales activity, depth of leads worked, pipeline.",
        [
            Chart(
                "won",
                "Won deals and revenue per day",
                ds.won_over_time,
                bars("day", ["revenue"]),
            ),
            Chart(
                "activity",
                "Sales activity by rep",
                ds.activity_by_rep,
                bars("rep", list(ds.SALES_ACTIVITY), stack=True),
            ),
            Chart(
                "depth",
                "Depth of leads worked (MQLs of the period)",
                ds.depth_by_rep,
                bars("rep", ["attempts_per_lead", "pct_worked"]),
                "Worked = at least one call or email attempt; attempts per lead counts all.",
            ),
            Chart(
                "pipeline",
                "Open pipeline by stage (now)",
                ds.pipeline_by_stage,
                bars("stage", ["amount"]),
            ),
        ],
    ),
    "smarketing": (
        "Smarketing dashboard",
        "The shared funnel, goal pacing, SLA, attribution and sales feedback: one scoreboard.",
        [
            Chart(
                "funnel",
                "Shared funnel (period view)",
                ds.shared_funnel,
                funnel_figure,
                "Counts of contacts reaching each step in the period; conversion and median "
                "days to the next step.",
            ),
            Chart(
                "pacing",
                "Goal pacing: cumulative revenue, actual vs expected",
                ds.pacing_curve,
                lines("date", ["expected", "actual"]),
                "Expected = goal x share of the period elapsed (linear curve).",
                "No goal saved for this period: set one on the Planning page.",
            ),
            Chart(
                "channels",
                "Closed loop by channel",
                ds.channel_outcomes,
                bars("label", ["leads", "mqls", "won"], horizontal=True),
            ),
            Chart(
                "rejections",
                "Top rejection reasons (sales feedback)",
                ds.rejection_reasons,
                bars("reason", ["rejected"], horizontal=True),
            ),
            Chart(
                "attribution",
                "Attribution: won revenue by channel (linear model)",
                ds.attribution_summary,
                bars("channel", ["revenue"], horizontal=True),
                "Linear multi-touch credit over each won deal's primary contact's touches.",
                "Attribution is not available yet.",
            ),
        ],
    ),
}


def chart(dashboard: str, name: str) -> Chart | None:
    entry = DASHBOARDS.get(dashboard)
    return next((c for c in entry[2] if c.name == name), None) if entry else None


def figure_json(fig: go.Figure) -> str:
    return json.dumps(fig.to_plotly_json(), cls=PlotlyJSONEncoder)
