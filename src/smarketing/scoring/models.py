"""Scoring state: definition versions, each lead's current score and its history, predictive
model versions and drift alerts.

The computation lives in the pure :mod:`smarketing.analytics.scoring`; these tables store what
it decided. ``LeadScore`` has one row per contact (fields ``contact``, ``fit``, ``engagement``:
the funnel's MQL rule reads them through :mod:`smarketing.scoring.selectors`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from smarketing.crm.models import Contact

USER = settings.AUTH_USER_MODEL


class ScoringDefinition(models.Model):
    """A ScoringDefinition is one stored version of the YAML scoring definition.

    Rows are never edited: a change is a new row. At most one row is ``active`` (a partial
    unique constraint), and only a text that loads without errors can be saved, so an invalid
    definition can never be in force.
    """

    version = models.PositiveIntegerField(help_text="The definition's own `version:` field.")
    name = models.CharField(max_length=200, blank=True)
    text = models.TextField(help_text="The YAML source, exactly as saved.")
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_scoring_definition"
            )
        ]

    def __str__(self) -> str:
        label = self.name or "scoring definition"
        return f"{label} v{self.version} (#{self.pk})"


class LeadScore(models.Model):
    """A LeadScore is a contact's current scores: rule fit / engagement / total, hand-raiser
    and MQL flags, and (when a predictive model is active) the probability with its top
    factors. One row per contact, rewritten on every rescore."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, primary_key=True, related_name="lead_score"
    )
    fit = models.FloatField(default=0.0)
    engagement = models.FloatField(default=0.0)
    total = models.FloatField(default=0.0, db_index=True)
    hand_raiser = models.BooleanField(default=False)
    is_mql = models.BooleanField(default=False)
    definition = models.ForeignKey(
        ScoringDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    probability = models.FloatField(null=True, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    top_factors = models.JSONField(default=list, blank=True)
    prediction_stale = models.BooleanField(
        default=False,
        db_index=True,
        help_text="The rule score changed since the probability was computed (refreshed in batches).",
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-hand_raiser", "-total"]

    def __str__(self) -> str:
        return f"contact {self.contact_id}: fit {self.fit:.0f}, engagement {self.engagement:.0f}"

    @property
    def priority_score(self) -> float:
        """What the inbox orders by after hand-raisers: the probability, else the rule total."""
        return self.probability if self.probability is not None else self.total


class ScoreHistory(models.Model):
    """A ScoreHistory row records a contact's scores at a moment they changed (append-only)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="score_history")
    fit = models.FloatField()
    engagement = models.FloatField()
    total = models.FloatField()
    hand_raiser = models.BooleanField(default=False)
    is_mql = models.BooleanField(default=False)
    probability = models.FloatField(null=True, blank=True)
    definition_version = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=40, blank=True, help_text="touchpoint, bulk, model…")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["contact", "at", "id"]
        indexes = [models.Index(fields=["contact", "at"])]
        verbose_name_plural = "score history"

    def __str__(self) -> str:
        return f"contact {self.contact_id} @ {self.at:%Y-%m-%d %H:%M}: {self.total:.1f}"


class PredictiveModel(models.Model):
    """A PredictiveModel is one trained version of the predictive lead score.

    ``data`` holds the pickled model (written only by smarketing); ``metrics`` the
    cross-validated and held-out figures; ``training_scores`` quantiles of the training
    (out-of-fold) probabilities, the reference the daily drift check compares new leads to.
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    data = models.BinaryField()
    metrics = models.JSONField(default=dict)
    holdout = models.JSONField(default=dict, blank=True, help_text="Held-out comparison.")
    training_scores = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=40, default="crm", help_text="crm or csv")
    trained_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=300, blank=True, help_text="Why (not) activated.")

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_predictive_model"
            )
        ]

    def __str__(self) -> str:
        return f"model v{self.version} ({self.name})"


class DriftAlert(models.Model):
    """A DriftAlert records that new leads' scores moved away from the training distribution."""

    model = models.ForeignKey(PredictiveModel, on_delete=models.CASCADE, related_name="alerts")
    psi = models.FloatField()
    level = models.CharField(max_length=30)
    n_new = models.PositiveIntegerField()
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"drift PSI {self.psi:.3f} ({self.level}) on {self.model}"
