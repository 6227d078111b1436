"""The definitions of the business figures every page shares (pure: no Django).

One module per definition, used by the stored summaries and by any live computation alike
(ARCHITECTURE rule 10). The funnel figures (leads, MQLs, SQLs, opportunities, won-deal
conversion, velocity, revenue, prorated cost, ROI) are the closed loop's
(:mod:`smarketing.analytics.closedloop.funnel`); this module holds the touch-kind definitions
and the small formulas the closed loop and the pages both call.

- **Sales activity**: touches of :data:`SALES_ACTIVITY_KINDS` logged by a user (calls, emails,
  social messages, meetings, demos).
- **Attempt** (SLA "attempts per lead", sales dashboard "depth of leads worked"): a touch of
  :data:`ATTEMPT_KINDS` made by the sales team (``team = "sales"``) on a contact. The SLA
  counts the attempts after the lead's assignment; the dashboard counts a lead's attempts.
- **ROI** = (revenue - cost) / cost; it does not apply (``None``) without cost.

>>> roi(1500.0, 200.0)
6.5
>>> roi(0.0, 0.0) is None
True
>>> "sales_social" in ATTEMPT_KINDS
True
"""

from __future__ import annotations

#: Touch kinds that are sales activity (the "activity by rep" chart's columns, in order).
SALES_ACTIVITY_KINDS: tuple[str, ...] = (
    "sales_call",
    "sales_email",
    "sales_social",
    "meeting",
    "demo",
)
#: Touch kinds that count as a sales attempt on a lead (with ``team = "sales"``).
ATTEMPT_KINDS: tuple[str, ...] = SALES_ACTIVITY_KINDS
#: The touch team whose touches are attempts.
ATTEMPT_TEAM = "sales"


def roi(revenue: float | None, cost: float | None) -> float | None:
    """Return on spend, ``(revenue - cost) / cost``; ``None`` where it does not apply."""
    if not cost or revenue is None:
        return None
    return (revenue - cost) / cost
