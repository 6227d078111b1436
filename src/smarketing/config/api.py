"""The REST API: one NinjaAPI mounting each app's router; OpenAPI docs at /api/docs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import NinjaAPI

from smarketing.config.auth import read_auth

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


def _mount() -> None:
    from smarketing.crm.api import router as crm_router

    api.add_router("/", crm_router)


_mount()
