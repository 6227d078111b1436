"""Every ``next`` is checked with Django's url_has_allowed_host_and_scheme: no open redirect."""

import pytest

from smarketing.crm.models import Contact

pytestmark = pytest.mark.django_db

HOSTILE = [
    "//evil.example/phish",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    " //evil.example",
]


def _offsite(location: str) -> bool:
    return "evil.example" in location or location.startswith(("javascript:", "http"))


@pytest.mark.parametrize("target", HOSTILE)
def test_inbox_actions_never_redirect_off_site(client, make_user, target):
    rep = make_user("sam", team="Sales")
    lead = Contact.objects.create(email="lead@example.com", owner=rep)
    client.force_login(rep)
    response = client.post(
        f"/funnel/inbox/{lead.pk}/attempt",
        {"channel": "call", "outcome": "no_answer", "next": target},
    )
    assert response.status_code == 302
    assert not _offsite(response["Location"]), response["Location"]


def test_inbox_actions_keep_an_on_site_next(client, make_user):
    rep = make_user("sam", team="Sales")
    lead = Contact.objects.create(email="lead@example.com", owner=rep)
    client.force_login(rep)
    response = client.post(
        f"/funnel/inbox/{lead.pk}/attempt", {"channel": "call", "next": "/funnel/inbox/?page=2"}
    )
    assert response["Location"] == "/funnel/inbox/?page=2"


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("sam", team="Sales")
    response = client.post("/login/", {"username": "sam", "password": "pw-sam", "next": target})
    assert response.status_code == 302
    assert not _offsite(response["Location"]), response["Location"]
