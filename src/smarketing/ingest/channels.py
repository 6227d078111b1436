"""Channel grouping: which marketing or sales channel a touch or a lead came through.

Source, medium, campaign and referrer become one channel (Direct, Organic Search, Paid Search,
Email, Organic Social, Paid Social, Referral, Display, Events, Partners, Sales outreach, or
Other) by an ordered list of rules, in the spirit of Google Analytics 4's default channel
group. The rules are data: :class:`ChannelRules` reads and writes plain dicts, JSON and YAML
so an admin can edit them, and the first rule whose conditions all hold wins.

A rule's conditions test the lower-cased, trimmed fields ``source``, ``medium``,
``campaign`` and ``referrer_host`` (the referrer's host without ``www.``) with ``in`` (a
list of exact values), ``matches`` (a regular expression searched in the value) or
``contains`` (a substring). When ``source`` is blank it falls back to ``referrer_host``.

The module also maps the fixed source vocabularies of the CRMs: HubSpot's Original Source
(``ORGANIC_SEARCH`` … and the labels "Organic Search" …) and Salesforce's LeadSource
picklist (Web, Trade Show, …) — :func:`channel_for_source_value`. This module is pure: no
Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CHANNELS",
    "DEFAULT_RULES",
    "ChannelRules",
    "ChannelRulesError",
    "Condition",
    "Rule",
    "channel_for_source_value",
    "classify",
]

DIRECT = "Direct"
ORGANIC_SEARCH = "Organic Search"
PAID_SEARCH = "Paid Search"
EMAIL = "Email"
ORGANIC_SOCIAL = "Organic Social"
PAID_SOCIAL = "Paid Social"
REFERRAL = "Referral"
DISPLAY = "Display"
EVENTS = "Events"
PARTNERS = "Partners"
SALES_OUTREACH = "Sales outreach"
OTHER = "Other"

#: Every channel the default rules produce, in reporting order.
CHANNELS: tuple[str, ...] = (
    DIRECT, ORGANIC_SEARCH, PAID_SEARCH, EMAIL, ORGANIC_SOCIAL, PAID_SOCIAL, REFERRAL, DISPLAY,
    EVENTS, PARTNERS, SALES_OUTREACH, OTHER,
)  # fmt: skip

FIELDS = ("source", "medium", "campaign", "referrer_host")
_MEMO_SIZE = 65_536
OPERATORS = ("in", "matches", "contains")


class ChannelRulesError(ValueError):
    """A channel rule document is malformed; the message names the rule and the problem."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One test on one field: ``in`` (exact values), ``matches`` (regex) or ``contains``."""

    field: str
    op: str
    value: str | tuple[str, ...]
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def test(self, values: Mapping[str, str]) -> bool:
        """Return whether the condition holds for the (normalised) field values."""
        actual = values[self.field]
        if self.op == "in":
            return actual in self.value
        if self.op == "contains":
            return bool(actual) and self.value in actual
        assert self._regex is not None
        return self._regex.search(actual) is not None


@dataclass(frozen=True, slots=True)
class Rule:
    """A channel and the conditions that must all hold for a touch to belong to it."""

    channel: str
    conditions: tuple[Condition, ...]
    name: str | None = None

    def matches(self, values: Mapping[str, str]) -> bool:
        """Return whether every condition holds."""
        return all(condition.test(values) for condition in self.conditions)


def _condition(rule_label: str, field_name: str, spec: Any) -> list[Condition]:
    if field_name not in FIELDS:
        raise ChannelRulesError(
            f"{rule_label}: unknown field {field_name!r} (use one of {', '.join(FIELDS)})"
        )
    if not isinstance(spec, dict) or not spec:
        raise ChannelRulesError(
            f"{rule_label}: {field_name} must map an operator ({', '.join(OPERATORS)}) "
            f"to a value, got {spec!r}"
        )
    conditions = []
    for op, value in spec.items():
        if op == "in":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ChannelRulesError(f"{rule_label}: {field_name}.in must be a list of text")
            conditions.append(Condition(field_name, op, tuple(v.strip().lower() for v in value)))
        elif op in ("matches", "contains"):
            if not isinstance(value, str) or not value:
                raise ChannelRulesError(f"{rule_label}: {field_name}.{op} must be text")
            regex = None
            if op == "matches":
                try:
                    regex = re.compile(value, re.IGNORECASE)
                except re.error as exc:
                    raise ChannelRulesError(
                        f"{rule_label}: {field_name}.matches is not a valid regex ({exc})"
                    ) from None
            conditions.append(Condition(field_name, op, value.lower(), regex))
        else:
            raise ChannelRulesError(
                f"{rule_label}: unknown operator {op!r} (use one of {', '.join(OPERATORS)})"
            )
    return conditions


@dataclass(frozen=True, slots=True)
class ChannelRules:
    """An ordered rule list plus the channel used when no rule matches.

    Examples
    --------
    >>> rules = ChannelRules.from_dict(
    ...     {"rules": [{"channel": "Email", "when": {"medium": {"in": ["email"]}}}]}
    ... )
    >>> rules.classify(source="newsletter", medium="Email")
    'Email'
    >>> rules.classify(source="x", medium="y")
    'Other'
    >>> ChannelRules.from_json(rules.to_json()) == rules
    True
    """

    rules: tuple[Rule, ...]
    fallback: str = OTHER
    source_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    _index: dict[str, dict[str, str]] = field(init=False, compare=False, repr=False)
    _memo: dict[tuple[str, ...], str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        index = {
            system: {_value_key(k): v for k, v in table.items()}
            for system, table in self.source_values.items()
        }
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_memo", {})

    def source_value_channel(self, system: str, value: str) -> str | None:
        """Return the channel a system's fixed source value maps to, ``None`` if unlisted."""
        return self._index.get(system, {}).get(_value_key(value))

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> ChannelRules:
        """Build rules from ``{"rules": [{"channel", "when", "name"?}], "fallback"?, ...}``."""
        if not isinstance(document, Mapping) or not isinstance(document.get("rules"), list):
            raise ChannelRulesError("a channel rule document needs a 'rules' list")
        unknown = set(document) - {"rules", "fallback", "source_values"}
        if unknown:
            raise ChannelRulesError(f"unknown top-level keys: {', '.join(sorted(unknown))}")
        rules = []
        for index, raw in enumerate(document["rules"], start=1):
            label = f"rule {index}"
            if not isinstance(raw, Mapping) or not isinstance(raw.get("channel"), str):
                raise ChannelRulesError(f"{label}: needs a 'channel' name")
            label = f"rule {index} ({raw.get('name') or raw['channel']})"
            when = raw.get("when")
            if not isinstance(when, Mapping) or not when:
                raise ChannelRulesError(f"{label}: needs a non-empty 'when'")
            extra = set(raw) - {"channel", "when", "name"}
            if extra:
                raise ChannelRulesError(f"{label}: unknown keys {', '.join(sorted(extra))}")
            conditions = [c for f, spec in when.items() for c in _condition(label, f, spec)]
            rules.append(Rule(raw["channel"], tuple(conditions), raw.get("name")))
        fallback = document.get("fallback", OTHER)
        if not isinstance(fallback, str) or not fallback:
            raise ChannelRulesError("'fallback' must be a channel name")
        source_values = document.get("source_values", {})
        if not isinstance(source_values, Mapping) or not all(
            isinstance(table, Mapping) for table in source_values.values()
        ):
            raise ChannelRulesError("'source_values' must map a system to {value: channel}")
        return cls(
            rules=tuple(rules),
            fallback=fallback,
            source_values={system: dict(table) for system, table in source_values.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON/YAML-ready document :meth:`from_dict` reads."""
        rules = []
        for rule in self.rules:
            when: dict[str, dict[str, Any]] = {}
            for c in rule.conditions:
                when.setdefault(c.field, {})[c.op] = (
                    list(c.value) if isinstance(c.value, tuple) else c.value
                )
            item: dict[str, Any] = {"channel": rule.channel, "when": when}
            if rule.name:
                item["name"] = rule.name
            rules.append(item)
        return {
            "rules": rules,
            "fallback": self.fallback,
            "source_values": {k: dict(v) for k, v in self.source_values.items()},
        }

    @classmethod
    def from_json(cls, text: str) -> ChannelRules:
        """Read a JSON rule document."""
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ChannelRulesError(f"channel rules are not valid JSON: {exc}") from None

    def to_json(self) -> str:
        """Write the rules as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_yaml(cls, text: str) -> ChannelRules:
        """Read a YAML rule document."""
        import yaml

        try:
            return cls.from_dict(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            raise ChannelRulesError(f"channel rules are not valid YAML: {exc}") from None

    def to_yaml(self) -> str:
        """Write the rules as YAML (keeps the rule order)."""
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def classify(
        self,
        source: str | None = None,
        medium: str | None = None,
        campaign: str | None = None,
        referrer: str | None = None,
    ) -> str:
        """Return the channel of the first matching rule, else :attr:`fallback`."""
        values = _prepare(source, medium, campaign, referrer)
        key = tuple(values.values())
        memo = self._memo
        channel = memo.get(key)
        if channel is not None:
            return channel
        channel = next((r.channel for r in self.rules if r.matches(values)), self.fallback)
        # Event ingest classifies every touch; the same few combinations repeat, so remember
        # them (bounded: cleared when full).
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = channel
        return channel


def _host(referrer: str | None) -> str:
    if not referrer or not referrer.strip():
        return ""
    raw = referrer.strip().lower()
    if "//" not in raw:
        raw = "//" + raw
    try:
        host = urlsplit(raw).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def _clean(value: str | None) -> str:
    return value.strip().lower() if value else ""


def _prepare(
    source: str | None, medium: str | None, campaign: str | None, referrer: str | None
) -> dict[str, str]:
    host = _host(referrer)
    return {
        "source": _clean(source) or host,
        "medium": _clean(medium),
        "campaign": _clean(campaign),
        "referrer_host": host,
    }


def _value_key(value: str) -> str:
    return re.sub(r"[\s_\-]+", "", value.strip().lower())


_SEARCH = (
    r"^(google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|ask|aol|naver|seznam|qwant|brave"
    r"|startpage|search\.brave|msn|sogou|so\.com)(\.[a-z.]+)?$"
)
_SOCIAL = (
    r"^(facebook|fb|m\.facebook|l\.facebook|instagram|ig|linkedin|lnkd\.in|twitter|t\.co|x"
    r"|youtube|youtu\.be|tiktok|reddit|pinterest|quora|snapchat|threads|mastodon|xing|whatsapp"
    r"|telegram|discord|slack|medium|tumblr|vk|weibo|wechat|bsky|bluesky|meta)(\.[a-z.]+)?$"
)
_PAID = r"^(.*cp.*|ppc|retargeting|paid.*|ads?|adwords|sponsored)$"

#: The default rule document (GA4-like). ``DEFAULT_RULES`` is built from it.
DEFAULT_RULES_DOCUMENT: dict[str, Any] = {
    "rules": [
        {
            "name": "direct",
            "channel": DIRECT,
            "when": {
                "source": {"in": ["", "(direct)", "direct"]},
                "medium": {"in": ["", "(none)", "(not set)", "none"]},
            },
        },
        {
            "name": "sales outreach by medium",
            "channel": SALES_OUTREACH,
            "when": {
                "medium": {
                    "matches": r"^(sales|outbound|outreach|prospecting|sdr|bdr|sequence"
                    r"|cold[ _-]?(call|email|mail)|call|linkedin[ _-]?inmail)$"
                }
            },
        },
        {
            "name": "sales outreach by source",
            "channel": SALES_OUTREACH,
            "when": {"source": {"matches": r"^(sales|outreach(\.io)?|salesloft|apollo|sdr)$"}},
        },
        {
            "name": "events",
            "channel": EVENTS,
            "when": {
                "medium": {
                    "matches": r"^(events?|webinars?|trade[ _-]?shows?|conferences?|seminars?"
                    r"|meetups?|booth|field)$"
                }
            },
        },
        {
            "name": "partners",
            "channel": PARTNERS,
            "when": {
                "medium": {"matches": r"^(affiliates?|partners?|resellers?|co[ _-]?marketing)$"}
            },
        },
        {
            "name": "email by source",
            "channel": EMAIL,
            "when": {"source": {"matches": r"^(e[ _-]?mail|newsletter)$"}},
        },
        {
            "name": "email by medium",
            "channel": EMAIL,
            "when": {"medium": {"matches": r"^(e[ _-]?mail|newsletter)$"}},
        },
        {
            "name": "paid search",
            "channel": PAID_SEARCH,
            "when": {"source": {"matches": _SEARCH}, "medium": {"matches": _PAID}},
        },
        {
            "name": "paid social",
            "channel": PAID_SOCIAL,
            "when": {"source": {"matches": _SOCIAL}, "medium": {"matches": _PAID}},
        },
        {
            "name": "paid social by medium",
            "channel": PAID_SOCIAL,
            "when": {"medium": {"in": ["paid-social", "paid_social", "paidsocial", "social-paid"]}},
        },
        {
            "name": "display",
            "channel": DISPLAY,
            "when": {
                "medium": {
                    "matches": r"^(display|banner|expandable|interstitial|cpm|programmatic|native)$"
                }
            },
        },
        {
            "name": "organic social by source",
            "channel": ORGANIC_SOCIAL,
            "when": {"source": {"matches": _SOCIAL}},
        },
        {
            "name": "organic social by medium",
            "channel": ORGANIC_SOCIAL,
            "when": {
                "medium": {
                    "in": [
                        "social",
                        "social-network",
                        "social-media",
                        "sm",
                        "social network",
                        "social media",
                        "organic-social",
                        "organic_social",
                    ]
                }
            },
        },
        {
            "name": "organic search by source",
            "channel": ORGANIC_SEARCH,
            "when": {"source": {"matches": _SEARCH}},
        },
        {
            "name": "organic search by medium",
            "channel": ORGANIC_SEARCH,
            "when": {"medium": {"in": ["organic", "seo"]}},
        },
        {
            "name": "referral by medium",
            "channel": REFERRAL,
            "when": {"medium": {"in": ["referral", "app", "link"]}},
        },
        {
            "name": "referral by referrer",
            "channel": REFERRAL,
            "when": {"medium": {"in": [""]}, "referrer_host": {"matches": r"."}},
        },
    ],
    "fallback": OTHER,
    "source_values": {
        "hubspot": {
            "ORGANIC_SEARCH": ORGANIC_SEARCH,
            "PAID_SEARCH": PAID_SEARCH,
            "EMAIL_MARKETING": EMAIL,
            "SOCIAL_MEDIA": ORGANIC_SOCIAL,
            "PAID_SOCIAL": PAID_SOCIAL,
            "REFERRALS": REFERRAL,
            "AI_REFERRALS": REFERRAL,
            "OTHER_CAMPAIGNS": OTHER,
            "DIRECT_TRAFFIC": DIRECT,
            "OFFLINE": OTHER,
            "Organic Search": ORGANIC_SEARCH,
            "Paid Search": PAID_SEARCH,
            "Email Marketing": EMAIL,
            "Social Media": ORGANIC_SOCIAL,
            "Organic Social": ORGANIC_SOCIAL,
            "Paid Social": PAID_SOCIAL,
            "Referrals": REFERRAL,
            "AI Referrals": REFERRAL,
            "Other Campaigns": OTHER,
            "Direct Traffic": DIRECT,
            "Offline Sources": OTHER,
        },
        "salesforce": {
            "Web": DIRECT,
            "Phone Inquiry": DIRECT,
            "Partner Referral": PARTNERS,
            "Purchased List": SALES_OUTREACH,
            "Other": OTHER,
            "Advertisement": DISPLAY,
            "Employee Referral": REFERRAL,
            "External Referral": REFERRAL,
            "Trade Show": EVENTS,
            "Word of mouth": REFERRAL,
            "Webinar": EVENTS,
            "Seminar - Internal": EVENTS,
            "Seminar - Partner": EVENTS,
            "Google AdWords": PAID_SEARCH,
            "Google Ads": PAID_SEARCH,
        },
    },
}

DEFAULT_RULES: ChannelRules = ChannelRules.from_dict(DEFAULT_RULES_DOCUMENT)


def classify(
    source: str | None,
    medium: str | None,
    campaign: str | None = None,
    referrer: str | None = None,
    *,
    rules: ChannelRules = DEFAULT_RULES,
) -> str:
    """Return the channel of a touch from its source, medium, campaign and referrer.

    Parameters
    ----------
    source, medium, campaign
        The UTM values (or the equivalent fields of an ad or email platform); case and
        surrounding spaces are ignored.
    referrer
        The referring URL or host; used as the source when ``source`` is blank.
    rules
        The rule list (the admin-edited one, or :data:`DEFAULT_RULES`).

    Examples
    --------
    >>> classify("google", "cpc")
    'Paid Search'
    >>> classify("google", "organic")
    'Organic Search'
    >>> classify(None, None, referrer="https://www.google.co.uk/")
    'Organic Search'
    >>> classify("linkedin", "paid_social")
    'Paid Social'
    >>> classify("", "")
    'Direct'
    >>> classify(None, None, referrer="https://news.ycombinator.com/item?id=1")
    'Referral'
    >>> classify("hubspot", "email")
    'Email'
    """
    return rules.classify(source, medium, campaign, referrer)


def channel_for_source_value(
    system: str, value: str | None, *, rules: ChannelRules = DEFAULT_RULES
) -> str | None:
    """Return the channel of a CRM's fixed source value (HubSpot Original Source, SF LeadSource).

    A value missing from the system's table is classified as a UTM source (so a custom
    LeadSource "LinkedIn" becomes Organic Social); blank gives ``None``.

    Examples
    --------
    >>> channel_for_source_value("hubspot", "PAID_SEARCH")
    'Paid Search'
    >>> channel_for_source_value("hubspot", "Direct Traffic")
    'Direct'
    >>> channel_for_source_value("salesforce", "Trade Show")
    'Events'
    >>> channel_for_source_value("salesforce", "LinkedIn")
    'Organic Social'
    """
    if value is None or not value.strip():
        return None
    channel = rules.source_value_channel(system, value)
    if channel is not None:
        return channel
    return rules.classify(source=value, medium=None)
