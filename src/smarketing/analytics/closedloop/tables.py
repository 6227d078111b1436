"""The input tables of the closed-loop maths, and the small Ibis helpers they share.

Pure: no Django. The app's adapter (``smarketing.reporting.selectors``) fills
:class:`FunnelTables` with Ibis tables over its database; tests may pass in-memory tables.
Column names are the database column names (``contact_id``, ``original_campaign_id`` ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import ibis
from ibis import _

__all__ = [
    "STAGE_RANK",
    "STEPS",
    "FUNNEL_STEPS",
    "ClosedLoopError",
    "FunnelTables",
    "FUNNEL_FACT_COLUMNS",
    "as_ts",
    "contact_funnel",
    "grouped_median",
    "reach_times",
]

#: Funnel steps reported, top to bottom (``won`` = became a customer).
FUNNEL_STEPS: tuple[str, ...] = ("leads", "mqls", "sqls", "opportunities", "won")
#: Transition names (velocity, conversion), top to bottom.
STEPS: tuple[str, ...] = tuple(f"{a}_to_{b}" for a, b in zip(FUNNEL_STEPS, FUNNEL_STEPS[1:]))
#: Rank of each lifecycle stage in the forward funnel. Reaching a later stage means having
#: passed the earlier ones (SAL counts as past MQL; evangelist as past customer). Subscriber,
#: recycled and disqualified are outside the counted funnel (rank 0).
STAGE_RANK: dict[str, int] = {
    "lead": 1,
    "mql": 2,
    "sal": 2,
    "sql": 3,
    "opportunity": 4,
    "customer": 5,
    "evangelist": 5,
}


class ClosedLoopError(ValueError):
    """Bad input to a closed-loop computation (names the offending field)."""


@dataclass(frozen=True)
class FunnelTables:
    """The tables closed-loop reporting reads (Ibis tables with the app's column names).

    - ``contacts``: id, created_at, lifecycle_stage, original_source, original_channel,
      original_campaign_id, persona_id, account_id, owner_id
    - ``accounts``: id, segment
    - ``stage_changes``: contact_id, to_stage, changed_at
    - ``deals``: id, primary_contact_id, amount, created_at, closed_at, is_closed, is_won
    - ``reviews``: contact_id, decision, reason_code, quality_rating, at
    - ``costs``: campaign_id, period_start, period_end, amount
    - ``campaigns``: id, name, channel, source
    - ``touchpoints``: contact_id, content_id (content membership; any other columns ignored)
    - ``personas``: id, name; ``content``: id, title (labels only)
    - ``funnel`` (optional): the per-contact funnel facts, :data:`FUNNEL_FACT_COLUMNS`, i.e.
      :func:`contact_funnel` materialised. When given, the closed-loop maths reads it (one
      row per contact) instead of re-deriving reach times from ``stage_changes``; the figures
      are the same as long as the table is fresh.
    """

    contacts: ibis.Table
    accounts: ibis.Table
    stage_changes: ibis.Table
    deals: ibis.Table
    reviews: ibis.Table
    costs: ibis.Table
    campaigns: ibis.Table
    touchpoints: ibis.Table
    personas: ibis.Table
    content: ibis.Table
    funnel: ibis.Table | None = None


#: Columns of the per-contact funnel fact table (see :func:`contact_funnel`).
FUNNEL_FACT_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "created_at",
    "created_month",
    "original_source",
    "original_channel",
    "original_campaign_id",
    "persona_id",
    "segment",
    "owner_id",
    *(f"t_{s}" for s in FUNNEL_STEPS),
)


def as_ts(value: date | datetime | str) -> datetime:
    """A naive-UTC datetime for comparisons with the database's timestamp columns.

    >>> as_ts("2026-01-01")
    datetime.datetime(2026, 1, 1, 0, 0)
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ClosedLoopError(f"not a date: {value!r}") from None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def reach_times(stage_changes: ibis.Table, contacts: ibis.Table | None = None) -> ibis.Table:
    """One row per contact: when it first reached each funnel step (or any later one).

    Columns ``contact_id, t_leads, t_mqls, t_sqls, t_opportunities, t_won``. With ``contacts``,
    a contact whose current stage is in the funnel but has no logged lead entry (records
    created before the log existed) gets ``created_at`` as its lead time. Runs in the database
    (one grouped aggregation with conditional minimums).
    """
    rank = _.to_stage.cases(*STAGE_RANK.items(), else_=0)
    sc = stage_changes.select("contact_id", "changed_at", rank=rank)
    aggs = {
        f"t_{step}": sc.changed_at.min(where=sc["rank"] >= k)
        for k, step in enumerate(FUNNEL_STEPS, start=1)
    }
    reach = sc.group_by("contact_id").aggregate(**aggs)
    if contacts is None:
        return reach
    c = contacts.select(
        cid=contacts.id,
        created_at=contacts.created_at,
        crank=contacts.lifecycle_stage.cases(*STAGE_RANK.items(), else_=0),
    )
    j = c.left_join(reach, c.cid == reach.contact_id)
    fallback = ibis.ifelse(j.crank >= 1, j.created_at, ibis.null("timestamp"))
    return j.select(
        contact_id=j.cid,
        t_leads=ibis.coalesce(j.t_leads, fallback),
        **{f"t_{s}": j[f"t_{s}"] for s in FUNNEL_STEPS[1:]},
    )


def contact_funnel(
    contacts: ibis.Table,
    accounts: ibis.Table,
    stage_changes: ibis.Table,
    only: ibis.Table | None = None,
) -> ibis.Table:
    """One row per contact: its grouping keys and when it reached each funnel step.

    The rows of the per-contact funnel fact table (columns :data:`FUNNEL_FACT_COLUMNS`):
    :func:`reach_times` with the ``created_at`` fallback, the contact's original source,
    channel and campaign, persona, owner and its account's segment, and the creation month
    (``YYYY-MM``, the cohort). ``only`` (a table with a ``contact_id`` column) restricts the
    rows to those contacts, so an app can refresh a few contacts without reading the whole
    log: the restriction is applied to the contacts and the log before the aggregation.

    >>> import ibis, datetime as dt, pandas as pd
    >>> now = dt.datetime(2026, 1, 5)
    >>> c = ibis.memtable({"id": [1], "created_at": [now], "lifecycle_stage": ["mql"],
    ...     "original_source": ["google"], "original_channel": ["paid"],
    ...     "original_campaign_id": [None], "persona_id": [None], "account_id": [9],
    ...     "owner_id": [None]})
    >>> a = ibis.memtable({"id": [9], "segment": ["smb"]})
    >>> sc = ibis.memtable({"contact_id": [1], "to_stage": ["mql"], "changed_at": [now]})
    >>> row = contact_funnel(c, a, sc).to_pandas().iloc[0]
    >>> row.segment, row.created_month, row.t_mqls == now, pd.isna(row.t_sqls)
    ('smb', '2026-01', True, True)
    """
    if only is not None:
        ids = only.select(_only_id=only.contact_id)
        contacts = contacts.semi_join(ids, contacts.id == ids._only_id)
        stage_changes = stage_changes.semi_join(ids, stage_changes.contact_id == ids._only_id)
    reach = reach_times(stage_changes, contacts)
    a = accounts.select(_acc_id=accounts.id, segment=accounts.segment)
    c = contacts.left_join(a, contacts.account_id == a._acc_id)
    j = c.join(reach, c.id == reach.contact_id)
    return j.select(
        contact_id=j.id,
        created_at=j.created_at,
        created_month=j.created_at.strftime("%Y-%m"),
        original_source=j.original_source,
        original_channel=j.original_channel,
        original_campaign_id=j.original_campaign_id,
        persona_id=j.persona_id,
        segment=j.segment,
        owner_id=j.owner_id,
        **{f"t_{s}": j[f"t_{s}"] for s in FUNNEL_STEPS},
    )


def _native_median(t: ibis.Table) -> bool:
    """Whether the table's backend has an exact MEDIAN (PostgreSQL, DuckDB; not SQLite)."""
    try:
        name = t._find_backend(use_default=True).name
    except Exception:  # an unbound table: use the portable form
        return False
    return name in ("postgres", "duckdb", "pyspark", "snowflake", "bigquery")


def grouped_median(
    t: ibis.Table, by: list[str], value: str, *, native: bool | None = None
) -> ibis.Table:
    """Median of ``value`` per group, portable to backends without MEDIAN (SQLite).

    The classic window form: number the sorted values per group and average the middle one
    (odd count) or two (even count). Columns: ``by`` + ``median``. On backends with an exact
    median (``PERCENTILE_CONT(0.5)`` on PostgreSQL: the same middle average, one sort-based
    aggregate instead of two window passes and a self-filter), that is used instead.
    """
    t = t.filter(t[value].notnull())
    if native if native is not None else _native_median(t):
        return t.group_by(by).aggregate(median=t[value].median())
    w = ibis.window(group_by=[t[b] for b in by], order_by=t[value])
    ranked = t.mutate(
        _rn=ibis.row_number().over(w) + 1,
        _n=t[value].count().over(ibis.window(group_by=[t[b] for b in by])),
    )
    lo = (ranked._n + 1) // 2
    hi = ranked._n // 2 + 1
    mid = ranked.filter((ranked._rn == lo) | (ranked._rn == hi))
    return mid.group_by(by).aggregate(median=mid[value].mean())
