"""Content use pre-aggregated per UTC day, asset and contact (:class:`ContentTouchDay`).

Maintained with the traffic tables (:mod:`.traffic`, same touchpoint checkpoint): the days of
new content touches are recomputed with ``INSERT ... SELECT``. Two readers:

- :func:`content_use`: touches, shares and distinct people per asset over a period (the
  monthly report), a grouped sum over the period's rows instead of an index range over every
  touchpoint of the month;
- the closed loop's ``content`` grouping, which takes the table as its ``touchpoints`` input
  (it only needs ``contact_id, content_id`` pairs), so membership is read from one row per
  contact, asset and day instead of a scan of every touchpoint.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from smarketing.core import derived
from smarketing.crm.models import Touchpoint
from smarketing.reporting.models import ContentTouchDay

TP = Touchpoint._meta.db_table
CONTENT_T = ContentTouchDay._meta.db_table


def _day(col: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST({col} AT TIME ZONE 'UTC' AS DATE)"
    return f"date({col})"


def refresh_days(days: list[date] | None) -> None:
    """Recompute the rows of ``days`` (``None``: every day; the caller owns the transaction)."""
    from smarketing.reporting.traffic import replace_days

    day = _day("occurred_at")
    insert = (
        f"INSERT INTO {CONTENT_T} (day, content_id, contact_id, touches, shares) "
        f"SELECT {day}, content_id, contact_id, COUNT(*), "
        "SUM(CASE WHEN kind = 'content_share' THEN 1 ELSE 0 END) "
        f"FROM {TP} WHERE content_id IS NOT NULL"
    )
    replace_days(ContentTouchDay, insert, f" GROUP BY {day}, content_id, contact_id", days)


def new_days(lo_id: int, hi_id: int) -> list[date]:
    """The UTC days of the content touches ``lo_id < id <= hi_id``."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT {_day('occurred_at')} FROM {TP} "
            "WHERE id > %s AND id <= %s AND content_id IS NOT NULL",
            [lo_id, hi_id],
        )
        out = [r[0] for r in cur.fetchall()]
    return [d if isinstance(d, date) else date.fromisoformat(d) for d in out]


def ready() -> bool:
    """Whether the table is built (with the traffic tables)."""
    return derived.is_built("reporting.traffic")


def content_use(*, start: date, end: date, limit: int) -> list[tuple]:
    """``(content_id, touches, shares, people)`` of the ``limit`` most touched assets in
    ``[start, end)``."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT content_id, SUM(touches) AS touches, SUM(shares), COUNT(DISTINCT contact_id) "
            f"FROM {CONTENT_T} WHERE day >= %s AND day < %s GROUP BY content_id "
            "ORDER BY touches DESC, content_id LIMIT %s",
            [start, end, limit],
        )
        return cur.fetchall()
