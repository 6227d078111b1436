"""Mautic contact exports: headers are the contact field aliases (``firstname``, ``points``).

Mautic stores and exports dates as ``YYYY-MM-DD HH:MM:SS`` in UTC. Stages are named by each
Mautic instance's admin, so the usual names are known and others need a mapping file.
"""

from __future__ import annotations

from smarketing.ingest.formats.common import (
    company_name,
    contact_key,
    contact_with_account,
    split_tags,
)
from smarketing.ingest.formats.records import Record
from smarketing.ingest.formats.spec import Cells, Format
from smarketing.ingest.formats.stages import MAUTIC_STAGES

__all__ = ["MAUTIC_CONTACTS"]

MAUTIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("id",),
    "first_name": ("firstname",),
    "last_name": ("lastname",),
    "email": ("email",),
    "company_name": ("company",),
    "website": ("website",),
    "title": ("position",),
    "phone": ("phone", "mobile"),
    "score": ("points",),
    "lifecycle_stage": ("stage",),
    "country": ("country",),
    "created_at": ("date_added",),
    "identified_at": ("date_identified",),
    "last_activity_at": ("last_active",),
    "tags": ("tags",),
    "owner_ref": ("owner", "owner_id"),
}


def _build_contact(cells: Cells) -> list[Record]:
    external_id = cells.text("external_id")
    email = cells.email()
    stage, _ = cells.stage("lifecycle_stage", cells.bound.lifecycle)
    cells.datetime("identified_at")  # validated: a bad date is a row error like any other
    contact = {
        "external_id": external_id,
        "email": email,
        "first_name": cells.text("first_name"),
        "last_name": cells.text("last_name"),
        "phone": cells.text("phone"),
        "title": cells.text("title"),
        "company_name": company_name(cells, "company_name"),
        "company_domain": cells.domain("website"),
        "lifecycle_stage": stage,
        "created_at": cells.datetime("created_at"),
        "last_activity_at": cells.datetime("last_activity_at"),
        "score": cells.signed_integer("score"),
        "tags": split_tags(cells.text("tags")),
        "owner_ref": cells.text("owner_ref"),
        "country": cells.text("country"),
        "properties": cells.properties(),
    }
    contact_key(cells, external_id, email)
    return contact_with_account(cells, contact)


MAUTIC_CONTACTS = Format(
    name="mautic-contacts",
    source_system="mautic",
    object_type="contact",
    columns=MAUTIC_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"id", "date added"},
            {"id", "points"},
            {"id", "date identified"},
        )
    ),
    build=_build_contact,
    lifecycle_stages=MAUTIC_STAGES,
    description="Mautic contacts export (field aliases)",
)
