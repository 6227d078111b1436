"""Recommendations with their reason, influence on won deals, and the gap report."""

import pytest
from django.urls import reverse
from tests.http import call

from smarketing.content.actions import do_mark_gap_answered, do_share
from smarketing.content.recommend import content_gaps, recommend_for_contact
from smarketing.crm.actions import do_create_contact, do_create_deal, do_move_deal
from smarketing.crm.models import SalesInsight

pytestmark = pytest.mark.django_db


@pytest.fixture
def won_with_fred(library, personas, rep, contact):
    """Two won deals whose Finance Fred buyers got the product deck."""
    for n in range(2):
        buyer = do_create_contact(email=f"cfo{n}@won.example", persona=personas["finance-fred"])
        deal = do_create_deal(name=f"Won {n}", amount="1000", primary_contact=buyer)
        do_share(asset=library["Product deck"], contact=buyer, by=rep)
        do_move_deal(deal=deal, stage="closed_won")
    return library


def test_recommendations_rank_by_won_deals_with_the_reason(won_with_fred, contact):
    recs = recommend_for_contact(contact)
    assert recs[0].asset.title == "Product deck"
    assert recs[0].reason.startswith("used in 2 won deals with Finance Fred at SQL")
    assert all(r.asset.title != "Security overview" for r in recs)  # not for Fred


def test_what_the_buyer_saw_is_not_recommended_again(won_with_fred, contact, rep, client):
    from smarketing.content.actions import do_start_visit

    link = do_share(asset=won_with_fred["Product deck"], contact=contact, by=rep)
    do_start_visit(link=link, user_agent="Mozilla/5.0 Chrome/130")
    assert "Product deck" not in [r.asset.title for r in recommend_for_contact(contact)]
    client.force_login(rep)
    page = client.get(reverse("content:contact", args=[contact.pk]))
    assert page.status_code == 200 and b"Product deck" in page.content


def test_influence_counts_won_revenue(won_with_fred, client, rep):
    from smarketing.content.selectors import asset_influence

    influence = asset_influence(won_with_fred["Product deck"])
    assert influence.won_deals == 2 and influence.revenue == 2000 and influence.shares == 2


def test_gap_report_clusters_unanswered_questions(library, personas, rep, client):
    fred = personas["finance-fred"]
    for text in [
        "Do you integrate with Slack for alerts?",
        "Can we get Slack alerts on new leads?",
    ]:
        SalesInsight.objects.create(kind="question", text=text, persona=fred, stage="sql", by=rep)
    answered = SalesInsight.objects.create(
        kind="question", text="Is there single sign-on with SAML?", persona=fred, by=rep
    )
    gaps = content_gaps()
    assert [(g.count, g.text) for g in gaps] == [(2, "Can we get Slack alerts on new leads?")]
    assert gaps[0].personas == ["Finance Fred"] and gaps[0].stages == ["sql"]
    assert answered.pk not in gaps[0].insight_ids
    do_mark_gap_answered(
        insight=SalesInsight.objects.get(text__startswith="Do you"), asset=library["Product deck"]
    )
    assert content_gaps()[0].count == 1
    client.force_login(rep)
    assert b"Slack alerts" in client.get(reverse("content:gaps")).content


@pytest.mark.django_db(transaction=True)
def test_recommendation_and_gap_api(live_server, won_with_fred, contact, api_token):
    _, token = api_token
    status, body, _ = call(
        "GET", f"{live_server.url}/api/content/recommendations?contact_id={contact.pk}", token=token
    )
    assert (
        status == 200 and body[0]["title"] == "Product deck" and "2 won deals" in body[0]["reason"]
    )
    assert (
        call("GET", f"{live_server.url}/api/content/recommendations?contact_id=0", token=token)[0]
        == 404
    )
    SalesInsight.objects.create(kind="question", text="Does it run on a mainframe?")
    status, body, _ = call("GET", f"{live_server.url}/api/content/gaps", token=token)
    assert (
        status == 200 and body[0]["text"] == "Does it run on a mainframe?" and body[0]["count"] == 1
    )


def test_unused_content_page(client, library, contact, rep):
    do_share(asset=library["Product deck"], contact=contact, by=rep)
    client.force_login(rep)
    page = client.get(reverse("content:unused"), {"days": "30"})
    titles = [a.title for a in page.context["assets"]]
    assert "Product deck" not in titles and "Pricing sheet 2026" in titles
    assert "3</strong> of 4 assets (75%" in page.content.decode()
    assert client.get(reverse("content:unused"), {"days": "x"}).status_code == 200
