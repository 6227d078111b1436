"""Read endpoints of the system of record: contacts, deals, campaigns, touchpoints.

Accounts are served by :mod:`smarketing.abm.api` (the same fields plus tier, scores, stage and
buying-committee coverage).
"""

from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from smarketing.crm.models import Campaign, Contact, Deal, Touchpoint
from smarketing.crm.schemas import (
    CampaignFilter,
    CampaignOut,
    ContactFilter,
    ContactOut,
    DealFilter,
    DealOut,
    TouchpointFilter,
    TouchpointOut,
)

router = Router(tags=["crm"])


@router.get("/contacts", response=list[ContactOut])
@paginate(LimitOffsetPagination)
def list_contacts(request, filters: Query[ContactFilter]):
    """Contacts, newest first; filter by stage, owner, account, persona, channel, email, dates."""
    return filters.filter(Contact.objects.order_by("-created_at", "-id"))


@router.get("/contacts/{contact_id}", response=ContactOut)
def get_contact(request, contact_id: int):
    return get_object_or_404(Contact, pk=contact_id)


@router.get("/deals", response=list[DealOut])
@paginate(LimitOffsetPagination)
def list_deals(request, filters: Query[DealFilter]):
    """Deals, newest first; filter by stage, owner, account, open/closed, won."""
    return filters.filter(Deal.objects.order_by("-created_at", "-id"))


@router.get("/deals/{deal_id}", response=DealOut)
def get_deal(request, deal_id: int):
    return get_object_or_404(Deal, pk=deal_id)


@router.get("/campaigns", response=list[CampaignOut])
@paginate(LimitOffsetPagination)
def list_campaigns(request, filters: Query[CampaignFilter]):
    """Campaigns, latest start first; filter by channel or search by name / UTM key."""
    return filters.filter(Campaign.objects.order_by("-start_date", "id"))


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request, campaign_id: int):
    return get_object_or_404(Campaign, pk=campaign_id)


@router.get("/touchpoints", response=list[TouchpointOut])
@paginate(LimitOffsetPagination)
def list_touchpoints(request, filters: Query[TouchpointFilter]):
    """Touchpoints, latest first; filter by contact, account, kind, team, channel, campaign, time."""
    return filters.filter(Touchpoint.objects.order_by("-occurred_at", "-id"))
