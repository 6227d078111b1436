"""``smarketing reporting_refresh [--rebuild]``: bring the pre-aggregated reporting tables up
to date (what the periodic task does), or rebuild them from scratch."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = (
        "Refresh (or --rebuild) the reporting tables: funnel facts and daily counts, traffic "
        "summaries, attribution credits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Recompute everything.")

    def handle(self, *args, rebuild, **options):
        from smarketing.reporting.credits import catch_up_credits
        from smarketing.reporting.facts import catch_up_funnel_facts, rebuild_reporting_tables
        from smarketing.reporting.traffic import catch_up_traffic

        started = time.perf_counter()
        if rebuild:
            counts = rebuild_reporting_tables()
        else:
            counts = {
                "contacts refreshed": catch_up_funnel_facts(),
                "days": catch_up_traffic(),
                "credit rows": catch_up_credits(),
            }
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n:,}")
        self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
