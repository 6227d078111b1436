"""The ``generic`` format: smarketing's own documented column names, for any other CRM.

Use it directly with a file whose headers are the names below, or through a mapping file
(``--mapping``) that renames another export's columns onto them. Source, medium, campaign
and referrer columns are turned into a channel by the channel grouping rules unless the row
gives a ``channel`` itself.
"""

from __future__ import annotations

from smarketing.ingest.formats.common import (
    company_name,
    contact_key,
    contact_with_account,
    split_tags,
    stage_events,
)
from smarketing.ingest.formats.records import Record
from smarketing.ingest.formats.spec import Cells, Format
from smarketing.ingest.formats.stages import _COMMON_LIFECYCLE, LIFECYCLE_STAGES

__all__ = ["GENERIC", "GENERIC_COLUMNS"]

GENERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id",),
    "email": ("email", "email_address"),
    "first_name": ("first_name", "firstname"),
    "last_name": ("last_name", "lastname"),
    "full_name": ("full_name", "name"),
    "phone": ("phone",),
    "title": ("title", "job_title"),
    "company_name": ("company", "company_name"),
    "company_domain": ("domain", "website", "company_domain"),
    "account_ref": ("account_id",),
    "lifecycle_stage": ("lifecycle_stage", "stage"),
    "lead_status": ("lead_status", "status"),
    "created_at": ("created_at",),
    "source": ("source", "utm_source"),
    "medium": ("medium", "utm_medium"),
    "campaign": ("campaign", "utm_campaign"),
    "referrer": ("referrer",),
    "channel": ("channel",),
    "owner_ref": ("owner",),
    "persona": ("persona",),
    "country": ("country",),
    "industry": ("industry",),
    "employees": ("employees",),
    "score": ("score",),
    "tags": ("tags",),
    **{f"stage_at:{stage}": (f"{stage}_at",) for stage in LIFECYCLE_STAGES},
}


def _build(cells: Cells) -> list[Record]:
    external_id = cells.text("external_id")
    email = cells.email()
    stage, _ = cells.stage("lifecycle_stage", cells.bound.lifecycle)
    source, medium = cells.text("source"), cells.text("medium")
    campaign, referrer = cells.text("campaign"), cells.text("referrer")
    channel = cells.text("channel")
    first, last = cells.text("first_name"), cells.text("last_name")
    full = cells.text("full_name")
    if full and first is None and last is None:
        # "Ann Marie Lee" -> first "Ann Marie", last "Lee": the family name is the last word
        first, _, last = full.rpartition(" ")
        first, last = (first or None), last
    if channel is None and (source or medium or campaign or referrer):
        channel = cells.options.channel_rules.classify(source, medium, campaign, referrer)
    contact = {
        "external_id": external_id,
        "email": email,
        "first_name": first,
        "last_name": last,
        "phone": cells.text("phone"),
        "title": cells.text("title"),
        "company_name": company_name(cells, "company_name"),
        "company_domain": cells.domain("company_domain"),
        "account_ref": cells.text("account_ref"),
        "lifecycle_stage": stage,
        "lead_status": cells.text("lead_status"),
        "created_at": cells.datetime("created_at"),
        "original_source": source,
        "original_medium": medium,
        "campaign": campaign,
        "channel": channel,
        "owner_ref": cells.text("owner_ref"),
        "persona": cells.text("persona"),
        "country": cells.text("country"),
        "industry": cells.text("industry"),
        "employees": cells.integer("employees"),
        "score": cells.signed_integer("score"),
        "tags": split_tags(cells.text("tags")),
        "properties": cells.properties(),
    }
    events = stage_events(cells, external_id=external_id, email=email)
    contact_key(cells, external_id, email)
    return [*contact_with_account(cells, contact), *events]


GENERIC = Format(
    name="generic",
    source_system="generic",
    object_type="contact",
    columns=GENERIC_COLUMNS,
    signatures=(frozenset({"email"}), frozenset({"external id"})),
    build=_build,
    lifecycle_stages=_COMMON_LIFECYCLE,
    description="smarketing's own column names (contacts), or any export via a mapping file",
)
