"""Re-apply the MQL rule whenever one of its inputs changes (connected in ``FunnelConfig.ready``).

Inputs and the signal each arrives by:

- a form fill saved on its own (tracking, inbound form, API): ``post_save`` of a
  ``form_submit`` touchpoint -> evaluated once the write commits (a hand-raiser needs no score);
- a score change (every incremental rescore: a touchpoint, a bulk ingest batch, an identify
  that moved a visitor's touches): scoring's ``contacts_rescored``;
- touches written in bulk (the tracking snippet's batches, the event API, an identify that
  moved a visitor's touches): crm's ``touchpoints_bulk_created`` -> a background task (a
  hand-raiser in the batch qualifies even when no scoring definition is active);
- a new lead entering the funnel: ``stage_changed`` to ``lead``.

All go through :func:`smarketing.funnel.actions.do_evaluate_leads`. A qualification failure must
never lose the write that triggered it: errors are logged and swallowed.
"""

from __future__ import annotations

import functools
import logging

from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger(__name__)


def _evaluate(contact_ids, trigger: str) -> None:
    from smarketing.funnel.actions import do_evaluate_leads

    try:
        do_evaluate_leads(contact_ids=contact_ids, trigger=trigger)
    except Exception:  # noqa: BLE001 - see the module docstring
        log.exception("MQL evaluation after %s failed for %s", trigger, contact_ids)


def on_touchpoint_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created or instance.contact_id is None or instance.kind != "form_submit":
        return
    transaction.on_commit(functools.partial(_evaluate, [instance.contact_id], "form"))


def on_contacts_rescored(sender, contact_ids, **kwargs):
    _evaluate(contact_ids, "score")


def on_touchpoints_bulk_created(sender, contact_ids, **kwargs):
    from smarketing.funnel.tasks import qualify_contacts_task

    qualify_contacts_task(list(contact_ids), "bulk touchpoints")


def on_stage_changed(sender, contact, change, **kwargs):
    if change.to_stage == "lead":
        _evaluate([contact.pk], "new lead")


def connect() -> None:
    """Connect the receivers (idempotent through ``dispatch_uid``)."""
    from smarketing.crm.models import Touchpoint
    from smarketing.crm.signals import touchpoints_bulk_created
    from smarketing.funnel.actions import stage_changed
    from smarketing.scoring.signals import contacts_rescored

    post_save.connect(on_touchpoint_saved, sender=Touchpoint, dispatch_uid="funnel.qualify.form")
    touchpoints_bulk_created.connect(
        on_touchpoints_bulk_created, dispatch_uid="funnel.qualify.bulk_touchpoints"
    )
    contacts_rescored.connect(on_contacts_rescored, dispatch_uid="funnel.qualify.score")
    stage_changed.connect(on_stage_changed, dispatch_uid="funnel.qualify.new_lead")
