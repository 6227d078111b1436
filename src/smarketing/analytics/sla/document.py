"""The SLA document: a versioned YAML contract between marketing and sales.

:func:`load_sla` parses and validates the text and returns a typed :class:`SlaDocument`; every
problem found is reported at once in :class:`SlaError` with its line and dotted field path, e.g.
``line 14, field 'sales.first_touch.default': must be >= 0``. An invalid document never yields
a :class:`SlaDocument`, so it can never be activated.

The schema (see ``docs/sla.md`` and the shipped ``default_sla.yaml``)::

    version: 3                          # int >= 1, required
    name: "Acme smarketing SLA"         # required
    effective: 2026-01-01               # date, required
    calendar:                           # required: the company's business calendar
      timezone: Europe/Berlin           # IANA name, required
      country: DE                       # public holidays (holidays library), optional
      subdivision: BE                   # optional, needs country
      hours: {mon: "09:00-17:00", ...}  # missing weekday or null/"closed" = closed
      closed: [2026-12-24]              # extra closed dates, optional
    marketing:                          # optional; every value may be null (no commitment)
      mqls_per_month: 400
      mqls_per_rep_per_month: null
      min_mql_to_sql_rate: 0.25         # 0..1
      pipeline_per_quarter: 1500000
    sales:                              # required
      first_touch: {hand_raiser: 1, default: 8}   # business hours, by priority; default required
      attempts: {min_attempts: 4, within_business_days: 5}
      decision_within_hours: 16
      rejection_reason_required: true
    enforcement: {escalate_after_hours: 4, reassign_after_hours: 16, notify_owner: true}
    teams: {sales-emea: {timezone: ..., hours: ...}}   # optional calendar overrides
    reps: {ann@example.com: {hours: ...}}              # optional calendar overrides
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from smarketing.analytics.sla._validate import SlaError, SlaIssue, _compose, _kind, _Validator
from smarketing.analytics.sla.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    parse_hours,
)

__all__ = [
    "CalendarSpec",
    "Enforcement",
    "MarketingCommitments",
    "SalesCommitments",
    "SlaDocument",
    "SlaError",
    "SlaIssue",
    "default_sla_text",
    "load_sla",
]

_CALENDAR_FIELDS = ("timezone", "country", "subdivision", "hours", "closed")


@dataclass(frozen=True)
class CalendarSpec:
    """A calendar as written in the document (merged over the base one for overrides)."""

    timezone: str
    hours: Mapping[str, Any]
    country: str | None = None
    subdivision: str | None = None
    closed: tuple[date, ...] = ()

    def to_calendar(self) -> BusinessCalendar:
        """Build the :class:`BusinessCalendar`."""
        return BusinessCalendar.from_spec(
            timezone=self.timezone,
            hours=self.hours,
            country=self.country,
            subdivision=self.subdivision,
            closed=self.closed,
        )

    def merged(self, override: Mapping[str, Any]) -> CalendarSpec:
        """This spec with the keys of ``override`` replaced.

        A new ``country`` without a ``subdivision`` drops the inherited subdivision.
        """
        values = {f: getattr(self, f) for f in _CALENDAR_FIELDS}
        if "country" in override and "subdivision" not in override:
            values["subdivision"] = None
        values.update(override)
        values["closed"] = tuple(values["closed"] or ())
        return CalendarSpec(**values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "country": self.country,
            "subdivision": self.subdivision,
            "hours": dict(self.hours),
            "closed": [d.isoformat() for d in self.closed],
        }


@dataclass(frozen=True)
class MarketingCommitments:
    """What marketing promises sales; ``None`` means no commitment on that figure."""

    mqls_per_month: int | None = None
    mqls_per_rep_per_month: int | None = None
    min_mql_to_sql_rate: float | None = None
    pipeline_per_quarter: float | None = None

    def mqls_committed(self, *, reps: int | None = None) -> int | None:
        """MQLs committed for a month: the fixed figure, else per rep times ``reps``."""
        if self.mqls_per_month is not None:
            return self.mqls_per_month
        if self.mqls_per_rep_per_month is not None and reps is not None:
            return self.mqls_per_rep_per_month * reps
        return None


@dataclass(frozen=True)
class SalesCommitments:
    """What sales promises marketing (hours are business hours after assignment)."""

    first_touch: Mapping[str, float]
    min_attempts: int
    attempts_within_business_days: int
    decision_within_hours: float
    rejection_reason_required: bool = True
    #: Rejection reason code -> ``"recycled"`` or ``"disqualified"`` (overrides the app default).
    rejection_outcomes: Mapping[str, str] = field(default_factory=dict)

    def first_touch_hours(self, priority: str | None) -> float:
        """Hours allowed to first touch for ``priority`` (``default`` when not listed)."""
        if priority is not None and priority in self.first_touch:
            return float(self.first_touch[priority])
        return float(self.first_touch["default"])


@dataclass(frozen=True)
class Enforcement:
    """What happens after a breach (business hours after the breach)."""

    escalate_after_hours: float | None = None
    reassign_after_hours: float | None = None
    notify_owner: bool = True


@dataclass(frozen=True)
class SlaDocument:
    """A validated SLA document. Build it with :func:`load_sla`."""

    version: int
    name: str
    effective: date
    calendar: CalendarSpec
    sales: SalesCommitments
    marketing: MarketingCommitments = field(default_factory=MarketingCommitments)
    enforcement: Enforcement = field(default_factory=Enforcement)
    teams: Mapping[str, CalendarSpec] = field(default_factory=dict)
    reps: Mapping[str, CalendarSpec] = field(default_factory=dict)

    def calendar_for(self, *, team: str | None = None, rep: str | None = None) -> BusinessCalendar:
        """The calendar of a rep (if overridden), else of the team, else the company's.

        Examples
        --------
        >>> doc = load_sla(default_sla_text())
        >>> doc.calendar_for(team="sales-us").timezone
        'America/New_York'
        >>> doc.calendar_for(team="unknown-team").timezone
        'Europe/Berlin'
        """
        if rep is not None and rep in self.reps:
            return self.reps[rep].to_calendar()
        if team is not None and team in self.teams:
            return self.teams[team].to_calendar()
        return self.calendar.to_calendar()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the document (dates as ISO strings)."""
        s, m, e = self.sales, self.marketing, self.enforcement
        return {
            "version": self.version,
            "name": self.name,
            "effective": self.effective.isoformat(),
            "calendar": self.calendar.to_dict(),
            "marketing": {
                "mqls_per_month": m.mqls_per_month,
                "mqls_per_rep_per_month": m.mqls_per_rep_per_month,
                "min_mql_to_sql_rate": m.min_mql_to_sql_rate,
                "pipeline_per_quarter": m.pipeline_per_quarter,
            },
            "sales": {
                "first_touch": dict(s.first_touch),
                "attempts": {
                    "min_attempts": s.min_attempts,
                    "within_business_days": s.attempts_within_business_days,
                },
                "decision_within_hours": s.decision_within_hours,
                "rejection_reason_required": s.rejection_reason_required,
                "rejection_outcomes": {
                    k: "disqualify" if v == "disqualified" else "recycle"
                    for k, v in s.rejection_outcomes.items()
                },
            },
            "enforcement": {
                "escalate_after_hours": e.escalate_after_hours,
                "reassign_after_hours": e.reassign_after_hours,
                "notify_owner": e.notify_owner,
            },
            "teams": {k: v.to_dict() for k, v in self.teams.items()},
            "reps": {k: v.to_dict() for k, v in self.reps.items()},
        }


#: Rejection reason codes sales can give (the funnel's ``RejectionReason`` values).
REJECTION_REASONS = (
    "bad_fit",
    "no_budget",
    "not_decision_maker",
    "duplicate",
    "bad_data",
    "too_early",
    "competitor",
    "other",
)


def default_sla_text() -> str:
    """The example SLA shipped with smarketing (``default_sla.yaml``)."""
    return resources.files("smarketing.analytics.sla").joinpath("default_sla.yaml").read_text()


def _calendar(
    v: _Validator, value: Any, path: tuple[str, ...], base: CalendarSpec | None
) -> CalendarSpec | None:
    required = ("timezone", "hours") if base is None else ()
    raw = v.mapping(value, path, _CALENDAR_FIELDS, required)
    if raw is None:
        return None
    n_before = len(v.issues)
    fields: dict[str, Any] = {}
    if "timezone" in raw:
        fields["timezone"] = v.text(raw["timezone"], (*path, "timezone"))
    for key in ("country", "subdivision"):
        if key in raw and raw[key] is not None:
            fields[key] = v.text(raw[key], (*path, key))
        elif key in raw:
            fields[key] = None
    if "hours" in raw:
        hours = v.mapping(raw["hours"], (*path, "hours"), WEEKDAYS)
        if hours is not None:
            for day, spec in hours.items():
                if day not in WEEKDAYS:
                    continue
                try:
                    parse_hours(spec)
                except CalendarError as exc:
                    v.err((*path, "hours", str(day)), str(exc))
            fields["hours"] = hours
    if "closed" in raw:
        closed = raw["closed"] or []
        if not isinstance(closed, list):
            v.err((*path, "closed"), f"must be a list of dates, got {_kind(closed)}")
        else:
            fields["closed"] = tuple(
                d
                for i, item in enumerate(closed)
                if (d := v.a_date(item, (*path, "closed", str(i)))) is not None
            )
    if len(v.issues) > n_before:
        return None
    if base is None:
        spec = CalendarSpec(
            timezone=fields["timezone"],
            hours=fields["hours"],
            country=fields.get("country"),
            subdivision=fields.get("subdivision"),
            closed=fields.get("closed", ()),
        )
    else:
        spec = base.merged(fields)
    try:
        spec.to_calendar()
    except CalendarError as exc:
        msg = str(exc)
        if "timezone" in msg:
            key = "timezone"
        elif msg.startswith("unknown subdivision") and "subdivision" in raw:
            key = "subdivision"
        else:
            key = "country"
        v.err((*path, key) if key and key in raw else path, msg)
        return None
    return spec


def load_sla(text: str) -> SlaDocument:
    """Parse and validate an SLA document.

    Raises
    ------
    SlaError
        Listing every problem with line and field: unknown fields, missing ones, impossible
        hours (``25:00``, end before start), negative counts, rates outside 0..1, an unknown
        timezone or holiday country, duplicate keys, invalid YAML.

    Examples
    --------
    >>> doc = load_sla(default_sla_text())
    >>> doc.sales.first_touch_hours("hand_raiser"), doc.sales.first_touch_hours("low")
    (1.0, 8.0)
    >>> bad = default_sla_text().replace("default: 8", "default: -2")
    >>> try:
    ...     load_sla(bad)
    ... except SlaError as exc:
    ...     print(exc.errors[0])
    line 29, field 'sales.first_touch.default': must be >= 0, got -2
    """
    data, lines, issues = _compose(text)
    v = _Validator(lines)
    v.issues.extend(issues)
    if data is None:
        raise SlaError(v.issues)
    top = v.mapping(
        data,
        (),
        (
            "version",
            "name",
            "effective",
            "calendar",
            "marketing",
            "sales",
            "enforcement",
            "teams",
            "reps",
        ),
        ("version", "name", "effective", "calendar", "sales"),
    )
    if top is None:
        raise SlaError(v.issues)
    version = (
        v.number(top.get("version"), ("version",), integer=True, minimum=1)
        if ("version" in top)
        else None
    )
    name = v.text(top["name"], ("name",)) if "name" in top else None
    effective = v.a_date(top["effective"], ("effective",)) if "effective" in top else None
    calendar = _calendar(v, top["calendar"], ("calendar",), None) if "calendar" in top else None

    marketing = MarketingCommitments()
    if top.get("marketing") is not None:
        keys = (
            "mqls_per_month",
            "mqls_per_rep_per_month",
            "min_mql_to_sql_rate",
            "pipeline_per_quarter",
        )
        raw = v.mapping(top["marketing"], ("marketing",), keys)
        if raw is not None:
            p = ("marketing",)
            marketing = MarketingCommitments(
                mqls_per_month=v.number(
                    raw.get("mqls_per_month"), (*p, "mqls_per_month"), integer=True, nullable=True
                ),
                mqls_per_rep_per_month=v.number(
                    raw.get("mqls_per_rep_per_month"),
                    (*p, "mqls_per_rep_per_month"),
                    integer=True,
                    nullable=True,
                ),
                min_mql_to_sql_rate=v.number(
                    raw.get("min_mql_to_sql_rate"),
                    (*p, "min_mql_to_sql_rate"),
                    maximum=1,
                    nullable=True,
                ),
                pipeline_per_quarter=v.number(
                    raw.get("pipeline_per_quarter"), (*p, "pipeline_per_quarter"), nullable=True
                ),
            )

    sales = None
    if "sales" in top:
        p = ("sales",)
        raw = v.mapping(
            top["sales"],
            p,
            (
                "first_touch",
                "attempts",
                "decision_within_hours",
                "rejection_reason_required",
                "rejection_outcomes",
            ),
            ("first_touch", "attempts", "decision_within_hours"),
        )
        if raw is not None:
            first_touch: dict[str, float] = {}
            ft = v.mapping(raw.get("first_touch", {}), (*p, "first_touch"), None, ("default",))
            for prio, hours in (ft or {}).items():
                got = v.number(hours, (*p, "first_touch", str(prio)))
                if got is not None:
                    first_touch[str(prio)] = float(got)
            att = (
                v.mapping(
                    raw.get("attempts", {}),
                    (*p, "attempts"),
                    ("min_attempts", "within_business_days"),
                    ("min_attempts", "within_business_days"),
                )
                or {}
            )
            min_attempts = v.number(
                att.get("min_attempts", 0), (*p, "attempts", "min_attempts"), integer=True
            )
            within = v.number(
                att.get("within_business_days", 1),
                (*p, "attempts", "within_business_days"),
                integer=True,
                minimum=1,
            )
            decision = v.number(raw.get("decision_within_hours", 0), (*p, "decision_within_hours"))
            reason = v.boolean(
                raw.get("rejection_reason_required", True), (*p, "rejection_reason_required")
            )
            outcomes: dict[str, str] = {}
            if raw.get("rejection_outcomes") is not None:
                path = (*p, "rejection_outcomes")
                got = v.mapping(raw["rejection_outcomes"], path, REJECTION_REASONS) or {}
                for code, what in got.items():
                    if code not in REJECTION_REASONS:
                        continue
                    if what not in ("recycle", "disqualify"):
                        v.err((*path, str(code)), f"must be recycle or disqualify, got {what!r}")
                    else:
                        outcomes[str(code)] = "recycled" if what == "recycle" else "disqualified"
            if None not in (min_attempts, within, decision, reason) and "default" in first_touch:
                sales = SalesCommitments(
                    first_touch=first_touch,
                    min_attempts=min_attempts,
                    attempts_within_business_days=within,
                    decision_within_hours=float(decision),
                    rejection_reason_required=reason,
                    rejection_outcomes=outcomes,
                )

    enforcement = Enforcement()
    if top.get("enforcement") is not None:
        p = ("enforcement",)
        raw = v.mapping(
            top["enforcement"], p, ("escalate_after_hours", "reassign_after_hours", "notify_owner")
        )
        if raw is not None:
            enforcement = Enforcement(
                escalate_after_hours=v.number(
                    raw.get("escalate_after_hours"), (*p, "escalate_after_hours"), nullable=True
                ),
                reassign_after_hours=v.number(
                    raw.get("reassign_after_hours"), (*p, "reassign_after_hours"), nullable=True
                ),
                notify_owner=v.boolean(raw.get("notify_owner", True), (*p, "notify_owner")),
            )

    overrides: dict[str, dict[str, CalendarSpec]] = {"teams": {}, "reps": {}}
    for section in ("teams", "reps"):
        if top.get(section) is None:
            continue
        raw = v.mapping(top[section], (section,), None)
        for key, value in (raw or {}).items():
            if calendar is not None:
                spec = _calendar(v, value, (section, str(key)), calendar)
                if spec is not None:
                    overrides[section][str(key)] = spec

    if v.issues or None in (version, name, effective, calendar, sales):
        raise SlaError(v.issues or [SlaIssue(None, "", "the document is incomplete")])
    return SlaDocument(
        version=version,
        name=name,
        effective=effective,
        calendar=calendar,
        sales=sales,
        marketing=marketing,
        enforcement=enforcement,
        teams=overrides["teams"],
        reps=overrides["reps"],
    )


def load_sla_file(path: str | Path) -> SlaDocument:
    """:func:`load_sla` on a file's text."""
    return load_sla(Path(path).read_text(encoding="utf-8"))
