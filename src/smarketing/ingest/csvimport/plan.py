"""What one batch of rows will write, and the lookups the row planners share.

A batch is planned in memory first (new and changed objects, history rows, external refs,
counts) and then written with bulk statements by :meth:`BatchPlan.flush`. Planning a row
validates it completely before it stages anything, so a refused row leaves no trace.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.utils import timezone

from smarketing.crm.models import Account, Contact, Deal, DealContact, DealStageChange, Persona
from smarketing.funnel.models import StageChange
from smarketing.ingest.csvimport.fastinsert import insert, insert_rows
from smarketing.ingest.csvimport.models import DuplicateCandidate, ExternalRef
from smarketing.ingest.formats import RowError

OBJECT_TYPES = (
    "contact", "account", "deal", "stage_change", "deal_stage_change", "touchpoint",
    "deal_contact",
)  # fmt: skip
OUTCOMES = ("created", "updated", "merged", "skipped")

CONTACT_UPDATE_FIELDS = [
    "email", "first_name", "last_name", "title", "phone", "country", "account", "persona",
    "owner", "lifecycle_stage", "stage_changed_at", "status", "original_source",
    "original_channel", "created_at", "updated_at", "custom",
]  # fmt: skip
ACCOUNT_UPDATE_FIELDS = [
    "name", "domain", "industry", "employees", "country", "owner", "custom",
]  # fmt: skip
DEAL_UPDATE_FIELDS = [
    "name", "account", "owner", "amount", "currency", "stage", "created_at", "close_date",
    "closed_at", "is_closed", "is_won", "loss_reason", "custom", "primary_contact",
]  # fmt: skip


class NewRef:
    """An external ref to insert (a plain object: refs are written as tuples, see ``flush``)."""

    __slots__ = ("system", "object_type", "external_id", "fingerprint")

    def __init__(self, system: str, object_type: str, external_id: str) -> None:
        self.system, self.object_type, self.external_id = system, object_type, external_id
        self.fingerprint = ""


def pk_of(obj) -> int | None:
    """The primary key of an object or id (``None`` for an unsaved object)."""
    return obj if isinstance(obj, int) else getattr(obj, "pk", None)


@dataclass
class BatchPlan:
    """The writes of one batch, staged in memory, and what they count as."""

    new_accounts: list[Account] = field(default_factory=list)
    changed_accounts: dict[int, Account] = field(default_factory=dict)
    new_contacts: list[Contact] = field(default_factory=list)
    changed_contacts: dict[int, Contact] = field(default_factory=dict)
    new_deals: list[Deal] = field(default_factory=list)
    changed_deals: dict[int, Deal] = field(default_factory=dict)
    #: Contact history as plain tuples: (contact, from_stage, to_stage, changed_at, rule, reason).
    stage_changes: list[tuple] = field(default_factory=list)
    deal_changes: list[DealStageChange] = field(default_factory=list)
    deal_contacts: list[DealContact] = field(default_factory=list)
    guesses: list[DealStageChange] = field(default_factory=list)
    dropped_guesses: list[tuple[int, int]] = field(default_factory=list)
    new_refs: list[tuple[ExternalRef | NewRef, object]] = field(default_factory=list)
    changed_refs: list[tuple[ExternalRef, object]] = field(default_factory=list)
    candidates: list[tuple[str, object, object, float, str]] = field(default_factory=list)
    #: Imported touches: (TouchRecord, contact object or id, account object or id, whether
    #: it may be stored already: its contact existed before the batch).
    touches: list[tuple] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    warnings: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    rows_with_errors: int = 0
    last_row: int = 0

    def count(self, object_type: str, outcome: str, n: int = 1) -> None:
        if n:
            self.counts[object_type][outcome] += n

    def flush(self, job) -> None:
        """Write everything staged, parents before children (new pks flow into the FKs)."""
        now = timezone.now()
        if self.new_accounts:
            insert(Account, self.new_accounts)
        if self.changed_accounts:
            Account.objects.bulk_update(
                self.changed_accounts.values(), ACCOUNT_UPDATE_FIELDS, batch_size=500
            )
        if self.new_contacts:  # (insert copies the ids of accounts saved above)
            insert(Contact, self.new_contacts)
        if self.changed_contacts:
            for contact in self.changed_contacts.values():
                _bind(contact, "account")
                contact.updated_at = now
            Contact.objects.bulk_update(
                self.changed_contacts.values(), CONTACT_UPDATE_FIELDS, batch_size=500
            )
        for deal in (*self.new_deals, *self.changed_deals.values()):
            _bind(deal, "account")
        if self.new_deals:
            insert(Deal, self.new_deals)
        if self.changed_deals:
            Deal.objects.bulk_update(
                self.changed_deals.values(), DEAL_UPDATE_FIELDS, batch_size=500
            )
        if self.stage_changes:
            insert_rows(
                StageChange,
                ("contact_id", "from_stage", "to_stage", "changed_at", "rule", "reason"),
                [(c.pk, *rest) for c, *rest in self.stage_changes],
            )
        for change in self.deal_changes:
            _bind(change, "deal")
        if self.deal_changes:
            insert(DealStageChange, self.deal_changes)
        if self.guesses:
            ExternalRef.objects.bulk_create(
                [
                    ExternalRef(
                        system="smarketing",
                        object_type="deal_stage_guess",
                        external_id=str(change.pk),
                        object_id=change.pk,
                        fingerprint=str(change.deal_id),
                    )
                    for change in self.guesses
                ]
            )
        if self.dropped_guesses:
            ExternalRef.objects.filter(pk__in=[r for r, _ in self.dropped_guesses]).delete()
            DealStageChange.objects.filter(pk__in=[c for _, c in self.dropped_guesses]).delete()
        for link in self.deal_contacts:
            _bind(link, "contact")
        if self.deal_contacts:
            DealContact.objects.bulk_create(self.deal_contacts, ignore_conflicts=True)
        if self.new_refs:
            insert_rows(
                ExternalRef,
                ("system", "object_type", "external_id", "object_id", "fingerprint", "job_id"),
                [
                    (r.system, r.object_type, r.external_id, pk_of(t), r.fingerprint, job.pk)
                    for r, t in self.new_refs
                ],
            )
        for ref, target in self.changed_refs:
            ref.object_id = pk_of(target)
            ref.job_id = job.pk
        if self.changed_refs:
            ExternalRef.objects.bulk_update(
                [r for r, _ in self.changed_refs],
                ["object_id", "fingerprint", "job"],
                batch_size=500,
            )
        if self.candidates:
            DuplicateCandidate.objects.bulk_create(
                [
                    DuplicateCandidate(
                        kind=kind,
                        existing_id=pk_of(existing),
                        incoming_id=pk_of(incoming),
                        score=score,
                        reason=reason[:300],
                        job_id=job.pk,
                    )
                    for kind, existing, incoming, score, reason in self.candidates
                ],
                ignore_conflicts=True,
            )


def _bind(obj, name: str) -> None:
    """Copy a related object's fresh pk into the FK column (objects saved earlier in the batch)."""
    related = obj._state.fields_cache.get(name)
    if related is not None and related.pk is not None:
        setattr(obj, f"{name}_id", related.pk)


class Directory:
    """Owners, personas and country names resolved once per import.

    An owner cell is matched to a user by email, username or full name (case-insensitive);
    one that matches none leaves the record unassigned and is counted as a warning.
    """

    def __init__(self) -> None:
        self.users: dict[str, int] = {}
        for pk, username, email, first, last in get_user_model().objects.values_list(
            "id", "username", "email", "first_name", "last_name"
        ):
            for key in (username, email, f"{first} {last}".strip()):
                if key:
                    self.users.setdefault(key.strip().lower(), pk)
        self.personas: dict[str, int] = {}
        for pk, name, slug in Persona.objects.values_list("id", "name", "slug"):
            self.personas[name.strip().lower()] = pk
            self.personas[slug.lower()] = pk

    def owner(self, ref: str | None, plan: BatchPlan) -> int | None:
        if not ref:
            return None
        found = self.users.get(ref.strip().lower())
        if found is None:
            plan.warnings[
                f"owner {ref!r} matches no user (email, username or name): unassigned"
            ] += 1
        return found

    def persona(self, name: str | None, plan: BatchPlan) -> int | None:
        if not name:
            return None
        found = self.personas.get(name.strip().lower())
        if found is None:
            plan.warnings[f"persona {name!r} is not defined: left empty"] += 1
        return found


_COUNTRIES = {
    "united states": "US", "united states of america": "US", "usa": "US", "us": "US",
    "canada": "CA", "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB",
    "ireland": "IE", "germany": "DE", "deutschland": "DE", "france": "FR", "spain": "ES",
    "portugal": "PT", "italy": "IT", "netherlands": "NL", "belgium": "BE",
    "luxembourg": "LU", "switzerland": "CH", "austria": "AT", "sweden": "SE",
    "norway": "NO", "denmark": "DK", "finland": "FI", "iceland": "IS", "poland": "PL",
    "czech republic": "CZ", "czechia": "CZ", "slovakia": "SK", "hungary": "HU",
    "romania": "RO", "bulgaria": "BG", "greece": "GR", "turkey": "TR", "türkiye": "TR",
    "ukraine": "UA", "estonia": "EE", "latvia": "LV", "lithuania": "LT", "croatia": "HR",
    "slovenia": "SI", "serbia": "RS", "israel": "IL", "united arab emirates": "AE",
    "uae": "AE", "saudi arabia": "SA", "egypt": "EG", "south africa": "ZA",
    "nigeria": "NG", "kenya": "KE", "morocco": "MA", "india": "IN", "china": "CN",
    "japan": "JP", "south korea": "KR", "korea": "KR", "singapore": "SG",
    "hong kong": "HK", "taiwan": "TW", "indonesia": "ID", "malaysia": "MY",
    "thailand": "TH", "vietnam": "VN", "philippines": "PH", "australia": "AU",
    "new zealand": "NZ", "colombia": "CO", "peru": "PE",
}  # fmt: skip


def country_code(value: str | None) -> str:
    """ISO alpha-2 code for a country name or code ('' when unknown or blank).

    >>> country_code("United States"), country_code("de"), country_code("Atlantis")
    ('US', 'DE', '')
    """
    if not value:
        return ""
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _COUNTRIES.get(text.lower(), "")


_LEAD_STATUS = {
    "new": "new", "open": "open", "opennotcontacted": "open", "inprogress": "in_progress",
    "attemptedtocontact": "in_progress", "workingcontacted": "in_progress",
    "working": "in_progress", "contacted": "in_progress", "connected": "connected",
    "opendeal": "connected", "closedconverted": "connected", "nurture": "nurture",
    "nurturing": "nurture", "unqualified": "unqualified", "closednotconverted": "unqualified",
    "badtiming": "bad_timing",
}  # fmt: skip


@lru_cache(maxsize=4096)  # an export has a handful of distinct values
def lead_status(value: str | None) -> str | None:
    """The contact status for a CRM lead status value (``None``: keep the current one)."""
    if not value:
        return None
    key = "".join(ch for ch in value.lower() if ch.isalnum())
    return _LEAD_STATUS.get(key)


def too_long(plan_errors: list[RowError], row: int, checks) -> bool:
    """Add an error per value longer than its column allows; ``True`` when any was."""
    bad = False
    for column, value, limit in checks:
        if value and len(value) > limit:
            plan_errors.append(
                RowError(
                    row, column, value[:80], f"too long ({len(value)} characters, max {limit})"
                )
            )
            bad = True
    return bad


def midnight(day: dt.date | None) -> dt.datetime | None:
    """A date as midnight UTC."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) if day else None
