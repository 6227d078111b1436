"""``smarketing restore FILE``: load a backup into an empty database and check its row counts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from smarketing.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup archive into an empty database (then the row counts are compared)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="an archive written by `smarketing backup`")

    def handle(self, *args, file: str, **options):
        try:
            report = restore(file)
        except (BackupError, OSError, KeyError) as exc:
            raise CommandError(str(exc)) from None
        if report["mismatched"]:
            lines = ", ".join(
                f"{t}: {a} in backup, {b} restored" for t, (a, b) in report["mismatched"].items()
            )
            raise CommandError(f"restored, but row counts differ: {lines}")
        key = "; secret key restored" if report["secret_key_restored"] else ""
        self.stdout.write(
            f"restored {report['tables']} tables, {report['rows']:,} rows, counts identical{key}"
        )
