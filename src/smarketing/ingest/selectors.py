"""Reads of the event and webhook side of ingest: active channel rules, sites, delivery log."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from smarketing.ingest.channels import DEFAULT_RULES, ChannelRules, ChannelRulesError
from smarketing.ingest.models import ChannelRuleSet, TrackingSite, WebhookDelivery

#: Cache key of the active rule document's version (its id and update time).
_RULES_VERSION_KEY = "smarketing:ingest:channel-rules-version"
_compiled: dict[str, ChannelRules] = {}


def active_channel_rules() -> ChannelRules:
    """The channel rules in force: the active :class:`ChannelRuleSet`, else the defaults.

    Compiled rules are kept per process and keyed by the row's version, which is cached for
    30 s: an admin's edit applies everywhere within half a minute without a query per batch.
    """
    version = cache.get(_RULES_VERSION_KEY)
    if version is None:
        row = ChannelRuleSet.objects.filter(active=True).values("pk", "updated_at").first()
        version = f"{row['pk']}:{row['updated_at'].isoformat()}" if row else "default"
        cache.set(_RULES_VERSION_KEY, version, 30)
    if version == "default":
        return DEFAULT_RULES
    if version not in _compiled:
        row = ChannelRuleSet.objects.filter(active=True).first()
        try:
            _compiled[version] = ChannelRules.from_dict(row.document) if row else DEFAULT_RULES
        except ChannelRulesError:
            _compiled[version] = DEFAULT_RULES
    return _compiled[version]


def forget_channel_rules() -> None:
    """Drop the cached rule version (after an edit) so the next batch reads the new rules."""
    cache.delete(_RULES_VERSION_KEY)


def site_for_key(key: str) -> TrackingSite | None:
    """The active tracking site with public key ``key`` (cached for a minute), else None."""
    if not key or len(key) > 40:
        return None
    cache_key = f"smarketing:ingest:site:{key}"
    site = cache.get(cache_key)
    if site is None:
        site = TrackingSite.objects.filter(public_key=key).first() or False
        cache.set(cache_key, site, 60)
    return site if site and site.active else None


def forget_site(site: TrackingSite) -> None:
    """Drop a site from the key cache after it was edited."""
    cache.delete(f"smarketing:ingest:site:{site.public_key}")


def deliveries(*, endpoint_id: int | None = None, status: str = "") -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first, optionally for one endpoint and status."""
    qs = WebhookDelivery.objects.select_related("endpoint").order_by("-created_at", "-id")
    if endpoint_id:
        qs = qs.filter(endpoint_id=endpoint_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def delivery_counts() -> dict[int, dict[str, int]]:
    """Per endpoint id: deliveries delivered, failed, pending or retrying."""
    rows = WebhookDelivery.objects.values("endpoint_id").annotate(
        delivered=Count("id", filter=Q(status="delivered")),
        failed=Count("id", filter=Q(status="failed")),
        waiting=Count("id", filter=Q(status__in=["pending", "retrying"])),
    )
    return {row.pop("endpoint_id"): row for row in rows}
