"""The permission matrix, tested as role x sensitive action x route (web, API, import).

Each case performs one sensitive action through one route as one role, then checks both the
answer (403 when denied) and the database (nothing changed when denied, changed when
allowed). The expected matrix is the one in docs/security.md and core/permissions.py.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group

from smarketing.analytics.scoring.loader import default_definition_text
from smarketing.analytics.sla.document import default_sla_text
from smarketing.core.actions import do_create_token
from smarketing.core.permissions import VIEWER_GROUP, can
from smarketing.crm.models import Contact, Deal
from smarketing.planning.models import Goal
from smarketing.reporting.actions import do_create_share_link
from smarketing.reporting.models import ShareLink
from smarketing.scoring.actions import do_save_definition
from smarketing.scoring.models import ScoringDefinition
from smarketing.sla.actions import do_save_sla_version
from smarketing.sla.models import SlaVersion

pytestmark = pytest.mark.django_db

ROLES = ["admin", "sales_manager", "sales_member", "marketing_manager", "viewer"]


@pytest.fixture
def world(make_user):
    """Two sales teams and marketing, one user per role, leads, a deal and drafts to activate."""
    users = {
        "admin": make_user("ada", role="admin"),
        "sales_manager": make_user("mike", team="Sales", role="manager"),
        "sales_member": make_user("sam", team="Sales", role="member"),
        "marketing_manager": make_user("maria", team="Marketing", kind="marketing", role="manager"),
        "viewer": make_user("vic", team="Sales", role="member"),
    }
    for key in ("sales_manager", "marketing_manager"):
        team = users[key].profile.team
        team.manager = users[key]
        team.save()
    users["viewer"].groups.add(Group.objects.get_or_create(name=VIEWER_GROUP)[0])
    sara = make_user("sara", team="Sales", role="member")
    eve = make_user("eve", team="Sales East", role="member")
    text = default_definition_text()
    active = do_save_definition(text=text, activate=True)
    draft = do_save_definition(text=text.replace("version: 1", "version: 2", 1), activate=False)
    sla_text = default_sla_text()
    do_save_sla_version(text=sla_text, activate=True)
    sla_draft = do_save_sla_version(text=sla_text.replace("version: 1", "version: 2", 1))
    deal = Deal.objects.create(name="Acme", amount=4000, owner=users["sales_member"])
    link, _ = do_create_share_link(dashboard="marketing", by=sara)
    tokens = {
        key: do_create_token(user=user, name="t", scopes=["read", "write"])[1]
        for key, user in users.items()
    }
    return SimpleNamespace(
        users=users,
        tokens=tokens,
        sara=sara,
        eve=eve,
        active=active,
        draft=draft,
        sla_draft=sla_draft,
        deal=deal,
        link=link,
        team_lead=Contact.objects.create(email="own@example.com", owner=users["sales_member"]),
        other_lead=Contact.objects.create(email="other@example.com", owner=eve),
    )


def api(client, w, role, method, url, body=None):
    return client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {w.tokens[role]}",
    )


def web(client, w, role, url, data=None):
    client.force_login(w.users[role])
    return client.post(url, data or {})


def _import_amount(client, w, role, tmp_path):
    """A HubSpot deals CSV changing the deal's amount, imported as ``role``."""
    from smarketing.ingest.csvimport.actions import do_create_job, do_run_import
    from smarketing.ingest.csvimport.models import ExternalRef, ImportRowError

    ExternalRef.objects.create(system="hubspot", object_type="deal", external_id="9002",
                               object_id=w.deal.pk)  # fmt: skip
    path = tmp_path / "deals.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Amount,Create Date,Pipeline\n"
        "9002,Acme,Contract Sent,9999,2025-03-01 09:00,Sales Pipeline\n"
    )
    user = w.users[role]
    if not can(user, "import.run"):
        return SimpleNamespace(status_code=403)  # the upload page refuses (tested in web)
    job = do_create_job(path=path, user=user)
    do_run_import(job=job)
    refused = ImportRowError.objects.filter(job=job, column="amount").first()
    if refused is not None:  # the row is refused, naming why; the rest of the file goes on
        assert "marketing cannot change deal amounts" in refused.reason
        return SimpleNamespace(status_code=403)
    return SimpleNamespace(status_code=200)


#: case → (allowed roles, perform(client, world, role, tmp_path), changed(world))
CASES = {
    "scoring.activate/api": (
        {"admin"},
        lambda c, w, r, _: api(c, w, r, "POST", f"/api/scoring/definitions/{w.draft.pk}/activate"),
        lambda w: ScoringDefinition.objects.get(pk=w.draft.pk).active,
    ),
    "scoring.activate/web": (
        {"admin"},
        lambda c, w, r, _: web(c, w, r, f"/scoring/definitions/{w.draft.pk}/activate"),
        lambda w: ScoringDefinition.objects.get(pk=w.draft.pk).active,
    ),
    "scoring.create-active/api": (
        {"admin"},
        lambda c, w, r, _: api(
            c,
            w,
            r,
            "POST",
            "/api/scoring/definitions",
            {"text": w.draft.text.replace("version: 2", "version: 3", 1), "activate": True},
        ),  # fmt: skip
        lambda w: ScoringDefinition.objects.filter(active=True, version=3).exists(),
    ),
    "scoring.rescore/api": (
        {"admin"},
        lambda c, w, r, _: api(c, w, r, "POST", "/api/scoring/rescore"),
        None,
    ),
    "planning.set_goal/api": (
        {"admin"},
        lambda c, w, r, _: api(c, w, r, "PUT", "/api/planning/goals/2026-Q1", {"revenue": 5000}),
        lambda w: Goal.objects.filter(period="2026-Q1").exists(),
    ),
    "planning.set_goal/web": (
        {"admin"},
        lambda c, w, r, _: web(c, w, r, "/planning/goal/", {"period": "2026-Q1", "revenue": 5000}),
        lambda w: Goal.objects.filter(period="2026-Q1").exists(),
    ),
    "sla.activate/web": (
        {"admin"},
        lambda c, w, r, _: web(c, w, r, f"/sla/contract/{w.sla_draft.pk}/activate"),
        lambda w: SlaVersion.objects.get(pk=w.sla_draft.pk).active,
    ),
    "lead.assign-in-team/api": (
        {"admin", "sales_manager"},
        lambda c, w, r, _: api(
            c, w, r, "POST", f"/api/leads/{w.team_lead.pk}/assign", {"owner_id": w.sara.pk}
        ),
        lambda w: Contact.objects.get(pk=w.team_lead.pk).owner_id == w.sara.pk,
    ),
    "lead.assign-in-team/web": (
        {"admin", "sales_manager"},
        lambda c, w, r, _: web(
            c, w, r, f"/funnel/inbox/{w.team_lead.pk}/assign", {"owner": w.sara.pk}
        ),  # fmt: skip
        lambda w: Contact.objects.get(pk=w.team_lead.pk).owner_id == w.sara.pk,
    ),
    "lead.assign-other-team/api": (
        {"admin"},
        lambda c, w, r, _: api(
            c, w, r, "POST", f"/api/leads/{w.other_lead.pk}/assign", {"owner_id": w.sara.pk}
        ),
        lambda w: Contact.objects.get(pk=w.other_lead.pk).owner_id == w.sara.pk,
    ),
    "deal.change_amount/import": (
        {"admin", "sales_manager"},
        _import_amount,
        lambda w: Deal.objects.get(pk=w.deal.pk).amount == 9999,
    ),
    "share.revoke-others/web": (
        {"admin"},
        lambda c, w, r, _: web(c, w, r, f"/reporting/share/{w.link.pk}/revoke/"),
        lambda w: ShareLink.objects.get(pk=w.link.pk).revoked_at is not None,
    ),
    "share.create/web": (
        {"admin", "sales_manager", "sales_member", "marketing_manager"},
        lambda c, w, r, _: web(c, w, r, "/reporting/marketing/share/", {"days": 7}),
        lambda w: ShareLink.objects.count() == 2,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", list(CASES))
def test_permission_matrix(client, world, tmp_path, case, role):
    allowed, perform, changed = CASES[case]
    response = perform(client, world, role, tmp_path)
    if role in allowed:
        assert response.status_code in (200, 201, 302), (case, role, response.status_code)
        if changed is not None:
            assert changed(world), (case, role)
    else:
        assert response.status_code == 403, (case, role, response.status_code)
        if changed is not None:
            assert not changed(world), (case, role)


def test_share_link_lifetime_is_capped_by_the_admin_setting(client, world, settings):
    settings.SHARE_LINK_MAX_DAYS = 14
    client.force_login(world.users["sales_member"])
    assert client.post("/reporting/marketing/share/", {"days": 30}).status_code == 400
    assert client.post("/reporting/marketing/share/", {"days": 14}).status_code == 302


def test_the_dashboard_lists_only_ones_own_links(client, world):
    client.force_login(world.users["sales_member"])
    page = client.get("/reporting/marketing/").content.decode()
    assert f"/reporting/share/{world.link.pk}/revoke/" not in page
    client.force_login(world.users["admin"])
    page = client.get("/reporting/marketing/").content.decode()
    assert f"/reporting/share/{world.link.pk}/revoke/" in page
