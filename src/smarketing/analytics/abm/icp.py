"""The ideal customer profile (ICP) document: schema, validation with line numbers, fit score.

The document is YAML (see ``default_icp.yaml``), validated by the same located validator as
the SLA (:mod:`smarketing.analytics.sla._validate`): every problem names its line and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from smarketing.analytics.sla._validate import SlaIssue as IcpIssue
from smarketing.analytics.sla._validate import _compose, _Validator

__all__ = ["IcpDocument", "IcpError", "IcpIssue", "default_icp_text", "fit_score", "load_icp"]

TOP = ("name", "fit", "engagement", "committee", "tiers", "mqa")


class IcpError(ValueError):
    """An invalid ICP document; :attr:`errors` lists every problem with its line and field."""

    def __init__(self, errors: list[IcpIssue]) -> None:
        self.errors = errors
        super().__init__("invalid ICP document:\n" + "\n".join(f"  {e}" for e in errors))


@dataclass(frozen=True)
class EmployeeBand:
    """Points for accounts with ``min <= employees < max`` (``max`` None: no upper bound)."""

    min: int
    max: int | None
    points: float


@dataclass(frozen=True)
class IcpDocument:
    """A validated ICP: fit points, engagement weights, committee, tier rules, MQA rule."""

    name: str
    industries: dict[str, float] = field(default_factory=dict)
    employees: tuple[EmployeeBand, ...] = ()
    countries: dict[str, float] = field(default_factory=dict)
    segments: dict[str, float] = field(default_factory=dict)
    half_life_days: float = 30.0
    window_days: int = 90
    scale: float = 60.0
    kind_weights: dict[str, float] = field(default_factory=dict)
    persona_weights: dict[str, float] = field(default_factory=dict)
    committee_personas: tuple[str, ...] = ()
    engaged_days: int = 30
    tiers: tuple[tuple[int, float], ...] = ()  # (tier, min_fit), first match wins
    mqa_min_engagement: float = 50.0
    mqa_min_engaged_personas: int = 2

    def tier_for(self, fit: float) -> int | None:
        """The tier the tier rules give an account of this fit score (None: below every rule)."""
        return next((tier for tier, minimum in self.tiers if fit >= minimum), None)


def default_icp_text() -> str:
    """The example ICP shipped with smarketing (what a new company starts from)."""
    return resources.files("smarketing.analytics.abm").joinpath("default_icp.yaml").read_text()


def _points(v: _Validator, value: Any, path: tuple[str, ...], *, upper: bool = False) -> dict:
    out: dict[str, float] = {}
    mapping = v.mapping(value, path, None) if value is not None else {}
    for key, points in (mapping or {}).items():
        number = v.number(points, (*path, str(key)), minimum=-100, maximum=100)
        if number is not None:
            out[str(key).upper() if upper else str(key).lower()] = float(number)
    return out


def load_icp(text: str) -> IcpDocument:
    """Parse and validate an ICP document; raises :class:`IcpError` listing every problem.

    Examples
    --------
    >>> doc = load_icp(default_icp_text())
    >>> doc.kind_weights["demo"], doc.tier_for(80), doc.tier_for(10)
    (15.0, 1, None)
    >>> try:
    ...     load_icp(default_icp_text().replace("half_life_days: 30", "half_life_days: -3"))
    ... except IcpError as exc:
    ...     print(exc.errors[0])
    line 29, field 'engagement.half_life_days': must be >= 0.1, got -3
    """
    data, lines, issues = _compose(text)
    v = _Validator(lines)
    v.issues.extend(issues)
    if data is None:
        raise IcpError(v.issues)
    top = v.mapping(data, (), TOP, required=("name",)) or {}
    name = v.text(top.get("name"), ("name",)) or ""
    fit = (
        v.mapping(
            top.get("fit") or {}, ("fit",), ("industries", "employees", "countries", "segments")
        )
        or {}
    )
    bands = []
    raw_bands = fit.get("employees") or []
    if not isinstance(raw_bands, list):
        v.err(("fit", "employees"), "must be a list of {min, max, points}")
        raw_bands = []
    for i, band in enumerate(raw_bands):
        path = ("fit", "employees", str(i))
        b = v.mapping(band, path, ("min", "max", "points"), required=("points",)) or {}
        low = v.number(b.get("min", 0), (*path, "min"), integer=True)
        high = v.number(b.get("max"), (*path, "max"), integer=True, nullable=True)
        points = v.number(b.get("points"), (*path, "points"), minimum=-100, maximum=100)
        if low is not None and high is not None and high <= low:
            v.err((*path, "max"), f"must be above min ({low}), got {high}")
        elif low is not None and points is not None:
            bands.append(EmployeeBand(int(low), None if high is None else int(high), float(points)))
    eng = (
        v.mapping(
            top.get("engagement") or {},
            ("engagement",),
            ("half_life_days", "window_days", "scale", "kinds", "personas"),
        )
        or {}
    )
    half_life = v.number(
        eng.get("half_life_days", 30), ("engagement", "half_life_days"), minimum=0.1
    )
    window = v.number(
        eng.get("window_days", 90),
        ("engagement", "window_days"),
        integer=True,
        minimum=1,
        maximum=3660,
    )
    scale = v.number(eng.get("scale", 60), ("engagement", "scale"), minimum=0.1)
    kinds = _points(v, eng.get("kinds"), ("engagement", "kinds"))
    personas = {}
    for key, mult in (
        v.mapping(eng.get("personas") or {}, ("engagement", "personas"), None) or {}
    ).items():
        number = v.number(mult, ("engagement", "personas", str(key)), maximum=10)
        if number is not None:
            personas[str(key)] = float(number)
    com = v.mapping(top.get("committee") or {}, ("committee",), ("personas", "engaged_days")) or {}
    committee = com.get("personas") or []
    if not isinstance(committee, list) or not all(isinstance(p, str) for p in committee):
        v.err(("committee", "personas"), "must be a list of persona names")
        committee = []
    engaged_days = v.number(
        com.get("engaged_days", 30),
        ("committee", "engaged_days"),
        integer=True,
        minimum=1,
        maximum=3660,
    )
    tiers = []
    raw_tiers = top.get("tiers") or []
    if not isinstance(raw_tiers, list):
        v.err(("tiers",), "must be a list of {tier, min_fit}")
        raw_tiers = []
    for i, rule in enumerate(raw_tiers):
        path = ("tiers", str(i))
        r = v.mapping(rule, path, ("tier", "min_fit"), required=("tier", "min_fit")) or {}
        tier = v.number(r.get("tier"), (*path, "tier"), integer=True, minimum=1, maximum=3)
        minimum = v.number(r.get("min_fit"), (*path, "min_fit"), maximum=100)
        if tier is not None and minimum is not None:
            tiers.append((int(tier), float(minimum)))
    mqa = (
        v.mapping(top.get("mqa") or {}, ("mqa",), ("min_engagement", "min_engaged_personas")) or {}
    )
    min_eng = v.number(mqa.get("min_engagement", 50), ("mqa", "min_engagement"), maximum=100)
    min_personas = v.number(
        mqa.get("min_engaged_personas", 2),
        ("mqa", "min_engaged_personas"),
        integer=True,
        maximum=50,
    )
    if v.issues:
        raise IcpError(v.issues)
    return IcpDocument(
        name=name,
        industries=_points(v, fit.get("industries"), ("fit", "industries")),
        employees=tuple(bands),
        countries=_points(v, fit.get("countries"), ("fit", "countries"), upper=True),
        segments=_points(v, fit.get("segments"), ("fit", "segments")),
        half_life_days=float(half_life),
        window_days=int(window),
        scale=float(scale),
        kind_weights=kinds,
        persona_weights=personas,
        committee_personas=tuple(committee),
        engaged_days=int(engaged_days),
        tiers=tuple(tiers),
        mqa_min_engagement=float(min_eng),
        mqa_min_engaged_personas=int(min_personas),
    )


def fit_score(doc: IcpDocument, account: dict[str, Any]) -> tuple[float, list[str]]:
    """An account's fit (0-100) against the ICP, with the reasons in words.

    >>> doc = load_icp(default_icp_text())
    >>> fit_score(doc, {"industry": "Software", "employees": 1200, "country": "us"})
    (80.0, ['industry Software +30', '1,200 employees +30', 'country US +20'])
    """
    points, why = 0.0, []
    industry = str(account.get("industry") or "")
    if industry.lower() in doc.industries:
        p = doc.industries[industry.lower()]
        points += p
        why.append(f"industry {industry} {p:+g}")
    employees = account.get("employees")
    if employees is not None:
        for band in doc.employees:
            if employees >= band.min and (band.max is None or employees < band.max):
                points += band.points
                why.append(f"{employees:,} employees {band.points:+g}")
                break
    country = str(account.get("country") or "").upper()
    if country in doc.countries:
        p = doc.countries[country]
        points += p
        why.append(f"country {country} {p:+g}")
    segment = str(account.get("segment") or "").lower()
    if segment in doc.segments:
        p = doc.segments[segment]
        points += p
        why.append(f"segment {segment.replace('_', ' ')} {p:+g}")
    return max(0.0, min(100.0, points)), why
