"""Keep the search index in step with assets written outside the library's own actions
(the CRM API, the admin, an import): a saved asset or a change of its personas reindexes it,
in the same transaction (so a rolled-back asset leaves no index row)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from smarketing.crm.models import ContentAsset


def _reindex(asset_id: int) -> None:
    from smarketing.content.actions import refresh_search_document

    asset = ContentAsset.objects.filter(pk=asset_id).first()
    if asset is not None:
        refresh_search_document(asset)


@receiver(post_save, sender=ContentAsset, dispatch_uid="content_reindex_on_save")
def reindex_on_save(sender, instance, raw=False, **kwargs):
    if not raw:
        _reindex(instance.pk)


@receiver(m2m_changed, sender=ContentAsset.personas.through, dispatch_uid="content_reindex_m2m")
def reindex_on_personas(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, ContentAsset):
        _reindex(instance.pk)
