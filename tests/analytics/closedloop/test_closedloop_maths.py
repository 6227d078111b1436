"""Closed-loop maths on hand-built in-memory tables, checked against hand-computed figures."""

from __future__ import annotations

import dataclasses
import datetime as dt

import ibis
import pytest

from smarketing.analytics.closedloop import (
    ClosedLoopError,
    ClosedLoopSpec,
    FunnelTables,
    closed_loop,
    contact_funnel,
    grouped_median,
)

D = dt.datetime


def _tables():
    """Five contacts; two channels; one campaign with cost; deals, reviews, content touches.

    c1 (paid, campaign 1): lead 01-02, mql 01-04, sql 01-08, opp 01-10, customer 01-20 (won 1000)
    c2 (paid, campaign 1): lead 01-03, mql 01-07 (sal), rejected bad_fit quality 2
    c3 (organic):          lead 01-05, skips to sql 01-15 (so passed MQL at 01-15), open deal 400
    c4 (organic):          lead 12-20 (before the window), mql 01-06
    c5 (paid):             created 02-03, lead 02-03 (after the window)
    """
    contacts = ibis.memtable(
        {
            "id": [1, 2, 3, 4, 5],
            "created_at": [
                D(2026, 1, 2),
                D(2026, 1, 3),
                D(2026, 1, 5),
                D(2025, 12, 20),
                D(2026, 2, 3),
            ],
            "lifecycle_stage": ["customer", "sal", "sql", "mql", "lead"],
            "original_source": ["google", "google", "", "", "linkedin"],
            "original_channel": ["paid", "paid", "organic", "organic", "paid"],
            "original_campaign_id": [1, 1, None, None, None],
            "persona_id": [10, 10, 11, None, None],
            "account_id": [100, 100, 101, None, None],
            "owner_id": [7, 7, 8, None, None],
        }
    )
    accounts = ibis.memtable({"id": [100, 101], "segment": ["smb", "enterprise"]})
    sc = [
        (1, "lead", D(2026, 1, 2)),
        (1, "mql", D(2026, 1, 4)),
        (1, "sql", D(2026, 1, 8)),
        (1, "opportunity", D(2026, 1, 10)),
        (1, "customer", D(2026, 1, 20)),
        (2, "lead", D(2026, 1, 3)),
        (2, "mql", D(2026, 1, 5)),
        (2, "sal", D(2026, 1, 7)),
        (3, "lead", D(2026, 1, 5)),
        (3, "sql", D(2026, 1, 15)),
        (4, "lead", D(2025, 12, 20)),
        (4, "mql", D(2026, 1, 6)),
        (5, "lead", D(2026, 2, 3)),
    ]
    stage_changes = ibis.memtable(
        {
            "contact_id": [r[0] for r in sc],
            "to_stage": [r[1] for r in sc],
            "changed_at": [r[2] for r in sc],
        }
    )
    deals = ibis.memtable(
        {
            "id": [1, 2],
            "primary_contact_id": [1, 3],
            "amount": [1000.0, 400.0],
            "created_at": [D(2026, 1, 10), D(2026, 1, 16)],
            "closed_at": [D(2026, 1, 20), None],
            "is_closed": [True, False],
            "is_won": [True, False],
        }
    )
    reviews = ibis.memtable(
        {
            "contact_id": [1, 2],
            "decision": ["accept", "reject"],
            "reason_code": ["", "bad_fit"],
            "quality_rating": [5, 2],
            "at": [D(2026, 1, 5), D(2026, 1, 8)],
        }
    )
    # 620 over 62 days (Dec + Jan): 310 falls in January
    costs = ibis.memtable(
        {
            "campaign_id": [1],
            "period_start": [dt.date(2025, 12, 1)],
            "period_end": [dt.date(2026, 1, 31)],
            "amount": [620.0],
        }
    )
    campaigns = ibis.memtable(
        {"id": [1], "name": ["Spring ads"], "channel": ["paid"], "source": ["google"]}
    )
    touchpoints = ibis.memtable({"contact_id": [1, 1, 2, 3], "content_id": [50, 50, 50, 51]})
    personas = ibis.memtable({"id": [10, 11], "name": ["Marketing Mary", "IT Ian"]})
    content = ibis.memtable({"id": [50, 51], "title": ["ROI e-book", "Case study"]})
    return FunnelTables(
        contacts,
        accounts,
        stage_changes,
        deals,
        reviews,
        costs,
        campaigns,
        touchpoints,
        personas,
        content,
    )


JAN = {"start": "2026-01-01", "end": "2026-02-01"}


def test_period_view_all():
    r = closed_loop(_tables(), ClosedLoopSpec(by="all", **JAN)).row("all")
    # leads in Jan: c1, c2, c3 (c4 was a lead in Dec, c5 in Feb)
    assert (r.leads, r.mqls, r.sqls, r.opportunities, r.won) == (3, 4, 2, 1, 1)
    assert r.conversion["leads_to_mqls"] == pytest.approx(4 / 3)  # throughput ratio
    assert r.revenue == 1000.0 and r.won_deals == 1
    assert r.pipeline == 1400.0  # both deals created in January
    assert r.cost == 310.0
    assert r.cost_per_lead == pytest.approx(310 / 3)
    assert r.cost_per_customer == 310.0
    assert r.roi == pytest.approx((1000 - 310) / 310)
    assert (r.accepted, r.rejected, r.acceptance_rate, r.avg_quality) == (1, 1, 0.5, 3.5)
    assert r.rejection_reasons == [("bad_fit", 1)]


def test_velocity_medians():
    r = closed_loop(_tables(), ClosedLoopSpec(by="all", **JAN)).row("all")
    # lead->mql in Jan: c1 2d, c2 2d, c3 10d (skipped), c4 17d -> median (2+10)/2 = 6
    assert r.velocity_days["leads_to_mqls"] == 6.0
    # mql->sql: c1 4d, c3 0d -> 2
    assert r.velocity_days["mqls_to_sqls"] == 2.0
    assert r.velocity_days["opportunities_to_won"] == 10.0


def test_by_channel_and_campaign_labels():
    res = closed_loop(_tables(), ClosedLoopSpec(by="channel", **JAN))
    paid, organic = res.row("paid"), res.row("organic")
    assert (paid.leads, paid.mqls, paid.won, paid.revenue, paid.cost) == (2, 2, 1, 1000.0, 310.0)
    assert (organic.leads, organic.mqls, organic.sqls) == (1, 2, 1)
    assert organic.cost == 0.0 and organic.roi is None
    camp = closed_loop(_tables(), ClosedLoopSpec(by="campaign", **JAN))
    assert camp.row("1").label == "Spring ads"
    assert camp.row("(none)").leads == 1


def test_cohort_view_counts_everything_the_cohort_did():
    res = closed_loop(_tables(), ClosedLoopSpec(by="cohort_month", view="cohort", **JAN))
    assert [r.key for r in res.rows] == ["2026-01"]
    r = res.row("2026-01")
    # cohort: c1, c2, c3 (created in Jan) -> all ever reached
    assert (r.leads, r.mqls, r.sqls, r.opportunities, r.won) == (3, 3, 2, 1, 1)
    assert r.conversion["leads_to_won"] == pytest.approx(1 / 3)
    assert r.pipeline == 1400.0 and r.revenue == 1000.0


def test_persona_segment_content_and_filters():
    t = _tables()
    persona = closed_loop(t, ClosedLoopSpec(by="persona", **JAN))
    assert persona.row("10").label == "Marketing Mary" and persona.row("10").leads == 2
    assert persona.row("10").cost is None  # spend cannot be split by persona
    seg = closed_loop(t, ClosedLoopSpec(by="segment", **JAN))
    assert seg.row("smb").leads == 2 and seg.row("enterprise").pipeline == 400.0
    content = closed_loop(t, ClosedLoopSpec(by="content", **JAN))
    assert content.row("50").label == "ROI e-book" and content.row("50").leads == 2
    owned = closed_loop(t, ClosedLoopSpec(by="all", owner_ids=[8], **JAN)).row("all")
    assert (owned.leads, owned.sqls, owned.cost) == (1, 1, None)


def test_bad_spec_names_the_field():
    with pytest.raises(ClosedLoopError, match="by"):
        closed_loop(_tables(), ClosedLoopSpec(by="colour", **JAN))
    with pytest.raises(ClosedLoopError, match="view"):
        closed_loop(_tables(), ClosedLoopSpec(view="sideways", **JAN))
    with pytest.raises(ClosedLoopError, match="after start"):
        closed_loop(_tables(), ClosedLoopSpec(start="2026-02-01", end="2026-01-01"))


@pytest.mark.parametrize("native", [True, False])
def test_grouped_median_odd_even(native):
    t = ibis.memtable({"g": ["a", "a", "a", "b", "b"], "v": [3.0, 1.0, 2.0, 1.0, 4.0]})
    df = grouped_median(t, ["g"], "v", native=native).to_pandas().set_index("g")["median"]
    assert df["a"] == 2.0 and df["b"] == 2.5


def _with_facts(t: FunnelTables) -> FunnelTables:
    facts = contact_funnel(t.contacts, t.accounts, t.stage_changes).to_pandas()
    return dataclasses.replace(t, funnel=ibis.memtable(facts))


def test_contact_funnel_rows():
    facts = contact_funnel(
        *[getattr(_tables(), n) for n in ("contacts", "accounts", "stage_changes")]
    )
    df = facts.to_pandas().set_index("contact_id")
    assert df.loc[3, "t_mqls"] == D(2026, 1, 15)  # skipped MQL: reached with SQL
    assert (df.loc[1, "segment"], df.loc[4, "created_month"]) == ("smb", "2025-12")
    only = contact_funnel(
        _tables().contacts,
        _tables().accounts,
        _tables().stage_changes,
        only=ibis.memtable({"contact_id": [2]}),
    ).to_pandas()
    assert only["contact_id"].tolist() == [2] and only["t_mqls"][0] == D(2026, 1, 5)


@pytest.mark.parametrize(
    ("by", "view", "extra"),
    [
        ("all", "period", {}),
        ("channel", "period", {"owner_ids": [7]}),
        ("content", "period", {}),
        ("cohort_month", "cohort", {}),
        ("segment", "cohort", {"channel": "organic"}),
        ("persona", "period", {"segment": "smb"}),
    ],
)
def test_fact_table_gives_identical_figures(by, view, extra):
    """Reading the per-contact fact table gives exactly the figures of the log path (every
    grouping and view is compared on the app database in tests/reporting)."""
    t = _tables()
    spec = ClosedLoopSpec(by=by, view=view, **JAN, **extra)
    assert closed_loop(_with_facts(t), spec).rows == closed_loop(t, spec).rows


def test_campaign_cost_is_keyed_by_the_campaign_not_the_cost_row():
    """The cost table has its own ``id`` (as ``crm_campaigncost`` does): after the join with the
    campaigns the campaign key must be ``campaign_id``, never the cost row's id (a bug that put
    every campaign's spend on rows named 100, 116 … on the dashboards)."""
    t = _tables()
    costs = ibis.memtable(
        {
            "id": [116],
            "campaign_id": [1],
            "period_start": [dt.date(2025, 12, 1)],
            "period_end": [dt.date(2026, 1, 31)],
            "amount": [620.0],
        }
    )
    t = dataclasses.replace(t, costs=costs)
    res = closed_loop(t, ClosedLoopSpec(by="campaign", **JAN))
    assert {r.key for r in res.rows if r.cost} == {"1"}
    spring = res.row("1")
    assert (spring.label, spring.cost, spring.revenue) == ("Spring ads", 310.0, 1000.0)
    assert spring.roi == pytest.approx((1000 - 310) / 310)
