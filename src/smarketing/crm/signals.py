"""Signals of the system of record for writes that bypass model signals (bulk paths)."""

import django.dispatch

#: Sent after commit by bulk writers (event ingest, CSV import) with ``contact_ids``: the
#: contacts that got new touchpoints. Scoring rescores them in the background.
touchpoints_bulk_created = django.dispatch.Signal()


def announce_bulk_touchpoints(contact_ids) -> None:
    """Send :data:`touchpoints_bulk_created` once the current transaction commits."""
    from django.db import transaction

    ids = sorted({int(i) for i in contact_ids if i})
    if ids:
        transaction.on_commit(lambda: touchpoints_bulk_created.send(sender=None, contact_ids=ids))
