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


class CustomerSite:
    """The customer's website on its own origin, serving a page with the snippet."""

    def __init__(self, app_url: str):
        self.key = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/thanks"):
                    html = THANKS.format(app=app_url, key=site.key)
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
