"""Derived handoff / SLA state of the demo company: assignments, clocks, breaches, report."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from smarketing.crm.models import Contact
from smarketing.funnel.models import LeadAssignment, StageChange
from smarketing.sla.actions import do_sweep
from smarketing.sla.demo import derive_handoff_state
from smarketing.sla.models import Breach, LeadClock, SlaVersion
from smarketing.sla.selectors import compliance


@pytest.mark.django_db
def test_demo_state_is_derived_in_bulk_and_idempotent(demo_company, capsys, client):
    # The demo generator derives the state through the demo_generated signal.
    counts = demo_company.counts
    mqls = StageChange.objects.filter(to_stage="mql").values("contact_id").distinct().count()
    assert counts["assignments"] == mqls == LeadAssignment.objects.count()
    assert counts["clocks"] == LeadClock.objects.count() > 50
    assert counts["breaches"] == Breach.objects.count() > 0
    assert SlaVersion.objects.filter(active=True).count() == 1
    owners = dict(Contact.objects.filter(owner__isnull=False).values_list("pk", "owner_id"))
    for a in LeadAssignment.objects.exclude(owner=None)[:200]:
        assert owners[a.contact_id] == a.owner_id
    assert set(LeadAssignment.objects.values_list("rule", flat=True)) <= {
        "account_owner",
        "territory",
        "round_robin",
        "queue",
    }
    assert LeadAssignment.objects.filter(priority="hand_raiser").exists()
    assert derive_handoff_state()["assignments"] == 0  # second run: nothing new
    # The sweep agrees with the derived state: no clock newly breaches at the same instant.
    do_sweep()
    month = LeadClock.objects.latest("assigned_at").assigned_at.strftime("%Y-%m")
    data = compliance(month)
    assert data["sales"][0]["scope"] == "all" and data["sales"][0]["leads_received"] > 0
    call_command("sla", "report", "--month", month)
    out = capsys.readouterr().out
    assert "SLA compliance" in out and "marketing:" in out
    # The demo's pages: a rep's inbox with clocks, the manager's queue view, the SLA pages.
    assert client.login(username="sam", password="smarketing-demo")
    inbox = client.get(reverse("funnel:inbox"))
    assert inbox.status_code == 200
    assert client.login(username="mike", password="smarketing-demo")
    assert client.get(reverse("funnel:inbox") + "?rep=queue").status_code == 200
    assert client.get(reverse("sla:contract")).status_code == 200
    assert client.get(reverse("sla:compliance") + f"?month={month}").status_code == 200
