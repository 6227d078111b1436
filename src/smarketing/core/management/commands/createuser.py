"""``smarketing createuser``: create a user with a team and role."""

from __future__ import annotations

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from smarketing.core.actions import do_create_user
from smarketing.core.models import Team, UserProfile


class Command(BaseCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = "Create a smarketing user (admin, manager or member of a team)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Prompted for when omitted.")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--team", help="Team name (created with --team-kind if missing).")
        parser.add_argument("--team-kind", choices=Team.Kind.values, default="sales")
        parser.add_argument("--role", choices=UserProfile.Role.values, default="member")
        parser.add_argument("--timezone", default="UTC")

    def handle(self, *args, **o):
        password = o["password"] or getpass.getpass("Password: ")
        team = None
        if o["team"]:
            team, _ = Team.objects.get_or_create(name=o["team"], defaults={"kind": o["team_kind"]})
        try:
            user = do_create_user(
                username=o["username"],
                password=password,
                email=o["email"],
                first_name=o["first_name"],
                last_name=o["last_name"],
                team=team,
                role=o["role"],
                timezone=o["timezone"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stdout.write(self.style.SUCCESS(f"created user {user.username} ({o['role']})"))
