"""Rescore a contact when one of its touchpoints is saved (connected in ``ScoringConfig.ready``).

Only single saves send ``post_save``; ingest paths writing touchpoints in bulk call
:func:`smarketing.scoring.actions.do_rescore_contacts` with the contacts they touched. A
scoring failure must never lose the touchpoint, so it is logged and swallowed inside a
savepoint (the caller's transaction stays usable).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger(__name__)


def on_touchpoint_saved(sender, instance, created, raw=False, **kwargs):
    if raw or instance.contact_id is None:
        return
    from smarketing.scoring.actions import do_rescore_contacts

    try:
        with transaction.atomic():
            do_rescore_contacts([instance.contact_id], reason="touchpoint")
    except Exception:  # noqa: BLE001 - see the module docstring
        log.exception(
            "rescoring contact %s after touchpoint %s failed", instance.contact_id, instance.pk
        )


def on_touchpoints_bulk_created(sender, contact_ids, **kwargs):
    """Rescore contacts whose touchpoints arrived in bulk, in the background."""
    from smarketing.scoring.tasks import rescore_contacts_task

    rescore_contacts_task(list(contact_ids))


def connect() -> None:
    """Connect the receivers (idempotent through ``dispatch_uid``)."""
    from smarketing.crm.models import Touchpoint
    from smarketing.crm.signals import touchpoints_bulk_created

    touchpoints_bulk_created.connect(
        on_touchpoints_bulk_created, dispatch_uid="scoring.rescore_on_bulk_touchpoints"
    )
    post_save.connect(
        on_touchpoint_saved, sender=Touchpoint, dispatch_uid="scoring.rescore_on_touchpoint"
    )
