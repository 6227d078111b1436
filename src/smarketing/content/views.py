"""Pages of the content library: search, the asset page, management, review, sharing."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from smarketing.content import actions, selectors
from smarketing.content.extract import UnsupportedFile
from smarketing.content.forms import AssetForm, VersionForm
from smarketing.content.kinds import KIND_CHOICES, kind_label
from smarketing.content.models import AssetProfile, ShareLink
from smarketing.crm.choices import LifecycleStage
from smarketing.crm.models import Contact, ContentAsset, Persona

PAGE_SIZE = 50


def can_manage(user) -> bool:
    """Marketing (and admins/managers) manage the library; everyone can read and share it."""
    if user.is_superuser or user.is_staff:
        return True
    profile = getattr(user, "profile", None)
    if profile is None:
        return False
    return profile.role in ("admin", "manager") or bool(
        profile.team_id and profile.team.kind == "marketing"
    )


def _int(value) -> int | None:
    try:
        return int(value) or None
    except (TypeError, ValueError):
        return None


@login_required
def library(request):
    """Search and filter the content library (ranked full-text search when ``q`` is given)."""
    filters = {
        "q": request.GET.get("q", "").strip()[:200],
        "persona_id": _int(request.GET.get("persona")),
        "stage": request.GET.get("stage", "")
        if request.GET.get("stage") in LifecycleStage.values
        else "",
        "topic": request.GET.get("topic", "").strip()[:60],
        "kind": request.GET.get("kind", "")
        if request.GET.get("kind") in dict(KIND_CHOICES)
        else "",
    }
    page = max(_int(request.GET.get("page")) or 1, 1)
    assets, result = selectors.search_assets(
        **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    for a in assets:
        a.kind_label = kind_label(a.kind)
    return render(
        request,
        "content/library.html",
        {
            "assets": assets,
            "result": result,
            "page": page,
            "has_next": page * PAGE_SIZE < result.total,
            "filters": filters,
            "personas": Persona.objects.order_by("name"),
            "stages": LifecycleStage.choices,
            "kinds": KIND_CHOICES,
            "can_manage": can_manage(request.user),
            "review_count": selectors.needs_review().count(),
        },
    )


@login_required
def asset_detail(request, pk: int):
    """The asset page: preview, tags, versions, statistics, and the rep's tracked links."""
    asset = get_object_or_404(
        ContentAsset.objects.select_related("owner").prefetch_related("personas"), pk=pk
    )
    profile = AssetProfile.objects.filter(asset=asset).first()
    versions = list(asset.versions.select_related("uploaded_by"))
    current = versions[0] if versions else None
    influence = selectors.asset_influence(asset)
    for v in versions:
        v.views = influence.by_version.get(v.number, 0)
    contact = None
    if request.GET.get("contact"):
        contact = Contact.objects.filter(pk=_int(request.GET.get("contact"))).first()
    return render(
        request,
        "content/asset.html",
        {
            "asset": asset,
            "kind": kind_label(asset.kind),
            "profile": profile,
            "versions": versions,
            "current": current,
            "pages": (current.pages if current else [])[:30],
            "influence": influence,
            "links": selectors.asset_links(asset)[:50],
            "can_manage": can_manage(request.user),
            "contact": contact,
            "new_link": request.session.pop("content_new_link", None),
        },
    )


def _manage_only(request):
    if not can_manage(request.user):
        raise PermissionDenied("only marketing manages the library")


def _form_kwargs(form) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "kind": data["kind"],
        "personas": list(data["personas"]),
        "stages": list(data["stages"]),
        "review_at": data["review_at"],
        **form.tag_lists(),
    }


@login_required
def asset_new(request):
    """Marketing adds an asset: a file (text extracted for search) or a URL."""
    _manage_only(request)
    form = AssetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            filename, data = actions.read_upload(upload) if upload else ("", None)
            asset = actions.do_create_asset(
                **_form_kwargs(form),
                owner=request.user,
                url=form.cleaned_data["url"] or "",
                filename=filename,
                data=data,
                by=request.user,
            )
        except UnsupportedFile as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            for fld, errs in exc.message_dict.items():
                form.add_error(fld if fld in form.fields else None, errs)
        else:
            messages.success(request, f"{asset.title} is in the library.")
            return redirect("content:asset", pk=asset.pk)
    return render(request, "content/asset_form.html", {"form": form, "asset": None})


@login_required
def asset_edit(request, pk: int):
    """Marketing edits an asset's title, type and tags."""
    _manage_only(request)
    asset = get_object_or_404(ContentAsset, pk=pk)
    profile = AssetProfile.objects.filter(asset=asset).first()
    initial = {
        "title": asset.title,
        "kind": asset.kind,
        "personas": list(asset.personas.all()),
        "stages": asset.stages,
        "topics": ", ".join(asset.topics or []),
        "industries": ", ".join(profile.industries if profile else []),
        "review_at": profile.review_at if profile else None,
    }
    form = AssetForm(request.POST or None, initial=initial)
    del form.fields["file"], form.fields["url"]
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_asset(asset=asset, owner=asset.owner, **_form_kwargs(form))
        except ValidationError as exc:
            for fld, errs in exc.message_dict.items():
                form.add_error(fld if fld in form.fields else None, errs)
        else:
            messages.success(request, "Saved.")
            return redirect("content:asset", pk=asset.pk)
    return render(request, "content/asset_form.html", {"form": form, "asset": asset})


@login_required
def version_new(request, pk: int):
    """Marketing uploads a new version; the old version's statistics stay with the asset."""
    _manage_only(request)
    asset = get_object_or_404(ContentAsset, pk=pk)
    form = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            filename, data = actions.read_upload(upload) if upload else ("", None)
            version = actions.do_add_version(
                asset=asset,
                filename=filename,
                data=data,
                url=form.cleaned_data["url"] or "",
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except UnsupportedFile as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            for errs in exc.message_dict.values():
                form.add_error("file", errs)
        else:
            messages.success(request, f"Version {version.number} is now current.")
            return redirect("content:asset", pk=asset.pk)
    return render(request, "content/version_form.html", {"form": form, "asset": asset})


@login_required
def review(request):
    """The "needs review" list: assets past or near their review date."""
    return render(
        request,
        "content/review.html",
        {
            "profiles": selectors.needs_review(),
            "can_manage": can_manage(request.user),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def mark_reviewed(request, pk: int):
    """Marketing confirms an asset is still right; next review in 180 days."""
    _manage_only(request)
    asset = get_object_or_404(ContentAsset, pk=pk)
    actions.do_mark_reviewed(asset=asset, next_review=timezone.localdate() + dt.timedelta(days=180))
    messages.success(request, f"{asset.title}: next review in 6 months.")
    return redirect(request.POST.get("next") or reverse("content:review"))


def _find_contact(value: str) -> Contact | None:
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return Contact.objects.filter(pk=int(value)).first()
    return Contact.objects.filter(email__iexact=value).first()


@login_required
@require_POST
def share(request, pk: int):
    """A rep makes a tracked link to the asset for one contact (by email or id)."""
    asset = get_object_or_404(ContentAsset, pk=pk)
    contact = _find_contact(request.POST.get("contact", ""))
    if contact is None:
        messages.error(request, "No contact with that email or id.")
        return redirect("content:asset", pk=pk)
    days = _int(request.POST.get("days"))
    expires = timezone.now() + dt.timedelta(days=min(days, 365)) if days else None
    try:
        link = actions.do_share(
            asset=asset,
            contact=contact,
            by=request.user,
            expires_at=expires,
            require_email=bool(request.POST.get("require_email")),
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("content:asset", pk=pk)
    request.session["content_new_link"] = request.build_absolute_uri(
        reverse("content:public", args=[link.token])
    )
    messages.success(request, f"Tracked link for {contact} is ready.")
    return redirect("content:asset", pk=pk)


@login_required
@require_POST
def revoke(request, pk: int):
    """The rep who made a link (or marketing) revokes it."""
    link = get_object_or_404(ShareLink, pk=pk)
    if link.created_by_id != request.user.pk and not can_manage(request.user):
        raise Http404
    actions.do_revoke_link(link=link)
    messages.success(request, "Link revoked; it no longer opens.")
    return redirect("content:asset", pk=link.asset_id)


@login_required
def contact_content(request, pk: int):
    """One contact's content: tracked-link visits with pages and time, and recommendations."""
    from smarketing.content.recommend import recommend_for_contact

    contact = get_object_or_404(Contact.objects.select_related("account", "persona"), pk=pk)
    return render(
        request,
        "content/contact.html",
        {
            "contact": contact,
            "visits": selectors.contact_content_views(contact),
            "recommendations": recommend_for_contact(contact, limit=5),
        },
    )


@login_required
def gaps(request):
    """The gap report: what sales hears that the library does not answer."""
    from smarketing.content.recommend import content_gaps

    return render(request, "content/gaps.html", {"gaps": content_gaps()})


@login_required
def unused(request):
    """Assets neither shared nor viewed in the period, by owner and type, and their share."""
    from collections import Counter

    days = _int(request.GET.get("days")) or 90
    days = min(max(days, 7), 730)
    assets, library_size = selectors.unused_assets(since=timezone.now() - dt.timedelta(days=days))
    for a in assets:
        a.kind_label = kind_label(a.kind)
    by_owner = Counter(str(a.owner or "no owner") for a in assets).most_common()
    by_kind = Counter(a.kind_label for a in assets).most_common()
    return render(
        request,
        "content/unused.html",
        {
            "assets": assets,
            "days": days,
            "library_size": library_size,
            "share": (len(assets) / library_size) if library_size else 0,
            "by_owner": by_owner,
            "by_kind": by_kind,
        },
    )
