"""Salesforce Contact, Account, CampaignMember, Task and Event exports (API field names).

- **Contact**: one person (like a Lead, but linked to its ``AccountId``; no Status, no
  conversion). ``LeadSource`` at ``CreatedDate`` is the first touch.
- **Account**: one company, upserted on its ``Id``; contacts and opportunities that name it
  by id link to it whichever file comes first.
- **CampaignMember**: a lead's or contact's membership of a campaign, a marketing touch at
  ``FirstRespondedDate`` (else ``CreatedDate``) with its ``Status`` (Sent, Responded …).
- **Task** / **Event**: a logged call, email or meeting, a sales touch on its ``WhoId`` (a
  lead or contact), else on its ``AccountId``; calls keep ``CallDisposition`` as outcome.
"""

from __future__ import annotations

from smarketing.ingest.formats.common import (
    company_name,
    contact_key,
    contact_with_account,
    source_touch,
)
from smarketing.ingest.formats.records import AccountRecord, Record, RoleRecord, TouchRecord
from smarketing.ingest.formats.spec import Cells, Format

__all__ = [
    "SALESFORCE_ACCOUNTS",
    "SALESFORCE_CAMPAIGN_MEMBERS",
    "SALESFORCE_CONTACTS",
    "SALESFORCE_CONTACT_ROLES",
    "SALESFORCE_TASKS",
]

CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Id",),
    "account_ref": ("AccountId",),
    "company_name": ("Account.Name", "AccountName"),
    "first_name": ("FirstName",),
    "last_name": ("LastName",),
    "email": ("Email",),
    "title": ("Title",),
    "phone": ("Phone", "MobilePhone"),
    "lead_source": ("LeadSource",),
    "created_at": ("CreatedDate",),
    "owner_ref": ("OwnerId",),
    "country": ("MailingCountry", "OtherCountry"),
    "last_activity_at": ("LastActivityDate",),
    "deleted": ("IsDeleted",),
}


def _build_contact(cells: Cells) -> list[Record]:
    external_id = cells.sf_id("external_id")
    email = cells.email()
    created_at = cells.datetime("created_at")
    lead_source = cells.text("lead_source")
    channel = cells.bound.source_channel("salesforce", lead_source)
    if cells.boolean("deleted"):
        return []  # in the recycle bin: not a person to import
    contact = {
        "external_id": external_id,
        "email": email,
        "first_name": cells.text("first_name"),
        "last_name": cells.text("last_name"),
        "phone": cells.text("phone"),
        "title": cells.text("title"),
        "company_name": company_name(cells, "company_name"),
        "account_ref": cells.sf_id("account_ref"),
        "created_at": created_at,
        "original_source": lead_source,
        "channel": channel,
        "owner_ref": cells.sf_id("owner_ref"),
        "country": cells.text("country"),
        "last_activity_at": cells.datetime("last_activity_at"),
        "properties": cells.properties(),
    }
    contact_key(cells, external_id, email)
    touches = source_touch(
        cells,
        key=external_id or email,
        which="first",
        at=created_at,
        field="lead_source",
        value=lead_source,
        channel=channel,
    )
    return [*contact_with_account(cells, contact), *touches]


SALESFORCE_CONTACTS = Format(
    name="salesforce-contacts",
    source_system="salesforce",
    object_type="contact",
    columns=CONTACT_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"id", "accountid", "lastname"},
            {"id", "accountid", "email"},
            {"id", "mailingcountry", "lastname"},
            {"id", "reportstoid"},
        )
    ),
    build=_build_contact,
    description="Salesforce Contact export (API field names)",
)

ACCOUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Id",),
    "name": ("Name",),
    "website": ("Website",),
    "industry": ("Industry",),
    "employees": ("NumberOfEmployees",),
    "country": ("BillingCountry", "ShippingCountry"),
    "owner_ref": ("OwnerId",),
    "deleted": ("IsDeleted",),
}


def _build_account(cells: Cells) -> list[Record]:
    external_id = cells.sf_id("external_id")
    if external_id is None:
        cells.fail("external_id", cells.raw("external_id"), "missing account Id")
    if cells.boolean("deleted"):
        return []
    return [
        AccountRecord(
            source_system=cells.source_system,
            name=company_name(cells, "name"),
            domain=cells.domain("website"),
            external_id=external_id,
            industry=cells.text("industry"),
            employees=cells.integer("employees"),
            country=cells.text("country"),
            owner_ref=cells.sf_id("owner_ref"),
            properties=cells.properties(),
            own=True,
        )
    ]


SALESFORCE_ACCOUNTS = Format(
    name="salesforce-accounts",
    source_system="salesforce",
    object_type="account",
    columns=ACCOUNT_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"id", "name", "billingcountry"},
            {"id", "name", "numberofemployees"},
            {"id", "name", "website", "industry"},
            {"id", "parentid", "name"},
        )
    ),
    build=_build_account,
    description="Salesforce Account export (API field names)",
    required=("external_id",),
)

MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Id",),
    "campaign_ref": ("CampaignId",),
    "campaign_name": ("Campaign.Name", "CampaignName"),
    "lead_ref": ("LeadId",),
    "contact_ref": ("ContactId",),
    "status": ("Status",),
    "responded": ("HasResponded",),
    "responded_at": ("FirstRespondedDate",),
    "created_at": ("CreatedDate",),
    "campaign_type": ("Campaign.Type", "CampaignType"),
}


def _build_member(cells: Cells) -> list[Record]:
    member_id = cells.sf_id("external_id")
    person = cells.sf_id("contact_ref") or cells.sf_id("lead_ref")
    responded_at = cells.datetime("responded_at")
    created_at = cells.datetime("created_at")
    at = responded_at or created_at
    if person is None:
        cells.fail(
            "lead_ref", cells.raw("lead_ref"), "the member names neither a LeadId nor a ContactId"
        )
    if at is None and not cells.errors:
        cells.fail("created_at", cells.raw("created_at"), "missing CreatedDate")
    if cells.errors:
        return []
    campaign_type = cells.text("campaign_type")
    campaign_ref = cells.sf_id("campaign_ref")
    status = cells.text("status")
    props = {k: v for k, v in (("status", status), ("campaign_type", campaign_type)) if v}
    if cells.boolean("responded") is not None:
        props["responded"] = str(cells.boolean("responded")).lower()
    channel = cells.bound.source_channel("salesforce", campaign_type) if campaign_type else None
    return [
        TouchRecord(
            source_system=cells.source_system,
            touch_id=f"campaign-member:{member_id or person + ':' + str(campaign_ref)}",
            kind="campaign_member",
            occurred_at=at,
            column=cells.bound.headers.get("responded_at" if responded_at else "created_at", ""),
            contact_ref=person,
            channel=channel or "Other",
            source=(campaign_type or "campaign")[:100],
            campaign_name=cells.text("campaign_name"),
            campaign_ref=campaign_ref,
            properties={**cells.properties(), **props},
        )
    ]


SALESFORCE_CAMPAIGN_MEMBERS = Format(
    name="salesforce-campaign-members",
    source_system="salesforce",
    object_type="touch",
    columns=MEMBER_COLUMNS,
    signatures=tuple(frozenset(s) for s in ({"campaignid", "leadid"}, {"campaignid", "contactid"})),
    build=_build_member,
    description="Salesforce CampaignMember export (campaign memberships as marketing touches)",
)

TASK_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Id",),
    "who_ref": ("WhoId",),
    "account_ref": ("AccountId",),
    "subject": ("Subject",),
    "subtype": ("TaskSubtype", "EventSubtype"),
    "type": ("Type",),
    "activity_at": ("CompletedDateTime", "StartDateTime", "ActivityDateTime"),
    "activity_date": ("ActivityDate",),
    "created_at": ("CreatedDate",),
    "disposition": ("CallDisposition",),
    "call_type": ("CallType",),
    "status": ("Status",),
    "owner_ref": ("OwnerId",),
    "deleted": ("IsDeleted",),
}

#: TaskSubtype / EventSubtype / Type → touch kind (anything else: a logged sales activity).
_TASK_KINDS = {
    "call": "sales_call",
    "email": "sales_email",
    "listemail": "sales_email",
    "event": "meeting",
    "meeting": "meeting",
    "demo": "demo",
    "linkedin": "sales_social",
}

#: CallDisposition values (free text in Salesforce; the usual ones) → our call outcomes.
_OUTCOMES = {
    "connected": "connected",
    "reached": "connected",
    "spoke": "connected",
    "left voicemail": "voicemail",
    "voicemail": "voicemail",
    "no answer": "no_answer",
    "wrong number": "wrong_number",
    "meeting booked": "meeting_booked",
    "meeting scheduled": "meeting_booked",
}


def _build_task(cells: Cells) -> list[Record]:
    if cells.boolean("deleted"):
        return []
    task_id = cells.sf_id("external_id")
    who = cells.sf_id("who_ref")
    account = cells.sf_id("account_ref")
    if task_id is None:
        cells.fail("external_id", cells.raw("external_id"), "missing Id")
    field = next((f for f in ("activity_at", "activity_date", "created_at") if cells.text(f)), None)
    at = cells.datetime(field) if field else None
    if at is None and not cells.errors:
        cells.fail("created_at", cells.raw("created_at"), "no date (ActivityDate or CreatedDate)")
    if who is None and account is None and not cells.errors:
        cells.fail("who_ref", cells.raw("who_ref"), "the activity names no WhoId or AccountId")
    if cells.errors:
        return []
    subtype = cells.text("subtype") or cells.text("type") or ""
    is_event = cells.has("subtype") and cells.bound.headers["subtype"].lower() == "eventsubtype"
    kind = _TASK_KINDS.get(
        subtype.lower().replace(" ", ""), "meeting" if is_event else "sales_task"
    )
    disposition = cells.text("disposition")
    outcome = _OUTCOMES.get(disposition.lower()) if disposition else None
    props = {k: v for k, v in (("subtype", subtype), ("disposition", disposition),
             ("status", cells.text("status")), ("call_type", cells.text("call_type"))) if v}  # fmt: skip
    return [
        TouchRecord(
            source_system=cells.source_system,
            touch_id=f"activity:{task_id}",
            kind=kind,
            occurred_at=at,
            column=cells.bound.headers[field],
            contact_ref=who,
            account_ref=account,
            channel="Sales outreach",
            source="salesforce",
            medium=subtype.lower()[:100] or None,
            subject=cells.text("subject"),
            outcome=outcome,
            owner_ref=cells.sf_id("owner_ref"),
            properties={**cells.properties(), **props},
        )
    ]


SALESFORCE_TASKS = Format(
    name="salesforce-tasks",
    source_system="salesforce",
    object_type="touch",
    columns=TASK_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"id", "whoid", "subject"},
            {"id", "whoid", "activitydate"},
            {"id", "tasksubtype"},
            {"id", "eventsubtype"},
            {"id", "whoid", "startdatetime"},
        )
    ),
    build=_build_task,
    description="Salesforce Task or Event export (logged calls, emails, meetings as sales touches)",
)

ROLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Id",),
    "deal_ref": ("OpportunityId",),
    "contact_ref": ("ContactId",),
    "role": ("Role",),
    "is_primary": ("IsPrimary",),
}

#: OpportunityContactRole's default Role picklist → our buying-committee roles.
_ROLES = {
    "decision maker": "decision_maker",
    "economic buyer": "decision_maker",
    "economic decision maker": "decision_maker",
    "executive sponsor": "decision_maker",
    "champion": "champion",
    "business user": "user",
    "user": "user",
    "evaluator": "influencer",
    "technical buyer": "influencer",
    "influencer": "influencer",
    "blocker": "blocker",
}


def _build_role(cells: Cells) -> list[Record]:
    deal, contact = cells.sf_id("deal_ref"), cells.sf_id("contact_ref")
    for name, value in (("deal_ref", deal), ("contact_ref", contact)):
        if value is None:
            cells.fail(name, cells.raw(name), f"missing {cells.bound.headers.get(name, name)}")
    if cells.errors:
        return []
    raw = cells.text("role")
    return [
        RoleRecord(
            source_system=cells.source_system,
            external_id=cells.sf_id("external_id"),
            deal_ref=deal,
            contact_ref=contact,
            role=_ROLES.get((raw or "").lower(), "other"),
            is_primary=bool(cells.boolean("is_primary")),
            source_role=raw,
        )
    ]


SALESFORCE_CONTACT_ROLES = Format(
    name="salesforce-opportunity-contact-roles",
    source_system="salesforce",
    object_type="deal_role",
    columns=ROLE_COLUMNS,
    signatures=(frozenset({"opportunityid", "contactid"}),),
    build=_build_role,
    description="Salesforce OpportunityContactRole export (buying committees)",
    required=("deal_ref", "contact_ref"),
)
