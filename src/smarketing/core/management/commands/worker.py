"""``smarketing worker``: run the huey consumer (periodic SLA checks, scoring, webhooks)."""

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHueyCommand


class Command(RunHueyCommand):
    help = "Run the background task worker (huey consumer)."
