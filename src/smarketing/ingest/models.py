"""What the event and webhook side of ingest stores: tracked sites, inbound forms, outbound
webhook endpoints with their delivery log, and the admin-edited channel rules.

The touchpoints, contacts and visitor ids themselves live in :mod:`smarketing.crm.models`;
these tables only configure how events enter and leave.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

#: Every kind of outbound webhook event other apps can :func:`~smarketing.ingest.webhooks.emit`,
#: with the words shown to people (settings page, Slack messages).
WEBHOOK_KIND_LABELS: dict[str, str] = {
    "lifecycle.changed": "Lifecycle stage changed",
    "lead.created": "New lead",
    "lead.mql": "Lead became an MQL",
    "lead.assigned": "Lead assigned",
    "lead.accepted": "Lead accepted by sales",
    "lead.rejected": "Lead rejected by sales",
    "sla.breached": "SLA breached",
    "deal.won": "Deal won",
    "deal.lost": "Deal lost",
}

WEBHOOK_KINDS: tuple[str, ...] = tuple(WEBHOOK_KIND_LABELS)


def _public_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


def _secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _check_origin(origin: str) -> str | None:
    """Return an error for a malformed CORS origin (``scheme://host[:port]``), else None."""
    if origin == "*":
        return None
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme not in ("http", "https") or not rest or "/" in rest:
        return f"{origin!r} is not an origin like https://www.example.com"
    return None


class TrackingSite(models.Model):
    """A TrackingSite is a website carrying the tracking snippet, identified by a public key.

    The key is public (it is in the page's HTML); what protects the endpoint is the origin
    list (CORS), the rate limit and the fact that the endpoint can only add touchpoints.
    """

    name = models.CharField(max_length=200)
    public_key = models.CharField(max_length=40, unique=True, default=_public_key)
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text='Origins allowed to send events, e.g. ["https://www.example.com"]; "*" = any.',
    )
    key_rate_limit = models.PositiveIntegerField(
        default=6000, help_text="Requests per minute for this key (all visitors); 0 = no limit."
    )
    ip_rate_limit = models.PositiveIntegerField(
        default=300, help_text="Requests per minute from one IP address; 0 = no limit."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def normalize_origins(origins) -> list[str]:
        """Trimmed, lower-case origins; raises ``ValidationError`` naming a malformed one."""
        if not isinstance(origins, list):
            raise ValidationError("must be a list of origins")
        cleaned = []
        for origin in origins:
            origin = str(origin).strip().rstrip("/").lower()
            if not origin:
                continue
            error = _check_origin(origin)
            if error:
                raise ValidationError(error)
            cleaned.append(origin)
        return cleaned

    def clean(self) -> None:
        try:
            self.allowed_origins = self.normalize_origins(self.allowed_origins)
        except ValidationError as exc:
            raise ValidationError({"allowed_origins": exc.messages}) from None

    def allows_origin(self, origin: str | None) -> bool:
        """Whether a browser request from ``origin`` may send events for this site."""
        if not origin:
            return False
        origin = origin.strip().rstrip("/").lower()
        return "*" in self.allowed_origins or origin in self.allowed_origins


class InboundForm(models.Model):
    """An InboundForm receives submissions of an external form tool as signed JSON webhooks.

    ``field_mapping`` maps contact fields to dotted paths in the posted JSON, e.g.
    ``{"email": "data.email", "first_name": "data.fname", "submission_id": "id"}``.
    """

    name = models.CharField(max_length=200)
    secret = models.CharField(max_length=100, default=_secret)
    field_mapping = models.JSONField(default=dict, blank=True)
    default_campaign = models.ForeignKey(
        "crm.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_channel = models.CharField(max_length=50, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    #: Fields the mapping may fill (contact fields plus the submission's own keys).
    MAPPABLE = (
        "email",
        "first_name",
        "last_name",
        "title",
        "phone",
        "country",
        "company",
        "submission_id",
        "anonymous_id",
        "occurred_at",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "url",
        "email_consent",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def check_mapping(cls, mapping) -> None:
        """Raise ``ValidationError`` when a field mapping is malformed."""
        if not isinstance(mapping, dict):
            raise ValidationError("must be a JSON object {field: path}")
        unknown = sorted(set(mapping) - set(cls.MAPPABLE))
        if unknown:
            raise ValidationError(
                f"unknown field(s) {', '.join(unknown)}; map any of {', '.join(cls.MAPPABLE)}"
            )
        bad = [k for k, v in mapping.items() if not isinstance(v, str) or not v]
        if bad:
            raise ValidationError(f"path of {bad[0]} must be text like data.x")

    def clean(self) -> None:
        try:
            self.check_mapping(self.field_mapping)
        except ValidationError as exc:
            raise ValidationError({"field_mapping": exc.messages}) from None


class WebhookEndpoint(models.Model):
    """A WebhookEndpoint is a URL that receives signed JSON (or Slack messages) on events."""

    class Format(models.TextChoices):
        JSON = "json", "JSON (signed)"
        SLACK = "slack", "Slack message"

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=_secret)
    kinds = models.JSONField(default=list, blank=True, help_text="Subscribed kinds; empty = all.")
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.JSON)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.kinds, list):
            raise ValidationError({"kinds": "must be a list of event kinds"})
        unknown = [k for k in self.kinds if k not in WEBHOOK_KINDS]
        if unknown:
            raise ValidationError(
                {
                    "kinds": f"unknown kind(s) {', '.join(map(str, unknown))}; "
                    f"use {', '.join(WEBHOOK_KINDS)}"
                }  # fmt: skip
            )

    def wants(self, kind: str) -> bool:
        """Whether this endpoint is subscribed to ``kind``."""
        return self.active and (not self.kinds or kind in self.kinds)


class WebhookDelivery(models.Model):
    """A WebhookDelivery is one event sent (or being sent) to one endpoint: the delivery log.

    ``event_id`` is the same for every endpoint an event goes to and is sent as
    ``X-Smarketing-Event-Id`` so receivers can drop a retried duplicate.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40, db_index=True)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint} ({self.status})"


class WebhookAttempt(models.Model):
    """A WebhookAttempt is one try at sending a delivery: when, what was sent, what came back.

    The delivery row holds the latest outcome; the attempts keep every one, with the exact
    body sent (a Slack message or the signed envelope), for the delivery log.
    """

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(default=timezone.now)
    body = models.TextField(blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class ChannelRuleSet(models.Model):
    """A ChannelRuleSet is the admin-edited channel grouping rules (the active one is used).

    ``document`` has the format of :class:`smarketing.ingest.channels.ChannelRules`
    (``{"rules": [...], "fallback": "Other"}``); without an active row the default rules apply.
    """

    name = models.CharField(max_length=100, default="Custom rules")
    document = models.JSONField(default=dict)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from smarketing.ingest.channels import ChannelRules, ChannelRulesError

        try:
            ChannelRules.from_dict(self.document)
        except (ChannelRulesError, TypeError, AttributeError) as exc:
            raise ValidationError({"document": str(exc)}) from None
