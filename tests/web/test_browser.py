"""The main flow in a real browser: log in, move through the navigation, log out."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_navigate_logout(live_server, page, make_user):
    make_user("maria", team="Marketing", kind="marketing", role="manager")
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "maria")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".errorlist").is_visible()
    page.fill("#id_username", "maria")
    page.fill("#id_password", "pw-maria")
    page.click("button[type=submit]")
    page.wait_for_selector("text=The shared funnel")
    for label in ["Leads", "Accounts", "Deals", "Campaigns", "SLA"]:
        page.click(f"nav.main >> text={label}")
        page.wait_for_selector(f"h1:has-text('{label}')")
    page.click("text=Log out")
    page.wait_for_selector("#id_username")
