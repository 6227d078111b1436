"""Entry points of the attribution engine: ``attribute``, ``attribute_paths``,
``compare_models``, ``compare_paths`` and ``read_input``.

The CLI, the web page and notebooks call these; they validate the options, build the
canonical touches table (see :mod:`.prepare`), run one model and return a typed
:class:`~.result.AttributionResult` whose credits sum to the totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import bootstrap, markov, shapley
from .errors import AttributionError
from .heuristics import HEURISTIC_MODELS, heuristic_credits, path_credits, validate_weights
from .prepare import Prepared, distinct_paths, num, prepare_paths, prepare_touches
from .result import NO_TOUCH, AttributionResult, ComparisonRow, Credit, ModelComparison

MODELS = (*HEURISTIC_MODELS, "markov", "shapley")
ALIASES = {"u_shaped": "position_based"}
DATA_DRIVEN = ("markov", "shapley")
MILESTONE_MODELS = ("w_shaped", "full_path")
DEFAULT_COMPARISON = (
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay",
    "position_based", "w_shaped", "full_path", "markov", "shapley",
)  # fmt: skip


@dataclass(frozen=True)
class _Options:
    order: int = 1
    half_life_days: float = 7.0
    weights: Mapping[str, float] | None = None
    channel_weights: Mapping[str, float] | None = None
    costs: Mapping[str, float] | None = None
    intervals: bool = False
    n_boot: int = 100
    confidence: float = 0.9
    seed: int = 0
    extra: dict = field(default_factory=dict)


def normalize_model(model: str) -> str:
    """Return the canonical model name (``u_shaped`` is ``position_based``).

    Examples
    --------
    >>> normalize_model("u_shaped")
    'position_based'
    """
    name = ALIASES.get(model, model)
    if name not in MODELS:
        raise AttributionError(
            f"unknown model {model!r}; choose one of {sorted([*MODELS, *ALIASES])}"
        )
    return name


def _options(model: str, **kw) -> _Options:
    opts = _Options(**kw)
    if not isinstance(opts.order, int) or not 1 <= opts.order <= 4:
        raise AttributionError(f"order must be an integer from 1 to 4, got {opts.order!r}")
    if model == "custom":
        validate_weights(opts.weights)
    elif opts.weights is not None:
        raise AttributionError("weights are only used by model 'custom'")
    if opts.channel_weights is not None:
        if model != "custom":
            raise AttributionError("channel_weights are only used by model 'custom'")
        bad = {k: v for k, v in opts.channel_weights.items() if not float(v) > 0}
        if bad:
            raise AttributionError(f"channel_weights must be positive, got {bad}")
    if opts.costs is not None:
        bad = {k: v for k, v in opts.costs.items() if v is None or float(v) < 0}
        if bad:
            raise AttributionError(f"costs must be non-negative numbers, got {bad}")
    if opts.intervals and model not in DATA_DRIVEN:
        raise AttributionError(f"intervals are computed for {list(DATA_DRIVEN)}, not {model!r}")
    if opts.intervals and not (opts.n_boot >= 2 and 0 < opts.confidence < 1):
        raise AttributionError("n_boot must be >= 2 and confidence between 0 and 1")
    return opts


def attribute(
    touchpoints,
    conversions,
    *,
    model: str,
    by: str = "channel",
    conversion_kind: str | None = None,
    order: int = 1,
    lookback_days: float = 90,
    half_life_days: float = 7.0,
    direct_channel: str = "Direct",
    weights: Mapping[str, float] | None = None,
    channel_weights: Mapping[str, float] | None = None,
    costs: Mapping[str, float] | None = None,
    intervals: bool = False,
    n_boot: int = 100,
    confidence: float = 0.9,
    seed: int = 0,
    milestone_kinds: Mapping[str, str] | None = None,
) -> AttributionResult:
    """Credit conversions to touches with one model.

    Parameters
    ----------
    touchpoints, conversions
        Ibis tables or pandas DataFrames. Touchpoints: ``journey_id``, ``occurred_at``,
        ``channel`` and the column named by ``by``. Conversions: ``journey_id``,
        ``kind``, ``occurred_at``, ``value``.
    model
        One of :data:`MODELS` (``u_shaped`` is an alias of ``position_based``).
    by
        Touchpoint column credited (channel, source, campaign, content, keyword,
        email_subject, kind, team, ...).
    conversion_kind
        Only conversions of this kind are credited (all rows when ``None``).
    order
        Markov order (1-4).
    lookback_days
        Only touches at most this many days before (or at) the conversion count.
    half_life_days
        Half-life of ``time_decay``.
    direct_channel
        Channel skipped by ``last_non_direct``.
    weights, channel_weights
        ``custom`` model: position weights ``{"first", "middle", "last"}`` summing to 1,
        and optional positive multipliers per key (renormalised per path).
    costs
        Cost per key; adds cost, cost per conversion and ROI to every credit.
    intervals, n_boot, confidence, seed
        Bootstrap intervals over journeys (Markov and Shapley only).
    milestone_kinds
        Conversion kinds marking the lead, opportunity and won milestones of
        ``w_shaped``/``full_path`` (defaults: lead_created, opportunity_created,
        deal_won).

    Examples
    --------
    >>> import pandas as pd
    >>> tp = pd.DataFrame({"journey_id": [1, 1], "channel": ["Ads", "Email"],
    ...     "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> cv = pd.DataFrame({"journey_id": [1], "kind": ["deal_won"], "value": [100.0],
    ...     "occurred_at": pd.to_datetime(["2024-01-03"], utc=True)})
    >>> r = attribute(tp, cv, model="linear")
    >>> [(c.key, c.conversions, c.value) for c in r.credits]
    [('Ads', 0.5, 50.0), ('Email', 0.5, 50.0)]
    """
    name = normalize_model(model)
    opts = _options(
        name, order=order, half_life_days=half_life_days, weights=weights,
        channel_weights=channel_weights, costs=costs, intervals=intervals, n_boot=n_boot,
        confidence=confidence, seed=seed,
    )  # fmt: skip
    prepared = prepare_touches(
        touchpoints, conversions, by=by, conversion_kind=conversion_kind,
        lookback_days=lookback_days, direct_channel=direct_channel,
        milestones=name in MILESTONE_MODELS, milestone_kinds=milestone_kinds,
        include_nonconverting=name in DATA_DRIVEN,
    )  # fmt: skip
    return run_model(prepared, name, opts)


def attribute_paths(
    paths,
    *,
    model: str,
    path_column: str = "path",
    conversions_column: str = "total_conversions",
    value_column: str | None = "total_conversion_value",
    nulls_column: str | None = "total_null",
    separator: str = " > ",
    by: str = "channel",
    order: int = 1,
    direct_channel: str = "Direct",
    weights: Mapping[str, float] | None = None,
    channel_weights: Mapping[str, float] | None = None,
    costs: Mapping[str, float] | None = None,
    intervals: bool = False,
    n_boot: int = 100,
    confidence: float = 0.9,
    seed: int = 0,
) -> AttributionResult:
    """Credit conversions given in the aggregated path format (as ChannelAttribution).

    One row per distinct path: the path string (steps joined by ``separator``, spaces
    around steps are stripped), its conversions, conversion value and non-converting
    count (``value_column``/``nulls_column`` may be ``None``). The path format has no
    timestamps and no milestones: ``time_decay`` is refused, and ``w_shaped`` /
    ``full_path`` place the lead and opportunity (and won) touches at fixed fractions of
    the path (see docs/attribution.md).

    Examples
    --------
    >>> import pandas as pd
    >>> paths = pd.DataFrame({"path": ["C1 > C2 > C3", "C1", "C2 > C3"],
    ...     "total_conversions": [1, 0, 0], "total_conversion_value": [1.0, 0, 0],
    ...     "total_null": [0, 1, 1]})
    >>> r = attribute_paths(paths, model="markov")
    >>> [(c.key, round(c.share, 3)) for c in r.credits]
    [('C2', 0.4), ('C3', 0.4), ('C1', 0.2)]
    """
    name = normalize_model(model)
    opts = _options(
        name, order=order, weights=weights, channel_weights=channel_weights, costs=costs,
        intervals=intervals, n_boot=n_boot, confidence=confidence, seed=seed,
    )  # fmt: skip
    prepared = prepare_paths(
        paths, path_column=path_column, conversions_column=conversions_column,
        value_column=value_column, nulls_column=nulls_column, separator=separator, by=by,
        direct_channel=direct_channel,
    )  # fmt: skip
    return run_model(prepared, name, opts)


def _distinct_keys(prepared: Prepared) -> list[str]:
    if prepared.paths is not None:
        return list(prepared.paths.keys)
    t = prepared.touches
    return sorted(t.select("key").distinct().execute()["key"].astype(str).tolist())


def _cached(prepared: Prepared) -> Prepared:
    """Materialise the canonical touches once on DuckDB (several queries read them).

    Other engines recompute them per query rather than writing temp tables into the
    app database. The path format is already in memory (numpy arrays).
    """
    t = prepared.touches
    if t is None or prepared.paths is not None:
        return prepared
    try:
        if t._find_backend(use_default=True).name != "duckdb":
            return prepared
        return Prepared(**{**prepared.__dict__, "touches": t.cache()})
    except Exception:  # noqa: BLE001 - caching is only an optimisation
        return prepared


def run_model(prepared: Prepared, name: str, opts: _Options) -> AttributionResult:
    """Run model ``name`` on prepared touches (used by the entry points)."""
    if name in DATA_DRIVEN and prepared.paths is None and prepared.rows is not None:
        # Markov and Shapley need only the distinct paths: aggregated by the engine
        # straight from the touches (None on SQLite: per-touch expressions instead)
        ps = distinct_paths(prepared)
        if ps is not None:
            prepared = replace(prepared, paths=ps)
    prepared = _cached(prepared)
    if prepared.paths is not None:
        ps = prepared.paths
        n_paths, touched_c, touched_v = ps.n_paths, float(ps.conv.sum()), float(ps.value.sum())
    else:
        t = prepared.touches
        firsts = t.filter(t.pos == 1)
        totals = firsts.aggregate(c=firsts.conv.sum(), v=firsts.value.sum(), n=firsts.count())
        row = totals.execute().iloc[0]
        n_paths, touched_c, touched_v = num(row["n"]), num(row["c"]), num(row["v"])
    if n_paths == 0 and prepared.no_touch_conversions == 0:
        raise AttributionError("there are no paths to attribute")
    details: dict = {}
    found: tuple = ()
    if n_paths == 0:
        credits = {}  # every conversion is "(no touch)"; intervals would be degenerate
        opts = _Options(**{**opts.__dict__, "intervals": False})
    elif name in HEURISTIC_MODELS:
        if opts.channel_weights:
            unknown = sorted(set(opts.channel_weights) - set(_distinct_keys(prepared)))
            if unknown:
                raise AttributionError(f"unknown key(s) {unknown} in channel_weights")
        credits = _heuristic(prepared, name, opts)
    elif name == "markov":
        credits, details, found = _markov(prepared, opts, touched_c, touched_v)
    else:
        credits, details, found = _shapley(prepared, opts)
    if prepared.no_touch_conversions:
        credits[NO_TOUCH] = (prepared.no_touch_conversions, prepared.no_touch_value)
    total_c = touched_c + prepared.no_touch_conversions
    total_v = touched_v + prepared.no_touch_value
    result = build_result(name, prepared.by, credits, total_c, total_v, costs=opts.costs)
    if opts.intervals:
        result = AttributionResult(
            **{**result.__dict__, "intervals": found, "confidence": opts.confidence}
        )
    result.details.update(details)
    return result


def _heuristic(prepared: Prepared, name: str, opts: _Options) -> dict:
    if prepared.paths is not None:
        ps = prepared.paths
        conv, value = path_credits(
            ps, name, direct_channel=prepared.direct_channel, weights=opts.weights,
            channel_weights=opts.channel_weights,
        )  # fmt: skip
        # as in the engine route, only keys touching a converting path are listed
        seen = np.bincount(ps.codes[np.repeat(ps.conv > 0, ps.lengths())], minlength=len(ps.keys))
        return {k: (float(conv[i]), float(value[i])) for i, k in enumerate(ps.keys) if seen[i]}
    df = heuristic_credits(
        prepared.touches, name, half_life_days=opts.half_life_days, weights=opts.weights,
        channel_weights=opts.channel_weights, has_time=prepared.has_time,
    )  # fmt: skip
    return {
        str(k): (float(c), float(v))
        for k, c, v in zip(df["key"], df["conversions"], df["value"], strict=True)
    }


def _markov(prepared: Prepared, opts: _Options, touched_c: float, touched_v: float):
    ps = distinct_paths(prepared)
    if ps is not None:
        chains = markov.PathChains(ps.keys, ps.offsets, ps.codes, opts.order)
        fit = markov.solve(chains.chain(ps.conv, ps.value, ps.nulls))
    else:
        fit = markov.solve(markov.transition_counts(prepared.touches, opts.order))
    credits = _markov_credits(fit, touched_c, touched_v)
    details = {
        "removal_effects": fit.removal_effects,
        "removal_effects_value": fit.removal_effects_value,
        "conversion_probability": fit.conversion_probability,
        "n_states": fit.n_states,
        "order": opts.order,
    }
    found: tuple = ()
    if opts.intervals:
        if ps is not None:
            off, codes, conv, value, nulls = markov.collapsed_cells(ps)
            cell_chains = markov.PathChains(ps.keys, off, codes, opts.order)

            def refit(c, v, u):
                f = markov.solve(cell_chains.chain(c, v, u))
                return {k: cv for k, (cv, _) in _markov_credits(f, c.sum(), v.sum()).items()}
        else:
            cells = markov.path_cells(prepared.touches)
            edges = markov.CellEdges(cells["path"].astype(str).tolist(), opts.order)
            conv, value, nulls = (cells[c].to_numpy(float) for c in ("conv", "value", "nulls"))

            def refit(c, v, u):
                f = markov.solve(edges.edges(c, v, u))
                return {k: cv for k, (cv, _) in _markov_credits(f, c.sum(), v.sum()).items()}

        found = _intervals(refit, (conv, value, nulls), sorted(credits), prepared, opts)
    return credits, details, found


def _shapley(prepared: Prepared, opts: _Options):
    ps = distinct_paths(prepared)
    if ps is not None:
        keys = list(ps.keys)
        rows, cols, conv, value, nulls = shapley.path_coalitions(ps)
    else:
        keys = _distinct_keys(prepared)
        cells, names = shapley.coalition_counts(prepared.touches, keys)
        members = shapley.decode(cells, names, keys)
        rows = np.fromiter((i for i, m in enumerate(members) for _ in m), np.int64)
        cols = np.fromiter((k for m in members for k in m), np.int64)
        conv, value, nulls = (cells[c].to_numpy(float) for c in ("conv", "value", "nulls"))
    phi_c, phi_v = shapley.closed_form_pairs(rows, cols, len(keys), conv, value)
    credits = {k: (float(phi_c[i]), float(phi_v[i])) for i, k in enumerate(keys)}
    details = {"coalitions": len(conv)}
    found: tuple = ()
    if opts.intervals:

        def refit(c, v, u):
            pc, _ = shapley.closed_form_pairs(rows, cols, len(keys), c, v)
            return dict(zip(keys, pc.tolist(), strict=True))

        found = _intervals(refit, (conv, value, nulls), keys, prepared, opts)
    return credits, details, found


def _intervals(refit, cells, keys, prepared: Prepared, opts: _Options):
    conv, value, nulls = cells
    return bootstrap.intervals(
        refit,
        conv,
        value,
        nulls,
        keys=keys,
        extra_conversions=prepared.no_touch_conversions,
        n_boot=opts.n_boot,
        confidence=opts.confidence,
        seed=opts.seed,
    )


def _markov_credits(fit: markov.MarkovFit, total_c: float, total_v: float) -> dict:
    re, re_v = fit.removal_effects, fit.removal_effects_value
    sum_c, sum_v = sum(re.values()), sum(re_v.values())
    return {
        k: (
            total_c * re[k] / sum_c if sum_c > 0 else 0.0,
            total_v * re_v[k] / sum_v if sum_v > 0 else 0.0,
        )
        for k in re
    }


def build_result(
    model: str,
    by: str,
    credits: Mapping[str, tuple[float, float]],
    total_c: float,
    total_v: float,
    *,
    costs: Mapping[str, float] | None = None,
) -> AttributionResult:
    """Assemble credits so they sum to the totals; add shares and cost figures.

    Floating-point residue (``total - sum``) goes to the largest credit.

    Examples
    --------
    >>> r = build_result("linear", "channel", {"A": (0.5, 5.0), "B": (0.5, 5.0)}, 1.0, 10.0,
    ...                  costs={"A": 2.0})
    >>> r.credit("A").roi, r.credit("B").cost
    (1.5, 0.0)
    """
    items = {k: [c, v] for k, (c, v) in credits.items()}
    for key in costs or {}:
        items.setdefault(key, [0.0, 0.0])
    for j, total in ((0, total_c), (1, total_v)):
        if items:
            top = max(items, key=lambda k: (items[k][j], k))
            items[top][j] += total - sum(x[j] for x in items.values())
    out = []
    for key, (c, v) in items.items():
        share = c / total_c if total_c > 0 else (v / total_v if total_v > 0 else 0.0)
        extra = {}
        if costs is not None:
            cost = float(costs.get(key, 0.0))
            extra = {
                "cost": cost,
                "cost_per_conversion": cost / c if c > 0 else None,
                "roi": (v - cost) / cost if cost > 0 else None,
            }
        out.append(Credit(key=key, conversions=c, value=v, share=share, **extra))
    out.sort(key=lambda cr: (-cr.conversions, -cr.value, cr.key))
    return AttributionResult(
        model=model, by=by, total_conversions=total_c, total_value=total_v, credits=tuple(out)
    )


def _compare(prepared: Prepared, models: Iterable[str], opts_kw: dict) -> ModelComparison:
    names = [normalize_model(m) for m in models]
    cached = _cached(prepared)
    results = {m: run_model(cached, m, _options(m, **opts_kw)) for m in names}
    keys = sorted({c.key for r in results.values() for c in r.credits})
    rows = []
    for key in keys:
        shares = {m: results[m].credit(key).share for m in names}
        rows.append(ComparisonRow(key, shares, max(shares.values()) - min(shares.values())))
    rows.sort(key=lambda r: (-r.spread, r.key))
    return ModelComparison(by=prepared.by, models=tuple(names), rows=tuple(rows), results=results)


def compare_models(
    touchpoints,
    conversions,
    *,
    models: Iterable[str] = DEFAULT_COMPARISON,
    by: str = "channel",
    conversion_kind: str | None = None,
    lookback_days: float = 90,
    direct_channel: str = "Direct",
    milestone_kinds: Mapping[str, str] | None = None,
    order: int = 1,
    half_life_days: float = 7.0,
) -> ModelComparison:
    """Each key's share under several models, sorted by disagreement (max - min share).

    Examples
    --------
    >>> import pandas as pd
    >>> tp = pd.DataFrame({"journey_id": [1, 1], "channel": ["Ads", "Email"],
    ...     "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> cv = pd.DataFrame({"journey_id": [1], "kind": ["deal_won"], "value": [100.0],
    ...     "occurred_at": pd.to_datetime(["2024-01-03"], utc=True)})
    >>> cmp = compare_models(tp, cv, models=["first_touch", "linear"])
    >>> [(r.key, r.spread) for r in cmp.rows]
    [('Ads', 0.5), ('Email', 0.5)]
    """
    names = [normalize_model(m) for m in models]
    prepared = prepare_touches(
        touchpoints, conversions, by=by, conversion_kind=conversion_kind,
        lookback_days=lookback_days, direct_channel=direct_channel,
        milestones=any(m in MILESTONE_MODELS for m in names), milestone_kinds=milestone_kinds,
        include_nonconverting=any(m in DATA_DRIVEN for m in names),
    )  # fmt: skip
    return _compare(prepared, names, {"order": order, "half_life_days": half_life_days})


def compare_paths(
    paths,
    *,
    models: Iterable[str] = tuple(m for m in DEFAULT_COMPARISON if m != "time_decay"),
    path_column: str = "path",
    conversions_column: str = "total_conversions",
    value_column: str | None = "total_conversion_value",
    nulls_column: str | None = "total_null",
    separator: str = " > ",
    order: int = 1,
    direct_channel: str = "Direct",
) -> ModelComparison:
    """:func:`compare_models` for the aggregated path format."""
    prepared = prepare_paths(
        paths, path_column=path_column, conversions_column=conversions_column,
        value_column=value_column, nulls_column=nulls_column, separator=separator,
        direct_channel=direct_channel,
    )  # fmt: skip
    return _compare(prepared, models, {"order": order})


def read_input(path: str | Path, *, engine: str = "duckdb"):
    """Load a CSV or Parquet file as an Ibis table on DuckDB (default) or local Spark.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> f = Path(tempfile.mkdtemp()) / "paths.csv"
    >>> pd.DataFrame({"path": ["A > B"], "total_conversions": [1]}).to_csv(f, index=False)
    >>> read_input(f).count().execute()
    1
    """
    import ibis

    path = Path(path)
    if not path.exists():
        raise AttributionError(f"input file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise AttributionError(f"input must be a .csv or .parquet file, got {path.name!r}")
    if engine == "duckdb":
        con = ibis.duckdb.connect()
    elif engine == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise AttributionError(
                'engine "spark" needs pyspark: pip install "smarketing[spark]"'
            ) from exc
        session = SparkSession.builder.master("local[*]").appName("smarketing").getOrCreate()
        con = ibis.pyspark.connect(session)
    else:
        raise AttributionError(f"engine must be 'duckdb' or 'spark', got {engine!r}")
    return con.read_csv(str(path)) if suffix == ".csv" else con.read_parquet(str(path))
