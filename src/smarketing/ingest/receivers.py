"""Turn other apps' signals into outbound webhook events (connected in ``IngestConfig.ready``).

- a contact created on its own (tracking identify, inbound form, API) → ``lead.created``
- funnel ``stage_changed`` → ``lifecycle.changed`` (and ``lead.mql`` when it enters MQL)
- funnel ``lead_assigned`` → ``lead.assigned``
- funnel ``lead_reviewed`` → ``lead.accepted`` / ``lead.rejected``
- a saved ``DealStageChange`` to closed won / lost → ``deal.won`` / ``deal.lost``
- SLA ``sla_breached`` (sent on commit once a breach is notified) → ``sla.breached``

A webhook must never break the business action that triggered it, so each receiver logs and
swallows its own errors (inside a savepoint, leaving the caller's transaction usable).
"""

from __future__ import annotations

import functools
import logging

from django.db import transaction
from django.db.models.signals import post_save

from smarketing.ingest.webhooks import emit

log = logging.getLogger(__name__)


def _safe(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                func(*args, **kwargs)
        except Exception:  # noqa: BLE001 — see the module docstring
            log.exception("webhook receiver %s failed", func.__name__)

    return wrapper


def _user(user) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "email": user.email,
    }


def contact_data(contact) -> dict:
    """The contact part of a webhook payload."""
    return {
        "id": contact.pk,
        "email": contact.email,
        "name": contact.name,
        "lifecycle_stage": contact.lifecycle_stage,
        "account_id": contact.account_id,
        "owner_id": contact.owner_id,
    }


def deal_data(deal) -> dict:
    """The deal part of a webhook payload."""
    return {
        "id": deal.pk,
        "name": deal.name,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "stage": deal.stage,
        "account_id": deal.account_id,
        "account": str(deal.account) if deal.account_id else None,
        "owner_id": deal.owner_id,
        "closed_at": deal.closed_at.isoformat() if deal.closed_at else None,
        "loss_reason": deal.loss_reason,
    }


def on_stage_changed(sender, contact, change, **kwargs):
    _emit_stage_events(contact, change)


@_safe
def _emit_stage_events(contact, change) -> None:
    payload = {
        "contact": contact_data(contact),
        "from_stage": change.from_stage,
        "to_stage": change.to_stage,
        "changed_at": change.changed_at,
        "rule": change.rule,
        "reason": change.reason,
        "changed_by": _user(change.changed_by),
    }
    emit("lifecycle.changed", payload, event_id=f"stage-{change.pk}")
    if change.to_stage == "mql":
        emit("lead.mql", payload, event_id=f"mql-{change.pk}")


def on_contact_saved(sender, instance, created, raw=False, **kwargs):
    # Bulk paths (CSV import of history, the demo) write with bulk_create and send nothing:
    # only people arriving one by one are "new leads" to announce.
    if raw or not created:
        return
    transaction.on_commit(functools.partial(_emit_lead_created, instance.pk))


@_safe
def _emit_lead_created(contact_id: int) -> None:
    from smarketing.crm.models import Contact

    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return
    emit(
        "lead.created",
        {
            "contact": contact_data(contact),
            "source": contact.original_source,
            "channel": contact.original_channel,
            "created_at": contact.created_at,
        },
        event_id=f"lead-created-{contact.pk}",
    )


@_safe
def on_lead_assigned(sender, contact, assignment, **kwargs):
    emit(
        "lead.assigned",
        {
            "contact": contact_data(contact),
            "owner": _user(assignment.owner),
            "rule": assignment.rule,
            "priority": assignment.priority,
            "detail": assignment.detail,
            "assigned_at": assignment.assigned_at,
        },
        event_id=f"assignment-{assignment.pk}",
    )


@_safe
def on_lead_reviewed(sender, contact, review, to_stage, **kwargs):
    kind = "lead.accepted" if review.decision == "accept" else "lead.rejected"
    emit(
        kind,
        {
            "contact": contact_data(contact),
            "decision": review.decision,
            "reason_code": review.reason_code,
            "quality_rating": review.quality_rating,
            "note": review.note,
            "by": _user(review.by),
            "at": review.at,
            "to_stage": to_stage,
        },
        event_id=f"review-{review.pk}",
    )


def on_deal_stage_change(sender, instance, created, raw=False, **kwargs):
    # do_move_deal logs the stage change before it saves the deal (won flag, loss reason), so
    # the payload is built after commit, from the deal as committed.
    if raw or not created or instance.to_stage not in ("closed_won", "closed_lost"):
        return
    transaction.on_commit(functools.partial(_emit_deal_closed, instance.pk))


@_safe
def _emit_deal_closed(change_id: int) -> None:
    from smarketing.crm.models import DealStageChange

    change = (
        DealStageChange.objects.select_related("deal__account", "changed_by")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return
    kind = "deal.won" if change.to_stage == "closed_won" else "deal.lost"
    data = deal_data(change.deal)
    data.update(stage=change.to_stage, closed_at=change.changed_at)
    emit(
        kind,
        {"deal": data, "by": _user(change.changed_by), "from_stage": change.from_stage},
        event_id=f"deal-stage-{change.pk}",
    )


@_safe
def on_sla_breached(sender, breach, **kwargs):
    clock = breach.clock
    emit(
        "sla.breached",
        {
            "contact": contact_data(clock.contact),
            "owner": _user(clock.owner),
            "clock": breach.kind,
            "rule": breach.get_kind_display(),
            "due": breach.due,
            "detected_at": breach.detected_at,
            "overdue_hours": round(breach.overdue_hours, 2),
            "escalated_to": _user(breach.escalated_to),
        },
        event_id=f"breach-{breach.pk}",
    )


def connect() -> None:
    """Connect the receivers (idempotent: Django dedupes on ``dispatch_uid``)."""
    from smarketing.crm.models import Contact, DealStageChange
    from smarketing.funnel import signals as funnel_signals
    from smarketing.funnel.actions import stage_changed

    stage_changed.connect(on_stage_changed, dispatch_uid="ingest.webhooks.stage_changed")
    post_save.connect(on_contact_saved, sender=Contact, dispatch_uid="ingest.webhooks.lead_created")
    funnel_signals.lead_assigned.connect(on_lead_assigned, dispatch_uid="ingest.webhooks.assigned")
    funnel_signals.lead_reviewed.connect(on_lead_reviewed, dispatch_uid="ingest.webhooks.reviewed")
    post_save.connect(
        on_deal_stage_change, sender=DealStageChange, dispatch_uid="ingest.webhooks.deal_closed"
    )
    try:
        from smarketing.sla.signals import sla_breached
    except ImportError:  # the SLA app without its signal: nothing to listen to
        return
    sla_breached.connect(on_sla_breached, dispatch_uid="ingest.webhooks.sla_breached")
