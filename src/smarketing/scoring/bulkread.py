"""Bulk reads for rule scoring: typed columns straight from Django's connection.

A full rescore reads every contact and every countable touchpoint (millions of rows). The
general readers in :mod:`smarketing.scoring.data` go through Ibis' ``to_pandas``, which on
SQLite builds the frame with ``DataFrame.from_records`` over the cursor and lets Django's
converter parse every timestamp cell in Python; and SQLite's planner answers the touchpoint
filter (``kind IN (…) AND occurred_at <= …``) through the ``(kind, occurred_at)`` index, one
random table read per row. At 5,000,000 touchpoints that was ~24 s of index lookups against
~1.3 s for a plain table scan (see ``docs/scoring.md``).

So the rule-scoring path reads here instead, with the same values (the incremental == bulk
tests hold): hand-written SQL over the same tables, ``NOT INDEXED`` on SQLite when every
touchpoint is read, timestamps fetched as text and parsed once per column by pandas, columns
built from row chunks with the cyclic garbage collector paused (millions of row tuples
otherwise trigger full collections over and over); on PostgreSQL the rows come through
``COPY … TO STDOUT`` as CSV and pyarrow parses them.

Column kinds: ``int`` (not null), ``number`` (float, NaN for null), ``text`` (``None`` for
null), ``bool`` (``True``/``False``/``None``), ``time`` (UTC ``datetime64``).
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import connection

from smarketing.crm.models import Account, Campaign, Contact, ContentAsset, Persona, Touchpoint

#: Rows fetched per chunk on SQLite (bounds the transient Python objects).
CHUNK_ROWS = 250_000

#: Fit field -> (table alias, column, kind).
FIT_SQL: dict[str, tuple[str, str, str]] = {
    "persona": ("p", "slug", "text"),
    "title": ("c", "title", "text"),
    "seniority": ("c", "seniority", "text"),
    "country": ("c", "country", "text"),
    "email": ("c", "email", "text"),
    "lifecycle_stage": ("c", "lifecycle_stage", "text"),
    "original_source": ("c", "original_source", "text"),
    "original_channel": ("c", "original_channel", "text"),
    "industry": ("a", "industry", "text"),
    "region": ("a", "region", "text"),
    "segment": ("a", "segment", "text"),
    "account_country": ("a", "country", "text"),
    "account_domain": ("a", "domain", "text"),
    "employees": ("a", "employees", "number"),
    "tier": ("a", "tier", "number"),
    "target_account": ("a", "is_target", "bool"),
}


@contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(values: Sequence, kind: str) -> np.ndarray | pd.Series:
    if kind == "int":
        return np.fromiter(values, dtype=np.int64, count=len(values))
    if kind == "number":
        return np.array(values, dtype=float)  # None -> NaN
    if kind == "bool":
        out = np.array(values, dtype=object)
        known = out != None  # noqa: E711 (element-wise)
        out[known] = out[known].astype(bool)
        return out
    return np.array(values, dtype=object)  # text and time (parsed once, below)


def _times(values: np.ndarray | pd.Series) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601", utc=True)


def _sqlite_frame(sql: str, params: list, columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    names = [name for name, _ in columns]
    parts: dict[str, list] = {name: [] for name in names}
    with _gc_paused(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            for (name, kind), values in zip(columns, zip(*rows, strict=True), strict=True):
                parts[name].append(_column(values, kind))
            del rows
    return _frame_from(parts, columns)


def _frame_from(parts: dict[str, list], columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    data = {}
    for name, kind in columns:
        chunks = parts.pop(name)
        if chunks:
            values = np.concatenate(chunks)
        else:
            empty = {"int": np.int64, "number": float}.get(kind, object)
            values = np.zeros(0, dtype=empty)
        data[name] = _times(values) if kind == "time" else values
    return pd.DataFrame(data, columns=[name for name, _ in columns])


def _postgres_frame(sql: str, params: list, columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [name for name, _ in columns]
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT CSV)", params) as copy:
            for block in copy:
                buffer.write(block)
    if not buffer.getbuffer().nbytes:
        return _frame_from({name: [] for name in names}, columns)
    types = {"int": pa.int64(), "number": pa.float64(), "bool": pa.bool_()}
    table = pcsv.read_csv(
        io.BytesIO(buffer.getvalue()),
        read_options=pcsv.ReadOptions(column_names=names),
        convert_options=pcsv.ConvertOptions(
            column_types={n: types.get(k, pa.string()) for n, k in columns},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # "" is an empty text, an unquoted nothing NULL
            true_values=["t"],
            false_values=["f"],
        ),
    )
    data = {}
    for (name, kind), values in zip(columns, table.columns, strict=True):
        if kind == "time":
            data[name] = _times(values.to_numpy(zero_copy_only=False))
        elif kind == "number":
            data[name] = values.to_numpy(zero_copy_only=False).astype(float)
        elif kind == "int":
            data[name] = values.to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            data[name] = np.array(values.to_pylist(), dtype=object)
    return pd.DataFrame(data, columns=names)


def read_frame(sql: str, params: list, columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Run ``sql`` (``%s`` placeholders) on Django's connection; a frame typed by ``columns``.

    ``columns`` gives each selected column's name and kind, in select order.
    """
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        return _postgres_frame(sql, params, columns)
    return _sqlite_frame(sql, params, columns)


def _time_sql(expr: str) -> str:
    # Text on both backends: no per-cell converter on SQLite, UTC wall time on PostgreSQL.
    if connection.vendor == "postgresql":
        return f"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    return f"CAST({expr} AS TEXT)"


def ids_filter(column: str, ids: Iterable[int]) -> tuple[str, list]:
    """A ``WHERE`` clause keeping ``column`` in ``ids`` (one parameter, any number of ids)."""
    values = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def contacts(fields: Iterable[str], *, ids: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per contact: ``contact_id`` plus ``fields`` (fit-field names), by id.

    ``country`` falls back to the account's country, like :func:`data.contacts_frame`.
    """
    wanted = list(dict.fromkeys(fields))
    asked_account_country = "account_country" in wanted
    if "country" in wanted and not asked_account_country:
        wanted.append("account_country")
    aliases = {"c": Contact, "a": Account, "p": Persona}
    select = [f"c.{_q('id')}"]
    columns = [("contact_id", "int")]
    for name in wanted:
        alias, column, kind = FIT_SQL[name]
        select.append(f"{alias}.{_q(column)}")
        columns.append((name, kind))
    sql = f"SELECT {', '.join(select)} FROM {_q(aliases['c']._meta.db_table)} c"
    used = {FIT_SQL[name][0] for name in wanted}
    if "a" in used:
        sql += f" LEFT JOIN {_q(Account._meta.db_table)} a ON c.{_q('account_id')} = a.{_q('id')}"
    if "p" in used:
        sql += f" LEFT JOIN {_q(Persona._meta.db_table)} p ON c.{_q('persona_id')} = p.{_q('id')}"
    params: list = []
    if ids is not None:
        where, params = ids_filter(f"c.{_q('id')}", ids)
        sql += f" WHERE {where}"
    sql += f" ORDER BY c.{_q('id')}"
    frame = read_frame(sql, params, columns)
    if "country" in frame.columns and "account_country" in frame.columns:
        own = frame["country"]
        blank = own.isna() | (own.astype(str).str.strip() == "")
        frame["country"] = own.where(~blank, frame["account_country"])
        if not asked_account_country:
            frame = frame.drop(columns=["account_country"])
    return frame


def touchpoints(
    *,
    attributes: Iterable[str] = (),
    kinds: Iterable[str] | None = None,
    until: dt.datetime | None = None,
    ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Touchpoints of known contacts: ``contact_id, occurred_at, kind`` plus ``attributes``.

    Same rows and values as :func:`data.touchpoints_frame` (``url`` is the full URL here;
    the caller reduces it to its path).
    """
    attributes = set(attributes)
    t = _q(Touchpoint._meta.db_table)
    select = [f"t.{_q('contact_id')}", _time_sql(f"t.{_q('occurred_at')}"), f"t.{_q('kind')}"]
    columns = [("contact_id", "int"), ("occurred_at", "time"), ("kind", "text")]
    joins = ""
    if "url" in attributes:
        select.append(f"t.{_q('url')}")
        columns.append(("url", "text"))
    if "channel" in attributes:
        select.append(f"t.{_q('channel')}")
        columns.append(("channel", "text"))
    if "campaign" in attributes:
        select.append(f"COALESCE(NULLIF(cp.{_q('utm_campaign')}, ''), cp.{_q('name')})")
        columns.append(("campaign", "text"))
        joins += (
            f" LEFT JOIN {_q(Campaign._meta.db_table)} cp ON t.{_q('campaign_id')} = cp.{_q('id')}"
        )
    if "content" in attributes:
        select.append(f"ca.{_q('title')}")
        columns.append(("content", "text"))
        joins += (
            f" LEFT JOIN {_q(ContentAsset._meta.db_table)} ca"
            f" ON t.{_q('content_id')} = ca.{_q('id')}"
        )
    # Reading (nearly) every row: a table scan, not one index probe and table read per row.
    hint = " NOT INDEXED" if ids is None and connection.vendor == "sqlite" else ""
    where = [f"t.{_q('contact_id')} IS NOT NULL"]
    params: list = []
    if kinds is not None:
        kinds = list(kinds)
        if not kinds:
            where.append("1 = 0")
        else:
            where.append(f"t.{_q('kind')} IN ({', '.join(['%s'] * len(kinds))})")
            params.extend(kinds)
    if until is not None:
        where.append(f"t.{_q('occurred_at')} <= %s")
        params.append(connection.ops.adapt_datetimefield_value(until.astimezone(dt.UTC)))
    if ids is not None:
        clause, more = ids_filter(f"t.{_q('contact_id')}", ids)
        where.append(clause)
        params.extend(more)
    sql = f"SELECT {', '.join(select)} FROM {t} t{hint}{joins} WHERE {' AND '.join(where)}"
    return read_frame(sql, params, columns)
