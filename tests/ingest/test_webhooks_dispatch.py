"""The webhook dispatcher: one sender per endpoint, apart from the task queue (issue 18 item 7).

Real HTTP receivers on 127.0.0.1; the slow one holds its answer on a threading.Event, so the
test checks what happens *while* it hangs without measuring time.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smarketing.ingest import webhooks
from smarketing.ingest.dispatch import Dispatcher, drain, running
from smarketing.ingest.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from smarketing.ingest.tasks import deliver_webhook


class HeldReceiver:
    """Answers 200, but only once ``release`` is set when ``hold`` is true."""

    def __init__(self, *, hold=False):
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.bodies: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                receiver.release.wait(20)
                with lock:
                    receiver.in_flight -= 1
                    receiver.bodies.append(body)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _wait(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _emit(kind, contact_id, n):
    return webhooks.emit(
        kind,
        {"contact": {"id": contact_id, "name": f"Lead {contact_id}"}, "n": n},
        event_id=f"e-{contact_id}-{n}",
    )


@pytest.mark.django_db(transaction=True)
def test_a_hanging_endpoint_delays_only_itself_and_gets_one_request_at_a_time():
    slow, fast = HeldReceiver(hold=True), HeldReceiver()
    WebhookEndpoint.objects.create(name="Slow", url=slow.url)
    WebhookEndpoint.objects.create(name="Fast", url=fast.url)
    dispatcher = Dispatcher(threads=4, poll_seconds=0.1)
    try:
        running.set()  # as under `smarketing worker`: the on-commit task leaves sending to us
        for n in range(3):
            _emit("lead.assigned", 7, n)
        dispatcher.start()
        assert _wait(lambda: len(fast.bodies) == 3), "the fast endpoint waited for the slow one"
        assert slow.in_flight == 1 and slow.bodies == []
        assert [b["data"]["n"] for b in fast.bodies] == [0, 1, 2]  # in order
        slow.release.set()
        assert _wait(lambda: len(slow.bodies) == 3)
        assert slow.max_in_flight == 1  # per-endpoint concurrency 1
        assert [b["data"]["n"] for b in slow.bodies] == [0, 1, 2]
    finally:
        dispatcher.stop()
        running.clear()
        slow.close()
        fast.close()
    assert WebhookDelivery.objects.filter(status="delivered").count() == 6
    assert WebhookAttempt.objects.count() == 6  # every attempt logged with its body
    assert json.loads(WebhookAttempt.objects.first().body)["kind"] == "lead.assigned"


@pytest.mark.django_db(transaction=True)
def test_an_event_waits_for_an_earlier_one_about_the_same_record():
    ok = HeldReceiver()
    endpoint = WebhookEndpoint.objects.create(name="CRM", url=ok.url)
    try:
        running.set()
        first, second, other = _emit("lead.mql", 1, 0), _emit("lead.assigned", 1, 1), _emit(
            "lead.mql", 2, 0
        )
        # The first event about contact 1 failed once and waits for its retry.
        WebhookDelivery.objects.filter(pk__in=first).update(
            status="retrying", attempts=1, next_attempt_at="2999-01-01T00:00:00Z"
        )
        assert drain(endpoint.pk) == 1  # only contact 2's event could go
        assert [b["data"]["contact"]["id"] for b in ok.bodies] == [2]
        assert WebhookDelivery.objects.get(pk=second[0]).status == "pending"
        assert WebhookDelivery.objects.get(pk=other[0]).status == "delivered"
    finally:
        running.clear()
        ok.close()


@pytest.mark.django_db
def test_without_a_dispatcher_the_task_sends():
    assert not running.is_set()
    r = HeldReceiver()
    try:
        WebhookEndpoint.objects.create(name="CRM", url=r.url)
        (pk,) = _emit("lead.mql", 3, 0)
        assert deliver_webhook.call_local(pk) == "delivered"
    finally:
        r.close()
