from django.apps import AppConfig


class IngestConfig(AppConfig):
    """CSV import, tracking, event ingest, webhooks."""

    name = "smarketing.ingest"
    label = "ingest"
    verbose_name = "CSV import, tracking, event ingest, webhooks"

    def ready(self) -> None:
        # Outbound webhooks listen to the funnel's and the CRM's events.
        from smarketing.ingest import receivers

        receivers.connect()
