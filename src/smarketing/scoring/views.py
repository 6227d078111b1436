"""Scoring pages: the definition in force with its versions, editor and backtest; the
predictive model with its metrics and calibration; the per-lead explanation partial."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from smarketing.analytics.scoring import ScoringError, default_definition_text, load_definition
from smarketing.core.permissions import can, reason, require
from smarketing.funnel.selectors import can_manage
from smarketing.scoring.actions import (
    definition_errors,
    do_activate_definition,
    do_save_definition,
)
from smarketing.scoring.models import DriftAlert, LeadScore, PredictiveModel, ScoringDefinition
from smarketing.scoring.selectors import active_definition, explanation_for
from smarketing.web.charts import chart, style
from smarketing.web.editor import EditorPage, yaml_editor


def _backtest(request, row: ScoringDefinition | None) -> tuple[dict | None, str, str]:
    """Run the backtest form's request: (result, since, error)."""
    default_since = (timezone.now() - dt.timedelta(days=180)).date().isoformat()
    since = request.GET.get("since") or default_since
    if "backtest" not in request.GET:
        return None, since, ""
    from smarketing.scoring.backtesting import parse_date, run_backtest

    candidate = get_object_or_404(ScoringDefinition, pk=request.GET.get("candidate") or 0)
    try:
        start = parse_date(since, name="since")
        return run_backtest(load_definition(candidate.text), since=start), since, ""
    except (ValueError, ScoringError) as exc:
        return None, since, str(exc)


@login_required
def index(request):
    """The definition in force (its rules), the versions, the backtest form and score spread."""
    row, defn = active_definition()
    result, since, error = _backtest(request, row)
    by_stage = (
        LeadScore.objects.values("contact__lifecycle_stage")
        .annotate(
            n=Count("pk"),
            fit=Avg("fit"),
            engagement=Avg("engagement"),
            total=Avg("total"),
            probability=Avg("probability"),
            mqls=Count("pk", filter=Q(is_mql=True)),
            hands=Count("pk", filter=Q(hand_raiser=True)),
        )
        .order_by("-total")
    )
    return render(
        request,
        "scoring/index.html",
        {
            "row": row,
            "defn": defn,
            "versions": ScoringDefinition.objects.select_related("author")[:50],
            "can_edit": can_manage(request.user),
            "by_stage": by_stage,
            "backtest": result,
            "backtest_error": error,
            "since": since,
            "candidate_id": int(request.GET.get("candidate") or (row.pk if row else 0)),
        },
    )


_EDITOR = EditorPage(
    title="Edit the scoring definition",
    intro="YAML, validated on save: an invalid definition is never stored or put in force, "
    "and the active one stays. Every field is described in docs/scoring.md. Bump "
    "<code>version:</code> when you change the rules.",
    label="Scoring definition",
    errors_id="scoring-errors",
    cancel_url=reverse_lazy("scoring:index"),
    activate_label="Put it in force now (every lead is rescored)",
    noun="definition",
)


@login_required
def edit(request):
    """Edit the definition as YAML; errors are listed by line and nothing is saved until valid."""
    if not can_manage(request.user):
        return HttpResponseForbidden("only managers and admins edit the scoring definition")
    row, _ = active_definition()
    base = request.GET.get("from")
    source = ScoringDefinition.objects.filter(pk=base).first() if base else row

    def save(text: str, activate: bool) -> str:
        if activate:  # managers save drafts; only admins put one in force
            require(request.user, "scoring.activate")
        with transaction.atomic():
            saved = do_save_definition(text=text, author=request.user, activate=activate)
        return f"Saved {saved}" + (
            " and put it in force; every lead is being rescored" if saved.active else ""
        )

    return yaml_editor(
        request,
        initial=source.text if source else default_definition_text(),
        check=definition_errors,
        save=save,
        page=_EDITOR,
        done="scoring:index",
    )


@login_required
@require_POST
def activate(request, definition_id: int):
    """Put a stored version in force (managers and admins)."""
    if not can(request.user, "scoring.activate"):
        return HttpResponseForbidden(reason("scoring.activate"))
    row = get_object_or_404(ScoringDefinition, pk=definition_id)
    try:
        with transaction.atomic():
            do_activate_definition(definition=row)
    except ValidationError as exc:
        messages.error(request, "Not activated: " + "; ".join(exc.messages))
    else:
        messages.success(request, f"{row} is now in force; every lead is being rescored")
    return redirect("scoring:index")


def calibration_chart(m: dict) -> dict:
    """Calibration of the model and its baseline: observed rate against predicted probability,
    one point per tenth of the leads, beside the diagonal of a perfectly calibrated model."""
    bins = m.get("calibration", {}).get("bins", [])
    base_bins = m.get("baseline", {}).get("calibration", {}).get("bins", [])
    fig = go.Figure()
    fig.add_scatter(
        x=[b["mean_predicted"] for b in bins],
        y=[b["observed_rate"] for b in bins],
        text=[f"{b['count']} leads" for b in bins],
        mode="lines+markers",
        name=m.get("chosen_name", "model"),
    )
    fig.add_scatter(
        x=[b["mean_predicted"] for b in base_bins],
        y=[b["observed_rate"] for b in base_bins],
        mode="lines+markers",
        name=m.get("baseline", {}).get("name", "baseline") + " (baseline)",
        line={"dash": "dash"},
    )
    if bins or base_bins:  # the diagonal alone is no data: keep the empty state then
        fig.add_scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="perfect", line={"dash": "dot", "color": "#999"}
        )
    style(
        fig,
        x_title="Predicted probability of qualifying (%)",
        y_title="Observed qualified rate (%)",
        height=380,
        xaxis={"range": [0, 1], "tickformat": ".0%"},
        yaxis={"range": [0, 1], "tickformat": ".0%"},
    )
    return chart(
        fig,
        name="scoring-calibration",
        title="Calibration: predicted vs observed qualified rate",
        empty="The model's metrics hold no calibration bins.",
    )


@login_required
def model_page(request):
    """The predictive model: metrics next to the baseline, calibration, versions, drift."""
    models = list(PredictiveModel.objects.defer("data")[:30])
    active = next((m for m in models if m.active), None)
    shown = active or (models[0] if models else None)
    chart = calibration_chart(shown.metrics) if shown else None
    return render(
        request,
        "scoring/model.html",
        {
            "models": models,
            "shown": shown,
            "m": shown.metrics if shown else None,
            "chart": chart,
            "alerts": DriftAlert.objects.select_related("model")[:20],
        },
    )


@login_required
def explanation(request, contact_id: int):
    """The explanation partial of one lead (for pages that load it on demand)."""
    return render(
        request, "scoring/_explanation.html", {"explanation": explanation_for(contact_id)}
    )
