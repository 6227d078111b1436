"""Writes to the system of record. Each ``do_*`` validates fully, then writes atomically.

The caller owns the transaction boundary for multi-step work; every function here is itself
wrapped in ``transaction.atomic`` so a failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from smarketing.crm.choices import SALES_TOUCH_KINDS, DealStage, TouchKind
from smarketing.crm.models import Account, Contact, Deal, DealStageChange, Touchpoint
from smarketing.crm.normalize import InvalidValue, normalize_domain, normalize_email

CONTACT_FIELDS = {
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "phone",
    "country",
    "account",
    "persona",
    "owner",
    "lifecycle_stage",
    "status",
    "original_source",
    "original_channel",
    "original_campaign",
    "email_consent",
    "do_not_contact",
    "created_at",
}


def _reject_unknown(fields: dict, allowed: set[str], what: str) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError({f: f"unknown {what} field {f!r}" for f in unknown})


@transaction.atomic
def do_create_account(*, name: str, domain: str | None = None, **fields) -> Account:
    """Create an account; the domain is normalised and must be unique."""
    if not name or not name.strip():
        raise ValidationError({"name": "an account needs a name"})
    try:
        domain = normalize_domain(domain)
    except InvalidValue as exc:
        raise ValidationError({"domain": str(exc)}) from None
    if domain and Account.objects.filter(domain=domain).exists():
        raise ValidationError({"domain": f"an account with domain {domain} already exists"})
    account = Account(name=name.strip(), domain=domain, **fields)
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def do_create_contact(*, email: str | None = None, **fields) -> Contact:
    """Create a contact. Emails are normalised; one differing only in case or spaces is a duplicate.

    The first lifecycle stage is logged by the funnel layer, not here (crm knows no funnel).
    """
    _reject_unknown(fields, CONTACT_FIELDS, "contact")
    try:
        email = normalize_email(email)
    except InvalidValue as exc:
        raise ValidationError({"email": str(exc)}) from None
    contact = Contact(email=email, **fields)
    contact.full_clean()
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise ValidationError({"email": f"a contact with email {email} already exists"}) from None
    return contact


@transaction.atomic
def do_update_contact(*, contact: Contact, **fields) -> Contact:
    """Update a contact's fields (not its lifecycle stage: use the funnel actions for that)."""
    _reject_unknown(fields, CONTACT_FIELDS - {"lifecycle_stage"}, "contact")
    if "email" in fields:
        try:
            fields["email"] = normalize_email(fields["email"])
        except InvalidValue as exc:
            raise ValidationError({"email": str(exc)}) from None
    for key, value in fields.items():
        setattr(contact, key, value)
    contact.full_clean()
    contact.save()
    return contact


def parse_amount(value) -> Decimal:
    """Parse a money amount into a non-negative ``Decimal`` or raise ``ValidationError``."""
    try:
        amount = Decimal(str(value).replace(",", "")) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        raise ValidationError({"amount": f"{value!r} is not a number"}) from None
    if amount < 0:
        raise ValidationError({"amount": f"amount must not be negative (got {amount})"})
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def do_create_deal(
    *, name: str, amount=0, stage: str = DealStage.QUALIFICATION, by=None, **fields
) -> Deal:
    """Open a deal and log its first pipeline stage."""
    if stage not in DealStage.values:
        raise ValidationError({"stage": f"unknown deal stage {stage!r}"})
    deal = Deal(name=name, amount=parse_amount(amount), stage=stage, **fields)
    deal.is_closed = stage in ("closed_won", "closed_lost")
    deal.is_won = stage == "closed_won"
    deal.full_clean()
    deal.save()
    DealStageChange.objects.create(
        deal=deal, from_stage="", to_stage=stage, changed_at=deal.created_at, changed_by=by
    )
    if deal.primary_contact_id:
        deal.contacts.add(deal.primary_contact_id)
    return deal


@transaction.atomic
def do_move_deal(
    *, deal: Deal, stage: str, at: dt.datetime | None = None, by=None, loss_reason: str = ""
) -> Deal:
    """Move a deal to another pipeline stage; closing it sets won/lost and the close time."""
    if stage not in DealStage.values:
        raise ValidationError({"stage": f"unknown deal stage {stage!r}"})
    if deal.is_closed:
        raise ValidationError({"stage": f"deal {deal.pk} is already closed ({deal.stage})"})
    if stage == deal.stage:
        raise ValidationError({"stage": f"deal is already in stage {stage}"})
    if stage == DealStage.CLOSED_LOST and not loss_reason:
        raise ValidationError({"loss_reason": "a lost deal needs a loss reason"})
    at = at or timezone.now()
    DealStageChange.objects.create(
        deal=deal, from_stage=deal.stage, to_stage=stage, changed_at=at, changed_by=by
    )
    deal.stage = stage
    if stage in ("closed_won", "closed_lost"):
        deal.is_closed = True
        deal.is_won = stage == "closed_won"
        deal.closed_at = at
        deal.close_date = at.date()
        deal.loss_reason = loss_reason
    deal.save()
    return deal


@transaction.atomic
def do_record_touchpoint(
    *, kind: str, occurred_at: dt.datetime, **fields
) -> tuple[Touchpoint, bool]:
    """Record one touchpoint; returns ``(touchpoint, created)``.

    A repeated ``external_id`` returns the existing row untouched (idempotent retries).
    """
    if kind not in TouchKind.values:
        raise ValidationError({"kind": f"unknown touchpoint kind {kind!r}"})
    if occurred_at is None or timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "occurred_at must be a timezone-aware datetime"})
    external_id = fields.get("external_id")
    if external_id:
        existing = Touchpoint.objects.filter(external_id=external_id).first()
        if existing:
            return existing, False
    fields.setdefault("team", "sales" if kind in SALES_TOUCH_KINDS else "marketing")
    contact = fields.get("contact")
    if contact is not None and not fields.get("account"):
        fields["account_id"] = contact.account_id
    touch = Touchpoint(kind=kind, occurred_at=occurred_at, **fields)
    if not (touch.contact_id or touch.anonymous_id or touch.account_id):
        raise ValidationError(
            {"contact": "a touchpoint needs a contact, an anonymous id or an account"}
        )
    touch.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            touch.save()
    except IntegrityError:
        if external_id:
            return Touchpoint.objects.get(external_id=external_id), False
        raise
    return touch, True
