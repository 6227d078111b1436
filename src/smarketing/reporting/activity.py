"""Sales activity pre-aggregated: touches per rep, day and kind, and attempts per contact.

Maintained with the traffic tables (:func:`smarketing.reporting.traffic.catch_up_traffic`,
same touchpoint checkpoint): the days and contacts of touchpoints newer than the checkpoint are
recomputed with ``INSERT ... SELECT`` in the database.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from smarketing.crm.models import Touchpoint
from smarketing.reporting import sqlcache
from smarketing.reporting.models import ActivityDay, ContactAttempts

SALES_ACTIVITY = ("sales_call", "sales_email", "meeting", "demo")
ATTEMPT_KINDS = ("sales_call", "sales_email")

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


def refresh_days(days: list[date] | None) -> None:
    """Recompute :class:`ActivityDay` for ``days`` (``None``: all of them)."""
    from smarketing.reporting.traffic import replace_days

    where = f"kind IN ({_kinds(SALES_ACTIVITY)}) AND user_id IS NOT NULL"
    select = (
        f"INSERT INTO {ACT_T} (day, user_id, kind, n) SELECT {_day('occurred_at')}, user_id, "
        f"kind, COUNT(*) FROM {TP} WHERE {where}"
    )
    replace_days(ActivityDay, select, f" GROUP BY {_day('occurred_at')}, user_id, kind", days)


def refresh_attempts(lo_id: int | None, hi_id: int | None) -> None:
    """Recompute :class:`ContactAttempts` of the contacts with attempts among the touchpoints
    ``lo_id < id <= hi_id`` (``None``: every contact)."""
    kinds = _kinds(ATTEMPT_KINDS)
    insert = (
        f"INSERT INTO {ATT_T} (contact_id, attempts) SELECT contact_id, COUNT(*) FROM {TP} "
        f"WHERE kind IN ({kinds}) AND contact_id IS NOT NULL"
    )
    if lo_id is None:
        ContactAttempts.objects.all().delete()
        sqlcache.execute(insert + " GROUP BY contact_id")
        return
    changed = (
        f"SELECT DISTINCT contact_id FROM {TP} WHERE id > %s AND id <= %s "
        f"AND kind IN ({kinds}) AND contact_id IS NOT NULL"
    )
    sqlcache.execute(f"DELETE FROM {ATT_T} WHERE contact_id IN ({changed})", [lo_id, hi_id])
    sqlcache.execute(insert + f" AND contact_id IN ({changed}) GROUP BY contact_id", [lo_id, hi_id])


def activity_days(*, start: date, end: date, owner_ids=None) -> list[tuple]:
    """``(user_id, kind, n)`` summed over ``[start, end)`` (one indexed query)."""
    params: list = [start, end]
    owners = ""
    if owner_ids is not None:
        ids = [int(i) for i in owner_ids] or [-1]
        owners = f" AND user_id IN ({', '.join('%s' for _ in ids)})"
        params += ids
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT user_id, kind, SUM(n) FROM {ACT_T} WHERE day >= %s AND day < %s{owners} "
            f"GROUP BY user_id, kind",
            params,
        )
        return cur.fetchall()
