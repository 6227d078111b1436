"""Salesforce exports in the shapes real orgs produce: placeholder ids, 15/18-char ids, Spanish
picklists, Windows-1252, ``0/1`` and ``TRUE/FALSE``, ``02/24/26 08:55 PM`` dates; checked
record by record, field by field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from smarketing.crm.models import Contact, Deal
from smarketing.ingest.csvimport.actions import do_create_job, do_run_import
from smarketing.ingest.csvimport.models import ExternalRef
from smarketing.ingest.formats import parse_file
from smarketing.ingest.formats.sfid import is_placeholder_id, salesforce_id

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db
UTC = dt.UTC


def run(name, **kwargs):
    return do_run_import(job=do_create_job(path=SAMPLES / name, **kwargs))


def history(contact):
    return [(c.from_stage, c.to_stage, c.changed_at) for c in contact.stage_changes.all()]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("001A0000006Vm9r", "001A0000006Vm9rIAC"),
        ("001A0000006Vm9rIAC", "001A0000006Vm9rIAC"),
        ("001a0000006vm9riac", "001A0000006Vm9rIAC"),  # folded by a case-insensitive tool
        (" 001A0000006Vm9r ", "001A0000006Vm9rIAC"),
        ("000000000000000AAA", None),
        ("000000000000000", None),
        ("", None),
        ("EXT-42", "EXT-42"),  # not a Salesforce id: kept as it is
    ],
)
def test_salesforce_ids(raw, expected):
    assert salesforce_id(raw) == expected


def test_placeholder_ids():
    assert is_placeholder_id("000000000000000AAA") and not is_placeholder_id("0000000000000001")


def test_lead_export_fields():
    with parse_file(SAMPLES / "salesforce_leads_dataexport_cp1252.csv") as parsed:
        assert parsed.format_name == "salesforce-leads"
        assert parsed.layout.encoding == "cp1252"
        results = list(parsed)
    assert all(r.ok for r in results), [r.errors for r in results]
    ines = results[0].records[0]
    assert ines.external_id == "00Q5e00000AbCdEEAV"
    assert ines.email == "ines.garcía238@globex.io"
    assert (ines.first_name, ines.last_name) == ("Inés", "García")
    assert ines.lifecycle_stage == "sql"  # "Cerrado - Convertido"
    assert ines.converted is True  # "1"
    assert ines.converted_deal_ref is None  # 000000000000000AAA means none
    assert ines.owner_ref is None
    assert ines.created_at == dt.datetime(2026, 2, 24, 20, 55, tzinfo=UTC)
    zoe = results[1].records[0]
    assert zoe.external_id == "00Q5e00000AbCdFEAV"  # 15 characters in the file
    assert zoe.converted_deal_ref == "0065e00000OpPaAAAV"
    assert zoe.created_at is None
    nadia = results[2].records[0]
    assert nadia.lifecycle_stage == "lead" and nadia.converted is False
    assert nadia.email == "nadia.müller@soylent.net"
    assert results[3].records[0].external_id == zoe.external_id


def test_lead_import_invents_nothing():
    summary = run("salesforce_leads_dataexport_cp1252.csv")
    assert summary["rows_with_errors"] == 0, summary["errors"]
    assert Contact.objects.count() == 3  # the 15- and the 18-character Zoë are one record
    ines = Contact.objects.get(email="ines.garcía238@globex.io")
    # Converted the day she was created (date-only ConvertedDate), without an opportunity:
    # lead then sql, in that order, and no invented opportunity stage.
    assert ines.lifecycle_stage == "sql"
    created = dt.datetime(2026, 2, 24, 20, 55, tzinfo=UTC)
    assert history(ines) == [("", "lead", created), ("lead", "sql", created)]
    assert ines.created_at == created and ines.owner_id is None
    # No CreatedDate: created at the earliest dated fact (the conversion), said in a warning.
    zoe = Contact.objects.get(email="zoë.rossi@hooli.xyz")
    converted = dt.datetime(2026, 1, 15, tzinfo=UTC)
    assert zoe.created_at == converted
    assert [(s, t) for s, t, _ in history(zoe)] == [("", "sql"), ("sql", "opportunity")]
    assert any("no create date" in w for w in summary["warnings"])
    refs = set(
        ExternalRef.objects.filter(system="salesforce", object_type="contact").values_list(
            "external_id", flat=True
        )
    )
    assert refs == {"00Q5e00000AbCdEEAV", "00Q5e00000AbCdFEAV", "00Q5e00000AbCdGEAV"}
    nadia = Contact.objects.get(email="nadia.müller@soylent.net")
    assert nadia.lifecycle_stage == "lead" and nadia.country == "DE"


def test_opportunities_and_history_ids_in_both_lengths():
    summary = run("salesforce_opportunities_es.csv")
    assert summary["rows_with_errors"] == 0, summary["errors"]
    won = Deal.objects.get(name="Hooli - Plataforma")
    assert (won.stage, won.is_closed, won.is_won) == ("closed_won", True, True)
    assert won.amount == Decimal("12500.00") and won.currency == "EUR"
    assert won.account is not None and won.account.name == "Hooli"
    assert won.closed_at == dt.datetime(2026, 3, 31, tzinfo=UTC)  # no history yet: close date
    pilot = Deal.objects.get(name="Globex - Piloto")
    assert pilot.stage == "qualification" and pilot.account is None  # placeholder AccountId
    assert pilot.currency == "COP" and pilot.owner_id is None
    # OpportunityHistory names the opportunity by its 15-character id.
    summary = run("salesforce_opportunity_history_es.csv")
    assert summary["rows_with_errors"] == 0, summary["errors"]
    won.refresh_from_db()
    assert [(c.from_stage, c.to_stage) for c in won.stage_history.order_by("changed_at")] == [
        ("", "qualification"),
        ("qualification", "closed_won"),
    ]
    # closed_at from the closing row of the stage history (the later row is the same stay).
    assert won.closed_at == dt.datetime(2026, 3, 20, 16, 45, tzinfo=UTC)


def test_merges_fill_blanks_and_shared_addresses_go_to_review():
    """HubSpot export without a Lifecycle Stage column, with custom columns and a@a.com."""
    from smarketing.ingest.csvimport.models import DuplicateCandidate

    summary = run("hubspot_contacts_shared_addresses.csv")
    assert summary["rows_with_errors"] == 0, summary["errors"]
    # Bea twice (same name, same address): one contact; the merged row (the second in the
    # batch, both accounts new in it) fills blanks only and does not move her to Globex.
    bea = Contact.objects.get(email="bea@acme-tools.com")
    assert bea.account.name == "Acme Tools"
    assert bea.created_at == dt.datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert bea.custom == {
        "Favorite Content Topics": "pricing, security",
        "Description": "Met at the booth",
    }
    # No Lifecycle Stage column: no invented history.
    assert not bea.stage_changes.exists()
    # a@a.com on three different people: the first keeps it, the others are kept apart
    # (address in custom) and queued; Oskar's second record (same name) is merged into his.
    oskar = Contact.objects.get(email="a@a.com")
    assert (oskar.first_name, oskar.last_name) == ("Oskar", "Ålund")
    apart = Contact.objects.filter(custom__shared_email="a@a.com").order_by("last_name")
    assert [(c.first_name, c.email, c.account.name) for c in apart] == [
        ("Ana", None, "Umbrella"),
        ("Wei", None, "Hooli"),
    ]
    queued = DuplicateCandidate.objects.filter(kind="contact", status="open")
    assert {(q.existing_id, q.incoming_id) for q in queued} == {(oskar.pk, c.pk) for c in apart}
    assert summary["objects"]["contact"]["merged"] == 2
    assert summary["duplicates_queued"] >= 2
    # Re-importing the same file changes nothing and queues nothing new.
    again = run("hubspot_contacts_shared_addresses.csv")
    assert again["created"] == again["updated"] == again["merged"] == 0
    assert DuplicateCandidate.objects.filter(kind="contact").count() == 2


def test_a_kept_apart_record_updates_without_taking_the_shared_address(tmp_path):
    run("hubspot_contacts_shared_addresses.csv")
    changed = (SAMPLES / "hubspot_contacts_shared_addresses.csv").read_text("utf-8-sig")
    changed = changed.replace("602,Wei,Zhang,a@a.com,Hooli", "602,Wei,Zhang-Li,a@a.com,Hooli")
    path = tmp_path / "again.csv"
    path.write_text(changed, encoding="utf-8-sig")
    summary = do_run_import(job=do_create_job(path=path))
    assert summary["rows_with_errors"] == 0, summary["errors"]
    wei = Contact.objects.get(first_name="Wei")
    assert wei.last_name == "Zhang-Li" and wei.email is None
    assert Contact.objects.get(email="a@a.com").first_name == "Oskar"
