"""Periodic SLA work: every 5 minutes, sweep the unsettled clocks; every 10, refresh the
stored compliance figures of the current month."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from smarketing.sla.actions import (
    do_refresh_compliance_snapshot,
    do_sweep,
    months_to_refresh,
)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("sla-sweep")
def sla_sweep():
    """Evaluate unsettled SLA clocks, record breaches, notify, escalate, reassign."""
    return do_sweep().to_dict()


@db_periodic_task(crontab(minute="*/10"))
@lock_task("sla-compliance-snapshots")
def sla_compliance_snapshots():
    """Recompute the stored compliance figures of the months that still move, so the
    dashboards and reports read them instead of recomputing business-hours clocks."""
    now = timezone.now()
    return [do_refresh_compliance_snapshot(m, now=now).month for m in months_to_refresh(now)]
