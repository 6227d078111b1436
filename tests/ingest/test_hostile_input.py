"""A hostile-input corpus for the public collect endpoint and the event API.

Every case must answer 4xx (never 5xx), a mixed batch must keep its good events, and the
app's pages must still answer 200 afterwards. Runs on SQLite and on PostgreSQL (which refuses
NUL characters and integers beyond 64 bits, where SQLite is lenient).
"""

import json

import pytest

from smarketing.core.actions import do_create_token
from smarketing.crm.models import Touchpoint
from smarketing.ingest.models import TrackingSite

pytestmark = pytest.mark.django_db

ORIGIN = "https://www.example.com"
NUL = "\u0000"


@pytest.fixture
def site():
    return TrackingSite.objects.create(name="Website", allowed_origins=[ORIGIN])


@pytest.fixture
def ingest_token(make_user):
    user = make_user("integrations", role="manager")
    return do_create_token(user=user, name="tool", scopes=["ingest"])[1]


def view(n, **extra):
    return {
        "type": "page_view",
        "anonymous_id": "v-1",
        "event_id": f"e{n}",
        "url": f"https://www.example.com/p{n}",
        **extra,
    }


def server(n, **extra):
    return {
        "external_id": f"tool:{n}",
        "kind": "email_click",
        "occurred_at": "2025-03-04T10:00:00Z",
        "email": f"p{n}@example.com",
        **extra,
    }


def post_collect(client, site, raw: bytes | str):
    return client.post(
        f"/ingest/collect?key={site.public_key}",
        data=raw,
        content_type="text/plain",
        HTTP_ORIGIN=ORIGIN,
    )


def post_events(client, token, raw: bytes | str):
    return client.post(
        "/api/ingest/events",
        data=raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


#: Whole bodies no endpoint can take: each must be a 4xx.
HOSTILE_BODIES = [
    "[" * 50_000 + "]" * 50_000,
    '{"events": ' + "[" * 5_000 + "]" * 5_000 + "}",
    '{"a":' * 40 + "1" + "}" * 40,
    "1" * 5_000,
    '{"events": [{"contact_id": ' + "9" * 5_000 + "}]}",
    "",
    "null",
    "-364",
    '"x"',
    "{",
    b"\xff\xfe\x00",
    '{"events": "no"}',
    "[]",
    json.dumps({"events": [{}] * 1_001}),
]


@pytest.mark.parametrize("raw", HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_hostile_bodies_are_refused_with_4xx(client, site, ingest_token, raw):
    for response in (post_collect(client, site, raw), post_events(client, ingest_token, raw)):
        assert 400 <= response.status_code < 500, response.content[:300]
        assert response.json()
    assert not Touchpoint.objects.exists()


#: One bad browser event each; it must be refused (or cleaned) while the good one is kept.
BAD_BROWSER_EVENTS = [
    view(90, occurred_at="0001-01-01T00:00:00Z"),
    view(90, occurred_at="1969-12-31T23:59:59Z"),
    view(90, occurred_at="9999-12-31T23:59:59Z"),
    view(90, occurred_at="2025-03-04T10:00:00"),
    view(90, occurred_at=10**30),
    view(90, title="A" + NUL + "B"),
    view(90, url="https://www.example.com/" + NUL),
    view(90, utm={"utm_source": NUL}),
    view(90, anonymous_id=NUL),
    view(90, event_id="x" * 500),
    view(90, url="x" * 100_000),
    view(90, type="page_view", url=""),
    view(90, type=["page_view"]),
    view(90, title={"$gt": ""}),
    view(90, email="a@" + NUL + ".com"),
    {"type": "identify", "anonymous_id": "v-2", "email": "not an email"},
    "just a string",
    None,
    17,
]


@pytest.mark.parametrize("bad", BAD_BROWSER_EVENTS, ids=range(len(BAD_BROWSER_EVENTS)))
def test_collect_keeps_the_good_event_of_a_mixed_batch(client, site, bad):
    response = post_collect(client, site, json.dumps({"events": [view(1), bad]}))
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    assert data["results"][0]["status"] == "created"
    assert Touchpoint.objects.filter(url="https://www.example.com/p1").exists()
    for touch in Touchpoint.objects.all():
        assert NUL not in touch.url + touch.referrer + json.dumps(touch.properties)
        assert touch.occurred_at.year >= 1970


BAD_SERVER_EVENTS = [
    server(90, occurred_at="0001-01-01T00:00:00Z"),
    server(90, occurred_at="1900-01-01T00:00:00Z"),
    server(90, contact_id=10**30, email=""),
    server(90, contact_id=2**63, email=""),
    server(90, contact_id=-1, email=""),
    server(90, email_subject="Hello" + NUL),
    server(90, url=NUL * 10),
    server(90, properties={"k": NUL, NUL: "v"}),
    server(90, properties={"big": 10**30}),
    server(90, external_id=NUL),
    server(90, kind="email_click" + NUL),
    server(90, outcome="\u0007"),
    server(90, email=["a@example.com"]),
    server(90, first_name="x" * 10_000),
]


@pytest.mark.parametrize("bad", BAD_SERVER_EVENTS, ids=range(len(BAD_SERVER_EVENTS)))
def test_event_api_keeps_the_good_event_of_a_mixed_batch(client, ingest_token, bad):
    response = post_events(client, ingest_token, json.dumps({"events": [server(1), bad]}))
    assert response.status_code == 200, response.content[:300]
    assert response.json()["results"][0]["status"] == "created"
    assert Touchpoint.objects.filter(external_id="tool:1").exists()
    for touch in Touchpoint.objects.all():
        text = touch.email_subject + touch.url + (touch.external_id or "")
        assert NUL not in text + json.dumps(touch.properties)
        assert touch.occurred_at.year >= 1970


def test_old_events_are_refused_with_a_reason(client, ingest_token):
    response = post_events(
        client, ingest_token, json.dumps([server(1, occurred_at="0001-01-01T00:00:00Z")])
    )
    assert response.status_code == 422
    assert "1970" in response.json()["results"][0]["errors"]["occurred_at"]


def test_pages_still_answer_after_the_corpus(client, site, ingest_token, make_user):
    """The attack of the issue: a year-1 page view used to 500 the dashboard and the report."""
    post_collect(client, site, json.dumps([view(1, occurred_at="0001-01-01T00:00:00Z"), view(2)]))
    post_events(client, ingest_token, json.dumps([server(1, occurred_at="0001-01-01T00:00Z")]))
    post_events(client, ingest_token, json.dumps([server(2, title=NUL)]))
    user = make_user("reader", role="admin")
    client.force_login(user)
    for url in (
        "/",
        "/leads/",
        "/reporting/",
        "/reporting/marketing/",
        "/reporting/reports/monthly/",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "query",
    [
        "offset=100000000000000000000",
        "limit=-99999999999999999999999",
        "owner_id=1e20",
        "owner_id=9223372036854775808",
        "account_id=-9223372036854775809",
        "search=%00",
        "email=a%00b",
        "created_after=0001-01-01T00:00:00Z",
    ],
)
def test_crm_query_parameters_out_of_bounds_are_4xx(client, make_user, query):
    client.force_login(make_user("reader", role="admin"))
    for path in ("/api/contacts", "/api/deals", "/api/accounts", "/api/touchpoints"):
        response = client.get(f"{path}?{query}")
        assert response.status_code < 500, (path, query, response.content[:200])


def test_path_ids_beyond_64_bits_are_404(client, make_user):
    client.force_login(make_user("reader", role="admin"))
    assert client.get("/api/contacts/" + "9" * 30).status_code == 404
    assert client.get("/leads/" + "9" * 30 + "/").status_code == 404
