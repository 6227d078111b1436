"""Goal pacing: actual-to-date against the expected-to-date curve, and a period-end forecast.

**Expected curve.** Each day of the period gets a weight: ``1`` for a *linear* curve, or for a
*seasonal* curve the mean value observed on that weekday in ``history`` (so a B2B lead goal
expects little at weekends). The expected share by day ``t`` is the sum of weights up to ``t``
over the period's total, and ``expected_to_date = target x share``.

**Status.** ``on_track`` when ``actual_to_date >= expected_to_date x (1 - tolerance)``, else
``behind``; ``not_started`` before the period.

**Forecast (run-rate with a daily-rate bootstrap).** A day's *rate* is its value divided by its
weight. The point forecast is ``actual_to_date + run_rate x remaining_weight`` with
``run_rate = actual_to_date / elapsed_weight``. For the 80% interval the remaining days' rates
are drawn with replacement from a pool -- the elapsed days of this period plus every day of
``history`` when given (its day-to-day variance) -- shifted so the pool's mean equals the run
rate (and clipped at 0); ``n_boot`` simulated period ends give the 10th and 90th percentiles.
The seed is fixed, so the figures are reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from smarketing.analytics.planning.periods import Period, PlanningError, parse_period

__all__ = ["Pacing", "daily_series", "pace"]

Curve = Literal["linear", "seasonal"]


@dataclass(frozen=True)
class Pacing:
    """Where a goal stands on ``as_of`` (inclusive) and where it will likely end."""

    period: str
    target: float
    as_of: date
    curve: str
    days_elapsed: int
    days_total: int
    actual_to_date: float
    expected_to_date: float
    expected_share: float
    pct_of_expected: float | None
    status: Literal["on_track", "behind", "not_started"]
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    forecast_pct_of_target: float | None
    method: str
    curve_points: tuple[tuple[date, float, float | None], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period,
            "target": self.target,
            "as_of": self.as_of.isoformat(),
            "curve": self.curve,
            "days_elapsed": self.days_elapsed,
            "days_total": self.days_total,
            "actual_to_date": self.actual_to_date,
            "expected_to_date": self.expected_to_date,
            "expected_share": self.expected_share,
            "pct_of_expected": self.pct_of_expected,
            "status": self.status,
            "forecast": self.forecast,
            "forecast_interval_80": [self.forecast_low, self.forecast_high],
            "forecast_pct_of_target": self.forecast_pct_of_target,
            "method": self.method,
            "curve_points": [
                {"date": d.isoformat(), "expected": e, "actual": a} for d, e, a in self.curve_points
            ],
        }


def _weekday_weights(history: Mapping[date, float]) -> np.ndarray:
    sums, counts = np.zeros(7), np.zeros(7)
    for day, value in history.items():
        sums[day.weekday()] += float(value)
        counts[day.weekday()] += 1
    if counts.min() == 0:
        raise PlanningError("seasonal curve needs history covering every weekday")
    weights = sums / counts
    if weights.sum() <= 0:
        raise PlanningError("seasonal curve needs history with some positive values")
    return weights


def pace(
    *,
    target: float,
    period: str | Period,
    actual: Mapping[date, float],
    as_of: date,
    curve: Curve = "linear",
    history: Mapping[date, float] | None = None,
    tolerance: float = 0.05,
    n_boot: int = 4000,
    seed: int = 0,
) -> Pacing:
    """Pace a goal: actual vs expected to date, status and an 80% period-end forecast.

    Parameters
    ----------
    target
        The period's goal (leads, MQLs, revenue...).
    period
        ``"2026-Q1"`` etc. or a :class:`Period`.
    actual
        Daily values (date -> value); missing days count as 0. Days after ``as_of`` are ignored.
    as_of
        Last day with complete data (inclusive).
    curve
        ``"linear"`` or ``"seasonal"`` (weekday weights from ``history``).
    history
        Daily values from past periods: weekday weights for the seasonal curve, and extra
        day-to-day variance for the forecast interval.
    tolerance
        Relative shortfall still counted as on track.

    Examples
    --------
    >>> from datetime import date, timedelta
    >>> april = {date(2026, 4, 1) + timedelta(days=i): 8.0 for i in range(10)}
    >>> p = pace(target=300, period="2026-04", actual=april, as_of=date(2026, 4, 10))
    >>> p.expected_to_date, p.actual_to_date, p.status, p.forecast
    (100.0, 80.0, 'behind', 240.0)
    """
    per = parse_period(period) if isinstance(period, str) else period
    if isinstance(target, bool) or not isinstance(target, int | float) or not target > 0:
        raise PlanningError(f"target must be a number > 0, got {target!r}")
    if curve not in ("linear", "seasonal"):
        raise PlanningError(f"curve must be 'linear' or 'seasonal', got {curve!r}")
    if not 0 <= tolerance < 1:
        raise PlanningError(f"tolerance must be in [0, 1), got {tolerance!r}")
    for day, value in actual.items():
        if not isinstance(day, date):
            raise PlanningError(f"actual keys must be dates, got {day!r}")
        if not np.isfinite(float(value)):
            raise PlanningError(f"actual value on {day} is not a finite number")
    if curve == "seasonal":
        if not history:
            raise PlanningError("curve='seasonal' needs history (daily values of past periods)")
        wd = _weekday_weights(history)
    else:
        wd = np.ones(7)

    days = per.dates()
    weights = np.array([wd[d.weekday()] for d in days])
    values = np.array([float(actual.get(d, 0.0)) for d in days])
    elapsed = int(np.clip((as_of - per.start).days + 1, 0, per.days))
    cum_w = np.cumsum(weights) / weights.sum()
    share = float(cum_w[elapsed - 1]) if elapsed else 0.0
    actual_to_date = float(values[:elapsed].sum())
    expected = float(target) * share
    points = tuple(
        (d, float(target) * float(cum_w[i]), float(values[: i + 1].sum()) if i < elapsed else None)
        for i, d in enumerate(days)
    )
    method = (
        f"run-rate on a {curve} curve; 80% interval from a daily-rate bootstrap "
        f"({n_boot} draws, pool: {'this period + history' if history else 'this period'})"
    )
    common = {
        "period": per.label,
        "target": float(target),
        "as_of": as_of,
        "curve": curve,
        "days_elapsed": elapsed,
        "days_total": per.days,
        "actual_to_date": actual_to_date,
        "expected_to_date": expected,
        "expected_share": share,
        "method": method,
        "curve_points": points,
    }
    if elapsed == 0:
        return Pacing(
            **common,
            pct_of_expected=None,
            status="not_started",
            forecast=None,
            forecast_low=None,
            forecast_high=None,
            forecast_pct_of_target=None,
        )

    status = "on_track" if actual_to_date >= expected * (1 - tolerance) else "behind"
    elapsed_w = weights[:elapsed].sum()
    remaining_w = weights[elapsed:]
    if elapsed_w <= 0:
        raise PlanningError("no expected activity so far on this curve; cannot forecast yet")
    run_rate = actual_to_date / elapsed_w
    forecast = actual_to_date + run_rate * remaining_w.sum()
    if len(remaining_w) == 0:
        low = high = forecast
    else:
        pos = weights[:elapsed] > 0
        pool = list(values[:elapsed][pos] / weights[:elapsed][pos])
        for day, value in (history or {}).items():
            w = wd[day.weekday()]
            if w > 0:
                pool.append(float(value) / w)
        pool_arr = np.asarray(pool)
        pool_arr = np.clip(pool_arr - pool_arr.mean() + run_rate, 0.0, None)
        rng = np.random.default_rng(seed)
        draws = rng.choice(pool_arr, size=(n_boot, len(remaining_w)), replace=True)
        totals = actual_to_date + draws @ remaining_w
        low, high = (float(x) for x in np.percentile(totals, [10, 90]))
    return Pacing(
        **common,
        pct_of_expected=100.0 * actual_to_date / expected if expected else None,
        status=status,
        forecast=float(forecast),
        forecast_low=low,
        forecast_high=high,
        forecast_pct_of_target=100.0 * forecast / float(target),
    )


def daily_series(values: Mapping[str | date, float]) -> dict[date, float]:
    """Normalise ``{"2026-04-01": 3, ...}`` keys to dates (for CLI / JSON input).

    Examples
    --------
    >>> daily_series({"2026-04-01": 3})
    {datetime.date(2026, 4, 1): 3.0}
    """
    out: dict[date, float] = {}
    for k, v in values.items():
        try:
            day = k if isinstance(k, date) else date.fromisoformat(str(k))
        except ValueError:
            raise PlanningError(f"{k!r} is not a date like 2026-04-01") from None
        out[day] = out.get(day, 0.0) + float(v)
    return out
