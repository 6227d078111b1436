"""The integrations settings pages: sites with their snippet, webhooks + delivery log, forms,
channel rules; managers only."""

import pytest

from smarketing.ingest.models import (
    ChannelRuleSet,
    InboundForm,
    TrackingSite,
    WebhookDelivery,
    WebhookEndpoint,
)
from smarketing.ingest.selectors import forget_channel_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, make_user):
    make_user("maria", team="Marketing", kind="marketing", role="manager")
    client.login(username="maria", password="pw-maria")
    return client


def test_members_are_refused(client, make_user):
    make_user("sam", team="Sales")
    client.login(username="sam", password="pw-sam")
    assert client.get("/ingest/settings/").status_code == 403


def test_create_site_and_copy_snippet(manager):
    response = manager.post(
        "/ingest/settings/",
        {
            "create": "site",
            "site-name": "Main website",
            "site-origins": "https://www.example.com/\nhttps://blog.example.com",
            "site-key_rate_limit": 6000,
            "site-ip_rate_limit": 300,
            "site-active": "on",
        },
    )
    site = TrackingSite.objects.get()
    assert response.status_code == 302 and response.url == f"/ingest/settings/sites/{site.pk}/"
    assert site.allowed_origins == ["https://www.example.com", "https://blog.example.com"]
    page = manager.get(response.url).content.decode()
    assert f"data-key=&quot;{site.public_key}&quot;" in page and "/ingest/t.js" in page
    bad = manager.post(
        f"/ingest/settings/sites/{site.pk}/",
        {"name": "x", "origins": "ftp://nope", "key_rate_limit": 1, "ip_rate_limit": 1},
    )
    assert bad.status_code == 200 and "is not an origin" in bad.content.decode()
    assert manager.get("/ingest/settings/").status_code == 200


def test_webhook_endpoint_page_shows_the_delivery_log(manager):
    endpoint = WebhookEndpoint.objects.create(name="Ops", url="http://127.0.0.1:9/x")
    WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="ev1", kind="deal.won", status="failed", attempts=8,
        response_code=500, error="HTTP 500",
    )  # fmt: skip
    page = manager.get(f"/ingest/settings/webhooks/{endpoint.pk}/").content.decode()
    assert "Delivery log" in page and "deal.won" in page and endpoint.secret in page
    assert "HTTP 500" in page
    filtered = manager.get(f"/ingest/settings/webhooks/{endpoint.pk}/?status=delivered")
    assert "deal.won" not in filtered.content.decode().split("Delivery log")[1].split("Settings")[0]
    created = manager.post(
        "/ingest/settings/",
        {"create": "endpoint", "endpoint-name": "Slack", "endpoint-url": "https://hooks.example/x",
         "endpoint-format": "slack", "endpoint-kinds": ["deal.won", "sla.breached"],
         "endpoint-active": "on"},
    )  # fmt: skip
    assert created.status_code == 302
    assert WebhookEndpoint.objects.get(name="Slack").kinds == ["deal.won", "sla.breached"]


def test_inbound_form_page(manager):
    response = manager.post(
        "/ingest/settings/",
        {"create": "form", "form-name": "Webinar signup", "form-active": "on",
         "form-mapping": '{"email": "data.email", "submission_id": "id"}'},
    )  # fmt: skip
    form = InboundForm.objects.get()
    assert response.status_code == 302 and form.field_mapping["email"] == "data.email"
    page = manager.get(f"/ingest/settings/forms/{form.pk}/").content.decode()
    assert f"/ingest/forms/{form.pk}" in page and form.secret in page
    bad = manager.post(
        f"/ingest/settings/forms/{form.pk}/",
        {"name": "x", "mapping": '{"shoe_size": "a"}', "active": "on"},
    )
    assert "unknown field(s) shoe_size" in bad.content.decode()


def test_edit_channel_rules_and_try_them(manager):
    forget_channel_rules()
    page = manager.get("/ingest/settings/channels/?try=1&source=google&medium=cpc")
    assert '<strong id="trial">Paid Search</strong>' in page.content.decode()
    bad = manager.post("/ingest/settings/channels/", {"document": "rules: nope"})
    assert "rules" in bad.content.decode() and not ChannelRuleSet.objects.exists()
    doc = '{"rules": [{"channel": "Partners", "when": {"source": {"in": ["acme"]}}}]}'
    assert manager.post("/ingest/settings/channels/", {"document": doc}).status_code == 302
    page = manager.get("/ingest/settings/channels/?try=1&source=acme").content.decode()
    assert '<strong id="trial">Partners</strong>' in page
    manager.post("/ingest/settings/channels/", {"reset": "1"})
    assert not ChannelRuleSet.objects.filter(active=True).exists()
    forget_channel_rules()
