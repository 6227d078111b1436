"""The vectorised clock sweep: read unsettled clocks, evaluate them with numpy, write changes.

One pass = one raw SELECT of the unsettled clocks (epoch seconds computed by the database),
one :class:`~smarketing.analytics.sla.BusinessClock` per owner, one
:func:`~smarketing.analytics.sla.evaluate_clocks` call, and one set-based UPDATE of the rows
whose status or due times changed (through a temporary table, so 100k changed rows are one
statement, not 100k). Settled clocks are never read: the sweep is incremental.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection

from smarketing.analytics.sla import BusinessClock, SlaDocument, evaluate_clocks
from smarketing.sla.models import LeadClock
from smarketing.sla.selectors import calendar_for_user, pauses_for_user

KINDS = ("first_touch", "attempts", "decision")
HORIZON_AHEAD = dt.timedelta(days=90)


def _epoch(col: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {col})::float8"
    # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; julianday keeps ~10 µs precision.
    return f"(julianday({col}) - 2440587.5) * 86400.0"


@dataclass
class OpenClocks:
    """Unsettled clocks as arrays (epoch seconds, NaN = not happened / not computed)."""

    ids: np.ndarray
    contact: np.ndarray
    owner: np.ndarray
    priority: list[str]
    assigned: np.ndarray
    first_touch_at: np.ndarray
    kth_attempt_at: np.ndarray
    decided_at: np.ndarray
    status: dict[str, np.ndarray]
    due: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)


def load_open_clocks(*, ids=None) -> OpenClocks:
    """Read the unsettled clocks (or the given ids) with one query."""
    table = LeadClock._meta.db_table
    cols = [
        "id",
        "contact_id",
        "owner_id",
        "priority",
        _epoch("assigned_at"),
        _epoch("first_touch_at"),
        _epoch("kth_attempt_at"),
        _epoch("decided_at"),
        "status_first_touch",
        "status_attempts",
        "status_decision",
        _epoch("first_touch_due"),
        _epoch("attempts_due"),
        _epoch("decision_due"),
    ]
    sql = f"SELECT {', '.join(cols)} FROM {table} WHERE "
    params: list = []
    if ids is None:
        sql += "settled = %s"
        params.append(False)
    else:
        ids = [int(i) for i in ids] or [-1]
        sql += f"id IN ({', '.join(['%s'] * len(ids))})"
        params.extend(ids)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    if rows:
        cols_ = list(zip(*rows, strict=True))
    else:
        cols_ = [()] * 14

    def f(i):
        arr = np.array([np.nan if v is None else float(v) for v in cols_[i]], dtype=np.float64)
        # julianday() arithmetic is off by a few µs: round to the millisecond.
        return np.round(arr, 3)

    def n(i):
        return np.array(cols_[i], dtype=np.int64)

    return OpenClocks(
        ids=n(0),
        contact=n(1),
        owner=n(2),
        priority=list(cols_[3]),
        assigned=f(4),
        first_touch_at=f(5),
        kth_attempt_at=f(6),
        decided_at=f(7),
        status={k: np.array(cols_[8 + i], dtype=np.int8) for i, k in enumerate(KINDS)},
        due={k: f(11 + i) for i, k in enumerate(KINDS)},
    )


def owner_clocks(doc: SlaDocument, owner_ids, start: dt.datetime, end: dt.datetime) -> dict:
    """One BusinessClock per owner (their calendar and out-of-office pauses)."""
    users = get_user_model().objects.filter(pk__in=[int(o) for o in owner_ids])
    return {
        u.pk: BusinessClock(
            calendar_for_user(doc, u), start=start, end=end, pauses=pauses_for_user(u)
        )
        for u in users.select_related("profile__team")
    }


def evaluate(doc: SlaDocument, data: OpenClocks, now: dt.datetime):
    """Evaluate ``data`` at ``now``; returns :class:`~smarketing.analytics.sla.ClockArrays`."""
    utc = dt.UTC
    first = float(np.nanmin(data.assigned))
    horizon_start = dt.datetime.fromtimestamp(first, utc) - dt.timedelta(days=2)
    last = max(float(np.nanmax(data.assigned)), now.timestamp())
    horizon_end = dt.datetime.fromtimestamp(last, utc) + HORIZON_AHEAD
    clocks = owner_clocks(doc, np.unique(data.owner), horizon_start, horizon_end)
    hours_of = {p: doc.sales.first_touch_hours(p) for p in set(data.priority)}
    ft_hours = np.array([hours_of[p] for p in data.priority], dtype=np.float64)
    return evaluate_clocks(
        assigned_at=data.assigned,
        first_touch_hours=ft_hours,
        first_touch_at=data.first_touch_at,
        kth_attempt_at=data.kth_attempt_at,
        decided_at=data.decided_at,
        owner=data.owner,
        clocks=clocks,
        now=now,
        sla=doc,
    )


def to_db_datetimes(epochs: np.ndarray) -> list:
    """Epoch seconds to values the database stores for a DateTimeField (vectorised).

    SQLite: Django's text format ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC); PostgreSQL: an ISO
    string with ``+00:00`` for a ``timestamptz`` parameter. ``NaN`` becomes ``None``.
    """
    epochs = np.asarray(epochs, dtype=np.float64)
    if epochs.size == 0:
        return []
    missing = np.isnan(epochs)
    micro = np.where(missing, 0, np.round(epochs * 1e6)).astype("int64")
    text = np.datetime_as_string(micro.astype("datetime64[us]"), unit="us")
    if connection.vendor == "postgresql":
        text = np.char.add(text, "+00:00")
    else:
        text = np.char.replace(text, "T", " ")
    out = text.tolist()
    for i in np.flatnonzero(missing):
        out[i] = None
    return out


def write_rows(columns: dict[str, list], ids: np.ndarray) -> int:
    """Set ``columns`` (name -> values per id) on the LeadClock rows ``ids`` in one UPDATE."""
    if len(ids) == 0:
        return 0
    table = LeadClock._meta.db_table
    names = list(columns)
    pg = connection.vendor == "postgresql"
    types = {
        n: ("timestamptz" if pg else "TEXT")
        if n.endswith(("_due", "_at"))
        else ("boolean" if n == "settled" else "integer")
        for n in names
    }
    tmp = "sla_clock_sweep_tmp"
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {tmp}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {tmp} (id integer PRIMARY KEY, "
            + ", ".join(f"{n} {types[n]}" for n in names)
            + ")"
        )
        rows = list(zip(ids.tolist(), *(columns[n] for n in names), strict=True))
        cur.executemany(f"INSERT INTO {tmp} VALUES ({', '.join(['%s'] * (len(names) + 1))})", rows)
        sets = ", ".join(f"{n} = {tmp}.{n}" for n in names)
        cur.execute(f"UPDATE {table} SET {sets} FROM {tmp} WHERE {table}.id = {tmp}.id")
        cur.execute(f"DROP TABLE {tmp}")
    return len(ids)
