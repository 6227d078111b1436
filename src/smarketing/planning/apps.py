from django.apps import AppConfig


class PlanningConfig(AppConfig):
    """Goals, reverse funnel, pacing, forecast."""

    name = "smarketing.planning"
    label = "planning"
    verbose_name = "Goals, reverse funnel, pacing, forecast"
