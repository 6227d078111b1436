"""Tracked sharing: personal links, public viewing without login, page times, notification."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from tests.http import call

from smarketing.content.actions import do_revoke_link, do_share
from smarketing.content.models import LinkVisit
from smarketing.crm.models import Contact, Touchpoint
from smarketing.sla.models import Notification

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130 Safari/537.36"


def _start(client, link, ua=BROWSER, **body):
    return client.post(
        reverse("content:public_visit", args=[link.token]),
        json.dumps(body),
        content_type="application/json",
        HTTP_USER_AGENT=ua,
    )


def _beat(client, link, visit, pages, last=None):
    return client.post(
        reverse("content:public_beat", args=[link.token]),
        json.dumps({"visit": visit, "pages": pages, "last_page": last}),
        content_type="application/json",
        HTTP_USER_AGENT=BROWSER,
    )


def test_view_is_a_touchpoint_with_page_times_and_notifies_the_rep(client, library, contact, rep):
    link = do_share(asset=library["Pricing sheet 2026"], contact=contact, by=rep)
    assert Touchpoint.objects.get(kind="content_share").contact == contact
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("content:public", args=[link.token]))
    assert page.status_code == 200 and "script-src 'self'" in page["Content-Security-Policy"]
    assert not [
        q
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert not Touchpoint.objects.filter(kind="content_view").exists()
    key = _start(client, link).json()["visit"]
    touch = Touchpoint.objects.get(kind="content_view")
    assert (
        touch.contact == contact
        and touch.content == link.asset
        and touch.properties["version"] == 1
    )
    assert _beat(client, link, key, {"1": 40, "2": 200}, last=2).json() == {"ok": True}
    assert _beat(client, link, key, {"1": 30, "2": 250}, last=2).status_code == 200  # cumulative
    visit = LinkVisit.objects.get()
    assert visit.page_seconds == {"1": 40.0, "2": 250.0}
    touch.refresh_from_db()
    assert touch.properties["seconds"] == 290.0 and touch.properties["pages"]["2"] == 250.0
    note = Notification.objects.get(user=rep)
    assert note.message == "Ana Lopez at Globex opened Pricing sheet 2026, 5 min, stopped on page 2"
    # A second visit adds a touch but no second notification.
    _start(client, link)
    assert Touchpoint.objects.filter(kind="content_view").count() == 2
    assert Notification.objects.filter(user=rep).count() == 1


def test_bots_and_bad_beats_are_not_counted(client, library, contact, rep):
    link = do_share(asset=library["Pricing sheet 2026"], contact=contact, by=rep)
    for ua in [
        "Slackbot-LinkExpanding 1.0",
        "curl/8.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1)",
        "",
    ]:
        assert _start(client, link, ua=ua).json() == {"visit": None}
    assert (
        not LinkVisit.objects.exists()
        and not Touchpoint.objects.filter(kind="content_view").exists()
    )
    key = _start(client, link).json()["visit"]
    assert _beat(client, link, key, {"9": 10}).status_code == 400  # a 2-page PDF
    assert _beat(client, link, key, {"1": "x"}).status_code == 400
    assert _beat(client, link, "forged", {"1": 1}).status_code == 400
    other = do_share(asset=library["Product deck"], contact=contact, by=rep)
    assert _beat(client, other, key, {"1": 1}).status_code == 400
    bad = client.post(
        reverse("content:public_visit", args=[link.token]),
        "not json",
        content_type="application/json",
        HTTP_USER_AGENT=BROWSER,
    )
    assert bad.status_code == 400


def test_expired_and_revoked_links_close(client, library, contact, rep):
    now = timezone.now()
    link = do_share(
        asset=library["Product deck"],
        contact=contact,
        by=rep,
        expires_at=now + dt.timedelta(days=1),
        now=now - dt.timedelta(days=2),
    )
    link.expires_at = now - dt.timedelta(minutes=1)
    link.save()
    assert client.get(reverse("content:public", args=[link.token])).status_code == 410
    assert _start(client, link).status_code == 410
    live = do_share(asset=library["Product deck"], contact=contact, by=rep)
    do_revoke_link(link=live)
    assert client.get(reverse("content:public", args=[live.token])).status_code == 410
    assert client.get(reverse("content:public", args=["nope"])).status_code == 404


def test_do_not_contact_and_email_gate_and_forwarding(client, library, contact, rep):
    from django.core.exceptions import ValidationError

    blocked = Contact.objects.create(email="no@x.example", do_not_contact=True)
    with pytest.raises(ValidationError, match="do-not-contact"):
        do_share(asset=library["Product deck"], contact=blocked, by=rep)
    link = do_share(asset=library["Product deck"], contact=contact, by=rep, require_email=True)
    assert _start(client, link).status_code == 400
    boss = Contact.objects.create(
        email="boss@globex.example", first_name="Bo", account=contact.account
    )
    assert _start(client, link, email="Boss@Globex.example").json()["visit"]
    touch = Touchpoint.objects.get(kind="content_view")
    assert touch.contact == boss and touch.properties["viewer_email"] == "Boss@Globex.example"
    assert "forwarded by Ana Lopez" in Notification.objects.get().message


@pytest.mark.django_db(transaction=True)
def test_share_api(live_server, library, contact, api_token):
    user, token = api_token
    asset = library["Security overview"]
    url = f"{live_server.url}/api/content/assets/{asset.pk}/shares"
    status, body, _ = call("POST", url, token=token, body={"contact_id": contact.pk})
    assert status == 201 and body["url"].startswith(f"{live_server.url}/content/s/")
    assert body["expires_at"]
    page_status, html, _ = call("GET", body["url"])
    assert page_status == 200 and "Single sign-on" in html
    Contact.objects.filter(pk=contact.pk).update(do_not_contact=True)
    status, body, _ = call("POST", url, token=token, body={"contact_id": contact.pk})
    assert status == 422 and "do-not-contact" in body["detail"]
    assert call("POST", url, token=token, body={"contact_id": 10**9})[0] == 422
    assert call("POST", url, token=token, body={})[0] == 422
