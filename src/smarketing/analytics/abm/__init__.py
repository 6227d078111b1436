"""Account-based marketing maths (pure: no Django): the ICP document, fit and engagement scores.

- :func:`load_icp` parses and validates the ideal customer profile (YAML, line-located errors).
- :func:`fit_score` scores an account's attributes against it.
- :func:`engagement_scores` turns touch counts per account, kind, persona and day into a 0-100
  engagement score with decay, and explains it in words.
"""

from smarketing.analytics.abm.engagement import AccountEngagement, engagement_scores
from smarketing.analytics.abm.icp import (
    IcpDocument,
    IcpError,
    default_icp_text,
    fit_score,
    load_icp,
)

__all__ = [
    "AccountEngagement",
    "IcpDocument",
    "IcpError",
    "default_icp_text",
    "engagement_scores",
    "fit_score",
    "load_icp",
]
