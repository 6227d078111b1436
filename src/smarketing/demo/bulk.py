"""Fast bulk inserts for generated data: COPY on PostgreSQL, executemany on SQLite.

The demo generator produces millions of rows; going through model instances would take
minutes. Rows are plain tuples in model field order; values are converted per backend.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import Model


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _pg_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def bulk_insert(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence], *, chunk: int = 50_000
) -> int:
    """Insert ``rows`` (tuples matching ``columns``, DB column names) into ``model``'s table."""
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        copy_sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
        with connection.connection.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([_pg_value(v) for v in row])
                count += 1
        return count
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'
    raw = connection.connection
    batch: list = []
    for row in rows:
        batch.append(tuple(_sqlite_value(v) for v in row))
        if len(batch) >= chunk:
            raw.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    if batch:
        raw.executemany(sql, batch)
        count += len(batch)
    return count


def reset_sequences(models: Sequence[type[Model]]) -> None:
    """After inserting explicit ids, move PostgreSQL sequences past them."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
