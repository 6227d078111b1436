"""The report pages: app frame, month / week picker, PDF and CSV links, clear 400s."""

from __future__ import annotations

import html as htmllib
import re

import pytest

pypdf = pytest.importorskip("pypdf")
pytestmark = pytest.mark.django_db
MONTH, WEEK = "2026-01", "2026-W02"
QUERY_BOUND = {"monthly": 45, "weekly": 30, "management": 38}  # measured 36, 21, 29


@pytest.fixture
def viewer(client, make_user):
    client.force_login(make_user("viewer", team="Sales", role="manager"))
    return client


@pytest.mark.parametrize(
    ("url", "param", "value", "prev", "nxt"),
    [
        ("/reporting/reports/monthly/", "month", MONTH, "2025-12", "2026-02"),
        ("/reporting/reports/weekly/", "week", WEEK, "2026-W01", "2026-W03"),
        ("/reporting/reports/management/", "month", MONTH, "2025-12", "2026-02"),
    ],
)
def test_page_has_frame_picker_and_links(tiny, viewer, url, param, value, prev, nxt):
    r = viewer.get(f"{url}?{param}={value}")
    assert r.status_code == 200
    html = r.content.decode()
    assert '<nav class="main"' in html  # the app frame with the navigation
    assert 'aria-label="Reports"' in html  # monthly / weekly / management tabs
    assert f'<input type="{param}" name="{param}" value="{value}"' in html
    assert f'href="?{param}={value}&amp;format=pdf"' in html
    assert f'href="?{param}={value}&amp;format=csv"' in html
    assert f'href="?{param}={prev}"' in html and f'href="?{param}={nxt}"' in html
    csv_links = re.findall(rf'href="\?{param}={value}&amp;format=csv&amp;table=([\w-]+)"', html)
    assert csv_links, "every table has its CSV link"
    for name in csv_links:
        got = viewer.get(url, {param: value, "format": "csv", "table": name})
        assert got.status_code == 200 and got["Content-Type"].startswith("text/csv"), name
    pdf = viewer.get(url, {param: value, "format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content[:4] == b"%PDF"
    assert f"{value}.pdf" in pdf["Content-Disposition"]
    standalone = viewer.get(url, {param: value, "format": "html"}).content.decode()
    assert '<nav class="main"' not in standalone and "<script" not in standalone
    assert 'src="data:image/png;base64,' in standalone


def test_monthly_csv_is_the_funnel_table(tiny, viewer):
    r = viewer.get("/reporting/reports/monthly/", {"month": MONTH, "format": "csv"})
    lines = r.content.decode().splitlines()
    assert lines[0] == "Step,Contacts,Conversion to next,Median days to next"
    assert lines[1] == "Leads,3,0.6667,3.0"
    assert 'filename="smarketing-monthly-2026-01-funnel.csv"' in r["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"month": "2026-13"}, "month: period '2026-13': month must be 01 to 12"),
        ({"month": "13"}, "month: use YYYY-MM"),
        ({"month": "2026-Q1"}, "month: use YYYY-MM"),
        ({"month": MONTH, "format": "xml"}, "format: html, pdf or csv"),
        ({"month": MONTH, "format": "csv", "table": "nope"}, "table: 'nope' is not a table"),
        ({"month": "2026-13", "format": "pdf"}, "month must be 01 to 12"),
    ],
)
def test_bad_input_is_a_clear_400(tiny, viewer, query, message):
    r = viewer.get("/reporting/reports/monthly/", query)
    assert r.status_code == 400
    assert message in htmllib.unescape(r.content.decode())


def test_bad_week_page_keeps_the_frame(tiny, viewer):
    r = viewer.get("/reporting/reports/weekly/", {"week": "2026-W54"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "no ISO week 54 in 2026" in html and '<nav class="main"' in html
    assert '<input type="week" name="week"' in html  # the picker to fix it


def test_reports_need_a_login(client):
    assert client.get("/reporting/reports/monthly/").status_code == 302


def test_report_csv_is_stable(tiny, viewer):
    """Building a report twice gives the same figures (no hidden state between requests)."""
    first = viewer.get("/reporting/reports/monthly/", {"month": MONTH, "format": "csv"})
    again = viewer.get("/reporting/reports/monthly/", {"month": MONTH, "format": "csv"})
    assert first.content == again.content


@pytest.mark.parametrize(
    "url",
    [
        f"/reporting/reports/monthly/?month={MONTH}",
        f"/reporting/reports/weekly/?week={WEEK}",
        f"/reporting/reports/management/?month={MONTH}",
    ],
)
def test_report_queries_are_bounded(tiny, viewer, url, django_assert_max_num_queries):
    """A fixed set of grouped queries per report (NetBox's query-count idea): the bound does
    not depend on the rows; an N+1 (a query per deal, campaign or asset) would break it."""
    from django.core.cache import cache

    from smarketing.core import derived

    derived.rebuild_all()  # the worker's job: pages read the derived tables, never build them
    viewer.get(url)
    cache.clear()
    with django_assert_max_num_queries(QUERY_BOUND[url.split("/")[3]]):
        assert viewer.get(url).status_code == 200
