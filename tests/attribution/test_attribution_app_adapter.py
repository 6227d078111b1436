"""The app's database through the adapter: hand-computed credits on a tiny company.

Runs on SQLite and on PostgreSQL (the suite runs on both): the expected numbers are the
same literals, so both databases give identical results.
"""

from __future__ import annotations

import pytest

from smarketing.analytics.attribution import AttributionError
from smarketing.attribution import selectors
from smarketing.attribution.selectors import QueryError, parse_query


def credits(**params) -> dict:
    result = selectors.run(parse_query(params)).to_dict()
    return {
        c["key"]: (round(c["conversions"], 9), round(c["value"], 6))
        for c in result["credits"]
        if c["conversions"] or c["value"] or params.get("model") == "custom"
    }


def test_first_last_linear_on_opportunities(journeys):
    assert credits(model="first_touch", conversion="opportunity") == {
        "Paid Search": (1, 900),
        "Organic Search": (1, 300),
    }
    assert credits(model="last_touch", conversion="opportunity") == {
        "Sales outreach": (1, 900),
        "Sales meeting": (1, 300),
    }
    third = round(1 / 3, 9)
    assert credits(model="linear", conversion="opportunity") == {
        "Paid Search": (third, 300),
        "Email": (third, 300),
        "Sales outreach": (third, 300),
        "Organic Search": (0.5, 150),
        "Sales meeting": (0.5, 150),
    }


def test_team_split_marketing_vs_sales(journeys):
    split = credits(model="linear", conversion="opportunity", by="team")
    assert split == {
        "marketing": (round(7 / 6, 9), 750),
        "sales": (round(5 / 6, 9), 450),
    }
    assert credits(model="last_touch", conversion="opportunity", by="team") == {"sales": (2, 1200)}


def test_levels_campaign_keyword_subject_kind(journeys):
    third = round(1 / 3, 9)
    assert credits(model="linear", conversion="won", by="email_subject") == {
        "(none)": (round(2 / 3, 9), 600),
        "Hello": (third, 300),
    }
    assert credits(model="first_touch", conversion="won", by="keyword") == {"attribution": (1, 900)}
    assert credits(model="last_touch", conversion="opportunity", by="kind") == {
        "sales_call": (1, 900),
        "meeting": (1, 300),
    }


def test_costs_and_roi_at_campaign_and_channel_level(journeys):
    for by, key in (("campaign", "Search Q1"), ("channel", "Paid Search")):
        result = selectors.run(parse_query({"model": "linear", "conversion": "won", "by": by}))
        row = next(c for c in result.to_dict()["credits"] if c["key"] == key)
        assert row["conversions"] == pytest.approx(1 / 3)
        assert row["value"] == pytest.approx(300)
        assert row["cost"] == pytest.approx(600)
        assert row["cost_per_conversion"] == pytest.approx(1800)
        assert row["roi"] == pytest.approx(-0.5)
    # no cost at other levels
    team = selectors.run(parse_query({"model": "linear", "conversion": "won", "by": "team"}))
    assert all("cost" not in c for c in team.to_dict()["credits"])


def test_lead_conversions_and_no_touch(journeys):
    # Alice became a lead on day 2 (after her Paid Search click); Bob was created a lead on
    # day 0 with no touch before; Carol is a subscriber, not a lead.
    assert credits(model="first_touch", conversion="lead") == {
        "Paid Search": (1, 0),
        "(no touch)": (1, 0),
    }


def test_won_uses_close_time_and_amount(journeys):
    assert credits(model="last_touch", conversion="won") == {"Sales outreach": (1, 900)}


def test_account_level_journeys(journeys):
    # Both opportunities share the account's five touches (all before day 6).
    linear = credits(model="linear", conversion="opportunity", account_level="1")
    assert set(linear) == {
        "Paid Search",
        "Organic Search",
        "Email",
        "Sales meeting",
        "Sales outreach",
    }
    assert all(v == (0.4, 240) for v in linear.values())
    assert credits(model="first_touch", conversion="opportunity", account_level="1") == {
        "Paid Search": (2, 1200)
    }
    assert credits(model="linear", conversion="opportunity", by="team", account_level="1") == {
        "marketing": (1.2, 720),
        "sales": (0.8, 480),
    }


def test_period_filters_conversion_time(journeys):
    # Only Bob's opportunity (day 7) is in the period; Alice's journey is left out.
    assert credits(
        model="linear", conversion="opportunity", since="2025-03-08", until="2025-03-31"
    ) == {"Organic Search": (0.5, 150), "Sales meeting": (0.5, 150)}
    # until is inclusive of its day: Alice's opportunity on 2025-03-07 09:00
    assert credits(model="first_touch", conversion="opportunity", until="2025-03-07") == {
        "Paid Search": (1, 900)
    }
    with pytest.raises(AttributionError, match="no conversions"):
        selectors.run(parse_query({"model": "linear", "since": "2030-01-01"}))


def test_data_driven_models_sum_to_totals(journeys):
    for model in ("markov", "shapley", "w_shaped", "full_path", "time_decay"):
        result = selectors.run(parse_query({"model": model, "conversion": "opportunity"}))
        assert result.total_conversions == 2 and result.total_value == 1200
        assert sum(c.conversions for c in result.credits) == pytest.approx(2)
        assert sum(c.value for c in result.credits) == pytest.approx(1200)
    # Shapley splits each path over its distinct channels: same as linear here.
    assert credits(model="shapley", conversion="opportunity")["Organic Search"] == (0.5, 150)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"model": "nope"}, "model"),
        ({"model": "linear", "by": "planet"}, "by"),
        ({"model": "linear", "conversion": "sale"}, "conversion"),
        ({"model": "linear", "since": "yesterday"}, "since"),
        ({"model": "linear", "since": "2025-02-01", "until": "2025-01-01"}, "until"),
        ({"model": "markov", "order": "5"}, "order"),
        ({"model": "linear", "lookback_days": "0"}, "lookback_days"),
        ({"model": "custom"}, "weights"),
        ({"model": "custom", "weights": "first=oops"}, "weights"),
        ({"model": "linear", "weights": "first=1"}, "weights"),
        ({"model": "linear", "intervals": "1"}, "intervals"),
    ],
)
def test_bad_parameters_name_the_field(params, field):
    with pytest.raises(QueryError) as err:
        parse_query(params)
    assert err.value.field == field


def test_custom_weights_reach_the_engine(journeys):
    got = credits(model="custom", conversion="opportunity", weights="first=0.5,middle=0,last=0.5")
    assert got["Email"] == (0, 0)
    assert got["Paid Search"] == (0.5, 450)
    with pytest.raises(AttributionError, match="sum"):
        selectors.run(parse_query({"model": "custom", "weights": "first=0.5,middle=0,last=0.6"}))
