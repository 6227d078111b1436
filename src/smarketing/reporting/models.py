"""Reporting state: read-only share links to dashboards, and who receives the scheduled reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

DASHBOARD_CHOICES = [
    ("marketing", "Marketing"),
    ("sales", "Sales"),
    ("smarketing", "Smarketing (joint)"),
]


class ShareLink(models.Model):
    """A ShareLink lets anyone holding its signed token view one dashboard read-only.

    The token (``django.core.signing``) carries the link's id, so a tampered token fails the
    signature check; the row makes the link expiring (``expires_at``) and revocable
    (``revoked_at``). The filters the dashboard shows are frozen in ``params``.
    """

    dashboard = models.CharField(max_length=20, choices=DASHBOARD_CHOICES)
    params = models.JSONField(default=dict, blank=True, help_text="Frozen dashboard filters.")
    label = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_dashboard_display()} share #{self.pk}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ReportRecipient(models.Model):
    """A ReportRecipient receives the scheduled monthly report and/or weekly brief by e-mail.

    Addresses in the ``SMARKETING_REPORT_RECIPIENTS`` setting are added to these rows.
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly report"
        WEEKLY = "weekly", "Weekly brief"
        BOTH = "both", "Both"

    email = models.EmailField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BOTH)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.email} ({self.kind})"


class ReportDelivery(models.Model):
    """A ReportDelivery records one scheduled send, so a retried task does not send twice."""

    kind = models.CharField(max_length=10)
    period = models.CharField(max_length=10)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period"], name="report_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period}"
