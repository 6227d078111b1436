"""The write path's marks for the stored path set: edits and deletes the checkpoint cannot see.

New rows are found by id at the next catch-up (bulk inserts included); an update or delete
of a touchpoint, contact, deal or committee member leaves a mark
(:class:`~smarketing.attribution.models.PathDirty`) once the transaction commits, and asks
the worker to catch up (one delayed catch-up per few seconds per process).
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)
#: Seconds between two catch-up requests a process sends the worker.
DEBOUNCE_SECONDS = 5


def request_catch_up() -> None:
    """Ask the worker to fold in the latest writes (when the path set exists).

    One delayed task per :data:`DEBOUNCE_SECONDS` and process folds in every write of that
    window (a burst of writes costs one catch-up); an inline queue (tests) runs it now.
    """
    from huey.contrib.djhuey import HUEY

    from smarketing.attribution import pathset, tasks

    try:
        if HUEY.immediate:
            if pathset.is_built():
                tasks.build_path_set()
            return
        if cache.add("attribution:catch-up-requested", 1, DEBOUNCE_SECONDS) and pathset.is_built():
            tasks.build_path_set.schedule(delay=DEBOUNCE_SECONDS)
    except Exception:  # the periodic task catches up anyway
        log.exception("could not ask the worker to catch up the attribution path set")


def _on_commit(**ids) -> None:
    def run():
        from smarketing.attribution import pathset

        try:
            if pathset.is_built():
                pathset.mark(**ids)
        except Exception:  # committed already; the nightly rebuild repairs it
            log.exception("marking attribution paths failed: %s", ids)
            return
        request_catch_up()

    transaction.on_commit(run)


def on_touch(sender, instance=None, created=False, **kwargs) -> None:
    """A touchpoint edited or deleted: its contact's and account's journeys change."""
    if instance is None or created:
        if created:
            transaction.on_commit(request_catch_up)
        return
    _on_commit(contacts=[instance.contact_id], accounts=[instance.account_id])


def on_contact(sender, instance=None, created=False, **kwargs) -> None:
    """A contact edited (account, stage) or deleted."""
    if instance is None or created:
        return
    before = getattr(instance, "_attribution_account_before", None)
    _on_commit(contacts=[instance.pk], accounts=[instance.account_id, before])


def before_contact(sender, instance=None, **kwargs) -> None:
    """Remember the account a contact had when loaded: the journey it leaves changes too
    (the audit snapshot is refreshed by the time ``post_save`` runs)."""
    if instance is not None and instance.pk is not None:
        snapshot = getattr(instance, "_audit_snapshot", None) or {}
        instance._attribution_account_before = snapshot.get("account_id")


def on_deal(sender, instance=None, **kwargs) -> None:
    """A deal saved or deleted: its conversions (opportunity, won) change."""
    if instance is not None and instance.pk is not None:
        _on_commit(deals=[instance.pk])


def on_deal_contact(sender, instance=None, **kwargs) -> None:
    """A buying committee change: the deal's journey may change."""
    if instance is not None:
        _on_commit(deals=[instance.deal_id])


def connect() -> None:
    """Connect the receivers (``AttributionConfig.ready``)."""
    from django.db.models.signals import post_delete, post_save, pre_save

    from smarketing.crm.models import Contact, Deal, DealContact, Touchpoint

    pre_save.connect(before_contact, sender=Contact, dispatch_uid="attribution.contact.before")
    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(on_touch, sender=Touchpoint, dispatch_uid=f"attribution.touch.{name}")
        signal.connect(on_contact, sender=Contact, dispatch_uid=f"attribution.contact.{name}")
        signal.connect(on_deal, sender=Deal, dispatch_uid=f"attribution.deal.{name}")
        signal.connect(
            on_deal_contact, sender=DealContact, dispatch_uid=f"attribution.committee.{name}"
        )
