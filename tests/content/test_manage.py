"""Marketing manages the library: uploads, versions, limits, review; bad input stores nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from smarketing.content import conf
from smarketing.content.actions import do_add_version, do_share
from smarketing.content.models import AssetVersion
from smarketing.content.selectors import asset_influence, needs_review
from smarketing.crm.models import ContentAsset
from smarketing.demo.content_library import make_pdf

pytestmark = pytest.mark.django_db


def _post(client, **extra):
    data = {"title": "New guide", "kind": "whitepaper", "stages": ["mql"], "topics": "roi, Pricing"}
    data.update(extra)
    return client.post(reverse("content:asset_new"), data)


def test_marketing_uploads_a_pdf_and_it_is_searchable(
    client, marketer, personas, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(marketer)
    upload = SimpleUploadedFile("guide.pdf", make_pdf(["Reverse funnel maths for revenue goals."]))
    resp = _post(client, file=upload, personas=[personas["finance-fred"].pk])
    asset = ContentAsset.objects.get(title="New guide")
    assert resp.status_code == 302 and asset.topics == ["roi", "pricing"]
    assert asset.versions.get().format == "pdf" and "Reverse funnel" in asset.body
    page = client.get(reverse("content:asset", args=[asset.pk]))
    assert b"Reverse funnel maths" in page.content


def test_corrupt_and_unsupported_files_store_nothing(client, marketer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(marketer)
    for name, data in [("x.pdf", b"%PDF-1.4 broken"), ("x.exe", b"MZ")]:
        resp = _post(client, file=SimpleUploadedFile(name, data))
        assert resp.status_code == 200
        assert name in resp.content.decode()
    assert not ContentAsset.objects.exists() and not AssetVersion.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_file_over_the_limit_is_refused_before_reading(client, marketer, monkeypatch):
    monkeypatch.setattr(conf, "MAX_UPLOAD_BYTES", 1024)
    client.force_login(marketer)

    class Huge(SimpleUploadedFile):
        def read(self, *a):  # pragma: no cover - must never be called
            raise AssertionError("read a file over the limit")

    resp = _post(client, file=SimpleUploadedFile("big.txt", b"x" * 5000))
    assert resp.status_code == 200 and "4 KB is over the 1 KB limit" in resp.content.decode()
    from smarketing.content.actions import read_upload
    from smarketing.content.extract import UnsupportedFile

    with pytest.raises(UnsupportedFile, match="limit"):
        read_upload(Huge("big.txt", b"x" * 5000))
    assert not ContentAsset.objects.exists()


def test_sales_cannot_manage(client, rep):
    client.force_login(rep)
    assert _post(client).status_code == 403


def test_new_version_keeps_the_old_versions_statistics(library, rep, contact, settings, tmp_path):
    from smarketing.content.actions import do_start_visit

    settings.MEDIA_ROOT = tmp_path
    sheet = library["Pricing sheet 2026"]
    link = do_share(asset=sheet, contact=contact, by=rep)
    do_start_visit(link=link, user_agent="Mozilla/5.0 Chrome/130")
    version = do_add_version(
        asset=sheet, filename="p2.pdf", data=make_pdf(["New prices from March."]), by=rep
    )
    sheet.refresh_from_db()
    assert version.number == 2 and "New prices" in sheet.body
    influence = asset_influence(sheet)
    assert influence.views == 1 and influence.shares == 1 and influence.by_version == {1: 1}


def test_needs_review_lists_overdue_assets(client, library, marketer):
    today = timezone.localdate()
    sheet = library["Pricing sheet 2026"]
    sheet.profile.review_at = today - dt.timedelta(days=3)
    sheet.profile.save()
    assert [p.asset for p in needs_review()] == [sheet]
    client.force_login(marketer)
    assert b"overdue" in client.get(reverse("content:review")).content
    client.post(reverse("content:mark_reviewed", args=[sheet.pk]))
    assert not needs_review().exists()
