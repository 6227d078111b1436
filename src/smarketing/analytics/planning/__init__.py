"""Planning maths: reverse funnel from a revenue goal, measured inputs, periods and pacing.

Pure (no Django). Modules:

- :mod:`.periods` -- :func:`parse_period` (``2026``, ``2026-Q1``, ``2026-H1``, ``2026-03``);
- :mod:`.reverse_funnel` -- :func:`reverse_funnel` and :func:`stage_windows` (when needed);
- :mod:`.measure` -- :func:`measure_funnel` (rates, durations, deal size from plain tables);
- :mod:`.pacing` -- :func:`pace` (expected-to-date curve, status, 80% forecast interval).
"""

from smarketing.analytics.planning.measure import (
    MeasuredFunnel,
    measure_funnel,
    measure_funnel_by,
)
from smarketing.analytics.planning.pacing import Pacing, daily_series, pace
from smarketing.analytics.planning.periods import Period, PlanningError, parse_period
from smarketing.analytics.planning.reverse_funnel import (
    RATE_NAMES,
    STAGES,
    Plan,
    Sourced,
    StageWindow,
    reverse_funnel,
    stage_windows,
)

__all__ = [
    "RATE_NAMES",
    "STAGES",
    "MeasuredFunnel",
    "Pacing",
    "Period",
    "Plan",
    "PlanningError",
    "Sourced",
    "StageWindow",
    "daily_series",
    "measure_funnel",
    "measure_funnel_by",
    "pace",
    "parse_period",
    "reverse_funnel",
    "stage_windows",
]
