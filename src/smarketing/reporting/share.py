"""Resolving share-link tokens: signature first, then the row (expiry, revocation)."""

from __future__ import annotations

from django.core import signing

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
