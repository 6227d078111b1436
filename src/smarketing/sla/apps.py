from django.apps import AppConfig


class SlaConfig(AppConfig):
    """The SLA document, clocks, breaches, escalations."""

    name = "smarketing.sla"
    label = "sla"
    verbose_name = "The SLA document, clocks, breaches, escalations"
