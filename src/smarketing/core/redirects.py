"""Where a form may send the browser back to: only this site (no open redirect)."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, target: str | None, default: str) -> str:
    """``target`` when it points into this site (same host, https when the request is), else ``default``.

    Django's own check: ``//evil.example/x``, ``https://evil.example``, ``/\\\\evil.example``
    and ``javascript:`` all fail it, which a "starts with /" test lets through.
    """
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
