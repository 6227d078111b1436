"""The demo company is realistic and internally consistent."""

import subprocess
import sys

import pytest
from django.db.models import Count, Max

from smarketing.crm.models import Contact, Deal, Touchpoint
from smarketing.funnel.models import LeadReview, StageChange
from smarketing.funnel.stages import check_transition

pytestmark = pytest.mark.django_db


def test_small_demo_has_the_promised_shape(demo_company):
    assert 1_900 <= Contact.objects.count() <= 2_100
    assert 15_000 <= Touchpoint.objects.count() <= 30_000
    assert Touchpoint.objects.filter(team="sales").exists()
    assert (
        Deal.objects.filter(is_won=True).exists()
        and Deal.objects.filter(is_closed=True, is_won=False).exclude(loss_reason="").exists()
    )
    assert LeadReview.objects.filter(decision="reject").exclude(reason_code="").exists()
    assert set(demo_company.counts) >= {"contacts", "touchpoints", "deals", "stage changes"}


def test_every_contact_history_is_a_valid_path_ending_in_its_stage(demo_company):
    last = {}
    for contact_id, frm, to in StageChange.objects.order_by(
        "contact_id", "changed_at", "id"
    ).values_list("contact_id", "from_stage", "to_stage"):
        check_transition(last.get(contact_id), to)
        assert frm == last.get(contact_id, "")
        last[contact_id] = to
    stages = dict(Contact.objects.values_list("id", "lifecycle_stage"))
    assert last == stages


def test_funnel_rates_are_believable(demo_company):
    total = Contact.objects.count()
    reached = dict(
        StageChange.objects.values_list("to_stage").annotate(n=Count("contact", distinct=True))
    )
    assert 0.08 < reached.get("mql", 0) / total < 0.35
    assert 0.002 < reached.get("customer", 0) / total < 0.05


def test_same_seed_same_company(db):
    from smarketing.demo.generator import generate

    generate(size="small", seed=3)
    first = list(Contact.objects.order_by("id").values_list("email", "lifecycle_stage")[:200])
    amount = Deal.objects.aggregate(m=Max("amount"))["m"]
    assert first and amount


@pytest.mark.slow
def test_cli_demo_no_serve(tmp_path):
    env = {"SMARKETING_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    db_url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "smarketing.cli",
            "demo",
            "--no-serve",
            "--size",
            "small",
            "--seed",
            "1",
            "--database-url",
            db_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Generated the 'small' demo company" in out.stdout and "maria" in out.stdout
    again = subprocess.run(
        [sys.executable, "-m", "smarketing.cli", "demo", "--no-serve", "--database-url", db_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert again.returncode == 0 and "already in this database" in again.stdout
