"""The sales lead inbox: a rep's leads with their SLA clocks, one click to act on each."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from smarketing.core.permissions import can, reason
from smarketing.core.redirects import safe_next
from smarketing.crm.choices import CallOutcome
from smarketing.crm.models import Contact
from smarketing.funnel import actions
from smarketing.funnel.models import RejectionReason
from smarketing.funnel.selectors import can_manage, can_work_lead, inbox, managed_reps


def _clock_rows(rows):
    # The SLA app draws the clocks; the funnel page works (without clocks) if it is absent.
    try:
        from smarketing.sla.selectors import current_clocks, live_clocks
    except ImportError:  # pragma: no cover
        return {}
    clocks = current_clocks([r.contact.pk for r in rows])
    return {cid: live_clocks(c) for cid, c in clocks.items()} | {
        f"{cid}:row": c for cid, c in clocks.items()
    }


@login_required
def inbox_page(request):
    """A rep's inbox; managers pick a rep of their team or the unassigned queue."""
    reps = managed_reps(request.user)
    manager = can_manage(request.user)
    who = request.GET.get("rep", "")
    queue = manager and who == "queue"
    owner = request.user
    if who and not queue:
        owner = next((r for r in reps if str(r.pk) == who), None)
        if owner is None:
            return HttpResponseForbidden("you cannot see this rep's inbox")
    rows = inbox(owner=None if queue else owner, queue=queue)
    clocks = _clock_rows(rows)
    items = [
        {"row": r, "clock": clocks.get(r.contact.pk), "stored": clocks.get(f"{r.contact.pk}:row")}
        for r in rows
    ]
    assignable = (
        get_user_model()
        .objects.filter(profile__team__kind__in=("sales", "sdr"), is_active=True)
        .order_by("username")
        if manager
        else []
    )
    return render(
        request,
        "funnel/inbox.html",
        {
            "items": items,
            "reps": reps,
            "who": "queue" if queue else str(owner.pk),
            "owner": None if queue else owner,
            "manager": manager,
            "assignable": assignable,
            "reasons": RejectionReason.choices,
            "outcomes": CallOutcome.choices,
            "channels": [("call", "Call"), ("email", "Email"), ("linkedin", "LinkedIn")],
        },
    )


def _back(request):
    return redirect(safe_next(request, request.POST.get("next"), reverse("funnel:inbox")))


def _act(request, contact_id, fn, done: str):
    contact = get_object_or_404(Contact, pk=contact_id)
    if not can_work_lead(request.user, contact):
        return HttpResponseForbidden("this lead is not yours to work")
    try:
        fn(contact)
    except ValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        for field, msgs in detail.items():
            messages.error(request, f"{contact}: {field}: {'; '.join(msgs)}")
    else:
        messages.success(request, f"{contact}: {done}")
    return _back(request)


@login_required
@require_POST
def log_attempt(request, contact_id: int):
    p = request.POST
    return _act(
        request,
        contact_id,
        lambda c: actions.do_log_attempt(
            contact=c,
            by=request.user,
            channel=p.get("channel", ""),
            outcome=p.get("outcome", ""),
            note=p.get("note", ""),
        ),
        "attempt logged",
    )


@login_required
@require_POST
def accept(request, contact_id: int):
    p = request.POST
    return _act(
        request,
        contact_id,
        lambda c: actions.do_accept_lead(
            contact=c,
            by=request.user,
            quality_rating=p.get("quality_rating") or None,
            note=p.get("note", ""),
        ),
        "accepted (now a sales accepted lead)",
    )


@login_required
@require_POST
def reject(request, contact_id: int):
    p = request.POST
    return _act(
        request,
        contact_id,
        lambda c: actions.do_reject_lead(
            contact=c,
            by=request.user,
            reason_code=p.get("reason_code", ""),
            quality_rating=p.get("quality_rating") or None,
            note=p.get("note", ""),
        ),
        "rejected",
    )


@login_required
@require_POST
def assign(request, contact_id: int):
    if not can_manage(request.user):
        return HttpResponseForbidden(reason("lead.assign"))
    raw = request.POST.get("owner", "")
    owner = get_user_model().objects.filter(pk=raw).first() if raw.isdigit() else None
    if raw and owner is None:
        messages.error(request, f"owner: no user {raw!r}")
        return _back(request)
    lead = get_object_or_404(Contact, pk=contact_id)
    if not can(request.user, "lead.assign", lead, target=owner):
        return HttpResponseForbidden(reason("lead.assign"))
    return _act(
        request,
        contact_id,
        lambda c: actions.do_assign_lead(
            contact=c, owner=owner, by=request.user, detail=f"reassigned by {request.user}"
        ),
        f"assigned to {owner or 'the queue'}",
    )


@login_required
@require_POST
def qualify(request, contact_id: int):
    return _act(
        request,
        contact_id,
        lambda c: actions.do_qualify_sql(contact=c, by=request.user),
        "qualified (now an SQL)",
    )
