"""Lead clocks and compliance figures against hand-computed cases (default SLA, Berlin)."""

from datetime import UTC, datetime

import pytest

from smarketing.analytics.sla.clocks import clock_state
from smarketing.analytics.sla.compliance import (
    ComplianceError,
    LeadRecord,
    MqlRecord,
    OpportunityRecord,
    compute_compliance,
    marketing_compliance,
)
from smarketing.analytics.sla.document import default_sla_text, load_sla

SLA = load_sla(default_sla_text())  # Berlin, Mon-Thu 09-17, Fri 09-16; 1h/4h/8h; 4 in 5 days; 16h
CAL = SLA.calendar_for()


def z(*args):
    return datetime(*args, tzinfo=UTC)


def state(**kw):
    base = {
        "priority": None,
        "first_touch_at": None,
        "attempts": [],
        "decided_at": None,
        "sla": SLA,
        "calendar": CAL,
    }
    return clock_state(**{**base, **kw})


# Assigned Friday 2026-01-09 15:00 Berlin (14:00Z).
ASSIGNED = z(2026, 1, 9, 14)


def test_due_times():
    s = state(assigned_at=ASSIGNED, now=ASSIGNED)
    assert s.first_touch.due == z(2026, 1, 12, 15)  # Fri 1h + Mon 7h -> Mon 16:00 Berlin
    assert s.decision.due == z(2026, 1, 13, 15)  # Fri 1 + Mon 8 + Tue 7 -> Tue 16:00
    assert s.attempts.due == z(2026, 1, 15, 16)  # Fri, Mon, Tue, Wed, Thu -> Thu 17:00
    assert s.clocks[0].status == "pending" and not s.settled


def test_statuses_on_tuesday_morning():
    s = state(
        assigned_at=ASSIGNED,
        first_touch_at=z(2026, 1, 12, 16),  # Monday 17:00 Berlin: one hour late
        attempts=[z(2026, 1, 12, 16), z(2026, 1, 13, 8, 30)],
        now=z(2026, 1, 13, 9),  # Tuesday 10:00 Berlin
    )
    assert (s.first_touch.status, s.first_touch.overdue_hours) == ("breached", 1.0)
    assert (s.decision.status, s.decision.remaining_hours) == ("pending", 6.0)
    assert (s.attempts.status, s.attempts.remaining_hours) == ("pending", 23.0)
    assert s.breached == ("first_touch",)
    assert s.to_dict()["first_touch"]["due"] == "2026-01-12T15:00:00+00:00"


def test_statuses_on_friday_after():
    s = state(
        assigned_at=ASSIGNED, attempts=[z(2026, 1, 12, 9)] * 2, now=z(2026, 1, 16, 9)
    )  # Friday 10:00 Berlin
    assert (s.decision.status, s.decision.overdue_hours) == ("breached", 18.0)
    assert (s.attempts.status, s.attempts.overdue_hours) == ("breached", 1.0)
    assert s.first_touch.overdue_hours == 26.0  # Mon 16-17, Tue-Thu 24, Fri 9-10
    met = state(
        assigned_at=ASSIGNED,
        attempts=[z(2026, 1, 12, 9)] * 4,
        decided_at=z(2026, 1, 13, 15),
        first_touch_at=z(2026, 1, 9, 14, 5),
        priority="hand_raiser",
        now=z(2026, 1, 16, 9),
    )
    assert [c.status for c in met.clocks] == ["met", "met", "met"] and met.settled


def test_events_after_now_are_ignored():
    s = state(assigned_at=ASSIGNED, first_touch_at=z(2026, 1, 12, 9), now=z(2026, 1, 12, 8))
    assert s.first_touch.status == "pending" and s.first_touch.done_at is None


def test_out_of_office_pauses_the_clock():
    monday_off = [(z(2026, 1, 11, 23), z(2026, 1, 12, 23))]
    s = state(assigned_at=ASSIGNED, now=ASSIGNED, pauses=monday_off)
    assert s.first_touch.due == z(2026, 1, 13, 15)  # Fri 1h + Tue 7h
    assert s.attempts.due == z(2026, 1, 16, 15)  # Fri, Tue, Wed, Thu, Fri 16:00


def lead(i, rep, assigned, **kw):
    return LeadRecord(lead_id=i, rep=rep, team="emea", assigned_at=assigned, **kw)


LEADS = [
    # Mon 09:00 Berlin, hand-raiser: touched after 0.5h, 4 attempts, accepted at 14:00.
    lead(
        1,
        "ann",
        z(2026, 1, 5, 8),
        priority="hand_raiser",
        first_touch_at=z(2026, 1, 5, 8, 30),
        attempts=(z(2026, 1, 5, 9), z(2026, 1, 5, 10), z(2026, 1, 5, 11), z(2026, 1, 5, 12)),
        decided_at=z(2026, 1, 5, 13),
        decision="accepted",
    ),
    # Mon 16:00: touched Tue 11:00 (3h), 2 attempts, rejected without reason Tue 12:00 (4h).
    lead(
        2,
        "ann",
        z(2026, 1, 5, 15),
        first_touch_at=z(2026, 1, 6, 10),
        attempts=(z(2026, 1, 6, 10), z(2026, 1, 6, 11)),
        decided_at=z(2026, 1, 6, 11),
        decision="rejected",
    ),
    # Wed 09:00: touched Thu 13:00 (12h, late by 4), no attempts, rejected Fri 10:00 (17h).
    lead(
        3,
        "ann",
        z(2026, 1, 7, 8),
        first_touch_at=z(2026, 1, 8, 12),
        decided_at=z(2026, 1, 9, 9),
        decision="rejected",
        rejection_reason="no_budget",
    ),
    # Mon 2026-01-12 09:00, nothing done.
    lead(4, "bob", z(2026, 1, 12, 8)),
    # February: touched after 1h.
    lead(5, "ann", z(2026, 2, 2, 8), first_touch_at=z(2026, 2, 2, 9)),
]


def test_compliance_per_rep_team_month():
    report = compute_compliance(LEADS, sla=SLA, now=z(2026, 3, 1))
    ann = report.get("2026-01", "rep", "ann")
    assert ann.leads_received == 3 and ann.leads_touched == 3
    assert ann.median_first_touch_hours == 3.0
    assert ann.p90_first_touch_hours == pytest.approx(10.2)  # 3 + 0.8 * (12 - 3)
    assert ann.attempts_per_lead == 2.0
    assert ann.first_touch_met_pct == pytest.approx(200 / 3)
    assert ann.attempts_met_pct == pytest.approx(100 / 3)
    assert ann.decision_met_pct == pytest.approx(200 / 3)
    assert (ann.rejections, ann.rejections_with_reason, ann.pending) == (2, 1, 0)
    assert ann.breaches == {"first_touch": 1, "attempts": 2, "decision": 1, "rejection_reason": 1}

    everyone = report.get("2026-01")
    assert everyone.leads_received == 4 and everyone.leads_touched == 3
    assert everyone.attempts_per_lead == 1.5
    assert (everyone.first_touch_met_pct, everyone.attempts_met_pct) == (50.0, 25.0)
    assert everyone.breaches == {
        "first_touch": 2,
        "attempts": 3,
        "decision": 2,
        "rejection_reason": 1,
    }
    assert report.get("2026-01", "team", "emea").to_dict() == {
        **everyone.to_dict(),
        "scope": "team",
        "key": "emea",
    }
    bob = report.get("2026-01", "rep", "bob")
    assert bob.median_first_touch_hours is None and bob.first_touch_met_pct == 0.0
    feb = report.get("2026-02")
    assert (feb.leads_received, feb.median_first_touch_hours, feb.first_touch_met_pct) == (
        1,
        1.0,
        100.0,
    )
    assert [(r.month, r.scope, r.key) for r in report.rows][:4] == [
        ("2026-01", "all", None),
        ("2026-01", "team", "emea"),
        ("2026-01", "rep", "ann"),
        ("2026-01", "rep", "bob"),
    ]


def test_pending_clocks_are_left_out_and_months_filter():
    report = compute_compliance(LEADS, sla=SLA, now=z(2026, 2, 2, 8, 30), months=["2026-02"])
    feb = report.get("2026-02")
    assert feb.first_touch_met_pct is None and feb.pending == 1
    assert [r.month for r in report.rows] == ["2026-02"] * 3
    with pytest.raises(ComplianceError, match="month"):
        compute_compliance(LEADS, sla=SLA, now=z(2026, 3, 1), months=["January"])


def test_pauses_for_rep_change_business_hours():
    # Bob out of office for the whole month: his lead's clocks never started.
    pauses = {"bob": [(z(2026, 1, 1), z(2026, 2, 15))]}
    report = compute_compliance(LEADS[3:4], sla=SLA, now=z(2026, 2, 2), pauses_for=pauses)
    assert report.get("2026-01", "rep", "bob").pending == 1


def test_marketing_compliance():
    t = z(2026, 3, 10, 12)
    mqls = [MqlRecord(i, t, t if i < 3 else None) for i in range(10)]
    mqls.append(MqlRecord(99, z(2026, 2, 28, 23, 30)))  # 00:30 on 1 March in Berlin
    opps = [
        OpportunityRecord(900_000, z(2026, 1, 15)),
        OpportunityRecord(500_000, t),
        OpportunityRecord(10**6, z(2026, 4, 1)),
    ]
    m = marketing_compliance(month="2026-03", mqls=mqls, opportunities=opps, sla=SLA)
    assert (m.mqls_delivered, m.mqls_committed, m.mqls_met) == (11, 400, False)
    assert m.mql_to_sql_rate == pytest.approx(3 / 11) and m.mql_to_sql_met is True
    assert (m.quarter, m.pipeline_quarter_to_date) == ("2026-Q1", 1_400_000.0)
    assert m.pipeline_pct_of_commitment == pytest.approx(1400 / 15)
    assert m.pipeline_met is False
    feb = marketing_compliance(month="2026-02", mqls=mqls, opportunities=opps, sla=SLA)
    assert (feb.mqls_delivered, feb.mql_to_sql_rate, feb.mql_to_sql_met) == (0, None, None)
    assert feb.pipeline_met is None and feb.to_dict()["pipeline_quarter_to_date"] == 900_000.0


def test_mqls_committed_per_rep():
    text = (
        default_sla_text()
        .replace("mqls_per_month: 400", "mqls_per_month: null")
        .replace("mqls_per_rep_per_month: null", "mqls_per_rep_per_month: 30")
    )
    sla = load_sla(text)
    m = marketing_compliance(month="2026-01", mqls=[], opportunities=[], sla=sla, reps=12)
    assert (m.mqls_committed, m.mqls_met) == (360, False)
    m = marketing_compliance(month="2026-01", mqls=[], opportunities=[], sla=sla)
    assert (m.mqls_committed, m.mqls_met) == (None, None)
