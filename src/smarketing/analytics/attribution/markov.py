"""Markov chain attribution (order 1-4) with exact removal effects.

The engine collapses consecutive repeats of a key, builds the states (the last ``order``
keys, fewer at the start of a path) and counts the transitions ``(start) -> state ->
... -> (conversion) | (null)``; only the distinct transitions come back. The absorbing
chain is then solved exactly: with ``Q`` the transient-to-transient probabilities,
``N = (I - Q)^-1`` and ``b = N r`` (``r`` = one-step probabilities into conversion),
removing the set ``K`` of states that contain a channel turns the start's conversion
probability ``b[s]`` into ``b[s] - N[s,K] N[K,K]^-1 b[K]`` (first-passage decomposition:
``N[s,K] = H N[K,K]`` where ``H`` holds the probabilities of entering ``K`` first at each
of its states). For one state this is the classic ``N[s,k] b[k] / (N[k,k] b[s])``
removal effect. Value uses the same chain with ``r`` replaced by the expected value
collected on leaving each state into conversion.

Chains up to :data:`DENSE_MAX_STATES` states use one dense inverse; bigger ones use a
sparse LU solve of the chain without ``K`` for every channel (equally exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.common.exceptions as ibis_exc
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .errors import AttributionError

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
SEP = "\x1f"
DENSE_MAX_STATES = 2500


def _collapsed(t: ir.Table, order: int) -> ir.Table:
    """Rows with consecutive repeats removed and a ``state`` string of the last keys."""
    w = ibis.window(group_by="path_id", order_by="pos")
    t = t.mutate(prev=t.key.lag().over(w))
    t = t.filter(t.prev.isnull() | (t.prev != t.key))
    w2 = ibis.window(group_by="path_id", order_by="pos")
    state = t.key
    for lag in range(1, order):
        state = t.key.lag(lag).over(w2).concat(SEP).fill_null("") + state
    return t.mutate(state=state)


def transition_counts(t: ir.Table, order: int) -> pd.DataFrame:
    """Count the weighted transitions of the chain in the engine.

    Returns a DataFrame with ``src``, ``dst``, ``n`` (paths through the transition; for
    terminal transitions the conversions or nulls) and ``v`` (conversion value, only on
    transitions into ``(conversion)``).
    """
    c = _collapsed(t, order)
    w = ibis.window(group_by="path_id", order_by="pos")
    c = c.mutate(src=c.state.lag().over(w).fill_null(START), last=c.state.lead().over(w).isnull())
    inner = c.select(src=c.src, dst=c.state, n=c.conv + c.nulls, v=ibis.literal(0.0))
    ends = c.filter(c.last)
    to_conv = ends.filter(ends.conv > 0).select(
        src=ends.state, dst=ibis.literal(CONVERSION), n=ends.conv, v=ends.value
    )
    to_null = ends.filter(ends.nulls > 0).select(
        src=ends.state, dst=ibis.literal(NULL), n=ends.nulls, v=ibis.literal(0.0)
    )
    edges = inner.union(to_conv, distinct=False).union(to_null, distinct=False)
    edges = edges.filter(edges.n > 0)
    return edges.group_by(["src", "dst"]).aggregate(n=edges.n.sum(), v=edges.v.sum()).execute()


def path_cells(t: ir.Table) -> pd.DataFrame:
    """Distinct collapsed paths (keys joined by SEP) with conversions, value and nulls.

    Used by the bootstrap, which resamples journeys. Engines without ordered string
    aggregation (SQLite) return the collapsed rows and pandas joins them.
    """
    c = _collapsed(t, 1)
    try:
        agg = c.group_by("path_id").aggregate(
            path=c.key.group_concat(SEP, order_by=c.pos),
            conv=c.conv.max(),
            value=c.value.max(),
            nulls=c.nulls.max(),
        )
        cells = agg.group_by("path").aggregate(
            conv=agg.conv.sum(), value=agg.value.sum(), nulls=agg.nulls.sum()
        )
        out = cells.execute()
    except ibis_exc.UnsupportedOperationError:
        rows = c.select("path_id", "pos", "key", "conv", "value", "nulls").execute()
        rows = rows.sort_values(["path_id", "pos"])
        per = rows.groupby("path_id", sort=False).agg(
            path=("key", SEP.join), conv=("conv", "max"), value=("value", "max"),
            nulls=("nulls", "max"),
        )  # fmt: skip
        out = per.groupby("path", as_index=False)[["conv", "value", "nulls"]].sum()
    # a fixed row order keeps seeded bootstrap draws identical across runs and engines
    return out.sort_values("path", ignore_index=True)


class CellEdges:
    """Transitions of each distinct collapsed path, indexed once for fast resampling."""

    def __init__(self, paths: list[str], order: int) -> None:
        pairs: dict[tuple[str, str], int] = {}
        inner_cell, inner_edge, conv_edge, null_edge = [], [], [], []
        for i, p in enumerate(paths):
            keys = p.split(SEP)
            prev = START
            for j in range(len(keys)):
                state = SEP.join(keys[max(0, j - order + 1) : j + 1])
                inner_cell.append(i)
                inner_edge.append(pairs.setdefault((prev, state), len(pairs)))
                prev = state
            conv_edge.append(pairs.setdefault((prev, CONVERSION), len(pairs)))
            null_edge.append(pairs.setdefault((prev, NULL), len(pairs)))
        self.src = [a for a, _ in pairs]
        self.dst = [b for _, b in pairs]
        self.inner_cell = np.asarray(inner_cell, dtype=np.int64)
        self.inner_edge = np.asarray(inner_edge, dtype=np.int64)
        self.conv_edge = np.asarray(conv_edge, dtype=np.int64)
        self.null_edge = np.asarray(null_edge, dtype=np.int64)

    def edges(self, conv: np.ndarray, value: np.ndarray, nulls: np.ndarray) -> pd.DataFrame:
        """Edge counts for the given per-cell conversions, value and nulls."""
        k = len(self.src)
        n = np.bincount(self.inner_edge, weights=(conv + nulls)[self.inner_cell], minlength=k)
        n += np.bincount(self.conv_edge, weights=conv, minlength=k)
        n += np.bincount(self.null_edge, weights=nulls, minlength=k)
        v = np.bincount(self.conv_edge, weights=value, minlength=k)
        return pd.DataFrame({"src": self.src, "dst": self.dst, "n": n, "v": v})


@dataclass(frozen=True)
class MarkovFit:
    """Removal effects of each channel (conversions and value) and the base probability."""

    removal_effects: dict[str, float]
    removal_effects_value: dict[str, float]
    conversion_probability: float
    n_states: int


def _channels_of(state: str) -> set[str]:
    return set(state.split(SEP))


def solve(edges: pd.DataFrame) -> MarkovFit:
    """Solve the absorbing chain given by ``edges`` and return exact removal effects."""
    edges = edges[edges["n"] > 0]
    if edges.empty:
        raise AttributionError("there are no paths to build a Markov chain from")
    transient = sorted(set(edges["src"]) | (set(edges["dst"]) - {CONVERSION, NULL}))
    if START not in transient:
        raise AttributionError("no transition leaves the start state")
    index = {s: i for i, s in enumerate(transient)}
    m = len(transient)
    src = edges["src"].map(index).to_numpy()
    out = np.bincount(src, weights=edges["n"].to_numpy(float), minlength=m)
    if np.any(out <= 0):
        raise AttributionError("a Markov state has no outgoing transition")
    is_inner = ~edges["dst"].isin([CONVERSION, NULL]).to_numpy()
    to_conv = (edges["dst"] == CONVERSION).to_numpy()
    dst_inner = edges["dst"][is_inner].map(index).to_numpy()
    q_vals = edges["n"].to_numpy(float)[is_inner] / out[src[is_inner]]
    r = np.bincount(src[to_conv], weights=edges["n"].to_numpy(float)[to_conv], minlength=m) / out
    rv = np.bincount(src[to_conv], weights=edges["v"].to_numpy(float)[to_conv], minlength=m) / out

    channels = sorted(set().union(*(_channels_of(s) for s in transient if s != START)))
    members = {ch: [] for ch in channels}
    for s, i in index.items():
        if s != START:
            for ch in _channels_of(s):
                members[ch].append(i)
    s0 = index[START]
    if m <= DENSE_MAX_STATES:
        q = np.zeros((m, m))
        np.add.at(q, (src[is_inner], dst_inner), q_vals)
        n_mat = np.linalg.inv(np.eye(m) - q)
        b, bv = n_mat @ r, n_mat @ rv

        def lost(k_idx: list[int], vec: np.ndarray, rhs: np.ndarray) -> float:
            k_idx = np.asarray(k_idx)
            h = np.linalg.solve(n_mat[np.ix_(k_idx, k_idx)].T, n_mat[s0, k_idx])
            return float(h @ vec[k_idx])
    else:
        from scipy.sparse import csc_matrix, identity
        from scipy.sparse.linalg import splu

        q = csc_matrix((q_vals, (src[is_inner], dst_inner)), shape=(m, m))
        a = (identity(m, format="csc") - q).tocsc()
        lu = splu(a)
        b, bv = lu.solve(r), lu.solve(rv)

        def lost(k_idx: list[int], vec: np.ndarray, rhs: np.ndarray) -> float:
            keep = np.ones(m, bool)
            keep[k_idx] = False
            sub = splu(a[keep][:, keep].tocsc())
            pos = int(np.count_nonzero(keep[:s0]))
            return float(vec[s0] - sub.solve(rhs[keep])[pos])

    base, base_v = float(b[s0]), float(bv[s0])
    re, re_v = {}, {}
    for ch in channels:
        re[ch] = lost(members[ch], b, r) / base if base > 0 else 0.0
        re_v[ch] = lost(members[ch], bv, rv) / base_v if base_v > 0 else 0.0
    return MarkovFit(
        removal_effects=re, removal_effects_value=re_v, conversion_probability=base, n_states=m
    )
