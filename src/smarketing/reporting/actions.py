"""Writes for reporting: create and revoke share links, manage report recipients."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from smarketing.reporting.models import DASHBOARD_CHOICES, ReportRecipient, ShareLink

SHARE_SALT = "smarketing.reporting.share"
#: The hard ceiling; the admin-set ``SHARE_LINK_MAX_DAYS`` setting is usually lower.
MAX_SHARE_DAYS = 365


def share_token(link: ShareLink) -> str:
    """The signed token of a share link (carries only its id and dashboard)."""
    return signing.dumps({"id": link.pk, "d": link.dashboard}, salt=SHARE_SALT, compress=True)


@transaction.atomic
def do_create_share_link(
    *, dashboard: str, params: dict | None = None, days: int = 30, label: str = "", by=None
) -> tuple[ShareLink, str]:
    """Create a read-only share link valid for ``days``; returns ``(link, token)``."""
    if dashboard not in dict(DASHBOARD_CHOICES):
        raise ValidationError({"dashboard": f"unknown dashboard {dashboard!r}"})
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": f"days must be a whole number, got {days!r}"}) from None
    longest = min(MAX_SHARE_DAYS, int(getattr(settings, "SHARE_LINK_MAX_DAYS", 30)))
    if not 1 <= days <= longest:
        raise ValidationError(
            {
                "days": f"days must be 1 to {longest} (the longest lifetime an admin allows), got {days}"
            }
        )
    link = ShareLink.objects.create(
        dashboard=dashboard,
        params={k: str(v) for k, v in (params or {}).items()},
        label=(label or "")[:200],
        created_by=by if getattr(by, "pk", None) else None,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return link, share_token(link)


@transaction.atomic
def do_revoke_share_link(*, link: ShareLink) -> ShareLink:
    """Revoke a link (idempotent: revoking twice keeps the first time)."""
    link = ShareLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


@transaction.atomic
def do_set_recipient(*, email: str, kind: str = "both", active: bool = True) -> ReportRecipient:
    """Add or update a report recipient (idempotent by e-mail)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"not a valid e-mail address: {email!r}"}) from None
    if kind not in ReportRecipient.Kind.values:
        raise ValidationError(
            {"kind": f"kind must be one of {', '.join(ReportRecipient.Kind.values)}"}
        )
    obj, _ = ReportRecipient.objects.update_or_create(
        email=email, defaults={"kind": kind, "active": active}
    )
    return obj
