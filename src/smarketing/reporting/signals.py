"""Receivers keeping the reporting tables and the dashboard cache in step with the data."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

log = logging.getLogger(__name__)


def refresh_contacts(contact_ids) -> None:
    """Mark ``contact_ids`` dirty in the funnel facts and catch them up now (write path, after
    commit). A failure is logged, not raised: the change is committed already, and the
    periodic catch-up recomputes the contacts from the checkpoint."""
    from smarketing.core import derived
    from smarketing.reporting.facts import NAME

    try:
        if derived.is_built(NAME):
            derived.mark_dirty(NAME, "contacts", contact_ids)
            derived.refresh(NAME, inline=True)
    except Exception:
        log.exception("funnel facts refresh failed for contacts %s", contact_ids)


def on_stage_changed(sender, contact=None, **kwargs) -> None:
    """``stage_changed`` (sent on commit): recompute that contact's funnel facts now."""
    if contact is None or contact.pk is None:
        return
    refresh_contacts([contact.pk])


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

    transaction.on_commit(lambda: refresh_contacts([cid]))


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
        from smarketing.reporting.facts import days_ready

        try:
            if not days_ready():
                return
            with transaction.atomic():
                funnel_days.forget_deal(pk)
        except Exception:  # committed already; the catch-up or the nightly rebuild repairs it
            log.exception("deal facts refresh failed for deal %s", pk)
            return
        if cid is not None and not deleted:
            refresh_contacts([cid])

    transaction.on_commit(refresh)


def on_touchpoints_bulk_created(sender, contact_ids=(), reowned=False, **kwargs) -> None:
    """``touchpoints_bulk_created`` (after commit). New touchpoints are seen by the id
    checkpoint (the worker folds them in); touchpoints *re-owned* by an identify or a merge
    keep their ids, so their days (traffic, activity, content) and their contacts (attempts,
    funnel facts) are marked dirty: the facts are caught up now, the traffic now when only the
    last days moved, else by the worker's next pass (within a minute)."""
    from smarketing.core import derived
    from smarketing.reporting import facts, traffic

    if not reowned or not contact_ids:
        return
    try:
        days = [d.isoformat() for d in traffic.contact_touch_days(contact_ids)]
        derived.mark_dirty(traffic.NAME, "days", days)
        derived.mark_dirty(traffic.NAME, "contacts", contact_ids)
        derived.mark_dirty(facts.NAME, "contacts", contact_ids)
        derived.refresh(facts.NAME, inline=True)
        # Recent days recompute cheaply (index probes); older ones redo up to a year of
        # visitor gaps (a window pass), which is the worker's job, not an ingest request's.
        recent = timezone.now().date() - dt.timedelta(days=traffic.PROBE_DAYS)
        if all(d >= recent.isoformat() for d in days):
            derived.refresh(traffic.NAME, inline=True)
    except Exception:  # committed already; the worker or the nightly rebuild repairs it
        log.exception("marking re-owned touchpoints dirty failed for %s", contact_ids)


def on_record_saved(sender, **kwargs) -> None:
    """``post_save`` of a touchpoint or a contact through the ORM: catch the summaries up once
    the transaction commits (once per transaction)."""
    from smarketing.core import derived
    from smarketing.reporting import facts, traffic

    instance = kwargs.get("instance")
    if sender._meta.model_name == "contact":
        if instance is not None and derived.is_built(facts.NAME):
            derived.refresh_on_commit(facts.NAME, "contacts", [instance.pk])
    elif derived.is_built(traffic.NAME):
        derived.refresh_on_commit(traffic.NAME)


def register() -> None:
    """Register reporting's derived tables in :mod:`smarketing.core.derived`."""
    from smarketing.core import derived
    from smarketing.reporting import facts, traffic

    derived.register(
        facts.NAME,
        rebuild=facts.rebuild_funnel_facts,
        catch_up=facts.catch_up_funnel_facts,
        is_stale=facts.is_stale,
        backlog=facts.lag,
        inline=facts.catch_up_inline,
        tables=(
            "reporting_contactfunnelfact",
            "reporting_funnelday",
            "reporting_funnelcombo",
            "reporting review facts",
            "reporting deal facts",
        ),
    )
    derived.register(
        traffic.NAME,
        rebuild=traffic.rebuild_traffic,
        catch_up=traffic.catch_up_traffic,
        is_stale=traffic.is_stale,
        backlog=traffic.lag,
        tables=(
            "reporting_trafficday",
            "reporting_trafficvisitorgap",
            "reporting_activityday",
            "reporting_contactattempts",
            "reporting_contenttouchday",
        ),
    )


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

    from smarketing.crm.models import Contact, Deal, Touchpoint
    from smarketing.crm.signals import touchpoints_bulk_created
    from smarketing.demo.signals import demo_generated
    from smarketing.funnel.actions import stage_changed
    from smarketing.funnel.models import LeadReview
    from smarketing.reporting import cache
    from smarketing.reporting.models import ContactFunnelFact

    register()
    stage_changed.connect(on_stage_changed, dispatch_uid="reporting.funnel_facts")
    touchpoints_bulk_created.connect(
        on_touchpoints_bulk_created, dispatch_uid="reporting.reowned_touchpoints"
    )
    post_save.connect(on_record_saved, sender=Touchpoint, dispatch_uid="reporting.touchpoint")
    post_save.connect(on_record_saved, sender=Contact, dispatch_uid="reporting.contact")
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
