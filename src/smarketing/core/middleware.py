"""Request middleware: audit attribution and the bounds every request must respect."""

from __future__ import annotations

import json
import logging
import secrets

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import HttpResponse, JsonResponse

from smarketing.core.audit import acting_as, request_origin
from smarketing.core.bounds import (
    BoundsError,
    check_json,
    has_control,
    int64_out_of_range,
    parse_int_bounded,
)

log = logging.getLogger(__name__)

#: Endpoints that validate each event of a batch on their own: one bad event (NUL characters,
#: a 30-digit contact id) must not cost the good ones, so only the JSON shape is checked here.
PER_EVENT_PATHS = ("/ingest/collect", "/api/ingest/events")
#: Endpoints whose body may be a JSON list (a batch) instead of an object.
LIST_BODY_PATHS = PER_EVENT_PATHS
_BODY_TYPES = ("application/json", "text/plain", "")


class AuditUserMiddleware:
    """Run each request inside :func:`acting_as` for ``request.user``, noting the client IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_origin(request.META.get("REMOTE_ADDR", "")):
            return self._as_user(request)

    def _as_user(self, request):
        user = getattr(request, "user", None)
        # Always open a scope, so an actor set later in the request (API token auth)
        # is discarded when the request ends instead of leaking to the thread's next request.
        if user is not None and user.is_authenticated:
            with acting_as(user):
                return self.get_response(request)
        with acting_as(None, "anonymous"):
            return self.get_response(request)


def _refuse(request, status: int, field: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": [{"loc": [field], "msg": message}]}, status=status)
    if request.path.startswith("/ingest/"):
        return JsonResponse({"error": f"{field}: {message}"}, status=status)
    return HttpResponse(f"{field}: {message}\n", status=status, content_type="text/plain")


class RequestBoundsMiddleware:
    """Refuse, before any view runs, what no view can store: see :mod:`smarketing.core.bounds`.

    - a path segment that is a whole number beyond 64 bits: 404 (no row can have that id);
    - a query parameter with a NUL/control character (400) or an integer beyond 64 bits (422);
    - on ``/api/`` and ``/ingest/``: a JSON body over the upload limit (413), nested deeper than
      32 levels or with a number of more than 40 digits (400), on the API a body that is not an
      object (422), and outside the per-event batch endpoints any integer beyond 64 bits (422)
      or NUL/control character in a string (400).

    A database error caused by a value out of range that slips past (``DataError``) becomes a
    400 instead of a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request) -> HttpResponse | None:
        """The response refusing ``request``, or None when it is within bounds."""
        for segment in request.path.split("/"):
            if segment.isdigit() and int64_out_of_range(segment):
                return _refuse(request, 404, "path", f"no record has the id {segment[:30]}…")
        for key, values in request.GET.lists():
            if has_control(key):
                return _refuse(request, 400, "query", "a parameter name has a control character")
            for value in values:
                if has_control(value):
                    return _refuse(request, 400, key, "contains a NUL or control character")
                if int64_out_of_range(value):
                    return _refuse(request, 422, key, "integer does not fit 64 bits")
        if request.method in ("POST", "PUT", "PATCH") and request.path.startswith(
            ("/api/", "/ingest/")
        ):
            return self.body_refusal(request)
        return None

    def body_refusal(self, request) -> HttpResponse | None:
        content_type = request.content_type or ""
        if content_type not in _BODY_TYPES and not content_type.endswith("+json"):
            return None
        try:
            raw = request.body
        except RequestDataTooBig:
            return _refuse(request, 413, "body", "request body too large")
        if not raw.strip():
            return None
        try:
            body = json.loads(raw, parse_int=parse_int_bounded)
        except BoundsError as exc:
            return _refuse(request, 400, "body", exc.message)
        except RecursionError:
            return _refuse(request, 400, "body", "JSON nested too deep")
        except ValueError:
            return None  # not JSON: the view names the syntax error
        per_event = request.path.rstrip("/") in PER_EVENT_PATHS
        try:
            check_json(body, control=not per_event, ints=not per_event)
        except BoundsError as exc:
            status = 422 if "64 bits" in exc.message else 400
            return _refuse(request, status, exc.field, exc.message)
        if (
            request.path.startswith("/api/")
            and not isinstance(body, dict)
            and request.path.rstrip("/") not in LIST_BODY_PATHS
        ):
            return _refuse(request, 422, "body", "the request body must be a JSON object")
        return None

    def process_exception(self, request, exception):
        """A value the database refuses (out of range, NUL) is the client's error: 400."""
        if isinstance(exception, DataError | OverflowError):
            log.warning("refused out-of-range value on %s: %s", request.path, exception)
            return _refuse(request, 400, "value", "a value is out of the range the database holds")
        return None


#: The Content-Security-Policy of every HTML page: scripts only from this site or carrying the
#: request's nonce (no inline handlers, no eval, nothing from another host). Styles may be
#: inline: Plotly sets element styles, and style attributes cannot run code.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: Browser features no page of smarketing uses.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy with a per-request nonce, Permissions-Policy, and ``no-store``.

    Templates put ``nonce="{{ request.csp_nonce }}"`` on their inline ``<script>`` blocks.
    Pages seen by a signed-in user hold personal data: they get ``Cache-Control: no-store``
    unless the view chose its own caching (static files, the tracking snippet, Plotly's JS).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", CSP.format(nonce=request.csp_nonce))
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store, private"
        return response
