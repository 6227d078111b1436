"""Keep account scores current: touches in bulk or one by one mark their accounts for a
recompute (connected in ``AbmConfig.ready``); the demo announces its accounts the same way."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger(__name__)


def _accounts_of(contact_ids) -> list[int]:
    from smarketing.crm.models import Contact

    return list(
        Contact.objects.filter(pk__in=list(contact_ids), account_id__isnull=False)
        .values_list("account_id", flat=True)
        .distinct()
    )


def on_touchpoints_bulk_created(sender, contact_ids, **kwargs):
    from smarketing.abm.tasks import recompute_accounts_task

    ids = _accounts_of(contact_ids)
    if ids:
        recompute_accounts_task(ids)


def on_touchpoint_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    account_id = instance.account_id
    if account_id is None and instance.contact_id:
        ids = _accounts_of([instance.contact_id])
        account_id = ids[0] if ids else None
    if account_id is None:
        return
    from smarketing.abm.tasks import recompute_accounts_task

    transaction.on_commit(lambda: recompute_accounts_task([account_id]))


def on_demo_generated(sender, *, now=None, **kwargs):
    from smarketing.abm.actions import do_recompute_accounts

    return {"abm account profiles": do_recompute_accounts(account_ids=None, as_of=now)}


def connect() -> None:
    """Connect the receivers (idempotent through ``dispatch_uid``)."""
    from smarketing.crm.models import Touchpoint
    from smarketing.crm.signals import touchpoints_bulk_created
    from smarketing.demo.signals import demo_generated

    touchpoints_bulk_created.connect(
        on_touchpoints_bulk_created, dispatch_uid="abm.bulk_touchpoints"
    )
    post_save.connect(on_touchpoint_saved, sender=Touchpoint, dispatch_uid="abm.touchpoint")
    demo_generated.connect(on_demo_generated, dispatch_uid="abm.demo")
