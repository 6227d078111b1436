"""Dashboard, share-link, CSV, closed-loop and report pages.

Views validate (bad filters -> 400 naming the field), call datasets/selectors and render.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from smarketing.analytics.closedloop import DIMENSIONS
from smarketing.core.permissions import can, reason
from smarketing.reporting import actions, selectors
from smarketing.reporting import cache as result_cache
from smarketing.reporting import datasets as ds
from smarketing.reporting.charts import DASHBOARDS, chart
from smarketing.reporting.filters import FilterError, Filters, parse_filters
from smarketing.reporting.models import ShareLink
from smarketing.reporting.share import links_for, max_share_days, resolve_share
from smarketing.web import charts as web_charts

log = logging.getLogger(__name__)


def _bad(message: str):
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


#: Why a headline figure shows "—": the value does not apply for these filters.
_NOT_APPLICABLE = {
    "Cost per lead": "No leads in the period: cost per lead does not apply.",
    "ROI": "No campaign cost recorded in the period: ROI needs a cost.",
    "Acceptance rate": "Sales accepted or rejected no lead in the period.",
    "Lead → won": "No leads in the period.",
    "Avg lead quality": "Sales rated no lead in the period.",
}


def kpis(name: str, ctx: ds.Context) -> list[tuple[str, str, str]]:
    """Headline figures of a dashboard (from the same memoised results as its charts):
    ``(label, value, why)``; ``why`` says why a value does not apply (shown as "—")."""
    rows = ctx.closed_loop("all", velocity=False).rows
    r = rows[0] if rows else None
    cur = web_charts.currency()

    def fig(label, v, fmt):
        if v is None:
            return (label, "—", _NOT_APPLICABLE.get(label, "No data for these filters."))
        return (label, fmt(v), "")

    def n(v):
        return f"{v:,.0f}"

    def pct(v):
        return f"{v:.1%}"

    if r is None:
        return []
    if name == "marketing":
        t = ds.traffic_totals(ctx)
        return [
            fig("Visitors", t["visitors"], n),
            fig("Page views", t["page_views"], n),
            fig("Leads", r.leads, n),
            fig("MQLs", r.mqls, n),
            fig("SQLs", r.sqls, n),
            fig(f"Cost ({cur})", r.cost, n),
            fig("Cost per lead", r.cost_per_lead, lambda v: f"{v:,.2f}"),
        ]
    if name == "sales":
        return [
            fig("Won deals", r.won_deals, n),
            fig(f"Revenue ({cur})", r.revenue, n),
            fig(f"Pipeline created ({cur})", r.pipeline, n),
            fig("Opportunities", r.opportunities, n),
            fig("Acceptance rate", r.acceptance_rate, pct),
        ]
    return [
        fig("Leads", r.leads, n),
        fig("Won", r.won, n),
        fig("Lead → won", r.conversion.get("leads_to_won"), pct),
        fig(f"Revenue ({cur})", r.revenue, n),
        fig(f"ROI ({ctx.filters.period.label})", r.roi, pct),
        fig("Acceptance rate", r.acceptance_rate, pct),
        fig("Avg lead quality", r.avg_quality, lambda v: f"{v:.2f} / 5"),
    ]


def _cards(name: str, ctx: ds.Context) -> list[dict]:
    cards = []
    for c in DASHBOARDS[name][2]:
        card = {"name": c.name, "title": c.title, "note": c.note, "csv": True}
        try:
            df = c.data(ctx)
        except Exception:  # one broken chart must not take the dashboard down
            log.exception("chart %s/%s failed", name, c.name)
            df = None
            card["error"] = True
        if df is None:
            card["unavailable"] = c.unavailable if not card.get("error") else "Could not compute."
            card["csv"] = None
        else:
            # The dashboard's name in the element ids: two dashboards' charts never collide.
            card["chart"] = web_charts.chart(
                None if df.empty else c.figure(df),
                name=f"{name}-{c.name}",
                title=c.title,
            )
        cards.append(card)
    return cards


def _dashboard_data(name: str, filters: Filters) -> dict:
    """KPIs, chart figures, pacing and SLA of a dashboard: from the result cache when the data
    version is unchanged (see :mod:`smarketing.reporting.cache`), else computed."""
    ctx = ds.Context(filters)
    params = filters.params()
    hit = result_cache.get(name, params, ctx.version)
    if hit is not None:
        return hit
    data = {"kpis": kpis(name, ctx), "cards": _cards(name, ctx), "as_of": ctx.as_of}
    if name == "smarketing":
        data["pacing"] = ds.goal_pacing(ctx)
        data["sla"] = selectors.sla_compliance(filters)
    result_cache.put(name, params, ctx.version, data)
    return data


def _filter_choices() -> dict:
    """The filter form's options (distinct channels and segments scan the contacts: cached
    with the data version like the dashboards)."""
    version = result_cache.data_version()
    hit = result_cache.get("filter_choices", {}, version)
    if hit is None:
        hit = selectors.filter_choices()
        result_cache.put("filter_choices", {}, version, hit)
    return hit


def _dashboard_context(name: str, filters: Filters, *, csv_url, share=None) -> dict:
    title, blurb, _ = DASHBOARDS[name]
    data = _dashboard_data(name, filters)
    cards = [{**c, "csv": csv_url(c["name"]) if c["csv"] else None} for c in data["cards"]]
    return {
        **data,
        "dashboard": name,
        "title": title,
        "blurb": blurb,
        "filters": filters,
        "cards": cards,
        "share": share,
        "dashboards": [(k, v[0]) for k, v in DASHBOARDS.items()],
    }


@login_required
def index(request):
    """The three dashboards."""
    return render(
        request,
        "reporting/index.html",
        {"dashboards": [(k, v[0], v[1]) for k, v in DASHBOARDS.items()]},
    )


@login_required
def dashboard(request, name: str):
    """A dashboard for the logged-in user, with filters and share links."""
    if name not in DASHBOARDS:
        raise Http404(name)
    try:
        filters = parse_filters(request.GET)
    except FilterError as exc:
        return _bad(str(exc))
    qs = filters.querystring()

    def csv_url(chart_name):
        return reverse("reporting:chart_csv", args=[name, chart_name]) + "?" + qs

    context = _dashboard_context(name, filters, csv_url=csv_url)
    context["choices"] = _filter_choices()
    context["links"] = links_for(request.user, name)[:20]
    context["share_max_days"] = max_share_days()
    return render(request, "reporting/dashboard.html", context)


def _csv_response(name: str, chart_name: str, filters: Filters) -> HttpResponse:
    c = chart(name, chart_name)
    if c is None:
        raise Http404(chart_name)
    df = c.data(ds.Context(filters))
    if df is None:
        raise Http404(f"{chart_name} is not available")
    resp = HttpResponse(df.to_csv(index=False), content_type="text/csv; charset=utf-8")
    fname = f"{name}-{chart_name}-{filters.period.label}.csv"
    resp["Content-Disposition"] = f'attachment; filename="{fname}"'
    return resp


@login_required
def chart_csv(request, name: str, chart_name: str):
    """A chart's data as CSV (server-side, same filters as the page)."""
    if name not in DASHBOARDS:
        raise Http404(name)
    try:
        filters = parse_filters(request.GET)
    except FilterError as exc:
        return _bad(str(exc))
    return _csv_response(name, chart_name, filters)


@login_required
@require_POST
def share_create(request, name: str):
    """Create a read-only share link with the current filters."""
    if not can(request.user, "share.create"):
        return HttpResponseForbidden(reason("share.create"))
    try:
        filters = parse_filters(request.POST)
        link, token = actions.do_create_share_link(
            dashboard=name,
            params=filters.params(),
            days=request.POST.get("days") or 30,
            label=request.POST.get("label", ""),
            by=request.user,
        )
    except FilterError as exc:
        return _bad(str(exc))
    except ValidationError as exc:
        return _bad("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
    url = request.build_absolute_uri(reverse("reporting:shared", args=[token]))
    messages.success(request, f"Share link (read-only, until {link.expires_at:%Y-%m-%d}): {url}")
    return redirect(reverse("reporting:dashboard", args=[name]) + "?" + filters.querystring())


@login_required
@require_POST
def share_revoke(request, link_id: int):
    """Revoke a share link."""
    link = get_object_or_404(ShareLink, pk=link_id)
    if not can(request.user, "share.manage", link):
        return HttpResponseForbidden(reason("share.manage"))
    actions.do_revoke_share_link(link=link)
    messages.success(request, f"Share link #{link.pk} revoked.")
    return redirect("reporting:dashboard", link.dashboard)


def shared(request, token: str):
    """A dashboard seen through a share link: no login, read-only, filters frozen."""
    link = resolve_share(token)
    if link is None:
        raise Http404("This share link is invalid, expired or revoked.")
    filters = parse_filters(link.params)

    def csv_url(chart_name):
        return reverse("reporting:shared_csv", args=[token, chart_name])

    context = _dashboard_context(link.dashboard, filters, csv_url=csv_url, share=link)
    context["share_token"] = token
    return render(request, "reporting/dashboard.html", context)


@csrf_exempt
@require_POST
def shared_seen(request, token: str):
    """Count one view of a share link (the page's script posts it; the GET writes nothing)."""
    link = resolve_share(token)
    if link is None:
        raise Http404("This share link is invalid, expired or revoked.")
    ShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
    return HttpResponse(status=204)


def shared_csv(request, token: str, chart_name: str):
    """A chart's CSV through a share link."""
    link = resolve_share(token)
    if link is None:
        raise Http404("This share link is invalid, expired or revoked.")
    return _csv_response(link.dashboard, chart_name, parse_filters(link.params))


@login_required
def closed_loop(request):
    """Closed-loop table: any grouping, period or cohort view, with CSV."""
    try:
        filters = parse_filters(request.GET)
    except FilterError as exc:
        return _bad(str(exc))
    by = request.GET.get("by", "channel")
    view = request.GET.get("view", "period")
    if by not in DIMENSIONS:
        return _bad(f"by: unknown grouping {by!r}; use {', '.join(DIMENSIONS)}")
    if view not in ("period", "cohort"):
        return _bad("view: must be period or cohort")
    result = selectors.closed_loop(filters, by=by, view=view, memo={})
    if request.GET.get("format") == "csv":
        resp = HttpResponse(result.to_frame().to_csv(index=False), content_type="text/csv")
        resp["Content-Disposition"] = (
            f'attachment; filename="closed-loop-{by}-{view}-{filters.period.label}.csv"'
        )
        return resp
    return render(
        request,
        "reporting/closed_loop.html",
        {
            "result": result,
            "filters": filters,
            "by": by,
            "view": view,
            "dimensions": DIMENSIONS,
            "choices": _filter_choices(),
        },
    )
