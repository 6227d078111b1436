"""Django's database as Ibis tables, for the pure analytics in :mod:`smarketing.analytics`.

The Ibis backend wraps the *same* DB-API connection Django uses (``from_connection``), so it
sees exactly what the ORM sees, inside the same transaction (tests included), on SQLite and
PostgreSQL alike. Analytics code receives ``ibis.Table`` objects and never imports Django.
"""

from __future__ import annotations

import ibis
from django.db import connection
from django.db.models import Model


def backend():
    """Return an Ibis backend bound to Django's current default connection."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        return ibis.sqlite.from_connection(raw)
    if connection.vendor == "postgresql":
        return ibis.postgres.from_connection(raw)
    raise RuntimeError(f"no Ibis adapter for database vendor {connection.vendor!r}")


def table(model: type[Model], con=None) -> ibis.Table:
    """The Ibis table of a Django model (column names are the DB column names, e.g. ``contact_id``)."""
    con = con or backend()
    return con.table(model._meta.db_table)
