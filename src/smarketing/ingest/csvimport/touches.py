"""Plan the touchpoints an import carries over: first and latest sources, campaign
memberships, logged calls, emails and meetings (the history a CRM holds of a journey).

Every imported touch is a normal :class:`~smarketing.crm.models.Touchpoint` with
``imported_from`` set to ``"<system>: <column>"`` (reports can show or leave out imported
history) and an ``external_id`` of ``import:<system>:<touch id>``, so importing the same file
again adds nothing (``ON CONFLICT DO NOTHING``). A touch row (CampaignMember, Task, Event,
engagement) names its person by the source's id: a lead or contact imported before, in any
earlier file; a row whose person is unknown is a row error naming the id, and the file can
be imported again once the person's file is in.
"""

from __future__ import annotations

from smarketing.crm.choices import SALES_TOUCH_KINDS
from smarketing.crm.models import Campaign, Touchpoint
from smarketing.ingest.csvimport.contacts import _refs
from smarketing.ingest.csvimport.fastinsert import insert_rows
from smarketing.ingest.csvimport.models import ExternalRef
from smarketing.ingest.csvimport.plan import BatchPlan, pk_of
from smarketing.ingest.formats import RowError, TouchRecord

TOUCH_COLUMNS = (
    "occurred_at", "contact_id", "anonymous_id", "account_id", "kind", "team", "channel",
    "source", "medium", "campaign_id", "keyword", "email_subject", "url", "referrer",
    "outcome", "properties", "external_id", "imported_from",
)  # fmt: skip


class TouchPlanner:
    """Resolves the people and companies of touch rows of one batch."""

    def __init__(self, *, system: str) -> None:
        self.system = system

    def prefetch(self, rows) -> None:
        people, companies = set(), set()
        for result in rows:
            for rec in result.records:
                if isinstance(rec, TouchRecord):
                    if rec.contact_ref:
                        people.add(rec.contact_ref)
                    if rec.account_ref:
                        companies.add(rec.account_ref)
        self.people = {k: r.object_id for k, r in _refs(self.system, "contact", people).items()}
        self.companies = {
            k: r.object_id for k, r in _refs(self.system, "account", companies).items()
        }

    def plan(self, result, plan: BatchPlan) -> None:
        """A row that is only touches: attach each to its person (else its company).

        A row is atomic: when one of its people is unknown, none of its touches is written.
        """
        staged = []
        for rec in result.records:
            if not isinstance(rec, TouchRecord):
                continue
            contact = self.people.get(rec.contact_ref) if rec.contact_ref else None
            account = self.companies.get(rec.account_ref) if rec.account_ref else None
            if contact is None and account is None:
                who = rec.contact_ref or rec.account_ref
                plan.errors.append(
                    RowError(
                        result.row_number,
                        None,
                        who,
                        f"no lead, contact or account with id {who!r} has been imported; "
                        "import the Lead, Contact and Account exports first, then this file again"
                        if who
                        else "the row names no lead, contact or account",
                    )
                )
                return
            staged.append((rec, contact, account))
        for rec, contact, account in staged:
            add_touch(plan, rec, contact, account)


def add_touch(plan: BatchPlan, rec: TouchRecord, contact, account) -> None:
    """Stage one imported touch of ``contact`` (object or id) and/or ``account``."""
    plan.touches.append((rec, contact, account, True))
    plan.count("touchpoint", "created")


def flush_touches(plan: BatchPlan) -> None:
    """Insert the staged touches once contacts and accounts have ids (re-imports: no-ops)."""
    if not plan.touches:
        return
    campaigns = _campaigns(plan)
    rows, maybe_stored = [], []
    for rec, contact, account, known in plan.touches:
        contact_id, account_id = pk_of(contact), pk_of(account)
        if contact_id is None and account_id is None:
            continue
        props = dict(rec.properties or {})
        if rec.campaign_name:
            props.setdefault("campaign", rec.campaign_name)
        rows.append(
            (
                rec.occurred_at,
                contact_id,
                "",
                account_id,
                rec.kind,
                "sales" if rec.kind in SALES_TOUCH_KINDS else "marketing",
                (rec.channel or "")[:50],
                (rec.source or "")[:100],
                (rec.medium or "")[:100],
                campaigns.get(rec.campaign_ref or rec.campaign_name),
                "",
                (rec.subject or "")[:250],
                "",
                "",
                (rec.outcome or "")[:20],
                props,
                f"import:{rec.source_system}:{rec.touch_id}"[:200],
                f"{rec.source_system}: {rec.column}"[:120],
            )
        )
        if known:
            maybe_stored.append(rows[-1][16])
    ids = maybe_stored
    existing = set()
    for start in range(0, len(ids), 2000):
        existing.update(
            Touchpoint.objects.filter(external_id__in=ids[start : start + 2000]).values_list(
                "external_id", flat=True
            )
        )
    if existing:  # imported before (a re-import, a changed row): counted as skipped
        rows = [row for row in rows if row[16] not in existing]
        plan.counts["touchpoint"]["created"] -= len(existing)
        plan.count("touchpoint", "skipped", len(existing))
    insert_rows(Touchpoint, TOUCH_COLUMNS, rows, ignore_conflicts=True)


def _campaigns(plan: BatchPlan) -> dict[str, int]:
    """Campaign ids by the touches' campaign ref (a Campaign export imported before) or name."""
    refs = {t[0].campaign_ref for t in plan.touches if t[0].campaign_ref}
    names = {
        t[0].campaign_name for t in plan.touches if t[0].campaign_name and not t[0].campaign_ref
    }
    found: dict[str, int] = {}
    if not refs and not names:
        return found
    if refs:
        system = next(t[0].source_system for t in plan.touches if t[0].campaign_ref)
        found.update(
            ExternalRef.objects.filter(
                system=system, object_type="campaign", external_id__in=refs
            ).values_list("external_id", "object_id")
        )
        for rec, *_ in plan.touches:
            if rec.campaign_ref and rec.campaign_ref not in found and rec.campaign_name:
                names.add(rec.campaign_name)
    for name in names:
        campaign = Campaign.objects.filter(name=name[:200]).order_by("pk").first()
        if campaign is None:
            campaign = Campaign.objects.create(name=name[:200], channel="Other")
        found[name] = campaign.pk
    for rec, *_ in plan.touches:
        if rec.campaign_ref and rec.campaign_ref not in found and rec.campaign_name in found:
            found[rec.campaign_ref] = found[rec.campaign_name]
    return found
