"""Handoff API: the inbox, accept / reject with reason, (re)assign, log attempts."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from smarketing.config.auth import write_auth
from smarketing.core.bounds import Id, Int64, event_time
from smarketing.core.permissions import can, reason
from smarketing.crm.models import Contact
from smarketing.funnel import actions
from smarketing.funnel.selectors import can_manage, can_work_lead, inbox, managed_reps

router = Router(tags=["funnel"])


class AcceptIn(Schema):
    quality_rating: Int64 | None = None
    note: str = ""


class RejectIn(Schema):
    reason_code: str
    quality_rating: Int64 | None = None
    note: str = ""


class AssignIn(Schema):
    owner_id: Id | None = None


class AttemptIn(Schema):
    channel: str
    outcome: str = ""
    note: str = ""
    at: dt.datetime | None = None


class ReviewOut(Schema):
    id: int
    contact_id: int
    decision: str
    reason_code: str
    quality_rating: int | None
    at: dt.datetime
    stage: str


class AssignmentOut(Schema):
    id: int
    contact_id: int
    owner_id: int | None
    rule: str
    priority: str
    detail: str
    assigned_at: dt.datetime


class AttemptOut(Schema):
    id: int
    contact_id: int
    kind: str
    channel: str
    outcome: str
    occurred_at: dt.datetime


class InboxLeadOut(Schema):
    contact_id: int
    name: str
    email: str | None
    lifecycle_stage: str
    priority: str
    score: float | None
    owner_id: int | None
    assigned_at: dt.datetime | None


def _lead(request, contact_id: int) -> Contact:
    contact = get_object_or_404(Contact, pk=contact_id)
    if not can_work_lead(request.user, contact):
        raise HttpError(403, "this lead is not yours to work (owner, their manager or an admin)")
    return contact


def _review_out(review, contact_id):
    contact = Contact.objects.get(pk=contact_id)
    return ReviewOut(
        id=review.pk,
        contact_id=contact_id,
        decision=review.decision,
        reason_code=review.reason_code,
        quality_rating=review.quality_rating,
        at=review.at,
        stage=contact.lifecycle_stage,
    )


@router.get("/inbox", response=list[InboxLeadOut])
def get_inbox(request, owner_id: Int64 | None = None, queue: bool = False):
    """A rep's open leads (hand-raisers first, then score); managers: a team rep or the queue."""
    if queue and not can_manage(request.user):
        raise HttpError(403, "only managers and admins see the queue")
    owner = request.user
    if owner_id is not None and not queue:
        owner = next((r for r in managed_reps(request.user) if r.pk == owner_id), None)
        if owner is None:
            raise HttpError(403, "you cannot see this rep's inbox")
    return [
        InboxLeadOut(
            contact_id=r.contact.pk,
            name=r.contact.name,
            email=r.contact.email,
            lifecycle_stage=r.contact.lifecycle_stage,
            priority=r.priority,
            score=r.scores.total if r.scores else None,
            owner_id=r.contact.owner_id,
            assigned_at=r.assignment.assigned_at if r.assignment else None,
        )
        for r in inbox(owner=None if queue else owner, queue=queue)
    ]


@router.post("/leads/{contact_id}/accept", response=ReviewOut, auth=write_auth())
def accept_lead(request, contact_id: int, body: AcceptIn):
    """Accept an MQL (-> SAL), with an optional quality rating 1-5."""
    contact = _lead(request, contact_id)
    review = actions.do_accept_lead(
        contact=contact, by=request.user, quality_rating=body.quality_rating, note=body.note
    )
    return _review_out(review, contact_id)


@router.post("/leads/{contact_id}/reject", response=ReviewOut, auth=write_auth())
def reject_lead(request, contact_id: int, body: RejectIn):
    """Reject an MQL with a reason code; it is recycled or disqualified per the reason."""
    contact = _lead(request, contact_id)
    review = actions.do_reject_lead(
        contact=contact,
        by=request.user,
        reason_code=body.reason_code,
        quality_rating=body.quality_rating,
        note=body.note,
    )
    return _review_out(review, contact_id)


@router.post("/leads/{contact_id}/assign", response=AssignmentOut, auth=write_auth())
def assign_lead(request, contact_id: int, body: AssignIn):
    """Assign a lead to a rep (``owner_id``) or to the queue (``null``); managers only."""
    if not can(request.user, "lead.see_queue"):
        raise HttpError(403, reason("lead.assign"))
    contact = get_object_or_404(Contact, pk=contact_id)
    owner = None
    if body.owner_id is not None:
        owner = get_user_model().objects.filter(pk=body.owner_id).first()
        if owner is None:
            raise HttpError(422, f"owner_id: no user {body.owner_id}")
    if not can(request.user, "lead.assign", contact, target=owner):
        raise HttpError(403, reason("lead.assign"))
    a = actions.do_assign_lead(
        contact=contact, owner=owner, by=request.user, detail=f"assigned by {request.user}"
    )
    return a


@router.post("/leads/{contact_id}/attempts", response={201: AttemptOut}, auth=write_auth())
def log_attempt(request, contact_id: int, body: AttemptIn):
    """Log a sales attempt: channel call / email / linkedin, outcome (connected, no_answer…)."""
    contact = _lead(request, contact_id)
    if body.at is not None and body.at.tzinfo is None:
        raise HttpError(422, "at: must include a timezone")
    if body.at is not None and (reason := event_time(body.at, now=timezone.now())):
        raise HttpError(422, f"at: {reason}")
    touch = actions.do_log_attempt(
        contact=contact,
        by=request.user,
        channel=body.channel,
        outcome=body.outcome,
        note=body.note,
        at=body.at,
    )
    return Status(201, touch)
