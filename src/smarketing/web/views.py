"""Pages of the web shell: home, and the record lists and detail pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from smarketing.crm.choices import DealStage, LifecycleStage
from smarketing.crm.models import Account, Campaign, Contact, Deal


def healthz(request):
    """Liveness and database check for load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _page(request, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


@login_required
def home(request):
    """Landing page: the shared funnel at a glance."""
    by_stage = dict(
        Contact.objects.values_list("lifecycle_stage").annotate(n=Count("id")).order_by()
    )
    funnel = [(label, by_stage.get(value, 0)) for value, label in LifecycleStage.choices]
    deals = Deal.objects.aggregate(
        open=Count("id", filter=Q(is_closed=False)),
        pipeline=Sum("amount", filter=Q(is_closed=False)),
        won=Count("id", filter=Q(is_won=True)),
        revenue=Sum("amount", filter=Q(is_won=True)),
    )
    return render(request, "web/home.html", {"funnel": funnel, "deals": deals})


@login_required
def leads(request):
    """People in the funnel, filterable by stage, owner and search text."""
    qs = Contact.objects.select_related("account", "owner", "persona").order_by(
        "-created_at", "-id"
    )
    stage = request.GET.get("stage", "")
    if stage:
        qs = qs.filter(lifecycle_stage=stage)
    if request.GET.get("mine"):
        qs = qs.filter(owner=request.user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(
            Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        )
    return render(
        request,
        "web/leads.html",
        {"page": _page(request, qs), "stages": LifecycleStage.choices, "stage": stage, "q": q},
    )


@login_required
def contact_detail(request, contact_id: int):
    """One person: fields, journey (touchpoints), stage history, reviews."""
    contact = get_object_or_404(
        Contact.objects.select_related("account", "owner", "persona", "original_campaign"),
        pk=contact_id,
    )
    touches = contact.touchpoints.select_related("campaign", "user").order_by("-occurred_at")[:200]
    changes = contact.stage_changes.select_related("changed_by").order_by("changed_at")
    reviews = contact.reviews.select_related("by").order_by("-at")
    from smarketing.sla.selectors import current_clocks, live_clocks

    stored_clock = current_clocks([contact.pk]).get(contact.pk)
    return render(
        request,
        "web/contact.html",
        {
            "contact": contact,
            "touches": touches,
            "changes": changes,
            "reviews": reviews,
            "stored_clock": stored_clock,
            "clock": live_clocks(stored_clock) if stored_clock else None,
        },
    )


@login_required
def accounts(request):
    qs = (
        Account.objects.select_related("owner")
        .annotate(n_contacts=Count("contacts"))
        .order_by("name")
    )
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(domain__icontains=q))
    if request.GET.get("target"):
        qs = qs.filter(is_target=True)
    return render(request, "web/accounts.html", {"page": _page(request, qs), "q": q})


@login_required
def account_detail(request, account_id: int):
    account = get_object_or_404(Account.objects.select_related("owner"), pk=account_id)
    return render(
        request,
        "web/account.html",
        {
            "account": account,
            "contacts": account.contacts.select_related("persona", "owner").order_by("last_name")[
                :200
            ],
            "deals": account.deals.select_related("owner").order_by("-created_at"),
        },
    )


@login_required
def deals(request):
    qs = Deal.objects.select_related("account", "owner").order_by("-created_at", "-id")
    stage = request.GET.get("stage", "")
    if stage:
        qs = qs.filter(stage=stage)
    return render(
        request,
        "web/deals.html",
        {"page": _page(request, qs), "stages": DealStage.choices, "stage": stage},
    )


@login_required
def campaigns(request):
    qs = (
        Campaign.objects.select_related("owner")
        .annotate(cost=Sum("costs__amount"))
        .order_by("-start_date", "name")
    )
    return render(request, "web/campaigns.html", {"page": _page(request, qs)})
