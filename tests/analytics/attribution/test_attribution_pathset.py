"""The path format's numpy stage (PathSet) against the engine expressions on the same paths."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from smarketing.analytics.attribution import MODELS, AttributionError, attribute_paths
from smarketing.analytics.attribution.api import _options, run_model
from smarketing.analytics.attribution.pathset import split_paths
from smarketing.analytics.attribution.prepare import Prepared

COLUMNS = ["path", "total_conversions", "total_conversion_value", "total_null"]


def random_paths(seed: int, n: int = 150, channels: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = ["Direct"] + [f"c{i}" for i in range(channels - 1)]
    rows = {}
    for _ in range(n):
        steps = rng.choice(names, size=int(rng.integers(1, 8)))
        conv = int(rng.integers(0, 3)) * int(rng.random() < 0.5)
        c, v, u = rows.get(" > ".join(steps), (0, 0.0, 0))
        rows[" > ".join(steps)] = (c + conv, v + conv * float(rng.integers(1, 90)),
                                   u + int(rng.integers(0, 4)))  # fmt: skip
    return pd.DataFrame([(p, *x) for p, x in rows.items()], columns=COLUMNS)


def engine_prepared(df: pd.DataFrame) -> Prepared:
    """The canonical one-row-per-touch table of the engine route, built by hand."""
    rows = []
    for i, (p, c, v, u) in enumerate(df[COLUMNS].itertuples(index=False)):
        steps = [s.strip() for s in p.split(">")]
        for pos, key in enumerate(steps, start=1):
            rows.append((str(i), pos, len(steps), key, key == "Direct", float(c), float(v),
                         float(u)))  # fmt: skip
    t = pd.DataFrame(rows, columns=["path_id", "pos", "n", "key", "is_direct", "conv", "value",
                                    "nulls"])  # fmt: skip
    table = ibis.memtable(t).mutate(
        age_days=ibis.null("float64"), lead_pos=ibis.null("int64"), opp_pos=ibis.null("int64"),
        won_pos=ibis.null("int64"),
    )  # fmt: skip
    return Prepared(touches=table, no_touch_conversions=0.0, no_touch_value=0.0,
                    has_time=False, by="channel")  # fmt: skip


def same(a, b):
    assert a.total_conversions == b.total_conversions
    assert a.total_value == pytest.approx(b.total_value, rel=1e-12)
    assert [c.key for c in a.credits] == [c.key for c in b.credits]
    for x, y in zip(a.credits, b.credits, strict=True):
        assert x.conversions == pytest.approx(y.conversions, rel=1e-9, abs=1e-9)
        assert x.value == pytest.approx(y.value, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_model_matches_the_engine_route(seed):
    df = random_paths(seed)
    prepared = engine_prepared(df)
    extra = {"custom": {"weights": {"first": 0.3, "middle": 0.3, "last": 0.4},
                        "channel_weights": {"c1": 3.0}}}  # fmt: skip
    for model in MODELS:
        if model == "time_decay":
            continue
        kw = extra.get(model, {})
        fast = attribute_paths(df, model=model, **kw)
        same(fast, run_model(prepared, model, _options(model, **kw)))
    for order in (2, 3, 4):
        fast = attribute_paths(df, model="markov", order=order)
        slow = run_model(prepared, "markov", _options("markov", order=order))
        same(fast, slow)
        assert fast.details["n_states"] == slow.details["n_states"]
        assert fast.details["removal_effects"] == pytest.approx(slow.details["removal_effects"])


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_seeded_bootstrap_matches_the_engine_route(model):
    df = random_paths(5)
    kw = {"intervals": True, "n_boot": 20, "seed": 4}
    fast = attribute_paths(df, model=model, **kw)
    slow = run_model(engine_prepared(df), model, _options(model, **kw))
    assert len(fast.intervals) == len(slow.intervals)
    for a, b in zip(fast.intervals, slow.intervals, strict=True):
        assert a.key == b.key
        assert a.conversions_low == pytest.approx(b.conversions_low, rel=1e-9)
        assert a.share_high == pytest.approx(b.share_high, rel=1e-9)


def test_many_channels_markov_and_shapley_match_the_engine_route():
    df = random_paths(9, n=400, channels=90)
    prepared = engine_prepared(df)
    for model in ("markov", "shapley", "last_non_direct"):
        same(attribute_paths(df, model=model), run_model(prepared, model, _options(model)))


@pytest.mark.parametrize(
    ("paths", "separator", "steps"),
    [
        (["A > B", " B  >  C ", "A"], " > ", [["A", "B"], ["B", "C"], ["A"]]),
        (["A>B", "A >B"], ">", [["A", "B"], ["A", "B"]]),
        (["Ä → Bé", "Bé"], " → ", [["Ä", "Bé"], ["Bé"]]),
        (["x->y", "y"], "->", [["x", "y"], ["y"]]),  # two-character separator: Python route
        (["A > B\tC"], " > ", [["A", "B\tC"]]),
        (["A>B"], " > ", [["A>B"]]),  # the separator needs its spaces; as before
    ],
)
def test_split_paths(paths, separator, steps):
    s = pa.string()
    sliced = pa.array(["zz > zz", *paths, "zz"], type=s).slice(1, len(paths))
    for arr in (pa.array(paths, type=s), pa.array(paths, type=pa.large_string()), sliced,
                pa.chunked_array([pa.array(paths[:1], s), pa.array(paths[1:], s)], s)):  # fmt: skip
        offsets, codes, keys = split_paths(arr, separator)
        got = [[keys[c] for c in codes[offsets[i] : offsets[i + 1]]] for i in range(len(paths))]
        assert got == steps


@pytest.mark.parametrize(
    "bad", ["A > ", " > A", "A >  > B", "A > > B", "", "   ", "A > \t > B", "A >> B", "> A"]
)
def test_split_paths_refuses_empty_steps(bad):
    with pytest.raises(AttributionError, match=r"path row 1 .* empty"):
        split_paths(pa.array(["ok > fine", bad, "C"]), " > ")


def test_null_path_is_an_error():
    with pytest.raises(AttributionError, match="path row 0"):
        split_paths(pa.array([None, "A"], type=pa.string()), " > ")


def test_ibis_table_input_reads_only_the_named_columns():
    df = random_paths(3).assign(extra=1)
    con = ibis.duckdb.connect()
    t = con.create_table("paths", df)
    same(attribute_paths(t, model="markov"), attribute_paths(df, model="markov"))
