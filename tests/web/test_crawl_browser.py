"""The whole app in a real Chromium, as each demo role: every page of the navigation, every
dashboard, report and chart page. A page fails on an HTTP status >= 400, a console error, a
failed request or a request to another host; a chart fails (named with its page) when it
draws no trace with a data point, or when two elements of a page share an id.

One demo company is built for the whole crawl (the slow part); roles share one browser. The
marketing manager also opens the dashboards for the last full quarter, where every chart
must draw (the current quarter may have just begun).
"""

from __future__ import annotations

import time

import pytest
from tests.web.pages import all_pages, is_variant, previous_quarter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: One login per demo role (``sara`` has ``sam``'s role: a sales rep). Every role opens every
#: page; record details only the marketing manager (see ``is_variant``).
ROLES = {
    "admin": "admin",
    "maria": "marketing manager",
    "mike": "sales manager",
    "sam": "sales rep",
}

#: Generous: the first view of a page computes what later views read from caches, and CI
#: machines are shared. A page slower than this is a failure (named), not a hang.
NAVIGATION_TIMEOUT_MS = 120_000

#: Pages only managers and admins may open (a rep gets 403 there, rightly).
MANAGERS_ONLY = {"/scoring/edit/", "/sla/contract/edit/", "/abm/icp/", "/content/assets/new"}
MANAGERS = {"admin", "maria", "mike"}

#: Every chart on the page: drawn by Plotly, with its traces and the most points of one trace.
CHARTS_JS = """() => Array.from(document.querySelectorAll(".chart[data-figure]")).map(div => {
  const count = t => Math.max(...["x", "y", "values"].map(k => t[k] ? Array.from(t[k])
      .filter(v => v !== null && v !== undefined && !(typeof v === "number" && isNaN(v)))
      .length : 0));
  const data = div.data || [];
  return {id: div.id, title: div.dataset.title || div.id,
          drawn: !!div._fullLayout && div.querySelectorAll(".main-svg .trace").length > 0,
          traces: data.length, points: data.length ? Math.max(...data.map(count)) : 0};
})"""
READY_JS = """() => document.readyState === "complete" &&
  Array.from(document.querySelectorAll(".chart[data-figure]")).every(
    d => d._fullLayout || d.classList.contains("muted"))"""
DUPLICATE_IDS_JS = """() => { const seen = {}, dup = new Set();
  document.querySelectorAll("[id]").forEach(e => { if (seen[e.id]) dup.add(e.id); seen[e.id] = 1; });
  return Array.from(dup); }"""
EMPTY_JS = """() => Array.from(document.querySelectorAll(".chart-card")).filter(
  c => !c.querySelector(".chart[data-figure]")).map(c => c.querySelector("h2").innerText)"""


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "smarketing-demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def _watch(page, base: str, problems: list[str], where: list[str]) -> None:
    """Record every console error, failed or outside request and HTTP error of the page."""

    def at() -> str:
        return where[0] if where else "?"

    def on_console(msg):
        if msg.type == "error":
            problems.append(f"{at()}: console error: {msg.text}")

    def on_request(req):
        if not req.url.startswith((base, "data:", "blob:")):
            problems.append(f"{at()}: request to another host: {req.url}")

    def on_response(resp):
        if resp.status >= 400:
            problems.append(f"{at()}: HTTP {resp.status} for {resp.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{at()}: page error: {exc}"))
    page.on("request", on_request)

    def on_failed(req):
        # The browser's own favicon fetch is cancelled when the crawl moves on: not a page's.
        if "favicon" not in req.url:
            problems.append(f"{at()}: failed request {req.url} ({req.failure})")

    page.on("requestfailed", on_failed)
    page.on("response", on_response)


def _check_page(page, base: str, path: str, role: str, problems: list[str]) -> None:
    try:
        page.goto(base + path, wait_until="load", timeout=NAVIGATION_TIMEOUT_MS)
    except Exception as exc:  # noqa: BLE001 - reported with the page; the crawl goes on
        problems.append(f"{role} {path}: did not load: {str(exc).splitlines()[0]}")
        return
    try:
        page.wait_for_function(READY_JS, timeout=20_000)
    except Exception:  # noqa: BLE001 - reported with the page; the crawl goes on
        problems.append(f"{role} {path}: charts not drawn within 20 s")
        return
    for c in page.evaluate(CHARTS_JS):
        if not c["drawn"] or c["traces"] == 0 or c["points"] == 0:
            problems.append(
                f"{role} {path}: chart {c['title']!r} (#{c['id']}) draws no data "
                f"(drawn={c['drawn']}, traces={c['traces']}, points={c['points']})"
            )
    for dup in page.evaluate(DUPLICATE_IDS_JS):
        problems.append(f"{role} {path}: id {dup!r} used twice")
    if path == "/api/docs":
        try:
            page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        except Exception:  # noqa: BLE001
            problems.append(f"{role} {path}: Swagger UI did not render the API")


def _check_full_quarter(page, base: str, problems: list[str], where: list[str]) -> None:
    """A past quarter of the demo company has data for every dashboard chart: none may show
    the empty state (goal pacing may be unavailable: the demo's goal is this quarter's)."""
    for name in ("marketing", "sales", "smarketing"):
        path = f"/reporting/{name}/?period={previous_quarter()}"
        where[:] = [f"marketing manager {path}"]
        _check_page(page, base, path, "marketing manager", problems)
        for title in page.evaluate(EMPTY_JS):
            if "pacing" not in title.lower():
                problems.append(f"marketing manager {path}: chart {title!r} shows no data")


def test_every_page_and_chart_as_every_role(live_server, browser):
    from smarketing.demo.generator import generate

    generate(size="small", seed=7)
    base = live_server.url
    pages = all_pages()
    problems: list[str] = []
    timings: list[tuple[float, str]] = []
    for username, role in ROLES.items():
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        where: list[str] = []
        _watch(page, base, problems, where)
        where[:] = [f"{role} /login/"]
        _login(page, base, username)
        for path in pages:
            if path in MANAGERS_ONLY and username not in MANAGERS:
                continue
            # Query variants are the same views and charts (test_offline renders each one);
            # record details are the same for every role: the marketing manager opens them.
            if "?" in path or (is_variant(path) and username != "maria"):
                continue
            if path == "/api/docs" and username != "maria":  # the same page for every role
                continue
            where[:] = [f"{role} {path}"]
            started = time.monotonic()
            _check_page(page, base, path, role, problems)
            timings.append((time.monotonic() - started, f"{role} {path}"))
        if username == "maria":
            _check_full_quarter(page, base, problems, where)
        context.close()
    slowest = sorted(timings, reverse=True)[:5]
    print("crawl:", len(timings), "pages; slowest:", [f"{p} {t:.1f}s" for t, p in slowest])
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
