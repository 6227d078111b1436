"""The server-side event API: batches, per-event errors, idempotent retries, scopes, limits."""

import datetime as dt
import json

import pytest

from smarketing.core.actions import do_create_token
from smarketing.crm.models import Campaign, Contact, Touchpoint
from smarketing.funnel.models import StageChange

pytestmark = pytest.mark.django_db

URL = "/api/ingest/events"


@pytest.fixture
def ingest_token(make_user):
    user = make_user("integrations", role="manager")
    _, secret = do_create_token(user=user, name="email platform", scopes=["ingest"])
    return secret


def post(client, token, body, url=URL):
    return client.post(
        url,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def event(n, **extra):
    return {
        "external_id": f"mailer:{n}",
        "kind": "email_click",
        "occurred_at": "2025-03-04T10:00:00Z",
        "email": f"Person{n}@Example.com ",
        "source": "newsletter",
        "medium": "email",
        "email_subject": "March update",
        **extra,
    }


def test_batch_stores_good_events_and_names_bad_ones(client, ingest_token):
    Campaign.objects.create(name="March", channel="Email", utm_campaign="march-news")
    body = {
        "events": [
            event(1, campaign="march-news"),
            event(2, kind="carrier_pigeon"),
            event(3, occurred_at="yesterday"),
            event(4, email="not-an-email"),
            {k: v for k, v in event(5).items() if k != "external_id"},
            event(6, contact_id=999999, email=""),
            event(7, colour="blue"),
            event(8),
        ]
    }
    response = post(client, ingest_token, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["received"], data["created"], data["errors"]) == (8, 2, 6)
    results = data["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert results[0]["status"] == "created" and results[7]["status"] == "created"
    assert "kind" in results[1]["errors"]
    assert "occurred_at" in results[2]["errors"]
    assert "email" in results[3]["errors"]
    assert "external_id" in results[4]["errors"]
    assert "no contact with id 999999" in results[5]["errors"]["contact_id"]
    assert results[6]["errors"] == {"colour": "unknown field"}

    touch = Touchpoint.objects.get(external_id="mailer:1")
    assert touch.channel == "Email"
    assert touch.campaign.utm_campaign == "march-news"
    assert touch.contact.email == "person1@example.com"
    assert touch.email_subject == "March update"
    # A person first seen by ingest is a new lead whose funnel entry is logged.
    assert StageChange.objects.filter(contact=touch.contact, from_stage="").count() == 1


def test_retrying_the_same_batch_adds_nothing(client, ingest_token):
    body = {"events": [event(n) for n in range(20)] + [event(0)]}
    first = post(client, ingest_token, body).json()
    assert (first["created"], first["duplicates"]) == (20, 1)
    again = post(client, ingest_token, body).json()
    assert (again["created"], again["duplicates"]) == (0, 21)
    assert Touchpoint.objects.count() == 20
    assert Contact.objects.count() == 20


def test_sales_touch_by_rep_and_account_domain(client, ingest_token, make_user):
    from smarketing.crm.models import Account

    rep = make_user("sam", team="Sales", email="sam@ourco.com")
    acme = Account.objects.create(name="Acme", domain="acme.com")
    body = [
        {
            "external_id": "dialer:1",
            "kind": "sales_call",
            "occurred_at": "2025-03-04T10:00:00+01:00",
            "account_domain": "www.ACME.com",
            "user": "SAM@ourco.com",
            "outcome": "connected",
        },
        {
            "external_id": "dialer:2",
            "kind": "sales_call",
            "occurred_at": "2025-03-04T10:00:00Z",
            "account_domain": "nobody.example",
        },
    ]
    data = post(client, ingest_token, body).json()
    assert data["results"][0]["status"] == "created", data["results"]
    assert "account_domain" in data["results"][1]["errors"]
    touch = Touchpoint.objects.get(external_id="dialer:1")
    assert (touch.account_id, touch.user_id, touch.team) == (acme.pk, rep.pk, "sales")
    assert touch.channel == "Sales outreach"
    assert touch.occurred_at == dt.datetime(2025, 3, 4, 9, tzinfo=dt.UTC)


def test_needs_the_ingest_scope(client, api_token):
    _, read_write = api_token
    assert post(client, read_write, [event(1)]).status_code == 401
    assert post(client, "smk_nonsense", [event(1)]).status_code == 401


def test_batch_limits_and_bad_bodies(client, ingest_token):
    too_many = post(client, ingest_token, {"events": [event(n) for n in range(1001)]})
    assert too_many.status_code == 413
    assert "at most 1000" in too_many.json()["error"]
    assert post(client, ingest_token, {"events": []}).status_code == 422
    bad = client.post(
        URL,
        data="{nope",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ingest_token}",
    )
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    all_bad = post(client, ingest_token, [event(1, kind="x")])
    assert all_bad.status_code == 422 and all_bad.json()["results"][0]["status"] == "error"
    assert Touchpoint.objects.count() == 0


def test_openapi_documents_the_event_schema(client):
    schema = client.get("/api/openapi.json").json()
    body = schema["paths"]["/api/ingest/events"]["post"]["requestBody"]["content"]
    items = body["application/json"]["schema"]["properties"]["events"]["items"]
    assert {"external_id", "kind", "occurred_at", "email"} <= set(items["properties"])
    assert "/api/ingest/identify" in schema["paths"]


def test_referrer_goes_in_and_comes_back_out(client, ingest_token, make_user):
    body = {"events": [event(1, kind="page_view", url="https://x.io/p",
                             referrer="https://news.example/item?id=4")]}  # fmt: skip
    assert post(client, ingest_token, body).status_code == 200
    _, reader = do_create_token(user=make_user("reader", role="manager"), name="r", scopes=["read"])
    listed = client.get("/api/touchpoints", HTTP_AUTHORIZATION=f"Bearer {reader}").json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert items[0]["referrer"] == "https://news.example/item?id=4"
