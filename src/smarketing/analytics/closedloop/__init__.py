"""Closed-loop maths: outcomes flowing back to the sources that produced them.

Pure (no Django): Ibis tables in (:class:`FunnelTables`), typed results out
(:class:`ClosedLoopResult`). Aggregation runs where the tables live (SQLite, PostgreSQL,
DuckDB...). See ``docs/reporting.md`` for the definitions.
"""

from smarketing.analytics.closedloop.funnel import (
    DIMENSIONS,
    ClosedLoopResult,
    ClosedLoopRow,
    ClosedLoopSpec,
    closed_loop,
    totals,
)
from smarketing.analytics.closedloop.tables import (
    FUNNEL_FACT_COLUMNS,
    FUNNEL_STEPS,
    STAGE_RANK,
    STEPS,
    ClosedLoopError,
    FunnelTables,
    as_ts,
    contact_funnel,
    grouped_median,
    reach_times,
)

__all__ = [
    "DIMENSIONS",
    "FUNNEL_FACT_COLUMNS",
    "FUNNEL_STEPS",
    "STAGE_RANK",
    "STEPS",
    "ClosedLoopError",
    "ClosedLoopResult",
    "ClosedLoopRow",
    "ClosedLoopSpec",
    "FunnelTables",
    "as_ts",
    "closed_loop",
    "contact_funnel",
    "grouped_median",
    "reach_times",
    "totals",
]
