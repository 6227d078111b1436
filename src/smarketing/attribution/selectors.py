"""Attribution reads for the CLI, the API and the page: validate a query, run the engine.

A query is a typed spec (:class:`AttributionQuery`); :func:`parse_query` builds one from
string parameters (CLI options, API query string, page form) and raises
:class:`QueryError` naming the field on bad input. :func:`run` credits one model;
:func:`report` adds the model comparison and the marketing-vs-sales split and is cached
briefly (Django cache, keyed by the query and the stored path set's version). Queries the
stored path set holds (:mod:`.pathset`, the default lookback) are answered from it
(:mod:`.stored`): no raw touch is read in a request. Other lookbacks read the raw touches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, replace

from django.core.cache import cache
from django.db import connection
from django.db.models import Max

from smarketing.analytics.attribution import (
    ALIASES,
    MODELS,
    AttributionError,
    AttributionResult,
    attribute,
    compare_models,
    normalize_model,
)
from smarketing.attribution import adapter, pathset, stored
from smarketing.attribution.adapter import CONVERSIONS, LEVELS
from smarketing.core import ibis_db
from smarketing.crm.models import CampaignCost, Deal, DealStageChange, Touchpoint
from smarketing.funnel.models import StageChange

#: Models of the comparison chart (``custom`` needs weights, so it is not compared).
COMPARED_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
)
DATA_DRIVEN = ("markov", "shapley")
#: The engine's milestone kinds (lead, opportunity, won) read by W-shaped and full path.
MILESTONE_KINDS = ("lead_created", "opportunity_created", "deal_won")
#: Seconds a computed report stays cached (a page refresh is then instant).
CACHE_SECONDS = 300


class QueryError(ValueError):
    """A bad attribution parameter; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AttributionQuery:
    """What to attribute: model, level, conversion kind, period and model options.

    ``since`` is inclusive and ``until`` exclusive (both on the conversion time, UTC);
    ``weights`` are the ``custom`` model's position weights as ``(name, weight)`` pairs.
    """

    model: str = "linear"
    by: str = "channel"
    conversion: str = "won"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    account_level: bool = False
    order: int = 1
    lookback_days: float = 90.0
    half_life_days: float = 7.0
    weights: tuple[tuple[str, float], ...] | None = None
    intervals: bool = False
    n_boot: int = 100

    @property
    def kind(self) -> str:
        """The engine's conversion kind (see :data:`adapter.CONVERSIONS`)."""
        return CONVERSIONS[self.conversion]

    def cache_key(self) -> str:
        raw = json.dumps(asdict(self), default=str, sort_keys=True)
        return hashlib.sha1(raw.encode()).hexdigest()


def parse_time(value: str, *, field: str, end: bool = False) -> dt.datetime:
    """Parse ``YYYY-MM-DD`` or an ISO datetime (naive = UTC).

    A bare date given as ``until`` (``end=True``) means the end of that day, so
    ``--until 2026-03-31`` includes March 31.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            at = dt.datetime.combine(day, dt.time(), dt.UTC)
            return at + dt.timedelta(days=1) if end else at
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(field, f"{value!r} is not a date (YYYY-MM-DD) or ISO datetime") from None
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def parse_weights(value: str) -> tuple[tuple[str, float], ...]:
    """``first=0.4,middle=0.2,last=0.4`` or a JSON object → sorted ``(name, weight)`` pairs."""
    text = value.strip()
    try:
        if text.startswith("{"):
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise ValueError
            pairs = {str(k): float(v) for k, v in raw.items()}
        else:
            pairs = {}
            for part in filter(None, (p.strip() for p in text.split(","))):
                name, _, number = part.partition("=")
                pairs[name.strip()] = float(number)
    except (ValueError, TypeError):
        raise QueryError(
            "weights", f"{value!r} is not like first=0.4,middle=0.2,last=0.4"
        ) from None
    if not pairs:
        raise QueryError("weights", "no weights given")
    return tuple(sorted(pairs.items()))


def _number(params: Mapping, field: str, cast, default):
    raw = params.get(field)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except (TypeError, ValueError):
        raise QueryError(field, f"{raw!r} is not a number") from None


def _flag(params: Mapping, field: str) -> bool:
    raw = params.get(field)
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in ("1", "true", "yes", "on")


def parse_query(params: Mapping, *, default_model: str | None = "linear") -> AttributionQuery:
    """Validate string parameters into an :class:`AttributionQuery`.

    Keys: model, by, conversion, since, until, account_level, order, lookback_days,
    half_life_days, weights, intervals, n_boot (missing or empty = default).
    """
    model = (params.get("model") or default_model or "").strip()
    if not model:
        raise QueryError("model", "is required")
    try:
        model = normalize_model(model)
    except AttributionError as exc:
        raise QueryError("model", str(exc)) from None
    by = (params.get("by") or "channel").strip()
    if by not in LEVELS:
        raise QueryError("by", f"unknown level {by!r}; choose one of {', '.join(LEVELS)}")
    conversion = (params.get("conversion") or "won").strip()
    if conversion not in CONVERSIONS:
        raise QueryError(
            "conversion",
            f"unknown conversion {conversion!r}; choose one of {', '.join(CONVERSIONS)}",
        )
    since = params.get("since") or None
    until = params.get("until") or None
    since = parse_time(since, field="since") if isinstance(since, str) else since
    until = parse_time(until, field="until", end=True) if isinstance(until, str) else until
    if since and until and since >= until:
        raise QueryError("until", "must be after since")
    order = _number(params, "order", int, 1)
    if not 1 <= order <= 4:
        raise QueryError("order", f"must be from 1 to 4, got {order}")
    lookback = _number(params, "lookback_days", float, 90.0)
    if not lookback > 0:
        raise QueryError("lookback_days", f"must be positive, got {lookback:g}")
    half_life = _number(params, "half_life_days", float, 7.0)
    if not half_life > 0:
        raise QueryError("half_life_days", f"must be positive, got {half_life:g}")
    weights = params.get("weights") or None
    if isinstance(weights, str):
        weights = parse_weights(weights)
    elif isinstance(weights, Mapping):
        weights = tuple(sorted((str(k), float(v)) for k, v in weights.items()))
    if model == "custom" and not weights:
        raise QueryError(
            "weights", "model custom needs weights, e.g. first=0.4,middle=0.2,last=0.4"
        )
    if model != "custom" and weights:
        raise QueryError("weights", "weights are only used by model custom")
    intervals = _flag(params, "intervals")
    if intervals and model not in DATA_DRIVEN:
        raise QueryError("intervals", f"intervals are computed for markov and shapley, not {model}")
    n_boot = _number(params, "n_boot", int, 100)
    if not 2 <= n_boot <= 1000:
        raise QueryError("n_boot", f"must be from 2 to 1000, got {n_boot}")
    return AttributionQuery(
        model=model, by=by, conversion=conversion, since=since, until=until,
        account_level=_flag(params, "account_level"), order=order, lookback_days=lookback,
        half_life_days=half_life, weights=weights, intervals=intervals, n_boot=n_boot,
    )  # fmt: skip


@contextmanager
def inputs(
    query: AttributionQuery, *, converting_only: bool = False, milestones: bool = True
) -> Iterator[tuple]:
    """The engine's touch and conversion tables for ``query``, as temporary tables.

    Materialising the adapter's joins once (inside the database, ``CREATE TEMP TABLE AS
    SELECT``; no row enters Python) keeps the engine's SQL shallow enough for SQLite's
    parser and lets several models (the comparison) reuse the joins. Temporary tables are
    private to the connection and dropped at the end. ``converting_only`` keeps only the
    touches of journeys with a conversion of the query's kind: enough for the rule-based
    models (which never read non-converting journeys) and far fewer rows to copy.
    ``milestones=False`` builds only the query's conversion kind (no lead / opportunity /
    won milestones, which only W-shaped and full path read).
    """
    con = ibis_db.backend()
    tp = adapter.touchpoints(con, account_level=query.account_level)
    kinds = {query.kind} | (set(MILESTONE_KINDS) if milestones else set())
    cv = adapter.conversions(con, account_level=query.account_level, kinds=kinds)
    tp, cv = adapter.restrict_period(
        tp, cv, kind=query.kind, since=query.since, until=query.until,
        lookback_days=query.lookback_days,
    )  # fmt: skip
    suffix = uuid.uuid4().hex[:12]
    tp_name, cv_name = f"_smk_attr_tp_{suffix}", f"_smk_attr_cv_{suffix}"
    database = "temp" if connection.vendor == "sqlite" else None
    # Created through Django's cursor, not ibis' create_table: ibis commits the connection
    # after DDL, which would end the caller's transaction (and a test's isolation).
    made: list[str] = []

    def materialise(name: str, expr):
        with connection.cursor() as cursor:
            cursor.execute(_create_temp(name, expr))
            made.append(name)
            cursor.execute(f'INSERT INTO "{name}" {con.compile(expr)}')
        return con.table(name, database=database)

    try:
        # Conversions first: the touch filter then reads a plain table (a semi-join on the
        # adapter's nested expression can get a very slow plan on SQLite).
        cv_table = materialise(cv_name, cv)
        if converting_only:
            converting = cv_table.filter(cv_table.kind == query.kind).select("journey_id")
            tp = tp.semi_join(converting.distinct(), "journey_id")
        tp_table = materialise(tp_name, tp)
        yield tp_table, cv_table
    finally:
        # a temp table dies with the connection anyway: never fail the read on cleanup
        with suppress(Exception), connection.cursor() as cursor:
            for name in made:
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')


#: Column types of the temp tables (the adapter's tables hold only these).
_SQL_TYPES = {
    "sqlite": {"string": "TEXT", "timestamp": "TIMESTAMP", "float64": "REAL", "int64": "INTEGER"},
    "postgresql": {
        "string": "TEXT",
        "int64": "BIGINT",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "float64": "DOUBLE PRECISION",
    },
}


def _type_name(dtype) -> str:
    if dtype.is_string():
        return "string"
    if dtype.is_timestamp():
        return "timestamp"
    if dtype.is_floating():
        return "float64"
    if dtype.is_integer():
        return "int64"
    raise TypeError(f"no temp-table type for {dtype}")


def _create_temp(name: str, expr) -> str:
    """``CREATE TEMPORARY TABLE`` with declared column types.

    Declared types matter on SQLite: ``CREATE TABLE AS SELECT`` would declare the time
    column without a type, and Ibis would then read it as a string.
    """
    types = _SQL_TYPES[connection.vendor]
    cols = ", ".join(f'"{col}" {types[_type_name(dtype)]}' for col, dtype in expr.schema().items())
    return f'CREATE TEMPORARY TABLE "{name}" ({cols})'


def _attribute(tp, cv, query: AttributionQuery, *, by: str | None = None) -> AttributionResult:
    by = by or query.by
    return attribute(
        tp, cv, model=query.model, by=by, conversion_kind=query.kind, order=query.order,
        lookback_days=query.lookback_days, half_life_days=query.half_life_days,
        weights=dict(query.weights) if query.weights else None,
        costs=adapter.costs(by, since=query.since, until=query.until),
        intervals=query.intervals and by == query.by, n_boot=query.n_boot,
    )  # fmt: skip


def _live(query: AttributionQuery) -> AttributionResult:
    """Credit the query from the raw touches (the engine over the adapter's tables)."""
    with inputs(
        query,
        converting_only=query.model not in DATA_DRIVEN,
        milestones=query.model in ("w_shaped", "full_path"),
    ) as (tp, cv):
        return _attribute(tp, cv, query)


def stored_token() -> tuple | None:
    """The stored path set's version (a cache key part), ``None`` while it was never built."""
    st = pathset.state()
    if st is None or st.built_at is None:
        return None
    return (st.pk, st.version, st.refreshed_at.isoformat())


def _tok(token: tuple) -> str:
    return f"{token[0]}-{token[1]}-{token[2].replace(':', '').replace(' ', '')}"


def storable(query: AttributionQuery) -> bool:
    """Whether the stored path set answers the query (it holds the default lookback)."""
    return query.lookback_days == pathset.LOOKBACK_DAYS


def query_slice(query: AttributionQuery, *, owners=None) -> stored.Slice:
    """The stored rows a query reads (kind, journey level, period, deal owners)."""
    return stored.Slice(
        conversion=query.conversion,
        account_level=query.account_level,
        lo=query.since.timestamp() if query.since else None,
        hi=query.until.timestamp() if query.until else None,
        owners=None if owners is None else tuple(sorted({int(i) for i in owners})),
    )


def _stored(token, query: AttributionQuery, *, by: str | None = None) -> AttributionResult:
    by = by or query.by
    return stored.attribute(
        token, query_slice(query), model=query.model, by=by, order=query.order,
        half_life_days=query.half_life_days,
        weights=dict(query.weights) if query.weights else None,
        costs=adapter.costs(by, since=query.since, until=query.until),
        intervals=query.intervals and by == query.by, n_boot=query.n_boot,
    )  # fmt: skip


def run(query: AttributionQuery) -> AttributionResult:
    """Credit the query's conversions under its model (raises ``AttributionError``).

    From the stored path set when it is built, current and holds the query's lookback
    (the same paths and figures as the page); otherwise from the raw touches.
    """
    token = stored_token()
    if token is not None and storable(query) and not pathset.is_stale():
        return _stored(token, query)
    return _live(query)


def fingerprint() -> str:
    """A cheap marker of the data's state (newest ids), part of every cache key."""
    marks = [
        m.objects.aggregate(x=Max("id"))["x"]
        for m in (Touchpoint, StageChange, Deal, DealStageChange, CampaignCost)
    ]
    return ":".join(str(x or 0) for x in marks)


def _comparison_key(query: AttributionQuery) -> str:
    """The comparison depends on neither the selected model nor its options."""
    return replace(query, model="linear", weights=None, intervals=False, n_boot=100).cache_key()


def report(query: AttributionQuery, *, use_cache: bool = True) -> dict:
    """Everything the page shows, JSON-ready, cached for :data:`CACHE_SECONDS`.

    Keys: ``result`` (the CLI's ``--json`` form), ``team`` (the same model by team:
    marketing vs sales credit), ``comparison`` (``{"models", "rows": [{"key", "shares",
    "spread"}]}``, largest spread first), ``error`` (a message when the engine refused
    the query, e.g. no conversions of the kind in the period), ``pending`` (the stored
    path set is not built yet: nothing is computed in the request) and ``as_of`` (when the
    stored path set was last brought up to date, ISO time; ``None`` for a live read).
    """
    empty = {"result": None, "team": None, "comparison": None, "error": None,
             "pending": False, "as_of": None}  # fmt: skip
    if storable(query):
        token = stored_token()
        if token is None:
            return {**empty, "pending": True}
        return _stored_report(token, query, use_cache=use_cache)
    key = f"attribution:report:{query.cache_key()}:{fingerprint()}"
    if use_cache:
        hit = cache.get(key)
        if hit is not None:
            return hit
    out = dict(empty)
    try:
        with inputs(query) as (tp, cv):
            out["result"] = _attribute(tp, cv, query).to_dict()
            if query.by == "team":
                out["team"] = out["result"]
            else:
                team_query = replace(query, intervals=False)
                out["team"] = _attribute(tp, cv, team_query, by="team").to_dict()
            cmp = compare_models(
                tp, cv, models=COMPARED_MODELS, by=query.by, conversion_kind=query.kind,
                lookback_days=query.lookback_days, order=query.order,
                half_life_days=query.half_life_days,
            )  # fmt: skip
            out["comparison"] = cmp.to_dict()
    except AttributionError as exc:
        out = {**empty, "error": str(exc)}
    cache.set(key, out, CACHE_SECONDS)
    return out


def _stored_report(token, query: AttributionQuery, *, use_cache: bool) -> dict:
    key = f"attribution:stored:{query.cache_key()}:{_tok(token)}"
    if use_cache:
        hit = cache.get(key)
        if hit is not None:
            return hit
    out: dict = {"result": None, "team": None, "comparison": None, "error": None,
                 "pending": False, "as_of": token[2]}  # fmt: skip
    try:
        out["result"] = _stored(token, query).to_dict()
        if query.by == "team":
            out["team"] = out["result"]
        else:
            out["team"] = _stored(token, replace(query, intervals=False), by="team").to_dict()
        ckey = f"attribution:comparison:{_comparison_key(query)}:{_tok(token)}"
        cmp = cache.get(ckey) if use_cache else None
        if cmp is None:
            cmp = stored.compare(
                token, query_slice(query), models=COMPARED_MODELS, by=query.by,
                order=query.order, half_life_days=query.half_life_days,
            ).to_dict()  # fmt: skip
            cache.set(ckey, cmp, CACHE_SECONDS)
        out["comparison"] = cmp
    except AttributionError as exc:
        out = {**out, "result": None, "team": None, "comparison": None, "error": str(exc)}
    cache.set(key, out, CACHE_SECONDS)
    return out


def linear_by_channel(*, since, until, owner_ids=None) -> list[tuple[str, float, float]] | None:
    """The dashboards' attribution card: won deals of ``[since, until)`` (aware datetimes)
    credited to channels by the linear model, deal owner in ``owner_ids`` when given;
    ``(channel, conversions, revenue)`` rows, or ``None`` while the path set is not built.

    The same stored paths, won-deal definition and model as the attribution page's
    ``model=linear&by=channel&conversion=won`` for the same dates.
    """
    token = stored_token()
    if token is None:
        return None
    query = AttributionQuery(model="linear", by="channel", conversion="won", since=since,
                             until=until)  # fmt: skip
    try:
        result = stored.attribute(token, query_slice(query, owners=owner_ids), model="linear",
                                  by="channel")  # fmt: skip
    except AttributionError:
        return []
    return [(c.key, c.conversions, c.value) for c in result.credits if c.conversions or c.value]


def model_choices() -> list[str]:
    """Model names offered to users (canonical names plus aliases)."""
    return [*MODELS, *ALIASES]


def cached_result(query: AttributionQuery) -> dict:
    """The API's answer: from the stored path set when built (as the page), else :func:`run`;
    cached like :func:`report`."""
    token = stored_token() if storable(query) else None
    if token is not None:
        key = f"attribution:result:{query.cache_key()}:{_tok(token)}"
        hit = cache.get(key)
        if hit is None:
            hit = _stored(token, query).to_dict()
            cache.set(key, hit, CACHE_SECONDS)
        return hit
    key = f"attribution:result:{query.cache_key()}:{fingerprint()}"
    hit = cache.get(key)
    if hit is None:
        hit = run(query).to_dict()
        cache.set(key, hit, CACHE_SECONDS)
    return hit
