"""Moved: the dashboards' attribution credits are read from the attribution app's stored path
set (:mod:`smarketing.attribution.pathset`, :func:`smarketing.attribution.selectors.
linear_by_channel`), the same paths and won-deal definition as the attribution page.

These names stay for the callers that still use them (the reporting refresh task and
command); the old ``reporting`` credit tables are no longer written or read.
"""

from smarketing.attribution.pathset import catch_up as catch_up_credits
from smarketing.attribution.pathset import rebuild as rebuild_credits

__all__ = ["catch_up_credits", "rebuild_credits"]
