"""Reads of account-based marketing: the ICP in force, coverage, the timeline, the dashboard."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone

from smarketing.abm.models import AccountProfile, AccountStageChange, IcpVersion
from smarketing.analytics.abm import IcpDocument, default_icp_text, load_icp
from smarketing.crm.models import Account, Contact, Deal, Persona, Touchpoint

_cache: dict[str, IcpDocument] = {}


def active_icp() -> tuple[IcpDocument, IcpVersion | None]:
    """The ICP in force (the newest active version), or the shipped example when none is."""
    row = IcpVersion.objects.filter(active=True).order_by("-number").first()
    text = row.text if row else default_icp_text()
    doc = _cache.get(text)
    if doc is None:
        doc = _cache[text] = load_icp(text)
    return doc, row


def committee_personas(doc: IcpDocument) -> list[str]:
    """The personas the company sells to: the ICP's list, else every persona defined."""
    return list(doc.committee_personas) or list(Persona.objects.values_list("name", flat=True))


@dataclass
class Coverage:
    """Which of the committee's personas an account has: engaged, known only, or missing."""

    engaged: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def status(self) -> dict[str, str]:
        """``{persona: "engaged" | "known" | "missing"}`` (the API's ``committee``)."""
        out = dict.fromkeys(self.engaged, "engaged")
        out.update(dict.fromkeys(self.known, "known"))
        out.update(dict.fromkeys(self.missing, "missing"))
        return out

    def gaps(self) -> list[str]:
        """The gaps in words, for the owner: "no Finance Fred engaged", "no IT Ian known"."""
        return [f"no {p} engaged" for p in self.known] + [f"no {p} known" for p in self.missing]


def coverage_for(
    account_ids, *, doc: IcpDocument | None = None, targets: bool = False
) -> dict[int, Coverage]:
    """Buying-committee coverage of each account (two queries for any number of accounts;
    with ``targets`` the queries select the target accounts by a join, not an id list)."""
    doc = doc or active_icp()[0]
    wanted = committee_personas(doc)
    ids = list(account_ids)
    people = Q(account__is_target=True) if targets else Q(account_id__in=ids)
    known: dict[int, set[str]] = {i: set() for i in ids}
    for account_id, persona in (
        Contact.objects.filter(people, persona__isnull=False)
        .values_list("account_id", "persona__name")
        .distinct()
    ):
        if account_id in known:
            known[account_id].add(persona)
    engaged = dict(AccountProfile.objects.filter(people).values_list(
        "account_id", "engaged_personas"))  # fmt: skip
    out = {}
    for account_id in ids:
        e = set(engaged.get(account_id) or [])
        out[account_id] = Coverage(
            engaged=[p for p in wanted if p in e],
            known=[p for p in wanted if p in known[account_id] and p not in e],
            missing=[p for p in wanted if p not in known[account_id] and p not in e],
        )
    return out


@dataclass(frozen=True)
class TimelineItem:
    """One line of an account's timeline: a touch, a stage change, a deal event."""

    at: dt.datetime
    what: str  # "touch", "stage", "deal", "account"
    title: str
    detail: str
    team: str = ""
    contact_id: int | None = None
    contact: str = ""


def timeline(account: Account, *, contact_id=None, kind: str = "", limit: int = 300):
    """Every touch of every contact of ``account`` (both teams), newest first, with the
    contacts' stage changes, the deals and the account's own stage changes inline."""
    from smarketing.crm.choices import TouchKind
    from smarketing.funnel.models import StageChange

    labels = dict(TouchKind.choices)
    touches = Touchpoint.objects.filter(account=account).select_related("contact", "user")
    if contact_id:
        touches = touches.filter(contact_id=contact_id)
    if kind:
        touches = touches.filter(kind=kind)
    items = [
        TimelineItem(
            t.occurred_at,
            "touch",
            labels.get(t.kind, t.kind),
            t.email_subject or t.url or t.channel,
            t.team,
            t.contact_id,
            str(t.contact) if t.contact_id else "",
        )  # fmt: skip
        for t in touches.order_by("-occurred_at", "-id")[:limit]
    ]
    if not kind:
        changes = StageChange.objects.filter(contact__account=account).select_related("contact")
        if contact_id:
            changes = changes.filter(contact_id=contact_id)
        from smarketing.crm.choices import LifecycleStage

        stage_labels = dict(LifecycleStage.choices)
        items += [
            TimelineItem(
                c.changed_at,
                "stage",
                f"Became {stage_labels.get(c.to_stage, c.to_stage)}",
                c.reason or c.rule,
                "",
                c.contact_id,
                str(c.contact),
            )  # fmt: skip
            for c in changes.order_by("-changed_at")[:limit]
        ]
        if not contact_id:
            for d in Deal.objects.filter(account=account):
                items.append(TimelineItem(d.created_at, "deal", f"Deal opened: {d.name}",
                                          f"{d.amount:,.0f} {d.currency}"))  # fmt: skip
                if d.closed_at:
                    result = "won" if d.is_won else "lost"
                    items.append(TimelineItem(d.closed_at, "deal", f"Deal {result}: {d.name}",
                                              d.loss_reason))  # fmt: skip
            from smarketing.abm.models import AccountStage

            account_labels = dict(AccountStage.choices)
            items += [
                TimelineItem(s.changed_at, "account",
                             f"Account became {account_labels.get(s.to_stage, s.to_stage)}", s.rule)
                for s in AccountStageChange.objects.filter(account=account)
            ]  # fmt: skip
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]


def _median(values):
    return statistics.median(values) if values else None


def dashboard(*, start: dt.datetime, end: dt.datetime) -> dict:
    """The ABM dashboard's figures for ``[start, end)``: target coverage, engagement by tier,
    MQAs, pipeline and revenue from target accounts vs the others, win rate and cycle by tier."""
    targets = Account.objects.filter(is_target=True)
    by_tier = []
    doc = active_icp()[0]
    wanted = committee_personas(doc)
    target_ids = list(targets.values_list("pk", flat=True))
    cover = coverage_for(target_ids, doc=doc, targets=True)
    profiles = {p.account_id: p for p in AccountProfile.objects.filter(account__is_target=True)}
    tiers = dict(targets.values_list("pk", "tier"))
    for tier in (1, 2, 3, None):
        ids = [i for i, t in tiers.items() if t == tier]
        if not ids and tier is None:
            continue
        eng = [profiles[i].engagement for i in ids if i in profiles]
        full = sum(1 for i in ids if wanted and not cover[i].missing and not cover[i].known)
        engaged = sum(1 for i in ids if cover[i].engaged)
        by_tier.append({
            "tier": f"Tier {tier}" if tier else "No tier",
            "accounts": len(ids),
            "avg_engagement": round(sum(eng) / len(eng), 1) if eng else None,
            "with_engaged_persona": engaged,
            "full_committee": full,
            "mqas": sum(1 for i in ids if i in profiles and profiles[i].stage in ("mqa", "opportunity", "customer")),
        })  # fmt: skip
    deals = Deal.objects.filter(account__isnull=False)
    split = []
    for label, q in (
        ("Target accounts", Q(account__is_target=True)),
        ("Other accounts", Q(account__is_target=False)),
    ):
        created = deals.filter(q, created_at__gte=start, created_at__lt=end).aggregate(
            n=Count("id"), amount=Sum("amount"))  # fmt: skip
        won = deals.filter(q, is_won=True, closed_at__gte=start, closed_at__lt=end).aggregate(
            n=Count("id"), amount=Sum("amount"))  # fmt: skip
        split.append({"group": label, "pipeline": created["amount"] or 0, "opportunities": created["n"],
                      "revenue": won["amount"] or 0, "won": won["n"]})  # fmt: skip
    cycles = []
    closed = deals.filter(is_closed=True, closed_at__gte=start, closed_at__lt=end).values_list(
        "account__tier", "is_won", "created_at", "closed_at")  # fmt: skip
    for tier in (1, 2, 3, None):
        rows = [r for r in closed if r[0] == tier]
        won = [r for r in rows if r[1]]
        cycles.append({
            "tier": f"Tier {tier}" if tier else "No tier",
            "closed": len(rows),
            "win_rate": (len(won) / len(rows)) if rows else None,
            "median_cycle_days": _median([(r[3] - r[2]).days for r in won]),
        })  # fmt: skip
    mqas = (
        AccountStageChange.objects.filter(to_stage="mqa", changed_at__gte=start, changed_at__lt=end)
        .select_related("account__owner").order_by("-changed_at")[:20]
    )  # fmt: skip
    return {
        "targets": len(target_ids),
        "by_tier": by_tier,
        "split": split,
        "cycles": cycles,
        "mqas": list(mqas),
        "as_of": AccountProfile.objects.order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first(),
        "now": timezone.now(),
    }
