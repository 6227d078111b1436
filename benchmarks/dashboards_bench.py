"""Server time of each dashboard (and the monthly report) on the database you point it at.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
    python benchmarks/dashboards_bench.py [--generate medium] [--runs 7] [--period 2026]

``--generate SIZE`` first runs ``smarketing demo --no-serve --size SIZE --reset`` on that
database. Each page is rendered in-process with Django's test client (server time only: view,
queries, template; no network, no browser), once to warm up, then ``--runs`` times; prints the
median and p95 per page in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generate", metavar="SIZE")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--period", help="dashboard period (default: the current year)")
    args = parser.parse_args()
    if args.generate:
        cmd = [
            sys.executable,
            "-m",
            "smarketing.cli",
            "demo",
            "--no-serve",
            "--size",
            args.generate,
        ]
        if os.environ.get("DATABASE_URL"):
            cmd.append("--reset")
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        print(f"generated {args.generate} demo in {time.perf_counter() - started:.0f}s")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    from smarketing.crm.models import Contact, Touchpoint

    period = args.period or str(timezone.now().year)
    month = f"{timezone.now().date().replace(day=1) - timezone.timedelta(days=1):%Y-%m}"
    client = Client()
    client.force_login(get_user_model().objects.order_by("id").first())
    print(
        f"database: {connection.vendor}, contacts: {Contact.objects.count():,}, "
        f"touchpoints: {Touchpoint.objects.count():,}, period {period}, runs {args.runs}"
    )
    pages = {
        "marketing": f"/reporting/marketing/?period={period}",
        "sales": f"/reporting/sales/?period={period}",
        "smarketing": f"/reporting/smarketing/?period={period}",
        "closed-loop by campaign": f"/reporting/closed-loop/?by=campaign&period={period}",
        "monthly report (html)": f"/reporting/reports/monthly/?month={month}",
    }
    for name, url in pages.items():
        client.get(url)  # warm-up: connections, template and Plotly JS caches
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (url, resp.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{name:<26} median {statistics.median(times):8.0f} ms   p95 {p95:8.0f} ms")


if __name__ == "__main__":
    main()
