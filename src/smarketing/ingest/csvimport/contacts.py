"""Plan the writes of contact rows (HubSpot, Salesforce leads, Mautic, generic).

Per row: find the contact by the source record id (external ref), then by normalised email
(a repeated person is merged into the existing contact, not duplicated), or create it; find
or create its account (domain, exact name, fuzzy name); rebuild its stage history.

History rules (historical facts, written directly, not through the live funnel rules):

- "Became a … Date", ``ConvertedDate`` and generic ``<stage>_at`` cells become StageChange
  rows with their original timestamps, sorted by time; ``from_stage`` is the stage of the
  event just before in time (existing rows included).
- A stage the person already has a StageChange for is not logged again (re-imports, and a
  merged duplicate's own "Became a" dates, add nothing).
- Out-of-order dates (a customer date before the MQL date) are kept as they are: the order
  is the order of the timestamps, and the forward-only rule of live transitions does not
  apply to them.
- The contact's stage is the export's current stage (``Lifecycle Stage``) for its own
  record, otherwise the stage of the latest event; a merged record changes the stage only if
  its stage was reached later than the contact's. When the export names the current stage
  but it has no history row, one is logged at the best known time (rule ``import:<system>``,
  reason saying so); an export that names no stage at all gets no history row.
"""

from __future__ import annotations

from operator import itemgetter

from django.db import connection

from smarketing.crm.choices import FUNNEL_ORDER
from smarketing.crm.dedupe import AccountIndex
from smarketing.crm.models import Account, Contact, DealContact
from smarketing.funnel.models import StageChange
from smarketing.ingest.csvimport.fastinsert import new as build
from smarketing.ingest.csvimport.models import ExternalRef
from smarketing.ingest.csvimport.plan import (
    BatchPlan,
    Directory,
    NewRef,
    country_code,
    lead_status,
    pk_of,
    too_long,
)
from smarketing.ingest.formats import (
    AccountRecord,
    ContactRecord,
    RowError,
    StageEventRecord,
    TouchRecord,
)

_ORDER = {stage: i for i, stage in enumerate(FUNNEL_ORDER)}


#: Timeline order: time, then funnel order (two events at the same time keep the funnel's).
_by_time = itemgetter(0, 1)


def _event_sort(event: StageEventRecord):
    return (event.at, _ORDER.get(event.stage, 99))


def contact_key(record: ContactRecord) -> str:
    """The external-ref key of a contact record: its record id, else ``email:<address>``."""
    return record.external_id or f"email:{record.email}"


class ContactPlanner:
    """Plans contact rows of one batch against what the database and the batch hold."""

    def __init__(self, *, system: str, accounts: AccountIndex, directory: Directory) -> None:
        self.system = system
        self.rule = f"import:{system}"[:100]
        self.accounts = accounts
        self.directory = directory

    # -- prefetch ---------------------------------------------------------------------------
    def prefetch(self, rows) -> None:
        """Load the refs, contacts, accounts refs, deal refs and history the batch needs."""
        keys, emails, account_refs, deal_refs = set(), set(), set(), set()
        for result in rows:
            for rec in result.records:
                if isinstance(rec, ContactRecord):
                    keys.add(contact_key(rec))
                    if rec.email:
                        emails.add(rec.email)
                    if rec.converted_deal_ref:
                        deal_refs.add(rec.converted_deal_ref)
                elif isinstance(rec, AccountRecord) and rec.external_id:
                    account_refs.add(rec.external_id)
        self.refs = _refs(self.system, "contact", keys)
        self.account_ref_rows = _refs(self.system, "account", account_refs)
        self.account_refs = {k: r.object_id for k, r in self.account_ref_rows.items()}
        self.deal_refs = {k: r.object_id for k, r in _refs(self.system, "deal", deal_refs).items()}
        ids = {r.object_id for r in self.refs.values()}
        found = _where_in(Contact, "id", ids)
        found += [c for c in _where_in(Contact, "email", emails) if c.pk not in ids]
        self.by_id = {c.pk: c for c in found}
        self.by_email = {c.email: c for c in found if c.email}
        self.history: dict[int, list[tuple[str, object]]] = {}
        if self.by_id:
            for contact_id, stage, at in StageChange.objects.filter(
                contact_id__in=list(self.by_id)
            ).values_list("contact_id", "to_stage", "changed_at"):
                self.history.setdefault(contact_id, []).append((stage, at))
        # Staged in this batch: unsaved contacts by email / key, their history.
        self.pending_by_email: dict[str, Contact] = {}
        self.pending_refs: dict[str, tuple[ExternalRef, object]] = {}
        self.pending_history: dict[int, list[tuple[str, object]]] = {}

    # -- planning ---------------------------------------------------------------------------
    def plan(self, result, plan: BatchPlan, fp: str) -> None:
        """Stage the writes of one valid contact row (or add its errors and stage nothing)."""
        rec = next(r for r in result.records if isinstance(r, ContactRecord))
        account_rec = next((r for r in result.records if isinstance(r, AccountRecord)), None)
        events = sorted(
            (r for r in result.records if isinstance(r, StageEventRecord)), key=_event_sort
        )
        row = result.row_number
        key = contact_key(rec)
        ref, target = self._ref(key)
        contact, mode, shared = None, "create", None
        if ref is not None and target is not None:
            contact, mode = target, "update"
            if ref.fingerprint == fp:
                plan.count("contact", "skipped")
                plan.count("stage_change", "skipped", len(events))
                if account_rec is not None:
                    plan.count("account", "skipped")
                return
        elif rec.email:
            contact = self.pending_by_email.get(rec.email) or self.by_email.get(rec.email)
            if contact is not None:
                if _another_person(contact, rec):
                    shared, contact = contact, None
                else:
                    mode = "merge"
        if too_long(
            plan.errors,
            row,
            [
                ("first_name", rec.first_name, 100),
                ("last_name", rec.last_name, 100),
                ("title", rec.title, 200),
                ("phone", rec.phone, 50),
                ("company_name", account_rec.name if account_rec else None, 200),
            ],
        ):
            return
        kept_apart = (
            mode == "update"
            and contact.email is None
            and (contact.custom or {}).get("shared_email") == rec.email
        )
        if mode == "update" and rec.email and rec.email != contact.email and not kept_apart:
            other = self.pending_by_email.get(rec.email) or self.by_email.get(rec.email)
            if other is not None and other is not contact:
                plan.errors.append(
                    RowError(
                        row,
                        "email",
                        rec.email,
                        f"another contact (#{pk_of(other) or 'new'}) already has this email; "
                        "merge the two in the duplicate review queue first",
                    )
                )
                return
        account = self._account(account_rec, plan) if account_rec else None
        if contact is None:
            contact = build(Contact)
            plan.new_contacts.append(contact)
            plan.count("contact", "created")
            changed = self._apply(contact, rec, events, account, plan, mode)
        else:
            changed = self._apply(contact, rec, events, account, plan, mode)
            if contact.pk is not None and changed:
                plan.changed_contacts[contact.pk] = contact
            plan.count(
                "contact", "merged" if mode == "merge" else ("updated" if changed else "skipped")
            )
        if kept_apart:
            contact.email = None  # still kept apart until a person merges the two
        if shared is not None:
            # One address, two people (a placeholder such as a@a.com, a shared inbox): the
            # second is kept apart, its address in ``custom``, and a person decides.
            contact.email = None
            contact.custom = {**(contact.custom or {}), "shared_email": rec.email}
            plan.candidates.append(
                ("contact", shared, contact, 100.0,
                 f"the address {rec.email} is on both, but their record ids and names differ")
            )  # fmt: skip
            plan.warnings[
                "an address shared by records with different ids and names: kept apart, "
                "queued for review"
            ] += 1
        if contact.email:
            self.pending_by_email[contact.email] = contact
        self._history(contact, rec, events, plan)
        for touch in result.records:
            if type(touch) is TouchRecord:
                # A touch of a contact new in this batch cannot be stored yet: no lookup.
                plan.touches.append((touch, contact, account, contact.pk is not None))
                plan.count("touchpoint", "created")
        if rec.converted_deal_ref and rec.converted_deal_ref in self.deal_refs:
            plan.deal_contacts.append(
                DealContact(deal_id=self.deal_refs[rec.converted_deal_ref], contact=contact)
            )
        self._stage_ref(key, fp, ref, contact, plan)

    def _ref(self, key: str):
        if key in self.pending_refs:
            ref, target = self.pending_refs[key]
            return ref, target
        ref = self.refs.get(key)
        if ref is None:
            return None, None
        return ref, self.by_id.get(ref.object_id)

    def _stage_ref(self, key, fp, ref, target, plan: BatchPlan) -> None:
        if key in self.pending_refs:
            ref, _ = self.pending_refs[key]
            ref.fingerprint = fp
            self.pending_refs[key] = (ref, target)
            for i, (r, _t) in enumerate(plan.new_refs):
                if r is ref:
                    plan.new_refs[i] = (ref, target)
            return
        if ref is None:
            ref = NewRef(self.system, "contact", key)
            plan.new_refs.append((ref, target))
        else:
            plan.changed_refs.append((ref, target))
        ref.fingerprint = fp
        self.pending_refs[key] = (ref, target)

    def _apply(self, contact: Contact, rec, events, account, plan: BatchPlan, mode: str) -> bool:
        """Set the contact's fields from the record; ``True`` when something changed.

        Its own record (create, update) overwrites with every non-blank value; a merged
        record (another source record of the same person) only fills blanks.
        """
        created_at = rec.created_at
        if created_at is None and mode == "create" and events:
            # Never "now", after the person's own history: the earliest dated fact.
            created_at = events[0].at
            plan.warnings[
                "no create date in the export: the earliest dated stage is used instead"
            ] += 1
        values = {
            "email": rec.email,
            "first_name": rec.first_name,
            "last_name": rec.last_name,
            "title": rec.title,
            "phone": rec.phone,
            "country": country_code(rec.country) or None,
            "account": account,
            "persona_id": self.directory.persona(rec.persona, plan),
            "owner_id": self.directory.owner(rec.owner_ref, plan),
            "status": lead_status(rec.lead_status),
            "original_source": (rec.original_source or "")[:100] or None,
            "original_channel": (rec.channel or "")[:50] or None,
            "created_at": created_at,
        }
        changed = False
        for name, value in values.items():
            if value is None:
                continue
            if name == "account":
                current = contact._state.fields_cache.get("account") or contact.account_id
                if pk_of(current) == pk_of(value) and pk_of(value) is not None:
                    continue
                if current is value:
                    continue
                if mode == "merge" and current is not None:
                    continue  # fills blanks only, also when the account is new in this batch
                if isinstance(value, int):
                    contact.account_id = value
                else:
                    # What the FK descriptor does, without its per-call router checks: the
                    # id (None while the account is unsaved; flush fills it in) and the cache.
                    contact.__dict__["account_id"] = value.pk
                    contact._state.fields_cache["account"] = value
                changed = True
                continue
            current = getattr(contact, name)
            if mode == "merge" and current not in (None, "") and name != "created_at":
                continue
            if name == "created_at" and mode == "merge" and current and current <= value:
                continue  # a person exists since the earliest of their records
            if current != value:
                setattr(contact, name, value)
                changed = True
        if rec.properties:
            custom = contact.custom or {}
            merged = (
                {**rec.properties, **custom} if mode == "merge" else {**custom, **rec.properties}
            )
            if merged != custom:
                contact.custom = merged
                changed = True
        return self._stage(contact, rec, events, mode) or changed

    def _stage(self, contact: Contact, rec, events, mode: str) -> bool:
        own = rec.lifecycle_stage or (events[-1].stage if events else None)
        if own is None:
            if contact.pk is None and contact.stage_changed_at is None:
                contact.stage_changed_at = contact.created_at
            return False
        dated = [e.at for e in events if e.stage == own]
        own_at = dated[-1] if dated else None
        guess = own_at or (events[-1].at if events else None) or rec.created_at
        before = (contact.lifecycle_stage, contact.stage_changed_at)
        if mode == "create" or (mode == "update" and contact.pk is None):
            contact.lifecycle_stage = own
            contact.stage_changed_at = guess or contact.created_at
        elif mode == "update":
            if own != contact.lifecycle_stage:
                contact.lifecycle_stage = own
                contact.stage_changed_at = own_at or guess
            elif own_at:
                contact.stage_changed_at = own_at
        else:  # merge: the most recent of the two wins
            if guess and (contact.stage_changed_at is None or guess > contact.stage_changed_at):
                contact.lifecycle_stage = own
                contact.stage_changed_at = guess
        return (contact.lifecycle_stage, contact.stage_changed_at) != before

    def _history(self, contact: Contact, rec, events, plan: BatchPlan) -> None:
        key = contact.pk if contact.pk is not None else id(contact)
        known = list(self.history.get(contact.pk, [])) if contact.pk else []
        known += self.pending_history.get(key, [])
        stages = {stage for stage, _ in known}
        new = []
        for event in events:
            if event.stage in stages:
                plan.count("stage_change", "skipped")
                continue
            stages.add(event.stage)
            source = event.source_stage or event.stage
            new.append((event.stage, event.at, f"historical: {source}"[:300]))
        if (
            rec.lifecycle_stage is not None
            and contact.lifecycle_stage == rec.lifecycle_stage
            and contact.lifecycle_stage not in stages
        ):
            # The export names the current stage but gives no date for it. A stage the
            # export does not name at all is not invented: no row (the model's default
            # stage stays undated).
            at = contact.stage_changed_at or contact.created_at
            new.append((contact.lifecycle_stage, at, "stage at import (no date in the export)"))
        if not new:
            return
        timeline = [(at, _ORDER.get(stage, 99), stage, None) for stage, at in known]
        timeline += [(at, _ORDER.get(stage, 99), stage, reason) for stage, at, reason in new]
        timeline.sort(key=_by_time)
        previous, rule, rows = "", self.rule, plan.stage_changes
        for at, _order, stage, reason in timeline:
            if reason is not None:
                rows.append(
                    (
                        contact,
                        previous,
                        stage,
                        at,
                        rule,
                        reason or "historical date from the export",
                    )
                )
            previous = stage
        plan.count("stage_change", "created", len(new))
        self.pending_history.setdefault(key, []).extend((s, at) for s, at, _ in new)

    def plan_account(self, result, plan: BatchPlan, fp: str) -> None:
        """A row of an account export: its own record, upserted on its id.

        Found by id (also when a contact or deal file named it first and created it with
        only its id): every non-blank value overwrites. Otherwise matched like a contact's
        company (domain, name, fuzzy name; the match only gets its blanks filled) or created.
        """
        rec = next(r for r in result.records if isinstance(r, AccountRecord))
        if rec.external_id is None:
            plan.errors.append(RowError(result.row_number, None, None, "missing account Id"))
            return
        ref = self.account_ref_rows.get(rec.external_id)
        if ref is not None and ref.fingerprint == fp:
            plan.count("account", "skipped")
            return
        target = self.account_refs.get(rec.external_id)
        if target is None:
            target = self._account(rec, plan)
        obj = target if isinstance(target, Account) else plan.changed_accounts.get(target)
        if obj is None:
            obj = Account.objects.get(pk=target)
        own = {
            "name": (rec.name or "")[:200] or None,
            "industry": (rec.industry or "")[:100] or None,
            "employees": rec.employees,
            "country": country_code(rec.country) or None,
            "owner_id": self.directory.owner(rec.owner_ref, plan) if rec.owner_ref else None,
        }
        if rec.domain and rec.domain not in self.accounts.by_domain:
            own["domain"] = rec.domain
            self.accounts.add(target, None, rec.domain)
        changed = False
        for name, value in own.items():
            if value is not None and getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        if rec.properties and {**obj.custom, **rec.properties} != obj.custom:
            obj.custom = {**obj.custom, **rec.properties}
            changed = True
        if obj.pk is not None and changed:
            plan.changed_accounts[obj.pk] = obj
            plan.count("account", "updated")
        if ref is not None:
            ref.fingerprint = fp
            plan.changed_refs.append((ref, obj))
        else:
            self._new_account_ref(rec.external_id, obj, plan)[0].fingerprint = fp

    def _new_account_ref(self, external_id: str, account, plan: BatchPlan):
        for pending in plan.new_refs:
            if pending[0].object_type == "account" and pending[0].external_id == external_id:
                return pending
        pending = (NewRef(self.system, "account", external_id), account)
        plan.new_refs.append(pending)
        self.account_refs[external_id] = account
        return pending

    def _account(self, rec: AccountRecord, plan: BatchPlan):
        """The account of a contact row: by ref, domain, name, fuzzy name, else a new one.

        A company named by its id that is not known yet (the Account export comes later) is
        created under that id, so the later file fills it in: links work in any file order.
        """
        if rec.external_id and rec.external_id in self.account_refs:
            if not rec.own:
                plan.count("account", "skipped")
            return self.account_refs[rec.external_id]
        if rec.external_id and not rec.name and not rec.domain:
            account = build(Account, name=f"Account {rec.external_id}"[:200])
            plan.new_accounts.append(account)
            plan.count("account", "created")
            self._new_account_ref(rec.external_id, account, plan)
            plan.warnings[
                "contacts name an account by id only: created under that id until the "
                "Account export is imported"
            ] += 1
            return account
        account = self._match_or_create(rec, plan)
        if rec.external_id:
            self._new_account_ref(rec.external_id, account, plan)
        return account

    def _match_or_create(self, rec: AccountRecord, plan: BatchPlan):
        match = self.accounts.match(rec.name, rec.domain)
        if match is not None and match.how != "review":
            account = match.account
            if rec.domain and match.how != "domain":
                self._fill_domain(account, rec, plan)
            else:
                plan.count("account", "skipped")
            return account
        account = build(
            Account,
            name=(rec.name or rec.domain or "")[:200],
            domain=rec.domain,
            industry=(rec.industry or "")[:100],
            employees=rec.employees,
            country=country_code(rec.country),
            owner_id=self.directory.owner(rec.owner_ref, plan) if rec.owner_ref else None,
        )
        plan.new_accounts.append(account)
        plan.count("account", "created")
        self.accounts.add(account, rec.name, rec.domain)
        if match is not None:  # a near miss: both exist, a person decides
            plan.candidates.append(
                ("account", match.account, account, match.score,
                 f"company names {rec.name!r} and an existing account's are {match.score:.0f}% alike")
            )  # fmt: skip
        return account

    def _fill_domain(self, account, rec: AccountRecord, plan: BatchPlan) -> None:
        """A name-matched account without a domain gets the row's domain."""
        obj = account if isinstance(account, Account) else plan.changed_accounts.get(account)
        if obj is None:
            obj = Account.objects.get(pk=account)
        if obj.domain is None and rec.domain not in self.accounts.by_domain:
            obj.domain = rec.domain
            self.accounts.add(account, None, rec.domain)
            if obj.pk is not None:
                plan.changed_accounts[obj.pk] = obj
            plan.count("account", "updated")
        else:
            plan.count("account", "skipped")


def _name_key(first: str | None, last: str | None) -> str:
    return " ".join(f"{first or ''} {last or ''}".casefold().split())


def _another_person(contact: Contact, rec: ContactRecord) -> bool:
    """Whether a record with an address ``contact`` has is somebody else.

    Only a record with its own record id and a full name that differs from the contact's: a
    repeated person (same id, or same name, or no name at all) is merged as always.
    """
    if rec.external_id is None:
        return False
    incoming = _name_key(rec.first_name, rec.last_name)
    existing = _name_key(contact.first_name, contact.last_name)
    return bool(incoming and existing and incoming != existing)


def _refs(system: str, object_type: str, keys) -> dict[str, ExternalRef]:
    return {
        r.external_id: r
        for r in _where_in(
            ExternalRef, "external_id", keys, "system = %s AND object_type = %s AND ",
            [system, object_type],
        )
    }  # fmt: skip


def _where_in(model, column: str, values, where: str = "", params=(), chunk: int = 2000):
    """``model`` rows whose ``column`` is one of ``values`` (plus a ``where`` prefix).

    Raw SQL: the ORM's ``__in`` lookup prepares every one of a batch's thousands of values
    on its own, a measurable part of planning a batch whose rows are mostly new.
    """
    values = list(values)
    if not values:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = connection.ops.quote_name(column)
    found = []
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        marks = ", ".join(["%s"] * len(part))
        sql = f"SELECT * FROM {table} WHERE {where}{quoted} IN ({marks})"  # noqa: S608
        found += model.objects.raw(sql, [*params, *part])
    return found
