"""Server-side event API (scope ``ingest``): touchpoints from email, ad, webinar and sales tools,
identify calls, and the webhook delivery log (read)."""

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from smarketing.config.auth import TokenAuth, TokenHeaderAuth, read_auth
from smarketing.ingest.actions import do_identify, do_ingest_events
from smarketing.ingest.events import (
    MAX_BATCH,
    EventError,
    ServerEventIn,
    batch_of,
    parse_server_event,
)
from smarketing.ingest.selectors import deliveries

router = Router(tags=["ingest"])
INGEST_AUTH = [TokenAuth("ingest"), TokenHeaderAuth("ingest")]

_EVENT_SCHEMA = ServerEventIn.model_json_schema()
_EVENT_SCHEMA.pop("title", None)
_BATCH_SCHEMA = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "maxItems": MAX_BATCH, "items": _EVENT_SCHEMA}},
}


class EventResult(Schema):
    index: int
    status: str = Field(description="created | duplicate | error")
    id: int | None = None
    external_id: str | None = None
    contact_id: int | None = None
    errors: dict[str, str] | None = Field(None, description="field → message (status error)")


class BatchOut(Schema):
    received: int
    created: int
    duplicates: int
    errors: int
    identified: int
    results: list[EventResult]


class ErrorOut(Schema):
    error: str
    detail: dict[str, Any] | None = None


class IdentifyIn(Schema):
    anonymous_id: str = Field(..., max_length=64, description="The visitor id (smk_vid cookie).")
    email: str = Field(..., max_length=254)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)


class IdentifyOut(Schema):
    contact_id: int
    email: str
    touchpoints_moved: int


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: str
    kind: str
    status: str
    attempts: int
    response_code: int | None
    error: str
    created_at: Any
    delivered_at: Any | None
    next_attempt_at: Any | None


@router.post(
    "/ingest/events",
    auth=INGEST_AUTH,
    response={200: BatchOut, 400: ErrorOut, 413: ErrorOut, 422: BatchOut | ErrorOut},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BATCH_SCHEMA}},
        }
    },
)
def ingest_events(request):
    """Record touchpoints from a server-side tool, one or a batch of up to 1,000.

    Each event needs an ``external_id`` (the tool's own id): re-sending an event never adds a
    second row (status ``duplicate``). Each event is validated on its own; a bad one gets
    ``status: error`` with ``errors`` naming its fields while the good ones are stored. The
    answer lists one result per event, in order (``index``). 422 when no event was valid,
    413 over 1,000 events. The channel comes from the channel grouping rules unless given.
    """
    try:
        body = json.loads(request.body.decode("utf-8") or "null")
    except RequestDataTooBig:
        return JsonResponse({"error": "request body too large"}, status=413)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return JsonResponse({"error": f"body is not valid JSON: {exc}"}, status=400)
    try:
        raw_events = batch_of(body)
    except EventError as exc:
        return JsonResponse({"error": "bad batch", "detail": exc.errors}, status=422)
    if len(raw_events) > MAX_BATCH:
        return JsonResponse(
            {"error": f"a batch holds at most {MAX_BATCH} events; got {len(raw_events)}"},
            status=413,
        )
    if not raw_events:
        return JsonResponse({"error": "the batch is empty"}, status=422)
    now = timezone.now()
    clean, errors = [], {}
    for index, raw in enumerate(raw_events):
        try:
            clean.append(parse_server_event(raw, index, now=now))
        except EventError as exc:
            errors[index] = exc.errors
    result = do_ingest_events(events=clean, errors=errors).as_dict()
    return JsonResponse(result, status=422 if result["errors"] == result["received"] else 200)


@router.post("/ingest/identify", auth=INGEST_AUTH, response={200: IdentifyOut})
def identify(request, payload: IdentifyIn):
    """Tie a browser visitor id to a person by email (found or created as a lead).

    All earlier anonymous touchpoints of the visitor become the contact's; later ones are
    attached as they arrive. Repeating the call changes nothing more.
    """
    contact, moved = do_identify(
        anonymous_id=payload.anonymous_id.strip(),
        email=payload.email,
        profile={"first_name": payload.first_name, "last_name": payload.last_name},
    )
    return {"contact_id": contact.pk, "email": contact.email, "touchpoints_moved": moved}


@router.get("/ingest/webhook-deliveries", auth=read_auth(), response=list[DeliveryOut])
@paginate(LimitOffsetPagination)
def list_deliveries(request, endpoint_id: int | None = None, status: str = ""):
    """The outbound webhook delivery log, newest first (filter by endpoint and status)."""
    return deliveries(endpoint_id=endpoint_id, status=status)
