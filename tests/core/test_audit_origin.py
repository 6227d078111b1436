"""Audit rows say who (user or token) and from which address; admins filter them in the admin."""

import json

import pytest

from smarketing.core.actions import do_create_token
from smarketing.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_api_changes_are_audited_with_token_and_address(client, make_user):
    admin = make_user("ada", role="admin")
    _, token = do_create_token(user=admin, name="planner", scopes=["read", "write"])
    response = client.put(
        "/api/planning/goals/2026-Q1",
        data=json.dumps({"revenue": 5000}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200, response.content
    row = AuditLog.objects.get(object_type="planning.Goal")
    assert row.user == admin
    assert row.actor == "token:planner from 10.1.2.3"
    assert row.changes["revenue"][1] == "5000.00"


def test_the_audit_log_page_is_for_admins_and_filterable(client, make_user):
    admin = make_user("ada", role="admin")
    client.force_login(make_user("sam", team="Sales"))
    assert client.get("/admin/core/auditlog/").status_code == 302  # to the admin login
    client.force_login(admin)
    page = client.get("/admin/core/auditlog/?action__exact=create")
    assert page.status_code == 200
    assert client.post("/admin/core/auditlog/add/").status_code == 403
