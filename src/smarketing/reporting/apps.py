from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Dashboards, closed-loop reports, monthly and weekly reports."""

    name = "smarketing.reporting"
    label = "reporting"
    verbose_name = "Dashboards, closed-loop reports, monthly and weekly reports"

    def ready(self) -> None:
        from smarketing.reporting import signals

        signals.connect()
