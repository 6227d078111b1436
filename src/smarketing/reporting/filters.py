"""Dashboard and report filters: period, team, owner, persona, segment, channel.

Parsed from a query string (or a share link's stored parameters) with clear per-field errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.utils import timezone

from smarketing.analytics.planning import Period, PlanningError, parse_period

FILTER_FIELDS = ("period", "team", "owner", "persona", "segment", "channel")


class FilterError(ValueError):
    """A bad filter value; ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def current_quarter(today: date | None = None) -> str:
    """The label of the quarter containing ``today`` (``2026-Q2``)."""
    today = today or timezone.now().date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Filters:
    """Validated filters; ``period`` is a :class:`~smarketing.analytics.planning.Period`."""

    period: Period
    team: int | None = None
    owner: int | None = None
    persona: int | None = None
    segment: str = ""
    channel: str = ""

    @property
    def start(self) -> datetime:
        """Window start as naive UTC (the closed-loop maths' convention)."""
        return datetime.combine(self.period.start, time())

    @property
    def end(self) -> datetime:
        return datetime.combine(self.period.end, time())

    def owner_ids(self) -> list[int] | None:
        """Owners the contact filters keep: the owner, the team's members, or ``None`` (all)."""
        if self.owner:
            return [self.owner]
        if self.team:
            return list(
                get_user_model()
                .objects.filter(profile__team_id=self.team)
                .values_list("id", flat=True)
            )
        return None

    def params(self) -> dict[str, str]:
        """The non-empty filters as strings (for links, CSV URLs and share links)."""
        raw = {
            "period": self.period.label,
            "team": self.team,
            "owner": self.owner,
            "persona": self.persona,
            "segment": self.segment,
            "channel": self.channel,
        }
        return {k: str(v) for k, v in raw.items() if v not in (None, "")}

    def querystring(self) -> str:
        return urlencode(self.params())


def _int(params, name: str) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise FilterError(name, f"must be an id (a whole number), got {value!r}")
    return int(value)


def parse_filters(params, *, default_period: str | None = None) -> Filters:
    """Validate filters from a mapping (``request.GET``); raises :class:`FilterError`."""
    label = (params.get("period") or "").strip() or default_period or current_quarter()
    try:
        period = parse_period(label)
    except PlanningError as exc:
        raise FilterError("period", str(exc)) from None
    segment = (params.get("segment") or "").strip()
    channel = (params.get("channel") or "").strip()
    if len(segment) > 30:
        raise FilterError("segment", "at most 30 characters")
    if len(channel) > 50:
        raise FilterError("channel", "at most 50 characters")
    return Filters(
        period=period,
        team=_int(params, "team"),
        owner=_int(params, "owner"),
        persona=_int(params, "persona"),
        segment=segment,
        channel=channel,
    )
