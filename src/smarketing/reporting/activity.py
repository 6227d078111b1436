"""Sales activity pre-aggregated: touches per rep, day and kind, and attempts per contact.

Maintained with the traffic tables (:func:`smarketing.reporting.traffic.catch_up_traffic`,
same ``reporting.traffic`` checkpoint): the days and contacts of touchpoints newer than the
checkpoint, and those marked dirty, are recomputed with ``INSERT ... SELECT`` in the database.
The kinds are :mod:`smarketing.analytics.figures`' (one definition with the SLA); the live
readers (:func:`activity_live`, :func:`attempts_select`) run the same ``SELECT`` without
storing it, for a table that was never built.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.db import connection

from smarketing.analytics.figures import ATTEMPT_KINDS, ATTEMPT_TEAM, SALES_ACTIVITY_KINDS
from smarketing.crm.models import Touchpoint
from smarketing.reporting import sqlcache
from smarketing.reporting.models import ActivityDay, ContactAttempts

SALES_ACTIVITY = SALES_ACTIVITY_KINDS

TP = Touchpoint._meta.db_table
ACT_T = ActivityDay._meta.db_table
ATT_T = ContactAttempts._meta.db_table


def _kinds(kinds) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def _day(col: str) -> str:
    return (
        f"CAST({col} AT TIME ZONE 'UTC' AS DATE)"
        if connection.vendor == "postgresql"
        else f"date({col})"
    )


#: The sales activity touches (the one definition of "activity by rep").
ACTIVITY_WHERE = f"kind IN ({_kinds(SALES_ACTIVITY_KINDS)}) AND user_id IS NOT NULL"
#: The attempts (the one definition shared with the SLA: kinds and team).
ATTEMPT_WHERE = (
    f"kind IN ({_kinds(ATTEMPT_KINDS)}) AND team = '{ATTEMPT_TEAM}' AND contact_id IS NOT NULL"
)


def refresh_days(days: list[date] | None) -> None:
    """Recompute :class:`ActivityDay` for ``days`` (``None``: all of them)."""
    from smarketing.reporting.traffic import replace_days

    select = (
        f"INSERT INTO {ACT_T} (day, user_id, kind, n) SELECT {_day('occurred_at')}, user_id, "
        f"kind, COUNT(*) FROM {TP} WHERE {ACTIVITY_WHERE}"
    )
    replace_days(ActivityDay, select, f" GROUP BY {_day('occurred_at')}, user_id, kind", days)


def attempts_select(where: str = "") -> str:
    """``SELECT contact_id, attempts`` of the attempts matching ``where`` (an extra ``AND``)."""
    return (
        f"SELECT contact_id, COUNT(*) AS attempts FROM {TP} WHERE {ATTEMPT_WHERE}{where} "
        "GROUP BY contact_id"
    )


def refresh_attempts(lo_id: int | None, hi_id: int | None, *, contacts=()) -> None:
    """Recompute :class:`ContactAttempts` of the contacts with attempts among the touchpoints
    ``lo_id < id <= hi_id`` and of ``contacts`` (``lo_id=None``: every contact)."""
    insert = f"INSERT INTO {ATT_T} (contact_id, attempts) "
    if lo_id is None:
        ContactAttempts.objects.all().delete()
        sqlcache.execute(insert + attempts_select())
        return
    ids = [int(c) for c in contacts]
    extra = f" OR contact_id IN ({', '.join('%s' for _ in ids)})" if ids else ""
    changed = (
        f"SELECT DISTINCT contact_id FROM {TP} WHERE (id > %s AND id <= %s "
        f"AND {ATTEMPT_WHERE}){extra}"
    )
    params = [lo_id, hi_id, *ids]
    sqlcache.execute(f"DELETE FROM {ATT_T} WHERE contact_id IN ({changed})", params)
    sqlcache.execute(insert + attempts_select(f" AND contact_id IN ({changed})"), params)


def _owners(owner_ids, column: str) -> tuple[str, list]:
    if owner_ids is None:
        return "", []
    ids = [int(i) for i in owner_ids] or [-1]
    return f" AND {column} IN ({', '.join('%s' for _ in ids)})", ids


def activity_days(*, start: date, end: date, owner_ids=None) -> list[tuple]:
    """``(user_id, kind, n)`` summed over ``[start, end)`` (one indexed query)."""
    owners, ids = _owners(owner_ids, "user_id")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT user_id, kind, SUM(n) FROM {ACT_T} WHERE day >= %s AND day < %s{owners} "
            f"GROUP BY user_id, kind",
            [start, end, *ids],
        )
        return cur.fetchall()


def _at(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def activity_live(*, start: date, end: date, owner_ids=None) -> list[tuple]:
    """:func:`activity_days` computed over the touchpoints (same definition, nothing stored)."""
    owners, ids = _owners(owner_ids, "user_id")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT user_id, kind, COUNT(*) FROM {TP} WHERE {ACTIVITY_WHERE} "
            f"AND occurred_at >= %s AND occurred_at < %s{owners} GROUP BY user_id, kind",
            [_at(start), _at(end), *ids],
        )
        return cur.fetchall()
