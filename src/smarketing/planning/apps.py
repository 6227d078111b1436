from django.apps import AppConfig


class PlanningConfig(AppConfig):
    """Goals, reverse funnel, pacing, forecast."""

    name = "smarketing.planning"
    label = "planning"
    verbose_name = "Goals, reverse funnel, pacing, forecast"

    def ready(self) -> None:
        from smarketing.demo.signals import demo_generated

        demo_generated.connect(_demo_goal, dispatch_uid="planning.demo")
        demo_generated.connect(_demo_measured_snapshot, dispatch_uid="planning.demo_snapshot")


def _demo_goal(sender, *, now, **kwargs) -> dict[str, int]:
    """Give the demo company a goal for the current quarter: last quarter's revenue + 20 %."""
    import datetime as dt
    from decimal import Decimal

    from django.db.models import Sum

    from smarketing.crm.models import Deal
    from smarketing.planning.actions import do_save_goal

    quarter_start = now.replace(
        month=(now.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    previous_start = (quarter_start - dt.timedelta(days=80)).replace(day=1)
    won = Deal.objects.filter(
        is_won=True, closed_at__gte=previous_start, closed_at__lt=quarter_start
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    target = max(Decimal("10000"), (won * Decimal("1.2")).quantize(Decimal("1000")))
    period = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    do_save_goal(period=period, revenue=target, note="demo: last quarter's revenue + 20 %")
    return {"goals": 1}


def _demo_measured_snapshot(sender, **kwargs) -> dict[str, int]:
    """Store today's measured-funnel snapshot, so pages do not measure a year of history live."""
    from smarketing.planning.actions import do_refresh_measured_funnel

    do_refresh_measured_funnel()
    return {"measured funnel snapshots": 1}
