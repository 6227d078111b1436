"""Query-count guard (NetBox's ``query_counts`` idea): no page's queries grow with the data.

Every page of the navigation, the three dashboards and the closed-loop report are rendered
on a small generated company and again on one four times its size; a page that needs more
queries on the larger company reads per row somewhere (an N+1) and fails, named with both
counts. Each page is rendered once before it is counted (process caches such as compiled
SQL warm up then) and the cache is cleared before the counted render, so both companies are
counted cold. Timing is not checked here: that is ``benchmarks/pages_bench.py``.

Counted are the queries on Django's connection (the ORM, and Ibis SQL run through
``reporting.sqlcache``); an Ibis expression executed on the Ibis backend's own connection is
not seen here.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from smarketing.web.context import NAVIGATION

pytestmark = pytest.mark.django_db(transaction=True)

#: (contacts, touchpoints) of the two companies.
SMALL, LARGE = (60, 600), (240, 2_400)
EXTRA_PAGES = [
    ("reporting:dashboard", ["marketing"]),
    ("reporting:dashboard", ["sales"]),
    ("reporting:dashboard", ["smarketing"]),
    ("reporting:closed_loop", []),
]


def _urls() -> list[str]:
    return [reverse(name) for _, name in NAVIGATION] + [
        reverse(name, args=args) for name, args in EXTRA_PAGES
    ]


def _company(monkeypatch, size: tuple[int, int]) -> None:
    """An empty database, then a generated company of ``size`` (the demo generator's path)."""
    from smarketing.demo import catalogue, generator

    call_command("flush", interactive=False, verbosity=0)
    sizes = {**catalogue.SIZES, "guard": size}
    monkeypatch.setattr(catalogue, "SIZES", sizes)
    monkeypatch.setattr(generator, "SIZES", sizes)
    generator.generate(size="guard", seed=11)


def _counts(client) -> dict[str, int]:
    assert client.login(username="admin", password="smarketing-demo")
    out = {}
    for url in _urls():
        assert client.get(url).status_code == 200, url
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        out[url] = len(queries)
    return out


def test_no_page_reads_per_row(client, monkeypatch):
    _company(monkeypatch, SMALL)
    small = _counts(client)
    _company(monkeypatch, LARGE)
    large = _counts(client)
    grown = {url: (small[url], n) for url, n in large.items() if n > small[url]}
    assert not grown, "query count grows with the data (small company -> 4x): " + ", ".join(
        f"{url} {a} -> {b}" for url, (a, b) in grown.items()
    )
