"""Template context shared by every page: the navigation frame."""

from __future__ import annotations

NAVIGATION: list[tuple[str, str]] = [
    ("Dashboards", "reporting:dashboards"),
    ("Leads", "web:leads"),
    ("Inbox", "funnel:inbox"),
    ("Accounts", "web:accounts"),
    ("ABM", "abm:dashboard"),
    ("Deals", "web:deals"),
    ("Campaigns", "web:campaigns"),
    ("Attribution", "attribution:index"),
    ("Planning", "planning:index"),
    ("SLA", "sla:contract"),
    ("Content", "content:library"),
    ("Scoring", "scoring:index"),
    ("Import", "csvimport:upload"),
]


#: Pages of the web shell that belong to a navigation entry besides the entry's own page.
_WEB_SUBPAGES = {"leads": {"contact"}, "accounts": {"account"}}


def _is_active(name: str, match) -> bool:
    namespace, _, url_name = name.partition(":")
    if match is None or match.namespace != namespace:
        return False
    # Each app is one section; the web shell holds several, told apart by page name.
    return namespace != "web" or match.url_name in {url_name, *_WEB_SUBPAGES.get(url_name, ())}


def navigation(request) -> dict:
    """Add the navigation entries, each marked active when the page belongs to it."""
    match = getattr(request, "resolver_match", None)
    entries = [(label, name, _is_active(name, match)) for label, name in NAVIGATION]
    return {"navigation": entries}
