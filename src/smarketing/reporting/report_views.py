"""Report pages: the monthly report, the weekly brief and the management summary.

Each page shows the report in the app frame with a month / week picker and its downloads:
``?format=pdf`` (the PDF), ``?format=csv[&table=NAME]`` (one table; the first without
``table``) and ``?format=html`` (the self-contained HTML, as mailed). Bad input is a 400
naming the field.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from smarketing.reporting import reports

FORMATS = ("page", "html", "pdf", "csv")
KINDS = {
    "monthly": ("Monthly report", "month", "smarketing-monthly"),
    "weekly": ("Weekly brief", "week", "smarketing-weekly"),
    "management": ("Management summary", "month", "smarketing-management"),
}


def last_month() -> str:
    """The previous calendar month (``YYYY-MM``): the default of the monthly reports."""
    first = timezone.now().date().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def last_week() -> str:
    """The previous ISO week (``YYYY-Www``): the default of the weekly brief."""
    y, w, _ = (timezone.now().date() - timedelta(days=7)).isocalendar()
    return f"{y}-W{w:02d}"


def neighbours(param: str, value: str) -> tuple[str, str]:
    """The previous and next month or ISO week of a valid ``value``."""
    if param == "week":
        y, w = value.split("-W")
        monday = date.fromisocalendar(int(y), int(w), 1)
        prev, nxt = (monday + timedelta(days=d) for d in (-7, 7))
        return tuple(f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in (prev, nxt))
    y, m = (int(x) for x in value.split("-"))
    prev = f"{y - (m == 1)}-{12 if m == 1 else m - 1:02d}"
    nxt = f"{y + (m == 12)}-{1 if m == 12 else m + 1:02d}"
    return prev, nxt


def _nav():
    return [(k, label, reverse(f"reporting:{k}")) for k, (label, _, _) in KINDS.items()]


def _bad(request, kind: str, message: str, value: str, fmt: str):
    if fmt != "page":
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    label, param, _ = KINDS[kind]
    context = {"error": message, "title": label, "kind": kind, "param": param, "value": value}
    return render(
        request, "reporting/report_page.html", context | {"reports_nav": _nav()}, status=400
    )


def _respond(request, kind: str):
    label, param, filename = KINDS[kind]
    value = (request.GET.get(param) or "").strip() or (
        last_week() if param == "week" else last_month()
    )
    fmt = request.GET.get("format") or "page"
    if fmt not in FORMATS:
        return _bad(request, kind, f"format: html, pdf or csv; got {fmt!r}", value, "html")
    try:
        doc = reports.document(reports.BUILDERS[kind](value))
        if fmt == "csv":
            table = request.GET.get("table") or None
            data = reports.render_csv(doc, table)
            resp = HttpResponse(data, content_type="text/csv; charset=utf-8")
            name = table or doc.tables()[0].name
            resp["Content-Disposition"] = f'attachment; filename="{filename}-{value}-{name}.csv"'
            return resp
    except reports.ReportError as exc:
        return _bad(request, kind, str(exc), value, fmt)
    if fmt == "pdf":
        resp = HttpResponse(reports.render_pdf(doc), content_type="application/pdf")
        resp["Content-Disposition"] = f'attachment; filename="{filename}-{value}.pdf"'
        return resp
    if fmt == "html":
        return HttpResponse(reports.render_html(doc))
    prev, nxt = neighbours(param, value)
    tables = doc.tables()
    return render(
        request,
        "reporting/report_page.html",
        {
            "doc": doc,
            "title": doc.title,
            "kind": kind,
            "param": param,
            "value": value,
            "previous": prev,
            "next": nxt,
            "main_table": tables[0] if tables else None,
            "csv_query": f"{param}={value}&",
            "reports_nav": _nav(),
        },
    )


@login_required
def monthly(request):
    """The monthly report (``?month=YYYY-MM``, ``&format=pdf|csv|html``)."""
    return _respond(request, "monthly")


@login_required
def weekly(request):
    """The weekly smarketing brief (``?week=YYYY-Www``)."""
    return _respond(request, "weekly")


@login_required
def management(request):
    """The monthly management summary (``?month=YYYY-MM``)."""
    return _respond(request, "management")
