import pytest

from smarketing.core.audit import acting_as
from smarketing.core.models import AuditLog
from smarketing.crm.actions import do_create_contact, do_update_contact


@pytest.mark.django_db
def test_create_and_update_are_audited_with_the_actor(make_user):
    user = make_user("maria", team="Marketing", kind="marketing")
    with acting_as(user):
        contact = do_create_contact(email="a@b.io", first_name="Ann")
        do_update_contact(contact=contact, title="CMO")
    rows = list(
        AuditLog.objects.filter(object_type="crm.Contact", object_id=str(contact.pk)).order_by("id")
    )
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[0].user == user and rows[0].actor == "maria"
    assert rows[1].changes == {"title": ["", "CMO"]}


@pytest.mark.django_db
def test_audit_log_is_append_only():
    contact = do_create_contact(email="x@y.io")
    row = AuditLog.objects.filter(object_id=str(contact.pk)).first()
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.update(actor="x")
