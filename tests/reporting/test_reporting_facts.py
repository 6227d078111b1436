"""Pre-aggregated reporting tables: funnel facts and traffic summaries give the same figures
as the live queries, and stay current (signals, catch-up, read path); the result cache."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from smarketing.crm.models import Contact, ContentAsset, Deal, Touchpoint
from smarketing.funnel.actions import do_change_stage
from smarketing.funnel.models import StageChange
from smarketing.reporting import datasets as ds
from smarketing.reporting import facts, traffic
from smarketing.reporting.filters import parse_filters
from smarketing.reporting.models import ContactFunnelFact, TrafficVisitorGap
from smarketing.reporting.selectors import closed_loop

pytestmark = pytest.mark.django_db
UTC = dt.UTC
MONTH = "2026-01"


@pytest.mark.parametrize(
    ("by", "view", "params"),
    [
        ("all", "period", {}),
        ("channel", "period", {}),
        ("campaign", "cohort", {}),
        ("content", "period", {}),
        ("cohort_month", "cohort", {"channel": "paid"}),
        ("segment", "period", {"period": "2026"}),
    ],
)
def test_facts_give_the_log_figures(tiny, by, view, params):
    if by == "content":
        asset = ContentAsset.objects.create(title="E-book", kind="ebook")
        for c in tiny[:2]:
            Touchpoint.objects.create(
                kind="content_view", contact=c, content=asset, occurred_at=c.created_at
            )
    f = parse_filters({"period": MONTH, **params})
    facts.catch_up_funnel_facts()  # the worker's first pass builds them
    assert facts.is_current()
    fast = closed_loop(f, by=by, view=view, facts=True, memo={})
    slow = closed_loop(f, by=by, view=view, facts=False)
    assert fast.rows == slow.rows and fast.rows


def test_fact_rows(tiny):
    assert facts.rebuild_funnel_facts() == Contact.objects.count() == 3
    won = ContactFunnelFact.objects.get(contact=tiny[0])
    assert (won.original_channel, won.created_month) == ("paid", "2026-01")
    assert won.t_won == dt.datetime(2026, 1, 14, 12, tzinfo=UTC)
    assert ContactFunnelFact.objects.get(contact=tiny[2]).t_mqls is None


def test_stage_change_signal_refreshes_the_contact(tiny, django_capture_on_commit_callbacks):
    facts.rebuild_funnel_facts()
    organic = tiny[2]
    with django_capture_on_commit_callbacks(execute=True):
        do_change_stage(contact=organic, to_stage="mql", at=dt.datetime(2026, 1, 20, tzinfo=UTC))
    assert ContactFunnelFact.objects.get(contact=organic).t_mqls == dt.datetime(
        2026, 1, 20, tzinfo=UTC
    )


def test_catch_up_sees_edits_and_new_rows(tiny, make_user):
    facts.rebuild_funnel_facts()
    rep = make_user("rep1")
    c = tiny[2]
    c.owner = rep
    c.save()
    assert ContactFunnelFact.objects.get(contact=c).owner_id is None  # not yet
    assert facts.catch_up_funnel_facts() >= 1
    assert ContactFunnelFact.objects.get(contact=c).owner_id == rep.pk
    # a row written behind the ORM's back (no signal): stale until the worker's pass
    StageChange.objects.create(
        contact=c, to_stage="mql", changed_at=dt.datetime(2026, 1, 9, tzinfo=UTC)
    )
    assert facts.is_stale()
    facts.catch_up_funnel_facts()
    r = closed_loop(parse_filters({"period": MONTH}), by="all").row("all")
    assert r.mqls == 3
    # deleting a contact removes its facts
    c.delete()
    assert not ContactFunnelFact.objects.filter(contact_id=c.pk).exists()


def _views():
    """Page views over three weeks of January 2026 and two channels; visitors come back."""
    known = Contact.objects.create(email="v@x.test")
    rows = []
    plan = [  # (day, visitor, channel)
        (3, "a", "paid"),
        (3, "a", "paid"),
        (3, "b", "organic"),
        (4, "a", "organic"),
        (10, "b", "organic"),
        (10, "c", "paid"),
        (12, known, "paid"),
        (20, "a", "paid"),
        (21, known, "organic"),
        (27, "c", "organic"),
    ]
    for day, who, channel in plan:
        rows.append(
            Touchpoint(
                kind="page_view",
                occurred_at=dt.datetime(2026, 1, day, 9, tzinfo=UTC),
                contact=who if isinstance(who, Contact) else None,
                anonymous_id="" if isinstance(who, Contact) else who,
                channel=channel,
            )
        )
    Touchpoint.objects.bulk_create(rows)


PERIODS = ["2026-01", "2026-W02", "2026-W03", "2026-Q1", "2026"]


@pytest.mark.parametrize("channel", ["", "paid", "organic"])
def test_traffic_tables_give_the_live_figures(channel):
    _views()
    traffic.rebuild_traffic()
    for period in PERIODS:
        ctx = ds.Context(parse_filters({"period": period, "channel": channel}))
        fast = (ds.traffic(ctx), ds.traffic_totals(ctx))
        ctx.traffic_ok = False  # the live queries over the touchpoints
        slow = (ds.traffic(ctx), ds.traffic_totals(ctx))
        assert fast[1] == slow[1], period
        assert fast[0].astype(str).values.tolist() == slow[0].astype(str).values.tolist()
    jan = ds.Context(parse_filters({"period": "2026-01", "channel": channel}))
    assert ds.traffic_totals(jan)["visitors"] == {"": 4, "paid": 3, "organic": 4}[channel]


def test_traffic_incremental_equals_rebuild():
    _views()
    traffic.rebuild_traffic()
    # a new day (probe form) and a backdated visit (window form over the following days)
    Touchpoint.objects.create(
        kind="page_view",
        occurred_at=dt.datetime(2026, 1, 28, 8, tzinfo=UTC),
        anonymous_id="b",
        channel="paid",
    )
    assert traffic.catch_up_traffic() == 1
    Touchpoint.objects.create(
        kind="page_view",
        occurred_at=dt.datetime(2026, 1, 15, 8, tzinfo=UTC),
        anonymous_id="c",
        channel="organic",
    )
    assert traffic.catch_up_traffic() > 1

    def rows():
        return sorted(
            TrafficVisitorGap.objects.values_list("day", "channel", "prev_day", "visitors"),
            key=str,
        )

    incremental = rows()
    traffic.rebuild_traffic()
    assert incremental == rows()
    # a read never refreshes: it shows the stored figures "as of" the last fill
    Touchpoint.objects.create(
        kind="page_view",
        occurred_at=dt.datetime(2026, 1, 30, 8, tzinfo=UTC),
        anonymous_id="zz",
    )
    ctx = ds.Context(parse_filters({"period": "2026-01"}))
    assert ctx.traffic_ok and ds.traffic_totals(ctx)["visitors"] == 4 and ctx.as_of
    traffic.catch_up_traffic()  # the worker (or the write path on commit)
    ctx = ds.Context(parse_filters({"period": "2026-01"}))
    assert ds.traffic_totals(ctx)["visitors"] == 5 and ctx.as_of is None


def test_dashboard_result_cache(
    tiny, client, make_user, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(make_user("viewer"))
    url = f"/reporting/smarketing/?period={MONTH}"
    assert client.get(url).status_code == 200
    with django_assert_max_num_queries(8):  # version, session/user, filters, share links
        r = client.get(url)
    assert r.status_code == 200 and "1,000" in r.content.decode()
    deal = Deal.objects.get()
    deal.amount = 2500
    # an edit (no new id) bumps the generation; its deal fact is refreshed once committed
    with django_capture_on_commit_callbacks(execute=True):
        deal.save()
    assert "2,500" in client.get(url).content.decode()


@pytest.mark.slow
def test_demo_company_reporting_tables(demo_company):
    """The demo generator's signal builds the tables; they give the live figures."""
    assert ContactFunnelFact.objects.count() == Contact.objects.count()
    year = str(timezone.now().year)
    f = parse_filters({"period": year})
    for by in ("all", "campaign"):
        assert closed_loop(f, by=by, facts=True).rows == closed_loop(f, by=by, facts=False).rows
    ctx = ds.Context(f)
    fast = ds.traffic_totals(ctx)
    ctx.traffic_ok = False
    assert fast == ds.traffic_totals(ctx) and fast["visitors"] > 0
    assert connection.vendor in ("sqlite", "postgresql")


def _plain(df):
    return [[v if isinstance(v, str) else float(v) for v in row] for row in df.values.tolist()]


def test_activity_tables_give_the_live_figures(tiny, make_user):
    rep, other = make_user("rep2"), make_user("rep3")
    for c in tiny:
        c.owner = rep
        c.save()
    at = dt.datetime(2026, 1, 8, 10, tzinfo=UTC)
    touches = [
        ("sales_call", rep, tiny[0]),
        ("sales_call", rep, tiny[0]),
        ("sales_email", other, tiny[1]),
        ("meeting", rep, tiny[0]),
        ("demo", other, None),
    ]
    for kind, user, contact in touches:
        Touchpoint.objects.create(
            kind=kind,
            user=user,
            contact=contact,
            occurred_at=at,
            team="sales",
            anonymous_id="" if contact else "x",
        )
    traffic.catch_up_traffic()  # first call builds
    Touchpoint.objects.create(
        kind="sales_email",
        user=rep,
        contact=tiny[1],
        team="sales",
        occurred_at=at + dt.timedelta(days=1),
    )
    traffic.catch_up_traffic()  # the worker folds the new attempt in
    for params in ({"period": MONTH}, {"period": MONTH, "owner": str(rep.pk)}):
        ctx = ds.Context(parse_filters(params))
        assert ctx.traffic_ok and ctx.as_of is None
        fast = (ds.activity_by_rep(ctx), ds.depth_by_rep(ctx))
        ctx.traffic_ok = False
        slow = (ds.activity_by_rep(ctx), ds.depth_by_rep(ctx))
        for a, b in zip(fast, slow):  # same values (PostgreSQL's live sums are Decimals)
            assert _plain(a) == _plain(b)
    # attempts as the SLA counts them (figures.ATTEMPT_KINDS by the sales team), per lead
    # owner: tiny[0] 2 calls + 1 meeting, tiny[1] 2 emails
    assert fast[1]["attempts"].tolist() == [5]
