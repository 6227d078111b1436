"""Personal data kept out of stored URLs: query parameters that carry it are dropped.

A GET form (a newsletter box, a search) puts the visitor's email into the page URL, and the
referrer of the next page repeats it. The tracking snippet drops these parameters before
sending; the server drops them again for every event, whatever sent it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameter names (case-insensitive, whole name) whose values are personal data.
PII_PARAMETER = re.compile(
    r"^(e-?mail|email_?address|mail|phone|tel|mobile|name|first_?name|last_?name|fname|lname|"
    r"full_?name|password|passwd|pass|pwd|token|access_token|auth|ssn|address|street|zip|"
    r"postcode)$",
    re.IGNORECASE,
)
_EMAIL_VALUE = re.compile(r"[^\s@/?&=]+@[^\s@/?&=]+\.[^\s@/?&=]+")


def scrub_url(url: str) -> str:
    """``url`` without the query parameters that carry personal data (or look like an email).

    >>> scrub_url("https://x.io/thanks?email=ana%40globex.io&utm_source=news&q=a@b.co")
    'https://x.io/thanks?utm_source=news'
    >>> scrub_url("https://x.io/pricing")
    'https://x.io/pricing'
    """
    if not url or "?" not in url:
        return url
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return url.split("?", 1)[0]
    kept = [
        (k, v) for k, v in pairs if not PII_PARAMETER.match(k) and not _EMAIL_VALUE.search(v)
    ]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))
