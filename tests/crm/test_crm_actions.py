"""Bad input at the action layer: clear messages, nothing half-written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from smarketing.crm.actions import (
    do_create_account,
    do_create_contact,
    do_create_deal,
    do_move_deal,
    do_record_touchpoint,
)
from smarketing.crm.models import Contact, Deal, DealStageChange, Touchpoint
from smarketing.crm.normalize import InvalidValue, normalize_domain, normalize_email

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Jane@Example.COM ", "jane@example.com"),
        ("mailto:a.b@c.io", "a.b@c.io"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["jane", "jane@", "@x.io", "a b@x.io", "a@b", "a@@b.io"])
def test_invalid_emails_are_rejected(raw):
    with pytest.raises(InvalidValue, match="invalid email"):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.io", "acme.io"),
        ("sales@acme.io", "acme.io"),
        ("münchen.de", "xn--mnchen-3ya.de"),
    ],
)
def test_normalize_domain(raw, expected):
    assert normalize_domain(raw) == expected


def test_invalid_email_names_the_field_and_writes_nothing():
    with pytest.raises(ValidationError) as exc:
        do_create_contact(email="not-an-email", first_name="X")
    assert "email" in exc.value.message_dict
    assert Contact.objects.count() == 0


def test_duplicate_email_differing_in_case_and_space_is_rejected():
    do_create_contact(email="jane@example.com")
    with pytest.raises(ValidationError, match="already exists"):
        do_create_contact(email="  JANE@Example.com ")
    assert Contact.objects.count() == 1


def test_unknown_stage_and_unknown_field_are_rejected():
    with pytest.raises(ValidationError, match="lifecycle_stage"):
        do_create_contact(email="a@b.io", lifecycle_stage="hot")
    with pytest.raises(ValidationError, match="unknown contact field 'favourite_colour'"):
        do_create_contact(email="a@b.io", favourite_colour="red")
    assert Contact.objects.count() == 0


def test_account_domain_is_normalised_and_unique():
    acc = do_create_account(name="Acme", domain="https://www.ACME.com/")
    assert acc.domain == "acme.com"
    with pytest.raises(ValidationError, match="already exists"):
        do_create_account(name="Acme Inc", domain="acme.com")


def test_negative_deal_amount_is_rejected_and_nothing_written():
    with pytest.raises(ValidationError, match="must not be negative"):
        do_create_deal(name="Big one", amount="-5")
    assert Deal.objects.count() == 0 and DealStageChange.objects.count() == 0


def test_deal_lifecycle_logs_every_stage_and_closes():
    deal = do_create_deal(name="Acme", amount="1,200.50", created_at=T0)
    assert deal.amount == Decimal("1200.50")
    do_move_deal(deal=deal, stage="proposal", at=T0 + dt.timedelta(days=3))
    with pytest.raises(ValidationError, match="loss reason"):
        do_move_deal(deal=deal, stage="closed_lost")
    do_move_deal(deal=deal, stage="closed_won", at=T0 + dt.timedelta(days=9))
    deal.refresh_from_db()
    assert deal.is_closed and deal.is_won and deal.close_date == dt.date(2026, 3, 11)
    assert [c.to_stage for c in deal.stage_history.all()] == [
        "qualification",
        "proposal",
        "closed_won",
    ]
    with pytest.raises(ValidationError, match="already closed"):
        do_move_deal(deal=deal, stage="negotiation")


def test_touchpoint_external_id_makes_retries_idempotent():
    contact = do_create_contact(email="a@b.io")
    first, created = do_record_touchpoint(
        kind="webinar", occurred_at=T0, contact=contact, external_id="zoom-1"
    )
    again, created_again = do_record_touchpoint(
        kind="webinar", occurred_at=T0, contact=contact, external_id="zoom-1"
    )
    assert created and not created_again and first.pk == again.pk
    assert Touchpoint.objects.count() == 1


def test_touchpoint_validation():
    with pytest.raises(ValidationError, match="unknown touchpoint kind"):
        do_record_touchpoint(kind="telepathy", occurred_at=T0, anonymous_id="v1")
    with pytest.raises(ValidationError, match="timezone-aware"):
        do_record_touchpoint(
            kind="page_view", occurred_at=dt.datetime(2026, 1, 1), anonymous_id="v1"
        )
    with pytest.raises(ValidationError, match="needs a contact"):
        do_record_touchpoint(kind="page_view", occurred_at=T0)
    sales, _ = do_record_touchpoint(
        kind="sales_call", occurred_at=T0, anonymous_id="v1", outcome="voicemail"
    )
    assert sales.team == "sales"
