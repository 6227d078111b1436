"""The monthly report, the weekly smarketing brief and the monthly management summary.

Every figure comes from the closed-loop maths (the same numbers as the dashboards); the
context builders return plain dicts; :mod:`~smarketing.reporting.report_layout` lays a
context out as one document, rendered as self-contained HTML (inline CSS, charts as
``data:`` images, no scripts: it can be mailed as is), as PDF (fpdf2) and as CSV per table.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, timedelta

import pandas as pd
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from smarketing.analytics.planning import PlanningError, parse_period
from smarketing.crm.models import Campaign, Deal, SalesInsight
from smarketing.reporting import datasets as ds
from smarketing.reporting import selectors
from smarketing.reporting.filters import Filters
from smarketing.reporting.report_doc import Document

BREAKDOWNS = ("channel", "campaign", "persona", "segment", "content")


class ReportError(ValueError):
    """Bad report input (the message names the field)."""


FORMATS = {
    "month": (re.compile(r"\d{4}-\d{2}"), "YYYY-MM, e.g. 2026-03"),
    "week": (re.compile(r"\d{4}-W\d{2}"), "YYYY-Www (ISO week), e.g. 2026-W05"),
}


def _period(text: str, kind: str):
    """The period of a month (``2026-03``) or ISO week (``2026-W05``); ReportError names the
    field and the expected form."""
    pattern, form = FORMATS[kind]
    text = (text or "").strip()
    if not pattern.fullmatch(text):
        raise ReportError(f"{kind}: use {form}; got {text!r}")
    try:
        return parse_period(text)
    except PlanningError as exc:
        raise ReportError(f"{kind}: {exc}") from None


def _goal_pacing(period_label: str):
    from smarketing.planning.selectors import goal_for, goal_pacing

    goal = goal_for(period_label)
    if goal is None:
        # a month or week sits inside a quarter goal: pace that one
        p = parse_period(period_label)
        quarter = f"{p.start.year}-Q{(p.start.month - 1) // 3 + 1}"
        goal = goal_for(quarter)
    if goal is None:
        return None
    from smarketing.reporting import facts as funnel_facts
    from smarketing.reporting import funnel_days

    steps = None
    if funnel_facts.ensure_fresh() and funnel_facts.days_ready():
        steps = funnel_days.daily_totals
    return goal_pacing(goal, step_counts=steps)


def _sla(filters: Filters):
    return selectors.sla_compliance(filters)


def _sla_breaches(filters: Filters):
    try:
        from smarketing.sla import selectors as sla_selectors  # noqa: PLC0415

        fn = sla_selectors.breaches_between
    except (ImportError, AttributeError):
        return None
    try:
        return list(fn(start=filters.start, end=filters.end))
    except Exception:  # a peer app's failure must not break the brief
        selectors.log.exception("SLA breaches failed")
        return None


def content_use(ctx: ds.Context, limit: int = 15) -> list[dict]:
    """Content views and shares per asset in the period (one grouped query; from the per-day
    content touches when they are current)."""
    from smarketing.crm.models import ContentAsset
    from smarketing.reporting import content_days

    if ctx.content_ok:
        p = ctx.filters.period
        rows = content_days.content_use(start=p.start, end=p.end, limit=limit)
        df = pd.DataFrame.from_records(rows, columns=["content_id", "touches", "shares", "people"])
    else:
        df = _content_use_live(ctx, limit)
    titles = dict(
        ContentAsset.objects.filter(id__in=df["content_id"].tolist()).values_list("id", "title")
    )
    return [
        {
            "title": titles.get(int(r.content_id), r.content_id),
            "touches": int(r.touches),
            "shares": int(r.shares),
            "people": int(r.people),
        }
        for r in df.itertuples()
    ]


def _content_use_live(ctx: ds.Context, limit: int):
    from smarketing.core.ibis_db import table
    from smarketing.crm.models import Touchpoint

    t = table(Touchpoint, ctx.con)
    t = t.filter(t.content_id.notnull() & ctx.in_period(t.occurred_at))
    g = t.group_by("content_id").aggregate(
        touches=t.count(),
        shares=(t.kind == "content_share").sum(),
        people=t.contact_id.nunique(),
    )
    return g.order_by([g.touches.desc(), g.content_id]).limit(limit).to_pandas()


def monthly_context(month: str) -> dict:
    """Everything about one month: funnel, goals, SLA, closed loop, attribution, content use."""
    period = _period(month, "month")
    filters = Filters(period=period)
    ctx = ds.Context(filters)
    total = ctx.closed_loop("all").rows
    breakdowns = {by: ctx.closed_loop(by, velocity=False).rows[:12] for by in BREAKDOWNS}
    cohort = ctx.closed_loop("all", view="cohort").rows
    attribution = ds.attribution_summary(ctx)
    return {
        "kind": "monthly",
        "title": f"Monthly smarketing report · {period.label}",
        "period": period,
        "generated_at": timezone.now(),
        "total": total[0] if total else None,
        "cohort": cohort[0] if cohort else None,
        "funnel": ds.shared_funnel(ctx).to_dict("records"),
        "breakdowns": breakdowns,
        "pacing": _goal_pacing(period.label),
        "sla": _sla(filters),
        "attribution": None if attribution is None else attribution.to_dict("records"),
        "content": content_use(ctx),
        "rejections": ds.rejection_reasons(ctx).to_dict("records"),
        "pipeline": ds.pipeline_by_stage(ctx).to_dict("records"),
    }


def persona_insights(end, *, days: int = 28, limit: int = 5) -> list[dict]:
    """What sales heard (questions, pain points, objections) per persona, most frequent first."""
    since = end - timedelta(days=days)
    rows = (
        SalesInsight.objects.filter(at__gte=since, at__lt=end)
        .values("persona__name", "kind", "text")
        .annotate(n=Count("id"))
        .order_by("persona__name", "kind", "-n", "text")
    )
    out: dict[tuple, list] = {}
    for r in rows:
        key = (r["persona__name"] or "(no persona)", r["kind"])
        if len(out.setdefault(key, [])) < limit:
            out[key].append((r["text"], r["n"]))
    labels = dict(SalesInsight.Kind.choices)
    return [
        {"persona": p, "kind": labels.get(k, k), "items": items}
        for (p, k), items in sorted(out.items())
    ]


def weekly_context(week: str) -> dict:
    """The weekly smarketing meeting brief of an ISO week (``2026-W05``)."""
    period = _period(week, "week")
    filters = Filters(period=period)
    ctx = ds.Context(filters)
    start, end = filters.start, filters.end
    aware = (start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))
    won = (
        Deal.objects.filter(is_won=True, closed_at__gte=aware[0], closed_at__lt=aware[1])
        .select_related("account", "owner")
        .order_by("-amount")[:25]
    )
    launched = Campaign.objects.filter(start_date__gte=period.start, start_date__lt=period.end)
    total = ctx.closed_loop("all").rows
    return {
        "kind": "weekly",
        "title": f"Weekly smarketing brief · {period.label}",
        "period": period,
        "generated_at": timezone.now(),
        "won": list(won),
        "won_total": sum(float(d.amount) for d in won),
        "launched": list(launched.order_by("start_date", "name")[:25]),
        "total": total[0] if total else None,
        "funnel": ds.shared_funnel(ctx).to_dict("records"),
        "pacing": _goal_pacing(period.label),
        "sla": _sla(filters),
        "breaches": _sla_breaches(filters),
        "insights": persona_insights(aware[1]),
        "rejections": ds.rejection_reasons(ctx).to_dict("records"),
    }


def management_context(month: str) -> dict:
    """The monthly management summary: headline figures vs the previous month, goal status."""
    period = _period(month, "month")
    prev_end = period.start
    prev = parse_period(f"{(prev_end - timedelta(days=1)):%Y-%m}")
    now_ctx = ds.Context(Filters(period=period))
    prev_ctx = ds.Context(Filters(period=prev))
    cur = now_ctx.closed_loop("all").rows
    old = prev_ctx.closed_loop("all").rows
    channels = sorted(now_ctx.closed_loop("channel").rows, key=lambda r: -r.revenue)[:5]
    return {
        "kind": "management",
        "title": f"Management summary · {period.label}",
        "period": period,
        "previous": prev,
        "generated_at": timezone.now(),
        "total": cur[0] if cur else None,
        "prev_total": old[0] if old else None,
        "channels": channels,
        "pacing": _goal_pacing(period.label),
        "sla": _sla(Filters(period=period)),
    }


BUILDERS = {
    "monthly": monthly_context,
    "weekly": weekly_context,
    "management": management_context,
}


def document(context: dict) -> Document:
    """The laid-out document of a report context (sections, tables, charts)."""
    from smarketing.reporting.report_layout import document as layout  # noqa: PLC0415

    return layout(context)


def _doc(report: dict | Document) -> Document:
    return report if isinstance(report, Document) else document(report)


def render_html(report: dict | Document, *, cid: bool = False) -> str:
    """The self-contained HTML of a report (inline CSS and chart images, no scripts).

    ``cid``: charts as ``cid:`` references to images attached to the same e-mail (webmail
    clients such as Gmail do not show ``data:`` images in a message body)."""
    return render_to_string("reporting/report_standalone.html", {"doc": _doc(report), "cid": cid})


def render_pdf(report: dict | Document) -> bytes:
    """The PDF of a report: the same document as the HTML, charts included (fpdf2)."""
    from smarketing.reporting.report_pdf import render  # noqa: PLC0415

    return render(_doc(report))


def render_csv(report: dict | Document, table: str | None = None) -> str:
    """One table of a report as CSV (the first table when ``table`` is not given).

    Raw values (no thousands separators, ratios as fractions); a figure that does not apply
    is empty. Raises :class:`ReportError` naming the tables when ``table`` is unknown.
    """
    doc = _doc(report)
    tables = doc.tables()
    t = doc.table(table) if table else (tables[0] if tables else None)
    if t is None:
        names = ", ".join(x.name for x in tables)
        raise ReportError(f"table: {table!r} is not a table of this report (one of: {names})")
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(t.columns)
    for row in t.rows:
        w.writerow(["" if c.value is None else c.value for c in row])
    return out.getvalue()
