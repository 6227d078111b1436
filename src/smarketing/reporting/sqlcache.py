"""Run Ibis queries through Django's cursor, caching the compiled SQL per query key.

Building and compiling an Ibis expression costs 50-150 ms per query in Python (sqlglot),
which dominated the dashboards' server time on small and medium data. The SQL of a dashboard
query depends only on its key (query name + filters), never on the data, so it is compiled
once per key and process, then executed directly. Running through Django's cursor also puts
these queries under Django's query accounting (``django_assert_max_num_queries``, debug
toolbar) and in the ORM's transaction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:  # Ibis and pandas load when a query first runs, not with every command
    import ibis
    import pandas as pd

_MAX = 2048
_SQL: OrderedDict[tuple, str] = OrderedDict()
_LOCK = threading.Lock()


def compiled(key: tuple, build: Callable[[], ibis.Expr]) -> str:
    """The SQL of a query key, compiling ``build()`` on the first call."""
    full = (connection.vendor, connection.settings_dict.get("NAME"), key)
    with _LOCK:
        sql = _SQL.get(full)
        if sql is not None:
            _SQL.move_to_end(full)
            return sql
    expr = build()
    sql = str(expr._find_backend().compile(expr))
    with _LOCK:
        _SQL[full] = sql
        while len(_SQL) > _MAX:
            _SQL.popitem(last=False)
    return sql


def _sqlite_functions() -> None:
    """Ibis' SQLite SQL calls helper functions (``_IBIS_DATE_DELTA`` ...) that Ibis registers on
    the connection it executes on; cached SQL may run on another connection (another thread),
    so register them on each Django connection once."""
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    raw = connection.connection
    # marker on Django's per-thread wrapper: the raw connection the functions were added to
    if getattr(connection, "_smarketing_ibis_udfs", None) is not raw:
        from ibis.backends.sqlite.udf import register_all

        register_all(raw)
        connection._smarketing_ibis_udfs = raw


def run(key: tuple, build: Callable[[], ibis.Expr]) -> pd.DataFrame:
    """Execute the (cached) SQL of ``key`` on Django's connection; a DataFrame of the rows."""
    import pandas as pd

    sql = compiled(key, build)
    _sqlite_functions()
    with connection.cursor() as cur:
        cur.execute(sql)
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


def execute(sql: str, params=None) -> int:
    """Execute a statement (e.g. ``INSERT ... SELECT`` built from a cached query) on Django's
    connection; the number of rows it affected."""
    _sqlite_functions()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def clear() -> None:
    """Forget every compiled query (tests; after a schema migration)."""
    with _LOCK:
        _SQL.clear()
