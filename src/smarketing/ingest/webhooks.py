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
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from smarketing.ingest.models import WEBHOOK_KINDS, WebhookDelivery, WebhookEndpoint

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


def emit(kind: str, payload: dict[str, Any], *, event_id: str | None = None) -> list[int]:
    """Queue ``payload`` for every active endpoint subscribed to ``kind``; returns delivery ids.

    Safe to call inside the caller's transaction: the rows commit or roll back with it, and
    the sending starts only after commit. Re-emitting the same ``event_id`` adds nothing.
    """
    if kind not in WEBHOOK_KINDS:
        raise ValidationError({"kind": f"unknown webhook kind {kind!r}"})
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


def slack_message(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message (``text`` fallback + Block Kit ``blocks``)."""
    text = summary(kind, data)
    facts = [
        f"*{key.replace('_', ' ')}:* {value}"
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
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"`{kind}`"}]})
    return {"text": text, "blocks": blocks}


def _facts(data: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            name = value.get("name") or value.get("email") or value.get("username")
            if name:
                facts[key] = name
        elif not isinstance(value, list):
            facts[key] = value
    return facts


def summary(kind: str, data: dict[str, Any]) -> str:
    """One human line for an event (the Slack text and the delivery log's description)."""
    contact = data.get("contact") or {}
    who = contact.get("name") or contact.get("email") or f"contact {contact.get('id', '?')}"
    deal = data.get("deal") or {}
    owner = (data.get("owner") or {}).get("name") or (data.get("owner") or {}).get("username")
    lines = {
        "lifecycle.changed": f"{who} moved {data.get('from_stage') or '∅'} → {data.get('to_stage')}",
        "lead.assigned": f"{who} assigned to {owner or 'the queue'} ({data.get('rule', '')})",
        "lead.accepted": f"{who} accepted by sales",
        "lead.rejected": f"{who} rejected by sales: {data.get('reason_code', '')}",
        "sla.breached": f"SLA breached for {who}: {data.get('rule') or data.get('clock', '')}",
        "deal.won": f"Deal won: {deal.get('name', '?')} ({deal.get('amount', '')} "
        f"{deal.get('currency', '')})",
        "deal.lost": f"Deal lost: {deal.get('name', '?')} ({deal.get('loss_reason', '')})",
    }
    return lines.get(kind, kind)


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
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            code, excerpt = response.status, response.read(500).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        code, excerpt = exc.code, exc.read(500).decode(errors="replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:500]
    delivery.attempts += 1
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


def redeliver(delivery: WebhookDelivery) -> None:
    """Queue a failed (or delivered) delivery once more, from the delivery log page."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    from smarketing.ingest.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook(delivery.pk))
