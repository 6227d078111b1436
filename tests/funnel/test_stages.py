"""Lifecycle transitions: forward freely, backward only explicitly, every move logged."""

import pytest
from django.core.exceptions import ValidationError

from smarketing.crm.actions import do_create_contact
from smarketing.funnel.actions import do_change_stage, do_log_initial_stage, stage_changed
from smarketing.funnel.models import StageChange
from smarketing.funnel.stages import TransitionError, check_transition


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        ("lead", "mql"),
        ("lead", "customer"),
        ("mql", "sal"),
        ("sql", "recycled"),
        ("mql", "disqualified"),
        ("recycled", "lead"),
        ("recycled", "mql"),
        ("disqualified", "lead"),
        ("customer", "evangelist"),
        (None, "lead"),
    ],
)
def test_allowed_transitions(frm, to):
    check_transition(frm, to)


@pytest.mark.parametrize(
    ("frm", "to", "message"),
    [
        ("sql", "lead", "cannot move backwards"),
        ("customer", "recycled", "cannot be recycled"),
        ("recycled", "customer", "re-enters the funnel"),
        ("lead", "lead", "already in stage"),
        ("lead", "hot", "unknown lifecycle stage"),
    ],
)
def test_forbidden_transitions(frm, to, message):
    with pytest.raises(TransitionError, match=message):
        check_transition(frm, to)


@pytest.mark.django_db(transaction=True)
def test_change_stage_logs_and_signals(make_user):
    rep = make_user("sam", team="Sales")
    contact = do_create_contact(email="a@b.io")
    do_log_initial_stage(contact=contact)
    seen = []
    stage_changed.connect(
        lambda sender, contact, change, **kw: seen.append(change.to_stage),
        weak=False,
        dispatch_uid="t",
    )
    try:
        do_change_stage(contact=contact, to_stage="mql", rule="score threshold")
        do_change_stage(contact=contact, to_stage="sal", by=rep)
    finally:
        stage_changed.disconnect(dispatch_uid="t")
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "sal"
    log = list(
        StageChange.objects.filter(contact=contact).values_list("from_stage", "to_stage", "rule")
    )
    assert log == [("", "lead", "created"), ("lead", "mql", "score threshold"), ("mql", "sal", "")]
    assert seen == ["mql", "sal"]


@pytest.mark.django_db
def test_invalid_transition_changes_nothing():
    contact = do_create_contact(email="a@b.io", lifecycle_stage="sql")
    with pytest.raises(ValidationError, match="cannot move backwards from sql to lead"):
        do_change_stage(contact=contact, to_stage="lead")
    with pytest.raises(ValidationError, match="needs a reason"):
        do_change_stage(contact=contact, to_stage="recycled")
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "sql" and StageChange.objects.count() == 0


@pytest.mark.django_db
def test_stage_log_is_append_only():
    contact = do_create_contact(email="a@b.io")
    change = do_change_stage(contact=contact, to_stage="mql")
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        change.delete()
    with pytest.raises(PermissionError):
        StageChange.objects.all().delete()
