"""Groupings the measured funnel rates can be split by (no Django: the CLI reads it unstarted)."""

#: Groupings the measured rates can be split by.
RATE_GROUPS = ("channel", "persona", "segment")
