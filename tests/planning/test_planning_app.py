"""The `plan` command, measured rates from a hand-built database, goals and the planning page."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from smarketing.crm.models import Contact, Deal
from smarketing.funnel.models import StageChange
from smarketing.planning.actions import do_save_goal
from smarketing.planning.models import Goal

pytestmark = pytest.mark.django_db


def _plan(*args) -> dict:
    out = io.StringIO()
    call_command("plan", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_classic_example_exactly():
    plan = _plan(
        "--revenue",
        "10000",
        "--deal-size",
        "1000",
        "--lead-to-customer",
        "0.02",
        "--period",
        "2026-Q1",
    )
    assert plan["customers"] == 10
    assert plan["leads"] == 500
    assert plan["revenue"] == 10000.0
    assert plan["deal_size"] == {"value": 1000.0, "source": "given"}
    assert plan["rates"]["lead_to_customer"] == {"value": 0.02, "source": "given"}
    for key in ("revenue", "deal_size", "customers", "opportunities", "sqls", "mqls", "leads"):
        assert key in plan


def _tiny_db(now):
    """10 leads in the last year; 5 MQL, 4 SQL, 2 opportunities, 1 customer (deal 2,500)."""
    base = now - dt.timedelta(days=200)
    for i in range(10):
        c = Contact.objects.create(email=f"p{i}@x.test", created_at=base)
        path = ["lead"] + (["mql"] if i < 5 else []) + (["sql"] if i < 4 else [])
        path += (["opportunity"] if i < 2 else []) + (["customer"] if i < 1 else [])
        for k, stage in enumerate(path):
            StageChange.objects.create(
                contact=c, to_stage=stage, changed_at=base + dt.timedelta(days=10 * k)
            )
        if i == 0:
            Deal.objects.create(
                name="d",
                primary_contact=c,
                amount=Decimal("2500"),
                is_closed=True,
                is_won=True,
                stage="closed_won",
                closed_at=base + dt.timedelta(days=40),
            )


def test_measured_rates_plan():
    _tiny_db(timezone.now())
    plan = _plan("--revenue", "5000")
    assert plan["deal_size"] == {"value": 2500.0, "source": "measured"}
    assert plan["customers"] == 2
    rates = {k: v["value"] for k, v in plan["rates"].items()}
    assert rates == pytest.approx(
        {
            "lead_to_mql": 0.5,
            "mql_to_sql": 0.8,
            "sql_to_opportunity": 0.5,
            "opportunity_to_customer": 0.5,
        }
    )
    assert all(v["source"] == "measured" for v in plan["rates"].values())
    # 2 customers / 0.5 = 4 opps / 0.5 = 8 SQLs / 0.8 = 10 MQLs / 0.5 = 20 leads
    assert (plan["opportunities"], plan["sqls"], plan["mqls"], plan["leads"]) == (4, 8, 10, 20)
    assert plan["durations"]["lead_to_mql"]["value"] == 10.0


def test_overrides_beat_measured_and_groups():
    _tiny_db(timezone.now())
    plan = _plan("--revenue", "5000", "--rate", "mql_to_sql=0.4", "--by", "channel")
    assert plan["rates"]["mql_to_sql"] == {"value": 0.4, "source": "given"}
    assert plan["rates"]["lead_to_mql"]["source"] == "measured"
    assert "(none)" in plan["rates_by_channel"]


def test_bad_input_is_a_clear_error():
    with pytest.raises(CommandError, match="revenue must be > 0"):
        call_command("plan", "--revenue", "0", "--deal-size", "1", "--lead-to-customer", "0.1")
    with pytest.raises(CommandError, match="--rate"):
        call_command("plan", "--revenue", "10", "--rate", "nope=1")
    with pytest.raises(CommandError, match="cannot reach leads|deal_size"):
        call_command("plan", "--revenue", "10")  # empty DB: nothing measured


def test_save_goal_idempotent_and_validated():
    g1 = do_save_goal(period="2026-q1", revenue="10000")
    g2 = do_save_goal(period="2026-Q1", revenue="12000", rates={"mql_to_sql": "0.4"})
    assert g1.pk == g2.pk and Goal.objects.count() == 1
    assert g2.period == "2026-Q1" and g2.revenue == Decimal("12000.00")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="revenue"):
        do_save_goal(period="2026-Q2", revenue="-1")
    with pytest.raises(ValidationError, match="period"):
        do_save_goal(period="Q7", revenue="1")
    with pytest.raises(ValidationError, match="unknown rate"):
        do_save_goal(period="2026-Q2", revenue="1", rates={"x": 0.1})


def test_planning_page_goal_and_pacing(client, make_user):
    now = timezone.now()
    _tiny_db(now)
    client.force_login(make_user("maria", team="Marketing", kind="marketing"))
    q = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    goal = {"period": q, "revenue": "5000", "lead_to_customer": "0.1"}
    # Only admins set the shared goal (core.permissions); everyone reads it.
    assert client.post("/planning/goal/", goal).status_code == 403
    client.force_login(make_user("ada", role="admin"))
    r = client.post("/planning/goal/", goal)
    assert r.status_code == 302
    page = client.get(f"/planning/plan/?period={q}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Marketing&#x27;s part" in html or "Marketing's part" in html
    assert "forecast" in html and "80%" in html
    assert client.post("/planning/goal/", {"period": q, "revenue": "x"}).status_code == 400
    assert client.get("/planning/plan/?period=nope").status_code == 400


def test_api_plan_and_goals(client, api_token):
    user, secret = api_token
    h = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    goal = {"revenue": "5000", "deal_size": "1000", "lead_to_customer": 0.1}
    put = client.put("/api/planning/goals/2026-q2", goal, content_type="application/json", **h)
    assert put.status_code == 403  # a manager: only admins set the shared goal
    user.profile.role = "admin"
    user.profile.save()
    r = client.get("/api/planning/plan?revenue=10000&deal_size=1000&lead_to_customer=0.02", **h)
    assert r.status_code == 200 and (r.json()["customers"], r.json()["leads"]) == (10, 500)
    assert client.get("/api/planning/plan?revenue=-1&deal_size=1", **h).status_code == 422
    r = client.put(
        "/api/planning/goals/2026-q2",
        {"revenue": "5000", "deal_size": "1000", "lead_to_customer": 0.1},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 200 and r.json()["period"] == "2026-Q2"
    bad = client.put(
        "/api/planning/goals/2026-Q2", {"revenue": "-5"}, content_type="application/json", **h
    )
    assert bad.status_code == 422 and "revenue" in bad.content.decode()
    got = client.get("/api/planning/goals/2026-Q2", **h).json()
    assert got["plan"]["leads"] == 50 and "leads" in got["pacing"]
