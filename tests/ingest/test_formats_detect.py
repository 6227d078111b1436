"""Format detection, explicit formats, mapping files, preview, error CSV, purity."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from smarketing.ingest.formats import (
    FORMATS,
    FormatDetectionError,
    ImportFileError,
    MappingFileError,
    ParseOptions,
    UnknownFormatError,
    detect_format,
    get_format,
    parse_file,
    parse_mapping,
    preview,
    write_error_csv,
)
from smarketing.ingest.formats.registry import rank_formats

SAMPLES = Path(__file__).parent / "samples"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Record ID", "First Name", "Last Name", "Email", "Lifecycle Stage"], "hubspot-contacts"),
        (["hs_object_id", "firstname", "email", "lifecyclestage", "createdate"], "hubspot-contacts"),
        (["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date"], "hubspot-deals"),
        (["hs_object_id", "dealname", "dealstage", "amount"], "hubspot-deals"),
        (["Id", "FirstName", "LastName", "Email", "Company", "Status", "LeadSource",
          "IsConverted", "CreatedDate"], "salesforce-leads"),
        (["Id", "Name", "AccountId", "StageName", "Amount", "CloseDate", "IsClosed", "IsWon"],
         "salesforce-opportunities"),
        (["Id", "OpportunityId", "StageName", "Amount", "CreatedDate"],
         "salesforce-opportunity-history"),
        (["id", "firstname", "lastname", "email", "points", "stage", "date_added"],
         "mautic-contacts"),
        (["email", "first_name", "last_name", "company", "source", "medium"], "generic"),
    ],
)  # fmt: skip
def test_detect_format(headers, expected):
    assert detect_format(headers).name == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hubspot_contacts_labels.csv", "hubspot-contacts"),
        ("hubspot_contacts_internal.csv", "hubspot-contacts"),
        ("hubspot_deals.csv", "hubspot-deals"),
        ("salesforce_leads.csv", "salesforce-leads"),
        ("salesforce_opportunities.csv", "salesforce-opportunities"),
        ("salesforce_opportunity_history.csv", "salesforce-opportunity-history"),
        ("mautic_contacts_cp1252.csv", "mautic-contacts"),
        ("generic_contacts.tsv", "generic"),
    ],
)
def test_every_sample_is_detected(name, expected):
    with parse_file(SAMPLES / name) as parsed:
        assert parsed.format_name == expected


def test_unknown_columns_list_the_closest_formats():
    with pytest.raises(FormatDetectionError) as caught:
        detect_format(["Name", "Colour", "Size"])
    message = str(caught.value)
    assert "no known format fits" in message
    assert "missing:" in message
    assert "--mapping" in message


def test_ambiguous_columns_list_the_candidates():
    # Salesforce Lead and Mautic columns, half and half
    with pytest.raises(FormatDetectionError) as caught:
        detect_format(["Id", "Email", "Status", "LeadSource", "points", "date_added"])
    message = str(caught.value)
    assert "more than one format" in message
    assert "salesforce-leads" in message and "mautic-contacts" in message
    assert "--format" in message


def test_hubspot_labels_beat_the_generic_names_they_share():
    assert detect_format(["Email", "First Name", "Lifecycle Stage"]).name == "hubspot-contacts"
    generic = ["email", "first_name", "lifecycle_stage", "utm_source", "utm_medium", "mql_at"]
    assert detect_format(generic).name == "generic"


def test_rank_formats_scores_share_of_recognised_headers():
    ranked = rank_formats(["Record ID", "Email", "Favourite Colour", "Shoe Size"])
    assert ranked[0].format.name == "hubspot-contacts"
    assert ranked[0].score == pytest.approx(0.5)


def test_explicit_format_and_unknown_format_name():
    data = b"Record ID,Email,Lifecycle Stage\n1,a@x.io,Lead\n"
    with parse_file(io.BytesIO(data), format="hubspot-contacts") as parsed:
        assert [r.ok for r in parsed] == [True]
    with pytest.raises(UnknownFormatError, match="choose auto or one of"):
        get_format("zoho")
    assert set(FORMATS) == {
        "hubspot-contacts", "hubspot-deals", "hubspot-companies", "hubspot-calls",
        "hubspot-emails", "hubspot-meetings", "hubspot-notes",
        "salesforce-leads", "salesforce-opportunities",
        "salesforce-opportunity-history", "salesforce-contacts", "salesforce-accounts",
        "salesforce-campaign-members", "salesforce-tasks", "salesforce-opportunity-contact-roles",
        "mautic-contacts", "generic",
    }  # fmt: skip


def test_a_format_that_knows_no_column_is_an_error():
    with pytest.raises(FormatDetectionError, match="none of the columns"):
        parse_file(io.BytesIO(b"Colour,Size\nred,9\n"), format="salesforce-leads")


def test_row_with_surplus_cells_is_a_row_error():
    data = b"Record ID,Email,Lifecycle Stage\n1,a@x.io,Lead,oops\n2,b@x.io,Lead\n"
    with parse_file(io.BytesIO(data)) as parsed:
        results = list(parsed)
    assert results[0].errors[0].column is None
    assert results[0].errors[0].value == "oops"
    assert "more cells than the header" in results[0].errors[0].reason
    assert results[1].ok


def test_contact_needs_an_id_or_an_email():
    data = b"Record ID,Email,First Name,Lifecycle Stage\n,,Ann,Lead\n"
    with parse_file(io.BytesIO(data)) as parsed:
        (result,) = list(parsed)
    assert result.errors[0].reason == "the row has neither a record id nor an email"


def test_a_bad_row_lists_every_bad_cell_and_yields_no_record():
    data = b"Record ID,Email,Create Date,Lifecycle Stage\n1,bad,soon,Zombie\n"
    with parse_file(io.BytesIO(data)) as parsed:
        (result,) = list(parsed)
    assert result.records == ()
    assert [e.column for e in result.errors] == ["Email", "Lifecycle Stage", "Create Date"]


def test_mapping_document_extends_a_crm_format():
    data = b"Record ID,E-Mail Adresse,Lifecycle Stage\n1,a@x.io,Heiss\n"
    mapping = {"columns": {"E-Mail Adresse": "email"}, "stages": {"Heiss": "sql"}}
    with parse_file(io.BytesIO(data), format="hubspot-contacts", mapping=mapping) as parsed:
        (result,) = list(parsed)
    contact = result.records[0]
    assert (contact.email, contact.lifecycle_stage, contact.source_system) == (
        "a@x.io",
        "sql",
        "hubspot",
    )


def test_mapping_file_json(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"source_system": "zoho", "columns": {"Mail": "email"}}))
    data = b"Mail,Lead Owner\na@x.io,Sam\n"
    with parse_file(io.BytesIO(data), mapping=path) as parsed:
        (result,) = list(parsed)
    assert result.records[0].source_system == "zoho"
    assert result.records[0].properties == {"Lead Owner": "Sam"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "must hold a mapping"),
        ({"columns": {"Mail": "e_mail"}}, "unknown field 'e_mail'"),
        ({"colums": {}}, "unknown keys colums"),
        ({"columns": {"Mail": "email"}, "stages": {"Hot": "boiling"}}, "maps to 'boiling'"),
        ({"deal_stages": {"Verbal": "won"}, "format": "hubspot-deals"}, "maps to 'won'"),
        ({"dayfirst": "yes"}, "'dayfirst' must be true or false"),
        ({"format": "zoho"}, "unknown format 'zoho'"),
        ({"columns": ["email"]}, "'columns' must map"),
    ],
)
def test_bad_mapping_documents(document, message):
    with pytest.raises((MappingFileError, UnknownFormatError), match=message):
        parse_mapping(document)


def test_mapping_for_another_format_than_requested():
    with pytest.raises(MappingFileError, match="is for format 'generic'"):
        parse_mapping({"format": "generic"}, format_name="hubspot-contacts")


def test_mapping_file_errors(tmp_path):
    from smarketing.ingest.formats import load_mapping

    with pytest.raises(MappingFileError, match="cannot read"):
        load_mapping(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: [unclosed")
    with pytest.raises(MappingFileError, match="not valid YAML"):
        load_mapping(bad)
    mapping = load_mapping(SAMPLES / "pipedrive_mapping.yaml")
    assert mapping.dayfirst is True
    assert mapping.columns["Person - Notes"] == "ignore"


def test_stage_at_fields_are_valid_mapping_targets():
    mapping = parse_mapping({"columns": {"MQL since": "stage_at:mql"}})
    data = b"email,MQL since\na@x.io,2025-03-04\n"
    with parse_file(io.BytesIO(data), mapping=mapping) as parsed:
        (result,) = list(parsed)
    assert [(r.stage, r.event_id) for r in result.records if hasattr(r, "stage")][-1] == (
        "mql",
        "a@x.io:mql",
    )
    with pytest.raises(MappingFileError):
        parse_mapping({"columns": {"X": "stage_at:zombie"}})


def test_preview_reads_the_first_rows_only():
    shown = preview(SAMPLES / "hubspot_contacts_labels.csv", limit=3)
    assert shown.format_name == "hubspot-contacts"
    assert [n for n, _ in shown.raw_rows] == [2, 3, 6]
    assert [r.row_number for r in shown.results] == [2, 3, 6]
    assert shown.column_map["Email"] == "email"
    assert shown.column_map["Became a Lead Date"] == "stage_at:lead"
    assert shown.column_map["Favourite Colour"] is None


def test_error_csv():
    with parse_file(SAMPLES / "hubspot_deals.csv") as parsed:
        errors = [e for r in parsed for e in r.errors]
    out = io.StringIO()
    assert write_error_csv(errors, out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == "row_number,column,value,reason"
    assert lines[1] == "5,Amount,-300,negative amount: '-300'"


def test_options_without_properties():
    data = b"Record ID,Email,Colour\n1,a@x.io,red\n"
    with parse_file(io.BytesIO(data), options=ParseOptions(keep_properties=False)) as parsed:
        assert next(iter(parsed)).records[0].properties == {}


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        parse_file(tmp_path / "nope.csv")
    with pytest.raises(ImportFileError, match="expected a path"):
        parse_file(42)


def test_the_parsing_layer_imports_no_django():
    code = (
        "import sys, smarketing.ingest.formats, smarketing.ingest.channels; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'ninja')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_deal_stage_date_columns_via_mapping():
    mapping = {"format": "hubspot-deals", "columns": {"Won on": "deal_stage_at:closedwon"}}
    data = b"Record ID,Deal Name,Deal Stage,Won on\n7,X,closedwon,2025-03-04\n"
    with parse_file(io.BytesIO(data), mapping=mapping) as parsed:
        (result,) = list(parsed)
    event = result.records[1]
    assert (event.stage, event.event_id, event.source_stage) == (
        "closed_won",
        "7:closed_won",
        "closedwon",
    )
    with pytest.raises(MappingFileError):
        parse_mapping({"format": "salesforce-opportunities", "columns": {"X": "deal_stage_at:y"}})


def test_hubspot_contact_with_associated_company():
    data = b"Record ID,Email,Associated Company,Associated Company ID\n1,a@x.io,Acme,555\n"
    with parse_file(io.BytesIO(data)) as parsed:
        contact, account = next(iter(parsed)).records
    assert (contact.company_name, account.name, account.external_id) == ("Acme", "Acme", "555")


def test_a_salesforce_contact_export_is_not_taken_for_leads():
    """72-column Contact exports were read as salesforce-leads (9 headers recognised)."""
    from smarketing.ingest.formats import detect_format

    standard = ["Id", "AccountId", "FirstName", "LastName", "Email", "Title", "LeadSource",
                "CreatedDate", "OwnerId", "MailingCountry", "Phone", "LastActivityDate"]  # fmt: skip
    custom = [f"Custom_{i}__c" for i in range(60)]
    assert detect_format(standard + custom).name == "salesforce-contacts"


def test_too_few_recognised_columns_ask_for_the_format():
    from smarketing.ingest.formats import FormatDetectionError, detect_format

    headers = ["Id", "AccountId", "LastName"] + [f"Custom_{i}__c" for i in range(40)]
    with pytest.raises(
        FormatDetectionError,
        match=r"only 3 of 43 columns \(7%\) fit salesforce-contacts.*--format salesforce-contacts",
    ):
        detect_format(headers)


def test_a_missing_required_column_is_one_file_error():
    """Was one identical error per row (11,583 of them), naming an internal field."""
    from smarketing.ingest.formats import MissingColumnError

    data = b"Record ID,Deal Name,Amount\r\n1,A,10\r\n2,B,20\r\n"
    with (
        pytest.raises(MissingColumnError) as exc,
        parse_file(io.BytesIO(data), format="hubspot-deals"),
    ):
        pass
    message = str(exc.value)
    assert "no 'Deal Stage' or 'dealstage' column" in message
    assert "its columns are: 'Record ID', 'Deal Name', 'Amount'" in message
