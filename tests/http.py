"""A tiny real-HTTP client for API tests (stdlib only): JSON in, ``(status, body)`` out."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def call(
    method: str, url: str, *, token: str | None = None, body=None, headers: dict | None = None
):
    """Send one request; returns ``(status, parsed JSON or text, headers)``."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw, status, hdrs = resp.read(), resp.status, resp.headers
    except urllib.error.HTTPError as err:
        raw, status, hdrs = err.read(), err.code, err.headers
    text = raw.decode()
    try:
        return status, json.loads(text), hdrs
    except ValueError:
        return status, text, hdrs
