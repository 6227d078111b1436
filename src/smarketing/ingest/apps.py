from django.apps import AppConfig


class IngestConfig(AppConfig):
    """CSV import, tracking, event ingest, webhooks."""

    name = "smarketing.ingest"
    label = "ingest"
    verbose_name = "CSV import, tracking, event ingest, webhooks"
