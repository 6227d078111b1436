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

from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone

_PLANS: dict[type, tuple[str, list]] = {}


def _sqlite_datetime(value):
    # What Django's SQLite backend stores: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
    if value.tzinfo is dt.UTC:
        return str(value.replace(tzinfo=None))
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


_DEFAULTS: dict[type, tuple] = {}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new(model, **values):
    """An unsaved instance built without ``Model.__init__`` (five times faster).

    Starts from the fields' defaults (callable ones, such as ``timezone.now``, called for
    each object) and sets ``values`` (attnames, or a relation name with an object). Only for
    rows written by :func:`insert`.
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
        plan = _DEFAULTS[model] = (static, dynamic)
    static, dynamic = plan
    obj = model.__new__(model)
    obj.__dict__.update(static)
    for attname, default in dynamic:
        obj.__dict__[attname] = default()
    obj._state = ModelState()
    for name, value in values.items():
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
    for obj in objects:
        _fill_fks(obj)
        row = []
        for attname, convert, field in columns:
            value = getattr(obj, attname)
            if value is None and not field.null:
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    value = now
                elif field.has_default():
                    value = field.get_default()
                setattr(obj, attname, value)
            row.append(convert(value) if convert is not None and value is not None else value)
        rows.append(row)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def _fill_fks(obj) -> None:
    """Copy the ids of related objects saved earlier in the batch into the FK columns."""
    cache = obj._state.fields_cache
    for name, related in cache.items():
        if related is not None and related.pk is not None:
            field = obj._meta.get_field(name)
            if getattr(field, "attname", None) and getattr(obj, field.attname) is None:
                setattr(obj, field.attname, related.pk)
