"""The scoring definition ("scoring as code"): its vocabulary, typed rules and predicates.

A definition is a YAML document that marketing and sales agree on (see ``docs/scoring.md`` for
every field); :func:`smarketing.analytics.scoring.loader.load_definition` turns it into the
frozen :class:`ScoringDefinition` defined here.

The predicates here (:meth:`FitRule.matches`, :meth:`EngagementRule.matches_text`) are the one
place where rule semantics live; the bulk and single-contact scorers both call them, which is
what makes their results agree exactly.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from smarketing.analytics.scoring.errors import ScoringInputError

__all__ = [
    "DEFAULT_FREE_EMAIL_DOMAINS",
    "EVENT_KINDS",
    "FIT_FIELDS",
    "OPERATORS",
    "EngagementRule",
    "FitRule",
    "MqlThreshold",
    "ScoringDefinition",
    "email_domain",
    "normalise_bool",
    "normalise_number",
    "normalise_text",
]

#: Touchpoint kinds an engagement rule may name (the shared data model's touch kinds).
EVENT_KINDS: tuple[str, ...] = (
    "page_view", "form_submit", "email_open", "email_click", "ad_click", "webinar", "event",
    "content_view", "content_share", "sales_call", "sales_email", "sales_social", "meeting", "demo", "chat",
)  # fmt: skip

#: Contact / account fields a fit rule may test, with their type.
FIT_FIELDS: dict[str, str] = {
    "persona": "text",
    "title": "text",
    "seniority": "text",
    "country": "text",
    "email": "text",
    "email_domain": "text",
    "lifecycle_stage": "text",
    "original_source": "text",
    "original_channel": "text",
    "industry": "text",
    "region": "text",
    "segment": "text",
    "account_country": "text",
    "account_domain": "text",
    "employees": "number",
    "tier": "number",
    "target_account": "bool",
}

#: Operators and the field types they apply to.
OPERATORS: dict[str, frozenset[str]] = {
    "eq": frozenset({"text", "number", "bool"}),
    "in": frozenset({"text", "number"}),
    "not_in": frozenset({"text", "number"}),
    "contains": frozenset({"text"}),
    "regex": frozenset({"text"}),
    "gt": frozenset({"number"}),
    "gte": frozenset({"number"}),
    "lt": frozenset({"number"}),
    "lte": frozenset({"number"}),
    "between": frozenset({"number"}),
    "is_free_email": frozenset({"text"}),
}

#: Used when a definition has no ``free_email_domains`` list.
DEFAULT_FREE_EMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com",
        "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.de",
        "gmx.net", "gmx.com", "web.de", "mail.com", "mail.ru", "yandex.ru", "yandex.com",
        "zoho.com", "qq.com", "163.com", "126.com", "free.fr", "orange.fr", "laposte.net",
        "libero.it", "t-online.de", "fastmail.com", "hey.com", "tutanota.com",
    }
)  # fmt: skip


def normalise_text(value: Any) -> str | None:
    """Text as the rules see it: stripped, with blanks and nulls as ``None``.

    Examples
    --------
    >>> normalise_text("  VP "), normalise_text(""), normalise_text(None)
    ('VP', None, None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in {"NAType", "NaTType"}:
        return None
    text = str(value).strip()
    return text or None


def normalise_number(value: Any, *, field: str = "value") -> float | None:
    """A number as the rules see it; nulls and blanks are ``None``, anything else is an error.

    Examples
    --------
    >>> normalise_number("250"), normalise_number(None), normalise_number(12)
    (250.0, None, 12.0)
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if math.isnan(value) else float(value)
    text = normalise_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ScoringInputError(f"field '{field}': {value!r} is not a number") from None
    return None if math.isnan(number) else number


_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


def normalise_bool(value: Any, *, field: str = "value") -> bool | None:
    """A yes/no value as the rules see it (``True``/``False``, 1/0, yes/no, true/false).

    Examples
    --------
    >>> normalise_bool("Yes"), normalise_bool(0), normalise_bool("")
    (True, False, None)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        if value in (0, 1):
            return bool(value)
        raise ScoringInputError(f"field '{field}': {value!r} is not a yes/no value")
    text = normalise_text(value)
    if text is None:
        return None
    if text.casefold() in _TRUE:
        return True
    if text.casefold() in _FALSE:
        return False
    raise ScoringInputError(f"field '{field}': {value!r} is not a yes/no value")


def email_domain(value: str | None) -> str | None:
    """The domain of an address (or a bare domain), lower-cased; ``None`` when there is none."""
    if value is None:
        return None
    domain = value.rpartition("@")[2].strip().casefold()
    return domain or None


@dataclass(frozen=True)
class FitRule:
    """Points for a contact whose field satisfies ``op value`` (unknown values never match)."""

    name: str
    field: str
    op: str
    value: Any
    points: float
    line: int | None = None
    free_email_domains: frozenset[str] = field(default=DEFAULT_FREE_EMAIL_DOMAINS, repr=False)

    @property
    def field_type(self) -> str:
        """``text``, ``number`` or ``bool``."""
        return FIT_FIELDS[self.field]

    @cached_property
    def _predicate(self) -> Callable[[Any], bool]:
        op, value = self.op, self.value
        if op == "is_free_email":
            domains, want = self.free_email_domains, bool(value)
            return lambda v: (d := email_domain(v)) is not None and (d in domains) == want
        if self.field_type == "text":
            if op == "eq":
                folded = str(value).casefold()
                return lambda v: v.casefold() == folded
            if op in {"in", "not_in"}:
                options = frozenset(str(x).casefold() for x in value)
                if op == "in":
                    return lambda v: v.casefold() in options
                return lambda v: v.casefold() not in options
            if op == "contains":
                needles = tuple(str(x).casefold() for x in value)
                return lambda v: any(n in v.casefold() for n in needles)
            pattern = re.compile(value, re.IGNORECASE)
            return lambda v: pattern.search(v) is not None
        if self.field_type == "bool":
            return lambda v: v == bool(value)
        if op == "eq":
            return lambda v: v == value
        if op in {"in", "not_in"}:
            numbers = frozenset(float(x) for x in value)
            return (lambda v: v in numbers) if op == "in" else (lambda v: v not in numbers)
        if op == "between":
            low, high = value
            return lambda v: low <= v <= high
        compare = {"gt": float.__gt__, "gte": float.__ge__, "lt": float.__lt__, "lte": float.__le__}
        return lambda v, c=compare[op], x=float(value): c(v, x)

    def matches(self, value: Any) -> bool:
        """Whether a *normalised* field value (see :meth:`normalise`) earns this rule's points."""
        return value is not None and self._predicate(value)

    def normalise(self, raw: Any) -> Any:
        """Turn a raw field value into the form :meth:`matches` takes."""
        if self.field_type == "number":
            return normalise_number(raw, field=self.field)
        if self.field_type == "bool":
            return normalise_bool(raw, field=self.field)
        return normalise_text(raw)


@dataclass(frozen=True)
class EngagementRule:
    """Points per matching touchpoint, within caps, decaying with the definition's half-life."""

    name: str
    points: float
    kinds: frozenset[str] | None = None
    url: str | None = None
    url_regex: str | None = None
    campaign: frozenset[str] | None = None
    content: frozenset[str] | None = None
    channel: frozenset[str] | None = None
    cap_per_day: float | None = None
    cap_total: float | None = None
    hand_raiser: bool = False
    line: int | None = None

    @cached_property
    def _url_search(self) -> Callable[[str], re.Match[str] | None] | None:
        # A glob must cover the whole URL (fnmatch.translate anchors it); a regex may match
        # anywhere in it, like grep.
        if self.url is not None:
            return re.compile(fnmatch.translate(self.url), re.IGNORECASE).match
        if self.url_regex is not None:
            return re.compile(self.url_regex, re.IGNORECASE).search
        return None

    def matches_kind(self, value: str | None) -> bool:
        """Whether a normalised touchpoint kind is one this rule counts."""
        if self.kinds is None:
            return True
        return value is not None and value.casefold() in self.kinds

    def matches_text(self, attribute: str, value: str | None) -> bool:
        """Whether a normalised touchpoint attribute (``url``, ``campaign``…) satisfies the rule.

        Attributes the rule does not constrain always match; a constrained attribute that is
        unknown (``None``) never does.
        """
        if attribute == "url":
            search = self._url_search
            if search is None:
                return True
            return value is not None and search(value) is not None
        options = getattr(self, attribute)
        if options is None:
            return True
        return value is not None and value.casefold() in options

    @property
    def text_filters(self) -> tuple[str, ...]:
        """The touchpoint attributes this rule constrains besides ``kind``."""
        names = []
        if self.url is not None or self.url_regex is not None:
            names.append("url")
        names.extend(a for a in ("campaign", "content", "channel") if getattr(self, a) is not None)
        return tuple(names)


@dataclass(frozen=True)
class MqlThreshold:
    """When a contact is an MQL: ``(fit >= fit and engagement >= engagement) or total >= total``.

    A missing ``fit`` or ``engagement`` part is not checked; a hand-raiser is also an MQL when
    ``hand_raiser_min_fit`` is set and its fit reaches it.
    """

    fit: float | None = None
    engagement: float | None = None
    total: float | None = None
    hand_raiser_min_fit: float | None = None

    def is_mql(self, *, fit: float, engagement: float, hand_raiser: bool) -> bool:
        """The MQL decision for one contact's scores."""
        pair = self.fit is not None or self.engagement is not None
        if (
            pair
            and (self.fit is None or fit >= self.fit)
            and (self.engagement is None or engagement >= self.engagement)
        ):
            return True
        if self.total is not None and fit + engagement >= self.total:
            return True
        return bool(
            hand_raiser and self.hand_raiser_min_fit is not None and fit >= self.hand_raiser_min_fit
        )


@dataclass(frozen=True)
class ScoringDefinition:
    """A validated scoring definition (build it with :func:`load_definition`)."""

    version: int
    mql: MqlThreshold
    fit: tuple[FitRule, ...] = ()
    engagement: tuple[EngagementRule, ...] = ()
    half_life_days: float | None = None
    name: str = ""
    description: str = ""
    free_email_domains: frozenset[str] = DEFAULT_FREE_EMAIL_DOMAINS
    source: str = field(default="", repr=False, compare=False)
