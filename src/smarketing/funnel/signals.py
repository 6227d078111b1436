"""Funnel events other apps (SLA, webhooks, notifications, scoring) listen to.

``stage_changed`` (in :mod:`smarketing.funnel.actions`) is sent on commit. The handoff signals
below are sent *inside* the action's transaction, so a receiver that writes state (the SLA app
starts and stops clocks) commits or rolls back with the change itself; a receiver doing outside
I/O (a webhook call) should wrap it in ``transaction.on_commit``.
"""

from __future__ import annotations

import django.dispatch

#: A lead was routed or reassigned: ``contact``, ``assignment`` (LeadAssignment).
lead_assigned = django.dispatch.Signal()
#: Sales accepted or rejected a lead: ``contact``, ``review`` (LeadReview), ``to_stage``.
lead_reviewed = django.dispatch.Signal()
#: A sales attempt (call, email, LinkedIn…) was logged: ``contact``, ``touchpoint``.
attempt_logged = django.dispatch.Signal()
