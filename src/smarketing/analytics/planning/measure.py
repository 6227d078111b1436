"""Measure the company's own funnel: stage rates, stage durations and deal size.

Inputs are plain tables (a pandas DataFrame, an Ibis table or an iterable of dicts):

- stage history: ``contact_id``, ``to_stage``, ``at`` (one row per transition; other stages
  such as ``sal``, ``recycled`` or ``disqualified`` are ignored), plus an optional grouping column
  (channel, persona, segment) for :func:`measure_funnel_by`;
- deals: ``amount``, ``won`` (bool), ``closed_at``.

Method. A contact *reaches* stage ``k`` at ``T_k`` = its first entry into stage ``k`` **or any
later stage** (so a lead that skipped MQL still counts as having passed it, and ``T`` never
decreases down the funnel). For each transition ``k -> k+1``:

- rate = share of the contacts reaching ``k`` inside the window that ever reach ``k+1``
  (a per-stage cohort; recent cohorts are still converting, so end the window at least one sales
  cycle before today);
- duration = median days from ``T_k`` to ``T_{k+1}`` over those that reached ``k+1``.

``lead_to_customer`` is the share of the window's lead cohort that became customers. Deal size
is the mean amount of deals won (closed) inside the window. With an Ibis table, the first-entry
aggregation runs in the database; only one row per contact and stage comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas loads when a funnel is measured, not with `smarketing plan`
    import pandas as pd

from smarketing.analytics.planning.periods import PlanningError
from smarketing.analytics.planning.reverse_funnel import RATE_NAMES, STAGES, Sourced

__all__ = ["MeasuredFunnel", "measure_funnel", "measure_funnel_by"]


@dataclass(frozen=True)
class MeasuredFunnel:
    """Measured funnel inputs; ``None`` where there was nothing to measure."""

    rates: Mapping[str, Sourced | None]
    durations: Mapping[str, Sourced | None]
    lead_to_customer: Sourced | None
    deal_size: Sourced | None
    counts: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        def d(x: Sourced | None) -> object:
            return None if x is None else x.to_dict()

        return {
            "rates": {k: d(v) for k, v in self.rates.items()},
            "durations": {k: d(v) for k, v in self.durations.items()},
            "lead_to_customer": d(self.lead_to_customer),
            "deal_size": d(self.deal_size),
            "counts": dict(self.counts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeasuredFunnel:
        """Rebuild a funnel from :meth:`to_dict` output (e.g. a stored snapshot).

        >>> m = MeasuredFunnel({"lead_to_mql": Sourced(0.5, "measured")}, {}, None, None, {})
        >>> MeasuredFunnel.from_dict(m.to_dict()) == m
        True
        """

        def s(x: Any) -> Sourced | None:
            if x is None:
                return None
            if not isinstance(x, Mapping) or "value" not in x:
                raise PlanningError(f"not a measured value: {x!r}")
            return Sourced(float(x["value"]), x.get("source", "measured"))

        try:
            return cls(
                rates={k: s(v) for k, v in data["rates"].items()},
                durations={k: s(v) for k, v in data["durations"].items()},
                lead_to_customer=s(data["lead_to_customer"]),
                deal_size=s(data["deal_size"]),
                counts={k: int(v) for k, v in (data.get("counts") or {}).items()},
            )
        except (KeyError, AttributeError, TypeError) as e:
            raise PlanningError(f"malformed measured funnel data: {e}") from None


def _frame(
    data: Any, columns: tuple[str, ...], what: str, extra: str | None = None
) -> pd.DataFrame:
    import pandas as pd

    if hasattr(data, "to_pandas") and hasattr(data, "group_by"):  # an Ibis table
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise PlanningError(f"{what} is missing column(s) {missing}")
        if what == "stage history":
            keys = ["contact_id", "to_stage"] + ([extra] if extra else [])
            data = data.group_by(keys).aggregate(at=data["at"].min())
        df = data.to_pandas()
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        df = pd.DataFrame(list(data))
        if df.empty:
            df = pd.DataFrame(columns=list(columns) + ([extra] if extra else []))
    need = list(columns) + ([extra] if extra else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise PlanningError(f"{what} is missing column(s) {missing}")
    return df


def _ts(value: date | datetime | str | None) -> pd.Timestamp | None:
    import pandas as pd

    if value is None:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _in_window(s: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.Series:
    mask = s.notna()
    if start is not None:
        mask &= s >= start
    if end is not None:
        mask &= s < end
    return mask


def _reach_times(history: pd.DataFrame) -> pd.DataFrame:
    """One row per contact, one column per stage: the time it reached that stage (or later)."""
    import pandas as pd

    h = history[history["to_stage"].isin(STAGES)]
    at = pd.to_datetime(h["at"], utc=True)
    first = (
        pd.DataFrame({"contact_id": h["contact_id"], "to_stage": h["to_stage"], "at": at})
        .groupby(["contact_id", "to_stage"])["at"]
        .min()
        .unstack("to_stage")
        .reindex(columns=list(STAGES))
    )
    # Reverse cumulative minimum: reaching a later stage means having passed this one.
    values = first.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    as_int = np.where(np.isnat(values), np.iinfo(np.int64).max, values.astype(np.int64))
    reached = np.minimum.accumulate(as_int[:, ::-1], axis=1)[:, ::-1]
    out = pd.DataFrame(
        np.where(
            reached == np.iinfo(np.int64).max,
            np.datetime64("NaT", "ns"),
            reached.astype("datetime64[ns]"),
        ),
        index=first.index,
        columns=list(STAGES),
    )
    # column by column: ``DataFrame.apply`` on an empty frame would skip the localisation
    for col in out.columns:
        out[col] = pd.to_datetime(out[col]).dt.tz_localize("UTC")
    return out


def _measure(
    reach: pd.DataFrame,
    deals: pd.DataFrame | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> MeasuredFunnel:
    import pandas as pd

    rates: dict[str, Sourced | None] = {}
    durations: dict[str, Sourced | None] = {}
    counts: dict[str, int] = {}
    for stage in STAGES:
        counts[stage] = int(_in_window(reach[stage], start, end).sum())
    for (a, b), name in zip(zip(STAGES, STAGES[1:]), RATE_NAMES):
        cohort = reach[_in_window(reach[a], start, end)]
        if len(cohort) == 0:
            rates[name] = durations[name] = None
            continue
        converted = cohort[cohort[b].notna()]
        rates[name] = Sourced(len(converted) / len(cohort), "measured") if len(converted) else None
        if len(converted):
            days = (converted[b] - converted[a]).dt.total_seconds() / 86400.0
            durations[name] = Sourced(float(np.median(days)), "measured")
        else:
            durations[name] = None
    leads = reach[_in_window(reach["lead"], start, end)]
    won = int(leads["customer"].notna().sum())
    l2c = Sourced(won / len(leads), "measured") if len(leads) and won else None
    deal_size = None
    if deals is not None and len(deals):
        closed = pd.to_datetime(deals["closed_at"], utc=True)
        mask = _in_window(closed, start, end) & deals["won"].astype(bool)
        amounts = deals.loc[mask, "amount"].astype(float)
        if len(amounts):
            deal_size = Sourced(float(amounts.mean()), "measured")
    return MeasuredFunnel(rates, durations, l2c, deal_size, counts)


def measure_funnel(
    history: Any,
    deals: Any | None = None,
    *,
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
) -> MeasuredFunnel:
    """Measure stage rates, durations, lead-to-customer rate and deal size over ``[start, end)``.

    Examples
    --------
    >>> history = [
    ...     {"contact_id": 1, "to_stage": "lead", "at": "2026-01-01"},
    ...     {"contact_id": 1, "to_stage": "mql", "at": "2026-01-05"},
    ...     {"contact_id": 1, "to_stage": "customer", "at": "2026-02-01"},
    ...     {"contact_id": 2, "to_stage": "lead", "at": "2026-01-02"},
    ... ]
    >>> deals = [{"amount": 1200, "won": True, "closed_at": "2026-02-01"}]
    >>> m = measure_funnel(history, deals)
    >>> m.rates["lead_to_mql"].value, m.rates["mql_to_sql"].value, m.lead_to_customer.value
    (0.5, 1.0, 0.5)
    >>> m.durations["lead_to_mql"].value, m.deal_size.value
    (4.0, 1200.0)
    """
    h = _frame(history, ("contact_id", "to_stage", "at"), "stage history")
    d = None if deals is None else _frame(deals, ("amount", "won", "closed_at"), "deals")
    return _measure(_reach_times(h), d, _ts(start), _ts(end))


def measure_funnel_by(
    history: Any,
    by: str,
    *,
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
) -> dict[Any, MeasuredFunnel]:
    """:func:`measure_funnel` per value of column ``by`` (channel, persona, segment...).

    Rates only (deal size needs deals per group: call :func:`measure_funnel` on a filtered
    deals table). A contact belongs to the group value on its rows (first seen if several).
    """
    h = _frame(history, ("contact_id", "to_stage", "at"), "stage history", extra=by)
    out: dict[Any, MeasuredFunnel] = {}
    group_of = h.sort_values("at").groupby("contact_id")[by].first()
    for value, contacts in group_of.groupby(group_of):
        sub = h[h["contact_id"].isin(contacts.index)]
        out[value] = _measure(_reach_times(sub), None, _ts(start), _ts(end))
    return out
