"""API schemas of the CRM records (separate from the models: the API is a contract)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema
from pydantic import field_validator

from smarketing.crm.normalize import InvalidValue, normalize_email

CUSTOM_HELP = "Columns of an imported export that no field took (header -> value)."


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
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_HELP)


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
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_HELP)


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
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_HELP)


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
    referrer: str
    outcome: str
    properties: dict
    external_id: str | None


def custom_q(value: str | None) -> Q:
    """``Header:value`` → records whose custom field ``Header`` is ``value``; ``Header`` alone →
    records that have the field (case of the header as exported)."""
    if not value:
        return Q()
    key, sep, wanted = value.partition(":")
    key = key.strip()
    if not key or "__" in key:
        raise ValueError(f"custom filter {value!r}: expected 'Header:value' or 'Header'")
    if not sep:
        return Q(custom__has_key=key)
    return Q(**{f"custom__{key}": wanted.strip()})


class CustomFilterMixin(FilterSchema):
    """``?custom=Favorite Content Topics:pricing`` on the lists of records with custom fields."""

    custom: str | None = Field(None, description="Header:value, or Header (has the field).")

    @field_validator("custom")
    @classmethod
    def _valid_custom(cls, value: str | None) -> str | None:
        custom_q(value)  # a malformed filter is a 422 naming it, not a 500
        return value

    def filter_custom(self, value: str | None) -> Q:
        return custom_q(value)


class ContactFilter(CustomFilterMixin):
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


class AccountFilter(CustomFilterMixin):
    domain: str | None = None
    industry: str | None = None
    country: str | None = None
    is_target: bool | None = None
    owner_id: int | None = None
    search: Annotated[str | None, FilterLookup(["name__icontains", "domain__icontains"])] = None


class DealFilter(CustomFilterMixin):
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
    imported: bool | None = Field(
        None, description="true: only history an import carried over; false: only live touches."
    )
    after: Annotated[dt.datetime | None, FilterLookup("occurred_at__gte")] = None
    before: Annotated[dt.datetime | None, FilterLookup("occurred_at__lt")] = None

    def filter_imported(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        return ~Q(imported_from="") if value else Q(imported_from="")
