"""Webhook deliveries sent apart from the task queue: one sender per endpoint, in order.

A receiver that hangs for the whole timeout must not hold up scoring, the SLA sweep or the
other receivers. The :class:`Dispatcher` runs inside ``smarketing worker`` beside the huey
consumer (not in it): every second it looks for endpoints with due deliveries and hands each
to a thread of its own pool, at most one at a time per endpoint (per-endpoint concurrency 1).
The endpoint's sender drains its due deliveries oldest first, and never sends an event about a
record (a contact, a deal) while an earlier event about the same record to the same endpoint is
still waiting for a retry: per-record order holds, and one stuck record does not block the rest.

A delivery that times out is retried with the same ``X-Smarketing-Event-Id``, so a receiver
that was only slow can drop the repeat. Without a dispatcher (``HUEY_IMMEDIATE``, tests, a bare
``run_huey``) the huey tasks of :mod:`smarketing.ingest.tasks` send as before.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connection
from django.utils import timezone

from smarketing.ingest import webhooks
from smarketing.ingest.models import WebhookDelivery

log = logging.getLogger(__name__)

#: Set while a dispatcher runs in this process: the huey tasks then leave sending to it.
running = threading.Event()


def record_key(payload: dict) -> str:
    """The record an event is about (``contact:12``, ``deal:9``), for per-record ordering.

    >>> record_key({"contact": {"id": 12}}), record_key({"deal": {"id": 9}}), record_key({})
    ('contact:12', 'deal:9', '')
    """
    for name in ("deal", "contact"):
        value = payload.get(name) if isinstance(payload, dict) else None
        if isinstance(value, dict) and value.get("id"):
            return f"{name}:{value['id']}"
    return ""


def drain(endpoint_id: int, *, limit: int = 200) -> int:
    """Send ``endpoint_id``'s due deliveries oldest first; returns how many attempts were made."""
    sent = 0
    try:
        while sent < limit:
            now = timezone.now()
            waiting = list(
                WebhookDelivery.objects.filter(
                    endpoint_id=endpoint_id, status__in=["pending", "retrying"]
                )
                .order_by("created_at", "id")
                .values_list("pk", "next_attempt_at", "payload")[:500]
            )
            blocked: set[str] = set()
            due = None
            for pk, next_at, payload in waiting:
                key = record_key(payload)
                if next_at is not None and next_at <= now and key not in blocked:
                    due = pk
                    break
                if key:
                    blocked.add(key)  # an earlier event about this record is not sent yet
            if due is None:
                return sent
            webhooks.deliver(due, now=now)
            sent += 1
        return sent
    finally:
        close_old_connections()
        connection.close()


class Dispatcher:
    """Polls for due deliveries and sends each endpoint's on its own thread (see module doc)."""

    def __init__(self, *, threads: int = 8, poll_seconds: float = 1.0):
        self.threads = threads
        self.poll_seconds = poll_seconds
        self._pool: ThreadPoolExecutor | None = None
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[int]:
        """Start a sender for every idle endpoint with a due delivery; the endpoint ids started."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="webhooks")
        endpoints = set(
            WebhookDelivery.objects.filter(
                status__in=["pending", "retrying"],
                next_attempt_at__lte=timezone.now(),
                endpoint__active=True,
            ).values_list("endpoint_id", flat=True)[:1000]
        )
        started = []
        for endpoint_id in sorted(endpoints):
            with self._lock:
                if endpoint_id in self._busy:
                    continue
                self._busy.add(endpoint_id)
            self._pool.submit(self._run, endpoint_id)
            started.append(endpoint_id)
        return started

    def _run(self, endpoint_id: int) -> None:
        try:
            drain(endpoint_id)
        except Exception:  # noqa: BLE001 - one endpoint's failure must not stop the others
            log.exception("webhook sender for endpoint %s failed", endpoint_id)
        finally:
            with self._lock:
                self._busy.discard(endpoint_id)

    def busy(self) -> set[int]:
        """The endpoints whose sender is running now."""
        with self._lock:
            return set(self._busy)

    def start(self) -> None:
        """Run :meth:`run_once` every ``poll_seconds`` on a daemon thread until :meth:`stop`."""
        running.set()
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the loop must survive a database hiccup
                log.exception("webhook dispatcher poll failed")
            finally:
                close_old_connections()
            self._stop.wait(self.poll_seconds)
        connection.close()

    def stop(self, *, wait: bool = True) -> None:
        """Stop polling; with ``wait``, let the running senders finish their attempt."""
        self._stop.set()
        running.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=wait)
            self._pool = None
