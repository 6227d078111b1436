"""Goal pacing on the current database: measured funnel (live vs snapshot), daily actuals
(full-history reach times vs window-restricted first reaches) and the whole ``goal_pacing``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dash_large \\
        .venv/bin/python benchmarks/planning_pacing_bench.py --runs 5

Needs a goal (the demo generator saves one for the current quarter). Prints the median of
``--runs`` runs per figure and the load average. Reads only, except ``--snapshot`` which stores
today's measured-funnel snapshot first (what the nightly task does).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "planning"))


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--period", help="goal period (default: the latest goal)")
    ap.add_argument("--snapshot", action="store_true", help="store today's snapshot first")
    args = ap.parse_args()

    import django

    django.setup()
    from test_planning_fast_pacing import _reference_reach_days

    from smarketing.analytics.planning import parse_period
    from smarketing.funnel.models import StageChange
    from smarketing.planning import selectors
    from smarketing.planning.actions import do_refresh_measured_funnel
    from smarketing.planning.models import Goal

    goals = Goal.objects.all()
    goal = goals.get(period=args.period) if args.period else goals.order_by("-period_start")[0]
    per = parse_period(goal.period)
    start, end = per.start - timedelta(days=per.days), per.end
    if args.snapshot:
        do_refresh_measured_funnel()
    print(f"goal {goal.period}; window {start}..{end}; {StageChange.objects.count()} stage changes")
    figures = {
        "measured_funnel live": lambda: selectors.measure_live(),
        "measured_funnel (snapshot if any)": lambda: selectors.measured_funnel(),
        "daily reach, full history (before)": lambda: _reference_reach_days(start, end),
        "daily_actuals (now)": lambda: selectors.daily_actuals(start, end),
        "goal_pacing": lambda: selectors.goal_pacing(goal),
    }
    for name, fn in figures.items():
        print(f"{name:38s} {_median(fn, args.runs):8.0f} ms   load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
