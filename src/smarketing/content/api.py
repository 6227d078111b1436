"""The content API: search, one asset with its text, tracked shares, recommendations, gaps."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from smarketing.config.auth import write_auth
from smarketing.content import actions, selectors
from smarketing.content.kinds import KIND_LABELS
from smarketing.content.models import AssetProfile
from smarketing.content.recommend import content_gaps, recommend_for_contact
from smarketing.crm.choices import LifecycleStage
from smarketing.crm.models import Contact, ContentAsset

router = Router(tags=["content"])


class AssetOut(Schema):
    id: int
    title: str
    kind: str
    url: str
    personas: list[str]
    stages: list[str]
    topics: list[str]
    score: float | None = None
    snippet: str | None = None
    views: int = 0
    shares: int = 0


class AssetDetailOut(AssetOut):
    body: str
    industries: list[str] = []
    review_at: dt.date | None = None
    versions: int = 0


class SearchOut(Schema):
    count: int
    count_capped: bool = False
    corrected: str | None = None
    results: list[AssetOut]


class SearchParams(Schema):
    q: str = ""
    persona: int | None = None
    stage: str = ""
    topic: str = ""
    kind: str = ""
    limit: int = 20
    offset: int = 0


def _out(asset, request) -> dict:
    return {
        "id": asset.pk,
        "title": asset.title,
        "kind": asset.kind,
        "url": request.build_absolute_uri(reverse("content:asset", args=[asset.pk])),
        "personas": [p.slug for p in asset.personas.all()],
        "stages": asset.stages or [],
        "topics": asset.topics or [],
        "score": getattr(asset, "score", None),
        "snippet": str(asset.snippet) if getattr(asset, "snippet", None) else None,
        "views": getattr(asset, "views", 0),
        "shares": getattr(asset, "shares", 0),
    }


@router.get("/content/assets", response=SearchOut)
def search(request, params: Query[SearchParams]):
    """Ranked search (``q``) with filters; each result has a ``score`` and a highlighted
    ``snippet`` (HTML, with only ``<mark>`` tags, the text escaped)."""
    if params.stage and params.stage not in LifecycleStage.values:
        raise HttpError(422, f"unknown stage {params.stage!r}")
    if params.kind and params.kind not in KIND_LABELS:
        raise HttpError(422, f"unknown kind {params.kind!r}")
    if not 1 <= params.limit <= 100 or params.offset < 0:
        raise HttpError(422, "limit must be 1–100 and offset not negative")
    assets, result = selectors.search_assets(
        q=params.q[:200],
        persona_id=params.persona,
        stage=params.stage,
        topic=params.topic,
        kind=params.kind,
        limit=params.limit,
        offset=params.offset,
    )
    return {
        "count": result.total,
        "count_capped": result.capped,
        "corrected": result.corrected,
        "results": [_out(a, request) for a in assets],
    }


@router.get("/content/assets/{asset_id}", response=AssetDetailOut)
def asset(request, asset_id: int):
    """One asset with its extracted text as ``body``."""
    obj = get_object_or_404(ContentAsset.objects.prefetch_related("personas"), pk=asset_id)
    counts = selectors.use_counts([obj.pk])[obj.pk]
    obj.views, obj.shares = counts["views"], counts["shares"]
    profile = AssetProfile.objects.filter(asset=obj).first()
    return {
        **_out(obj, request),
        "body": obj.body or "",
        "industries": profile.industries if profile else [],
        "review_at": profile.review_at if profile else None,
        "versions": obj.versions.count(),
    }


class ShareIn(Schema):
    contact_id: int
    expires_in_days: int | None = None
    require_email: bool = False


class ShareOut(Schema):
    url: str
    expires_at: dt.datetime | None


@router.post("/content/assets/{asset_id}/shares", response={201: ShareOut}, auth=write_auth())
def share(request, asset_id: int, payload: ShareIn):
    """Make a tracked link of the asset for one contact (not for do-not-contact people)."""
    obj = get_object_or_404(ContentAsset, pk=asset_id)
    contact = Contact.objects.filter(pk=payload.contact_id).first()
    if contact is None:
        raise HttpError(422, f"no contact with id {payload.contact_id}")
    days = payload.expires_in_days
    if days is not None and not 1 <= days <= 365:
        raise HttpError(422, "expires_in_days must be 1–365")
    user = request.user
    try:
        link = actions.do_share(
            asset=obj,
            contact=contact,
            by=user,
            expires_at=(dt.datetime.now(dt.UTC) + dt.timedelta(days=days)) if days else None,
            require_email=payload.require_email,
        )
    except ValidationError as exc:
        raise HttpError(422, "; ".join(m for ms in exc.message_dict.values() for m in ms)) from None
    url = request.build_absolute_uri(reverse("content:public", args=[link.token]))
    return Status(201, {"url": url, "expires_at": link.expires_at})


class RecommendationOut(Schema):
    asset_id: int
    title: str
    kind: str
    score: float
    reason: str
    won_deals: int


@router.get("/content/recommendations", response=list[RecommendationOut])
def recommendations(request, contact_id: int, limit: int = 5):
    """Assets to send this contact next, with the reason in words."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise HttpError(404, f"no contact with id {contact_id}")
    recs = recommend_for_contact(contact, limit=max(1, min(limit, 20)))
    return [
        {
            "asset_id": r.asset.pk,
            "title": r.asset.title,
            "kind": r.asset.kind,
            "score": r.score,
            "reason": r.reason,
            "won_deals": r.won_deals,
        }
        for r in recs
    ]


class GapOut(Schema):
    text: str
    kind: str
    count: int
    pipeline: float
    personas: list[str]
    stages: list[str]
    examples: list[str]
    insight_ids: list[int]
    best_asset_id: int | None
    coverage: float


@router.get("/content/gaps", response=list[GapOut])
def gaps(request):
    """Questions and pain points sales heard that no asset answers, most heard first."""
    return [
        {
            "text": g.text,
            "kind": g.kind,
            "count": g.count,
            "pipeline": float(g.pipeline),
            "personas": g.personas,
            "stages": g.stages,
            "examples": g.examples,
            "insight_ids": g.insight_ids,
            "best_asset_id": g.best_asset.pk if g.best_asset else None,
            "coverage": round(g.coverage, 2),
        }
        for g in content_gaps()
    ]
