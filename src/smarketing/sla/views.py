"""SLA pages: the contract in force (both teams' commitments), its history and editor, the
compliance report, and each user's notifications (breaches, escalations, reassignments)."""

from __future__ import annotations

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from smarketing.analytics.sla import SlaError, default_sla_text, load_sla
from smarketing.analytics.sla.compliance import ComplianceError, parse_month
from smarketing.core.permissions import can, reason, require
from smarketing.funnel.selectors import can_manage
from smarketing.sla.actions import (
    do_activate_sla_version,
    do_mark_notifications_read,
    do_save_sla_version,
)
from smarketing.sla.models import Breach, SlaVersion
from smarketing.sla.selectors import active_sla, compliance, notifications_for
from smarketing.web.charts import chart as chart_context
from smarketing.web.charts import style
from smarketing.web.editor import EditorPage, located_errors, yaml_editor


@login_required
def contract(request):
    """The SLA in force, rendered as marketing's and sales' commitments, plus version history."""
    doc, version = active_sla()
    return render(
        request,
        "sla/contract.html",
        {
            "doc": doc,
            "d": doc.to_dict(),
            "version": version,
            "versions": SlaVersion.objects.select_related("author")[:50],
            "can_edit": can_manage(request.user),
            "open_breaches": Breach.objects.filter(resolved_at__isnull=True).count(),
        },
    )


def _line_errors(text: str) -> list[dict]:
    return located_errors(text, load_sla, SlaError)


_EDITOR = EditorPage(
    title="Edit the SLA",
    intro="YAML, validated on save: an invalid document is never stored or put in force. "
    "Every field is described in docs/sla.md.",
    label="SLA document",
    errors_id="sla-errors",
    cancel_url=reverse_lazy("sla:contract"),
    activate_checked=True,
)


@login_required
def edit(request):
    """Edit the SLA as YAML; errors are listed by line and nothing is saved until it is valid."""
    if not can_manage(request.user):
        return HttpResponseForbidden("only managers and admins edit the SLA")
    _, version = active_sla()

    def save(text: str, activate: bool) -> str:
        if activate:  # managers save drafts; only admins put one in force
            require(request.user, "sla.activate")
        saved = do_save_sla_version(text=text, author=request.user, activate=activate)
        return f"Saved {saved}" + (" and put it in force" if saved.active else " (not active)")

    return yaml_editor(
        request,
        initial=version.text if version else default_sla_text(),
        check=_line_errors,
        save=save,
        page=_EDITOR,
        done="sla:contract",
    )


@login_required
@require_POST
def activate(request, version_id: int):
    if not can(request.user, "sla.activate"):
        return HttpResponseForbidden(reason("sla.activate"))
    version = get_object_or_404(SlaVersion, pk=version_id)
    try:
        do_activate_sla_version(version=version, by=request.user)
    except ValidationError as exc:
        messages.error(request, "Not activated: " + "; ".join(exc.messages))
    else:
        messages.success(request, f"{version} is now in force")
    return redirect("sla:contract")


def compliance_chart(reps: list[dict], *, month: str) -> dict:
    """Commitments met per rep (first touch, attempts, decision), in percent."""
    names = [r["key"] for r in reps]
    fig = go.Figure()
    for label, field in (
        ("First touch met", "first_touch_met_pct"),
        ("Attempts met", "attempts_met_pct"),
        ("Decision met", "decision_met_pct"),
    ):
        fig.add_bar(name=label, x=names, y=[r[field] for r in reps])
    style(
        fig,
        x_title="Rep",
        y_title="Commitment met (%)",
        barmode="group",
        yaxis={"range": [0, 100], "ticksuffix": "%"},
    )
    return chart_context(
        fig,
        name="sla-compliance",
        title=f"Commitments met per rep, {month}",
        empty=f"No leads were assigned to a rep in {month}.",
    )


@login_required
def compliance_page(request):
    """Compliance per rep, team and month, and marketing's side (same figures as the CLI)."""
    month = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    try:
        parse_month(month)
    except ComplianceError as exc:
        messages.error(request, str(exc))
        month = timezone.localdate().strftime("%Y-%m")
    data = compliance(month)
    rows = data["sales"]
    chart = compliance_chart([r for r in rows if r["scope"] == "rep"], month=month)
    return render(
        request,
        "sla/compliance.html",
        {"data": data, "month": month, "rows": rows, "m": data["marketing"], "chart": chart},
    )


@login_required
def notifications(request):
    """The signed-in user's notifications, unread first by default, 50 per page."""
    show = request.GET.get("show", "unread")
    if show not in ("unread", "all"):
        show = "unread"
    qs = notifications_for(request.user, unread_only=show == "unread")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "sla/notifications.html", {"page": page, "show": show})


@login_required
@require_POST
def notifications_read(request):
    """Mark notifications read: the posted ``id`` values, or every unread one with ``all``."""
    if request.POST.get("all"):
        ids = None
    else:
        raw = request.POST.getlist("id")
        try:
            ids = [int(v) for v in raw]
        except ValueError:
            messages.error(request, f"Not marked: notification ids must be numbers, got {raw!r}")
            return redirect("sla:notifications")
        if not ids:
            messages.error(request, "Not marked: choose a notification or 'Mark all read'")
            return redirect("sla:notifications")
    marked = do_mark_notifications_read(user=request.user, ids=ids)
    messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "sla:notifications"
    return redirect(target)
