"""The tracked link a prospect opens: no login, the token is the key.

GET renders the viewer and never writes. The page's script then posts a visit (so a client
that runs no JavaScript, like most link previewers and crawlers, is never counted) and beats
with the seconds spent on each page. Known bot user agents are refused a visit too.
"""

from __future__ import annotations

import json

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from smarketing.content import actions
from smarketing.content.models import LinkVisit, ShareLink

SALT = "content-visit"
#: How often the viewer reports reading times (milliseconds).
BEAT_MS = 5000


def _link(token: str) -> ShareLink:
    link = (
        ShareLink.objects.select_related("asset", "version", "contact", "created_by")
        .filter(token=token)
        .first()
    )
    if link is None:
        raise Http404("no such link")
    return link


def _closed(request, link):
    return render(request, "content/public_closed.html", {"link": link}, status=410)


def view(request, token: str):
    """The viewer page: PDF.js for PDFs, page-by-page text for other formats."""
    link = _link(token)
    if not link.is_open():
        return _closed(request, link)
    version = link.version
    is_pdf = bool(version and version.format == "pdf" and version.file)
    response = render(
        request,
        "content/public.html",
        {
            "link": link,
            "asset": link.asset,
            "version": version,
            "is_pdf": is_pdf,
            "pages": (version.pages if version else None) or [link.asset.body or ""],
            "rep": link.created_by,
            "viewer_config": {
                "pdf": is_pdf,
                "visit": reverse("content:public_visit", args=[token]),
                "beat": reverse("content:public_beat", args=[token]),
                "file": reverse("content:public_file", args=[token]),
                "pdfjs": static("content/pdfjs/pdf.min.mjs"),
                "worker": static("content/pdfjs/pdf.worker.min.mjs"),
                "beat_ms": BEAT_MS,
            },
        },
    )
    # Only this site's scripts run on the page; extracted text is escaped by the template.
    response["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
        "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
        "frame-ancestors 'none'"
    )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def file(request, token: str):
    """The link's file (for PDF.js), served inline with scripts sandboxed."""
    link = _link(token)
    if not link.is_open() or not (link.version and link.version.file):
        raise Http404("no file")
    response = FileResponse(link.version.file.open("rb"), content_type="application/pdf")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def _json(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise ValidationError({"body": "the request body is not JSON"}) from None
    if not isinstance(data, dict):
        raise ValidationError({"body": "the request body must be a JSON object"})
    return data


def _error(exc: ValidationError, status=400):
    return JsonResponse({"detail": exc.message_dict}, status=status)


@csrf_exempt  # a public page with no session; the link token authorises the write
@require_POST
def start(request, token: str):
    """Record a visit: answers ``{"visit": key}``, or ``{"visit": null}`` for bots."""
    link = _link(token)
    try:
        data = _json(request)
        visit = actions.do_start_visit(
            link=link,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            email=str(data.get("email") or ""),
        )
    except ValidationError as exc:
        return _error(exc, status=410 if "link" in exc.message_dict else 400)
    key = signing.dumps(visit.pk, salt=SALT) if visit else None
    return JsonResponse({"visit": key})


@csrf_exempt  # see start()
@require_POST
def beat(request, token: str):
    """Store the visit's cumulative seconds per page: ``{"visit": key, "pages": {"1": 12}}``."""
    link = _link(token)
    try:
        data = _json(request)
        try:
            visit_id = signing.loads(str(data.get("visit") or ""), salt=SALT)
        except signing.BadSignature:
            raise ValidationError({"visit": "unknown visit"}) from None
        visit = LinkVisit.objects.filter(pk=visit_id, link=link).first()
        if visit is None:
            raise ValidationError({"visit": "unknown visit"})
        if (timezone.now() - visit.started_at).total_seconds() > 24 * 3600:
            raise ValidationError({"visit": "the visit is over; reload the page"})
        page_count = link.version.page_count if link.version else 1
        pages = actions.parse_pages(data.get("pages") or {}, page_count)
        last = data.get("last_page")
        last = (
            int(last) if isinstance(last, int | float) and 1 <= last <= max(page_count, 1) else None
        )
        actions.do_record_pages(visit=visit, pages=pages, last_page=last)
    except ValidationError as exc:
        return _error(exc)
    return JsonResponse({"ok": True})
