"""Property tests: every model's credits sum to the totals."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smarketing.analytics.attribution import MODELS, attribute, attribute_paths

CHANNELS = ["A", "B", "C", "Direct"]
path_rows = st.lists(
    st.tuples(
        st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6),
        st.integers(0, 5),
        st.floats(0, 1000, allow_nan=False),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=12,
)


def check_sums(r):
    assert sum(c.conversions for c in r.credits) == pytest.approx(r.total_conversions, abs=1e-9)
    assert sum(c.value for c in r.credits) == pytest.approx(r.total_value, abs=1e-6)
    if r.total_conversions:
        assert sum(c.share for c in r.credits) == pytest.approx(1.0)
    assert all(c.conversions >= -1e-9 and c.value >= -1e-6 for c in r.credits)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=path_rows, model=st.sampled_from([m for m in MODELS if m != "time_decay"]),
       order=st.integers(1, 3))  # fmt: skip
def test_path_credits_sum_to_totals(rows, model, order):
    df = pd.DataFrame(
        [(" > ".join(p), c, v if c else 0.0, u) for p, c, v, u in rows],
        columns=["path", "total_conversions", "total_conversion_value", "total_null"],
    )
    kw = {"weights": {"first": 0.2, "middle": 0.5, "last": 0.3}} if model == "custom" else {}
    if model == "markov":
        kw["order"] = order
    r = attribute_paths(df, model=model, **kw)
    assert r.total_conversions == df.total_conversions.sum()
    assert r.total_value == pytest.approx(df.total_conversion_value.sum())
    check_sums(r)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    touches=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60), st.sampled_from(CHANNELS)),
                     min_size=1, max_size=25),
    convs=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 70), st.floats(0, 500)),
                   min_size=1, max_size=6),
    model=st.sampled_from(MODELS),
)  # fmt: skip
def test_touch_credits_sum_to_totals(touches, convs, model):
    day = pd.Timestamp("2024-01-01", tz="UTC")
    tp = pd.DataFrame(
        [(j, day + pd.Timedelta(days=d), ch) for j, d, ch in touches],
        columns=["journey_id", "occurred_at", "channel"],
    )
    cv = pd.DataFrame(
        [(j, "won", day + pd.Timedelta(days=d), v) for j, d, v in convs],
        columns=["journey_id", "kind", "occurred_at", "value"],
    )
    kw = {"weights": {"first": 0.2, "middle": 0.5, "last": 0.3}} if model == "custom" else {}
    r = attribute(tp, cv, model=model, lookback_days=30, **kw)
    assert r.total_conversions == len(cv)
    assert r.total_value == pytest.approx(cv.value.sum())
    check_sums(r)
