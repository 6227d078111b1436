"""The SLA as an enforced contract: stored versions, per-lead clocks, breaches, notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from smarketing.crm.models import Contact
from smarketing.funnel.models import LeadAssignment


class SlaVersion(models.Model):
    """An SlaVersion is one stored version of the SLA document (YAML), validated on save.

    Exactly one version is active at a time; only a document that validates can be activated
    (:func:`smarketing.sla.actions.do_activate_sla_version`).
    """

    version = models.PositiveIntegerField(help_text="The document's own `version:` field.")
    name = models.CharField(max_length=200)
    text = models.TextField(help_text="The YAML document as written.")
    effective = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=False, db_index=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_sla"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}{' (active)' if self.active else ''}"


class LeadClock(models.Model):
    """A LeadClock holds a lead's three SLA clocks for one assignment to one owner.

    Status codes: 0 pending, 1 met, 2 breached (as :mod:`smarketing.analytics.sla.clocks`).
    ``settled`` clocks need no more evaluation: the periodic task reads only unsettled ones.
    """

    PENDING, MET, BREACHED = 0, 1, 2
    STATUS_CHOICES = [(0, "pending"), (1, "met"), (2, "breached")]

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="sla_clocks")
    assignment = models.OneToOneField(
        LeadAssignment, on_delete=models.CASCADE, related_name="clock"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_clocks"
    )
    sla = models.ForeignKey(SlaVersion, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(db_index=True)
    priority = models.CharField(max_length=20, default="default")
    first_touch_due = models.DateTimeField(null=True)
    attempts_due = models.DateTimeField(null=True)
    decision_due = models.DateTimeField(null=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    kth_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the SLA's minimum number of attempts was reached."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, blank=True)  # accepted / rejected
    status_first_touch = models.PositiveSmallIntegerField(choices=STATUS_CHOICES, default=0)
    status_attempts = models.PositiveSmallIntegerField(choices=STATUS_CHOICES, default=0)
    status_decision = models.PositiveSmallIntegerField(choices=STATUS_CHOICES, default=0)
    settled = models.BooleanField(default=False)
    superseded = models.BooleanField(default=False, help_text="The lead was reassigned.")
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        indexes = [
            models.Index(fields=["settled", "owner"], name="sla_clock_open"),
            models.Index(fields=["owner", "assigned_at"]),
        ]

    def __str__(self) -> str:
        return (
            f"clock of {self.contact_id} ({self.owner_id}) from {self.assigned_at:%Y-%m-%d %H:%M}"
        )

    def status_name(self, kind: str) -> str:
        return dict(self.STATUS_CHOICES)[getattr(self, f"status_{kind}")]


class Breach(models.Model):
    """A Breach is one SLA clock that ran out: recorded once, notified, escalated, reassigned."""

    class Kind(models.TextChoices):
        FIRST_TOUCH = "first_touch", "First touch"
        ATTEMPTS = "attempts", "Attempts"
        DECISION = "decision", "Accept / reject decision"

    clock = models.ForeignKey(LeadClock, on_delete=models.CASCADE, related_name="breaches")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due = models.DateTimeField()
    detected_at = models.DateTimeField(default=timezone.now, db_index=True)
    overdue_hours = models.FloatField(default=0.0)
    notified_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reassigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="When the late touch / decision finally happened."
    )

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind"], name="one_breach_per_clock_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} breach on {self.clock_id}"


class Notification(models.Model):
    """A Notification tells a user something needs them (a breach, an escalation, a new lead)."""

    class Kind(models.TextChoices):
        BREACH = "breach", "SLA breach"
        ESCALATION = "escalation", "Escalation"
        REASSIGNED = "reassigned", "Lead reassigned"
        CONTENT_VIEW = "content_view", "Content viewed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=500)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    breach = models.ForeignKey(
        Breach, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message[:60]}"


class ComplianceSnapshot(models.Model):
    """A month's compliance figures (``selectors.compliance``) as computed at ``computed_at``.

    The dashboards and reports read these instead of recomputing the month's business-hours
    clocks on every view; a periodic task keeps the current month fresh.
    """

    month = models.CharField(max_length=7, unique=True)  # YYYY-MM
    sla_version = models.ForeignKey(
        SlaVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField()
    data = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"SLA compliance {self.month} as of {self.computed_at:%Y-%m-%d %H:%M}"
