"""The per-contact funnel facts: built in the database, refreshed incrementally.

:class:`~smarketing.reporting.models.ContactFunnelFact` holds one row per contact (reach time
of each funnel step + grouping keys), the rows of the pure
:func:`smarketing.analytics.closedloop.contact_funnel` expression. That expression is compiled
once (SQLite or PostgreSQL) and run as ``INSERT INTO ... SELECT``: no row passes through Python.

- :func:`rebuild_reporting_tables` rebuilds everything (funnel facts and traffic summaries);
  the demo generator's ``demo_generated`` signal calls it, operators via
  ``smarketing reporting_refresh --rebuild``.
- :func:`refresh_funnel_facts` recomputes given contacts (the ``stage_changed`` receiver).
- :func:`catch_up_funnel_facts` recomputes the contacts changed since the checkpoint
  (:class:`~smarketing.reporting.models.FunnelFactState`): new stage changes, new contacts and
  contacts whose ``updated_at`` moved (owner, persona, channel edits) -- the periodic task.
- :func:`ensure_fresh` is the cheap read-path check (primary-key maxima only): dashboards never
  read facts older than the last stage change or contact. With a larger backlog (facts never
  built, worker stopped) it says so and the reads fall back to the stage-change log: slower,
  never wrong.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from smarketing.analytics.closedloop import FUNNEL_FACT_COLUMNS, contact_funnel
from smarketing.core.ibis_db import backend, table
from smarketing.crm.models import Account, Contact, Deal, DealStageChange
from smarketing.funnel.models import LeadReview, StageChange
from smarketing.reporting import funnel_days, sqlcache
from smarketing.reporting.models import ContactFunnelFact, FunnelFactQueue, FunnelFactState

log = logging.getLogger(__name__)

#: A read refreshes inline at most this many contacts; more is left to the periodic task.
INLINE_LIMIT = 5_000
#: Rows committed out of id order (concurrent transactions) are caught by re-reading a margin.
ID_OVERLAP = 1_000
UPDATED_OVERLAP = timedelta(minutes=5)


def _insert_sql(*, only: bool) -> str:
    """``INSERT INTO <facts> (...) SELECT ...``, compiled once per database."""

    def build():
        con = backend()
        queue = table(FunnelFactQueue, con) if only else None
        return contact_funnel(
            table(Contact, con), table(Account, con), table(StageChange, con), only=queue
        )

    select = sqlcache.compiled(("funnel_facts_insert", only), build)
    cols = ", ".join(connection.ops.quote_name(c) for c in FUNNEL_FACT_COLUMNS)
    return f"INSERT INTO {ContactFunnelFact._meta.db_table} ({cols}) {select}"


def _state() -> FunnelFactState:
    """The checkpoint row, locked for this transaction (serialises refreshes)."""
    state = FunnelFactState.objects.select_for_update().order_by("pk").first()
    return state or FunnelFactState.objects.create()


def _maxima() -> dict:
    return {
        "sc": StageChange.objects.aggregate(m=Max("id"))["m"] or 0,
        "contact": Contact.objects.aggregate(m=Max("id"))["m"] or 0,
        "review": LeadReview.objects.aggregate(m=Max("id"))["m"] or 0,
        "deal": Deal.objects.aggregate(m=Max("id"))["m"] or 0,
        "dsc": DealStageChange.objects.aggregate(m=Max("id"))["m"] or 0,
    }


@transaction.atomic
def rebuild_funnel_facts() -> int:
    """Recompute every contact's funnel facts in one ``INSERT ... SELECT``; the row count."""
    state = _state()
    top = _maxima()
    updated = Contact.objects.aggregate(m=Max("updated_at"))["m"]
    fact = ContactFunnelFact._meta.db_table
    if connection.vendor == "postgresql":
        sqlcache.execute(f"TRUNCATE {fact}")
    else:
        sqlcache.execute(f"DELETE FROM {fact}")
    n = sqlcache.execute(_insert_sql(only=False))
    if connection.vendor == "postgresql":
        sqlcache.execute(f"ANALYZE {fact}")
    funnel_days.rebuild()
    state.days_built = True
    now = timezone.now()
    state.stage_change_id, state.contact_id = top["sc"], top["contact"]
    state.review_id = top["review"]
    state.deal_id, state.deal_stage_change_id = top["deal"], top["dsc"]
    state.contact_updated_at = updated
    state.built_at = state.refreshed_at = now
    state.save()
    return n


@transaction.atomic
def refresh_funnel_facts(contact_ids) -> int:
    """Recompute the funnel facts of ``contact_ids`` (deleted contacts lose their row)."""
    ids = sorted({int(i) for i in contact_ids})
    if not ids:
        return 0
    days = _state().days_built  # lock: one refresh at a time
    fact, queue = ContactFunnelFact._meta.db_table, FunnelFactQueue._meta.db_table
    FunnelFactQueue.objects.all().delete()
    FunnelFactQueue.objects.bulk_create([FunnelFactQueue(contact_id=i) for i in ids])
    if days:  # the daily counts move with the facts: out with the old rows, in with the new
        funnel_days.apply_delta(-1)
    sqlcache.execute(f"DELETE FROM {fact} WHERE contact_id IN (SELECT contact_id FROM {queue})")
    n = sqlcache.execute(_insert_sql(only=True))
    if days:
        funnel_days.apply_delta(+1)
        funnel_days.refresh_reviews()
        funnel_days.refresh_deals()
    FunnelFactQueue.objects.all().delete()
    return n


def forget_from_days(contact_id: int) -> None:
    """Remove one contact's current facts from the daily funnel counts (its fact row is about
    to be deleted outside :func:`refresh_funnel_facts`, e.g. by the contact's deletion)."""
    if not FunnelFactState.objects.filter(days_built=True).exists():
        return
    FunnelFactQueue.objects.all().delete()
    FunnelFactQueue.objects.create(contact_id=contact_id)
    funnel_days.apply_delta(-1)
    for t in (funnel_days.REVIEW_T, funnel_days.DEALF_T):
        sqlcache.execute(f"DELETE FROM {t} WHERE contact_id = %s", [int(contact_id)])
    FunnelFactQueue.objects.all().delete()


def _changed_since(state: FunnelFactState, *, edits: bool) -> set[int]:
    # the periodic pass re-reads a margin: ids committed out of order by concurrent writers
    margin = ID_OVERLAP if edits else 0
    ids = set(
        StageChange.objects.filter(id__gt=max(0, state.stage_change_id - margin))
        .values_list("contact_id", flat=True)
        .distinct()
    )
    ids |= set(
        Contact.objects.filter(id__gt=max(0, state.contact_id - margin)).values_list(
            "id", flat=True
        )
    )
    ids |= set(
        LeadReview.objects.filter(id__gt=max(0, state.review_id - margin))
        .values_list("contact_id", flat=True)
        .distinct()
    )
    deals = Deal.objects.filter(id__gt=max(0, state.deal_id - margin))
    moved = DealStageChange.objects.filter(id__gt=max(0, state.deal_stage_change_id - margin))
    deals = deals | Deal.objects.filter(id__in=moved.values("deal_id"))
    ids |= set(
        deals.filter(primary_contact__isnull=False)
        .values_list("primary_contact_id", flat=True)
        .distinct()
    )
    if edits and state.contact_updated_at is not None:
        since = state.contact_updated_at - UPDATED_OVERLAP
        ids |= set(Contact.objects.filter(updated_at__gt=since).values_list("id", flat=True))
    return ids


@transaction.atomic
def catch_up_funnel_facts(*, edits: bool = True) -> int:
    """Recompute the contacts changed since the checkpoint and advance it; rebuild if the
    table was never built. ``edits`` also scans ``Contact.updated_at`` (owner, persona...)."""
    state = _state()
    if state.built_at is None:
        return rebuild_funnel_facts()
    top = _maxima()
    updated = Contact.objects.aggregate(m=Max("updated_at"))["m"] if edits else None
    n = refresh_funnel_facts(_changed_since(state, edits=edits))
    state.stage_change_id = max(state.stage_change_id, top["sc"])
    state.contact_id = max(state.contact_id, top["contact"])
    state.review_id = max(state.review_id, top["review"])
    state.deal_id = max(state.deal_id, top["deal"])
    state.deal_stage_change_id = max(state.deal_stage_change_id, top["dsc"])
    if updated is not None:
        state.contact_updated_at = max(updated, state.contact_updated_at or updated)
    state.refreshed_at = timezone.now()
    state.save()
    return n


def ensure_fresh(version: dict | None = None) -> bool:
    """Bring the facts up to the latest stage change and contact before a read (cheap when
    nothing changed: primary-key maxima). Returns whether the facts are current; a backlog
    larger than :data:`INLINE_LIMIT` is left to the periodic task (figures lag meanwhile)."""
    if version is None:
        top = _maxima()
    else:  # the page's data version has every maximum but the deal stage changes'
        top = {**version, "dsc": DealStageChange.objects.aggregate(m=Max("id"))["m"] or 0}
    state = FunnelFactState.objects.order_by("pk").first()
    if state is not None and state.built_at is not None:
        lag = {
            "sc": top["sc"] - state.stage_change_id,
            "contact": top["contact"] - state.contact_id,
            "review": top.get("review", 0) - state.review_id,
            "deal": top.get("deal", 0) - state.deal_id,
            "dsc": top["dsc"] - state.deal_stage_change_id,
        }
        if all(v <= 0 for v in lag.values()):
            return True
        backlog = sum(max(0, v) for v in lag.values())
    else:
        backlog = top["contact"]
    if backlog > INLINE_LIMIT:
        log.warning(
            "funnel facts lag by %s rows: reading the stage-change log until the periodic "
            "task (or `smarketing reporting_refresh`) catches up",
            backlog,
        )
        return False
    catch_up_funnel_facts(edits=False)
    return True


def days_ready() -> bool:
    """Whether the daily funnel counts (:mod:`.funnel_days`) are built with the facts."""
    return FunnelFactState.objects.filter(days_built=True, built_at__isnull=False).exists()


def rebuild_reporting_tables() -> dict[str, int]:
    """Rebuild every pre-aggregated reporting table in the database (funnel facts and daily
    counts, traffic summaries, attribution credits); ``{name: rows}``. Call after bulk writes
    that bypass the ORM (the demo generator, imports); safe to re-run."""
    from smarketing.attribution.pathset import rebuild as rebuild_attribution_paths
    from smarketing.reporting.traffic import rebuild_traffic

    return {
        "reporting funnel facts": rebuild_funnel_facts(),
        "reporting traffic days": rebuild_traffic(),
        "attribution path set": rebuild_attribution_paths(),
    }
