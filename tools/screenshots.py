"""Screenshots of the running demo, as each role sees it (1440 px wide, full page).

    .venv/bin/smarketing demo            # in one terminal (serves http://127.0.0.1:8000)
    .venv/bin/python tools/screenshots.py --out docs/img/pages [--base http://127.0.0.1:8000]
        [--user maria --user sam] [--page /reporting/marketing/ ...]

Drives Debian's Chromium (/usr/bin/chromium) with Playwright; logs in with the demo password.
Prints each file written and any console error or failed request it saw on the way.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

PAGES = [
    "/funnel/inbox/",
    "/reporting/marketing/",
    "/reporting/sales/",
    "/reporting/smarketing/",
    "/attribution/",
    "/planning/",
    "/abm/",
    "/abm/targets/",
    "/content/",
    "/reporting/reports/monthly/",
    "/sla/",
    "/api/docs",
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/img/pages")
    parser.add_argument("--user", action="append", default=None)
    parser.add_argument("--page", action="append", default=None)
    parser.add_argument("--password", default="smarketing-demo")
    parser.add_argument("--width", type=int, default=1440)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for user in args.user or ["maria", "sam"]:
            context = browser.new_context(viewport={"width": args.width, "height": 900})
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda m, p=problems: m.type == "error" and p.append(m.text))
            page.on("requestfailed", lambda r, p=problems: p.append(f"failed {r.url}"))
            page.goto(args.base + "/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", args.password)
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_load_state("networkidle")
            for path in args.page or PAGES:
                response = page.goto(args.base + path, wait_until="networkidle", timeout=120_000)
                page.wait_for_timeout(500)
                name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                target = out / f"{user}-{name}-{args.width}.png"
                page.screenshot(path=str(target), full_page=True)
                status = response.status if response else "?"
                print(f"{target} (HTTP {status})" + (f" problems: {problems}" if problems else ""))
                problems.clear()
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
