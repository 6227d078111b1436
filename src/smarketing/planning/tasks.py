"""Nightly snapshot of the measured funnel (the rates plans and pacing use)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from smarketing.planning.actions import do_refresh_measured_funnel


@db_periodic_task(crontab(hour="0", minute="5"))
@lock_task("planning-measured-funnel")
def refresh_measured_funnel():
    """Measure the last 365 days and store today's snapshot (pages read it instead of measuring)."""
    snap = do_refresh_measured_funnel()
    return {"day": snap.day.isoformat(), "window": [str(snap.window_start), str(snap.window_end)]}
