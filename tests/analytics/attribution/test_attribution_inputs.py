"""Bad input gets a clear AttributionError; results, costs, comparison, file input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from attribution_data import generated, ts

from smarketing.analytics.attribution import (
    NO_TOUCH,
    AttributionError,
    attribute,
    attribute_paths,
    compare_models,
    compare_paths,
    read_input,
)

P = pd.DataFrame({"path": ["A > B", "B"], "total_conversions": [1, 2],
                  "total_conversion_value": [10.0, 5.0], "total_null": [3, 1]})  # fmt: skip


def tp_cv():
    tp = pd.DataFrame({"journey_id": [1], "occurred_at": [ts(1)], "channel": ["A"]})
    cv = pd.DataFrame({"journey_id": [1], "kind": ["won"], "occurred_at": [ts(2)], "value": [3]})
    return tp, cv


@pytest.mark.parametrize(
    ("frame", "kw", "message"),
    [
        (P.assign(path=["A > ", "B"]), {}, "empty step"),
        (P.assign(path=["", "B"]), {}, "empty"),
        (P.iloc[0:0], {}, "paths is empty"),
        (P.assign(total_conversion_value=[-1.0, 5.0]), {}, "negative"),
        (P.assign(total_null=[None, 1]), {}, "missing"),
        (P.drop(columns="total_null"), {}, "missing column"),
        (P, {"model": "nope"}, "unknown model"),
        (P, {"model": "custom"}, "needs weights"),
        (P, {"model": "custom", "weights": {"first": 0.5, "last": 0.6}}, "sum to 1"),
        (P, {"model": "custom", "weights": {"first": 1.5, "last": -0.5}}, "non-negative"),
        (P, {"model": "custom", "weights": {"first": 1, "centre": 0}}, "unknown position"),
        (
            P,
            {"model": "custom", "weights": {"first": 1}, "channel_weights": {"Z": 2}},
            "unknown key",
        ),
        (P, {"model": "custom", "weights": {"first": 1}, "channel_weights": {"A": 0}}, "positive"),
        (P, {"model": "time_decay"}, "timestamps"),
        (P, {"model": "markov", "order": 5}, "order"),
        (P, {"model": "linear", "intervals": True}, "intervals"),
        (P, {"model": "linear", "costs": {"A": -3}}, "costs"),
    ],
)
def test_bad_path_input(frame, kw, message):
    kw = {"model": "linear", **kw}
    with pytest.raises(AttributionError, match=message):
        attribute_paths(frame, **kw)


@pytest.mark.parametrize("lookback", [0, -5])
def test_lookback_must_be_positive(lookback):
    with pytest.raises(AttributionError, match="lookback_days must be positive"):
        attribute(*tp_cv(), model="linear", lookback_days=lookback)


def test_bad_touch_input():
    tp, cv = tp_cv()
    with pytest.raises(AttributionError, match="negative or missing value"):
        attribute(tp, cv.assign(value=[-1]), model="linear")
    with pytest.raises(AttributionError, match="no conversions of kind 'mql'"):
        attribute(tp, cv, model="linear", conversion_kind="mql")
    with pytest.raises(AttributionError, match="missing column"):
        attribute(tp.drop(columns="channel"), cv, model="linear")
    with pytest.raises(AttributionError, match="missing column"):
        attribute(tp, cv, model="linear", by="campaign")
    with pytest.raises(AttributionError, match="DataFrame"):
        attribute([1], cv, model="linear")


def test_only_no_touch_conversions():
    tp, cv = tp_cv()
    for model in ("linear", "markov", "shapley"):
        r = attribute(tp, cv.assign(journey_id=[2]), model=model)
        got = [(c.key, c.conversions, c.value, c.share) for c in r.credits if c.conversions]
        assert got == [(NO_TOUCH, 1.0, 3.0, 1.0)]


def test_to_dict_shape_and_costs():
    r = attribute_paths(P, model="first_touch", costs={"A": 5.0, "C": 2.0})
    d = r.to_dict()
    assert list(d) == ["model", "by", "total_conversions", "total_value", "credits"]
    json.dumps(d)
    rows = {c["key"]: c for c in d["credits"]}
    assert rows["A"] == {"key": "A", "conversions": 1.0, "value": 10.0, "share": 1 / 3,
                         "cost": 5.0, "cost_per_conversion": 5.0, "roi": 1.0}  # fmt: skip
    assert rows["C"]["conversions"] == 0 and rows["C"]["cost_per_conversion"] is None
    assert rows["B"]["roi"] is None
    plain = attribute_paths(P, model="last_touch").to_dict()["credits"][0]
    assert list(plain) == ["key", "conversions", "value", "share"]


def test_model_comparison_sorted_by_disagreement():
    cmp = compare_paths(P, models=["first_touch", "last_touch", "linear"])
    assert cmp.models == ("first_touch", "last_touch", "linear")
    a = next(r for r in cmp.rows if r.key == "A")
    assert a.shares == pytest.approx({"first_touch": 1 / 3, "last_touch": 0.0,
                                      "linear": 0.5 / 3})  # fmt: skip
    assert a.spread == pytest.approx(1 / 3)
    assert [r.spread for r in cmp.rows] == sorted((r.spread for r in cmp.rows), reverse=True)
    tp, cv = generated(seed=2, journeys=80)
    full = compare_models(tp, cv, conversion_kind="deal_won")
    assert len(full.models) == 10 and full.rows[0].spread >= full.rows[-1].spread


def test_read_input_csv_and_parquet(tmp_path):
    P.to_csv(tmp_path / "p.csv", index=False)
    P.to_parquet(tmp_path / "p.parquet")
    for name in ("p.csv", "p.parquet"):
        r = attribute_paths(read_input(tmp_path / name), model="linear")
        assert r.total_conversions == 3
    with pytest.raises(AttributionError, match="does not exist"):
        read_input(tmp_path / "nope.csv")
    with pytest.raises(AttributionError, match="engine"):
        read_input(tmp_path / "p.csv", engine="oracle")
