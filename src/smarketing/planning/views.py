"""The planning page: the period's shared goal, the plan with what-if overrides, pacing."""

from __future__ import annotations

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse

from smarketing.analytics.planning import RATE_NAMES, PlanningError, parse_period
from smarketing.core.audit import acting_as
from smarketing.core.permissions import can, reason
from smarketing.planning import selectors
from smarketing.planning.actions import do_save_goal
from smarketing.reporting.filters import current_quarter
from smarketing.web.charts import chart, money, style


def pacing_figure(p, *, key: str = "", label: str = "") -> go.Figure:
    """A pacing curve: expected vs actual cumulative, the target and the forecast interval."""
    xs = [d.isoformat() for d, _, _ in p.curve_points]
    fig = go.Figure()
    fig.add_scatter(
        x=xs,
        y=[e for _, e, _ in p.curve_points],
        name="expected",
        mode="lines",
        line={"dash": "dot"},
    )
    fig.add_scatter(x=xs, y=[a for _, _, a in p.curve_points], name="actual", mode="lines")
    if p.forecast is not None and xs:
        fig.add_scatter(
            x=[xs[-1]] * 3,
            y=[p.forecast_low, p.forecast, p.forecast_high],
            name="forecast (80%)",
            mode="markers",
            marker={"size": 8},
        )
    fig.add_hline(y=p.target, line={"color": "#999", "width": 1}, annotation_text="target")
    name = label or key
    y_title = money("Cumulative revenue") if key == "revenue" else f"Cumulative {name}"
    return style(
        fig,
        x_title="Date",
        y_title=y_title,
        height=280,
        margin={"l": 64, "r": 16, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.3},
        hovermode="x unified",
    )


def pacing_chart(team: str, key: str, label: str, p) -> dict:
    """The pacing chart of one metric for ``web/_chart.html`` (unique id per team and metric)."""
    return chart(
        pacing_figure(p, key=key, label=label),
        name=f"pace-{team}-{key}",
        title=f"{label}: cumulative, actual vs expected",
    )


def _overrides(params) -> dict:
    out: dict = {"rates": {}}
    for name in ("revenue", "deal_size", "lead_to_customer"):
        v = (params.get(name) or "").strip()
        if v:
            out[name] = float(v)
    for name in RATE_NAMES:
        v = (params.get(name) or "").strip()
        if v:
            out["rates"][name] = float(v)
    return out


def _step_counts():
    """The reporting app's daily funnel counts when they are current (as the monthly report
    paces a goal): the company-wide reach counts without a scan of the stage history."""
    from smarketing.reporting import facts, funnel_days

    return funnel_days.daily_totals if facts.ensure_fresh() and facts.days_ready() else None


@login_required
def index(request):
    """Goal form, plan (measured + what-if), each team's part and pacing."""
    label = request.GET.get("period") or current_quarter()
    try:
        period = parse_period(label)
        overrides = _overrides(request.GET)
    except (PlanningError, ValueError) as exc:
        return HttpResponseBadRequest(f"{exc}", content_type="text/plain; charset=utf-8")
    goal = selectors.goal_for(period.label)
    measured = selectors.measured_funnel()
    plan = error = pacing = None
    try:
        if goal:
            plan = selectors.goal_plan(goal, overrides=overrides, measured=measured)
            pacing = selectors.goal_pacing(goal, plan=plan, step_counts=_step_counts())
        elif overrides.get("revenue"):
            plan = selectors.make_plan(
                revenue=overrides["revenue"],
                deal_size=overrides.get("deal_size"),
                lead_to_customer=overrides.get("lead_to_customer"),
                rates=overrides["rates"],
                period=period,
                measured=measured,
            )
    except PlanningError as exc:
        error = str(exc)
    teams = []
    if pacing:
        for team in ("marketing", "sales"):
            rows = [(k, lbl, p, pacing_chart(team, k, lbl, p)) for k, lbl, p in pacing.team(team)]
            teams.append((team, rows))
    by_group = selectors.measured_by_groups()
    return render(
        request,
        "planning/index.html",
        {
            "period": period,
            "goal": goal,
            "plan": plan,
            "plan_dict": plan.to_dict() if plan else None,
            "error": error,
            "teams": teams,
            "measured": measured.to_dict(),
            "overrides": overrides,
            "rate_names": RATE_NAMES,
            "by_group": by_group,
        },
    )


@login_required
def save_goal(request):
    """Save (create or update) the period's shared goal."""
    if request.method != "POST":
        return redirect("planning:index")
    if not can(request.user, "planning.set_goal"):
        return HttpResponseForbidden(reason("planning.set_goal"))
    rates = {n: request.POST.get(n) for n in RATE_NAMES if request.POST.get(n)}
    try:
        with acting_as(request.user):
            goal = do_save_goal(
                period=request.POST.get("period", ""),
                revenue=request.POST.get("revenue"),
                deal_size=request.POST.get("deal_size") or None,
                lead_to_customer=request.POST.get("lead_to_customer") or None,
                rates=rates,
                note=request.POST.get("note", ""),
                by=request.user,
            )
    except ValidationError as exc:
        msg = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return HttpResponseBadRequest(msg, content_type="text/plain; charset=utf-8")
    messages.success(request, f"Goal for {goal.period} saved.")
    return redirect(reverse("planning:index") + f"?period={goal.period}")
