"""Business calendar and scalar business-time arithmetic.

A :class:`BusinessCalendar` says when a team (or a rep) is open: working hours per weekday in an
IANA timezone, public holidays from the maintained ``holidays`` library (country and optional
subdivision) and extra closed dates. The functions here answer the SLA questions for one instant
at a time:

- :func:`add_business_hours` -- when is something due N business hours after ``start``;
- :func:`business_hours_between` -- how many business hours lie between two instants;
- :func:`add_business_days` -- close of business on the N-th business day;
- :func:`is_open` -- is the calendar open at an instant.

Every function also takes ``pauses``: out-of-office periods ``(start, end)`` that are removed from
business time (clocks stop while the owner is away).

All instants are timezone-aware datetimes; results are returned in UTC. Open intervals are built
per *local* day in the calendar's timezone and converted to UTC, so DST change days have their
real length (a ``00:00-24:00`` day on 2026-03-29 in Europe/Berlin lasts 23 hours). Intervals are
half-open: a calendar open ``09:00-17:00`` is open at 09:00 and closed at 17:00.

For many leads at once use :class:`smarketing.analytics.sla.vectorised.BusinessClock`, which
gives the same answers from numpy arrays.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarError",
    "Pause",
    "add_business_days",
    "add_business_hours",
    "business_hours_between",
    "is_open",
    "parse_hours",
]

#: Weekday keys as used in SLA documents, Monday first (``datetime.weekday()`` order).
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: A pause (out-of-office period) as ``(start, end)`` aware datetimes.
Pause = tuple[datetime, datetime]

# A calendar with no open time for this many consecutive days is treated as "never open";
# without a bound, add_business_hours would loop forever.
_MAX_EMPTY_DAYS = 3700

_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class CalendarError(ValueError):
    """Raised for an invalid calendar or bad arguments to business-time functions."""


def _parse_range(text: str) -> tuple[int, int]:
    match = _RANGE_RE.match(text)
    if not match:
        raise CalendarError(f"{text!r} is not a time range like '09:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    for h, m in ((h1, m1), (h2, m2)):
        if m > 59 or h > 24 or (h == 24 and m != 0):
            raise CalendarError(f"{h:02d}:{m:02d} is not a time of day (00:00 to 24:00)")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise CalendarError(
            f"{text.strip()!r}: end must be after start (overnight shifts are not supported;"
            " split them into two days)"
        )
    return start, end


def parse_hours(spec: str | Sequence[str] | None) -> tuple[tuple[int, int], ...]:
    """Parse one weekday's working hours into minute ranges.

    Parameters
    ----------
    spec
        ``"09:00-17:00"``, several ranges as a list or comma-separated
        (``"09:00-12:00, 13:00-17:00"``), or ``None`` / ``""`` / ``"closed"`` for a closed day.
        ``24:00`` is allowed as an end.

    Returns
    -------
    tuple of (start_minute, end_minute)
        Sorted, non-overlapping ranges in minutes after local midnight.

    Raises
    ------
    CalendarError
        For text that is not a range, impossible times (``25:00``), an end before its start or
        overlapping ranges.

    Examples
    --------
    >>> parse_hours("09:00-17:00")
    ((540, 1020),)
    >>> parse_hours("08:00-12:00, 13:00-24:00")
    ((480, 720), (780, 1440))
    >>> parse_hours("closed")
    ()
    """
    if spec is None:
        return ()
    if isinstance(spec, str):
        if spec.strip().lower() in ("", "closed"):
            return ()
        parts: list[str] = spec.split(",")
    else:
        parts = list(spec)
    ranges = []
    for part in parts:
        if not isinstance(part, str):
            raise CalendarError(f"{part!r} is not a time range like '09:00-17:00'")
        ranges.append(_parse_range(part))
    ranges.sort()
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        if start < end:
            raise CalendarError(f"time ranges overlap in {spec!r}")
    return tuple(ranges)


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team or rep is open for business.

    Parameters
    ----------
    timezone
        IANA timezone name, e.g. ``"Europe/Berlin"``.
    hours
        Seven entries, Monday first, each a tuple of ``(start_minute, end_minute)`` ranges in
        local time (see :func:`parse_hours`). Use :meth:`from_spec` to build from text.
    country, subdivision
        Public holidays from the ``holidays`` library (ISO 3166 country code, optional
        subdivision such as ``"BE"`` for Berlin). ``None`` means no public holidays.
    closed
        Extra closed local dates (company shutdown days).

    Examples
    --------
    >>> cal = BusinessCalendar.from_spec(
    ...     timezone="Europe/Berlin", hours={"mon": "09:00-17:00"}, country="DE"
    ... )
    >>> cal.hours[0], cal.hours[1]
    (((540, 1020),), ())
    """

    timezone: str = "UTC"
    hours: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    country: str | None = None
    subdivision: str | None = None
    closed: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise CalendarError(f"hours needs 7 weekdays, got {len(self.hours)}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise CalendarError(f"unknown timezone {self.timezone!r}") from None
        if self.subdivision and not self.country:
            raise CalendarError("a subdivision needs a country")
        if self.country:
            try:
                holidays_lib.country_holidays(self.country, years=[])
            except NotImplementedError:
                raise CalendarError(f"unknown holiday country {self.country!r}") from None
            try:
                holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=[])
            except NotImplementedError:
                raise CalendarError(
                    f"unknown subdivision {self.subdivision!r} of holiday country {self.country!r}"
                ) from None

    @classmethod
    def from_spec(
        cls,
        *,
        timezone: str = "UTC",
        hours: Mapping[str, str | Sequence[str] | None] | None = None,
        country: str | None = None,
        subdivision: str | None = None,
        closed: Iterable[date] = (),
    ) -> BusinessCalendar:
        """Build a calendar from the SLA document's text form.

        ``hours`` maps weekday keys (``mon`` … ``sun``) to ranges; missing days are closed.

        Examples
        --------
        >>> cal = BusinessCalendar.from_spec(hours={"mon": "09:00-17:00", "fri": "09:00-16:00"})
        >>> cal.weekly_hours()
        15.0
        """
        hours = hours or {}
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(f"unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        return cls(
            timezone=timezone,
            hours=tuple(parse_hours(hours.get(day)) for day in WEEKDAYS),
            country=country,
            subdivision=subdivision,
            closed=frozenset(closed),
        )

    @cached_property
    def tz(self) -> ZoneInfo:
        """The :class:`zoneinfo.ZoneInfo` of :attr:`timezone`."""
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self) -> holidays_lib.HolidayBase | None:
        if not self.country:
            return None
        return holidays_lib.country_holidays(self.country, subdiv=self.subdivision)

    def weekly_hours(self) -> float:
        """Nominal open hours in a week without holidays (ignores DST)."""
        return sum(e - s for day in self.hours for s, e in day) / 60

    def is_closed_day(self, day: date) -> bool:
        """True when ``day`` (a local date) is a public holiday or an extra closed date."""
        if day in self.closed:
            return True
        hols = self._holidays
        return hols is not None and day in hols

    def day_intervals(self, day: date) -> tuple[tuple[float, float], ...]:
        """Open intervals of local date ``day`` as UTC epoch seconds ``(start, end)``."""
        return _day_intervals(self, day)

    def local_date(self, epoch: float) -> date:
        """The local date (in this calendar's timezone) of an epoch-seconds instant."""
        return datetime.fromtimestamp(epoch, self.tz).date()


@lru_cache(maxsize=65536)
def _day_intervals(cal: BusinessCalendar, day: date) -> tuple[tuple[float, float], ...]:
    ranges = cal.hours[day.weekday()]
    if not ranges or cal.is_closed_day(day):
        return ()
    midnight = datetime(day.year, day.month, day.day)
    out = []
    for start, end in ranges:
        # Local wall times are converted one by one (not midnight + offset) so DST days get
        # their real length; a non-existent time in the spring gap maps to the instant after it.
        s = (midnight + timedelta(minutes=start)).replace(tzinfo=cal.tz).timestamp()
        e = (midnight + timedelta(minutes=end)).replace(tzinfo=cal.tz).timestamp()
        if e > s:
            out.append((float(s), float(e)))
    return tuple(out)


def _epoch(value: datetime, name: str) -> float:
    if not isinstance(value, datetime):
        raise CalendarError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} must be timezone-aware (got naive {value.isoformat()})")
    return value.timestamp()


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def normalise_pauses(pauses: Iterable[Pause] | None) -> tuple[tuple[float, float], ...]:
    """Validate pauses and merge them into sorted, disjoint epoch-second intervals.

    Examples
    --------
    >>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
    >>> normalise_pauses([(t, t + timedelta(hours=2)), (t + timedelta(hours=1), t + timedelta(hours=3))])
    ((1767603600.0, 1767614400.0),)
    """
    items = []
    for i, pause in enumerate(pauses or ()):
        try:
            start, end = pause
        except (TypeError, ValueError):
            raise CalendarError(f"pause {i} must be a (start, end) pair") from None
        s, e = _epoch(start, f"pause {i} start"), _epoch(end, f"pause {i} end")
        if e < s:
            raise CalendarError(f"pause {i} ends before it starts")
        if e > s:
            items.append((s, e))
    items.sort()
    merged: list[tuple[float, float]] = []
    for s, e in items:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


def _subtract(
    intervals: Iterable[tuple[float, float]], pauses: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    out = []
    for s, e in intervals:
        cur = s
        for ps, pe in pauses:
            if pe <= cur or ps >= e:
                continue
            if ps > cur:
                out.append((cur, ps))
            cur = max(cur, pe)
            if cur >= e:
                break
        if cur < e:
            out.append((cur, e))
    return out


def _iter_days(cal: BusinessCalendar, start: float) -> Iterator[tuple[date, list]]:
    """Yield ``(local_date, open_intervals)`` from the local date of ``start`` onwards."""
    day = cal.local_date(start)
    while True:
        yield day, list(cal.day_intervals(day))
        day += timedelta(days=1)


def _open_after(
    cal: BusinessCalendar, start: float, pauses: Sequence[tuple[float, float]]
) -> Iterator[tuple[date, list[tuple[float, float]]]]:
    """Per local day, the open intervals (pauses removed) clipped to begin at ``start``."""
    empty = 0
    for day, intervals in _iter_days(cal, start):
        clipped = [(max(s, start), e) for s, e in intervals if e > start]
        opened = _subtract(clipped, pauses)
        if opened:
            empty = 0
        else:
            empty += 1
            if empty > _MAX_EMPTY_DAYS:
                raise CalendarError(
                    f"calendar has no open business time for {_MAX_EMPTY_DAYS} days after "
                    f"{_utc(start).isoformat()} (no working hours, or paused)"
                )
        yield day, opened


def add_business_hours(
    start: datetime,
    hours: float,
    calendar: BusinessCalendar,
    *,
    pauses: Iterable[Pause] | None = None,
) -> datetime:
    """The instant at which ``hours`` business hours have elapsed since ``start``.

    Time outside working hours, on weekends, holidays, closed dates and inside ``pauses`` does
    not count. When the hours run out exactly at a closing time the closing time is returned
    (not the next opening). ``hours == 0`` returns ``start``.

    Examples
    --------
    >>> cal = BusinessCalendar.from_spec(
    ...     timezone="Europe/Berlin",
    ...     hours={d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    ...     country="DE",
    ... )
    >>> friday_4pm = datetime(2026, 1, 9, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
    >>> add_business_hours(friday_4pm, 2, cal).isoformat()  # Monday 10:00 Berlin
    '2026-01-12T09:00:00+00:00'
    """
    t0 = _epoch(start, "start")
    if not isinstance(hours, int | float) or math.isnan(hours) or hours < 0:
        raise CalendarError(f"hours must be a number >= 0, got {hours!r}")
    if math.isinf(hours):
        raise CalendarError("hours must be finite")
    remaining = float(hours) * 3600.0
    if remaining == 0:
        return _utc(t0)
    for _day, intervals in _open_after(calendar, t0, normalise_pauses(pauses)):
        for s, e in intervals:
            length = e - s
            if remaining <= length:
                return _utc(s + remaining)
            remaining -= length
    raise AssertionError("unreachable")  # pragma: no cover


def business_hours_between(
    a: datetime,
    b: datetime,
    calendar: BusinessCalendar,
    *,
    pauses: Iterable[Pause] | None = None,
) -> float:
    """Business hours from ``a`` to ``b`` (negative when ``b`` is before ``a``).

    Examples
    --------
    >>> cal = BusinessCalendar.from_spec(hours={"mon": "09:00-17:00", "tue": "09:00-17:00"})
    >>> business_hours_between(
    ...     datetime(2026, 1, 5, 16, tzinfo=UTC), datetime(2026, 1, 6, 10, tzinfo=UTC), cal
    ... )
    2.0
    """
    ta, tb = _epoch(a, "a"), _epoch(b, "b")
    if tb < ta:
        return -business_hours_between(b, a, calendar, pauses=pauses)
    norm = normalise_pauses(pauses)
    total = 0.0
    day = calendar.local_date(ta)
    last = calendar.local_date(tb)
    while day <= last:
        clipped = [
            (max(s, ta), min(e, tb)) for s, e in calendar.day_intervals(day) if e > ta and s < tb
        ]
        total += sum(e - s for s, e in _subtract(clipped, norm))
        day += timedelta(days=1)
    return total / 3600.0


def add_business_days(
    start: datetime,
    days: int,
    calendar: BusinessCalendar,
    *,
    pauses: Iterable[Pause] | None = None,
) -> datetime:
    """Close of business on the ``days``-th business day counted from ``start``.

    A business day is a local date with open time left after holidays, closed dates and pauses.
    The start's own day counts as day 1 when some of its open time lies after ``start``
    (a lead assigned Monday 10:00 with ``days=5`` is due Friday at close; one assigned Monday
    after close is due the following Monday at close). Close of business is the end of that
    day's last open interval (after pauses).

    Examples
    --------
    >>> cal = BusinessCalendar.from_spec(
    ...     timezone="Europe/Berlin",
    ...     hours={d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    ...     country="DE",
    ... )
    >>> monday = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    >>> add_business_days(monday, 5, cal).isoformat()  # Friday 17:00 Berlin
    '2026-01-09T16:00:00+00:00'
    """
    t0 = _epoch(start, "start")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise CalendarError(f"days must be an integer >= 1, got {days!r}")
    count = 0
    for _day, intervals in _open_after(calendar, t0, normalise_pauses(pauses)):
        if intervals:
            count += 1
            if count == days:
                return _utc(intervals[-1][1])
    raise AssertionError("unreachable")  # pragma: no cover


def is_open(
    t: datetime,
    calendar: BusinessCalendar,
    *,
    pauses: Iterable[Pause] | None = None,
) -> bool:
    """True when the calendar is open at ``t`` and ``t`` is not inside a pause.

    Examples
    --------
    >>> cal = BusinessCalendar.from_spec(timezone="America/New_York", hours={"mon": "09:00-17:00"})
    >>> is_open(datetime(2026, 1, 5, 14, 0, tzinfo=UTC), cal)  # 09:00 in New York
    True
    >>> is_open(datetime(2026, 1, 5, 22, 0, tzinfo=UTC), cal)  # 17:00 in New York
    False
    """
    te = _epoch(t, "t")
    if any(s <= te < e for s, e in normalise_pauses(pauses)):
        return False
    return any(s <= te < e for s, e in calendar.day_intervals(calendar.local_date(te)))
