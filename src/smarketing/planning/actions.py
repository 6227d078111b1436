"""Writes for planning: save (create or update) a period's shared goal; snapshot the measured
funnel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smarketing.analytics.planning import RATE_NAMES, PlanningError, parse_period
from smarketing.planning.groups import RATE_GROUPS
from smarketing.planning.models import Goal, MeasuredFunnelSnapshot
from smarketing.planning.selectors import default_window, measure_live, measured_by


def _decimal(name: str, value, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ValidationError({name: f"{name} is required"})
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: f"{name} must be a number, got {value!r}"}) from None
    if not d.is_finite() or d <= 0:
        raise ValidationError({name: f"{name} must be > 0, got {value!r}"})
    if d >= Decimal("1e12"):
        raise ValidationError({name: f"{name} is too large"})
    return d.quantize(Decimal("0.01"))


def _rate(name: str, value) -> float | None:
    if value in (None, ""):
        return None
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise ValidationError({name: f"{name} must be a number, got {value!r}"}) from None
    if not 0 < r <= 1:
        raise ValidationError({name: f"{name} must be in (0, 1], got {value!r}"})
    return r


def clean_rates(rates) -> dict[str, float]:
    """Validate stage-rate overrides (keys in RATE_NAMES, values in (0, 1])."""
    if rates in (None, ""):
        return {}
    if not isinstance(rates, dict):
        raise ValidationError({"rates": "rates must be an object of rate name to value"})
    unknown = sorted(set(rates) - set(RATE_NAMES))
    if unknown:
        raise ValidationError({"rates": f"unknown rate(s) {unknown}; use {', '.join(RATE_NAMES)}"})
    out = {}
    for k, v in rates.items():
        r = _rate(k, v)
        if r is not None:
            out[k] = r
    return out


@transaction.atomic
def do_save_goal(
    *,
    period: str,
    revenue,
    deal_size=None,
    lead_to_customer=None,
    rates=None,
    note: str = "",
    by=None,
) -> Goal:
    """Create or update the shared goal of ``period`` (idempotent: one goal per period).

    Audited through :class:`~smarketing.core.audit.AuditedModel` (wrap in ``acting_as``).
    """
    try:
        p = parse_period(period)
    except PlanningError as exc:
        raise ValidationError({"period": str(exc)}) from None
    values = {
        "period_start": p.start,
        "period_end": p.end,
        "revenue": _decimal("revenue", revenue, required=True),
        "deal_size": _decimal("deal_size", deal_size, required=False),
        "lead_to_customer": _rate("lead_to_customer", lead_to_customer),
        "rates": clean_rates(rates),
        "note": (note or "")[:300],
    }
    goal = Goal.objects.select_for_update().filter(period=p.label).first()
    if goal is None:
        goal = Goal.objects.create(period=p.label, created_by=by, **values)
    else:
        for k, v in values.items():
            setattr(goal, k, v)
        goal.save()
    return goal


#: Snapshots older than this many days are deleted on refresh (only today's is ever read).
SNAPSHOT_KEEP_DAYS = 7


@transaction.atomic
def do_refresh_measured_funnel(*, today=None) -> MeasuredFunnelSnapshot:
    """Measure the default window live and store it as ``today``'s snapshot (replacing any),
    with the rates per channel, persona and segment under ``"by"`` (the planning page's tables).

    Run nightly and after demo generation; idempotent for a day. Measures before writing, so a
    failure stores nothing.
    """
    today = today or timezone.now().date()
    start, end = default_window(today)
    data = measure_live(start=start, end=end).to_dict()
    data["by"] = {
        g: {str(k): m.to_dict() for k, m in measured_by(g, start=start, end=end).items()}
        for g in RATE_GROUPS
    }
    snap, _ = MeasuredFunnelSnapshot.objects.update_or_create(
        day=today,
        window_start=start,
        window_end=end,
        defaults={"data": data, "computed_at": timezone.now()},
    )
    MeasuredFunnelSnapshot.objects.filter(
        day__lt=today - dt.timedelta(days=SNAPSHOT_KEEP_DAYS)
    ).delete()
    return snap
