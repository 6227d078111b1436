"""Rule-based (heuristic) models as per-touch weight expressions run by the engine.

Every model gives each touch of a path a weight; the weights of one path sum to 1, so the
credited conversions and value sum to the totals. The engine computes the weights with
window functions and sums ``weight * conversions`` and ``weight * value`` per key; only
one row per key comes back. :func:`path_credits` gives the same weights vectorised over
the distinct paths of the aggregated path format (see :mod:`.pathset`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Ibis loads where an expression is built: a path file needs none
    import ibis.expr.types as ir

from .errors import AttributionError
from .pathset import PathSet

HEURISTIC_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
    "custom",
)
U_SHAPED = {"first": 0.4, "middle": 0.2, "last": 0.4}
SLOTS = ("first", "middle", "last")


def validate_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Check custom position weights: keys first/middle/last, non-negative, sum to 1."""
    if not weights:
        raise AttributionError("model 'custom' needs weights, e.g. {'first': 0.5, 'last': 0.5}")
    unknown = sorted(set(weights) - set(SLOTS))
    if unknown:
        raise AttributionError(f"unknown position(s) {unknown} in weights; use {list(SLOTS)}")
    out = {s: float(weights.get(s, 0.0)) for s in SLOTS}
    if any(v < 0 for v in out.values()):
        raise AttributionError(f"weights must be non-negative, got {out}")
    if abs(sum(out.values()) - 1.0) > 1e-9:
        raise AttributionError(f"weights must sum to 1, got {sum(out.values())!r}")
    return out


def _slot_weight(t: ir.Table, slots: Mapping[str, float]) -> ir.FloatingValue:
    """First/middle/last weights; with 2 touches first and last share in proportion."""
    import ibis

    first, middle, last = (float(slots[s]) for s in SLOTS)
    ends = first + last
    two_first = first / ends if ends > 0 else 0.5
    n, pos = t.n, t.pos
    return ibis.cases(
        (n == 1, 1.0),
        (n == 2, (pos == 1).ifelse(two_first, 1.0 - two_first)),
        (pos == 1, first),
        (pos == n, last),
        else_=middle / (n - 2).cast("float64"),
    )


def _anchor_weight(t: ir.Table, anchors: list[ir.IntegerValue], share: float) -> ir.FloatingValue:
    """Anchor slots get ``share`` each, the rest is spread over non-anchor touches.

    When every touch is an anchor the slots share the path equally (1/len(anchors) each).
    Slots that fall on the same touch add up on it.
    """
    import ibis

    # an integer count cast to float64: Spark reads bare float literals as DECIMAL, whose
    # division rounds to 6 places
    slots_here = sum((a == t.pos).ifelse(1, 0) for a in anchors).cast("float64")
    n_anchor = (slots_here > 0).ifelse(1, 0).sum().over(group_by="path_id")
    rest = t.n - n_anchor
    spread = 1.0 - share * len(anchors)
    return ibis.cases(
        (rest == 0, slots_here / float(len(anchors))),
        (slots_here > 0, slots_here * share),
        else_=spread / rest.cast("float64"),
    )


def _fallback(t: ir.Table, col: str, num: int, den: int) -> ir.IntegerValue:
    """Milestone position, or the touch ``1 + floor((n - 1) * num / den)``."""
    guess = 1 + (((t.n - 1) * num).cast("float64") / float(den)).floor().cast("int64")
    return t[col].fill_null(guess)


def weight_expr(
    t: ir.Table,
    model: str,
    *,
    half_life_days: float,
    weights: Mapping[str, float] | None = None,
    has_time: bool = True,
) -> ir.FloatingValue:
    """Return the per-touch weight expression of a heuristic ``model`` over canonical ``t``."""
    import ibis

    if model == "first_touch":
        return (t.pos == 1).ifelse(1.0, 0.0)
    if model == "last_touch":
        return (t.pos == t.n).ifelse(1.0, 0.0)
    if model == "last_non_direct":
        nd = t.is_direct.ifelse(ibis.null("int64"), t.pos).max().over(group_by="path_id")
        return (t.pos == nd.fill_null(t.n)).ifelse(1.0, 0.0)
    if model == "linear":
        return 1.0 / t.n.cast("float64")
    if model == "time_decay":
        if not has_time:
            raise AttributionError("time_decay needs touch timestamps; the path format has none")
        if not half_life_days > 0:
            raise AttributionError(f"half_life_days must be positive, got {half_life_days!r}")
        raw = (t.age_days * (-0.6931471805599453 / float(half_life_days))).exp()
        return raw / raw.sum().over(group_by="path_id")
    if model == "position_based":
        return _slot_weight(t, U_SHAPED)
    if model == "custom":
        return _slot_weight(t, validate_weights(weights))
    if model == "w_shaped":
        anchors = [ibis.literal(1), _fallback(t, "lead_pos", 1, 2), _fallback(t, "opp_pos", 1, 1)]
        return _anchor_weight(t, anchors, 0.3)
    if model == "full_path":
        anchors = [ibis.literal(1), _fallback(t, "lead_pos", 1, 3),
                   _fallback(t, "opp_pos", 2, 3), _fallback(t, "won_pos", 1, 1)]  # fmt: skip
        return _anchor_weight(t, anchors, 0.225)
    raise AttributionError(f"unknown heuristic model {model!r}")


def heuristic_credits(
    t: ir.Table,
    model: str,
    *,
    half_life_days: float = 7.0,
    weights: Mapping[str, float] | None = None,
    channel_weights: Mapping[str, float] | None = None,
    has_time: bool = True,
):
    """Sum each key's weighted conversions and value in the engine; return a DataFrame."""
    import ibis

    t = t.filter(t.conv > 0)
    t = t.mutate(w=weight_expr(t, model, half_life_days=half_life_days, weights=weights,
                               has_time=has_time))  # fmt: skip
    if channel_weights:
        mult = ibis.memtable(
            {"mkey": list(channel_weights), "mult": [float(v) for v in channel_weights.values()]}
        )
        t = t.left_join(mult, t.key == mult.mkey).drop("mkey")
        t = t.mutate(w=t.w * t.mult.fill_null(1.0))
        t = t.mutate(w=t.w / t.w.sum().over(group_by="path_id"))
    return (
        t.group_by("key")
        .aggregate(conversions=(t.w * t.conv).sum(), value=(t.w * t.value).sum())
        .execute()
    )


def path_credits(
    ps: PathSet,
    model: str,
    *,
    direct_channel: str = "Direct",
    weights: Mapping[str, float] | None = None,
    channel_weights: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Credited conversions and value per key (indexed like ``ps.keys``) on distinct paths.

    The same weights as :func:`weight_expr`, vectorised over the touches of the converting
    paths (the path format has no timestamps and no milestones, so ``time_decay`` is
    refused and the W-shaped / full-path anchors take their fallback positions).

    Examples
    --------
    >>> ps = PathSet.from_strings(["A > B", "B"], separator=" > ", conv=np.array([2.0, 1.0]),
    ...     value=np.array([10.0, 4.0]), nulls=np.zeros(2))
    >>> c, v = path_credits(ps, "linear")
    >>> c.tolist(), v.tolist()
    ([1.0, 2.0], [5.0, 9.0])
    """
    k = len(ps.keys)
    sel = ps.conv > 0
    lengths = ps.lengths()
    touch_sel = np.repeat(sel, lengths)
    codes = ps.codes[touch_sel]
    n_path = lengths[sel]
    conv, value = ps.conv[sel], ps.value[sel]
    starts = np.zeros(len(n_path), dtype=np.int64)
    np.cumsum(n_path[:-1], out=starts[1:])
    pid = np.repeat(np.arange(len(n_path)), n_path)
    pos = np.arange(len(codes), dtype=np.int64) - starts[pid] + 1
    n = n_path[pid]
    if model == "first_touch":
        w = (pos == 1).astype(float)
    elif model == "last_touch":
        w = (pos == n).astype(float)
    elif model == "last_non_direct":
        direct = np.asarray([key == direct_channel for key in ps.keys] + [False])
        nd = np.zeros(len(n_path), dtype=np.int64)
        if len(codes):
            nd = np.maximum.reduceat(np.where(direct[codes], 0, pos), starts)
        w = (pos == np.where(nd > 0, nd, n_path)[pid]).astype(float)
    elif model == "linear":
        w = 1.0 / n
    elif model == "time_decay":
        raise AttributionError("time_decay needs touch timestamps; the path format has none")
    elif model in ("position_based", "custom"):
        slots = U_SHAPED if model == "position_based" else validate_weights(weights)
        first, middle, last = (float(slots[s]) for s in SLOTS)
        ends = first + last
        two_first = first / ends if ends > 0 else 0.5
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(pos == 1, first, np.where(pos == n, last, middle / (n - 2)))
        w = np.where(n == 2, np.where(pos == 1, two_first, 1.0 - two_first), w)
        w = np.where(n == 1, 1.0, w)
    elif model in ("w_shaped", "full_path"):
        if model == "w_shaped":
            anchors, share = [np.ones_like(n), 1 + (n - 1) // 2, n], 0.3
        else:
            anchors = [np.ones_like(n), 1 + (n - 1) // 3, 1 + 2 * (n - 1) // 3, n]
            share = 0.225
        here = sum((a == pos).astype(float) for a in anchors)
        rest = n_path - np.bincount(pid, weights=(here > 0), minlength=len(n_path))
        rest = rest[pid]
        spread = 1.0 - share * len(anchors)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(here > 0, here * share, spread / rest)
        w = np.where(rest == 0, here / len(anchors), w)
    else:
        raise AttributionError(f"unknown heuristic model {model!r}")
    if channel_weights:
        mult = np.asarray([float(channel_weights.get(key, 1.0)) for key in ps.keys])
        w = w * mult[codes]
        w = w / np.bincount(pid, weights=w, minlength=len(n_path))[pid]
    return (
        np.bincount(codes, weights=w * conv[pid], minlength=k),
        np.bincount(codes, weights=w * value[pid], minlength=k),
    )
