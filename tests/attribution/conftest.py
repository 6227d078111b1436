"""A tiny hand-built company whose attribution can be computed by hand.

Day 0 = 2025-03-01 UTC. Account "Acme" has Alice and Bob; Carol has no account.

* Alice: Paid Search ad click (campaign "Search Q1", day 1), stage change into lead (day 2),
  Email click (subject "Hello", day 3), Sales call (day 5); deal "Acme A" created day 6
  (900), won day 10.
* Bob: created day 0 as a lead (no stage change: lead time = created_at, no touch before it),
  Organic Search page view (day 2), Sales meeting (day 4); deal "Acme B" created day 7 (300).
* Carol: a subscriber (never a lead), one Direct page view (day 1), no deal.
* Campaign "Search Q1" (channel Paid Search) cost 600.

Opportunities, contact journeys: Alice's path = Paid Search > Email > Sales outreach (900),
Bob's = Organic Search > Sales meeting (300).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

DAY0 = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return DAY0 + dt.timedelta(days=n)


@pytest.fixture
def journeys(db):
    from smarketing.crm import actions
    from smarketing.crm.models import Campaign, CampaignCost
    from smarketing.funnel.models import StageChange

    acme = actions.do_create_account(name="Acme", domain="acme.test")
    search = Campaign.objects.create(name="Search Q1", channel="Paid Search")
    CampaignCost.objects.create(
        campaign=search,
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 30),
        amount=Decimal("600"),
    )
    alice = actions.do_create_contact(email="alice@acme.test", account=acme, created_at=day(0.5))
    bob = actions.do_create_contact(email="bob@acme.test", account=acme, created_at=day(0))
    carol = actions.do_create_contact(
        email="carol@solo.test", lifecycle_stage="subscriber", created_at=day(0)
    )
    StageChange.objects.create(contact=alice, from_stage="", to_stage="lead", changed_at=day(2))

    def touch(contact, n, kind, channel, **fields):
        actions.do_record_touchpoint(
            kind=kind, occurred_at=day(n), contact=contact, channel=channel, **fields
        )

    touch(alice, 1, "ad_click", "Paid Search", campaign=search, keyword="attribution")
    touch(alice, 3, "email_click", "Email", email_subject="Hello")
    touch(alice, 5, "sales_call", "Sales outreach")
    touch(bob, 2, "page_view", "Organic Search")
    touch(bob, 4, "meeting", "Sales meeting")
    touch(carol, 1, "page_view", "Direct")
    deal_a = actions.do_create_deal(
        name="Acme A", amount=900, account=acme, primary_contact=alice, created_at=day(6)
    )
    actions.do_move_deal(deal=deal_a, stage="closed_won", at=day(10))
    actions.do_create_deal(
        name="Acme B", amount=300, account=acme, primary_contact=bob, created_at=day(7)
    )
    return {"acme": acme, "alice": alice, "bob": bob, "carol": carol, "search": search}


@pytest.fixture
def built(journeys):
    """The hand-built company with its stored path set built (what the demo and imports do)."""
    from django.core.cache import cache

    from smarketing.attribution import pathset, stored

    pathset.rebuild()
    stored.clear()
    cache.clear()
    return journeys
