"""``smarketing worker``: run the huey consumer (periodic SLA checks, scoring, webhooks)."""

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHueyCommand


class Command(RunHueyCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = "Run the background task worker (huey consumer)."
