"""Measured rates/durations/deal size and pacing, on hand-built data."""

from datetime import date, timedelta

import pandas as pd
import pytest

from smarketing.analytics.planning import (
    PlanningError,
    daily_series,
    measure_funnel,
    measure_funnel_by,
    pace,
    reverse_funnel,
)

ROWS = [
    (1, "lead", "2026-01-01"),
    (1, "mql", "2026-01-03"),
    (1, "sql", "2026-01-05"),
    (1, "opportunity", "2026-01-10"),
    (1, "customer", "2026-02-09"),
    (2, "lead", "2026-01-02"),
    (2, "mql", "2026-01-06"),
    (2, "sql", "2026-01-10"),
    (3, "lead", "2026-01-03"),
    (3, "mql", "2026-01-04"),
    (3, "recycled", "2026-01-09"),
    (4, "lead", "2026-01-04"),
    (5, "mql", "2026-01-05"),
    (5, "opportunity", "2026-01-15"),  # no lead row; skipped SQL
    (6, "lead", "2025-12-15"),
    (6, "mql", "2026-01-02"),
]
CHANNEL = {1: "ads", 2: "ads", 3: "seo", 4: "seo", 5: "seo", 6: "seo"}
HISTORY = pd.DataFrame(
    [
        {"contact_id": c, "to_stage": s, "at": pd.Timestamp(t, tz="UTC"), "channel": CHANNEL[c]}
        for c, s, t in ROWS
    ]
)
DEALS = pd.DataFrame(
    {
        "amount": [1000, 3000, 5000, 9000],
        "won": [True, True, False, True],
        "closed_at": pd.to_datetime(
            ["2026-01-20", "2026-01-25", "2026-01-26", "2026-03-01"], utc=True
        ),
    }
)


def check_january(m):
    r = {k: (v.value if v else None) for k, v in m.rates.items()}
    assert r["lead_to_mql"] == pytest.approx(0.8)  # c1, c2, c3, c5 of c1..c5
    assert r["mql_to_sql"] == pytest.approx(0.6)  # c1, c2, c5 of c1, c2, c3, c5, c6
    assert r["sql_to_opportunity"] == pytest.approx(2 / 3)  # c1, c5 of c1, c2, c5
    assert r["opportunity_to_customer"] == pytest.approx(0.5)  # c1 of c1, c5
    d = {k: (v.value if v else None) for k, v in m.durations.items()}
    assert d == {
        "lead_to_mql": 1.5,
        "mql_to_sql": 4.0,
        "sql_to_opportunity": 2.5,
        "opportunity_to_customer": 30.0,
    }
    assert m.lead_to_customer.value == pytest.approx(0.2)
    assert dict(m.counts) == {"lead": 5, "mql": 5, "sql": 3, "opportunity": 2, "customer": 0}
    assert all(v.source == "measured" for v in m.rates.values())


def test_measure_with_pandas():
    m = measure_funnel(HISTORY, DEALS, start="2026-01-01", end="2026-02-01")
    check_january(m)
    assert m.deal_size.value == 2000.0  # won and closed in January: 1000, 3000
    plan = reverse_funnel(revenue=10000, measured=m)
    assert plan.deal_size.source == "measured" and plan.customers == 5
    assert m.to_dict()["deal_size"] == {"value": 2000.0, "source": "measured"}


@pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")
def test_measure_with_ibis_and_records():
    ibis = pytest.importorskip("ibis")
    m = measure_funnel(
        ibis.memtable(HISTORY.drop(columns="channel")),
        ibis.memtable(DEALS),
        start="2026-01-01",
        end="2026-02-01",
    )
    check_january(m)
    records = HISTORY.drop(columns="channel").to_dict("records")
    check_january(measure_funnel(records, start="2026-01-01", end="2026-02-01"))


def test_measure_by_channel_and_errors():
    by = measure_funnel_by(HISTORY, "channel")
    assert by["ads"].rates["lead_to_mql"].value == 1.0
    assert by["ads"].rates["sql_to_opportunity"].value == 0.5
    assert by["seo"].rates["lead_to_mql"].value == 0.75  # c3, c5, c6 of c3..c6
    with pytest.raises(PlanningError, match=r"missing column\(s\) \['at'\]"):
        measure_funnel(HISTORY.drop(columns="at"))
    empty = measure_funnel([])
    assert empty.rates["lead_to_mql"] is None and empty.deal_size is None


APRIL = [date(2026, 4, 1) + timedelta(days=i) for i in range(30)]


def test_pacing_on_track_with_no_variance():
    actual = dict.fromkeys(APRIL[:10], 10.0)
    p = pace(target=300, period="2026-04", actual=actual, as_of=date(2026, 4, 10))
    assert (p.days_elapsed, p.days_total) == (10, 30)
    assert (p.actual_to_date, p.expected_to_date, p.status) == (100.0, 100.0, "on_track")
    assert (p.forecast, p.forecast_low, p.forecast_high) == (300.0, 300.0, 300.0)
    assert p.to_dict()["forecast_interval_80"] == [300.0, 300.0]
    assert p.curve_points[9][1:] == (100.0, 100.0) and p.curve_points[10][2] is None


def test_pacing_behind_and_interval():
    # 0, 20, 0, 20, ... for 10 days: run-rate 10/day, forecast 300; 20 remaining days drawn
    # from {0, 20}: total = 100 + 20 * Binomial(20, 1/2); its 10th/90th percentiles are
    # 100 + 20 * 7 = 240 and 100 + 20 * 13 = 360.
    actual = {d: (0.0 if i % 2 == 0 else 20.0) for i, d in enumerate(APRIL[:10])}
    p = pace(target=400, period="2026-04", actual=actual, as_of=date(2026, 4, 10))
    assert p.status == "behind" and p.forecast == 300.0
    assert p.pct_of_expected == pytest.approx(75.0)
    assert p.forecast_low == pytest.approx(240, abs=20)
    assert p.forecast_high == pytest.approx(360, abs=20)
    again = pace(target=400, period="2026-04", actual=actual, as_of=date(2026, 4, 10))
    assert (again.forecast_low, again.forecast_high) == (p.forecast_low, p.forecast_high)


def test_seasonal_curve_weekdays_only():
    # History: 10 on weekdays, 0 at weekends -> weekends expect nothing.
    history = {
        date(2026, 3, 1) + timedelta(days=i): 0.0
        if (date(2026, 3, 1) + timedelta(days=i)).weekday() >= 5
        else 10.0
        for i in range(31)
    }
    # April 2026 has 22 weekdays; 1-3 April are Wed-Fri, 4-5 the weekend.
    actual = {d: (11.0 if d.weekday() < 5 else 0.0) for d in APRIL[:5]}
    p = pace(
        target=220,
        period="2026-04",
        actual=actual,
        as_of=date(2026, 4, 5),
        curve="seasonal",
        history=history,
    )
    assert p.expected_share == pytest.approx(3 / 22)
    assert p.expected_to_date == pytest.approx(30.0)
    assert p.actual_to_date == 33.0 and p.status == "on_track"
    assert p.forecast == pytest.approx(33 + 11 * 19)  # run-rate 11 per weekday
    assert p.forecast_low <= p.forecast <= p.forecast_high


def test_pacing_edges_and_errors():
    p = pace(target=100, period="2026-04", actual={}, as_of=date(2026, 3, 20))
    assert p.status == "not_started" and p.forecast is None
    done = pace(target=100, period="2026-04", actual={APRIL[0]: 120}, as_of=date(2026, 5, 3))
    assert (done.forecast, done.forecast_low, done.status) == (120.0, 120.0, "on_track")
    with pytest.raises(PlanningError, match="target"):
        pace(target=0, period="2026-04", actual={}, as_of=APRIL[0])
    with pytest.raises(PlanningError, match="needs history"):
        pace(target=10, period="2026-04", actual={}, as_of=APRIL[0], curve="seasonal")
    with pytest.raises(PlanningError, match="not a date"):
        daily_series({"April 1": 3})
    assert daily_series({"2026-04-01": 1, date(2026, 4, 1): 2}) == {date(2026, 4, 1): 3.0}
