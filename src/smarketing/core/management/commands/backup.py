"""``smarketing backup FILE``: database + secret key + uploaded files, while the app runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from smarketing.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write a backup archive (.tar.gz): the database, the secret key and uploaded files."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive to write, e.g. smarketing-2026-03-01.tar.gz")

    def handle(self, *args, file: str, **options):
        try:
            manifest = backup(file)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"wrote {file}: {manifest['engine']} database, {len(manifest['tables'])} tables, "
            f"{rows:,} rows"
        )
