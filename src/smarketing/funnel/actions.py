"""Lifecycle transitions of the one shared funnel: validated, logged, announced.

Every change of ``Contact.lifecycle_stage`` goes through :func:`do_change_stage`, which checks
the transition rules (:mod:`smarketing.funnel.stages`), appends a :class:`StageChange` row and
sends the :data:`stage_changed` signal (notifications, webhooks and scoring listen to it).
"""

from __future__ import annotations

import datetime as dt

import django.dispatch
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smarketing.crm.models import Contact
from smarketing.funnel.models import StageChange
from smarketing.funnel.stages import TransitionError, check_transition

#: Sent after a transition is committed: ``contact``, ``change`` (StageChange).
stage_changed = django.dispatch.Signal()


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
