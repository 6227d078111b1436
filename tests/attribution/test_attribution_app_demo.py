"""The demo company: every model credits exactly the totals; sales touches get credit."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from smarketing.analytics.attribution import compare_models
from smarketing.attribution import selectors
from smarketing.attribution.selectors import COMPARED_MODELS, parse_query


def test_demo_company_credits_sum_to_totals_and_sales_gets_credit(demo_company, client):
    query = parse_query({"model": "linear", "conversion": "opportunity"})
    with selectors.inputs(query) as (tp, cv):
        cmp = compare_models(
            tp, cv, models=COMPARED_MODELS, by="channel", conversion_kind=query.kind
        )
        team = compare_models(tp, cv, models=COMPARED_MODELS, by="team", conversion_kind=query.kind)
    assert set(cmp.results) == set(COMPARED_MODELS)
    first = cmp.results["first_touch"]
    assert first.total_conversions > 10 and first.total_value > 0
    for results in (cmp.results, team.results):
        for model, result in results.items():
            assert result.total_conversions == first.total_conversions, model
            assert result.total_value == pytest.approx(first.total_value), model
            assert sum(c.conversions for c in result.credits) == pytest.approx(
                result.total_conversions
            ), model
            assert sum(c.value for c in result.credits) == pytest.approx(result.total_value), model
            assert sum(c.share for c in result.credits) == pytest.approx(1.0), model
    # Sales' calls, meetings and demos are credited: by channel and by team, under the
    # multi-touch models (last touch alone already gives sales the opportunities it closed).
    for model in ("linear", "last_touch", "w_shaped", "markov", "shapley"):
        by_team = {c.key: c.conversions for c in team.results[model].credits}
        assert by_team.get("sales", 0) > 0, model
        assert by_team.get("marketing", 0) > 0, model
        by_channel = {c.key: c.conversions for c in cmp.results[model].credits}
        assert by_channel.get("Sales meeting", 0) + by_channel.get("Sales outreach", 0) > 0

    # custom and account-level journeys on the same data
    custom = selectors.run(
        parse_query({"model": "custom", "weights": "first=0.3,middle=0.4,last=0.3"})
    )
    assert sum(c.conversions for c in custom.credits) == pytest.approx(custom.total_conversions)
    acct = selectors.run(parse_query({"model": "markov", "account_level": "1", "by": "team"}))
    assert sum(c.conversions for c in acct.credits) == pytest.approx(acct.total_conversions)

    # the page renders on the demo, with the comparison chart and the team split
    client.force_login(get_user_model().objects.get(username="maria"))
    response = client.get("/attribution/?model=markov&by=campaign&conversion=won")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="credit-table"' in html and "chart-attribution-comparison-data" in html
    assert 'data-team="sales"' in html and 'data-team="marketing"' in html
    assert "ROI" in html
