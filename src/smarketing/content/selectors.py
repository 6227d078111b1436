"""Reads of the content library: search, the asset page, review lists, usage and influence."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from smarketing.content.models import AssetProfile, LinkVisit, ShareLink
from smarketing.content.search import SearchResult, browse_ids, run_search, tag_key
from smarketing.crm.models import ContentAsset, Deal, DealContact, Touchpoint

USE_KINDS = ("content_view", "content_share")


def filter_tags(
    *, persona_id: int | None = None, stage: str = "", topic: str = "", kind: str = ""
) -> list[str]:
    """The ``SearchDocument.tags`` keys a set of filters must all match."""
    tags = []
    if persona_id:
        tags.append(tag_key("p", persona_id))
    if stage:
        tags.append(tag_key("s", stage))
    if topic:
        tags.append(tag_key("t", topic))
    if kind:
        tags.append(tag_key("k", kind))
    return tags


def use_counts(asset_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{asset_id: {"views": n, "shares": n}}`` from the assets' touchpoints."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"views": 0, "shares": 0})
    if not asset_ids:
        return out
    rows = (
        Touchpoint.objects.filter(content_id__in=asset_ids, kind__in=USE_KINDS)
        .values_list("content_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for aid, kind, n in rows:
        out[aid]["views" if kind == "content_view" else "shares"] = n
    return out


def _decorate(assets: list[ContentAsset]) -> list[ContentAsset]:
    counts = use_counts([a.pk for a in assets])
    for a in assets:
        a.views = counts[a.pk]["views"]
        a.shares = counts[a.pk]["shares"]
    return assets


def search_assets(
    *,
    q: str = "",
    persona_id: int | None = None,
    stage: str = "",
    topic: str = "",
    kind: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ContentAsset], SearchResult]:
    """Assets matching ``q`` (ranked by the full-text index) and all filters, with use counts.

    Each asset carries ``score`` and ``snippet`` (highlighted, safe HTML) when ``q`` is given;
    without ``q`` the filtered library comes back newest first.
    """
    tags = filter_tags(persona_id=persona_id, stage=stage, topic=topic.strip().lower(), kind=kind)
    base = ContentAsset.objects.select_related("profile", "owner").prefetch_related("personas")
    if q.strip():
        result = run_search(q, tags=tags, limit=limit, offset=offset)
        by_id = base.in_bulk([h.asset_id for h in result.hits])
        assets = []
        for hit in result.hits:
            asset = by_id.get(hit.asset_id)
            if asset is not None:
                asset.score, asset.snippet = hit.score, hit.snippet
                assets.append(asset)
        return _decorate(assets), result
    ids, total = browse_ids(tags, limit=limit, offset=offset)
    by_id = base.in_bulk(ids)
    assets = [by_id[i] for i in ids if i in by_id]
    for a in assets:
        a.score, a.snippet = None, None
    return _decorate(assets), SearchResult(total=total, query="")


def needs_review(*, today: dt.date | None = None, within_days: int = 14) -> QuerySet[AssetProfile]:
    """Assets whose review date has passed or falls within ``within_days``, soonest first."""
    today = today or timezone.localdate()
    return (
        AssetProfile.objects.filter(
            review_at__isnull=False,
            review_at__lte=today + dt.timedelta(days=within_days),
            archived=False,
        )
        .select_related("asset", "asset__owner")
        .order_by("review_at")
    )


@dataclass
class Influence:
    """What an asset did: use, reading, and the deals whose buyers saw it before closing."""

    shares: int = 0
    views: int = 0
    viewers: int = 0
    reading_seconds: float = 0.0
    deals: int = 0
    won_deals: int = 0
    pipeline: Decimal = Decimal("0")
    revenue: Decimal = Decimal("0")
    by_version: dict[int, int] = field(default_factory=dict)


def _deal_contacts(deal_ids) -> dict[int, set[int]]:
    members: dict[int, set[int]] = defaultdict(set)
    for deal_id, contact_id in DealContact.objects.filter(deal_id__in=deal_ids).values_list(
        "deal_id", "contact_id"
    ):
        members[deal_id].add(contact_id)
    for deal_id, contact_id in Deal.objects.filter(
        pk__in=deal_ids, primary_contact__isnull=False
    ).values_list("pk", "primary_contact_id"):
        members[deal_id].add(contact_id)
    return members


def asset_influence(asset: ContentAsset) -> Influence:
    """Use and influence of one asset: deals whose committee saw or got it before they closed."""
    touches = Touchpoint.objects.filter(content=asset, kind__in=USE_KINDS)
    out = Influence()
    first_touch: dict[int, dt.datetime] = {}
    for contact_id, kind, at, props in touches.values_list(
        "contact_id", "kind", "occurred_at", "properties"
    ):
        if kind == "content_view":
            out.views += 1
            version = (props or {}).get("version")
            if version:
                out.by_version[version] = out.by_version.get(version, 0) + 1
        else:
            out.shares += 1
        if contact_id and (contact_id not in first_touch or at < first_touch[contact_id]):
            first_touch[contact_id] = at
    out.viewers = len(
        set(touches.filter(kind="content_view").values_list("contact_id", flat=True)) - {None}
    )
    out.reading_seconds = sum(
        v.total_seconds for v in LinkVisit.objects.filter(link__asset=asset).only("page_seconds")
    )
    if first_touch:
        deal_ids = set(
            DealContact.objects.filter(contact_id__in=first_touch).values_list("deal_id", flat=True)
        ) | set(
            Deal.objects.filter(primary_contact_id__in=first_touch).values_list("pk", flat=True)
        )
        members = _deal_contacts(deal_ids)
        for deal in Deal.objects.filter(pk__in=deal_ids).only(
            "amount", "is_won", "is_closed", "closed_at"
        ):
            seen = [first_touch[c] for c in members[deal.pk] if c in first_touch]
            if not seen or (deal.closed_at and min(seen) > deal.closed_at):
                continue
            out.deals += 1
            if deal.is_won:
                out.won_deals += 1
                out.revenue += deal.amount
            elif not deal.is_closed:
                out.pipeline += deal.amount
    return out


def asset_links(asset: ContentAsset, *, user=None) -> QuerySet[ShareLink]:
    """Tracked links of an asset (one rep's when ``user`` is given), newest first."""
    qs = ShareLink.objects.filter(asset=asset).select_related("contact", "created_by")
    if user is not None:
        qs = qs.filter(created_by=user)
    return qs.annotate(n_visits=Count("visits"))


def contact_content_views(contact) -> list[LinkVisit]:
    """The tracked-link visits of one contact (their pages and times), newest first."""
    return list(
        LinkVisit.objects.filter(Q(contact=contact) | Q(link__contact=contact))
        .select_related("link__asset", "link__created_by", "link__version")
        .order_by("-started_at")[:50]
    )


def unused_assets(*, since: dt.datetime) -> tuple[list[ContentAsset], int]:
    """Assets neither shared nor viewed since ``since``, and the size of the library."""
    used = (
        Touchpoint.objects.filter(kind__in=USE_KINDS, occurred_at__gte=since, content__isnull=False)
        .values_list("content_id", flat=True)
        .distinct()
    )
    library = ContentAsset.objects.all()
    unused = list(library.exclude(pk__in=used).select_related("owner").order_by("kind", "title"))
    return unused, library.count()


def reading_totals(asset_ids: list[int]) -> dict[int, float]:
    """Seconds read through tracked links, per asset."""
    out: dict[int, float] = defaultdict(float)
    for aid, pages in LinkVisit.objects.filter(link__asset_id__in=asset_ids).values_list(
        "link__asset_id", "page_seconds"
    ):
        out[aid] += sum((pages or {}).values())
    return out


def share_total(asset_id: int) -> int:
    """How many tracked links an asset has."""
    return ShareLink.objects.filter(asset_id=asset_id).aggregate(n=Count("id"))["n"] or 0


def revenue_sum(deals) -> Decimal:
    """The summed amount of ``deals`` (a queryset)."""
    return deals.aggregate(s=Sum("amount"))["s"] or Decimal("0")
