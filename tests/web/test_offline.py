"""Every page works offline and shows no placeholder values: rendered with the test client
(no browser), each page's scripts, stylesheets, images, fonts and frames come from this
server, and no page prints "nan", "None" or "-100%" where a value does not apply."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from tests.web.pages import all_pages

pytestmark = pytest.mark.django_db

#: (tag, attribute) pairs that make the browser load something.
LOADS = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("iframe", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
}
#: ``<link rel=…>`` kinds that load a resource.
LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch",
                "modulepreload", "manifest", "mask-icon"}  # fmt: skip
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")
#: Words that leak from Python/pandas into a page when a value is missing.
PLACEHOLDER = re.compile(r"(?<![\w-])(nan|NaN|None)(?![\w])")
#: ROI of a conversion with no value: -100% everywhere, where ROI does not apply.
MINUS_100 = re.compile(r"(?<![\w])[-−]100(?:\.0+)?\s?%")
#: Pages where every ROI is of a conversion without value (a real -100% is possible elsewhere:
#: cost spent, nothing won).
NO_VALUE_PAGES = ("/attribution/?conversion=mql", "/attribution/?conversion=lead")
class _Page(HTMLParser):
    """Collects what a page loads and its visible text (not scripts or styles)."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for attr in ("src", "srcset", "data"):
            if (tag, attr) in LOADS and a.get(attr):
                self.loads += [u.strip().split(" ")[0] for u in a[attr].split(",")]
        rels = set((a.get("rel") or "").lower().split())
        if tag == "link" and a.get("href") and LOADING_RELS & rels:
            self.loads.append(a["href"])
        if a.get("style"):
            self.styles.append(a["style"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            if self.lasttag == "style":
                self.styles.append(data)
            return
        self.text.append(data)


def _external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.netloc) and parts.netloc != "testserver"


def _css_urls(css: str) -> list[str]:
    return [a or b for a, b in CSS_URL.findall(css)]


def _render_all(client) -> dict[str, _Page]:
    """``{path: parsed page}`` of every page, seen by the marketing manager."""
    assert client.login(username="maria", password="smarketing-demo")
    out, problems = {}, []
    for path in all_pages():
        r = client.get(path)
        if r.status_code in (301, 302) and path != "/":
            r = client.get(r["Location"])
        if r.status_code >= 400:
            problems.append(f"{path}: HTTP {r.status_code}")
            continue
        if not r.get("Content-Type", "").startswith("text/html"):
            continue
        parsed = _Page()
        parsed.feed(r.content.decode())
        out[path] = parsed
    assert not problems, "pages that do not render:\n" + "\n".join(problems)
    return out


def test_every_page_is_offline_and_shows_no_placeholders(client, demo_company):
    """One render of every page (the demo company is built once) checked for both."""
    pages = _render_all(client)
    _check_offline(client, pages)
    _check_placeholders(pages)


def _check_offline(client, pages):
    external, local_css = [], set()
    for path, page in pages.items():
        for url in page.loads + [u for s in page.styles for u in _css_urls(s)]:
            if _external(url):
                external.append(f"{path}: {url}")
            elif url.split("?")[0].endswith(".css"):
                local_css.add(url.split("?")[0])
    assert "/api/docs" in pages, "the API docs page was not rendered"
    assert local_css, "no stylesheet found: the scan is broken"
    for css in sorted(local_css):  # fonts and images a stylesheet pulls in
        r = client.get(css)
        assert r.status_code == 200, f"{css}: HTTP {r.status_code}"
        body = b"".join(r.streaming_content) if r.streaming else r.content
        external += [f"{css}: {u}" for u in _css_urls(body.decode()) if _external(u)]
    assert not external, "loaded from another host (the product must work offline):\n" + (
        "\n".join(external)
    )


def _check_placeholders(pages):
    found = []
    for path, page in pages.items():
        text = " ".join(page.text)
        matches = list(PLACEHOLDER.finditer(text))
        if path.startswith(NO_VALUE_PAGES):
            matches += MINUS_100.finditer(text)
        for m in matches:
            context = text[max(0, m.start() - 60) : m.end() + 20].replace("\n", " ")
            found.append(f"{path}: {m.group(0)!r} in …{context.strip()}…")
    assert not found, "placeholder values on pages (show — with a reason instead):\n" + (
        "\n".join(found[:40])
    )
