"""Plan the writes of deal rows (HubSpot deals, Salesforce opportunities) and deal history.

A deal is upserted on its source record id; its account is found by the source's account id
(an account imported before with that id), else by name (exact or ≥ 95 % alike), else
created by name. Amounts are ``Decimal``; a negative amount never gets here (the parser
refuses the row).

Deal history (``Date entered …`` columns, OpportunityHistory rows) becomes DealStageChange
rows with their original timestamps. A deal may enter a stage more than once, so an event
is the same as a stored one when deal, stage and time are equal; an event whose stage equals
the stage just before it in time (OpportunityHistory's amount-only changes) is one stay and
is not logged again. When the deal's current stage has no history row one is logged at its
close date (closed deals) or creation time. A closed deal's ``closed_at`` is the time it last
entered its closing stage in the history (OpportunityHistory's closing row), else the time
its ``Date entered`` column gives, else midnight of its close date.
"""

from __future__ import annotations

from decimal import Decimal

from smarketing.core.permissions import reason
from smarketing.crm.dedupe import AccountIndex
from smarketing.crm.models import Account, Deal, DealContact, DealStageChange
from smarketing.ingest.csvimport.contacts import _refs
from smarketing.ingest.csvimport.fastinsert import new as build
from smarketing.ingest.csvimport.models import ExternalRef
from smarketing.ingest.csvimport.plan import BatchPlan, Directory, NewRef, midnight, too_long
from smarketing.ingest.formats import DealRecord, RoleRecord, RowError, StageEventRecord

_DEAL_ORDER = {
    s: i
    for i, s in enumerate(
        [
            "qualification",
            "discovery",
            "demo",
            "proposal",
            "negotiation",
            "closed_won",
            "closed_lost",
        ]
    )
}


_CENTS = Decimal("0.01")
#: External refs marking current-stage rows logged without a date (replaced by real history).
GUESS_SYSTEM, GUESS_TYPE = "smarketing", "deal_stage_guess"


def _sort(item):
    return (item[0], _DEAL_ORDER.get(item[1], 99))


class DealPlanner:
    """Plans deal rows and deal-history rows of one batch."""

    def __init__(
        self,
        *,
        system: str,
        accounts: AccountIndex,
        directory: Directory,
        may_change_amounts: bool = True,
    ) -> None:
        #: False when the importing user may not change deal amounts (core.permissions).
        self.may_change_amounts = may_change_amounts
        self.system = system
        self.accounts = accounts
        self.directory = directory

    def prefetch(self, rows) -> None:
        keys, account_refs, people = set(), set(), set()
        for result in rows:
            for rec in result.records:
                if isinstance(rec, DealRecord):
                    keys.add(rec.external_id)
                    if rec.account_ref:
                        account_refs.add(rec.account_ref)
                elif isinstance(rec, StageEventRecord) and rec.object_type == "deal":
                    keys.add(rec.external_id)
                elif isinstance(rec, RoleRecord):
                    keys.add(rec.deal_ref)
                    people.add(rec.contact_ref)
        self.refs = _refs(self.system, "deal", keys)
        self.people = {k: r.object_id for k, r in _refs(self.system, "contact", people).items()}
        self.account_refs = {
            k: r.object_id for k, r in _refs(self.system, "account", account_refs).items()
        }
        ids = {r.object_id for r in self.refs.values()}
        self.by_id = {d.pk: d for d in Deal.objects.filter(id__in=ids)} if ids else {}
        self.committee: set[tuple[int, int]] = set()
        if people and self.by_id:
            self.committee = set(
                DealContact.objects.filter(deal_id__in=list(self.by_id)).values_list(
                    "deal_id", "contact_id"
                )
            )
        self.history: dict[int, list[tuple[object, str]]] = {}
        if self.by_id:
            for deal_id, stage, at in DealStageChange.objects.filter(
                deal_id__in=list(self.by_id)
            ).values_list("deal_id", "to_stage", "changed_at"):
                self.history.setdefault(deal_id, []).append((at, stage))
        # Current-stage rows logged without a date ("guesses") give way to real history.
        self.guesses: dict[int, list[tuple[int, int, object, str]]] = {}
        if self.by_id:
            refs = list(
                ExternalRef.objects.filter(
                    system=GUESS_SYSTEM,
                    object_type=GUESS_TYPE,
                    fingerprint__in=[str(pk) for pk in self.by_id],
                ).values_list("pk", "fingerprint", "object_id")
            )
            rows = dict(
                DealStageChange.objects.filter(pk__in=[r[2] for r in refs]).values_list(
                    "pk", "changed_at"
                )
            )
            for ref_pk, deal_pk, change_pk in refs:
                if change_pk in rows:
                    stage = next(s for at, s in self.history[int(deal_pk)] if at == rows[change_pk])
                    self.guesses.setdefault(int(deal_pk), []).append(
                        (ref_pk, change_pk, rows[change_pk], stage)
                    )
        self.pending: dict[str, tuple[ExternalRef, Deal]] = {}
        self.pending_history: dict[int, list[tuple[object, str]]] = {}

    def _deal(self, external_id: str):
        if external_id in self.pending:
            return self.pending[external_id]
        ref = self.refs.get(external_id)
        if ref is None:
            return None, None
        return ref, self.by_id.get(ref.object_id)

    # -- deal rows --------------------------------------------------------------------------
    def plan_deal(self, result, plan: BatchPlan, fp: str) -> None:
        rec = next(r for r in result.records if isinstance(r, DealRecord))
        events = [r for r in result.records if isinstance(r, StageEventRecord)]
        row = result.row_number
        ref, deal = self._deal(rec.external_id)
        if ref is not None and deal is not None and ref.fingerprint == fp:
            plan.count("deal", "skipped")
            plan.count("deal_stage_change", "skipped", len(events))
            return
        if too_long(
            plan.errors,
            row,
            [
                ("name", rec.name, 200),
                ("loss_reason", rec.loss_reason, 200),
                ("account_name", rec.account_name, 200),
            ],
        ):
            return
        if rec.currency and (len(rec.currency.strip()) != 3 or not rec.currency.isalpha()):
            plan.errors.append(
                RowError(row, "currency", rec.currency, "not a 3-letter currency code")
            )
            return
        created = deal is None
        if (
            not created
            and not self.may_change_amounts
            and rec.amount is not None
            and rec.amount.quantize(_CENTS) != deal.amount
        ):
            plan.errors.append(
                RowError(row, "amount", str(rec.amount), reason("deal.change_amount"))
            )
            return
        if created:
            deal = build(Deal)
            plan.new_deals.append(deal)
        before = {f: getattr(deal, f) for f in ("name", "account_id", "owner_id", "amount",
                  "currency", "stage", "created_at", "close_date", "closed_at", "is_closed",
                  "is_won", "loss_reason", "custom")}  # fmt: skip
        account = self._account(rec, plan)
        deal.name = rec.name or deal.name or f"Deal {rec.external_id}"
        if account is not None:
            if isinstance(account, int):
                deal.account_id = account
            else:
                deal.account = account
        owner = self.directory.owner(rec.owner_ref, plan)
        if owner is not None:
            deal.owner_id = owner
        if rec.amount is not None:
            deal.amount = rec.amount.quantize(_CENTS)
        if rec.currency:
            deal.currency = rec.currency.strip().upper()
        deal.stage = rec.stage
        if rec.created_at:
            deal.created_at = rec.created_at
        if rec.close_date:
            deal.close_date = rec.close_date
        deal.is_closed, deal.is_won = rec.is_closed, rec.is_won and rec.is_closed
        if rec.loss_reason:
            deal.loss_reason = rec.loss_reason
        if rec.properties:
            deal.custom = {**(deal.custom or {}), **rec.properties}
        entered = sorted((e.at for e in events if e.stage == rec.stage), reverse=True)
        if deal.is_closed:
            deal.closed_at = (
                (entered[0] if entered else None) or midnight(deal.close_date) or deal.created_at
            )
        else:
            deal.closed_at = None
        after = {f: getattr(deal, f) for f in before}
        if created:
            plan.count("deal", "created")
        elif after != before or (account is not None and not isinstance(account, int)):
            plan.changed_deals[deal.pk] = deal
            plan.count("deal", "updated")
        else:
            plan.count("deal", "skipped")
        self._history(deal, [(e.at, e.stage, e.by_ref) for e in events], plan, current=True)
        if ref is None:
            ref = NewRef(self.system, "deal", rec.external_id)
            plan.new_refs.append((ref, deal))
        elif rec.external_id not in self.pending:
            plan.changed_refs.append((ref, deal))
        ref.fingerprint = fp
        self.pending[rec.external_id] = (ref, deal)

    def _account(self, rec: DealRecord, plan: BatchPlan):
        if rec.account_ref and rec.account_ref in self.account_refs:
            return self.account_refs[rec.account_ref]
        if rec.account_ref and not rec.account_name:
            # Named by id only, the Account export not imported yet: created under that id
            # so the Account file fills it in (links in any file order).
            account = build(Account, name=f"Account {rec.account_ref}"[:200])
            plan.new_accounts.append(account)
            plan.count("account", "created")
            plan.new_refs.append((NewRef(self.system, "account", rec.account_ref), account))
            self.account_refs[rec.account_ref] = account
            plan.warnings[
                "deals name an account by id only: created under that id until the "
                "Account export is imported"
            ] += 1
            return account
        if not rec.account_name:
            return None
        match = self.accounts.match(rec.account_name, None)
        if match is not None and match.how != "review":
            return match.account
        account = build(Account, name=rec.account_name)
        plan.new_accounts.append(account)
        plan.count("account", "created")
        self.accounts.add(account, rec.account_name, None)
        if match is not None:
            plan.candidates.append(
                ("account", match.account, account, match.score,
                 f"company names {rec.account_name!r} and an existing account's are "
                 f"{match.score:.0f}% alike")
            )  # fmt: skip
        if rec.account_ref:
            ref = NewRef(self.system, "account", rec.account_ref)
            plan.new_refs.append((ref, account))
            self.account_refs[rec.account_ref] = account
        return account

    # -- history rows -----------------------------------------------------------------------
    def plan_history(self, result, plan: BatchPlan) -> None:
        """One OpportunityHistory row: a stage event of a deal imported before."""
        event = next(r for r in result.records if isinstance(r, StageEventRecord))
        _ref, deal = self._deal(event.external_id)
        if deal is None:
            plan.errors.append(
                RowError(
                    result.row_number,
                    "OpportunityId",
                    event.external_id,
                    "no opportunity with this id has been imported; import the Opportunity "
                    "export first",
                )
            )
            return
        self._history(deal, [(event.at, event.stage, event.by_ref)], plan, current=False)
        if deal.is_closed and event.stage == deal.stage:
            self._close_from_history(deal, plan)

    def plan_role(self, result, plan: BatchPlan) -> None:
        """An OpportunityContactRole row: the contact joins the deal's buying committee."""
        rec = next(r for r in result.records if isinstance(r, RoleRecord))
        _ref, deal = self._deal(rec.deal_ref)
        contact_id = self.people.get(rec.contact_ref)
        for what, ref, found in (
            ("opportunity", rec.deal_ref, deal),
            ("contact", rec.contact_ref, contact_id),
        ):
            if found is None:
                plan.errors.append(
                    RowError(
                        result.row_number,
                        "OpportunityId" if what == "opportunity" else "ContactId",
                        ref,
                        f"no {what} with this id has been imported; import the Contact and "
                        "Opportunity exports first, then this file again",
                    )
                )
                return
        if (deal.pk, contact_id) in self.committee:
            plan.count("deal_contact", "skipped")
        else:
            self.committee.add((deal.pk, contact_id))
            plan.deal_contacts.append(
                DealContact(deal_id=deal.pk, contact_id=contact_id, role=rec.role)
            )
            plan.count("deal_contact", "created")
        if rec.is_primary and deal.primary_contact_id != contact_id:
            deal.primary_contact_id = contact_id
            if deal.pk is not None and deal.pk not in plan.changed_deals:
                plan.changed_deals[deal.pk] = deal
                plan.count("deal", "updated")

    def _close_from_history(self, deal: Deal, plan: BatchPlan) -> None:
        """``closed_at``: when the deal entered its closing stage for the last time."""
        key = deal.pk if deal.pk is not None else id(deal)
        timeline = (list(self.history.get(deal.pk, [])) if deal.pk else []) + list(
            self.pending_history.get(key, [])
        )
        closed_at = None
        for at, stage in sorted(set(timeline), key=_sort):
            if stage == deal.stage:
                closed_at = closed_at or at
            else:
                closed_at = None
        if closed_at is not None and closed_at != deal.closed_at:
            deal.closed_at = closed_at
            if deal.pk is not None and deal.pk not in plan.changed_deals:
                plan.changed_deals[deal.pk] = deal
                plan.count("deal", "updated")

    def _history(self, deal: Deal, events, plan: BatchPlan, *, current: bool) -> None:
        key = deal.pk if deal.pk is not None else id(deal)
        known = (list(self.history.get(deal.pk, [])) if deal.pk else []) + self.pending_history.get(
            key, []
        )
        real_stages = {stage for _, stage, _ in events}
        for guess in list(self.guesses.get(deal.pk, [])):
            ref_pk, change_pk, at, stage = guess
            if stage in real_stages:  # the real date arrived: drop the guessed row
                plan.dropped_guesses.append((ref_pk, change_pk))
                self.guesses[deal.pk].remove(guess)
                known.remove((at, stage))
                self.history[deal.pk].remove((at, stage))
                plan.count("deal_stage_change", "updated")
        keys = {(at, stage) for at, stage in known}
        new = []
        for at, stage, by_ref in sorted(events, key=_sort):
            if (at, stage) in keys:
                plan.count("deal_stage_change", "skipped")
                continue
            keys.add((at, stage))
            new.append((at, stage, by_ref))
        timeline = sorted(
            [(at, s, None, False) for at, s in known] + [(a, s, b, True) for a, s, b in new],
            key=_sort,
        )
        previous = ""
        added = []
        for at, stage, by_ref, is_new in timeline:
            if is_new:
                if stage == previous:  # an amount-only change: the same stay in the stage
                    plan.count("deal_stage_change", "skipped")
                    continue
                plan.deal_changes.append(
                    build(
                        DealStageChange,
                        deal=deal,
                        from_stage=previous,
                        to_stage=stage,
                        changed_at=at,
                        changed_by_id=self.directory.users.get((by_ref or "").strip().lower()),
                    )
                )
                plan.count("deal_stage_change", "created")
                added.append((at, stage))
            previous = stage
        stages = {s for _, s in known} | {s for _, s in added}
        if current and deal.stage not in stages:
            at = deal.closed_at if deal.is_closed else deal.created_at
            last = max(timeline, key=_sort)[1] if timeline else ""
            guess = build(
                DealStageChange,
                deal=deal,
                from_stage=last if last != deal.stage else "",
                to_stage=deal.stage,
                changed_at=at,
            )
            plan.deal_changes.append(guess)
            plan.guesses.append(guess)
            plan.count("deal_stage_change", "created")
            added.append((at, deal.stage))
        self.pending_history.setdefault(key, []).extend(added)
