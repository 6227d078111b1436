import time, pytest
from tests.ingest.test_tracking_browser import *  # noqa
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_dbg(customer_site, page, live_server):
    tracked = TrackingSite.objects.create(name="Acme", allowed_origins=[customer_site.origin])
    customer_site.key = tracked.public_key
    page.on("console", lambda m: print("CONSOLE", m.text))
    page.on("request", lambda r: print("REQ", r.method, r.url))
    page.on("response", lambda r: print("RESP", r.status, r.url))
    page.on("requestfailed", lambda r: print("FAIL", r.url, r.failure))
    print("live", live_server.url, "origin", customer_site.origin)
    page.goto(f"{customer_site.origin}/pricing?utm_source=newsletter&utm_medium=email")
    time.sleep(3)
    print(Touchpoint.objects.count())
