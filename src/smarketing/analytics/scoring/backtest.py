"""Backtest: replay a scoring definition over past data before it goes live.

:func:`backtest` answers "had this definition been live since ``since``, which contacts would
have become MQLs, when, and how did they do later (MQL→SQL, SQL→won)?"; :func:`compare` runs a
candidate and the active definition side by side so both teams can agree on a threshold with
numbers.

Replay follows the live system: a contact is rescored whenever one of its touchpoints arrives,
so the MQL decision is evaluated at each touchpoint time (all touchpoints at the same instant
together), with engagement decayed to that instant and caps applied in time order. Fit uses the
contact's *current* fields (field history is not kept). A contact's MQL time is the first such
moment it qualifies; contacts that already qualified before ``since`` count as
``n_already_mql`` and not as new MQLs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from smarketing.analytics.scoring.definition import ScoringDefinition
from smarketing.analytics.scoring.errors import ScoringInputError
from smarketing.analytics.scoring.rules import (
    _NS_PER_DAY,
    _column_ns,
    _engagement_values,
    _fit_scores,
    _mql_flags,
    _RuleArrays,
    _touch_events,
    as_frame,
    to_ns,
)

__all__ = ["BacktestComparison", "BacktestResult", "backtest", "compare"]

SQL_STAGES: tuple[str, ...] = ("sql", "opportunity", "customer", "evangelist")
WON_STAGES: tuple[str, ...] = ("customer", "evangelist")
# 2**1000 is still a finite double: beyond ~1000 half-lives of history, older points are 0.
_MAX_HALVINGS = 1000.0


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class BacktestResult:
    """What one definition would have produced between ``since`` and ``until``.

    ``mqls`` has one row per new MQL: ``contact_id``, ``mql_at``, ``fit``, ``engagement``,
    ``total``, ``hand_raiser`` (scores at that moment), ``reached_sql`` and ``reached_won``
    (a stage change to an SQL-or-later / won stage at or after ``mql_at``) and
    ``sql_before_mql`` (sales had qualified it before the rule would have fired).
    """

    definition_version: int
    definition_name: str
    since: datetime
    until: datetime
    n_contacts: int
    n_mql: int
    n_already_mql: int
    n_sql: int
    n_won: int
    n_sql_before_mql: int
    mqls: pd.DataFrame

    @property
    def mql_to_sql_rate(self) -> float | None:
        """Share of new MQLs that later reached SQL (or a later stage); ``None`` without MQLs."""
        return _rate(self.n_sql, self.n_mql)

    @property
    def sql_to_won_rate(self) -> float | None:
        """Share of those SQLs that later became customers; ``None`` without SQLs."""
        return _rate(self.n_won, self.n_sql)

    @property
    def mql_to_won_rate(self) -> float | None:
        """Share of new MQLs that later became customers."""
        return _rate(self.n_won, self.n_mql)

    def by_month(self) -> dict[str, int]:
        """New MQLs per calendar month (UTC) of their MQL time."""
        if self.mqls.empty:
            return {}
        months = self.mqls["mql_at"].dt.strftime("%Y-%m")
        return {str(k): int(v) for k, v in months.value_counts().sort_index().items()}

    def to_dict(self, *, include_contacts: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; ``include_contacts`` adds the per-contact MQL rows."""
        out: dict[str, Any] = {
            "definition_version": self.definition_version,
            "definition_name": self.definition_name,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "n_contacts": self.n_contacts,
            "n_mql": self.n_mql,
            "n_already_mql": self.n_already_mql,
            "n_sql": self.n_sql,
            "n_won": self.n_won,
            "n_sql_before_mql": self.n_sql_before_mql,
            "mql_to_sql_rate": self.mql_to_sql_rate,
            "sql_to_won_rate": self.sql_to_won_rate,
            "mql_to_won_rate": self.mql_to_won_rate,
            "mqls_by_month": self.by_month(),
        }
        if include_contacts:
            rows = self.mqls.assign(mql_at=self.mqls["mql_at"].map(lambda t: t.isoformat()))
            out["mqls"] = rows.to_dict("records")
        return out


@dataclass(frozen=True)
class BacktestComparison:
    """A candidate definition's backtest next to the active one's, plus their overlap."""

    candidate: BacktestResult
    active: BacktestResult

    def _ids(self, result: BacktestResult) -> set[Any]:
        return set(result.mqls["contact_id"].tolist())

    @property
    def n_both(self) -> int:
        """Contacts both definitions make MQLs in the window."""
        return len(self._ids(self.candidate) & self._ids(self.active))

    @property
    def n_only_candidate(self) -> int:
        """Contacts only the candidate makes MQLs."""
        return len(self._ids(self.candidate) - self._ids(self.active))

    @property
    def n_only_active(self) -> int:
        """Contacts only the active definition makes MQLs."""
        return len(self._ids(self.active) - self._ids(self.candidate))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with both results and the overlap counts."""
        return {
            "candidate": self.candidate.to_dict(),
            "active": self.active.to_dict(),
            "overlap": {
                "both": self.n_both,
                "only_candidate": self.n_only_candidate,
                "only_active": self.n_only_active,
            },
        }


def _replay(
    definition: ScoringDefinition, contacts: pd.DataFrame, touchpoints: pd.DataFrame, until_ns: int
) -> pd.DataFrame:
    """Scores at every distinct touch instant of every contact, in time order per contact."""
    if "contact_id" not in contacts.columns:
        raise ScoringInputError("contacts have no column 'contact_id'")
    index = pd.Index(contacts["contact_id"])
    if not index.is_unique:
        raise ScoringInputError("contacts: contact_id values must be unique")
    fit = _fit_scores(definition, contacts)
    contact, rule, t_ns = _touch_events(definition, touchpoints, index, until_ns)
    rules = _RuleArrays.of(definition)
    contact, rule, t_ns, earned = _engagement_values(contact, rule, t_ns, rules, until_ns, None)
    order = np.lexsort((t_ns, contact))
    contact, rule, t_ns, earned = contact[order], rule[order], t_ns[order], earned[order]
    hand = rules.hand[rule] if len(rule) else np.zeros(0, dtype=bool)
    frame = pd.DataFrame({"c": contact, "t": t_ns, "earned": earned, "hand": hand})
    grouped = frame.groupby("c", sort=False)
    if definition.half_life_days is not None:
        # E(t_j) = sum_i a_i 2^-(t_j - t_i)/h = 2^-(t_j - t0)/h * cumsum(a_i 2^(t_i - t0)/h)
        halvings = (t_ns - grouped["t"].transform("min").to_numpy()) / _NS_PER_DAY
        halvings = np.minimum(halvings / definition.half_life_days, _MAX_HALVINGS)
        frame["earned"] = earned * np.exp2(halvings)
        running = frame.groupby("c", sort=False)["earned"].cumsum().to_numpy()
        engagement = running * np.exp2(-halvings)
    else:
        engagement = grouped["earned"].cumsum().to_numpy()
    raised = grouped["hand"].cumsum().to_numpy() > 0
    moments = pd.DataFrame(
        {"c": contact, "t": t_ns, "engagement": engagement, "hand_raiser": raised}
    )
    # All touchpoints of one instant arrive together: judge the state after the last of them.
    last = np.ones(len(moments), dtype=bool)
    if len(moments) > 1:
        last[:-1] = (contact[1:] != contact[:-1]) | (t_ns[1:] != t_ns[:-1])
    moments = moments[last].reset_index(drop=True)
    moments["fit"] = fit[moments["c"].to_numpy()]
    moments["is_mql"] = _mql_flags(
        definition,
        moments["fit"].to_numpy(),
        moments["engagement"].to_numpy(),
        moments["hand_raiser"].to_numpy(),
    )
    return moments


def _first_stage_times(
    history: pd.DataFrame, stages: Iterable[str], contact_ids: pd.Series, after: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Per MQL row: reached one of ``stages`` at/after its MQL time; reached it before."""
    wanted = {s.casefold() for s in stages}
    hits = history[history["stage"].isin(wanted)]
    rows = pd.DataFrame({"contact_id": contact_ids.to_numpy(), "mql_ns": after.to_numpy()})
    rows["row"] = np.arange(len(rows))
    merged = rows.merge(hits, on="contact_id", how="inner")
    later = merged.loc[merged["ns"] >= merged["mql_ns"], "row"].unique()
    earlier = merged.loc[merged["ns"] < merged["mql_ns"], "row"].unique()
    reached = np.zeros(len(rows), dtype=bool)
    before = np.zeros(len(rows), dtype=bool)
    reached[later] = True
    before[earlier] = True
    return reached, before


def backtest(
    definition: ScoringDefinition,
    *,
    contacts: Any,
    touchpoints: Any,
    stage_history: Any,
    since: datetime,
    until: datetime | None = None,
    sql_stages: Iterable[str] = SQL_STAGES,
    won_stages: Iterable[str] = WON_STAGES,
) -> BacktestResult:
    """Replay a definition over past data and report the MQLs it would have produced.

    Parameters
    ----------
    definition
        The definition to replay.
    contacts, touchpoints
        As for :func:`~smarketing.analytics.scoring.score_contacts`.
    stage_history
        ``contact_id``, ``to_stage``, ``changed_at``: the lifecycle stage log.
    since, until
        The replay window (``until`` defaults to the latest touchpoint or stage change).
    sql_stages, won_stages
        Stages that count as "reached SQL" and "won" (defaults: sql / opportunity / customer
        / evangelist, and customer / evangelist).

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> from datetime import UTC
    >>> from smarketing.analytics.scoring import load_definition
    >>> d = load_definition("version: 1\\nmql: {engagement: 10}\\n"
    ...                     "engagement: [{name: Demo, kind: demo, points: 10}]\\n")
    >>> t = pd.to_datetime(["2026-01-05", "2026-02-01", "2025-06-01"], utc=True)
    >>> touches = pd.DataFrame({"contact_id": [1, 2, 3], "occurred_at": t, "kind": "demo"})
    >>> history = pd.DataFrame({"contact_id": [1], "to_stage": ["customer"],
    ...                         "changed_at": pd.to_datetime(["2026-03-01"], utc=True)})
    >>> r = backtest(d, contacts=pd.DataFrame({"contact_id": [1, 2, 3]}), touchpoints=touches,
    ...              stage_history=history, since=datetime(2026, 1, 1, tzinfo=UTC))
    >>> r.n_mql, r.n_already_mql, r.mql_to_sql_rate, r.sql_to_won_rate
    (2, 1, 0.5, 1.0)
    """
    contacts = as_frame(contacts, "contacts")
    touchpoints = as_frame(touchpoints, "touchpoints")
    stage_history = as_frame(stage_history, "stage_history")
    missing = sorted({"contact_id", "to_stage", "changed_at"} - set(stage_history.columns))
    if missing:
        raise ScoringInputError(f"stage_history has no column(s) {', '.join(missing)}")
    since_ns = to_ns(since, what="since")
    history = pd.DataFrame(
        {
            "contact_id": stage_history["contact_id"].to_numpy(),
            "stage": stage_history["to_stage"].astype(str).str.strip().str.casefold().to_numpy(),
            "ns": _column_ns(stage_history["changed_at"], "stage_history.changed_at"),
        }
    )
    if until is None:
        candidates = [since_ns]
        if len(touchpoints):
            candidates.append(int(_column_ns(touchpoints["occurred_at"], "occurred_at").max()))
        if len(history):
            candidates.append(int(history["ns"].max()))
        until_ns = max(candidates)
    else:
        until_ns = to_ns(until, what="until")
    if until_ns < since_ns:
        raise ScoringInputError("until must not be before since")
    moments = _replay(definition, contacts, touchpoints, until_ns)
    first = moments[moments["is_mql"]].drop_duplicates("c", keep="first")
    already = int((first["t"] < since_ns).sum())
    first = first[first["t"] >= since_ns].reset_index(drop=True)
    ids = contacts["contact_id"].iloc[first["c"].to_numpy()].reset_index(drop=True)
    reached_sql, sql_before = _first_stage_times(history, sql_stages, ids, first["t"])
    reached_won, _ = _first_stage_times(history, won_stages, ids, first["t"])
    mqls = pd.DataFrame(
        {
            "contact_id": ids.to_numpy(),
            "mql_at": pd.to_datetime(first["t"].to_numpy(), utc=True),
            "fit": first["fit"].to_numpy(),
            "engagement": first["engagement"].to_numpy(),
            "total": (first["fit"] + first["engagement"]).to_numpy(),
            "hand_raiser": first["hand_raiser"].to_numpy(),
            "reached_sql": reached_sql,
            "reached_won": reached_won,
            "sql_before_mql": sql_before,
        }
    )
    return BacktestResult(
        definition_version=definition.version,
        definition_name=definition.name,
        since=pd.Timestamp(since_ns, tz="UTC").to_pydatetime(),
        until=pd.Timestamp(until_ns, tz="UTC").to_pydatetime(),
        n_contacts=len(contacts),
        n_mql=len(mqls),
        n_already_mql=already,
        n_sql=int(reached_sql.sum()),
        n_won=int(reached_won.sum()),
        n_sql_before_mql=int(sql_before.sum()),
        mqls=mqls,
    )


def compare(
    candidate: ScoringDefinition,
    active: ScoringDefinition,
    *,
    contacts: Any,
    touchpoints: Any,
    stage_history: Any,
    since: datetime,
    until: datetime | None = None,
) -> BacktestComparison:
    """Backtest a candidate and the active definition over the same data and window.

    Examples
    --------
    >>> from datetime import UTC
    >>> from smarketing.analytics.scoring import load_definition
    >>> strict = load_definition("version: 2\\nmql: {engagement: 20}\\n"
    ...                          "engagement: [{name: Demo, kind: demo, points: 10}]\\n")
    >>> loose = load_definition("version: 1\\nmql: {engagement: 10}\\n"
    ...                         "engagement: [{name: Demo, kind: demo, points: 10}]\\n")
    >>> touches = pd.DataFrame({"contact_id": [1, 1, 2], "kind": "demo",
    ...     "occurred_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04"], utc=True)})
    >>> empty = pd.DataFrame({"contact_id": [], "to_stage": [], "changed_at": []})
    >>> c = compare(strict, loose, contacts=pd.DataFrame({"contact_id": [1, 2]}),
    ...             touchpoints=touches, stage_history=empty,
    ...             since=datetime(2026, 1, 1, tzinfo=UTC))
    >>> c.to_dict()["overlap"]
    {'both': 1, 'only_candidate': 0, 'only_active': 1}
    """
    kwargs = {
        "contacts": as_frame(contacts, "contacts"),
        "touchpoints": as_frame(touchpoints, "touchpoints"),
        "stage_history": as_frame(stage_history, "stage_history"),
        "since": since,
        "until": until,
    }
    return BacktestComparison(
        candidate=backtest(candidate, **kwargs), active=backtest(active, **kwargs)
    )
