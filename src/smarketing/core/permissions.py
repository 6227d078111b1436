"""Who may do what: one permission matrix by role and team, asked through :func:`can`.

Web views, the REST API, CSV import and the CLI all call ``can(user, action, obj)`` (or
:func:`require`, which raises :class:`PermissionDenied`), so a route can never allow what
another denies. The matrix is documented in docs/security.md; change both together.

Roles (``UserProfile.role``; superusers are admins): **admin**, **manager**, **member**, and
**viewer** (read-only: a member of the Django group :data:`VIEWER_GROUP`, whatever their
role, so no migration is needed to add one). Teams matter through their kind: a *marketing*
user never changes a deal's amount; a manager reassigns only leads of their own team.

This module is at the bottom of the layers: it knows users and teams, and reads records only
through duck-typed attributes (``owner_id``, ``created_by_id``), never importing an app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied

ADMIN, MANAGER, MEMBER, VIEWER = "admin", "manager", "member", "viewer"
ROLES = (ADMIN, MANAGER, MEMBER, VIEWER)
#: Django auth group whose members only read (dashboards, reports, records), whatever their role.
VIEWER_GROUP = "viewers"
#: Team kinds on the sales side of the handoff (they own leads and deals).
SALES_KINDS = ("sales", "sdr", "customer_success")


def role_of(user) -> str:
    """The user's role in the matrix: admin, manager, member or viewer ("" when anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_smarketing_role", None)
    if cached:
        return cached
    profile = getattr(user, "profile", None)
    role = profile.role if profile is not None else MEMBER
    if role != ADMIN and user.groups.filter(name=VIEWER_GROUP).exists():
        role = VIEWER
    user._smarketing_role = role
    return role


def team_kind(user) -> str:
    """The kind of the user's team (marketing, sales, sdr, customer_success) or ""."""
    profile = getattr(user, "profile", None)
    team = getattr(profile, "team", None) if profile is not None else None
    return team.kind if team is not None else ""


def team_ids(user) -> set[int]:
    """Teams the user belongs to or manages."""
    ids = {t.pk for t in user.managed_teams.all()} if user.pk else set()
    profile = getattr(user, "profile", None)
    if profile is not None and profile.team_id:
        ids.add(profile.team_id)
    return ids


def _user_team_id(user_id: int | None) -> int | None:
    from smarketing.core.models import UserProfile

    if user_id is None:
        return None
    return UserProfile.objects.filter(user_id=user_id).values_list("team_id", flat=True).first()


def in_my_team(user, other_user_id: int | None) -> bool:
    """True when ``other_user_id`` is the user or a member of a team the user is in or manages."""
    if other_user_id is None:
        return False
    if other_user_id == user.pk:
        return True
    team = _user_team_id(other_user_id)
    return team is not None and team in team_ids(user)


# --- the rules -------------------------------------------------------------------------------


def _writer(user, obj=None, **_) -> bool:
    return role_of(user) in (ADMIN, MANAGER, MEMBER)


def _admin(user, obj=None, **_) -> bool:
    return role_of(user) == ADMIN


def _manager(user, obj=None, **_) -> bool:
    return role_of(user) in (ADMIN, MANAGER)


def _work_lead(user, obj=None, **_) -> bool:
    """Accept, reject, log attempts: the owner, a manager of the owner's team, admins."""
    role = role_of(user)
    if role == ADMIN:
        return True
    if role not in (MANAGER, MEMBER) or obj is None:
        return False
    owner_id = getattr(obj, "owner_id", None)
    if owner_id == user.pk:
        return True
    return role == MANAGER and (owner_id is None or in_my_team(user, owner_id))


def _assign_lead(user, obj=None, *, target=None, **_) -> bool:
    """Reassign: admins anywhere; managers from and to their own team (or the queue)."""
    role = role_of(user)
    if role == ADMIN:
        return True
    if role != MANAGER:
        return False
    owner_id = getattr(obj, "owner_id", None) if obj is not None else None
    if owner_id is not None and not in_my_team(user, owner_id):
        return False
    target_id = getattr(target, "pk", target)
    return target_id is None or in_my_team(user, target_id)


def _change_record(user, obj=None, **_) -> bool:
    """Edit a lead or deal: its owner, a manager of the owner's team, admins."""
    role = role_of(user)
    if role == ADMIN:
        return True
    if role not in (MANAGER, MEMBER):
        return False
    owner_id = getattr(obj, "owner_id", None) if obj is not None else None
    if obj is None or owner_id == user.pk:
        return True
    return role == MANAGER and (owner_id is None or in_my_team(user, owner_id))


def _change_deal_amount(user, obj=None, **kw) -> bool:
    """Deal amounts are sales' figure: marketing never changes one, by any route."""
    if role_of(user) == ADMIN:
        return True
    return team_kind(user) in SALES_KINDS and _change_record(user, obj, **kw)


def _own_share_link(user, obj=None, **_) -> bool:
    """A share link belongs to its creator; admins manage every link."""
    role = role_of(user)
    if role == ADMIN:
        return True
    return role in (MANAGER, MEMBER) and obj is not None and obj.created_by_id == user.pk


#: The matrix: action → rule. docs/security.md lists the same table in words.
RULES: dict[str, Callable[..., bool]] = {
    "record.read": lambda user, obj=None, **_: bool(role_of(user)),
    "record.change": _change_record,
    "lead.work": _work_lead,
    "lead.assign": _assign_lead,
    "lead.see_queue": _manager,
    "deal.change_amount": _change_deal_amount,
    "import.run": _manager,
    "scoring.propose": _manager,
    "scoring.activate": _admin,
    "scoring.rescore": _admin,
    "sla.propose": _manager,
    "sla.activate": _admin,
    "planning.set_goal": _admin,
    "abm.manage": _manager,
    "share.create": _writer,
    "share.manage": _own_share_link,
    "share.see_all": _admin,
    "token.create": _writer,
}


def can(user, action: str, obj: Any = None, **context) -> bool:
    """True when ``user`` may do ``action`` (to ``obj``); unknown actions are denied.

    >>> can(None, "scoring.activate")
    False
    """
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown permission action {action!r}; see core.permissions.RULES")
    return bool(rule(user, obj, **context))


#: Why an action was refused, in the words the pages and the API show.
REASONS = {
    "record.change": "only the owner, their team's manager or an admin change this record",
    "lead.work": "this lead is not yours to work (owner, their manager or an admin)",
    "lead.assign": "only managers reassign leads, and only within their team (or admins)",
    "lead.see_queue": "only managers and admins see the queue",
    "deal.change_amount": "marketing cannot change deal amounts; the deal's owner, their "
    "manager or an admin can",
    "import.run": "importing and merging need a manager or admin",
    "scoring.propose": "only managers and admins propose scoring definitions",
    "scoring.activate": "only admins put a scoring definition in force (managers propose drafts)",
    "scoring.rescore": "only admins trigger a full rescore",
    "sla.propose": "only managers and admins propose SLA versions",
    "sla.activate": "only admins put an SLA in force (managers propose drafts)",
    "planning.set_goal": "only admins set the shared revenue goal",
    "share.create": "read-only users cannot create share links",
    "share.manage": "a share link belongs to its creator (and admins)",
    "token.create": "read-only users cannot create API tokens",
}


def reason(action: str) -> str:
    """The sentence telling a refused user why (for a 403 page or API answer)."""
    return REASONS.get(action, f"you may not {action}")


def require(user, action: str, obj: Any = None, **context) -> None:
    """Raise :class:`PermissionDenied` (403 on pages and the API) unless :func:`can` allows."""
    if not can(user, action, obj, **context):
        raise PermissionDenied(reason(action))
