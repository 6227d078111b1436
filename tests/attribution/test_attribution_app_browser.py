"""A real browser changes the model on the attribution page and sees the table update."""

from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_changing_the_model_updates_the_table(built, make_user, live_server, page):
    make_user("viewer", team="Marketing", kind="marketing")
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "pw-viewer")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/attribution/?model=first_touch&conversion=opportunity")
    table = page.locator("#credit-table")
    assert table.get_attribute("data-model") == "first_touch"
    assert "Paid Search" in table.inner_text()
    assert "Sales meeting" not in table.locator("tbody tr").first.inner_text()
    page.wait_for_function("typeof Plotly !== 'undefined'")
    assert page.locator("#chart-attribution-comparison .main-svg").count() > 0

    page.select_option("#f-model", "last_touch")  # updates the results in place
    page.wait_for_selector("#credit-table[data-model='last_touch']")
    first_row = page.locator("#credit-table tbody tr").first.inner_text()
    assert "Sales" in first_row  # last touch credits sales' call and meeting
    assert "model=last_touch" in page.url
    assert not errors, errors
    assert all(u.startswith(live_server.url) for u in requests), "no CDN or outside requests"
