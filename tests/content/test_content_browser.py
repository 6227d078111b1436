"""The sharing loop in a real browser: a rep finds an asset by a phrase from its body, shares
it, the prospect reads two pages logged out, and the rep sees the view, pages and time."""

import pytest

from smarketing.content.models import LinkVisit
from smarketing.crm.models import SalesInsight, Touchpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/shots-content"


def test_find_share_read_and_see_the_view(
    live_server, browser, library, contact, rep, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # Re-store the PDF under this test's media root.
    from smarketing.content.actions import do_add_version
    from smarketing.demo.content_library import make_pdf

    sheet = library["Pricing sheet 2026"]
    pages = [
        "Plans are priced per seat per month, billed annually.\n" + "Seats and plans. " * 40,
        "Multi-year terms earn a ten percent discount.\n" + "Discount terms. " * 40,
        "Questions? Your account executive prepares the proposal.",
    ]
    do_add_version(asset=sheet, filename="pricing.pdf", data=make_pdf(pages), by=rep)
    SalesInsight.objects.create(kind="question", text="Does it run on a mainframe?", by=rep)

    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.goto(f"{live_server.url}/login/?next=/content/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "pw-sam")
    page.click("button[type=submit]")
    page.fill("input[name=q]", "ten percent discount")
    page.click("form.filters button")
    page.wait_for_selector("mark")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1 and "Pricing sheet 2026" in rows.first.inner_text()
    page.screenshot(path=f"{SHOTS}/browser-search.png")
    page.click("text=Pricing sheet 2026")
    page.fill("input[name=contact]", contact.email)
    page.click("text=Create tracked link")
    url = page.inner_text("#new-link").strip()
    assert "/content/s/" in url

    prospect = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    prospect.goto(url)
    prospect.wait_for_selector("body[data-ready='1']")
    assert prospect.locator("section.page canvas").count() == 3
    prospect.wait_for_timeout(2500)
    prospect.locator("section.page[data-page='2']").scroll_into_view_if_needed()
    prospect.wait_for_timeout(3500)
    prospect.screenshot(path=f"{SHOTS}/browser-prospect.png")
    prospect.context.close()  # pagehide sends the last beat

    for _ in range(50):
        visit = LinkVisit.objects.first()
        if visit and {"1", "2"} <= set(visit.page_seconds):
            break
        page.wait_for_timeout(100)
    assert visit.page_seconds["1"] > 0 and visit.page_seconds["2"] > 0
    touch = Touchpoint.objects.get(kind="content_view")
    assert touch.contact == contact and touch.properties["pages"]

    page.goto(f"{live_server.url}/sla/notifications/")
    assert "Ana Lopez at Globex opened Pricing sheet 2026" in page.inner_text("main")
    page.goto(f"{live_server.url}/content/contacts/{contact.pk}/")
    views = page.inner_text("#views")
    assert "Pricing sheet 2026" in views and "p1:" in views and "p2:" in views
    page.screenshot(path=f"{SHOTS}/browser-contact.png")
    page.goto(f"{live_server.url}/content/assets/{sheet.pk}/")
    stats = page.inner_text("aside")
    assert "People who viewed\t1" in stats or "People who viewed 1" in stats
    page.goto(f"{live_server.url}/content/gaps/")
    assert "Does it run on a mainframe?" in page.inner_text("main")
    ctx.close()
