"""A fixed-window request counter in Django's cache: the rate limits of collect and the API.

Used by the tracking endpoint (per site key and per key + IP) and by API token auth
(``smarketing.config.auth``: requests per token, bad tokens per client IP).

Why not a library: django-ratelimit does the same thing (a counter per window in the cache)
but is built as a view decorator with one key per decorator and a system check that insists
on a shared cache; we need two limits on one view (per site key, and per key + client IP),
each from the site's own settings, plus a ``Retry-After`` header — about 20 lines here, with no
new dependency. ``cache.add`` + ``cache.incr`` are atomic on Redis and Memcached, so the count is
exact across processes there; with the default per-process local-memory cache each process
counts on its own (set ``CACHES`` to Redis in production for a global limit).
"""

from __future__ import annotations

import time

from django.core.cache import cache


class RateLimited(Exception):
    """Too many requests: answer 429 with ``Retry-After: wait`` seconds."""

    def __init__(self, message: str, *, wait: int):
        super().__init__(message)
        self.wait = wait


def _slot(key: str, window: int) -> tuple[str, float, int]:
    now = time.time()
    slot = int(now // window)
    return f"smarketing:rl:{key}:{slot}", now, slot


def blocked(key: str, *, limit: int, window: int = 60) -> int:
    """Seconds to wait when ``key`` is already over ``limit`` in this window (else 0); counts nothing."""
    if limit <= 0:
        return 0
    cache_key, now, slot = _slot(key, window)
    if (cache.get(cache_key) or 0) >= limit:
        return max(1, int((slot + 1) * window - now) + 1)
    return 0


def hit(key: str, *, limit: int, window: int = 60) -> int:
    """Count one request against ``key``; returns 0 when allowed, else seconds to wait."""
    if limit <= 0:
        return 0
    cache_key, now, slot = _slot(key, window)
    # add() creates the counter only if missing, so concurrent first hits do not reset it.
    cache.add(cache_key, 0, window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, window + 5)
        count = 1
    if count > limit:
        return max(1, int((slot + 1) * window - now) + 1)
    return 0


def client_ip(request) -> str:
    """The client's address (``REMOTE_ADDR``; put a trusted proxy's real-IP module in front)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
