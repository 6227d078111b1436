"""The public tracking endpoint: site keys, CORS, batch limits, rate limits, channel grouping."""

import json

import pytest

from smarketing.crm.models import Touchpoint
from smarketing.ingest.models import ChannelRuleSet, TrackingSite
from smarketing.ingest.selectors import forget_channel_rules

pytestmark = pytest.mark.django_db

ORIGIN = "https://www.example.com"


@pytest.fixture
def site():
    return TrackingSite.objects.create(name="Website", allowed_origins=[ORIGIN])


def collect(client, key, body, origin=ORIGIN, **headers):
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    return client.post(
        f"/ingest/collect?key={key}",
        data=json.dumps(body),
        content_type="text/plain",
        **extra,
        **headers,
    )


def view(n, **extra):
    return {
        "type": "page_view",
        "anonymous_id": "v-1",
        "event_id": f"e{n}",
        "url": f"https://www.example.com/p{n}",
        **extra,
    }


def test_page_views_are_stored_with_channel_and_cors_header(client, site):
    body = {
        "events": [
            view(1, url="https://www.example.com/?utm_source=google&utm_medium=cpc&utm_term=crm"),
            view(2, referrer="https://www.google.com/"),
            view(3, referrer="https://www.example.com/p2"),
            view(4, referrer="https://news.ycombinator.com/item?id=1", title="Pricing"),
        ]
    }
    response = collect(client, site.public_key, body)
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response.json()["created"] == 4
    touches = {t.url.rsplit("/", 1)[-1]: t for t in Touchpoint.objects.all()}
    paid = touches["?utm_source=google&utm_medium=cpc&utm_term=crm"]
    assert (paid.channel, paid.source, paid.medium, paid.keyword) == (
        "Paid Search", "google", "cpc", "crm",
    )  # fmt: skip
    assert touches["p2"].channel == "Organic Search"
    # Navigation inside the site is not a referral.
    assert touches["p3"].channel == "Direct" and touches["p3"].referrer == ""
    assert touches["p4"].channel == "Referral" and touches["p4"].properties["title"] == "Pricing"
    assert all(t.contact_id is None and t.anonymous_id == "v-1" for t in touches.values())
    # The same beacon sent twice (a retry) is stored once.
    again = collect(client, site.public_key, body).json()
    assert (again["created"], again["duplicates"]) == (0, 4)


def test_single_event_key_in_body_and_bad_keys(client, site):
    single = {"key": site.public_key, **view(1)}
    response = client.post("/ingest/collect", data=json.dumps(single), content_type="text/plain")
    assert response.status_code == 200 and response.json()["created"] == 1
    assert collect(client, "pk_wrong", view(2)).status_code == 401
    missing = client.post("/ingest/collect", data=json.dumps(view(2)), content_type="text/plain")
    assert missing.status_code == 401 and "missing site key" in missing.json()["error"]
    site.active = False
    site.save()
    from smarketing.ingest.selectors import forget_site

    forget_site(site)
    assert collect(client, site.public_key, view(3)).status_code == 401


def test_cors_preflight_allowed_and_denied(client, site):
    url = f"/ingest/collect?key={site.public_key}"
    ok = client.options(
        url, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )  # fmt: skip
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok["Access-Control-Allow-Methods"]
    assert "Content-Type" in ok["Access-Control-Allow-Headers"]
    denied = client.options(url, HTTP_ORIGIN="https://evil.example")
    assert denied.status_code == 403
    assert "Access-Control-Allow-Origin" not in denied
    posted = collect(client, site.public_key, view(1), origin="https://evil.example")
    assert posted.status_code == 403 and "Access-Control-Allow-Origin" not in posted
    assert Touchpoint.objects.count() == 0


def test_batch_limit_and_per_event_errors(client, site):
    too_many = collect(client, site.public_key, {"events": [view(n) for n in range(1001)]})
    assert too_many.status_code == 413 and "at most 1000" in too_many.json()["error"]
    full = collect(client, site.public_key, {"events": [view(n) for n in range(1000)]})
    assert full.status_code == 200 and full.json()["created"] == 1000
    mixed = collect(
        client,
        site.public_key,
        [
            view(2000),
            {"type": "scroll", "anonymous_id": "v-1"},
            view(2001, anonymous_id="bad id with spaces"),
            {"type": "page_view", "anonymous_id": "v-1"},
            view(2002, utm={"utm_colour": "x"}),
            {"type": "form_submit", "anonymous_id": "v-1", "email": "nope@"},
        ],
    ).json()
    assert [r["status"] for r in mixed["results"]] == ["created"] + ["error"] * 5
    errors = [r.get("errors", {}) for r in mixed["results"]]
    assert "type" in errors[1] and "anonymous_id" in errors[2] and "url" in errors[3]
    assert "utm.utm_colour" in errors[4] and "email" in errors[5]
    garbage = client.post(
        f"/ingest/collect?key={site.public_key}", data="{oops", content_type="text/plain"
    )
    assert garbage.status_code == 400


def test_rate_limit_per_key_and_ip(client):
    site = TrackingSite.objects.create(name="Tiny", allowed_origins=["*"], ip_rate_limit=3)
    codes = [collect(client, site.public_key, view(n)).status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = collect(client, site.public_key, view(9))
    assert int(limited["Retry-After"]) >= 1
    assert "rate limit" in limited.json()["error"]
    # Another visitor's address has its own allowance.
    other = collect(client, site.public_key, view(10), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_admin_edited_channel_rules_apply(client, site):
    ChannelRuleSet.objects.create(
        name="Ours",
        document={"rules": [{"channel": "Partners", "when": {"source": {"in": ["acme"]}}}]},
    )
    forget_channel_rules()
    try:
        collect(client, site.public_key, view(1, utm={"utm_source": "acme", "utm_medium": "x"}))
        assert Touchpoint.objects.get().channel == "Partners"
    finally:
        forget_channel_rules()


def test_snippet_is_served_locally(client):
    response = client.get("/ingest/t.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    # Minified (no comments), and no address of another host anywhere in it.
    assert "sendBeacon" in body and "smk_vid" in body and "://" not in body and "/*" not in body
    again = client.get("/ingest/t.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_clock_skew_is_corrected_and_future_times_clamped_not_dropped(client, site):
    """A device clock 15 minutes fast loses nothing (the batch's sent_at gives the offset)."""
    import datetime as dt

    from django.utils import timezone

    fast = timezone.now() + dt.timedelta(minutes=15)
    body = {
        "events": [view(1, occurred_at=fast.isoformat()), view(2, occurred_at="2031-01-01T00:00:00Z")],
        "sent_at": fast.isoformat(),
    }
    response = collect(client, site.public_key, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert abs(data["clock_skew_seconds"] + 900) < 60 and data["clamped"] == [1]
    stored = sorted(Touchpoint.objects.values_list("occurred_at", flat=True))
    assert len(stored) == 2 and all(t <= timezone.now() for t in stored)
    assert abs((stored[-1] - timezone.now()).total_seconds()) < 60


def test_personal_data_in_urls_is_not_stored(client, site):
    body = view(3, url="https://www.example.com/thanks?email=ana%40globex.io&utm_source=news",
                referrer="https://other.example/?name=Ana&q=1")  # fmt: skip
    assert collect(client, site.public_key, body).status_code == 200
    touch = Touchpoint.objects.get()
    assert touch.url == "https://www.example.com/thanks?utm_source=news"
    assert touch.referrer == "https://other.example/?q=1"
    assert touch.source == "news"
