"""Identity stitching: a visitor who gives an email becomes a contact with their whole journey."""

import hashlib
import hmac
import json

import pytest

from smarketing.core.actions import do_create_token
from smarketing.crm.actions import do_create_contact
from smarketing.crm.models import Campaign, Contact, Touchpoint, VisitorId
from smarketing.funnel.models import StageChange
from smarketing.ingest.actions import do_identify
from smarketing.ingest.models import InboundForm, TrackingSite

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return TrackingSite.objects.create(name="Website", allowed_origins=["*"])


def send(client, site, events):
    response = client.post(
        f"/ingest/collect?key={site.public_key}",
        data=json.dumps({"events": events}),
        content_type="text/plain",
        HTTP_ORIGIN="https://www.example.com",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_form_submit_stitches_earlier_touches_and_later_ones_attach(client, site):
    visitor = "vis-42"
    send(
        client,
        site,
        [
            {"type": "page_view", "anonymous_id": visitor, "event_id": "a",
             "url": "https://www.example.com/?utm_source=linkedin&utm_medium=paid_social",
             "occurred_at": "2025-03-01T09:00:00Z"},
            {"type": "page_view", "anonymous_id": visitor, "event_id": "b",
             "url": "https://www.example.com/pricing", "occurred_at": "2025-03-02T09:00:00Z"},
            {"type": "page_view", "anonymous_id": "someone-else", "event_id": "c",
             "url": "https://www.example.com/"},
        ],
    )  # fmt: skip
    assert Touchpoint.objects.filter(contact__isnull=False).count() == 0
    result = send(
        client,
        site,
        [{"type": "form_submit", "anonymous_id": visitor, "event_id": "d", "form_id": "demo",
          "email": " Jane.Doe@Example.COM ", "first_name": "Jane", "last_name": "Doe",
          "url": "https://www.example.com/demo", "occurred_at": "2025-03-03T09:00:00Z"}],
    )  # fmt: skip
    contact = Contact.objects.get(email="jane.doe@example.com")
    assert result["results"][0]["contact_id"] == contact.pk
    assert (contact.first_name, contact.last_name) == ("Jane", "Doe")
    # Original source and channel come from the visitor's first touch.
    assert (contact.original_source, contact.original_channel) == ("linkedin", "Paid Social")
    journey = list(contact.touchpoints.order_by("occurred_at").values_list("kind", flat=True))
    assert journey == ["page_view", "page_view", "form_submit"]
    assert Touchpoint.objects.get(anonymous_id="someone-else").contact_id is None
    assert VisitorId.objects.get(anonymous_id=visitor).contact == contact
    first = StageChange.objects.get(contact=contact)
    assert (first.from_stage, first.to_stage) == ("", "lead")
    # A later page view of the identified visitor is attached directly.
    later = send(
        client,
        site,
        [{"type": "page_view", "anonymous_id": visitor, "event_id": "e",
          "url": "https://www.example.com/docs"}],
    )  # fmt: skip
    assert later["results"][0]["contact_id"] == contact.pk
    assert contact.touchpoints.count() == 4
    # Identifying again (another form) creates no second contact nor stage row.
    send(client, site, [{"type": "form_submit", "anonymous_id": visitor, "event_id": "f",
                         "email": "jane.doe@example.com"}])  # fmt: skip
    assert Contact.objects.count() == 1 and StageChange.objects.count() == 1


def test_identify_existing_contact_keeps_its_data(db):
    contact = do_create_contact(email="lee@acme.com", first_name="Lee", last_name="")
    Touchpoint.objects.create(
        kind="page_view", occurred_at="2025-03-01T00:00:00Z", anonymous_id="v9", url="/x"
    )
    found, moved = do_identify(
        anonymous_id="v9", email="LEE@acme.com", profile={"first_name": "X", "last_name": "Wu"}
    )
    assert found == contact and moved == 1
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name) == ("Lee", "Wu")


def test_identify_api_call(client, make_user):
    user = make_user("tools", role="manager")
    _, token = do_create_token(user=user, name="t", scopes=["ingest"])
    Touchpoint.objects.create(
        kind="page_view", occurred_at="2025-03-01T00:00:00Z", anonymous_id="v7", url="/x"
    )
    body = {"anonymous_id": "v7", "email": "kim@corp.io"}
    response = client.post(
        "/api/ingest/identify", data=json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["touchpoints_moved"] == 1
    bad = client.post(
        "/api/ingest/identify", data=json.dumps({"anonymous_id": "v7", "email": "kim"}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert bad.status_code == 422 and "email" in bad.json()["detail"]


def _signed(client, form, body, secret=None):
    raw = json.dumps(body).encode()
    signature = (
        "sha256=" + hmac.new((secret or form.secret).encode(), raw, hashlib.sha256).hexdigest()
    )
    return client.post(
        f"/ingest/forms/{form.pk}", data=raw, content_type="application/json",
        HTTP_X_SMARKETING_SIGNATURE=signature,
    )  # fmt: skip


def test_inbound_form_webhook_mapping_signature_and_idempotency(client):
    campaign = Campaign.objects.create(name="Ebook", channel="Paid Social", utm_campaign="ebook")
    form = InboundForm.objects.create(
        name="Typeform ebook",
        field_mapping={
            "submission_id": "event_id",
            "email": "form_response.answers.0.email",
            "first_name": "form_response.hidden.fname",
            "occurred_at": "form_response.submitted_at",
            "anonymous_id": "form_response.hidden.smk_vid",
        },
        default_campaign=campaign,
        default_channel="Paid Social",
    )
    Touchpoint.objects.create(
        kind="page_view", occurred_at="2025-03-01T00:00:00Z", anonymous_id="v-tf", url="/e"
    )
    body = {
        "event_id": "01HX",
        "form_response": {
            "submitted_at": "2025-03-05T12:00:00Z",
            "answers": [{"email": "Ana@Corp.io"}],
            "hidden": {"fname": "Ana", "smk_vid": "v-tf"},
        },
    }
    response = _signed(client, form, body)
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(email="ana@corp.io")
    assert contact.first_name == "Ana"
    touch = Touchpoint.objects.get(kind="form_submit")
    assert (touch.contact, touch.campaign, touch.channel) == (contact, campaign, "Paid Social")
    assert contact.touchpoints.count() == 2  # the earlier anonymous page view was stitched
    # Redelivery of the same submission changes nothing.
    again = _signed(client, form, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Touchpoint.objects.filter(kind="form_submit").count() == 1
    # Bad signature, plain secret header, missing fields.
    assert _signed(client, form, body, secret="wrong").status_code == 401
    unsigned = client.post(f"/ingest/forms/{form.pk}", data=b"{}", content_type="application/json")
    assert unsigned.status_code == 401
    by_secret = client.post(
        f"/ingest/forms/{form.pk}", data=json.dumps({"event_id": "2"}),
        content_type="application/json", HTTP_X_SMARKETING_SECRET=form.secret,
    )  # fmt: skip
    assert by_secret.status_code == 422
    assert "email" in by_secret.json()["detail"]
    assert (
        client.post("/ingest/forms/999999", data=b"{}", content_type="application/json").status_code
        == 404
    )
