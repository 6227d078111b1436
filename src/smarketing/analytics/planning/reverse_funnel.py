"""The reverse-funnel planner: from a revenue goal back to the leads needed, and when.

Work backwards, rounding **up at every stage** (a fraction of a customer is a whole customer to
find, so each stage is ``ceil(next_stage / rate)`` computed in exact decimal arithmetic)::

    customers     = ceil(revenue / deal_size)
    opportunities = ceil(customers / opportunity_to_customer)
    sqls          = ceil(opportunities / sql_to_opportunity)
    mqls          = ceil(sqls / mql_to_sql)
    leads         = ceil(mqls / lead_to_mql)        # or ceil(customers / lead_to_customer)

Every input carries its source: ``"given"`` (typed in for what-if planning) or ``"measured"``
(from :func:`smarketing.analytics.planning.measure.measure_funnel`). A given value always wins
over a measured one. For ``leads`` the order is: a given ``lead_to_customer``; else the chain of
the four stage rates; else a measured ``lead_to_customer``. Stages with no rate are ``None``.

With median stage durations (days) the plan also says **when** each quantity is needed to close
within the period: a stage ``D`` days (summed medians) before "won" must be reached between
``period.start - ceil(D)`` and ``period.last_day - ceil(D)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Literal

from smarketing.analytics.planning.periods import Period, PlanningError, parse_period

__all__ = [
    "RATE_NAMES",
    "STAGES",
    "Plan",
    "Sourced",
    "StageWindow",
    "reverse_funnel",
    "stage_windows",
]

Source = Literal["measured", "given"]
#: Funnel stages, top to bottom.
STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "customer")
#: Stage-to-stage rate (and duration) names, top to bottom.
RATE_NAMES: tuple[str, ...] = tuple(f"{a}_to_{b}" for a, b in zip(STAGES, STAGES[1:]))
_PLURAL = {
    "lead": "leads",
    "mql": "mqls",
    "sql": "sqls",
    "opportunity": "opportunities",
    "customer": "customers",
}


@dataclass(frozen=True)
class Sourced:
    """A planning input and where it came from."""

    value: float
    source: Source = "given"

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "source": self.source}


def _sourced(value: float | Sourced | None, source: Source = "given") -> Sourced | None:
    if value is None or isinstance(value, Sourced):
        return value
    return Sourced(value, source)


@dataclass(frozen=True)
class StageWindow:
    """When a stage's volume must be reached for it to close inside the period."""

    stage: str
    days_before_won: int
    needed_from: date
    needed_by: date

    def to_dict(self) -> dict[str, object]:
        return {
            "days_before_won": self.days_before_won,
            "from": self.needed_from.isoformat(),
            "by": self.needed_by.isoformat(),
        }


@dataclass(frozen=True)
class Plan:
    """A reverse-funnel plan (see the module docstring for the method)."""

    revenue: float
    deal_size: Sourced
    customers: int
    opportunities: int | None
    sqls: int | None
    mqls: int | None
    leads: int | None
    rates: Mapping[str, Sourced]
    period: Period | None = None
    durations: Mapping[str, Sourced] = field(default_factory=dict)
    timing: Mapping[str, StageWindow] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-able plan: counts as ints (or ``None``), inputs as ``{value, source}``."""
        return {
            "period": self.period.label if self.period else None,
            "revenue": self.revenue,
            "deal_size": self.deal_size.to_dict(),
            "customers": self.customers,
            "opportunities": self.opportunities,
            "sqls": self.sqls,
            "mqls": self.mqls,
            "leads": self.leads,
            "rates": {k: v.to_dict() for k, v in self.rates.items()},
            "durations": {k: v.to_dict() for k, v in self.durations.items()},
            "timing": {_PLURAL[k]: w.to_dict() for k, w in self.timing.items()},
        }


def _dec(value: float, name: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PlanningError(f"{name} must be a number, got {value!r}") from None
    if not d.is_finite():
        raise PlanningError(f"{name} must be finite, got {value!r}")
    return d


def _ceil_div(a: int | Decimal, rate: Sourced, name: str) -> int:
    return int((Decimal(a) / _dec(rate.value, name)).to_integral_value(rounding=ROUND_CEILING))


def _check_rate(name: str, rate: Sourced | None) -> None:
    if rate is None:
        return
    if isinstance(rate.value, bool) or not isinstance(rate.value, int | float | Decimal):
        raise PlanningError(f"rate {name} must be a number, got {rate.value!r}")
    if not 0 < rate.value <= 1:
        raise PlanningError(f"rate {name} must be in (0, 1], got {rate.value!r}")
    if rate.source not in ("measured", "given"):
        raise PlanningError(f"rate {name}: source must be 'measured' or 'given'")


def stage_windows(
    period: Period, durations: Mapping[str, float | Sourced]
) -> dict[str, StageWindow]:
    """When each stage must be reached to close (become a customer) within ``period``.

    ``durations`` maps :data:`RATE_NAMES` to median days spent between the two stages. A stage
    gets a window only when every duration below it is known.

    Examples
    --------
    >>> w = stage_windows(parse_period("2026-Q1"), {"opportunity_to_customer": 30,
    ...                                              "sql_to_opportunity": 9.5})
    >>> w["opportunity"].needed_from, w["opportunity"].needed_by
    (datetime.date(2025, 12, 2), datetime.date(2026, 3, 1))
    >>> w["sql"].days_before_won, "mql" in w
    (40, False)
    """
    out: dict[str, StageWindow] = {}
    total = 0.0
    for stage, name in zip(reversed(STAGES), (None, *reversed(RATE_NAMES))):
        if name is not None:
            raw = durations.get(name)
            if raw is None:
                break
            days = raw.value if isinstance(raw, Sourced) else raw
            if isinstance(days, bool) or not isinstance(days, int | float) or not days >= 0:
                raise PlanningError(f"duration {name} must be a number of days >= 0, got {days!r}")
            total += float(days)
        lag = math.ceil(total - 1e-9)
        out[stage] = StageWindow(
            stage, lag, period.start - timedelta(days=lag), period.last_day - timedelta(days=lag)
        )
    return out


def reverse_funnel(
    *,
    revenue: float,
    deal_size: float | Sourced | None = None,
    rates: Mapping[str, float | Sourced] | None = None,
    lead_to_customer: float | Sourced | None = None,
    measured: object | None = None,
    period: str | Period | None = None,
    durations: Mapping[str, float | Sourced] | None = None,
) -> Plan:
    """Work a revenue goal backwards to the customers, ..., leads needed.

    Parameters
    ----------
    revenue
        Revenue goal for the period (> 0).
    deal_size, rates, lead_to_customer, durations
        Given inputs (plain numbers are ``"given"``; pass :class:`Sourced` to say otherwise).
        ``rates`` keys are :data:`RATE_NAMES`; ``durations`` are median days per transition.
    measured
        A :class:`~smarketing.analytics.planning.measure.MeasuredFunnel`; fills every input
        not given (marked ``"measured"``).
    period
        ``"2026-Q1"`` etc. or a :class:`Period`; with durations, adds the timing windows.

    Examples
    --------
    The classic example: a 10,000 goal, 1,000 average deal, 2% lead-to-customer rate.

    >>> plan = reverse_funnel(revenue=10000, deal_size=1000, lead_to_customer=0.02)
    >>> plan.customers, plan.leads
    (10, 500)
    >>> plan.to_dict()["rates"]
    {'lead_to_customer': {'value': 0.02, 'source': 'given'}}

    With stage rates, every stage is rounded up:

    >>> plan = reverse_funnel(revenue=25000, deal_size=1000, rates={
    ...     "lead_to_mql": 0.3, "mql_to_sql": 0.4, "sql_to_opportunity": 0.5,
    ...     "opportunity_to_customer": 0.3})
    >>> plan.customers, plan.opportunities, plan.sqls, plan.mqls, plan.leads
    (25, 84, 168, 420, 1400)
    """
    if isinstance(revenue, bool) or not isinstance(revenue, int | float | Decimal):
        raise PlanningError(f"revenue must be a number, got {revenue!r}")
    if not revenue > 0 or not math.isfinite(float(revenue)):
        raise PlanningError(f"revenue must be > 0, got {revenue!r}")
    unknown = set(rates or {}) - set(RATE_NAMES)
    if unknown:
        raise PlanningError(f"unknown rate(s) {sorted(unknown)}; use {', '.join(RATE_NAMES)}")
    unknown = set(durations or {}) - set(RATE_NAMES)
    if unknown:
        raise PlanningError(f"unknown duration(s) {sorted(unknown)}; use {', '.join(RATE_NAMES)}")

    m_rates = dict(getattr(measured, "rates", {}) or {})
    m_durations = dict(getattr(measured, "durations", {}) or {})
    ds = _sourced(deal_size) or _sourced(getattr(measured, "deal_size", None), "measured")
    if ds is None:
        raise PlanningError("deal_size is needed: give it, or measure it from won deals")
    if isinstance(ds.value, bool) or not isinstance(ds.value, int | float | Decimal):
        raise PlanningError(f"deal_size must be a number, got {ds.value!r}")
    if not ds.value > 0:
        raise PlanningError(f"deal_size must be > 0, got {ds.value!r}")

    used: dict[str, Sourced] = {}
    for name in RATE_NAMES:
        r = _sourced((rates or {}).get(name)) or _sourced(m_rates.get(name), "measured")
        _check_rate(name, r)
        if r is not None:
            used[name] = r
    l2c_given = _sourced(lead_to_customer)
    l2c_measured = _sourced(getattr(measured, "lead_to_customer", None), "measured")
    _check_rate("lead_to_customer", l2c_given)
    _check_rate("lead_to_customer", l2c_measured)

    customers = int(
        (_dec(revenue, "revenue") / _dec(ds.value, "deal_size")).to_integral_value(
            rounding=ROUND_CEILING
        )
    )
    counts: dict[str, int | None] = {"customer": customers}
    below = customers
    for stage, name in zip(reversed(STAGES[:-1]), reversed(RATE_NAMES)):
        if below is None or name not in used:
            below = None
        else:
            below = _ceil_div(below, used[name], name)
        counts[stage] = below

    if l2c_given is not None:
        used["lead_to_customer"] = l2c_given
        counts["lead"] = _ceil_div(customers, l2c_given, "lead_to_customer")
    elif counts["lead"] is None and l2c_measured is not None:
        used["lead_to_customer"] = l2c_measured
        counts["lead"] = _ceil_div(customers, l2c_measured, "lead_to_customer")
    if counts["lead"] is None:
        raise PlanningError(
            "cannot reach leads: give lead_to_customer or all four stage rates "
            f"({', '.join(RATE_NAMES)}), or measure them from the stage history"
        )

    per = parse_period(period) if isinstance(period, str) else period
    used_durations: dict[str, Sourced] = {}
    for name in RATE_NAMES:
        d = _sourced((durations or {}).get(name)) or _sourced(m_durations.get(name), "measured")
        if d is not None:
            used_durations[name] = d
    timing = stage_windows(per, used_durations) if per is not None and used_durations else {}
    return Plan(
        revenue=float(revenue),
        deal_size=Sourced(float(ds.value), ds.source),
        customers=customers,
        opportunities=counts["opportunity"],
        sqls=counts["sql"],
        mqls=counts["mql"],
        leads=counts["lead"],
        rates={k: Sourced(float(v.value), v.source) for k, v in used.items()},
        period=per,
        durations=used_durations,
        timing=timing if per is not None else {},
    )
