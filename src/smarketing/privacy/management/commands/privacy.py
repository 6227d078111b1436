"""``smarketing privacy export --email E [--output FILE]`` and ``privacy erase --email E --yes``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from smarketing.privacy.actions import PersonNotFound, do_erase_person, export_person


class Command(BaseCommand):
    help = "Export everything about a person as JSON, or erase their personal data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write everything about a person as JSON")
        export.add_argument("--email", required=True)
        export.add_argument("--output", "-o", help="file to write (default: standard output)")
        erase = sub.add_parser("erase", help="erase a person's personal data (keeps the counts)")
        erase.add_argument("--email", required=True)
        erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")

    def handle(self, *args, action: str, email: str, **options):
        try:
            if action == "export":
                text = json.dumps(export_person(email=email), cls=DjangoJSONEncoder, indent=2)
                if options.get("output"):
                    with open(options["output"], "w", encoding="utf-8") as out:
                        out.write(text + "\n")
                    self.stdout.write(f"wrote {options['output']}")
                else:
                    self.stdout.write(text)
                return
            if not options["yes"]:
                raise CommandError("erasure cannot be undone: add --yes to confirm")
            counts = do_erase_person(email=email)
        except PersonNotFound as exc:
            raise CommandError(str(exc)) from None
        for table, n in counts.items():
            self.stdout.write(f"{table:>28}: {n:,}")
