"""Shared fixtures: users, API tokens, a demo company, a real HTTP server, a real browser."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Hash test passwords with MD5: PBKDF2's deliberate slowness only slows the suite."""
    from django.test.utils import override_settings

    override = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    override.enable()
    yield
    override.disable()


@pytest.fixture(autouse=True, scope="session")
def _huey_immediate():
    """Run huey tasks inline in tests (the real task code, no worker process)."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the (per-process) cache: start each test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def make_user(db):
    """Create a user with a profile: ``make_user("sam", team="Sales", role="member")``."""
    from smarketing.core.actions import do_create_user
    from smarketing.core.models import Team

    def make(
        username: str,
        *,
        team: str | None = None,
        kind: str = "sales",
        role: str = "member",
        **profile,
    ):
        team_obj = (
            Team.objects.get_or_create(name=team, defaults={"kind": kind})[0] if team else None
        )
        return do_create_user(
            username=username, password="pw-" + username, team=team_obj, role=role, **profile
        )

    return make


@pytest.fixture
def admin_user_(make_user):
    return make_user("root", role="admin")


@pytest.fixture
def api_token(make_user):
    """``(user, secret)`` for a token with read and write scopes."""
    from smarketing.core.actions import do_create_token

    user = make_user("apiuser", role="manager")
    _, secret = do_create_token(user=user, name="tests", scopes=["read", "write"])
    return user, secret


@pytest.fixture
def demo_company(db):
    """The small demo company (2k contacts, ~20k touchpoints), generated with seed 7."""
    from smarketing.demo.generator import generate

    return generate(size="small", seed=7)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped when Chromium is not installed."""
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so tell Django not to refuse them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
