"""Reads of the content library: search and filter assets by persona, stage and topic."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from smarketing.crm.models import ContentAsset


def search_assets(
    *, q: str = "", persona_id: int | None = None, stage: str = "", topic: str = "", kind: str = ""
) -> QuerySet[ContentAsset]:
    """Content assets matching all given filters, with their view/share counts."""
    qs = ContentAsset.objects.prefetch_related("personas").annotate(
        views=Count("touchpoints", filter=Q(touchpoints__kind="content_view")),
        shares=Count("touchpoints", filter=Q(touchpoints__kind="content_share")),
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if persona_id:
        qs = qs.filter(personas__id=persona_id)
    if kind:
        qs = qs.filter(kind=kind)
    assets = qs.order_by("title")
    # Stages and topics are JSON lists; filtering them portably (SQLite + PostgreSQL) in Python
    # is fine for a library of hundreds of assets.
    if stage or topic:
        keep = [
            a.pk
            for a in assets
            if (not stage or stage in (a.stages or [])) and (not topic or topic in (a.topics or []))
        ]
        assets = assets.filter(pk__in=keep)
    return assets
