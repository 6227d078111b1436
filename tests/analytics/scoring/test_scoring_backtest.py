"""Backtest on a tiny hand-built history: MQL counts, times, later outcomes, comparison."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from smarketing.analytics.scoring import ScoringInputError, load_definition
from smarketing.analytics.scoring.backtest import backtest, compare

RULES = """\
mql: {{total: 30}}
{decay}
fit:
  - {{name: VP, field: seniority, op: eq, value: vp, points: 20}}
engagement:
  - {{name: Demo, kind: form_submit, url: "*demo*", points: 30, hand_raiser: true}}
  - {{name: Views, kind: page_view, points: 5}}
"""
ACTIVE = load_definition("version: 1\n" + RULES.format(decay="decay: {half_life_days: 10}"))
NO_DECAY = load_definition("version: 2\nname: No decay\n" + RULES.format(decay=""))

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 2, 1, tzinfo=UTC)
CONTACTS = pd.DataFrame({"contact_id": [1, 2, 3, 4, 5], "seniority": ["VP", "", "", "vp", ""]})


def ts(text):
    return pd.Timestamp(text, tz="UTC")


TOUCHES = pd.DataFrame(
    [
        # 1: VP (20) + two views at one instant (10) = 30 on Jan 10 -> MQL Jan 10.
        (1, ts("2026-01-10 09:00"), "page_view", "/a"),
        (1, ts("2026-01-10 09:00"), "page_view", "/b"),
        # 2: demo request on Jan 5 -> 30 -> MQL Jan 5.
        (2, ts("2026-01-05 12:00"), "form_submit", "/demo"),
        # 3: six views on Dec 1 = 30: qualified before the window (already an MQL).
        *[(3, ts("2025-12-01"), "page_view", "/x")] * 6,
        # 4: VP 20 + 5 on Jan 1, + 5 on Jan 11: 20 + 2.5 + 5 = 27.5 with decay, 30 without.
        (4, ts("2026-01-01"), "page_view", "/x"),
        (4, ts("2026-01-11"), "page_view", "/x"),
        # 5: demo request after the window: ignored.
        (5, ts("2026-02-10"), "form_submit", "/demo"),
    ],
    columns=["contact_id", "occurred_at", "kind", "url"],
)
HISTORY = pd.DataFrame(
    [
        (1, "SQL", ts("2026-01-20")),
        (1, "customer", ts("2026-02-15")),  # after the window but after the MQL: counts
        (2, "sql", ts("2026-01-03")),  # sales qualified it before the rule would have fired
        (2, "disqualified", ts("2026-01-09")),
        (4, "sql", ts("2026-01-20")),
    ],
    columns=["contact_id", "to_stage", "changed_at"],
)


def run(definition):
    return backtest(
        definition,
        contacts=CONTACTS,
        touchpoints=TOUCHES,
        stage_history=HISTORY,
        since=SINCE,
        until=UNTIL,
    )


def test_backtest_counts_and_mql_times():
    result = run(ACTIVE)
    assert (result.n_mql, result.n_already_mql, result.n_contacts) == (2, 1, 5)
    rows = result.mqls.set_index("contact_id")
    assert rows.loc[1, "mql_at"] == ts("2026-01-10 09:00")
    assert rows.loc[2, "mql_at"] == ts("2026-01-05 12:00")
    assert rows.loc[2, "hand_raiser"] and not rows.loc[1, "hand_raiser"]
    assert rows.loc[1, "total"] == pytest.approx(30.0)


def test_backtest_later_outcomes_and_rates():
    result = run(ACTIVE)
    assert (result.n_sql, result.n_won, result.n_sql_before_mql) == (1, 1, 1)
    assert result.mql_to_sql_rate == 0.5
    assert result.sql_to_won_rate == 1.0
    assert result.mql_to_won_rate == 0.5
    data = result.to_dict(include_contacts=True)
    json.dumps(data)
    assert data["mqls_by_month"] == {"2026-01": 2}
    assert data["until"] == "2026-02-01T00:00:00+00:00"
    assert {row["contact_id"] for row in data["mqls"]} == {1, 2}


def test_decay_changes_who_qualifies_and_compare_shows_overlap():
    assert run(NO_DECAY).n_mql == 3  # contact 4 reaches exactly 30 without decay
    comparison = compare(
        NO_DECAY,
        ACTIVE,
        contacts=CONTACTS,
        touchpoints=TOUCHES,
        stage_history=HISTORY,
        since=SINCE,
        until=UNTIL,
    )
    assert (comparison.n_both, comparison.n_only_candidate, comparison.n_only_active) == (2, 1, 0)
    data = comparison.to_dict()
    assert data["candidate"]["definition_name"] == "No decay"
    assert data["candidate"]["mql_to_sql_rate"] == pytest.approx(2 / 3)
    assert data["active"]["n_mql"] == 2


def test_until_defaults_to_the_latest_data_and_empty_results_have_no_rates():
    result = backtest(
        ACTIVE, contacts=CONTACTS, touchpoints=TOUCHES, stage_history=HISTORY, since=SINCE
    )
    assert result.until == datetime(2026, 2, 15, tzinfo=UTC)
    assert result.n_mql == 3  # contact 5's demo request of Feb 10 is now inside
    late = backtest(
        ACTIVE,
        contacts=CONTACTS,
        touchpoints=TOUCHES,
        stage_history=HISTORY,
        since=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert late.n_mql == 0 and late.mql_to_sql_rate is None and late.sql_to_won_rate is None


def test_backtest_rejects_bad_history():
    with pytest.raises(ScoringInputError, match=r"no column\(s\) changed_at"):
        backtest(
            ACTIVE,
            contacts=CONTACTS,
            touchpoints=TOUCHES,
            stage_history=HISTORY.drop(columns="changed_at"),
            since=SINCE,
        )
    with pytest.raises(ScoringInputError, match="until must not be before since"):
        backtest(
            ACTIVE,
            contacts=CONTACTS,
            touchpoints=TOUCHES,
            stage_history=HISTORY,
            since=UNTIL,
            until=SINCE,
        )
