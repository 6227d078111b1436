"""Every sample export parses into the expected records, history and per-row errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from smarketing.ingest.formats import (
    AccountRecord,
    ContactRecord,
    DealRecord,
    StageEventRecord,
    parse_file,
)

SAMPLES = Path(__file__).parent / "samples"


def parse(name, **kwargs):
    with parse_file(SAMPLES / name, **kwargs) as parsed:
        results = list(parsed)
    ok = {r.row_number: r.records for r in results if r.ok}
    errors = [e for r in results for e in r.errors]
    return parsed, ok, errors


def of(records, kind):
    return [r for r in records if isinstance(r, kind)]


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_hubspot_contacts_labels():
    parsed, ok, errors = parse("hubspot_contacts_labels.csv")
    assert parsed.format_name == "hubspot-contacts"
    assert parsed.layout.encoding == "utf-8-sig"
    assert parsed.stats.as_dict() == {
        "rows_read": 8,
        "rows_ok": 5,
        "rows_with_errors": 3,
        "errors": 3,
        # one first-source touch per row with an Original Source and a Create Date
        "records": {"contact": 5, "account": 5, "stage_event": 9, "touch": 5},
    }
    # row numbers are file lines: row 3 spans two lines, line 5 is blank
    assert sorted(ok) == [2, 3, 6, 10, 11]
    ann = of(ok[2], ContactRecord)[0]
    assert ann.external_id == "1001"
    assert ann.email == "ann.lee@acme.com"
    assert ann.company_name == "Acme, Inc."
    assert ann.company_domain == "acme.com"
    assert ann.lifecycle_stage == "customer"
    assert ann.created_at == utc(2025, 1, 6, 9, 15)
    assert ann.channel == "Organic Search"
    assert ann.original_source_detail_1 == "google"
    assert ann.persona == "Marketing Mary"
    assert ann.employees == 250
    assert ann.properties == {"Favourite Colour": "teal"}
    assert of(ok[2], AccountRecord) == [
        AccountRecord(
            source_system="hubspot",
            name="Acme, Inc.",
            domain="acme.com",
            industry="Software",
            employees=250,
            country="United States",
        )
    ]
    history = [(e.stage, e.at) for e in of(ok[2], StageEventRecord)]
    assert history == [
        ("lead", utc(2025, 1, 6, 9, 15)),
        ("mql", utc(2025, 1, 20, 14, 0)),
        ("sql", utc(2025, 2, 3, 10, 30)),
        ("opportunity", utc(2025, 2, 10, 11, 0)),
        ("customer", utc(2025, 3, 28, 16, 45)),
    ]
    assert {e.event_id for e in of(ok[2], StageEventRecord)} >= {"1001:lead", "1001:customer"}
    bob = of(ok[3], ContactRecord)[0]
    assert bob.title == "Head of Ops,\r\nEMEA"
    assert bob.lifecycle_stage == "mql"
    assert bob.channel == "Paid Search"
    assert bob.employees == 1200
    # the same person again, differently cased and spaced: same normalised email
    assert of(ok[11], ContactRecord)[0].email == ann.email
    assert of(ok[11], ContactRecord)[0].channel == "Paid Social"
    assert [(e.row_number, e.column, e.value, e.reason) for e in errors] == [
        (
            7,
            "Email",
            "not-an-email",
            "invalid email address 'not-an-email': an email address must have an @-sign",
        ),
        (8, "Create Date", "yesterday-ish", "not a date: 'yesterday-ish'"),
        (
            9,
            "Lifecycle Stage",
            "Zombie",
            "unknown stage 'Zombie'; add it to the mapping file's stages",
        ),
    ]


def test_hubspot_contacts_internal_names():
    parsed, ok, errors = parse("hubspot_contacts_internal.csv")
    assert parsed.format_name == "hubspot-contacts"
    hal = of(ok[2], ContactRecord)[0]
    assert hal.created_at == utc(2025, 1, 6, 9, 0)  # 1736154000000 ms
    assert hal.lifecycle_stage == "sql"
    assert hal.channel == "Organic Search"
    assert hal.owner_ref == "501"
    assert [e.stage for e in of(ok[2], StageEventRecord)] == ["lead", "mql", "sql"]
    ida = of(ok[3], ContactRecord)[0]
    assert ida.company_domain == "wayne.com"
    assert ida.channel == "Paid Social"
    # HubSpot's "other" is known but has no smarketing stage
    assert of(ok[4], ContactRecord)[0].lifecycle_stage is None
    assert [(e.row_number, e.column, e.value) for e in errors] == [
        (5, "hs_lifecyclestage_marketingqualifiedlead_date", "notadate")
    ]


def test_hubspot_deals():
    parsed, ok, errors = parse("hubspot_deals.csv")
    assert parsed.format_name == "hubspot-deals"
    won = of(ok[2], DealRecord)[0]
    assert won.external_id == "9001"
    assert won.name == "Acme, Inc. - Platform"
    assert (won.stage, won.source_stage, won.is_closed, won.is_won) == (
        "closed_won",
        "Closed Won",
        True,
        True,
    )
    assert won.amount == Decimal("12500.00")
    assert won.close_date == date(2025, 3, 28)
    assert won.account_name == "Acme, Inc."
    assert [(e.stage, e.at, e.event_id) for e in of(ok[2], StageEventRecord)] == [
        ("closed_won", utc(2025, 3, 28, 16, 45), "9001:closed_won"),
        ("negotiation", utc(2025, 3, 15, 9, 0), "9001:negotiation"),
    ]
    lost = of(ok[4], DealRecord)[0]
    assert (lost.stage, lost.is_closed, lost.is_won) == ("closed_lost", True, False)
    assert lost.loss_reason == "Went with competitor"
    assert [(e.row_number, e.column, e.reason) for e in errors] == [
        (5, "Amount", "negative amount: '-300'"),
        (
            6,
            "Deal Stage",
            "unknown deal stage 'Haggling'; add it to the mapping file's deal_stages",
        ),
        (7, "Close Date", "not a date: 'not a date'"),
    ]


def test_salesforce_leads_rebuild_conversion_history():
    parsed, ok, errors = parse("salesforce_leads.csv")
    assert parsed.format_name == "salesforce-leads"
    lena = of(ok[2], ContactRecord)[0]
    assert lena.external_id == "00Q5g00000AbCdEEA1"
    assert lena.lifecycle_stage == "sql"
    assert lena.converted is True
    assert lena.converted_deal_ref == "0065g00000QwErTAA1"
    assert lena.channel == "Direct"  # LeadSource "Web"
    assert [(e.stage, e.at) for e in of(ok[2], StageEventRecord)] == [
        ("lead", utc(2025, 3, 4, 10, 0)),
        ("sql", utc(2025, 3, 10)),
        ("opportunity", utc(2025, 3, 10)),
    ]
    max_ = of(ok[3], ContactRecord)[0]
    assert (max_.lifecycle_stage, max_.channel) == ("sal", "Events")
    nia = of(ok[4], ContactRecord)[0]
    assert nia.created_at == utc(2025, 3, 6, 6, 0)  # +0200 converted to UTC
    assert nia.channel == "Partners"
    pia = of(ok[6], ContactRecord)[0]
    assert pia.lifecycle_stage == "disqualified"
    assert pia.company_name is None  # "[not provided]"
    assert of(ok[6], AccountRecord) == []
    assert [(e.row_number, e.column, e.value) for e in errors] == [
        (5, "Email", "oz@@initrode"),
        (7, "Status", "Hibernating"),
    ]


def test_salesforce_opportunities():
    parsed, ok, errors = parse("salesforce_opportunities.csv")
    assert parsed.format_name == "salesforce-opportunities"
    deals = {d.external_id: d for recs in ok.values() for d in of(recs, DealRecord)}
    assert len(deals) == 3
    won = deals["0065g00000QwErTAA1"]
    assert (won.stage, won.is_closed, won.is_won, won.amount, won.currency) == (
        "closed_won",
        True,
        True,
        Decimal("48000.00"),
        "USD",
    )
    assert won.account_ref == "0015g00000AcCtAAA1"
    assert deals["0065g00000QwErUAA1"].stage == "proposal"
    assert deals["0065g00000QwErVAA1"].is_won is False
    assert [(e.row_number, e.column, e.reason) for e in errors] == [
        (5, "Amount", "negative amount: '-500'")
    ]


def test_salesforce_opportunity_history():
    parsed, ok, errors = parse("salesforce_opportunity_history.csv")
    assert parsed.format_name == "salesforce-opportunity-history"
    events = [e for recs in ok.values() for e in recs]
    assert [(e.external_id, e.stage, e.event_id) for e in events[:4]] == [
        ("0065g00000QwErTAA1", "qualification", "0085g00000HiStAAA1"),
        ("0065g00000QwErTAA1", "discovery", "0085g00000HiStBAA1"),
        ("0065g00000QwErTAA1", "proposal", "0085g00000HiStCAA1"),
        ("0065g00000QwErTAA1", "closed_won", "0085g00000HiStDAA1"),
    ]
    assert events[3].at == utc(2025, 4, 29, 17, 0)
    assert events[3].by_ref == "0055g00000OwNeRAA1"
    assert events[2].amount == Decimal("48000")
    assert {e.object_type for e in events} == {"deal"}
    assert [(e.row_number, e.column) for e in errors] == [(7, "StageName"), (8, "CreatedDate")]
    assert "deal_stages" in errors[0].reason


def test_mautic_contacts_cp1252_semicolons():
    parsed, ok, errors = parse("mautic_contacts_cp1252.csv")
    assert parsed.format_name == "mautic-contacts"
    assert (parsed.layout.encoding, parsed.layout.delimiter) == ("cp1252", ";")
    rene = of(ok[2], ContactRecord)[0]
    assert (rene.first_name, rene.last_name) == ("René", "Müller")
    assert rene.email == "rene.mueller@xn--bckerei-mller-bfb28a.de"
    assert rene.score == 45
    assert rene.lifecycle_stage == "mql"
    assert rene.tags == ("newsletter", "webinar-2025")
    assert rene.last_activity_at == utc(2025, 3, 1, 17, 0)
    zoe = of(ok[3], ContactRecord)[0]
    assert zoe.company_name == "Café Ångström; Söder"
    assert zoe.lifecycle_stage == "customer"
    assert of(ok[4], ContactRecord)[0].title == "Directrice €"
    assert [(e.row_number, e.column, e.value) for e in errors] == [(5, "stage", "Tyre kicker")]


def test_generic_tab_separated_with_utm_channels():
    parsed, ok, errors = parse("generic_contacts.tsv")
    assert parsed.format_name == "generic"
    assert errors == []
    channels = [of(ok[n], ContactRecord)[0].channel for n in (2, 3, 4, 5)]
    assert channels == ["Paid Search", "Email", "Organic Social", None]
    mia = of(ok[2], ContactRecord)[0]
    assert (mia.original_source, mia.original_medium, mia.campaign) == ("google", "cpc", "spring")
    assert [e.stage for e in of(ok[2], StageEventRecord)] == ["lead", "mql", "sal"]


def test_generic_with_a_mapping_file():
    parsed, ok, errors = parse("pipedrive_persons.csv", mapping=SAMPLES / "pipedrive_mapping.yaml")
    assert parsed.format_name == "generic"
    assert errors == []
    quinn = of(ok[2], ContactRecord)[0]
    assert quinn.source_system == "pipedrive"
    assert (quinn.first_name, quinn.last_name) == ("Quinn", "Ray")
    assert quinn.lifecycle_stage == "sql"  # "Hot" via the mapping's stages
    assert quinn.created_at == utc(2025, 3, 4, 10, 0)  # 04.03.2025, dayfirst
    assert quinn.properties == {}  # the notes column is ignored
    assert of(ok[3], ContactRecord)[0].lifecycle_stage == "recycled"


@pytest.mark.parametrize(
    "name",
    [
        "hubspot_contacts_labels.csv",
        "hubspot_contacts_internal.csv",
        "hubspot_deals.csv",
        "salesforce_leads.csv",
        "salesforce_opportunities.csv",
        "salesforce_opportunity_history.csv",
        "mautic_contacts_cp1252.csv",
        "generic_contacts.tsv",
    ],
)
def test_parsing_is_deterministic(name):
    """Parsing twice gives equal records: the base of the idempotent upsert."""
    assert parse(name)[1] == parse(name)[1]
