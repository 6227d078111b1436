"""Periodic SLA work: every 5 minutes, sweep the unsettled clocks; every 10, refresh the
stored compliance figures of the current month."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from smarketing.core import derived
from smarketing.sla.actions import do_sweep


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
    return derived.refresh("sla.compliance")
