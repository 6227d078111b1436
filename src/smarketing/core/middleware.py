"""Middleware that attributes audit-log rows to the signed-in user of the request."""

from __future__ import annotations

from smarketing.core.audit import acting_as


class AuditUserMiddleware:
    """Run each request inside :func:`acting_as` for ``request.user``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # Always open a scope, so an actor set later in the request (API token auth)
        # is discarded when the request ends instead of leaking to the thread's next request.
        if user is not None and user.is_authenticated:
            with acting_as(user):
                return self.get_response(request)
        with acting_as(None, "anonymous"):
            return self.get_response(request)
