"""A real browser switches models and levels on the attribution page of a generated company
of more than 200,000 touchpoints, and the page answers each time (timing is in
benchmarks/attribution_app_bench.py, not here)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

#: contacts, target touchpoints (the generator lands somewhat under the target)
SIZE = (5_000, 340_000)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_switching_models_on_a_200k_touch_company(live_server, page, monkeypatch):
    from smarketing.crm.models import Touchpoint
    from smarketing.demo import catalogue
    from smarketing.demo.generator import generate

    monkeypatch.setitem(catalogue.SIZES, "browser", SIZE)
    generate(size="browser", seed=11)  # the demo's bulk path; builds the path set
    assert Touchpoint.objects.count() >= 200_000
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", catalogue.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/attribution/?model=markov&conversion=won&by=channel")
    table = page.locator("#credit-table")
    assert table.get_attribute("data-model") == "markov"
    assert table.locator("tbody tr").count() > 3
    for model in ("shapley", "linear", "time_decay", "w_shaped", "last_touch", "markov"):
        page.select_option("#f-model", model)  # updates the results in place
        page.wait_for_selector(f"#credit-table[data-model='{model}']", timeout=60_000)
        assert page.locator("#credit-table tbody tr").count() > 3, model
        assert f"model={model}" in page.url
    page.select_option("#f-by", "campaign")
    # Locator waits, not wait_for_function: the page's CSP allows no eval.
    expect(page.locator("#credit-table th").first).to_have_text("campaign", timeout=60_000)
    assert page.locator("#credit-table tbody tr").count() > 3
    page.select_option("#f-conversion", "lead")
    expect(page.locator("h1")).to_contain_text("lead", timeout=60_000)
    assert page.locator("#credit-table tbody tr").count() > 3
    page.locator("#chart-attribution-comparison .main-svg").first.wait_for(timeout=60_000)
    assert not errors, errors
    assert not outside, outside
