"""The web shell: login required, every navigation page renders, detail pages work."""

import pytest
from django.urls import reverse

from smarketing.web.context import NAVIGATION

pytestmark = pytest.mark.django_db


def test_pages_require_login(client):
    response = client.get(reverse("web:leads"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_every_navigation_page_renders(client, demo_company):
    assert client.login(username="sam", password="smarketing-demo")
    for label, name in NAVIGATION:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert label.encode() in response.content


def test_home_and_details_show_demo_data(client, demo_company):
    from smarketing.crm.models import Account, Contact

    assert client.login(username="sam", password="smarketing-demo")
    home = client.get(reverse("web:home"))
    assert b"People by lifecycle stage" in home.content
    contact = Contact.objects.filter(lifecycle_stage="customer").first()
    page = client.get(reverse("web:contact", args=[contact.pk]))
    assert (
        page.status_code == 200 and b"Stage history" in page.content and b"deal won" in page.content
    )
    account = Account.objects.first()
    assert client.get(reverse("web:account", args=[account.pk])).status_code == 200
    assert client.get(reverse("web:leads") + "?stage=mql&q=a").status_code == 200


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
