"""The attribution page (Django client) and the API over real HTTP."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from tests.http import call


@pytest.fixture
def viewer(make_user, client):
    user = make_user("viewer", team="Marketing", kind="marketing")
    client.force_login(user)
    return user


def test_page_renders_controls_table_chart_and_split(built, viewer, client):
    cache.clear()
    r = client.get("/attribution/?model=linear&conversion=opportunity&by=channel")
    assert r.status_code == 200
    html = r.content.decode()
    for needle in ('name="model"', 'name="by"', 'name="conversion"', 'name="since"',
                   'name="until"', 'name="account_level"', 'id="credit-table"',
                   'id="chart-attribution-comparison"', 'id="disagreements"', 'data-team="sales"',
                   "/assets/plotly.js"):  # fmt: skip
        assert needle in html, needle
    assert "Organic Search" in html and "Sales meeting" in html
    assert "cdn" not in html.lower()
    # the navigation points at this page
    assert 'href="/attribution/"' in html


def test_page_shows_intervals_costs_and_disagreements(built, viewer, client):
    cache.clear()
    r = client.get("/attribution/?model=markov&by=campaign&conversion=won&intervals=1")
    html = r.content.decode()
    assert r.status_code == 200
    assert "90% interval" in html and "ROI" in html and "Search Q1" in html
    r = client.get("/attribution/?model=first_touch&conversion=opportunity")
    # first touch gives Paid Search 50%, last touch 0%: a 50-point spread
    assert "Paid Search" in r.content.decode().split('id="disagreements"')[1]


def test_page_bad_input_and_empty_period(built, viewer, client):
    r = client.get("/attribution/?model=nope")
    assert r.status_code == 400 and b"unknown model" in r.content
    r = client.get("/attribution/?model=linear&by=planet")
    assert r.status_code == 400 and b"by:" in r.content
    r = client.get("/attribution/?model=linear&since=2030-01-01")
    assert r.status_code == 200 and b"no conversions" in r.content


def test_page_needs_login(client):
    r = client.get("/attribution/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_csv_export(built, viewer, client):
    r = client.get("/attribution/?model=linear&conversion=won&by=campaign&format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert list(rows[0]) == ["campaign", "conversions", "value", "share", "cost",
                             "cost_per_conversion", "roi"]  # fmt: skip
    search = next(row for row in rows if row["campaign"] == "Search Q1")
    assert float(search["roi"]) == pytest.approx(-0.5)
    assert sum(float(row["conversions"]) for row in rows) == pytest.approx(1)


def test_page_is_cached(built, viewer, client, django_assert_max_num_queries):
    cache.clear()
    url = "/attribution/?model=shapley&conversion=opportunity"
    client.get(url)
    # a refresh reads the cache: session + user + the path set version and staleness, no paths
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


def test_plotly_served_locally(client):
    r = client.get("/attribution/plotly.js")
    assert r.status_code == 200 and b"plotly" in r.content[:2000].lower()


@pytest.mark.django_db(transaction=True)
def test_api_over_http_matches_cli(built, api_token, live_server):
    _, secret = api_token
    cache.clear()
    url = f"{live_server.url}/api/attribution?model=linear&by=team&conversion=opportunity"
    status, body, _ = call("GET", url, token=secret)
    assert status == 200, body
    out = StringIO()
    call_command("attribution", "--model", "linear", "--by", "team", "--conversion",
                 "opportunity", "--json", stdout=out)  # fmt: skip
    assert body == json.loads(out.getvalue())
    assert {c["key"]: round(c["value"], 6) for c in body["credits"]} == {
        "marketing": 750,
        "sales": 450,
    }
    status, body, _ = call(
        "GET", f"{live_server.url}/api/attribution?model=linear&conversion=won&by=campaign",
        token=secret,
    )  # fmt: skip
    row = next(c for c in body["credits"] if c["key"] == "Search Q1")
    assert row["cost"] == 600 and row["roi"] == pytest.approx(-0.5)
    status, body, _ = call(
        "GET", f"{live_server.url}/api/attribution?model=markov&since=2025-03-08&until=2025-03-31"
        "&conversion=opportunity&intervals=true", token=secret,
    )  # fmt: skip
    assert status == 200 and body["total_conversions"] == 1 and "intervals" in body
    for query, field in (("model=nope", "model"), ("model=linear&by=x", "by"),
                         ("model=linear&conversion=x", "conversion"),
                         ("model=linear&since=2030-01-01", "__all__")):  # fmt: skip
        status, body, _ = call("GET", f"{live_server.url}/api/attribution?{query}", token=secret)
        assert status == 422 and field in body["detail"], (query, body)
    status, _, _ = call("GET", f"{live_server.url}/api/attribution?model=linear")
    assert status == 401
