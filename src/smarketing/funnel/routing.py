"""Routing a new MQL to an owner: rules in priority order, every choice explained.

1. **account owner**: the account's owner, when active and not out of office;
2. **territory**: reps whose ``UserProfile.territory`` lists the contact's or account's country,
   the account's region or segment (several matches share by capacity, as in 3);
3. **round robin** within the sales pool weighted by capacity: the rep with the lowest
   ``recent assignments / capacity`` (last 7 days) gets the lead, ties to the lowest id, so a rep
   with twice the capacity takes twice the leads;
4. **queue**: nobody available; managers assign from the queue.

Out-of-office reps and reps with zero capacity are skipped everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count

from smarketing.core.models import Team, UserProfile
from smarketing.crm.models import Contact
from smarketing.funnel.models import LeadAssignment

#: Team kinds whose members take leads.
SALES_TEAM_KINDS = (Team.Kind.SALES, Team.Kind.SDR)
LOAD_WINDOW = dt.timedelta(days=7)


@dataclass(frozen=True)
class RouteDecision:
    """Who gets a lead and why (``owner`` is ``None`` for the queue)."""

    owner: object | None
    rule: str
    detail: str


def available(user, at: dt.datetime) -> bool:
    """True when ``user`` can take a new lead at ``at`` (active, capacity, not out of office)."""
    profile = getattr(user, "profile", None)
    if user is None or not user.is_active or profile is None:
        return False
    return profile.capacity > 0 and not profile.is_out_of_office(at)


def sales_pool(at: dt.datetime, *, exclude_ids=()) -> list:
    """Sales / SDR team members (not managers) who can take a lead now."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            profile__team__kind__in=SALES_TEAM_KINDS,
            profile__role=UserProfile.Role.MEMBER,
        )
        .exclude(pk__in=list(exclude_ids))
        .select_related("profile")
        .order_by("pk")
    )
    return [u for u in users if available(u, at)]


def pick_weighted(reps: list, at: dt.datetime):
    """Capacity-weighted round robin: lowest recent load per unit of capacity wins."""
    loads = dict(
        LeadAssignment.objects.filter(
            owner__in=reps, assigned_at__gte=at - LOAD_WINDOW, assigned_at__lte=at
        )
        .values_list("owner")
        .annotate(n=Count("id"))
        .order_by()
    )
    return min(reps, key=lambda r: (loads.get(r.pk, 0) / r.profile.capacity, r.pk))


def territory_keys(contact: Contact) -> set[str]:
    """Country, region and segment codes a rep's territory can match (upper case)."""
    keys = {contact.country}
    account = contact.account
    if account is not None:
        keys |= {account.country, account.region, account.segment}
    return {k.strip().upper() for k in keys if k and k.strip()}


def route(contact: Contact, *, at: dt.datetime, exclude_ids=()) -> RouteDecision:
    """Decide the owner of a new MQL (reads only)."""
    exclude = set(exclude_ids)
    account = contact.account
    owner = account.owner if account is not None else None
    if owner is not None and owner.pk not in exclude and available(owner, at):
        return RouteDecision(owner, LeadAssignment.Rule.ACCOUNT_OWNER, f"owner of {account}")
    pool = sales_pool(at, exclude_ids=exclude)
    keys = territory_keys(contact)
    local = [r for r in pool if keys & set(r.profile.territories)]
    if local:
        rep = pick_weighted(local, at)
        hit = sorted(keys & set(rep.profile.territories))
        return RouteDecision(rep, LeadAssignment.Rule.TERRITORY, "territory " + ", ".join(hit))
    if pool:
        rep = pick_weighted(pool, at)
        return RouteDecision(rep, LeadAssignment.Rule.ROUND_ROBIN, f"{len(pool)} reps in the pool")
    return RouteDecision(None, LeadAssignment.Rule.QUEUE, "no rep available")
