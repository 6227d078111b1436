"""The Ibis adapter shares Django's connection without breaking its transactions."""

import pytest
from django.db import transaction

from smarketing.core.ibis_db import table
from smarketing.crm.actions import do_create_contact
from smarketing.crm.models import Contact


@pytest.mark.django_db
def test_ibis_sees_uncommitted_rows_and_does_not_commit_them():
    do_create_contact(email="a@b.io", first_name="Ann")
    assert table(Contact).count().execute() == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        do_create_contact(email="c@d.io")
        assert table(Contact).count().execute() == 2
        raise RuntimeError("roll back")
    assert Contact.objects.count() == 1


@pytest.mark.django_db
def test_icontains_stays_case_insensitive_after_ibis():
    do_create_contact(email="x@y.io", first_name="Ann")
    table(Contact).count().execute()
    assert Contact.objects.filter(first_name__icontains="ANN").count() == 1
