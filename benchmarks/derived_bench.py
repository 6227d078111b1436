"""Cost of the derived-table registry: the read-only staleness check a page makes, the worker's
pass with nothing to do, and the catch-up after an identify re-owns an old visitor's touches.

    SMARKETING_DATA_DIR=... python benchmarks/derived_bench.py --runs 5

Runs against the configured database (a demo company); writes one page view and one identify
per run (an anonymous visitor of 30 days ago, then identified), like a real visitor would.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import timedelta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.utils import timezone

    from smarketing.core import derived
    from smarketing.crm.models import Touchpoint
    from smarketing.ingest.actions import do_identify

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    def worker():  # reporting's minute task (the SLA's runs every 10 minutes)
        return derived.refresh_all(prefix="reporting.")

    worker()
    stale, idle, reown = [], [], []
    for _ in range(args.runs):
        stale.append(timed(lambda: [derived.is_stale(e.name) for e in derived.registered()]))
        idle.append(timed(worker))
        anon = f"bench-{uuid.uuid4().hex[:12]}"
        Touchpoint.objects.create(
            kind="page_view", anonymous_id=anon, occurred_at=timezone.now() - timedelta(days=30)
        )
        worker()
        do_identify(anonymous_id=anon, email=f"{anon}@bench.test")  # marks 30 days ago dirty
        reown.append(timed(worker))
    load = os.getloadavg()[0]
    for name, xs in (
        ("staleness check, every table (a page's read)", stale),
        ("reporting worker pass, nothing new", idle),
        ("reporting worker pass after an identify re-owning a 30-day-old visit", reown),
    ):
        print(f"{name}: median {statistics.median(xs):.1f} ms, max {max(xs):.1f} ms")
    print(f"runs {args.runs}, load average {load:.2f}")


if __name__ == "__main__":
    main()
