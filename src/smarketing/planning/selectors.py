"""Reads for planning: measured funnel inputs, plans, daily actuals and goal pacing.

Binds the pure :mod:`smarketing.analytics.planning` maths to the app database through Ibis
(StageChange for the funnel, Deal for deal size and revenue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from smarketing.analytics.planning import (
    MeasuredFunnel,
    Pacing,
    Period,
    Plan,
    measure_funnel,
    measure_funnel_by,
    pace,
    parse_period,
    reverse_funnel,
)
from smarketing.crm.models import Account, Contact, Deal, Persona
from smarketing.funnel.models import StageChange
from smarketing.planning.groups import RATE_GROUPS
from smarketing.planning.models import Goal, MeasuredFunnelSnapshot

if TYPE_CHECKING:  # Ibis (and pandas) load where an expression is built: a snapshot read needs none
    import ibis

#: Pacing metrics per team: marketing owns the top of the funnel, sales the bottom.
TEAM_METRICS = {
    "marketing": (("leads", "Leads"), ("mqls", "MQLs")),
    "sales": (("sqls", "SQLs"), ("customers", "Won deals"), ("revenue", "Revenue")),
}


def default_window(today: date | None = None) -> tuple[date, date]:
    """The measuring window: the last 365 days up to today (exclusive end tomorrow)."""
    today = today or timezone.now().date()
    return today - timedelta(days=365), today + timedelta(days=1)


def _history(con) -> ibis.Table:
    from smarketing.core.ibis_db import table

    sc = table(StageChange, con)
    return sc.select(contact_id=sc.contact_id, to_stage=sc.to_stage, at=sc.changed_at)


def _deals(con) -> ibis.Table:
    from smarketing.core.ibis_db import table

    d = table(Deal, con)
    return d.select(amount=d.amount.cast("float64"), won=d.is_won, closed_at=d.closed_at)


def measure_live(*, start: date | None = None, end: date | None = None) -> MeasuredFunnel:
    """Measure the funnel over ``[start, end)`` (default window) from the database, now."""
    from smarketing.core.ibis_db import backend

    s, e = default_window()
    con = backend()
    return measure_funnel(_history(con), _deals(con), start=start or s, end=end or e)


def snapshot_for(day: date, start: date, end: date) -> MeasuredFunnel | None:
    """The stored measured funnel of window ``[start, end)`` taken on ``day``, if any."""
    row = (
        MeasuredFunnelSnapshot.objects.filter(day=day, window_start=start, window_end=end)
        .values_list("data", flat=True)
        .first()
    )
    return None if row is None else MeasuredFunnel.from_dict(row)


def measured_funnel(*, start: date | None = None, end: date | None = None) -> MeasuredFunnel:
    """Rates, durations, lead-to-customer and deal size measured over ``[start, end)``.

    For the default window, today's stored snapshot when there is one (rates as of the nightly
    refresh); otherwise measured live. Never stores anything.
    """
    today = timezone.now().date()
    s, e = default_window(today)
    if (start or s) == s and (end or e) == e:
        stored = snapshot_for(today, s, e)
        if stored is not None:
            return stored
    return measure_live(start=start or s, end=end or e)


def measured_by(
    group: str, *, start: date | None = None, end: date | None = None
) -> dict[str, MeasuredFunnel]:
    """Measured rates per channel, persona (name) or segment."""
    import ibis

    from smarketing.core.ibis_db import backend, table

    if group not in RATE_GROUPS:
        raise ValueError(f"group must be one of {', '.join(RATE_GROUPS)}, got {group!r}")
    s, e = default_window()
    con = backend()
    h = _history(con)
    c = table(Contact, con)
    if group == "channel":
        g = c.select(cid=c.id, grp=c.original_channel.nullif(""))
    elif group == "persona":
        p = table(Persona, con)
        j = c.left_join(p, c.persona_id == p.id)
        g = j.select(cid=j.id, grp=j.name)
    else:
        a = table(Account, con)
        j = c.left_join(a, c.account_id == a.id)
        g = j.select(cid=j.id, grp=j.segment.nullif(""))
    g = g.mutate(grp=ibis.coalesce(g.grp, ibis.literal("(none)")))
    joined = h.join(g, h.contact_id == g.cid).select("contact_id", "to_stage", "at", "grp")
    out = measure_funnel_by(joined, "grp", start=start or s, end=end or e)
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def measured_by_groups() -> dict[str, dict[str, MeasuredFunnel]]:
    """:func:`measured_by` for every group of :data:`RATE_GROUPS` over the default window.

    From today's snapshot when it holds them (one row read; the nightly refresh and demo
    generation store them), otherwise measured live. Never stores anything.
    """
    today = timezone.now().date()
    s, e = default_window(today)
    row = (
        MeasuredFunnelSnapshot.objects.filter(day=today, window_start=s, window_end=e)
        .values_list("data", flat=True)
        .first()
    )
    stored = (row or {}).get("by") or {}
    if set(stored) >= set(RATE_GROUPS):
        return {
            g: {k: MeasuredFunnel.from_dict(m) for k, m in stored[g].items()} for g in RATE_GROUPS
        }
    return {g: measured_by(g, start=s, end=e) for g in RATE_GROUPS}


def make_plan(
    *,
    revenue: float,
    deal_size: float | None = None,
    lead_to_customer: float | None = None,
    rates: dict[str, float] | None = None,
    period: str | Period | None = None,
    measured: MeasuredFunnel | None = None,
) -> Plan:
    """A reverse-funnel plan: given overrides first, the company's measured numbers for the rest."""
    if measured is None:
        measured = measured_funnel()
    return reverse_funnel(
        revenue=revenue,
        deal_size=deal_size,
        lead_to_customer=lead_to_customer,
        rates=rates or None,
        measured=measured,
        period=period,
    )


def goal_plan(goal: Goal, *, overrides: dict[str, Any] | None = None, measured=None) -> Plan:
    """The plan of a saved goal (its own overrides, then what-if ``overrides`` on top)."""
    o = overrides or {}
    rates = {**(goal.rates or {}), **(o.get("rates") or {})}
    return make_plan(
        revenue=float(o.get("revenue") or goal.revenue),
        deal_size=o.get("deal_size") or (float(goal.deal_size) if goal.deal_size else None),
        lead_to_customer=o.get("lead_to_customer") or goal.lead_to_customer,
        rates=rates,
        period=goal.period,
        measured=measured,
    )


def goal_for(period: str) -> Goal | None:
    """The goal saved for a period label (normalised, e.g. ``2026-q1`` -> ``2026-Q1``)."""
    return Goal.objects.filter(period=parse_period(period).label).first()


def _ts(d: date) -> datetime:
    return datetime.combine(d, time())


def _lit(col, d: date):
    import ibis

    v = _ts(d)
    if getattr(col.type(), "timezone", None):
        v = v.replace(tzinfo=UTC)
    return ibis.literal(v, type=col.type())


#: Pacing metric -> lowest stage rank that counts as having reached it.
_REACH_RANK = {"leads": 1, "mqls": 2, "sqls": 3, "customers": 5}


def _first_reach_days(con, start: date, end: date, owner_ids=None) -> ibis.Table:
    """``(metric, day)`` rows: each contact's first reach of a pacing metric inside the window.

    Same definition as :func:`~smarketing.analytics.closedloop.reach_times` (first change to the
    stage or any later one; ``created_at`` for a funnel contact with no logged funnel change),
    without reading history after ``end`` (but an index range) or joining every contact: a
    contact first reached rank ``k`` inside ``[start, end)`` iff it has a change of rank ``>= k``
    inside the window and none before ``start``. One grouped pass over the changes before
    ``end`` gives both (first such change inside, highest rank before).
    """
    import ibis

    from smarketing.analytics.closedloop import STAGE_RANK
    from smarketing.core.ibis_db import table

    sc = table(StageChange, con)
    c = table(Contact, con)
    ranked = sc.select(
        "contact_id", "changed_at", rank=sc.to_stage.cases(*STAGE_RANK.items(), else_=0)
    )
    t = ranked.changed_at
    upto = ranked.filter(t < _lit(t, end))
    inside = upto.changed_at >= _lit(t, start)
    # one pass over the history up to ``end``: first reach inside the window, highest rank before
    per = upto.group_by("contact_id").aggregate(
        prior_rank=upto["rank"].max(where=~inside),
        **{
            f"t_{m}": upto.changed_at.min(where=(upto["rank"] >= k) & inside)
            for m, k in _REACH_RANK.items()
        },
    )
    fallback = c.filter(
        (c.created_at >= _lit(c.created_at, start))
        & (c.created_at < _lit(c.created_at, end))
        & (c.lifecycle_stage.cases(*STAGE_RANK.items(), else_=0) >= 1)
    )
    if owner_ids is not None:
        keep = c.filter(c.owner_id.isin(list(owner_ids) or [-1])).select(kid=c.id)
        per = per.semi_join(keep, per.contact_id == keep.kid)
        fallback = fallback.filter(fallback.owner_id.isin(list(owner_ids) or [-1]))
    prior_rank = per.prior_rank.fill_null(0)
    parts = []
    for metric, k in _REACH_RANK.items():
        col = per[f"t_{metric}"]
        sel = per.filter(col.notnull() & (prior_rank < k))
        parts.append(sel.select(metric=ibis.literal(metric), day=sel[f"t_{metric}"].date()))
    # created_at stands in for the lead time only when no funnel change was ever logged: none up
    # to ``end`` (from the pass above), none after it (an index range on changed_at)
    late = ranked.filter((t >= _lit(t, end)) & (ranked["rank"] >= 1))
    logged = per.filter(per.t_leads.notnull() | (per.prior_rank >= 1))
    ids = [logged.contact_id, late.contact_id]  # nullability differs per backend
    logged = ibis.union(*(x.cast("int64").name("xcid").as_table() for x in ids))
    fallback = fallback.left_join(logged, fallback.id == logged.xcid)
    fallback = fallback.filter(fallback.xcid.isnull())
    parts.append(fallback.select(metric=ibis.literal("leads"), day=fallback.created_at.date()))
    return ibis.union(*parts)


#: ``step_counts(start, end) -> {"leads"|"mqls"|"sqls"|"customers": {day: count}}``: the
#: company-wide first-reach counts per UTC day from somewhere faster (the reporting app's
#: daily funnel counts), used instead of the stage-change query.
StepCounts = Callable[[date, date], dict[str, dict[date, float]]]


def daily_actuals(
    start: date, end: date, *, owner_ids=None, step_counts: StepCounts | None = None
) -> dict[str, dict[date, float]]:
    """Daily leads, MQLs, SQLs, customers (reached that day) and won revenue in ``[start, end)``.

    Two grouped queries in the database (first reach days inside the window, won deals per
    close day). ``step_counts`` (company-wide only) replaces the first one, so that a page
    with it builds no Ibis expression at all.
    """
    from smarketing.core.ibis_db import backend

    out: dict[str, dict[date, float]] = {}
    if step_counts is not None and owner_ids is None:
        out.update({m: dict(days) for m, days in step_counts(start, end).items()})
    else:
        u = _first_reach_days(backend(), start, end, owner_ids)
        counts = u.group_by(["metric", "day"]).aggregate(n=u.count()).to_pandas()
        for m, d, n in zip(counts["metric"], counts["day"], counts["n"]):
            out.setdefault(m, {})[_as_date(d)] = float(n)
    won = Deal.objects.filter(
        is_won=True,
        closed_at__gte=_ts(start).replace(tzinfo=UTC),
        closed_at__lt=_ts(end).replace(tzinfo=UTC),
    )
    if owner_ids is not None:
        won = won.filter(owner_id__in=list(owner_ids))
    # the ORM, not Ibis: one small grouped query, no expression to build and compile per view
    per_day = won.annotate(day=TruncDate("closed_at", tzinfo=UTC)).values("day").order_by("day")
    out["revenue"] = {
        _as_date(r["day"]): float(r["v"]) for r in per_day.annotate(v=Sum("amount")) if r["v"]
    }
    for name in ("leads", "mqls", "sqls", "customers"):
        out.setdefault(name, {})
    return out


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "date"):
        return value.date()
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class GoalPacing:
    """Pacing of every team metric of a goal."""

    goal: Goal
    plan: Plan
    metrics: dict[str, Pacing]

    @property
    def method(self) -> str:
        """How expected-to-date and the forecast were computed (shown under the charts)."""
        return next((p.method for p in self.metrics.values()), "")

    def team(self, team: str) -> list[tuple[str, str, Pacing]]:
        return [(k, label, self.metrics[k]) for k, label in TEAM_METRICS[team] if k in self.metrics]


def goal_pacing(
    goal: Goal,
    *,
    as_of: date | None = None,
    plan: Plan | None = None,
    owner_ids=None,
    step_counts: StepCounts | None = None,
) -> GoalPacing:
    """Actual vs expected-to-date for each team metric, with an 80% period-end forecast.

    Targets come from the plan; the forecast's variance comes from this period's days plus the
    same number of days before the period (history). ``step_counts``: see :data:`StepCounts`.
    """
    plan = plan or goal_plan(goal)
    period = parse_period(goal.period)
    today = as_of or timezone.now().date()
    as_of = min(today, period.last_day)
    hist_start = period.start - timedelta(days=period.days)
    data = daily_actuals(hist_start, period.end, owner_ids=owner_ids, step_counts=step_counts)
    targets = {
        "leads": plan.leads,
        "mqls": plan.mqls,
        "sqls": plan.sqls,
        "customers": plan.customers,
        "revenue": plan.revenue,
    }
    metrics = {}
    for name, target in targets.items():
        if not target:
            continue
        series = data.get(name, {})
        actual = {d: v for d, v in series.items() if d in period}
        history = {
            hist_start + timedelta(days=i): series.get(hist_start + timedelta(days=i), 0.0)
            for i in range(period.days)
        }
        metrics[name] = pace(
            target=float(target),
            period=period,
            actual=actual,
            as_of=as_of if today >= period.start else period.start - timedelta(days=1),
            history=history,
        )
    return GoalPacing(goal, plan, metrics)
