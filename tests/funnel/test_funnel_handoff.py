"""The handoff: MQL rule, routing rules, accept / reject with reason, SAL -> customer."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from smarketing.crm.actions import do_create_account, do_create_contact, do_record_touchpoint
from smarketing.funnel.actions import (
    do_accept_lead,
    do_change_stage,
    do_log_attempt,
    do_open_opportunity,
    do_qualify_lead,
    do_qualify_sql,
    do_reject_lead,
    do_route_lead,
    do_win_deal,
    rejection_outcome,
)
from smarketing.funnel.models import LeadAssignment, LeadReview, MqlRule, StageChange
from smarketing.funnel.scores import LeadScores, register_score_provider

NOW = dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC)


@pytest.fixture
def reps(make_user):
    return {
        "us": make_user("usrep", team="Sales", territory="US,CA", capacity=10),
        "eu": make_user("eurep", team="Sales", territory="DE,GB", capacity=10),
        "big": make_user("bigrep", team="Sales", capacity=20),
    }


def mql(email, **fields):
    contact = do_create_contact(email=email, **fields)
    do_change_stage(contact=contact, to_stage="mql", at=NOW, rule="test")
    contact.refresh_from_db()
    return contact


@pytest.mark.django_db
def test_route_account_owner_first(reps):
    account = do_create_account(name="Acme", domain="acme.io", country="DE", owner=reps["us"])
    a = do_route_lead(contact=mql("a@acme.io", account=account), at=NOW)
    assert (a.owner, a.rule) == (reps["us"], "account_owner")
    assert a.contact.owner == reps["us"]


@pytest.mark.django_db
def test_route_territory_then_skips_out_of_office(reps):
    account = do_create_account(name="Bosch", domain="b.de", country="DE")
    a = do_route_lead(contact=mql("a@b.de", account=account), at=NOW)
    assert (a.owner, a.rule, a.detail) == (reps["eu"], "territory", "territory DE")
    # The account owner out of office: skipped, like an out-of-office territory rep.
    profile = reps["eu"].profile
    profile.out_of_office_from = NOW - dt.timedelta(days=1)
    profile.save()
    account.owner = reps["eu"]
    account.save()
    b = do_route_lead(contact=mql("b@b.de", account=account), at=NOW)
    assert b.rule == "round_robin" and b.owner != reps["eu"]


@pytest.mark.django_db
def test_round_robin_weighted_by_capacity(reps):
    got = [do_route_lead(contact=mql(f"x{i}@x.io", country="BR"), at=NOW).owner for i in range(8)]
    counts = {r.username: sum(1 for g in got if g == r) for r in reps.values()}
    # Capacities 10, 10, 20: the big rep takes half.
    assert counts == {"usrep": 2, "eurep": 2, "bigrep": 4}
    assert LeadAssignment.objects.filter(rule="round_robin").count() == 8


@pytest.mark.django_db
def test_queue_when_nobody_available(reps):
    for rep in reps.values():
        rep.profile.out_of_office_from = NOW - dt.timedelta(hours=1)
        rep.profile.out_of_office_until = NOW + dt.timedelta(days=3)
        rep.profile.save()
    a = do_route_lead(contact=mql("q@q.io", country="US"), at=NOW)
    assert (a.owner, a.rule) == (None, "queue")


@pytest.mark.django_db
def test_hand_raiser_qualifies_at_once_and_is_routed(reps):
    contact = do_create_contact(email="hr@x.io", country="US")
    verdict, assignment = do_qualify_lead(contact=contact, at=NOW)
    assert not verdict.qualified and assignment is None
    do_record_touchpoint(
        kind="form_submit", occurred_at=NOW, contact=contact, url="https://x.io/demo-request"
    )
    verdict, assignment = do_qualify_lead(contact=contact, at=NOW)
    assert verdict.qualified and verdict.priority == "hand_raiser"
    assert assignment.owner == reps["us"] and assignment.priority == "hand_raiser"
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"
    assert (
        StageChange.objects.filter(contact=contact, to_stage="mql")
        .get()
        .rule.startswith("hand-raiser")
    )


@pytest.mark.django_db
def test_score_thresholds_and_icp():
    MqlRule.objects.create(
        min_fit_score=50,
        min_engagement_score=20,
        high_priority_fit_score=80,
        icp_countries=["US"],
    )
    scores = {}
    register_score_provider(lambda ids: {i: scores[i] for i in ids if i in scores})
    try:
        c = do_create_contact(email="s@x.io", country="US")
        assert not do_qualify_lead(contact=c)[0].qualified  # no scores: not met
        scores[c.pk] = LeadScores(fit=60, engagement=10)
        assert "engagement score below 20" in do_qualify_lead(contact=c)[0].reason
        scores[c.pk] = LeadScores(fit=90, engagement=30)
        verdict, _ = do_qualify_lead(contact=c)
        assert verdict.qualified and verdict.priority == "high"
        other = do_create_contact(email="f@x.io", country="FR")
        scores[other.pk] = LeadScores(fit=90, engagement=30)
        assert do_qualify_lead(contact=other)[0].reason == "country outside the ICP"
    finally:
        register_score_provider(None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reason", "stage"),
    [
        ("bad_fit", "disqualified"),
        ("bad_data", "disqualified"),
        ("duplicate", "disqualified"),
        ("competitor", "disqualified"),
        ("no_budget", "recycled"),
        ("not_decision_maker", "recycled"),
        ("too_early", "recycled"),
        ("other", "recycled"),
    ],
)
def test_rejection_reason_decides_recycle_or_disqualify(reps, reason, stage):
    assert rejection_outcome(reason) == stage
    contact = mql("r@x.io")
    review = do_reject_lead(contact=contact, reason_code=reason, by=reps["us"], quality_rating=2)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == stage and review.reason_code == reason
    assert contact.status == ("unqualified" if stage == "disqualified" else "nurture")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason_code": ""}, "reason_code"),
        ({"reason_code": "meh"}, "reason_code"),
        ({"reason_code": "bad_fit", "quality_rating": 7}, "quality_rating"),
    ],
)
def test_bad_rejection_changes_nothing(reps, kwargs, field):
    contact = mql("n@x.io")
    before = StageChange.objects.count()
    with pytest.raises(ValidationError) as exc:
        do_reject_lead(contact=contact, by=reps["us"], **kwargs)
    assert field in exc.value.message_dict
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"
    assert StageChange.objects.count() == before and not LeadReview.objects.exists()


@pytest.mark.django_db
def test_invalid_handoff_transitions(reps):
    lead = do_create_contact(email="l@x.io")
    with pytest.raises(ValidationError, match="only an MQL can be accepted"):
        do_accept_lead(contact=lead, by=reps["us"])
    with pytest.raises(ValidationError, match="only a SAL can become an SQL"):
        do_qualify_sql(contact=lead)
    with pytest.raises(ValidationError, match="only a SAL or SQL"):
        do_open_opportunity(contact=lead)
    with pytest.raises(ValidationError, match="unknown attempt channel"):
        do_log_attempt(contact=lead, by=reps["us"], channel="pigeon")
    assert not LeadReview.objects.exists()


@pytest.mark.django_db
def test_full_handoff_to_customer(reps):
    account = do_create_account(name="Acme", domain="acme.io", country="US")
    contact = mql("a@acme.io", account=account)
    do_route_lead(contact=contact, at=NOW)
    touch = do_log_attempt(contact=contact, by=reps["us"], channel="linkedin", outcome="replied")
    assert (touch.kind, touch.team, touch.channel) == ("sales_social", "sales", "Sales outreach")
    do_accept_lead(contact=contact, by=reps["us"], quality_rating=4)
    contact.refresh_from_db()
    do_qualify_sql(contact=contact, by=reps["us"])
    contact.refresh_from_db()
    deal = do_open_opportunity(contact=contact, by=reps["us"], amount="12000")
    assert deal.account == account and deal.primary_contact == contact
    assert do_win_deal(deal=deal, by=reps["us"]) == [contact]
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"
    assert list(StageChange.objects.filter(contact=contact).values_list("to_stage", flat=True)) == [
        "mql",
        "sal",
        "sql",
        "opportunity",
        "customer",
    ]
