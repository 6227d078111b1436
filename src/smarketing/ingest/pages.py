"""Settings pages of ingest: tracking sites (snippet to copy), outbound webhooks with their
delivery log, inbound forms, and the channel grouping rules. Managers and admins only."""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from smarketing.crm.models import Touchpoint
from smarketing.ingest import selectors, webhooks
from smarketing.ingest.channels import CHANNELS, DEFAULT_RULES, classify
from smarketing.ingest.forms import (
    ChannelRulesForm,
    InboundFormForm,
    TrackingSiteForm,
    WebhookEndpointForm,
)
from smarketing.ingest.models import (
    ChannelRuleSet,
    InboundForm,
    TrackingSite,
    WebhookDelivery,
    WebhookEndpoint,
)


def manager_required(view):
    """Logged in, and a manager or admin (these pages show secrets)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        role = getattr(getattr(user, "profile", None), "role", "")
        if not (user.is_superuser or user.is_staff or role in ("admin", "manager")):
            raise PermissionDenied("ingest settings are for managers and admins")
        return view(request, *args, **kwargs)

    return wrapper


def _save(request, form, message: str):
    if form.is_valid():
        obj = form.save(commit=False)
        try:
            obj.full_clean()
        except ValidationError as exc:
            # Fields like the origin list or the mapping are not form fields: show on top.
            for field, errors in exc.message_dict.items():
                for error in errors:
                    label = "" if field == NON_FIELD_ERRORS else f"{field}: "
                    form.add_error(None, f"{label}{error}")
            return None
        with transaction.atomic():
            obj.save()
            form.save_m2m()
        messages.success(request, message.format(obj=obj))
        return obj
    return None


@manager_required
def settings_home(request):
    """Tracking sites, webhook endpoints and inbound forms on one page, with create forms."""
    kind = request.POST.get("create") if request.method == "POST" else None
    site_form = TrackingSiteForm(request.POST if kind == "site" else None, prefix="site")
    endpoint_form = WebhookEndpointForm(
        request.POST if kind == "endpoint" else None, prefix="endpoint"
    )
    form_form = InboundFormForm(request.POST if kind == "form" else None, prefix="form")
    chosen = {"site": site_form, "endpoint": endpoint_form, "form": form_form}.get(kind)
    if chosen is not None:
        obj = _save(request, chosen, "Created {obj}.")
        if obj is not None:
            name = {"site": "ingest:site", "endpoint": "ingest:endpoint", "form": "ingest:form"}
            return redirect(name[kind], obj.pk)
    since = timezone.now() - dt.timedelta(days=7)
    sites = [
        (
            site,
            Touchpoint.objects.filter(
                external_id__startswith=f"web:{site.pk}:", occurred_at__gte=since
            ).count(),
        )
        for site in TrackingSite.objects.all()
    ]
    counts = selectors.delivery_counts()
    endpoints = [(e, counts.get(e.pk, {})) for e in WebhookEndpoint.objects.all()]
    return render(
        request,
        "ingest/settings.html",
        {
            "sites": sites,
            "endpoints": endpoints,
            "forms": InboundForm.objects.select_related("default_campaign"),
            "site_form": site_form,
            "endpoint_form": endpoint_form,
            "form_form": form_form,
            "recent": selectors.deliveries()[:10],
            "rules_custom": ChannelRuleSet.objects.filter(active=True).exists(),
        },
    )


def public_url(request, path: str) -> str:
    """The absolute URL visitors and form tools reach ``path`` at, to copy into their pages.

    ``SMARKETING_BASE_URL`` when set; else this request's host with the scheme the visitor used:
    behind a TLS proxy the request arrives as plain HTTP with ``X-Forwarded-Proto: https``, and
    a snippet copied as ``http://`` would be blocked as mixed content on an HTTPS site. (Only a
    URL shown to an admin is built from the header: nothing is trusted for security from it.)
    """
    from django.conf import settings

    base = getattr(settings, "SMARKETING_BASE_URL", "")
    if base:
        return base + path
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    scheme = "https" if request.is_secure() or forwarded == "https" else "http"
    return f"{scheme}://{request.get_host()}{path}"


@manager_required
def site_detail(request, site_id: int):
    """One tracking site: the snippet to copy, its settings, what it sent lately."""
    site = get_object_or_404(TrackingSite, pk=site_id)
    form = TrackingSiteForm(request.POST or None, instance=site)
    if request.method == "POST":
        if request.POST.get("rotate"):
            site.public_key = TrackingSite._meta.get_field("public_key").default()
            selectors.forget_site(TrackingSite.objects.get(pk=site.pk))
            site.save(update_fields=["public_key"])
            messages.success(request, "New public key: update the snippet on your pages.")
            return redirect("ingest:site", site.pk)
        if _save(request, form, "Saved {obj}."):
            selectors.forget_site(site)
            return redirect("ingest:site", site.pk)
    prefix = f"web:{site.pk}:"
    recent = Touchpoint.objects.filter(external_id__startswith=prefix)
    stats = recent.aggregate(n=Count("id"), last=Max("occurred_at"))
    by_channel = (
        recent.values("channel").annotate(n=Count("id")).order_by("-n")[:12] if stats["n"] else []
    )
    script_url = public_url(request, reverse("ingest:snippet"))
    return render(
        request,
        "ingest/site.html",
        {
            "site": site,
            "form": form,
            "snippet": f'<script async src="{script_url}" data-key="{site.public_key}"></script>',
            "stats": stats,
            "by_channel": by_channel,
            "latest": recent.select_related("contact").order_by("-occurred_at", "-id")[:20],
        },
    )


@manager_required
def endpoint_detail(request, endpoint_id: int):
    """One webhook endpoint: settings, secret, the delivery log (filter, redeliver, test)."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    form = WebhookEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST":
        if request.POST.get("redeliver"):
            delivery = get_object_or_404(
                WebhookDelivery, pk=request.POST["redeliver"], endpoint=endpoint
            )
            webhooks.redeliver(delivery)
            messages.success(request, f"Delivery {delivery.pk} queued again.")
            return redirect("ingest:endpoint", endpoint.pk)
        if request.POST.get("rotate"):
            webhooks.rotate_secret(endpoint)
            messages.success(
                request, "New signing secret set: update the receiver, deliveries use it from now."
            )
            return redirect("ingest:endpoint", endpoint.pk)
        if request.POST.get("test"):
            kind = endpoint.kinds[0] if endpoint.kinds else "lifecycle.changed"
            webhooks.emit(
                kind,
                {
                    "test": True,
                    "contact": {"id": 0, "name": "Test Lead", "email": "t@example.com"},
                    "from_stage": "lead",
                    "to_stage": "mql",
                },  # fmt: skip
                endpoint=endpoint,
            )
            messages.success(request, f"Test {kind} event queued for this endpoint only.")
            return redirect("ingest:endpoint", endpoint.pk)
        if _save(request, form, "Saved {obj}."):
            return redirect("ingest:endpoint", endpoint.pk)
    status = request.GET.get("status", "")
    log_rows = selectors.deliveries(endpoint_id=endpoint.pk, status=status).prefetch_related(
        "attempt_log"
    )
    page = Paginator(log_rows, 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "ingest/endpoint.html",
        {
            "endpoint": endpoint,
            "form": form,
            "page": page,
            "status": status,
            "statuses": WebhookDelivery.Status.choices,
            "counts": selectors.delivery_counts().get(endpoint.pk, {}),
        },
    )


@manager_required
def form_detail(request, form_id: int):
    """One inbound form: its URL, secret, mapping, and a signed example request."""
    inbound = get_object_or_404(InboundForm, pk=form_id)
    form = InboundFormForm(request.POST or None, instance=inbound)
    if request.method == "POST" and _save(request, form, "Saved {obj}."):
        return redirect("ingest:form", inbound.pk)
    url = public_url(request, reverse("ingest:inbound_form", args=[inbound.pk]))
    received = Touchpoint.objects.filter(external_id__startswith=f"form:{inbound.pk}:")
    return render(
        request,
        "ingest/form.html",
        {
            "inbound": inbound,
            "form": form,
            "url": url,
            "received": received.count(),
            "latest": received.select_related("contact").order_by("-occurred_at", "-id")[:20],
        },
    )


@manager_required
def channel_rules(request):
    """Edit the channel grouping rules (JSON or YAML); try a source/medium/referrer."""
    active = ChannelRuleSet.objects.filter(active=True).first()
    rules = selectors.active_channel_rules()
    if request.method == "POST" and request.POST.get("reset"):
        ChannelRuleSet.objects.filter(active=True).update(active=False)
        selectors.forget_channel_rules()
        messages.success(request, "Back to the default channel rules.")
        return redirect("ingest:channels")
    form = ChannelRulesForm(request.POST or None, initial={"document": rules.to_yaml()})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            ChannelRuleSet.objects.filter(active=True).update(active=False)
            ChannelRuleSet.objects.create(
                name=f"Edited by {request.user.get_username()}",
                document=form.cleaned_data["document"],
            )
        selectors.forget_channel_rules()
        messages.success(request, "Channel rules saved; new touches are grouped by them.")
        return redirect("ingest:channels")
    trial = None
    if request.GET.get("try"):
        g = request.GET
        trial = classify(
            g.get("source"), g.get("medium"), g.get("campaign"), g.get("referrer"), rules=rules
        )
    return render(
        request,
        "ingest/channels.html",
        {
            "form": form,
            "active": active,
            "channels": CHANNELS,
            "trial": trial,
            "is_default": rules is DEFAULT_RULES,
            "query": request.GET,
        },
    )
