"""Shared goals: one revenue goal per period that marketing and sales both work towards."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from smarketing.core.audit import AuditedModel


class Goal(AuditedModel):
    """A Goal is the revenue target of a period, shared by both teams, with what-if overrides.

    The plan (customers, opportunities, SQLs, MQLs, leads) is not stored: it is worked back from
    ``revenue`` with the overrides given here and the company's measured rates at view time, so
    it follows the funnel as it changes.
    """

    period = models.CharField(max_length=10, unique=True, help_text="2026-Q1, 2026-03, 2026 …")
    period_start = models.DateField()
    period_end = models.DateField(help_text="First day after the period.")
    revenue = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    deal_size = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Override of the measured average deal size.",
    )
    lead_to_customer = models.FloatField(
        null=True, blank=True, help_text="Override of the lead-to-customer rate (0-1]."
    )
    rates = models.JSONField(
        default=dict, blank=True, help_text='Stage-rate overrides, e.g. {"mql_to_sql": 0.4}.'
    )
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.CheckConstraint(condition=Q(revenue__gt=0), name="goal_revenue_positive"),
            models.CheckConstraint(
                condition=Q(deal_size__isnull=True) | Q(deal_size__gt=0),
                name="goal_deal_size_positive",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="goal_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.revenue}"


class MeasuredFunnelSnapshot(models.Model):
    """The measured funnel of one measuring window as computed on ``day`` (rates as of then).

    Measuring a year of stage history takes seconds on a large company, so a nightly task (and
    demo generation) stores it; pages use today's snapshot of the default window when there is
    one and measure live otherwise.
    """

    day = models.DateField(help_text="Day the snapshot was taken (UTC).")
    window_start = models.DateField()
    window_end = models.DateField(help_text="First day after the measuring window.")
    data = models.JSONField(help_text="MeasuredFunnel.to_dict().")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "window_start", "window_end"], name="measured_snapshot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.window_start} .. {self.window_end}"
