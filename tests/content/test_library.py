import pytest
from django.urls import reverse

from smarketing.crm.models import ContentAsset, Persona

pytestmark = pytest.mark.django_db


def test_library_filters_by_persona_stage_topic_and_text(client, demo_company):
    assert client.login(username="sam", password="smarketing-demo")
    finance = Persona.objects.get(slug="finance-fred")
    page = client.get(reverse("content:library"), {"persona": finance.pk, "stage": "opportunity"})
    titles = {a.title for a in page.context["assets"]}
    expected = {
        a.title for a in ContentAsset.objects.filter(personas=finance) if "opportunity" in a.stages
    }
    assert titles == expected and "ROI calculator" in titles
    page = client.get(reverse("content:library"), {"topic": "sla", "q": "template"})
    # The title match ranks first; the demo library's other SLA assets mention the template.
    assert [a.title for a in page.context["assets"]][0] == "The smarketing SLA template"
    assert client.get(reverse("content:library"), {"persona": "x"}).status_code == 200
