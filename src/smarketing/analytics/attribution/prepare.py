"""Turn raw inputs into the engine's canonical table of ordered touches per path.

Two inputs are accepted:

* a touchpoint table (``journey_id``, ``occurred_at``, ``channel`` and any other level
  column) and a conversion table (``journey_id``, ``kind``, ``occurred_at``, ``value``);
  every conversion opens one path made of the journey's touches inside the lookback
  window ending at the conversion; journeys without any conversion make one
  non-converting path (their touches inside the window ending at their last touch);
* the aggregated path format of ChannelAttribution (a path string, total conversions,
  total conversion value, total nulls), already one row per distinct path: it is split
  once into integer arrays (:class:`~.pathset.PathSet`) that the models read with numpy.

The canonical Ibis table has one row per touch: ``path_id`` (string), ``pos`` (1-based
order inside the path), ``n`` (touches in the path), ``key`` (the level credited),
``is_direct``, ``conv``/``value``/``nulls`` (the path's conversions, value and
non-conversions, repeated on every row), ``age_days`` (days from the touch to the
conversion; null for the path format) and the milestone positions ``lead_pos``,
``opp_pos``, ``won_pos`` (null when unknown).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:  # Ibis loads where an expression is built: a path file needs none
    import ibis.expr.types as ir

from .errors import AttributionError
from .pathset import PathSet, split_paths

SECONDS_PER_DAY = 86_400.0
DEFAULT_MILESTONES = {
    "lead": "lead_created",
    "opportunity": "opportunity_created",
    "won": "deal_won",
}


@dataclass(frozen=True)
class Prepared:
    """Canonical touches plus the conversions that had no touch at all."""

    touches: ir.Table | None
    no_touch_conversions: float
    no_touch_value: float
    has_time: bool
    by: str
    paths: PathSet | None = None
    direct_channel: str = "Direct"
    rows: ir.Table | None = None  # touches before numbering (path_id, sec, key, counts)
    # every key of the touchpoint table: a superset of the keys on paths, found with one
    # column scan instead of re-running the join and windows that build ``rows``
    all_keys: ir.Table | None = None


def as_table(data, *, name: str) -> ir.Table:
    """Return ``data`` as an Ibis table (pandas DataFrames are wrapped with a memtable)."""
    import ibis
    import ibis.expr.types as ir

    if isinstance(data, ir.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return ibis.memtable(data)
    raise AttributionError(f"{name} must be an Ibis table or a pandas DataFrame, got {type(data)}")


def _require(table: ir.Table, columns, *, name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AttributionError(
            f"{name} is missing column(s) {missing}; it has {list(table.columns)}"
        )


def _key_expr(column: ir.Value) -> ir.StringValue:
    return column.cast("string").fill_null("(none)")


def _epoch(column: ir.Value) -> ir.FloatingValue:
    return column.epoch_seconds().cast("float64")


def prepare_touches(
    touchpoints,
    conversions,
    *,
    by: str,
    conversion_kind: str | None,
    lookback_days: float,
    direct_channel: str,
    milestones: bool,
    milestone_kinds: Mapping[str, str] | None = None,
    include_nonconverting: bool = True,
) -> Prepared:
    """Build the canonical touches table from touchpoints and conversions."""
    import ibis

    if lookback_days is None or not lookback_days > 0:
        raise AttributionError(f"lookback_days must be positive, got {lookback_days!r}")
    tp = as_table(touchpoints, name="touchpoints")
    cv = as_table(conversions, name="conversions")
    _require(tp, ["journey_id", "occurred_at", "channel", by], name="touchpoints")
    _require(cv, ["journey_id", "kind", "occurred_at", "value"], name="conversions")
    kinds = dict(DEFAULT_MILESTONES, **(milestone_kinds or {}))

    all_cv = cv.select(
        journey_id=cv.journey_id.cast("string"),
        kind=cv.kind.cast("string"),
        sec=_epoch(cv.occurred_at),
        value=cv.value.cast("float64"),
    )
    chosen = all_cv if conversion_kind is None else all_cv.filter(all_cv.kind == conversion_kind)
    checks = chosen.aggregate(
        n=chosen.count(),
        bad_value=(chosen.value.isnull() | (chosen.value < 0)).sum(),
        bad_time=chosen.sec.isnull().sum(),
        bad_id=chosen.journey_id.isnull().sum(),
    ).execute()
    row = checks.iloc[0]
    if num(row["n"]) == 0:
        what = (
            "conversions" if conversion_kind is None else f"conversions of kind {conversion_kind!r}"
        )
        raise AttributionError(f"there are no {what} to attribute")
    if num(row["bad_value"]):
        raise AttributionError(
            f"{int(row['bad_value'])} conversion(s) have a negative or missing value"
        )
    if num(row["bad_time"]) or num(row["bad_id"]):
        raise AttributionError("conversions have missing journey_id or occurred_at")

    touches = tp.select(
        journey_id=tp.journey_id.cast("string"),
        sec=_epoch(tp.occurred_at),
        key=_key_expr(tp[by]),
        is_direct=tp.channel.cast("string").fill_null("") == direct_channel,
    )
    tcheck = touches.aggregate(
        bad=(touches.sec.isnull() | touches.journey_id.isnull()).sum()
    ).execute()
    if num(tcheck.iloc[0]["bad"]):
        raise AttributionError("touchpoints have missing journey_id or occurred_at")

    conv_w = ibis.window(group_by="journey_id", order_by=["sec", "value"])
    convs = chosen.mutate(seq=ibis.row_number().over(conv_w) + 1)
    lookback = float(lookback_days) * SECONDS_PER_DAY
    joined = touches.join(
        convs,
        (touches.journey_id == convs.journey_id)
        & (touches.sec <= convs.sec)
        & (touches.sec >= convs.sec - lookback),
    ).select(
        path_id=touches.journey_id + "#" + convs.seq.cast("string"),
        journey_id=touches.journey_id,
        seq=convs.seq,
        sec=touches.sec,
        conv_sec=convs.sec,
        key=touches.key,
        is_direct=touches.is_direct,
        conv=ibis.literal(1.0),
        value=convs.value,
        nulls=ibis.literal(0.0),
    )
    touched_ids = joined.select("journey_id", "seq").distinct()
    no_touch = convs.anti_join(
        touched_ids,
        (convs.journey_id == touched_ids.journey_id) & (convs.seq == touched_ids.seq),
    )
    nt = no_touch.aggregate(n=no_touch.count(), v=no_touch.value.sum()).execute().iloc[0]

    parts = [joined.drop("seq")]
    if include_nonconverting:
        converting = convs.select("journey_id").distinct()
        rest = touches.anti_join(converting, touches.journey_id == converting.journey_id)
        last = rest.mutate(last_sec=rest.sec.max().over(group_by="journey_id"))
        rest = last.filter(last.sec >= last.last_sec - lookback)
        parts.append(
            rest.select(
                path_id=rest.journey_id + "#0",
                journey_id=rest.journey_id,
                sec=rest.sec,
                conv_sec=rest.last_sec,
                key=rest.key,
                is_direct=rest.is_direct,
                conv=ibis.literal(0.0),
                value=ibis.literal(0.0),
                nulls=ibis.literal(1.0),
            )
        )
    rows = parts[0] if len(parts) == 1 else parts[0].union(parts[1], distinct=False)
    raw = rows
    w = ibis.window(group_by="path_id", order_by=["sec", "key"])
    rows = rows.mutate(
        pos=ibis.row_number().over(w) + 1,
        n=rows.count().over(group_by="path_id"),
        age_days=(rows.conv_sec - rows.sec) / SECONDS_PER_DAY,
    )
    if milestones:
        rows = _add_milestones(rows, all_cv, kinds)
    else:
        rows = rows.mutate(
            lead_pos=ibis.null("int64"), opp_pos=ibis.null("int64"), won_pos=ibis.null("int64")
        )
    rows = rows.select(
        "path_id", "pos", "n", "key", "is_direct", "conv", "value", "nulls", "age_days",
        "lead_pos", "opp_pos", "won_pos",
    )  # fmt: skip
    return Prepared(
        touches=rows,
        no_touch_conversions=num(nt["n"]),
        no_touch_value=num(nt["v"]),
        has_time=True,
        by=by,
        rows=raw,
        all_keys=touches.select("key").distinct(),
    )


def _add_milestones(rows: ir.Table, all_cv: ir.Table, kinds: Mapping[str, str]) -> ir.Table:
    """Locate the lead, opportunity and won touches of every path.

    The milestone time is the journey's earliest lead creation, its latest opportunity
    creation and its latest win at or before the path's conversion; the milestone touch
    is the last touch of the path at or before that time. Aggregates and joins (no
    nested windows) keep the SQL portable to SQLite and PostgreSQL.
    """
    paths = rows.select("path_id", "journey_id", "conv_sec").distinct()
    ms = all_cv.filter(all_cv.kind.isin([kinds["lead"], kinds["opportunity"], kinds["won"]]))
    j = paths.join(ms, (paths.journey_id == ms.journey_id) & (ms.sec <= paths.conv_sec))
    times = j.group_by(j.path_id).aggregate(
        lead_sec=j.sec.min(where=j.kind == kinds["lead"]),
        opp_sec=j.sec.max(where=j.kind == kinds["opportunity"]),
        won_sec=j.sec.max(where=j.kind == kinds["won"]),
    )
    r = rows.select("path_id", "pos", "sec")
    x = r.join(times, r.path_id == times.path_id)
    positions = x.group_by(x.path_id).aggregate(
        lead_pos=x.pos.max(where=x.sec <= x.lead_sec),
        opp_pos=x.pos.max(where=x.sec <= x.opp_sec),
        won_pos=x.pos.max(where=x.sec <= x.won_sec),
    )
    out = rows.left_join(positions, rows.path_id == positions.path_id)
    return out.drop("path_id_right")


def prepare_paths(
    paths,
    *,
    path_column: str,
    conversions_column: str,
    value_column: str | None,
    nulls_column: str | None,
    separator: str,
    by: str = "channel",
    direct_channel: str = "Direct",
) -> Prepared:
    """Split the aggregated path format into a :class:`~.pathset.PathSet`.

    Rows with an empty path, an empty step or a negative count/value are an error; the
    path format has no timestamps and no milestones. An Ibis table is read once as Arrow
    (only the named columns); a DataFrame's columns are used in place.
    """
    ibis_types = sys.modules.get("ibis.expr.types")  # Ibis not loaded: not an Ibis table
    if ibis_types is not None and isinstance(paths, ibis_types.Table):
        cols = [c for c in (path_column, conversions_column, value_column, nulls_column) if c]
        missing = [c for c in cols if c not in paths.columns]
        if missing:
            raise AttributionError(
                f"paths is missing column(s) {missing}; it has {list(paths.columns)}"
            )
        arrow = paths.select(*dict.fromkeys(cols)).to_pyarrow()
        paths = arrow.to_pandas(types_mapper=_arrow_strings)
    if not isinstance(paths, pd.DataFrame):
        raise AttributionError(
            f"paths must be an Ibis table or a pandas DataFrame, got {type(paths)}"
        )
    if not separator:
        raise AttributionError("separator must not be empty")
    cols = [path_column, conversions_column] + [c for c in (value_column, nulls_column) if c]
    missing = [c for c in cols if c not in paths.columns]
    if missing:
        raise AttributionError(
            f"paths is missing column(s) {missing}; it has {list(paths.columns)}"
        )
    if len(paths) == 0:
        raise AttributionError("paths is empty: there is nothing to attribute")
    n = len(paths)
    conv = _numeric(paths[conversions_column], conversions_column).to_numpy(float)
    value = _numeric(paths[value_column], value_column).to_numpy(float) if value_column else None
    nulls = _numeric(paths[nulls_column], nulls_column).to_numpy(float) if nulls_column else None
    ps = PathSet.from_strings(
        _path_strings(paths[path_column]),
        separator=separator,
        conv=conv,
        value=np.zeros(n) if value is None else value,
        nulls=np.zeros(n) if nulls is None else nulls,
    )
    return Prepared(
        touches=None, no_touch_conversions=0.0, no_touch_value=0.0, has_time=False, by=by,
        paths=ps, direct_channel=direct_channel,
    )  # fmt: skip


def _arrow_strings(dtype):
    return pd.StringDtype("pyarrow") if pa.types.is_string(dtype) or pa.types.is_large_string(
        dtype) else None  # fmt: skip


def _path_strings(series: pd.Series):
    """The path column as an Arrow string array (zero-copy when it is Arrow-backed)."""
    if not isinstance(series.dtype, pd.StringDtype) or series.dtype.storage != "pyarrow":
        series = series.astype(pd.StringDtype("pyarrow"))
    return pa.array(series)


def num(x) -> float:
    """A scalar from an engine aggregate as float; SQL NULL (empty sum) is 0."""
    return 0.0 if x is None or pd.isna(x) else float(x)


def _numeric(series: pd.Series, name: str) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    if values.isna().any():
        raise AttributionError(f"column {name!r} has missing or non-numeric values")
    if (values < 0).any():
        raise AttributionError(f"column {name!r} has negative values")
    return values.astype("float64")


def _ordered_concat(j: ir.Table, order: list[str]) -> ir.StringValue:
    """The path's key codes joined in touch order (ordered string aggregation)."""
    return j.code.group_concat(",", order_by=[j[c] for c in order])


def _sorted_collect(j: ir.Table, order: list[str]) -> ir.StringValue:
    """The same string for engines without ordered aggregation but with arrays (Spark).

    Collects ``(order columns..., code)`` structs, sorts the array (structs compare
    field by field, i.e. by the touch order) and joins the codes.
    """
    import ibis

    touch = ibis.struct({**{c: j[c] for c in order}, "code": j.code})
    return touch.collect().sort().map(lambda x: x.code).join(",")


def distinct_paths(prepared: Prepared) -> PathSet | None:
    """Aggregate the canonical touches to distinct paths in the engine (Markov, Shapley).

    Keys are coded as integers (a join with the small sorted key list), each path becomes
    the string of its codes in touch order, and the engine groups identical paths,
    summing conversions, value and nulls: only one row per distinct path comes back.
    Engines without ordered string aggregation but with arrays (Spark) sort an array of
    the path's touches instead. Returns None on engines with neither (SQLite), where the
    models fall back to their per-touch expressions.
    """
    if prepared.paths is not None:
        return prepared.paths
    import ibis
    import ibis.common.exceptions as ibis_exc

    # the touches before numbering suffice: (sec, key) is the order ``pos`` numbers
    t, order = (
        (prepared.rows, ["sec", "key"]) if prepared.rows is not None
        else (prepared.touches, ["pos"])
    )  # fmt: skip
    key_table = prepared.all_keys if prepared.all_keys is not None else t.select("key").distinct()
    keys = sorted(key_table.execute()["key"].astype(str).tolist())
    lookup = ibis.memtable(
        {"dkey": keys, "code": [str(i) for i in range(len(keys))]},
        schema={"dkey": "string", "code": "string"},
    )
    j = t.join(lookup, t.key == lookup.dkey)
    for ordered_codes in (_ordered_concat, _sorted_collect):
        try:
            per_path = j.group_by("path_id").aggregate(
                path=ordered_codes(j, order),
                conv=j.conv.max(),
                value=j.value.max(),
                nulls=j.nulls.max(),
            )
            cells = per_path.group_by("path").aggregate(
                conv=per_path.conv.sum(), value=per_path.value.sum(), nulls=per_path.nulls.sum()
            )
            # a fixed row order keeps float sums (and seeded bootstrap draws) repeatable;
            # pandas, not Arrow: PostgreSQL returns the sums as Decimal
            frame = cells.order_by("path").execute()
            break
        except (ibis_exc.UnsupportedOperationError, ibis_exc.OperationNotDefinedError):
            continue
    else:
        return None
    if len(frame) == 0:
        return None
    offsets, codes, names = split_paths(_path_strings(frame["path"]), ",")
    true_code = np.asarray([int(n) for n in names], dtype=np.int64)
    codes = true_code[codes]
    used = np.unique(codes)
    if len(used) < len(keys):  # keys of touches outside every path's window: drop them
        remap = np.zeros(len(keys), dtype=np.int64)
        remap[used] = np.arange(len(used))
        codes, keys = remap[codes], [keys[i] for i in used]
    return PathSet(
        keys=tuple(keys),
        offsets=offsets,
        codes=codes,
        conv=frame["conv"].to_numpy(float),
        value=frame["value"].to_numpy(float),
        nulls=frame["nulls"].to_numpy(float),
    )
