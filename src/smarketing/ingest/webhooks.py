"""Outbound webhooks: :func:`emit` an event, deliver it signed, retry with backoff, log it all.

Other apps call ``emit(kind, payload)`` (kinds in :data:`WEBHOOK_KINDS`). Inside a
transaction the delivery rows are written with the caller's change (a rolled-back change sends
nothing) and the sending is queued on commit. Each delivery is a POST of the JSON envelope

    {"id": "<event id>", "kind": "deal.won", "created_at": "…", "data": {…}}

with headers ``X-Smarketing-Event``, ``X-Smarketing-Event-Id``, ``X-Smarketing-Timestamp``
and ``X-Smarketing-Signature: sha256=<hex HMAC-SHA256 of the raw body with the endpoint's
secret>``. Endpoints in Slack format get ``{"text": …, "blocks": […]}`` instead (Slack's
incoming webhooks take no signature; the headers are sent all the same).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from smarketing.ingest.models import (
    WEBHOOK_KIND_LABELS,
    WEBHOOK_KINDS,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

#: Attempts before a delivery is marked failed (first try + 7 retries ≈ 1 h 4 min of backoff).
MAX_ATTEMPTS = 8
#: First retry delay in seconds; doubles with every attempt (30 s, 1 min, 2 min … 32 min).
BACKOFF_BASE = 30
TIMEOUT = 10
USER_AGENT = "smarketing-webhooks/1"


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``.

    >>> header = sign(b'{"a":1}', "s3cret")
    >>> header.startswith("sha256="), len(header)
    (True, 71)
    >>> verify(b'{"a":1}', "s3cret", header), verify(b'{"a":2}', "s3cret", header)
    (True, False)
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    """Check a signature header in constant time (what a receiver does)."""
    return hmac.compare_digest(sign(body, secret), header or "")


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next attempt after ``attempts`` failed ones (exponential, capped 1 h)."""
    return dt.timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), 3600))


def emit(
    kind: str,
    payload: dict[str, Any],
    *,
    event_id: str | None = None,
    endpoint: WebhookEndpoint | None = None,
) -> list[int]:
    """Queue ``payload`` for every active endpoint subscribed to ``kind``; returns delivery ids.

    ``endpoint`` sends to that endpoint alone (the "Send a test event" button: a test must
    never reach the other receivers, a Slack channel included). Safe to call inside the
    caller's transaction: the rows commit or roll back with it, and the sending starts only
    after commit. Re-emitting the same ``event_id`` adds nothing.
    """
    if kind not in WEBHOOK_KINDS:
        raise ValidationError({"kind": f"unknown webhook kind {kind!r}"})
    if endpoint is not None:
        endpoints = [endpoint]
    else:
        endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if e.wants(kind)]
    if not endpoints:
        return []
    event_id = event_id or uuid.uuid4().hex
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    now = timezone.now()
    ids = []
    with transaction.atomic():
        for endpoint in endpoints:
            delivery, created = WebhookDelivery.objects.get_or_create(
                endpoint=endpoint,
                event_id=event_id,
                defaults={"kind": kind, "payload": data, "created_at": now, "next_attempt_at": now},
            )
            if created:
                ids.append(delivery.pk)
    if ids:
        from smarketing.ingest.tasks import deliver_webhook

        transaction.on_commit(lambda: [deliver_webhook(pk) for pk in ids])
    return ids


def envelope(delivery: WebhookDelivery) -> dict[str, Any]:
    """The JSON body of a delivery (signed as sent)."""
    return {
        "id": delivery.event_id,
        "kind": delivery.kind,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }


def slack_escape(text: Any) -> str:
    """User text made inert for Slack's mrkdwn: ``&``, ``<`` and ``>`` become entities.

    Slack reads ``<!channel>``, ``<@U123>`` and ``<https://x|label>`` as mentions and links, so a
    visitor-typed form name could otherwise ping a channel or plant a disguised link (Slack's
    "Escaping text" rules: only these three characters are control characters).

    >>> slack_escape("<!channel> & <https://evil.example|Reset your password>")
    '&lt;!channel&gt; &amp; &lt;https://evil.example|Reset your password&gt;'
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _stage_label(code: Any) -> str:
    from smarketing.crm.choices import LifecycleStage

    if not code:
        return "∅"
    try:
        return LifecycleStage(code).label
    except ValueError:
        return str(code)


def record_url(data: dict[str, Any]) -> str | None:
    """The absolute URL of the event's record (contact or deal page), when a base URL is set."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    base = (getattr(settings, "SMARKETING_BASE_URL", "") or "").rstrip("/")
    if not base:
        return None
    try:
        contact = data.get("contact") or {}
        if contact.get("id"):
            return base + reverse("web:contact", args=[contact["id"]])
        deal = data.get("deal") or {}
        if deal.get("id"):
            return base + reverse("web:deals") + f"?q={deal['id']}"
    except NoReverseMatch:
        return None
    return None


def slack_message(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message (``text`` fallback + Block Kit ``blocks``).

    Every value that came from outside (names, form names, rules, notes) is escaped with
    :func:`slack_escape`; only the link to the record, built here, is live mrkdwn.
    """
    text = slack_escape(summary(kind, data))
    url = record_url(data)
    if url:
        text = f"{text} <{url}|Open in smarketing>"
    facts = [
        f"*{key.replace('_', ' ')}:* {slack_escape(value)}"
        for key, value in _facts(data).items()
        if value not in (None, "")
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
    ]
    if facts:
        blocks.append(
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in facts[:10]]}
        )
    label = WEBHOOK_KIND_LABELS.get(kind, kind)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": label}]})
    return {"text": text, "blocks": blocks}


def _fact_value(key: str, value: Any) -> Any:
    if key in ("from_stage", "to_stage", "lifecycle_stage"):
        return _stage_label(value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return _local_time(value)
    return value


def _local_time(iso: str) -> str:
    """An ISO time as the company's local time with its zone (e.g. ``Mon 07 Dec 17:00 EST``)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    try:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    zone = ZoneInfo(getattr(settings, "SMARKETING_COMPANY_TIME_ZONE", "UTC") or "UTC")
    return when.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def _facts(data: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            name = value.get("name") or value.get("email") or value.get("username")
            if name:
                facts[key] = name
        elif not isinstance(value, list):
            facts[key] = _fact_value(key, value)
    return facts


def summary(kind: str, data: dict[str, Any]) -> str:
    """One human line for an event (the Slack text and the delivery log's description)."""
    contact = data.get("contact") or {}
    who = contact.get("name") or contact.get("email") or f"contact {contact.get('id', '?')}"
    deal = data.get("deal") or {}
    owner = (data.get("owner") or {}).get("name") or (data.get("owner") or {}).get("username")
    source = data.get("source") or ""
    lines = {
        "lifecycle.changed": f"{who} moved {_stage_label(data.get('from_stage'))} → "
        f"{_stage_label(data.get('to_stage'))}",
        "lead.created": f"New lead: {who}" + (f" ({source})" if source else ""),
        "lead.mql": f"{who} is now a marketing qualified lead ({data.get('rule', '')})",
        "lead.assigned": f"{who} assigned to {owner or 'the queue'} ({data.get('rule', '')})",
        "lead.accepted": f"{who} accepted by sales",
        "lead.rejected": f"{who} rejected by sales: {data.get('reason_code', '')}",
        "sla.breached": f"SLA breached for {who}: {data.get('rule') or data.get('clock', '')}",
        "deal.won": f"Deal won: {deal.get('name', '?')} ({deal.get('amount', '')} "
        f"{deal.get('currency', '')})",
        "deal.lost": f"Deal lost: {deal.get('name', '?')} ({deal.get('loss_reason', '')})",
    }
    line = lines.get(kind, kind)
    return ("[test] " + line) if data.get("test") else line


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """Take a delivery for one attempt, or None if it is done or another worker holds it.

    The conditional UPDATE is the lock: a scheduled retry and the periodic sweep can both try,
    only one sends.
    """
    lease = now + dt.timedelta(seconds=TIMEOUT * 3)
    taken = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status__in=["pending", "retrying"], next_attempt_at__lte=now
        )
        .exclude(endpoint__active=False)
        .update(next_attempt_at=lease)
    )
    if not taken:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt at a delivery and log the outcome; returns it (None if not due)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if endpoint.format == WebhookEndpoint.Format.SLACK:
        document = slack_message(delivery.kind, delivery.payload)
    else:
        document = envelope(delivery)
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    request = urllib.request.Request(endpoint.url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    request.add_header("X-Smarketing-Event", delivery.kind)
    request.add_header("X-Smarketing-Event-Id", delivery.event_id)
    request.add_header("X-Smarketing-Timestamp", str(int(now.timestamp())))
    request.add_header("X-Smarketing-Signature", sign(body, endpoint.secret))
    code, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            code, excerpt = response.status, response.read(500).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        code, excerpt = exc.code, exc.read(500).decode(errors="replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:500]
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        attempted_at=now,
        body=body.decode(),
        response_code=code,
        response_excerpt=excerpt[:500],
        error=error or ("" if code and 200 <= code < 300 else f"HTTP {code}"),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    delivery.response_code = code
    delivery.response_excerpt = excerpt[:500]
    delivery.error = error or ("" if code and 200 <= code < 300 else f"HTTP {code}")
    if code and 200 <= code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "response_code",
            "response_excerpt",
            "error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]  # fmt: skip
    )
    if delivery.status == WebhookDelivery.Status.FAILED:
        log.warning("webhook %s to %s failed after %s attempts", delivery.kind, endpoint.url,
                    delivery.attempts)  # fmt: skip
    return delivery


def due_deliveries(now: dt.datetime | None = None) -> list[int]:
    """Ids of deliveries waiting for an attempt whose time has come."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status__in=["pending", "retrying"], next_attempt_at__lte=now, endpoint__active=True
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """Give ``endpoint`` a new signing secret (deliveries from now on are signed with it)."""
    from smarketing.ingest.models import _secret

    endpoint.secret = _secret()
    endpoint.save(update_fields=["secret"])
    return endpoint.secret


def redeliver(delivery: WebhookDelivery) -> None:
    """Queue a failed (or delivered) delivery once more, from the delivery log page."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    from smarketing.ingest.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook(delivery.pk))
