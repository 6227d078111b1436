from django.apps import AppConfig


class AttributionConfig(AppConfig):
    """Attribution in the app: the database adapter, the stored path set, the page, the API,
    the CLI and the dashboards' attribution card."""

    name = "smarketing.attribution"
    label = "attribution"
    verbose_name = "Attribution"

    def ready(self) -> None:
        from smarketing.attribution import signals

        signals.connect()
