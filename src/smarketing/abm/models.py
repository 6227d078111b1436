"""What account-based marketing stores: the ICP versions, each account's scores and stage
(with history), and hand-kept target lists. Tier and the target flag live on ``crm.Account``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from smarketing.crm.models import Account


class IcpVersion(models.Model):
    """An IcpVersion is one saved text of the ideal customer profile (YAML); one is active."""

    number = models.PositiveIntegerField(unique=True)
    text = models.TextField()
    active = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"ICP v{self.number}{' (active)' if self.active else ''}"


class AccountStage(models.TextChoices):
    """The account funnel: a target account is engaged, then marketing-qualified, then buys."""

    NONE = "", "Not a target"
    TARGET = "target", "Target"
    ENGAGED = "engaged", "Engaged"
    MQA = "mqa", "Marketing qualified account"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"


ACCOUNT_FUNNEL = ("target", "engaged", "mqa", "opportunity", "customer")


class AccountProfile(models.Model):
    """An AccountProfile is an account's ABM state: fit and engagement (0-100, explained), the
    engaged personas and its stage in the account funnel. Recomputed by the write path."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="abm")
    fit = models.FloatField(default=0)
    fit_reasons = models.JSONField(default=list, blank=True)
    engagement = models.FloatField(default=0, db_index=True)
    engagement_words = models.CharField(max_length=300, blank=True)
    touches = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)
    engaged_personas = models.JSONField(default=list, blank=True)
    last_touch = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=12, choices=AccountStage.choices, blank=True, db_index=True)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.account}: fit {self.fit:.0f}, engagement {self.engagement:.0f}"


class AccountScoreHistory(models.Model):
    """One change of an account's scores (written only when a score moved by a point or more)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="abm_history")
    at = models.DateTimeField(default=timezone.now)
    fit = models.FloatField()
    engagement = models.FloatField()

    class Meta:
        ordering = ["account", "-at"]
        indexes = [models.Index(fields=["account", "at"])]

    def __str__(self) -> str:
        return f"{self.account_id} at {self.at:%Y-%m-%d}: fit {self.fit:.0f}, engagement {self.engagement:.0f}"


class AccountStageChange(models.Model):
    """A move of an account in the account funnel: when, from, to, and by which rule."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="abm_stages")
    from_stage = models.CharField(max_length=12, blank=True)
    to_stage = models.CharField(max_length=12)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    rule = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["account", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_stage or '—'} -> {self.to_stage}"


class TargetList(models.Model):
    """A TargetList is a named list of target accounts (a campaign's, a territory's)."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    accounts = models.ManyToManyField(Account, blank=True, related_name="target_lists")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
