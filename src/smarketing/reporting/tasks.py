"""Scheduled report delivery (the monthly report on the 1st, the weekly brief on Mondays) and
the incremental refresh of the pre-aggregated reporting tables."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from smarketing.reporting.delivery import send_report


@db_periodic_task(crontab(day="1", hour="6", minute="30"))
def send_monthly_report():
    """E-mail last month's report to the configured recipients (once per month)."""
    return send_report("monthly")


@db_periodic_task(crontab(day_of_week="1", hour="6", minute="0"))
def send_weekly_brief():
    """E-mail last week's smarketing meeting brief (once per week)."""
    return send_report("weekly")


@db_periodic_task(crontab(minute="*"))
@lock_task("reporting-refresh")
def refresh_reporting_tables():
    """Every minute: catch reporting's registered derived tables up (:mod:`smarketing.core.
    derived`): the funnel facts (and daily counts, deal and review facts) of contacts changed
    since the checkpoint or marked dirty, the traffic, activity and content days with new or
    re-owned touches; and the attribution credits of changed or newly touched won deals."""
    from smarketing.core import derived
    from smarketing.reporting.credits import catch_up_credits

    out = derived.refresh_all(prefix="reporting.")
    out["credits"] = catch_up_credits()
    return out


@db_periodic_task(crontab(hour="3", minute="15"))
@lock_task("reporting-refresh")
def rebuild_reporting_tables():
    """Nightly: rebuild the reporting tables from scratch (picks up what no checkpoint sees:
    account segment edits, rows deleted or changed with raw SQL)."""
    from smarketing.reporting.facts import rebuild_reporting_tables as rebuild

    return rebuild()
