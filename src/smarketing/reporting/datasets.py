"""The data behind each dashboard chart: one grouped query each, aggregated in the database.

Every function takes a :class:`Context` (filters + per-request memo, so a closed-loop result is
computed once per page) and returns a small pandas DataFrame, which is both what the chart
draws and what its CSV download contains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from functools import cached_property

import ibis
import pandas as pd

from smarketing.analytics.closedloop import STEPS, ClosedLoopResult, reach_times
from smarketing.analytics.figures import SALES_ACTIVITY_KINDS
from smarketing.core import derived
from smarketing.core.ibis_db import backend, table
from smarketing.crm.choices import DealStage
from smarketing.crm.models import Contact, Deal
from smarketing.reporting import (
    activity,
    cache,
    funnel_days,
    selectors,
    sqlcache,
)
from smarketing.reporting import facts as funnel_facts
from smarketing.reporting import traffic as traffic_tables
from smarketing.reporting.filters import Filters
from smarketing.reporting.models import ContactAttempts, ContactFunnelFact

SALES_ACTIVITY = SALES_ACTIVITY_KINDS


@dataclass
class Context:
    """Filters plus a memo of the expensive shared results for one page render."""

    filters: Filters
    _memo: dict = field(default_factory=dict)

    @cached_property
    def con(self):
        return backend()

    @cached_property
    def version(self) -> dict[str, int]:
        """The data version (primary-key maxima + edit generation; one query)."""
        return cache.data_version()

    @cached_property
    def facts_ok(self) -> bool:
        """Whether the funnel facts (and daily funnel counts) are built: then they are read,
        stale or not (:attr:`as_of` says when they were last filled). Reads only."""
        return funnel_facts.days_ready()

    @cached_property
    def days_ok(self) -> bool:
        """Whether the daily funnel counts can answer period counts (built with the facts)."""
        return self.facts_ok

    @cached_property
    def content_ok(self) -> bool:
        """Whether the per-day content touches are built (with the traffic tables)."""
        return self.traffic_ok

    @cached_property
    def credits_ok(self) -> bool:
        """Whether the attribution app's stored path set is built (the attribution card reads
        it as of its last refresh; nothing is refreshed by a read)."""
        from smarketing.attribution.selectors import stored_token  # noqa: PLC0415

        return stored_token() is not None

    @cached_property
    def traffic_ok(self) -> bool:
        """Whether the traffic, activity and content summaries are built (read stale or not;
        a never-built table is computed live with the same SQL, nothing stored). Reads only."""
        return derived.is_built(traffic_tables.NAME)

    @cached_property
    def as_of(self):
        """When the stored tables this page reads were last filled, if any of them is stale
        (``None``: current, or computed live). Reads only."""
        names = [
            n
            for n, ok in (
                (funnel_facts.NAME, self.facts_ok),
                (traffic_tables.NAME, self.traffic_ok),
            )
            if ok
        ]
        stale = [n for n in names if derived.is_stale(n)]
        return derived.as_of(*stale) if stale else None

    @cached_property
    def tables(self):
        return selectors.funnel_tables(self.con, facts=self.facts_ok)

    @cached_property
    def owner_ids(self):
        return self.filters.owner_ids()

    def closed_loop(
        self, by: str = "all", view: str = "period", *, velocity: bool = True
    ) -> ClosedLoopResult:
        """Closed-loop figures for this page's filters (memoised; ``velocity=False`` skips the
        median queries for charts that do not show them)."""
        full, lean = (by, view, True), (by, view, False)
        if full in self._memo:
            return self._memo[full]
        if not velocity and lean in self._memo:
            return self._memo[lean]
        key = full if velocity else lean
        self._memo[key] = selectors.closed_loop(
            self.filters,
            by=by,
            view=view,
            facts=self.facts_ok,
            memo=self._memo,
            velocity=velocity,
            days=self.days_ok,
            content=by == "content" and self.content_ok,
        )
        return self._memo[key]

    def run(self, name: str, build) -> pd.DataFrame:
        """Execute a named query of this page's filters (compiled SQL cached per key)."""
        owners = None if self.owner_ids is None else tuple(sorted(self.owner_ids))
        return sqlcache.run((name, self.filters, owners), build)

    def facts(self):
        """The funnel fact rows of the contacts the filters keep (owner/team, persona,
        segment, channel): one row per contact with its reach times."""
        f = self.filters
        t = table(ContactFunnelFact, self.con)
        if self.owner_ids is not None:
            t = t.filter(t.owner_id.isin(self.owner_ids or [-1]))
        if f.persona:
            t = t.filter(t.persona_id == f.persona)
        if f.channel:
            t = t.filter(t.original_channel == f.channel)
        if f.segment:
            t = t.filter(t.segment == f.segment)
        return t

    def lit(self, column, moment):
        """A window bound typed like ``column`` (timezone-aware on PostgreSQL)."""
        if getattr(column.type(), "timezone", None):
            moment = moment.replace(tzinfo=UTC)
        return ibis.literal(moment, type=column.type())

    def in_period(self, column):
        f = self.filters
        return (column >= self.lit(column, f.start)) & (column < self.lit(column, f.end))


def _frame(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return df[columns] if not df.empty else pd.DataFrame(columns=columns)


def _contacts(ctx: Context):
    """Contacts kept by the contact filters (owner/team, persona, segment, channel)."""
    f = ctx.filters
    c = table(Contact, ctx.con)
    if ctx.owner_ids is not None:
        c = c.filter(c.owner_id.isin(ctx.owner_ids or [-1]))
    if f.persona:
        c = c.filter(c.persona_id == f.persona)
    if f.channel:
        c = c.filter(c.original_channel == f.channel)
    if f.segment:
        a = ctx.tables.accounts
        keep = a.filter(a.segment == f.segment).select(aid=a.id)
        c = c.semi_join(keep, c.account_id == keep.aid)
    return c


# --- marketing ---------------------------------------------------------------------------------


def traffic(ctx: Context) -> pd.DataFrame:
    """Daily page views, sessions and visitors (anonymous and known), from page-view touches.

    A visitor is the contact, else the anonymous browser id; a session is one visitor on one
    day (:mod:`~smarketing.reporting.traffic` defines both once). Contact filters do not apply
    (most traffic is anonymous); channel does. Read from the daily traffic summary when it is
    built, else the same SQL runs over the touchpoints without storing anything.
    """
    f = ctx.filters
    fn = traffic_tables.traffic_days if ctx.traffic_ok else traffic_tables.traffic_days_live
    rows = fn(start=f.period.start, end=f.period.end, channel=f.channel)
    df = pd.DataFrame.from_records(rows, columns=["day", "page_views", "sessions"])
    df["day"] = pd.to_datetime(df["day"]).dt.date
    return df.astype({"page_views": int, "sessions": int})


def traffic_totals(ctx: Context) -> dict[str, int]:
    """Unique visitors and page views over the whole period (one query)."""
    f = ctx.filters
    fn = traffic_tables.traffic_totals if ctx.traffic_ok else traffic_tables.traffic_totals_live
    return fn(start=f.period.start, end=f.period.end, channel=f.channel)


def leads_over_time(ctx: Context) -> pd.DataFrame:
    """Daily new leads, MQLs and SQLs (qualified leads) reached in the period."""

    def build():
        c = _contacts(ctx)
        reach = reach_times(ctx.tables.stage_changes, table(Contact, ctx.con))
        keep = c.select(cid=c.id)
        reach = reach.semi_join(keep, reach.contact_id == keep.cid)
        parts = []
        for step in ("leads", "mqls", "sqls"):
            col = reach[f"t_{step}"]
            sel = reach.filter(ctx.in_period(col))
            parts.append(sel.select(step=ibis.literal(step), day=sel[f"t_{step}"].date()))
        u = ibis.union(*parts)
        return u.group_by(["day", "step"]).aggregate(n=u.count())

    if ctx.days_ok:
        f = ctx.filters
        rows = funnel_days.daily_steps(
            start=f.period.start,
            end=f.period.end,
            owner_ids=ctx.owner_ids,
            persona_id=f.persona,
            segment=f.segment,
            channel=f.channel,
        )
        df = pd.DataFrame.from_records(rows, columns=["day", "leads", "mqls", "sqls"])
        df["day"] = pd.to_datetime(df["day"]).dt.date
        return df.astype(dict.fromkeys(("leads", "mqls", "sqls"), int))
    df = ctx.run("leads_over_time", build)
    if df.empty:
        return pd.DataFrame(columns=["day", "leads", "mqls", "sqls"])
    wide = df.pivot_table(index="day", columns="step", values="n", fill_value=0).reset_index()
    for step in ("leads", "mqls", "sqls"):
        if step not in wide:
            wide[step] = 0
    return wide[["day", "leads", "mqls", "sqls"]].sort_values("day")


def _closed_loop_frame(ctx: Context, by: str, columns: list[str], limit: int = 25) -> pd.DataFrame:
    rows = ctx.closed_loop(by, velocity=False).rows[:limit]
    df = pd.DataFrame([r.flat() for r in rows])
    return _frame(df, columns)


def leads_by_source(ctx: Context) -> pd.DataFrame:
    return _closed_loop_frame(ctx, "source", ["label", "leads", "mqls", "sqls", "won"])


def leads_by_campaign(ctx: Context) -> pd.DataFrame:
    return _closed_loop_frame(ctx, "campaign", ["label", "leads", "mqls", "sqls", "won"])


def cost_roi_by_campaign(ctx: Context) -> pd.DataFrame:
    rows = [r for r in ctx.closed_loop("campaign", velocity=False).rows if r.cost]
    rows.sort(key=lambda r: -(r.cost or 0))
    df = pd.DataFrame([r.flat() for r in rows[:25]])
    cols = ["label", "cost", "revenue", "roi", "leads", "cost_per_lead", "cost_per_customer"]
    return _frame(df, cols)


# --- sales -------------------------------------------------------------------------------------


def won_over_time(ctx: Context) -> pd.DataFrame:
    """Won deals and revenue per close day: the closed loop's won deals (a deal belongs to its
    primary contact, whom the contact filters keep), so the chart sums to the page's "Won
    deals" and "Revenue" figures. Read from the deal facts when built, else live."""
    cols = ["day", "won_deals", "revenue"]
    f = ctx.filters
    if ctx.days_ok:
        rows = funnel_days.won_days(
            start=f.start,
            end=f.end,
            owner_ids=ctx.owner_ids,
            persona_id=f.persona,
            segment=f.segment,
            channel=f.channel,
        )
        df = pd.DataFrame.from_records(rows, columns=cols)
        df["day"] = pd.to_datetime(df["day"]).dt.date
        return df.astype({"won_deals": int, "revenue": float})

    def build():
        d = table(Deal, ctx.con)
        d = d.filter(d.is_won & ctx.in_period(d.closed_at))
        c = _contacts(ctx).select(cid=ibis._.id)
        d = d.semi_join(c, d.primary_contact_id == c.cid)
        d = d.mutate(day=d.closed_at.date())
        return (
            d.group_by("day")
            .aggregate(won_deals=d.count(), revenue=d.amount.cast("float64").sum())
            .order_by("day")
        )

    return _frame(ctx.run("won_over_time", build), cols)


def activity_by_rep(ctx: Context) -> pd.DataFrame:
    """Calls, emails, LinkedIn messages, meetings and demos per rep in the period."""

    f = ctx.filters
    # the per-day activity summary, or the same SELECT over the touchpoints (never built)
    fn = activity.activity_days if ctx.traffic_ok else activity.activity_live
    rows = fn(start=f.period.start, end=f.period.end, owner_ids=ctx.owner_ids)
    long = pd.DataFrame.from_records(rows, columns=["user_id", "kind", "n"])
    df = long.pivot_table(index="user_id", columns="kind", values="n", aggfunc="sum")
    df = df.reindex(columns=list(SALES_ACTIVITY), fill_value=0).fillna(0).astype(int)
    df = df.reset_index()
    names = selectors.user_names(df["user_id"].tolist())
    df.insert(0, "rep", [names.get(int(u), str(u)) for u in df["user_id"]])
    return _frame(df.sort_values("rep"), ["rep", *SALES_ACTIVITY])


def depth_by_rep(ctx: Context) -> pd.DataFrame:
    """Depth of leads worked: of the leads that became MQL in the period, per owner, how many
    got at least one attempt and the mean attempts per lead (an attempt as the SLA counts it:
    :data:`smarketing.analytics.figures.ATTEMPT_KINDS` by the sales team)."""

    def build():
        if ctx.facts_ok:
            f = ctx.facts()
            f = f.filter(f.owner_id.notnull() & ctx.in_period(f.t_mqls))
            leads = f.select(lid=f.contact_id, owner_id=f.owner_id)
        else:
            c = _contacts(ctx).filter(ibis._.owner_id.notnull())
            reach = reach_times(ctx.tables.stage_changes, table(Contact, ctx.con))
            mq = reach.filter(ctx.in_period(reach.t_mqls)).select(mid=reach.contact_id)
            leads = c.join(mq, c.id == mq.mid).select(lid=ibis._.id, owner_id=ibis._.owner_id)
        if ctx.traffic_ok:  # attempts per contact, pre-aggregated
            att = table(ContactAttempts, ctx.con)
        else:  # the same SELECT the summary stores (one definition), computed live
            att = ctx.con.sql(activity.attempts_select(), dialect=ctx.con.dialect)
        j = leads.left_join(att, leads.lid == att.contact_id)
        n = ibis.coalesce(j.attempts, 0)
        return j.group_by("owner_id").aggregate(
            leads=j.count(), worked=(n > 0).sum(), attempts=n.sum()
        )

    df = ctx.run(f"depth_by_rep_{ctx.facts_ok}_{ctx.traffic_ok}", build)
    names = selectors.user_names(df["owner_id"].tolist())
    df.insert(0, "rep", [names.get(int(u), str(u)) for u in df["owner_id"]])
    df["attempts_per_lead"] = (df["attempts"] / df["leads"]).round(2)
    df["pct_worked"] = (100 * df["worked"] / df["leads"]).round(1)
    return _frame(
        df.sort_values("rep"),
        ["rep", "leads", "worked", "pct_worked", "attempts", "attempts_per_lead"],
    )


def pipeline_by_stage(ctx: Context) -> pd.DataFrame:
    """Open deals now, by pipeline stage (count and amount)."""

    def build():
        d = table(Deal, ctx.con)
        d = d.filter(~d.is_closed)
        if ctx.owner_ids is not None:
            d = d.filter(d.owner_id.isin(ctx.owner_ids or [-1]))
        return d.group_by("stage").aggregate(deals=d.count(), amount=d.amount.cast("float64").sum())

    df = ctx.run("pipeline_by_stage", build)
    order = {s: i for i, s in enumerate(DealStage.values)}
    df["order"] = df["stage"].map(order)
    df = df.sort_values("order")
    df["stage"] = df["stage"].map(dict(DealStage.choices))
    return _frame(df, ["stage", "deals", "amount"])


# --- joint -------------------------------------------------------------------------------------


def shared_funnel(ctx: Context) -> pd.DataFrame:
    """The shared funnel: count per step, conversion to the next step, median days to it."""
    rows = ctx.closed_loop("all").rows
    r = rows[0] if rows else None
    out = []
    names = ["Leads", "MQLs", "SQLs", "Opportunities", "Won"]
    attrs = ["leads", "mqls", "sqls", "opportunities", "won"]
    for i, (name, attr) in enumerate(zip(names, attrs)):
        step = STEPS[i] if i < len(STEPS) else None
        out.append(
            {
                "step": name,
                "count": getattr(r, attr) if r else 0,
                "conversion_to_next": (r.conversion.get(step) if r and step else None),
                "median_days_to_next": (r.velocity_days.get(step) if r and step else None),
            }
        )
    return pd.DataFrame(out)


def rejection_reasons(ctx: Context) -> pd.DataFrame:
    rows = ctx.closed_loop("all", velocity=False).rows
    reasons = rows[0].rejection_reasons if rows else []
    from smarketing.funnel.models import RejectionReason

    labels = dict(RejectionReason.choices)
    return pd.DataFrame(
        [{"reason": labels.get(k, k), "rejected": n} for k, n in reasons],
        columns=["reason", "rejected"],
    )


def channel_outcomes(ctx: Context) -> pd.DataFrame:
    """Closed loop by channel: leads through won, revenue, cost and ROI."""
    cols = ["label", "leads", "mqls", "sqls", "won", "revenue", "cost", "roi", "acceptance_rate"]
    return _closed_loop_frame(ctx, "channel", cols)


def attribution_summary(ctx: Context) -> pd.DataFrame | None:
    """Linear multi-touch credit of the period's won revenue by channel, or ``None`` while the
    attribution path set is not built. The attribution app's definition and stored paths
    (:func:`smarketing.attribution.selectors.linear_by_channel`): the same figures as the
    attribution page's linear model by channel for the same dates."""
    if not ctx.credits_ok:
        return None
    from smarketing.attribution.selectors import linear_by_channel  # noqa: PLC0415

    f = ctx.filters
    rows = linear_by_channel(
        since=f.start.replace(tzinfo=UTC), until=f.end.replace(tzinfo=UTC), owner_ids=ctx.owner_ids
    )
    if rows is None:
        return None
    df = pd.DataFrame(
        [{"channel": c, "conversions": round(n, 2), "revenue": round(v, 2)} for c, n, v in rows],
        columns=["channel", "conversions", "revenue"],
    )
    return df.sort_values(["revenue", "channel"], ascending=[False, True]).reset_index(drop=True)


# --- goal pacing (from planning) ---------------------------------------------------------------


def goal_pacing(ctx: Context):
    """The period's goal pacing (company-wide: the goal is shared), or ``None`` without a goal."""
    if "pacing" not in ctx._memo:
        from smarketing.planning.selectors import goal_for
        from smarketing.planning.selectors import goal_pacing as _pacing

        goal = goal_for(ctx.filters.period.label)
        # the daily funnel counts answer the company-wide reach counts without a scan
        steps = funnel_days.daily_totals if ctx.days_ok else None
        ctx._memo["pacing"] = _pacing(goal, step_counts=steps) if goal else None
    return ctx._memo["pacing"]


def pacing_curve(ctx: Context) -> pd.DataFrame | None:
    """Cumulative revenue: actual vs expected to date, for the period's goal."""
    gp = goal_pacing(ctx)
    if gp is None or "revenue" not in gp.metrics:
        return None
    p = gp.metrics["revenue"]
    return pd.DataFrame(
        [{"date": d, "expected": e, "actual": a} for d, e, a in p.curve_points],
        columns=["date", "expected", "actual"],
    )
