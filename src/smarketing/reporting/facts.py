"""The per-contact funnel facts: built in the database, refreshed incrementally.

:class:`~smarketing.reporting.models.ContactFunnelFact` holds one row per contact (reach time
of each funnel step + grouping keys), the rows of the pure
:func:`smarketing.analytics.closedloop.contact_funnel` expression. That expression is compiled
once (SQLite or PostgreSQL) and run as ``INSERT INTO ... SELECT``: no row passes through Python.

- :func:`rebuild_reporting_tables` rebuilds everything (funnel facts and traffic summaries);
  the demo generator's ``demo_generated`` signal calls it, operators via
  ``smarketing reporting_refresh --rebuild``.
- :func:`refresh_funnel_facts` recomputes given contacts (the ``stage_changed`` receiver).
- :func:`catch_up_funnel_facts` recomputes the contacts changed since the checkpoint (the
  ``reporting.funnel`` :class:`~smarketing.core.models.FillState`): new stage changes, new
  contacts, contacts whose ``updated_at`` moved (owner, persona, channel edits) and contacts
  marked dirty by updates the ids cannot see (a merge moving stage changes) -- the periodic
  task and the write path (on commit).
- :func:`is_stale` is the read-only check a page makes (primary-key maxima and dirty keys):
  a stale table is read as stored, with its "as of" time; a never-built one is not read at
  all (the closed loop then computes the same expression over the stage-change log).

Registered in :mod:`smarketing.core.derived` as ``reporting.funnel`` (the facts, daily funnel
counts, deal and review facts: one fill).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max

from smarketing.analytics.closedloop import FUNNEL_FACT_COLUMNS, contact_funnel
from smarketing.core import derived
from smarketing.core.ibis_db import backend, table
from smarketing.crm.models import Account, Contact, Deal, DealStageChange
from smarketing.funnel.models import LeadReview, StageChange
from smarketing.reporting import funnel_days, sqlcache
from smarketing.reporting.models import ContactFunnelFact, FunnelFactQueue

log = logging.getLogger(__name__)

NAME = "reporting.funnel"
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


def _state():
    """The checkpoint (:class:`~smarketing.core.models.FillState`), locked for this transaction
    (serialises refreshes)."""
    return derived.checkpoint(NAME)


def _updated(value) -> str | None:
    return None if value is None else value.isoformat()


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
    derived.take_dirty(state)  # a rebuild reads everything
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
    derived.filled(state, state={**top, "updated": _updated(updated)}, built=True)
    return n


@transaction.atomic
def refresh_funnel_facts(contact_ids) -> int:
    """Recompute the funnel facts of ``contact_ids`` (deleted contacts lose their row)."""
    ids = sorted({int(i) for i in contact_ids})
    if not ids:
        return 0
    days = _state().built_at is not None  # lock: one refresh at a time
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
    if not days_ready():
        return
    FunnelFactQueue.objects.all().delete()
    FunnelFactQueue.objects.create(contact_id=contact_id)
    funnel_days.apply_delta(-1)
    for t in (funnel_days.REVIEW_T, funnel_days.DEALF_T):
        sqlcache.execute(f"DELETE FROM {t} WHERE contact_id = %s", [int(contact_id)])
    FunnelFactQueue.objects.all().delete()


def _changed_since(done: dict, *, edits: bool) -> set[int]:
    # the periodic pass re-reads a margin: ids committed out of order by concurrent writers
    margin = ID_OVERLAP if edits else 0

    def after(key):
        return max(0, int(done.get(key, 0)) - margin)

    ids = set(
        StageChange.objects.filter(id__gt=after("sc"))
        .values_list("contact_id", flat=True)
        .distinct()
    )
    ids |= set(Contact.objects.filter(id__gt=after("contact")).values_list("id", flat=True))
    ids |= set(
        LeadReview.objects.filter(id__gt=after("review"))
        .values_list("contact_id", flat=True)
        .distinct()
    )
    deals = Deal.objects.filter(id__gt=after("deal"))
    moved = DealStageChange.objects.filter(id__gt=after("dsc"))
    deals = deals | Deal.objects.filter(id__in=moved.values("deal_id"))
    ids |= set(
        deals.filter(primary_contact__isnull=False)
        .values_list("primary_contact_id", flat=True)
        .distinct()
    )
    if edits and done.get("updated"):
        since = datetime.fromisoformat(done["updated"]) - UPDATED_OVERLAP
        ids |= set(Contact.objects.filter(updated_at__gt=since).values_list("id", flat=True))
    return ids


@transaction.atomic
def catch_up_funnel_facts(*, edits: bool = True) -> int:
    """Recompute the contacts changed since the checkpoint (and those marked dirty) and advance
    it; rebuild if the table was never built. ``edits`` also scans ``Contact.updated_at``
    (owner, persona...)."""
    state = _state()
    if state.built_at is None:
        return rebuild_funnel_facts()
    done = dict(state.state or {})
    top = _maxima()
    updated = Contact.objects.aggregate(m=Max("updated_at"))["m"] if edits else None
    dirty = derived.take_dirty(state)
    ids = _changed_since(done, edits=edits) | {int(i) for i in dirty.get("contacts", [])}
    n = refresh_funnel_facts(ids)
    new = {k: max(int(done.get(k, 0)), v) for k, v in top.items()}
    if updated is not None:
        old = datetime.fromisoformat(done["updated"]) if done.get("updated") else updated
        new["updated"] = _updated(max(updated, old))
    derived.filled(state, state=new)
    return n


def catch_up_inline() -> int:
    """The write path's catch-up: new rows and dirty contacts, without the ``updated_at``
    scan (edits made through the ORM mark their contact dirty)."""
    return catch_up_funnel_facts(edits=False)


def lag() -> int:
    """Rows (stage changes, contacts, reviews, deals, deal moves) and dirty keys not yet folded
    in; for a never-built table, the contacts. Reads only."""
    fs = derived.read(NAME)
    top = _maxima()
    if fs is None or fs.built_at is None:
        return top["contact"]
    done = fs.state or {}
    behind = sum(max(0, v - int(done.get(k, 0))) for k, v in top.items())
    return behind + sum(len(v) for v in (fs.dirty or {}).values())


def is_stale() -> bool:
    """Whether the facts lag the records (reads only: a dashboard GET calls it)."""
    return lag() > 0


def is_current() -> bool:
    """Whether a reader may use the facts: built and not stale (reads only)."""
    return derived.is_built(NAME) and not is_stale()


def days_ready() -> bool:
    """Whether the daily funnel counts (:mod:`.funnel_days`) are built with the facts."""
    return derived.is_built(NAME)


def rebuild_reporting_tables() -> dict[str, int]:
    """Rebuild every registered derived table of reporting (funnel facts and daily counts,
    traffic, activity and content summaries) and the attribution path set (the dashboard's
    attribution card reads it); ``{name: rows}``. Call after bulk writes that bypass the ORM
    (the demo generator, imports); safe to re-run."""
    from smarketing.attribution.pathset import rebuild as rebuild_attribution_paths

    out = derived.rebuild_all(
        [e.name for e in derived.registered() if e.name.startswith("reporting.")]
    )
    out["attribution path set"] = rebuild_attribution_paths()
    return out


def ensure_fresh(version: dict | None = None) -> bool:
    """Whether readers may use the stored facts (built; stale ones are read with their "as
    of"). Reads only: kept for callers of the former read-path refresh, which wrote on GET."""
    return days_ready()
