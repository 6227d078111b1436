"""``smarketing worker``: the huey consumer (periodic SLA checks, scoring, reports) plus the
webhook dispatcher (its own threads, one sender per endpoint: see ``smarketing.ingest.dispatch``)."""

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHueyCommand

from smarketing.config.env import env_bool, env_int


class Command(RunHueyCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = "Run the background task worker (huey consumer) and the webhook dispatcher."

    def handle(self, *args, **options):
        from smarketing.ingest.dispatch import Dispatcher

        if not env_bool("SMARKETING_WEBHOOK_DISPATCHER", True):  # the old single queue
            return super().handle(*args, **options)
        dispatcher = Dispatcher(threads=env_int("SMARKETING_WEBHOOK_THREADS", 8))
        dispatcher.start()
        try:
            return super().handle(*args, **options)
        finally:
            dispatcher.stop()
