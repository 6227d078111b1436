"""Reverse funnel, periods and timing windows against hand-computed values."""

from datetime import date

import pytest

from smarketing.analytics.planning import (
    MeasuredFunnel,
    PlanningError,
    Sourced,
    parse_period,
    reverse_funnel,
    stage_windows,
)

RATES = {
    "lead_to_mql": 0.3,
    "mql_to_sql": 0.4,
    "sql_to_opportunity": 0.5,
    "opportunity_to_customer": 0.3,
}


def test_classic_example_exactly():
    plan = reverse_funnel(revenue=10000, deal_size=1000, lead_to_customer=0.02)
    assert (plan.customers, plan.leads) == (10, 500)
    d = plan.to_dict()
    for key in (
        "revenue",
        "deal_size",
        "customers",
        "opportunities",
        "sqls",
        "mqls",
        "leads",
        "rates",
    ):
        assert key in d
    assert d["revenue"] == 10000 and d["customers"] == 10 and d["leads"] == 500
    assert d["deal_size"] == {"value": 1000.0, "source": "given"}
    assert d["rates"] == {"lead_to_customer": {"value": 0.02, "source": "given"}}
    assert d["opportunities"] is None and d["mqls"] is None


def test_ceil_at_each_stage():
    # 25 customers; 25/0.3 = 83.3 -> 84; 84/0.5 = 168; 168/0.4 = 420; 420/0.3 = 1400 (exactly,
    # though 420 / 0.3 in floating point is 1400.0000000000002).
    plan = reverse_funnel(revenue=25000, deal_size=1000, rates=RATES)
    assert (plan.customers, plan.opportunities, plan.sqls, plan.mqls, plan.leads) == (
        25,
        84,
        168,
        420,
        1400,
    )
    # 10,500 / 1,000 -> 10.5 customers -> 11
    assert reverse_funnel(revenue=10500, deal_size=1000, lead_to_customer=0.02).customers == 11
    assert reverse_funnel(revenue=10500, deal_size=1000, lead_to_customer=0.02).leads == 550


def test_given_beats_measured_and_sources_are_reported():
    measured = MeasuredFunnel(
        rates={k: Sourced(v, "measured") for k, v in RATES.items()},
        durations={"opportunity_to_customer": Sourced(30.0, "measured")},
        lead_to_customer=Sourced(0.01, "measured"),
        deal_size=Sourced(2000.0, "measured"),
    )
    plan = reverse_funnel(revenue=10000, measured=measured)
    assert plan.deal_size == Sourced(2000.0, "measured")
    assert (plan.customers, plan.opportunities, plan.leads) == (5, 17, 284)  # chain wins
    assert plan.to_dict()["rates"]["mql_to_sql"] == {"value": 0.4, "source": "measured"}
    plan = reverse_funnel(
        revenue=10000,
        deal_size=1000,
        lead_to_customer=0.02,
        rates={"mql_to_sql": 0.5},
        measured=measured,
    )
    assert plan.deal_size.source == "given" and plan.leads == 500
    assert plan.rates["mql_to_sql"] == Sourced(0.5, "given")
    assert plan.rates["lead_to_mql"] == Sourced(0.3, "measured")
    # Without stage rates, a measured lead_to_customer is the fallback.
    only_l2c = MeasuredFunnel(
        rates={}, durations={}, lead_to_customer=Sourced(0.04, "measured"), deal_size=None
    )
    plan = reverse_funnel(revenue=10000, deal_size=1000, measured=only_l2c)
    assert plan.leads == 250 and plan.rates["lead_to_customer"].source == "measured"


def test_bad_inputs_name_the_problem():
    with pytest.raises(PlanningError, match="revenue must be > 0"):
        reverse_funnel(revenue=0, deal_size=1000, lead_to_customer=0.02)
    with pytest.raises(PlanningError, match="deal_size is needed"):
        reverse_funnel(revenue=10000, lead_to_customer=0.02)
    with pytest.raises(PlanningError, match="deal_size must be > 0"):
        reverse_funnel(revenue=10000, deal_size=-5, lead_to_customer=0.02)
    with pytest.raises(PlanningError, match=r"rate lead_to_customer must be in \(0, 1\]"):
        reverse_funnel(revenue=10000, deal_size=1000, lead_to_customer=2)
    with pytest.raises(PlanningError, match="unknown rate"):
        reverse_funnel(revenue=10000, deal_size=1000, rates={"lead_to_win": 0.1})
    with pytest.raises(PlanningError, match="cannot reach leads"):
        reverse_funnel(revenue=10000, deal_size=1000, rates={"mql_to_sql": 0.5})


def test_periods():
    assert parse_period("2026").start == date(2026, 1, 1)
    q4 = parse_period("2026-Q4")
    assert (q4.start, q4.end, q4.days) == (date(2026, 10, 1), date(2027, 1, 1), 92)
    assert parse_period("2026-02").days == 28 and parse_period("2028-02").days == 29
    assert parse_period("2026-h2").start == date(2026, 7, 1)
    assert date(2026, 3, 31) in parse_period("2026-Q1")
    assert date(2026, 4, 1) not in parse_period("2026-Q1")
    for bad in ("2026-Q5", "2026-13", "Q1 2026", "26-01", ""):
        with pytest.raises(PlanningError, match="period"):
            parse_period(bad)


def test_timing_windows():
    durations = {
        "lead_to_mql": 10,
        "mql_to_sql": 3.2,
        "sql_to_opportunity": 7,
        "opportunity_to_customer": 30,
    }
    w = stage_windows(parse_period("2026-Q1"), durations)
    assert w["customer"].needed_from == date(2026, 1, 1)
    assert w["customer"].needed_by == date(2026, 3, 31)
    # opportunity: 30 days; sql: 37; mql: 40.2 -> 41; lead: 50.2 -> 51
    assert [w[s].days_before_won for s in ("opportunity", "sql", "mql", "lead")] == [30, 37, 41, 51]
    assert w["lead"].needed_by == date(2026, 2, 8)  # 31 March - 51 days
    assert w["lead"].needed_from == date(2025, 11, 11)
    plan = reverse_funnel(
        revenue=10000, deal_size=1000, lead_to_customer=0.02, period="2026-Q1", durations=durations
    )
    assert plan.to_dict()["timing"]["leads"] == {
        "days_before_won": 51,
        "from": "2025-11-11",
        "by": "2026-02-08",
    }
    assert plan.to_dict()["period"] == "2026-Q1"
    with pytest.raises(PlanningError, match="duration"):
        stage_windows(parse_period("2026-Q1"), {"opportunity_to_customer": -1})
