"""Shared fixtures of the reporting tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smarketing.crm.models import Campaign, CampaignCost, Contact, Deal
from smarketing.funnel.models import LeadReview, StageChange

UTC = dt.UTC


@pytest.fixture
def tiny():
    """Hand-built January 2026: 3 leads (2 paid via one campaign), 1 won deal of 1,000."""
    camp = Campaign.objects.create(name="Ads", channel="paid", source="google")
    CampaignCost.objects.create(
        campaign=camp,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        amount=Decimal("310"),
    )
    day = lambda d: dt.datetime(2026, 1, d, 12, tzinfo=UTC)  # noqa: E731
    people = []
    for i, (channel, path) in enumerate(
        [
            ("paid", ["lead", "mql", "sql", "opportunity", "customer"]),
            ("paid", ["lead", "mql"]),
            ("organic", ["lead"]),
        ]
    ):
        c = Contact.objects.create(
            email=f"t{i}@x.test",
            original_channel=channel,
            created_at=day(2),
            original_campaign=camp if channel == "paid" else None,
            lifecycle_stage=path[-1],
        )
        for k, stage in enumerate(path):
            StageChange.objects.create(contact=c, to_stage=stage, changed_at=day(2 + 3 * k))
        people.append(c)
    Deal.objects.create(
        name="Won",
        primary_contact=people[0],
        amount=Decimal("1000"),
        is_closed=True,
        is_won=True,
        stage="closed_won",
        created_at=day(10),
        closed_at=day(14),
    )
    LeadReview.objects.create(
        contact=people[1], decision="reject", reason_code="no_budget", quality_rating=2, at=day(6)
    )
    return people
