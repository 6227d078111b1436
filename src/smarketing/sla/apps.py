from django.apps import AppConfig


class SlaConfig(AppConfig):
    """The SLA document, clocks, breaches, escalations."""

    name = "smarketing.sla"
    label = "sla"
    verbose_name = "The SLA document, clocks, breaches, escalations"

    def ready(self) -> None:
        from smarketing.funnel.actions import register_rejection_outcomes
        from smarketing.sla import receivers

        register_rejection_outcomes(receivers.rejection_outcome_from_sla)
