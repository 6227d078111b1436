"""Vectorised business-time arithmetic for many instants at once.

:class:`BusinessClock` precomputes, for one calendar (and one owner's pauses) over a bounded
horizon, the open intervals as numpy arrays of UTC epoch seconds plus the cumulative business
seconds at each interval start. Every question is then a ``searchsorted`` away:

- ``B(t)`` = business seconds from the horizon start to ``t``
  = ``cum[i] + clip(t - start[i], 0, length[i])`` with ``i`` the last interval starting at or
  before ``t``;
- business hours between ``a`` and ``b`` = ``(B(b) - B(a)) / 3600``;
- ``start + h`` business hours = the instant where ``B`` reaches ``B(start) + 3600 h``;
- close of the N-th business day = a lookup in the sorted array of daily closing times.

The answers equal the scalar functions of :mod:`smarketing.analytics.sla.calendar`; tests check
it on samples. Missing instants are ``NaN`` and propagate as ``NaN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np

from smarketing.analytics.sla.calendar import (
    BusinessCalendar,
    CalendarError,
    Pause,
    _subtract,
    normalise_pauses,
)

__all__ = ["BusinessClock", "to_epoch"]


def to_epoch(values: Iterable[datetime | None]) -> np.ndarray:
    """Aware datetimes (or ``None``) to a float64 array of epoch seconds (``NaN`` for ``None``).

    Examples
    --------
    >>> from datetime import UTC
    >>> to_epoch([datetime(2026, 1, 1, tzinfo=UTC), None]).tolist()
    [1767225600.0, nan]
    """
    out = []
    for v in values:
        if v is None:
            out.append(np.nan)
        elif v.tzinfo is None or v.utcoffset() is None:
            raise CalendarError(f"datetimes must be timezone-aware (got naive {v.isoformat()})")
        else:
            out.append(v.timestamp())
    return np.asarray(out, dtype=np.float64)


class BusinessClock:
    """Business time for one calendar (and one set of pauses) over a bounded horizon.

    Parameters
    ----------
    calendar
        The business calendar.
    start, end
        Horizon (aware datetimes). Every instant passed in, and every due date computed, must
        lie inside it; choose ``end`` far enough after "now" to hold the longest SLA deadline
        (a few weeks is plenty).
    pauses
        Out-of-office periods of the owner, removed from business time.

    Examples
    --------
    >>> from datetime import UTC
    >>> cal = BusinessCalendar.from_spec(
    ...     timezone="Europe/Berlin",
    ...     hours={d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    ...     country="DE",
    ... )
    >>> clock = BusinessClock(
    ...     cal, start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 3, 1, tzinfo=UTC)
    ... )
    >>> t = to_epoch([datetime(2026, 1, 9, 15, tzinfo=UTC)])  # Friday 16:00 Berlin
    >>> due = clock.add_hours(t, np.array([2.0]))
    >>> datetime.fromtimestamp(due[0], UTC).isoformat()  # Monday 10:00 Berlin
    '2026-01-12T09:00:00+00:00'
    >>> clock.hours_between(t, due).tolist()
    [2.0]
    """

    def __init__(
        self,
        calendar: BusinessCalendar,
        *,
        start: datetime,
        end: datetime,
        pauses: Iterable[Pause] | None = None,
    ) -> None:
        if start.tzinfo is None or end.tzinfo is None:
            raise CalendarError("horizon start and end must be timezone-aware")
        if end <= start:
            raise CalendarError("horizon end must be after its start")
        self.calendar = calendar
        self.horizon = (start.timestamp(), end.timestamp())
        norm = normalise_pauses(pauses)
        h0, h1 = self.horizon
        starts: list[float] = []
        ends: list[float] = []
        closes: list[float] = []
        day = calendar.local_date(h0) - timedelta(days=1)
        last = calendar.local_date(h1) + timedelta(days=1)
        while day <= last:
            opened = _subtract(calendar.day_intervals(day), norm)
            if opened:
                closes.append(opened[-1][1])
                for s, e in opened:
                    starts.append(s)
                    ends.append(e)
            day += timedelta(days=1)
        self.starts = np.asarray(starts, dtype=np.float64)
        self.ends = np.asarray(ends, dtype=np.float64)
        self.closes = np.asarray(closes, dtype=np.float64)
        lengths = self.ends - self.starts
        # Intervals cover a day either side of the horizon so B(t) is exact inside it.
        self.cum = np.concatenate(([0.0], np.cumsum(lengths)))

    def _check(self, t: np.ndarray, what: str) -> None:
        h0, h1 = self.horizon
        finite = t[~np.isnan(t)]
        if finite.size and (finite.min() < h0 or finite.max() > h1):
            raise CalendarError(
                f"{what} outside the clock horizon "
                f"[{datetime.fromtimestamp(h0, UTC).isoformat()}, "
                f"{datetime.fromtimestamp(h1, UTC).isoformat()}]; build the clock with a wider horizon"
            )

    def seconds_at(self, t: np.ndarray) -> np.ndarray:
        """Business seconds elapsed from the first open interval up to each ``t``."""
        t = np.asarray(t, dtype=np.float64)
        self._check(t, "instant")
        out = np.full(t.shape, np.nan)
        ok = ~np.isnan(t)
        tv = t[ok]
        idx = np.searchsorted(self.starts, tv, side="right") - 1
        before = idx < 0
        idx_c = np.clip(idx, 0, None)
        if len(self.starts):
            inside = np.clip(tv - self.starts[idx_c], 0.0, self.ends[idx_c] - self.starts[idx_c])
            val = self.cum[idx_c] + inside
            val[before] = 0.0
        else:
            val = np.zeros_like(tv)
        out[ok] = val
        return out

    def hours_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Business hours from each ``a`` to ``b`` (negative when ``b < a``)."""
        return (self.seconds_at(b) - self.seconds_at(a)) / 3600.0

    def add_hours(self, start: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """Instants at which ``hours`` business hours have elapsed since each ``start``.

        ``hours == 0`` returns ``start`` (as :func:`~.calendar.add_business_hours` does).
        """
        start = np.asarray(start, dtype=np.float64)
        hours = np.broadcast_to(np.asarray(hours, dtype=np.float64), start.shape)
        if np.any(hours[~np.isnan(hours)] < 0):
            raise CalendarError("hours must be >= 0")
        target = self.seconds_at(start) + hours * 3600.0
        out = np.full(start.shape, np.nan)
        ok = ~np.isnan(target)
        zero = ok & (hours == 0)
        out[zero] = start[zero]
        work = ok & ~zero
        tv = target[work]
        # First interval whose cumulative end reaches the target.
        k = np.searchsorted(self.cum[1:], tv, side="left")
        if np.any(k >= len(self.starts)):
            raise CalendarError(
                "a due date falls after the clock horizon; build the clock with a later end"
            )
        due = self.starts[k] + (tv - self.cum[k])
        self._check(due, "due date")
        out[work] = due
        return out

    def add_business_days(self, start: np.ndarray, days: int | np.ndarray) -> np.ndarray:
        """Close of business of the ``days``-th business day counted from each ``start``.

        Same rule as :func:`~.calendar.add_business_days`: the start's day counts when it still
        has open time after ``start``.
        """
        start = np.asarray(start, dtype=np.float64)
        self._check(start, "instant")
        days_arr = np.broadcast_to(np.asarray(days), start.shape)
        if np.any(days_arr < 1):
            raise CalendarError("days must be >= 1")
        out = np.full(start.shape, np.nan)
        ok = ~np.isnan(start)
        k = np.searchsorted(self.closes, start[ok], side="right") + days_arr[ok] - 1
        if np.any(k >= len(self.closes)):
            raise CalendarError(
                "a due date falls after the clock horizon; build the clock with a later end"
            )
        out[ok] = self.closes[k]
        self._check(out, "due date")
        return out

    def is_open(self, t: np.ndarray) -> np.ndarray:
        """Boolean array: open at each ``t`` (``False`` for ``NaN``)."""
        t = np.asarray(t, dtype=np.float64)
        self._check(t, "instant")
        out = np.zeros(t.shape, dtype=bool)
        ok = ~np.isnan(t)
        idx = np.searchsorted(self.starts, t[ok], side="right") - 1
        valid = idx >= 0
        idx_c = np.clip(idx, 0, None)
        out[ok] = valid & (t[ok] < self.ends[idx_c]) if len(self.starts) else False
        return out
