"""The stored path set: the same credits as the engine on the raw touches, kept current by
the write path and the worker, read by the page without writing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smarketing.attribution import pathset, selectors, stored
from smarketing.attribution.models import JourneyPath, PathKey

pytestmark = pytest.mark.django_db
DAY0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
CHANNELS = ["Paid Search", "Email", "Direct", "Organic Search", "Sales outreach", ""]
TEAMS = {"Sales outreach": "sales"}


@pytest.fixture
def company(db):
    """A random small company: 3 accounts, 30 contacts, ~300 touches at distinct times, lead
    stage changes, deals (opportunities, some won) with committees and one deal without any
    contact."""
    from smarketing.crm import actions
    from smarketing.crm.models import Campaign, ContentAsset, DealContact
    from smarketing.funnel.models import StageChange

    rng = random.Random(7)
    camps = [Campaign.objects.create(name=f"C{i}", channel=CHANNELS[i]) for i in range(3)]
    assets = [ContentAsset.objects.create(title=f"Asset {i}", kind="ebook") for i in range(3)]
    accounts = [actions.do_create_account(name=f"Acct {i}", domain=f"a{i}.test") for i in range(3)]
    people = []
    for i in range(30):
        account = accounts[i % 4] if i % 4 < 3 else None
        c = actions.do_create_contact(email=f"p{i}@x.test", account=account,
                                      created_at=DAY0 + dt.timedelta(days=rng.random() * 30))  # fmt: skip
        people.append(c)
        if rng.random() < 0.7:
            StageChange.objects.create(contact=c, to_stage="lead",
                                       changed_at=DAY0 + dt.timedelta(days=30 + rng.random() * 60))  # fmt: skip
    seconds = rng.sample(range(200 * 86_400), 300)
    for k, sec in enumerate(seconds):
        channel = rng.choice(CHANNELS)
        fields = {}
        if rng.random() < 0.4:
            fields["campaign"] = rng.choice(camps)
        if rng.random() < 0.3:
            fields["content"] = rng.choice(assets)
        actions.do_record_touchpoint(
            kind="sales_call" if channel == "Sales outreach" else "page_view",
            occurred_at=DAY0 + dt.timedelta(seconds=sec), contact=people[k % 30],
            channel=channel, team=TEAMS.get(channel, "marketing"), **fields,
        )  # fmt: skip
    for i in range(12):
        who = people[(i * 7) % 30]
        created = DAY0 + dt.timedelta(days=60 + rng.random() * 100)
        deal = actions.do_create_deal(
            name=f"D{i}", amount=100 * (i + 1), account=who.account,
            primary_contact=who if i % 3 else None, created_at=created,
        )  # fmt: skip
        if i % 3 == 0:  # no primary contact: the lowest committee member is the journey
            for other in (people[(i * 7 + 1) % 30], who):
                DealContact.objects.create(deal=deal, contact=other)
        if i % 2 == 0:
            actions.do_move_deal(deal=deal, stage="closed_won",
                                 at=created + dt.timedelta(days=5 + rng.random() * 20))  # fmt: skip
    actions.do_create_deal(name="Nobody", amount=50, created_at=DAY0 + dt.timedelta(days=90))
    return people


def _credits(result) -> dict:
    return {c.key: (c.conversions, c.value) for c in result.credits}


def _same(a, b) -> None:
    ca, cb = _credits(a), _credits(b)
    assert set(ca) == set(cb), (sorted(ca), sorted(cb))
    for key in ca:
        assert ca[key][0] == pytest.approx(cb[key][0], rel=1e-5, abs=1e-9), key
        assert ca[key][1] == pytest.approx(cb[key][1], rel=1e-5, abs=1e-6), key
    assert a.total_conversions == pytest.approx(b.total_conversions)
    assert a.total_value == pytest.approx(b.total_value)


CASES = [  # level, conversion, account level, period
    ("channel", "won", False, {}),
    ("campaign", "opportunity", True, {}),
    ("content", "lead", False, {"since": "2025-03-01", "until": "2025-05-31"}),
    ("team", "won", True, {"since": "2025-04-01"}),
    ("channel", "opportunity", False, {"until": "2025-06-15"}),
]


@pytest.mark.parametrize(("by", "conversion", "account_level", "period"), CASES)
def test_every_model_from_stored_paths_equals_the_engine_on_raw_touches(
    company, by, conversion, account_level, period
):
    pathset.rebuild()
    token = selectors.stored_token()
    models = [*selectors.COMPARED_MODELS, "custom"]
    for model in models:
        params = {"model": model, "by": by, "conversion": conversion,
                  "account_level": account_level, **period}  # fmt: skip
        if model == "custom":
            params["weights"] = "first=0.5,middle=0.2,last=0.3"
        if model == "markov":
            params["order"] = 2
        query = selectors.parse_query(params)
        _same(selectors._stored(token, query), selectors._live(query))


def test_catch_up_equals_a_rebuild_after_writes(company, django_capture_on_commit_callbacks):
    from smarketing.crm import actions
    from smarketing.crm.models import Contact, Deal, Touchpoint

    pathset.rebuild()
    assert not pathset.is_stale()
    people = company
    # new rows (found by id)
    actions.do_record_touchpoint(kind="page_view", occurred_at=DAY0 + dt.timedelta(days=150),
                                 contact=people[3], channel="Webinar")  # fmt: skip
    deal = Deal.objects.filter(is_won=False).exclude(primary_contact=None).first()
    actions.do_move_deal(deal=deal, stage="closed_won", at=DAY0 + dt.timedelta(days=170))
    assert pathset.is_stale()
    pathset.catch_up()
    assert not pathset.is_stale()
    # edits and deletes (marked on commit, caught up by the inline worker)
    with django_capture_on_commit_callbacks(execute=True):
        deal.primary_contact = people[5]
        deal.amount = Decimal("777")
        deal.save()
    with django_capture_on_commit_callbacks(execute=True):
        Touchpoint.objects.filter(contact=people[8]).first().delete()
    with django_capture_on_commit_callbacks(execute=True):
        moved = Contact.objects.get(pk=people[9].pk)  # loaded, as a view edits it
        moved.account = None
        moved.save()
    assert not pathset.is_stale()
    incremental = _rows()
    pathset.rebuild()
    rebuilt = _rows()
    assert [r for r in incremental if r not in rebuilt] == [r for r in rebuilt if r not in incremental]
    assert incremental == rebuilt


def _rows():
    names = {(k.level, str(k.code)): k.name for k in PathKey.objects.all()}
    return sorted(
        (r.conversion, r.account_level, r.level, r.journey, r.seq, round(r.at, 3), r.conv,
         r.value, r.nulls, r.owner_id, [names[(r.level, c)] for c in r.path.split(">") if c])
        for r in JourneyPath.objects.all()
    )  # fmt: skip


def _writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def test_first_view_without_paths_is_pending_and_never_writes(company, make_user, client):
    client.force_login(make_user("analyst"))
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/attribution/?model=markov")
        status = client.get("/attribution/status.json")
    assert r.status_code == 200 and b"Being computed" in r.content
    assert status.json()["ready"] is False
    assert _writes(ctx.captured_queries) == []
    r = client.get("/attribution/?model=linear&format=csv")
    assert r.status_code == 400 and b"being computed" in r.content
    pathset.rebuild()
    assert client.get("/attribution/status.json").json()["ready"] is True
    with CaptureQueriesContext(connection) as ctx:
        for model in ("markov", "shapley", "time_decay", "w_shaped"):
            r = client.get(f"/attribution/?model={model}&by=campaign")
            assert r.status_code == 200 and b'id="credit-table"' in r.content
    assert _writes(ctx.captured_queries) == []
    assert b"Paths as of" in r.content


def test_page_states_the_roi_period_and_uses_the_closed_loop_cost(company, make_user, client):
    from smarketing.crm.models import Campaign, CampaignCost

    CampaignCost.objects.create(campaign=Campaign.objects.get(name="C0"), amount=Decimal("310"),
                                period_start=dt.date(2025, 5, 1), period_end=dt.date(2025, 5, 31))  # fmt: skip
    pathset.rebuild()
    client.force_login(make_user("analyst"))
    r = client.get("/attribution/?model=linear&by=campaign&conversion=opportunity")
    assert b"ROI over <strong>all time</strong>" in r.content
    r = client.get("/attribution/?model=linear&by=campaign&conversion=opportunity"
                   "&since=2025-03-01&until=2025-08-31")  # fmt: skip
    assert b"ROI over <strong>2025-03-01 to 2025-08-31</strong>" in r.content
    # 10 of the 31 invoiced days, both ends inclusive (the closed-loop definition)
    since = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    costs = selectors.adapter.costs("campaign", since=since, until=since + dt.timedelta(days=10))
    assert costs == {"C0": pytest.approx(100.0)}


def test_comparison_reads_the_paths_once(company):
    pathset.rebuild()
    stored.clear()
    token = selectors.stored_token()
    query = selectors.parse_query({"model": "markov", "by": "channel", "conversion": "won"})
    with CaptureQueriesContext(connection) as ctx:
        stored.compare(token, selectors.query_slice(query), models=selectors.COMPARED_MODELS,
                       by="channel")  # fmt: skip
    # the distinct paths, the timed rows, the key names: once for ten models
    assert len(ctx.captured_queries) <= 4, [q["sql"][:80] for q in ctx.captured_queries]
