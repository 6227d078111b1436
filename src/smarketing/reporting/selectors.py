"""Reads for reporting: the app's database as Ibis tables, and closed-loop figures for filters.

The aggregation itself lives in :mod:`smarketing.analytics.closedloop` (pure); this module only
binds it to Django's connection and the dashboard filters.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from smarketing.analytics.closedloop import ClosedLoopResult, ClosedLoopSpec, FunnelTables
from smarketing.analytics.closedloop import closed_loop as _closed_loop
from smarketing.core.ibis_db import backend, table
from smarketing.crm.models import (
    Account,
    Campaign,
    CampaignCost,
    Contact,
    ContentAsset,
    Deal,
    Persona,
    Touchpoint,
)
from smarketing.funnel.models import LeadReview, StageChange
from smarketing.reporting.filters import Filters

log = logging.getLogger(__name__)


def funnel_tables(con=None, *, facts: bool = True) -> FunnelTables:
    """The closed-loop input tables over Django's database (same connection as the ORM).

    ``facts``: include the per-contact funnel fact table (the fast path); pass ``False`` when
    it is not current (see :func:`smarketing.reporting.facts.ensure_fresh`)."""
    from smarketing.reporting.models import ContactFunnelFact

    con = con or backend()
    return FunnelTables(
        contacts=table(Contact, con),
        accounts=table(Account, con),
        stage_changes=table(StageChange, con),
        deals=table(Deal, con),
        reviews=table(LeadReview, con),
        costs=table(CampaignCost, con),
        campaigns=table(Campaign, con),
        touchpoints=table(Touchpoint, con),
        personas=table(Persona, con),
        content=table(ContentAsset, con),
        funnel=table(ContactFunnelFact, con) if facts else None,
    )


def spec_for(filters: Filters, *, by: str = "all", view: str = "period") -> ClosedLoopSpec:
    """The closed-loop spec of dashboard filters."""
    return ClosedLoopSpec(
        by=by,
        start=filters.start,
        end=filters.end,
        view=view,
        owner_ids=filters.owner_ids(),
        persona_id=filters.persona,
        segment=filters.segment or None,
        channel=filters.channel or None,
    )


def closed_loop(
    filters: Filters,
    *,
    by: str = "all",
    view: str = "period",
    tables: FunnelTables | None = None,
    facts: bool | None = None,
    memo: dict | None = None,
    velocity: bool = True,
) -> ClosedLoopResult:
    """Closed-loop figures per ``by`` group for the filters (aggregated in the database).

    Reads the per-contact funnel facts when they are current (``facts=None`` checks, and
    refreshes a small backlog), else the stage-change log. ``memo`` (one dict per page)
    shares the results of identical queries between groupings."""
    from smarketing.reporting import facts as funnel_facts
    from smarketing.reporting import sqlcache

    if facts is None:
        facts = funnel_facts.ensure_fresh()
    if tables is not None:
        facts = facts and tables.funnel is not None
    # tables are only opened (schema introspection) when a query is not compiled yet
    lazy = tables or _LazyTables(facts)
    run = sqlcache.run
    if memo is not None:

        def run(key, build):
            full = (facts, key)
            if full not in memo:
                memo[full] = sqlcache.run((facts, key), build)
            return memo[full]

    spec = spec_for(filters, by=by, view=view)
    return _closed_loop(lazy, spec, run=run, use_facts=facts, velocity=velocity)


class _LazyTables:
    """FunnelTables opened on first attribute access (cached SQL needs none of them)."""

    def __init__(self, facts: bool = True):
        self._facts = facts
        self._tables: FunnelTables | None = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._tables is None:
            self._tables = funnel_tables(facts=self._facts)
        return getattr(self._tables, name)


def user_names(ids=None) -> dict[int, str]:
    """``{user id: display name}`` (one query)."""
    qs = get_user_model().objects.all()
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return {
        u["id"]: (f"{u['first_name']} {u['last_name']}".strip() or u["username"])
        for u in qs.values("id", "username", "first_name", "last_name")
    }


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Options of the filter form (a few small queries, no per-row work)."""
    from smarketing.core.models import Team

    # order_by(): the models' default ordering would make DISTINCT return every row
    segments = (
        Account.objects.order_by().exclude(segment="").values_list("segment", flat=True).distinct()
    )
    channels = (
        Contact.objects.order_by()
        .exclude(original_channel="")
        .values_list("original_channel", flat=True)
        .distinct()
    )
    return {
        "team": [(str(i), n) for i, n in Team.objects.values_list("id", "name")],
        "owner": [(str(i), n) for i, n in sorted(user_names().items(), key=lambda x: x[1])],
        "persona": [(str(i), n) for i, n in Persona.objects.values_list("id", "name")],
        "segment": [(s, s) for s in sorted(set(segments))],
        "channel": [(c, c) for c in sorted(set(channels))],
    }


def sla_compliance(filters: Filters):
    """SLA compliance figures from the SLA app, or ``None`` while it is not available.

    The SLA app owns the numbers (one version of them); reporting only shows them. The
    expected entry point is ``smarketing.sla.selectors.compliance_summary(start=, end=)``
    returning an object with ``to_dict()`` or a dict.
    """
    try:
        from smarketing.sla import selectors as sla_selectors  # noqa: PLC0415

        fn = sla_selectors.compliance_summary
    except (ImportError, AttributeError):
        return None
    try:
        result = fn(start=filters.start, end=filters.end)
    except Exception:  # a peer app's failure must not take the dashboard down
        log.exception("SLA compliance failed")
        return None
    return result.to_dict() if hasattr(result, "to_dict") else result
