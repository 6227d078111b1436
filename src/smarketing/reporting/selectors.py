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


def funnel_tables(con=None, *, facts: bool = True, content: bool = False) -> FunnelTables:
    """The closed-loop input tables over Django's database (same connection as the ORM).

    ``facts``: include the per-contact funnel fact table (the fast path); pass ``False`` when
    it was never built (see :func:`smarketing.reporting.facts.days_ready`). ``content``:
    content membership from the per-day content touches (:mod:`.content_days`, current)
    instead of every touchpoint."""
    from smarketing.reporting.models import ContactFunnelFact, ContentTouchDay

    con = con or backend()
    return FunnelTables(
        contacts=table(Contact, con),
        accounts=table(Account, con),
        stage_changes=table(StageChange, con),
        deals=table(Deal, con),
        reviews=table(LeadReview, con),
        costs=table(CampaignCost, con),
        campaigns=table(Campaign, con),
        touchpoints=table(ContentTouchDay if content else Touchpoint, con),
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
    days: bool | None = None,
    content: bool = False,
) -> ClosedLoopResult:
    """Closed-loop figures per ``by`` group for the filters (aggregated in the database).

    Reads the per-contact funnel facts when they are built (``facts=None`` checks; reads only:
    a stale table is read as stored, the page says "as of"), else computes the same
    expression over the stage-change log without storing it; period step counts come from the
    daily funnel counts (:mod:`.funnel_days`) when they are built (``days=None`` checks).
    ``memo`` (one dict per page) shares the results of identical queries between groupings."""
    from smarketing.reporting import facts as funnel_facts
    from smarketing.reporting import sqlcache

    if facts is None:
        facts = funnel_facts.days_ready()
    if tables is not None:
        facts = facts and tables.funnel is not None
    if facts and days is None:
        days = funnel_facts.days_ready()
    days = bool(facts and days and tables is None)
    # tables are only opened (schema introspection) when a query is not compiled yet
    content = bool(content and tables is None)
    lazy = tables or _LazyTables(facts, content)

    def execute(key, build):
        frame = _from_days(key) if days else None
        return frame if frame is not None else sqlcache.run((facts, content, key), build)

    run = execute
    if memo is not None:

        def run(key, build):
            full = (facts, content, key)
            if full not in memo:
                memo[full] = execute(key, build)
            return memo[full]

    spec = spec_for(filters, by=by, view=view)
    return _closed_loop(lazy, spec, run=run, use_facts=facts, velocity=velocity)


def _from_days(key: tuple):
    """The closed loop's per-combination period counts and review figures from the daily
    funnel counts and the review facts (the same frames as the facts queries: sums over a
    few thousand daily rows, or the period's reviews, instead of a scan of one fact row per
    contact), or ``None`` for any other query."""
    import pandas as pd

    from smarketing.reporting import funnel_days

    name, spec = key[0], key[1] if len(key) > 1 else None
    if not isinstance(spec, ClosedLoopSpec) or spec.by != "*" or spec.view != "period":
        return None  # "*": the per-combination queries
    filters = {
        "owner_ids": spec.owner_ids,
        "persona_id": spec.persona_id,
        "segment": spec.segment,
        "channel": spec.channel,
    }
    if name == "facts_counts" and funnel_days.covers(spec.start, spec.end):
        columns, rows = funnel_days.period_counts(
            start=spec.start.date(), end=spec.end.date(), **filters
        )
    elif name == "facts_deals":
        columns, rows = funnel_days.period_deals(start=spec.start, end=spec.end, **filters)
    elif name == "facts_reviews":
        columns, rows = funnel_days.period_reviews(start=spec.start, end=spec.end, **filters)
    elif name == "facts_reasons":
        columns, rows = funnel_days.period_reasons(start=spec.start, end=spec.end, **filters)
    else:
        return None
    return pd.DataFrame.from_records(rows, columns=columns)


class _LazyTables:
    """FunnelTables opened on first attribute access (cached SQL needs none of them)."""

    def __init__(self, facts: bool = True, content: bool = False):
        self._facts = facts
        self._content = content
        self._tables: FunnelTables | None = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._tables is None:
            self._tables = funnel_tables(facts=self._facts, content=self._content)
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
    """Options of the filter form (a few small queries, no per-row work). Channels and
    segments are those of the contacts (read from the funnel key combinations when built)."""
    from smarketing.core.models import Team
    from smarketing.reporting.facts import days_ready
    from smarketing.reporting.models import FunnelCombo

    if days_ready():  # the key combinations (a few thousand rows), not every contact
        combos = FunnelCombo.objects.order_by().filter(contacts__gt=0)
        segments = combos.exclude(k_segment="(none)").values_list("k_segment", flat=True)
        channels = combos.exclude(k_channel="(none)").values_list("k_channel", flat=True)
    else:
        # order_by(): the models' default ordering would make DISTINCT return every row
        segments = Account.objects.order_by().exclude(segment="").values_list("segment", flat=True)
        channels = (
            Contact.objects.order_by()
            .exclude(original_channel="")
            .values_list("original_channel", flat=True)
        )
    segments, channels = segments.distinct(), channels.distinct()
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
