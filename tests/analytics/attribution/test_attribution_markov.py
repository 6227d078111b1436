"""Markov chain attribution: published removal-effect examples and exactness checks."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from attribution_data import generated

from smarketing.analytics.attribution import attribute, attribute_paths, markov


def paths(rows):
    return pd.DataFrame(rows, columns=["path", "total_conversions", "total_conversion_value",
                                       "total_null"])  # fmt: skip


def test_bryl_three_path_example():
    """S. Bryl, "Marketing Multi-Channel Attribution model with R (part 1: Markov chains
    concept)", analyzecore.com, 2016-08-03: C1>C2>C3 converts, C1 and C2>C3 do not.
    P(conversion) = 1/3; removal effects C1 0.5, C2 1, C3 1 -> shares 0.2, 0.4, 0.4."""
    r = attribute_paths(
        paths([("C1 > C2 > C3", 1, 10.0, 0), ("C1", 0, 0.0, 1), ("C2 > C3", 0, 0.0, 1)]),
        model="markov",
    )
    assert r.details["conversion_probability"] == pytest.approx(1 / 3)
    assert r.details["removal_effects"] == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    assert {c.key: c.share for c in r.credits} == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    assert r.credit("C2").value == pytest.approx(4.0)


def test_puzyrov_removal_effect_example():
    """S. Puzyrov, "Markov Chain Attribution - Simple Explanation Of Removal Effect",
    serhiipuzyrov.com, 2019-07: Google Ads x2 conv, Mailing 1 conv, Google Ads > Mailing
    1 conv, Google Ads 1 null. P = 0.8; removal effects 0.75 and 0.5 -> 2.4 and 1.6."""
    r = attribute_paths(
        paths([("google ads", 2, 0, 1), ("mailing", 1, 0, 0), ("google ads > mailing", 1, 0, 0)]),
        model="markov",
    )
    assert r.details["conversion_probability"] == pytest.approx(0.8)
    assert r.details["removal_effects"] == pytest.approx({"google ads": 0.75, "mailing": 0.5})
    assert r.credit("google ads").conversions == pytest.approx(2.4)
    assert r.credit("mailing").conversions == pytest.approx(1.6)


def _brute_removal(edges: pd.DataFrame, channel: str) -> tuple[float, float]:
    """Conversion probability with and without ``channel`` by plain linear solves."""
    states = sorted(set(edges.src) | set(edges.dst) - {markov.CONVERSION, markov.NULL})
    idx = {s: i for i, s in enumerate(states)}
    out = edges.groupby("src")["n"].sum()
    q = np.zeros((len(states), len(states)))
    r = np.zeros(len(states))
    for s, d, n in zip(edges.src, edges.dst, edges.n, strict=True):
        p = n / out[s]
        if d == markov.CONVERSION:
            r[idx[s]] += p
        elif d != markov.NULL:
            q[idx[s], idx[d]] += p
    base = np.linalg.solve(np.eye(len(states)) - q, r)[idx[markov.START]]
    keep = [i for s, i in idx.items() if channel not in s.split(markov.SEP)]
    sub = np.linalg.solve(np.eye(len(keep)) - q[np.ix_(keep, keep)], r[keep])
    return base, sub[keep.index(idx[markov.START])]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_removal_effects_match_restricted_chain_solve(order):
    tp, cv = generated(seed=3, journeys=200)
    r = attribute(tp, cv, model="markov", order=order, conversion_kind="deal_won")
    prep_edges = markov.transition_counts(
        __import__("smarketing.analytics.attribution.prepare", fromlist=["x"]).prepare_touches(
            tp, cv, by="channel", conversion_kind="deal_won", lookback_days=90,
            direct_channel="Direct", milestones=False,
        ).touches,
        order,
    )  # fmt: skip
    for ch, re in r.details["removal_effects"].items():
        base, without = _brute_removal(prep_edges, ch)
        assert re == pytest.approx(1 - without / base, abs=1e-10)
    assert sum(c.conversions for c in r.credits) == pytest.approx(r.total_conversions)


def test_sparse_path_matches_dense(monkeypatch):
    tp, cv = generated(seed=5, journeys=150)
    dense = attribute(tp, cv, model="markov", order=2, conversion_kind="deal_won")
    monkeypatch.setattr(markov, "DENSE_MAX_STATES", 1)
    sparse = attribute(tp, cv, model="markov", order=2, conversion_kind="deal_won")
    for a, b in itertools.zip_longest(dense.credits, sparse.credits):
        assert a.key == b.key
        assert a.conversions == pytest.approx(b.conversions, abs=1e-9)
        assert a.value == pytest.approx(b.value, abs=1e-6)


def test_consecutive_repeats_collapse():
    a = attribute_paths(paths([("A > A > B", 1, 0, 0), ("A", 0, 0, 1)]), model="markov", order=2)
    b = attribute_paths(paths([("A > B", 1, 0, 0), ("A", 0, 0, 1)]), model="markov", order=2)
    assert a.details["removal_effects"] == pytest.approx(b.details["removal_effects"])


def test_higher_order_removes_every_state_with_the_channel():
    # order 2: states A, A>B, B, B>C ... removing B kills A>B, B and B>C alike.
    r = attribute_paths(
        paths([("A > B > C", 2, 0, 0), ("A > C", 1, 0, 1), ("B", 0, 0, 3)]), model="markov",
        order=2,
    )  # fmt: skip
    # with B removed only A > C survives: P = (3/7 of starts at A) ... checked by brute force.
    assert r.details["removal_effects"]["B"] == pytest.approx(2 / 3)
    assert sum(c.conversions for c in r.credits) == pytest.approx(3)


def test_bootstrap_intervals_are_seeded_and_cover_the_estimate():
    tp, cv = generated(seed=11, journeys=300)
    kw = {
        "model": "markov",
        "conversion_kind": "deal_won",
        "intervals": True,
        "n_boot": 30,
        "seed": 1,
    }
    r1, r2 = attribute(tp, cv, **kw), attribute(tp, cv, **kw)
    assert r1.intervals == r2.intervals and r1.confidence == 0.9
    for i in r1.intervals:
        est = r1.credit(i.key).conversions
        assert i.conversions_low <= i.conversions_high
        assert i.conversions_low - 5 <= est <= i.conversions_high + 5
    assert "intervals" in r1.to_dict()
