"""ABM endpoints: accounts with tier, fit and engagement scores, stage and committee coverage;
an account's timeline; tier writes. (The account list lives here, above crm, so it can carry
what ABM knows about each account.)"""

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, FilterLookup, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from smarketing.abm import actions, selectors
from smarketing.abm.models import AccountStage
from smarketing.crm.models import Account
from smarketing.crm.schemas import AccountFilter, AccountOut

router = Router(tags=["abm"])


class AbmAccountOut(AccountOut):
    """An account as the system of record holds it, plus its ABM state."""

    fit_score: float | None = None
    engagement_score: float | None = None
    engagement: str = ""
    account_stage: str = ""
    account_stage_label: str = ""
    committee: dict[str, str] = Field(
        default_factory=dict, description="persona -> known / engaged / missing"
    )


class AbmAccountFilter(AccountFilter):
    target: Annotated[bool | None, FilterLookup("is_target")] = None
    tier: Annotated[int | None, Field(ge=1, le=3)] = None
    account_stage: Annotated[str | None, FilterLookup("abm__stage")] = None


def _out(accounts) -> list[dict]:
    accounts = list(accounts)
    cover = selectors.coverage_for([a.pk for a in accounts])
    labels = dict(AccountStage.choices)
    rows = []
    for a in accounts:
        profile = getattr(a, "abm", None) if hasattr(a, "abm") else None
        data = AccountOut.model_validate(a).model_dump()
        data.update(
            fit_score=profile.fit if profile else None,
            engagement_score=profile.engagement if profile else None,
            engagement=profile.engagement_words if profile else "",
            account_stage=profile.stage if profile else "",
            account_stage_label=labels.get(profile.stage, "") if profile else "",
            committee=cover[a.pk].status(),
        )
        rows.append(data)
    return rows


def _with_profile(qs):
    return qs.select_related("abm")


@router.get("/accounts", response=list[AbmAccountOut])
@paginate(LimitOffsetPagination)
def list_accounts(request, filters: Query[AbmAccountFilter]):
    """Accounts by name; filter by target flag (``target`` or ``is_target``), ``tier``,
    ``account_stage``, domain, industry, country, owner, search."""
    qs = filters.filter(_with_profile(Account.objects.order_by("name", "id")))
    return _LazyRows(qs)


class _LazyRows:
    """A queryset whose page is turned into ABM rows only when sliced (one batch per page)."""

    def __init__(self, qs):
        self.qs = qs

    def __len__(self):
        return self.qs.count()

    def count(self):
        return self.qs.count()

    def __getitem__(self, item):
        return _out(self.qs[item])


@router.get("/accounts/{account_id}", response=AbmAccountOut)
def get_account(request, account_id: int):
    account = get_object_or_404(_with_profile(Account.objects), pk=account_id)
    return _out([account])[0]


class TimelineOut(Schema):
    at: dt.datetime
    what: str
    title: str
    detail: str
    team: str
    contact_id: int | None
    contact: str


@router.get("/accounts/{account_id}/timeline", response=list[TimelineOut])
def account_timeline(
    request, account_id: int, contact_id: int | None = None, kind: str = "", limit: int = 300
):
    """Every touch of every contact of the account (both teams), with stage changes and deals
    inline, newest first; filter by ``contact_id`` and touch ``kind``."""
    account = get_object_or_404(Account, pk=account_id)
    return [vars(i) for i in selectors.timeline(account, contact_id=contact_id, kind=kind,
                                                limit=max(1, min(limit, 1000)))]  # fmt: skip


class TierIn(Schema):
    account_ids: list[int] = Field(..., min_length=1, max_length=10000)
    tier: Annotated[int | None, Field(None, ge=1, le=3)] = None
    target: bool = True
    list_name: str = Field("", max_length=200)


class TierOut(Schema):
    updated: int


@router.post("/abm/tiers", response={200: TierOut, 403: dict, 422: dict})
def set_tiers(request, body: TierIn):
    """Tier accounts (and put them on or off the target list, optionally a named list).
    Managers and admins only."""
    from smarketing.abm.views import can_manage

    if not can_manage(request.user):
        return 403, {"detail": "only managers and admins tier target accounts"}
    try:
        n = actions.do_set_tier(accounts=body.account_ids, tier=body.tier, target=body.target,
                                list_name=body.list_name, by=request.user)  # fmt: skip
    except ValidationError as exc:
        return 422, {"detail": exc.messages}
    return 200, {"updated": n}
