"""Every sample export imports with the expected counts, history and merges; twice is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest

from smarketing.crm.models import Account, Contact, Deal, DealStageChange
from smarketing.funnel.models import StageChange
from smarketing.ingest.csvimport.actions import do_create_job, do_dry_run, do_run_import
from smarketing.ingest.csvimport.models import ExternalRef, ImportJob

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db


def run(name, **kwargs):
    job = do_create_job(path=SAMPLES / name, **kwargs)
    return do_run_import(job=job)


def table_counts():
    return {
        m.__name__: m._base_manager.count()
        for m in (Account, Contact, Deal, DealStageChange, StageChange, ExternalRef, ImportJob)
    }


def objects(summary):
    return {t: {k: v for k, v in c.items() if v} for t, c in summary["objects"].items()}


def test_hubspot_labels_counts_history_and_merge():
    summary = run("hubspot_contacts_labels.csv")
    assert summary["rows_read"] == 8 and summary["rows_with_errors"] == 3
    assert objects(summary) == {
        "contact": {"created": 4, "merged": 1},
        "account": {"created": 4, "skipped": 1},
        "stage_change": {"created": 9, "skipped": 1},
        "touchpoint": {"created": 5},  # Original Source at Create Date, one per record
    }
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [
        (7, "Email"),
        (8, "Create Date"),
        (9, "Lifecycle Stage"),
    ]
    # Ann Lee appears twice (1001, 1008: same email in another case): one contact, two refs.
    ann = Contact.objects.get(email="ann.lee@acme.com")
    assert ann.lifecycle_stage == "customer"  # the latest stage (1008's lead date is earlier)
    assert ann.account.domain == "acme.com" and ann.account.name == "Acme, Inc."
    assert ExternalRef.objects.filter(object_type="contact", object_id=ann.pk).count() == 2
    history = [(c.from_stage, c.to_stage) for c in ann.stage_changes.all()]
    assert history == [
        ("", "lead"),
        ("lead", "mql"),
        ("mql", "sql"),
        ("sql", "opportunity"),
        ("opportunity", "customer"),
    ]
    assert str(ann.stage_changes.last().changed_at) == "2025-03-28 16:45:00+00:00"
    assert ann.stage_changed_at == ann.stage_changes.last().changed_at
    assert ann.original_channel == "Organic Search" and ann.country == "US"
    # A contact with no date for its current stage gets one row saying so.
    gus = Contact.objects.get(email="gus@vandelay.com")
    assert [(c.to_stage, c.reason) for c in gus.stage_changes.all()] == [
        ("subscriber", "stage at import (no date in the export)")
    ]


def test_second_import_changes_nothing():
    run("hubspot_contacts_labels.csv")
    before = table_counts()
    summary = run("hubspot_contacts_labels.csv")
    assert summary["created"] == summary["updated"] == summary["merged"] == 0
    assert summary["skipped"] > 0
    after = table_counts()
    assert after.pop("ImportJob") == before.pop("ImportJob") + 1
    assert after == before


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "hubspot_contacts_internal.csv",
            # Jo Kent ("other", no dates) has no stage in the export: no invented history row.
            {"contact": {"created": 3}, "stage_change": {"created": 7}},
        ),
        ("salesforce_leads.csv", {"contact": {"created": 4}, "stage_change": {"created": 8}}),
        # Léa Dubois has no stage in the export: no invented history row.
        ("mautic_contacts_cp1252.csv", {"contact": {"created": 3}, "stage_change": {"created": 2}}),
        ("generic_contacts.tsv", {"contact": {"created": 4}, "stage_change": {"created": 7}}),
        ("hubspot_deals.csv", {"deal": {"created": 3}, "deal_stage_change": {"created": 4}}),
        (
            "salesforce_opportunities.csv",
            {"deal": {"created": 3}, "deal_stage_change": {"created": 3}},
        ),
    ],
)
def test_every_sample_imports_and_reimports_as_no_op(name, expected):
    first = objects(run(name))
    for object_type, counts in expected.items():
        assert first[object_type] == counts, object_type
    before = table_counts()
    again = run(name)
    assert again["created"] == again["updated"] == again["merged"] == 0
    after = table_counts()
    after.pop("ImportJob"), before.pop("ImportJob")
    assert after == before


def test_pipedrive_with_mapping_file():
    import yaml

    mapping = yaml.safe_load((SAMPLES / "pipedrive_mapping.yaml").read_text())
    summary = run("pipedrive_persons.csv", mapping=mapping)
    assert summary["objects"]["contact"]["created"] == 2 and summary["errors"] == []
    quinn = Contact.objects.get(email="quinn@initech.com")
    assert quinn.lifecycle_stage == "sql" and quinn.created_at.day == 4  # dayfirst
    assert ExternalRef.objects.filter(system="pipedrive", external_id="77").exists()


def test_salesforce_leads_rebuild_conversion_history():
    run("salesforce_opportunities.csv")
    run("salesforce_leads.csv")
    lena = Contact.objects.get(email="lena.morse@cyberdyne.com")
    assert [(c.to_stage, str(c.changed_at.date())) for c in lena.stage_changes.all()] == [
        ("lead", "2025-03-04"),
        ("sql", "2025-03-10"),
        ("opportunity", "2025-03-10"),
    ]
    assert lena.lifecycle_stage == "sql"  # Status "Closed - Converted" is the current stage
    deal = Deal.objects.get(name="Cyberdyne - Enterprise")
    assert list(deal.contacts.all()) == [lena]  # ConvertedOpportunityId links the deal


def test_opportunity_history_replaces_guessed_stage_row():
    run("salesforce_opportunities.csv")
    deal = Deal.objects.get(name="Cyberdyne - Enterprise")
    assert [c.to_stage for c in deal.stage_history.all()] == ["closed_won"]  # dated 04-30 guess
    summary = run("salesforce_opportunity_history.csv")
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [
        (7, "StageName"),
        (8, "CreatedDate"),
    ]
    history = [(c.from_stage, c.to_stage, str(c.changed_at)) for c in deal.stage_history.all()]
    assert history == [
        ("", "qualification", "2025-03-10 09:00:00+00:00"),
        ("qualification", "discovery", "2025-03-18 09:00:00+00:00"),
        ("discovery", "proposal", "2025-04-02 15:30:00+00:00"),
        ("proposal", "closed_won", "2025-04-29 17:00:00+00:00"),
    ]
    again = run("salesforce_opportunity_history.csv")
    assert again["created"] == 0 and deal.stage_history.count() == 4


def test_history_before_opportunities_is_a_row_error():
    summary = run("salesforce_opportunity_history.csv")
    assert summary["rows_imported"] == 0
    assert {e["column"] for e in summary["errors"]} >= {"OpportunityId"}


def test_hubspot_deals_amounts_and_history():
    run("hubspot_deals.csv")
    won = Deal.objects.get(name="Acme, Inc. - Platform")
    assert str(won.amount) == "12500.00" and won.is_won and won.is_closed
    assert [(c.from_stage, c.to_stage) for c in won.stage_history.all()] == [
        ("", "negotiation"),
        ("negotiation", "closed_won"),
    ]
    assert won.account.name == "Acme, Inc."
    lost = Deal.objects.get(name="Initech - Renewal")
    assert lost.loss_reason == "Went with competitor" and not lost.is_won


def test_dry_run_reports_the_real_numbers_and_writes_nothing():
    before = table_counts()
    dry = do_dry_run(path=SAMPLES / "hubspot_contacts_labels.csv")
    assert table_counts() == before
    real = run("hubspot_contacts_labels.csv")
    for key in ("rows_read", "rows_with_errors", "created", "updated", "merged", "skipped"):
        assert dry[key] == real[key], key
    assert dry["objects"] == real["objects"]
    assert dry["errors"] == real["errors"]
    assert dry["dry_run"] is True and real["dry_run"] is False


def test_accounts_matched_by_domain_then_fuzzy_name():
    Account.objects.create(name="Globex Corporation", domain=None)
    Account.objects.create(name="Initech Systems", domain=None)
    summary = run("hubspot_contacts_labels.csv")
    bob = Contact.objects.get(email="bob@globex.io")
    assert bob.account.name == "Globex Corporation"  # "Globex" is the same key
    assert bob.account.domain == "globex.io"  # filled from the row
    cy = Contact.objects.get(email="cy@initech.com")
    assert cy.account.name == "Initech"  # "Initech Systems" is only 61% alike: a new account
    assert summary["objects"]["account"]["updated"] == 1
