"""Scheduled e-mail delivery of the reports (SMTP through Django's mail settings)."""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction

from smarketing.reporting import reports
from smarketing.reporting.models import ReportDelivery, ReportRecipient
from smarketing.reporting.report_views import last_month, last_week


def recipients(kind: str) -> list[str]:
    """Active recipients of ``monthly`` or ``weekly`` (DB rows + ``SMARKETING_REPORT_RECIPIENTS``)."""
    rows = ReportRecipient.objects.filter(active=True, kind__in=[kind, "both"])
    emails = {r.email for r in rows}
    extra = getattr(settings, "SMARKETING_REPORT_RECIPIENTS", None) or []
    if isinstance(extra, str):
        extra = extra.replace(";", ",").split(",")
    emails |= {e.strip().lower() for e in extra if e and e.strip()}
    return sorted(emails)


def send_report(kind: str, period: str | None = None, *, force: bool = False) -> list[str]:
    """Render and e-mail one report (HTML body, HTML and PDF attachments).

    Idempotent: a (kind, period) already sent is not sent again unless ``force`` (a retried
    task must not mail everyone twice). Returns the addresses mailed.
    """
    if kind not in ("monthly", "weekly"):
        raise reports.ReportError(f"kind: monthly or weekly, got {kind!r}")
    period = period or (last_month() if kind == "monthly" else last_week())
    context = reports.BUILDERS[kind](period)
    to = recipients(kind)
    if not to:
        return []
    if not force and ReportDelivery.objects.filter(kind=kind, period=period).exists():
        return []
    doc = reports.document(context)
    msg = EmailMultiAlternatives(
        subject=context["title"],
        body=f"{context['title']}\n\nThe report is attached (HTML and PDF).",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    # the body's charts are images of the same message (multipart/related, cid: links);
    # the attached HTML file keeps them inline (data: URIs) so it opens anywhere
    msg.mixed_subtype = "related"
    msg.attach_alternative(reports.render_html(doc, cid=True), "text/html")
    for chart in doc.charts():
        image = MIMEImage(chart.png, "png")
        image.add_header("Content-ID", f"<{chart.cid}>")
        image.add_header("Content-Disposition", "inline", filename=chart.cid.split("@")[0] + ".png")
        msg.attach(image)
    html = reports.render_html(doc)
    msg.attach(f"smarketing-{kind}-{period}.html", html, "text/html")
    msg.attach(f"smarketing-{kind}-{period}.pdf", reports.render_pdf(doc), "application/pdf")
    msg.send()
    try:
        with transaction.atomic():
            ReportDelivery.objects.update_or_create(
                kind=kind, period=period, defaults={"recipients": to}
            )
    except IntegrityError:
        pass
    return to
