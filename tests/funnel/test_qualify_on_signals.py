"""Website and form leads flow into the funnel by themselves (issue 18 item 1-2).

Every input of the MQL rule (a form fill, a score change, an identify, a new lead) goes through
``do_evaluate_leads``: the lead becomes an MQL, is routed, its SLA clock starts, and the
``lead.created`` / ``lead.mql`` / ``lead.assigned`` webhooks are queued.
"""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from smarketing.crm.actions import do_create_contact, do_record_touchpoint
from smarketing.crm.models import Contact
from smarketing.funnel.actions import do_change_stage, do_evaluate_leads
from smarketing.funnel.models import LeadAssignment, MqlRule
from smarketing.ingest.models import InboundForm, TrackingSite, WebhookDelivery, WebhookEndpoint
from smarketing.sla.actions import ensure_active_sla

pytestmark = pytest.mark.django_db

ORIGIN = "https://www.example.com"


@pytest.fixture
def rep(make_user):
    return make_user("rep", team="Sales", capacity=10)


@pytest.fixture
def sla():
    return ensure_active_sla()


@pytest.fixture
def hooks():
    return WebhookEndpoint.objects.create(name="CRM", url="http://127.0.0.1:9/hook")


def _kinds():
    return sorted(WebhookDelivery.objects.values_list("kind", flat=True))


def _signed(client, form, body):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(form.secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        f"/ingest/forms/{form.pk}", data=raw, content_type="application/json",
        HTTP_X_SMARKETING_SIGNATURE=signature,
    )  # fmt: skip


def test_inbound_demo_form_makes_an_assigned_mql_with_a_clock(
    client, rep, sla, hooks, django_capture_on_commit_callbacks
):
    form = InboundForm.objects.create(
        name="Demo request",
        field_mapping={"submission_id": "id", "email": "email"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _signed(client, form, {"id": "s1", "email": "Zoe@Globex.io"})
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(email="zoe@globex.io")
    assert contact.lifecycle_stage == "mql"
    assignment = LeadAssignment.objects.get(contact=contact, is_current=True)
    assert assignment.owner == rep and assignment.priority == "hand_raiser"
    clock = contact.sla_clocks.get()
    assert clock.owner == rep and clock.decided_at is None and clock.first_touch_due
    kinds = _kinds()
    for kind in ("lead.created", "lead.mql", "lead.assigned"):
        assert kind in kinds, kinds
    # The rep sees the clock (and the score card) on the contact page.
    client.force_login(rep)
    page = client.get(f"/leads/{contact.pk}/").content.decode()
    assert "First touch" in page and "due in" in page and "Score" in page


def test_tracked_form_id_from_the_snippet_is_a_hand_raiser(
    client, rep, django_capture_on_commit_callbacks
):
    site = TrackingSite.objects.create(name="Web", allowed_origins=[ORIGIN])
    events = [
        {"type": "page_view", "anonymous_id": "v-9", "event_id": "p1", "url": ORIGIN + "/pricing"},
        {
            "type": "form_submit", "anonymous_id": "v-9", "event_id": "f1",
            "url": ORIGIN + "/talk-to-us", "form_id": "contact-sales", "email": "ines@globex.io",
        },
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/ingest/collect?key={site.public_key}", data=json.dumps({"events": events}),
            content_type="text/plain", HTTP_ORIGIN=ORIGIN,
        )  # fmt: skip
    assert response.status_code in (200, 202), response.content
    contact = Contact.objects.get(email="ines@globex.io")
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql", contact.lifecycle_stage
    assert contact.owner == rep


def test_rejected_lead_needs_a_new_hand_raise(rep, django_capture_on_commit_callbacks):
    now = timezone.now()
    contact = do_create_contact(email="r@x.io")
    do_record_touchpoint(
        kind="form_submit", occurred_at=now - dt.timedelta(days=3), contact=contact,
        url="https://x.io/demo-request",
    )  # fmt: skip
    do_change_stage(contact=contact, to_stage="mql", at=now - dt.timedelta(days=2), rule="t")
    do_change_stage(
        contact=contact, to_stage="recycled", at=now - dt.timedelta(days=1), reason="not now"
    )
    assert do_evaluate_leads(contact_ids=[contact.pk], trigger="score") == []
    with django_capture_on_commit_callbacks(execute=True):
        do_record_touchpoint(
            kind="form_submit", occurred_at=now, contact=contact, url="https://x.io/demo-request"
        )
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"


def test_score_threshold_qualifies_on_rescore(rep, django_capture_on_commit_callbacks):
    from smarketing.funnel.scores import LeadScores, register_score_provider

    MqlRule.objects.create(min_fit_score=10, min_engagement_score=None, active=True)
    contact = do_create_contact(email="s@x.io")
    register_score_provider(lambda ids: {i: LeadScores(fit=50, engagement=5) for i in ids})
    try:
        from smarketing.scoring.signals import contacts_rescored

        with django_capture_on_commit_callbacks(execute=True):
            contacts_rescored.send(sender=None, contact_ids=[contact.pk])
    finally:
        register_score_provider(None)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"


def test_a_future_form_time_is_clamped_and_flagged(client, django_capture_on_commit_callbacks):
    form = InboundForm.objects.create(
        name="Ebook", field_mapping={"submission_id": "id", "email": "email", "occurred_at": "at"}
    )
    response = _signed(client, form, {"id": "s2", "email": "f@x.io", "at": "2031-01-01T00:00:00Z"})
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(email="f@x.io")
    assert contact.created_at <= timezone.now()
    touch = contact.touchpoints.get(kind="form_submit")
    assert touch.properties["submitted_at_clamped_from"].startswith("2031-01-01")


def test_company_and_country_are_stored_not_thrown_away(client):
    """Inbound form: `company` finds or creates the account, `country` fills the contact's."""
    from smarketing.crm.models import Account

    form = InboundForm.objects.create(
        name="Ebook",
        field_mapping={
            "submission_id": "id", "email": "email", "company": "org", "country": "cc",
        },
    )  # fmt: skip
    globex = Account.objects.create(name="Globex", domain="globex.io")
    assert _signed(client, form, {"id": "a", "email": "ana@globex.io", "org": "x", "cc": "es"})
    assert _signed(client, form, {"id": "b", "email": "bo@gmail.com", "org": "Initech", "cc": "DE"})
    ana, bo = Contact.objects.get(email="ana@globex.io"), Contact.objects.get(email="bo@gmail.com")
    assert (ana.account, ana.country) == (globex, "ES")  # the email's domain wins
    assert (bo.account.name, bo.account.domain, bo.country) == ("Initech", None, "DE")
    # A second person typing the same company joins the same account.
    assert _signed(client, form, {"id": "c", "email": "cy@yahoo.com", "org": " initech "})
    assert Contact.objects.get(email="cy@yahoo.com").account == bo.account
