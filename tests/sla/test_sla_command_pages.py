"""`smarketing sla check|activate|report`, the SLA pages and API, compliance vs a hand count."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from smarketing.analytics.sla import default_sla_text
from smarketing.crm.actions import do_create_contact
from smarketing.funnel.actions import (
    do_accept_lead,
    do_assign_lead,
    do_change_stage,
    do_log_attempt,
    do_reject_lead,
)
from smarketing.sla.actions import ensure_active_sla
from smarketing.sla.models import SlaVersion
from smarketing.sla.selectors import compliance

UTC = dt.UTC
GOOD = default_sla_text()


def write(tmp_path, text):
    path = tmp_path / "sla.yaml"
    path.write_text(text)
    return str(path)


def test_check_ok_prints_summary(tmp_path, capsys):
    call_command("sla", "check", write(tmp_path, GOOD))
    out = capsys.readouterr().out
    assert out.startswith("OK: Example smarketing SLA v1") and "4 attempts within 5" in out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  decision_within_hours: 16",
            "  decision_within_hours: 16\n  colour: red",
            "line 32, field 'sales.colour': unknown field",
        ),
        ('mon: "09:00-17:00"', 'mon: "09:00-25:00"', "line 13, field 'calendar.hours.mon': 25:00"),
        ('tue: "09:00-17:00"', 'tue: "17:00-09:00"', "field 'calendar.hours.tue'"),
        (
            "min_attempts: 4",
            "min_attempts: -4",
            "field 'sales.attempts.min_attempts': must be >= 0",
        ),
        ("mqls_per_month: 400", "mqls_per_month: -1", "field 'marketing.mqls_per_month'"),
        ("bad_fit: disqualify", "bad_fit: shred", "must be recycle or disqualify"),
    ],
)
@pytest.mark.django_db
def test_check_and_activate_reject_bad_documents(tmp_path, capsys, old, new, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    for action in ("check", "activate"):
        with pytest.raises(CommandError) as exc:
            call_command("sla", action, path)
        assert exc.value.returncode == 1
        assert message in capsys.readouterr().err
    assert not SlaVersion.objects.exists()  # an invalid SLA is never stored nor activated


@pytest.mark.django_db
def test_activate_stores_a_new_version(tmp_path, capsys):
    ensure_active_sla()
    call_command("sla", "activate", write(tmp_path, GOOD.replace("version: 1", "version: 2")))
    assert "Activated" in capsys.readouterr().out
    assert SlaVersion.objects.get(active=True).version == 2
    assert SlaVersion.objects.count() == 2


@pytest.fixture
def march(make_user):
    """Two leads of ann in March 2026 with a hand-computable history (Berlin calendar)."""
    ann = make_user("ann", team="Sales", timezone="Europe/Berlin")
    ensure_active_sla()
    mon_9 = dt.datetime(2026, 3, 9, 8, tzinfo=UTC)  # Monday 09:00 Berlin
    hour = dt.timedelta(hours=1)
    with time_machine.travel(dt.datetime(2026, 3, 31, 12, tzinfo=UTC), tick=False):
        a = do_create_contact(email="a@x.io")
        b = do_create_contact(email="b@x.io")
        for c in (a, b):
            do_change_stage(contact=c, to_stage="mql", at=mon_9, rule="test")
            do_assign_lead(contact=c, owner=ann, at=mon_9)
        for i in range(1, 5):  # A: first touch after 1 h, 4 attempts on day one
            do_log_attempt(contact=a, by=ann, channel="call", at=mon_9 + i * hour)
        do_accept_lead(contact=a, by=ann, at=mon_9 + 3 * hour)
        tue_13 = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)  # 12 business hours later
        do_log_attempt(contact=b, by=ann, channel="email", at=tue_13)
        do_reject_lead(contact=b, by=ann, reason_code="too_early", at=tue_13)
    return ann


@pytest.mark.django_db
def test_compliance_matches_hand_count(march, capsys):
    now = dt.datetime(2026, 3, 31, 12, tzinfo=UTC)
    data = compliance("2026-03", now=now)
    rep = next(r for r in data["sales"] if r["scope"] == "rep")
    assert rep["key"] == "ann" and rep["leads_received"] == 2
    assert rep["median_first_touch_hours"] == pytest.approx(6.5)  # hours 1 and 12
    assert rep["p90_first_touch_hours"] == pytest.approx(10.9)  # 1 + 0.9 x 11
    assert rep["attempts_per_lead"] == 2.5
    assert (rep["first_touch_met_pct"], rep["attempts_met_pct"], rep["decision_met_pct"]) == (
        50.0,
        50.0,
        100.0,
    )
    assert rep["breaches"] == {
        "first_touch": 1,
        "attempts": 1,
        "decision": 0,
        "rejection_reason": 0,
    }
    assert (rep["rejections"], rep["rejections_with_reason"]) == (1, 1)
    m = data["marketing"]
    assert (m["mqls_delivered"], m["mqls_committed"], m["mqls_met"]) == (2, 400, False)
    assert m["mql_to_sql_rate"] == 0.0
    with time_machine.travel(now, tick=False):
        call_command("sla", "report", "--month", "2026-03", "--json")
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(data, default=str))


@pytest.mark.django_db
def test_report_rejects_a_bad_month():
    with pytest.raises(CommandError, match="--month: month must look like 2026-03"):
        call_command("sla", "report", "--month", "March")


@pytest.mark.django_db
def test_sla_pages(client, march, make_user):
    boss = make_user("boss", team="Sales", role="manager")
    client.force_login(boss)
    page = client.get(reverse("sla:contract")).content.decode()
    assert "commits to sales" in page and "commits to marketing" in page and "in force" in page
    bad = GOOD.replace("min_attempts: 4", "min_attempts: -4")
    r = client.post(reverse("sla:edit"), {"text": bad, "activate": "1"})
    assert r.status_code == 200
    assert "line 30" in r.content.decode() and "sales.attempts.min_attempts" in r.content.decode()
    assert SlaVersion.objects.count() == 1
    five = {"text": GOOD.replace("version: 1", "version: 5"), "activate": "1"}
    # A manager proposes drafts; only an admin puts an SLA in force (core.permissions).
    assert client.post(reverse("sla:edit"), five).status_code == 403
    assert SlaVersion.objects.count() == 1
    client.force_login(make_user("root", role="admin"))
    r = client.post(reverse("sla:edit"), five)
    assert r.status_code == 302 and SlaVersion.objects.get(active=True).version == 5
    with time_machine.travel(dt.datetime(2026, 3, 31, 12, tzinfo=UTC), tick=False):
        html = client.get(reverse("sla:compliance") + "?month=2026-03").content.decode()
    assert "ann" in html and "6.5" in html and "MQLs delivered" in html
    assert client.get(reverse("sla:plotly")).status_code == 200
    api = client.get("/api/sla/compliance?month=2026-03")
    assert api.status_code == 200 and api.json()["month"] == "2026-03"
    assert client.get("/api/sla/compliance?month=nope").status_code == 422
    assert client.get("/api/sla/breaches").json()["count"] >= 2
    member = make_user("mo", team="Sales")
    client.force_login(member)
    assert client.get(reverse("sla:edit")).status_code == 403
