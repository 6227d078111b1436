"""Insert many new model objects fast: ids reserved up front, one ``executemany`` per table.

Django's ``bulk_create`` compiles SQL for every object (about 30 µs a row) and needs
``RETURNING`` to learn new ids. An import of a million rows writes several million rows, so
new rows are written here instead: the ids are reserved first (PostgreSQL: ``nextval`` on the
table's sequence; SQLite: ``max(id)`` inside the batch's write transaction, which SQLite's
IMMEDIATE transactions make exclusive), set on the objects, and the rows go in with one
parameterised ``INSERT`` per table. No signals are sent (neither does ``bulk_create``).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.db import DatabaseError, connection, models
from django.db.models.base import ModelState
from django.utils import timezone

_PLANS: dict[type, tuple[str, list]] = {}


def _sqlite_datetime(value):
    # What Django's SQLite backend stores: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
    if value is _FROZEN[0]:
        # Default timestamps of a batch are one clock reading: convert it once.
        return _FROZEN[1]
    if value.tzinfo is dt.UTC:
        return value.isoformat(" ")[:-6]  # drop "+00:00": the naive form, without a copy
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


def _converter(field):
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return _sqlite_datetime if connection.vendor == "sqlite" else ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        places = field.decimal_places
        if connection.vendor == "sqlite":
            return lambda v: (
                None if v is None else str(Decimal(v).quantize(Decimal(1).scaleb(-places)))
            )
        return lambda v: v
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v)
    return None


def _plan(model) -> tuple[str, list]:
    key = (model, connection.vendor)
    if key not in _PLANS:
        fields = list(model._meta.concrete_fields)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        table = connection.ops.quote_name(model._meta.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - metadata only
        _PLANS[key] = (sql, [(f.attname, _converter(f), f) for f in fields])
    return _PLANS[key]


#: SQLite settings of the importing connection while it imports. The page cache (KiB): the
#: default 2 MiB is far smaller than the indexes a big import updates (contacts, history,
#: refs), and every miss is a read from the file; memory stays well under the import's
#: budget of 1 GB. The WAL checkpoint interval (pages): the default 1,000 pages means a
#: checkpoint at nearly every batch's commit, copying the same index pages again and again.
IMPORT_PRAGMAS = {"cache_size": -131072, "wal_autocheckpoint": 16384}


class import_cache:  # noqa: N801 - used like a function: ``with import_cache():``
    """Within the block, SQLite uses :data:`IMPORT_PRAGMAS` (restored afterwards)."""

    def __enter__(self):
        self.previous = {}
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                for name, value in IMPORT_PRAGMAS.items():
                    cursor.execute(f"PRAGMA {name}")
                    self.previous[name] = cursor.fetchone()[0]
                    cursor.execute(f"PRAGMA {name} = {int(value)}")
        return self

    def __exit__(self, *exc) -> None:
        if self.previous and connection.connection is not None:
            try:
                with connection.cursor() as cursor:
                    for name, value in self.previous.items():
                        cursor.execute(f"PRAGMA {name} = {int(value)}")
            except DatabaseError:  # the connection broke (the import's error says why)
                pass


_DEFAULTS: dict[type, tuple] = {}
#: The clock of the batch being planned (see :func:`frozen_now`; ``None``: read it per call)
#: and its SQLite text form.
_FROZEN: list = [None, None]


def _utc_now() -> dt.datetime:
    return _FROZEN[0] or dt.datetime.now(dt.UTC)


class frozen_now:  # noqa: N801 - used like a function: ``with frozen_now():``
    """Within the block, default timestamps of :func:`new` objects are one reading of the clock.

    A batch is written in one transaction, so one timestamp for its rows is as true as one per
    row, and reading the clock a few times per row was a measurable part of planning.
    """

    def __enter__(self):
        now = dt.datetime.now(dt.UTC)
        _FROZEN[1] = now.isoformat(" ")[:-6]
        _FROZEN[0] = now
        return now

    def __exit__(self, *exc) -> None:
        _FROZEN[0] = _FROZEN[1] = None


def _relations(model) -> dict[str, str]:
    """Forward FK names of ``model`` and their attnames (``account`` -> ``account_id``)."""
    return {
        f.name: f.attname
        for f in model._meta.concrete_fields
        if f.is_relation and (f.many_to_one or f.one_to_one)
    }


def new(model, **values):
    """An unsaved instance built without ``Model.__init__`` (five times faster).

    Starts from the fields' defaults (callable ones, such as ``timezone.now``, called for
    each object) and sets ``values`` (attnames, or a relation name with an object). Only for
    rows written by :func:`insert`. A related object is cached the way Django's descriptor
    does it (its pk, possibly not known yet, goes into the FK column; :func:`insert` fills it
    in later), without the descriptor's per-call router checks: one import, one database.
    """
    plan = _DEFAULTS.get(model)
    if plan is None:
        static, dynamic = {}, []
        for field in model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                # timezone.now reads a lazy setting on every call; USE_TZ is always on here.
                default = _utc_now if field.default is timezone.now else field.default
                dynamic.append((field.attname, default))
            else:
                static[field.attname] = field.get_default()
        plan = _DEFAULTS[model] = (static, dynamic, _relations(model))
    static, dynamic, relations = plan
    obj = model.__new__(model)
    data = obj.__dict__
    data.update(static)
    for attname, default in dynamic:
        data[attname] = default()
    state = obj._state = ModelState()
    state.fields_cache = {}  # (ModelState would build it lazily through a descriptor)
    for name, value in values.items():
        attname = relations.get(name)
        if attname is not None and isinstance(value, models.Model):
            data[attname] = value.pk
            state.fields_cache[name] = value
        elif attname is not None and value is None:
            data[attname] = None
            state.fields_cache[name] = None
        else:
            setattr(obj, name, value)
    return obj


def reserve_ids(model, n: int) -> list[int]:
    """Reserve ``n`` primary keys for ``model`` (call inside the batch's transaction)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, n],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT COALESCE(MAX({connection.ops.quote_name(model._meta.pk.column)}), 0) "
            f"FROM {connection.ops.quote_name(table)}"  # noqa: S608
        )
        start = cursor.fetchone()[0]
        # AUTOINCREMENT never reuses an id (a deleted row's id may come back on an undo):
        # start after the sequence too. Explicit ids move the sequence on as SQLite inserts.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(start, row[0] if row else 0)
        return list(range(start + 1, start + n + 1))


def insert(model, objects: list) -> None:
    """Insert unsaved ``objects`` of ``model``, giving each its reserved primary key."""
    if not objects:
        return
    sql, columns = _plan(model)
    for obj, pk in zip(objects, reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
    rows, now = [], timezone.now()
    relations = _relations(model)
    # Per column: attname, converter, and what a missing NOT NULL value becomes (a callable).
    fill = {}
    for attname, _convert, field in columns:
        if not field.null:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                fill[attname] = lambda: now
            elif field.has_default():
                fill[attname] = field.get_default
    attnames = [attname for attname, _convert, _field in columns]
    # Only these columns need more than a copy of the value: a conversion or a filler.
    special = [
        (i, attname, convert, fill.get(attname))
        for i, (attname, convert, _field) in enumerate(columns)
        if convert is not None or attname in fill
    ]
    alias = connection.alias
    for obj in objects:
        data = obj.__dict__
        cache = obj._state.fields_cache
        if cache:
            # Copy the ids of related objects saved earlier in the batch into the FK columns.
            for name, related in cache.items():
                if related is not None and related.pk is not None:
                    attname = relations.get(name)
                    if attname is not None and data.get(attname) is None:
                        data[attname] = related.pk
        get = data.get
        row = [get(attname) for attname in attnames]
        for i, attname, convert, filler in special:
            value = row[i]
            if value is None:
                if filler is not None:
                    value = data[attname] = filler()
                    if value is not None and convert is not None:
                        value = convert(value)
                    row[i] = value
            elif convert is not None:
                row[i] = convert(value)
        rows.append(row)
        obj._state.adding = False
        obj._state.db = alias
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


_ROW_PLANS: dict[tuple, tuple[str, list]] = {}


def insert_rows(
    model, attnames: tuple[str, ...], rows: list[tuple], *, ignore_conflicts: bool = False
) -> None:
    """Insert plain tuples (values of ``attnames``, in that order) into ``model``'s table.

    For rows nobody needs as objects afterwards (history rows, external refs): no model
    instance per row, no reserved ids (the database numbers them as ``insert`` would, in
    order). Columns left out take NULL, so every NOT NULL column must be among ``attnames``.
    Values are converted as :func:`insert` converts them. ``ignore_conflicts`` skips rows a
    unique constraint already holds (``ON CONFLICT DO NOTHING``: SQLite and PostgreSQL).
    """
    if not rows:
        return
    key = (model, attnames, connection.vendor, ignore_conflicts)
    plan = _ROW_PLANS.get(key)
    if plan is None:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fields = [by_attname[a] for a in attnames]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        table = connection.ops.quote_name(model._meta.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - metadata only
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        plan = _ROW_PLANS[key] = (sql, [(i, _converter(f)) for i, f in enumerate(fields)])
    sql, converters = plan
    converters = [(i, c) for i, c in converters if c is not None]
    if converters:
        converted = []
        for row in rows:
            row = list(row)
            for i, convert in converters:
                if row[i] is not None:
                    row[i] = convert(row[i])
            converted.append(row)
        rows = converted
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
