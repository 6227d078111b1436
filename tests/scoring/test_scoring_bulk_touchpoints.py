"""Touchpoints written in bulk (event ingest, import) still get their contacts rescored."""

import datetime as dt

import pytest

from smarketing.crm.actions import do_create_contact
from smarketing.crm.models import Touchpoint
from smarketing.crm.signals import announce_bulk_touchpoints
from smarketing.scoring.actions import default_definition_text, do_save_definition
from smarketing.scoring.models import LeadScore

pytestmark = pytest.mark.django_db


def test_bulk_touchpoints_rescore_their_contacts(django_capture_on_commit_callbacks):
    do_save_definition(text=default_definition_text(), activate=True, rescore=False)
    contact = do_create_contact(email="ann@acme.io")
    at = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        Touchpoint.objects.bulk_create(
            [
                Touchpoint(contact=contact, kind="webinar", occurred_at=at, external_id=f"w{i}")
                for i in range(3)
            ]
        )
        announce_bulk_touchpoints([contact.pk, None])
    score = LeadScore.objects.get(contact=contact)
    assert score.engagement > 0
