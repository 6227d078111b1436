"""The normalised records one CSV row turns into, and the per-row error.

A row of any supported export becomes zero or more records (a contact, the account named by
its company columns, the stage events its history columns hold) or, if any cell is bad, a
list of :class:`RowError` and no record at all: a row is imported whole or not at all.

Every record carries ``source_system`` (``"hubspot"``, ``"salesforce"``, ``"mautic"``,
``"generic"`` or a mapping file's own name) and the source's ``external_id`` so the CRM layer
can upsert idempotently: importing the same file twice changes nothing the second time.

The records are named tuples (immutable, read by attribute): a big import builds several
per row, and in the importing process a tuple is rebuilt from the parsing worker's message
in one call, where a frozen dataclass sets its fields one by one (see ``csvimport.parallel``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

__all__ = [
    "AccountRecord",
    "ContactRecord",
    "DealRecord",
    "Record",
    "RowError",
    "RowResult",
    "RoleRecord",
    "StageEventRecord",
    "TouchRecord",
]


class RowError(NamedTuple):
    """Why one cell (or the row as a whole when ``column`` is ``None``) was refused."""

    row_number: int
    column: str | None
    value: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready dict (also the error-CSV columns)."""
        return {
            "row_number": self.row_number,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


class AccountRecord(NamedTuple):
    """A company named by a row: matched later on ``domain``, then fuzzily on ``name``."""

    source_system: str
    name: str | None
    domain: str | None
    external_id: str | None = None
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    owner_ref: str | None = None
    properties: dict[str, str] | None = None
    #: ``True`` for a row of an account export (its own record: overwrites), ``False`` for
    #: the company a contact or deal row names (matched, fills blanks only).
    own: bool = False


class _ContactFields(NamedTuple):
    """The fields of :class:`ContactRecord`."""

    source_system: str
    external_id: str | None
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    title: str | None = None
    company_name: str | None = None
    company_domain: str | None = None
    lifecycle_stage: str | None = None
    lead_status: str | None = None
    created_at: datetime | None = None
    original_source: str | None = None
    original_medium: str | None = None
    original_source_detail_1: str | None = None
    original_source_detail_2: str | None = None
    channel: str | None = None
    campaign: str | None = None
    owner_ref: str | None = None
    persona: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    score: int | None = None
    tags: tuple[str, ...] = ()
    last_activity_at: datetime | None = None
    converted: bool | None = None
    converted_contact_ref: str | None = None
    converted_deal_ref: str | None = None
    properties: dict[str, str] | None = None


class ContactRecord(_ContactFields):
    """A person: upserted on (``source_system``, ``external_id``), merged on ``email``."""

    __slots__ = ()

    def __new__(cls, *args, **kwargs):  # noqa: D102 - the fields above; properties {}
        record = super().__new__(cls, *args, **kwargs)
        return record if record.properties is not None else record._replace(properties={})


class _DealFields(NamedTuple):
    """The fields of :class:`DealRecord`."""

    source_system: str
    external_id: str
    name: str | None
    stage: str
    source_stage: str
    is_closed: bool
    is_won: bool
    amount: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    created_at: datetime | None = None
    pipeline: str | None = None
    owner_ref: str | None = None
    account_ref: str | None = None
    account_name: str | None = None
    loss_reason: str | None = None
    lead_source: str | None = None
    channel: str | None = None
    deal_type: str | None = None
    properties: dict[str, str] | None = None


class DealRecord(_DealFields):
    """A deal / opportunity: upserted on (``source_system``, ``external_id``).

    ``stage`` is one of smarketing's deal stages (qualification, discovery, demo, proposal,
    negotiation, closed_won, closed_lost); ``source_stage`` keeps the export's own value.
    """

    __slots__ = ()

    def __new__(cls, *args, **kwargs):  # noqa: D102 - the fields above; properties {}
        record = super().__new__(cls, *args, **kwargs)
        return record if record.properties is not None else record._replace(properties={})


class StageEventRecord(NamedTuple):
    """One historical stage transition, rebuilt from an export's date columns or history rows.

    ``object_type`` is ``"contact"`` (``stage`` is a lifecycle stage) or ``"deal"`` (``stage``
    is a deal stage). The object is found by ``external_id`` or, for a contact imported
    without a record id, by ``email``. ``event_id`` is stable across re-imports (the history
    row's id, or ``"<external_id or email>:<stage>"``) so StageChange rows are idempotent
    too. ``at`` is UTC.
    """

    source_system: str
    object_type: str
    external_id: str | None
    stage: str
    at: datetime
    event_id: str
    email: str | None = None
    source_stage: str | None = None
    by_ref: str | None = None
    amount: Decimal | None = None


class TouchRecord(NamedTuple):
    """History an export holds, as one touchpoint of a person's journey.

    ``kind`` is a smarketing touch kind (``source`` for a first or latest source,
    ``campaign_member``, ``sales_call``, ``sales_email``, ``meeting``, ``sales_task``).
    ``touch_id`` is stable across re-imports. ``contact_ref`` is the source's id of the person
    (``None``: the contact of the same row); ``account_ref`` the company's. ``column`` names
    the export column the touch comes from (stored as ``imported_from``).
    """

    source_system: str
    touch_id: str
    kind: str
    occurred_at: datetime
    column: str
    contact_ref: str | None = None
    account_ref: str | None = None
    channel: str | None = None
    source: str | None = None
    medium: str | None = None
    campaign_name: str | None = None
    campaign_ref: str | None = None
    outcome: str | None = None
    subject: str | None = None
    owner_ref: str | None = None
    properties: dict[str, str] | None = None


class RoleRecord(NamedTuple):
    """A person on a deal's buying committee (Salesforce OpportunityContactRole)."""

    source_system: str
    external_id: str | None
    deal_ref: str
    contact_ref: str
    role: str
    is_primary: bool = False
    source_role: str | None = None


Record = ContactRecord | AccountRecord | DealRecord | StageEventRecord | TouchRecord | RoleRecord


class RowResult(NamedTuple):
    """What one data row became: records when ``ok``, otherwise only errors."""

    row_number: int
    records: tuple[Record, ...] = ()
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        """``True`` when the row has no error and its records may be written."""
        return not self.errors
