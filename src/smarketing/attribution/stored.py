"""Attribution from the stored path set: every model on every level, no raw touch read.

A :class:`Slice` picks stored rows (:class:`~smarketing.attribution.models.JourneyPath`):
conversion kind, journey level, the period (``since <= at < until``) and optionally the
converting deals' owners. Grouping the slice by one level's column gives the distinct paths
with their conversions, value and nulls: the engine's :class:`PathSet`, from which
:func:`smarketing.analytics.attribution.api.run_model` runs the position heuristics,
Markov and Shapley exactly as on the engine's own path route. The time-aware heuristics
(time decay, W-shaped and full path with their real milestones, last non-direct at a level
other than channel) read the converting rows with their ages and milestone positions as the
engine's canonical touches table, weighted with numpy as the engine's expressions do.
Both reads are one grouped query
each, memoised per path-set version, so switching model reuses them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from smarketing.analytics.attribution import (
    NO_TOUCH,
    AttributionError,
    AttributionResult,
    build_result,
)
from smarketing.analytics.attribution.api import _options, run_model
from smarketing.analytics.attribution.pathset import PathSet
from smarketing.analytics.attribution.prepare import Prepared
from smarketing.analytics.attribution.result import ComparisonRow, ModelComparison
from smarketing.attribution.adapter import CONVERSIONS, LEVELS
from smarketing.attribution.models import JourneyPath, PathKey, PathTiming
from smarketing.attribution.pathset import SEP

PATH_T = JourneyPath._meta.db_table
TIMING_T = PathTiming._meta.db_table
DIRECT = "Direct"
#: Models that need the touch times or milestones, not only the order of the touches.
TIMED = ("time_decay", "w_shaped", "full_path")
_MEMO: OrderedDict[tuple, object] = OrderedDict()
_MEMO_SIZE = 48
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Slice:
    """Which stored rows: kind, level of journeys, period (epoch seconds) and deal owners."""

    conversion: str
    account_level: bool = False
    lo: float | None = None
    hi: float | None = None
    owners: tuple[int, ...] | None = None

    def where(self, level: str, alias: str = "p") -> tuple[str, list]:
        """SQL condition and parameters selecting the slice's rows of one level."""
        a = alias
        sql = f"{a}.conversion = %s AND {a}.account_level = %s AND {a}.level = %s"
        params: list = [self.conversion, self.account_level, level]
        if self.lo is not None:
            sql += f" AND {a}.at >= %s"
            params.append(self.lo)
        if self.hi is not None:
            sql += f" AND {a}.at < %s"
            params.append(self.hi)
        if self.owners is not None:
            ids = list(self.owners) or [-1]
            sql += f" AND {a}.owner_id IN ({', '.join(['%s'] * len(ids))})"
            params += ids
        return sql, params


def _memo(key: tuple, build):
    with _LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    value = build()
    with _LOCK:
        _MEMO[key] = value
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return value


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def key_names(version: int, level: str) -> np.ndarray:
    """Names of a level's codes (index = code)."""

    def build():
        pairs = PathKey.objects.filter(level=level).values_list("code", "name")
        pairs = list(pairs)
        out = np.empty(max((c for c, _ in pairs), default=-1) + 1, dtype=object)
        for code, name in pairs:
            out[code] = name
        return out

    return _memo(("keys", connection.alias, version, level), build)


def _split(strings: list[str], sep: str) -> tuple[np.ndarray, pa.Array]:
    """CSR offsets and the flat steps of ``sep``-joined strings."""
    lists = pc.split_pattern(pa.array(strings, type=pa.string()), sep)
    return lists.offsets.to_numpy(), lists.flatten()


@dataclass(frozen=True)
class Paths:
    """A slice's distinct paths at one level, plus its conversions without any touch."""

    paths: PathSet | None
    no_touch_conversions: float
    no_touch_value: float


def paths(version: int, s: Slice, level: str) -> Paths:
    """The slice's distinct paths at ``level`` (one grouped query; memoised per version)."""

    def build():
        where, params = s.where(level)
        rows = _rows(
            f"SELECT p.path, SUM(p.conv), SUM(p.value), SUM(p.nulls) FROM {PATH_T} p "
            f"WHERE {where} GROUP BY p.path ORDER BY p.path",
            params,
        )
        nt_c = nt_v = 0.0
        kept = []
        for path, c, v, u in rows:
            if path == "":
                nt_c, nt_v = float(c or 0), float(v or 0)
            else:
                kept.append((path, float(c or 0), float(v or 0), float(u or 0)))
        if not kept:
            # only conversions without a touch: an empty path set (the engine credits them
            # all to "(no touch)"), never None, which the engine would read as "no paths given"
            empty = PathSet(keys=(), offsets=np.zeros(1, dtype=np.int64),
                            codes=np.zeros(0, dtype=np.int64), conv=np.zeros(0),
                            value=np.zeros(0), nulls=np.zeros(0))  # fmt: skip
            return Paths(empty, nt_c, nt_v)
        offsets, steps = _split([r[0] for r in kept], SEP)
        codes = pc.cast(steps, pa.int64()).to_numpy()
        names = key_names(version, level)
        used, inverse = np.unique(codes, return_inverse=True)
        used_names = names[used]
        order = np.argsort(used_names.astype(str), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        ps = PathSet(
            keys=tuple(str(n) for n in used_names[order]),
            offsets=offsets.astype(np.int64),
            codes=rank[inverse],
            conv=np.fromiter((r[1] for r in kept), float, len(kept)),
            value=np.fromiter((r[2] for r in kept), float, len(kept)),
            nulls=np.fromiter((r[3] for r in kept), float, len(kept)),
        )
        return Paths(ps, nt_c, nt_v)

    return _memo(("paths", connection.alias, version, s, level), build)


def touches(version: int, s: Slice, level: str) -> pd.DataFrame:
    """The slice's converting paths at ``level`` as the engine's canonical touches table
    (with ages and milestone positions; memoised per version)."""

    def build():
        where, params = s.where(level)
        same = ("{0}.account_level = p.account_level AND {0}.journey = p.journey AND "
                "{0}.conversion = p.conversion AND {0}.seq = p.seq")  # fmt: skip
        rows = _rows(
            f"SELECT p.path, c.path, p.conv, p.value, t.ages, t.lead_pos, t.opp_pos, t.won_pos "
            f"FROM {PATH_T} p JOIN {PATH_T} c ON {same.format('c')} AND c.level = 'channel' "
            f"JOIN {TIMING_T} t ON {same.format('t')} "
            f"WHERE {where} AND p.seq > 0 AND p.path <> '' ORDER BY p.journey, p.seq",
            params,
        )
        frame = pd.DataFrame.from_records(
            rows, columns=["path", "channel", "conv", "value", "ages", "lead", "opp", "won"]
        )
        offsets, steps = _split(frame["path"].tolist(), SEP)
        n = np.diff(offsets)
        pid = np.repeat(np.arange(len(frame)), n)
        names = key_names(version, level)
        keys = names[pc.cast(steps, pa.int64()).to_numpy()]
        _, channel_steps = _split(frame["channel"].tolist(), SEP)
        channels = key_names(version, "channel")[pc.cast(channel_steps, pa.int64()).to_numpy()]
        _, age_steps = _split(frame["ages"].tolist(), ",")
        pos = np.arange(len(pid)) - np.repeat(offsets[:-1], n) + 1

        def per_touch(col):
            return pd.array(frame[col].to_numpy(object)[pid], dtype="Int64")

        return pd.DataFrame(
            {
                "path_id": pid.astype(np.int64),
                "pos": pos.astype(np.int64),
                "n": n[pid].astype(np.int64),
                "key": keys.astype(str),
                "is_direct": channels == DIRECT,
                "conv": frame["conv"].to_numpy(float)[pid],
                "value": frame["value"].to_numpy(float)[pid],
                "nulls": np.zeros(len(pid)),
                "age_days": pc.cast(age_steps, pa.float64()).to_numpy(),
                "lead_pos": per_touch("lead"),
                "opp_pos": per_touch("opp"),
                "won_pos": per_touch("won"),
            }
        )

    return _memo(("touches", connection.alias, version, s, level), build)


def _check(p: Paths, s: Slice) -> None:
    total = (float(p.paths.conv.sum()) if p.paths is not None else 0.0) + p.no_touch_conversions
    if total == 0:
        kind = CONVERSIONS[s.conversion]
        raise AttributionError(f"there are no conversions of kind {kind!r} to attribute")


def _anchors(t: pd.DataFrame, model: str) -> tuple[list[np.ndarray], float]:
    """Milestone slots of W-shaped / full path: the stored milestone touch, else the
    engine's fallback position ``1 + floor((n - 1) * num / den)``."""
    n = t["n"].to_numpy()

    def slot(col: str, num: int, den: int) -> np.ndarray:
        guess = 1 + ((n - 1) * num) // den
        got = t[col].to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isnan(got), guess, got).astype(np.int64)

    first = np.ones_like(n)
    if model == "w_shaped":
        return [first, slot("lead_pos", 1, 2), slot("opp_pos", 1, 1)], 0.3
    return [first, slot("lead_pos", 1, 3), slot("opp_pos", 2, 3), slot("won_pos", 1, 1)], 0.225


def timed_weights(t: pd.DataFrame, model: str, *, half_life_days: float) -> np.ndarray:
    """Per-touch weights of the time-aware heuristics over the canonical touches ``t``:
    the engine's weight expressions (:func:`~smarketing.analytics.attribution.heuristics.
    weight_expr`) vectorised with numpy, so no query engine runs per page view."""
    pid = t["path_id"].to_numpy()
    pos = t["pos"].to_numpy()
    n_paths = int(pid.max()) + 1 if len(pid) else 0
    if model == "time_decay":
        if not half_life_days > 0:
            raise AttributionError(f"half_life_days must be positive, got {half_life_days!r}")
        raw = np.exp(t["age_days"].to_numpy() * (-0.6931471805599453 / float(half_life_days)))
        return raw / np.bincount(pid, weights=raw, minlength=n_paths)[pid]
    if model == "last_non_direct":
        non_direct = np.where(t["is_direct"].to_numpy(), 0, pos)
        nd = np.zeros(n_paths, dtype=np.int64)
        np.maximum.at(nd, pid, non_direct)
        target = np.where(nd > 0, nd, np.bincount(pid, minlength=n_paths))[pid]
        return (pos == target).astype(float)
    anchors, share = _anchors(t, model)
    here = sum((a == pos).astype(float) for a in anchors)
    n_anchor = np.bincount(pid, weights=(here > 0).astype(float), minlength=n_paths)[pid]
    rest = t["n"].to_numpy() - n_anchor
    spread = 1.0 - share * len(anchors)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(here > 0, here * share, spread / rest)
    return np.where(rest == 0, here / len(anchors), w)


def attribute(
    version: int, s: Slice, *, model: str, by: str, order: int = 1,
    half_life_days: float = 7.0, weights: dict | None = None,
    costs: dict[str, float] | None = None, intervals: bool = False, n_boot: int = 100,
) -> AttributionResult:
    """Credit the slice's conversions to ``by`` under ``model`` (the engine's result)."""  # fmt: skip
    if by not in LEVELS:
        raise AttributionError(f"unknown level {by!r}")
    opts = _options(
        model, order=order, half_life_days=half_life_days, weights=weights, costs=costs,
        intervals=intervals, n_boot=n_boot,
    )  # fmt: skip
    p = paths(version, s, by)
    _check(p, s)
    timed = model in TIMED or (model == "last_non_direct" and by != "channel")
    if not timed or p.paths is None:
        prepared = Prepared(
            touches=None, no_touch_conversions=p.no_touch_conversions,
            no_touch_value=p.no_touch_value, has_time=False, by=by, paths=p.paths,
            direct_channel=DIRECT,
        )  # fmt: skip
        return run_model(prepared, model, opts)
    t = touches(version, s, by)
    w = timed_weights(t, model, half_life_days=half_life_days)
    frame = pd.DataFrame({"key": t["key"], "c": w * t["conv"].to_numpy(),
                          "v": w * t["value"].to_numpy()})  # fmt: skip
    sums = frame.groupby("key", sort=True)[["c", "v"]].sum()
    credits = {str(k): (float(c), float(v)) for k, c, v in sums.itertuples()}
    if p.no_touch_conversions:
        credits[NO_TOUCH] = (p.no_touch_conversions, p.no_touch_value)
    total_c = float(p.paths.conv.sum()) + p.no_touch_conversions
    total_v = float(p.paths.value.sum()) + p.no_touch_value
    return build_result(model, by, credits, total_c, total_v, costs=costs)


def compare(
    version: int, s: Slice, *, models, by: str, order: int = 1, half_life_days: float = 7.0
) -> ModelComparison:
    """Each key's share under every model of ``models``, from one read of the slice's paths
    (the engine's comparison: rows sorted by spread)."""
    names = list(models)
    results = {
        m: attribute(version, s, model=m, by=by, order=order, half_life_days=half_life_days)
        for m in names
    }
    keys = sorted({c.key for r in results.values() for c in r.credits})
    rows = []
    for key in keys:
        shares = {m: results[m].credit(key).share for m in names}
        rows.append(ComparisonRow(key, shares, max(shares.values()) - min(shares.values())))
    rows.sort(key=lambda r: (-r.spread, r.key))
    return ModelComparison(by=by, models=tuple(names), rows=tuple(rows), results=results)


def clear() -> None:
    """Forget the memoised reads (tests)."""
    with _LOCK:
        _MEMO.clear()
