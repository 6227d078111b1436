"""Dashboards, CSV, share links, reports and the `report` command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail, signing
from django.core.management import CommandError, call_command
from django.utils import timezone

from smarketing.reporting import reports
from smarketing.reporting.actions import (
    do_create_share_link,
    do_revoke_share_link,
    do_set_recipient,
)
from smarketing.reporting.filters import parse_filters
from smarketing.reporting.selectors import closed_loop

pytestmark = pytest.mark.django_db
UTC = dt.UTC
MONTH = "2026-01"


def test_closed_loop_on_the_app_db(tiny):
    r = closed_loop(parse_filters({"period": MONTH}), by="channel").row("paid")
    assert (r.leads, r.mqls, r.sqls, r.won, r.revenue, r.cost) == (2, 2, 1, 1, 1000.0, 310.0)
    assert r.roi == pytest.approx(690 / 310)
    assert r.velocity_days["leads_to_mqls"] == 3.0
    assert r.rejection_reasons == [("no_budget", 1)]


def test_monthly_report_agrees_with_closed_loop(tiny):
    ctx = reports.monthly_context(MONTH)
    total = closed_loop(parse_filters({"period": MONTH})).row("all")
    assert ctx["total"] == total
    assert (total.leads, total.won_deals, total.revenue, total.cost) == (3, 1, 1000.0, 310.0)
    html = reports.render_html(ctx)
    assert "Monthly smarketing report" in html and "1,000" in html and "<script" not in html
    paid = next(r for r in ctx["breakdowns"]["channel"] if r.key == "paid")
    assert paid.leads == 2


def test_report_command_html_pdf_and_errors(tiny, tmp_path):
    out = tmp_path / "m.html"
    call_command("report", "monthly", "--month", MONTH, "-o", str(out), stdout=io.StringIO())
    assert "Closed loop" in out.read_text()
    pdf = tmp_path / "m.pdf"
    try:
        call_command(
            "report",
            "monthly",
            "--month",
            MONTH,
            "--format",
            "pdf",
            "-o",
            str(pdf),
            stdout=io.StringIO(),
        )
    except CommandError as exc:  # WeasyPrint missing: a clear message, no traceback
        assert "WeasyPrint" in str(exc)
    else:
        assert pdf.read_bytes()[:4] == b"%PDF"
    weekly = io.StringIO()
    call_command("report", "weekly", "--week", "2026-W02", stdout=weekly)
    assert "Weekly smarketing brief" in weekly.getvalue()
    with pytest.raises(CommandError, match="month"):
        call_command("report", "monthly", "--month", "2026-Q1")
    with pytest.raises(CommandError, match="week"):
        call_command("report", "weekly", "--week", "2026-W60")


def test_scheduled_send_is_idempotent(tiny, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    do_set_recipient(email="Boss@Example.com", kind="monthly")
    from smarketing.reporting.delivery import send_report

    assert send_report("monthly", MONTH) == ["boss@example.com"]
    assert send_report("monthly", MONTH) == []  # a retried task does not mail twice
    assert len(mail.outbox) == 1 and "2026-01" in mail.outbox[0].subject


def _login(client, make_user):
    client.force_login(make_user("viewer", team="Sales", role="manager"))


@pytest.mark.parametrize("name", ["marketing", "sales", "smarketing"])
def test_dashboards_render_with_bounded_queries(
    tiny, client, make_user, name, django_assert_max_num_queries
):
    from django.core.cache import cache

    _login(client, make_user)
    # a fixed set of grouped queries (closed loop ~7 per grouping + one per chart + filters);
    # it must not grow with the rows (no N+1). The first view also builds the reporting
    # tables and the month's stored SLA figures (a fixed set of statements); later cold views
    # (result cache cleared) read them
    with django_assert_max_num_queries(75):
        r = client.get(f"/reporting/{name}/?period={MONTH}")
    assert r.status_code == 200
    assert "/assets/plotly.js" in r.content.decode()  # one chart helper, Plotly served locally
    cache.clear()
    with django_assert_max_num_queries(45):
        assert client.get(f"/reporting/{name}/?period={MONTH}").status_code == 200


def test_bad_filters_are_400(client, make_user):
    _login(client, make_user)
    assert client.get("/reporting/marketing/?period=someday").status_code == 400
    assert client.get("/reporting/marketing/?owner=abc").status_code == 400
    assert client.get("/reporting/closed-loop/?by=colour").status_code == 400
    assert client.get("/reporting/nope/").status_code == 404


def test_chart_csv(tiny, client, make_user):
    _login(client, make_user)
    r = client.get(f"/reporting/smarketing/funnel.csv?period={MONTH}")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    lines = r.content.decode().strip().splitlines()
    assert lines[0] == "step,count,conversion_to_next,median_days_to_next"
    assert lines[1].startswith("Leads,3,")
    assert client.get(f"/reporting/sales/nochart.csv?period={MONTH}").status_code == 404


def test_share_link_valid_expired_revoked_tampered(tiny, client, make_user):
    link, token = do_create_share_link(dashboard="smarketing", params={"period": MONTH}, days=7)
    anon = client  # not logged in
    assert anon.get("/reporting/smarketing/").status_code == 302  # dashboards need a login
    ok = anon.get(f"/reporting/s/{token}/")
    assert ok.status_code == 200 and "Read-only shared view" in ok.content.decode()
    assert anon.get(f"/reporting/s/{token}/funnel.csv").status_code == 200
    assert anon.get(f"/reporting/s/{token[:-2]}xx/").status_code == 404  # tampered
    forged = signing.dumps({"id": link.pk, "d": "sales"}, salt="other")
    assert anon.get(f"/reporting/s/{forged}/").status_code == 404
    link.expires_at = timezone.now() - dt.timedelta(seconds=1)
    link.save()
    assert anon.get(f"/reporting/s/{token}/").status_code == 404  # expired
    link2, token2 = do_create_share_link(dashboard="sales", params={"period": MONTH})
    do_revoke_share_link(link=link2)
    assert anon.get(f"/reporting/s/{token2}/").status_code == 404  # revoked


def test_share_link_created_from_the_page(tiny, client, make_user):
    _login(client, make_user)
    r = client.post("/reporting/marketing/share/", {"period": MONTH, "days": "3"})
    assert r.status_code == 302
    assert client.post("/reporting/marketing/share/", {"days": "999"}).status_code == 400


def test_report_pages(tiny, client, make_user):
    _login(client, make_user)
    assert client.get(f"/reporting/reports/monthly/?month={MONTH}").status_code == 200
    assert client.get("/reporting/reports/weekly/?week=2026-W02").status_code == 200
    assert client.get(f"/reporting/reports/management/?month={MONTH}").status_code == 200
    assert client.get("/reporting/reports/monthly/?month=13").status_code == 400


@pytest.mark.slow
def test_demo_company_dashboards(demo_company, client, make_user):
    """The demo company: every dashboard and report renders with real data."""
    _login(client, make_user)
    q = f"{timezone.now().year}"
    for name in ("marketing", "sales", "smarketing"):
        r = client.get(f"/reporting/{name}/?period={q}")
        assert r.status_code == 200
        assert "Could not compute" not in r.content.decode()
    month = f"{timezone.now().date().replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    assert client.get(f"/reporting/reports/monthly/?month={month}").status_code == 200


def test_api_closed_loop_and_chart(tiny, client, api_token):
    _, secret = api_token
    h = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    r = client.get(f"/api/reporting/closed-loop?by=channel&period={MONTH}", **h)
    assert r.status_code == 200
    paid = next(row for row in r.json()["rows"] if row["key"] == "paid")
    assert (paid["leads"], paid["revenue"]) == (2, 1000.0)
    assert client.get("/api/reporting/closed-loop?by=x", **h).status_code == 422
    assert client.get("/api/reporting/closed-loop?period=zz", **h).status_code == 422
    c = client.get(f"/api/reporting/dashboards/smarketing/funnel?period={MONTH}", **h).json()
    assert c["rows"][0][:2] == ["Leads", 3]
