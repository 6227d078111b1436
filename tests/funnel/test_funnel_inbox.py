"""The sales lead inbox page and the handoff API; one browser run (log attempt + accept)."""

import datetime as dt

import pytest
from django.urls import reverse

from smarketing.crm.actions import do_create_contact, do_record_touchpoint
from smarketing.funnel.actions import do_change_stage, do_qualify_lead, do_route_lead
from smarketing.funnel.models import LeadReview
from smarketing.sla.models import LeadClock


def _leads(rep, n=2):
    out = []
    for i in range(n):
        c = do_create_contact(email=f"l{i}@x.io", first_name=f"Lead{i}", country="US")
        do_change_stage(contact=c, to_stage="mql", rule="test")
        do_route_lead(contact=c)
        out.append(c)
    hr = do_create_contact(email="hr@x.io", first_name="Raiser", country="US")
    do_record_touchpoint(
        kind="form_submit",
        occurred_at=dt.datetime.now(dt.UTC),
        contact=hr,
        url="https://x.io/contact-sales",
    )
    do_qualify_lead(contact=hr)
    return [*out, hr]


@pytest.fixture
def rep(make_user):
    return make_user("rita", team="Sales", territory="US")


@pytest.mark.django_db
def test_inbox_lists_hand_raisers_first_with_clocks(client, rep):
    leads = _leads(rep)
    client.force_login(rep)
    page = client.get(reverse("funnel:inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Raiser") < html.index("Lead0")  # hand-raiser first
    assert "First touch" in html and "due in" in html and "Log attempt" in html
    assert LeadClock.objects.filter(contact__in=leads).count() == 3


@pytest.mark.django_db
def test_inbox_actions_and_permissions(client, rep, make_user):
    lead = _leads(rep, n=1)[0]
    other = make_user("otto", team="Sales")
    client.force_login(other)
    assert client.post(reverse("funnel:accept", args=[lead.pk])).status_code == 403
    assert (
        client.get(reverse("funnel:inbox") + "?rep=queue").status_code == 403
    )  # members: no queue
    client.force_login(rep)
    r = client.post(reverse("funnel:reject", args=[lead.pk]), {"reason_code": ""}, follow=True)
    assert "a rejection needs a reason code" in r.content.decode()
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql" and not LeadReview.objects.exists()
    client.post(
        reverse("funnel:attempt", args=[lead.pk]), {"channel": "call", "outcome": "connected"}
    )
    client.post(reverse("funnel:accept", args=[lead.pk]), {"quality_rating": "4"})
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "sal"
    clock = LeadClock.objects.get(contact=lead)
    assert (clock.attempts, clock.status_first_touch, clock.decision) == (1, 1, "accepted")


@pytest.mark.django_db
def test_manager_sees_queue_and_reassigns(client, rep, make_user):
    boss = make_user("boss", team="Sales", role="manager")
    rep.profile.team.manager = boss
    rep.profile.team.save()
    lead = do_create_contact(email="q@x.io", first_name="Queued", country="JP")
    do_change_stage(contact=lead, to_stage="mql", rule="test")
    rep.profile.capacity = 0
    rep.profile.save()
    assert do_route_lead(contact=lead).rule == "queue"
    client.force_login(boss)
    assert "Queued" in client.get(reverse("funnel:inbox") + "?rep=queue").content.decode()
    client.post(reverse("funnel:assign", args=[lead.pk]), {"owner": rep.pk})
    lead.refresh_from_db()
    assert lead.owner == rep and LeadClock.objects.filter(contact=lead, owner=rep).exists()


@pytest.mark.django_db
def test_handoff_api(client, rep):
    lead = _leads(rep, n=1)[0]
    client.force_login(rep)
    r = client.get("/api/inbox")
    assert r.status_code == 200 and r.json()[0]["priority"] == "hand_raiser"
    r = client.post(
        f"/api/leads/{lead.pk}/reject", {"reason_code": "nope"}, content_type="application/json"
    )
    assert r.status_code == 422 and "reason_code" in r.json()["detail"]
    r = client.post(
        f"/api/leads/{lead.pk}/attempts",
        {"channel": "email", "outcome": "replied"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["kind"] == "sales_email"
    r = client.post(
        f"/api/leads/{lead.pk}/reject",
        {"reason_code": "too_early", "quality_rating": 2},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["stage"] == "recycled"
    clocks = client.get(f"/api/sla/clocks?contact_id={lead.pk}").json()["items"]
    assert clocks[0]["status_first_touch"] == "met" and clocks[0]["decision"] == "rejected"
    assert (
        client.post(
            f"/api/leads/{lead.pk}/assign", {"owner_id": None}, content_type="application/json"
        ).status_code
        == 403
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_inbox_in_chromium(live_server, page, make_user):
    rep = make_user("rita", team="Sales", territory="US")
    lead = _leads(rep, n=1)[0]
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", "pw-rita")
    page.click("button[type=submit]")
    page.goto(live_server.url + reverse("funnel:inbox"))
    row = page.locator(f"tr[data-contact='{lead.pk}']")
    row.locator("select[name=channel]").select_option("call")
    row.locator("select[name=outcome]").select_option("connected")
    row.locator("button[name=log]").click()
    page.wait_for_selector("text=attempt logged")
    row = page.locator(f"tr[data-contact='{lead.pk}']")
    assert "met" in row.inner_text()
    row.locator("select[name=quality_rating]").select_option("5")
    row.locator("button[name=accept]").click()
    page.wait_for_selector("text=accepted")
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "sal"
