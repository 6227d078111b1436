"""Predictive scoring: training on synthetic and CSV data, small-data fallback, persistence,
explanations, target parsing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from smarketing.analytics.scoring import (
    MIN_MINORITY,
    ModelInputError,
    TargetError,
    dump_model,
    evaluate,
    explain,
    explain_frame,
    is_not_worse,
    load_model,
    parse_target,
    predict,
    train,
)


@pytest.fixture(scope="module")
def synthetic():
    x, y = make_classification(
        n_samples=800, n_features=6, n_informative=4, weights=[0.7], random_state=3
    )
    frame = pd.DataFrame(x, columns=[f"signal_{i}" for i in range(6)])
    frame["industry"] = np.where(x[:, 0] > 0, "saas", "retail")
    frame["won"] = y
    return frame


@pytest.fixture(scope="module")
def trained(synthetic):
    return train(synthetic.iloc[:600], target="won")


def test_model_beats_a_random_baseline_and_reports_every_figure(trained):
    data = trained.to_dict()
    json.dumps(data)
    for key in ("auc", "lift_top_decile", "baseline", "calibration", "n_rows", "n_positive",
                "model", "features", "chosen", "note", "brier"):  # fmt: skip
        assert key in data
    assert data["auc"] > 0.8  # random ordering gives 0.5
    assert data["lift_top_decile"] > 1.5  # random ordering gives 1.0
    assert data["baseline"]["auc"] > 0.7 and data["baseline"]["lift_top_decile"] > 1.2
    assert data["n_rows"] == 600 and data["n_positive"] == int(trained.n_positive)
    assert data["model"] == "calibrated HistGradientBoostingClassifier"
    assert data["chosen"] in {"model", "baseline"} and data["note"]
    assert data["cv"] == "stratified 5-fold" and len(data["calibration"]["bins"]) == 10
    assert data["features"]["categorical"] == ["industry"]
    assert len(data["features"]["numeric"]) == 6


def test_calibration_summary_has_reliability_bins(trained):
    calibration = trained.to_dict()["calibration"]
    assert {"method", "bins", "ece"} <= calibration.keys()
    first = calibration["bins"][0]
    assert {"mean_predicted", "observed_rate", "count"} <= first.keys()
    assert sum(b["count"] for b in calibration["bins"]) == 600
    assert 0 <= calibration["ece"] < 0.15  # calibrated probabilities stay near observed rates


def test_chosen_is_the_model_only_when_it_is_not_worse_than_the_baseline(trained):
    data = trained.to_dict()
    if data["chosen"] == "model":
        assert data["model_metrics"]["auc"] >= data["baseline"]["auc"]
        assert data["auc"] == data["model_metrics"]["auc"]
    else:
        assert "did not beat" in data["note"] and data["auc"] == data["baseline"]["auc"]


def test_training_is_deterministic(synthetic):
    first = train(synthetic.iloc[:200], target="won", n_splits=3).to_dict()
    second = train(synthetic.iloc[:200], target="won", n_splits=3).to_dict()
    assert first == second


def test_too_little_data_falls_back_to_the_baseline_and_says_so():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"visits": rng.integers(0, 10, 80), "size": rng.normal(size=80)})
    frame["won"] = 0
    frame.loc[frame.nlargest(12, "visits").index, "won"] = 1
    result = train(frame, target="won")
    data = result.to_dict()
    assert data["chosen"] == "baseline" and data["model"] is None
    assert data["model_metrics"] is None
    assert f"only 12 rows of the rarer outcome (< {MIN_MINORITY})" in data["note"]
    assert data["auc"] == data["baseline"]["auc"] > 0.8


def test_tiny_data_never_crashes_and_one_outcome_is_a_clear_error():
    tiny = pd.DataFrame({"visits": [1, 5, 2, 7, 0], "won": ["no", "yes", "no", "yes", "no"]})
    result = train(tiny, target="won")
    assert result.n_splits == 2 and "2-fold" in result.note
    assert 0 <= result.auc <= 1
    with pytest.raises(ModelInputError, match="need at least 2 rows of each outcome"):
        train(tiny.assign(won="no"), target="won")
    with pytest.raises(ModelInputError, match="no target column 'outcome'"):
        train(tiny, target="outcome")
    with pytest.raises(ModelInputError, match="no usable feature columns"):
        train(tiny[["won"]].assign(lead_id=range(5)), target="won")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 0, 1], [1, 0, 1]),
        ([1.0, 0.0], [1, 0]),
        ([True, False], [1, 0]),
        (["TRUE", "false", " True "], [1, 0, 1]),
        (["Yes", "NO", "yes"], [1, 0, 1]),
        (["1", "0"], [1, 0]),
    ],
)
def test_target_parsing_accepts_the_documented_spellings(values, expected):
    assert parse_target(pd.Series(values)).tolist() == expected


def test_target_parsing_names_bad_values_and_rows():
    with pytest.raises(TargetError) as info:
        parse_target(pd.Series(["yes", "won", "2", None, "no"]), name="outcome")
    message = str(info.value)
    assert "target column 'outcome' must hold 1/0, true/false or yes/no" in message
    assert "3 values are not: 'won' (row 2), '2' (row 3), blank (row 4)" in message
    assert isinstance(info.value, ValueError)


def test_training_from_a_csv_file_detects_and_drops_columns(tmp_path):
    rng = np.random.default_rng(5)
    n = 300
    visits = rng.poisson(3, n)
    seniority = rng.choice(["vp", "manager", "individual"], n)
    won = (visits + (seniority == "vp") * 3 + rng.normal(0, 1.5, n)) > 5
    frame = pd.DataFrame(
        {
            "lead_id": np.arange(1000, 1000 + n),
            "email": [f"p{i}@x{i % 7}.com" for i in range(n)],
            "notes": [f"called on day {i}, said {rng.integers(1e6)}" for i in range(n)],
            "visits": visits,
            "employees": np.where(rng.random(n) < 0.1, "", rng.integers(5, 900, n).astype(str)),
            "seniority": seniority,
            "region": "emea",
            "Converted": np.where(won, "Yes", "No"),
        }
    )
    path = tmp_path / "leads.csv"
    frame.to_csv(path, index=False)
    result = train(pd.read_csv(path), target="Converted")
    features = result.to_dict()["features"]
    assert features["numeric"] == ["visits", "employees"]
    assert features["categorical"] == ["seniority"]
    assert features["dropped"] == {
        "lead_id": "identifier-like name",
        "email": "identifier-like name",
        "notes": "unique on every row (an id or free text?)",
        "region": "constant",
    }
    assert result.auc > 0.75 and result.n_rows == n


def test_predict_persist_and_explain(trained, synthetic):
    model = trained.trained
    holdout = synthetic.iloc[600:]
    p = predict(model, holdout.drop(columns="won"))
    assert p.shape == (200,) and ((p >= 0) & (p <= 1)).all()
    restored = load_model(dump_model(model))
    np.testing.assert_array_equal(predict(restored, holdout), p)
    factors = explain(restored, holdout.iloc[0].drop("won").to_dict(), top=3)
    assert 1 <= len(factors) <= 3
    effects = [abs(f.effect) for f in factors]
    assert effects == sorted(effects, reverse=True)
    assert all(f.text.endswith("%)") for f in factors)
    assert json.dumps([f.to_dict() for f in factors])
    assert len(explain_frame(model, holdout.head(5))) == 5


def test_explanations_are_in_plain_words():
    rng = np.random.default_rng(2)
    views = rng.integers(0, 8, 300)
    frame = pd.DataFrame({"n_pricing_views": views, "won": (views + rng.normal(0, 1.5, 300)) > 5})
    model = train(frame, target="won", n_splits=3).trained
    (factor,) = explain(model, {"n_pricing_views": 7}, top=1)
    assert factor.feature == "n_pricing_views" and factor.effect > 0.1
    assert factor.text.startswith("Visited the pricing page 7 times (+")


def test_holdout_evaluation_and_promotion_rule(trained, synthetic):
    holdout = synthetic.iloc[600:]
    new = evaluate(trained.trained, holdout)
    assert new["n_rows"] == 200 and new["auc"] > 0.75
    weak = train(synthetic.iloc[:600][["signal_5", "won"]], target="won", min_minority=10_000)
    weak = weak.trained
    active = evaluate(weak, holdout)
    assert is_not_worse(new, active) and not is_not_worse(active, new)
    assert is_not_worse({"auc": 0.795}, {"auc": 0.8}, tolerance=0.01)
    with pytest.raises(ModelInputError, match="have no 'auc'"):
        is_not_worse({}, new)


def test_bad_model_inputs():
    with pytest.raises(ModelInputError, match="not a smarketing model"):
        load_model(b"garbage")
    frame = pd.DataFrame({"visits": [0, 1, 2, 3] * 10, "won": [0, 0, 1, 1] * 10})
    model = train(frame, target="won").trained
    with pytest.raises(ModelInputError, match="no column\\(s\\) visits the model needs"):
        predict(model, pd.DataFrame({"other": [1]}))
    with pytest.raises(ModelInputError, match="explain takes one row"):
        explain(model, pd.DataFrame({"visits": [1, 2]}))
