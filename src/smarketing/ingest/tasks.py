"""Background work of ingest: send webhook deliveries, retry them with backoff.

Under ``smarketing worker`` the deliveries are sent by :mod:`smarketing.ingest.dispatch` (its
own threads, one per endpoint); these tasks then return at once, so a slow receiver never
holds the task queue. Without a dispatcher (immediate mode, a bare consumer) they send.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from smarketing.ingest import webhooks


@db_task()
def deliver_webhook(delivery_id: int) -> str:
    """One attempt at a delivery; a failed attempt schedules the next one after the backoff.

    Safe to run twice: a delivery already done, or held by another worker, is skipped.
    """
    from smarketing.ingest.dispatch import running

    if running.is_set():
        return "dispatcher"
    delivery = webhooks.deliver(delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.status == "retrying":
        delay = max(1, webhooks.backoff(delivery.attempts).total_seconds())
        deliver_webhook.schedule((delivery_id,), delay=delay)
    return delivery.status


@db_periodic_task(crontab(minute="*"))
def retry_due_webhooks() -> int:
    """Every minute: attempt deliveries whose retry time has come (a safety net for lost
    scheduled retries, e.g. after a worker restart with in-memory storage)."""
    from smarketing.ingest.dispatch import running

    if running.is_set():
        return 0
    count = 0
    for pk in webhooks.due_deliveries():
        if webhooks.deliver(pk) is not None:
            count += 1
    return count
