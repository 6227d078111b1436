"""``smarketing demo``: create the database, generate a demo company, serve it."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from smarketing.demo.generator import SIZES, Progress, demo_present, generate


class Command(BaseCommand):
    help = "Create (if absent) the database, generate a realistic demo company and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=list(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-serve", action="store_true", help="Generate, then exit.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reset", action="store_true", help="Empty the database first.")

    def handle(self, *args, size, seed, no_serve, host, port, reset, **options):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import (
            Progress as Bar,
        )

        self.stdout.write(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        if demo_present():
            self.stdout.write(
                "A demo company is already in this database; keeping it (use --reset to regenerate)."
            )
        else:
            started = time.perf_counter()
            with Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                disable=not self.stdout.isatty(),
            ) as bar:
                task = {"id": None}

                def start(label, total):
                    if task["id"] is not None:
                        bar.update(task["id"], completed=bar.tasks[task["id"]].total)
                    task["id"] = bar.add_task(f"Generating {label}", total=total)

                def advance(n):
                    bar.advance(task["id"], n)

                summary = generate(
                    size=size, seed=seed, progress=Progress(start=start, advance=advance)
                )
            elapsed = time.perf_counter() - started
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated the '{size}' demo company (seed {seed}) in {elapsed:.1f} s:"
                )
            )
            for name, n in summary.counts.items():
                self.stdout.write(f"  {name:>22}: {n:,}")
        self._print_logins()
        if not no_serve:
            from smarketing.core.management.commands.serve import serve

            try:
                serve(host=host, port=port, stdout=self.stdout)
            except OSError as exc:
                raise CommandError(f"cannot serve on {host}:{port}: {exc}") from None

    def _print_logins(self):
        from smarketing.demo.generator import DEMO_PASSWORD, DEMO_USERS

        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, team, role, _tz, _terr in DEMO_USERS:
            self.stdout.write(
                f"  {username:<6} {first} {last}: {role}{' of ' + team if team else ''}"
            )
