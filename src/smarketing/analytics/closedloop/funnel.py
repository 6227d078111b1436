"""Closed-loop reporting: per source / channel / campaign / persona / segment / content / cohort,
leads -> MQL -> SQL -> opportunity -> won, conversion, velocity, revenue, cost, ROI, feedback.

Every figure is aggregated in the database (Ibis); only one row per group comes back.

Definitions (also in ``docs/reporting.md``):

- A contact *reaches* a step at its first entry into that stage **or any later one**
  (:func:`~.tables.reach_times`). ``won`` = became a customer.
- **Period view** (``view="period"``): a step counts the contacts that reached it inside
  ``[start, end)``; conversion is the ratio of consecutive steps in the period (throughput);
  revenue is won deals closed in the window; pipeline is the amount of deals created in it;
  sales feedback is the reviews made in it.
- **Cohort view** (``view="cohort"``): the contacts *created* inside ``[start, end)`` and
  everything they ever did: a step counts the cohort members that reached it (so conversion is
  exact), revenue is their won deals, pipeline their deals' amount, feedback their reviews.
- Velocity: median days from reaching one step to reaching the next, over the contacts that
  reached the next step in the window (period) or in the cohort.
- Deals belong to the group of their primary contact.
- Cost: :class:`CampaignCost` amounts, prorated by the days of each cost period inside the
  window, grouped by the campaign's channel / source / id (``None`` for persona, segment,
  content and cohort groupings, and when contacts are filtered by owner, persona or segment,
  since spend cannot be split that way). ROI = (revenue - cost) / cost.
- Content: a contact belongs to every content asset it touched (so groups overlap).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

import ibis
import pandas as pd

from smarketing.analytics import figures
from smarketing.analytics.closedloop.tables import (
    FUNNEL_STEPS,
    STEPS,
    ClosedLoopError,
    FunnelTables,
    as_ts,
    grouped_median,
    reach_times,
)

__all__ = [
    "DIMENSIONS",
    "ClosedLoopResult",
    "ClosedLoopRow",
    "ClosedLoopSpec",
    "closed_loop",
]

#: What a closed-loop report can be grouped by.
DIMENSIONS: tuple[str, ...] = (
    "all",
    "source",
    "channel",
    "campaign",
    "persona",
    "segment",
    "content",
    "cohort_month",
)
_COSTED = {"all": None, "channel": "channel", "source": "source", "campaign": "campaign_id"}
NONE_KEY = "(none)"


@dataclass(frozen=True)
class ClosedLoopSpec:
    """What to compute: grouping, window ``[start, end)``, view and contact filters."""

    by: str = "all"
    start: datetime | date | str | None = None
    end: datetime | date | str | None = None
    view: str = "period"
    owner_ids: Sequence[int] | None = None
    persona_id: int | None = None
    segment: str | None = None
    channel: str | None = None

    def validated(self) -> ClosedLoopSpec:
        if self.by not in DIMENSIONS:
            raise ClosedLoopError(f"by: unknown grouping {self.by!r}; use {', '.join(DIMENSIONS)}")
        if self.view not in ("period", "cohort"):
            raise ClosedLoopError(f"view: must be 'period' or 'cohort', got {self.view!r}")
        if self.start is None or self.end is None:
            raise ClosedLoopError("start and end are required")
        s, e = as_ts(self.start), as_ts(self.end)
        if e <= s:
            raise ClosedLoopError(f"end ({e:%Y-%m-%d}) must be after start ({s:%Y-%m-%d})")
        owners = None if self.owner_ids is None else tuple(sorted(int(i) for i in self.owner_ids))
        return ClosedLoopSpec(
            self.by, s, e, self.view, owners, self.persona_id, self.segment, self.channel
        )

    @property
    def filters_contacts(self) -> bool:
        return bool(self.owner_ids is not None or self.persona_id or self.segment)


@dataclass
class ClosedLoopRow:
    """The closed-loop figures of one group (``key`` is the raw value, ``label`` for display)."""

    key: str
    label: str
    leads: int = 0
    mqls: int = 0
    sqls: int = 0
    opportunities: int = 0
    won: int = 0
    conversion: dict[str, float | None] = field(default_factory=dict)
    velocity_days: dict[str, float | None] = field(default_factory=dict)
    won_deals: int = 0
    revenue: float = 0.0
    pipeline: float = 0.0
    cost: float | None = None
    cost_per_lead: float | None = None
    cost_per_mql: float | None = None
    cost_per_customer: float | None = None
    roi: float | None = None
    accepted: int = 0
    rejected: int = 0
    acceptance_rate: float | None = None
    avg_quality: float | None = None
    rejection_reasons: list[tuple[str, int]] = field(default_factory=list)

    def flat(self) -> dict[str, object]:
        """One flat dict (for CSV and tables)."""
        d = asdict(self)
        conv = d.pop("conversion")
        vel = d.pop("velocity_days")
        reasons = d.pop("rejection_reasons")
        d.update({f"conv_{k}": v for k, v in conv.items()})
        d.update({f"days_{k}": v for k, v in vel.items()})
        d["rejection_reasons"] = "; ".join(f"{r}: {n}" for r, n in reasons)
        return d


@dataclass(frozen=True)
class ClosedLoopResult:
    """Closed-loop rows for a spec, largest lead count first."""

    spec: ClosedLoopSpec
    rows: list[ClosedLoopRow]

    def row(self, key: str) -> ClosedLoopRow | None:
        return next((r for r in self.rows if r.key == str(key)), None)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.flat() for r in self.rows])

    def to_dict(self) -> dict[str, object]:
        s = self.spec
        return {
            "by": s.by,
            "view": s.view,
            "start": s.start.isoformat() if s.start else None,
            "end": s.end.isoformat() if s.end else None,
            "rows": [asdict(r) for r in self.rows],
        }


def _lit(column: ibis.Column, value: datetime) -> ibis.Scalar:
    """A literal of the column's timestamp type (timezone-aware on PostgreSQL)."""
    dtype = column.type()
    if getattr(dtype, "timezone", None):
        value = value.replace(tzinfo=UTC)
    return ibis.literal(value, type=dtype)


def _in(column: ibis.Column, start: datetime, end: datetime) -> ibis.BooleanValue:
    return (column >= _lit(column, start)) & (column < _lit(column, end))


def _key(expr: ibis.Value) -> ibis.StringValue:
    return ibis.coalesce(expr.cast("string"), ibis.literal(NONE_KEY)).name("key")


def _contacts(t: FunnelTables, spec: ClosedLoopSpec) -> ibis.Table:
    """Filtered contacts with the grouping columns (segment joined from the account)."""
    c = t.contacts
    a = t.accounts.select(acc_id=t.accounts.id, segment=t.accounts.segment)
    c = c.left_join(a, c.account_id == a.acc_id)
    if spec.owner_ids is not None:
        c = c.filter(c.owner_id.isin(list(spec.owner_ids) or [-1]))
    if spec.persona_id:
        c = c.filter(c.persona_id == int(spec.persona_id))
    if spec.segment:
        c = c.filter(c.segment == spec.segment)
    if spec.channel:
        c = c.filter(c.original_channel == spec.channel)
    return c


def _membership(t: FunnelTables, c: ibis.Table, spec: ClosedLoopSpec) -> ibis.Table:
    """``(contact_id, key, created_at)``: which group(s) each filtered contact belongs to."""
    if spec.by == "content":
        tp = t.touchpoints.filter(t.touchpoints.content_id.notnull())
        pairs = tp.select("contact_id", "content_id").distinct()
        j = pairs.join(c, pairs.contact_id == c.id)
        return j.select(
            contact_id=j.contact_id, key=_key(j.content_id.cast("int64")), created_at=j.created_at
        )
    key = {
        "all": ibis.literal("all"),
        "source": c.original_source.nullif(""),
        "channel": c.original_channel.nullif(""),
        "campaign": c.original_campaign_id.cast("int64"),
        "persona": c.persona_id.cast("int64"),
        "segment": c.segment.nullif(""),
        "cohort_month": c.created_at.strftime("%Y-%m"),
    }[spec.by]
    return c.select(contact_id=c.id, key=_key(key), created_at=c.created_at)


def _scoped(m: ibis.Table, spec: ClosedLoopSpec) -> ibis.Table:
    """Cohort view keeps the members created in the window; period view keeps all."""
    if spec.view == "cohort":
        return m.filter(_in(m.created_at, spec.start, spec.end))
    return m


def _counts(reach: ibis.Table, m: ibis.Table, spec: ClosedLoopSpec) -> pd.DataFrame:
    j = m.join(reach, m.contact_id == reach.contact_id)
    if spec.view == "cohort":
        aggs = {s: j[f"t_{s}"].notnull().sum() for s in FUNNEL_STEPS}
    else:
        aggs = {s: _in(j[f"t_{s}"], spec.start, spec.end).sum() for s in FUNNEL_STEPS}
    return j.group_by("key").aggregate(**aggs)


def _velocity(reach: ibis.Table, m: ibis.Table, spec: ClosedLoopSpec) -> pd.DataFrame:
    j = m.join(reach, m.contact_id == reach.contact_id)
    parts = []
    for (a, b), step in zip(zip(FUNNEL_STEPS, FUNNEL_STEPS[1:]), STEPS):
        ta, tb = j[f"t_{a}"], j[f"t_{b}"]
        keep = ta.notnull() & tb.notnull()
        if spec.view == "period":
            keep &= _in(tb, spec.start, spec.end)
        days = (tb.epoch_seconds() - ta.epoch_seconds()) / 86400.0
        parts.append(j.filter(keep).select(key=j.key, step=ibis.literal(step), days=days))
    return grouped_median(ibis.union(*parts), ["key", "step"], "days")


def _deals(t: FunnelTables, m: ibis.Table, spec: ClosedLoopSpec) -> pd.DataFrame:
    d = t.deals
    j = d.join(m, d.primary_contact_id == m.contact_id)
    amount = j.amount.cast("float64")
    if spec.view == "cohort":
        won = j.is_won
        made = ibis.literal(True)
    else:
        won = j.is_won & _in(j.closed_at, spec.start, spec.end)
        made = _in(j.created_at, spec.start, spec.end)
    return j.group_by("key").aggregate(
        won_deals=won.sum(),
        revenue=amount.sum(where=won),
        pipeline=amount.sum(where=made),
    )


def _reviews(t: FunnelTables, m: ibis.Table, spec: ClosedLoopSpec) -> tuple[ibis.Table, ...]:
    r = t.reviews
    j = r.join(m, r.contact_id == m.contact_id)
    if spec.view == "period":
        j = j.filter(_in(j["at"], spec.start, spec.end))
    summary = j.group_by("key").aggregate(
        accepted=(j.decision == "accept").sum(),
        rejected=(j.decision == "reject").sum(),
        q_sum=j.quality_rating.cast("float64").sum(),
        q_n=j.quality_rating.count(),
    )
    rej = j.filter(j.decision == "reject")
    reasons = rej.group_by(["key", "reason_code"]).aggregate(n=rej.count())
    return summary, reasons


def _costed(spec: ClosedLoopSpec) -> bool:
    if spec.by not in _COSTED or spec.view == "cohort" and spec.by != "all":
        return False
    return not spec.filters_contacts


def _costs(t: FunnelTables, spec: ClosedLoopSpec) -> ibis.Table:
    cc, cp = t.costs, t.campaigns
    j = cc.join(cp, cc.campaign_id == cp.id)
    if spec.channel:
        j = j.filter(j.channel == spec.channel)
    first = ibis.date(spec.start.date())
    last = ibis.date((spec.end - timedelta(microseconds=1)).date())
    lo = ibis.greatest(j.period_start, first)
    hi = ibis.least(j.period_end, last)
    overlap = hi.delta(lo, unit="day") + 1
    total = j.period_end.delta(j.period_start, unit="day") + 1
    share = ibis.ifelse(overlap > 0, overlap.cast("float64") / total.cast("float64"), 0.0)
    col = _COSTED[spec.by]
    key = _key(ibis.literal("all") if col is None else j[col].cast("string").nullif(""))
    j = j.mutate(key=key, part=j.amount.cast("float64") * share)
    return j.group_by("key").aggregate(cost=j.part.sum())


_LABELS = {
    "campaign": ("campaigns", "name"),
    "persona": ("personas", "name"),
    "content": ("content", "title"),
}


def _labels(t: FunnelTables, by: str, run: Runner) -> dict[str, str]:
    """Display names of the group keys that are ids (one small query, all rows of the table)."""
    if by not in _LABELS:
        return {}
    attr, name = _LABELS[by]

    def build():
        table = getattr(t, attr)
        return table.select(id=table.id.cast("int64"), label=table[name])

    df = run(("labels", by), build)
    return {str(i): str(n) for i, n in zip(df["id"], df["label"])}


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else float(a) / float(b)


def _index(df: pd.DataFrame | None) -> dict[str, dict[str, object]]:
    """``{key: {column: value}}`` of a per-group result (one pass, not one scan per key)."""
    if df is None or df.empty:
        return {}
    return {str(r["key"]): r for r in df.to_dict("records")}


def _num(idx: dict[str, dict[str, object]], key: str, col: str, default=0):
    value = idx.get(key, {}).get(col)
    return default if value is None or pd.isna(value) else value


Runner = Callable[[tuple, Callable[[], ibis.Expr]], pd.DataFrame]


def execute(key: tuple, build: Callable[[], ibis.Expr]) -> pd.DataFrame:
    """The default runner: build the expression and execute it on its backend."""
    return build().to_pandas()


def closed_loop(
    tables: FunnelTables,
    spec: ClosedLoopSpec,
    *,
    run: Runner | None = None,
    use_facts: bool | None = None,
    velocity: bool = True,
) -> ClosedLoopResult:
    """Compute the closed-loop figures per group (see the module docstring for definitions).

    Examples
    --------
    >>> import ibis, datetime as dt
    >>> from smarketing.analytics.closedloop.tables import FunnelTables
    >>> T = lambda d: ibis.memtable(d)
    >>> now = dt.datetime(2026, 1, 5)
    >>> tables = FunnelTables(
    ...     contacts=T({"id": [1, 2], "created_at": [now, now], "lifecycle_stage": ["customer",
    ...         "lead"], "original_source": ["google", "google"], "original_channel": ["paid",
    ...         "paid"], "original_campaign_id": [None, None], "persona_id": [None, None],
    ...         "account_id": [None, None], "owner_id": [None, None]}),
    ...     accounts=T({"id": [0], "segment": ["smb"]}),
    ...     stage_changes=T({"contact_id": [1, 1, 2], "to_stage": ["lead", "customer", "lead"],
    ...         "changed_at": [now, now + dt.timedelta(days=10), now]}),
    ...     deals=T({"id": [1], "primary_contact_id": [1], "amount": [500.0], "created_at": [now],
    ...         "closed_at": [now + dt.timedelta(days=10)], "is_closed": [True], "is_won": [True]}),
    ...     reviews=T({"contact_id": [2], "decision": ["reject"], "reason_code": ["bad_fit"],
    ...         "quality_rating": [2], "at": [now]}),
    ...     costs=T({"campaign_id": [1], "period_start": [dt.date(2026, 1, 1)],
    ...         "period_end": [dt.date(2026, 1, 31)], "amount": [310.0]}),
    ...     campaigns=T({"id": [1], "name": ["Ads"], "channel": ["paid"], "source": ["google"]}),
    ...     touchpoints=T({"contact_id": [1], "content_id": [None]}),
    ...     personas=T({"id": [0], "name": ["x"]}), content=T({"id": [0], "title": ["x"]}))
    >>> res = closed_loop(tables, ClosedLoopSpec(by="channel", start="2026-01-01",
    ...                                          end="2026-02-01"))
    >>> r = res.row("paid")
    >>> r.leads, r.won, r.revenue, r.cost, r.roi, r.velocity_days["leads_to_mqls"]
    (2, 1, 500.0, 310.0, 0.6129032258064516, 10.0)

    ``run(key, build)`` executes each query; ``key`` (the query's name and the validated spec)
    identifies it fully, so an app may cache the compiled SQL per key and skip building and
    compiling the Ibis expression on repeated requests. ``use_facts`` says whether to read
    ``tables.funnel`` (default: whether it is set) -- an app with lazily opened tables says so
    without opening them. ``velocity=False`` skips the median queries (``velocity_days``
    stays empty) for views that do not show them.
    """
    spec = spec.validated()
    run = run or execute
    if use_facts is None:
        use_facts = tables.funnel is not None
    if use_facts:
        from smarketing.analytics.closedloop.facts import from_facts as _from_facts

        counts, vel, deals, reviews, reasons = _from_facts(tables, spec, run, velocity)
    else:
        counts, vel, deals, reviews, reasons = _from_log(tables, spec, run, velocity)
    costs = run(("costs", spec), lambda: _costs(tables, spec)) if _costed(spec) else None

    keys = set(counts["key"]) | set(deals["key"]) | set(reviews["key"])
    if costs is not None:
        keys |= set(costs["key"])
    medians = {(str(k), st): v for k, st, v in zip(vel["key"], vel["step"], vel["median"])}
    why: dict[str, list[tuple[str, int]]] = {}
    for k, r, n in sorted(
        zip(reasons["key"], reasons["reason_code"], reasons["n"]), key=lambda x: (-x[2], x[1])
    ):
        why.setdefault(str(k), []).append((str(r), int(n)))
    counts, deals, reviews = _index(counts), _index(deals), _index(reviews)
    costs = None if costs is None else _index(costs)
    labels = _labels(tables, spec.by, run)
    rows = []
    for key in keys:
        row = ClosedLoopRow(key=key, label=labels.get(key, key))
        for s in FUNNEL_STEPS:
            setattr(row, s, int(_num(counts, key, s)))
        for (a, b), step in zip(zip(FUNNEL_STEPS, FUNNEL_STEPS[1:]), STEPS):
            row.conversion[step] = _ratio(getattr(row, b), getattr(row, a))
            if velocity:
                v = medians.get((key, step))
                row.velocity_days[step] = None if v is None else round(float(v), 2)
        row.conversion["leads_to_won"] = _ratio(row.won, row.leads)
        row.won_deals = int(_num(deals, key, "won_deals"))
        # money in cents: sums of float amounts must not differ in the last bits by path
        row.revenue = round(float(_num(deals, key, "revenue", 0.0)), 2)
        row.pipeline = round(float(_num(deals, key, "pipeline", 0.0)), 2)
        if costs is not None:
            row.cost = round(float(_num(costs, key, "cost", 0.0)), 2)
            row.cost_per_lead = _ratio(row.cost, row.leads)
            row.cost_per_mql = _ratio(row.cost, row.mqls)
            row.cost_per_customer = _ratio(row.cost, row.won)
            row.roi = figures.roi(row.revenue, row.cost)
        row.accepted = int(_num(reviews, key, "accepted"))
        row.rejected = int(_num(reviews, key, "rejected"))
        row.acceptance_rate = _ratio(row.accepted, row.accepted + row.rejected)
        q_n = _num(reviews, key, "q_n", 0)
        q = float(_num(reviews, key, "q_sum", 0.0)) / q_n if q_n else None
        row.avg_quality = None if q is None else round(q, 2)
        row.rejection_reasons = why.get(key, [])
        rows.append(row)
    rows.sort(key=lambda r: (-r.leads, -r.revenue, r.label))
    return ClosedLoopResult(spec, rows)


_NO_VELOCITY = pd.DataFrame(columns=["key", "step", "median"])


def _from_log(tables: FunnelTables, spec: ClosedLoopSpec, run: Runner, velocity: bool) -> tuple:
    """The per-group frames derived from the stage-change log (no fact table)."""

    @functools.cache
    def base():
        m = _scoped(_membership(tables, _contacts(tables, spec), spec), spec)
        return m, reach_times(tables.stage_changes, tables.contacts)

    counts = run(("counts", spec), lambda: _counts(base()[1], base()[0], spec))
    vel = (
        run(("velocity", spec), lambda: _velocity(base()[1], base()[0], spec))
        if velocity
        else _NO_VELOCITY
    )
    deals = run(("deals", spec), lambda: _deals(tables, base()[0], spec))
    reviews = run(("reviews", spec), lambda: _reviews(tables, base()[0], spec)[0])
    reasons = run(("reasons", spec), lambda: _reviews(tables, base()[0], spec)[1])
    return counts, vel, deals, reviews, reasons


def totals(rows: Sequence[ClosedLoopRow]) -> Mapping[str, float]:
    """Sums of the additive counts over rows (not meaningful for overlapping content groups)."""
    out: dict[str, float] = {}
    for name in (*FUNNEL_STEPS, "won_deals", "revenue", "pipeline", "accepted", "rejected"):
        out[name] = sum(getattr(r, name) for r in rows)
    return out
