"""Shapley value attribution with the closed form of Zhao et al. (2018).

Zhao, Mahboobi and Bagheri, "Shapley Value Methods for Attribution Modeling in Online
Advertising" (arXiv:1804.05327) take as worth of a coalition ``S`` of channels
``v(S) = sum over T subset of S of R(T)``, where ``R(T)`` is the conversions (or value)
of the journeys whose set of distinct channels is exactly ``T``. The Shapley value then
has the closed form ``phi_j = sum over T containing j of R(T) / |T|``: a sum over the
channel sets that occur in the data only, so it is exact for any number of channels
(no coalition is ever cut; no approximation is needed). The engine computes the channel
set of every path as a bitmask (62 channels per integer word, as many words as needed),
so only one row per distinct channel set comes back. The aggregated path format builds
the same bitmasks with numpy over its distinct paths (:func:`path_coalitions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # Ibis loads where an expression is built: a path file needs none
    import ibis.expr.types as ir

from .pathset import PathSet

BITS_PER_WORD = 62


def coalition_counts(t: ir.Table, keys: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Distinct channel sets with their conversions, value, nulls (engine-side).

    Returns the DataFrame (columns ``w0..wK``, ``conv``, ``value``, ``nulls``) and the
    names of the word columns.
    """
    import ibis

    words = (len(keys) + BITS_PER_WORD - 1) // BITS_PER_WORD
    lookup = ibis.memtable(
        {
            "bkey": keys,
            "word": [i // BITS_PER_WORD for i in range(len(keys))],
            "bit": [1 << (i % BITS_PER_WORD) for i in range(len(keys))],
        },
        schema={"bkey": "string", "word": "int64", "bit": "int64"},
    )
    distinct = t.select("path_id", "key", "conv", "value", "nulls").distinct()
    j = distinct.join(lookup, distinct.key == lookup.bkey)
    names = [f"w{i}" for i in range(words)]
    per_path = j.group_by("path_id").aggregate(
        conv=j.conv.max(),
        value=j.value.max(),
        nulls=j.nulls.max(),
        **{name: (j.word == i).ifelse(j.bit, 0).sum() for i, name in enumerate(names)},
    )
    cells = per_path.group_by(names).aggregate(
        conv=per_path.conv.sum(), value=per_path.value.sum(), nulls=per_path.nulls.sum()
    )
    # a fixed row order keeps seeded bootstrap draws identical across runs and engines
    return cells.execute().sort_values(names, ignore_index=True), names


def decode(cells: pd.DataFrame, names: list[str], keys: list[str]) -> list[list[int]]:
    """Key indexes of every coalition row."""
    out = []
    for row in cells[names].itertuples(index=False):
        members = []
        for w, word in enumerate(row):
            word = int(word)
            while word:
                low = word & -word
                members.append(w * BITS_PER_WORD + low.bit_length() - 1)
                word ^= low
        out.append(members)
    return out


def closed_form(
    members: list[list[int]], n_keys: int, conv: np.ndarray, value: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``phi_j = sum_{T containing j} R(T)/|T|`` for conversions and value.

    Examples
    --------
    >>> c, v = closed_form([[0], [0, 1]], 2, np.array([2.0, 2.0]), np.array([0.0, 4.0]))
    >>> c.tolist(), v.tolist()
    ([3.0, 1.0], [2.0, 2.0])
    """
    rows = np.fromiter((i for i, m in enumerate(members) for _ in m), np.int64)
    cols = np.fromiter((k for m in members for k in m), np.int64)
    return closed_form_pairs(rows, cols, n_keys, conv, value)


def closed_form_pairs(
    rows: np.ndarray, cols: np.ndarray, n_keys: int, conv: np.ndarray, value: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`closed_form` with the coalitions given as (coalition, key) index pairs.

    Examples
    --------
    >>> c, _ = closed_form_pairs(np.array([0, 1, 1]), np.array([0, 0, 1]), 2,
    ...                          np.array([2.0, 2.0]), np.zeros(2))
    >>> c.tolist()
    [3.0, 1.0]
    """
    size = np.bincount(rows, minlength=len(conv)).astype(np.float64)
    size[size == 0] = 1.0
    phi_c = np.bincount(cols, weights=(conv / size)[rows], minlength=n_keys)
    phi_v = np.bincount(cols, weights=(value / size)[rows], minlength=n_keys)
    return phi_c, phi_v


def path_coalitions(ps: PathSet) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct channel sets of the distinct paths (numpy bitmasks), engine-cell order.

    Returns ``rows``/``cols`` (coalition, key) pairs and per-coalition ``conv``, ``value``,
    ``nulls`` summed over the paths with that set; coalitions are ordered by their bitmask
    words like :func:`coalition_counts`, so seeded bootstrap draws match.
    """
    n_keys = len(ps.keys)
    words = max(1, (n_keys + BITS_PER_WORD - 1) // BITS_PER_WORD)
    starts = ps.offsets[:-1]
    codes = ps.codes.astype(np.int64)
    if words == 1:
        bit = np.left_shift(np.int64(1), codes)
        mask = np.bitwise_or.reduceat(bit, starts)
        if n_keys <= 20:  # every subset fits a lookup table
            seen = np.zeros(1 << n_keys, dtype=bool)
            seen[mask] = True
            cell_masks = np.flatnonzero(seen)
            lookup = np.zeros(1 << n_keys, dtype=np.int64)
            lookup[cell_masks] = np.arange(len(cell_masks))
            cell_of_path = lookup[mask]
        else:
            cell_masks, cell_of_path = np.unique(mask, return_inverse=True)
        sums = [np.bincount(cell_of_path, weights=x, minlength=len(cell_masks))
                for x in (ps.conv, ps.value, ps.nulls)]  # fmt: skip
        rows, cols = np.nonzero((cell_masks[:, None] >> np.arange(n_keys)) & 1)
        return rows, cols, *sums
    # many keys: the distinct (path, key) pairs, sorted, give both the bitmask words and
    # the members of each coalition
    pair = np.sort(ps.path_index().astype(np.int64) * n_keys + codes)
    pair = pair[np.concatenate(([True], pair[1:] != pair[:-1]))]
    path, key = pair // n_keys, pair % n_keys
    slot = path * words + key // BITS_PER_WORD
    first = np.flatnonzero(np.concatenate(([True], slot[1:] != slot[:-1])))
    masks = np.zeros((ps.n_paths, words), dtype=np.int64)
    masks.reshape(-1)[slot[first]] = np.bitwise_or.reduceat(
        np.left_shift(np.int64(1), key % BITS_PER_WORD), first
    )
    order = np.lexsort(masks.T[::-1])
    sorted_masks = masks[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = np.any(sorted_masks[1:] != sorted_masks[:-1], axis=1)
    cell_of_path = np.empty(len(order), dtype=np.int64)
    cell_of_path[order] = np.cumsum(new) - 1
    n_cells = int(new.sum())
    sums = [np.bincount(cell_of_path, weights=x, minlength=n_cells)
            for x in (ps.conv, ps.value, ps.nulls)]  # fmt: skip
    is_rep = np.zeros(ps.n_paths, dtype=bool)
    is_rep[order[new]] = True  # the members of a coalition are the keys of its first path
    take = is_rep[path]
    rows, cols = cell_of_path[path[take]], key[take]
    by_row = np.argsort(rows, kind="stable")  # coalition order: same float sums as the engine
    return rows[by_row], cols[by_row], *sums
