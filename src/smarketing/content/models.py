"""The content library's own records, beside ``crm.ContentAsset`` (which crm owns).

A library asset is one ``crm.ContentAsset`` (title, kind, tags, owner, current text in
``body``) plus an :class:`AssetProfile` (industries, review date, source), its uploaded
:class:`AssetVersion` history, a :class:`SearchDocument` indexed by the database's full-text
engine, and the :class:`ShareLink` / :class:`LinkVisit` records of tracked sharing. Views of a
shared link are ``content_view`` touchpoints on the contact, so attribution and reporting count
them like any other touch; the visit keeps the page-level reading times.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from smarketing.crm.models import Contact, ContentAsset, SalesInsight, Touchpoint

USER = settings.AUTH_USER_MODEL


class AssetProfile(models.Model):
    """An AssetProfile holds what the library adds to a content asset: industries, review date."""

    asset = models.OneToOneField(
        ContentAsset, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    industries = models.JSONField(default=list, blank=True)
    review_at = models.DateField(
        null=True, blank=True, help_text="When marketing must check it is still right."
    )
    archived = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.asset_id}"


def _version_path(instance: AssetVersion, filename: str) -> str:
    return f"content/{instance.asset_id}/v{instance.number}/{filename}"


class AssetVersion(models.Model):
    """An AssetVersion is one uploaded file (or URL) of an asset; the newest is the current one.

    Statistics stay on the asset (touchpoints point at the asset, with the version number in
    their properties), so a new upload keeps everything the old version earned.
    """

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word document"
        PPTX = "pptx", "PowerPoint deck"
        HTML = "html", "HTML page"
        MARKDOWN = "md", "Markdown"
        TEXT = "txt", "Plain text"
        URL = "url", "Link"

    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    format = models.CharField(max_length=10, choices=Format.choices)
    file = models.FileField(upload_to=_version_path, max_length=300, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=500, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.JSONField(
        default=list, blank=True, help_text="Extracted text per page (PDF page, slide, section)."
    )
    note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "number"], name="content_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} v{self.number}"

    @property
    def page_count(self) -> int:
        return len(self.pages or [])


class SearchDocument(models.Model):
    """A SearchDocument is an asset's text as the full-text index sees it (one row per asset).

    SQLite indexes it in the FTS5 table ``content_search_fts`` (kept by triggers);
    PostgreSQL in the generated ``tsv`` column with a GIN index (both made by migration 0002).
    ``tags`` holds the filter keys as words (`` kdeck p3 smql troi ``) indexed with the text,
    so the filters run inside the same full-text query as the ranking. It sits before ``body``
    so reading it never walks a long body's overflow pages.
    """

    asset = models.OneToOneField(
        ContentAsset, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    title = models.CharField(max_length=250)
    tags = models.CharField(max_length=1000, blank=True)
    body = models.TextField(blank=True)

    class Meta:
        # The browse order of the library (no query): a page is read off the index.
        indexes = [models.Index(fields=["title", "asset"], name="content_search_title")]

    def __str__(self) -> str:
        return self.title


class ShareLink(models.Model):
    """A ShareLink is a rep's personal, tracked link to one asset for one contact."""

    token = models.CharField(max_length=64, unique=True)
    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="share_links")
    version = models.ForeignKey(
        AssetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="share_links")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    require_email = models.BooleanField(default=False)
    first_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.asset_id} → {self.contact_id}"

    def is_open(self, now=None) -> bool:
        """Whether the link still opens (not revoked, not expired)."""
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class LinkVisit(models.Model):
    """A LinkVisit is one viewing session of a share link, with seconds spent on each page."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="visits")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    touchpoint = models.OneToOneField(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    viewer_email = models.CharField(max_length=254, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    page_seconds = models.JSONField(default=dict, blank=True, help_text='{"1": 12.5, "2": 40}')
    last_page = models.PositiveIntegerField(default=1)
    notification_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"visit {self.pk} of link {self.link_id}"

    @property
    def total_seconds(self) -> float:
        return float(sum((self.page_seconds or {}).values()))


class GapResolution(models.Model):
    """A GapResolution records that marketing answered a sales insight with an asset."""

    insight = models.OneToOneField(SalesInsight, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"insight {self.insight_id} answered by {self.asset_id}"
