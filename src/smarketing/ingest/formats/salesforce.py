"""Salesforce exports (Data Loader / Data Export): Lead, Opportunity, OpportunityHistory.

Headers are API field names (``FirstName``, ``StageName``); date-times look like
``2025-03-04T10:00:00.000+0000``, dates like ``2025-03-04``, checkboxes ``true``/``false``.
History is rebuilt from a Lead's ``CreatedDate`` (became a lead) and ``ConvertedDate``
(became an SQL, and an opportunity when ``ConvertedOpportunityId`` is set), and from every
OpportunityHistory row (one deal stage event each, keyed by the history row's ``Id``).
"""

from __future__ import annotations

from smarketing.ingest.formats.common import (
    company_name,
    contact_key,
    contact_with_account,
    source_touch,
)
from smarketing.ingest.formats.records import DealRecord, Record, StageEventRecord
from smarketing.ingest.formats.spec import Cells, Format
from smarketing.ingest.formats.stages import SALESFORCE_DEAL_STAGES, SALESFORCE_LEAD_STATUS

__all__ = ["SALESFORCE_LEADS", "SALESFORCE_OPPORTUNITIES", "SALESFORCE_OPPORTUNITY_HISTORY"]

LEAD_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Id",),
    "first_name": ("FirstName",),
    "last_name": ("LastName",),
    "email": ("Email",),
    "company_name": ("Company",),
    "website": ("Website",),
    "title": ("Title",),
    "phone": ("Phone",),
    "lead_source": ("LeadSource",),
    "status": ("Status",),
    "is_converted": ("IsConverted",),
    "converted_at": ("ConvertedDate",),
    "converted_contact_ref": ("ConvertedContactId",),
    "converted_account_ref": ("ConvertedAccountId",),
    "converted_deal_ref": ("ConvertedOpportunityId",),
    "created_at": ("CreatedDate",),
    "owner_ref": ("OwnerId",),
    "country": ("Country",),
    "industry": ("Industry",),
    "employees": ("NumberOfEmployees",),
    "rating": ("Rating",),
}


def _event(cells: Cells, object_type: str, external_id: str, stage: str, at, **extra):
    return StageEventRecord(
        source_system=cells.source_system,
        object_type=object_type,
        external_id=external_id,
        stage=stage,
        at=at,
        event_id=extra.pop("event_id", f"{external_id}:{stage}"),
        **extra,
    )


def _build_lead(cells: Cells) -> list[Record]:
    external_id = cells.sf_id("external_id")
    email = cells.email()
    stage, _ = cells.stage("status", cells.bound.lifecycle)
    converted = cells.boolean("is_converted")
    converted_at = cells.datetime("converted_at")
    created_at = cells.datetime("created_at")
    deal_ref = cells.sf_id("converted_deal_ref")
    lead_source = cells.text("lead_source")
    contact = {
        "external_id": external_id,
        "email": email,
        "first_name": cells.text("first_name"),
        "last_name": cells.text("last_name"),
        "phone": cells.text("phone"),
        "title": cells.text("title"),
        "company_name": company_name(cells, "company_name"),
        "company_domain": cells.domain("website"),
        "account_ref": cells.sf_id("converted_account_ref"),
        "lifecycle_stage": stage,
        "lead_status": cells.text("status"),
        "created_at": created_at,
        "original_source": lead_source,
        "channel": cells.bound.source_channel("salesforce", lead_source),
        "owner_ref": cells.sf_id("owner_ref"),
        "country": cells.text("country"),
        "industry": cells.text("industry"),
        "employees": cells.integer("employees"),
        "converted": converted,
        "converted_contact_ref": cells.sf_id("converted_contact_ref"),
        "converted_deal_ref": deal_ref,
        "properties": cells.properties(),
    }
    contact_key(cells, external_id, email)
    touches = source_touch(
        cells,
        key=external_id or email,
        which="first",
        at=created_at or converted_at,
        field="lead_source",
        value=lead_source,
        channel=contact["channel"],
    )
    if external_id is None:
        return [*contact_with_account(cells, contact), *touches]
    events: list[Record] = [*touches]
    if created_at is not None:
        events.append(_event(cells, "contact", external_id, "lead", created_at))
    if converted_at is not None:
        if converted is False:
            cells.fail(
                "converted_at",
                cells.raw("converted_at"),
                "ConvertedDate is set but IsConverted is false",
            )
        raw = cells.raw("converted_at") or ""
        if ":" not in raw and created_at is not None and created_at.date() == converted_at.date():
            # A date-only ConvertedDate is midnight; on the day the lead was created it
            # must not sort before its own creation (history sql -> lead).
            converted_at = max(converted_at, created_at)
        events.append(_event(cells, "contact", external_id, "sql", converted_at))
        if deal_ref:
            events.append(_event(cells, "contact", external_id, "opportunity", converted_at))
    return [*contact_with_account(cells, contact), *events]


SALESFORCE_LEADS = Format(
    name="salesforce-leads",
    source_system="salesforce",
    object_type="contact",
    columns=LEAD_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"id", "lastname", "company"},
            {"id", "isconverted"},
            {"id", "leadsource", "status"},
            {"id", "lastname", "company", "status"},
        )
    ),
    build=_build_lead,
    lifecycle_stages=SALESFORCE_LEAD_STATUS,
    description="Salesforce Lead export (API field names)",
)

OPPORTUNITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Id",),
    "name": ("Name",),
    "account_ref": ("AccountId",),
    "account_name": ("Account.Name", "AccountName"),
    "stage": ("StageName",),
    "amount": ("Amount",),
    "close_date": ("CloseDate",),
    "is_closed": ("IsClosed",),
    "is_won": ("IsWon",),
    "lead_source": ("LeadSource",),
    "created_at": ("CreatedDate",),
    "owner_ref": ("OwnerId",),
    "deal_type": ("Type",),
    "currency": ("CurrencyIsoCode",),
    "loss_reason": ("Loss_Reason__c", "LossReason", "Closed_Lost_Reason__c"),
}


def _opportunity_stage(cells: Cells) -> tuple[str | None, bool, bool]:
    """Stage from ``StageName``; ``IsClosed``/``IsWon`` decide when present."""
    raw = cells.text("stage")
    is_closed, is_won = cells.boolean("is_closed"), cells.boolean("is_won")
    if raw is None:
        cells.fail("stage", cells.raw("stage"), "missing StageName")
        return None, False, False
    stage_map = cells.bound.deals
    assert stage_map is not None
    try:
        stage = stage_map.lookup(raw)
    except ValueError:
        stage = None
    if is_closed is True:
        flagged = "closed_won" if is_won else "closed_lost"
        if stage is not None and stage in ("closed_won", "closed_lost") and stage != flagged:
            cells.fail("is_won", cells.raw("is_won"), f"IsWon contradicts StageName {raw!r}")
        return flagged, True, bool(is_won)
    if stage is None:
        cells.fail(
            "stage", raw, f"unknown deal stage {raw!r}; add it to the mapping file's deal_stages"
        )
        return None, False, False
    if is_closed is False and stage in ("closed_won", "closed_lost"):
        cells.fail(
            "is_closed", cells.raw("is_closed"), f"IsClosed is false but StageName is {raw!r}"
        )
    return stage, stage in ("closed_won", "closed_lost"), stage == "closed_won"


def _build_opportunity(cells: Cells) -> list[Record]:
    external_id = cells.sf_id("external_id")
    if external_id is None:
        cells.fail("external_id", cells.raw("external_id"), "missing opportunity Id")
    stage, is_closed, is_won = _opportunity_stage(cells)
    lead_source = cells.text("lead_source")
    return [
        DealRecord(
            source_system=cells.source_system,
            external_id=external_id or "",
            name=cells.text("name"),
            stage=stage or "",
            source_stage=cells.text("stage") or "",
            is_closed=is_closed,
            is_won=is_won,
            amount=cells.amount("amount"),
            currency=cells.text("currency"),
            close_date=cells.date("close_date"),
            created_at=cells.datetime("created_at"),
            owner_ref=cells.sf_id("owner_ref"),
            account_ref=cells.sf_id("account_ref"),
            account_name=cells.text("account_name"),
            loss_reason=cells.text("loss_reason"),
            lead_source=lead_source,
            channel=cells.bound.source_channel("salesforce", lead_source),
            deal_type=cells.text("deal_type"),
            properties=cells.properties(),
        )
    ]


SALESFORCE_OPPORTUNITIES = Format(
    name="salesforce-opportunities",
    source_system="salesforce",
    object_type="deal",
    columns=OPPORTUNITY_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"id", "name", "stagename"},
            {"id", "isclosed"},
            {"id", "iswon"},
        )
    ),
    build=_build_opportunity,
    deal_stages=SALESFORCE_DEAL_STAGES,
    description="Salesforce Opportunity export (API field names)",
    required=("external_id", "stage"),
)

HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "event_id": ("Id",),
    "external_id": ("OpportunityId",),
    "stage": ("StageName",),
    "amount": ("Amount",),
    "close_date": ("CloseDate",),
    "created_at": ("CreatedDate",),
    "by_ref": ("CreatedById",),
}


def _build_history(cells: Cells) -> list[Record]:
    event_id = cells.sf_id("event_id")
    deal_id = cells.sf_id("external_id")
    at = cells.datetime("created_at")
    stage, source_stage = cells.stage("stage", cells.bound.deals)
    amount = cells.amount("amount")
    for name, value in (("event_id", event_id), ("external_id", deal_id), ("created_at", at)):
        if value is None and not cells.errors:
            cells.fail(name, cells.raw(name), f"missing {cells.bound.headers.get(name, name)}")
    if source_stage is None and not cells.errors:
        cells.fail("stage", cells.raw("stage"), "missing StageName")
    if cells.errors:
        return []
    return [
        _event(
            cells,
            "deal",
            deal_id,
            stage,
            at,
            event_id=event_id,
            source_stage=source_stage,
            by_ref=cells.sf_id("by_ref"),
            amount=amount,
        )
    ]


SALESFORCE_OPPORTUNITY_HISTORY = Format(
    name="salesforce-opportunity-history",
    source_system="salesforce",
    object_type="stage_event",
    columns=HISTORY_COLUMNS,
    signatures=(frozenset({"opportunityid", "stagename"}),),
    build=_build_history,
    deal_stages=SALESFORCE_DEAL_STAGES,
    description="Salesforce OpportunityHistory export (stage changes of opportunities)",
    required=("external_id", "stage", "created_at"),
)
