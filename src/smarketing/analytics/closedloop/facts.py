"""Closed-loop figures read from the per-contact funnel fact table (one row per contact).

The same definitions as :mod:`~.funnel` (which derives reach times from the stage-change log
on every query); here they are read from ``FunnelTables.funnel`` (:func:`~.tables.
contact_funnel` materialised), so no query re-aggregates the log.

Additive figures (step counts, won deals, revenue, pipeline, reviews, rejection reasons) of the
groupings ``all``, ``source``, ``channel``, ``campaign``, ``persona`` and ``segment`` come
from **one** query per figure grouped by the combination of those five keys (a few hundred to a
few thousand rows whatever the data size); each grouping is then a sum over that small frame.
The query's key leaves ``by`` out, so an app whose runner memoises per key computes them once
for every grouping a page shows. Medians (velocity) are not additive: one query per grouping.
"""

from __future__ import annotations

import dataclasses
import functools

import ibis
import pandas as pd

from smarketing.analytics.closedloop.funnel import (
    ClosedLoopSpec,
    Runner,
    _in,
    _key,
)
from smarketing.analytics.closedloop.tables import (
    FUNNEL_STEPS,
    STEPS,
    FunnelTables,
    grouped_median,
)

__all__ = ["COMBO", "from_facts"]

#: Grouping -> the fact-table key expression; these five make up the combination key.
COMBO: dict[str, str] = {
    "source": "k_source",
    "channel": "k_channel",
    "campaign": "k_campaign",
    "persona": "k_persona",
    "segment": "k_segment",
}


def _keys(f: ibis.Table) -> dict[str, ibis.Value]:
    return {
        "k_source": _key(f.original_source.nullif("")),
        "k_channel": _key(f.original_channel.nullif("")),
        "k_campaign": _key(f.original_campaign_id.cast("int64")),
        "k_persona": _key(f.persona_id.cast("int64")),
        "k_segment": _key(f.segment.nullif("")),
    }


def _filtered(t: FunnelTables, spec: ClosedLoopSpec) -> ibis.Table:
    """Fact rows of the contacts the spec keeps (cohort view: created in the window)."""
    f = t.funnel
    if spec.owner_ids is not None:
        f = f.filter(f.owner_id.isin(list(spec.owner_ids) or [-1]))
    if spec.persona_id:
        f = f.filter(f.persona_id == int(spec.persona_id))
    if spec.segment:
        f = f.filter(f.segment == spec.segment)
    if spec.channel:
        f = f.filter(f.original_channel == spec.channel)
    if spec.view == "cohort":
        f = f.filter(_in(f.created_at, spec.start, spec.end))
    return f


def _members(t: FunnelTables, spec: ClosedLoopSpec, combo: bool) -> tuple[ibis.Table, list[str]]:
    """``(rows, key columns)``: filtered facts with the combination keys or the one ``key``."""
    f = _filtered(t, spec)
    if combo:
        return f.mutate(**_keys(f)), list(COMBO.values())
    if spec.by == "content":
        tp = t.touchpoints.filter(t.touchpoints.content_id.notnull())
        pairs = tp.select(_cid=tp.contact_id, _content=tp.content_id).distinct()
        j = pairs.join(f, pairs._cid == f.contact_id)
        return j.mutate(key=_key(j._content.cast("int64"))).drop("_cid", "_content"), ["key"]
    if spec.by == "cohort_month":
        return f.mutate(key=_key(f.created_month)), ["key"]
    if spec.by == "all":
        return f.mutate(key=_key(ibis.literal("all"))), ["key"]
    return f.mutate(key=_keys(f)[COMBO[spec.by]]), ["key"]


def _counts(m: ibis.Table, keys: list[str], spec: ClosedLoopSpec) -> ibis.Table:
    if spec.view == "cohort":
        aggs = {s: m[f"t_{s}"].notnull().sum() for s in FUNNEL_STEPS}
    else:
        aggs = {s: _in(m[f"t_{s}"], spec.start, spec.end).sum() for s in FUNNEL_STEPS}
    return m.group_by(keys).aggregate(**aggs)


def _deals(t: FunnelTables, m: ibis.Table, keys: list[str], spec: ClosedLoopSpec) -> ibis.Table:
    d = t.deals
    if spec.view == "period":
        # rows outside both windows add nothing; their groups still come from the counts
        d = d.filter(
            (d.is_won & _in(d.closed_at, spec.start, spec.end))
            | _in(d.created_at, spec.start, spec.end)
        )
    mk = m.select("contact_id", *keys)
    j = d.join(mk, d.primary_contact_id == mk.contact_id)
    amount = j.amount.cast("float64")
    if spec.view == "cohort":
        won, made = j.is_won, ibis.literal(True)
    else:
        won = j.is_won & _in(j.closed_at, spec.start, spec.end)
        made = _in(j.created_at, spec.start, spec.end)
    return j.group_by(keys).aggregate(
        won_deals=won.sum(), revenue=amount.sum(where=won), pipeline=amount.sum(where=made)
    )


def _reviewed(t: FunnelTables, m: ibis.Table, keys: list[str], spec: ClosedLoopSpec):
    r = t.reviews
    if spec.view == "period":
        r = r.filter(_in(r["at"], spec.start, spec.end))
    mk = m.select("contact_id", *keys)
    return r.join(mk, r.contact_id == mk.contact_id)


def _reviews(t: FunnelTables, m: ibis.Table, keys: list[str], spec: ClosedLoopSpec) -> ibis.Table:
    j = _reviewed(t, m, keys, spec)
    return j.group_by(keys).aggregate(
        accepted=(j.decision == "accept").sum(),
        rejected=(j.decision == "reject").sum(),
        q_sum=j.quality_rating.cast("float64").sum(),
        q_n=j.quality_rating.count(),
    )


def _reasons(t: FunnelTables, m: ibis.Table, keys: list[str], spec: ClosedLoopSpec) -> ibis.Table:
    j = _reviewed(t, m, keys, spec)
    j = j.filter(j.decision == "reject")
    return j.group_by([*keys, "reason_code"]).aggregate(n=j.count())


def _velocity(m: ibis.Table, spec: ClosedLoopSpec) -> ibis.Table:
    parts = []
    for (a, b), step in zip(zip(FUNNEL_STEPS, FUNNEL_STEPS[1:]), STEPS):
        ta, tb = m[f"t_{a}"], m[f"t_{b}"]
        keep = ta.notnull() & tb.notnull()
        if spec.view == "period":
            keep &= _in(tb, spec.start, spec.end)
        days = (tb.epoch_seconds() - ta.epoch_seconds()) / 86400.0
        parts.append(m.filter(keep).select(key=m.key, step=ibis.literal(step), days=days))
    return grouped_median(ibis.union(*parts), ["key", "step"], "days")


def _rollup(df: pd.DataFrame, by: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Sum a combination-keyed frame into the ``key`` of grouping ``by``."""
    combo = list(COMBO.values())
    values = [c for c in df.columns if c not in combo and c not in extra]
    if df.empty:
        return pd.DataFrame(columns=["key", *extra, *values])
    key = pd.Series("all", index=df.index) if by == "all" else df[COMBO[by]].astype(str)
    out = df[list(extra)].assign(key=key)
    for c in values:  # NULL sums (no rows matched) count as 0, as in the per-group path
        out[c] = pd.to_numeric(df[c], errors="coerce").fillna(0)
    return out.groupby(["key", *extra], as_index=False, sort=False)[values].sum()


def from_facts(tables: FunnelTables, spec: ClosedLoopSpec, run: Runner, velocity: bool) -> tuple:
    """The per-group frames ``(counts, velocity, deals, reviews, reasons)`` of a spec."""
    combo = spec.by == "all" or spec.by in COMBO
    # the combination queries do not depend on ``by``: one key for every grouping
    shared = dataclasses.replace(spec, by="*") if combo else spec

    # expressions are built only when a query's SQL is not cached yet (building opens tables)
    @functools.cache
    def members():
        return _members(tables, spec, combo)

    def frame(name, build, extra=()):
        df = run((f"facts_{name}", shared), lambda: build(*members()))
        return _rollup(df, spec.by, extra) if combo else df

    counts = frame("counts", lambda m, k: _counts(m, k, spec))
    deals = frame("deals", lambda m, k: _deals(tables, m, k, spec))
    reviews = frame("reviews", lambda m, k: _reviews(tables, m, k, spec))
    reasons = frame("reasons", lambda m, k: _reasons(tables, m, k, spec), ("reason_code",))
    if not velocity:
        vel = pd.DataFrame(columns=["key", "step", "median"])
    else:
        vel = run(
            ("facts_velocity", spec), lambda: _velocity(_members(tables, spec, False)[0], spec)
        )
    return counts, vel, deals, reviews, reasons
