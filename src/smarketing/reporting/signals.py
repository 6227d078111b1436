"""Receivers keeping the reporting tables and the dashboard cache in step with the data."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def on_stage_changed(sender, contact=None, **kwargs) -> None:
    """``stage_changed`` (sent on commit): recompute that contact's funnel facts now.

    A failure is logged, not raised: the change is committed already, and the periodic
    catch-up (or the next dashboard read) recomputes the contact from the checkpoint.
    """
    from smarketing.reporting.facts import refresh_funnel_facts

    if contact is None or contact.pk is None:
        return
    try:
        refresh_funnel_facts([contact.pk])
    except Exception:
        log.exception("funnel facts refresh failed for contact %s", contact.pk)


def on_fact_deleted(sender, instance=None, **kwargs) -> None:
    """``pre_delete`` of a funnel fact row (a contact deleted through the ORM cascades to it):
    take the contact out of the daily funnel counts in the same transaction."""
    from smarketing.reporting.facts import forget_from_days

    if instance is not None:
        forget_from_days(instance.contact_id)


def on_review_saved(sender, instance=None, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of a lead review: refresh its contact's facts (and
    review facts) once committed."""
    from django.db import transaction

    if instance is None or instance.contact_id is None:
        return
    cid = instance.contact_id

    def refresh():
        from smarketing.reporting.facts import refresh_funnel_facts

        try:
            refresh_funnel_facts([cid])
        except Exception:  # committed already; the catch-up or the nightly rebuild repairs it
            log.exception("review facts refresh failed for contact %s", cid)

    transaction.on_commit(refresh)


def on_deal_saved(sender, instance=None, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of a deal: once committed, drop its deal fact and
    recompute its primary contact's facts (which re-adds it with that contact's keys)."""
    from django.db import transaction

    if instance is None or instance.pk is None:
        return
    pk, cid = instance.pk, instance.primary_contact_id
    deleted = "created" not in kwargs  # post_delete has no ``created``

    def refresh():
        from smarketing.reporting import funnel_days
        from smarketing.reporting.facts import days_ready, refresh_funnel_facts

        try:
            if not days_ready():
                return
            with transaction.atomic():
                funnel_days.forget_deal(pk)
                if cid is not None and not deleted:
                    refresh_funnel_facts([cid])
        except Exception:  # committed already; the catch-up or the nightly rebuild repairs it
            log.exception("deal facts refresh failed for deal %s", pk)

    transaction.on_commit(refresh)


def on_demo_generated(sender, **kwargs) -> dict[str, int]:
    """``demo_generated``: build the reporting tables for the freshly written demo company.

    A failure is logged and leaves the demo intact (savepoint): the first dashboard read,
    the periodic task or ``smarketing reporting_refresh --rebuild`` builds them later."""
    from django.db import transaction

    from smarketing.reporting.facts import rebuild_reporting_tables

    try:
        with transaction.atomic():
            return rebuild_reporting_tables()
    except Exception:
        log.exception("building the reporting tables failed; run reporting_refresh --rebuild")
        return {}


def connect() -> None:
    from django.db.models.signals import post_delete, post_save, pre_delete

    from smarketing.crm.models import Deal
    from smarketing.demo.signals import demo_generated
    from smarketing.funnel.actions import stage_changed
    from smarketing.funnel.models import LeadReview
    from smarketing.reporting import cache
    from smarketing.reporting.models import ContactFunnelFact

    stage_changed.connect(on_stage_changed, dispatch_uid="reporting.funnel_facts")
    demo_generated.connect(on_demo_generated, dispatch_uid="reporting.demo")
    post_save.connect(cache.bump, dispatch_uid="reporting.cache.save")
    post_delete.connect(cache.bump, dispatch_uid="reporting.cache.delete")
    pre_delete.connect(
        on_fact_deleted, sender=ContactFunnelFact, dispatch_uid="reporting.funnel_days"
    )
    post_save.connect(on_review_saved, sender=LeadReview, dispatch_uid="reporting.reviews.save")
    post_delete.connect(on_review_saved, sender=LeadReview, dispatch_uid="reporting.reviews.delete")
    post_save.connect(on_deal_saved, sender=Deal, dispatch_uid="reporting.deals.save")
    post_delete.connect(on_deal_saved, sender=Deal, dispatch_uid="reporting.deals.delete")
