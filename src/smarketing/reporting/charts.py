"""The dashboards: which charts each one shows, and how each chart is drawn (Plotly).

A chart is ``(name, title, dataset, figure)``: the dataset (``datasets.py``) is also the CSV.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from smarketing.reporting import datasets as ds
from smarketing.web.charts import money, style


@dataclass(frozen=True)
class Chart:
    """One dashboard chart: its data function and its figure builder."""

    name: str
    title: str
    data: Callable[[ds.Context], pd.DataFrame | None]
    figure: Callable[[pd.DataFrame], go.Figure]
    note: str = ""
    unavailable: str = "Not available yet."


def _label(column: str) -> str:
    return column.replace("_", " ")


def lines(x: str, ys: list[str], *, x_title: str, y_title: str | Callable[[], str]):
    """Lines of ``ys`` over ``x`` (a day or date column)."""

    def build(df: pd.DataFrame) -> go.Figure:
        fig = go.Figure()
        for y in ys:
            fig.add_scatter(x=df[x].astype(str), y=df[y], name=_label(y), mode="lines")
        return style(fig, x_title=x_title, y_title=_text(y_title), hovermode="x unified")

    return build


def bars(
    x: str,
    ys: list[str],
    *,
    value_title: str | Callable[[], str],
    category_title: str | None = None,
    horizontal: bool = False,
    stack: bool = False,
):
    """Bars of ``ys`` per ``x`` category; ``value_title`` names the value axis with its unit."""

    def build(df: pd.DataFrame) -> go.Figure:
        fig = go.Figure()
        for y in ys:
            if horizontal:
                fig.add_bar(y=df[x].astype(str), x=df[y], name=_label(y), orientation="h")
            else:
                fig.add_bar(x=df[x].astype(str), y=df[y], name=_label(y))
        kw = {"barmode": "stack" if stack else "group", "showlegend": len(ys) > 1}
        value, category = _text(value_title), category_title
        # Labels such as campaign names may look like numbers: keep them categories.
        axis = {"type": "category"}
        if horizontal:
            kw["yaxis"] = {"autorange": "reversed", **axis}
            kw["height"] = max(320, 22 * len(df) + 100)
            return style(fig, x_title=value, y_title=category, **kw)
        return style(fig, x_title=category, y_title=value, xaxis=axis, **kw)

    return build


def _text(title: str | Callable[[], str]) -> str:
    # Money titles are callables: the currency is read when the figure is drawn, not imported.
    return title() if callable(title) else title


def funnel_figure(df: pd.DataFrame) -> go.Figure:
    text = [
        f"{c:,}" + (f" · {v:.0%} → next" if pd.notna(v) else "")
        for c, v in zip(df["count"], df["conversion_to_next"])
    ]
    fig = go.Figure(go.Funnel(y=df["step"], x=df["count"], text=text, textinfo="text"))
    return style(fig, x_title="Contacts reaching the step", showlegend=False)


def roi_figure(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df["label"], y=df["cost"], name="cost")
    fig.add_bar(x=df["label"], y=df["revenue"], name="revenue")
    fig.add_scatter(
        x=df["label"], y=df["roi"], name="ROI", mode="markers", yaxis="y2", marker={"size": 9}
    )
    return style(
        fig,
        y_title=money("Cost and revenue"),
        barmode="group",
        margin={"l": 64, "r": 64, "t": 16, "b": 56},
        xaxis={"type": "category"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "title": "ROI (%)",
            "tickformat": ".0%",
            "showgrid": False,
            "rangemode": "tozero",
            "zeroline": True,
        },
        height=400,
    )


def won_figure(df: pd.DataFrame) -> go.Figure:
    """Revenue won per day (bars, left axis) and the number of deals won (markers, right)."""
    fig = go.Figure()
    days = df["day"].astype(str)
    fig.add_bar(x=days, y=df["revenue"], name="revenue")
    fig.add_scatter(
        x=days, y=df["won_deals"], name="won deals", mode="markers", yaxis="y2",
        marker={"size": 9},
    )  # fmt: skip
    return style(
        fig,
        x_title="Day",
        y_title=money("Revenue"),
        margin={"l": 64, "r": 64, "t": 16, "b": 56},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "title": "Won deals",
            "rangemode": "tozero",
            "showgrid": False,
            # whole deals only: about four ticks, never a fraction of a deal
            "dtick": max(1, math.ceil(float(df["won_deals"].max() or 0) / 4)),
        },
    )


def depth_figure(df: pd.DataFrame) -> go.Figure:
    """Attempts per lead (left axis) and share of leads worked (right axis, percent)."""
    fig = go.Figure()
    fig.add_bar(x=df["rep"], y=df["attempts_per_lead"], name="attempts per lead")
    fig.add_scatter(
        x=df["rep"],
        y=df["pct_worked"],
        name="leads worked (%)",
        mode="markers",
        yaxis="y2",
        marker={"size": 10},
    )
    return style(
        fig,
        y_title="Attempts per lead",
        margin={"l": 64, "r": 64, "t": 16, "b": 56},
        xaxis={"type": "category"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "title": "Leads worked (%)",
            "range": [0, 105],
            "showgrid": False,
            "tickmode": "array",
            "tickvals": [0, 25, 50, 75, 100],
            "ticktext": ["0%", "25%", "50%", "75%", "100%"],
        },
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
                lines(
                    "day",
                    ["page_views", "sessions"],
                    x_title="Day",
                    y_title="Page views / sessions",
                ),
                "A session is one visitor (contact or anonymous browser) on one day.",
            ),
            Chart(
                "leads",
                "New leads, MQLs and SQLs (qualified) per day",
                ds.leads_over_time,
                lines("day", ["leads", "mqls", "sqls"], x_title="Day", y_title="Contacts"),
            ),
            Chart(
                "leads_by_source",
                "Leads by source",
                ds.leads_by_source,
                bars("label", ["leads", "mqls", "sqls"], value_title="Contacts", horizontal=True),
            ),
            Chart(
                "leads_by_campaign",
                "Leads by campaign (top 25)",
                ds.leads_by_campaign,
                bars("label", ["leads", "mqls", "sqls"], value_title="Contacts", horizontal=True),
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
                won_figure,
            ),
            Chart(
                "activity",
                "Sales activity by rep",
                ds.activity_by_rep,
                bars("rep", list(ds.SALES_ACTIVITY), value_title="Activities logged", stack=True),
            ),
            Chart(
                "depth",
                "Depth of leads worked (MQLs of the period)",
                ds.depth_by_rep,
                depth_figure,
                "Worked = at least one call or email attempt; attempts per lead counts all.",
            ),
            Chart(
                "pipeline",
                "Open pipeline by stage (now)",
                ds.pipeline_by_stage,
                bars(
                    "stage",
                    ["amount"],
                    value_title=lambda: money("Open amount"),
                    category_title="Stage",
                ),
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
                lines(
                    "date",
                    ["expected", "actual"],
                    x_title="Date",
                    y_title=lambda: money("Cumulative revenue"),
                ),
                "Expected = goal x share of the period elapsed (linear curve).",
                "No goal saved for this period: set one on the Planning page.",
            ),
            Chart(
                "channels",
                "Closed loop by channel",
                ds.channel_outcomes,
                bars(
                    "label",
                    ["leads", "mqls", "won"],
                    value_title="Contacts (won: deals)",
                    horizontal=True,
                ),
            ),
            Chart(
                "rejections",
                "Top rejection reasons (sales feedback)",
                ds.rejection_reasons,
                bars("reason", ["rejected"], value_title="Leads rejected", horizontal=True),
            ),
            Chart(
                "attribution",
                "Attribution: won revenue by channel (linear model)",
                ds.attribution_summary,
                bars(
                    "channel",
                    ["revenue"],
                    value_title=lambda: money("Credited revenue"),
                    horizontal=True,
                ),
                "Linear multi-touch credit of each won deal (its primary contact's journey, else the "
                "committee's first member), from the attribution page's stored paths: the same "
                "figures as its linear model by channel for these dates.",
                "Attribution is not available yet.",
            ),
        ],
    ),
}


def chart(dashboard: str, name: str) -> Chart | None:
    entry = DASHBOARDS.get(dashboard)
    return next((c for c in entry[2] if c.name == name), None) if entry else None
