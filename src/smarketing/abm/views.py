"""ABM pages: the dashboard, the target accounts (tiers by hand, by rules, from a CSV), one
account's overview with its timeline, and the ICP editor."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from smarketing.abm import actions, selectors
from smarketing.abm.models import AccountProfile, AccountStage, IcpVersion, TargetList
from smarketing.analytics.abm import IcpError, load_icp
from smarketing.core.permissions import can
from smarketing.crm.choices import TouchKind
from smarketing.crm.models import Account
from smarketing.web.editor import EditorPage, located_errors, yaml_editor

#: Largest CSV of domains taken (a target list is thousands of rows, not millions).
MAX_CSV_BYTES = 5 * 1024 * 1024


def can_manage(user) -> bool:
    """Managers and admins tier accounts and edit the ICP (the matrix's ``abm.manage``)."""
    return can(user, "abm.manage")


@login_required
def dashboard(request):
    """Target coverage, engagement by tier, MQAs, pipeline and revenue target vs others."""
    from smarketing.reporting.filters import FilterError, parse_filters

    try:
        filters = parse_filters(request.GET)
    except FilterError as exc:
        return HttpResponseBadRequest(f"{exc.field}: {exc.message}")
    start = filters.start.replace(tzinfo=dt.UTC)
    end = filters.end.replace(tzinfo=dt.UTC)
    data = selectors.dashboard(start=start, end=end)
    return render(request, "abm/dashboard.html", {"d": data, "period": filters.period})


@login_required
def targets(request):
    """Target accounts with tier, fit, engagement, stage and committee gaps; tiering forms."""
    qs = (
        Account.objects.filter(is_target=True)
        .select_related("owner", "abm")
        .order_by("tier", "-abm__engagement", "name")
    )
    tier = request.GET.get("tier", "")
    if tier in ("1", "2", "3"):
        qs = qs.filter(tier=int(tier))
    stage = request.GET.get("stage", "")
    if stage and stage in AccountStage.values:
        qs = qs.filter(abm__stage=stage)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    cover = selectors.coverage_for([a.pk for a in page])
    rows = [(a, cover[a.pk]) for a in page]
    return render(
        request,
        "abm/targets.html",
        {
            "page": page, "rows": rows, "tier": tier, "stage": stage,
            "stages": [c for c in AccountStage.choices if c[0]],
            "lists": TargetList.objects.all(), "can_manage": can_manage(request.user),
        },
    )  # fmt: skip


def _tier_value(raw: str) -> int | None:
    if raw in ("1", "2", "3"):
        return int(raw)
    if raw in ("", "none"):
        return None
    raise ValidationError({"tier": f"a tier is 1, 2 or 3; got {raw!r}"})


@login_required
@require_POST
def set_tiers(request):
    """Tier accounts by hand, from a CSV of domains, or by the ICP's rules."""
    if not can_manage(request.user):
        return HttpResponseForbidden("only managers and admins tier target accounts")
    try:
        tier = _tier_value(request.POST.get("tier", ""))
        list_name = request.POST.get("list", "").strip()
        if request.POST.get("rules"):
            n = actions.do_apply_tier_rules(by=request.user)
            messages.success(request, f"{n} accounts tiered by the ICP's tier rules.")
        elif request.FILES.get("file"):
            upload = request.FILES["file"]
            if upload.size > MAX_CSV_BYTES:
                raise ValidationError({"file": f"at most {MAX_CSV_BYTES // 1024 // 1024} MB"})
            result = actions.do_target_from_csv(
                data=upload.read(), tier=tier, list_name=list_name, by=request.user
            )
            text = f"{result['tiered']} accounts tiered from {upload.name}."
            if result["unknown"]:
                text += f" {len(result['unknown'])} domains match no account: " + ", ".join(
                    result["unknown"][:10]) + ("…" if len(result["unknown"]) > 10 else "")  # fmt: skip
            if result["invalid"]:
                text += " Not domains: " + ", ".join(result["invalid"][:5])
            messages.success(request, text)
        else:
            ids = [int(i) for i in request.POST.getlist("account") if i.isdigit()]
            if not ids:
                raise ValidationError({"account": "tick at least one account"})
            target = request.POST.get("target", "1") != "0"
            n = actions.do_set_tier(accounts=ids, tier=tier, target=target, list_name=list_name,
                                    by=request.user)  # fmt: skip
            messages.success(request, f"{n} accounts updated.")
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect(request.POST.get("back") or "abm:targets")


@login_required
def account(request, account_id: int):
    """One account: fit and engagement in words, committee coverage, the timeline."""
    acc = get_object_or_404(Account.objects.select_related("owner"), pk=account_id)
    profile = AccountProfile.objects.filter(account=acc).first()
    contact_id = request.GET.get("contact", "")
    kind = request.GET.get("kind", "")
    if kind and kind not in TouchKind.values:
        return HttpResponseBadRequest(f"kind: unknown touch kind {kind!r}")
    items = selectors.timeline(
        acc, contact_id=int(contact_id) if contact_id.isdigit() else None, kind=kind
    )
    labels = {**dict(AccountStage.choices), "": "—"}
    return render(
        request,
        "abm/account.html",
        {
            "account": acc, "profile": profile,
            "coverage": selectors.coverage_for([acc.pk])[acc.pk],
            "items": items, "people": acc.contacts.select_related("persona").order_by("last_name")[:200],
            "kinds": TouchKind.choices, "contact_id": contact_id, "kind": kind,
            "stages": [
                (s, labels.get(s.from_stage, "—"), labels.get(s.to_stage, s.to_stage))
                for s in acc.abm_stages.all()
            ],
            "can_manage": can_manage(request.user),
        },
    )  # fmt: skip


def _line_errors(text: str) -> list[dict]:
    return located_errors(text, load_icp, IcpError)


_EDITOR = EditorPage(
    title="Edit the ideal customer profile",
    intro="YAML, validated on save: fit points per industry, size, country and segment; "
    "engagement weights per touch kind and persona with decay; the buying committee; tier rules; "
    "the MQA rule. Described in docs/abm.md.",
    label="ICP document",
    errors_id="icp-errors",
    cancel_url=reverse_lazy("abm:dashboard"),
    activate_checked=True,
    noun="ICP",
)


@login_required
def icp(request):
    """Edit the ICP; errors are listed by line and nothing is saved until it is valid."""
    if not can_manage(request.user):
        return HttpResponseForbidden("only managers and admins edit the ICP")
    _, version = selectors.active_icp()

    def save(text: str, activate: bool) -> str:
        saved = actions.do_save_icp(text=text, by=request.user, activate=activate)
        return f"Saved {saved}" + (" and put it in force" if activate else " (not active)")

    from smarketing.analytics.abm import default_icp_text

    return yaml_editor(request, initial=version.text if version else default_icp_text(),
                       check=_line_errors, save=save, page=_EDITOR, done="abm:dashboard")  # fmt: skip


@login_required
def icp_versions(request):
    """Every saved ICP version, newest first."""
    return render(request, "abm/icp_versions.html", {"versions": IcpVersion.objects.all()[:50]})
