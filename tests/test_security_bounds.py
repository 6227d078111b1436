"""API bodies and values outside their bounds: 4xx naming the problem, nothing changed."""

import json

import pytest

from smarketing.core.actions import do_create_token
from smarketing.crm.models import Contact
from smarketing.planning.models import Goal

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_token(make_user):
    user = make_user("boss", team="Sales", role="manager")
    rep = make_user("rep", team="Sales", role="member")
    return user, rep, do_create_token(user=user, name="t", scopes=["read", "write"])[1]


def send(client, method, url, token, raw):
    return client.generic(
        method, url, data=raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.parametrize("raw", ["-364", '"x"', "[]", "null", "[1, 2]", "true"])
def test_assign_with_a_body_that_is_not_an_object_moves_nothing(client, manager_token, raw):
    _, rep, token = manager_token
    lead = Contact.objects.create(email="lead@example.com", owner=rep)
    response = send(client, "POST", f"/api/leads/{lead.pk}/assign", token, raw)
    assert response.status_code == 422, response.content
    assert "JSON object" in json.dumps(response.json())
    lead.refresh_from_db()
    assert lead.owner == rep


@pytest.mark.parametrize("owner_id", [10**30, 2**63, -5, 0])
def test_assign_to_an_owner_id_out_of_range_is_422(client, manager_token, owner_id):
    _, rep, token = manager_token
    lead = Contact.objects.create(email="lead@example.com", owner=rep)
    raw = json.dumps({"owner_id": owner_id})
    response = send(client, "POST", f"/api/leads/{lead.pk}/assign", token, raw)
    assert response.status_code == 422, response.content
    lead.refresh_from_db()
    assert lead.owner == rep


@pytest.mark.parametrize(
    "body",
    [
        {"revenue": "0.001"},
        {"revenue": 0.001},
        {"revenue": 0},
        {"revenue": -5},
        {"revenue": "1e20"},
        {"revenue": "NaN"},
        {"revenue": "Infinity"},
        {"revenue": 10**13},
        {"revenue": 1000, "deal_size": "0.005"},
        {"revenue": 1000, "lead_to_customer": 7},
    ],
)
def test_goal_money_out_of_the_field_range_is_422(client, make_user, body):
    admin = make_user("root", role="admin")
    token = do_create_token(user=admin, name="t", scopes=["read", "write", "admin"])[1]
    response = send(client, "PUT", "/api/planning/goals/2026-Q1", token, json.dumps(body))
    assert response.status_code == 422, response.content
    assert not Goal.objects.exists()


def test_goal_at_the_top_of_the_range_is_stored(client, make_user):
    admin = make_user("root", role="admin")
    token = do_create_token(user=admin, name="t", scopes=["read", "write", "admin"])[1]
    body = json.dumps({"revenue": "999999999999.99"})
    response = send(client, "PUT", "/api/planning/goals/2026-Q1", token, body)
    assert response.status_code == 200, response.content
    assert str(Goal.objects.get().revenue) == "999999999999.99"


@pytest.mark.parametrize(
    "raw, status",
    [
        ('{"a":' * 100 + "1" + "}" * 100, 400),
        ("[" * 50_000 + "]" * 50_000, 400),
        ('{"owner_id": ' + "7" * 5_000 + "}", 400),
        ('{"owner_id": 100000000000000000000}', 422),
        ('{"note": "a\\u0000b"}', 400),
    ],
)
def test_json_shape_limits_on_any_api_body(client, manager_token, raw, status):
    _, rep, token = manager_token
    lead = Contact.objects.create(email="lead@example.com", owner=rep)
    response = send(client, "POST", f"/api/leads/{lead.pk}/assign", token, raw)
    assert response.status_code == status, response.content[:200]


def test_query_integers_beyond_64_bits_name_the_parameter(client, manager_token):
    _, _, token = manager_token
    response = client.get(
        "/api/contacts?offset=100000000000000000000", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["offset"]
    response = client.get("/api/contacts?search=%00", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
