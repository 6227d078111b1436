"""Comparison with the PyPI peers ChannelAttribution (skipped when not installed)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from smarketing.analytics.attribution import attribute_paths

ca = pytest.importorskip("ChannelAttribution")


def random_paths(seed=0, n=400):
    rng = np.random.default_rng(seed)
    chans = [f"c{i}" for i in range(6)]
    rows = {}
    for _ in range(n):
        p = " > ".join(
            rng.choice(chans, size=int(rng.integers(1, 6)), p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
        )
        conv = int(rng.random() < 0.3)
        c, v, u = rows.get(p, (0, 0.0, 0))
        rows[p] = (c + conv, v + conv * float(rng.integers(1, 100)), u + 1 - conv)
    return pd.DataFrame(
        [(p, *x) for p, x in rows.items()],
        columns=["path", "total_conversions", "total_conversion_value", "total_null"],
    )


def quiet(fn, *a, **kw):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*a, **kw)


def test_heuristics_match_channelattribution_exactly():
    df = random_paths()
    peer = quiet(ca.heuristic_models, df, "path", "total_conversions",
                 var_value="total_conversion_value", sep=">", flg_pro=False)  # fmt: skip
    peer = peer.set_index("channel_name")
    for ours, theirs in (("first_touch", "first_touch"), ("last_touch", "last_touch"),
                         ("linear", "linear_touch")):  # fmt: skip
        r = attribute_paths(df, model=ours)
        for ch in peer.index:
            assert r.credit(ch).conversions == pytest.approx(
                peer.loc[ch, f"{theirs}_conversions"], abs=1e-6
            )
            assert r.credit(ch).value == pytest.approx(peer.loc[ch, f"{theirs}_value"], abs=1e-6)


def test_markov_matches_channelattribution_within_simulation_noise():
    df = random_paths(seed=1)
    r = attribute_paths(df, model="markov")
    # ChannelAttribution simulates the chain and, by default, cuts every simulated path at
    # the longest path in the data (max_step), which biases removal effects downwards;
    # with a long max_step it agrees with the exact solution within its simulation noise.
    out = quiet(ca.markov_model, df, "path", "total_conversions", var_null="total_null",
                order=1, sep=">", seed=0, out_more=True, flg_pro=False, max_step=200)  # fmt: skip
    res = out["result"].set_index("channel_name")
    rem = out["removal_effects"].set_index("channel_name")
    for ch in res.index:
        assert r.credit(ch).conversions == pytest.approx(res.loc[ch, "total_conversions"], rel=0.05)
        assert r.details["removal_effects"][ch] == pytest.approx(
            rem.loc[ch, "removal_effect"], rel=0.05
        )
    short = quiet(ca.markov_model, df, "path", "total_conversions", var_null="total_null",
                  order=1, sep=">", seed=0, out_more=True, flg_pro=False)  # fmt: skip
    short_re = short["removal_effects"].set_index("channel_name")["removal_effect"]
    assert all(short_re[ch] < r.details["removal_effects"][ch] for ch in short_re.index)
