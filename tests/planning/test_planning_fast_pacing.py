"""Goal pacing reads: the window-restricted daily actuals match the full-history computation,
and the measured funnel comes from today's snapshot when there is one."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, date, timedelta
from decimal import Decimal

import ibis
import pytest
from django.utils import timezone

from smarketing.analytics.closedloop import reach_times
from smarketing.analytics.planning import MeasuredFunnel, parse_period
from smarketing.core.ibis_db import backend, table
from smarketing.crm.models import Contact, Deal
from smarketing.funnel.models import StageChange
from smarketing.planning import selectors
from smarketing.planning.actions import do_refresh_measured_funnel, do_save_goal
from smarketing.planning.models import MeasuredFunnelSnapshot

pytestmark = pytest.mark.django_db


def _reference_reach_days(start: date, end: date, owner_ids=None) -> dict[str, dict[date, float]]:
    """The computation goal pacing used before (reach times over all history, then filter)."""
    con = backend()
    c = table(Contact, con)
    reach = reach_times(table(StageChange, con), c)
    if owner_ids is not None:
        keep = c.filter(c.owner_id.isin(list(owner_ids) or [-1])).select(cid=c.id)
        reach = reach.join(keep, reach.contact_id == keep.cid)

    def lit(col, d: date):
        v = dt.datetime.combine(d, dt.time())
        if getattr(col.type(), "timezone", None):
            v = v.replace(tzinfo=UTC)
        return ibis.literal(v, type=col.type())

    parts = []
    for metric in ("leads", "mqls", "sqls", "won"):
        col = reach[f"t_{metric}"]
        sel = reach.filter((col >= lit(col, start)) & (col < lit(col, end)))
        parts.append(sel.select(metric=ibis.literal(metric), day=sel[f"t_{metric}"].date()))
    u = ibis.union(*parts)
    counts = u.group_by(["metric", "day"]).aggregate(n=u.count()).to_pandas()
    out: dict[str, dict[date, float]] = {m: {} for m in ("leads", "mqls", "sqls", "customers")}
    for m, d, n in zip(counts["metric"], counts["day"], counts["n"]):
        out["customers" if m == "won" else m][selectors._as_date(d)] = float(n)
    return out


def _reach_part(actuals: dict) -> dict:
    return {k: v for k, v in actuals.items() if k != "revenue"}


def _windows(today: date) -> list[tuple[date, date]]:
    q = parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    return [
        (q.start - timedelta(days=q.days), q.end),  # goal pacing's window for this quarter
        (today - timedelta(days=200), today - timedelta(days=100)),  # a window with later history
        (today - timedelta(days=30), today + timedelta(days=1)),
        (today - timedelta(days=800), today - timedelta(days=700)),  # before any data
    ]


@pytest.mark.slow
def test_daily_actuals_match_full_history_on_the_demo(demo_company):
    today = timezone.now().date()
    owner = Contact.objects.exclude(owner=None).values_list("owner_id", flat=True).first()
    for start, end in _windows(today):
        fast = selectors.daily_actuals(start, end)
        assert _reach_part(fast) == _reference_reach_days(start, end), (start, end)
        mine = selectors.daily_actuals(start, end, owner_ids=[owner])
        assert _reach_part(mine) == _reference_reach_days(start, end, [owner]), (start, end)
        none = selectors.daily_actuals(start, end, owner_ids=[])
        assert _reach_part(none) == _reference_reach_days(start, end, [])
    # not a vacuous comparison: the quarter has leads and customers
    fast = selectors.daily_actuals(*_windows(today)[0])
    assert sum(fast["leads"].values()) > 100 and sum(fast["customers"].values()) > 0


def test_daily_actuals_edge_cases_match_full_history():
    """Skipped stages, history before and after the window, contacts without a funnel log."""
    now = timezone.now()
    start, end = (now - timedelta(days=60)).date(), (now - timedelta(days=10)).date()
    at = lambda days: now - timedelta(days=days)  # noqa: E731

    def contact(i, stage="lead", created=90, changes=()):
        c = Contact.objects.create(
            email=f"e{i}@x.test", lifecycle_stage=stage, created_at=at(created)
        )
        for to_stage, days in changes:
            StageChange.objects.create(contact=c, to_stage=to_stage, changed_at=at(days))
        return c

    contact(1, "mql", changes=[("lead", 90), ("mql", 30)])  # lead before, MQL inside
    contact(2, "customer", changes=[("sql", 40), ("customer", 20)])  # skips lead and MQL
    contact(3, "mql", created=30)  # no log at all: lead at created_at (inside)
    contact(4, "mql", created=30, changes=[("mql", 5)])  # log only after the window
    contact(5, "disqualified", created=30, changes=[("disqualified", 25)])  # outside the funnel
    contact(6, "subscriber", created=30)  # not in the funnel: no lead
    contact(7, "sql", created=100, changes=[("lead", 30), ("lead", 20), ("sql", 15)])
    contact(8, "mql", changes=[("mql", 80), ("lead", 30)])  # MQL before: lead counted before
    contact(9, "lead", created=40, changes=[("subscriber", 35)])  # rank-0 log: created_at
    expected = _reference_reach_days(start, end)
    assert _reach_part(selectors.daily_actuals(start, end)) == expected
    totals = {k: sum(v.values()) for k, v in expected.items()}
    assert totals == {"leads": 4, "mqls": 3, "sqls": 2, "customers": 1}  # leads: 2, 3, 7, 9


def test_measured_funnel_uses_todays_snapshot_only():
    now = timezone.now()
    c = Contact.objects.create(email="a@x.test", created_at=now - timedelta(days=50))
    StageChange.objects.create(contact=c, to_stage="lead", changed_at=now - timedelta(days=50))
    StageChange.objects.create(contact=c, to_stage="mql", changed_at=now - timedelta(days=40))
    live = selectors.measured_funnel()
    assert not MeasuredFunnelSnapshot.objects.exists()  # reading never stores

    snap = do_refresh_measured_funnel()
    assert (snap.window_start, snap.window_end) == selectors.default_window()
    assert MeasuredFunnel.from_dict(snap.data) == live
    do_refresh_measured_funnel()  # idempotent for a day
    assert MeasuredFunnelSnapshot.objects.count() == 1

    # New data: pages keep today's snapshot (rates as of the snapshot) ...
    d = Contact.objects.create(email="b@x.test", created_at=now - timedelta(days=30))
    StageChange.objects.create(contact=d, to_stage="lead", changed_at=now - timedelta(days=30))
    assert selectors.measured_funnel() == live
    # ... an explicit other window is measured live ...
    s, e = selectors.default_window()
    other = selectors.measured_funnel(start=s + timedelta(days=1), end=e)
    assert other.counts["lead"] == 2
    # ... and yesterday's snapshot is not used.
    MeasuredFunnelSnapshot.objects.update(day=now.date() - timedelta(days=1))
    assert selectors.measured_funnel().counts["lead"] == 2


def test_old_snapshots_are_dropped_and_goal_pacing_runs_on_a_snapshot():
    today = timezone.now().date()
    do_refresh_measured_funnel(today=today - timedelta(days=30))
    do_refresh_measured_funnel(today=today)
    assert list(MeasuredFunnelSnapshot.objects.values_list("day", flat=True)) == [today]
    label = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    goal = do_save_goal(
        period=label, revenue=Decimal("10000"), deal_size=1000, lead_to_customer=0.02
    )
    gp = selectors.goal_pacing(goal)
    assert gp.plan.customers == 10 and "customers" in gp.metrics


@pytest.mark.slow
def test_demo_generation_stores_todays_snapshot(demo_company):
    snap = MeasuredFunnelSnapshot.objects.get()
    assert snap.day == timezone.now().date()
    assert selectors.measured_funnel() == MeasuredFunnel.from_dict(snap.data)
    assert selectors.measure_live() == selectors.measured_funnel()
    assert Deal.objects.filter(is_won=True).exists()
