from django.apps import AppConfig


class FunnelConfig(AppConfig):
    """Lifecycle stages, transitions, handoff, routing, accept/reject."""

    name = "smarketing.funnel"
    label = "funnel"
    verbose_name = "Lifecycle stages, transitions, handoff, routing, accept/reject"

    def ready(self) -> None:
        from smarketing.funnel import receivers

        receivers.connect()
