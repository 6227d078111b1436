"""Server time of the report pages and their PDF / CSV downloads, with where it goes.

Usage:
    SMARKETING_DATA_DIR=/tmp/data-medium python benchmarks/reports_bench.py [--runs 5]
        [--month 2026-10] [--week 2026-W40] [--pages monthly,weekly,management,monthly-pdf]

Each request is rendered in-process with Django's test client (server time: view, queries,
charts, template or PDF; no network, no browser), once to warm up, then ``--runs`` times,
**cold**: Django's cache (the dashboards' result cache) and the charts' memo are cleared
before every request, so every query runs and every chart is drawn. Prints median and p95
per request and, for one more cold run of each report, the split: figures (the selectors:
closed loop, pacing, SLA, content), layout and charts (matplotlib), and rendering (HTML
template or fpdf2). Prints the load average before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--month", help="default: the last complete month")
    parser.add_argument("--week", help="default: the last complete ISO week")
    parser.add_argument("--pages", help="comma-separated subset of the requests")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from smarketing.crm.models import Contact, Touchpoint
    from smarketing.reporting import report_charts, reports
    from smarketing.reporting.report_views import last_month, last_week

    month, week = args.month or last_month(), args.week or last_week()
    requests = {
        "monthly": f"/reporting/reports/monthly/?month={month}",
        "weekly": f"/reporting/reports/weekly/?week={week}",
        "management": f"/reporting/reports/management/?month={month}",
        "monthly-pdf": f"/reporting/reports/monthly/?month={month}&format=pdf",
        "monthly-csv": f"/reporting/reports/monthly/?month={month}&format=csv",
    }
    if args.pages:
        requests = {k: v for k, v in requests.items() if k in args.pages.split(",")}

    def clear():
        cache.clear()
        for fn in (report_charts.funnel, report_charts.revenue_cost, report_charts.pacing):
            fn.cache_clear()
        report_charts.comparison.cache_clear()

    client = Client()
    client.force_login(get_user_model().objects.order_by("id").first())
    print(
        f"database: {connection.vendor}, contacts: {Contact.objects.count():,}, "
        f"touchpoints: {Touchpoint.objects.count():,}, month {month}, week {week}, "
        f"runs {args.runs}"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'request':<14} {'cold median':>12} {'p95':>8}")
    for name, url in requests.items():
        assert client.get(url).status_code == 200, url  # warm-up: imports, compiled SQL
        times = []
        for _ in range(args.runs):
            clear()
            started = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (url, resp.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{name:<14} {statistics.median(times):9.0f} ms {p95:5.0f} ms")

    print("split of one cold run (ms): figures / layout+charts / HTML / PDF")
    for kind, period in (("monthly", month), ("weekly", week), ("management", month)):
        clear()
        t0 = time.perf_counter()
        context = reports.BUILDERS[kind](period)
        t1 = time.perf_counter()
        doc = reports.document(context)
        t2 = time.perf_counter()
        reports.render_html(doc)
        t3 = time.perf_counter()
        reports.render_pdf(doc)
        t4 = time.perf_counter()
        ms = [(b - a) * 1000 for a, b in ((t0, t1), (t1, t2), (t2, t3), (t3, t4))]
        print(f"{kind:<14} " + " / ".join(f"{x:.0f}" for x in ms))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
