"""A real Chromium opens the three report pages: frame, picker, charts drawn, PDF download."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def month_of_data():
    """One paid lead who became a customer in January 2026 (enough for every chart)."""
    from smarketing.crm.models import Campaign, CampaignCost, Contact, Deal
    from smarketing.funnel.models import StageChange

    camp = Campaign.objects.create(name="Ads", channel="paid", source="google")
    CampaignCost.objects.create(
        campaign=camp,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        amount=Decimal("310"),
    )
    at = dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC)
    c = Contact.objects.create(
        email="p@x.test",
        original_channel="paid",
        original_campaign=camp,
        created_at=at,
        lifecycle_stage="customer",
    )
    for k, stage in enumerate(["lead", "mql", "sql", "opportunity", "customer"]):
        StageChange.objects.create(contact=c, to_stage=stage, changed_at=at + dt.timedelta(days=k))
    Deal.objects.create(
        name="Won",
        primary_contact=c,
        amount=Decimal("1000"),
        is_closed=True,
        is_won=True,
        stage="closed_won",
        created_at=at,
        closed_at=at + dt.timedelta(days=4),
    )


def test_report_pages_in_chromium(live_server, page, make_user, month_of_data):
    make_user("viewer", team="Sales", role="manager")
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "pw-viewer")
    page.click("button[type=submit]")
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    base = f"{live_server.url}/reporting/reports"
    for path, param, value in (
        ("monthly", "month", "2026-01"),
        ("weekly", "week", "2026-W02"),
        ("management", "month", "2026-01"),
    ):
        resp = page.goto(f"{base}/{path}/?{param}={value}")
        assert resp.status == 200, path
        assert page.locator("nav.main a").count() >= 3, "the app navigation"
        images = page.locator(".report figure img")
        assert images.count() >= 1, f"{path}: no chart"
        widths = images.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert all(w > 0 for w in widths), f"{path}: a chart did not draw {widths}"
        assert page.locator(f"input[name={param}]").input_value() == value
    # the picker is a GET form: pick another month and submit
    page.goto(f"{base}/monthly/?month=2026-01")
    page.fill("input[name=month]", "2025-12")
    page.click("form.filters button[type=submit]")
    assert "month=2025-12" in page.url and "2025-12" in page.locator("h1").inner_text()
    with page.expect_download() as download:
        page.click("text=Download PDF")
    assert download.value.suggested_filename == "smarketing-monthly-2025-12.pdf"
    assert not errors, errors
    assert all(u.startswith(live_server.url) or u.startswith("data:") for u in requests)
