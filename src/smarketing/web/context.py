"""Template context shared by every page: the navigation frame."""

from __future__ import annotations

NAVIGATION: list[tuple[str, str]] = [
    ("Dashboards", "reporting:dashboards"),
    ("Leads", "web:leads"),
    ("Inbox", "funnel:inbox"),
    ("Accounts", "web:accounts"),
    ("Deals", "web:deals"),
    ("Campaigns", "web:campaigns"),
    ("Attribution", "attribution:index"),
    ("Planning", "planning:index"),
    ("SLA", "sla:contract"),
    ("Content", "content:library"),
    ("Scoring", "scoring:index"),
]


def navigation(request) -> dict:
    """Add the navigation entries and the current section to every template."""
    match = getattr(request, "resolver_match", None)
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else ""
    return {"navigation": NAVIGATION, "current_view": current}
