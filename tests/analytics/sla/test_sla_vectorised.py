"""The vectorised BusinessClock and evaluate_clocks agree with the scalar functions."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from smarketing.analytics.sla.calendar import (
    BusinessCalendar,
    CalendarError,
    add_business_days,
    add_business_hours,
    business_hours_between,
    is_open,
)
from smarketing.analytics.sla.clocks import (
    ClockArrays,
    clock_state,
    evaluate_clocks,
    kth_attempt,
)
from smarketing.analytics.sla.document import default_sla_text, load_sla
from smarketing.analytics.sla.vectorised import BusinessClock, to_epoch

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDARS = {
    "berlin": BusinessCalendar.from_spec(
        timezone="Europe/Berlin",
        hours=dict.fromkeys(WORKDAYS, "09:00-17:00"),
        country="DE",
        subdivision="BE",
    ),
    "ny": BusinessCalendar.from_spec(
        timezone="America/New_York",
        hours={**dict.fromkeys(WORKDAYS, "08:00-12:00, 13:00-18:00"), "sat": "10:00-14:00"},
        country="US",
    ),
}
H0, H1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC)


def utc(e):
    return datetime.fromtimestamp(float(e), UTC)


def random_instants(rng, n):
    span = (datetime(2026, 12, 31, tzinfo=UTC) - datetime(2026, 1, 2, tzinfo=UTC)).total_seconds()
    base = datetime(2026, 1, 2, tzinfo=UTC).timestamp()
    return np.round(base + rng.random(n) * span)


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_clock_matches_scalar(name):
    cal = CALENDARS[name]
    rng = np.random.default_rng(7)
    pauses = [
        (datetime(2026, 3, 27, 12, tzinfo=UTC), datetime(2026, 4, 2, 12, tzinfo=UTC)),
        (datetime(2026, 10, 30, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),
    ]
    clock = BusinessClock(cal, start=H0, end=H1, pauses=pauses)
    starts = random_instants(rng, 300)
    # Dense samples around the DST changes too.
    for day in (datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)):
        starts = np.concatenate([starts, day.timestamp() + np.arange(-48, 72) * 1800.0])
    hours = np.round(rng.random(len(starts)) * 40, 2)
    due = clock.add_hours(starts, hours)
    between = clock.hours_between(starts, due)
    days = clock.add_business_days(starts, 3)
    opened = clock.is_open(starts)
    for i in range(len(starts)):
        s = utc(starts[i])
        expected = add_business_hours(s, float(hours[i]), cal, pauses=pauses)
        assert due[i] == pytest.approx(expected.timestamp(), abs=1e-3)
        assert between[i] == pytest.approx(float(hours[i]), abs=1e-6)
        assert days[i] == add_business_days(s, 3, cal, pauses=pauses).timestamp()
        assert opened[i] == is_open(s, cal, pauses=pauses)
    b = starts[::-1]
    got = clock.hours_between(starts, b)
    for i in range(0, len(starts), 7):
        exp = business_hours_between(utc(starts[i]), utc(b[i]), cal, pauses=pauses)
        assert got[i] == pytest.approx(exp, abs=1e-6)


def test_nan_propagates_and_horizon_is_checked():
    clock = BusinessClock(CALENDARS["berlin"], start=H0, end=H1)
    out = clock.add_hours(np.array([np.nan, H0.timestamp() + 86400 * 5]), np.array([1.0, 0.0]))
    assert np.isnan(out[0]) and out[1] == H0.timestamp() + 86400 * 5
    with pytest.raises(CalendarError, match="horizon"):
        clock.add_hours(np.array([datetime(2025, 6, 1, tzinfo=UTC).timestamp()]), np.array([1.0]))
    with pytest.raises(CalendarError, match="horizon"):
        clock.add_hours(np.array([datetime(2027, 1, 29, tzinfo=UTC).timestamp()]), [100.0])
    with pytest.raises(CalendarError, match="timezone-aware"):
        to_epoch([datetime(2026, 1, 1)])


def _lead_sample(rng, n, now):
    assigned = now.timestamp() - rng.random(n) * 20 * 86400
    ft = np.where(rng.random(n) < 0.7, assigned + rng.random(n) * 3 * 86400, np.nan)
    kth = np.where(rng.random(n) < 0.5, assigned + 300 + rng.random(n) * 10 * 86400, np.nan)
    dec = np.where(rng.random(n) < 0.6, assigned + rng.random(n) * 4 * 86400, np.nan)
    return np.round(assigned), np.round(ft), np.round(kth), np.round(dec)


def test_evaluate_clocks_matches_clock_state():
    sla = load_sla(default_sla_text())
    rng = np.random.default_rng(11)
    n = 400
    now = datetime(2026, 11, 2, 15, tzinfo=UTC)  # day after the New York DST change
    assigned, ft, kth, dec = _lead_sample(rng, n, now)
    owners = np.array(["ann", "bob", "cy"])[rng.integers(0, 3, n)]
    priorities = np.array(["hand_raiser", "high", "low"])[rng.integers(0, 3, n)]
    ann_pause = [(datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 23, 12, tzinfo=UTC))]
    setup = {
        "ann": (CALENDARS["berlin"], ann_pause),
        "bob": (CALENDARS["ny"], []),
        "cy": (sla.calendar_for(team="sales-us"), []),
    }
    clocks = {
        k: BusinessClock(
            cal, start=now - timedelta(days=40), end=now + timedelta(days=30), pauses=p
        )
        for k, (cal, p) in setup.items()
    }
    ft_hours = np.array([sla.sales.first_touch_hours(p) for p in priorities])
    arrays = evaluate_clocks(
        assigned_at=assigned,
        first_touch_hours=ft_hours,
        first_touch_at=ft,
        kth_attempt_at=kth,
        decided_at=dec,
        owner=owners,
        clocks=clocks,
        now=now,
        sla=sla,
    )
    statuses = set()
    for i in range(n):
        cal, pauses = setup[owners[i]]
        # 4 attempts whose 4th is kth[i] (or only 3 when it is missing).
        attempts = [utc(assigned[i] + 60 * j) for j in range(1, 4)]
        if not np.isnan(kth[i]):
            attempts.append(utc(kth[i]))
            assert kth_attempt(attempts, 4).timestamp() == kth[i]
        state = clock_state(
            assigned_at=utc(assigned[i]),
            priority=priorities[i],
            first_touch_at=None if np.isnan(ft[i]) else utc(ft[i]),
            attempts=attempts,
            decided_at=None if np.isnan(dec[i]) else utc(dec[i]),
            now=now,
            sla=sla,
            calendar=cal,
            pauses=pauses,
        )
        for kind, clock in (
            ("first_touch", state.first_touch),
            ("attempts", state.attempts),
            ("decision", state.decision),
        ):
            assert getattr(arrays, f"{kind}_due")[i] == pytest.approx(
                clock.due.timestamp(), abs=1e-3
            )
            code = getattr(arrays, f"status_{kind}")[i]
            assert ClockArrays.status_name(code) == clock.status, (i, kind)
            assert getattr(arrays, f"overdue_{kind}")[i] == pytest.approx(
                clock.overdue_hours, abs=1e-6
            )
            assert getattr(arrays, f"remaining_{kind}")[i] == pytest.approx(
                clock.remaining_hours, abs=1e-6
            )
            statuses.add(clock.status)
    assert statuses == {"met", "pending", "breached"}


def test_100k_leads_vectorised_equals_scalar_on_samples():
    sla = load_sla(default_sla_text())
    rng = np.random.default_rng(3)
    n = 100_000
    now = datetime(2026, 3, 30, 10, tzinfo=UTC)  # Monday after the Berlin DST change
    assigned, ft, kth, dec = _lead_sample(rng, n, now)
    reps = [f"rep{i}" for i in range(50)]
    owners = np.array(reps)[rng.integers(0, len(reps), n)]
    cal = CALENDARS["berlin"]
    pauses = {
        r: [
            (
                datetime(2026, 3, 20 + i % 5, tzinfo=UTC),
                datetime(2026, 3, 21 + i % 5, 12, tzinfo=UTC),
            )
        ]
        if i % 3 == 0
        else []
        for i, r in enumerate(reps)
    }
    clocks = {
        r: BusinessClock(
            cal, start=now - timedelta(days=30), end=now + timedelta(days=30), pauses=pauses[r]
        )
        for r in reps
    }
    arrays = evaluate_clocks(
        assigned_at=assigned,
        first_touch_hours=np.full(n, 8.0),
        first_touch_at=ft,
        kth_attempt_at=kth,
        decided_at=dec,
        owner=owners,
        clocks=clocks,
        now=now,
        sla=sla,
    )
    for i in rng.choice(n, 300, replace=False):
        attempts = [utc(assigned[i])] * 3 + ([] if np.isnan(kth[i]) else [utc(kth[i])])
        state = clock_state(
            assigned_at=utc(assigned[i]),
            priority=None,
            first_touch_at=None if np.isnan(ft[i]) else utc(ft[i]),
            attempts=attempts,
            decided_at=None if np.isnan(dec[i]) else utc(dec[i]),
            now=now,
            sla=sla,
            calendar=cal,
            pauses=pauses[owners[i]],
        )
        assert arrays.first_touch_due[i] == pytest.approx(
            state.first_touch.due.timestamp(), abs=1e-3
        )
        assert arrays.attempts_due[i] == state.attempts.due.timestamp()
        assert ClockArrays.status_name(arrays.status_first_touch[i]) == state.first_touch.status
        assert ClockArrays.status_name(arrays.status_attempts[i]) == state.attempts.status
        assert ClockArrays.status_name(arrays.status_decision[i]) == state.decision.status
        assert arrays.overdue_decision[i] == pytest.approx(state.decision.overdue_hours, abs=1e-6)
