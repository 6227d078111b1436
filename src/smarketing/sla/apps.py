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

        from smarketing.demo.signals import demo_generated

        demo_generated.connect(_derive_demo_state, dispatch_uid="sla.demo")


def _derive_demo_state(sender, *, now, **kwargs) -> dict[str, int]:
    from smarketing.sla.demo import derive_handoff_state

    return derive_handoff_state(now=now)
