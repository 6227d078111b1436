"""HubSpot company and engagement exports: companies, calls, emails, meetings, notes.

Companies are upserted on their Record ID, the same id contact and deal exports name in
``Associated Company ID(s)``, so the files link in any order. An engagement row (an
activity logged on a contact record) becomes one sales touch per associated contact
(``Associated Contact IDs`` may list several, ``;``-separated), else one on its company.
Headers are property labels or internal names, as HubSpot's other exports.
"""

from __future__ import annotations

from smarketing.ingest.formats.common import company_name
from smarketing.ingest.formats.records import AccountRecord, Record, TouchRecord
from smarketing.ingest.formats.spec import Cells, Format

__all__ = [
    "HUBSPOT_CALLS",
    "HUBSPOT_COMPANIES",
    "HUBSPOT_EMAILS",
    "HUBSPOT_MEETINGS",
    "HUBSPOT_NOTES",
]

COMPANY_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Record ID", "Company ID", "hs_object_id"),
    "name": ("Company name", "Name", "name"),
    "domain": ("Company Domain Name", "domain"),
    "website": ("Website URL", "website"),
    "industry": ("Industry", "industry"),
    "employees": ("Number of Employees", "numberofemployees"),
    "country": ("Country/Region", "Country", "country"),
    "owner_ref": ("Company owner", "hubspot_owner_id"),
    "created_at": ("Create Date", "createdate"),
}


def _build_company(cells: Cells) -> list[Record]:
    external_id = cells.text("external_id")
    if external_id is None:
        cells.fail("external_id", cells.raw("external_id"), "missing company Record ID")
    cells.datetime("created_at")  # checked (a bad date is a row error), not stored
    return [
        AccountRecord(
            source_system=cells.source_system,
            name=company_name(cells, "name"),
            domain=cells.domain("domain") or cells.domain("website"),
            external_id=external_id,
            industry=cells.text("industry"),
            employees=cells.integer("employees"),
            country=cells.text("country"),
            owner_ref=cells.text("owner_ref"),
            properties=cells.properties(),
            own=True,
        )
    ]


HUBSPOT_COMPANIES = Format(
    name="hubspot-companies",
    source_system="hubspot",
    object_type="account",
    columns=COMPANY_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"record id", "company name"},
            {"record id", "company domain name", "company owner"},
            {"company name", "company owner"},
            {"hs object id", "domain", "name"},
        )
    ),
    build=_build_company,
    description="HubSpot companies export (labels or internal names)",
    required=("external_id",),
)

_ASSOCIATIONS: dict[str, tuple[str, ...]] = {
    "external_id": ("Record ID", "hs_object_id"),
    "contact_refs": ("Associated Contact IDs", "Associated Contact ID", "associatedcontactids"),
    "company_ref": ("Associated Company IDs", "Associated Company ID", "associatedcompanyids"),
    "owner_ref": ("Activity assigned to", "Assigned to", "hubspot_owner_id"),
    "created_at": ("Create Date", "Created at", "hs_createdate"),
}

#: HubSpot call outcomes (the default dispositions) → our call outcomes.
_CALL_OUTCOMES = {
    "connected": "connected",
    "left live message": "connected",
    "left voicemail": "voicemail",
    "no answer": "no_answer",
    "busy": "no_answer",
    "wrong number": "wrong_number",
}


def _engagement(kind: str, label: str, subject_field: str):
    def build(cells: Cells) -> list[Record]:
        engagement_id = cells.text("external_id")
        if engagement_id is None:
            cells.fail("external_id", cells.raw("external_id"), "missing Record ID")
        field = next((f for f in ("activity_at", "created_at") if cells.text(f)), None)
        at = cells.datetime(field) if field else None
        if at is None and not cells.errors:
            cells.fail("activity_at", cells.raw("activity_at"), "no activity date")
        people = [
            p.strip() for p in (cells.text("contact_refs") or "").replace(",", ";").split(";")
        ]
        people = [p for p in people if p]
        company = (cells.text("company_ref") or "").split(";")[0].strip() or None
        if not people and company is None and not cells.errors:
            cells.fail(
                "contact_refs", None, f"the {label} is associated with no contact or company"
            )
        if cells.errors:
            return []
        raw_outcome = cells.text("outcome")
        outcome = (
            _CALL_OUTCOMES.get(raw_outcome.lower())
            if raw_outcome and kind == "sales_call"
            else None
        )
        props = {"engagement": label}
        for name in ("outcome", "direction", "body"):
            if cells.text(name):
                props[name] = cells.text(name)[:500]
        return [
            TouchRecord(
                source_system=cells.source_system,
                touch_id=f"{label}:{engagement_id}:{person or company}",
                kind=kind,
                occurred_at=at,
                column=cells.bound.headers[field],
                contact_ref=person,
                account_ref=company if person is None else None,
                channel="Sales outreach",
                source="hubspot",
                medium=label,
                subject=cells.text(subject_field),
                outcome=outcome,
                owner_ref=cells.text("owner_ref"),
                properties={**cells.properties(), **props},
            )
            for person in (people or [None])
        ]

    return build


def _engagement_format(name, kind, label, columns, signatures) -> Format:
    return Format(
        name=name,
        source_system="hubspot",
        object_type="touch",
        columns={**_ASSOCIATIONS, **columns},
        signatures=tuple(frozenset(s) for s in signatures),
        build=_engagement(kind, label, "subject"),
        description=f"HubSpot {label}s export (logged {label}s as sales touches)",
    )


HUBSPOT_CALLS = _engagement_format(
    "hubspot-calls",
    "sales_call",
    "call",
    {
        "subject": ("Call Title", "hs_call_title"),
        "activity_at": ("Activity date", "hs_timestamp"),
        "outcome": ("Call outcome", "hs_call_disposition"),
        "direction": ("Call direction", "hs_call_direction"),
        "body": ("Call notes", "hs_call_body"),
    },
    ({"record id", "call title"}, {"record id", "call outcome"}, {"hs call title"}),
)
HUBSPOT_EMAILS = _engagement_format(
    "hubspot-emails",
    "sales_email",
    "email",
    {
        "subject": ("Email subject", "hs_email_subject"),
        "activity_at": ("Activity date", "hs_timestamp"),
        "direction": ("Email direction", "hs_email_direction"),
        "body": ("Email body", "hs_email_text"),
    },
    ({"record id", "email subject"}, {"hs email subject"}),
)
HUBSPOT_MEETINGS = _engagement_format(
    "hubspot-meetings",
    "meeting",
    "meeting",
    {
        "subject": ("Meeting name", "Meeting title", "hs_meeting_title"),
        "activity_at": ("Meeting start time", "Activity date", "hs_meeting_start_time"),
        "outcome": ("Meeting outcome", "hs_meeting_outcome"),
        "body": ("Meeting description", "hs_meeting_body"),
    },
    ({"record id", "meeting name"}, {"record id", "meeting start time"}, {"hs meeting title"}),
)
HUBSPOT_NOTES = _engagement_format(
    "hubspot-notes",
    "sales_task",
    "note",
    {
        "subject": ("Note title",),
        "activity_at": ("Activity date", "hs_timestamp"),
        "body": ("Note body", "hs_note_body"),
    },
    ({"record id", "note body"}, {"hs note body"}),
)
