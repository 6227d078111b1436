"""API authentication: a browser session (with CSRF) or a bearer API token with scopes."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from smarketing.core.audit import _actor
from smarketing.core.models import ApiToken
from smarketing.ingest import ratelimit


def authenticate_token(key: str, *, scope: str = "read") -> ApiToken | None:
    """Return the active token for ``key`` holding ``scope`` (admin implies all), else None."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_active() or not token.user.is_active:
        return None
    if scope not in token.scopes and "admin" not in token.scopes:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def login_with_token(request: HttpRequest, key: str, *, scope: str):
    """Authenticate ``request`` by API token: sets ``request.user`` and the audit actor.

    Raises :class:`~smarketing.ingest.ratelimit.RateLimited` (429) when the client's IP sent
    more than ``API_BAD_TOKEN_LIMIT`` unknown tokens this minute (every token from it is then
    refused until the minute ends, so guessing cannot go on), or when the token made more
    than its per-minute allowance (``API_INGEST_RATE_LIMIT`` for the event API,
    ``API_TOKEN_RATE_LIMIT`` for the rest).
    """
    if not key:
        return None  # no token sent (e.g. the X-API-Key scheme when a bearer is used)
    ip = ratelimit.client_ip(request)
    bad_limit = settings.API_BAD_TOKEN_LIMIT
    wait = ratelimit.blocked(f"badtoken:{ip}", limit=bad_limit)
    if wait:
        raise ratelimit.RateLimited("too many bad API tokens from this address", wait=wait)
    api_token = authenticate_token(key, scope=scope)
    if api_token is None:
        # Count only keys that are no token at all: a real token lacking a scope is a 401/403
        # of its own, not guessing.
        if not ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).exists():
            ratelimit.hit(f"badtoken:{ip}", limit=bad_limit)
        return None
    limit = settings.API_INGEST_RATE_LIMIT if scope == "ingest" else settings.API_TOKEN_RATE_LIMIT
    wait = ratelimit.hit(f"token:{api_token.pk}:{scope == 'ingest'}", limit=limit)
    if wait:
        raise ratelimit.RateLimited(f"API token rate limit ({limit} per minute)", wait=wait)
    request.user = api_token.user
    request.api_token = api_token
    _actor.set((api_token.user, f"token:{api_token.name}"))
    return api_token.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer smk_…`` with the given scope."""

    def __init__(self, scope: str = "read"):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str):
        return login_with_token(request, token, scope=self.scope)


class TokenHeaderAuth(APIKeyHeader):
    """``X-API-Key: smk_…`` for tools that cannot send a bearer header."""

    param_name = "X-API-Key"

    def __init__(self, scope: str = "read"):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, key: str | None):
        return login_with_token(request, key or "", scope=self.scope)


# Tokens are tried before the session: ninja's session auth answers a POST without a CSRF
# token with 403 at once, which would hide a valid bearer token on the same request.


def read_auth() -> list:
    """Token with the ``read`` scope, or a browser session."""
    return [TokenAuth("read"), TokenHeaderAuth("read"), django_auth]


def write_auth() -> list:
    """Token with the ``write`` scope, or a browser session (with its CSRF token)."""
    return [TokenAuth("write"), TokenHeaderAuth("write"), django_auth]


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    A login without a request (the test client's ``login()``, a management command) cannot
    be counted per client IP and comes from no network, so it is left to ``ModelBackend``.
    """

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
