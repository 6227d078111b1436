"""Template context for every page: the signed-in user's unread notification count."""

from __future__ import annotations

from functools import partial

from smarketing.sla.selectors import unread_notification_count


def notifications(request) -> dict:
    """``unread_notifications``: a callable the header renders, so pages without the header
    (or anonymous visitors) run no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": partial(unread_notification_count, user)}
