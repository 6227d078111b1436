"""Export and erase everything smarketing holds about one person (GDPR articles 15 and 17).

The person is found by email. *Export* gathers their contact row, every row of every model
that points at the contact (found through Django's model metadata, so a new model with a
foreign key to Contact is included without a change here), their audit-log rows, external
references, import row errors and the lines of uploaded import files that name them.

*Erase* removes the personal fields while keeping the figures: the contact row stays (funnel
and attribution counts keep it) but loses email, names, phone and title and is marked
do-not-contact; their touchpoints lose the browser id, query strings and properties; audit
rows about them are rewritten without values (the one sanctioned exception to the append-only
log); ``email:<address>`` references are deleted; import row errors naming them are blanked and
uploaded import files are rewritten without their lines. The erasure itself is recorded in
the audit log with counts only.

This module sits at the top of the layers (like reporting): it reads every app's models.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.forms.models import model_to_dict

from smarketing.core.audit import record
from smarketing.core.models import AuditLog
from smarketing.crm.models import Contact, Touchpoint, VisitorId
from smarketing.ingest.csvimport.models import ExternalRef, ImportJob, ImportRowError

#: The contact fields that identify a person; erasure blanks them.
PERSONAL_FIELDS = {"email": None, "first_name": "", "last_name": "", "title": "", "phone": ""}


class PersonNotFound(LookupError):
    """No contact has that email address."""


def _contact(email: str) -> Contact:
    contact = Contact.objects.filter(email__iexact=(email or "").strip()).first()
    if contact is None:
        raise PersonNotFound(f"no contact has the email {email!r}")
    return contact


def _rows(qs) -> list[dict]:
    return [model_to_dict(obj) | {"id": obj.pk} for obj in qs]


def _related_models():
    """(model, field name) for every concrete foreign key or one-to-one pointing at Contact."""
    for rel in Contact._meta.related_objects:
        if rel.concrete or rel.many_to_many:
            continue
        yield rel.related_model, rel.field.name


def _audit_rows(contact: Contact, email: str):
    about = AuditLog.objects.filter(object_type=Contact._meta.label, object_id=str(contact.pk))
    ids = set(about.values_list("id", flat=True))
    needle = email.lower()
    for row in AuditLog.objects.exclude(id__in=ids).only("id", "changes", "object_repr").iterator():
        if needle in (str(row.changes) + row.object_repr).lower():
            ids.add(row.id)
    return AuditLog.objects.filter(id__in=ids)


def _file_lines(email: str):
    """(job, line numbers) of uploaded import files that still exist and name ``email``."""
    needle = email.lower().encode()
    for job in ImportJob.objects.exclude(file_path=""):
        path = Path(job.file_path)
        if not path.is_file():
            continue
        lines = path.read_bytes().split(b"\n")
        hits = [n for n, line in enumerate(lines, start=1) if needle in line.lower()]
        if hits:
            yield job, path, lines, hits


def export_person(*, email: str) -> dict[str, Any]:
    """Everything about the person with ``email``, as JSON-ready data (reads only)."""
    contact = _contact(email)
    related: dict[str, list] = {}
    for model, field in _related_models():
        rows = _rows(model.objects.filter(**{field: contact}))
        if rows:
            related.setdefault(model._meta.label, []).extend(rows)
    address = contact.email or email
    return {
        "email": address,
        "contact": model_to_dict(contact) | {"id": contact.pk},
        "related": related,
        "audit_log": _rows(_audit_rows(contact, address)),
        "external_references": _rows(
            ExternalRef.objects.filter(object_type="contact", object_id=contact.pk)
            | ExternalRef.objects.filter(external_id__iexact=f"email:{address}")
        ),
        "import_row_errors": _rows(ImportRowError.objects.filter(value__icontains=address)),
        "import_file_lines": [
            {
                "job": job.pk,
                "file": job.file_name,
                "lines": [lines[n - 1].decode("utf-8", "replace") for n in hits],
            }
            for job, _, lines, hits in _file_lines(address)
        ],
    }


def _rewrite(path: Path, lines: list[bytes], drop: list[int]) -> None:
    keep = [line for n, line in enumerate(lines, start=1) if n not in set(drop)]
    tmp = path.with_name(path.name + ".erasing")
    tmp.write_bytes(b"\n".join(keep))
    os.replace(tmp, path)


@transaction.atomic
def do_erase_person(*, email: str) -> dict[str, int]:
    """Erase the personal data of the person with ``email``; returns what was changed, by table.

    Idempotent in effect: a second call finds no contact with that email any more
    (:class:`PersonNotFound`).
    """
    contact = _contact(email)
    address = contact.email
    erased_id = "erased-" + hashlib.sha256(f"{contact.pk}:{address}".encode()).hexdigest()[:16]
    counts: dict[str, int] = {}
    counts["crm.Contact"] = Contact.objects.filter(pk=contact.pk).update(
        **PERSONAL_FIELDS, do_not_contact=True, email_consent=False
    )
    touches = Touchpoint.objects.filter(contact=contact)
    counts["crm.Touchpoint"] = touches.count()
    for touch in touches.only("id", "url", "referrer").iterator():
        Touchpoint.objects.filter(pk=touch.pk).update(
            anonymous_id=erased_id,
            url=touch.url.split("?", 1)[0],
            referrer=touch.referrer.split("?", 1)[0],
            properties={},
        )
    counts["crm.VisitorId"] = VisitorId.objects.filter(contact=contact).delete()[0]
    audit = _audit_rows(contact, address)
    # The append-only manager refuses update(); erasure is the documented exception.
    counts["core.AuditLog"] = models.QuerySet.update(
        audit, changes={"erased": True}, object_repr=f"erased contact #{contact.pk}"
    )
    counts["csvimport.ExternalRef"] = ExternalRef.objects.filter(
        external_id__iexact=f"email:{address}"
    ).delete()[0]
    counts["csvimport.ImportRowError"] = ImportRowError.objects.filter(
        value__icontains=address
    ).update(value="(erased)")
    files = 0
    for _job, path, lines, hits in _file_lines(address):
        _rewrite(path, lines, hits)
        files += 1
    counts["import files rewritten"] = files
    record(
        action=AuditLog.Action.OTHER,
        object_type="privacy.Erasure",
        object_id=str(contact.pk),
        changes={"erased": {k: v for k, v in counts.items() if v}},
    )
    return counts
