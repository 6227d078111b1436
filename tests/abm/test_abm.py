"""Account-based marketing: the ICP document, account fit and engagement, committee coverage,
the account funnel, tiering by hand / CSV / rules, the pages and the API (issue 16)."""

import datetime as dt
import doctest
import importlib
import json
import math

import pytest
from django.utils import timezone

from smarketing.abm.actions import do_recompute_accounts, do_save_icp, do_set_tier
from smarketing.abm.models import AccountProfile, AccountStageChange, IcpVersion
from smarketing.abm.selectors import coverage_for, timeline
from smarketing.analytics.abm import IcpError, default_icp_text, load_icp
from smarketing.crm.models import Account, Contact, Deal, Persona, Touchpoint


@pytest.mark.parametrize(
    "name", ["smarketing.analytics.abm.icp", "smarketing.analytics.abm.engagement"]
)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted and not result.failed


def test_icp_errors_name_line_and_field():
    bad = default_icp_text().replace("min_engaged_personas: 2", "min_engaged_personas: many")
    bad = bad.replace("  - {tier: 1, min_fit: 75}", "  - {tier: 4, min_fit: 75}")
    with pytest.raises(IcpError) as caught:
        load_icp(bad)
    text = [str(e) for e in caught.value.errors]
    assert any("field 'tiers[0].tier': must be <= 3" in t and t.startswith("line ") for t in text)
    assert any("mqa.min_engaged_personas" in t for t in text)
    with pytest.raises(IcpError, match="not valid YAML"):
        load_icp("name: [unclosed")


@pytest.fixture
def company(db):
    fred = Persona.objects.create(name="Finance Fred", slug="fred")
    ian = Persona.objects.create(name="IT Ian", slug="ian")
    Persona.objects.create(name="Ops Olga", slug="olga")
    acme = Account.objects.create(name="Acme", domain="acme.io", industry="Software",
                                  employees=1500, country="US", is_target=True, tier=1)  # fmt: skip
    quiet = Account.objects.create(name="Quiet", domain="quiet.io", industry="Retail",
                                   employees=20, is_target=True, tier=3)  # fmt: skip
    a = Contact.objects.create(email="a@acme.io", account=acme, persona=fred, first_name="Ana")
    b = Contact.objects.create(email="b@acme.io", account=acme, persona=ian, first_name="Bo")
    Contact.objects.create(email="c@quiet.io", account=quiet, persona=fred)
    now = timezone.now()
    for i, (who, kind) in enumerate(
        [(a, "demo"), (a, "email_click"), (b, "meeting"), (b, "page_view"), (a, "webinar")]
    ):
        Touchpoint.objects.create(contact=who, account=acme, kind=kind,
                                  occurred_at=now - dt.timedelta(days=i + 1))  # fmt: skip
    return {"acme": acme, "quiet": quiet, "fred": fred, "ian": ian, "a": a, "b": b, "now": now}


def test_engagement_coverage_and_the_account_funnel(company):
    acme, quiet = company["acme"], company["quiet"]
    assert do_recompute_accounts(account_ids=None, as_of=company["now"]) == 2
    p = AccountProfile.objects.get(account=acme)
    # By hand: demo 15, click 3, meeting 10, page view 1, webinar 6, aged 1..5 days, halved
    # every 30 days; score = 100 * (1 - exp(-points / 60)).
    points = sum(w * 0.5 ** (d / 30) for w, d in [(15, 1), (3, 2), (10, 3), (1, 4), (6, 5)])
    assert p.touches == 5 and p.people == 2
    assert p.engagement == pytest.approx(100 * (1 - math.exp(-points / 60)), abs=0.05)
    assert p.fit == 80.0 and "industry Software +30" in p.fit_reasons
    assert p.engaged_personas == ["Finance Fred", "IT Ian"]
    assert "5 touches from 2 people" in p.engagement_words
    assert p.stage == "engaged"
    cover = coverage_for([acme.pk, quiet.pk])
    assert cover[acme.pk].status() == {"Finance Fred": "engaged", "IT Ian": "engaged",
                                        "Ops Olga": "missing"}  # fmt: skip
    assert cover[quiet.pk].gaps() == [
        "no Finance Fred engaged",
        "no IT Ian known",
        "no Ops Olga known",
    ]
    assert AccountProfile.objects.get(account=quiet).stage == "target"
    # A lower MQA bar makes Acme an MQA; a won deal makes it a customer; never backwards.
    text = default_icp_text().replace("min_engagement: 50", "min_engagement: 30")
    do_save_icp(text=text.replace("min_engagement: 30", "min_engagement: 40"), activate=True)
    do_recompute_accounts(account_ids=[acme.pk], as_of=company["now"])
    assert AccountProfile.objects.get(account=acme).stage == "mqa"
    Deal.objects.create(name="Acme", account=acme, amount=1000, stage="closed_won",
                        is_closed=True, is_won=True, closed_at=company["now"])  # fmt: skip
    do_recompute_accounts(account_ids=[acme.pk], as_of=company["now"])
    stages = list(
        AccountStageChange.objects.filter(account=acme).values_list("to_stage", flat=True)
    )
    assert stages == ["engaged", "mqa", "customer"]


def test_timeline_has_both_teams_and_filters_by_person_and_kind(company):
    acme = company["acme"]
    Touchpoint.objects.create(contact=company["b"], account=acme, kind="sales_call", team="sales",
                              occurred_at=company["now"])  # fmt: skip
    items = timeline(acme)
    assert {i.team for i in items if i.what == "touch"} == {"marketing", "sales"}
    assert [i.title for i in timeline(acme, kind="demo")] == ["Demo"]
    assert {i.contact_id for i in timeline(acme, contact_id=company["a"].pk)} == {company["a"].pk}


def test_tiers_from_a_csv_of_domains_by_a_manager_only(client, company, make_user):
    Account.objects.create(name="Globex", domain="globex.io")
    member = make_user("rep", team="Sales")
    client.force_login(member)
    csv = "\ufeffDomain,Name\r\nGLOBEX.io,Globex\r\nnobody.example,Nobody\r\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("targets.csv", csv, content_type="text/csv")
    assert client.post("/abm/targets/tiers", {"file": upload, "tier": "2"}).status_code == 403
    client.force_login(make_user("mm", team="Marketing", kind="marketing", role="manager"))
    upload = SimpleUploadedFile("targets.csv", csv, content_type="text/csv")
    response = client.post("/abm/targets/tiers", {"file": upload, "tier": "2", "list": "Q1 push"},
                           follow=True)  # fmt: skip
    page = response.content.decode()
    assert "1 accounts tiered from targets.csv" in page and "nobody.example" in page
    globex = Account.objects.get(domain="globex.io")
    assert (globex.tier, globex.is_target) == (2, True)
    assert list(globex.target_lists.values_list("name", flat=True)) == ["Q1 push"]


def test_icp_editor_refuses_an_invalid_document_by_line(client, company, make_user):
    client.force_login(make_user("mm", team="Marketing", kind="marketing", role="manager"))
    bad = default_icp_text().replace("window_days: 90", "window_days: -1")
    page = client.post("/abm/icp/", {"text": bad, "activate": "1"}).content.decode()
    assert "engagement.window_days" in page and IcpVersion.objects.count() == 0
    assert (
        client.post("/abm/icp/", {"text": default_icp_text(), "activate": "1"}).status_code == 302
    )
    assert IcpVersion.objects.get().active


def test_api_accounts_with_tier_scores_stage_and_committee(client, company, api_token):
    do_recompute_accounts(account_ids=None, as_of=company["now"])
    _, token = api_token
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = client.get("/api/accounts?target=true&tier=1", **auth).json()
    items = body["items"]
    assert [i["name"] for i in items] == ["Acme"]
    acme = items[0]
    assert acme["tier"] == 1 and acme["fit_score"] == 80.0 and acme["account_stage"] == "engaged"
    assert acme["committee"]["Ops Olga"] == "missing" and 40 < acme["engagement_score"] < 45
    assert client.get("/api/accounts?tier=7", **auth).status_code == 422
    timeline_rows = client.get(
        f"/api/accounts/{company['acme'].pk}/timeline?kind=demo", **auth
    ).json()
    assert [r["title"] for r in timeline_rows] == ["Demo"]
    tiers = client.post("/api/abm/tiers", data=json.dumps({"account_ids": [company["quiet"].pk], "tier": 2}),
                        content_type="application/json", **auth)  # fmt: skip
    assert tiers.status_code == 200 and Account.objects.get(pk=company["quiet"].pk).tier == 2


@pytest.mark.django_db
def test_abm_pages_on_the_demo_company(client, demo_company, make_user):
    client.force_login(make_user("mm", team="Marketing", kind="marketing", role="manager"))
    assert AccountProfile.objects.exists()  # the demo announced its accounts
    for url in (
        "/abm/",
        "/abm/targets/",
        "/abm/targets/?tier=1",
        "/abm/icp/",
        "/abm/icp/versions/",
    ):
        assert client.get(url).status_code == 200, url
    target = Account.objects.filter(is_target=True).first()
    page = client.get(f"/abm/accounts/{target.pk}/").content.decode()
    assert "Buying committee" in page and "Timeline" in page
    assert client.get("/abm/?period=garbage").status_code == 400
    do_set_tier(accounts=[target.pk], tier=2)
