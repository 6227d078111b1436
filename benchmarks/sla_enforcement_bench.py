"""Benchmark of SLA enforcement in the app: the periodic sweep over 100k open leads.

Builds a fresh SQLite database (or uses ``--database-url``), 50 reps on 3 timezones (every
fifth out of office), ``--leads`` MQLs assigned over the last 20 days with a realistic mix of
first touches, attempts and decisions, written with bulk inserts. Then times:

- **sweep, all open**: ``do_sweep()`` with every clock unsettled and never evaluated (each row
  is read, evaluated, and written back; breaches recorded, owners notified, escalations);
- **evaluation only**: the same read + vectorised evaluation + write of changed rows, without
  breach bookkeeping (what the 10 s target is about);
- **incremental**: a second sweep right after (only clocks still pending are read).

Median of ``--runs`` runs (state reset between runs with one UPDATE).

    .venv/bin/python benchmarks/sla_enforcement_bench.py --leads 100000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def setup_django(database_url: str | None) -> None:
    os.environ.setdefault("SMARKETING_DATA_DIR", tempfile.mkdtemp(prefix="sla-bench-"))
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(n_leads: int, seed: int = 7):
    import datetime as dt
    import random

    from django.utils import timezone

    from smarketing.core.actions import do_create_user
    from smarketing.core.models import Team
    from smarketing.crm.models import Contact
    from smarketing.funnel.models import LeadAssignment
    from smarketing.sla.actions import ensure_active_sla
    from smarketing.sla.models import LeadClock

    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    ensure_active_sla()
    team = Team.objects.create(name="Bench sales", kind="sales")
    tzs = ["Europe/Berlin", "America/New_York", "Europe/London"]
    reps = []
    for i in range(50):
        ooo = {}
        if i % 5 == 0:
            ooo = {
                "out_of_office_from": now - dt.timedelta(days=3),
                "out_of_office_until": now + dt.timedelta(days=2),
            }
        reps.append(
            do_create_user(username=f"rep{i}", password="x", team=team, timezone=tzs[i % 3], **ooo)
        )
    contacts = [
        Contact(email=f"lead{i}@bench.io", lifecycle_stage="mql", owner=reps[i % 50])
        for i in range(n_leads)
    ]
    Contact.objects.bulk_create(contacts, batch_size=5000)
    assignments, clocks = [], []
    for c in contacts:
        at = now - dt.timedelta(hours=rng.uniform(0, 20 * 24))
        prio = "hand_raiser" if rng.random() < 0.06 else "default"
        assignments.append(
            LeadAssignment(contact=c, owner=c.owner, rule="round_robin", priority=prio,
                           assigned_at=at)
        )  # fmt: skip
    LeadAssignment.objects.bulk_create(assignments, batch_size=5000)
    for a in assignments:
        touched = rng.random() < 0.8
        first = a.assigned_at + dt.timedelta(hours=rng.uniform(0.2, 30)) if touched else None
        first = first if first and first < now else None
        kth = first + dt.timedelta(days=rng.uniform(1, 8)) if first and rng.random() < 0.6 else None
        kth = kth if kth and kth < now else None
        dec = a.assigned_at + dt.timedelta(hours=rng.uniform(1, 60)) if rng.random() < 0.7 else None
        dec = dec if dec and dec < now else None
        clocks.append(
            LeadClock(contact_id=a.contact_id, assignment=a, owner_id=a.owner_id,
                      assigned_at=a.assigned_at, priority=a.priority, first_touch_at=first,
                      attempts=(4 if kth else 1 if first else 0), kth_attempt_at=kth,
                      decided_at=dec, decision="accepted" if dec else "")
        )  # fmt: skip
    LeadClock.objects.bulk_create(clocks, batch_size=5000)
    return now


def reset() -> None:
    from smarketing.sla.models import Breach, LeadClock, Notification

    Notification.objects.all().delete()
    Breach.objects.all().delete()
    LeadClock.objects.update(
        settled=False, status_first_touch=0, status_attempts=0, status_decision=0,
        first_touch_due=None, attempts_due=None, decision_due=None,
    )  # fmt: skip


def evaluation_only(now):
    """Read + evaluate + write changed rows (no breach bookkeeping)."""
    import numpy as np

    from smarketing.sla import engine
    from smarketing.sla.selectors import active_sla

    doc, _ = active_sla()
    t0 = time.perf_counter()
    data = engine.load_open_clocks()
    t1 = time.perf_counter()
    arr = engine.evaluate(doc, data, now)
    t2 = time.perf_counter()
    cols = {f"status_{k}": getattr(arr, f"status_{k}").tolist() for k in engine.KINDS}
    cols.update(
        {f"{k}_due": engine.to_db_datetimes(getattr(arr, f"{k}_due")) for k in engine.KINDS}
    )
    pending = np.zeros(len(data), dtype=bool)
    for k in engine.KINDS:
        pending |= getattr(arr, f"status_{k}") == 0
    cols["settled"] = (~pending).tolist()
    engine.write_rows(cols, data.ids)
    t3 = time.perf_counter()
    return t3 - t0, (t1 - t0, t2 - t1, t3 - t2), len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--full-sweep",
        action="store_true",
        help="also time do_sweep() on the cold backlog (slow: per-row escalations/reassigns)",
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection, transaction

    from smarketing.sla.actions import do_sweep
    from smarketing.sla.models import LeadClock

    t = time.perf_counter()
    now = build(args.leads)
    print(f"built {args.leads} open leads in {time.perf_counter() - t:.1f} s "
          f"({connection.vendor}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")  # fmt: skip
    evals, sweeps, incr = [], [], []
    for run in range(args.runs):
        reset()
        with transaction.atomic():
            total, parts, n = evaluation_only(now)
        evals.append(total)
        print(f"run {run + 1}: evaluation only {total:.2f} s for {n} clocks "
              f"(read {parts[0]:.2f}, evaluate {parts[1]:.2f}, write {parts[2]:.2f})")  # fmt: skip
        if args.full_sweep:
            reset()
            t = time.perf_counter()
            result = do_sweep(now=now)
            sweeps.append(time.perf_counter() - t)
            print(f"        full sweep {sweeps[-1]:.2f} s {result.to_dict()}")
        t = time.perf_counter()
        second = do_sweep(now=now)
        incr.append(time.perf_counter() - t)
        print(f"        incremental sweep {incr[-1]:.2f} s (read {second.evaluated} clocks, "
              f"{LeadClock.objects.filter(settled=True).count()} settled skipped)")  # fmt: skip
    print(
        f"median of {args.runs}: evaluation only {statistics.median(evals):.2f} s, "
        f"full sweep {statistics.median(sweeps) if sweeps else float('nan'):.2f} s, "
        f"incremental {statistics.median(incr):.2f} s (load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    sys.exit(main())
