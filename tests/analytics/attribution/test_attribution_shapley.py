"""Shapley attribution: Zhao et al. (2018) closed form against brute-force enumeration."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
import pytest

from smarketing.analytics.attribution import attribute_paths
from smarketing.analytics.attribution.shapley import closed_form


def brute_shapley(r: dict[frozenset, float]) -> dict[str, float]:
    """Shapley by the textbook formula with Zhao's worth v(S) = sum_{T subset S} R(T)."""
    players = sorted(set().union(*r))
    n = len(players)

    def v(s):
        return sum(val for t, val in r.items() if t <= s)

    phi = {}
    for j in players:
        others = [p for p in players if p != j]
        total = 0.0
        for k in range(n):
            for s in itertools.combinations(others, k):
                s = frozenset(s)
                weight = factorial(k) * factorial(n - k - 1) / factorial(n)
                total += weight * (v(s | {j}) - v(s))
        phi[j] = total
    return phi


def test_closed_form_equals_enumeration_on_the_three_channel_example():
    # Coalition conversion ratios of the classic Facebook / Organic / LinkedIn example used
    # to illustrate Zhao et al.'s worth function (worth of the grand coalition = 1.0).
    ratios = {
        frozenset("F"): 0.20, frozenset("O"): 0.10, frozenset("L"): 0.17,
        frozenset("FO"): 0.17, frozenset("FL"): 0.30, frozenset("LO"): 0.0,
        frozenset("FLO"): 0.06,
    }  # fmt: skip
    brute = brute_shapley(ratios)
    assert brute == pytest.approx({"F": 0.455, "O": 0.205, "L": 0.34})
    keys = ["F", "L", "O"]
    members = [[keys.index(c) for c in sorted(s)] for s in ratios]
    phi, _ = closed_form(members, 3, np.array(list(ratios.values())), np.zeros(len(ratios)))
    assert dict(zip(keys, phi, strict=True)) == pytest.approx(brute)


def test_engine_shapley_matches_enumeration_on_random_paths():
    rng = np.random.default_rng(0)
    chans = list("ABCDEF")
    rows = []
    for _ in range(60):
        k = int(rng.integers(1, 5))
        p = " > ".join(rng.choice(chans, size=k))
        rows.append(
            (p, int(rng.integers(0, 4)), float(rng.integers(0, 9)), int(rng.integers(0, 3)))
        )
    df = pd.DataFrame(rows, columns=["path", "total_conversions", "total_conversion_value",
                                     "total_null"])  # fmt: skip
    r = attribute_paths(df, model="shapley")
    sets: dict[frozenset, float] = {}
    vals: dict[frozenset, float] = {}
    for p, c, v, _ in rows:
        s = frozenset(x.strip() for x in p.split(">"))
        sets[s] = sets.get(s, 0) + c
        vals[s] = vals.get(s, 0) + v
    expected = brute_shapley(sets)
    expected_v = brute_shapley(vals)
    for key in expected:
        assert r.credit(key).conversions == pytest.approx(expected[key])
        assert r.credit(key).value == pytest.approx(expected_v[key])


def test_many_channels_are_never_dropped():
    # 130 channels (three 62-bit words): every channel in a converting set gets credit,
    # whatever its name sorts to.
    names = [f"ch{i:03d}" for i in range(130)]
    big = " > ".join(names)
    df = pd.DataFrame({"path": [big, "zz_last"], "total_conversions": [130, 1]})
    r = attribute_paths(df, model="shapley", value_column=None, nulls_column=None)
    assert r.credit("zz_last").conversions == pytest.approx(1.0)
    assert all(r.credit(n).conversions == pytest.approx(1.0) for n in names)
    assert r.total_conversions == 131


def test_shapley_bootstrap_intervals():
    df = pd.DataFrame(
        {"path": ["A", "A > B", "B", "C"], "total_conversions": [10, 20, 5, 0],
         "total_conversion_value": [1.0, 2.0, 3.0, 0.0], "total_null": [50, 40, 60, 30]}
    )  # fmt: skip
    r = attribute_paths(df, model="shapley", intervals=True, n_boot=50, seed=3)
    iv = {i.key: i for i in r.intervals}
    assert iv["A"].conversions_low <= r.credit("A").conversions <= iv["A"].conversions_high
    assert iv["C"].conversions_high == 0.0
