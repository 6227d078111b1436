"""Deployment checks of smarketing: ``smarketing check --deploy`` fails on a weak production setting.

Django's own ``--deploy`` checks are warnings; these are errors (the command exits non-zero),
because each one leaves a CRM full of personal data open in a way an operator must fix.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings(app_configs=None, **kwargs) -> list:
    """Errors for settings no production deployment may keep (see docs/operations.md)."""
    problems = []
    if not getattr(settings, "PRODUCTION", False):
        problems.append(
            Error(
                "SMARKETING_PRODUCTION is not set: cookies are not marked secure and the "
                "SECRET_KEY may be the generated development key.",
                hint="export SMARKETING_PRODUCTION=1 (with SECRET_KEY, ALLOWED_HOSTS).",
                id="smarketing.E001",
            )
        )
    if settings.DEBUG:
        problems.append(Error("DEBUG is on.", hint="unset DEBUG.", id="smarketing.E002"))
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Error("ALLOWED_HOSTS contains '*'.", hint="list the host names.", id="smarketing.E003")
        )
    if not settings.SECURE_HSTS_SECONDS:
        problems.append(
            Error(
                "HSTS is off: browsers may reach the site over plain HTTP.",
                hint="export SECURE_HSTS_SECONDS=31536000 once HTTPS works.",
                id="smarketing.E004",
            )
        )
    if not settings.SECURE_SSL_REDIRECT and not settings.SECURE_PROXY_SSL_HEADER:
        problems.append(
            Error(
                "Neither SECURE_SSL_REDIRECT nor SECURE_PROXY_SSL_HEADER is set: the app cannot "
                "tell HTTPS requests from plain ones.",
                hint="behind a TLS proxy: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https "
                "and SECURE_SSL_REDIRECT=1.",
                id="smarketing.E005",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "The database is SQLite: fine for one server, but production runs PostgreSQL.",
                hint="DATABASE_URL=postgres://…",
                id="smarketing.W001",
            )
        )
    return problems
