"""Builders shared by the contact formats: the contact, its account, its stage history."""

from __future__ import annotations

from typing import Any

from smarketing.ingest.formats.records import (
    AccountRecord,
    ContactRecord,
    Record,
    StageEventRecord,
    TouchRecord,
)
from smarketing.ingest.formats.spec import Cells

#: Placeholder company names CRMs fill in when the real one is unknown.
_NO_COMPANY = frozenset({"[not provided]", "not provided", "n/a", "na", "none", "-", "unknown"})


def company_name(cells: Cells, name: str = "company") -> str | None:
    value = cells.text(name)
    if value is None or value.lower() in _NO_COMPANY:
        return None
    return value


def split_tags(value: str | None) -> tuple[str, ...]:
    """Split a tags cell on ``|``, ``;`` or ``,``."""
    if not value:
        return ()
    for separator in ("|", ";", ","):
        if separator in value:
            return tuple(t.strip() for t in value.split(separator) if t.strip())
    return (value.strip(),)


def contact_key(cells: Cells, external_id: str | None, email: str | None) -> None:
    """A contact needs a record id or an email to be upserted at all."""
    if external_id is None and email is None and not cells.errors:
        cells.fail(None, None, "the row has neither a record id nor an email")


def stage_events(
    cells: Cells, *, external_id: str | None, email: str | None
) -> list[StageEventRecord]:
    """Events from the ``stage_at:<stage>`` columns (Became a … Date and the like)."""
    events = []
    key = external_id or email
    for field_name, stage in cells.bound.stage_fields:
        at = cells.datetime(field_name)
        if at is None or key is None:
            continue
        events.append(
            StageEventRecord(
                source_system=cells.source_system,
                object_type="contact",
                external_id=external_id,
                email=email,
                stage=stage,
                at=at,
                event_id=f"{key}:{stage}",
                source_stage=cells.bound.headers[field_name],
            )
        )
    return events


def contact_with_account(cells: Cells, contact: dict[str, Any]) -> list[Record]:
    """Build the contact and, when it names a company or domain, the account."""
    records: list[Record] = []
    name, domain = contact.get("company_name"), contact.get("company_domain")
    if name or domain or contact.get("account_ref"):
        records.append(
            AccountRecord(
                source_system=cells.source_system,
                name=name,
                domain=domain,
                external_id=contact.pop("account_ref", None),
                industry=contact.get("industry"),
                employees=contact.get("employees"),
                country=contact.get("country"),
            )
        )
    contact.pop("account_ref", None)
    records.insert(0, ContactRecord(source_system=cells.source_system, **contact))
    return records


def source_touch(
    cells: Cells,
    *,
    key: str | None,
    which: str,
    at,
    field: str,
    value: str | None,
    channel: str | None,
    details: tuple[str | None, ...] = (),
) -> list[TouchRecord]:
    """A ``source`` touch (the first or latest source a CRM recorded) at ``at``, or nothing.

    ``source`` is the most specific value the export has (a drill-down such as ``google``,
    else the source itself); the raw values are kept in ``properties``.
    """
    if key is None or at is None or value is None:
        return []
    props = {"source_value": value}
    for i, detail in enumerate(details, 1):
        if detail:
            props[f"detail_{i}"] = detail
    specific = next((d for d in details if d), None)
    return [
        TouchRecord(
            source_system=cells.source_system,
            touch_id=f"{key}:{which}-source",
            kind="source",
            occurred_at=at,
            column=cells.bound.headers.get(field, field),
            channel=channel,
            source=(specific or value)[:100],
            properties=props,
        )
    ]
