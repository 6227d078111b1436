"""Periodic SLA enforcement: every 5 minutes, sweep the unsettled clocks."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from smarketing.sla.actions import do_sweep


@db_periodic_task(crontab(minute="*/5"))
@lock_task("sla-sweep")
def sla_sweep():
    """Evaluate unsettled SLA clocks, record breaches, notify, escalate, reassign."""
    return do_sweep().to_dict()
