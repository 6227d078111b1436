"""Rule-based models against hand-computed credits."""

from __future__ import annotations

import pandas as pd
import pytest
from attribution_data import ts

from smarketing.analytics.attribution import NO_TOUCH, attribute, attribute_paths


def credits(result):
    """Non-zero credits as {key: (conversions, value)} (keys seen in paths may get 0)."""
    return {
        c.key: (pytest.approx(c.conversions), pytest.approx(c.value))
        for c in result.credits
        if c.conversions or c.value
    }


@pytest.fixture
def journey():
    """One won deal after four touches: Ads, Direct, Email, Direct (days 0, 1, 3, 7)."""
    tp = pd.DataFrame(
        {
            "journey_id": ["a"] * 4,
            "occurred_at": [ts(0), ts(1), ts(3), ts(7)],
            "channel": ["Ads", "Direct", "Email", "Direct"],
            "team": ["marketing", "marketing", "marketing", "sales"],
        }
    )
    cv = pd.DataFrame(
        {"journey_id": ["a"], "kind": ["deal_won"], "occurred_at": [ts(7)], "value": [100.0]}
    )
    return tp, cv


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", {"Ads": 1.0}),
        ("last_touch", {"Direct": 1.0}),
        ("last_non_direct", {"Email": 1.0}),
        ("linear", {"Ads": 0.25, "Direct": 0.5, "Email": 0.25}),
        ("position_based", {"Ads": 0.4, "Direct": 0.1 + 0.4, "Email": 0.1}),
        ("u_shaped", {"Ads": 0.4, "Direct": 0.5, "Email": 0.1}),
    ],
)
def test_rule_models(journey, model, expected):
    r = attribute(*journey, model=model)
    assert r.total_conversions == 1.0 and r.total_value == 100.0
    assert credits(r) == {k: (v, 100 * v) for k, v in expected.items()}


def test_time_decay_half_life(journey):
    # ages 7, 6, 4, 0 days with half-life 7: weights 2^-1, 2^-6/7, 2^-4/7, 1.
    raw = [2 ** (-a / 7) for a in (7, 6, 4, 0)]
    w = [x / sum(raw) for x in raw]
    r = attribute(*journey, model="time_decay")
    assert credits(r) == {
        "Ads": (w[0], 100 * w[0]),
        "Direct": (w[1] + w[3], 100 * (w[1] + w[3])),
        "Email": (w[2], 100 * w[2]),
    }
    r2 = attribute(*journey, model="time_decay", half_life_days=1e9)
    assert r2.credit("Ads").conversions == pytest.approx(0.25)


def test_last_non_direct_all_direct_falls_back_to_last():
    p = pd.DataFrame({"path": ["Direct > Direct"], "total_conversions": [2]})
    r = attribute_paths(p, model="last_non_direct", value_column=None, nulls_column=None)
    assert credits(r) == {"Direct": (2.0, 0.0)}


def test_custom_weights_and_channel_weights(journey):
    r = attribute(*journey, model="custom", weights={"first": 0.5, "middle": 0.2, "last": 0.3})
    assert credits(r) == {"Ads": (0.5, 50.0), "Direct": (0.4, 40.0), "Email": (0.1, 10.0)}
    # Email weighted 4x: raw 0.5, 0.1, 0.4, 0.3 -> divide by 1.3
    r = attribute(
        *journey, model="custom", weights={"first": 0.5, "middle": 0.2, "last": 0.3},
        channel_weights={"Email": 4},
    )  # fmt: skip
    assert r.credit("Email").conversions == pytest.approx(0.4 / 1.3)
    assert r.credit("Ads").conversions == pytest.approx(0.5 / 1.3)


def test_team_level(journey):
    r = attribute(*journey, model="linear", by="team")
    assert credits(r) == {"marketing": (0.75, 75.0), "sales": (0.25, 25.0)}


def test_w_shaped_and_full_path_use_milestones():
    # touches days 0..5 (A B C D E F); lead created day 2 -> touch C; opportunity day 4 -> E;
    # won day 5 -> F.
    tp = pd.DataFrame(
        {"journey_id": ["x"] * 6, "occurred_at": [ts(d) for d in range(6)],
         "channel": list("ABCDEF")}
    )  # fmt: skip
    cv = pd.DataFrame(
        {"journey_id": ["x"] * 3, "kind": ["lead_created", "opportunity_created", "deal_won"],
         "occurred_at": [ts(2.5), ts(4.5), ts(5)], "value": [0.0, 50.0, 200.0]}
    )  # fmt: skip
    w = attribute(tp, cv, model="w_shaped", conversion_kind="deal_won")
    rest = 0.1 / 3  # B, D, F
    assert credits(w) == {
        k: (v, 200 * v)
        for k, v in {"A": 0.3, "C": 0.3, "E": 0.3, "B": rest, "D": rest, "F": rest}.items()
    }
    z = attribute(tp, cv, model="full_path", conversion_kind="deal_won")
    assert credits(z) == {
        k: (v, 200 * v)
        for k, v in {"A": .225, "C": .225, "E": .225, "F": .225, "B": .05, "D": .05}.items()
    }  # fmt: skip
    # the opportunity conversion itself: its milestones are the lead (C) and itself (E).
    o = attribute(tp, cv, model="w_shaped", conversion_kind="opportunity_created")
    assert o.credit("A").conversions == pytest.approx(0.3)
    assert o.credit("C").conversions == pytest.approx(0.3)
    assert o.credit("E").conversions == pytest.approx(0.3)


def test_w_shaped_path_format_fallback():
    # no milestones: lead at 1 + floor((n-1)/2), opportunity at the last touch.
    p = pd.DataFrame({"path": ["A > B > C > D > E", "A > B"], "total_conversions": [1, 1]})
    r = attribute_paths(p, model="w_shaped", value_column=None, nulls_column=None)
    # path 1: A, C, E anchors 0.3 each; B, D 0.05. path 2: A is first and lead (2 slots),
    # B opportunity; every touch is an anchor -> slots share equally: A 2/3, B 1/3.
    assert credits(r) == {
        "A": (0.3 + 2 / 3, 0.0), "B": (0.05 + 1 / 3, 0.0), "C": (0.3, 0.0), "D": (0.05, 0.0),
        "E": (0.3, 0.0),
    }  # fmt: skip


def test_lookback_window_and_no_touch():
    tp = pd.DataFrame(
        {"journey_id": ["a", "a", "a"], "occurred_at": [ts(0), ts(50), ts(60)],
         "channel": ["Old", "Ads", "Late"]}
    )  # fmt: skip
    cv = pd.DataFrame(
        {"journey_id": ["a", "b"], "kind": ["deal_won"] * 2, "occurred_at": [ts(55), ts(1)],
         "value": [10.0, 7.0]}
    )  # fmt: skip
    r = attribute(tp, cv, model="first_touch", lookback_days=30)
    # Old is 55 days before (outside 30), Late is after the conversion; b has no touch.
    assert credits(r) == {"Ads": (1.0, 10.0), NO_TOUCH: (1.0, 7.0)}
    assert r.total_conversions == 2 and r.total_value == 17.0
    r = attribute(tp, cv, model="first_touch")  # 90 days: Old counts
    assert r.credit("Old").conversions == 1.0


def test_touch_at_conversion_time_counts():
    tp = pd.DataFrame({"journey_id": [1], "occurred_at": [ts(3)], "channel": ["Demo"]})
    cv = pd.DataFrame({"journey_id": [1], "kind": ["won"], "occurred_at": [ts(3)], "value": [5]})
    assert credits(attribute(tp, cv, model="last_touch")) == {"Demo": (1.0, 5.0)}


def test_each_conversion_is_its_own_path():
    tp = pd.DataFrame(
        {"journey_id": [1, 1], "occurred_at": [ts(0), ts(10)], "channel": ["Ads", "Demo"]}
    )
    cv = pd.DataFrame(
        {"journey_id": [1, 1], "kind": ["won", "won"], "occurred_at": [ts(5), ts(11)],
         "value": [1.0, 2.0]}
    )  # fmt: skip
    r = attribute(tp, cv, model="last_touch")
    assert credits(r) == {"Ads": (1.0, 1.0), "Demo": (1.0, 2.0)}
