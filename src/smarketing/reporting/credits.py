"""Stored linear attribution credits per won deal: the dashboards' attribution summary.

The summary shows the period's won revenue credited to channels with the linear model of
:func:`smarketing.analytics.attribution.attribute` (each won deal's value split equally over
its primary contact's touches in the 90 days up to the win; a deal with none is "(no touch)").
Running the engine per view read every touch of the period's won contacts (5 s on the large
demo). The linear credit of a deal depends only on that deal and its contact's touches, so it
is stored per deal and channel (:class:`~smarketing.reporting.models.AttributionCredit`) and a
period's summary is one grouped sum over the period's rows. Tests check it equals the engine.

Kept current:

- a deal saved or deleted through the ORM is recomputed on commit (signal);
- :func:`catch_up_credits` (the periodic task, and every dashboard read when the backlog is
  small) recomputes new deals, deals with new stage changes, and won deals whose contact got a
  touch (new touchpoint ids) inside the deal's 90-day window; the checkpoint is
  :class:`~smarketing.reporting.models.CreditState`;
- :func:`rebuild_credits` recomputes everything (demo generation, nightly rebuild).

Everything runs as ``INSERT ... SELECT`` in the database (SQLite and PostgreSQL), one index
probe on ``(contact, occurred_at)`` per deal.
"""

from __future__ import annotations

import logging
from datetime import UTC

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from smarketing.crm.models import Deal, DealStageChange, Touchpoint
from smarketing.reporting import sqlcache
from smarketing.reporting.models import AttributionCredit, CreditQueue, CreditState

log = logging.getLogger(__name__)

#: The engine's default lookback (``attribute(lookback_days=90)``).
LOOKBACK_DAYS = 90
NO_TOUCH = "(no touch)"
NONE_CHANNEL = "(none)"
#: New touchpoints a read checks inline; more is left to the periodic task.
INLINE_TOUCHES = 200_000
INLINE_DEALS = 5_000

CREDIT_T = AttributionCredit._meta.db_table
QUEUE_T = CreditQueue._meta.db_table
DEAL_T = Deal._meta.db_table
TP_T = Touchpoint._meta.db_table
DSC_T = DealStageChange._meta.db_table


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _window_start(col: str) -> str:
    if _pg():
        return f"({col} - INTERVAL '{LOOKBACK_DAYS} days')"
    return f"strftime('%Y-%m-%d %H:%M:%f', {col}, '-{LOOKBACK_DAYS} days')"


def _insert_sql(*, only: bool) -> str:
    """``INSERT INTO credits SELECT ...``: every won deal's linear credit per channel."""
    keep = f" AND d.id IN (SELECT deal_id FROM {QUEUE_T})" if only else ""
    won = (
        "SELECT d.id, d.owner_id, d.closed_at, d.primary_contact_id AS cid, "
        f"CAST(d.amount AS {'DOUBLE PRECISION' if _pg() else 'REAL'}) AS amount FROM {DEAL_T} d "
        "WHERE d.is_won AND d.closed_at IS NOT NULL AND d.primary_contact_id IS NOT NULL" + keep
    )
    channel = f"COALESCE(NULLIF(t.channel, ''), '{NONE_CHANNEL}')"
    return (
        f"INSERT INTO {CREDIT_T} (deal_id, owner_id, closed_at, channel, conversions, revenue) "
        f"WITH won AS ({won}), "
        f"hits AS (SELECT w.id AS deal_id, {channel} AS channel, COUNT(*) AS k "
        f"FROM won w JOIN {TP_T} t ON t.contact_id = w.cid AND t.occurred_at <= w.closed_at "
        f"AND t.occurred_at >= {_window_start('w.closed_at')} GROUP BY w.id, {channel}), "
        "n AS (SELECT deal_id, SUM(k) AS n FROM hits GROUP BY deal_id) "
        "SELECT w.id, w.owner_id, w.closed_at, "
        f"COALESCE(h.channel, '{NO_TOUCH}'), "
        "CASE WHEN h.k IS NULL THEN 1.0 ELSE h.k * 1.0 / n.n END, "
        "CASE WHEN h.k IS NULL THEN w.amount ELSE w.amount * h.k / n.n END "
        "FROM won w LEFT JOIN hits h ON h.deal_id = w.id LEFT JOIN n ON n.deal_id = w.id"
    )


def _state() -> CreditState:
    """The checkpoint row, locked for this transaction (serialises refreshes)."""
    state = CreditState.objects.select_for_update().order_by("pk").first()
    return state or CreditState.objects.create()


def _maxima() -> dict[str, int]:
    return {
        "deal": Deal.objects.aggregate(m=Max("id"))["m"] or 0,
        "dsc": DealStageChange.objects.aggregate(m=Max("id"))["m"] or 0,
        "tp": Touchpoint.objects.aggregate(m=Max("id"))["m"] or 0,
    }


@transaction.atomic
def rebuild_credits() -> int:
    """Recompute every won deal's credits (one ``INSERT ... SELECT``); the row count."""
    state = _state()
    top = _maxima()
    sqlcache.execute(f"TRUNCATE {CREDIT_T}" if _pg() else f"DELETE FROM {CREDIT_T}")
    n = sqlcache.execute(_insert_sql(only=False))
    if _pg():
        sqlcache.execute(f"ANALYZE {CREDIT_T}")
    state.deal_id, state.deal_stage_change_id, state.touchpoint_id = (
        top["deal"],
        top["dsc"],
        top["tp"],
    )
    state.built_at = state.refreshed_at = timezone.now()
    state.save()
    return n


@transaction.atomic
def refresh_credits(deal_ids) -> int:
    """Recompute the credits of ``deal_ids`` (deals no longer won lose their rows)."""
    ids = sorted({int(i) for i in deal_ids})
    if not ids:
        return 0
    _state()  # lock: one refresh at a time
    CreditQueue.objects.all().delete()
    CreditQueue.objects.bulk_create([CreditQueue(deal_id=i) for i in ids])
    sqlcache.execute(f"DELETE FROM {CREDIT_T} WHERE deal_id IN (SELECT deal_id FROM {QUEUE_T})")
    n = sqlcache.execute(_insert_sql(only=True))
    CreditQueue.objects.all().delete()
    return n


def _touched_deals_sql() -> str:
    """Won deals whose primary contact has a touch with id > %s inside the deal's window."""
    return (
        f"SELECT DISTINCT d.id FROM {TP_T} t JOIN {DEAL_T} d ON d.primary_contact_id = "
        "t.contact_id WHERE t.id > %s AND d.is_won AND d.closed_at IS NOT NULL "
        f"AND t.occurred_at <= d.closed_at AND t.occurred_at >= {_window_start('d.closed_at')}"
    )


def _changed_since(state: CreditState) -> set[int]:
    ids = set(Deal.objects.filter(id__gt=state.deal_id).values_list("id", flat=True))
    ids |= set(
        DealStageChange.objects.filter(id__gt=state.deal_stage_change_id)
        .values_list("deal_id", flat=True)
        .distinct()
    )
    with connection.cursor() as cur:
        cur.execute(_touched_deals_sql(), [state.touchpoint_id])
        ids |= {int(r[0]) for r in cur.fetchall()}
    return ids


@transaction.atomic
def catch_up_credits() -> int:
    """Recompute the deals changed since the checkpoint and advance it; rebuild if the table
    was never built."""
    state = _state()
    if state.built_at is None:
        return rebuild_credits()
    top = _maxima()
    n = refresh_credits(_changed_since(state))
    state.deal_id = max(state.deal_id, top["deal"])
    state.deal_stage_change_id = max(state.deal_stage_change_id, top["dsc"])
    state.touchpoint_id = max(state.touchpoint_id, top["tp"])
    state.refreshed_at = timezone.now()
    state.save()
    return n


def ensure_fresh(version: dict | None = None) -> bool:
    """Bring the credits up to the last deal, deal stage change and touchpoint before a read
    (primary-key maxima when nothing changed). ``False`` (read the engine live instead) when
    never built or the backlog is larger than a read should absorb."""
    state = CreditState.objects.order_by("pk").first()
    if state is None or state.built_at is None:
        return False
    if version is None:
        top = _maxima()
    else:  # the page's data version has the deal and touchpoint maxima already
        dsc = DealStageChange.objects.aggregate(m=Max("id"))["m"] or 0
        top = {"deal": version["deal"], "tp": version["tp"], "dsc": dsc}
    if (
        state.deal_id >= top["deal"]
        and state.deal_stage_change_id >= top["dsc"]
        and state.touchpoint_id >= top["tp"]
    ):
        return True
    deals = (top["deal"] - state.deal_id) + (top["dsc"] - state.deal_stage_change_id)
    if deals > INLINE_DEALS or top["tp"] - state.touchpoint_id > INLINE_TOUCHES:
        log.warning("attribution credits lag: running the engine until the periodic task runs")
        return False
    catch_up_credits()
    return True


def summary(*, start, end, owner_ids=None) -> list[tuple[str, float, float]]:
    """``(channel, conversions, revenue)`` credited for the deals won in ``[start, end)``
    (naive UTC datetimes), deal owner in ``owner_ids`` when given; largest revenue first."""
    params: list = [start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)]
    where = "closed_at >= %s AND closed_at < %s"
    if owner_ids is not None:
        ids = [int(i) for i in owner_ids] or [-1]
        where += f" AND owner_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    sql = (
        f"SELECT channel, SUM(conversions), SUM(revenue) FROM {CREDIT_T} WHERE {where} "
        "GROUP BY channel"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [(str(c), float(n or 0), float(v or 0)) for c, n, v in rows]


def on_deal_saved(sender, instance=None, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of a deal: recompute its credits once committed."""
    if instance is None or instance.pk is None:
        return
    pk = instance.pk

    def refresh():
        if not CreditState.objects.filter(built_at__isnull=False).exists():
            return  # never built: the first read or the periodic task builds everything
        try:
            refresh_credits([pk])
        except Exception:  # committed already; the nightly rebuild repairs it
            log.exception("attribution credits refresh failed for deal %s", pk)

    transaction.on_commit(refresh)
