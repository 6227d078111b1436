"""Server time of each dashboard (and the monthly report) on the database you point it at.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
    python benchmarks/dashboards_bench.py [--generate medium] [--runs 7] [--period 2026]

``--generate SIZE`` first runs ``smarketing demo --no-serve --size SIZE --reset`` on that
database. Each page is rendered in-process with Django's test client (server time only: view,
queries, template; no network, no browser), once to warm up, then ``--runs`` times; prints the
median and p95 per page in milliseconds:

- **cold**: the dashboard result cache is cleared before every request, so every query runs
  (the compiled-SQL cache stays warm, as in a running server);
- **cached**: repeated views of unchanged data (served from the result cache).

"of which SLA / pacing": the median time of the cold requests spent in the SLA app's
``compliance_summary`` and the planning app's ``goal_pacing`` (figures those apps own).
``--period`` defaults to the current year; the dashboards' own default is the current quarter
(which has the demo's goal, so goal pacing runs): try ``--period 2026-Q4`` too.

Prints the load average too: the machine is shared, say so next to the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

PAGES = ("marketing", "sales", "smarketing", "closed-loop", "monthly")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generate", metavar="SIZE")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--period", help="dashboard period (default: the current year)")
    parser.add_argument(
        "--live",
        action="store_true",
        help="ignore the pre-aggregated tables: every figure from the raw tables (the old path)",
    )
    parser.add_argument("--pages", help="comma-separated subset of: " + ", ".join(PAGES))
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
    from smarketing.reporting import credits, facts, traffic

    if args.live:
        facts.ensure_fresh = lambda *a, **k: False
        traffic.ensure_fresh = lambda *a, **k: False
        credits.ensure_fresh = lambda *a, **k: False

    # time spent in the peers' figures the pages show (SLA app, planning app), per request
    from smarketing.planning import selectors as planning_selectors
    from smarketing.reporting import selectors as reporting_selectors

    peers = {"sla": 0.0, "pacing": 0.0}

    def timed_peer(name, fn):
        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                peers[name] += (time.perf_counter() - started) * 1000

        return wrapper

    reporting_selectors.sla_compliance = timed_peer("sla", reporting_selectors.sla_compliance)
    planning_selectors.goal_pacing = timed_peer("pacing", planning_selectors.goal_pacing)

    period = args.period or str(timezone.now().year)
    month = f"{timezone.now().date().replace(day=1) - timezone.timedelta(days=1):%Y-%m}"
    client = Client()
    client.force_login(get_user_model().objects.order_by("id").first())
    print(
        f"database: {connection.vendor}, contacts: {Contact.objects.count():,}, "
        f"touchpoints: {Touchpoint.objects.count():,}, period {period}, runs {args.runs}"
    )
    from django.core.cache import cache

    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    pages = {
        "marketing": f"/reporting/marketing/?period={period}",
        "sales": f"/reporting/sales/?period={period}",
        "smarketing": f"/reporting/smarketing/?period={period}",
        "closed-loop": f"/reporting/closed-loop/?by=campaign&period={period}",
        "monthly": f"/reporting/reports/monthly/?month={month}",
    }
    if args.pages:
        pages = {k: v for k, v in pages.items() if k in args.pages.split(",")}

    def timed(url, clear):
        times, peer_ms = [], []
        for _ in range(args.runs):
            if clear:
                cache.clear()
            peers.update(sla=0.0, pacing=0.0)
            started = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            peer_ms.append((peers["sla"], peers["pacing"]))
            assert resp.status_code == 200, (url, resp.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        sla = statistics.median(x for x, _ in peer_ms)
        pacing = statistics.median(y for _, y in peer_ms)
        return statistics.median(times), p95, sla, pacing

    print(
        f"{'page':<14} {'cold median':>12} {'cold p95':>9} {'of which SLA':>13} "
        f"{'pacing':>8} {'cached median':>14} {'p95':>6}"
    )
    for name, url in pages.items():
        client.get(url)  # warm-up: connections, compiled SQL, template and Plotly JS caches
        cold = timed(url, clear=True)
        warm = timed(url, clear=False)
        print(
            f"{name:<14} {cold[0]:9.0f} ms {cold[1]:6.0f} ms {cold[2]:10.0f} ms "
            f"{cold[3]:5.0f} ms {warm[0]:11.0f} ms {warm[1]:3.0f} ms"
        )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
