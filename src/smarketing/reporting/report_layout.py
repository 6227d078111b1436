"""The layout of each report: a report context (:mod:`~smarketing.reporting.reports`) turned
into a :class:`~smarketing.reporting.report_doc.Document`.

Figures are only formatted here, never computed: they come from the context builders, which
read the closed loop, planning and SLA selectors. Where a figure does not apply (the Won
step has no next step, ROI without a cost...) the cell is "—" with the reason.
"""

from __future__ import annotations

from django.conf import settings

from smarketing.reporting import report_charts as charts
from smarketing.reporting.report_doc import (
    Bullets,
    Cell,
    Chart,
    Document,
    Kpis,
    Section,
    Table,
    Text,
    days,
    money,
    na,
    num,
    pct,
    text,
)

LAST_STEP = "Won is the last step: there is no next step"
STATUS = {"on_track": "on track", "behind": "behind", "not_started": "not started"}
METRICS = {"leads": "Leads", "mqls": "MQLs", "sqls": "SQLs", "customers": "Customers"}


def currency() -> str:
    """The company's reporting currency (setting ``SMARKETING_CURRENCY``, default USD)."""
    return getattr(settings, "SMARKETING_CURRENCY", None) or "USD"


def _chart(png: bytes | None, title: str, alt: str):
    return Chart(title, png, alt) if png else Text(f"{title}: no data for this period.", True)


def _subtitle(c: dict) -> str:
    p = c["period"]
    return (
        f"{p.start:%Y-%m-%d} to {p.last_day:%Y-%m-%d} · amounts in {currency()} · "
        f"generated {c['generated_at']:%Y-%m-%d %H:%M} UTC · smarketing"
    )


# --- shared blocks -------------------------------------------------------------------------------


def funnel_table(funnel: list[dict], title: str = "Funnel") -> Table:
    """Count per step, conversion to the next step and median days to it."""
    rows = []
    for i, s in enumerate(funnel):
        last = i == len(funnel) - 1
        if last:
            conv, med = na(LAST_STEP), na(LAST_STEP)
        elif not s["count"]:
            why = "no contacts reached this step in the period"
            conv, med = pct(s["conversion_to_next"], why), days(s["median_days_to_next"], why)
        else:
            why = "no contact reached the next step in the period"
            conv = pct(s["conversion_to_next"], why)
            med = days(s["median_days_to_next"], why)
        rows.append([text(s["step"]), num(s["count"]), conv, med])
    return Table(
        title,
        ["Step", "Contacts", "Conversion to next", "Median days to next"],
        rows,
        name="funnel",
    )


def funnel_chart(funnel: list[dict], title: str = "Funnel: contacts reaching each step"):
    """The funnel as a bar chart."""
    steps = tuple((s["step"], int(s["count"] or 0)) for s in funnel)
    alt = ", ".join(f"{s}: {n:,}" for s, n in steps)
    return _chart(charts.funnel(steps, title), title, alt)


def _cost_why(by: str, r) -> str:
    if by in ("persona", "segment", "content"):
        return f"spend cannot be split by {by}"
    return "no campaign cost recorded for this group in the period"


def closed_loop_table(rows, by: str, title: str, *, name: str = "") -> Table:
    """Closed-loop rows: the funnel, revenue, cost, ROI and sales feedback of each group."""
    cur = currency()
    out = []
    for r in rows:
        cost_why = _cost_why(by, r)
        if r.cost is None:
            cpl = roi = na(cost_why)
        else:
            cpl = num(r.cost_per_lead, "no leads in the period", 2)
            roi = pct(r.roi, "no cost in the period: ROI needs a cost", signed=True)
        out.append(
            [
                text(r.label),
                num(r.leads),
                num(r.mqls),
                num(r.sqls),
                num(r.opportunities),
                num(r.won),
                num(r.revenue),
                num(r.cost, cost_why),
                cpl,
                roi,
                pct(r.acceptance_rate, "no leads reviewed by sales in the period"),
                num(r.avg_quality, "no quality ratings in the period", 1),
            ]
        )
    cols = ["Leads", "MQLs", "SQLs", "Opps", "Won", f"Revenue ({cur})", f"Cost ({cur})"]
    cols += [f"Cost/lead ({cur})", "ROI"]
    return Table(
        title,
        [by.capitalize(), *cols, "Acceptance", "Quality"],
        out,
        name=name or f"closed-loop-{by}",
    )


def channel_chart(rows, title: str = "Won revenue and marketing cost by channel"):
    """Revenue vs cost per channel (largest revenue first, at most 8)."""
    top = sorted(rows, key=lambda r: -(r.revenue or 0))[:8]
    data = tuple((r.label, float(r.revenue or 0), r.cost) for r in top)
    alt = "; ".join(f"{lbl}: revenue {v:,.0f}, cost {c or 0:,.0f}" for lbl, v, c in data)
    return _chart(charts.revenue_cost(data, currency(), title), title, alt)


def pacing_blocks(pacing) -> list:
    """The goal's pacing table and chart, or a line saying there is no goal."""
    if pacing is None:
        return [Text("No goal saved for this period (or its quarter).", True)]
    cur = currency()
    rows, bars = [], []
    for key, p in pacing.metrics.items():
        fmt = (lambda v, why="not available": money(v, cur, why)) if key == "revenue" else num
        no_fc = "not enough history for a forecast"
        low_high = (
            text(f"{p.forecast_low:,.0f}–{p.forecast_high:,.0f}")
            if p.forecast_low is not None and p.forecast_high is not None
            else na(no_fc)
        )
        rows.append(
            [
                text(METRICS.get(key, key.capitalize())),
                fmt(p.target),
                fmt(p.expected_to_date),
                fmt(p.actual_to_date),
                text(STATUS.get(p.status, p.status)),
                fmt(p.forecast, no_fc),
                low_high,
            ]
        )
        bars.append(
            (
                METRICS.get(key, key.capitalize()),
                float(p.target),
                float(p.expected_to_date),
                float(p.actual_to_date),
                p.status == "behind",
            )
        )
    title = f"Goal {pacing.goal.period}: actual vs expected to date"
    table = Table(
        f"Goal {pacing.goal.period}",
        ["Metric", "Target", "Expected to date", "Actual", "Status", "Forecast", "80% interval"],
        rows,
        align="lrrrlrr",
        name="goal-pacing",
    )
    return [
        Text(f"Goal {pacing.goal.period}: revenue {float(pacing.goal.revenue):,.0f} {cur}."),
        table,
        _chart(
            charts.pacing(tuple(bars), title),
            title,
            "; ".join(f"{b[0]}: {b[3]:,.0f} of {b[1]:,.0f} (expected {b[2]:,.0f})" for b in bars),
        ),
        Text(pacing.method, True),
    ]


def sla_blocks(sla) -> list:
    """The SLA app's compliance figures (label → value, formatted by the SLA app)."""
    if not sla:
        return [Text("SLA compliance is not available yet.", True)]
    rows = [[text(k), text(v, "no SLA data for this month")] for k, v in sla.items()]
    rows = [[k, na("no SLA data for this month") if v.text == "—" else v] for k, v in rows]
    return [Table("SLA compliance", ["Figure", "Value"], rows, align="ll", name="sla")]


def rejections_table(rejections: list[dict]) -> Table:
    """Rejection reasons of the period with counts."""
    rows = [[text(r["reason"]), num(r["rejected"])] for r in rejections]
    return Table(
        "Rejection reasons",
        ["Reason", "Rejected leads"],
        rows,
        empty="No rejected leads in the period.",
        name="rejections",
    )


def _total_kpis(t) -> Kpis:
    cur = currency()
    if t is None:
        why = "no contacts in the period"
        return Kpis([(k, na(why)) for k in ("Leads", "MQLs", "SQLs", "Won deals")])
    cost_why = "no campaign cost recorded in the period"
    return Kpis(
        [
            ("Leads", num(t.leads)),
            ("MQLs", num(t.mqls)),
            ("SQLs", num(t.sqls)),
            ("Won deals", num(t.won_deals)),
            ("Revenue", money(t.revenue, cur)),
            ("Marketing cost", money(t.cost, cur, cost_why)),
            ("ROI", pct(t.roi, "no marketing cost in the period: ROI needs a cost", True)),
            ("Leads accepted by sales", pct(t.acceptance_rate, "no leads reviewed in the period")),
        ]
    )


# --- the three reports ----------------------------------------------------------------------------


def monthly(c: dict) -> Document:
    """The monthly report."""
    cur = currency()
    sections = [Section("Headline", [_total_kpis(c["total"])])]
    funnel = [funnel_chart(c["funnel"]), funnel_table(c["funnel"], "Funnel (period view)")]
    if c["cohort"]:
        k = c["cohort"]
        funnel.append(
            Text(
                f"Cohort of the month (contacts created in it): {k.leads:,} leads, {k.mqls:,} "
                f"MQLs, {k.sqls:,} SQLs, {k.opportunities:,} opportunities, {k.won:,} "
                "customers so far.",
                True,
            )
        )
    sections.append(Section("Funnel (period view)", funnel))
    sections.append(Section("Goals and pacing", pacing_blocks(c["pacing"])))
    sections.append(Section("SLA compliance", sla_blocks(c["sla"])))
    loop = [channel_chart(c["breakdowns"].get("channel", []))]
    for by, rows in c["breakdowns"].items():
        loop.append(closed_loop_table(rows, by, f"Closed loop by {by}"))
    sections.append(Section("Closed loop", loop))
    sections.append(Section("Rejection reasons", [rejections_table(c["rejections"])]))
    if c["attribution"] is None:
        attribution = Text("Attribution is not available yet.", True)
    else:
        attribution = Table(
            "Attribution (linear, won revenue by channel)",
            ["Channel", "Credited deals", f"Credited revenue ({cur})"],
            [
                [text(a["channel"]), num(a["conversions"], digits=2), num(a["revenue"])]
                for a in c["attribution"]
            ],
            empty="No won deals in the period.",
            name="attribution",
        )
    sections.append(Section("Attribution (linear, won revenue by channel)", [attribution]))
    content = Table(
        "Content use",
        ["Asset", "Touches", "Shares", "People"],
        [
            [text(x["title"]), num(x["touches"]), num(x["shares"]), num(x["people"])]
            for x in c["content"]
        ],
        empty="No content touches this month.",
        name="content",
    )
    sections.append(Section("Content use", [content]))
    pipeline = Table(
        "Open pipeline (now)",
        ["Stage", "Deals", f"Amount ({cur})"],
        [[text(p["stage"]), num(p["deals"]), num(p["amount"])] for p in c["pipeline"]],
        empty="No open deals.",
        name="pipeline",
    )
    sections.append(Section("Open pipeline (now)", [pipeline]))
    return Document("monthly", c["title"], _subtitle(c), sections)


def weekly(c: dict) -> Document:
    """The weekly smarketing brief."""
    cur = currency()
    won = Table(
        f"Won deals ({len(c['won'])}, {c['won_total']:,.0f} {cur})",
        ["Deal", "Account", "Owner", f"Amount ({cur})", "Closed"],
        [
            [
                text(d.name),
                text(d.account, "no account on the deal"),
                text(d.owner, "no owner"),
                num(d.amount),
                text(f"{d.closed_at:%Y-%m-%d}" if d.closed_at else None),
            ]
            for d in c["won"]
        ],
        align="lllrl",
        empty="No deals won this week.",
        name="won-deals",
    )
    launched = Bullets(
        [f"{x.name} ({x.channel}, {x.start_date:%Y-%m-%d})" for x in c["launched"]],
        "No campaigns launched this week.",
    )
    if c["breaches"] is None:
        breaches = Text("SLA breaches are not available yet.", True)
    else:
        breaches = Bullets(c["breaches"], "No SLA breaches this week.")
    sections = [
        Section("Headline", [_total_kpis(c["total"])]),
        Section("Accomplishments", [won]),
        Section("Campaigns launched", [launched], 3),
        Section(
            "Metrics against goals",
            [funnel_chart(c["funnel"]), funnel_table(c["funnel"]), *pacing_blocks(c["pacing"])],
        ),
        Section("SLA", [*sla_blocks(c["sla"])]),
        Section("SLA breaches", [breaches], 3),
        Section("Persona insights (what sales heard, last 4 weeks)", []),
    ]
    if not c["insights"]:
        sections[-1].blocks.append(Text("No insights logged.", True))
    for g in c["insights"]:
        items = [f"{t} (×{n})" if n > 1 else t for t, n in g["items"]]
        sections.append(Section(f"{g['persona']} · {g['kind']}", [Bullets(items)], 3))
    sections.append(Section("Rejection reasons", [rejections_table(c["rejections"])]))
    return Document("weekly", c["title"], _subtitle(c), sections)


def management(c: dict) -> Document:
    """The monthly management summary."""
    cur = currency()
    now, old = c["total"], c["prev_total"]
    label, prev = c["period"].label, c["previous"].label
    no_data = f"no contacts in {prev}"

    def cash(v, why):
        return money(v, cur, why)

    def rate(v, why):
        return pct(v, "no leads reviewed by sales in the month")

    def figure(name, attr, fmt):
        a = getattr(now, attr) if now else None
        b = getattr(old, attr) if old else None
        if b is None:
            change = na(f"no leads reviewed in {prev}" if fmt is rate and old else no_data)
        elif fmt is rate:  # a rate changes by percentage points, not by a % of itself
            change = (
                na(f"no leads reviewed in {label}")
                if a is None
                else Cell(f"{(a - b) * 100:+.0f} pts", round(a - b, 4))
            )
        elif not b:
            change = na(f"{prev} was 0: a change in % does not apply")
        else:
            change = pct(((a or 0) - b) / b, signed=True)
        return [text(name), fmt(a, f"no contacts in {label}"), fmt(b, no_data), change]

    headline = Table(
        f"Headline ({label} vs {prev})",
        ["Figure", label, prev, "Change"],
        [
            figure("Leads", "leads", num),
            figure("MQLs", "mqls", num),
            figure("SQLs", "sqls", num),
            figure("Won deals", "won_deals", num),
            figure("Revenue", "revenue", cash),
            figure("Marketing cost", "cost", cash),
            figure("Lead acceptance by sales", "acceptance_rate", rate),
        ],
        name="headline",
    )
    counts = tuple(
        (n, float(getattr(now, a, 0) or 0), float(getattr(old, a, 0) or 0))
        for n, a in (("Leads", "leads"), ("MQLs", "mqls"), ("SQLs", "sqls"), ("Won", "won_deals"))
    )
    ctitle = f"{label} vs {prev}"
    comparison = _chart(charts.comparison(counts, (label, prev), ctitle), ctitle, str(counts))
    sections = [
        Section(f"Headline ({label} vs {prev})", [headline, comparison]),
        Section("Goal", pacing_blocks(c["pacing"])),
        Section(
            "Top channels by revenue",
            [
                channel_chart(c["channels"]),
                closed_loop_table(c["channels"], "channel", "Top channels by revenue"),
            ],
        ),
        Section("SLA", sla_blocks(c["sla"])),
    ]
    return Document("management", c["title"], _subtitle(c), sections)


LAYOUTS = {"monthly": monthly, "weekly": weekly, "management": management}


def document(context: dict) -> Document:
    """The document of a report context (by its ``kind``)."""
    return LAYOUTS[context["kind"]](context)
