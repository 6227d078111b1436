"""An Ibis backend over Django's connection that never commits Django's open transaction.

Ibis' SQLite backend commits the DB-API connection after its own metadata queries
(``Backend.begin()`` calls ``con.commit()``), e.g. on every ``con.table(name)``. On the
connection Django shares with it, that would commit the caller's ``atomic`` block half-way
(and, in tests, leak rows between tests). This wrapper hands Ibis a proxy whose ``commit`` and
``rollback`` are no-ops while Django is inside an atomic block; otherwise they pass through.
It also undoes Ibis' ``PRAGMA case_sensitive_like = ON`` (Django's ``icontains`` needs OFF).
PostgreSQL needs nothing: Ibis uses ``con.transaction()`` there, a savepoint inside Django's.

TODO(lead): fold this into ``smarketing.core.ibis_db.backend`` so every app gets it.
"""

from __future__ import annotations

import ibis
from django.db import connection

from smarketing.core.ibis_db import backend as _core_backend


class _GuardedConnection:
    """Forwards everything to the sqlite3 connection except commit/rollback inside atomic."""

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
    """Like :func:`smarketing.core.ibis_db.backend`, safe inside Django transactions."""
    if connection.vendor != "sqlite":
        return _core_backend()
    connection.ensure_connection()
    con = ibis.sqlite.from_connection(_GuardedConnection(connection.connection))
    # Ibis switches the connection to case-sensitive LIKE; Django's icontains on SQLite relies
    # on SQLite's default case-insensitive LIKE, so switch it back on the shared connection.
    connection.connection.execute("PRAGMA case_sensitive_like = OFF")
    return con
