"""Bad rows become row errors while good rows import; a crash resumes without duplicates."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from smarketing.crm.models import Contact, Deal
from smarketing.funnel.models import StageChange
from smarketing.ingest.csvimport.actions import do_create_job, do_run_import
from smarketing.ingest.csvimport.models import ExternalRef, ImportJob, ImportRowError

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db


def write(tmp_path, text, name="contacts.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "cell, column, reason",
    [
        ("Email=not-an-email", "Email", "invalid email"),
        ("Create Date=yesterday-ish", "Create Date", "not a date"),
        ("Lifecycle Stage=Zombie", "Lifecycle Stage", "unknown stage"),
    ],
)
def test_contact_error_classes(tmp_path, cell, column, reason):
    header = "Record ID,Email,Lifecycle Stage,Create Date"
    values = {"Email": "a{n}@x.io", "Lifecycle Stage": "Lead", "Create Date": "2025-03-01 10:00"}
    name, bad = cell.split("=")
    lines = [header]
    for n in range(1, 4):
        row = {k: v.format(n=n) for k, v in values.items()}
        if n == 2:
            row[name] = bad
        lines.append(f"{n},{row['Email']},{row['Lifecycle Stage']},{row['Create Date']}")
    summary = do_run_import(job=do_create_job(path=write(tmp_path, "\n".join(lines) + "\n")))
    assert summary["rows_imported"] == 2 and summary["objects"]["contact"]["created"] == 2
    [error] = summary["errors"]
    assert (error["row"], error["column"], error["value"]) == (3, column, bad)
    assert reason in error["reason"]
    assert Contact.objects.count() == 2


def test_negative_amount_is_a_row_error():
    summary = do_run_import(job=do_create_job(path=SAMPLES / "hubspot_deals.csv"))
    negative = [e for e in summary["errors"] if e["column"] == "Amount"]
    assert negative == [
        {"row": 5, "column": "Amount", "value": "-300", "reason": "negative amount: '-300'"}
    ]
    assert not Deal.objects.filter(name__startswith="Hooli").exists()


def test_database_refusal_fails_only_that_row(tmp_path):
    # Two record ids, one email already taken by a third contact: the planner refuses the
    # row that would steal the email; the others import.
    Contact.objects.create(email="taken@x.io")
    path = write(
        tmp_path,
        "Record ID,Email,First Name\n1,one@x.io,One\n2,two@x.io,Two\n",
    )
    do_run_import(job=do_create_job(path=path))
    path2 = write(
        tmp_path, "Record ID,Email,First Name\n1,taken@x.io,One\n2,two@x.io,Deux\n", "b.csv"
    )
    summary = do_run_import(job=do_create_job(path=path2))
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [(2, "email")]
    assert Contact.objects.get(email="two@x.io").first_name == "Deux"
    assert Contact.objects.filter(email="one@x.io").exists()


def test_too_long_value_is_a_row_error(tmp_path):
    path = write(tmp_path, f"Record ID,Email,First Name\n1,a@x.io,{'A' * 150}\n2,b@x.io,Bee\n")
    summary = do_run_import(job=do_create_job(path=path))
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [(2, "first_name")]
    assert Contact.objects.count() == 1


def test_batch_with_a_database_error_falls_back_to_rows(tmp_path, monkeypatch):
    """A constraint failure inside a bulk write costs only its row (per-row savepoints)."""
    from django.db import IntegrityError

    from smarketing.ingest.csvimport import plan as plan_module

    original = plan_module.BatchPlan.flush

    def flush(self, job):
        if any(c.email == "boom@x.io" for c in self.new_contacts):
            raise IntegrityError("simulated constraint failure")
        return original(self, job)

    monkeypatch.setattr(plan_module.BatchPlan, "flush", flush)
    lines = ["Record ID,Email"] + [f"{n},{'boom' if n == 3 else f'c{n}'}@x.io" for n in range(1, 7)]
    job = do_create_job(path=write(tmp_path, "\n".join(lines) + "\n"))
    summary = do_run_import(job=job, batch_size=4)
    assert summary["rows_imported"] == 5
    assert [(e["row"], e["reason"]) for e in summary["errors"]] == [
        (4, "the database refused the row: simulated constraint failure")
    ]
    assert Contact.objects.count() == 5


class Crash(RuntimeError):
    pass


def test_crash_mid_file_then_rerun_finishes_without_duplicates(tmp_path):
    lines = ["Record ID,Email,Lifecycle Stage,Became a Lead Date"]
    lines += [f"{n},p{n}@x.io,Lead,2025-03-0{1 + n % 8} 10:00" for n in range(1, 11)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    job = do_create_job(path=path)

    def hook(result):
        if result.row_number == 8:  # the 7th data row
            raise Crash("disk on fire")

    with pytest.raises(Crash):
        do_run_import(job=job, batch_size=3, hook=hook)
    job.refresh_from_db()
    assert job.status == "failed" and "disk on fire" in job.message
    # Whole batches only: rows 2-7 (two batches of three) are in, nothing of the third.
    assert job.checkpoint_row == 7
    assert Contact.objects.count() == 6
    assert StageChange.objects.count() == 6
    summary = do_run_import(job=job, batch_size=3)  # resume
    assert summary["status"] == "done"
    assert summary["objects"]["contact"] == {"created": 10, "updated": 0, "merged": 0, "skipped": 0}
    assert Contact.objects.count() == 10 and StageChange.objects.count() == 10
    assert ExternalRef.objects.filter(object_type="contact").count() == 10
    # And a fresh job on the same file finds everything in place.
    again = do_run_import(job=do_create_job(path=path))
    assert again["created"] == 0 and again["objects"]["contact"]["skipped"] == 10


def test_cli_json_contract(tmp_path):
    out = io.StringIO()
    call_command("import", str(SAMPLES / "salesforce_leads.csv"), "--json", stdout=out)
    summary = json.loads(out.getvalue())
    for key in ("rows_read", "created", "updated", "merged", "skipped", "errors", "objects"):
        assert key in summary
    assert summary["rows_read"] == 6
    assert summary["errors"][0] == {
        "row": 5,
        "column": "Email",
        "value": "oz@@initrode",
        "reason": "invalid email address 'oz@@initrode': "
        "the part after the @-sign contains invalid characters: '@'",
    }
    assert summary["objects"]["contact"] == {"created": 4, "updated": 0, "merged": 0, "skipped": 0}


def test_cli_dry_run_writes_nothing_and_matches(tmp_path):
    out = io.StringIO()
    path = str(SAMPLES / "hubspot_contacts_internal.csv")
    call_command("import", path, "--dry-run", "--json", stdout=out)
    dry = json.loads(out.getvalue())
    assert Contact.objects.count() == 0 and ImportJob.objects.count() == 0
    assert ImportRowError.objects.count() == 0
    out = io.StringIO()
    call_command("import", path, "--json", "--format", "hubspot-contacts", stdout=out)
    real = json.loads(out.getvalue())
    assert dry["objects"] == real["objects"] and dry["errors"] == real["errors"]
    assert dry["dry_run"] and not real["dry_run"]


def test_cli_mapping_and_bad_input(tmp_path):
    out = io.StringIO()
    call_command(
        "import",
        str(SAMPLES / "pipedrive_persons.csv"),
        "--mapping",
        str(SAMPLES / "pipedrive_mapping.yaml"),
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["objects"]["contact"]["created"] == 2
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", str(tmp_path / "missing.csv"))
    bad = write(tmp_path, "columns: {a: nonsense_field}\n", "m.yaml")
    with pytest.raises(CommandError, match="--mapping"):
        call_command("import", str(SAMPLES / "pipedrive_persons.csv"), "--mapping", str(bad))
    odd = write(tmp_path, "Foo,Bar\n1,2\n", "odd.csv")
    with pytest.raises(CommandError):
        call_command("import", str(odd), stdout=io.StringIO())


def test_cli_rerun_resumes_failed_job(tmp_path, monkeypatch):
    lines = ["Record ID,Email"] + [f"{n},r{n}@x.io" for n in range(1, 6)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    job = do_create_job(path=path)

    def hook(result):
        if result.row_number == 4:
            raise Crash("stop")

    with pytest.raises(Crash):
        do_run_import(job=job, batch_size=2, hook=hook)
    out = io.StringIO()
    call_command("import", str(path), "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["resumed"] is True and summary["job"] == job.pk
    assert summary["objects"]["contact"]["created"] == 5
    assert Contact.objects.count() == 5
