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


def on_demo_generated(sender, **kwargs) -> dict[str, int]:
    """``demo_generated``: build the reporting tables for the freshly written demo company."""
    from smarketing.reporting.facts import rebuild_reporting_tables

    return rebuild_reporting_tables()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from smarketing.demo.signals import demo_generated
    from smarketing.funnel.actions import stage_changed
    from smarketing.reporting import cache

    stage_changed.connect(on_stage_changed, dispatch_uid="reporting.funnel_facts")
    demo_generated.connect(on_demo_generated, dispatch_uid="reporting.demo")
    post_save.connect(cache.bump, dispatch_uid="reporting.cache.save")
    post_delete.connect(cache.bump, dispatch_uid="reporting.cache.delete")
