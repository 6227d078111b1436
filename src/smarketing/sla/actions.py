"""Writes of the SLA app: store / activate SLA versions, run lead clocks, enforce breaches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from smarketing.analytics.sla import SlaError, default_sla_text, load_sla
from smarketing.core.models import UserProfile
from smarketing.crm.models import Contact, Touchpoint
from smarketing.funnel.models import LeadAssignment, LeadReview
from smarketing.sla import engine
from smarketing.sla.models import (
    Breach,
    ComplianceSnapshot,
    LeadClock,
    Notification,
    SlaVersion,
)
from smarketing.sla.selectors import ATTEMPT_KINDS, active_sla, compliance, live_clocks
from smarketing.sla.signals import sla_breached

KINDS = engine.KINDS
#: Breaches after which a lead can be taken away from its owner (attempts only notify).
REASSIGNABLE = ("first_touch", "decision")


def sla_errors(text: str) -> list[str]:
    """Every problem of an SLA document as ``line N, field '…': …`` strings (empty = valid)."""
    try:
        load_sla(text)
    except SlaError as exc:
        return [str(issue) for issue in exc.errors]
    return []


@transaction.atomic
def do_save_sla_version(*, text: str, author=None, activate: bool = False) -> SlaVersion:
    """Store a new SLA version; an invalid document raises ``ValidationError`` and stores nothing."""
    try:
        doc = load_sla(text)
    except SlaError as exc:
        raise ValidationError({"text": [str(issue) for issue in exc.errors]}) from None
    version = SlaVersion.objects.create(
        version=doc.version, name=doc.name, text=text, effective=doc.effective, author=author
    )
    if activate:
        do_activate_sla_version(version=version, by=author)
    return version


@transaction.atomic
def do_activate_sla_version(*, version: SlaVersion, by=None) -> SlaVersion:
    """Make ``version`` the SLA in force (re-validated: an invalid text is never activated).

    Clocks already running keep their due times until the next sweep re-evaluates them.
    """
    errors = sla_errors(version.text)
    if errors:
        raise ValidationError({"text": errors})
    SlaVersion.objects.filter(active=True).exclude(pk=version.pk).update(active=False)
    version.active = True
    version.activated_at = timezone.now()
    version.save(update_fields=["active", "activated_at"])
    return version


@transaction.atomic
def ensure_active_sla(*, author=None) -> SlaVersion:
    """The active version; stores and activates the shipped example SLA when there is none."""
    version = SlaVersion.objects.filter(active=True).first()
    return version or do_save_sla_version(text=default_sla_text(), author=author, activate=True)


# --- clocks ---------------------------------------------------------------------------------


def _record_breaches(items, *, now: dt.datetime) -> int:
    """Insert ``(clock_id, kind, due, overdue_hours)`` breaches once (retries are no-ops)."""
    if not items:
        return 0
    existing = set(
        Breach.objects.filter(clock_id__in={i[0] for i in items}).values_list("clock_id", "kind")
    )
    new = [
        Breach(clock_id=c, kind=k, due=due, overdue_hours=float(h), detected_at=now)
        for c, k, due, h in items
        if (c, k) not in existing
    ]
    Breach.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    return len(new)


def _status_code(name: str) -> int:
    return {"pending": 0, "met": 1, "breached": 2}[name]


def refresh_clock(clock: LeadClock, *, now: dt.datetime | None = None) -> LeadClock:
    """Reload a clock's events (sales attempts, decision) from the records and re-evaluate it."""
    now = now or timezone.now()
    doc, _ = active_sla()
    times = list(
        Touchpoint.objects.filter(
            contact_id=clock.contact_id,
            team="sales",
            kind__in=ATTEMPT_KINDS,
            occurred_at__gte=clock.assigned_at,
            occurred_at__lte=now,
        )
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
    )
    review = (
        LeadReview.objects.filter(contact_id=clock.contact_id, at__gte=clock.assigned_at)
        .order_by("at")
        .first()
    )
    k = doc.sales.min_attempts
    clock.first_touch_at = times[0] if times else None
    clock.attempts = len(times)
    clock.kth_attempt_at = times[k - 1] if k and len(times) >= k else None
    clock.decided_at = review.at if review else None
    clock.decision = ("accepted" if review.decision == "accept" else "rejected") if review else ""
    state = live_clocks(clock, now=now)
    breaches = []
    for c in state.clocks:
        code = _status_code(c.status)
        if code == 2 and getattr(clock, f"status_{c.kind}") != 2:
            breaches.append((clock.pk, c.kind, c.due, c.overdue_hours))
        setattr(clock, f"status_{c.kind}", code)
        setattr(clock, f"{c.kind}_due", c.due)
        if c.done_at is not None:
            Breach.objects.filter(clock=clock, kind=c.kind, resolved_at__isnull=True).update(
                resolved_at=c.done_at
            )
    if state.settled and not any(
        s.status == "breached" and s.done_at is None for s in state.clocks
    ):
        clock.settled = True
    clock.evaluated_at = now
    clock.save()
    _record_breaches(breaches, now=now)
    return clock


@transaction.atomic
def do_start_clock(*, assignment: LeadAssignment, now: dt.datetime | None = None):
    """Stop the contact's running clocks and start one for ``assignment`` (if it has an owner)."""
    LeadClock.objects.filter(contact_id=assignment.contact_id, superseded=False).exclude(
        assignment=assignment
    ).update(superseded=True, settled=True)
    if assignment.owner_id is None:
        return None
    _, version = active_sla()
    clock, _ = LeadClock.objects.get_or_create(
        assignment=assignment,
        defaults={
            "contact_id": assignment.contact_id,
            "owner_id": assignment.owner_id,
            "assigned_at": assignment.assigned_at,
            "priority": assignment.priority,
            "sla": version,
        },
    )
    return refresh_clock(clock, now=max(now or timezone.now(), assignment.assigned_at))


def refresh_contact_clock(contact: Contact, *, now: dt.datetime | None = None):
    """Re-evaluate the contact's current clock after an attempt or a decision."""
    clock = (
        LeadClock.objects.filter(contact=contact, superseded=False)
        .select_related("owner__profile__team")
        .first()
    )
    return refresh_clock(clock, now=now) if clock else None


# --- enforcement ----------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one sweep did."""

    evaluated: int = 0
    changed: int = 0
    breaches: int = 0
    notified: int = 0
    escalated: int = 0
    reassigned: int = 0
    settled: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _manager_of(user):
    profile = getattr(user, "profile", None)
    if profile is not None and profile.team_id and profile.team.manager_id:
        return profile.team.manager
    admin = UserProfile.objects.filter(role=UserProfile.Role.ADMIN).select_related("user").first()
    return admin.user if admin else None


def _mail(messages: dict, subject: str) -> None:
    for user, lines in messages.items():
        if user.email:
            send_mail(
                subject.format(n=len(lines)),
                "\n".join(lines),
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                fail_silently=True,
            )


def _label(kind: str) -> str:
    return dict(Breach.Kind.choices)[kind].lower()


def _notify_new_breaches(now, doc) -> int:
    todo = list(
        Breach.objects.filter(notified_at__isnull=True).select_related(
            "clock__owner", "clock__contact"
        )
    )
    if not todo:
        return 0
    mails = defaultdict(list)
    notes = []
    for b in todo:
        msg = (
            f"SLA breach: {_label(b.kind)} for {b.clock.contact} was due "
            f"{timezone.localtime(b.due):%Y-%m-%d %H:%M}"
        )
        notes.append(
            Notification(
                user=b.clock.owner,
                kind="breach",
                message=msg[:500],
                contact=b.clock.contact,
                breach=b,
                created_at=now,
            )
        )
        mails[b.clock.owner].append(msg)
    if doc.enforcement.notify_owner:
        Notification.objects.bulk_create(notes, batch_size=2000)
        _mail(mails, "smarketing: {n} SLA breach(es) on your leads")
    Breach.objects.filter(pk__in=[b.pk for b in todo]).update(notified_at=now)
    for b in todo:
        transaction.on_commit(lambda b=b: sla_breached.send(sender=Breach, breach=b))
    return len(todo)


def _enforce(candidates: dict[int, dict[str, float]], now, doc, result: SweepResult) -> set[int]:
    """Escalate and reassign open breaches; returns clock ids with nothing left to do."""
    from smarketing.funnel.actions import do_assign_lead
    from smarketing.funnel.routing import route

    esc_after = doc.enforcement.escalate_after_hours
    re_after = doc.enforcement.reassign_after_hours
    breaches = Breach.objects.filter(clock_id__in=list(candidates)).select_related(
        "clock__owner__profile__team", "clock__contact", "clock__assignment"
    )
    by_clock = defaultdict(list)
    for b in breaches:
        by_clock[b.clock_id].append(b)
    mails = defaultdict(list)
    done: set[int] = set()
    for clock_id, overdue in candidates.items():
        outstanding = False
        reassigned = False
        for b in by_clock.get(clock_id, []):
            if b.kind not in overdue:
                continue
            hours = overdue[b.kind]
            b.overdue_hours = hours  # saved only with an escalation / reassignment
            if esc_after is not None and b.escalated_at is None:
                if hours >= esc_after:
                    manager = _manager_of(b.clock.owner)
                    b.escalated_at, b.escalated_to = now, manager
                    result.escalated += 1
                    if manager is not None:
                        msg = (
                            f"Escalation: {b.clock.owner} has not met the {_label(b.kind)} "
                            f"commitment on {b.clock.contact} ({hours:.1f} business hours late)"
                        )
                        Notification.objects.create(
                            user=manager,
                            kind="escalation",
                            message=msg[:500],
                            contact=b.clock.contact,
                            breach=b,
                            created_at=now,
                        )
                        mails[manager].append(msg)
                else:
                    outstanding = True
            if re_after is not None and b.kind in REASSIGNABLE and b.reassigned_at is None:
                if hours >= re_after and not reassigned:
                    old = b.clock.owner
                    decision = route(b.clock.contact, at=now, exclude_ids={old.pk})
                    do_assign_lead(
                        contact=b.clock.contact,
                        owner=decision.owner,
                        rule=LeadAssignment.Rule.SLA_REASSIGN,
                        detail=f"{_label(b.kind)} breached by {old}; {decision.rule}: "
                        f"{decision.detail}",
                        priority=b.clock.priority,
                        at=now,
                    )
                    b.reassigned_at = now
                    reassigned = True
                    result.reassigned += 1
                    Notification.objects.create(
                        user=old,
                        kind="reassigned",
                        contact=b.clock.contact,
                        breach=b,
                        message=f"{b.clock.contact} was reassigned after an SLA breach",
                        created_at=now,
                    )
                elif not reassigned:
                    outstanding = True
            if b.escalated_at == now or b.reassigned_at == now:
                b.save(
                    update_fields=["overdue_hours", "escalated_at", "escalated_to", "reassigned_at"]
                )
        if reassigned or not outstanding:
            done.add(clock_id)
    _mail(mails, "smarketing: {n} SLA escalation(s) in your team")
    return done


@transaction.atomic
def do_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Evaluate every unsettled clock (vectorised), record breaches once, notify, escalate,
    reassign. Safe to re-run: a second sweep at the same instant changes nothing."""
    now = now or timezone.now()
    doc, _ = active_sla()
    result = SweepResult()
    data = engine.load_open_clocks()
    result.evaluated = len(data)
    if len(data):
        arr = engine.evaluate(doc, data, now)
        status = {k: getattr(arr, f"status_{k}") for k in KINDS}
        due = {k: getattr(arr, f"{k}_due") for k in KINDS}
        over = {k: getattr(arr, f"overdue_{k}") for k in KINDS}
        now_e = now.timestamp()
        done_at = {
            "first_touch": data.first_touch_at,
            "attempts": data.kth_attempt_at,
            "decision": data.decided_at,
        }
        undecided = np.isnan(data.decided_at) | (data.decided_at > now_e)
        enforcing = (
            doc.enforcement.escalate_after_hours is not None
            or doc.enforcement.reassign_after_hours is not None
        )
        open_breach = {
            k: (status[k] == 2) & (np.isnan(done_at[k]) | (done_at[k] > now_e)) & undecided
            for k in KINDS
        }
        any_open = np.zeros(len(data), dtype=bool)
        for k in KINDS:
            any_open |= open_breach[k]
        pending = np.zeros(len(data), dtype=bool)
        for k in KINDS:
            pending |= status[k] == 0
        settled = ~pending & ~(any_open & enforcing)
        changed = settled.copy()
        for k in KINDS:
            changed |= status[k] != data.status[k]
            old = data.due[k]
            changed |= np.isnan(old) | (np.abs(np.nan_to_num(old) - due[k]) > 0.5)
        idx = np.flatnonzero(changed)
        cols = {f"status_{k}": status[k][idx].tolist() for k in KINDS}
        cols.update({f"{k}_due": engine.to_db_datetimes(due[k][idx]) for k in KINDS})
        cols["settled"] = settled[idx].tolist()
        cols["evaluated_at"] = engine.to_db_datetimes(np.full(len(idx), now_e))
        result.changed = engine.write_rows(cols, data.ids[idx])
        result.settled = int(settled.sum())
        items = []
        for k in KINDS:
            for i in np.flatnonzero((status[k] == 2) & (data.status[k] != 2)):
                items.append(
                    (
                        int(data.ids[i]),
                        k,
                        dt.datetime.fromtimestamp(float(due[k][i]), dt.UTC),
                        float(over[k][i]),
                    )
                )
        result.breaches = _record_breaches(items, now=now)
        if enforcing:
            cand = {}
            for i in np.flatnonzero(any_open):
                cand[int(data.ids[i])] = {k: float(over[k][i]) for k in KINDS if open_breach[k][i]}
            finished = _enforce(cand, now, doc, result)
            LeadClock.objects.filter(pk__in=finished, settled=False).update(settled=True)
            result.settled += len(finished)
    result.notified = _notify_new_breaches(now, doc)
    return result


def do_mark_notifications_read(*, user, ids=None, now: dt.datetime | None = None) -> int:
    """Mark the user's unread notifications read: those in ``ids``, or all when ``ids`` is None.

    Only the user's own notifications change (other ids are ignored); marking again is a
    no-op, so a retried request changes nothing. Returns how many became read.
    """
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now or timezone.now())


#: How old a stored month of compliance figures may be before a reader recomputes it.
SNAPSHOT_MAX_AGE = dt.timedelta(minutes=15)
#: The stored months' name in the derived-table registry (:mod:`smarketing.core.derived`).
SNAPSHOTS = "sla.compliance"


def do_refresh_compliance_snapshot(month: str, *, now: dt.datetime | None = None):
    """Compute ``month``'s compliance figures now and store them (one row per month)."""
    now = now or timezone.now()
    data = compliance(month, now=now)
    _, version = active_sla()
    snapshot, _ = ComplianceSnapshot.objects.update_or_create(
        month=month, defaults={"sla_version": version, "computed_at": now, "data": data}
    )
    from smarketing.core import derived

    # the registry's checkpoint says when the stored months were last computed
    derived.filled(derived.checkpoint(SNAPSHOTS), state={"last_month": month}, built=True)
    return snapshot


def compliance_snapshot(
    month: str, *, now: dt.datetime | None = None, max_age: dt.timedelta = SNAPSHOT_MAX_AGE
):
    """``month``'s stored compliance figures, recomputed first when missing, older than
    ``max_age`` or computed under another SLA version. Returns the :class:`ComplianceSnapshot`.
    """
    now = now or timezone.now()
    _, version = active_sla()
    snapshot = ComplianceSnapshot.objects.filter(month=month).first()
    if (
        snapshot is None
        or snapshot.sla_version_id != (version.pk if version else None)
        or not now - max_age <= snapshot.computed_at <= now
    ):
        try:
            with transaction.atomic():
                snapshot = do_refresh_compliance_snapshot(month, now=now)
        except IntegrityError:  # another reader stored the month at the same moment
            snapshot = ComplianceSnapshot.objects.get(month=month)
    return snapshot


def catch_up_snapshots(*, now: dt.datetime | None = None) -> int:
    """Recompute the stored figures of the months that still move (the worker and the
    derived-table registry's ``sla.compliance`` entry); the months stored."""
    now = now or timezone.now()
    return len([do_refresh_compliance_snapshot(m, now=now) for m in months_to_refresh(now)])


def months_to_refresh(now: dt.datetime) -> list[str]:
    """The months whose figures still move: the current one (in the SLA's time zone) and,
    during the first week of a month, the previous one (late decisions still land)."""
    doc, _ = active_sla()
    today = now.astimezone(ZoneInfo(doc.calendar.timezone)).date()
    months = [f"{today:%Y-%m}"]
    if today.day <= 7:
        months.append(f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}")
    return months
