"""``smarketing reporting_refresh [--rebuild] [--list]``: bring the derived tables up to date
(what the periodic task does, through :mod:`smarketing.core.derived`), rebuild them from
scratch, or list them with their fill state."""

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
        parser.add_argument(
            "--list", action="store_true", help="List the derived tables and their fill state."
        )

    def handle(self, *args, rebuild, list, **options):
        from smarketing.core import derived
        from smarketing.reporting.credits import catch_up_credits
        from smarketing.reporting.facts import rebuild_reporting_tables

        if list:
            for e in derived.registered():
                fs = derived.read(e.name)
                state = "never built" if fs is None else f"{fs.status}, as of {fs.filled_at}"
                stale = "stale" if e.is_stale() else "current"
                self.stdout.write(f"{e.name}: {state}, {stale} ({', '.join(e.tables)})")
            return
        started = time.perf_counter()
        if rebuild:
            counts = rebuild_reporting_tables()
        else:
            counts = {
                **derived.refresh_all(prefix="reporting."),
                "credit rows": catch_up_credits(),
            }
        for name, n in counts.items():
            self.stdout.write(f"{name}: {'failed' if n is None else f'{n:,}'}")
        self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
