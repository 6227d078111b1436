"""Share links: resolving tokens (signature first, then the row) and who owns which link.

A link belongs to its creator; admins see and revoke every link (core.permissions,
``share.manage``). The longest lifetime is the admin-set ``SHARE_LINK_MAX_DAYS`` setting.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet

from smarketing.core.permissions import can
from smarketing.reporting.actions import SHARE_SALT
from smarketing.reporting.models import ShareLink


def resolve_share(token: str) -> ShareLink | None:
    """The active link a token stands for, or ``None`` (tampered, unknown, expired, revoked)."""
    try:
        data = signing.loads(token, salt=SHARE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    link = ShareLink.objects.filter(pk=data["id"], dashboard=data.get("d")).first()
    if link is None or not link.is_active():
        return None
    return link


def max_share_days() -> int:
    """The longest lifetime a new share link may have, in days (``SHARE_LINK_MAX_DAYS``)."""
    return int(getattr(settings, "SHARE_LINK_MAX_DAYS", 30))


def links_for(user, dashboard: str) -> QuerySet[ShareLink]:
    """The live links of ``dashboard`` that ``user`` manages: their own, or all for admins."""
    links = ShareLink.objects.filter(dashboard=dashboard, revoked_at__isnull=True)
    if not can(user, "share.see_all"):
        links = links.filter(created_by_id=user.pk)
    return links
