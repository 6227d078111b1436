"""Build and keep the stored path set (:class:`~smarketing.attribution.models.JourneyPath`).

The rows are the engine's paths (:mod:`smarketing.analytics.attribution.prepare`) computed
once from the adapter's touch and conversion tables (:mod:`.adapter`, the one definition of
every conversion): per conversion kind and journey level (contact / account), each
conversion's touches inside the :data:`LOOKBACK_DAYS` window ending at it, and each journey
without a conversion of the kind as one non-converting path ending at its last touch. Touches
that happened at the same time are ordered by touch id (the order they were recorded), the
same for every level.

Entry points (registered with the derived-table registry):

- :func:`rebuild` recomputes everything (demo generation, imports, the nightly job);
- :func:`catch_up` recomputes the journeys touched since the checkpoint: new touchpoints,
  stage changes, contacts, deals, deal stage changes and committee members (found by id, so
  bulk inserts count) and the marks the write path leaves in
  :class:`~smarketing.attribution.models.PathDirty` (signals on commit: edits and deletes);
- :func:`is_stale` says whether anything is waiting.

The work is vectorised pandas / Arrow over one read of the touches (no per-journey Python
loop); the rows are written with ``executemany`` inside one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.utils import timezone

from smarketing.attribution import adapter
from smarketing.attribution.adapter import CONVERSIONS, LEVELS
from smarketing.attribution.models import (
    JourneyPath,
    PathDirty,
    PathKey,
    PathScratch,
    PathSetState,
    PathTiming,
)
from smarketing.core import ibis_db
from smarketing.crm.models import (
    Campaign,
    Contact,
    ContentAsset,
    Deal,
    DealContact,
    DealStageChange,
    Touchpoint,
)
from smarketing.funnel.models import StageChange
from smarketing.reporting import sqlcache

log = logging.getLogger(__name__)

#: The lookback the stored paths use (the engine's and the page's default).
LOOKBACK_DAYS = 90.0
SECONDS_PER_DAY = 86_400.0
#: Separator of the key codes in a stored path.
SEP = ">"
NONE_KEY = "(none)"
#: More journeys than this in one catch-up: rebuild everything instead (one pass is cheaper).
CATCH_UP_LIMIT = 20_000
_CHUNK = 500
PATH_T = JourneyPath._meta.db_table
TIMING_T = PathTiming._meta.db_table
_META = ("conversion", "account_level", "journey", "seq", "at", "conv", "value", "nulls",
         "deal_id", "owner_id")  # fmt: skip
_TIMING = ("conversion", "account_level", "journey", "seq", "ages", "lead_pos", "opp_pos",
           "won_pos")  # fmt: skip
_MILESTONES = {"lead_pos": "lead_created", "opp_pos": "opportunity_created",
               "won_pos": "deal_won"}  # fmt: skip


# --- reading the sources ---------------------------------------------------------------------


def _touch_sql(where: str) -> str:
    return (
        "SELECT t.id, t.contact_id, t.account_id, p.account_id, t.occurred_at, t.channel, "
        "t.source, c.name, a.title, t.keyword, t.email_subject, t.kind, t.team "
        f"FROM {Touchpoint._meta.db_table} t "
        f"LEFT JOIN {Campaign._meta.db_table} c ON c.id = t.campaign_id "
        f"LEFT JOIN {ContentAsset._meta.db_table} a ON a.id = t.content_id "
        f"LEFT JOIN {Contact._meta.db_table} p ON p.id = t.contact_id "
        f"WHERE {where}"
    )


def _delete(model, where: str = "", params=None) -> None:
    """A plain ``DELETE`` (the ORM would select every row first: the project has
    ``post_delete`` receivers for every model)."""
    sql = f"DELETE FROM {model._meta.db_table}" + (f" WHERE {where}" if where else "")
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _fetch(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _epoch(values) -> np.ndarray:
    """Epoch seconds (float) of DB datetimes (aware datetimes, or SQLite's UTC text).

    A time outside pandas' range (a year-1 touchpoint an old bug let in) becomes NaN, and
    :func:`read_touches` drops it (logged): a bad stored row never breaks the path set."""
    ts = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    ts = ts.dt.as_unit("us")  # microseconds reach year 1 without overflow (nanoseconds do not)
    sec = ((ts - pd.Timestamp(0, tz="UTC").as_unit("us")) / pd.Timedelta(seconds=1)).to_numpy(
        float, copy=True
    )
    sec[sec < 0] = np.nan  # before 1970: outside every bound the app accepts
    return sec


def read_touches(
    codes: _Codes,
    *,
    contacts: Iterable[int] | None = None,
    accounts: Iterable[int] | None = None,
) -> pd.DataFrame:
    """The touches of the given contacts / accounts (all when both are ``None``).

    Columns: ``id``, ``contact_id``, ``account`` (the touch's account, else its contact's),
    ``sec`` (epoch seconds) and one column per level with the key's code in ``codes``
    (a blank key is ``(none)``).
    """
    names = ["id", "contact_id", "account_id", "person_account", "occurred_at", *LEVELS]
    if contacts is None and accounts is None:
        rows = _fetch(_touch_sql("t.contact_id IS NOT NULL OR t.account_id IS NOT NULL"))
    else:
        rows, seen = [], set()
        for ids, where in (
            (sorted(set(contacts or ())), "t.contact_id IN ({})"),
            (sorted(set(accounts or ())), "t.account_id IN ({0}) OR p.account_id IN ({0})"),
        ):
            for i in range(0, len(ids), _CHUNK):
                part = ids[i : i + _CHUNK]
                marks = ", ".join(["%s"] * len(part))
                n_sets = where.count("{")
                for row in _fetch(_touch_sql(where.format(marks)), part * n_sets):
                    if row[0] not in seen:
                        seen.add(row[0])
                        rows.append(row)
    df = pd.DataFrame.from_records(rows, columns=names)
    account = df["account_id"].where(df["account_id"].notna(), df["person_account"])
    out = pd.DataFrame(
        {
            "id": df["id"].to_numpy(np.int64),
            "contact_id": pd.array(df["contact_id"], dtype="Int64"),
            "account": pd.array(account, dtype="Int64"),
            "sec": _epoch(df["occurred_at"]) if len(df) else np.zeros(0),
        }
    )
    bad = np.isnan(out["sec"].to_numpy(float)) if len(out) else np.zeros(0, bool)
    if bad.any():
        log.warning(
            "attribution paths: %s touchpoints with an out-of-range time skipped", int(bad.sum())
        )
        keep = ~bad
        out = out.loc[keep].reset_index(drop=True)
        df = df.loc[keep].reset_index(drop=True)
    for level in LEVELS:
        # factorise once (hashing), then map the few distinct names to their codes
        idx, uniq = pd.factorize(df[level], use_na_sentinel=True)
        names_u = ["" if u is None else str(u) for u in uniq]
        blank_ok = level in ("kind", "team")  # the adapter keeps their blanks as they are
        names_u = [n if (n or blank_ok) else NONE_KEY for n in names_u]
        mapped = codes.encode(level, names_u + [NONE_KEY])
        out[level] = mapped[idx] if len(idx) else np.zeros(0, np.int64)
    return out


def _journeys(touches: pd.DataFrame, *, account_level: bool) -> pd.Series:
    """The journey of every touch (the adapter's rule); ``None`` for anonymous touches."""
    cid = touches["contact_id"]
    if not account_level:
        return cid.astype("string").astype(object).where(cid.notna(), None)
    acct = touches["account"]
    out = pd.Series(None, index=touches.index, dtype=object)
    has_c = cid.notna()
    out[has_c] = "c" + cid[has_c].astype("string").astype(str)
    has_a = acct.notna()
    out[has_a] = "a" + acct[has_a].astype("string").astype(str)
    return out


_CONVERSION_SQL: dict[tuple, str] = {}


def read_conversions(*, account_level: bool, journeys: Iterable[str] | None = None):
    """The adapter's conversions (every kind) as a DataFrame with ``sec`` (epoch seconds).

    The adapter's Ibis expression is compiled once per process under a stable name and
    run through Django's cursor; ``journeys`` keeps only those journeys (written to
    :class:`PathScratch`, which the compiled query joins).
    """
    key = ("attribution.conversions", account_level, journeys is not None)

    def build():
        con = ibis_db.backend()
        only = ibis_db.table(PathScratch, con) if journeys is not None else None
        return adapter.conversions(con, account_level=account_level, only=only)

    if journeys is not None:
        _delete(PathScratch)
        PathScratch.objects.bulk_create([PathScratch(journey=j) for j in set(journeys)], 1000)
    sql = sqlcache.compiled(key, build)
    sqlcache._sqlite_functions()
    cols = "journey_id, kind, occurred_at, value, deal_id, owner_id"
    rows = _fetch(f"SELECT {cols} FROM ({sql}) cv")
    if journeys is not None:
        _delete(PathScratch)
    df = pd.DataFrame.from_records(
        rows, columns=["journey", "kind", "occurred_at", "value", "deal_id", "owner_id"]
    )
    df["sec"] = _epoch(df["occurred_at"]) if len(df) else np.zeros(0)
    df["value"] = df["value"].astype(float)
    return df.drop(columns="occurred_at")


# --- paths -----------------------------------------------------------------------------------


def _join_lists(offsets: np.ndarray, values: pa.Array, sep: str) -> np.ndarray:
    """Join each CSR group of ``values`` (strings) with ``sep`` (vectorised in Arrow)."""
    lists = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)
    return np.asarray(pc.binary_join(lists, sep).to_numpy(zero_copy_only=False), dtype=object)


class _Codes:
    """The level dictionaries (:class:`PathKey`), growing as new keys appear."""

    def __init__(self):
        self.maps: dict[str, dict[str, int]] = {lv: {} for lv in LEVELS}
        self.next = dict.fromkeys(LEVELS, 0)
        for level, code, name in PathKey.objects.values_list("level", "code", "name"):
            self.maps[level][name] = code
            self.next[level] = max(self.next[level], code + 1)
        self.new: list[PathKey] = []

    def encode(self, level: str, names: list[str]) -> np.ndarray:
        """Codes of ``names`` (new names get the next codes); index -1 is the last name."""
        known = self.maps[level]
        for name in names:
            if name not in known:
                known[name] = self.next[level]
                self.next[level] += 1
                self.new.append(PathKey(level=level, code=known[name], name=name))
        return np.asarray([known[n] for n in names], dtype=np.int64)

    def save(self) -> None:
        PathKey.objects.bulk_create(self.new, batch_size=1000)
        self.new = []


def _kind_rows(
    tj: pd.DataFrame, cv: pd.DataFrame, conversion: str, account_level: bool
) -> pd.DataFrame:
    """Every path of one conversion kind: one row per conversion and non-converting journey."""
    kind = CONVERSIONS[conversion]
    lookback = LOOKBACK_DAYS * SECONDS_PER_DAY
    ck = cv[cv["kind"] == kind].sort_values(["journey", "sec", "value"], kind="stable")
    ck = ck.assign(seq=ck.groupby("journey").cumcount() + 1).reset_index(drop=True)
    ck["pid"] = np.arange(len(ck))
    hit = tj.merge(ck[["journey", "pid", "sec"]].rename(columns={"sec": "csec"}), on="journey")
    hit = hit[(hit["sec"] <= hit["csec"]) & (hit["sec"] >= hit["csec"] - lookback)]
    rest = tj[~tj["journey"].isin(ck["journey"])]
    last = rest.groupby("journey")["sec"].transform("max")
    rest = rest[rest["sec"] >= last - lookback].assign(csec=last)
    non = pd.DataFrame({"journey": pd.unique(rest["journey"])})
    non["pid"] = len(ck) + np.arange(len(non))
    rest = rest.merge(non, on="journey")
    touches = pd.concat([hit, rest], ignore_index=True)
    touches = touches.sort_values(["pid", "sec", "id"], kind="stable")
    n_paths = len(ck) + len(non)
    counts = np.bincount(touches["pid"].to_numpy(), minlength=n_paths)
    offsets = np.zeros(n_paths + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    last_sec = np.full(n_paths, np.nan)
    if len(touches):
        last_sec[touches["pid"].to_numpy()] = touches["sec"].to_numpy()  # sorted: last wins
    out = pd.DataFrame(
        {
            "conversion": conversion,
            "account_level": account_level,
            "journey": np.concatenate([ck["journey"].to_numpy(object), non["journey"].to_numpy(object)]),
            "seq": np.concatenate([ck["seq"].to_numpy(np.int64), np.zeros(len(non), np.int64)]),
            "at": np.concatenate([ck["sec"].to_numpy(float), last_sec[len(ck):]]),
            "conv": np.concatenate([np.ones(len(ck)), np.zeros(len(non))]),
            "value": np.concatenate([ck["value"].to_numpy(float), np.zeros(len(non))]),
            "nulls": np.concatenate([np.zeros(len(ck)), np.ones(len(non))]),
            "deal_id": pd.array(np.concatenate([ck["deal_id"].to_numpy(object),
                                                np.full(len(non), None)]), dtype="Int64"),
            "owner_id": pd.array(np.concatenate([ck["owner_id"].to_numpy(object),
                                                 np.full(len(non), None)]), dtype="Int64"),
        }
    )  # fmt: skip
    for level in LEVELS:
        values = pc.cast(pa.array(touches[level].to_numpy(np.int64)), pa.string())
        out[level] = _join_lists(offsets, values, SEP)
    converting = touches["pid"].to_numpy() < len(ck)
    csec = touches["csec"].to_numpy()
    ages = np.where(
        converting, np.round((csec - touches["sec"].to_numpy()) / SECONDS_PER_DAY, 6), 0
    )
    age_text = pc.cast(pa.array(ages), pa.string())
    out["ages"] = _join_lists(offsets, age_text, ",")
    out.loc[len(ck) :, "ages"] = ""
    # milestone touches (W-shaped, full path): the journey's earliest lead creation, latest
    # opportunity and latest win at or before the conversion; the last touch at or before it
    ms = cv[cv["kind"].isin(list(_MILESTONES.values()))][["journey", "kind", "sec"]]
    j = ck[["journey", "pid", "sec"]].rename(columns={"sec": "csec"}).merge(ms, on="journey")
    j = j[j["sec"] <= j["csec"]]
    pos_touch = touches[converting]
    for col, mkind in _MILESTONES.items():
        part = j[j["kind"] == mkind]
        agg = "min" if col == "lead_pos" else "max"
        when = np.full(n_paths, np.nan)
        if len(part):
            g = part.groupby("pid")["sec"].agg(agg)
            when[g.index.to_numpy()] = g.to_numpy()
        before = pos_touch["sec"].to_numpy() <= when[pos_touch["pid"].to_numpy()]
        n_before = np.bincount(pos_touch["pid"].to_numpy()[before], minlength=n_paths)
        out[col] = pd.array(np.where(n_before > 0, n_before, None), dtype="Int64")
    return out


def build_rows(
    *,
    account_level: bool,
    touches: pd.DataFrame,
    conversions: pd.DataFrame,
    journeys: set[str] | None = None,
) -> pd.DataFrame:
    """The stored rows of every conversion kind for one journey level (``journeys``: only
    those)."""  # fmt: skip
    tj = touches.assign(journey=_journeys(touches, account_level=account_level))
    tj = tj[tj["journey"].notna()]
    if journeys is not None:
        tj = tj[tj["journey"].isin(journeys)]
        conversions = conversions[conversions["journey"].isin(journeys)]
    parts = [_kind_rows(tj, conversions, c, account_level) for c in CONVERSIONS]
    return pd.concat(parts, ignore_index=True)


def _records(frame: pd.DataFrame) -> list[tuple]:
    return list(frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None))


def _insert(table: str, columns: tuple[str, ...], records: list[tuple]) -> None:
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cur:
        for i in range(0, len(records), 5000):
            cur.executemany(sql, records[i : i + 5000])


def _write(rows: pd.DataFrame) -> int:
    """Insert the rows of :func:`build_rows`: one path row per level, one timing row per
    conversion; the number of paths."""
    meta = _records(rows[list(_META)])
    for level in LEVELS:
        paths = rows[level].tolist()
        _insert(PATH_T, (*_META, "level", "path"),
                [(*m, level, p) for m, p in zip(meta, paths, strict=True)])  # fmt: skip
    timed = rows[rows["seq"] > 0]
    _insert(TIMING_T, _TIMING, _records(timed[list(_TIMING)]))
    return len(rows)


# --- checkpoint ------------------------------------------------------------------------------

_SOURCES = {
    "touchpoint_id": Touchpoint,
    "stage_change_id": StageChange,
    "contact_id": Contact,
    "deal_id": Deal,
    "deal_stage_change_id": DealStageChange,
    "deal_contact_id": DealContact,
}


def _maxima() -> dict[str, int]:
    """The highest id of every source table (one query)."""
    parts = ", ".join(f"(SELECT MAX(id) FROM {m._meta.db_table})" for m in _SOURCES.values())
    row = _fetch(f"SELECT {parts}")[0]
    return {f: int(v or 0) for f, v in zip(_SOURCES, row, strict=True)}


def _locked_state() -> PathSetState:
    state = PathSetState.objects.select_for_update().order_by("pk").first()
    return state or PathSetState.objects.create()


def state() -> PathSetState | None:
    """The checkpoint row (``None`` before the first build)."""
    return PathSetState.objects.order_by("pk").first()


def is_built() -> bool:
    """Whether the path set was ever built (the page can answer from it)."""
    st = state()
    return st is not None and st.built_at is not None


def is_stale() -> bool:
    """Whether writes are waiting to be folded in (or the path set was never built)."""
    st = state()
    if st is None or st.built_at is None:
        return True
    if PathDirty.objects.exists():
        return True
    top = _maxima()
    return any(top[f] > getattr(st, f) for f in _SOURCES)


def _finish(st: PathSetState, top: dict[str, int], *, built: bool, seconds: float) -> None:
    for f, v in top.items():
        setattr(st, f, max(getattr(st, f), v) if not built else v)
    now = timezone.now()
    st.version += 1
    st.refreshed_at = now
    if built:
        st.built_at = now
        st.build_seconds = seconds
    st.save()


@contextmanager
def _indexes_dropped():
    """Drop the stored tables' indexes for a bulk insert and create them again after."""
    editor = connection.SchemaEditorClass(connection, collect_sql=True)  # SQL only
    indexes = [(m, ix) for m in (JourneyPath, PathTiming) for ix in m._meta.indexes]
    with connection.cursor() as cur:
        for _, index in indexes:
            cur.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    try:
        yield
    finally:
        with connection.cursor() as cur:
            for model, index in indexes:
                cur.execute(str(index.create_sql(model, editor)))


@transaction.atomic
def rebuild() -> int:
    """Recompute every stored path (both journey levels, every kind); the row count."""
    started = time.perf_counter()
    st = _locked_state()
    top = _maxima()
    _delete(PathDirty)
    with connection.cursor() as cur:
        for table in (PATH_T, TIMING_T):
            cur.execute(f"TRUNCATE {table}" if connection.vendor == "postgresql"
                        else f"DELETE FROM {table}")  # fmt: skip
    codes = _Codes()
    touches = read_touches(codes)
    codes.save()
    n = 0
    with _indexes_dropped():
        for account_level in (False, True):
            cv = read_conversions(account_level=account_level)
            n += _write(build_rows(account_level=account_level, touches=touches, conversions=cv))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {PATH_T}")
            cur.execute(f"ANALYZE {TIMING_T}")
    _finish(st, top, built=True, seconds=time.perf_counter() - started)
    log.info("attribution path set rebuilt: %s rows in %.1f s", n, time.perf_counter() - started)
    return n


def _changed(st: PathSetState) -> tuple[set[int], set[int], set[int]]:
    """Contacts, accounts and deals written since the checkpoint (ids and marks)."""
    contacts: set[int] = set()
    accounts: set[int] = set()
    deals: set[int] = set()
    for cid, aid in Touchpoint.objects.filter(id__gt=st.touchpoint_id).values_list(
        "contact_id", "account_id"
    ):
        if cid is not None:
            contacts.add(cid)
        if aid is not None:
            accounts.add(aid)
    contacts |= set(
        StageChange.objects.filter(id__gt=st.stage_change_id).values_list("contact_id", flat=True)
    )
    contacts |= set(Contact.objects.filter(id__gt=st.contact_id).values_list("id", flat=True))
    deals |= set(Deal.objects.filter(id__gt=st.deal_id).values_list("id", flat=True))
    deals |= set(
        DealStageChange.objects.filter(id__gt=st.deal_stage_change_id).values_list(
            "deal_id", flat=True
        )
    )
    deals |= set(
        DealContact.objects.filter(id__gt=st.deal_contact_id).values_list("deal_id", flat=True)
    )
    for cid, aid, did in PathDirty.objects.values_list("contact_id", "account_id", "deal_id"):
        for ids, x in ((contacts, cid), (accounts, aid), (deals, did)):
            if x is not None:
                ids.add(x)
    return contacts, accounts, deals


def _affected(contacts: set[int], accounts: set[int], deals: set[int]) -> dict[bool, set[str]]:
    """The journeys (per level) whose paths the changed records can alter."""
    out: dict[bool, set[str]] = {False: set(), True: set()}
    for pid, aid in Deal.objects.filter(id__in=deals).values_list(
        "primary_contact_id", "account_id"
    ):
        if pid is not None:
            contacts.add(pid)
        if aid is not None:
            accounts.add(aid)
    contacts |= set(
        DealContact.objects.filter(deal_id__in=deals).values_list("contact_id", flat=True)
    )
    for did in deals:
        out[False].add(f"deal:{did}")
        out[True].add(f"deal:{did}")
    # the journeys that held a changed deal's conversion before (its contact may have changed)
    for level, journey in (
        JourneyPath.objects.filter(deal_id__in=deals)
        .values_list("account_level", "journey")
        .distinct()
    ):
        out[bool(level)].add(journey)
    for cid, aid in Contact.objects.filter(id__in=contacts).values_list("id", "account_id"):
        out[False].add(str(cid))
        out[True].add(f"a{aid}" if aid is not None else f"c{cid}")
    for aid in accounts:
        out[True].add(f"a{aid}")
    out[False] |= {str(c) for c in contacts}
    return out


def _journey_sources(journeys: set[str]) -> tuple[set[int], set[int]]:
    contacts, accounts = set(), set()
    for j in journeys:
        if j.startswith("a"):
            accounts.add(int(j[1:]))
        elif j.startswith("c"):
            contacts.add(int(j[1:]))
        elif j.isdigit():
            contacts.add(int(j))
    return contacts, accounts


@transaction.atomic
def catch_up() -> int:
    """Recompute the journeys changed since the checkpoint and advance it (rebuild when never
    built or when the backlog is large); the number of rows written."""
    st = _locked_state()
    if st.built_at is None:
        return rebuild()
    started = time.perf_counter()
    top = _maxima()
    marks = list(PathDirty.objects.values_list("id", flat=True))
    affected = _affected(*_changed(st))
    if sum(len(v) for v in affected.values()) > CATCH_UP_LIMIT:
        return rebuild()
    codes = _Codes()
    n = 0
    for account_level, journeys in affected.items():
        if not journeys:
            continue
        ids = sorted(journeys)
        for i in range(0, len(ids), _CHUNK):
            part = ids[i : i + _CHUNK]
            for model in (JourneyPath, PathTiming):
                _delete(model, f"account_level = %s AND journey IN ({', '.join(['%s'] * len(part))})",
                        [account_level, *part])  # fmt: skip
        contacts, accounts = _journey_sources(journeys)
        touches = read_touches(codes, contacts=contacts, accounts=accounts)
        codes.save()
        cv = read_conversions(account_level=account_level, journeys=journeys)
        rows = build_rows(account_level=account_level, touches=touches, conversions=cv,
                          journeys=journeys)  # fmt: skip
        n += _write(rows)
    for i in range(0, len(marks), _CHUNK):
        part = marks[i : i + _CHUNK]
        _delete(PathDirty, f"id IN ({', '.join(['%s'] * len(part))})", part)
    _finish(st, top, built=False, seconds=time.perf_counter() - started)
    return n


def mark(*, contacts: Iterable[int] = (), accounts: Iterable[int] = (),
         deals: Iterable[int] = ()) -> None:  # fmt: skip
    """Leave marks for :func:`catch_up` (the write path's edits that no new id shows)."""
    rows = [PathDirty(contact_id=c) for c in set(contacts) if c is not None]
    rows += [PathDirty(account_id=a) for a in set(accounts) if a is not None]
    rows += [PathDirty(deal_id=d) for d in set(deals) if d is not None]
    if rows:
        PathDirty.objects.bulk_create(rows)
