"""HubSpot exports: contacts and deals, with property labels or internal names as headers.

HubSpot's export dialog writes property **labels** ("First Name", "Lifecycle Stage",
"Became a Lead Date"); exports made through the API or some integrations use **internal
names** (``firstname``, ``lifecyclestage``, ``hs_lifecyclestage_lead_date``) with internal
values (``marketingqualifiedlead``, epoch milliseconds). Both are read.
"""

from __future__ import annotations

import re

from smarketing.ingest.formats.common import (
    company_name,
    contact_key,
    contact_with_account,
    source_touch,
    stage_events,
)
from smarketing.ingest.formats.records import DealRecord, Record, StageEventRecord
from smarketing.ingest.formats.spec import Cells, Format
from smarketing.ingest.formats.stages import HUBSPOT_DEAL_STAGES, HUBSPOT_LIFECYCLE

__all__ = ["HUBSPOT_CONTACTS", "HUBSPOT_DEALS"]

_BECAME = {
    "subscriber": ("Became a Subscriber Date", "subscriber"),
    "lead": ("Became a Lead Date", "lead"),
    "mql": ("Became a Marketing Qualified Lead Date", "marketingqualifiedlead"),
    "sql": ("Became a Sales Qualified Lead Date", "salesqualifiedlead"),
    "opportunity": ("Became an Opportunity Date", "opportunity"),
    "customer": ("Became a Customer Date", "customer"),
    "evangelist": ("Became an Evangelist Date", "evangelist"),
}

CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Record ID", "Contact ID", "hs_object_id", "vid"),
    "first_name": ("First Name", "firstname"),
    "last_name": ("Last Name", "lastname"),
    "email": ("Email", "email"),
    "phone": ("Phone Number", "phone"),
    "title": ("Job Title", "jobtitle"),
    "company_name": ("Company Name", "company"),
    "website": ("Website URL", "website"),
    "company_domain": ("Company Domain Name", "domain"),
    "account_ref": (
        "Associated Company ID",
        "Associated Company IDs",
        "Associated Company IDs (Primary)",
        "associatedcompanyid",
    ),
    "account_name": ("Associated Company", "Associated Company (Primary)"),
    "lifecycle_stage": ("Lifecycle Stage", "lifecyclestage"),
    "lead_status": ("Lead Status", "hs_lead_status"),
    "created_at": ("Create Date", "createdate"),
    "original_source": ("Original Source", "Original Traffic Source", "hs_analytics_source"),
    "original_source_detail_1": (
        "Original Source Drill-Down 1",
        "Original Traffic Source Drill-Down 1",
        "hs_analytics_source_data_1",
    ),
    "original_source_detail_2": (
        "Original Source Drill-Down 2",
        "Original Traffic Source Drill-Down 2",
        "hs_analytics_source_data_2",
    ),
    "latest_source": ("Latest Source", "Latest Traffic Source", "hs_latest_source"),
    "latest_source_detail_1": (
        "Latest Source Drill-Down 1",
        "Latest Traffic Source Drill-Down 1",
        "hs_latest_source_data_1",
    ),
    "latest_source_detail_2": (
        "Latest Source Drill-Down 2",
        "Latest Traffic Source Drill-Down 2",
        "hs_latest_source_data_2",
    ),
    "latest_source_at": (
        "Latest Source Date",
        "Latest Traffic Source Date",
        "Latest Source Timestamp",
        "Latest Traffic Source Timestamp",
        "hs_latest_source_timestamp",
    ),
    "owner_ref": ("Contact owner", "hubspot_owner_id"),
    "persona": ("Persona", "hs_persona"),
    "country": ("Country/Region", "Country", "country"),
    "industry": ("Industry", "industry"),
    "employees": ("Number of Employees", "numemployees"),
    "last_activity_at": ("Last Activity Date", "notes_last_updated"),
    **{
        f"stage_at:{stage}": (label, f"hs_lifecyclestage_{internal}_date")
        for stage, (label, internal) in _BECAME.items()
    },
}


def _build_contact(cells: Cells) -> list[Record]:
    external_id = cells.text("external_id")
    email = cells.email()
    domain = cells.domain("company_domain") or cells.domain("website")
    stage, _ = cells.stage("lifecycle_stage", cells.bound.lifecycle)
    source = cells.text("original_source")
    contact = {
        "external_id": external_id,
        "email": email,
        "first_name": cells.text("first_name"),
        "last_name": cells.text("last_name"),
        "phone": cells.text("phone"),
        "title": cells.text("title"),
        "company_name": company_name(cells, "company_name") or company_name(cells, "account_name"),
        "company_domain": domain,
        "account_ref": cells.text("account_ref"),
        "lifecycle_stage": stage,
        "lead_status": cells.text("lead_status"),
        "created_at": cells.datetime("created_at"),
        "original_source": source,
        "original_source_detail_1": cells.text("original_source_detail_1"),
        "original_source_detail_2": cells.text("original_source_detail_2"),
        "channel": cells.bound.source_channel("hubspot", source),
        "owner_ref": cells.text("owner_ref"),
        "persona": cells.text("persona"),
        "country": cells.text("country"),
        "industry": cells.text("industry"),
        "employees": cells.integer("employees"),
        "last_activity_at": cells.datetime("last_activity_at"),
        "properties": cells.properties(),
    }
    events = stage_events(cells, external_id=external_id, email=email)
    contact_key(cells, external_id, email)
    key = external_id or email
    touches = source_touch(
        cells,
        key=key,
        which="first",
        at=contact["created_at"],
        field="original_source",
        value=source,
        channel=contact["channel"],
        details=(contact["original_source_detail_1"], contact["original_source_detail_2"]),
    )
    latest = cells.text("latest_source")
    touches += source_touch(
        cells,
        key=key,
        which="latest",
        at=cells.datetime("latest_source_at"),
        field="latest_source",
        value=latest,
        channel=cells.bound.source_channel("hubspot", latest),
        details=(cells.text("latest_source_detail_1"), cells.text("latest_source_detail_2")),
    )
    return [*contact_with_account(cells, contact), *events, *touches]


HUBSPOT_CONTACTS = Format(
    name="hubspot-contacts",
    source_system="hubspot",
    object_type="contact",
    columns=CONTACT_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"record id", "email"},
            {"record id", "lifecycle stage"},
            {"record id", "first name"},
            {"email", "lifecycle stage"},
            {"hs object id", "email"},
            {"hs object id", "lifecyclestage"},
            {"hs object id", "firstname"},
            {"email", "lifecyclestage"},
        )
    ),
    build=_build_contact,
    lifecycle_stages=HUBSPOT_LIFECYCLE,
    description="HubSpot contacts export (labels or internal names)",
    excludes=frozenset(
        {"company owner", "call title", "email subject", "meeting name", "note body"}
    ),
)

DEAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Record ID", "Deal ID", "hs_object_id"),
    "name": ("Deal Name", "dealname"),
    "stage": ("Deal Stage", "dealstage"),
    "amount": ("Amount", "amount"),
    "currency": ("Currency", "deal_currency_code"),
    "close_date": ("Close Date", "closedate"),
    "created_at": ("Create Date", "createdate"),
    "pipeline": ("Pipeline", "pipeline"),
    "owner_ref": ("Deal owner", "hubspot_owner_id"),
    "account_name": ("Associated Company", "Associated Company (Primary)"),
    "account_ref": ("Associated Company IDs", "Associated Company ID", "associatedcompanyid"),
    "loss_reason": ("Closed Lost Reason", "closed_lost_reason"),
    "deal_type": ("Deal Type", "dealtype"),
    "lead_source": ("Original Source", "Original Traffic Source", "hs_analytics_source"),
}

_DATE_ENTERED_LABEL = re.compile(
    r'^date entered "(?P<stage>.+?)( \((?P<pipeline>[^)]*)\))?"$', re.I
)
_DATE_ENTERED_NAME = re.compile(r"^hs_date_entered_(?P<stage>[a-z0-9_]+)$", re.I)
_PIPELINE_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")


def _deal_dynamic(header: str) -> str | None:
    """``Date entered "Closed Won (Sales Pipeline)"`` / ``hs_date_entered_closedwon``."""
    match = _DATE_ENTERED_LABEL.match(header.strip()) or _DATE_ENTERED_NAME.match(header.strip())
    return f"deal_stage_at:{match['stage']}" if match else None


def _deal_stage(cells: Cells, raw: str, column: str) -> str | None:
    """Map a HubSpot deal stage, allowing a ``(Pipeline name)`` suffix on labels."""
    stage_map = cells.bound.deals
    assert stage_map is not None
    for candidate in (raw, _PIPELINE_SUFFIX.sub("", raw)):
        try:
            return stage_map.lookup(candidate)
        except ValueError:
            continue
    cells.fail(column, raw, f"unknown deal stage {raw!r}; add it to the mapping file's deal_stages")
    return None


def _build_deal(cells: Cells) -> list[Record]:
    external_id = cells.text("external_id")
    if external_id is None:
        cells.fail("external_id", cells.raw("external_id"), "missing deal record id")
    raw_stage = cells.text("stage")
    stage = None
    if raw_stage is None:
        cells.fail("stage", cells.raw("stage"), "missing deal stage")
    else:
        stage = _deal_stage(cells, raw_stage, "stage")
    lead_source = cells.text("lead_source")
    deal = DealRecord(
        source_system=cells.source_system,
        external_id=external_id or "",
        name=cells.text("name"),
        stage=stage or "",
        source_stage=raw_stage or "",
        is_closed=stage in ("closed_won", "closed_lost"),
        is_won=stage == "closed_won",
        amount=cells.amount("amount"),
        currency=cells.text("currency"),
        close_date=cells.date("close_date"),
        created_at=cells.datetime("created_at"),
        pipeline=cells.text("pipeline"),
        owner_ref=cells.text("owner_ref"),
        account_ref=cells.text("account_ref"),
        account_name=cells.text("account_name"),
        loss_reason=cells.text("loss_reason"),
        lead_source=lead_source,
        channel=cells.bound.source_channel("hubspot", lead_source),
        deal_type=cells.text("deal_type"),
        properties=cells.properties(),
    )
    records: list[Record] = [deal]
    for field_name in cells.bound.headers:
        if not field_name.startswith("deal_stage_at:"):
            continue
        at = cells.datetime(field_name)
        source_stage = field_name.partition(":")[2]
        if at is None or external_id is None:
            continue
        mapped = _deal_stage(cells, source_stage, field_name)
        if mapped is not None:
            records.append(
                StageEventRecord(
                    source_system=cells.source_system,
                    object_type="deal",
                    external_id=external_id,
                    stage=mapped,
                    at=at,
                    event_id=f"{external_id}:{mapped}",
                    source_stage=source_stage,
                )
            )
    return records


HUBSPOT_DEALS = Format(
    name="hubspot-deals",
    source_system="hubspot",
    object_type="deal",
    columns=DEAL_COLUMNS,
    signatures=tuple(
        frozenset(s)
        for s in (
            {"record id", "deal name"},
            {"record id", "deal stage"},
            {"deal name", "deal stage"},
            {"hs object id", "dealname"},
            {"hs object id", "dealstage"},
            {"dealname", "dealstage"},
        )
    ),
    build=_build_deal,
    dynamic_columns=_deal_dynamic,
    deal_stages=HUBSPOT_DEAL_STAGES,
    description="HubSpot deals export (labels or internal names)",
    required=("external_id", "stage"),
)
