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
    from smarketing.sla.actions import do_refresh_compliance_snapshot, months_to_refresh
    from smarketing.sla.demo import derive_handoff_state

    state = derive_handoff_state(now=now)
    # The dashboards read stored compliance figures: store the months that still move.
    state["compliance_months"] = len(
        [do_refresh_compliance_snapshot(m, now=now) for m in months_to_refresh(now)]
    )
    return state
