"""Traffic pre-aggregated per UTC day: page views, sessions and period-exact distinct visitors
(and, on the same touchpoint checkpoint, the sales activity tables of :mod:`.activity`).

A visitor is the contact, else the anonymous browser id; a session is one visitor on one day.
:class:`~smarketing.reporting.models.TrafficDay` keeps each day's page views and sessions (all
channels and per channel). Distinct visitors over a period cannot be summed from daily distinct
counts, so :class:`~smarketing.reporting.models.TrafficVisitorGap` counts each day's visitors
by the day of their previous visit: a visitor is counted in ``[s, e)`` on its first day there,
i.e. where the previous visit is before ``s`` -- exact for any period up to a year, and a sum
over a few hundred rows per day instead of a distinct count over millions of page views.

Refresh: new page views (touchpoint id above the checkpoint in
:class:`~smarketing.reporting.models.TrafficState`) mark their days dirty; those days are
recomputed (today's, as events arrive, with one index probe per visitor for its previous
visit). A backdated page view also changes the "previous visit" of that visitor's next visit,
so the days up to a year after it are recomputed (one window-function pass). Everything runs
as ``INSERT ... SELECT`` in the database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from smarketing.crm.models import Touchpoint
from smarketing.reporting import activity, content_days, sqlcache
from smarketing.reporting.models import TrafficDay, TrafficState, TrafficVisitorGap

log = logging.getLogger(__name__)

LOOKBACK = 366  # days: longer gaps are "no previous visit" for any period up to a year
PROBE_DAYS = 3  # ranges up to this many days use per-visitor index probes
INLINE_LIMIT = 50_000  # page views a read refreshes inline; more is left to the periodic task

TP = Touchpoint._meta.db_table
DAY_T = TrafficDay._meta.db_table
GAP_T = TrafficVisitorGap._meta.db_table
VISITOR = "COALESCE(CAST(contact_id AS TEXT), anonymous_id)"


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _day(col: str) -> str:
    return f"CAST({col} AT TIME ZONE 'UTC' AS DATE)" if _pg() else f"date({col})"


def _minus(col: str, days: int) -> str:
    return f"({col} - {days})" if _pg() else f"date({col}, '-{days} days')"


def _at(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def replace_days(model, insert: str, group: str, days) -> None:
    """Recompute the rows of a per-UTC-day touchpoint summary: delete ``days`` (``None``: every
    day) and re-insert them with ``insert`` (an ``INSERT … SELECT … WHERE …`` over the
    touchpoints) restricted to each day, then ``group`` (its ``GROUP BY``)."""
    if days is None:
        model.objects.all().delete()
        sqlcache.execute(insert + group)
        return
    for d in sorted(set(days)):
        model.objects.filter(day=d).delete()
        sqlcache.execute(
            insert + " AND occurred_at >= %s AND occurred_at < %s" + group,
            [_at(d), _at(d + timedelta(days=1))],
        )


def _daily_sql() -> str:
    """Page views and sessions per day, all channels and per channel, for ``[lo, hi)``."""
    day = _day("occurred_at")
    where = "kind = 'page_view' AND occurred_at >= %(lo)s AND occurred_at < %(hi)s"
    return (
        f"INSERT INTO {DAY_T} (day, channel, page_views, sessions) "
        f"SELECT {day}, NULL, COUNT(*), COUNT(DISTINCT {VISITOR}) FROM {TP} WHERE {where} "
        f"GROUP BY {day} "
        f"UNION ALL SELECT {day}, channel, COUNT(*), COUNT(DISTINCT {VISITOR}) FROM {TP} "
        f"WHERE {where} GROUP BY {day}, channel"
    )


def _window_sql(per_channel: bool) -> str:
    """Visitor gaps of the days in ``[a, b)`` with one window pass (LAG over visitor-days)."""
    ch = ", channel" if per_channel else ""
    day = _day("occurred_at")
    return (
        f"INSERT INTO {GAP_T} (day, channel, prev_day, visitors) "
        f"SELECT day, {'channel' if per_channel else 'NULL'}, "
        f"CASE WHEN prev >= {_minus('day', LOOKBACK)} THEN prev END AS p, COUNT(*) FROM ("
        f"SELECT day{ch}, LAG(day) OVER (PARTITION BY contact_id, anon{ch} ORDER BY day) AS prev "
        f"FROM (SELECT DISTINCT {day} AS day, contact_id, "
        f"CASE WHEN contact_id IS NULL THEN anonymous_id END AS anon{ch} FROM {TP} "
        f"WHERE kind = 'page_view' AND occurred_at >= %(lo)s AND occurred_at < %(hi)s) vd"
        f") g WHERE day >= %(a)s GROUP BY day{ch}, p"
    )


def _probe_sql(per_channel: bool) -> str:
    """Visitor gaps of one day ``[d0, d1)``: each visitor's previous visit by an index probe."""
    ch = ", channel" if per_channel else ""
    same = " AND p.channel = v.channel" if per_channel else ""
    prev = _day("MAX(p.occurred_at)")
    probe = (
        f"SELECT {prev} FROM {TP} p WHERE p.kind = 'page_view' "
        f"AND p.occurred_at >= %(lo)s AND p.occurred_at < %(d0)s{same} AND "
    )
    today = f"FROM {TP} WHERE kind = 'page_view' AND occurred_at >= %(d0)s AND occurred_at < %(d1)s"
    known = (
        f"SELECT v.contact_id{', v.channel' if per_channel else ''}, "
        f"({probe}p.contact_id = v.contact_id) AS prev_day "
        f"FROM (SELECT DISTINCT contact_id{ch} {today} AND contact_id IS NOT NULL) v"
    )
    anonymous = (
        f"SELECT NULL{', v.channel' if per_channel else ''}, "
        f"({probe}p.contact_id IS NULL AND p.anonymous_id = v.anonymous_id) AS prev_day "
        f"FROM (SELECT DISTINCT anonymous_id{ch} {today} AND contact_id IS NULL) v"
    )
    return (
        f"INSERT INTO {GAP_T} (day, channel, prev_day, visitors) "
        f"SELECT %(day)s, {'channel' if per_channel else 'NULL'}, prev_day, COUNT(*) "
        f"FROM ({known} UNION ALL {anonymous}) g GROUP BY {'channel, ' if per_channel else ''}"
        f"prev_day"
    )


def _recompute(a: date, b: date) -> None:
    """Recompute both tables for the days ``a`` to ``b`` inclusive."""
    lo, hi = _at(a), _at(b + timedelta(days=1))
    TrafficDay.objects.filter(day__gte=a, day__lte=b).delete()
    TrafficVisitorGap.objects.filter(day__gte=a, day__lte=b).delete()
    sqlcache.execute(_daily_sql(), {"lo": lo, "hi": hi})
    if (b - a).days < PROBE_DAYS:
        d = a
        while d <= b:
            params = {
                "day": d,
                "d0": _at(d),
                "d1": _at(d + timedelta(days=1)),
                "lo": _at(d - timedelta(days=LOOKBACK)),
            }
            for per_channel in (False, True):
                sqlcache.execute(_probe_sql(per_channel), params)
            d += timedelta(days=1)
        return
    params = {"a": a, "lo": _at(a - timedelta(days=LOOKBACK)), "hi": hi}
    for per_channel in (False, True):
        sqlcache.execute(_window_sql(per_channel), params)


def _state() -> TrafficState:
    state = TrafficState.objects.select_for_update().order_by("pk").first()
    return state or TrafficState.objects.create()


def _page_view_days(where: str, params, kinds: str = "'page_view'") -> list[date]:
    """The UTC days of the touchpoints of ``kinds`` matching ``where``."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT {_day('occurred_at')} FROM {TP} WHERE kind IN ({kinds}) AND {where}",
            params,
        )
        out = [r[0] for r in cur.fetchall()]
    return sorted(d if isinstance(d, date) else date.fromisoformat(d) for d in out)


@transaction.atomic
def rebuild_traffic() -> int:
    """Recompute the traffic tables over all history (one window pass); the days filled."""
    state = _state()
    top = Touchpoint.objects.aggregate(m=Max("id"))["m"] or 0
    TrafficDay.objects.all().delete()
    TrafficVisitorGap.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute(f"SELECT MIN(occurred_at), MAX(occurred_at) FROM {TP} WHERE kind = 'page_view'")
        first, last = cur.fetchone()
    if first is not None:
        to_date = (
            (lambda v: v.date())
            if isinstance(first, datetime)
            else (lambda v: date.fromisoformat(str(v)[:10]))
        )
        _recompute(to_date(first), to_date(last))
    activity.refresh_days(None)
    activity.refresh_attempts(None, None)
    content_days.refresh_days(None)
    state.content_built = True
    state.touchpoint_id = top
    state.built_at = state.refreshed_at = timezone.now()
    state.save()
    return TrafficDay.objects.filter(channel__isnull=True).count()


@transaction.atomic
def catch_up_traffic() -> int:
    """Recompute the days touched by page views newer than the checkpoint; the days redone."""
    state = _state()
    if state.built_at is None:
        return rebuild_traffic()
    top = Touchpoint.objects.aggregate(m=Max("id"))["m"] or 0
    if top <= state.touchpoint_id:
        return 0
    dirty = _page_view_days("id > %s AND id <= %s", [state.touchpoint_id, top])
    n = 0
    if dirty:
        last = _page_view_days("occurred_at >= %s", [_at(dirty[-1])])[-1]
        # a visit changes the "previous visit" of the visitor's next visit (within a year)
        end = min(last, dirty[-1] + timedelta(days=LOOKBACK))
        _recompute(dirty[0], end)
        n = (end - dirty[0]).days + 1
    kinds = ", ".join(f"'{k}'" for k in activity.SALES_ACTIVITY)
    activity.refresh_days(
        _page_view_days("id > %s AND id <= %s", [state.touchpoint_id, top], kinds)
    )
    activity.refresh_attempts(state.touchpoint_id, top)
    if state.content_built:
        content_days.refresh_days(content_days.new_days(state.touchpoint_id, top))
    state.touchpoint_id = top
    state.refreshed_at = timezone.now()
    state.save()
    return n


def ensure_fresh(touchpoint_max: int | None = None) -> bool:
    """Bring the traffic tables up to the last touchpoint before a read when the backlog is
    small; otherwise say so (the caller then reads the touchpoints directly)."""
    top = touchpoint_max
    if top is None:
        top = Touchpoint.objects.aggregate(m=Max("id"))["m"] or 0
    state = TrafficState.objects.order_by("pk").first()
    done = state.touchpoint_id if state is not None and state.built_at is not None else 0
    if done >= top:
        return True
    if top - done > INLINE_LIMIT:
        log.warning(
            "traffic tables lag by %s touchpoints; reading touchpoints directly", top - done
        )
        return False
    catch_up_traffic()
    return True


def _channel_clause(channel: str) -> tuple[str, list]:
    return ("channel = %s", [channel]) if channel else ("channel IS NULL", [])


def traffic_days(*, start: date, end: date, channel: str = "") -> list[tuple]:
    """``(day, page_views, sessions)`` per day in ``[start, end)`` (one indexed query)."""
    clause, params = _channel_clause(channel)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT day, page_views, sessions FROM {DAY_T} WHERE {clause} "
            f"AND day >= %s AND day < %s ORDER BY day",
            [*params, start, end],
        )
        return cur.fetchall()


def traffic_totals(*, start: date, end: date, channel: str = "") -> dict[str, int]:
    """Page views and exact distinct visitors in ``[start, end)`` (at most a year; one query)."""
    clause, params = _channel_clause(channel)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT SUM(page_views) FROM {DAY_T} WHERE {clause} AND day >= %s "
            f"AND day < %s), SUM(visitors) FROM {GAP_T} WHERE {clause} AND day >= %s "
            f"AND day < %s AND (prev_day IS NULL OR prev_day < %s)",
            [*params, start, end, *params, start, end, start],
        )
        views, visitors = cur.fetchone()
    return {"page_views": int(views or 0), "visitors": int(visitors or 0)}
