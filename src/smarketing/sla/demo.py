"""Derived SLA state for data written in bulk (the demo company, imports): fast, set-based.

:func:`derive_handoff_state` reads the stage log, owners, sales touchpoints and reviews that
already exist and writes, with bulk inserts only: one :class:`LeadAssignment` per contact that
reached MQL (rule inferred from the owner: account owner, territory or round robin; the queue
when it has none), its :class:`LeadClock` evaluated with the vectorised clock maths, and the
:class:`Breach` rows the history implies (notified when detected, escalated to the team manager
when the grace period ran out). Recent breaches also get a :class:`Notification`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from smarketing.analytics.sla import kth_attempt, to_epoch
from smarketing.crm.models import Contact, Touchpoint
from smarketing.funnel.models import LeadAssignment, LeadReview, StageChange
from smarketing.sla import engine
from smarketing.sla.actions import ensure_active_sla
from smarketing.sla.models import Breach, LeadClock, Notification
from smarketing.sla.selectors import ATTEMPT_KINDS, active_sla

RECENT = dt.timedelta(days=14)


def _rule(contact: dict, owner, accounts_owner: dict) -> str:
    if owner is None:
        return LeadAssignment.Rule.QUEUE
    if accounts_owner.get(contact["account_id"]) == owner.pk:
        return LeadAssignment.Rule.ACCOUNT_OWNER
    territory = set(
        getattr(owner, "profile", None).territories if hasattr(owner, "profile") else ()
    )
    if contact["country"] and contact["country"].upper() in territory:
        return LeadAssignment.Rule.TERRITORY
    return LeadAssignment.Rule.ROUND_ROBIN


@transaction.atomic
def derive_handoff_state(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Create assignments, clocks and breaches for contacts without them. Returns counts.

    Idempotent: contacts that already have an assignment are skipped.
    """
    now = now or timezone.now()
    ensure_active_sla()
    doc, version = active_sla()
    # The latest move into MQL of every contact that has no assignment yet.
    done = set(LeadAssignment.objects.values_list("contact_id", flat=True))
    mql_at: dict[int, tuple[dt.datetime, str]] = {}
    for cid, at, rule in (
        StageChange.objects.filter(to_stage="mql")
        .order_by("changed_at")
        .values_list("contact_id", "changed_at", "rule")
    ):
        if cid not in done:
            mql_at[cid] = (at, rule)
    if not mql_at:
        return {"assignments": 0, "clocks": 0, "breaches": 0, "notifications": 0}
    ids = list(mql_at)
    contacts = {
        c["id"]: c
        for c in Contact.objects.filter(pk__in=ids).values(
            "id", "owner_id", "account_id", "account__owner_id", "country"
        )
    }
    users = {u.pk: u for u in get_user_model().objects.select_related("profile__team")}
    accounts_owner = {c["account_id"]: c["account__owner_id"] for c in contacts.values()}
    assignments = []
    for cid, (at, rule) in mql_at.items():
        c = contacts[cid]
        owner = users.get(c["owner_id"])
        assignments.append(
            LeadAssignment(
                contact_id=cid,
                owner=owner,
                rule=_rule(c, owner, accounts_owner),
                priority="hand_raiser" if "hand-raiser" in (rule or "") else "default",
                detail="derived from the demo history",
                assigned_at=at,
                is_current=True,
            )
        )
    LeadAssignment.objects.bulk_create(assignments, batch_size=2000)
    owned = [a for a in assignments if a.owner_id is not None]
    # Sales attempts and decisions after each assignment.
    touches = defaultdict(list)
    for cid, at in (
        Touchpoint.objects.filter(
            contact_id__in=[a.contact_id for a in owned], team="sales", kind__in=ATTEMPT_KINDS
        )
        .order_by("occurred_at")
        .values_list("contact_id", "occurred_at")
    ):
        touches[cid].append(at)
    reviews = {}
    for cid, at, decision in (
        LeadReview.objects.filter(contact_id__in=[a.contact_id for a in owned])
        .order_by("-at")
        .values_list("contact_id", "at", "decision")
    ):
        reviews[cid] = (at, decision)
    k = doc.sales.min_attempts
    clocks = []
    for a in owned:
        times = [t for t in touches[a.contact_id] if a.assigned_at <= t <= now]
        review = reviews.get(a.contact_id)
        decided = review if review and review[0] >= a.assigned_at else None
        clocks.append(
            LeadClock(
                contact_id=a.contact_id,
                assignment=a,
                owner_id=a.owner_id,
                sla=version,
                assigned_at=a.assigned_at,
                priority=a.priority,
                first_touch_at=times[0] if times else None,
                attempts=len(times),
                kth_attempt_at=kth_attempt(times, k) if k else None,
                decided_at=decided[0] if decided else None,
                decision=("accepted" if decided[1] == "accept" else "rejected") if decided else "",
                evaluated_at=now,
            )
        )
    if not clocks:
        return {"assignments": len(assignments), "clocks": 0, "breaches": 0, "notifications": 0}
    data = engine.OpenClocks(
        ids=np.arange(len(clocks)),
        contact=np.array([c.contact_id for c in clocks]),
        owner=np.array([c.owner_id for c in clocks]),
        priority=[c.priority for c in clocks],
        assigned=to_epoch([c.assigned_at for c in clocks]),
        first_touch_at=to_epoch([c.first_touch_at for c in clocks]),
        kth_attempt_at=to_epoch([c.kth_attempt_at for c in clocks]),
        decided_at=to_epoch([c.decided_at for c in clocks]),
        status={},
        due={},
    )
    arr = engine.evaluate(doc, data, now)
    utc = dt.UTC
    esc = doc.enforcement.escalate_after_hours
    breach_rows = []
    for i, clock in enumerate(clocks):
        for kind in engine.KINDS:
            code = int(getattr(arr, f"status_{kind}")[i])
            due = dt.datetime.fromtimestamp(float(getattr(arr, f"{kind}_due")[i]), utc)
            setattr(clock, f"status_{kind}", code)
            setattr(clock, f"{kind}_due", due)
            if code == LeadClock.BREACHED:
                over = float(getattr(arr, f"overdue_{kind}")[i])
                breach_rows.append((clock, kind, due, over))
        # History is history: only clocks still running need the sweep.
        clock.settled = all(getattr(clock, f"status_{k}") != 0 for k in engine.KINDS)
    LeadClock.objects.bulk_create(clocks, batch_size=2000)
    breaches = []
    for clock, kind, due, over in breach_rows:
        manager = getattr(getattr(users.get(clock.owner_id), "profile", None), "team", None)
        escalate = esc is not None and over >= esc
        breaches.append(
            Breach(
                clock=clock,
                kind=kind,
                due=due,
                detected_at=min(due + dt.timedelta(minutes=5), now),
                notified_at=min(due + dt.timedelta(minutes=5), now),
                overdue_hours=over,
                escalated_at=min(due + dt.timedelta(hours=esc or 0), now) if escalate else None,
                escalated_to_id=manager.manager_id if escalate and manager else None,
                resolved_at=getattr(clock, f"{kind}_at" if kind != "attempts" else "kth_attempt_at")
                if kind != "decision"
                else clock.decided_at,
            )
        )
    Breach.objects.bulk_create(breaches, batch_size=2000)
    notes = [
        Notification(
            user_id=b.clock.owner_id,
            kind="breach",
            message=f"SLA breach: {b.get_kind_display().lower()} was due "
            f"{timezone.localtime(b.due):%Y-%m-%d %H:%M}",
            contact_id=b.clock.contact_id,
            breach=b,
            created_at=b.detected_at,
        )
        for b in breaches
        if b.detected_at >= now - RECENT
    ]
    Notification.objects.bulk_create(notes, batch_size=2000)
    return {
        "assignments": len(assignments),
        "clocks": len(clocks),
        "breaches": len(breaches),
        "notifications": len(notes),
    }
