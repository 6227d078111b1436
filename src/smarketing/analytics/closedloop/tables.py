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
    "as_ts",
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


def grouped_median(t: ibis.Table, by: list[str], value: str) -> ibis.Table:
    """Median of ``value`` per group, portable to backends without MEDIAN (SQLite).

    The classic window form: number the sorted values per group and average the middle one
    (odd count) or two (even count). Columns: ``by`` + ``median``.
    """
    t = t.filter(t[value].notnull())
    w = ibis.window(group_by=[t[b] for b in by], order_by=t[value])
    ranked = t.mutate(
        _rn=ibis.row_number().over(w) + 1,
        _n=t[value].count().over(ibis.window(group_by=[t[b] for b in by])),
    )
    lo = (ranked._n + 1) // 2
    hi = ranked._n // 2 + 1
    mid = ranked.filter((ranked._rn == lo) | (ranked._rn == hi))
    return mid.group_by(by).aggregate(median=mid[value].mean())
