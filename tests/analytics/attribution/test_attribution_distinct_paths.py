"""The engine's aggregation of touches to distinct paths (Markov and Shapley inputs)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from attribution_data import generated, ts

from smarketing.analytics.attribution import attribute
from smarketing.analytics.attribution import prepare as prep


def prepared(tp, cv, **kw):
    return prep.prepare_touches(
        tp, cv, by="channel", conversion_kind="deal_won", lookback_days=kw.get("lookback", 90),
        direct_channel="Direct", milestones=False,
    )  # fmt: skip


def as_tuples(ps):
    """Every distinct path as (key names..., conv, value, nulls), engine-independent."""
    out = []
    for i in range(ps.n_paths):
        keys = tuple(ps.keys[c] for c in ps.codes[ps.offsets[i] : ps.offsets[i + 1]])
        out.append((keys, ps.conv[i], ps.value[i], ps.nulls[i]))
    return sorted(out)


def test_sorted_array_route_equals_ordered_concat(monkeypatch):
    """Spark's route (sort an array of touch structs) gives DuckDB's ordered string_agg paths."""
    tp, cv = generated(seed=3, journeys=150)
    con = ibis.duckdb.connect()
    # ibis writes lambdas as ``x -> ...``, which DuckDB 2 only accepts with this setting
    con.raw_sql("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    tp, cv = con.create_table("tp", tp), con.create_table("cv", cv)
    expected = as_tuples(prep.distinct_paths(prepared(tp, cv)))

    def unsupported(j, order):
        raise ibis.common.exceptions.UnsupportedOperationError("no ordered aggregation here")

    monkeypatch.setattr(prep, "_ordered_concat", unsupported)
    got = as_tuples(prep.distinct_paths(prepared(tp, cv)))
    assert [g[0] for g in got] == [e[0] for e in expected]
    np.testing.assert_allclose([g[1:] for g in got], [e[1:] for e in expected])


def test_keys_seen_only_outside_every_window_are_not_states():
    """A channel whose touches all fall outside the lookback window (or after the conversion)
    is not a Markov state nor a Shapley player, although the touch table holds it."""
    tp = pd.DataFrame(
        {"journey_id": ["a", "a", "a", "b", "b"],
         "occurred_at": [ts(0), ts(50), ts(60), ts(100), ts(104)],
         "channel": ["Old", "Ads", "Late", "Ads", "Email"]}
    )  # fmt: skip
    cv = pd.DataFrame(
        {"journey_id": ["a"], "kind": ["deal_won"], "occurred_at": [ts(55)], "value": [10.0]}
    )
    ps = prep.distinct_paths(prepared(tp, cv, lookback=30))
    assert ps.keys == ("Ads", "Email")
    assert as_tuples(ps) == [(("Ads",), 1.0, 10.0, 0.0), (("Ads", "Email"), 0.0, 0.0, 1.0)]
    for model in ("markov", "shapley"):
        r = attribute(tp, cv, model=model, lookback_days=30)
        assert {c.key for c in r.credits} <= {"Ads", "Email"}
        assert sum(c.conversions for c in r.credits) == pytest.approx(1.0)
    markov = attribute(tp, cv, model="markov", lookback_days=30)
    assert set(markov.details["removal_effects"]) == {"Ads", "Email"}
