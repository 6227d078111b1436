"""Validate incoming events, one by one, into :class:`CleanEvent` rows ready to store.

Two doors lead in: the browser tracking snippet (:class:`BrowserEventIn`, public, keyed by
a site's public key) and the server-side event API (:class:`ServerEventIn`, token-
authenticated, for email, ad, webinar and sales tools). Each event is validated on its own so
one bad event in a batch gets an error naming its index and field while the others are
stored. The Pydantic models are also what the OpenAPI documents.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import pydantic
from django.utils import timezone

from smarketing.core.bounds import (
    BoundsError,
    Id,
    check_json,
    event_time,
    strip_control,
)
from smarketing.crm.choices import SALES_TOUCH_KINDS, CallOutcome, TouchKind
from smarketing.crm.normalize import InvalidValue, normalize_email

#: Most events one request may carry (more → HTTP 413).
MAX_BATCH = 1000
ANON_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

_Text = pydantic.constr(max_length=2000)
_Short = pydantic.constr(max_length=200)


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)


class BrowserEventIn(_Strict):
    """One event from the tracking snippet (``POST /ingest/collect``)."""

    type: Literal["page_view", "form_submit", "identify"]
    anonymous_id: str = pydantic.Field(max_length=64)
    event_id: str | None = pydantic.Field(default=None, max_length=64)
    occurred_at: dt.datetime | None = None
    url: _Text = ""
    referrer: _Text = ""
    title: _Short = ""
    utm: dict[str, _Short] = pydantic.Field(default_factory=dict)
    form_id: _Short = ""
    email: _Short = ""
    first_name: pydantic.constr(max_length=100) = ""
    last_name: pydantic.constr(max_length=100) = ""
    company: _Short = ""


class ServerEventIn(_Strict):
    """One touchpoint from a server-side tool (``POST /api/ingest/events``).

    ``external_id`` is the sender's own event id: a retry with the same id adds nothing.
    Who it concerns: ``email`` (the contact is found or created), ``contact_id``,
    ``anonymous_id`` (a browser visitor) or ``account_domain``.
    """

    external_id: str = pydantic.Field(min_length=1, max_length=200)
    kind: Literal[tuple(TouchKind.values)]  # type: ignore[valid-type]
    occurred_at: dt.datetime
    email: _Short = ""
    contact_id: Id | None = None
    anonymous_id: str = pydantic.Field(default="", max_length=64)
    account_domain: _Short = ""
    source: pydantic.constr(max_length=100) = ""
    medium: pydantic.constr(max_length=100) = ""
    campaign: _Short = pydantic.Field(default="", description="UTM campaign key of a Campaign.")
    channel: pydantic.constr(max_length=50) = pydantic.Field(
        default="", description="Overrides the channel grouping rules."
    )
    keyword: _Short = ""
    email_subject: pydantic.constr(max_length=250) = ""
    url: _Text = ""
    referrer: _Text = ""
    outcome: Literal[("",) + tuple(CallOutcome.values)] = ""  # type: ignore[valid-type]
    user: _Short = pydantic.Field(default="", description="Username or email of the rep.")
    first_name: pydantic.constr(max_length=100) = ""
    last_name: pydantic.constr(max_length=100) = ""
    properties: dict[str, Any] = pydantic.Field(default_factory=dict)


@dataclass(slots=True)
class CleanEvent:
    """A validated event: touchpoint columns plus who it concerns (resolved to ids later)."""

    index: int
    external_id: str
    kind: str
    occurred_at: dt.datetime
    anonymous_id: str = ""
    email: str | None = None
    contact_id: Id | None = None
    account_domain: str = ""
    campaign_key: str = ""
    user_key: str = ""
    channel: str = ""
    columns: dict[str, Any] = field(default_factory=dict)
    #: Profile fields of a form submission / identify call (first_name, last_name, company).
    profile: dict[str, str] | None = None
    #: True when the event identifies its visitor (a form with an email, an identify call).
    identifies: bool = False


class EventError(Exception):
    """An event failed validation; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _pydantic_errors(exc: pydantic.ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err["loc"]) or "__all__"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        errors.setdefault(name, message)
    return errors


def _when(value: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    if timezone.is_naive(value):
        raise EventError({"occurred_at": "needs a time zone, e.g. 2025-03-04T10:00:00Z"})
    reason = event_time(value, now=now)
    if reason:
        raise EventError({"occurred_at": reason})
    return value.astimezone(dt.UTC)


def _raw_event(raw: Any) -> dict:
    """The raw event as a dict with NUL and control characters removed from its strings.

    PostgreSQL refuses NUL in text and JSON; stripping them here (rather than refusing the
    event) keeps a page view whose title a broken CMS padded with ``\\u0000``.
    """
    if not isinstance(raw, dict):
        raise EventError({"__all__": "an event must be a JSON object"})
    raw = strip_control(raw)
    try:
        check_json(raw, control=False)
    except BoundsError as exc:
        raise EventError({exc.field.removeprefix("$."): exc.message}) from None
    return raw


def _email(value: str) -> str | None:
    try:
        return normalize_email(value)
    except InvalidValue as exc:
        raise EventError({"email": str(exc)}) from None


def _url_utm(url: str) -> dict[str, str]:
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return {}
    return {k: v[0][:200] for k, v in query.items() if k in UTM_KEYS and v and v[0]}


def _same_host(url: str, referrer: str) -> bool:
    try:
        return bool(referrer) and urlsplit(url).hostname == urlsplit(referrer).hostname
    except ValueError:
        return False


def parse_browser_event(raw: Any, index: int, *, site_id: int, now: dt.datetime) -> CleanEvent:
    """Validate one tracking-snippet event; raises :class:`EventError` naming the field."""
    raw = _raw_event(raw)
    try:
        event = BrowserEventIn.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise EventError(_pydantic_errors(exc)) from None
    if not ANON_RE.match(event.anonymous_id):
        raise EventError({"anonymous_id": "must be 1-64 letters, digits, '-', '_', '.' or ':'"})
    if event.type == "page_view" and not event.url:
        raise EventError({"url": "a page view needs the page url"})
    bad_utm = sorted(set(event.utm) - set(UTM_KEYS))
    if bad_utm:
        raise EventError({f"utm.{bad_utm[0]}": f"unknown UTM key; use {', '.join(UTM_KEYS)}"})
    email = _email(event.email) if event.email else None
    if event.type == "identify" and not email:
        raise EventError({"email": "an identify event needs an email"})
    utm = {**_url_utm(event.url), **event.utm}
    # A referrer on our own site is navigation, not a source: leaving it would make every
    # second page view a "Referral".
    referrer = "" if _same_host(event.url, event.referrer) else event.referrer
    event_id = event.event_id or uuid.uuid4().hex
    properties: dict[str, Any] = {}
    if event.title:
        properties["title"] = event.title
    if utm:
        properties["utm"] = utm
    if event.form_id:
        properties["form_id"] = event.form_id
    kind = "form_submit" if event.type in ("form_submit", "identify") else "page_view"
    profile = {
        k: v
        for k, v in (
            ("first_name", event.first_name),
            ("last_name", event.last_name),
            ("company", event.company),
        )
        if v
    }
    return CleanEvent(
        index=index,
        external_id=f"web:{site_id}:{event_id}",
        kind=kind,
        occurred_at=_when(event.occurred_at, now),
        anonymous_id=event.anonymous_id,
        email=email,
        campaign_key=utm.get("utm_campaign", ""),
        columns={
            "source": utm.get("utm_source", "")[:100],
            "medium": utm.get("utm_medium", "")[:100],
            "keyword": utm.get("utm_term", ""),
            "url": event.url,
            "referrer": referrer,
            "properties": properties,
        },
        profile=profile,
        identifies=bool(email),
    )


def parse_server_event(raw: Any, index: int, *, now: dt.datetime) -> CleanEvent:
    """Validate one server-side event; raises :class:`EventError` naming the field."""
    raw = _raw_event(raw)
    try:
        event = ServerEventIn.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise EventError(_pydantic_errors(exc)) from None
    if event.anonymous_id and not ANON_RE.match(event.anonymous_id):
        raise EventError({"anonymous_id": "must be 1-64 letters, digits, '-', '_', '.' or ':'"})
    email = _email(event.email) if event.email else None
    if not (email or event.contact_id or event.anonymous_id or event.account_domain):
        raise EventError(
            {
                "email": "say who the touch concerns: email, contact_id, anonymous_id or "
                "account_domain"
            }  # fmt: skip
        )
    profile = {"first_name": event.first_name, "last_name": event.last_name}
    return CleanEvent(
        index=index,
        external_id=event.external_id,
        kind=event.kind,
        occurred_at=_when(event.occurred_at, now),
        anonymous_id=event.anonymous_id,
        email=email,
        contact_id=event.contact_id,
        account_domain=event.account_domain,
        campaign_key=event.campaign,
        user_key=event.user,
        channel=event.channel,
        columns={
            "team": "sales" if event.kind in SALES_TOUCH_KINDS else "marketing",
            "source": event.source,
            "medium": event.medium,
            "keyword": event.keyword,
            "email_subject": event.email_subject,
            "url": event.url,
            "referrer": event.referrer,
            "outcome": event.outcome,
            "properties": event.properties,
        },
        profile={k: v for k, v in profile.items() if v},
        # A server event with both an email and a browser id ties the two together.
        identifies=bool(email and event.anonymous_id),
    )


def batch_of(body: Any) -> list[Any]:
    """The list of raw events in a request body: ``{"events": [...]}``, a list, or one event."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and "events" in body:
        if not isinstance(body["events"], list):
            raise EventError({"events": "must be a list of events"})
        return body["events"]
    if isinstance(body, dict):
        return [{k: v for k, v in body.items() if k != "key"}]
    raise EventError({"__all__": 'send one event object, a list, or {"events": [...]}'})
