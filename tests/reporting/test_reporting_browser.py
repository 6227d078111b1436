"""A real Chromium opens each dashboard and the planning page; charts draw from local Plotly."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_dashboard_draws_its_charts(live_server, page, make_user):
    from smarketing.planning.actions import do_save_goal
    from smarketing.reporting.filters import current_quarter

    make_user("viewer", team="Sales", role="manager")
    do_save_goal(period=current_quarter(), revenue="5000", deal_size="1000", lead_to_customer="0.1")
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "pw-viewer")
    page.click("button[type=submit]")
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for name in ("marketing", "sales", "smarketing"):
        page.goto(f"{live_server.url}/reporting/{name}/?period=2026")
        assert page.locator("h1").inner_text().lower().startswith(name)
        page.wait_for_function("typeof Plotly !== 'undefined'")
        assert page.locator(".chart-card").count() >= 4
    page.goto(f"{live_server.url}/planning/plan/")
    assert "Planning" in page.locator("h1").inner_text()
    assert not errors, errors
    assert all(u.startswith(live_server.url) for u in requests), "no CDN or outside requests"
