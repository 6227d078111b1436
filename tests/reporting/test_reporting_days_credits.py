"""Daily funnel counts and the attribution card: the same figures as the live computation
(facts scan) and as the attribution page (the attribution app's stored path set), kept
current incrementally."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smarketing.crm.models import Contact, Deal, Touchpoint
from smarketing.funnel.actions import do_change_stage
from smarketing.funnel.models import LeadReview, StageChange
from smarketing.reporting import credits, facts, funnel_days
from smarketing.reporting import datasets as ds
from smarketing.reporting.filters import parse_filters
from smarketing.reporting.models import (
    DealFact,
    FunnelCombo,
    FunnelDay,
    ReviewFact,
)
from smarketing.reporting.selectors import closed_loop

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def spread(tiny, make_user):
    """``tiny`` plus contacts over two months with owners, personas-less keys and a late MQL."""
    rep = make_user("rep-days")
    for i, (channel, month, day) in enumerate([("paid", 1, 30), ("email", 2, 1), ("", 2, 16)]):
        c = Contact.objects.create(
            email=f"s{i}@x.test",
            original_channel=channel,
            created_at=_at(month, day),
            owner=rep if i != 1 else None,
            lifecycle_stage="mql",
        )
        StageChange.objects.create(contact=c, to_stage="lead", changed_at=_at(month, day))
        StageChange.objects.create(
            contact=c, to_stage="mql", changed_at=_at(month, day) + dt.timedelta(days=3)
        )
        LeadReview.objects.create(
            contact=c,
            decision="accept" if i else "reject",
            reason_code="" if i else "bad_fit",
            quality_rating=4 if i != 2 else None,
            at=_at(month, day) + dt.timedelta(days=4),
        )
        Deal.objects.create(
            name=f"Deal {i}",
            primary_contact=c,
            amount=Decimal(100 * (i + 1)),
            is_closed=i == 0,
            is_won=i == 0,
            stage="closed_won" if i == 0 else "qualification",
            created_at=_at(month, day) + dt.timedelta(days=5),
            closed_at=_at(month, day) + dt.timedelta(days=9) if i == 0 else None,
        )
    return rep


PERIODS = ["2026-01", "2026-W05", "2026-W06", "2026-02", "2026-Q1", "2026"]


def _days_rows():
    # rows brought to zero by a refresh stay until the nightly rebuild (reads ignore them)
    nonzero = FunnelDay.objects.exclude(leads=0, mqls=0, sqls=0, opportunities=0, won=0)
    return sorted(
        nonzero.values_list(
            "grain", "day", "k_source", "k_channel", "k_campaign", "k_persona", "k_segment",
            "owner_id", "leads", "mqls", "sqls", "opportunities", "won",
        ),
        key=str,
    )  # fmt: skip


def _combo_rows():
    return sorted(
        FunnelCombo.objects.filter(contacts__gt=0).values_list(
            "k_source", "k_channel", "k_campaign", "k_persona", "k_segment", "owner_id", "contacts"
        ),
        key=str,
    )


@pytest.mark.parametrize("period", PERIODS)
def test_period_counts_from_days_equal_the_facts(spread, period):
    facts.rebuild_funnel_facts()
    assert facts.days_ready()
    for extra in ({}, {"channel": "paid"}, {"owner": str(spread.pk)}, {"segment": "smb"}):
        f = parse_filters({"period": period, **extra})
        for by in ("all", "channel", "campaign", "source"):
            fast = closed_loop(f, by=by, facts=True, days=True, memo={})
            slow = closed_loop(f, by=by, facts=True, days=False, memo={})
            assert fast.rows == slow.rows, (period, extra, by)
        ctx = ds.Context(f)
        assert ctx.days_ok
        fast = ds.leads_over_time(ctx)
        ctx.days_ok = False
        slow = ds.leads_over_time(ctx)
        # the facts path pivots to floats; the daily counts are integers
        slow = slow.astype(dict.fromkeys(("leads", "mqls", "sqls"), int))
        assert fast.astype(str).values.tolist() == slow.astype(str).values.tolist()


def test_goal_pacing_from_daily_counts_equals_the_stage_change_query(spread):
    from smarketing.planning.actions import do_save_goal
    from smarketing.planning.selectors import daily_actuals, goal_pacing

    facts.rebuild_funnel_facts()
    start, end = dt.date(2025, 12, 1), dt.date(2026, 4, 1)
    fast = daily_actuals(start, end, step_counts=funnel_days.daily_totals)
    assert fast == daily_actuals(start, end)
    assert sum(fast["leads"].values()) == 6 and fast["customers"]

    goal = do_save_goal(period="2026-Q1", revenue=10000, deal_size=1000, lead_to_customer=0.02)
    ctx = ds.Context(parse_filters({"period": "2026-Q1"}))
    stored = ds.goal_pacing(ctx)
    live = goal_pacing(goal)
    assert stored.metrics == live.metrics and set(stored.metrics) >= {"leads", "revenue"}


def test_spans_split_whole_months_from_edge_days():
    d = dt.date
    assert funnel_days._spans(d(2026, 1, 1), d(2027, 1, 1)) == [("m", d(2026, 1, 1), d(2027, 1, 1))]
    assert funnel_days._spans(d(2026, 1, 26), d(2026, 2, 2)) == [
        ("d", d(2026, 1, 26), d(2026, 2, 2))
    ]
    assert funnel_days._spans(d(2025, 12, 29), d(2026, 3, 2)) == [
        ("m", d(2026, 1, 1), d(2026, 3, 1)),
        ("d", d(2025, 12, 29), d(2026, 1, 1)),
        ("d", d(2026, 3, 1), d(2026, 3, 2)),
    ]  # fmt: skip


def test_incremental_days_equal_a_rebuild(
    spread, tiny, make_user, django_capture_on_commit_callbacks
):
    facts.rebuild_funnel_facts()
    # a stage change (signal), an owner edit and a new contact (catch-up)
    with django_capture_on_commit_callbacks(execute=True):
        do_change_stage(contact=tiny[2], to_stage="mql", at=_at(2, 20))
    c = tiny[1]
    c.owner = make_user("rep-other")
    c.save()
    with django_capture_on_commit_callbacks(execute=True):  # a review (signal)
        LeadReview.objects.create(contact=c, decision="accept", quality_rating=5, at=_at(2, 2))
    LeadReview.objects.create(contact=tiny[0], decision="accept", at=_at(2, 3))  # catch-up
    deal = Deal.objects.get(name="Deal 1")
    with django_capture_on_commit_callbacks(execute=True):  # an edit moving the deal
        deal.primary_contact = tiny[2]
        deal.amount = Decimal("777")
        deal.save()
    Deal.objects.bulk_create(  # no signal: the deal id checkpoint catches it
        [Deal(name="Bulk", primary_contact=tiny[1], amount=Decimal("5"), created_at=_at(2, 9))]
    )
    new = Contact.objects.create(email="n@x.test", created_at=_at(3, 1), lifecycle_stage="lead")
    assert facts.catch_up_funnel_facts() >= 2
    gone = new.pk
    new.delete()  # its fact row goes with it (cascade), and so do its counts
    facts.refresh_funnel_facts([gone])
    incremental = (_days_rows(), _combo_rows(), _review_rows(), _deal_rows())
    facts.rebuild_funnel_facts()
    assert incremental == (_days_rows(), _combo_rows(), _review_rows(), _deal_rows())
    assert len(incremental[3]) == Deal.objects.count() == 5
    assert len(incremental[2]) == LeadReview.objects.count() == 6


def _deal_rows():
    return sorted(DealFact.objects.values_list(), key=str)


def _review_rows():
    return sorted(ReviewFact.objects.values_list(), key=str)


def test_worker_catches_up_new_reviews(spread, tiny):
    facts.rebuild_funnel_facts()
    LeadReview.objects.create(  # no signal in this test: the read shows it stale, the worker
        contact=tiny[2], decision="reject", reason_code="no_budget", at=_at(1, 20)
    )
    assert facts.is_stale()  # a read never refreshes (GET never writes)
    facts.catch_up_funnel_facts()
    f = parse_filters({"period": "2026-01"})
    fast = closed_loop(f, by="channel", facts=None, memo={})
    slow = closed_loop(f, by="channel", facts=False)
    assert fast.rows == slow.rows
    assert fast.row("organic").rejected == 1


# --- attribution credits ------------------------------------------------------------------------


@pytest.fixture
def journeys(tiny, make_user):
    """Won deals with touches on several channels, one touch outside the 90-day lookback, a
    second won contact owned by a rep, and a won deal without any touch."""
    rep = make_user("rep-credit")
    touches = [
        (tiny[0], "paid", _at(1, 3)),
        (tiny[0], "email", _at(1, 5)),
        (tiny[0], "", _at(1, 9)),
        (tiny[0], "paid", _at(1, 20)),  # after the win (Jan 14): not credited
        (tiny[1], "organic", _at(1, 4)),
        (tiny[1], "paid", dt.datetime(2025, 9, 1, tzinfo=UTC)),  # > 90 days before the win
        (tiny[1], "email", _at(1, 25)),
    ]
    for contact, channel, at in touches:
        Touchpoint.objects.create(
            kind="page_view", contact=contact, channel=channel, occurred_at=at
        )
    Deal.objects.create(
        name="Second",
        primary_contact=tiny[1],
        owner=rep,
        amount=Decimal("300"),
        is_closed=True,
        is_won=True,
        stage="closed_won",
        created_at=_at(1, 20),
        closed_at=_at(1, 28),
    )
    Deal.objects.create(
        name="Untouched",
        primary_contact=tiny[2],
        amount=Decimal("50"),
        is_closed=True,
        is_won=True,
        stage="closed_won",
        created_at=_at(1, 20),
        closed_at=_at(1, 29),
    )
    return rep


def _summary(ctx):
    df = ds.attribution_summary(ctx)
    return sorted(
        (r.channel, round(r.conversions, 2), round(r.revenue, 2)) for r in df.itertuples()
    )


def _page(since: str, until: str):
    """The attribution page's linear model by channel on won deals for the same dates."""
    from smarketing.attribution import selectors

    query = selectors.parse_query({"model": "linear", "by": "channel", "conversion": "won",
                                   "since": since, "until": until})  # fmt: skip
    result = selectors.report(query, use_cache=False)["result"]
    return sorted(
        (c["key"], round(c["conversions"], 2), round(c["value"], 2))
        for c in result["credits"]
        if c["conversions"] or c["value"]
    )


@pytest.mark.parametrize("extra", [{}, {"owner": "rep"}])
def test_card_equals_the_attribution_page(journeys, extra):
    credits.rebuild_credits()  # the attribution app's path set (a re-export)
    params = {"period": "2026-01"}
    if extra:
        params["owner"] = str(journeys.pk)
    ctx = ds.Context(parse_filters(params))
    assert ctx.credits_ok
    stored = _summary(ctx)
    if not extra:
        assert stored == _page("2026-01-01", "2026-01-31")
        # deal 1 (1,000): paid, email, (none) -> a third each; deal 2 (300): organic, email
        # (the September paid touch is outside the lookback); deal 3 (50): no touch
        assert stored == [
            ("(no touch)", 1.0, 50.0),
            ("(none)", 0.33, 333.33),
            ("email", 0.83, 483.33),
            ("organic", 0.5, 150.0),
            ("paid", 0.33, 333.33),
        ]
    else:  # the rep's deal only
        assert stored == [("email", 0.5, 150.0), ("organic", 0.5, 150.0)]


def _stored_rows():
    from smarketing.attribution.models import JourneyPath, PathKey

    names = {(k.level, str(k.code)): k.name for k in PathKey.objects.all()}
    return sorted(
        (r.conversion, r.account_level, r.level, r.journey, r.seq, r.conv, r.value,
         " > ".join(names[(r.level, c)] for c in r.path.split(">") if c))
        for r in JourneyPath.objects.all()
    )  # fmt: skip


def test_credits_follow_deals_and_touches(journeys, tiny, django_capture_on_commit_callbacks):
    from smarketing.attribution import pathset

    credits.rebuild_credits()
    jan = parse_filters({"period": "2026-01"})
    # a new touch inside a won deal's window (found by id: the worker's catch-up)
    Touchpoint.objects.create(
        kind="email_open", contact=tiny[2], channel="email", occurred_at=_at(1, 28)
    )
    assert pathset.is_stale()
    credits.catch_up_credits()
    assert not pathset.is_stale()
    ctx = ds.Context(jan)
    assert ctx.credits_ok
    assert _summary(ctx) == _page("2026-01-01", "2026-01-31")
    assert ("(no touch)", 1.0, 50.0) not in _summary(ctx)
    # an edit through the ORM (no new id) is marked on commit and caught up by the worker
    deal = Deal.objects.get(name="Second")
    with django_capture_on_commit_callbacks(execute=True):
        deal.amount = Decimal("900")
        deal.save()
    ctx = ds.Context(jan)
    assert ("organic", 0.5, 450.0) in _summary(ctx)
    assert _summary(ctx) == _page("2026-01-01", "2026-01-31")
    with django_capture_on_commit_callbacks(execute=True):
        deal.delete()
    assert ("organic", 0.5, 450.0) not in _summary(ds.Context(jan))
    incremental = _stored_rows()
    credits.rebuild_credits()
    assert incremental == _stored_rows()


def test_card_not_available_before_the_path_set_is_built(journeys):
    ctx = ds.Context(parse_filters({"period": "2026-01"}))
    assert not ctx.credits_ok
    assert ds.attribution_summary(ctx) is None


def test_empty_period_has_an_empty_summary(journeys):
    credits.rebuild_credits()
    df = ds.attribution_summary(ds.Context(parse_filters({"period": "2025-03"})))
    assert df is not None and df.empty


# --- content use --------------------------------------------------------------------------------


def _content_touches(tiny):
    from smarketing.crm.models import ContentAsset

    ebook = ContentAsset.objects.create(title="E-book", kind="ebook")
    guide = ContentAsset.objects.create(title="Guide", kind="ebook")
    plan = [  # (asset, contact or None, kind, day)
        (ebook, tiny[0], "content_view", 3),
        (ebook, tiny[0], "content_view", 3),
        (ebook, tiny[0], "content_share", 9),
        (ebook, tiny[1], "content_view", 10),
        (ebook, None, "content_view", 10),
        (guide, tiny[2], "content_view", 20),
        (guide, None, "content_share", 31),
    ]
    for asset, contact, kind, day in plan:
        Touchpoint.objects.create(
            kind=kind,
            contact=contact,
            content=asset,
            occurred_at=_at(1, day),
            anonymous_id="" if contact else "anon",
        )


def test_content_days_give_the_live_figures(tiny):
    from smarketing.reporting import reports, traffic
    from smarketing.reporting.models import ContentTouchDay

    _content_touches(tiny)
    traffic.rebuild_traffic()
    facts.rebuild_funnel_facts()
    for period in ("2026-01", "2026-W02", "2026"):
        f = parse_filters({"period": period})
        ctx = ds.Context(f)
        assert ctx.content_ok
        fast = reports.content_use(ctx)
        ctx.content_ok = False
        assert fast == reports.content_use(ctx), period
        fast = closed_loop(f, by="content", facts=True, content=True, memo={})
        assert fast.rows == closed_loop(f, by="content", facts=True, memo={}).rows
    jan = reports.content_use(ds.Context(parse_filters({"period": "2026-01"})))
    assert [(r["title"], r["touches"], r["shares"], r["people"]) for r in jan] == [
        ("E-book", 5, 1, 2),
        ("Guide", 2, 1, 1),
    ]
    # a new content touch is picked up with the traffic tables (same checkpoint)
    ebook = Touchpoint.objects.filter(content__title="E-book").first().content
    Touchpoint.objects.create(
        kind="content_view", contact=tiny[2], content=ebook, occurred_at=_at(1, 3)
    )
    traffic.catch_up_traffic()
    rows = sorted(
        ContentTouchDay.objects.values_list("day", "content_id", "contact_id", "touches", "shares"),
        key=str,
    )
    traffic.rebuild_traffic()
    assert rows == sorted(
        ContentTouchDay.objects.values_list("day", "content_id", "contact_id", "touches", "shares"),
        key=str,
    )
