"""One registry of derived tables, one checkpoint model (:class:`~smarketing.core.models.FillState`).

A derived table is anything computed from the records and stored for reading: summaries, fact
tables, stored path sets, snapshots. The rule (docs/development/architecture.md): **the write
path and the worker keep them fresh, never a GET**. A page asks :func:`is_stale` (reads only);
when its table is stale it shows the stored figures with :func:`as_of`, or computes the same
expression live without storing it.

Registering a table (in the owning app's ``AppConfig.ready`` or a module it imports)::

    from smarketing.core import derived

    derived.register(
        "reporting.traffic",               # the FillState name
        rebuild=rebuild_traffic,           # () -> int: recompute everything
        catch_up=catch_up_traffic,         # () -> int: fold in what changed since the checkpoint
        is_stale=traffic_is_stale,         # () -> bool: READ ONLY (a GET calls it)
        backlog=traffic_backlog,           # optional () -> int: rows behind (for inline refresh)
        inline=None,                       # optional () -> int: cheaper catch-up on commit
        tables=("reporting_trafficday",),  # what it fills (listing, docs)
    )

Inside ``rebuild`` / ``catch_up`` (which run in a transaction), take the checkpoint with
:func:`checkpoint` (row locked: one fill at a time), read ``fs.state`` (last ids seen) and
:func:`take_dirty` (keys that updates marked), and end with :func:`filled`.

Write path: an update that changes rows a checkpoint cannot see (a re-owned touchpoint, a
merge, an edit) calls :func:`mark_dirty` inside its transaction; :func:`refresh_on_commit`
catches a table up once after the commit (once per transaction, however many writes).
Worker: :func:`refresh_all` every minute, :func:`rebuild_all` nightly
(``smarketing reporting_refresh [--rebuild]``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

#: An on-commit refresh folds in at most this many rows; more is left to the worker.
INLINE_LIMIT = 5_000


@dataclass(frozen=True)
class Derived:
    """One registered derived table (or group of tables filled together)."""

    name: str
    rebuild: Callable[[], int]
    catch_up: Callable[[], int]
    is_stale: Callable[[], bool]
    backlog: Callable[[], int] | None = None
    tables: tuple[str, ...] = field(default_factory=tuple)
    inline: Callable[[], int] | None = None


_REGISTRY: dict[str, Derived] = {}


def register(
    name: str,
    *,
    rebuild: Callable[[], int],
    catch_up: Callable[[], int],
    is_stale: Callable[[], bool],
    backlog: Callable[[], int] | None = None,
    tables: Iterable[str] = (),
    inline: Callable[[], int] | None = None,
) -> Derived:
    """Register (or re-register, by name) a derived table; see the module docstring.
    ``inline``: a cheaper catch-up for the write path (default ``catch_up``)."""
    entry = Derived(name, rebuild, catch_up, is_stale, backlog, tuple(tables), inline)
    _REGISTRY[name] = entry
    return entry


def registered() -> list[Derived]:
    """Every registered derived table, in registration order."""
    return list(_REGISTRY.values())


def get(name: str) -> Derived:
    """The registered entry ``name`` (``KeyError`` naming the known ones otherwise)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no derived table {name!r}; registered: {', '.join(_REGISTRY)}") from None


# --- reads (safe in a GET) ---------------------------------------------------------------------


def read(name: str):
    """The :class:`FillState` of ``name`` or ``None`` (never creates it)."""
    from smarketing.core.models import FillState

    return FillState.objects.filter(name=name).first()


def is_built(name: str) -> bool:
    """Whether ``name`` was ever built (a never-built table is computed live by readers)."""
    fs = read(name)
    return fs is not None and fs.built_at is not None


def is_stale(name: str) -> bool:
    """Whether ``name`` lags the records (the registered read-only check)."""
    return get(name).is_stale()


def as_of(*names: str) -> datetime | None:
    """The oldest last-fill time of ``names`` (what "as of HH:MM" says), ``None`` if unbuilt."""
    from smarketing.core.models import FillState

    times = list(FillState.objects.filter(name__in=names).values_list("filled_at", flat=True))
    if len(times) < len(set(names)) or any(t is None for t in times):
        return None
    return min(times)


# --- fills (the worker, the write path, commands) ---------------------------------------------


def checkpoint(name: str):
    """The :class:`FillState` row of ``name``, locked for this transaction (created empty)."""
    from smarketing.core.models import FillState

    fs = FillState.objects.select_for_update().filter(name=name).first()
    if fs is None:
        try:
            with transaction.atomic():
                FillState.objects.create(name=name)
        except IntegrityError:  # created by a concurrent fill
            pass
        fs = FillState.objects.select_for_update().get(name=name)
    return fs


def take_dirty(fs) -> dict[str, list]:
    """The keys marked dirty on ``fs`` (by kind), cleared on its next :func:`filled`."""
    dirty, fs.dirty = dict(fs.dirty or {}), {}
    return dirty


def filled(fs, *, state: dict | None = None, built: bool = False) -> None:
    """Record a successful fill of ``fs`` (new checkpoints ``state``; ``built``: a rebuild)."""
    from smarketing.core.models import FillState

    now = timezone.now()
    if state is not None:
        fs.state = {**(fs.state or {}), **state}
    if built:
        fs.built_at = now
    fs.filled_at = now
    fs.status = FillState.Status.OK
    fs.error = ""
    fs.save()


def mark_dirty(name: str, kind: str, keys: Iterable) -> None:
    """Mark ``keys`` of ``name`` dirty (``kind``: e.g. ``"days"`` as ISO dates, ``"contacts"``)
    inside the writer's transaction; the next fill recomputes them. No-op for an unbuilt table
    (its first build reads everything)."""
    keys = sorted({str(k) for k in keys})
    if not keys:
        return
    with transaction.atomic():
        fs = checkpoint(name)
        if fs.built_at is None:
            return
        dirty = dict(fs.dirty or {})
        dirty[kind] = sorted(set(dirty.get(kind, [])) | set(keys))
        fs.dirty = dirty
        fs.save(update_fields=["dirty"])


def refresh(name: str, *, inline: bool = False) -> int | None:
    """Catch ``name`` up (its registered ``catch_up``, atomically); the rows folded in, or
    ``None`` when it failed (logged and recorded on the FillState) or, with ``inline``, when the
    backlog is larger than :data:`INLINE_LIMIT` (left to the worker)."""
    from smarketing.core.models import FillState

    entry = get(name)
    if inline and entry.backlog is not None and entry.backlog() > INLINE_LIMIT:
        log.info("%s: backlog left to the worker", name)
        return None
    fill = (entry.inline or entry.catch_up) if inline else entry.catch_up
    try:
        with transaction.atomic():
            n = fill()
            # a pass with nothing to fold in does not touch the row: clear an earlier failure
            FillState.objects.filter(name=name, status=FillState.Status.FAILED).update(
                status=FillState.Status.OK, error=""
            )
            return n
    except Exception as exc:
        log.exception("derived table %s: catch-up failed", name)
        FillState.objects.filter(name=name).update(
            status=FillState.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return None


def refresh_all(*, prefix: str = "", only_stale: bool = False) -> dict[str, int | None]:
    """A worker pass: catch up every registered table whose name starts with ``prefix``
    (``only_stale``: those whose read-only check says stale; a catch-up may also look for
    what that check cannot see cheaply, such as edits by ``updated_at``)."""
    return {
        e.name: refresh(e.name)
        for e in registered()
        if e.name.startswith(prefix) and (not only_stale or e.is_stale())
    }


def rebuild_all(names: Iterable[str] | None = None) -> dict[str, int]:
    """Rebuild ``names`` (default: every registered table) from scratch; ``{name: rows}``."""
    out = {}
    for name in names or list(_REGISTRY):
        with transaction.atomic():
            out[name] = get(name).rebuild()
    return out


class _Pending:
    """The on-commit callback of one transaction: the tables to catch up after it commits."""

    def __init__(self, conn):
        self.conn, self.names = conn, set()
        self.dirty: dict[tuple[str, str], set] = {}
        self.index = len(conn.run_on_commit)

    def alive(self) -> bool:
        jobs = self.conn.run_on_commit
        return self.index < len(jobs) and jobs[self.index][1] is self

    def __call__(self) -> None:
        if getattr(self.conn, "_derived_pending", None) is self:
            self.conn._derived_pending = None
        for (name, kind), keys in self.dirty.items():
            try:
                mark_dirty(name, kind, keys)
            except Exception:  # committed already; the worker's edit scan finds them
                log.exception("%s: marking %s dirty failed", name, kind)
        for name in sorted(self.names):
            refresh(name, inline=True)


def refresh_on_commit(name: str, kind: str = "", keys: Iterable = ()) -> None:
    """Catch ``name`` up once the current transaction commits (once per transaction, however
    many writes ask; at once outside a transaction), first marking ``keys`` of ``kind`` dirty
    (collected in memory: one checkpoint write per transaction, not one per saved row). A
    large backlog is left to the worker."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        if kind:
            mark_dirty(name, kind, keys)
        refresh(name, inline=True)
        return
    pending = getattr(conn, "_derived_pending", None)
    if pending is None or not pending.alive():
        pending = conn._derived_pending = _Pending(conn)
        transaction.on_commit(pending)
    pending.names.add(name)
    if kind:
        pending.dirty.setdefault((name, kind), set()).update(keys)
