"""People and trust: teams, user profiles with roles and working hours, API tokens, audit log."""

from __future__ import annotations

import hashlib
import secrets
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def default_working_hours() -> dict[str, str]:
    """Monday to Friday, nine to five: the default working hours of a new user."""
    return dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00")


def validate_timezone(value: str) -> None:
    """Reject a timezone name that is not in the IANA database."""
    if value not in available_timezones():
        raise ValidationError(f"unknown timezone {value!r}; use an IANA name such as Europe/Berlin")


class Team(models.Model):
    """A Team is a group of users working one part of the shared funnel (marketing, sales, …)."""

    class Kind(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"
        SDR = "sdr", "SDR / BDR"
        CUSTOMER_SUCCESS = "customer_success", "Customer success"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserProfile(models.Model):
    """A UserProfile holds what smarketing knows about a user beyond login: team, role, hours."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MANAGER = "manager", "Manager"
        MEMBER = "member", "Member"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    working_hours = models.JSONField(default=default_working_hours, blank=True)
    territory = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated countries, regions or segments."
    )
    capacity = models.PositiveIntegerField(
        default=50, help_text="New leads per week this user can take (routing weight)."
    )
    out_of_office_from = models.DateTimeField(null=True, blank=True)
    out_of_office_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def clean(self) -> None:
        if (
            self.out_of_office_from
            and self.out_of_office_until
            and self.out_of_office_until <= self.out_of_office_from
        ):
            raise ValidationError({"out_of_office_until": "must be after out_of_office_from"})

    def is_out_of_office(self, at=None) -> bool:
        """True when ``at`` (default now) falls in the user's out-of-office period."""
        at = at or timezone.now()
        start, end = self.out_of_office_from, self.out_of_office_until
        return bool(start and start <= at and (end is None or at < end))

    @property
    def territories(self) -> list[str]:
        return [t.strip().upper() for t in self.territory.split(",") if t.strip()]


class ApiToken(models.Model):
    """An ApiToken lets a script act as a user through the REST API, limited to its scopes.

    Only a SHA-256 hash of the secret is stored; the secret is shown once at creation.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        INGEST = "ingest", "Ingest events"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "smk_" + secrets.token_urlsafe(32)

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AuditLog(models.Model):
    """An AuditLog row records who changed what, when: append-only."""

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        MERGE = "merge", "Merge"
        LOGIN = "login", "Login"
        OTHER = "other", "Other"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.CharField(max_length=150, blank=True, help_text="User, token or system rule.")
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")


class FillState(models.Model):
    """A FillState is the fill checkpoint of one derived table (a summary, fact table or
    snapshot registered in :mod:`smarketing.core.derived`), after Zulip's analytics
    ``FillState``: what has been folded in so far (``state``: last ids seen, edit times), what
    updates have marked dirty since (``dirty``: keys such as UTC days or contact ids), and when
    the table was last built and filled. Only the write path and the worker change it; a page
    reads it to decide whether its figures are current and to say "as of" when they are not.
    """

    class Status(models.TextChoices):
        EMPTY = "empty", "Never built"
        OK = "ok", "Filled"
        FAILED = "failed", "Last fill failed"

    name = models.CharField(max_length=60, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.EMPTY)
    state = models.JSONField(default=dict, blank=True, help_text="Checkpoints (last ids seen).")
    dirty = models.JSONField(
        default=dict, blank=True, help_text="Keys marked dirty by updates, by kind."
    )
    built_at = models.DateTimeField(null=True, blank=True, help_text="Last full rebuild.")
    filled_at = models.DateTimeField(
        null=True, blank=True, help_text="Last successful fill: the stored figures are as of it."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.status} as of {self.filled_at}"
