"""Django's database as Ibis tables, for the pure analytics in :mod:`smarketing.analytics`.

The Ibis backend wraps the *same* DB-API connection Django uses (``from_connection``), so it
sees exactly what the ORM sees, inside the same transaction (tests included), on SQLite and
PostgreSQL alike. Analytics code receives ``ibis.Table`` objects and never imports Django.

Two SQLite details make the sharing safe:

- Ibis' SQLite backend commits the DB-API connection after its own metadata queries
  (``Backend.begin()`` calls ``con.commit()``, e.g. on every ``con.table(name)``). On the
  connection Django shares with it, that would commit the caller's ``atomic`` block half-way
  (and, in tests, leak rows between tests). Ibis therefore gets a proxy whose ``commit`` and
  ``rollback`` do nothing while Django is inside an atomic block.
- Ibis switches the connection to ``PRAGMA case_sensitive_like = ON``; Django's ``icontains``
  relies on SQLite's default case-insensitive ``LIKE``, so it is switched back.

PostgreSQL needs neither: Ibis uses ``con.transaction()`` there, a savepoint inside Django's.
"""

from __future__ import annotations

import ibis
from django.db import connection
from django.db.models import Model


class _GuardedConnection:
    """Forwards to the sqlite3 connection, except commit/rollback inside an atomic block."""

    def __init__(self, raw):
        self._raw = raw

    def commit(self):
        if not connection.in_atomic_block:
            self._raw.commit()

    def rollback(self):
        if not connection.in_atomic_block:
            self._raw.rollback()

    def __getattr__(self, name):
        return getattr(self._raw, name)


def backend():
    """Return an Ibis backend bound to Django's current default connection."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        con = ibis.sqlite.from_connection(_GuardedConnection(raw))
        raw.execute("PRAGMA case_sensitive_like = OFF")
        return con
    if connection.vendor == "postgresql":
        return ibis.postgres.from_connection(raw)
    raise RuntimeError(f"no Ibis adapter for database vendor {connection.vendor!r}")


def table(model: type[Model], con=None) -> ibis.Table:
    """The Ibis table of a Django model (column names are DB column names, e.g. ``contact_id``)."""
    con = con or backend()
    return con.table(model._meta.db_table)
