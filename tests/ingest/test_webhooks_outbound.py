"""Outbound webhooks against a real HTTP receiver (http.server on 127.0.0.1), no mocks."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from smarketing.crm.actions import do_create_contact, do_create_deal, do_move_deal
from smarketing.funnel.actions import do_change_stage
from smarketing.ingest import webhooks
from smarketing.ingest.models import WebhookDelivery, WebhookEndpoint
from smarketing.ingest.tasks import retry_due_webhooks

pytestmark = pytest.mark.django_db


class Receiver:
    """A local webhook receiver answering with scripted status codes (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"boom")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the sending) when the block ends, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _verify(request, secret):
    """What a receiver does: recompute the HMAC of the raw body and compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Smarketing-Signature"])


def test_signed_delivery_verifies_at_the_receiver(receiver, committed):
    r = receiver()
    endpoint = WebhookEndpoint.objects.create(name="CRM", url=r.url, kinds=["deal.won"])
    with committed():
        ids = webhooks.emit("deal.won", {"deal": {"id": 1, "name": "Acme", "amount": "100.00"}})
        assert r.requests == []  # nothing leaves before the commit
    assert len(r.requests) == 1
    request = r.requests[0]
    assert _verify(request, endpoint.secret)
    assert not _verify(request, "another secret")
    body = json.loads(request["body"])
    assert body["kind"] == "deal.won" and body["data"]["deal"]["name"] == "Acme"
    assert request["headers"]["X-Smarketing-Event"] == "deal.won"
    assert request["headers"]["X-Smarketing-Event-Id"] == body["id"]
    assert int(request["headers"]["X-Smarketing-Timestamp"]) > 1_700_000_000
    delivery = WebhookDelivery.objects.get(pk=ids[0])
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    # Not subscribed to this kind: nothing queued.
    assert webhooks.emit("deal.lost", {"deal": {"id": 1}}) == []


def test_rolled_back_change_sends_nothing(receiver, committed):
    r = receiver()
    WebhookEndpoint.objects.create(name="All", url=r.url)
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        webhooks.emit("lead.accepted", {"contact": {"id": 1}})
        raise RuntimeError
    assert r.requests == [] and WebhookDelivery.objects.count() == 0


def test_retries_on_500_with_backoff_then_succeeds(receiver, committed):
    r = receiver(statuses=[500, 503])
    WebhookEndpoint.objects.create(name="Flaky", url=r.url)
    with committed():
        (pk,) = webhooks.emit("sla.breached", {"contact": {"id": 3, "name": "Jo"}, "rule": "1h"})
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 500)
    first_wait = delivery.next_attempt_at - delivery.created_at
    assert dt.timedelta(seconds=25) < first_wait <= dt.timedelta(seconds=35)
    # Not due yet: the sweep leaves it alone.
    assert retry_due_webhooks.call_local() == 0
    assert retry_due_webhooks_at(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 2, 503)
    second_wait = delivery.next_attempt_at - delivery.created_at
    assert second_wait > first_wait  # exponential
    assert retry_due_webhooks_at(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert delivery.delivered_at is not None
    # The three attempts carried the same event id: the receiver can drop repeats.
    assert len({req["headers"]["X-Smarketing-Event-Id"] for req in r.requests}) == 1
    assert len(r.requests) == 3


def retry_due_webhooks_at(when):
    count = 0
    for pk in webhooks.due_deliveries(when):
        if webhooks.deliver(pk, now=when) is not None:
            count += 1
    return count


def test_gives_up_after_max_attempts_and_unreachable_hosts(receiver, committed):
    r = receiver(statuses=[500] * webhooks.MAX_ATTEMPTS)
    WebhookEndpoint.objects.create(name="Down", url=r.url)
    with committed():
        (pk,) = webhooks.emit("lead.rejected", {"contact": {"id": 1}, "reason_code": "bad_fit"})
    for _ in range(webhooks.MAX_ATTEMPTS):
        delivery = WebhookDelivery.objects.get(pk=pk)
        if delivery.status != "retrying":
            break
        webhooks.deliver(pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    closed = WebhookEndpoint.objects.create(name="Nobody", url="http://127.0.0.1:9/none")
    with committed():
        made = webhooks.emit("lead.assigned", {"contact": {"id": 1}})
    (pk2,) = [p for p in made if WebhookDelivery.objects.get(pk=p).endpoint == closed]
    failed = WebhookDelivery.objects.get(pk=pk2)
    assert failed.status == "retrying" and failed.response_code is None and failed.error


def test_slack_format(receiver, committed):
    r = receiver()
    WebhookEndpoint.objects.create(name="Slack", url=r.url, format="slack")
    with committed():
        webhooks.emit(
            "deal.won",
            {"deal": {"id": 9, "name": "Globex renewal", "amount": "12000.00", "currency": "USD"}},
        )
    message = json.loads(r.requests[0]["body"])
    assert set(message) == {"text", "blocks"}
    assert "Globex renewal" in message["text"] and "12000.00" in message["text"]
    assert message["blocks"][0]["type"] == "section"
    assert message["blocks"][0]["text"]["type"] == "mrkdwn"


def test_stage_changes_and_deal_closing_emit_events(receiver, make_user, committed):
    r = receiver()
    WebhookEndpoint.objects.create(
        name="Ops", url=r.url, kinds=["lifecycle.changed", "deal.won", "deal.lost"]
    )
    rep = make_user("ann", team="Sales")
    contact = do_create_contact(email="max@acme.com", first_name="Max")
    with committed():
        do_change_stage(contact=contact, to_stage="mql", by=rep)
    with committed():
        deal = do_create_deal(name="Acme deal", amount="5000", owner=rep)
        do_move_deal(deal=deal, stage="closed_won", by=rep)
    with committed():
        lost = do_create_deal(name="Initech", amount="10")
        do_move_deal(deal=lost, stage="closed_lost", loss_reason="price")
    kinds = [json.loads(req["body"])["kind"] for req in r.requests]
    assert kinds == ["lifecycle.changed", "deal.won", "deal.lost"]
    stage = json.loads(r.requests[0]["body"])["data"]
    assert (stage["from_stage"], stage["to_stage"]) == ("lead", "mql")
    assert stage["contact"]["email"] == "max@acme.com" and stage["changed_by"]["username"] == "ann"
    won = json.loads(r.requests[1]["body"])["data"]["deal"]
    assert (won["name"], won["amount"], won["stage"]) == ("Acme deal", "5000.00", "closed_won")
    assert json.loads(r.requests[2]["body"])["data"]["deal"]["loss_reason"] == "price"


def test_unknown_kind_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        webhooks.emit("deal.maybe", {})


def test_slack_text_from_visitors_is_escaped(receiver, committed, settings):
    """A visitor-typed name cannot ping a channel or plant a disguised link (Slack's rules)."""
    settings.SMARKETING_BASE_URL = "https://crm.example.com"
    r = receiver()
    WebhookEndpoint.objects.create(name="Slack", url=r.url, format="slack")
    contact = do_create_contact(email="x@evil.example", first_name="<!channel>")
    with committed():
        do_change_stage(
            contact=contact, to_stage="mql", rule="<https://evil.example|Reset your password>"
        )
    bodies = [json.loads(req["body"]) for req in r.requests]
    raw = json.dumps(bodies)
    assert "<!channel>" not in raw and "<https://evil.example" not in raw
    assert "&lt;!channel&gt;" in raw and "&lt;https://evil.example|Reset your password&gt;" in raw
    stage = next(b for b in bodies if "moved" in b["text"])
    # Labels, not codes; the one live link is ours, to the record.
    assert "Lead → Marketing qualified lead" in stage["text"]
    assert f"<https://crm.example.com/leads/{contact.pk}/|Open in smarketing>" in stage["text"]


def test_test_event_goes_only_to_the_tested_endpoint(client, make_user, receiver, committed):
    manager = make_user("boss", role="manager", team="Marketing")
    client.force_login(manager)
    tested, other = receiver(), receiver()
    one = WebhookEndpoint.objects.create(name="JSON", url=tested.url)
    WebhookEndpoint.objects.create(name="Slack", url=other.url, format="slack")
    with committed():
        response = client.post(f"/ingest/settings/webhooks/{one.pk}/", {"test": "1"})
    assert response.status_code == 302
    assert len(tested.requests) == 1 and other.requests == []
    assert WebhookDelivery.objects.filter(endpoint=one).count() == 1
