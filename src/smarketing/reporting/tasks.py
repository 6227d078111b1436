"""Scheduled report delivery: the monthly report on the 1st, the weekly brief on Mondays."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from smarketing.reporting.delivery import send_report


@db_periodic_task(crontab(day="1", hour="6", minute="30"))
def send_monthly_report():
    """E-mail last month's report to the configured recipients (once per month)."""
    return send_report("monthly")


@db_periodic_task(crontab(day_of_week="1", hour="6", minute="0"))
def send_weekly_brief():
    """E-mail last week's smarketing meeting brief (once per week)."""
    return send_report("weekly")
