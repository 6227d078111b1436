"""Reads of the funnel: who may work which lead, and the sales lead inbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from smarketing.core.models import UserProfile
from smarketing.core.permissions import can
from smarketing.crm.models import Contact
from smarketing.funnel.models import LeadAssignment
from smarketing.funnel.routing import SALES_TEAM_KINDS
from smarketing.funnel.scores import LeadScores, scores_for

#: Stages a rep works from the inbox: MQLs to accept or reject, SALs being qualified.
INBOX_STAGES = ("mql", "sal")
PRIORITY_RANK = {"hand_raiser": 0, "high": 1, "default": 2}


def role_of(user) -> str:
    profile = getattr(user, "profile", None)
    if user.is_superuser:
        return UserProfile.Role.ADMIN
    return profile.role if profile is not None else UserProfile.Role.MEMBER


def managed_reps(user) -> list:
    """Reps whose inboxes ``user`` may see: their own, their teams' (managers), all (admins)."""
    User = get_user_model()
    role = role_of(user)
    if role == UserProfile.Role.ADMIN:
        qs = User.objects.filter(profile__team__kind__in=SALES_TEAM_KINDS)
    elif role == UserProfile.Role.MANAGER:
        qs = User.objects.filter(profile__team__manager=user)
    else:
        return [user]
    reps = list(qs.filter(is_active=True).select_related("profile").order_by("username"))
    return reps if user in reps else [user, *reps]


def can_manage(user) -> bool:
    """Managers and admins see the queue and can reassign (core.permissions decides)."""
    return can(user, "lead.see_queue")


def can_work_lead(user, contact: Contact) -> bool:
    """The owner works a lead; their manager and admins may act on it too (queue: managers)."""
    return can(user, "lead.work", contact)


@dataclass
class InboxRow:
    """One lead in an inbox with its assignment and scores."""

    contact: Contact
    assignment: LeadAssignment | None
    scores: LeadScores | None

    @property
    def priority(self) -> str:
        return self.assignment.priority if self.assignment else "default"


def inbox(*, owner=None, queue: bool = False, limit: int = 200) -> list[InboxRow]:
    """A rep's open leads (or the unassigned queue): hand-raisers first, then by score."""
    qs = Contact.objects.filter(lifecycle_stage__in=INBOX_STAGES).select_related(
        "account", "persona", "owner"
    )
    qs = qs.filter(owner__isnull=True, lifecycle_stage="mql") if queue else qs.filter(owner=owner)
    contacts = list(qs.order_by("-stage_changed_at", "-id")[: limit * 2])
    ids = [c.pk for c in contacts]
    assignments = {
        a.contact_id: a for a in LeadAssignment.objects.filter(contact_id__in=ids, is_current=True)
    }
    scores = scores_for(ids)
    rows = [InboxRow(c, assignments.get(c.pk), scores.get(c.pk)) for c in contacts]
    rows.sort(
        key=lambda r: (
            r.contact.lifecycle_stage != "mql",  # decisions waiting come first
            PRIORITY_RANK.get(r.priority, 3),
            -(r.scores.total if r.scores else 0.0),
            -(r.assignment.assigned_at.timestamp() if r.assignment else 0.0),
        )
    )
    return rows[:limit]
