"""Writes for people and trust: users with profiles, API tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from smarketing.core.models import ApiToken, Team, UserProfile


@transaction.atomic
def do_create_user(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    role: str = UserProfile.Role.MEMBER,
    superuser: bool = False,
    **profile_fields,
):
    """Create a user with a profile (team, role, hours…); admins are staff and superusers."""
    User = get_user_model()
    if not username:
        raise ValidationError({"username": "a username is required"})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"user {username!r} already exists"})
    if role not in UserProfile.Role.values:
        raise ValidationError({"role": f"unknown role {role!r}; use admin, manager or member"})
    is_admin = superuser or role == UserProfile.Role.ADMIN
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    profile = UserProfile(user=user, team=team, role=role, **profile_fields)
    profile.full_clean()
    profile.save()
    return user


@transaction.atomic
def do_create_token(*, user, name: str, scopes: list[str], expires_at=None) -> tuple[ApiToken, str]:
    """Create an API token; returns ``(token, secret)`` (the secret is not stored)."""
    unknown = [s for s in scopes if s not in ApiToken.Scope.values]
    if unknown or not scopes:
        raise ValidationError(
            {
                "scopes": f"unknown or missing scope(s) {unknown}; use {', '.join(ApiToken.Scope.values)}"
            }
        )
    secret = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:10],
        key_hash=ApiToken.hash_key(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    return token, secret
