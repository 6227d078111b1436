"""Normalise the keys that identify people and companies: emails and web domains.

Pure functions (no Django), shared by the CRM actions, the importers and the event ingest,
so that ``" Jane@Example.COM "`` and ``"jane@example.com"`` are one person everywhere.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_EMAIL_RE = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$"
)
_DOMAIN_RE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class InvalidValue(ValueError):
    """A value cannot be normalised; the message says what is wrong with it."""


def normalize_email(value: str | None) -> str | None:
    """Return the trimmed, lower-cased email, ``None`` for blank, or raise :class:`InvalidValue`.

    >>> normalize_email("  Jane.Doe@Example.COM ")
    'jane.doe@example.com'
    >>> normalize_email("") is None
    True
    """
    if value is None:
        return None
    email = str(value).strip().lower()
    if not email:
        return None
    if email.startswith("mailto:"):
        email = email[7:]
    local, _, domain = email.rpartition("@")
    if local and domain:
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidValue(f"invalid email address {value!r}: bad domain") from None
        email = f"{local}@{domain}"
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise InvalidValue(f"invalid email address {value!r}")
    return email


def normalize_domain(value: str | None) -> str | None:
    """Return a bare lower-case domain from a URL, host or email, ``None`` for blank.

    >>> normalize_domain("https://www.Example.com/about")
    'example.com'
    >>> normalize_domain("sales@acme.io")
    'acme.io'
    """
    if value is None:
        return None
    raw = str(value).strip().lower()
    if not raw:
        return None
    if "@" in raw and "/" not in raw:
        raw = raw.rpartition("@")[2]
    if "//" not in raw:
        raw = "//" + raw
    host = (urlsplit(raw).hostname or "").strip(".")
    if host.startswith("www."):
        host = host[4:]
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidValue(f"invalid domain {value!r}") from None
    if not _DOMAIN_RE.match(host):
        raise InvalidValue(f"invalid domain {value!r}")
    return host


FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "proton.me",
        "protonmail.com",
        "yandex.com",
        "zoho.com",
    }
)
