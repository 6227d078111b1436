"""Backtest a candidate definition over the data in the database, next to the active one.

Used by ``smarketing score backtest``, the scoring page's backtest form and the API. Reads only.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smarketing.analytics.scoring import ScoringDefinition, backtest, compare
from smarketing.scoring import data
from smarketing.scoring.selectors import active_definition


def parse_date(value: str, *, name: str = "since") -> dt.datetime:
    """``YYYY-MM-DD`` (or an ISO date-time) as an aware UTC datetime; ``ValueError`` naming it."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def run_backtest(
    candidate: ScoringDefinition, *, since: dt.datetime, until: dt.datetime | None = None
) -> dict:
    """The candidate's backtest and, when one is active, the active definition's and overlap.

    Returns ``{"candidate": {...}, "active": {...} | None, "overlap": {...} | None,
    "active_label": str | None}``; each result has ``n_mql``, ``n_sql``, ``n_won``,
    ``mql_to_sql_rate``, ``sql_to_won_rate``, ``mql_to_won_rate``, ``mqls_by_month``….
    """
    if until is not None and until < since:
        raise ValueError("until must not be before since")
    row, active = active_definition()
    defs = [candidate] + ([active] if active is not None else [])
    fields = sorted({f for d in defs for f in data.fields_needed(d)})
    attributes = sorted({a for d in defs for a in data.touch_attributes(d)})
    kinds_list = [data.touch_kinds(d) for d in defs]
    kinds = (
        None if any(k is None for k in kinds_list) else sorted({k for ks in kinds_list for k in ks})
    )
    contacts = data.contacts_frame(fields)
    touches = data.touchpoints_frame(
        attributes=attributes, kinds=kinds, until=until or timezone.now()
    )
    stages = data.stage_history_frame()
    if active is None:
        result = backtest(
            candidate, contacts=contacts, touchpoints=touches, stage_history=stages,
            since=since, until=until,
        )  # fmt: skip
        return {
            "candidate": result.to_dict(),
            "active": None,
            "overlap": None,
            "active_label": None,
        }
    out = compare(
        candidate, active, contacts=contacts, touchpoints=touches, stage_history=stages,
        since=since, until=until,
    ).to_dict()  # fmt: skip
    out["active_label"] = str(row)
    return out
