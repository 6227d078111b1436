"""Lifecycle transitions and the handoff of the one shared funnel: validated, logged, announced.

Every change of ``Contact.lifecycle_stage`` goes through :func:`do_change_stage`, which checks
the transition rules (:mod:`smarketing.funnel.stages`), appends a :class:`StageChange` row and
sends the :data:`stage_changed` signal (notifications, webhooks and scoring listen to it).

The handoff builds on it: :func:`do_qualify_lead` (the MQL rule), :func:`do_route_lead` /
:func:`do_assign_lead` (routing, every assignment recorded with its rule), :func:`do_accept_lead`
and :func:`do_reject_lead` (reason code mandatory; recycle or disqualify per reason),
:func:`do_log_attempt`, then SAL -> SQL -> opportunity (a Deal) -> customer. The signals of
:mod:`smarketing.funnel.signals` announce assignments, reviews and attempts.
"""

from __future__ import annotations

import datetime as dt
import logging

import django.dispatch
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smarketing.crm.actions import do_create_deal, do_move_deal, do_record_touchpoint
from smarketing.crm.choices import CallOutcome
from smarketing.crm.models import Contact, Deal, DealContact, Touchpoint
from smarketing.funnel.models import LeadAssignment, LeadReview, RejectionReason, StageChange
from smarketing.funnel.qualification import (
    Qualification,
    active_mql_rule,
    evaluate_mql,
    hand_raiser_event,
    hand_raiser_markers,
)
from smarketing.funnel.routing import route
from smarketing.funnel.signals import attempt_logged, lead_assigned, lead_reviewed
from smarketing.funnel.stages import TransitionError, check_transition

log = logging.getLogger(__name__)

#: Sent after a transition is committed: ``contact``, ``change`` (StageChange).
stage_changed = django.dispatch.Signal()

#: The stages from which the MQL rule can promote a lead on its own. A recycled or disqualified
#: lead qualifies again only by raising its hand again (a score still above the threshold must
#: not undo sales' rejection at once).
QUALIFIABLE_STAGES = ("subscriber", "lead", "recycled", "disqualified")


@transaction.atomic
def do_change_stage(
    *,
    contact: Contact,
    to_stage: str,
    at: dt.datetime | None = None,
    by=None,
    rule: str = "",
    reason: str = "",
) -> StageChange:
    """Move ``contact`` to ``to_stage``; raises ``ValidationError`` for a forbidden transition."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    try:
        check_transition(contact.lifecycle_stage, to_stage)
    except TransitionError as exc:
        raise ValidationError({"lifecycle_stage": str(exc)}) from None
    if to_stage in ("recycled", "disqualified") and not reason:
        raise ValidationError({"reason": f"moving a lead to {to_stage} needs a reason"})
    at = at or timezone.now()
    change = StageChange.objects.create(
        contact=contact,
        from_stage=contact.lifecycle_stage,
        to_stage=to_stage,
        changed_at=at,
        changed_by=by,
        rule=rule,
        reason=reason,
    )
    contact.lifecycle_stage = to_stage
    contact.stage_changed_at = at
    contact.save(update_fields=["lifecycle_stage", "stage_changed_at", "updated_at"])
    transaction.on_commit(
        lambda: stage_changed.send(sender=Contact, contact=contact, change=change)
    )
    return change


@transaction.atomic
def do_log_initial_stage(*, contact: Contact, by=None, rule: str = "created") -> StageChange:
    """Log the stage a new contact entered the funnel in (the first StageChange row)."""
    return StageChange.objects.create(
        contact=contact,
        from_stage="",
        to_stage=contact.lifecycle_stage,
        changed_at=contact.created_at,
        changed_by=by,
        rule=rule,
    )


# --- handoff --------------------------------------------------------------------------------

#: Reasons that end a lead (disqualify); every other reason recycles it to nurture.
DEFAULT_DISQUALIFYING_REASONS = frozenset({"bad_fit", "bad_data", "duplicate", "competitor"})
_outcome_provider = None
#: Attempt channels a rep can log and the touchpoint kind each is recorded as.
ATTEMPT_CHANNELS = {
    "call": ("sales_call", "Sales outreach"),
    "email": ("sales_email", "Sales outreach"),
    "linkedin": ("sales_social", "Sales outreach"),
}


def register_rejection_outcomes(provider) -> None:
    """Let another app (the SLA) decide ``reason_code -> 'recycled' | 'disqualified'``.

    ``provider(reason_code)`` returns the stage or ``None`` to fall back to the default.
    """
    global _outcome_provider
    _outcome_provider = provider


def rejection_outcome(reason_code: str) -> str:
    """The stage a rejected lead moves to: ``'disqualified'`` or ``'recycled'``."""
    if _outcome_provider is not None:
        got = _outcome_provider(reason_code)
        if got in ("recycled", "disqualified"):
            return got
    return "disqualified" if reason_code in DEFAULT_DISQUALIFYING_REASONS else "recycled"


def _quality(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        rating = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"quality_rating": f"{value!r} is not a number 1-5"}) from None
    if not 1 <= rating <= 5:
        raise ValidationError({"quality_rating": f"must be between 1 and 5, got {rating}"})
    return rating


@transaction.atomic
def do_assign_lead(
    *,
    contact: Contact,
    owner,
    rule: str = LeadAssignment.Rule.MANUAL,
    detail: str = "",
    priority: str | None = None,
    at: dt.datetime | None = None,
    by=None,
) -> LeadAssignment:
    """Give ``contact`` to ``owner`` (``None`` = the queue) and record the assignment."""
    if rule not in LeadAssignment.Rule.values:
        raise ValidationError({"rule": f"unknown assignment rule {rule!r}"})
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": f"user {owner} is not active"})
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    at = at or timezone.now()
    previous = (
        LeadAssignment.objects.select_for_update().filter(contact=contact, is_current=True).first()
    )
    if priority is None:
        priority = previous.priority if previous else LeadAssignment.Priority.DEFAULT
    if priority not in LeadAssignment.Priority.values:
        raise ValidationError({"priority": f"unknown priority {priority!r}"})
    LeadAssignment.objects.filter(contact=contact, is_current=True).update(is_current=False)
    assignment = LeadAssignment.objects.create(
        contact=contact,
        owner=owner,
        previous_owner_id=contact.owner_id,
        rule=rule,
        priority=priority,
        detail=detail[:300],
        assigned_at=at,
        assigned_by=by,
    )
    if contact.owner_id != (owner.pk if owner else None):
        contact.owner = owner
        contact.save(update_fields=["owner", "updated_at"])
    lead_assigned.send(sender=LeadAssignment, contact=contact, assignment=assignment)
    return assignment


@transaction.atomic
def do_route_lead(
    *, contact: Contact, priority: str = "default", at: dt.datetime | None = None, exclude_ids=()
) -> LeadAssignment:
    """Route ``contact`` by the routing rules (account owner, territory, round robin, queue)."""
    at = at or timezone.now()
    decision = route(contact, at=at, exclude_ids=exclude_ids)
    return do_assign_lead(
        contact=contact,
        owner=decision.owner,
        rule=decision.rule,
        detail=decision.detail,
        priority=priority,
        at=at,
    )


@transaction.atomic
def do_qualify_lead(
    *, contact: Contact, at: dt.datetime | None = None
) -> tuple[Qualification, LeadAssignment | None]:
    """Apply the MQL rule; a qualifying lead becomes an MQL and is routed to an owner.

    A lead that is already an MQL or beyond is left alone (returns its verdict, no assignment).
    The stage is read again, locked: the caller's object may predate an automatic
    qualification (a form fill qualifies on commit, see :func:`do_evaluate_leads`).
    """
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    verdict = evaluate_mql(contact)
    if not verdict.qualified or contact.lifecycle_stage not in (
        "subscriber",
        "lead",
        "recycled",
        "disqualified",
    ):
        return verdict, None
    at = at or timezone.now()
    do_change_stage(contact=contact, to_stage="mql", at=at, rule=verdict.reason[:100])
    contact.refresh_from_db()
    return verdict, do_route_lead(contact=contact, priority=verdict.priority, at=at)


def do_evaluate_leads(
    *, contact_ids, trigger: str, at: dt.datetime | None = None
) -> list[LeadAssignment]:
    """Apply the MQL rule to these leads after one of its inputs changed; the assignments made.

    The one path from a signal (a form fill, a score change, an identify, a new lead) to the
    handoff: each qualifying lead becomes an MQL through :func:`do_qualify_lead`, is routed, and
    the SLA clock and the ``lead.mql`` / ``lead.assigned`` webhooks follow from its signals.
    Leads past the top of the funnel are skipped; one lead's failure is logged and never stops
    the others (each runs in its own savepoint). ``trigger`` names the input, for the log.
    """
    ids = sorted({int(i) for i in contact_ids if i})
    if not ids:
        return []
    contacts = Contact.objects.filter(pk__in=ids, lifecycle_stage__in=QUALIFIABLE_STAGES)
    rule = None
    made = []
    for contact in contacts.order_by("pk"):
        if contact.lifecycle_stage in ("recycled", "disqualified"):
            rule = rule or active_mql_rule()
            if hand_raiser_event(contact, hand_raiser_markers(rule)) is None:
                continue
        try:
            with transaction.atomic():
                _verdict, assignment = do_qualify_lead(contact=contact, at=at)
        except Exception:  # noqa: BLE001 - one lead must not stop the batch (see docstring)
            log.exception("qualifying contact %s after %s failed", contact.pk, trigger)
            continue
        if assignment is not None:
            made.append(assignment)
    return made


def _review(contact, *, decision, by, at, reason_code="", quality=None, note=""):
    review = LeadReview.objects.create(
        contact=contact,
        decision=decision,
        reason_code=reason_code,
        quality_rating=quality,
        note=note,
        by=by,
        at=at,
    )
    return review


@transaction.atomic
def do_accept_lead(
    *, contact: Contact, by=None, quality_rating=None, note: str = "", at=None
) -> LeadReview:
    """Sales accepts an MQL: it becomes a sales accepted lead (SAL)."""
    quality = _quality(quality_rating)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.lifecycle_stage != "mql":
        raise ValidationError(
            {
                "lifecycle_stage": f"only an MQL can be accepted; this lead is {contact.lifecycle_stage}"
            }
        )
    at = at or timezone.now()
    review = _review(contact, decision="accept", by=by, at=at, quality=quality, note=note)
    do_change_stage(contact=contact, to_stage="sal", at=at, by=by, rule="accepted")
    Contact.objects.filter(pk=contact.pk).update(status=Contact.Status.IN_PROGRESS)
    lead_reviewed.send(sender=LeadReview, contact=contact, review=review, to_stage="sal")
    return review


@transaction.atomic
def do_reject_lead(
    *, contact: Contact, reason_code: str, by=None, quality_rating=None, note: str = "", at=None
) -> LeadReview:
    """Sales rejects an MQL with a reason code; it is recycled or disqualified per the reason."""
    if not reason_code:
        raise ValidationError({"reason_code": "a rejection needs a reason code"})
    if reason_code not in RejectionReason.values:
        raise ValidationError(
            {
                "reason_code": f"unknown reason code {reason_code!r}; use one of "
                + ", ".join(RejectionReason.values)
            }
        )
    quality = _quality(quality_rating)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.lifecycle_stage != "mql":
        raise ValidationError(
            {
                "lifecycle_stage": f"only an MQL can be rejected; this lead is {contact.lifecycle_stage}"
            }
        )
    at = at or timezone.now()
    to_stage = rejection_outcome(reason_code)
    review = _review(
        contact,
        decision="reject",
        by=by,
        at=at,
        reason_code=reason_code,
        quality=quality,
        note=note,
    )
    do_change_stage(
        contact=contact,
        to_stage=to_stage,
        at=at,
        by=by,
        rule="rejected",
        reason=f"rejected: {reason_code}",
    )
    status = Contact.Status.UNQUALIFIED if to_stage == "disqualified" else Contact.Status.NURTURE
    Contact.objects.filter(pk=contact.pk).update(status=status)
    lead_reviewed.send(sender=LeadReview, contact=contact, review=review, to_stage=to_stage)
    return review


@transaction.atomic
def do_log_attempt(
    *,
    contact: Contact,
    by,
    channel: str,
    outcome: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> Touchpoint:
    """Log a sales attempt (call, email, LinkedIn) on a lead as a sales touchpoint."""
    if channel not in ATTEMPT_CHANNELS:
        raise ValidationError(
            {"channel": f"unknown attempt channel {channel!r}; use {', '.join(ATTEMPT_CHANNELS)}"}
        )
    if outcome and outcome not in CallOutcome.values:
        raise ValidationError(
            {"outcome": f"unknown outcome {outcome!r}; use {', '.join(CallOutcome.values)}"}
        )
    at = at or timezone.now()
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"at": "an attempt cannot be logged in the future"})
    kind, touch_channel = ATTEMPT_CHANNELS[channel]
    touch, _ = do_record_touchpoint(
        kind=kind,
        occurred_at=at,
        contact=contact,
        team="sales",
        user=by,
        channel=touch_channel,
        outcome=outcome,
        properties={"attempt": channel, **({"note": note[:500]} if note else {})},
    )
    if contact.status == Contact.Status.NEW or contact.status == Contact.Status.OPEN:
        new = Contact.Status.CONNECTED if outcome == "connected" else Contact.Status.IN_PROGRESS
        Contact.objects.filter(pk=contact.pk).update(status=new)
    attempt_logged.send(sender=Touchpoint, contact=contact, touchpoint=touch)
    return touch


@transaction.atomic
def do_qualify_sql(*, contact: Contact, by=None, at=None, note: str = "") -> StageChange:
    """Sales confirms a real opportunity: SAL -> SQL."""
    if contact.lifecycle_stage != "sal":
        raise ValidationError(
            {
                "lifecycle_stage": f"only a SAL can become an SQL; this lead is {contact.lifecycle_stage}"
            }
        )
    return do_change_stage(
        contact=contact, to_stage="sql", at=at, by=by, rule="qualified", reason=note
    )


@transaction.atomic
def do_open_opportunity(
    *,
    contact: Contact,
    by=None,
    deal: Deal | None = None,
    name: str = "",
    amount=0,
    at: dt.datetime | None = None,
) -> Deal:
    """SQL -> opportunity: link ``deal`` or create one (account, contact and owner filled in)."""
    if contact.lifecycle_stage not in ("sal", "sql"):
        raise ValidationError(
            {
                "lifecycle_stage": "only a SAL or SQL becomes an opportunity; "
                f"this lead is {contact.lifecycle_stage}"
            }
        )
    at = at or timezone.now()
    if deal is None:
        deal = do_create_deal(
            name=name or f"{contact.account or contact} — new business",
            amount=amount,
            account=contact.account,
            primary_contact=contact,
            owner=by or contact.owner,
            created_at=at,
            by=by,
        )
    else:
        DealContact.objects.get_or_create(deal=deal, contact=contact)
    do_change_stage(
        contact=contact,
        to_stage="opportunity",
        at=at,
        by=by,
        rule="opportunity created",
        reason=f"deal {deal.pk}",
    )
    return deal


@transaction.atomic
def do_win_deal(*, deal: Deal, by=None, at: dt.datetime | None = None) -> list[Contact]:
    """Close ``deal`` as won; its contacts in the opportunity stage become customers."""
    at = at or timezone.now()
    if not deal.is_won:
        do_move_deal(deal=deal, stage="closed_won", at=at, by=by)
    moved = []
    for contact in Contact.objects.filter(
        deals=deal, lifecycle_stage__in=("sal", "sql", "opportunity")
    ):
        do_change_stage(
            contact=contact,
            to_stage="customer",
            at=at,
            by=by,
            rule="deal won",
            reason=f"deal {deal.pk}",
        )
        moved.append(contact)
    return moved
