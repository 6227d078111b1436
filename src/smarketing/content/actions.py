"""Writes of the content library: assets, versions, the search index, tracked sharing, gaps.

Every ``do_*`` function is atomic and takes keyword-only arguments; views and the API
validate the request first. A file is extracted completely before anything is stored, and a
stored file is removed again if the database write fails, so nothing is half-stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from smarketing.content import conf
from smarketing.content.extract import Extracted, UnsupportedFile, extract
from smarketing.content.kinds import KIND_LABELS
from smarketing.content.models import (
    AssetProfile,
    AssetVersion,
    GapResolution,
    LinkVisit,
    SearchDocument,
    ShareLink,
)
from smarketing.content.search import forget_vocabulary, tag_key, tags_text
from smarketing.crm.actions import do_record_touchpoint
from smarketing.crm.choices import LifecycleStage
from smarketing.crm.models import Contact, ContentAsset, Persona

#: The longest body the index keeps (PostgreSQL's tsvector caps at 1 MB).
MAX_INDEXED_CHARS = 200_000
#: User agents of link previewers, crawlers and scripts: their hits are never views.
BOT_AGENTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp|"
    r"curl|wget|python-requests|httpx|go-http-client|okhttp|java/|libwww|scrapy|"
    r"headlesschrome.*lighthouse|pingdom|uptime|monitor",
    re.IGNORECASE,
)
#: The most seconds one page can count in one visit (a tab left open is not reading).
MAX_PAGE_SECONDS = 30 * 60


def is_bot(user_agent: str) -> bool:
    """Whether a user agent is a known bot, previewer or script (or missing)."""
    return not (user_agent or "").strip() or bool(BOT_AGENTS.search(user_agent))


def _clean_tags(
    *, kind: str, stages: list[str], topics: list[str], industries: list[str]
) -> tuple[list[str], list[str], list[str]]:
    if kind not in KIND_LABELS:
        raise ValidationError({"kind": f"unknown asset type {kind!r}"})
    unknown = [s for s in stages if s not in LifecycleStage.values]
    if unknown:
        raise ValidationError({"stages": f"unknown lifecycle stage(s): {', '.join(unknown)}"})

    def norm(values):
        seen = []
        for v in values:
            v = " ".join(str(v).split()).lower()[:60]
            if v and v not in seen:
                seen.append(v)
        return seen

    return list(dict.fromkeys(stages)), norm(topics), norm(industries)


def refresh_search_document(asset: ContentAsset) -> SearchDocument:
    """Write the asset's title, text and filter keys into the full-text index."""
    profile = AssetProfile.objects.filter(asset=asset).first()
    keys = [tag_key("k", asset.kind)]
    keys += [tag_key("p", pid) for pid in asset.personas.values_list("pk", flat=True)]
    keys += [tag_key("s", s) for s in asset.stages or []]
    keys += [tag_key("t", t) for t in asset.topics or []]
    keys += [tag_key("i", i) for i in (profile.industries if profile else [])]
    tags = tags_text(keys)[:1000]
    doc, _ = SearchDocument.objects.update_or_create(
        asset=asset,
        defaults={
            "title": asset.title,
            "body": (asset.body or "")[:MAX_INDEXED_CHARS],
            "tags": tags,
        },
    )
    forget_vocabulary()
    return doc


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{max(n // 1024, 1)} KB"


def read_upload(upload) -> tuple[str, bytes]:
    """``(filename, bytes)`` of an uploaded file, refused before reading when over the limit."""
    size = getattr(upload, "size", None)
    if size is not None and size > conf.MAX_UPLOAD_BYTES:
        raise UnsupportedFile(
            f"{upload.name}: {_size(size)} is over the {_size(conf.MAX_UPLOAD_BYTES)} limit"
        )
    data = upload.read(conf.MAX_UPLOAD_BYTES + 1)
    if len(data) > conf.MAX_UPLOAD_BYTES:
        raise UnsupportedFile(f"{upload.name}: over the {_size(conf.MAX_UPLOAD_BYTES)} limit")
    return upload.name, data


def _store_version(*, asset, extracted: Extracted | None, filename: str, url: str, by, note: str):
    number = (asset.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = AssetVersion(
        asset=asset,
        number=number,
        format=extracted.format if extracted else AssetVersion.Format.URL,
        filename=filename[:255],
        url=url,
        pages=extracted.pages if extracted else [],
        note=note[:300],
        uploaded_by=by,
    )
    if extracted:
        version.size = len(extracted.data)
        version.sha256 = hashlib.sha256(extracted.data).hexdigest()
        version.file.save(
            filename.rsplit("/", 1)[-1][:200], ContentFile(extracted.data), save=False
        )
    version.save()
    return version


def _extract_or_raise(filename: str, data: bytes) -> Extracted:
    try:
        return extract(filename, data)
    except UnsupportedFile as exc:
        raise ValidationError({"file": str(exc)}) from None


def do_create_asset(
    *,
    title: str,
    kind: str,
    owner=None,
    personas: list[Persona] | None = None,
    stages: list[str] | None = None,
    topics: list[str] | None = None,
    industries: list[str] | None = None,
    review_at: dt.date | None = None,
    url: str = "",
    filename: str = "",
    data: bytes | None = None,
    body: str = "",
    by=None,
    published_at: dt.datetime | None = None,
) -> ContentAsset:
    """Create a library asset from an uploaded file (``filename`` + ``data``), a URL or text."""
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "a title is required"})
    stages, topics, industries = _clean_tags(
        kind=kind, stages=stages or [], topics=topics or [], industries=industries or []
    )
    extracted = _extract_or_raise(filename, data) if data is not None else None
    if extracted is None and not url and not body:
        raise ValidationError({"file": "upload a file or give a URL"})
    return _write_asset(
        title=title,
        kind=kind,
        owner=owner,
        personas=personas or [],
        stages=stages,
        topics=topics,
        industries=industries,
        review_at=review_at,
        url=url,
        filename=filename,
        extracted=extracted,
        body=body,
        by=by,
        published_at=published_at,
    )


def _write_asset(*, extracted, filename, url, body, by, personas, industries, review_at, **fields):
    stored = []
    try:
        with transaction.atomic():
            asset = ContentAsset(
                **{k: v for k, v in fields.items() if k != "published_at"},
                url=url,
                body=extracted.text if extracted else body,
                published_at=fields.get("published_at") or timezone.now(),
            )
            asset.save()
            asset.personas.set(personas)
            AssetProfile.objects.create(asset=asset, industries=industries, review_at=review_at)
            if extracted or url:
                version = _store_version(
                    asset=asset, extracted=extracted, filename=filename, url=url, by=by, note=""
                )
                if version.file:
                    stored.append(version.file)
            refresh_search_document(asset)
    except Exception:
        for f in stored:
            f.storage.delete(f.name)
        raise
    return asset


def do_update_asset(
    *,
    asset: ContentAsset,
    title: str,
    kind: str,
    owner=None,
    personas: list[Persona],
    stages: list[str],
    topics: list[str],
    industries: list[str],
    review_at: dt.date | None,
) -> ContentAsset:
    """Change an asset's title, type, owner, tags and review date (its files stay)."""
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "a title is required"})
    stages, topics, industries = _clean_tags(
        kind=kind, stages=stages, topics=topics, industries=industries
    )
    with transaction.atomic():
        asset.title, asset.kind, asset.owner = title, kind, owner
        asset.stages, asset.topics = stages, topics
        asset.save()
        asset.personas.set(personas)
        AssetProfile.objects.update_or_create(
            asset=asset, defaults={"industries": industries, "review_at": review_at}
        )
        refresh_search_document(asset)
    return asset


def do_add_version(
    *,
    asset: ContentAsset,
    filename: str = "",
    data: bytes | None = None,
    url: str = "",
    by=None,
    note: str = "",
    review_at: dt.date | None = None,
) -> AssetVersion:
    """Store a new version (file or URL); it becomes the current text. Statistics stay."""
    extracted = _extract_or_raise(filename, data) if data is not None else None
    if extracted is None and not url:
        raise ValidationError({"file": "upload a file or give a URL"})
    stored = None
    try:
        with transaction.atomic():
            version = _store_version(
                asset=asset, extracted=extracted, filename=filename, url=url, by=by, note=note
            )
            stored = version.file or None
            if extracted:
                asset.body = extracted.text
            if url:
                asset.url = url
            asset.save()
            if review_at is not None:
                AssetProfile.objects.update_or_create(
                    asset=asset, defaults={"review_at": review_at}
                )
            refresh_search_document(asset)
    except Exception:
        if stored:
            stored.storage.delete(stored.name)
        raise
    return version


def do_mark_reviewed(*, asset: ContentAsset, next_review: dt.date) -> AssetProfile:
    """Record that marketing checked the asset; it is next due on ``next_review``."""
    profile, _ = AssetProfile.objects.update_or_create(
        asset=asset, defaults={"review_at": next_review}
    )
    return profile


def do_share(
    *,
    asset: ContentAsset,
    contact: Contact,
    by,
    expires_at: dt.datetime | None = None,
    require_email: bool = False,
    now: dt.datetime | None = None,
) -> ShareLink:
    """Make a personal tracked link to ``asset`` for ``contact``; records a ``content_share``.

    Do-not-contact people cannot be sent a link.
    """
    now = now or timezone.now()
    if contact.do_not_contact:
        raise ValidationError({"contact_id": f"{contact} is marked do-not-contact; no link sent"})
    if expires_at is None:
        expires_at = now + dt.timedelta(days=conf.LINK_DAYS)
    if expires_at <= now:
        raise ValidationError({"expires_at": "the expiry must be in the future"})
    with transaction.atomic():
        link = ShareLink.objects.create(
            token=secrets.token_urlsafe(18),
            asset=asset,
            version=asset.versions.order_by("-number").first(),
            contact=contact,
            created_by=by,
            created_at=now,
            expires_at=expires_at,
            require_email=require_email,
        )
        do_record_touchpoint(
            kind="content_share",
            occurred_at=now,
            contact=contact,
            content=asset,
            user=by,
            team="sales",
            channel="Sales",
            source="tracked_link",
            properties={"share_link": link.pk},
            external_id=f"content-share-{link.pk}",
        )
    return link


def do_revoke_link(*, link: ShareLink, now: dt.datetime | None = None) -> ShareLink:
    """Close a tracked link at once (revoking again changes nothing)."""
    if link.revoked_at is None:
        link.revoked_at = now or timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def _viewer(link: ShareLink, email: str) -> Contact:
    """Who is reading: the link's contact, or the contact whose address was given (forwarded)."""
    from smarketing.crm.normalize import InvalidValue, normalize_email

    if not email:
        return link.contact
    try:
        email = normalize_email(email)
    except InvalidValue:
        return link.contact
    if email == link.contact.email:
        return link.contact
    return Contact.objects.filter(email=email).first() or link.contact


def do_start_visit(
    *, link: ShareLink, user_agent: str, email: str = "", now: dt.datetime | None = None
) -> LinkVisit | None:
    """Record that the tracked page ran in a browser: a visit and its ``content_view`` touch.

    Bots (known user agents) get None and nothing is written; closed links raise.
    """
    now = now or timezone.now()
    if not link.is_open(now):
        raise ValidationError({"link": "this link has expired or was revoked"})
    if is_bot(user_agent):
        return None
    email = (email or "").strip()[:254]
    if link.require_email and "@" not in email:
        raise ValidationError({"email": "enter your email address to open this document"})
    with transaction.atomic():
        contact = _viewer(link, email)
        visit = LinkVisit.objects.create(
            link=link,
            contact=contact,
            viewer_email=email,
            user_agent=user_agent[:400],
            started_at=now,
            last_seen_at=now,
        )
        touch, _ = do_record_touchpoint(
            kind="content_view",
            occurred_at=now,
            contact=contact,
            content=link.asset,
            channel="Sales",
            source="tracked_link",
            user=link.created_by,
            properties={
                "share_link": link.pk,
                "visit": visit.pk,
                "version": link.version.number if link.version else None,
                "seconds": 0,
                "pages": {},
                **({"viewer_email": email} if email else {}),
            },
            external_id=f"content-visit-{visit.pk}",
        )
        visit.touchpoint = touch
        first = link.first_viewed_at is None
        if first:
            ShareLink.objects.filter(pk=link.pk).update(first_viewed_at=now)
            link.first_viewed_at = now
            visit.notification_id = _notify(link, visit, now)
        visit.save(update_fields=["touchpoint", "notification_id"])
    return visit


def _view_message(link: ShareLink, visit: LinkVisit) -> str:
    who = visit.contact or link.contact
    at = f" at {who.account.name}" if who.account_id else ""
    minutes = visit.total_seconds / 60
    spent = f"{minutes:.0f} min" if minutes >= 1 else f"{visit.total_seconds:.0f} s"
    msg = f"{who}{at} opened {link.asset.title}, {spent}"
    if (link.version and link.version.page_count > 1) or visit.last_page > 1:
        msg += f", stopped on page {visit.last_page}"
    if visit.viewer_email and who.pk != link.contact_id:
        msg += f" (forwarded by {link.contact})"
    return msg[:500]


def _notify(link: ShareLink, visit: LinkVisit, now) -> int:
    # The rep's notifications live in the SLA app's inbox (the header counts them); a view
    # notification is one more kind there.
    from smarketing.sla.models import Notification

    note = Notification.objects.create(
        user=link.created_by,
        kind="content_view",
        message=_view_message(link, visit),
        contact=visit.contact or link.contact,
        created_at=now,
    )
    return note.pk


def parse_pages(raw, page_count: int) -> dict[str, float]:
    """Validate a beat's ``{"page": seconds}`` map; raises ValidationError naming the bad entry."""
    if not isinstance(raw, dict) or len(raw) > 2000:
        raise ValidationError({"pages": "pages must be an object of page number to seconds"})
    out = {}
    limit = max(page_count, 1)
    for key, value in raw.items():
        try:
            page = int(key)
            seconds = float(value)
        except (TypeError, ValueError):
            raise ValidationError({"pages": f"bad entry {key!r}: {value!r}"}) from None
        if not 1 <= page <= limit:
            raise ValidationError({"pages": f"page {page} is outside 1–{limit}"})
        if not 0 <= seconds < 10**6 or seconds != seconds:
            raise ValidationError({"pages": f"bad seconds {value!r} for page {page}"})
        out[str(page)] = min(round(seconds, 1), MAX_PAGE_SECONDS)
    return out


def do_record_pages(
    *, visit: LinkVisit, pages: dict[str, float], last_page: int | None = None, now=None
) -> LinkVisit:
    """Store a visit's reading times (cumulative per page; a retried beat never double-counts)."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = (
            LinkVisit.objects.select_for_update(of=("self",))
            .select_related(
                "link__asset", "link__contact__account", "link__version", "contact__account"
            )
            .get(pk=visit.pk)
        )
        merged = dict(visit.page_seconds or {})
        for page, seconds in pages.items():
            merged[page] = max(float(merged.get(page, 0)), seconds)
        visit.page_seconds = merged
        if last_page:
            visit.last_page = last_page
        visit.last_seen_at = now
        visit.save(update_fields=["page_seconds", "last_page", "last_seen_at"])
        if visit.touchpoint_id:
            from smarketing.crm.models import Touchpoint

            touch = Touchpoint.objects.get(pk=visit.touchpoint_id)
            touch.properties = {
                **(touch.properties or {}),
                "pages": merged,
                "seconds": round(visit.total_seconds, 1),
                "last_page": visit.last_page,
            }
            touch.save(update_fields=["properties"])
        if visit.notification_id:
            from smarketing.sla.models import Notification

            Notification.objects.filter(pk=visit.notification_id, read_at__isnull=True).update(
                message=_view_message(visit.link, visit)
            )
    return visit


def do_mark_gap_answered(*, insight, asset: ContentAsset, by=None) -> GapResolution:
    """Record that ``asset`` answers a sales insight (replaces an earlier answer)."""
    resolution, _ = GapResolution.objects.update_or_create(
        insight=insight, defaults={"asset": asset, "by": by, "at": timezone.now()}
    )
    return resolution
