"""``smarketing createtoken``: create an API token and print its secret once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from smarketing.core.actions import do_create_token


class Command(BaseCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = "Create an API token for a user; the secret is printed once and never stored."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            help="read, write, ingest, admin (repeatable; default read)",
        )

    def handle(self, *args, username, name, scopes, **o):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        try:
            _, secret = do_create_token(user=user, name=name, scopes=scopes or ["read"])
        except ValidationError as exc:
            raise CommandError(str(exc.message_dict)) from None
        self.stdout.write(secret)
