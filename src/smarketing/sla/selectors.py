"""Reads of the SLA app: the document in force, owners' calendars, clocks, compliance figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from smarketing.analytics import figures
from smarketing.analytics.sla import (
    BusinessCalendar,
    LeadClocks,
    LeadRecord,
    MqlRecord,
    OpportunityRecord,
    SlaDocument,
    clock_state,
    compute_compliance,
    default_sla_text,
    load_sla,
    marketing_compliance,
)
from smarketing.analytics.sla.compliance import parse_month
from smarketing.crm.models import Deal, Touchpoint
from smarketing.funnel.models import LeadReview, StageChange
from smarketing.funnel.routing import SALES_TEAM_KINDS
from smarketing.sla.models import LeadClock, Notification, SlaVersion

#: Touch kinds that count as a sales attempt on a lead (made by the sales team): the one
#: definition in :mod:`smarketing.analytics.figures`, shared with the sales dashboard.
ATTEMPT_KINDS = figures.ATTEMPT_KINDS
#: Far end of an open-ended out-of-office period.
OPEN_PAUSE = dt.timedelta(days=365)


@lru_cache(maxsize=16)
def _parse(text: str) -> SlaDocument:
    return load_sla(text)


def active_version() -> SlaVersion | None:
    """The active stored SLA version, or ``None``."""
    return SlaVersion.objects.filter(active=True).first()


def active_sla() -> tuple[SlaDocument, SlaVersion | None]:
    """The SLA in force and its stored version (the shipped example when none is active)."""
    version = active_version()
    return _parse(version.text if version else default_sla_text()), version


def _profile(user):
    return getattr(user, "profile", None)


def rep_key(doc: SlaDocument, user) -> str:
    """The key of ``user`` in the document's ``reps:`` section (username or email)."""
    if user.email and user.email in doc.reps:
        return user.email
    return user.get_username()


def team_name(user) -> str | None:
    profile = _profile(user)
    return profile.team.name if profile is not None and profile.team_id else None


def calendar_for_user(doc: SlaDocument, user) -> BusinessCalendar:
    """The owner's business calendar: the doc's rep override, else team, else the company's
    hours and holidays in the owner's own timezone (``UserProfile.timezone``)."""
    rep = rep_key(doc, user)
    team = team_name(user)
    if rep in doc.reps or (team is not None and team in doc.teams):
        return doc.calendar_for(team=team, rep=rep)
    profile = _profile(user)
    tz = profile.timezone if profile is not None else doc.calendar.timezone
    if tz and tz != doc.calendar.timezone:
        return doc.calendar.merged({"timezone": tz}).to_calendar()
    return doc.calendar.to_calendar()


def pauses_for_user(user) -> list[tuple[dt.datetime, dt.datetime]]:
    """The owner's out-of-office period as clock pauses (open-ended = one year)."""
    profile = _profile(user)
    if profile is None or profile.out_of_office_from is None:
        return []
    start = profile.out_of_office_from
    end = profile.out_of_office_until or start + OPEN_PAUSE
    return [(start, end)]


def live_clocks(clock: LeadClock, *, now: dt.datetime | None = None) -> LeadClocks:
    """A lead clock evaluated now with the scalar maths (inbox, API)."""
    doc, _ = active_sla()
    attempts = []
    if clock.kth_attempt_at is not None:
        # Only the k-th attempt's time matters for the attempts clock.
        attempts = [clock.kth_attempt_at] * doc.sales.min_attempts
    return clock_state(
        assigned_at=clock.assigned_at,
        priority=clock.priority,
        first_touch_at=clock.first_touch_at,
        attempts=attempts,
        decided_at=clock.decided_at,
        now=now or timezone.now(),
        sla=doc,
        calendar=calendar_for_user(doc, clock.owner),
        pauses=pauses_for_user(clock.owner),
    )


def current_clocks(contact_ids) -> dict[int, LeadClock]:
    """The current (not superseded) clock of each contact."""
    clocks = LeadClock.objects.filter(contact_id__in=list(contact_ids), superseded=False)
    return {c.contact_id: c for c in clocks.select_related("owner__profile")}


# --- compliance -----------------------------------------------------------------------------


def _sales_reps() -> int:
    return (
        get_user_model()
        .objects.filter(
            is_active=True, profile__team__kind__in=SALES_TEAM_KINDS, profile__role="member"
        )
        .count()
    )


def _month_bounds(month: str, tz) -> tuple[dt.datetime, dt.datetime]:
    start, end = parse_month(month)
    as_dt = lambda d: dt.datetime.combine(d, dt.time(), tzinfo=tz)  # noqa: E731
    return as_dt(start), as_dt(end)


def lead_records(start: dt.datetime, end: dt.datetime) -> list[LeadRecord]:
    """One record per clock assigned in ``[start, end)`` (for :func:`compute_compliance`)."""
    clocks = list(
        LeadClock.objects.filter(assigned_at__gte=start, assigned_at__lt=end)
        .select_related("owner__profile__team")
        .order_by("id")
    )
    contact_ids = {c.contact_id for c in clocks}
    touches = defaultdict(list)
    for cid, at in (
        Touchpoint.objects.filter(
            contact_id__in=contact_ids, kind__in=ATTEMPT_KINDS, team=figures.ATTEMPT_TEAM
        )
        .values_list("contact_id", "occurred_at")
        .order_by("occurred_at")
    ):
        touches[cid].append(at)
    reasons = dict(
        LeadReview.objects.filter(contact_id__in=contact_ids, decision="reject")
        .order_by("at")
        .values_list("contact_id", "reason_code")
    )
    records = []
    for c in clocks:
        attempts = tuple(t for t in touches[c.contact_id] if t >= c.assigned_at)
        records.append(
            LeadRecord(
                lead_id=c.pk,
                rep=c.owner.get_username(),
                team=team_name(c.owner),
                assigned_at=c.assigned_at,
                priority=c.priority,
                first_touch_at=attempts[0] if attempts else None,
                attempts=attempts,
                decided_at=c.decided_at,
                decision=c.decision or None,
                rejection_reason=reasons.get(c.contact_id) if c.decision == "rejected" else None,
            )
        )
    return records


def compliance(month: str, *, now: dt.datetime | None = None) -> dict:
    """Every compliance figure of ``month`` (YYYY-MM): sales rows + marketing's side.

    The compliance page and ``smarketing sla report --month`` both print exactly this.
    """
    now = now or timezone.now()
    doc, version = active_sla()
    tz = ZoneInfo(doc.calendar.timezone)
    start, end = _month_bounds(month, tz)
    # Leads are assigned in the month in the SLA's timezone; owners' clocks use their own.
    records = lead_records(start - dt.timedelta(days=1), end + dt.timedelta(days=1))
    users = {u.get_username(): u for u in get_user_model().objects.select_related("profile")}

    def cal(team, rep):
        user = users.get(rep)
        return calendar_for_user(doc, user) if user else doc.calendar_for(team=team, rep=rep)

    pauses = {name: pauses_for_user(u) for name, u in users.items()}
    report = compute_compliance(
        records, sla=doc, now=now, calendar_for=cal, pauses_for=pauses, months=[month]
    )
    q_start_month = (start.month - 1) // 3 * 3 + 1
    q_start = start.replace(month=q_start_month)
    mql_rows = list(
        StageChange.objects.filter(to_stage="mql", changed_at__gte=start, changed_at__lt=end)
        .values_list("contact_id", "changed_at")
        .order_by("changed_at")
    )
    sql_at = dict(
        StageChange.objects.filter(
            contact_id__in={c for c, _ in mql_rows},
            to_stage__in=("sql", "opportunity", "customer"),
        )
        .order_by("-changed_at")
        .values_list("contact_id", "changed_at")
    )
    mqls = [
        MqlRecord(cid, at, sql_at[cid] if sql_at.get(cid) and sql_at[cid] >= at else None)
        for cid, at in mql_rows
    ]
    opps = [
        OpportunityRecord(amount, created)
        for amount, created in Deal.objects.filter(
            created_at__gte=q_start, created_at__lt=end
        ).values_list("amount", "created_at")
    ]
    marketing = marketing_compliance(
        month=month, mqls=mqls, opportunities=opps, sla=doc, reps=_sales_reps()
    )
    return {
        "month": month,
        "sla": {
            "name": doc.name,
            "version": doc.version,
            "stored_version_id": version.pk if version else None,
        },
        "sales": [row.to_dict() for row in report.rows],
        "marketing": marketing.to_dict(),
    }


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _hours(value) -> str:
    return "—" if value is None else f"{value:.1f} h"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if timezone.is_naive(moment) else moment


def compliance_summary(*, start: dt.datetime, end: dt.datetime) -> dict[str, object]:
    """Both teams' SLA figures for the dashboards and reports, as label → value.

    A period longer than a month shows its last month that has begun (the SLA's commitments
    are monthly); the figures are exactly those of :func:`compliance` for that month, as
    stored by the worker (:func:`~smarketing.sla.actions.catch_up_snapshots`; "As of" says
    when), or computed live without storing when the month has no snapshot for the active SLA
    version. Reads only. Naive bounds are UTC (the reporting filters' convention).
    """
    start, end = _aware(start), _aware(end)
    last = min(end - dt.timedelta(seconds=1), timezone.now())
    month = f"{max(last, start):%Y-%m}"
    data, as_of = stored_or_live_compliance(month)
    sales = next((row for row in data["sales"] if row["scope"] == "all"), None) or {}
    marketing = data["marketing"]
    breaches = sum((sales.get("breaches") or {}).values())
    rate = marketing.get("mql_to_sql_rate")
    return {
        "Month": month,
        "As of": as_of,
        "Leads received by sales": sales.get("leads_received", 0),
        "First touch within SLA": _pct(sales.get("first_touch_met_pct")),
        "Median / p90 time to first touch": (
            f"{_hours(sales.get('median_first_touch_hours'))} / "
            f"{_hours(sales.get('p90_first_touch_hours'))}"
        ),
        "Attempts per lead": (
            "—" if sales.get("attempts_per_lead") is None else f"{sales['attempts_per_lead']:.1f}"
        ),
        "Attempt commitment met": _pct(sales.get("attempts_met_pct")),
        "Decision within SLA": _pct(sales.get("decision_met_pct")),
        "Breaches (sales)": breaches,
        "MQLs delivered / committed (marketing)": (
            f"{marketing.get('mqls_delivered', 0)} / {marketing.get('mqls_committed') or '—'}"
        ),
        "MQL → SQL rate / committed minimum": (
            f"{_pct(None if rate is None else rate * 100)} / "
            f"{_pct((marketing.get('min_mql_to_sql_rate') or 0) * 100)}"
        ),
        "Pipeline quarter to date / committed": (
            f"{marketing.get('pipeline_quarter_to_date', 0):,.0f} / "
            f"{marketing.get('pipeline_committed') or 0:,.0f}"
        ),
    }


def stored_or_live_compliance(month: str) -> tuple[dict, str]:
    """``month``'s compliance figures and their "as of" label: the stored
    :class:`~smarketing.sla.models.ComplianceSnapshot` when it was computed under the active
    SLA version, else :func:`compliance` computed now (one definition; nothing is stored: a
    GET never writes)."""
    from smarketing.sla.models import ComplianceSnapshot

    _, version = active_sla()
    snapshot = ComplianceSnapshot.objects.filter(month=month).first()
    if snapshot is not None and snapshot.sla_version_id == (version.pk if version else None):
        return snapshot.data, f"{snapshot.computed_at:%Y-%m-%d %H:%M} UTC"
    now = timezone.now()
    return compliance(month, now=now), f"{now:%Y-%m-%d %H:%M} UTC (live)"


def snapshots_stale(now: dt.datetime | None = None) -> bool:
    """Whether a month that still moves lacks a snapshot for the active SLA version or has one
    older than the refresh interval (reads only)."""
    from smarketing.sla.actions import SNAPSHOT_MAX_AGE, months_to_refresh
    from smarketing.sla.models import ComplianceSnapshot

    now = now or timezone.now()
    _, version = active_sla()
    months = months_to_refresh(now)
    fresh = ComplianceSnapshot.objects.filter(
        month__in=months,
        sla_version_id=version.pk if version else None,
        computed_at__gte=now - SNAPSHOT_MAX_AGE,
    ).count()
    return fresh < len(months)


def breaches_between(*, start: dt.datetime, end: dt.datetime, limit: int = 50) -> list[str]:
    """SLA breaches detected in ``[start, end)`` (naive bounds are UTC), newest first, as one
    line each."""
    from smarketing.sla.models import Breach

    start, end = _aware(start), _aware(end)
    rows = (
        Breach.objects.filter(detected_at__gte=start, detected_at__lt=end)
        .select_related("clock__contact", "clock__owner")
        .order_by("-detected_at")[:limit]
    )
    return [
        f"{b.detected_at:%Y-%m-%d %H:%M} · {b.get_kind_display()} · {b.clock.contact} · "
        f"owner {b.clock.owner or 'none'} · {b.overdue_hours:.1f} business h overdue"
        + (" · escalated" if b.escalated_at else "")
        for b in rows
    ]


def notifications_for(user, *, unread_only: bool = False):
    """The user's notifications, newest first (with the contact for the link)."""
    qs = Notification.objects.filter(user=user).select_related("contact")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_notification_count(user) -> int:
    """How many of the user's notifications are unread (one indexed count)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
