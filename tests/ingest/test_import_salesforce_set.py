"""A Salesforce org moved over file by file: Contacts before Accounts (links in any order),
Leads, Opportunities, CampaignMembers, Tasks; history arrives as touchpoints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from smarketing.attribution.selectors import parse_query, run
from smarketing.crm.models import Account, Contact, Deal, Touchpoint
from smarketing.ingest.csvimport.actions import do_create_job, do_run_import
from smarketing.ingest.formats import detect_format

SET = Path(__file__).parent / "samples" / "salesforce_set"
ORDER = (
    "Contact", "Account", "Lead", "Opportunity", "OpportunityContactRole", "CampaignMember", "Task",
)  # fmt: skip
WITH_ERRORS = ("Task", "OpportunityContactRole")
FORMATS = {
    "Contact": "salesforce-contacts",
    "Account": "salesforce-accounts",
    "Lead": "salesforce-leads",
    "Opportunity": "salesforce-opportunities",
    "OpportunityContactRole": "salesforce-opportunity-contact-roles",
    "CampaignMember": "salesforce-campaign-members",
    "Task": "salesforce-tasks",
}
UTC = dt.UTC
pytestmark = pytest.mark.django_db(transaction=True)


def import_set():
    summaries = {}
    for name in ORDER:
        job = do_create_job(path=SET / f"{name}.csv")
        summaries[name] = do_run_import(job=job)
        assert summaries[name]["format"] == FORMATS[name]
    return summaries


@pytest.mark.parametrize("name", ORDER)
def test_each_file_is_detected(name):
    headers = (SET / f"{name}.csv").read_bytes().decode("utf-8-sig", "replace").splitlines()[0]
    assert detect_format([h.strip('"') for h in headers.split(",")]).name == FORMATS[name]


def test_the_org_arrives_whole():
    s = import_set()
    assert all(not s[n]["errors"] for n in ORDER if n not in WITH_ERRORS), {n: s[n]["errors"] for n in s}
    # Contacts came first and named their accounts by 15-character id: the Account export
    # (18-character ids) filled those same accounts in.
    assert Account.objects.count() == 3 + 6  # the three accounts, the leads' six companies
    assert not Account.objects.filter(name__startswith="Account ").exists()
    globex = Account.objects.get(domain="globex.com.co")
    assert globex.name == "Globex Colombia S.A.S." and globex.industry == "Manufactura"
    assert globex.country == "CO" and globex.owner_id is None
    assert globex.custom == {"Region__c": "LATAM", "Description": "Cliente desde 2019"}
    ines = Contact.objects.get(email="ines.garcía238@globex.io")
    assert ines.account_id == globex.pk and ines.custom == {"Favorite_Topic__c": "Precios"}
    assert ines.original_source == "Web" and ines.original_channel == "Direct"
    assert not ines.stage_changes.exists()  # a Contact export names no lifecycle stage
    assert Contact.objects.get(email="jose.nunez@umbrella.mx").account.name == "Umbrella México"
    lars = Contact.objects.get(last_name="Ørsted")
    assert lars.email == "lars@xn--rsted-energi-ujb.dk" and lars.lifecycle_stage == "disqualified"
    # Deals get their accounts (18-character ids), amounts and currencies.
    won = Deal.objects.get(name="Globex - Planta 2")
    assert won.account_id == globex.pk and won.amount == Decimal("45000000.00")
    assert (won.currency, won.stage, won.is_won) == ("COP", "closed_won", True)
    assert won.custom == {"Competidor__c": "Initech"}
    pilot = Deal.objects.get(name="Umbrella - Piloto")
    assert pilot.account.name == "Umbrella México" and pilot.currency == "MXN"
    # Contact roles: the buying committees, the primary contact, unknown deals reported.
    from smarketing.crm.models import DealContact

    committee = {
        (dc.deal.name, dc.contact.last_name, dc.role) for dc in DealContact.objects.all()
    }
    assert committee == {
        ("Globex - Planta 2", "García", "decision_maker"),
        ("Umbrella - Piloto", "Müller", "influencer"),
        ("Umbrella - Piloto", "Núñez", "other"),
    }
    won.refresh_from_db()
    assert won.primary_contact_id == ines.pk
    assert [e["value"] for e in s["OpportunityContactRole"]["errors"]] == ["0065e00000OpZzZAAV"]
    # History as touches, each marked with where it came from.
    first = Touchpoint.objects.get(contact=ines, kind="source")
    assert first.occurred_at == dt.datetime(2026, 1, 5, 14, tzinfo=UTC)
    assert (first.channel, first.imported_from) == ("Direct", "salesforce: LeadSource")
    call = Touchpoint.objects.get(contact=ines, kind="sales_call")
    assert (call.team, call.outcome, call.email_subject) == (
        "sales",
        "connected",
        "Llamada de descubrimiento",
    )
    assert call.imported_from == "salesforce: ActivityDate"
    webinar = Touchpoint.objects.get(contact__email="jose.nunez@umbrella.mx")
    assert webinar.kind == "campaign_member" and webinar.campaign.name == "Webinar Industria 4.0"
    assert webinar.occurred_at == dt.datetime(2026, 2, 1, tzinfo=UTC)
    assert webinar.properties["status"] == "Asistió"
    assert webinar.imported_from == "salesforce: FirstRespondedDate"
    # The task on a person never imported is reported with its id, the others are in.
    assert [e["value"] for e in s["Task"]["errors"]] == ["0035e00000ZzZzZAAV"]
    assert "import the Lead, Contact and Account exports first" in s["Task"]["errors"][0]["reason"]
    # Re-importing every file adds nothing.
    touches = Touchpoint.objects.count()
    again = import_set()
    changed = {n: again[n]["objects"] for n in ORDER if again[n]["created"] or again[n]["updated"]}
    assert not changed, changed
    assert Touchpoint.objects.count() == touches


def test_no_touch_holds_under_a_fifth_of_lead_credit():
    import_set()
    result = run(parse_query({"model": "first_touch", "conversion": "lead"})).to_dict()
    total = sum(c["conversions"] for c in result["credits"])
    none = sum(c["conversions"] for c in result["credits"] if c["key"] == "(no touch)")
    assert total == pytest.approx(10)  # 6 leads + 4 contacts
    assert none / total < 0.20


HUBSPOT = Path(__file__).parent / "samples" / "hubspot_set"


def test_a_hubspot_portal_arrives_whole():
    """Contacts before companies (linked by Associated Company ID), then calls and meetings."""
    formats = {}
    summaries = {}
    for name in ("contacts", "companies", "calls", "meetings"):
        summaries[name] = do_run_import(job=do_create_job(path=HUBSPOT / f"{name}.csv"))
        formats[name] = summaries[name]["format"]
    assert formats == {
        "contacts": "hubspot-contacts",
        "companies": "hubspot-companies",
        "calls": "hubspot-calls",
        "meetings": "hubspot-meetings",
    }
    zoe = Contact.objects.get(email="zoë.rossi@hooli.xyz")
    assert zoe.account.name == "Hooli S.r.l." and zoe.account.domain == "hooli.xyz"
    assert zoe.account.custom == {"Lifecycle Stage": "Lead", "Annual Revenue": "12000000"}
    assert zoe.custom == {"Favorite Content Topics": "pricing, security"}
    rene = Contact.objects.get(email="rene@xn--bckerei-mller-bfb28a.de")
    assert rene.account.name == "Bäckerei Müller GmbH"
    touches = {
        (t.kind, t.occurred_at, t.channel, t.source, t.outcome, t.imported_from)
        for t in Touchpoint.objects.filter(contact=zoe)
    }
    assert touches == {
        ("source", dt.datetime(2026, 1, 10, 9, tzinfo=UTC), "Organic Search", "google", "",
         "hubspot: Original Source"),
        ("source", dt.datetime(2026, 2, 1, 12, tzinfo=UTC), "Paid Social", "Paid Social", "",
         "hubspot: Latest Source"),
        ("sales_call", dt.datetime(2026, 1, 15, 14, tzinfo=UTC), "Sales outreach", "hubspot",
         "connected", "hubspot: Activity date"),
        ("sales_call", dt.datetime(2026, 1, 16, 9, tzinfo=UTC), "Sales outreach", "hubspot",
         "voicemail", "hubspot: Activity date"),
        ("meeting", dt.datetime(2026, 2, 24, 20, 55, tzinfo=UTC), "Sales outreach", "hubspot",
         "", "hubspot: Meeting start time"),
    }  # fmt: skip
    # One call on two contacts is a touch on each; a call on an unknown contact is reported.
    assert Touchpoint.objects.filter(contact=rene, kind="sales_call").count() == 1
    assert [e["value"] for e in summaries["calls"]["errors"]] == ["999"]
    first = Touchpoint.objects.get(
        contact=zoe, kind="source", imported_from__endswith="Original Source"
    )
    assert first.properties == {
        "source_value": "Organic Search",
        "detail_1": "google",
        "detail_2": "crm migration",
    }
