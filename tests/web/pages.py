"""The pages of the app a user can open: every GET page of the URL map without parameters,
plus the detail, report and share pages the crawls open. Shared by the offline test and the
browser crawl."""

from __future__ import annotations

from datetime import date

from django.urls import URLPattern, URLResolver, get_resolver

#: URL prefixes that are not pages of the app (or not pages at all).
SKIP_PREFIXES = ("admin/", "logout/", "api/", "ingest/", "static/", "assets/", "healthz")
#: Pages that only answer POST, or answer a download rather than a page.
SKIP_PATHS = {
    "/login/",
    "/sla/notifications/read",
    "/planning/goal/",
    "/favicon.ico",
    "/abm/targets/tiers",
}
#: Older URLs that answer the same page as another entry (opened once, under the other).
ALIASES = {"/planning/plan/"}


def _walk(patterns, prefix: str = ""):
    for p in patterns:
        route = str(p.pattern)
        if "<" in route or route.startswith("^"):
            continue
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            yield "/" + prefix + route


def parameterless_pages() -> list[str]:
    """Every URL of the URL map without path parameters that may be a page."""
    out = []
    for path in _walk(get_resolver().url_patterns):
        if path.lstrip("/").startswith(SKIP_PREFIXES) or path in SKIP_PATHS | ALIASES:
            continue
        if path.endswith((".js", ".csv", ".json", ".pdf", ".css")):
            continue
        out.append(path)
    return sorted(set(out))


def previous_quarter(today: date | None = None) -> str:
    """The quarter before today's (a full quarter of demo data, whatever the date)."""
    today = today or date.today()
    q = (today.month - 1) // 3 + 1
    year, q = (today.year, q - 1) if q > 1 else (today.year - 1, 4)
    return f"{year}-Q{q}"


def extra_pages() -> list[str]:
    """Detail, report, dashboard and share pages (needs the demo company in the database)."""
    from smarketing.crm.models import Account, Contact
    from smarketing.reporting.actions import do_create_share_link

    contact = Contact.objects.filter(lifecycle_stage="customer").first()
    account = Account.objects.first()
    _, token = do_create_share_link(dashboard="smarketing", days=7, label="crawl")
    pages = [
        "/",
        "/reporting/marketing/",
        "/reporting/sales/",
        "/reporting/smarketing/",
        f"/reporting/s/{token}/",
        "/reporting/closed-loop/",
        "/reporting/reports/monthly/",
        "/reporting/reports/weekly/",
        "/reporting/reports/management/",
        "/planning/",
        "/attribution/",
        "/attribution/?conversion=mql&by=campaign",
        "/attribution/?conversion=lead&by=channel",
        "/sla/compliance/",
        "/scoring/model/",
        "/api/docs",
    ]
    if contact:
        pages.append(f"/leads/{contact.pk}/")
    if account:
        pages.append(f"/accounts/{account.pk}/")
    return pages


def is_variant(path: str) -> bool:
    """A page opened again with other parameters, or a record's detail page: one role's
    visit is enough for those (the pages themselves are the same for every role)."""
    return "?" in path or path.startswith(("/leads/", "/accounts/")) and path.count("/") > 2


def all_pages() -> list[str]:
    """Every page the crawls open, each once, in a stable order."""
    seen, out = set(), []
    for path in [*extra_pages(), *parameterless_pages()]:
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out
