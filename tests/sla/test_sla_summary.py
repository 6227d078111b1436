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
