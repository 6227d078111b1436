"""Traffic pre-aggregated per UTC day: page views, sessions and period-exact distinct visitors
(and, on the same touchpoint checkpoint, the sales activity tables of :mod:`.activity`).

A visitor is the contact, else the anonymous browser id; a session is one visitor on one day.
:class:`~smarketing.reporting.models.TrafficDay` keeps each day's page views and sessions (all
channels and per channel). Distinct visitors over a period cannot be summed from daily distinct
counts, so :class:`~smarketing.reporting.models.TrafficVisitorGap` counts each day's visitors
by the day of their previous visit: a visitor is counted in ``[s, e)`` on its first day there,
i.e. where the previous visit is before ``s`` -- exact for any period up to a year, and a sum
over a few hundred rows per day instead of a distinct count over millions of page views.

Refresh: new page views (touchpoint id above the checkpoint in the ``reporting.traffic``
:class:`~smarketing.core.models.FillState`) and updates that re-own old touches (identify,
merges: :func:`smarketing.core.derived.mark_dirty` with their days) mark days dirty; those days are
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

from smarketing.analytics.figures import SALES_ACTIVITY_KINDS
from smarketing.core import derived
from smarketing.crm.models import Touchpoint
from smarketing.reporting import activity, content_days, sqlcache
from smarketing.reporting.models import TrafficDay, TrafficVisitorGap

log = logging.getLogger(__name__)

LOOKBACK = 366  # days: longer gaps are "no previous visit" for any period up to a year
PROBE_DAYS = 3  # ranges up to this many days use per-visitor index probes
#: Touchpoints dated before this (only a past bug could store them) are left out of the
#: summaries and logged: a year-1 row must not break a fill or a page.
FLOOR = date(1970, 1, 1)
NAME = "reporting.traffic"

TP = Touchpoint._meta.db_table
DAY_T = TrafficDay._meta.db_table
GAP_T = TrafficVisitorGap._meta.db_table
#: A visitor: the contact, else the anonymous browser id (the one definition; a session is
#: one visitor on one UTC day).
VISITOR = "COALESCE(CAST(contact_id AS TEXT), anonymous_id)"
PAGE_VIEW = "kind = 'page_view'"


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
        sqlcache.execute(insert + " AND occurred_at >= %s" + group, [_at(FLOOR)])
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


def _state():
    return derived.checkpoint(NAME)


def _page_view_days(where: str, params, kinds: str = "'page_view'") -> list[date]:
    """The UTC days of the touchpoints of ``kinds`` matching ``where`` (days before
    :data:`FLOOR`, which only a bug could store, are skipped and logged)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT {_day('occurred_at')} FROM {TP} WHERE kind IN ({kinds}) AND {where}",
            params,
        )
        out = [r[0] for r in cur.fetchall()]
    return _dates(out)


def _dates(values) -> list[date]:
    out = []
    for d in values:
        try:
            if isinstance(d, datetime):
                d = (d.astimezone(UTC) if d.tzinfo else d).date()
            elif not isinstance(d, date):
                d = date.fromisoformat(str(d)[:10])
        except ValueError:
            log.warning("touchpoint day %r is not a date: skipped", d)
            continue
        if d < FLOOR:
            log.warning("touchpoints dated %s (before %s) are skipped by the summaries", d, FLOOR)
            continue
        out.append(d)
    return sorted(out)


def _tp_max() -> int:
    return Touchpoint.objects.aggregate(m=Max("id"))["m"] or 0


@transaction.atomic
def rebuild_traffic() -> int:
    """Recompute the traffic tables over all history (one window pass); the days filled."""
    state = _state()
    derived.take_dirty(state)
    top = _tp_max()
    TrafficDay.objects.all().delete()
    TrafficVisitorGap.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {TP} WHERE occurred_at < %s", [_at(FLOOR)])
        (bad,) = cur.fetchone()
        if bad:
            log.warning("%s touchpoints dated before %s skipped by the summaries", bad, FLOOR)
        cur.execute(
            f"SELECT MIN(occurred_at), MAX(occurred_at) FROM {TP} "
            "WHERE kind = 'page_view' AND occurred_at >= %s",
            [_at(FLOOR)],
        )
        first, last = cur.fetchone()
    if first is not None:
        days = _dates([first, last])
        if days:
            _recompute(days[0], days[-1])
    activity.refresh_days(None)
    activity.refresh_attempts(None, None)
    content_days.refresh_days(None)
    derived.filled(state, state={"tp": top}, built=True)
    return TrafficDay.objects.filter(channel__isnull=True).count()


@transaction.atomic
def catch_up_traffic() -> int:
    """Recompute the days touched by touchpoints newer than the checkpoint and the days and
    contacts marked dirty by updates (an identify or a merge re-owning old touches); the days
    redone."""
    state = _state()
    if state.built_at is None:
        return rebuild_traffic()
    done = int((state.state or {}).get("tp", 0))
    top = _tp_max()
    marked = derived.take_dirty(state)
    old_days = _dates(marked.get("days", []))
    contacts = sorted({int(c) for c in marked.get("contacts", [])})
    if top <= done and not old_days and not contacts:
        return 0
    dirty = sorted(set(_page_view_days("id > %s AND id <= %s", [done, top])) | set(old_days))
    n = 0
    if dirty:
        last = _page_view_days("occurred_at >= %s", [_at(dirty[-1])])
        # a visit changes the "previous visit" of the visitor's next visit (within a year)
        end = min(last[-1] if last else dirty[-1], dirty[-1] + timedelta(days=LOOKBACK))
        _recompute(dirty[0], end)
        n = (end - dirty[0]).days + 1
    kinds = ", ".join(f"'{k}'" for k in SALES_ACTIVITY_KINDS)
    new_days = _page_view_days("id > %s AND id <= %s", [done, top], kinds)
    activity.refresh_days(sorted(set(new_days) | set(old_days)))
    activity.refresh_attempts(done, top, contacts=contacts)
    content_days.refresh_days(sorted(set(content_days.new_days(done, top)) | set(old_days)))
    derived.filled(state, state={"tp": max(done, top)})
    return n


def lag() -> int:
    """Touchpoints and dirty keys not yet folded in (all touchpoints if never built)."""
    fs = derived.read(NAME)
    top = _tp_max()
    if fs is None or fs.built_at is None:
        return top
    behind = max(0, top - int((fs.state or {}).get("tp", 0)))
    return behind + sum(len(v) for v in (fs.dirty or {}).values())


def is_stale() -> bool:
    """Whether the traffic, activity and content summaries lag the touchpoints (reads only)."""
    return lag() > 0


def contact_touch_days(contact_ids) -> list[date]:
    """The UTC days of the touchpoints of ``contact_ids`` (what an identify or a merge that
    re-owns them changes in the summaries)."""
    ids = [int(i) for i in contact_ids] or [-1]
    marks = ", ".join("%s" for _ in ids)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT {_day('occurred_at')} FROM {TP} WHERE contact_id IN ({marks})", ids
        )
        return _dates(r[0] for r in cur.fetchall())


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


def _live_where(channel: str) -> tuple[str, list]:
    clause, params = _channel_clause(channel)
    if not channel:  # all channels: no channel condition on the touchpoints
        clause, params = "1 = 1", []
    return f"{PAGE_VIEW} AND occurred_at >= %s AND occurred_at < %s AND {clause}", params


def traffic_days_live(*, start: date, end: date, channel: str = "") -> list[tuple]:
    """:func:`traffic_days` computed over the touchpoints (same definitions, nothing stored)."""
    where, params = _live_where(channel)
    day = _day("occurred_at")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {day} AS d, COUNT(*), COUNT(DISTINCT {VISITOR}) FROM {TP} WHERE {where} "
            f"GROUP BY {day} ORDER BY d",
            [_at(start), _at(end), *params],
        )
        return [(_dates([d])[0], v, s) for d, v, s in cur.fetchall() if _dates([d])]


def traffic_totals_live(*, start: date, end: date, channel: str = "") -> dict[str, int]:
    """:func:`traffic_totals` computed over the touchpoints (exact distinct visitors)."""
    where, params = _live_where(channel)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT {VISITOR}) FROM {TP} WHERE {where}",
            [_at(start), _at(end), *params],
        )
        views, visitors = cur.fetchone()
    return {"page_views": int(views or 0), "visitors": int(visitors or 0)}


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
