"""Normalise the keys that identify people and companies: emails and web domains.

Pure functions (no Django), shared by the CRM actions, the importers, the event API, tracking
and webhooks/forms, so that ``" Jane@Example.COM "`` and ``"jane@example.com"`` are one person
everywhere, and ``zoë@bäckerei.de`` is accepted wherever it is entered.

Emails are checked by `email-validator <https://pypi.org/project/email-validator/>`_ (RFC 5321 /
5322 syntax, RFC 6531 internationalised local parts, IDNA 2008 + UTS-46 domains, special-use
domains refused), not by a hand-written pattern: the rules for Unicode addresses are long and
the library is the reference implementation Pydantic and WTForms use. Deliverability (DNS) is
never checked: an import must not depend on the network.

The canonical form used for matching: the local part lower-cased and in Unicode NFC form, the
domain in its ASCII (IDNA "A-label") form, the same form :func:`normalize_domain` gives for a
company website. ``René@Bäckerei.de``, ``rené@xn--bckerei-5wa.de`` and
``RENE\u0301@BÄCKEREI.DE`` are all ``rené@xn--bckerei-5wa.de``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import idna
from email_validator import SPECIAL_USE_DOMAIN_NAMES as _SPECIAL_USE
from email_validator import EmailNotValidError, validate_email

# The everyday address (ASCII, dot-atom local part, letters-only TLD, no Punycode label)
# skips the library: it is most rows of a million-row import and the library costs ~100 µs a
# call. The pattern accepts only what the library accepts unchanged; anything else takes the
# full check (tests/crm/test_normalize.py compares both on generated addresses).
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_FAST_EMAIL_RE = re.compile(
    rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+[a-z]{{2,63}})$"
)
_RLDH_RE = re.compile(r"(?:^|\.)[a-z0-9]{2}--")  # R-LDH labels, Punycode included
_SPECIAL_TLDS = frozenset(d for d in _SPECIAL_USE if d != "test")
_DOMAIN_RE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class InvalidValue(ValueError):
    """A value cannot be normalised; the message says what is wrong with it."""


def normalize_email(value: str | None) -> str | None:
    """Return the canonical email (see the module), ``None`` for blank, or raise :class:`InvalidValue`.

    Internationalised addresses are valid; the error names the reason an address is not.

    >>> normalize_email("  Jane.Doe@Example.COM ")
    'jane.doe@example.com'
    >>> normalize_email("Zoë.Rossi@Bäckerei.DE")
    'zoë.rossi@xn--bckerei-5wa.de'
    >>> normalize_email("") is None
    True
    >>> try:
    ...     normalize_email("oz@@initrode")
    ... except InvalidValue as exc:
    ...     print(exc)
    invalid email address 'oz@@initrode': the part after the @-sign contains invalid characters: '@'
    """
    if value is None:
        return None
    email = str(value).strip()
    if not email:
        return None
    if email[:7].lower() == "mailto:":
        email = email[7:].strip()
    email = email.lower()
    fast = _FAST_EMAIL_RE.match(email)
    if fast is not None:
        domain = fast.group(1)
        if (
            len(email) <= 254
            and len(domain) <= 253
            and email.index("@") <= 64
            and domain.rpartition(".")[2] not in _SPECIAL_TLDS
            and not _RLDH_RE.search(domain)
        ):
            return email
    try:
        checked = validate_email(
            email, check_deliverability=False, allow_smtputf8=True, test_environment=True
        )
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        raise InvalidValue(f"invalid email address {value!r}: {reason}") from None
    local = unicodedata.normalize("NFC", checked.local_part.lower())
    return f"{local}@{checked.ascii_domain}"


def normalize_domain(value: str | None) -> str | None:
    """Return a bare lower-case domain from a URL, host or email, ``None`` for blank.

    >>> normalize_domain("https://www.Example.com/about")
    'example.com'
    >>> normalize_domain("sales@acme.io")
    'acme.io'
    >>> normalize_domain("https://Straße.de/")
    'xn--strae-oqa.de'
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
    if not host.isascii() or "xn--" in host:
        try:
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError):
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
