"""One definition per figure: the same figure reads the same on every page that shows it, for
the same filters; stored bad rows never break a page."""

from __future__ import annotations

import datetime as dt

import pytest

from smarketing.analytics import figures
from smarketing.crm.models import Contact, Touchpoint
from smarketing.reporting import datasets as ds
from smarketing.reporting import facts, reports, traffic
from smarketing.reporting.filters import parse_filters
from smarketing.reporting.views import kpis

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _at(day, hour=10):
    return dt.datetime(2026, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def worked_leads(make_user):
    """Two January MQLs assigned to one rep; 3 attempts (call, email, LinkedIn) on one, 1 on
    the other -- all after the assignment, so the SLA and the dashboard count the same."""
    from smarketing.funnel.actions import do_assign_lead, do_change_stage, do_log_attempt
    from smarketing.sla.actions import ensure_active_sla

    ensure_active_sla()
    rep = make_user("rep-fig", team="Sales", kind="sales")
    leads = []
    for i, channels in enumerate([("call", "email", "linkedin"), ("call",)]):
        c = Contact.objects.create(
            email=f"fig{i}@x.test", created_at=_at(2), lifecycle_stage="lead"
        )
        do_change_stage(contact=c, to_stage="mql", at=_at(5))
        do_assign_lead(contact=c, owner=rep, at=_at(5, 11))
        for k, channel in enumerate(channels):
            do_log_attempt(contact=c, by=rep, channel=channel, at=_at(6 + k))
        leads.append(c)
    return rep, leads


def test_attempts_are_one_definition_for_the_sla_and_the_sales_dashboard(worked_leads):
    from smarketing.sla.selectors import ATTEMPT_KINDS, compliance

    assert ATTEMPT_KINDS == figures.ATTEMPT_KINDS and "sales_social" in ATTEMPT_KINDS
    sla = next(r for r in compliance("2026-01")["sales"] if r["scope"] == "all")
    ctx = ds.Context(parse_filters({"period": "2026-01"}))
    live = ds.depth_by_rep(ctx)  # tables never built: computed live
    facts.rebuild_funnel_facts()
    traffic.rebuild_traffic()
    stored = ds.depth_by_rep(ds.Context(parse_filters({"period": "2026-01"})))
    for depth in (live, stored):
        assert depth["attempts"].sum() == 4 and depth["leads"].sum() == 2
        assert depth["attempts_per_lead"].iloc[0] == pytest.approx(sla["attempts_per_lead"])
    assert sla["attempts_per_lead"] == pytest.approx(2.0)


def test_roi_on_the_dashboard_equals_the_monthly_report_for_the_same_period(tiny):
    month = "2026-01"
    report = reports.monthly_context(month)["total"]
    ctx = ds.Context(parse_filters({"period": month}))
    shown = {label: value for label, value, _why in kpis("smarketing", ctx)}
    assert report.roi == pytest.approx(figures.roi(1000.0, 310.0))
    # the dashboard says which period its ROI is for, and it is the report's figure
    assert shown[f"ROI ({month})"] == f"{report.roi:.1%}"
    # a different period is a different figure, labelled as such
    quarter = kpis("smarketing", ds.Context(parse_filters({"period": "2026-Q1"})))
    assert "ROI (2026-Q1)" in {label for label, _value, _why in quarter}


def test_roi_does_not_apply_without_cost():
    assert figures.roi(500.0, 0.0) is None and figures.roi(None, 10.0) is None


@pytest.mark.parametrize("built", [False, True])
def test_a_year_one_touchpoint_breaks_no_page(tiny, client, make_user, built, caplog):
    """An old bug let ``occurred_at`` = 0001-01-01 in; pages and fills skip it (and log)."""
    person = tiny[0]
    if built:
        facts.rebuild_reporting_tables()

    def bad_rows():
        Touchpoint.objects.bulk_create(  # inserted directly, as the bug did: no signal, no check
            [
                Touchpoint(
                    kind=kind,
                    contact=person,
                    anonymous_id="",
                    occurred_at=dt.datetime(1, 1, 1, tzinfo=UTC),
                    team="sales" if kind == "sales_call" else "marketing",
                )
                for kind in ("page_view", "sales_call", "content_view")
            ]
        )

    bad_rows()
    Touchpoint.objects.bulk_create(
        [Touchpoint(kind="page_view", contact=person, anonymous_id="", occurred_at=_at(9))]
    )
    if built:  # the worker's pass over new rows, then its nightly rebuild, survive them
        from smarketing.core import derived

        assert derived.refresh(traffic.NAME) is not None
        assert "skipped" in caplog.text
        facts.rebuild_reporting_tables()
    client.force_login(make_user("viewer-bad"))
    for url in (
        "/reporting/marketing/?period=2026-01",
        "/reporting/marketing/?period=2026",
        "/reporting/sales/?period=2026-01",
        "/reporting/smarketing/?period=2026-01",
        "/reporting/reports/monthly/?month=2026-01",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    ctx = ds.Context(parse_filters({"period": "2026-01"}))
    assert ds.traffic_totals(ctx)["page_views"] == 1


@pytest.mark.parametrize("built", [False, True])
def test_won_deals_and_revenue_chart_sums_to_the_dashboard_figures(tiny, make_user, built):
    """The sales dashboard's "won deals and revenue per day" chart and its KPIs are the same
    won deals: those of the primary contacts the filters keep (the closed loop's)."""
    from decimal import Decimal

    from smarketing.crm.models import Deal

    rep = make_user("rep-rev")
    tiny[1].owner = rep
    tiny[1].save()
    for name, contact, owner in (
        ("Orphan", None, rep),  # no primary contact: in no group, on no page
        ("Other", tiny[1], None),  # the contact's owner filters it, not the deal's
    ):
        Deal.objects.create(
            name=name,
            primary_contact=contact,
            owner=owner,
            amount=Decimal("250"),
            is_closed=True,
            is_won=True,
            stage="closed_won",
            created_at=_at(10),
            closed_at=_at(20),
        )
    if built:
        facts.rebuild_reporting_tables()
    for params in ({"period": "2026-01"}, {"period": "2026-01", "owner": str(rep.pk)}):
        ctx = ds.Context(parse_filters(params))
        chart = ds.won_over_time(ctx)
        row = ctx.closed_loop("all", velocity=False).rows[0]
        assert chart["won_deals"].sum() == row.won_deals, params
        assert chart["revenue"].sum() == pytest.approx(row.revenue), params
    assert row.revenue == pytest.approx(250.0)  # the rep's contact's deal only
