"""Funnel state that both teams share: the stage-change log and sales' review of each lead."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from smarketing.crm.choices import LifecycleStage
from smarketing.crm.models import Contact


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset refusing bulk updates and deletes: history is never rewritten."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} is append-only")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} is append-only")


class StageChange(models.Model):
    """A StageChange is one lifecycle transition of a contact: from, to, when, by whom, why.

    Append-only: rows are never updated or deleted (they are the funnel's history).
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=LifecycleStage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(
        max_length=100, blank=True, help_text="The rule or system that moved it."
    )
    reason = models.CharField(max_length=300, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["contact", "changed_at"]),
            models.Index(fields=["to_stage", "changed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.from_stage or '∅'} → {self.to_stage} @ {self.changed_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("StageChange is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("StageChange is append-only")


class RejectionReason(models.TextChoices):
    """Why sales rejected a lead; the reason decides whether it is recycled or disqualified."""

    BAD_FIT = "bad_fit", "Bad fit"
    NO_BUDGET = "no_budget", "No budget"
    NOT_DECISION_MAKER = "not_decision_maker", "Not a decision maker"
    DUPLICATE = "duplicate", "Duplicate"
    BAD_DATA = "bad_data", "Bad data"
    TOO_EARLY = "too_early", "Too early"
    COMPETITOR = "competitor", "Competitor"
    OTHER = "other", "Other"


class LeadReview(models.Model):
    """A LeadReview is sales' verdict on a lead it received: accept, or reject with a reason."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", "Accept"
        REJECT = "reject", "Reject"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason_code = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    quality_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="accept") | ~Q(reason_code=""),
                name="rejection_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(quality_rating__isnull=True)
                | (Q(quality_rating__gte=1) & Q(quality_rating__lte=5)),
                name="quality_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.contact_id}"


class MqlRule(models.Model):
    """An MqlRule is the sales-ready definition both teams agreed on (the MQL threshold).

    A lead qualifies when it raised its hand (a form whose URL or ``properties.form`` contains
    one of ``hand_raiser_markers``: it qualifies at once), or when its scores reach the
    thresholds and it matches the ideal customer profile (personas, segments, countries; an
    empty list means "any"). The newest active rule is the one in force.
    """

    name = models.CharField(max_length=100, default="Sales-ready definition")
    active = models.BooleanField(default=True)
    min_fit_score = models.FloatField(
        null=True, blank=True, help_text="Fit score needed (empty = no fit threshold)."
    )
    min_engagement_score = models.FloatField(
        null=True, blank=True, help_text="Engagement score needed (empty = no threshold)."
    )
    high_priority_fit_score = models.FloatField(
        null=True, blank=True, help_text="Fit score from which an MQL gets the 'high' priority."
    )
    personas = models.ManyToManyField(
        "crm.Persona", blank=True, related_name="+", help_text="ICP personas (none = any)."
    )
    icp_segments = models.JSONField(default=list, blank=True, help_text="e.g. ['enterprise']")
    icp_countries = models.JSONField(default=list, blank=True, help_text="ISO codes, e.g. ['US']")
    hand_raiser_markers = models.JSONField(
        default=list,
        blank=True,
        help_text="Form URL / name fragments that qualify at once, e.g. ['demo-request'].",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class LeadAssignment(models.Model):
    """A LeadAssignment records who a lead was routed to, when, and by which rule.

    ``owner`` is empty when no rep was available: the lead waits in the queue. Rows are kept
    (history); ``is_current`` marks the contact's latest assignment.
    """

    class Rule(models.TextChoices):
        ACCOUNT_OWNER = "account_owner", "Account owner"
        TERRITORY = "territory", "Territory"
        ROUND_ROBIN = "round_robin", "Round robin (capacity-weighted)"
        QUEUE = "queue", "Queue (nobody available)"
        MANUAL = "manual", "Manual"
        SLA_REASSIGN = "sla_reassign", "SLA reassignment"
        IMPORTED = "imported", "Existing owner (imported / demo)"

    class Priority(models.TextChoices):
        HAND_RAISER = "hand_raiser", "Hand-raiser"
        HIGH = "high", "High"
        DEFAULT = "default", "Default"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="assignments")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_assignments",
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(max_length=20, choices=Rule.choices)
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.DEFAULT)
    detail = models.CharField(max_length=300, blank=True, help_text="Why this rule matched.")
    assigned_at = models.DateTimeField(default=timezone.now, db_index=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "assigned_at"]),
            models.Index(fields=["contact", "is_current"]),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.owner_id or 'queue'} ({self.rule})"
