"""Privacy: export everything about a person, erase it everywhere, keep the counts."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from smarketing.core.audit import acting_as
from smarketing.core.models import AuditLog
from smarketing.crm.models import Contact, Touchpoint
from smarketing.ingest.csvimport.models import ExternalRef, ImportJob, ImportRowError
from smarketing.privacy.actions import PersonNotFound, do_erase_person, export_person

pytestmark = pytest.mark.django_db

EMAIL = "ann.lee@acme.example"


@pytest.fixture
def ann(tmp_path):
    with acting_as(None, "test"):
        ann = Contact.objects.create(email=EMAIL, first_name="Ann", last_name="Lee", phone="+1 555")
        ann.title = "VP Ops"
        ann.save()  # an audit row holding the values
    Contact.objects.create(email="bob@acme.example", first_name="Bob")
    for n in range(3):
        Touchpoint.objects.create(
            contact=ann, kind="page_view", occurred_at=f"2025-03-0{n + 1}T10:00:00Z",
            anonymous_id="v-ann", url=f"https://acme.example/p?email={EMAIL}",
            properties={"title": "Pricing"},
        )  # fmt: skip
    upload = tmp_path / "contacts.csv"
    upload.write_text(f"Email,First Name\n{EMAIL},Ann\nbob@acme.example,Bob\n")
    job = ImportJob.objects.create(file_name="contacts.csv", file_path=str(upload), file_size=1)
    ExternalRef.objects.create(
        system="hubspot", object_type="contact", external_id=f"email:{EMAIL}", object_id=ann.pk
    )
    ImportRowError.objects.create(job=job, row_number=2, column="phone", value=f"{EMAIL};x",
                                  reason="bad phone")  # fmt: skip
    return ann, upload


def test_export_holds_everything_about_the_person(ann):
    contact, _ = ann
    data = export_person(email=EMAIL.upper())
    assert data["contact"]["first_name"] == "Ann"
    assert len(data["related"]["crm.Touchpoint"]) == 3
    assert data["audit_log"] and data["external_references"] and data["import_row_errors"]
    assert data["import_file_lines"][0]["lines"] == [f"{EMAIL},Ann"]
    assert "bob@acme.example" not in json.dumps(data, default=str)


def test_erase_removes_personal_data_everywhere_and_keeps_counts(ann):
    contact, upload = ann
    touches, contacts = Touchpoint.objects.count(), Contact.objects.count()
    counts = do_erase_person(email=EMAIL)
    assert counts["crm.Touchpoint"] == 3 and counts["import files rewritten"] == 1
    contact.refresh_from_db()
    assert (contact.email, contact.first_name, contact.last_name, contact.phone) == (
        None,
        "",
        "",
        "",
    )
    assert contact.do_not_contact and not contact.email_consent
    assert (Touchpoint.objects.count(), Contact.objects.count()) == (touches, contacts)
    everything = json.dumps(
        [list(m.objects.values()) for m in (Contact, Touchpoint, AuditLog, ExternalRef, ImportRowError)],
        default=str,
    ).lower()  # fmt: skip
    assert "ann.lee" not in everything and "v-ann" not in everything and "+1 555" not in everything
    assert "ann.lee" not in upload.read_text() and "bob@acme.example" in upload.read_text()
    erasure = AuditLog.objects.get(object_type="privacy.Erasure")
    assert erasure.changes["erased"]["crm.Touchpoint"] == 3
    with pytest.raises(PersonNotFound):
        do_erase_person(email=EMAIL)


def test_cli_export_and_erase(ann, tmp_path, capsys):
    out = tmp_path / "ann.json"
    call_command("privacy", "export", "--email", EMAIL, "--output", str(out))
    assert json.loads(out.read_text())["contact"]["last_name"] == "Lee"
    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy", "erase", "--email", EMAIL)
    call_command("privacy", "erase", "--email", EMAIL, "--yes")
    assert "crm.Touchpoint" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no contact"):
        call_command("privacy", "export", "--email", EMAIL)
