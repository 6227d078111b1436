"""SLA API: the document in force, lead clocks, breaches, compliance figures, and the caller's
notifications."""

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from smarketing.analytics.sla.compliance import ComplianceError, parse_month
from smarketing.config.auth import write_auth
from smarketing.sla.actions import do_mark_notifications_read
from smarketing.sla.models import Breach, LeadClock
from smarketing.sla.selectors import (
    active_sla,
    compliance,
    live_clocks,
    notifications_for,
    unread_notification_count,
)

router = Router(tags=["sla"])


class ClockOut(Schema):
    id: int
    contact_id: int
    owner_id: int
    assigned_at: dt.datetime
    priority: str
    first_touch_due: dt.datetime | None
    attempts_due: dt.datetime | None
    decision_due: dt.datetime | None
    first_touch_at: dt.datetime | None
    attempts: int
    decided_at: dt.datetime | None
    decision: str
    status_first_touch: str
    status_attempts: str
    status_decision: str
    settled: bool
    superseded: bool

    @staticmethod
    def resolve_status_first_touch(obj):
        return obj.status_name("first_touch")

    @staticmethod
    def resolve_status_attempts(obj):
        return obj.status_name("attempts")

    @staticmethod
    def resolve_status_decision(obj):
        return obj.status_name("decision")


class BreachOut(Schema):
    id: int
    clock_id: int
    contact_id: int
    owner_id: int
    kind: str
    due: dt.datetime
    detected_at: dt.datetime
    overdue_hours: float
    notified_at: dt.datetime | None
    escalated_at: dt.datetime | None
    escalated_to_id: int | None
    reassigned_at: dt.datetime | None
    resolved_at: dt.datetime | None

    @staticmethod
    def resolve_contact_id(obj):
        return obj.clock.contact_id

    @staticmethod
    def resolve_owner_id(obj):
        return obj.clock.owner_id


@router.get("/sla/active")
def get_active_sla(request):
    """The SLA document in force (as JSON) and its stored version id."""
    doc, version = active_sla()
    return {"version_id": version.pk if version else None, "document": doc.to_dict()}


@router.get("/sla/clocks", response=list[ClockOut])
@paginate(LimitOffsetPagination)
def list_clocks(
    request,
    contact_id: int | None = None,
    owner_id: int | None = None,
    open: bool | None = None,  # noqa: A002
):
    """Lead SLA clocks, newest first; ``open=true`` keeps the unsettled ones."""
    qs = LeadClock.objects.order_by("-assigned_at", "-id")
    if contact_id is not None:
        qs = qs.filter(contact_id=contact_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if open is not None:
        qs = qs.filter(settled=not open)
    return qs


@router.get("/sla/clocks/{clock_id}/live")
def live_clock(request, clock_id: int):
    """One clock evaluated right now (business hours remaining / overdue per clock)."""
    clock = get_object_or_404(LeadClock.objects.select_related("owner__profile"), pk=clock_id)
    return {"clock_id": clock.pk, **live_clocks(clock).to_dict()}


@router.get("/sla/breaches", response=list[BreachOut])
@paginate(LimitOffsetPagination)
def list_breaches(
    request, owner_id: int | None = None, kind: str | None = None, unresolved: bool = False
):
    """Breaches, newest first; filter by owner, kind, or only the unresolved ones."""
    qs = Breach.objects.select_related("clock").order_by("-detected_at", "-id")
    if owner_id is not None:
        qs = qs.filter(clock__owner_id=owner_id)
    if kind:
        if kind not in Breach.Kind.values:
            raise HttpError(422, f"kind: use one of {', '.join(Breach.Kind.values)}")
        qs = qs.filter(kind=kind)
    if unresolved:
        qs = qs.filter(resolved_at__isnull=True)
    return qs


@router.get("/sla/compliance")
def get_compliance(request, month: str):
    """Compliance of a month (YYYY-MM): the figures of the page and of ``sla report --json``."""
    try:
        parse_month(month)
    except ComplianceError as exc:
        raise HttpError(422, f"month: {exc}") from None
    return compliance(month)


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    contact_id: int | None
    breach_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class MarkReadIn(Schema):
    ids: list[int] | None = None
    all: bool = False


@router.get("/sla/notifications", response=list[NotificationOut])
@paginate(LimitOffsetPagination)
def list_notifications(request, unread: bool = False):
    """The caller's notifications (breaches, escalations, reassignments), newest first."""
    return notifications_for(request.user, unread_only=unread)


@router.post("/sla/notifications/read", auth=write_auth())
def mark_notifications_read(request, payload: MarkReadIn):
    """Mark the caller's notifications read: ``{"ids": [..]}`` or ``{"all": true}``.

    Idempotent: marking again changes nothing. Returns how many became read and how many
    unread remain.
    """
    if payload.all == (payload.ids is not None):
        raise HttpError(422, "give either ids (a list of notification ids) or all: true")
    marked = do_mark_notifications_read(user=request.user, ids=None if payload.all else payload.ids)
    return {"marked": marked, "unread": unread_notification_count(request.user)}
