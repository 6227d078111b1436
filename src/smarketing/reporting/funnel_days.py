"""Daily funnel counts per key combination, kept with the funnel facts.

:class:`~smarketing.reporting.models.FunnelDay` counts, per UTC day and combination of the
closed-loop keys (source, channel, campaign, persona, segment) and owner, the contacts that
reached each funnel step that day; :class:`~smarketing.reporting.models.FunnelCombo` counts
the contacts of each combination (which groups exist, even with nothing in a period). Both are
sums over :class:`~smarketing.reporting.models.ContactFunnelFact`, so:

- :func:`rebuild` recomputes them from the facts (with every facts rebuild);
- :func:`apply_delta` adds (``+1``) or removes (``-1``) the contribution of the contacts in
  the facts refresh queue: the facts refresh calls it before deleting their old rows and after
  inserting the new ones, so the tables move with the facts in the same transaction;
- :func:`period_counts` and :func:`daily_steps` read them (whole months from the monthly
  rows, the days around them from the daily rows) for the closed loop's period counts
  and the "leads over time" chart (a few thousand rows instead of one per contact).

:class:`~smarketing.reporting.models.ReviewFact` (one row per lead review with its contact's
keys) is refreshed with the same queue (:func:`refresh_reviews`), so the period's review
figures per combination (:func:`period_reviews`, :func:`period_reasons`) need no join with
the facts.

The keys are formatted exactly as the closed-loop combination keys (``(none)`` for blank,
ids as text), so the frames are interchangeable with the facts queries'. Daily rows brought to
zero by a refresh stay until the next rebuild; the reads ignore them (groups come from
:class:`~smarketing.reporting.models.FunnelCombo`, whose empty rows are deleted).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import connection

from smarketing.analytics.closedloop import FUNNEL_STEPS
from smarketing.crm.models import Deal
from smarketing.funnel.models import LeadReview
from smarketing.reporting import sqlcache
from smarketing.reporting.models import (
    GROUP_KEYS,
    ContactFunnelFact,
    DealFact,
    FunnelCombo,
    FunnelDay,
    FunnelFactQueue,
    ReviewFact,
)

FACT_T = ContactFunnelFact._meta.db_table
QUEUE_T = FunnelFactQueue._meta.db_table
DAY_T = FunnelDay._meta.db_table
COMBO_T = FunnelCombo._meta.db_table
REVIEW_T = ReviewFact._meta.db_table
DEALF_T = DealFact._meta.db_table
DEAL_T = Deal._meta.db_table
LR_T = LeadReview._meta.db_table
KEYS = tuple(GROUP_KEYS)
NONE = "(none)"


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _key_exprs() -> dict[str, str]:
    text = "TEXT"
    return {
        "k_source": f"COALESCE(NULLIF(f.original_source, ''), '{NONE}')",
        "k_channel": f"COALESCE(NULLIF(f.original_channel, ''), '{NONE}')",
        "k_campaign": f"COALESCE(CAST(f.original_campaign_id AS {text}), '{NONE}')",
        "k_persona": f"COALESCE(CAST(f.persona_id AS {text}), '{NONE}')",
        "k_segment": f"COALESCE(NULLIF(f.segment, ''), '{NONE}')",
        "owner_id": "COALESCE(f.owner_id, 0)",
    }


def _day(col: str) -> str:
    return f"CAST({col} AT TIME ZONE 'UTC' AS DATE)" if _pg() else f"date({col})"


def _source(only: bool) -> str:
    return f"{FACT_T} f" + (f" JOIN {QUEUE_T} q ON q.contact_id = f.contact_id" if only else "")


def _upsert(table: str, cols: list[str], keys: tuple[str, ...], select: str) -> str:
    """``INSERT ... SELECT ... ON CONFLICT (keys) DO UPDATE`` adding the counts (SQLite and
    PostgreSQL; ``WHERE true`` resolves SQLite's ON-CONFLICT parsing ambiguity)."""
    values = [c for c in cols if c not in keys]
    add = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in values)
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM ({select}) AS s WHERE true "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {add}"
    )


def _month(col: str) -> str:
    if _pg():
        return f"CAST(date_trunc('month', {col} AT TIME ZONE 'UTC') AS DATE)"
    return f"date({col}, 'start of month')"


def _days_select(sign: int, only: bool, grain: str) -> str:
    """Per ``grain`` ("d", "m", "t"): the queued (or all) contacts' step counts per day."""
    keys = _key_exprs()
    if grain == "t":
        keys = {k: ("0" if k == "owner_id" else "'*'") for k in keys}
    key_cols = ", ".join(f"{e} AS {k}" for k, e in keys.items())
    when = _month if grain == "m" else _day
    parts = []
    for step in FUNNEL_STEPS:
        ones = ", ".join(f"{sign if s == step else 0} AS {s}" for s in FUNNEL_STEPS)
        parts.append(
            f"SELECT {when(f'f.t_{step}')} AS day, {key_cols}, {ones} FROM {_source(only)} "
            f"WHERE f.t_{step} IS NOT NULL"
        )
    sums = ", ".join(f"SUM({s})" for s in FUNNEL_STEPS)
    return (
        f"SELECT '{grain}', day, {', '.join(KEYS)}, {sums} "
        f"FROM ({' UNION ALL '.join(parts)}) AS u GROUP BY day, {', '.join(KEYS)}"
    )


GRAINS = ("d", "m", "t")
DAY_COLS = ["grain", "day", *KEYS, *FUNNEL_STEPS]


def _combos_select(sign: int, only: bool) -> str:
    keys = _key_exprs()
    key_cols = ", ".join(f"{e} AS {k}" for k, e in keys.items())
    return (
        f"SELECT {', '.join(KEYS)}, SUM(n) FROM (SELECT {key_cols}, {sign} AS n "
        f"FROM {_source(only)}) AS u GROUP BY {', '.join(KEYS)}"
    )


def rebuild() -> None:
    """Recompute both tables from the funnel facts (the caller owns the transaction)."""
    for t in (DAY_T, COMBO_T):
        sqlcache.execute(f"TRUNCATE {t}" if _pg() else f"DELETE FROM {t}")
    every = " UNION ALL ".join(_days_select(1, False, g) for g in GRAINS)
    sqlcache.execute(f"INSERT INTO {DAY_T} ({', '.join(DAY_COLS)}) {every}")
    sqlcache.execute(
        f"INSERT INTO {COMBO_T} ({', '.join([*KEYS, 'contacts'])}) {_combos_select(1, only=False)}"
    )
    if _pg():
        sqlcache.execute(f"ANALYZE {DAY_T}")
        sqlcache.execute(f"ANALYZE {COMBO_T}")
    rebuild_reviews()


def _reviews_insert(only: bool) -> str:
    keys = _key_exprs()
    queued = f" JOIN {QUEUE_T} q ON q.contact_id = r.contact_id" if only else ""
    return (
        f"INSERT INTO {REVIEW_T} (review_id, contact_id, at, decision, reason_code, "
        f"quality_rating, {', '.join(KEYS)}) SELECT r.id, r.contact_id, r.at, r.decision, "
        f"r.reason_code, r.quality_rating, {', '.join(keys.values())} FROM {LR_T} r "
        f"JOIN {FACT_T} f ON f.contact_id = r.contact_id{queued}"
    )


def _deals_insert(where: str = "") -> str:
    keys = _key_exprs()
    real = "DOUBLE PRECISION" if _pg() else "REAL"
    return (
        f"INSERT INTO {DEALF_T} (deal_id, contact_id, created_at, closed_at, is_won, amount, "
        f"{', '.join(KEYS)}) SELECT d.id, d.primary_contact_id, d.created_at, d.closed_at, "
        f"d.is_won, CAST(d.amount AS {real}), {', '.join(keys.values())} FROM {DEAL_T} d "
        f"JOIN {FACT_T} f ON f.contact_id = d.primary_contact_id{where}"
    )


def refresh_deals() -> None:
    """Recompute the deal rows of the queued contacts (their deals, and deals that were
    theirs), after their facts."""
    queued = f"SELECT contact_id FROM {QUEUE_T}"
    sqlcache.execute(
        f"DELETE FROM {DEALF_T} WHERE contact_id IN ({queued}) OR deal_id IN "
        f"(SELECT id FROM {DEAL_T} WHERE primary_contact_id IN ({queued}))"
    )
    sqlcache.execute(_deals_insert(f" WHERE d.primary_contact_id IN ({queued})"))


def forget_deal(deal_id: int) -> None:
    """Drop one deal's row (before its contact is refreshed, or when it was deleted)."""
    sqlcache.execute(f"DELETE FROM {DEALF_T} WHERE deal_id = %s", [int(deal_id)])


def rebuild_reviews() -> None:
    """Recompute :class:`ReviewFact` and :class:`DealFact` from the reviews, deals and the
    funnel facts."""
    sqlcache.execute(f"TRUNCATE {REVIEW_T}" if _pg() else f"DELETE FROM {REVIEW_T}")
    sqlcache.execute(_reviews_insert(only=False))
    sqlcache.execute(f"TRUNCATE {DEALF_T}" if _pg() else f"DELETE FROM {DEALF_T}")
    sqlcache.execute(_deals_insert())
    if _pg():
        sqlcache.execute(f"ANALYZE {REVIEW_T}, {DEALF_T}")


def refresh_reviews() -> None:
    """Recompute the review rows of the queued contacts (after their facts)."""
    sqlcache.execute(
        f"DELETE FROM {REVIEW_T} WHERE contact_id IN (SELECT contact_id FROM {QUEUE_T})"
    )
    sqlcache.execute(_reviews_insert(only=True))


def apply_delta(sign: int) -> None:
    """Add (``+1``) or remove (``-1``) the queued contacts' current facts from both tables."""
    every = " UNION ALL ".join(_days_select(sign, True, g) for g in GRAINS)
    sqlcache.execute(_upsert(DAY_T, DAY_COLS, ("grain", "day", *KEYS), every))
    sqlcache.execute(_upsert(COMBO_T, [*KEYS, "contacts"], KEYS, _combos_select(sign, True)))
    if sign > 0:  # groups left without contacts must not be listed
        sqlcache.execute(f"DELETE FROM {COMBO_T} WHERE contacts <= 0")


def covers(start: datetime, end: datetime) -> bool:
    """Whether a window is whole UTC days (the tables' granularity)."""
    return start.time() == time() and end.time() == time() and start.tzinfo is None


def _filters(*, owner_ids, persona_id, segment, channel) -> tuple[str, list]:
    where, params = [], []
    if owner_ids is not None:
        ids = [int(i) for i in owner_ids] or [-1]
        where.append(f"owner_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if persona_id:
        where.append("k_persona = %s")
        params.append(str(int(persona_id)))
    if segment:
        where.append("k_segment = %s")
        params.append(segment)
    if channel:
        where.append("k_channel = %s")
        params.append(channel)
    return "".join(f" AND {w}" for w in where), params


def _rows(sql: str, params: list) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [d[0] for d in cur.description], cur.fetchall()


def _spans(start: date, end: date) -> list[tuple[str, date, date]]:
    """``[start, end)`` as whole months (grain "m") plus the days around them (grain "d")."""
    first = start if start.day == 1 else _next_month(start)
    last = end.replace(day=1)
    if first >= last:
        return [("d", start, end)]
    spans = [("m", first, last)]
    if start < first:
        spans.append(("d", start, first))
    if last < end:
        spans.append(("d", last, end))
    return spans


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def period_counts(
    *, start: date, end: date, owner_ids=None, persona_id=None, segment=None, channel=None
) -> tuple[list[str], list[tuple]]:
    """Step counts in ``[start, end)`` per combination (every combination of the filtered
    contacts, zeros included): the columns and rows of the closed loop's count frame."""
    cond, params = _filters(
        owner_ids=owner_ids, persona_id=persona_id, segment=segment, channel=channel
    )
    combo = ", ".join(KEYS[:-1])
    sums = ", ".join(f"SUM({s}) AS {s}" for s in FUNNEL_STEPS)
    zeros = ", ".join(f"COALESCE(d.{s}, 0) AS {s}" for s in FUNNEL_STEPS)
    on = " AND ".join(f"d.{k} = c.{k}" for k in KEYS[:-1])
    spans = _spans(start, end)
    when = " OR ".join("(grain = %s AND day >= %s AND day < %s)" for _ in spans)
    sql = (
        f"WITH c AS (SELECT DISTINCT {combo} FROM {COMBO_T} WHERE contacts > 0{cond}), "
        f"d AS (SELECT {combo}, {sums} FROM {DAY_T} WHERE ({when}){cond} GROUP BY {combo}) "
        f"SELECT {', '.join(f'c.{k}' for k in KEYS[:-1])}, {zeros} FROM c LEFT JOIN d ON {on}"
    )
    return _rows(sql, [*params, *(x for span in spans for x in span), *params])


def daily_steps(
    *, start: date, end: date, owner_ids=None, persona_id=None, segment=None, channel=None
) -> list[tuple]:
    """``(day, leads, mqls, sqls)`` per day of ``[start, end)`` with any of them."""
    cond, params = _filters(
        owner_ids=owner_ids, persona_id=persona_id, segment=segment, channel=channel
    )
    grain = "d" if cond else "t"
    sql = (
        f"SELECT day, SUM(leads), SUM(mqls), SUM(sqls) FROM {DAY_T} "
        f"WHERE grain = %s AND day >= %s AND day < %s{cond} GROUP BY day "
        "HAVING SUM(leads) + SUM(mqls) + SUM(sqls) > 0 ORDER BY day"
    )
    return _rows(sql, [grain, start, end, *params])[1]


def daily_totals(start: date, end: date) -> dict[str, dict[date, float]]:
    """Company-wide first-reach counts per UTC day of ``[start, end)`` (the "t" rows), keyed
    like :func:`smarketing.planning.selectors.daily_actuals`: leads, mqls, sqls, customers.
    Its signature is planning's ``StepCounts``: pass it to ``goal_pacing(step_counts=…)``."""
    sql = (
        f"SELECT day, SUM(leads), SUM(mqls), SUM(sqls), SUM(won) FROM {DAY_T} "
        "WHERE grain = 't' AND day >= %s AND day < %s GROUP BY day"
    )
    out: dict[str, dict[date, float]] = {m: {} for m in ("leads", "mqls", "sqls", "customers")}
    for row in _rows(sql, [start, end])[1]:
        day = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0])[:10])
        for metric, n in zip(("leads", "mqls", "sqls", "customers"), row[1:]):
            if n:
                out[metric][day] = float(n)
    return out


def _review_where(start: datetime, end: datetime, filters: dict) -> tuple[str, list]:
    from datetime import UTC

    cond, params = _filters(**filters)
    return f"at >= %s AND at < %s{cond}", [
        start.replace(tzinfo=UTC),
        end.replace(tzinfo=UTC),
        *params,
    ]


def period_reviews(*, start: datetime, end: datetime, **filters) -> tuple[list[str], list[tuple]]:
    """Reviews made in ``[start, end)`` per combination: accepted, rejected, quality sum and
    count (the closed loop's review frame)."""
    where, params = _review_where(start, end, filters)
    combo = ", ".join(KEYS[:-1])
    sql = (
        f"SELECT {combo}, SUM(CASE WHEN decision = 'accept' THEN 1 ELSE 0 END) AS accepted, "
        "SUM(CASE WHEN decision = 'reject' THEN 1 ELSE 0 END) AS rejected, "
        "SUM(CAST(quality_rating AS FLOAT)) AS q_sum, COUNT(quality_rating) AS q_n "
        f"FROM {REVIEW_T} WHERE {where} GROUP BY {combo}"
    )
    return _rows(sql, params)


def period_reasons(*, start: datetime, end: datetime, **filters) -> tuple[list[str], list[tuple]]:
    """Rejections made in ``[start, end)`` per combination and reason (the reasons frame)."""
    where, params = _review_where(start, end, filters)
    combo = ", ".join(KEYS[:-1])
    sql = (
        f"SELECT {combo}, reason_code, COUNT(*) AS n FROM {REVIEW_T} "
        f"WHERE {where} AND decision = 'reject' GROUP BY {combo}, reason_code"
    )
    return _rows(sql, params)


def period_deals(*, start: datetime, end: datetime, **filters) -> tuple[list[str], list[tuple]]:
    """Won deals, revenue (closed in ``[start, end)``) and pipeline (created in it) per
    combination (the closed loop's deals frame)."""
    from datetime import UTC

    cond, params = _filters(**filters)
    s, e = start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
    won = "is_won AND closed_at >= %s AND closed_at < %s"
    made = "created_at >= %s AND created_at < %s"
    combo = ", ".join(KEYS[:-1])
    sql = (
        f"SELECT {combo}, SUM(CASE WHEN {won} THEN 1 ELSE 0 END) AS won_deals, "
        f"SUM(CASE WHEN {won} THEN amount END) AS revenue, "
        f"SUM(CASE WHEN {made} THEN amount END) AS pipeline "
        f"FROM {DEALF_T} WHERE (({won}) OR ({made})){cond} GROUP BY {combo}"
    )
    return _rows(sql, [s, e, s, e, s, e, s, e, s, e, *params])


def won_days(*, start: datetime, end: datetime, **filters) -> list[tuple]:
    """``(day, won_deals, revenue)`` per UTC close day of the won deals closed in
    ``[start, end)`` whose primary contact the filters keep (the closed loop's deals: the
    same won deals and revenue as its period figures)."""
    from datetime import UTC

    cond, params = _filters(**filters)
    s, e = start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
    day = _day("closed_at")
    sql = (
        f"SELECT {day} AS d, COUNT(*), SUM(amount) FROM {DEALF_T} "
        f"WHERE is_won AND closed_at >= %s AND closed_at < %s{cond} GROUP BY {day} ORDER BY d"
    )
    return _rows(sql, [s, e, *params])[1]
