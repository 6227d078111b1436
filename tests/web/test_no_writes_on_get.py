"""GET never writes: every page of the app, opened as a logged-in user, runs no INSERT, UPDATE
or DELETE (derived tables are kept fresh by the write path and the worker, never by a read).

The pages are found by crawling: the navigation, every dashboard with filters, the reports,
and every same-site link on the pages reached (detail pages, CSV downloads, filters, ...),
so a new page is covered without editing this test.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import connection
from django.urls import reverse

from smarketing.web.context import NAVIGATION

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE|CREATE|DROP|ALTER)\b", re.I)
HREF = re.compile(r'href="([^"#]+)"')
#: Not pages: the logout endpoint (POST-only), static files, the API's JSON (its own tests).
SKIP = re.compile(r"^/(logout|static/|api/)")
LIMIT = 400  # pages; the small demo company yields fewer


TEMP = re.compile(r'^\s*CREATE\s+TEMP(ORARY)?\s+TABLE\s+(IF NOT EXISTS\s+)?"?(\w+)', re.I)
TARGET = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|DROP\s+TABLE(?:\s+IF\s+EXISTS)?)\s+"?(\w+)', re.I
)


class WriteCounter:
    """An ``execute_wrapper`` recording every writing SQL statement. A query's own temporary
    tables (connection-scoped scratch space, e.g. the attribution engine's inputs) are not
    stored data: creating, filling and dropping them is not a write."""

    def __init__(self):
        self.writes: list[str] = []
        self.temp: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        temp = TEMP.match(sql)
        if temp:
            self.temp.add(temp.group(3).lower())
        elif WRITE.match(sql):
            target = TARGET.match(sql)
            if not (target and target.group(1).lower() in self.temp):
                self.writes.append(sql[:200])
        return execute(sql, params, many, context)


def _seeds() -> list[str]:
    urls = [reverse(name) for _, name in NAVIGATION]
    for name in ("marketing", "sales", "smarketing"):
        base = reverse("reporting:dashboard", args=[name])
        urls += [
            base,
            f"{base}?period=2026",
            f"{base}?period=2026-Q1&channel=paid",
            f"{base}?period=2026-03&segment=enterprise",
        ]
    urls += [
        "/reporting/closed-loop/?by=campaign&view=cohort&period=2026",
        "/reporting/closed-loop/?by=channel&period=2026-Q1&format=csv",
    ]
    return urls


def _links(html: str, base: str) -> list[str]:
    out = []
    for href in HREF.findall(html):
        parts = urlsplit(urljoin(base, href.replace("&amp;", "&")))
        if parts.netloc and parts.netloc != "testserver":
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url.startswith("/") and not SKIP.match(url):
            out.append(url)
    return out


def _make_derived_tables_stale() -> None:
    """Records written behind the write path's back (no on-commit refresh in this test), so
    every page meets stale derived tables: a read that caught them up would write."""
    from django.utils import timezone

    from smarketing.crm.models import Contact
    from smarketing.funnel.models import StageChange
    from smarketing.sla.models import ComplianceSnapshot

    contact = Contact.objects.filter(lifecycle_stage="lead").first()
    StageChange.objects.create(contact=contact, to_stage="mql", changed_at=timezone.now())
    ComplianceSnapshot.objects.all().delete()  # the SLA figures are then computed live


def test_no_page_writes_on_get(client, demo_company):
    from smarketing.reporting import facts

    _make_derived_tables_stale()
    assert facts.is_stale()
    assert client.login(username="sam", password="smarketing-demo")  # the login itself writes
    client.get(reverse("web:home"))  # the first request after login (session already saved)
    seen: set[str] = set()
    queue = deque(_seeds())
    offenders: dict[str, list[str]] = {}
    errors: dict[str, int] = {}
    while queue and len(seen) < LIMIT:
        url = queue.popleft()
        # one page per route shape is enough for detail pages (/contacts/12/ ~ /contacts/13/)
        shape = re.sub(r"/\d+(?=/|$)", "/N", url.split("?")[0]) + (
            "?" + url.split("?", 1)[1] if "?" in url and "/N" not in url else ""
        )
        if shape in seen:
            continue
        seen.add(shape)
        counter = WriteCounter()  # per page: temporary tables live within it
        with connection.execute_wrapper(counter):
            response = client.get(url)
        if counter.writes:
            offenders[url] = counter.writes
        if response.status_code >= 500:
            errors[url] = response.status_code
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and content_type.startswith("text/html"):
            queue.extend(_links(response.content.decode(), url))
    print(f"{len(seen)} pages opened")
    assert len(seen) > 40, sorted(seen)  # the crawl reached the app, not just the seeds
    assert not errors, errors
    assert not offenders, offenders
    assert facts.is_stale()  # no page caught the facts up
