"""Signals of the system of record for writes that bypass model signals (bulk paths)."""

import django.dispatch

#: Sent after commit by bulk writers (event ingest, CSV import) with ``contact_ids``: the
#: contacts that got new touchpoints, and ``reowned``: whether they got existing touchpoints
#: (an identify or a merge moving old touches to them, which no id checkpoint sees). Scoring
#: rescores them in the background; reporting recomputes the days of their touches.
touchpoints_bulk_created = django.dispatch.Signal()


def announce_bulk_touchpoints(contact_ids, *, reowned: bool = False) -> None:
    """Send :data:`touchpoints_bulk_created` once the current transaction commits."""
    from django.db import transaction

    ids = sorted({int(i) for i in contact_ids if i})
    if ids:
        transaction.on_commit(
            lambda: touchpoints_bulk_created.send(sender=None, contact_ids=ids, reowned=reowned)
        )
