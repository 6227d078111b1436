"""Planning periods: a year, quarter or month, parsed from text like ``2026-Q1``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Period", "PlanningError", "parse_period"]


class PlanningError(ValueError):
    """Bad input to a planning computation (the message names what is wrong)."""


@dataclass(frozen=True)
class Period:
    """A calendar period ``[start, end)``: ``end`` is the first day after it."""

    label: str
    start: date
    end: date

    @property
    def last_day(self) -> date:
        """The period's last day (inclusive)."""
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end

    def dates(self) -> list[date]:
        """Every day of the period."""
        return [self.start + timedelta(days=i) for i in range(self.days)]


_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-[Hh]([12])$"), "half"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-[Ww](\d{2})$"), "week"),
)


def _first(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """Parse ``2026`` (year), ``2026-Q1`` (quarter), ``2026-H2`` (half), ``2026-03`` (month)
    or ``2026-W05`` (ISO week, Monday to Sunday).

    Examples
    --------
    >>> p = parse_period("2026-Q1")
    >>> p.start, p.end, p.days
    (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1), 90)
    >>> parse_period("2026-12").last_day
    datetime.date(2026, 12, 31)
    >>> parse_period("2026-W01").start
    datetime.date(2025, 12, 29)
    """
    if not isinstance(text, str):
        raise PlanningError(f"period must be text like 2026-Q1, 2026-03 or 2026, got {text!r}")
    t = text.strip()
    for pattern, kind in _PATTERNS:
        m = pattern.match(t)
        if not m:
            continue
        year = int(m.group(1))
        if kind == "year":
            return Period(t, date(year, 1, 1), date(year + 1, 1, 1))
        n = int(m.group(2))
        if kind == "quarter":
            return Period(f"{year}-Q{n}", _first(year, 3 * n - 2), _first(year, 3 * n + 1))
        if kind == "half":
            return Period(f"{year}-H{n}", _first(year, 6 * n - 5), _first(year, 6 * n + 1))
        if kind == "week":
            try:
                monday = date.fromisocalendar(year, n, 1)
            except ValueError:
                raise PlanningError(f"period {text!r}: no ISO week {n:02d} in {year}") from None
            return Period(f"{year}-W{n:02d}", monday, monday + timedelta(days=7))
        if not 1 <= n <= 12:
            raise PlanningError(f"period {text!r}: month must be 01 to 12")
        return Period(t, date(year, n, 1), _first(year, n + 1))
    raise PlanningError(
        f"period must look like 2026-Q1, 2026-H1, 2026-03, 2026-W05 or 2026, got {text!r}"
    )
