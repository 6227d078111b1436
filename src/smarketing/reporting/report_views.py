"""Report pages: the monthly report, the weekly brief and the management summary (HTML/PDF)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone

from smarketing.reporting import reports


def last_month() -> str:
    first = timezone.now().date().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def last_week() -> str:
    y, w, _ = (timezone.now().date() - timedelta(days=7)).isocalendar()
    return f"{y}-W{w:02d}"


def _respond(request, build, default: str, param: str, name: str):
    value = request.GET.get(param) or default
    try:
        context = build(value)
    except reports.ReportError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    html = reports.render_html(context)
    if request.GET.get("format") == "pdf":
        try:
            pdf = reports.render_pdf(html)
        except reports.ReportError as exc:
            return HttpResponse(str(exc), status=501, content_type="text/plain; charset=utf-8")
        resp = HttpResponse(pdf, content_type="application/pdf")
        resp["Content-Disposition"] = f'attachment; filename="{name}-{value}.pdf"'
        return resp
    return HttpResponse(html)


@login_required
def monthly(request):
    """The monthly report (``?month=YYYY-MM``, ``&format=pdf``)."""
    return _respond(request, reports.monthly_context, last_month(), "month", "smarketing-monthly")


@login_required
def weekly(request):
    """The weekly smarketing brief (``?week=YYYY-Www``)."""
    return _respond(request, reports.weekly_context, last_week(), "week", "smarketing-weekly")


@login_required
def management(request):
    """The monthly management summary (``?month=YYYY-MM``)."""
    return _respond(
        request, reports.management_context, last_month(), "month", "smarketing-management"
    )
