"""API authentication: a browser session (with CSRF) or a bearer API token with scopes."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from smarketing.core.audit import _actor
from smarketing.core.models import ApiToken


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
    """Authenticate ``request`` by API token: sets ``request.user`` and the audit actor."""
    api_token = authenticate_token(key, scope=scope)
    if api_token is None:
        return None
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
