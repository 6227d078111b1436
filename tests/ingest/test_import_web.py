"""The import pages: upload → preview → run → summary and error CSV; review queue merge + undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smarketing.crm.models import Account, Contact, Touchpoint
from smarketing.ingest.csvimport.models import DuplicateCandidate, ImportJob, MergeRecord

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, make_user):
    user = make_user("mgr", role="manager")
    client.force_login(user)
    return user


def upload(client, name, **data):
    content = (SAMPLES / name).read_bytes()
    return client.post(
        reverse("csvimport:upload"),
        {"file": SimpleUploadedFile(name, content, "text/csv"), "format": "auto", **data},
    )


def test_upload_preview_run_summary_and_error_csv(client, manager):
    response = upload(client, "hubspot_contacts_labels.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "csvimport:preview", args=[job.pk]
    )
    assert Contact.objects.count() == 0  # nothing written before confirming

    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "hubspot-contacts" in html and "utf-8-sig" in html
    assert "Became a Lead Date" in html and "stage_at:lead" in html
    assert "invalid email address" in html  # the bad row is flagged in the preview

    response = client.post(reverse("csvimport:run", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and Contact.objects.count() == 4  # Ann Lee merged
    page = client.get(reverse("csvimport:job", args=[job.pk])).content.decode()
    assert "Download the error CSV" in page and "not a date" in page

    csv = client.get(reverse("csvimport:errors_csv", args=[job.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "row_number,column,value,reason"
    assert (
        lines[1]
        == "7,Email,not-an-email,invalid email address 'not-an-email': an email address must have an @-sign"
    )
    assert len(lines) == 4

    history = client.get(reverse("csvimport:upload")).content.decode()
    assert "hubspot_contacts_labels.csv" in history and "Import" in history


def test_generic_mapping_is_editable_in_the_preview(client, manager):
    upload(client, "pipedrive_persons.csv", format="generic")
    job = ImportJob.objects.get()
    url = reverse("csvimport:preview", args=[job.pk])
    assert "<select" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "col:Person - ID": "external_id",
            "col:Person - Name": "full_name",
            "col:Person - Email": "email",
            "col:Person - Organization": "company_name",
            "col:Person - Notes": "ignore",
        },
    )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.mapping["columns"]["Person - Email"] == "email"
    client.post(reverse("csvimport:run", args=[job.pk]))
    quinn = Contact.objects.get(email="quinn@initech.com")
    assert (quinn.first_name, quinn.last_name) == ("Quinn", "Ray")


def test_bad_mapping_and_unreadable_file_give_clear_messages(client, manager):
    response = upload(client, "pipedrive_persons.csv", mapping="columns: {x: no_such_field}")
    assert response.status_code == 200 and "no_such_field" in response.content.decode()
    content = b"Foo,Bar\n1,2\n"
    client.post(
        reverse("csvimport:upload"),
        {"file": SimpleUploadedFile("odd.csv", content), "format": "auto"},
    )
    job = ImportJob.objects.get()
    page = client.get(reverse("csvimport:preview", args=[job.pk])).content.decode()
    assert "Map the columns below" in page and f"csvimport/jobs/{job.pk}/run" not in page
    client.post(
        reverse("csvimport:upload"),
        {"file": SimpleUploadedFile("odd2.csv", content), "format": "hubspot-deals"},
    )
    job = ImportJob.objects.latest("id")
    page = client.get(reverse("csvimport:preview", args=[job.pk]))
    assert page.status_code == 422 and "cannot be imported" in page.content.decode()


def test_members_can_look_but_not_import(client, make_user):
    client.force_login(make_user("member"))
    assert client.get(reverse("csvimport:upload")).status_code == 200
    assert upload(client, "generic_contacts.tsv").status_code == 403


def test_review_queue_merge_and_undo(client, manager):
    existing = Account.objects.create(name="Globex")
    near = Account.objects.create(name="Globexx")  # as an import would have created it
    contact = Contact.objects.create(email="x@globex.io", account=near)
    Touchpoint.objects.create(account=near, kind="event", occurred_at="2025-03-01T10:00Z")
    candidate = DuplicateCandidate.objects.create(
        kind="account", existing_id=existing.pk, incoming_id=near.pk, score=92, reason="alike"
    )
    page = client.get(reverse("csvimport:duplicates")).content.decode()
    assert "Globexx" in page and "Merge, keep existing" in page

    client.post(reverse("csvimport:resolve", args=[candidate.pk]), {"decision": "merge"})
    assert not Account.objects.filter(name="Globexx").exists()
    contact.refresh_from_db()
    assert contact.account == existing
    merge = MergeRecord.objects.get()
    assert merge.by == manager and merge.moved_summary["crm.Contact"] == 1
    assert merge.moved_summary["crm.Touchpoint"] == 1
    page = client.get(reverse("csvimport:duplicates")).content.decode()
    assert "Undo" in page

    client.post(reverse("csvimport:undo", args=[merge.pk]))
    contact.refresh_from_db()
    assert contact.account.name == "Globexx"
    candidate.refresh_from_db()
    assert candidate.status == "open"
    merge.refresh_from_db()
    assert merge.undone_by == manager

    client.post(reverse("csvimport:resolve", args=[candidate.pk]), {"decision": "keep_apart"})
    candidate.refresh_from_db()
    assert candidate.status == "kept_apart" and Account.objects.count() == 2


def test_import_queues_fuzzy_account_and_same_name_contact(tmp_path):
    from smarketing.ingest.csvimport.actions import do_create_job, do_run_import

    Account.objects.create(name="Umbrella Corp", domain=None)
    Contact.objects.create(
        email="ann.lee@acme.com", first_name="Ann", last_name="Lee",
        account=Account.objects.create(name="Acme", domain="acme.com"),
    )  # fmt: skip
    path = tmp_path / "c.csv"
    path.write_text(
        "Record ID,Email,First Name,Last Name,Company Name,Website URL\n"
        "1,fay@umbrela.com,Fay,Quill,Umbrela,\n"
        "2,a.lee@acme.com,Ann,Lee,Acme,acme.com\n"
    )
    summary = do_run_import(job=do_create_job(path=path))
    assert summary["duplicates_queued"] == 2
    kinds = sorted(DuplicateCandidate.objects.values_list("kind", flat=True))
    assert kinds == ["account", "contact"]
    assert Account.objects.filter(name="Umbrela").exists()  # created, and queued for review


def test_big_files_run_in_the_task_queue(client, manager, monkeypatch):
    from smarketing.ingest.csvimport import views

    monkeypatch.setattr(views, "INLINE_LIMIT", 10)  # every file is "big"
    upload(client, "generic_contacts.tsv")
    job = ImportJob.objects.get()
    page = client.get(reverse("csvimport:preview", args=[job.pk])).content.decode()
    assert "it runs in the background" in page
    client.post(reverse("csvimport:run", args=[job.pk]))  # huey runs inline in tests
    job.refresh_from_db()
    assert job.status == "done" and job.created_by == manager
    assert Contact.objects.count() == 4
