"""Writing many scores fast: one upsert statement per backend, history rows appended in bulk.

A bulk rescore of a million contacts cannot go through model instances (minutes); it writes
plain rows: SQLite ``INSERT … ON CONFLICT (contact_id) DO UPDATE`` through ``executemany``,
PostgreSQL ``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT``. Both run
on Django's connection, inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import connection

from smarketing.scoring.models import LeadScore, ScoreHistory

#: LeadScore columns in write order.
SCORE_COLUMNS: tuple[str, ...] = (
    "contact_id", "fit", "engagement", "total", "hand_raiser", "is_mql", "definition_id",
    "probability", "model_version", "top_factors", "prediction_stale", "computed_at",
)  # fmt: skip
HISTORY_COLUMNS: tuple[str, ...] = (
    "contact_id", "fit", "engagement", "total", "hand_raiser", "is_mql", "probability",
    "definition_version", "reason", "at",
)  # fmt: skip
_CHUNK = 50_000


def history_key(fit, engagement, hand_raiser, is_mql, probability) -> tuple:
    """What a rep sees of a score: whole points, flags, the probability in whole percent.

    A history row is appended only when this changes, so engagement decaying by a fraction
    of a point between two rescores does not flood the history.
    """
    prob = None if probability is None or probability != probability else round(probability, 2)
    return (round(fit), round(engagement), bool(hand_raiser), bool(is_mql), prob)


def history_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`history_key` over a frame (numpy rounds half to even, like ``round``)."""
    prob = frame["probability"].astype(float)
    return pd.DataFrame(
        {
            "k_fit": np.round(frame["fit"].astype(float).to_numpy()),
            "k_eng": np.round(frame["engagement"].astype(float).to_numpy()),
            "k_hand": frame["hand_raiser"].astype(bool).to_numpy(),
            "k_mql": frame["is_mql"].astype(bool).to_numpy(),
            "k_prob": np.round(prob.fillna(-1.0).to_numpy(), 2),
        },
        index=frame.index,
    )


def _py(values: np.ndarray | pd.Series) -> list:
    """Column values as Python objects with ``None`` for missing (DB drivers want those)."""
    series = pd.Series(values)
    out = series.astype(object).where(series.notna(), None)
    return out.tolist()


def _rows(frame: pd.DataFrame, columns: Sequence[str], *, sqlite: bool) -> list[tuple]:
    data = []
    for column in columns:
        if column == "prediction_stale" and column not in frame.columns:
            data.append([False] * len(frame))
            continue
        values = frame[column]
        if column in ("hand_raiser", "is_mql", "prediction_stale"):
            data.append([bool(v) for v in values.to_numpy()])
        elif column in ("computed_at", "at"):
            # One conversion per distinct moment (a bulk rescore has one).
            codes, uniques = pd.factorize(values)
            converted = np.array([_when(u, sqlite=sqlite) for u in uniques], dtype=object)
            data.append(converted[codes].tolist())
        elif column == "top_factors":
            data.append(
                [v if isinstance(v, str) else "[]" if not v else json.dumps(v) for v in values]
            )
        elif column in ("contact_id",):
            data.append(values.astype("int64").tolist())
        elif column in ("definition_id", "model_version", "definition_version"):
            data.append([None if v is None or v != v else int(v) for v in values.tolist()])
        else:
            data.append(_py(values))
    return list(zip(*data, strict=True))


def _when(value, *, sqlite: bool):
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if sqlite:
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


#: SQLite page cache (KiB) while a bulk write runs: the default 2 MiB makes every update of
#: the ``total`` index miss and spill (a 1,000,000-row upsert took ~25% longer).
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def bulk_write() -> Iterator[None]:
    """Settings for writing many rows on Django's connection, restored afterwards.

    The cyclic garbage collector is paused (a million row tuples would trigger full
    collections again and again) and, on SQLite, the page cache is enlarged.
    """
    connection.ensure_connection()
    was_enabled = gc.isenabled()
    gc.disable()
    previous = None
    if connection.vendor == "sqlite":
        raw = connection.connection
        previous = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        if previous is not None:
            connection.connection.execute(f"PRAGMA cache_size = {int(previous)}")
        if was_enabled:
            gc.enable()


def upsert_scores(frame: pd.DataFrame, *, update: Sequence[str] = SCORE_COLUMNS[1:]) -> int:
    """Insert or replace the LeadScore rows in ``frame`` (columns :data:`SCORE_COLUMNS`).

    ``update`` names the columns an existing row gets from ``frame`` (the others keep their
    stored value): an update that leaves the indexed ``definition_id`` and
    ``prediction_stale`` alone skips rewriting their index entries, which on SQLite is ~40%
    of the cost of a million-row upsert.
    """
    if frame.empty:
        return 0
    table = LeadScore._meta.db_table
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in SCORE_COLUMNS)
    unknown = sorted(set(update) - set(SCORE_COLUMNS[1:]))
    if unknown or not update:
        raise ValueError(f"cannot update LeadScore column(s) {unknown or '(none)'}")
    updates = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in SCORE_COLUMNS if c in update)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        rows = _rows(frame, SCORE_COLUMNS, sqlite=False)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS _smk_scores")
            cur.execute(
                f"CREATE TEMP TABLE _smk_scores AS SELECT {cols} FROM {qn(table)} WITH NO DATA"
            )
            with cur.cursor.copy(f"COPY _smk_scores ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(
                f"INSERT INTO {qn(table)} ({cols}) SELECT {cols} FROM _smk_scores "
                f"ON CONFLICT (contact_id) DO UPDATE SET {updates}"
            )
            cur.execute("DROP TABLE _smk_scores")
        return len(rows)
    sql = (
        f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join('?' * len(SCORE_COLUMNS))}) "
        f"ON CONFLICT (contact_id) DO UPDATE SET {updates}"
    )
    raw = connection.connection
    count = 0
    for start in range(0, len(frame), _CHUNK):
        rows = _rows(frame.iloc[start : start + _CHUNK], SCORE_COLUMNS, sqlite=True)
        raw.executemany(sql, rows)
        count += len(rows)
    return count


def append_history(frame: pd.DataFrame) -> int:
    """Append ScoreHistory rows (columns :data:`HISTORY_COLUMNS`)."""
    if frame.empty:
        return 0
    table = ScoreHistory._meta.db_table
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in HISTORY_COLUMNS)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        rows = _rows(frame, HISTORY_COLUMNS, sqlite=False)
        with (
            connection.cursor() as cur,
            cur.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return len(rows)
    sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join('?' * len(HISTORY_COLUMNS))})"
    raw = connection.connection
    for start in range(0, len(frame), _CHUNK):
        raw.executemany(
            sql, _rows(frame.iloc[start : start + _CHUNK], HISTORY_COLUMNS, sqlite=True)
        )
    return len(frame)


#: What a rescore compares with the stored row to decide whether to write it.
COMPARED_COLUMNS: tuple[str, ...] = (
    "contact_id", "fit", "engagement", "hand_raiser", "is_mql", "definition_id", "probability",
    "model_version", "prediction_stale",
)  # fmt: skip


def current_scores(
    ids: Sequence[int] | None = None, *, columns: Sequence[str] = SCORE_COLUMNS
) -> pd.DataFrame:
    """Stored LeadScore rows (all, or of ``ids``) as a frame with ``columns``."""
    from smarketing.core.ibis_db import backend

    con = backend()
    t = con.table(LeadScore._meta.db_table)
    expr = t.select(*columns)
    if ids is not None:
        expr = expr.filter(t.contact_id.isin(list(ids)))
    return expr.to_pandas()


#: Kinds of the compared columns for the bulk reader.
_COMPARED_KINDS: dict[str, str] = {
    "contact_id": "int", "fit": "number", "engagement": "number", "hand_raiser": "bool",
    "is_mql": "bool", "definition_id": "number", "probability": "number",
    "model_version": "number", "prediction_stale": "bool",
}  # fmt: skip


def compared_scores(ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The stored :data:`COMPARED_COLUMNS` (all rows, or of ``ids``) through the bulk reader.

    Ids and versions come back as floats (NaN for none), flags as ``True``/``False``/``None``.
    """
    from smarketing.scoring import bulkread

    qn = connection.ops.quote_name
    sql = f"SELECT {', '.join(qn(c) for c in COMPARED_COLUMNS)} FROM {qn(LeadScore._meta.db_table)}"
    params: list = []
    if ids is not None:
        clause, params = bulkread.ids_filter(qn("contact_id"), ids)
        sql += f" WHERE {clause}"
    return bulkread.read_frame(sql, params, [(c, _COMPARED_KINDS[c]) for c in COMPARED_COLUMNS])
