"""Scoring events other apps listen to (the funnel re-applies the MQL rule on them)."""

from __future__ import annotations

import django.dispatch
from django.db import transaction

#: Sent on commit after an incremental rescore (a touchpoint, a bulk batch, an identify) with
#: ``contact_ids``: the contacts whose scores were recomputed. A full rescore after a new
#: definition is activated does not send it: it must not promote the whole history at once.
contacts_rescored = django.dispatch.Signal()


def announce_rescored(contact_ids) -> None:
    """Send :data:`contacts_rescored` once the current transaction commits."""
    ids = sorted({int(i) for i in contact_ids if i})
    if ids:
        transaction.on_commit(lambda: contacts_rescored.send(sender=None, contact_ids=ids))
