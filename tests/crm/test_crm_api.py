"""The read API over real HTTP: auth by token, pagination, filters, OpenAPI."""

import datetime as dt
from urllib.parse import quote

import pytest
from tests.http import call

from smarketing.core.actions import do_create_token
from smarketing.crm.actions import (
    do_create_account,
    do_create_contact,
    do_create_deal,
    do_record_touchpoint,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def records():
    acc = do_create_account(name="Acme", domain="acme.com", industry="Software", country="DE")
    contacts = [
        do_create_contact(
            email=f"p{i}@acme.com", account=acc, lifecycle_stage="mql" if i % 2 else "lead"
        )
        for i in range(7)
    ]
    do_create_deal(name="Acme deal", amount=1000, account=acc)
    do_record_touchpoint(
        kind="webinar",
        occurred_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        contact=contacts[0],
        channel="Events",
    )
    return acc, contacts


def test_requires_authentication(live_server):
    status, body, _ = call("GET", f"{live_server.url}/api/contacts")
    assert status == 401


def test_bad_or_revoked_token_is_refused(live_server, api_token):
    user, secret = api_token
    assert call("GET", f"{live_server.url}/api/contacts", token=secret + "x")[0] == 401
    user.api_tokens.update(revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert call("GET", f"{live_server.url}/api/contacts", token=secret)[0] == 401


def test_token_without_read_scope_is_refused(live_server, make_user):
    user = make_user("ingestor")
    _, secret = do_create_token(user=user, name="ingest", scopes=["ingest"])
    assert call("GET", f"{live_server.url}/api/contacts", token=secret)[0] == 401


def test_contacts_paginated_and_filtered(live_server, api_token, records):
    _, secret = api_token
    status, body, _ = call("GET", f"{live_server.url}/api/contacts?limit=3&offset=0", token=secret)
    assert status == 200 and body["count"] == 7 and len(body["items"]) == 3
    status, body, _ = call(
        "GET", f"{live_server.url}/api/contacts?lifecycle_stage=mql", token=secret
    )
    assert body["count"] == 3 and {c["lifecycle_stage"] for c in body["items"]} == {"mql"}
    status, body, _ = call("GET", f"{live_server.url}/api/contacts?email=P3@ACME.com", token=secret)
    assert [c["email"] for c in body["items"]] == ["p3@acme.com"]


def test_accounts_deals_campaigns_touchpoints(live_server, api_token, records):
    _, secret = api_token
    acc, contacts = records
    assert (
        call("GET", f"{live_server.url}/api/accounts?domain=acme.com", token=secret)[1]["items"][0][
            "name"
        ]
        == "Acme"
    )
    deals = call("GET", f"{live_server.url}/api/deals?account_id={acc.pk}", token=secret)[1]
    assert deals["count"] == 1 and deals["items"][0]["amount"] == "1000.00"
    assert call("GET", f"{live_server.url}/api/campaigns", token=secret)[1]["count"] == 0
    touches = call(
        "GET", f"{live_server.url}/api/touchpoints?contact_id={contacts[0].pk}", token=secret
    )[1]
    assert touches["count"] == 1 and touches["items"][0]["channel"] == "Events"
    assert call("GET", f"{live_server.url}/api/contacts/999999", token=secret)[0] == 404


def test_bad_filter_value_is_a_clear_422(live_server, api_token):
    _, secret = api_token
    status, body, _ = call("GET", f"{live_server.url}/api/contacts?owner_id=abc", token=secret)
    assert status == 422 and "owner_id" in str(body)


def test_openapi_schema_lists_the_read_endpoints(live_server):
    status, schema, _ = call("GET", f"{live_server.url}/api/openapi.json")
    assert status == 200
    for path in [
        "/api/contacts",
        "/api/accounts",
        "/api/deals",
        "/api/campaigns",
        "/api/touchpoints",
    ]:
        assert path in schema["paths"]


def test_international_addresses_through_tracking_and_the_read_api(live_server, make_user):
    """One normalisation everywhere: identify stores the canonical form, the filter finds it."""
    user = make_user("tracker", role="manager")
    _, secret = do_create_token(user=user, name="both", scopes=["read", "ingest"])
    status, body, _ = call(
        "POST",
        f"{live_server.url}/api/ingest/identify",
        token=secret,
        body={"anonymous_id": "vid-1", "email": " Zoë.Rossi@Bäckerei.DE "},
    )
    assert status == 200, body
    assert body["email"] == "zoë.rossi@xn--bckerei-5wa.de"
    for typed in ("zoë.rossi@bäckerei.de", "ZOË.ROSSI@xn--bckerei-5wa.de"):
        status, found, _ = call(
            "GET", f"{live_server.url}/api/contacts?email={quote(typed)}", token=secret
        )
        assert status == 200 and [c["id"] for c in found["items"]] == [body["contact_id"]]
    status, refused, _ = call(
        "POST",
        f"{live_server.url}/api/ingest/identify",
        token=secret,
        body={"anonymous_id": "vid-2", "email": "ann@printer.local"},
    )
    assert status in (400, 422) and "special-use" in str(refused)
    status, refused, _ = call(
        "GET", f"{live_server.url}/api/contacts?email={quote('a..b@x.io')}", token=secret
    )
    assert status == 422 and "two periods in a row" in str(refused)


def test_custom_fields_in_the_api_and_filterable(live_server, api_token):
    from smarketing.crm.models import Contact

    _, secret = api_token
    a = do_create_contact(email="ann@acme.com")
    Contact.objects.filter(pk=a.pk).update(custom={"Favorite Content Topics": "pricing"})
    do_create_contact(email="bob@acme.com")
    status, body, _ = call("GET", f"{live_server.url}/api/contacts/{a.pk}", token=secret)
    assert status == 200 and body["custom"] == {"Favorite Content Topics": "pricing"}
    url = f"{live_server.url}/api/contacts?custom={quote('Favorite Content Topics:pricing')}"
    status, body, _ = call("GET", url, token=secret)
    assert status == 200 and [c["id"] for c in body["items"]] == [a.pk]
    url = f"{live_server.url}/api/contacts?custom={quote('Favorite Content Topics')}"
    assert [c["id"] for c in call("GET", url, token=secret)[1]["items"]] == [a.pk]
    status, body, _ = call("GET", f"{live_server.url}/api/contacts?custom=a__b", token=secret)
    assert status in (400, 422)
