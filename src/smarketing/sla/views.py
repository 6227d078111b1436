"""SLA pages: the contract in force (both teams' commitments), its history and editor, and
the compliance report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from smarketing.analytics.sla import SlaError, default_sla_text, load_sla
from smarketing.analytics.sla.compliance import ComplianceError, parse_month
from smarketing.funnel.selectors import can_manage
from smarketing.sla.actions import do_activate_sla_version, do_save_sla_version
from smarketing.sla.models import Breach, SlaVersion
from smarketing.sla.selectors import active_sla, compliance


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
    try:
        load_sla(text)
    except SlaError as exc:
        return [
            {"line": i.line, "field": i.field, "message": i.message, "text": str(i)}
            for i in exc.errors
        ]
    return []


@login_required
def edit(request):
    """Edit the SLA as YAML; errors are listed by line and nothing is saved until it is valid."""
    if not can_manage(request.user):
        return HttpResponseForbidden("only managers and admins edit the SLA")
    _, version = active_sla()
    text = request.POST.get("text") if request.method == "POST" else None
    if text is None:
        text = version.text if version else default_sla_text()
    errors = _line_errors(text) if request.method == "POST" else []
    if request.method == "POST" and not errors:
        try:
            saved = do_save_sla_version(
                text=text, author=request.user, activate=bool(request.POST.get("activate"))
            )
        except ValidationError as exc:
            errors = [{"line": None, "field": "", "message": m, "text": m} for m in exc.messages]
        else:
            messages.success(
                request,
                f"Saved {saved}" + (" and put it in force" if saved.active else " (not active)"),
            )
            return redirect("sla:contract")
    return render(
        request,
        "sla/edit.html",
        {
            "text": text,
            "errors": errors,
            "error_line_list": [e["line"] for e in errors if e["line"]],
            "lines": text.splitlines(),
        },
    )


@login_required
@require_POST
def activate(request, version_id: int):
    if not can_manage(request.user):
        return HttpResponseForbidden("only managers and admins activate an SLA")
    version = get_object_or_404(SlaVersion, pk=version_id)
    try:
        do_activate_sla_version(version=version, by=request.user)
    except ValidationError as exc:
        messages.error(request, "Not activated: " + "; ".join(exc.messages))
    else:
        messages.success(request, f"{version} is now in force")
    return redirect("sla:contract")


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
    chart = {
        "reps": [r["key"] for r in rows if r["scope"] == "rep"],
        "first_touch": [r["first_touch_met_pct"] for r in rows if r["scope"] == "rep"],
        "attempts": [r["attempts_met_pct"] for r in rows if r["scope"] == "rep"],
        "decision": [r["decision_met_pct"] for r in rows if r["scope"] == "rep"],
    }
    return render(
        request,
        "sla/compliance.html",
        {"data": data, "month": month, "rows": rows, "m": data["marketing"], "chart": chart},
    )


def plotly_js(request):
    """Plotly's JavaScript from the installed package (the product works offline)."""
    from django.http import HttpResponse
    from plotly.offline import get_plotlyjs

    response = HttpResponse(get_plotlyjs(), content_type="application/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    return response
