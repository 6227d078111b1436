"""Security headers (CSP with nonces, Permissions-Policy, no-store), production guards, and
``smarketing check --deploy``; a real Chromium checks that no page breaks the CSP."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

SMARKETING = os.path.join(os.path.dirname(sys.executable), "smarketing")


@pytest.mark.django_db
def test_pages_carry_csp_with_the_nonce_of_their_scripts(client, make_user):
    client.force_login(make_user("ada", role="admin"))
    # The dashboards have no inline script left (charts are drawn by a static file); the
    # attribution page still has one (its in-place update), which must carry the nonce.
    for url in ("/attribution/", "/reporting/marketing/"):
        page = client.get(url)
        nonce = re.search(r"'nonce-([^']+)'", page["Content-Security-Policy"]).group(1)
        executable = [
            attrs
            for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.content.decode())
            if "application/json" not in attrs
        ]
        assert all(f'nonce="{nonce}"' in attrs for attrs in executable), url
        if url == "/attribution/":
            assert executable
    response = client.get("/reporting/marketing/")
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-store, private"
    assert client.get("/reporting/marketing/")["Content-Security-Policy"] != csp  # per request


@pytest.mark.django_db
def test_no_inline_event_handlers_in_any_template():
    from pathlib import Path

    import smarketing

    root = Path(smarketing.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if re.search(r"\son[a-z]+=\"|href=\"javascript:", p.read_text())
    ]
    assert not offenders


@pytest.mark.django_db
def test_signed_in_pages_are_not_stored_but_static_scripts_are_cached(client, make_user):
    client.force_login(make_user("ada", role="admin"))
    assert client.get("/leads/")["Cache-Control"] == "no-store, private"
    assert "no-store" not in client.get("/ingest/t.js")["Cache-Control"]


@pytest.mark.django_db
def test_check_deploy_fails_on_weak_settings(settings):
    settings.PRODUCTION = False
    with pytest.raises(SystemCheckError, match="smarketing.E001"):
        call_command("check", deploy=True)


@pytest.mark.django_db
def test_check_deploy_passes_a_hardened_production(settings):
    settings.PRODUCTION, settings.DEBUG, settings.ALLOWED_HOSTS = True, False, ["crm.example.com"]
    settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT = 31536000, True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    call_command("check", deploy=True, fail_level="ERROR")  # warnings only


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "1"}, "DEBUG=1 is refused"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS=* is refused"),
        ({"SECURE_PROXY_SSL_HEADER": "X_FORWARDED_PROTO"}, "HEADER,VALUE"),
    ],
)
def test_production_refuses_weak_settings_at_start(tmp_path, env, message):
    full = {
        **os.environ,
        "SMARKETING_PRODUCTION": "1",
        "SECRET_KEY": "k" * 60,
        "SMARKETING_DATA_DIR": str(tmp_path),
        **env,
    }
    run = subprocess.run(
        [SMARKETING, "check"], env=full, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode != 0
    assert message in run.stdout + run.stderr


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_violates_the_csp(live_server, page, make_user, tmp_path):
    from smarketing.planning.actions import do_save_goal
    from smarketing.reporting.filters import current_quarter

    make_user("ada", role="admin")
    do_save_goal(period=current_quarter(), revenue="5000", deal_size="1000", lead_to_customer="0.1")
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "pw-ada")
    page.click("button[type=submit]")
    shots = os.environ.get("SMARKETING_SHOTS")
    for path in (
        "/", "/leads/", "/reporting/marketing/", "/reporting/reports/monthly/", "/planning/",
        "/scoring/model/", "/sla/compliance/", "/attribution/", "/funnel/inbox/",
    ):  # fmt: skip
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__csp") == [], path
        if shots:
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=f"{shots}/{name}.png", full_page=True)
    page.goto(f"{live_server.url}/planning/")
    page.wait_for_function("typeof Plotly !== 'undefined'")
    assert page.locator(".js-plotly-plot").count() >= 1  # the nonce'd inline script ran
    assert not errors, errors
