"""The REST API: one NinjaAPI mounting each app's router; OpenAPI docs at /api/docs."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from ninja import NinjaAPI

from smarketing.config.auth import read_auth
from smarketing.ingest.ratelimit import RateLimited

api = NinjaAPI(
    title="smarketing API",
    version="1",
    description=(
        "The shared system of record of sales and marketing. Authenticate with a browser "
        "session or an API token: `Authorization: Bearer smk_…` (create one with "
        "`smarketing createtoken`)."
    ),
    auth=read_auth(),
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


log = logging.getLogger(__name__)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc: PermissionDenied):
    """What core.permissions refuses: 403 with the reason, on every route."""
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


@api.exception_handler(RateLimited)
def rate_limited(request, exc: RateLimited):
    """Too many requests (bad tokens from one IP, or one token's allowance): 429."""
    response = api.create_response(
        request, {"detail": str(exc), "retry_after": exc.wait}, status=429
    )
    response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def out_of_range(request, exc: Exception):
    """A value the database cannot hold that slipped past validation: 400, never a 500."""
    log.warning("refused out-of-range value on %s: %s", request.path, exc)
    return api.create_response(
        request, {"detail": "a value is out of the range the database holds"}, status=400
    )


#: Apps whose ``api.py`` defines a ``router``; each is mounted at the API root.
API_APPS = [
    "crm",
    "funnel",
    "sla",
    "scoring",
    "planning",
    "content",
    "reporting",
    "ingest",
    "ingest.csvimport",
    "attribution",
    "abm",
]


def _mount() -> None:
    import importlib
    import importlib.util

    for app in API_APPS:
        name = f"smarketing.{app}.api"
        if importlib.util.find_spec(name) is not None:
            api.add_router("/", importlib.import_module(name).router)


_mount()
