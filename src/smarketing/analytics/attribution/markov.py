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

The aggregated path format skips the engine: :class:`PathChains` builds the states and
transitions of its distinct paths with vectorised numpy (see :mod:`.pathset`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # Ibis loads where an expression is built: a path file needs none
    import ibis.expr.types as ir

from .errors import AttributionError
from .pathset import PathSet

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
SEP = "\x1f"
DENSE_MAX_STATES = 2500


def _collapsed(t: ir.Table, order: int) -> ir.Table:
    """Rows with consecutive repeats removed and a ``state`` string of the last keys."""
    import ibis

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
    import ibis

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
    import ibis.common.exceptions as ibis_exc

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


@dataclass(frozen=True)
class Chain:
    """Weighted transitions between integer states.

    ``dst`` is a transient state index, :data:`TO_CONVERSION` or :data:`TO_NULL`;
    ``member_state``/``member_channel`` list which channels (indexes into ``channels``)
    each state holds. States without a positive transition are dropped by :func:`solve`.
    """

    src: np.ndarray
    dst: np.ndarray
    n: np.ndarray
    v: np.ndarray
    n_states: int
    start: int
    member_state: np.ndarray
    member_channel: np.ndarray
    channels: tuple[str, ...]


TO_CONVERSION, TO_NULL = -1, -2


def _chain_from_edges(edges: pd.DataFrame) -> Chain:
    """Chain of the string-labelled transitions counted by the engine."""
    transient = sorted(set(edges["src"]) | (set(edges["dst"]) - {CONVERSION, NULL}))
    index = {s: i for i, s in enumerate(transient)}
    index.update({CONVERSION: TO_CONVERSION, NULL: TO_NULL})
    channels = sorted(set().union(*(set(s.split(SEP)) for s in transient if s != START)))
    ch_index = {c: i for i, c in enumerate(channels)}
    pairs = [(index[s], ch_index[c]) for s in transient if s != START for c in set(s.split(SEP))]
    ms, mc = (np.asarray(x, dtype=np.int64) for x in zip(*pairs, strict=True)) if pairs else (
        np.zeros(0, np.int64), np.zeros(0, np.int64))  # fmt: skip
    return Chain(
        src=edges["src"].map(index).to_numpy(np.int64),
        dst=edges["dst"].map(index).to_numpy(np.int64),
        n=edges["n"].to_numpy(float),
        v=edges["v"].to_numpy(float),
        n_states=len(transient),
        start=index.get(START, -3),
        member_state=ms,
        member_channel=mc,
        channels=tuple(channels),
    )


def _dense_unique(values: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for integers in ``[0, space)``.

    A lookup table (linear time) when the space is small, a sort otherwise.
    """
    if space > 1 << 26:
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.reshape(-1)
    seen = np.zeros(space, dtype=bool)
    seen[values] = True
    uniq = np.flatnonzero(seen)
    lookup = np.zeros(space, dtype=np.int64)
    lookup[uniq] = np.arange(len(uniq))
    return uniq, lookup[values]


class PathChains:
    """States and transitions of a set of paths, indexed once; weights given per call.

    The paths (CSR ``offsets``/``codes`` into ``keys``) are collapsed (consecutive repeats
    removed); a state is the tuple of the last ``order`` keys (fewer at the start), coded
    as one integer. :meth:`chain` turns per-path conversions, value and nulls into a
    :class:`Chain` with a few ``bincount`` calls, so the bootstrap refits cheaply.
    """

    def __init__(self, keys, offsets: np.ndarray, codes: np.ndarray, order: int) -> None:
        self.n_paths = len(offsets) - 1
        self.keys = tuple(keys)
        if order == 1:
            self._first_order(offsets, codes)
        else:
            self._higher_order(offsets, codes, order)

    def _first_order(self, offsets: np.ndarray, codes: np.ndarray) -> None:
        """Order 1: a state is a key, so the raw steps give the transitions directly.

        The collapsed path's transitions are the raw pairs of different consecutive keys,
        plus ``(start) -> first key``; no collapsed copy is built.
        """
        k = len(self.keys)
        n_states = k + 1
        wide = np.int32 if n_states * n_states < 2**31 else np.int64
        prev = np.empty(len(codes), dtype=wide)
        prev[1:] = codes[:-1]
        prev[offsets[:-1]] = k
        moves = np.flatnonzero(prev != codes)
        edge = prev[moves] * wide(n_states) + codes[moves]
        self.pid = np.repeat(np.arange(self.n_paths, dtype=np.int32), np.diff(offsets))[moves]
        self._set_edges(edge, n_states * n_states, n_states)
        self.last = codes[offsets[1:] - 1].astype(np.int64)
        self.member_state = self.member_channel = np.arange(k)
        self.n_states, self.start = n_states, k

    def _higher_order(self, offsets: np.ndarray, codes: np.ndarray, order: int) -> None:
        """A state is the tuple of the last ``order`` keys of the collapsed path."""
        n_paths = self.n_paths
        keep = np.ones(len(codes), dtype=bool)
        keep[1:] = codes[1:] != codes[:-1]
        keep[offsets[:-1][np.diff(offsets) > 0]] = True
        cc = codes[keep].astype(np.int64)
        clen = np.add.reduceat(keep.astype(np.int64), offsets[:-1]) if n_paths else keep[:0]
        coff = np.zeros(n_paths + 1, dtype=np.int64)
        np.cumsum(clen, out=coff[1:])
        self.pid = np.repeat(np.arange(n_paths), clen)
        pos = np.arange(len(cc), dtype=np.int64) - coff[:-1][self.pid]
        base = len(self.keys) + 1
        cols = []
        for lag in range(order):
            shifted = np.zeros(len(cc), dtype=np.int64)
            shifted[lag:] = cc[: len(cc) - lag] + 1
            cols.append(np.where(pos >= lag, shifted, 0))
        if base**order < 2**62:
            sid = cols[0]
            for lag in range(1, order):
                sid = sid + cols[lag] * base**lag
            uniq, state = _dense_unique(sid, base**order)
            table = np.stack([(uniq // base**lag) % base for lag in range(order)], axis=1)
        else:
            table, state = np.unique(np.stack(cols, axis=1), axis=0, return_inverse=True)
        state = state.reshape(-1)
        n_states = len(table) + 1
        start = n_states - 1
        prev = np.empty_like(state)
        prev[1:] = state[:-1]
        src = np.where(pos == 0, start, prev)
        if n_states**2 < 2**62:
            self._set_edges(src * n_states + state, n_states**2, n_states)
        else:  # pragma: no cover - beyond 2**31 states
            uniq_edges, self.edge = np.unique(np.stack([src, state], 1), axis=0,
                                              return_inverse=True)  # fmt: skip
            self.edge_space = None
            self.edge_src, self.edge_dst = uniq_edges[:, 0], uniq_edges[:, 1]
        self.last = state[coff[1:] - 1] if len(cc) else np.zeros(0, np.int64)
        ms = np.repeat(np.arange(len(table)), order)
        mc = table.reshape(-1) - 1
        pairs = np.unique(ms[mc >= 0] * base + mc[mc >= 0])
        self.member_state, self.member_channel = pairs // base, pairs % base
        self.n_states, self.start = n_states, start

    def _set_edges(self, edge: np.ndarray, space: int, n_states: int) -> None:
        """Keep edge keys as they are when their space is small (bincount), else compress."""
        if space <= 1 << 24:
            self.edge, self.edge_space = edge, space
            self.edge_src = self.edge_dst = None
        else:
            uniq, self.edge = _dense_unique(edge, space)
            self.edge_space = None
            self.edge_src, self.edge_dst = uniq // n_states, uniq % n_states

    def chain(self, conv: np.ndarray, value: np.ndarray, nulls: np.ndarray) -> Chain:
        """Transitions weighted by the paths' conversions + nulls; terminal edges split."""
        s = self.n_states - 1
        weight = (conv + nulls)[self.pid]
        if self.edge_space is not None:
            inner = np.bincount(self.edge, weights=weight, minlength=self.edge_space)
            edge_id = np.flatnonzero(inner)
            inner = inner[edge_id]
            edge_src, edge_dst = edge_id // self.n_states, edge_id % self.n_states
        else:
            inner = np.bincount(self.edge, weights=weight, minlength=len(self.edge_src))
            edge_src, edge_dst = self.edge_src, self.edge_dst
        converting = conv > 0
        to_conv = np.bincount(self.last, weights=np.where(converting, conv, 0.0), minlength=s)
        to_value = np.bincount(self.last, weights=np.where(converting, value, 0.0), minlength=s)
        to_null = np.bincount(self.last, weights=nulls, minlength=s)
        states = np.arange(s)
        return Chain(
            src=np.concatenate([edge_src, states, states]),
            dst=np.concatenate([edge_dst, np.full(s, TO_CONVERSION), np.full(s, TO_NULL)]),
            n=np.concatenate([inner, to_conv, to_null]),
            v=np.concatenate([np.zeros(len(inner)), to_value, np.zeros(s)]),
            n_states=self.n_states,
            start=self.start,
            member_state=self.member_state,
            member_channel=self.member_channel,
            channels=self.keys,
        )


def solve(edges: pd.DataFrame | Chain) -> MarkovFit:
    """Solve the absorbing chain (engine edges or a :class:`Chain`); exact removal effects."""
    chain = edges if isinstance(edges, Chain) else _chain_from_edges(edges[edges["n"] > 0])
    keep = chain.n > 0
    src_all, dst_all = chain.src[keep], chain.dst[keep]
    n_all, v_all = chain.n[keep], chain.v[keep]
    if not len(src_all):
        raise AttributionError("there are no paths to build a Markov chain from")
    used = np.unique(np.concatenate([src_all, dst_all[dst_all >= 0]]))
    if chain.start not in used:
        raise AttributionError("no transition leaves the start state")
    m = len(used)
    remap = np.full(chain.n_states, -1, dtype=np.int64)
    remap[used] = np.arange(m)
    src = remap[src_all]
    out = np.bincount(src, weights=n_all, minlength=m)
    if np.any(out <= 0):
        raise AttributionError("a Markov state has no outgoing transition")
    is_inner = dst_all >= 0
    to_conv = dst_all == TO_CONVERSION
    dst_inner = remap[dst_all[is_inner]]
    q_vals = n_all[is_inner] / out[src[is_inner]]
    r = np.bincount(src[to_conv], weights=n_all[to_conv], minlength=m) / out
    rv = np.bincount(src[to_conv], weights=v_all[to_conv], minlength=m) / out

    state = remap[chain.member_state]
    live = state >= 0
    state, channel = state[live], chain.member_channel[live]
    order = np.argsort(channel, kind="stable")
    state, channel = state[order], channel[order]
    present, first = np.unique(channel, return_index=True)
    groups = np.split(state, first[1:])
    members = dict(zip((chain.channels[c] for c in present), groups, strict=True))
    channels = sorted(members)
    s0 = int(remap[chain.start])
    if m <= DENSE_MAX_STATES:
        q = np.zeros((m, m))
        np.add.at(q, (src[is_inner], dst_inner), q_vals)
        n_mat = np.linalg.inv(np.eye(m) - q)
        b, bv = n_mat @ r, n_mat @ rv

        def lost(k_idx: np.ndarray, vec: np.ndarray, rhs: np.ndarray) -> float:
            h = np.linalg.solve(n_mat[np.ix_(k_idx, k_idx)].T, n_mat[s0, k_idx])
            return float(h @ vec[k_idx])
    else:
        from scipy.sparse import csc_matrix, identity
        from scipy.sparse.linalg import splu

        q = csc_matrix((q_vals, (src[is_inner], dst_inner)), shape=(m, m))
        a = (identity(m, format="csc") - q).tocsc()
        lu = splu(a)
        b, bv = lu.solve(r), lu.solve(rv)

        def lost(k_idx: np.ndarray, vec: np.ndarray, rhs: np.ndarray) -> float:
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


def collapsed_cells(
    ps: PathSet,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct collapsed paths with summed conversions, value and nulls (bootstrap cells).

    Sorted like the engine's cells (by the keys joined with :data:`SEP`), so seeded
    bootstrap draws do not depend on where the paths came from. Returns CSR ``offsets``,
    ``codes`` and per-cell ``conv``, ``value``, ``nulls``.
    """
    codes, offsets = ps.codes, ps.offsets
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = codes[1:] != codes[:-1]
    keep[offsets[:-1]] = True
    cc = codes[keep].astype(np.int64)
    clen = np.add.reduceat(keep.astype(np.int64), offsets[:-1])
    starts = np.zeros(len(clen), dtype=np.int64)
    np.cumsum(clen[:-1], out=starts[1:])
    bits = max(1, int(len(ps.keys) + 1).bit_length())
    per_word = 63 // bits
    longest = int(clen.max())
    words = -(-longest // per_word)
    if len(clen) * words > 50_000_000:  # pragma: no cover - pathological path lengths
        return _cells_python(cc, starts, clen, ps)
    packed = np.zeros((len(clen), words), dtype=np.int64)
    by_len = np.argsort(-clen, kind="stable")
    sorted_len = clen[by_len]
    for j in range(longest):
        k = int(np.searchsorted(-sorted_len, -j, side="left"))  # paths longer than j
        rows = by_len[:k]
        shift = bits * (per_word - 1 - j % per_word)
        packed[rows, j // per_word] |= (cc[starts[rows] + j] + 1) << shift
    order = np.lexsort(packed.T[::-1])
    packed = packed[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = np.any(packed[1:] != packed[:-1], axis=1)
    cell = np.cumsum(new) - 1
    cell_of_path = np.empty(len(order), dtype=np.int64)
    cell_of_path[order] = cell
    reps = order[new]
    n_cells = len(reps)
    sums = [np.bincount(cell_of_path, weights=x, minlength=n_cells)
            for x in (ps.conv, ps.value, ps.nulls)]  # fmt: skip
    off = np.zeros(n_cells + 1, dtype=np.int64)
    np.cumsum(clen[reps], out=off[1:])
    take = np.repeat(starts[reps] - off[:-1], clen[reps]) + np.arange(off[-1])
    return off, cc[take], *sums


def _cells_python(cc, starts, clen, ps):  # pragma: no cover - pathological path lengths
    cells: dict[tuple, list[float]] = {}
    for i, (s, n) in enumerate(zip(starts.tolist(), clen.tolist(), strict=True)):
        acc = cells.setdefault(tuple(cc[s : s + n].tolist()), [0.0, 0.0, 0.0])
        acc[0] += ps.conv[i]
        acc[1] += ps.value[i]
        acc[2] += ps.nulls[i]
    items = sorted(cells.items())
    lens = np.asarray([len(k) for k, _ in items], dtype=np.int64)
    off = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    flat = np.asarray([c for k, _ in items for c in k], dtype=np.int64)
    sums = np.asarray([v for _, v in items], dtype=float).reshape(-1, 3)
    return off, flat, sums[:, 0], sums[:, 1], sums[:, 2]
