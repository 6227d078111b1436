"""The known formats by name, and ``format="auto"``: which format a header row is.

Detection rule: a format is a *candidate* when one of its identifying header sets (its
signatures) is fully present. Its *score* is the share of the file's headers it recognises.
The best CRM candidate wins when it scores at least :data:`MARGIN` above the runner-up
CRM candidate, otherwise the error lists them (ambiguous). ``generic`` (our own column
names, some of which equal HubSpot labels) wins only when it scores :data:`MARGIN` above the
best CRM candidate, or when no CRM format is a candidate. With no candidate at all the error
lists the closest formats and the identifying columns they miss (unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smarketing.ingest.formats.errors import FormatDetectionError, UnknownFormatError
from smarketing.ingest.formats.generic import GENERIC
from smarketing.ingest.formats.hubspot import HUBSPOT_CONTACTS, HUBSPOT_DEALS
from smarketing.ingest.formats.hubspot_objects import (
    HUBSPOT_CALLS,
    HUBSPOT_COMPANIES,
    HUBSPOT_EMAILS,
    HUBSPOT_MEETINGS,
    HUBSPOT_NOTES,
)
from smarketing.ingest.formats.mautic import MAUTIC_CONTACTS
from smarketing.ingest.formats.salesforce import (
    SALESFORCE_LEADS,
    SALESFORCE_OPPORTUNITIES,
    SALESFORCE_OPPORTUNITY_HISTORY,
)
from smarketing.ingest.formats.salesforce_objects import (
    SALESFORCE_ACCOUNTS,
    SALESFORCE_CAMPAIGN_MEMBERS,
    SALESFORCE_CONTACT_ROLES,
    SALESFORCE_CONTACTS,
    SALESFORCE_TASKS,
)
from smarketing.ingest.formats.spec import Format, header_key

__all__ = [
    "FORMATS",
    "MARGIN",
    "MIN_CONFIDENCE",
    "Candidate",
    "detect_format",
    "get_format",
    "rank_formats",
]

#: ``auto`` refuses a CRM format recognising fewer than this share of the file's columns (a
#: real export with many custom fields still has well over a tenth of standard ones).
MIN_CONFIDENCE = 0.10

#: Every supported format by its ``--format`` name.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        HUBSPOT_CONTACTS,
        HUBSPOT_DEALS,
        HUBSPOT_COMPANIES,
        HUBSPOT_CALLS,
        HUBSPOT_EMAILS,
        HUBSPOT_MEETINGS,
        HUBSPOT_NOTES,
        SALESFORCE_LEADS,
        SALESFORCE_OPPORTUNITIES,
        SALESFORCE_OPPORTUNITY_HISTORY,
        SALESFORCE_CONTACTS,
        SALESFORCE_ACCOUNTS,
        SALESFORCE_CAMPAIGN_MEMBERS,
        SALESFORCE_TASKS,
        SALESFORCE_CONTACT_ROLES,
        MAUTIC_CONTACTS,
        GENERIC,
    )
}

#: How far (share of headers) the best candidate must lead the runner-up.
MARGIN = 0.10


def get_format(name: str) -> Format:
    """Return the format called ``name``.

    Examples
    --------
    >>> get_format("hubspot-deals").source_system
    'hubspot'
    """
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormatError(
            f"unknown format {name!r}; choose auto or one of {', '.join(FORMATS)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Candidate:
    """How well one format fits a header row."""

    format: Format
    candidate: bool
    score: float
    recognised: int

    def describe(self) -> str:
        return f"{self.format.name} ({self.recognised} columns recognised, score {self.score:.2f})"


def rank_formats(headers: Sequence[str]) -> list[Candidate]:
    """Score every format against a header row, best first."""
    named = [h for h in headers if h.strip()]
    ranked = []
    for fmt in FORMATS.values():
        recognised = len(fmt.recognised(named))
        ranked.append(
            Candidate(
                fmt,
                fmt.matches_signature(named),
                recognised / len(named) if named else 0.0,
                recognised,
            )
        )
    ranked.sort(key=lambda c: (c.candidate, c.score), reverse=True)
    return ranked


def _missing(fmt: Format, headers: Sequence[str]) -> str:
    keys = {header_key(h) for h in headers}
    closest = min(fmt.signatures, key=lambda s: len(s - keys))
    return ", ".join(sorted(closest - keys))


def detect_format(headers: Sequence[str]) -> Format:
    """Return the one format a header row belongs to, or explain why there is none.

    Examples
    --------
    >>> detect_format(["Record ID", "First Name", "Email", "Lifecycle Stage"]).name
    'hubspot-contacts'
    >>> detect_format(["Id", "OpportunityId", "StageName", "CreatedDate"]).name
    'salesforce-opportunity-history'
    >>> detect_format(["Name", "Colour"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    smarketing.ingest.formats.errors.FormatDetectionError: no known format fits these columns...
    """
    ranked = rank_formats(headers)
    candidates = [c for c in ranked if c.candidate]
    generic = next((c for c in candidates if c.format is GENERIC), None)
    specific = [c for c in candidates if c.format is not GENERIC]
    if specific:
        best = specific[0]
        if generic is not None and generic.score >= best.score + MARGIN:
            return GENERIC
        close = [c for c in specific[1:] if best.score - c.score < MARGIN]
        if close:
            listed = "; ".join(c.describe() for c in [best, *close])
            raise FormatDetectionError(
                f"the columns fit more than one format: {listed}. Pass --format explicitly."
            )
        if best.score < MIN_CONFIDENCE:
            named = len([h for h in headers if h.strip()])
            raise FormatDetectionError(
                f"only {best.recognised} of {named} columns ({best.score:.0%}) fit "
                f"{best.format.name}: too few to be sure it is that export. Pass --format "
                f"{best.format.name} to import it as one, or choose another format."
            )
        return best.format
    if generic is not None:
        return GENERIC
    closest = sorted(ranked, key=lambda c: c.recognised, reverse=True)[:3]
    listed = "; ".join(f"{c.format.name} (missing: {_missing(c.format, headers)})" for c in closest)
    raise FormatDetectionError(
        f"no known format fits these columns ({', '.join(headers[:8])}"
        f"{', …' if len(headers) > 8 else ''}). Closest: {listed}. Pass --format, or use "
        f"--format generic with a --mapping file."
    )
