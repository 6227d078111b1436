"""``smarketing report``: render the monthly report, weekly brief or management summary.

smarketing report monthly --month 2026-03 --format html|pdf -o report.html
smarketing report weekly --week 2026-W10 [-o brief.html]
smarketing report management --month 2026-03 [-o summary.pdf --format pdf]
smarketing report send monthly|weekly [--period P]   # e-mail to the configured recipients
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from smarketing.reporting import reports
from smarketing.reporting.report_views import last_month, last_week


class Command(BaseCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = "Render the monthly report, the weekly brief or the management summary (HTML or PDF)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        for kind, flag in (("monthly", "--month"), ("management", "--month"), ("weekly", "--week")):
            p = sub.add_parser(kind)
            p.add_argument(flag, dest="period", help="YYYY-MM" if flag == "--month" else "YYYY-Www")
            p.add_argument("--format", choices=["html", "pdf"], default="html")
            p.add_argument("-o", "--output", help="file to write (default: stdout for HTML)")
        s = sub.add_parser("send")
        s.add_argument("what", choices=["monthly", "weekly"])
        s.add_argument("--period")
        s.add_argument("--force", action="store_true", help="send even if already sent")

    def handle(self, *args, **opts):
        if opts["kind"] == "send":
            from smarketing.reporting.delivery import send_report

            try:
                sent = send_report(opts["what"], opts["period"], force=opts["force"])
            except reports.ReportError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"sent to {len(sent)} recipient(s)" if sent else "nothing sent")
            return
        build = {
            "monthly": reports.monthly_context,
            "weekly": reports.weekly_context,
            "management": reports.management_context,
        }[opts["kind"]]
        period = opts["period"] or (last_week() if opts["kind"] == "weekly" else last_month())
        try:
            html = reports.render_html(build(period))
            data = reports.render_pdf(html) if opts["format"] == "pdf" else html.encode()
        except reports.ReportError as exc:
            raise CommandError(str(exc)) from None
        if opts["output"]:
            Path(opts["output"]).write_bytes(data)
            self.stdout.write(f"wrote {opts['output']} ({len(data):,} bytes)")
        elif opts["format"] == "pdf":
            raise CommandError("PDF output needs -o FILE")
        else:
            self.stdout.write(html)
