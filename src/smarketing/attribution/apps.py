from django.apps import AppConfig


class AttributionConfig(AppConfig):
    """Attribution in the app: the database adapter, the page and the CLI."""

    name = "smarketing.attribution"
    label = "attribution"
    verbose_name = "Attribution"
