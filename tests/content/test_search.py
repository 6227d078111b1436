"""Ranked full-text search in the database: filters, snippets, typos, the API."""

import pytest
from django.urls import reverse
from tests.http import call

from smarketing.content.actions import do_create_asset, do_update_asset
from smarketing.content.selectors import search_assets

pytestmark = pytest.mark.django_db


def titles(**kw):
    return [a.title for a in search_assets(**kw)[0]]


def test_search_finds_a_phrase_from_the_body_ranked_with_snippet(library):
    assets, result = search_assets(q="multi-year discount")
    assert [a.title for a in assets] == ["Pricing sheet 2026"] and result.total == 1
    assert assets[0].score > 0
    assert "<mark>discount</mark>" in assets[0].snippet
    # Title matches outrank body matches.
    assert titles(q="security")[0] == "Security overview"
    # Prefix of the last word, for a rep still typing.
    assert titles(q="shapl") == ["Attribution notes"]


def test_filters_by_persona_stage_topic_and_kind(library, personas):
    fred = personas["finance-fred"]
    assert set(titles(persona_id=fred.pk)) == {"Pricing sheet 2026", "Product deck"}
    assert titles(persona_id=fred.pk, stage="sql") == ["Product deck"]
    assert titles(topic="security") == ["Security overview"]
    assert titles(kind="deck", q="routing") == ["Product deck"]
    assert titles(q="routing", kind="blog") == []


def test_typo_is_corrected_and_said(library):
    assets, result = search_assets(q="atribution")
    assert result.corrected == "attribution" and [a.title for a in assets] == ["Attribution notes"]
    assert search_assets(q="zzzzqqq")[1].total == 0


def test_operators_and_markup_in_queries_and_text_are_plain_text(library, marketer):
    do_create_asset(
        title="Tricky <b>title</b>",
        kind="blog",
        filename="x.html",
        by=marketer,
        data=b"<p>&lt;script&gt;alert('x')&lt;/script&gt; NEAR OR AND quoted \"words\"</p>",
    )
    assets, _ = search_assets(q='quoted" OR NEAR(')
    assert [a.title for a in assets] == ["Tricky <b>title</b>"]
    assert "<script>" not in assets[0].snippet and "&lt;script&gt;" in assets[0].snippet


def test_retagging_updates_the_index(library, personas):
    deck = library["Product deck"]
    do_update_asset(
        asset=deck,
        title="Product deck",
        kind="deck",
        personas=[],
        stages=["mql"],
        topics=["product"],
        industries=[],
        review_at=None,
    )
    assert titles(stage="sql") == ["Security overview"]
    assert titles(stage="mql") == ["Product deck"]


def test_library_page_searches_and_escapes(client, library, rep):
    client.force_login(rep)
    page = client.get(reverse("content:library"), {"q": "single sign-on"})
    assert page.status_code == 200
    assert [a.title for a in page.context["assets"]] == ["Security overview"]
    assert b"<mark>" in page.content
    assert (
        client.get(reverse("content:library"), {"persona": "x", "stage": "nope"}).status_code == 200
    )


@pytest.mark.django_db(transaction=True)
def test_search_and_detail_api(live_server, library, api_token):
    _, token = api_token
    status, body, _ = call(
        "GET", f"{live_server.url}/api/content/assets?q=payback&kind=pricing_sheet", token=token
    )
    assert status == 200 and body["count"] == 1
    hit = body["results"][0]
    assert hit["title"] == "Pricing sheet 2026" and hit["score"] > 0 and "<mark>" in hit["snippet"]
    status, body, _ = call("GET", f"{live_server.url}/api/content/assets/{hit['id']}", token=token)
    assert status == 200 and "ten percent discount" in body["body"]
    status, body, _ = call("GET", f"{live_server.url}/api/content/assets?stage=bogus", token=token)
    assert status == 422 and "bogus" in str(body)
    assert call("GET", f"{live_server.url}/api/content/assets/999999", token=token)[0] == 404
