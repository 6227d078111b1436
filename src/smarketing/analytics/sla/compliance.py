"""SLA compliance figures: sales per rep / team / month, marketing per month.

Inputs are plain records (dataclasses), so the app can fill them from any query. Sales figures
recompute every lead's clocks from its timestamps with :func:`~.clocks.clock_state`, so the report,
the inbox and the breach task all show one version of the numbers.

Definitions (also in ``docs/sla.md``):

- a lead belongs to the month (in the SLA calendar's timezone) of its assignment;
- time to first touch is in business hours of the owner's calendar (pauses excluded) and only
  counts touched leads; median and p90 use linear interpolation (``numpy.percentile``);
- *% meeting a commitment* = met / (met + breached) x 100; pending clocks are left out (they can
  still go either way); ``None`` when nothing is settled;
- breaches count breached clocks, plus rejections without a reason when the SLA requires one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from smarketing.analytics.sla.calendar import BusinessCalendar, Pause, business_hours_between
from smarketing.analytics.sla.clocks import clock_state
from smarketing.analytics.sla.document import SlaDocument

__all__ = [
    "ComplianceError",
    "ComplianceReport",
    "ComplianceRow",
    "LeadRecord",
    "MarketingMonth",
    "MqlRecord",
    "OpportunityRecord",
    "compute_compliance",
    "marketing_compliance",
    "parse_month",
]


class ComplianceError(ValueError):
    """Bad input to a compliance computation."""


@dataclass(frozen=True)
class LeadRecord:
    """What the report needs to know about one assigned lead."""

    lead_id: object
    rep: str
    team: str | None
    assigned_at: datetime
    priority: str | None = None
    first_touch_at: datetime | None = None
    attempts: tuple[datetime, ...] = ()
    decided_at: datetime | None = None
    decision: str | None = None  # "accepted", "rejected" or None
    rejection_reason: str | None = None


@dataclass(frozen=True)
class ComplianceRow:
    """Sales compliance of one scope (all, a team or a rep) in one month."""

    month: str
    scope: str  # "all", "team" or "rep"
    key: str | None
    leads_received: int
    leads_touched: int
    median_first_touch_hours: float | None
    p90_first_touch_hours: float | None
    attempts_per_lead: float | None
    first_touch_met_pct: float | None
    attempts_met_pct: float | None
    decision_met_pct: float | None
    rejections: int
    rejections_with_reason: int
    pending: int
    breaches: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ComplianceReport:
    """All compliance rows, ordered by month, scope (all, team, rep) and key."""

    rows: tuple[ComplianceRow, ...]

    def get(self, month: str, scope: str = "all", key: str | None = None) -> ComplianceRow:
        """The row for ``month`` / ``scope`` / ``key`` (``KeyError`` when absent)."""
        for row in self.rows:
            if (row.month, row.scope, row.key) == (month, scope, key):
                return row
        raise KeyError((month, scope, key))

    def to_dict(self) -> dict[str, object]:
        return {"rows": [r.to_dict() for r in self.rows]}


def parse_month(month: str) -> tuple[date, date]:
    """``"YYYY-MM"`` to ``(first_day, first_day_of_next_month)``.

    Examples
    --------
    >>> parse_month("2026-12")
    (datetime.date(2026, 12, 1), datetime.date(2027, 1, 1))
    """
    try:
        year, mon = (int(p) for p in month.split("-"))
        start = date(year, mon, 1)
    except (ValueError, AttributeError):
        raise ComplianceError(f"month must look like 2026-03, got {month!r}") from None
    end = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return start, end


def _pct(met: int, breached: int) -> float | None:
    total = met + breached
    return None if total == 0 else 100.0 * met / total


def _row(month: str, scope: str, key: str | None, items: list[dict]) -> ComplianceRow:
    hours = [i["ft_hours"] for i in items if i["ft_hours"] is not None]
    counts = {k: {"met": 0, "breached": 0} for k in ("first_touch", "attempts", "decision")}
    pending = 0
    breaches = {"first_touch": 0, "attempts": 0, "decision": 0, "rejection_reason": 0}
    for i in items:
        for clock in i["clocks"].clocks:
            if clock.status == "pending":
                continue
            counts[clock.kind][clock.status] += 1
            if clock.status == "breached":
                breaches[clock.kind] += 1
        pending += 0 if i["clocks"].settled else 1
        breaches["rejection_reason"] += int(i["missing_reason"])
    rejections = sum(1 for i in items if i["rejected"])
    return ComplianceRow(
        month=month,
        scope=scope,
        key=key,
        leads_received=len(items),
        leads_touched=len(hours),
        median_first_touch_hours=float(np.percentile(hours, 50)) if hours else None,
        p90_first_touch_hours=float(np.percentile(hours, 90)) if hours else None,
        attempts_per_lead=(sum(i["attempts"] for i in items) / len(items)) if items else None,
        first_touch_met_pct=_pct(**counts["first_touch"]),
        attempts_met_pct=_pct(**counts["attempts"]),
        decision_met_pct=_pct(**counts["decision"]),
        rejections=rejections,
        rejections_with_reason=sum(1 for i in items if i["rejected"] and i["has_reason"]),
        pending=pending,
        breaches=breaches,
    )


def compute_compliance(
    leads: Iterable[LeadRecord],
    *,
    sla: SlaDocument,
    now: datetime,
    calendar_for: Callable[[str | None, str], BusinessCalendar] | None = None,
    pauses_for: Mapping[str, Iterable[Pause]] | None = None,
    months: Iterable[str] | None = None,
) -> ComplianceReport:
    """Sales compliance per month, overall, per team and per rep.

    Parameters
    ----------
    leads
        Assigned leads.
    sla
        The SLA in force.
    now
        Evaluation instant; clocks not yet due are pending.
    calendar_for
        ``(team, rep) -> BusinessCalendar``; defaults to :meth:`SlaDocument.calendar_for`.
    pauses_for
        Out-of-office periods per rep.
    months
        Keep only these months (``"YYYY-MM"``); default all.

    Examples
    --------
    >>> from datetime import UTC
    >>> from smarketing.analytics.sla.document import default_sla_text, load_sla
    >>> sla = load_sla(default_sla_text())
    >>> lead = LeadRecord(
    ...     lead_id=1, rep="ann", team="emea", priority="hand_raiser",
    ...     assigned_at=datetime(2026, 1, 5, 8, tzinfo=UTC),       # Mon 09:00 Berlin
    ...     first_touch_at=datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
    ... )
    >>> report = compute_compliance([lead], sla=sla, now=datetime(2026, 2, 1, tzinfo=UTC))
    >>> row = report.get("2026-01", "rep", "ann")
    >>> row.median_first_touch_hours, row.first_touch_met_pct, row.breaches["decision"]
    (0.5, 100.0, 1)
    """
    if now.tzinfo is None:
        raise ComplianceError("now must be timezone-aware")
    tz = ZoneInfo(sla.calendar.timezone)
    wanted = set(months) if months is not None else None
    for m in wanted or ():
        parse_month(m)
    if calendar_for is None:

        def calendar_for(team: str | None, rep: str) -> BusinessCalendar:
            return sla.calendar_for(team=team, rep=rep)

    calendars: dict[tuple[str | None, str], BusinessCalendar] = {}
    pauses_for = pauses_for or {}
    groups: dict[tuple[str, str, str | None], list[dict]] = defaultdict(list)
    for lead in leads:
        if lead.assigned_at.tzinfo is None:
            raise ComplianceError(f"lead {lead.lead_id!r}: assigned_at must be timezone-aware")
        month = lead.assigned_at.astimezone(tz).strftime("%Y-%m")
        if wanted is not None and month not in wanted:
            continue
        ck = (lead.team, lead.rep)
        if ck not in calendars:
            calendars[ck] = calendar_for(lead.team, lead.rep)
        cal = calendars[ck]
        pauses = list(pauses_for.get(lead.rep, ()))
        clocks = clock_state(
            assigned_at=lead.assigned_at,
            priority=lead.priority,
            first_touch_at=lead.first_touch_at,
            attempts=lead.attempts,
            decided_at=lead.decided_at,
            now=now,
            sla=sla,
            calendar=cal,
            pauses=pauses,
        )
        touched = lead.first_touch_at is not None and lead.first_touch_at <= now
        rejected = lead.decision == "rejected"
        has_reason = bool(lead.rejection_reason and lead.rejection_reason.strip())
        item = {
            "clocks": clocks,
            "ft_hours": business_hours_between(
                lead.assigned_at, lead.first_touch_at, cal, pauses=pauses
            )
            if touched
            else None,
            "attempts": sum(1 for t in lead.attempts if t <= now),
            "rejected": rejected,
            "has_reason": has_reason,
            "missing_reason": rejected and not has_reason and sla.sales.rejection_reason_required,
        }
        groups[(month, "all", None)].append(item)
        if lead.team is not None:
            groups[(month, "team", lead.team)].append(item)
        groups[(month, "rep", lead.rep)].append(item)
    scope_order = {"all": 0, "team": 1, "rep": 2}
    keys = sorted(groups, key=lambda k: (k[0], scope_order[k[1]], k[2] or ""))
    return ComplianceReport(rows=tuple(_row(*k, groups[k]) for k in keys))


# --- marketing's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class MqlRecord:
    """A lead that became an MQL, and when (if ever) sales qualified it."""

    contact_id: object
    mql_at: datetime
    sql_at: datetime | None = None


@dataclass(frozen=True)
class OpportunityRecord:
    """A created opportunity (pipeline) with its amount."""

    amount: Decimal | float | int
    created_at: datetime


@dataclass(frozen=True)
class MarketingMonth:
    """Marketing's commitments against what was delivered in one month."""

    month: str
    mqls_delivered: int
    mqls_committed: int | None
    mqls_met: bool | None
    mql_to_sql_rate: float | None
    min_mql_to_sql_rate: float | None
    mql_to_sql_met: bool | None
    quarter: str
    pipeline_quarter_to_date: float
    pipeline_committed: float | None
    pipeline_pct_of_commitment: float | None
    pipeline_met: bool | None  # judged only in the quarter's last month

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def marketing_compliance(
    *,
    month: str,
    mqls: Iterable[MqlRecord],
    opportunities: Iterable[OpportunityRecord],
    sla: SlaDocument,
    reps: int | None = None,
) -> MarketingMonth:
    """Marketing's figures for ``month`` against the SLA.

    - MQLs delivered: MQLs whose ``mql_at`` falls in the month (SLA calendar timezone);
    - MQL->SQL rate: share of those MQLs with an ``sql_at`` (cohort rate, so it rises while
      sales works the month's MQLs);
    - pipeline: sum of opportunity amounts created from the quarter's start to the month's end;
      ``pipeline_met`` is only judged in the quarter's last month (``None`` before).

    Examples
    --------
    >>> from datetime import UTC
    >>> from smarketing.analytics.sla.document import default_sla_text, load_sla
    >>> sla = load_sla(default_sla_text())
    >>> t = datetime(2026, 3, 10, 12, tzinfo=UTC)
    >>> m = marketing_compliance(
    ...     month="2026-03", sla=sla,
    ...     mqls=[MqlRecord(1, t, t), MqlRecord(2, t, None)],
    ...     opportunities=[OpportunityRecord(1_000_000, t), OpportunityRecord(600_000, t)],
    ... )
    >>> m.mqls_delivered, m.mqls_met, m.mql_to_sql_rate, m.mql_to_sql_met, m.pipeline_met
    (2, False, 0.5, True, True)
    """
    start, end = parse_month(month)
    tz = ZoneInfo(sla.calendar.timezone)
    q = (start.month - 1) // 3
    q_start = date(start.year, 3 * q + 1, 1)

    def local(t: datetime) -> date:
        if t.tzinfo is None:
            raise ComplianceError(f"datetimes must be timezone-aware (got {t.isoformat()})")
        return t.astimezone(tz).date()

    in_month = [m for m in mqls if start <= local(m.mql_at) < end]
    delivered = len(in_month)
    converted = sum(1 for m in in_month if m.sql_at is not None)
    rate = converted / delivered if delivered else None
    pipeline = sum(
        (float(o.amount) for o in opportunities if q_start <= local(o.created_at) < end), 0.0
    )
    mk = sla.marketing
    committed = mk.mqls_committed(reps=reps)
    quarter_end = start.month % 3 == 0
    return MarketingMonth(
        month=month,
        mqls_delivered=delivered,
        mqls_committed=committed,
        mqls_met=None if committed is None else delivered >= committed,
        mql_to_sql_rate=rate,
        min_mql_to_sql_rate=mk.min_mql_to_sql_rate,
        mql_to_sql_met=None
        if mk.min_mql_to_sql_rate is None or rate is None
        else rate >= mk.min_mql_to_sql_rate,
        quarter=f"{start.year}-Q{q + 1}",
        pipeline_quarter_to_date=pipeline,
        pipeline_committed=mk.pipeline_per_quarter,
        pipeline_pct_of_commitment=None
        if not mk.pipeline_per_quarter
        else 100.0 * pipeline / mk.pipeline_per_quarter,
        pipeline_met=None
        if mk.pipeline_per_quarter is None or not quarter_end
        else pipeline >= mk.pipeline_per_quarter,
    )
