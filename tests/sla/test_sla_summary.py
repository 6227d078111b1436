"""The SLA figures the dashboards and reports show are the compliance report's own."""

import datetime as dt

import pytest
from django.utils import timezone

from smarketing.sla.models import Breach
from smarketing.sla.selectors import breaches_between, compliance, compliance_summary

pytestmark = pytest.mark.django_db


def test_summary_and_breaches_agree_with_the_compliance_report(demo_company):
    now = timezone.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    summary = compliance_summary(start=start - dt.timedelta(days=60), end=now)
    month = f"{now:%Y-%m}"
    assert summary["Month"] == month
    report = compliance(month)
    sales = next(row for row in report["sales"] if row["scope"] == "all")
    assert summary["Leads received by sales"] == sales["leads_received"]
    assert summary["Breaches (sales)"] == sum(sales["breaches"].values())
    assert summary["MQLs delivered / committed (marketing)"].startswith(
        str(report["marketing"]["mqls_delivered"])
    )
    lines = breaches_between(start=now - dt.timedelta(days=365), end=now + dt.timedelta(days=1))
    assert len(lines) == min(50, Breach.objects.count()) > 0
    assert "overdue" in lines[0]


def test_naive_bounds_are_utc_as_the_reporting_filters_pass_them(demo_company):
    now = timezone.now()
    start = now - dt.timedelta(days=60)
    naive = {"start": start.replace(tzinfo=None), "end": now.replace(tzinfo=None)}
    assert compliance_summary(**naive) == compliance_summary(start=start, end=now)
    assert breaches_between(**naive) == breaches_between(start=start, end=now)


def test_dashboards_read_a_stored_month_refreshed_when_stale(make_user):
    from smarketing.sla.actions import (
        compliance_snapshot,
        do_activate_sla_version,
        do_save_sla_version,
        ensure_active_sla,
    )
    from smarketing.sla.models import ComplianceSnapshot
    from smarketing.sla.tasks import sla_compliance_snapshots

    version = ensure_active_sla()
    t0 = dt.datetime(2026, 3, 16, 12, tzinfo=dt.UTC)
    first = compliance_snapshot("2026-03", now=t0)
    assert first.computed_at == t0 and first.data == compliance("2026-03", now=t0)
    assert first.sla_version == version
    # Within 15 minutes the stored figures are read as they are.
    again = compliance_snapshot("2026-03", now=t0 + dt.timedelta(minutes=14))
    assert again.computed_at == t0
    # Older than that, or under another SLA version, they are recomputed.
    later = t0 + dt.timedelta(minutes=16)
    assert compliance_snapshot("2026-03", now=later).computed_at == later
    newer = do_save_sla_version(text=version.text.replace("version: 1", "version: 2"))
    do_activate_sla_version(version=newer)
    redone = compliance_snapshot("2026-03", now=later + dt.timedelta(minutes=1))
    assert redone.sla_version == newer and ComplianceSnapshot.objects.count() == 1

    # The periodic task stores the months that still move (with huey immediate in tests).
    sla_compliance_snapshots()
    month = f"{timezone.now():%Y-%m}"
    assert ComplianceSnapshot.objects.filter(month=month).exists()


def test_months_that_still_move():
    from smarketing.sla.actions import ensure_active_sla, months_to_refresh

    ensure_active_sla()  # calendar time zone Europe/Berlin
    assert months_to_refresh(dt.datetime(2026, 3, 16, 12, tzinfo=dt.UTC)) == ["2026-03"]
    assert months_to_refresh(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)) == ["2026-03", "2026-02"]
    # 23:30 UTC on 31 January is already 1 February in Berlin.
    assert months_to_refresh(dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)) == [
        "2026-02",
        "2026-01",
    ]
