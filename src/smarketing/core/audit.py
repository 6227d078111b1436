"""Record every create, update and delete of the shared records in the audit log.

Models opt in by subclassing :class:`AuditedModel`. The acting user comes from a context
variable set by :class:`smarketing.core.middleware.AuditUserMiddleware` (web, API) or by
:func:`acting_as` (CLI, tasks). Bulk inserts (demo generator, importers) bypass signals by
design; importers record one summary row instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
from collections.abc import Iterator

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

_actor: contextvars.ContextVar[tuple[object | None, str]] = contextvars.ContextVar(
    "smarketing_actor", default=(None, "system")
)


#: The client address of the current request (set by the audit middleware), shown with the actor.
_origin: contextvars.ContextVar[str] = contextvars.ContextVar("smarketing_origin", default="")


@contextlib.contextmanager
def request_origin(address: str) -> Iterator[None]:
    """Record ``address`` (the client IP) with every audit row written inside the block."""
    token = _origin.set(address)
    try:
        yield
    finally:
        _origin.reset(token)


@contextlib.contextmanager
def acting_as(user=None, label: str | None = None) -> Iterator[None]:
    """Attribute audit rows written inside the block to ``user`` (or a label like 'import')."""
    if label is None:
        current_user, current_label = _actor.get()
        # Re-entering for the same user keeps the richer label (e.g. "token:<name>").
        same = user is not None and getattr(current_user, "pk", None) == user.pk
        label = current_label if same else (user.get_username() if user else "system")
    token = _actor.set((user, label))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> tuple[object | None, str]:
    """The (user, label) that audit rows are attributed to right now."""
    return _actor.get()


def _plain(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


class AuditedModel(models.Model):
    """Base class for models whose changes are written to the audit log."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_snapshot = dict(zip(field_names, values, strict=False))
        return instance

    def audit_values(self) -> dict:
        """Field values worth auditing (bookkeeping timestamps like ``updated_at`` left out)."""
        return {
            f.attname: _plain(getattr(self, f.attname))
            for f in self._meta.concrete_fields
            if not getattr(f, "auto_now", False)
        }


def record(*, action: str, obj=None, object_type: str = "", object_id="", changes=None) -> None:
    """Append one audit row for ``obj`` (or an explicit type/id) with the current actor."""
    from smarketing.core.models import AuditLog

    user, label = current_actor()
    origin = _origin.get()
    AuditLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        actor=(f"{label} from {origin}" if origin else label)[:150],
        action=action,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=str(object_id or (obj.pk if obj is not None else "")),
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
    )


@receiver(post_save)
def _audit_save(sender, instance, created, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel):
        return
    new = instance.audit_values()
    if created:
        record(action="create", obj=instance, changes={k: [None, v] for k, v in new.items()})
    else:
        old = {k: _plain(v) for k, v in getattr(instance, "_audit_snapshot", {}).items()}
        diff = {k: [old.get(k), v] for k, v in new.items() if k in old and old.get(k) != v}
        if diff:
            record(action="update", obj=instance, changes=diff)
    instance._audit_snapshot = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


@receiver(post_delete)
def _audit_delete(sender, instance, **kwargs):
    if isinstance(instance, AuditedModel):
        record(action="delete", obj=instance)
