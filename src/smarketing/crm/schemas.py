"""API schemas of the CRM records (separate from the models: the API is a contract)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import FilterLookup, FilterSchema, Schema
from pydantic import field_validator

from smarketing.crm.normalize import InvalidValue, normalize_email


class AccountOut(Schema):
    id: int
    name: str
    domain: str | None
    industry: str
    employees: int | None
    country: str
    region: str
    segment: str
    tier: int | None
    is_target: bool
    owner_id: int | None
    created_at: dt.datetime


class ContactOut(Schema):
    id: int
    email: str | None
    first_name: str
    last_name: str
    title: str
    seniority: str
    phone: str
    country: str
    account_id: int | None
    persona_id: int | None
    owner_id: int | None
    lifecycle_stage: str
    stage_changed_at: dt.datetime | None
    status: str
    original_source: str
    original_channel: str
    original_campaign_id: int | None
    email_consent: bool
    do_not_contact: bool
    created_at: dt.datetime


class DealOut(Schema):
    id: int
    name: str
    account_id: int | None
    primary_contact_id: int | None
    owner_id: int | None
    amount: Decimal
    currency: str
    stage: str
    created_at: dt.datetime
    close_date: dt.date | None
    closed_at: dt.datetime | None
    is_closed: bool
    is_won: bool
    loss_reason: str


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    source: str
    medium: str
    utm_campaign: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    owner_id: int | None
    parent_id: int | None
    cost_per_day: Decimal | None


class TouchpointOut(Schema):
    id: int
    occurred_at: dt.datetime
    contact_id: int | None
    anonymous_id: str
    account_id: int | None
    kind: str
    team: str
    user_id: int | None
    channel: str
    source: str
    medium: str
    campaign_id: int | None
    content_id: int | None
    keyword: str
    email_subject: str
    url: str
    outcome: str
    properties: dict
    external_id: str | None


class ContactFilter(FilterSchema):
    lifecycle_stage: str | None = None
    owner_id: int | None = None
    account_id: int | None = None
    persona_id: int | None = None
    original_channel: str | None = None
    email: Annotated[str | None, FilterLookup("email__iexact")] = None
    search: Annotated[
        str | None,
        FilterLookup(["email__icontains", "first_name__icontains", "last_name__icontains"]),
    ] = None
    created_after: Annotated[dt.datetime | None, FilterLookup("created_at__gte")] = None
    created_before: Annotated[dt.datetime | None, FilterLookup("created_at__lt")] = None

    @field_validator("email")
    @classmethod
    def _canonical_email(cls, value: str | None) -> str | None:
        """Match the stored canonical form: ``Zoë@Bäckerei.de`` finds ``zoë@xn--bckerei-5wa.de``."""
        try:
            return normalize_email(value)
        except InvalidValue as exc:
            raise ValueError(str(exc)) from None


class AccountFilter(FilterSchema):
    domain: str | None = None
    industry: str | None = None
    country: str | None = None
    is_target: bool | None = None
    owner_id: int | None = None
    search: Annotated[str | None, FilterLookup(["name__icontains", "domain__icontains"])] = None


class DealFilter(FilterSchema):
    stage: str | None = None
    owner_id: int | None = None
    account_id: int | None = None
    is_closed: bool | None = None
    is_won: bool | None = None
    created_after: Annotated[dt.datetime | None, FilterLookup("created_at__gte")] = None
    created_before: Annotated[dt.datetime | None, FilterLookup("created_at__lt")] = None


class CampaignFilter(FilterSchema):
    channel: str | None = None
    search: Annotated[str | None, FilterLookup(["name__icontains", "utm_campaign__icontains"])] = (
        None
    )


class TouchpointFilter(FilterSchema):
    contact_id: int | None = None
    account_id: int | None = None
    kind: str | None = None
    team: str | None = None
    channel: str | None = None
    campaign_id: int | None = None
    anonymous_id: str | None = None
    after: Annotated[dt.datetime | None, FilterLookup("occurred_at__gte")] = None
    before: Annotated[dt.datetime | None, FilterLookup("occurred_at__lt")] = None
