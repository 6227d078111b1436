"""The SLA app follows the funnel: clocks start on assignment and move on attempts and reviews.

Handoff signals are sent inside the funnel action's transaction, so a clock is written (or
rolled back) together with the assignment, attempt or review that moved it.
"""

from __future__ import annotations

from django.dispatch import receiver

from smarketing.core import derived
from smarketing.funnel.signals import attempt_logged, lead_assigned, lead_reviewed


def _catch_up() -> int:
    from smarketing.sla.actions import catch_up_snapshots

    return catch_up_snapshots()


def _stale() -> bool:
    from smarketing.sla.selectors import snapshots_stale

    return snapshots_stale()


# The stored month figures are a derived table: the worker refreshes them (sla/tasks.py),
# the dashboards read them (sla/selectors.py: stored, or live without storing).
derived.register(
    "sla.compliance",  # sla.actions.SNAPSHOTS
    rebuild=_catch_up,
    catch_up=_catch_up,
    is_stale=_stale,
    tables=("sla_compliancesnapshot",),
)


@receiver(lead_assigned, dispatch_uid="sla-start-clock")
def _start_clock(sender, contact, assignment, **kwargs):
    from smarketing.sla.actions import do_start_clock

    do_start_clock(assignment=assignment)


@receiver(attempt_logged, dispatch_uid="sla-attempt")
@receiver(lead_reviewed, dispatch_uid="sla-review")
def _refresh(sender, contact, **kwargs):
    from smarketing.sla.actions import refresh_contact_clock

    refresh_contact_clock(contact)


def rejection_outcome_from_sla(reason_code: str) -> str | None:
    """``recycled`` / ``disqualified`` for a reason per the active SLA (None = default)."""
    from smarketing.sla.selectors import active_sla

    doc, _ = active_sla()
    outcomes = getattr(doc.sales, "rejection_outcomes", None) or {}
    return outcomes.get(reason_code)
