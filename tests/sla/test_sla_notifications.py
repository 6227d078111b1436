"""Notifications: the page with the unread badge, marking read (page and API), only one's own."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from tests.http import call

from smarketing.core.actions import do_create_token
from smarketing.crm.actions import do_create_contact
from smarketing.funnel.actions import do_assign_lead, do_change_stage
from smarketing.sla.actions import do_mark_notifications_read, do_sweep, ensure_active_sla
from smarketing.sla.models import Notification
from smarketing.sla.selectors import unread_notification_count

UTC = dt.UTC


@pytest.fixture
def notes(make_user):
    """ann has three notifications (one already read), bob one."""
    ann = make_user("ann", team="Sales")
    bob = make_user("bob", team="Sales")
    contact = do_create_contact(email="lead@x.io", first_name="Lia", last_name="Lead")
    made = [
        Notification.objects.create(
            user=ann, kind="breach", message="First touch overdue for Lia Lead", contact=contact
        ),
        Notification.objects.create(user=ann, kind="escalation", message="Escalated: Lia Lead"),
        Notification.objects.create(
            user=ann,
            kind="reassigned",
            message="Old one",
            read_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
        ),
        Notification.objects.create(user=bob, kind="breach", message="Bob's breach"),
    ]
    return ann, bob, made


@pytest.mark.django_db
def test_mark_read_only_touches_own_unread_and_is_idempotent(notes):
    ann, bob, made = notes
    assert unread_notification_count(ann) == 2
    # bob's id in ann's request is ignored; the already-read one is not re-stamped.
    assert do_mark_notifications_read(user=ann, ids=[made[0].pk, made[3].pk, made[2].pk]) == 1
    assert do_mark_notifications_read(user=ann, ids=[made[0].pk]) == 0
    assert unread_notification_count(ann) == 1 and unread_notification_count(bob) == 1
    made[2].refresh_from_db()
    assert made[2].read_at == dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert do_mark_notifications_read(user=ann) == 1
    assert unread_notification_count(ann) == 0 and unread_notification_count(bob) == 1


@pytest.mark.django_db
def test_page_lists_unread_with_badge_and_marks_read(client, notes):
    ann, _, made = notes
    client.force_login(ann)
    page = client.get(reverse("sla:notifications")).content.decode()
    assert 'class="count">2<' in page  # the header badge
    assert "First touch overdue for Lia Lead" in page and "Escalated: Lia Lead" in page
    assert "Old one" not in page and "Bob&#x27;s breach" not in page
    assert reverse("web:contact", args=[made[0].contact_id]) in page

    everything = client.get(reverse("sla:notifications") + "?show=all").content.decode()
    assert "Old one" in everything and "Bob" not in everything

    response = client.post(reverse("sla:notifications_read"), {"id": [made[0].pk]}, follow=True)
    body = response.content.decode()
    assert "Marked 1 notification read" in body and 'class="count">1<' in body
    assert "First touch overdue" not in body

    response = client.post(reverse("sla:notifications_read"), {"all": "1"}, follow=True)
    body = response.content.decode()
    assert "Marked 1 notification read" in body and "Nothing unread" in body
    assert 'class="count"' not in body


@pytest.mark.django_db
def test_page_rejects_bad_ids_and_foreign_redirects(client, notes):
    ann, _, made = notes
    client.force_login(ann)
    body = client.post(reverse("sla:notifications_read"), {"id": ["x1"]}, follow=True)
    assert "notification ids must be numbers" in body.content.decode()
    body = client.post(reverse("sla:notifications_read"), {}, follow=True)
    assert "choose a notification" in body.content.decode()
    assert unread_notification_count(ann) == 2  # nothing changed
    response = client.post(
        reverse("sla:notifications_read"), {"id": [made[1].pk], "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("sla:notifications")


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("sla:notifications"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_api_lists_and_marks_read_over_http(live_server, notes):
    ann, _, made = notes
    _, token = do_create_token(user=ann, name="t", scopes=["read", "write"])
    url = live_server.url + "/api"
    status, body, _ = call("GET", url + "/sla/notifications?unread=true", token=token)
    assert status == 200 and body["count"] == 2
    assert [i["kind"] for i in body["items"]] == ["escalation", "breach"]
    assert body["items"][1]["contact_id"] == made[0].contact_id

    status, body, _ = call("POST", url + "/sla/notifications/read", token=token, body={})
    assert status == 422 and "either ids" in str(body)
    status, body, _ = call(
        "POST", url + "/sla/notifications/read", token=token, body={"ids": [1], "all": True}
    )
    assert status == 422

    payload = {"ids": [made[1].pk, made[3].pk]}
    status, body, _ = call("POST", url + "/sla/notifications/read", token=token, body=payload)
    assert (status, body) == (200, {"marked": 1, "unread": 1})
    status, body, _ = call("POST", url + "/sla/notifications/read", token=token, body=payload)
    assert (status, body) == (200, {"marked": 0, "unread": 1})  # a retry changes nothing
    status, body, _ = call("POST", url + "/sla/notifications/read", token=token, body={"all": True})
    assert (status, body) == (200, {"marked": 1, "unread": 0})
    assert Notification.objects.filter(user__username="bob", read_at__isnull=True).count() == 1

    _, read_only = do_create_token(user=ann, name="r", scopes=["read"])
    status, _, _ = call(
        "POST", url + "/sla/notifications/read", token=read_only, body={"all": True}
    )
    assert status == 403  # a read-only token may not write


@pytest.mark.django_db
def test_a_real_breach_reaches_the_owners_page(client, make_user):
    ann = make_user("ann", team="Sales", timezone="Europe/Berlin", email="ann@x.io")
    ensure_active_sla()
    monday = dt.datetime(2026, 3, 9, 8, tzinfo=UTC)
    with time_machine.travel(monday, tick=False):
        contact = do_create_contact(email="lead@x.io", country="BR")
        do_change_stage(contact=contact, to_stage="mql", at=monday, rule="test")
        do_assign_lead(contact=contact, owner=ann, at=monday)
    with time_machine.travel(dt.datetime(2026, 3, 10, 8, 30, tzinfo=UTC), tick=False):
        assert do_sweep().notified == 1
    client.force_login(ann)
    page = client.get(reverse("sla:notifications")).content.decode()
    assert 'class="count">1<' in page and "SLA breach" in page
    assert reverse("web:contact", args=[contact.pk]) in page
