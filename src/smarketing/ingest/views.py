"""Public ingest endpoints: the tracking snippet, the collect endpoint, inbound form webhooks.

These are plain Django views rather than API routes because browsers reach them from other
origins (CORS preflight, ``text/plain`` beacons) and form tools sign the raw body; every answer
is JSON with an ``error`` naming what is wrong. The pages for admins live in :mod:`.pages`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from smarketing.ingest import ratelimit
from smarketing.ingest.actions import do_ingest_events, do_receive_form
from smarketing.ingest.events import MAX_BATCH, EventError, batch_of, parse_browser_event
from smarketing.ingest.models import InboundForm, TrackingSite
from smarketing.ingest.selectors import site_for_key
from smarketing.ingest.skew import correct_batch
from smarketing.ingest.webhooks import sign

SNIPPET = Path(__file__).parent / "static" / "ingest" / "t.js"
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-Smarketing-Key",
    "Access-Control-Max-Age": "86400",
}


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _cors(response: HttpResponse, site: TrackingSite | None, origin: str | None) -> HttpResponse:
    response["Vary"] = "Origin"
    if site is not None and origin and site.allows_origin(origin):
        response["Access-Control-Allow-Origin"] = origin
        for name, value in CORS_HEADERS.items():
            response[name] = value
    return response


@lru_cache(maxsize=1)
def minified_snippet() -> tuple[bytes, str]:
    """The snippet minified with rjsmin (the readable source stays in the package) + its ETag."""
    import rjsmin

    body = rjsmin.jsmin(SNIPPET.read_text(encoding="utf-8"), keep_bang_comments=False).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@require_GET
def snippet(request):
    """The tracking snippet (``<script async src=".../ingest/t.js" data-key="pk_…">``),
    minified, with an ETag: a browser revalidating an unchanged snippet gets a 304."""
    body, etag = minified_snippet()
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/javascript")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    # Pages on the customer's own domain load it: allow cross-origin embedding of the script.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _read_json(request):
    try:
        raw = request.body
    except RequestDataTooBig:
        raise EventError({"__all__": "request body too large"}) from None
    try:
        return json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventError({"__all__": f"body is not valid JSON: {exc}"}) from None


@csrf_exempt
def collect(request):
    """Take one tracking event or a batch (≤ 1,000) for the site whose public key is given.

    Key: ``?key=pk_…``, the ``X-Smarketing-Key`` header or ``"key"`` in the body. Answers
    200 with a per-event result list; 401 unknown key, 403 origin not allowed, 413 batch or
    body too large, 422 nothing valid, 429 rate limited (with ``Retry-After``).
    """
    origin = request.headers.get("Origin")
    key = request.GET.get("key") or request.headers.get("X-Smarketing-Key", "")
    if request.method == "OPTIONS":
        site = site_for_key(key)
        if site is None or not site.allows_origin(origin):
            return _cors(_error(403, "origin not allowed for this site key"), None, None)
        return _cors(HttpResponse(status=204), site, origin)
    if request.method != "POST":
        return _error(405, "use POST")
    try:
        body = _read_json(request)
    except EventError as exc:
        status = 413 if "too large" in exc.errors["__all__"] else 400
        return _error(status, exc.errors["__all__"])
    if not key and isinstance(body, dict):
        key = str(body.get("key") or "")
    site = site_for_key(key)
    if site is None:
        return _error(401, "unknown or inactive site key" if key else "missing site key (?key=)")
    if origin and not site.allows_origin(origin):
        return _cors(_error(403, f"origin {origin} is not allowed for this site"), None, None)
    ip = ratelimit.client_ip(request)
    wait = ratelimit.hit(f"key:{site.public_key}", limit=site.key_rate_limit) or ratelimit.hit(
        f"ip:{site.public_key}:{ip}", limit=site.ip_rate_limit
    )
    if wait:
        response = _error(429, "rate limit exceeded, retry later", retry_after=wait)
        response["Retry-After"] = str(wait)
        return _cors(response, site, origin)
    try:
        raw_events = batch_of(body)
    except EventError as exc:
        return _cors(_error(422, "bad batch", detail=exc.errors), site, origin)
    if len(raw_events) > MAX_BATCH:
        message = f"a batch holds at most {MAX_BATCH} events; got {len(raw_events)}"
        return _cors(_error(413, message), site, origin)
    if not raw_events:
        return _cors(_error(422, "the batch is empty"), site, origin)
    now = timezone.now()
    clock = correct_batch(body, raw_events, now=now)
    clean, errors = [], {}
    for index, raw in enumerate(raw_events):
        try:
            clean.append(parse_browser_event(raw, index, site_id=site.pk, now=now))
        except EventError as exc:
            errors[index] = exc.errors
    try:
        result = do_ingest_events(events=clean, errors=errors).as_dict()
    except ValidationError as exc:
        return _cors(_error(422, "the batch was not stored", detail=exc.message_dict), site, origin)
    status = 422 if result["errors"] == result["received"] else 200
    return _cors(JsonResponse({**result, **clock}, status=status), site, origin)


def _verified(request, form: InboundForm) -> bool:
    signature = request.headers.get("X-Smarketing-Signature", "")
    if signature:
        return hmac.compare_digest(sign(request.body, form.secret), signature)
    secret = request.headers.get("X-Smarketing-Secret", "")
    return bool(secret) and hmac.compare_digest(secret, form.secret)


@csrf_exempt
def inbound_form(request, form_id: int):
    """Receive one form submission as JSON, verified by the form's shared secret.

    Send either ``X-Smarketing-Signature: sha256=<hex HMAC-SHA256 of the body>`` or the secret
    itself as ``X-Smarketing-Secret``. Answers 201 created, 200 duplicate (same submission id),
    401 bad signature, 404 unknown form, 422 with the field errors.
    """
    if request.method != "POST":
        return _error(405, "use POST")
    form = InboundForm.objects.filter(pk=form_id, active=True).first()
    if form is None:
        return _error(404, f"no active inbound form {form_id}")
    try:
        raw = request.body
    except RequestDataTooBig:
        return _error(413, "request body too large")
    if not _verified(request, form):
        return _error(401, "bad or missing signature (X-Smarketing-Signature or -Secret)")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, f"body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        return _error(422, "the body must be a JSON object")
    try:
        result = do_receive_form(form=form, body=body)
    except ValidationError as exc:
        return _error(422, "the submission was not stored", detail=exc.message_dict)
    return JsonResponse(result, status=201 if result["status"] == "created" else 200)
