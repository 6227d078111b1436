"""The tracking snippet in a real headless Chromium against the running app.

The customer's website is a separate origin (a stdlib http.server on another port) whose page
loads ``/ingest/t.js`` from the live app, as a real site would: the beacons are cross-origin.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smarketing.crm.models import Contact, Touchpoint, VisitorId
from smarketing.ingest.models import TrackingSite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><html><head><title>Acme — Pricing</title></head><body>
<h1>Pricing</h1>
<form id="demo-request" action="/thanks" method="get">
  <input name="first_name" value="Jane"><input type="email" name="work_email">
  <button type="submit">Book a demo</button>
</form>
<script async src="{app}/ingest/t.js" data-key="{key}"></script>
</body></html>"""


THANKS = """<!doctype html><title>Thanks</title><h1>Thanks!</h1>
<script async src="{app}/ingest/t.js" data-key="{key}"></script>"""

SPA = """<!doctype html><title>App</title><h1 id="h">Home</h1>
<button id="go" onclick="history.pushState({{}}, '', '/app/pricing'); document.getElementById('h').textContent='Pricing'">Pricing</button>
<script async src="{app}/ingest/t.js" data-key="{key}"></script>"""

CONSENT = """<!doctype html><title>Consent</title><h1>Cookies?</h1>
<button id="yes" onclick="smarketing.consent(true)">Accept</button>
<script async src="{app}/ingest/t.js" data-key="{key}" data-consent="required"></script>"""


class CustomerSite:
    """The customer's website on its own origin, serving a page with the snippet."""

    def __init__(self, app_url: str):
        self.key = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/thanks"):
                    html = THANKS.format(app=app_url, key=site.key)
                elif self.path.startswith("/app"):
                    html = SPA.format(app=app_url, key=site.key)
                elif self.path.startswith("/consent"):
                    html = CONSENT.format(app=app_url, key=site.key)
                else:
                    html = PAGE.format(app=app_url, key=site.key)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(html.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def customer_site(live_server):
    site = CustomerSite(live_server.url)
    yield site
    site.close()


def test_page_view_and_form_submit_stitch_a_contact(customer_site, page):
    tracked = TrackingSite.objects.create(name="Acme", allowed_origins=[customer_site.origin])
    customer_site.key = tracked.public_key

    page.goto(f"{customer_site.origin}/pricing?utm_source=newsletter&utm_medium=email")
    assert wait_for(lambda: Touchpoint.objects.filter(kind="page_view").exists())
    view = Touchpoint.objects.get(kind="page_view")
    assert view.contact_id is None and view.anonymous_id
    assert view.channel == "Email" and view.source == "newsletter"
    assert view.properties["title"] == "Acme — Pricing"
    cookie = {c["name"]: c for c in page.context.cookies()}["smk_vid"]
    assert cookie["value"] == view.anonymous_id
    assert cookie["expires"] - time.time() > 360 * 24 * 3600  # about a year

    page.fill("input[name=work_email]", "Jane.Roe@Acme.example")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thanks!")
    assert wait_for(lambda: Contact.objects.filter(email="jane.roe@acme.example").exists())
    contact = Contact.objects.get(email="jane.roe@acme.example")
    assert contact.first_name == "Jane"
    form = Touchpoint.objects.get(kind="form_submit")
    assert form.properties["form_id"] == "demo-request"
    # The anonymous page view before the form is now the contact's.
    assert set(contact.touchpoints.values_list("kind", flat=True)) >= {"page_view", "form_submit"}
    assert VisitorId.objects.get(anonymous_id=view.anonymous_id).contact == contact
    # The thank-you page view is attached to the contact directly.
    assert wait_for(lambda: contact.touchpoints.filter(url__contains="/thanks").exists())


def test_internal_pages_keep_the_session_source_and_urls_lose_personal_data(customer_site, page):
    tracked = TrackingSite.objects.create(name="Acme", allowed_origins=[customer_site.origin])
    customer_site.key = tracked.public_key
    page.goto(f"{customer_site.origin}/pricing?utm_source=newsletter&utm_medium=email")
    assert wait_for(lambda: Touchpoint.objects.filter(kind="page_view").exists())
    page.fill("input[name=work_email]", "jane@acme.example")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thanks!")
    assert wait_for(lambda: Touchpoint.objects.filter(url__contains="/thanks").exists())
    # The form submit and the thank-you page are part of the newsletter visit, not "Direct".
    channels = set(Touchpoint.objects.values_list("channel", flat=True))
    assert channels == {"Email"}, channels
    thanks = Touchpoint.objects.get(url__contains="/thanks")
    assert "jane" not in thanks.url and "first_name" not in thanks.url


def test_single_page_app_navigation_is_a_page_view(customer_site, page):
    tracked = TrackingSite.objects.create(name="App", allowed_origins=[customer_site.origin])
    customer_site.key = tracked.public_key
    page.goto(f"{customer_site.origin}/app")
    assert wait_for(lambda: Touchpoint.objects.filter(kind="page_view").count() == 1)
    page.click("#go")
    assert wait_for(lambda: Touchpoint.objects.filter(url__endswith="/app/pricing").exists())


def test_privacy_signal_and_required_consent_send_nothing_until_consent(customer_site, browser):
    tracked = TrackingSite.objects.create(name="Acme", allowed_origins=[customer_site.origin])
    customer_site.key = tracked.public_key
    context = browser.new_context()
    context.add_init_script(
        "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})"
    )
    gpc = context.new_page()
    gpc.goto(f"{customer_site.origin}/pricing")
    gpc.wait_for_function("window.smarketing && window.smarketing.loaded")
    gpc.evaluate("window.smarketing.flush()")
    time.sleep(1)
    assert Touchpoint.objects.count() == 0
    assert "smk_vid" not in {c["name"] for c in context.cookies()}
    context.close()
    context = browser.new_context()
    banner = context.new_page()
    banner.goto(f"{customer_site.origin}/consent")
    banner.wait_for_function("window.smarketing && window.smarketing.loaded")
    time.sleep(1)
    assert Touchpoint.objects.count() == 0
    banner.click("#yes")
    assert wait_for(lambda: Touchpoint.objects.filter(url__contains="/consent").exists())
    context.close()


def test_a_demo_form_fill_becomes_an_assigned_mql_with_a_clock_and_a_slack_message(
    customer_site, page, make_user
):
    import json

    from smarketing.ingest.models import WebhookEndpoint
    from smarketing.sla.actions import ensure_active_sla

    slack: list[dict] = []

    class Slack(BaseHTTPRequestHandler):
        def do_POST(self):
            slack.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rep = make_user("rep", team="Sales", capacity=10)
        ensure_active_sla()
        WebhookEndpoint.objects.create(
            name="Slack #leads", url=f"http://127.0.0.1:{server.server_address[1]}/",
            format="slack", kinds=["lead.mql", "lead.assigned"],
        )  # fmt: skip
        tracked = TrackingSite.objects.create(name="Acme", allowed_origins=[customer_site.origin])
        customer_site.key = tracked.public_key
        page.goto(f"{customer_site.origin}/pricing")
        page.fill("input[name=work_email]", "ines@globex.example")
        page.click("button[type=submit]")
        page.wait_for_selector("text=Thanks!")
        assert wait_for(
            lambda: Contact.objects.filter(email="ines@globex.example", lifecycle_stage="mql").exists()
        )
        contact = Contact.objects.get(email="ines@globex.example")
        assert contact.owner == rep
        clock = contact.sla_clocks.get()
        assert clock.decided_at is None and clock.first_touch_due is not None
        assert wait_for(lambda: len(slack) >= 2)
        texts = " ".join(m["text"] for m in slack)
        assert "marketing qualified lead" in texts and "assigned to" in texts
    finally:
        server.shutdown()
        server.server_close()
