"""Enforcement: clocks start on assignment, the sweep records breaches once, notifies the
owner, escalates to the manager after the grace period and reassigns per the document."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from smarketing.crm.actions import do_create_contact
from smarketing.funnel.actions import do_assign_lead, do_change_stage, do_log_attempt
from smarketing.funnel.models import LeadAssignment
from smarketing.sla.actions import do_sweep, ensure_active_sla
from smarketing.sla.models import Breach, LeadClock, Notification
from smarketing.sla.tasks import sla_sweep

UTC = dt.UTC
MON_9_BERLIN = dt.datetime(2026, 3, 9, 8, tzinfo=UTC)


@pytest.fixture
def team(make_user):
    boss = make_user(
        "boss", team="Sales", role="manager", timezone="Europe/Berlin", email="boss@x.io"
    )
    ann = make_user("ann", team="Sales", timezone="Europe/Berlin", email="ann@x.io")
    bob = make_user("bob", team="Sales", timezone="Europe/Berlin", email="bob@x.io")
    boss.profile.team.manager = boss
    boss.profile.team.save()
    ensure_active_sla()
    return boss, ann, bob


def assigned_lead(owner, at=MON_9_BERLIN):
    with time_machine.travel(at, tick=False):
        contact = do_create_contact(email="lead@x.io", country="BR")
        do_change_stage(contact=contact, to_stage="mql", at=at, rule="test")
        do_assign_lead(contact=contact, owner=owner, at=at)
    return contact


@pytest.mark.django_db
def test_clock_starts_on_assignment_with_business_due_times(team):
    _, ann, _ = team
    contact = assigned_lead(ann)
    clock = LeadClock.objects.get(contact=contact)
    # Default priority: 8 business hours -> Monday 17:00 Berlin; decision 16 h -> Tuesday 17:00.
    assert clock.first_touch_due == dt.datetime(2026, 3, 9, 16, tzinfo=UTC)
    assert clock.decision_due == dt.datetime(2026, 3, 10, 16, tzinfo=UTC)
    # 5 business days from Monday: Friday at close (16:00 Berlin).
    assert clock.attempts_due == dt.datetime(2026, 3, 13, 15, tzinfo=UTC)
    assert (clock.status_first_touch, clock.settled) == (0, False)


@pytest.mark.django_db
def test_attempt_in_time_meets_first_touch(team):
    _, ann, _ = team
    contact = assigned_lead(ann)
    with time_machine.travel(MON_9_BERLIN + dt.timedelta(hours=2), tick=False):
        do_log_attempt(contact=contact, by=ann, channel="call", outcome="no_answer")
        clock = LeadClock.objects.get(contact=contact)
        assert clock.status_first_touch == 1 and clock.attempts == 1
        do_sweep()
    assert not Breach.objects.exists()


@pytest.mark.django_db
def test_breach_recorded_once_notified_escalated_then_reassigned(team):
    boss, ann, bob = team
    contact = assigned_lead(ann)
    with time_machine.travel(dt.datetime(2026, 3, 9, 15, tzinfo=UTC), tick=False):
        assert do_sweep().breaches == 0
    tue_0930 = dt.datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
    with time_machine.travel(tue_0930, tick=False):
        result = do_sweep()
        assert (result.breaches, result.notified, result.escalated) == (1, 1, 0)
        again = do_sweep()  # idempotent: same instant, nothing new
        assert (again.breaches, again.notified) == (0, 0)
        sla_sweep()  # the periodic huey task runs the same sweep
    breach = Breach.objects.get()
    assert (breach.kind, breach.overdue_hours) == ("first_touch", 0.5)
    assert breach.notified_at == tue_0930
    assert [n.kind for n in Notification.objects.filter(user=ann)] == ["breach"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@x.io"]
    # Grace period (4 business hours after due) over at 13:00 Berlin -> escalate to manager.
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, 30, tzinfo=UTC), tick=False):
        assert do_sweep().escalated == 1
        assert do_sweep().escalated == 0
    breach.refresh_from_db()
    assert breach.escalated_to == boss
    assert Notification.objects.filter(user=boss, kind="escalation").count() == 1
    assert mail.outbox[-1].to == ["boss@x.io"]
    # 16 business hours overdue (Wednesday 17:00 Berlin) -> reassigned per the document.
    with time_machine.travel(dt.datetime(2026, 3, 11, 16, tzinfo=UTC), tick=False):
        assert do_sweep().reassigned == 1
        assert do_sweep().reassigned == 0
    contact.refresh_from_db()
    assert contact.owner == bob
    current = LeadAssignment.objects.get(contact=contact, is_current=True)
    assert current.rule == "sla_reassign" and "first touch breached by ann" in current.detail
    old, new = LeadClock.objects.filter(contact=contact).order_by("id")
    assert old.superseded and old.settled and not new.superseded and new.owner == bob
    assert Notification.objects.filter(user=ann, kind="reassigned").count() == 1


@pytest.mark.django_db
def test_sweep_is_incremental(team, django_assert_max_num_queries):
    _, ann, _ = team
    contact = assigned_lead(ann)
    with time_machine.travel(MON_9_BERLIN + dt.timedelta(hours=1), tick=False):
        do_log_attempt(contact=contact, by=ann, channel="call")
    clock = LeadClock.objects.get()
    # Settle it by hand: the sweep must not even read it.
    LeadClock.objects.filter(pk=clock.pk).update(settled=True, status_decision=0)
    with time_machine.travel(dt.datetime(2026, 3, 20, tzinfo=UTC), tick=False):
        result = do_sweep()
    assert result.evaluated == 0 and not Breach.objects.exists()


@pytest.mark.django_db
def test_out_of_office_pauses_the_clock(team):
    _, ann, _ = team
    ann.profile.out_of_office_from = MON_9_BERLIN
    ann.profile.out_of_office_until = MON_9_BERLIN + dt.timedelta(days=1)
    ann.profile.save()
    contact = assigned_lead(ann)
    clock = LeadClock.objects.get(contact=contact)
    # Monday is paused, so 8 business hours run out on Tuesday 17:00 Berlin.
    assert clock.first_touch_due == dt.datetime(2026, 3, 10, 16, tzinfo=UTC)
