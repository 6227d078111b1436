"""Benchmark: evaluate the SLA clocks of 100,000 open leads (vectorised) vs the scalar path.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/sla_clocks_bench.py [--leads N] [--runs R]``

Setup: 100k leads assigned over the last 20 days, 50 reps on 3 calendars (Berlin, New York,
London with holidays), every third rep with an out-of-office pause, "now" on the Monday after
the Berlin DST change. One run = build one BusinessClock per rep (60-day horizon) + evaluate all
three clocks of every lead. Prints the median (and min/max) wall time of R runs, plus the scalar
``clock_state`` cost per lead for comparison.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from smarketing.analytics.sla import (
    BusinessCalendar,
    BusinessClock,
    clock_state,
    default_sla_text,
    evaluate_clocks,
    load_sla,
)

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def make_data(n: int, now: datetime, seed: int = 1):
    rng = np.random.default_rng(seed)
    assigned = np.round(now.timestamp() - rng.random(n) * 20 * 86400)
    ft = np.where(rng.random(n) < 0.7, assigned + rng.random(n) * 3 * 86400, np.nan)
    kth = np.where(rng.random(n) < 0.5, assigned + 300 + rng.random(n) * 10 * 86400, np.nan)
    dec = np.where(rng.random(n) < 0.6, assigned + rng.random(n) * 4 * 86400, np.nan)
    reps = [f"rep{i}" for i in range(50)]
    owner = np.array(reps)[rng.integers(0, len(reps), n)]
    prio = np.where(rng.random(n) < 0.1, 1.0, 8.0)
    return assigned, ft, kth, dec, reps, owner, prio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    sla = load_sla(default_sla_text())
    now = datetime(2026, 3, 30, 10, tzinfo=UTC)
    calendars = [
        BusinessCalendar.from_spec(
            timezone="Europe/Berlin",
            country="DE",
            subdivision="BE",
            hours=dict.fromkeys(WORKDAYS, "09:00-17:00"),
        ),
        BusinessCalendar.from_spec(
            timezone="America/New_York",
            country="US",
            hours=dict.fromkeys(WORKDAYS, "08:30-12:00, 13:00-17:30"),
        ),
        BusinessCalendar.from_spec(
            timezone="Europe/London", country="GB", hours=dict.fromkeys(WORKDAYS, "09:00-17:30")
        ),
    ]
    assigned, ft, kth, dec, reps, owner, prio = make_data(args.leads, now)
    pauses = {
        r: [(now - timedelta(days=5 + i % 7), now - timedelta(days=3 + i % 7))]
        if i % 3 == 0
        else []
        for i, r in enumerate(reps)
    }
    rep_cal = {r: calendars[i % 3] for i, r in enumerate(reps)}

    def run() -> None:
        clocks = {
            r: BusinessClock(
                rep_cal[r],
                start=now - timedelta(days=25),
                end=now + timedelta(days=35),
                pauses=pauses[r],
            )
            for r in reps
        }
        evaluate_clocks(
            assigned_at=assigned,
            first_touch_hours=prio,
            first_touch_at=ft,
            kth_attempt_at=kth,
            decided_at=dec,
            owner=owner,
            clocks=clocks,
            now=now,
            sla=sla,
        )

    run()  # warm caches (holiday tables, zoneinfo) as a long-running worker would have them
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    print(
        f"vectorised: {args.leads} leads, {len(reps)} reps, {args.runs} runs: "
        f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})"
    )

    sample = 2000
    t0 = time.perf_counter()
    for i in range(sample):
        clock_state(
            assigned_at=datetime.fromtimestamp(assigned[i], UTC),
            priority="hand_raiser" if prio[i] == 1.0 else None,
            first_touch_at=None if np.isnan(ft[i]) else datetime.fromtimestamp(ft[i], UTC),
            attempts=[],
            decided_at=None if np.isnan(dec[i]) else datetime.fromtimestamp(dec[i], UTC),
            now=now,
            sla=sla,
            calendar=rep_cal[owner[i]],
            pauses=pauses[owner[i]],
        )
    per_lead = (time.perf_counter() - t0) / sample
    print(
        f"scalar clock_state: {per_lead * 1e6:.0f} us per lead "
        f"(~{per_lead * args.leads:.1f} s for {args.leads} leads, single core)"
    )


if __name__ == "__main__":
    main()
