"""Lift, calibration, PSI drift thresholds and the feature builder, against hand-computed values."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from smarketing.analytics.scoring import (
    EVENT_KINDS,
    ModelInputError,
    ScoringInputError,
    build_features,
    calibration_summary,
    describe,
    drift_check,
    lift_top_decile,
    population_stability_index,
)


def test_psi_hand_computed():
    # Expected median 0.5 splits [0, 0, 1, 1] into halves; actual puts 1/4 and 3/4 there:
    # (0.25 - 0.5) ln(0.25/0.5) + (0.75 - 0.5) ln(0.75/0.5).
    expected = 0.25 * math.log(2) + 0.25 * math.log(1.5)
    assert population_stability_index([0, 0, 1, 1], [0, 1, 1, 1], bins=2) == pytest.approx(expected)
    assert population_stability_index([0.1, 0.5, 0.9] * 10, [0.1, 0.5, 0.9]) == pytest.approx(0.0)


def test_drift_levels_follow_documented_thresholds():
    rng = np.random.default_rng(4)
    train_scores = rng.beta(2, 6, 4000)
    assert drift_check(train_scores, rng.beta(2, 6, 4000)).level == "stable"
    moderate = drift_check(train_scores, rng.beta(2.6, 6, 4000))
    assert 0.1 <= moderate.psi < 0.25 and moderate.level == "moderate" and not moderate.alert
    shifted = drift_check(train_scores, rng.beta(6, 2, 4000))
    assert shifted.level == "significant" and shifted.alert
    assert shifted.to_dict()["thresholds"] == {"moderate": 0.1, "significant": 0.25}
    with pytest.raises(ModelInputError):
        population_stability_index([], [0.5])


def test_lift_and_calibration_hand_computed():
    y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    scores = np.linspace(1, 0, 20)  # the top 2 rows (top decile) are both positive
    assert lift_top_decile(y, scores) == pytest.approx(1.0 / 0.15)
    summary = calibration_summary([0, 1, 0, 1, 1, 1], [0.2, 0.2, 0.4, 0.6, 0.8, 1.0], bins=3)
    assert [(b["mean_predicted"], b["observed_rate"]) for b in summary["bins"]] == [
        (0.2, 0.5),
        (0.5, 0.5),
        (0.9, 1.0),
    ]
    assert summary["ece"] == pytest.approx((2 * 0.3 + 0 + 2 * 0.1) / 6, abs=1e-6)
    with pytest.raises(ModelInputError):
        lift_top_decile([0, 0], [0.1, 0.2])


def test_build_features_hand_computed_with_per_contact_cutoffs():
    contacts = pd.DataFrame(
        {
            "contact_id": ["a", "b", "c"],
            "email": ["x@gmail.com", "y@acme.io", None],
            "seniority": ["vp", "manager", None],
            "employees": [200, None, 40],
            "target_account": [True, False, False],
        }
    )
    t = pd.to_datetime
    touches = pd.DataFrame(
        {
            "contact_id": ["a", "a", "a", "a", "b", "zzz"],
            "occurred_at": t(
                [
                    "2026-01-01",
                    "2026-01-25",
                    "2026-01-30",
                    "2026-03-01",
                    "2026-01-10",
                    "2026-01-10",
                ],
                utc=True,
            ),  # fmt: skip
            "kind": ["page_view", "page_view", "form_submit", "meeting", "email_open", "chat"],
            "url": ["/pricing", "/PRICING/pro", "/demo-request", None, None, None],
            "channel": ["seo", "seo", "paid", "sales", "email", "chat"],
            "campaign": [None, None, "spring", None, "spring", None],
        }
    )
    cutoff = {"a": datetime(2026, 2, 1, tzinfo=UTC), "b": datetime(2026, 1, 10, tzinfo=UTC),
              "c": datetime(2026, 2, 1, tzinfo=UTC)}  # fmt: skip
    f = build_features(contacts, touches, as_of=cutoff).set_index("contact_id")
    assert {f"n_{k}" for k in EVENT_KINDS} <= set(f.columns)
    a = f.loc["a"]
    assert (a["n_page_view"], a["n_form_submit"], a["n_meeting"]) == (2, 1, 0)  # meeting later
    assert (a["n_touches"], a["n_touches_30d"]) == (3, 2)
    assert a["days_since_last_touch"] == 2 and a["days_since_first_touch"] == 31
    assert (a["n_channels"], a["n_campaigns"]) == (2, 1)
    assert (a["n_pricing_views"], a["n_demo_requests"]) == (2, 1)
    assert a["free_email"] == 1.0 and a["seniority"] == "vp" and a["target_account"]
    assert f.loc["b", "n_email_open"] == 1 and f.loc["b", "days_since_last_touch"] == 0
    assert f.loc["b", "free_email"] == 0.0
    assert f.loc["c", "n_touches"] == 0 and np.isnan(f.loc["c", "days_since_last_touch"])
    assert np.isnan(f.loc["c", "free_email"])
    with pytest.raises(ScoringInputError, match="no cut-off time for contact_id c"):
        build_features(contacts, touches, as_of={"a": cutoff["a"], "b": cutoff["b"]})


def test_describe_is_plain_words():
    assert describe("days_since_last_touch", 2.4) == "Last active 2 days ago"
    assert describe("target_account", True) == "Works at a target account"
    assert describe("seniority", "vp") == "Seniority: vp"
    assert describe("employees", 1200.0) == "Company of 1,200 employees"
    assert describe("seniority", None) == "Seniority: unknown"
