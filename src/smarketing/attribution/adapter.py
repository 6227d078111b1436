"""Django's database as the attribution engine's inputs (Ibis tables over the app DB).

The engine (:mod:`smarketing.analytics.attribution`) takes a touchpoint table and a
conversion table; this module builds both as Ibis expressions over the *same* connection
the ORM uses (:mod:`smarketing.core.ibis_db`), so every join, filter and aggregate runs in
SQLite or PostgreSQL and no touchpoint row is loaded into Python.

Journeys
    Contact level: ``journey_id`` is the contact id. Account level (B2B buying committees):
    ``a<account id>`` (the touch's account, else its contact's account); people without an
    account stay their own journey ``c<contact id>``. Anonymous touches (no contact and no
    account) belong to no journey and are left out.

Conversions (CLI / API name → engine kind, time, value)
    ``lead`` → ``lead_created``: the contact's first stage change into ``lead``; without one,
    its ``created_at`` unless it is still a ``subscriber`` (never became a lead); value 0.
    ``mql`` / ``sql`` → ``mql`` / ``sql``: the contact's first stage change into that stage;
    value 0. ``opportunity`` → ``opportunity_created``: ``Deal.created_at``, value = amount.
    ``won`` → ``deal_won``: ``Deal.closed_at`` (``created_at`` if a won deal has no close
    time) of deals won, value = amount. A deal's journey is its primary contact (else the
    lowest-id contact on its buying committee) or, account level, its account; a deal with
    neither is journey ``deal:<id>``, which has no touches, so its conversion is reported as
    ``(no touch)`` rather than dropped.

Period
    ``since`` / ``until`` filter the conversions of the chosen kind by conversion time
    (``since <= t < until``). Milestones of other kinds (the lead and opportunity touches of
    W-shaped / full path) keep their real times. Journeys whose conversions of the kind all
    fall outside the period are left out entirely (they are neither converting nor
    non-converting paths in the period). A journey without any conversion of the kind (a
    non-converting path, read by Markov and Shapley) belongs to the period of its last
    touch, so a period selects stored paths by one time each (see
    :mod:`smarketing.attribution.pathset`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import ibis
import ibis.expr.types as ir
from django.db.models import Sum

from smarketing.core import ibis_db
from smarketing.crm.models import (
    Campaign,
    CampaignCost,
    Contact,
    ContentAsset,
    Deal,
    DealContact,
    Touchpoint,
)
from smarketing.funnel.models import StageChange

#: Conversion kinds of the CLI / API / page → the kind names in the engine's conversion table
#: (the engine's default milestone kinds: lead_created, opportunity_created, deal_won).
CONVERSIONS: dict[str, str] = {
    "lead": "lead_created",
    "mql": "mql",
    "sql": "sql",
    "opportunity": "opportunity_created",
    "won": "deal_won",
}

#: Levels credit can be given at (touchpoint columns of :func:`touchpoints`).
LEVELS: tuple[str, ...] = (
    "channel",
    "source",
    "campaign",
    "content",
    "keyword",
    "email_subject",
    "kind",
    "team",
)

#: Levels that campaign costs can be mapped onto (cost, cost per conversion, ROI).
COST_LEVELS = ("campaign", "channel")


def _blank_to_null(col: ir.StringValue) -> ir.StringValue:
    """Empty strings mean "not set" in Django's CharFields; the engine shows null as (none)."""
    return col.nullif("")


def _epoch(col: ir.Value) -> ir.FloatingValue:
    # Compare times as epoch seconds: SQLite stores text, so literal timestamps would compare
    # as strings in a format that may differ from Django's; epoch maths is exact on both.
    return col.epoch_seconds().cast("float64")


def touchpoints(con=None, *, account_level: bool = False) -> ir.Table:
    """The app's touchpoints as the engine's touchpoint table.

    Columns: ``journey_id`` (string), ``occurred_at``, and every level of :data:`LEVELS`
    (``campaign`` is the campaign name, ``content`` the content title, ``team`` marketing or
    sales); blank values are null.
    """
    con = con or ibis_db.backend()
    t = ibis_db.table(Touchpoint, con)
    camp = ibis_db.table(Campaign, con)
    camp = camp.select(camp_pk=camp.id, campaign=camp.name)
    asset = ibis_db.table(ContentAsset, con)
    asset = asset.select(asset_pk=asset.id, content=asset.title)
    t = t.left_join(camp, t.campaign_id == camp.camp_pk).left_join(
        asset, t.content_id == asset.asset_pk
    )
    if account_level:
        people = ibis_db.table(Contact, con)
        people = people.select(person_pk=people.id, person_account=people.account_id)
        t = t.left_join(people, t.contact_id == people.person_pk)
        account = t.account_id.coalesce(t.person_account)
        journey = ibis.cases(
            (account.notnull(), "a" + account.cast("string")),
            (t.contact_id.notnull(), "c" + t.contact_id.cast("string")),
            else_=ibis.null("string"),
        )
    else:
        journey = t.contact_id.cast("string")
    out = t.select(
        journey_id=journey,
        occurred_at=t.occurred_at,
        channel=_blank_to_null(t.channel),
        source=_blank_to_null(t.source),
        campaign=_blank_to_null(t.campaign),
        content=_blank_to_null(t.content),
        keyword=_blank_to_null(t.keyword),
        email_subject=_blank_to_null(t.email_subject),
        kind=t.kind,
        team=t.team,
    )
    return out.filter(out.journey_id.notnull())


def _contact_journeys(con, *, account_level: bool) -> ir.Table:
    """``person_pk`` → ``journey_id`` for every contact."""
    people = ibis_db.table(Contact, con)
    if account_level:
        journey = ibis.ifelse(
            people.account_id.notnull(),
            "a" + people.account_id.cast("string"),
            "c" + people.id.cast("string"),
        )
    else:
        journey = people.id.cast("string")
    return people.select(
        person_pk=people.id,
        journey_id=journey,
        created_at=people.created_at,
        lifecycle_stage=people.lifecycle_stage,
    )


def conversions(
    con=None,
    *,
    account_level: bool = False,
    kinds: Collection[str] | None = None,
    only: ir.Table | None = None,
) -> ir.Table:
    """The funnel's conversions as the engine's conversion table.

    Columns ``journey_id`` (string), ``kind`` (engine kind, see :data:`CONVERSIONS`),
    ``occurred_at``, ``value`` (float), and ``deal_id`` / ``owner_id`` (the deal and its
    owner for the opportunity and won kinds, else null); the mapping is in the module
    docstring. This is the one definition of every conversion (the won deal included) that
    the page, the API, the CLI and the dashboards' attribution card use.
    ``kinds`` (engine kinds) limits the table to those kinds: the parts not asked for are
    not built at all (the lead part reads every contact and stage change). ``only`` (a
    table with a ``journey`` column) keeps the conversions of those journeys, filtering
    the contacts and stage changes read (the path set's catch-up).
    """
    con = con or ibis_db.backend()
    kinds = set(CONVERSIONS.values() if kinds is None else kinds)
    all_people = people = _contact_journeys(con, account_level=account_level)
    if only is not None:
        people = people.filter(people.journey_id.isin(only.journey))
    sc = ibis_db.table(StageChange, con)
    if only is not None:
        sc = sc.filter(sc.contact_id.isin(people.person_pk))
    firsts = sc.group_by([sc.contact_id, sc.to_stage]).aggregate(first_at=sc.changed_at.min())
    firsts = firsts.filter(firsts.to_stage.isin(["lead", "mql", "sql"]))

    leads_sc = firsts.filter(firsts.to_stage == "lead")
    lp = people.left_join(leads_sc, people.person_pk == leads_sc.contact_id)
    lp = lp.filter(lp.first_at.notnull() | (lp.lifecycle_stage != "subscriber"))
    parts = []
    if "lead_created" in kinds:
        parts.append(
            lp.select(
                journey_id=lp.journey_id,
                kind=ibis.literal("lead_created"),
                occurred_at=lp.first_at.coalesce(lp.created_at),
                value=ibis.literal(0.0),
                deal_id=ibis.null("int64"),
                owner_id=ibis.null("int64"),
            )
        )
    qual = firsts.filter(firsts.to_stage.isin(sorted(kinds & {"mql", "sql"}) or ["-"]))
    qp = qual.join(people, qual.contact_id == people.person_pk)
    if kinds & {"mql", "sql"}:
        parts.append(
            qp.select(
                journey_id=qp.journey_id,
                kind=qp.to_stage,
                occurred_at=qp.first_at,
                value=ibis.literal(0.0),
                deal_id=ibis.null("int64"),
                owner_id=ibis.null("int64"),
            )
        )

    deals = ibis_db.table(Deal, con)
    dc = ibis_db.table(DealContact, con)
    committee = dc.group_by(dc.deal_id).aggregate(member=dc.contact_id.min())
    d = deals.left_join(committee, deals.id == committee.deal_id)
    d = d.mutate(person=d.primary_contact_id.coalesce(d.member))
    d = d.left_join(all_people, d.person == all_people.person_pk)
    if account_level:
        journey = ibis.cases(
            (d.account_id.notnull(), "a" + d.account_id.cast("string")),
            (d.journey_id.notnull(), d.journey_id),
            else_="deal:" + d.id.cast("string"),
        )
    else:
        journey = d.journey_id.coalesce("deal:" + d.id.cast("string"))
    d = d.mutate(deal_journey=journey, amount=d.amount.cast("float64"))
    if only is not None:
        d = d.filter(d.deal_journey.isin(only.journey))
    if "opportunity_created" in kinds:
        parts.append(
            d.select(
                journey_id=d.deal_journey,
                kind=ibis.literal("opportunity_created"),
                occurred_at=d.created_at,
                value=d.amount,
                deal_id=d.id.cast("int64"),
                owner_id=d.owner_id.cast("int64"),
            )
        )
    if "deal_won" in kinds:
        won = d.filter(d.is_won)
        parts.append(
            won.select(
                journey_id=won.deal_journey,
                kind=ibis.literal("deal_won"),
                occurred_at=won.closed_at.coalesce(won.created_at),
                value=won.amount,
                deal_id=won.id.cast("int64"),
                owner_id=won.owner_id.cast("int64"),
            )
        )
    if not parts:
        raise ValueError(f"no known conversion kind in {sorted(kinds)}")
    schema = {"journey_id": "string", "kind": "string", "occurred_at": "timestamp",
              "value": "float64", "deal_id": "int64", "owner_id": "int64"}  # fmt: skip
    parts = [p.cast(schema) for p in parts]
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part, distinct=False)
    return out


def _bounds(since: dt.datetime | None, until: dt.datetime | None) -> tuple[float, float]:
    lo = since.timestamp() if since else float("-inf")
    hi = until.timestamp() if until else float("inf")
    return lo, hi


def restrict_period(
    tp: ir.Table,
    cv: ir.Table,
    *,
    kind: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    lookback_days: float,
) -> tuple[ir.Table, ir.Table]:
    """Apply the period rule of the module docstring to both tables (``kind`` = engine kind)."""
    if since is None and until is None:
        return tp, cv
    lo, hi = _bounds(since, until)
    sec = _epoch(cv.occurred_at)
    in_period = (sec >= lo) & (sec < hi)
    of_kind = cv.kind == kind
    cv_out = cv.filter(~of_kind | in_period)
    inside = cv.filter(of_kind & in_period).select("journey_id").distinct()
    tsec = _epoch(tp.occurred_at)
    cond = tsec < hi
    if since is not None:
        cond &= tsec >= lo - float(lookback_days) * 86_400.0
    # a journey without any conversion of the kind belongs to the period of its last touch
    # (IN subqueries, not semi joins: SQLite has no LEFT SEMI join for Ibis to compile to)
    ever = cv.filter(of_kind).select("journey_id").distinct()
    rest = tp.filter(~tp.journey_id.isin(ever.journey_id))
    last = rest.group_by("journey_id").aggregate(last_sec=_epoch(rest.occurred_at).max())
    ending = last.filter((last.last_sec >= lo) & (last.last_sec < hi))
    keep = (tp.journey_id.isin(inside.journey_id) & cond) | tp.journey_id.isin(ending.journey_id)
    return tp.filter(keep), cv_out


def costs(
    by: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[str, float] | None:
    """Campaign costs per key at the ``campaign`` (name) or ``channel`` level, else ``None``.

    The closed-loop cost definition (:mod:`smarketing.analytics.closedloop.funnel`, the
    dashboards' and reports' ROI): without a period every cost counts; with one, each cost
    row counts in proportion to the days of its period (both ends inclusive) that fall on
    the days of ``[since, until)``. Channel level sums the costs of each channel's campaigns.
    """
    if by not in COST_LEVELS:
        return None
    field = "campaign__name" if by == "campaign" else "campaign__channel"
    rows = CampaignCost.objects.all()
    if since is None and until is None:
        totals = rows.values(field).annotate(total=Sum("amount")).order_by(field)
        return {r[field]: float(r["total"] or 0) for r in totals if r[field]}
    first = since.astimezone(dt.UTC).date() if since is not None else dt.date.min
    last = (
        (until.astimezone(dt.UTC) - dt.timedelta(microseconds=1)).date()
        if until is not None
        else dt.date.max
    )
    # Only the cost rows overlapping the period are read (one per campaign and invoice).
    rows = rows.filter(period_end__gte=first, period_start__lte=last)
    out: dict[str, float] = {}
    for key, start, end, amount in rows.values_list(field, "period_start", "period_end", "amount"):
        if not key:
            continue
        overlap = (min(end, last) - max(start, first)).days + 1
        total = (end - start).days + 1
        if overlap > 0 and total > 0:
            out[key] = out.get(key, 0.0) + float(amount) * overlap / total
    return dict(sorted(out.items()))
