"""The sales-ready definition (MQL rule): does a lead qualify, and with which priority?

Reads only: the caller (:func:`smarketing.funnel.actions.do_qualify_lead`) moves the lead.
"""

from __future__ import annotations

from dataclasses import dataclass

from smarketing.crm.models import Contact, Touchpoint
from smarketing.funnel.models import MqlRule
from smarketing.funnel.scores import LeadScores, score_of

#: Form URL / name fragments that make a lead a hand-raiser when no rule says otherwise.
DEFAULT_HAND_RAISER_MARKERS = ("demo-request", "contact-sales")
#: The touchpoint properties that name a form: ``form`` (API, inbound forms), ``form_id`` and
#: ``form_name`` (the tracking snippet's ``data-smarketing-form`` / form ``id`` / ``name``).
FORM_PROPERTIES = ("form", "form_id", "form_name", "name")


def _fold(text: str) -> str:
    """Lower case with ``-`` and ``_`` as spaces: ``demo-request`` matches "Demo request"."""
    return " ".join(str(text).lower().replace("-", " ").replace("_", " ").split())


def form_text(touch: Touchpoint) -> str:
    """What a hand-raiser marker is matched against: the form's URL and every form name it has."""
    props = touch.properties if isinstance(touch.properties, dict) else {}
    names = [str(props.get(key) or "") for key in FORM_PROPERTIES]
    return _fold(" ".join([touch.url or "", *names]))


@dataclass(frozen=True)
class Qualification:
    """The MQL rule's verdict on one lead."""

    qualified: bool
    priority: str  # "hand_raiser", "high" or "default" (keys of the SLA's first_touch hours)
    reason: str  # written as StageChange.rule, e.g. "hand-raiser: demo-request"
    scores: LeadScores | None = None


def active_mql_rule() -> MqlRule | None:
    """The sales-ready definition in force (newest active rule), or ``None``."""
    return MqlRule.objects.filter(active=True).order_by("-updated_at", "-id").first()


def hand_raiser_event(contact: Contact, markers) -> Touchpoint | None:
    """The latest form fill of ``contact`` matching a hand-raiser marker, since its last stage move."""
    forms = Touchpoint.objects.filter(contact=contact, kind="form_submit").order_by(
        "-occurred_at", "-id"
    )
    if contact.stage_changed_at and contact.lifecycle_stage in ("recycled", "disqualified"):
        # A recycled lead must raise its hand again to come straight back.
        forms = forms.filter(occurred_at__gte=contact.stage_changed_at)
    for touch in forms[:50]:
        text = form_text(touch)
        if any(_fold(m) in text for m in markers if m):
            return touch
    return None


def _icp_match(contact: Contact, rule: MqlRule) -> tuple[bool, str]:
    persona_ids = set(rule.personas.values_list("pk", flat=True))
    if persona_ids and contact.persona_id not in persona_ids:
        return False, "persona outside the ICP"
    account = contact.account
    segments = {s.lower() for s in rule.icp_segments or []}
    if segments and (account is None or account.segment.lower() not in segments):
        return False, "segment outside the ICP"
    countries = {c.upper() for c in rule.icp_countries or []}
    country = contact.country or (account.country if account else "")
    if countries and country.upper() not in countries:
        return False, "country outside the ICP"
    return True, ""


def hand_raiser_markers(rule: MqlRule | None) -> tuple[str, ...]:
    """The rule's hand-raiser markers, or the defaults."""
    return tuple((rule.hand_raiser_markers if rule else None) or DEFAULT_HAND_RAISER_MARKERS)


def evaluate_mql(contact: Contact, *, rule: MqlRule | None = None) -> Qualification:
    """Apply the sales-ready definition to ``contact`` (hand-raisers qualify at once)."""
    rule = rule if rule is not None else active_mql_rule()
    touch = hand_raiser_event(contact, hand_raiser_markers(rule))
    scores = score_of(contact.pk)
    if touch is not None:
        props = touch.properties if isinstance(touch.properties, dict) else {}
        name = next((str(props[k]) for k in FORM_PROPERTIES if props.get(k)), "")
        where = name or touch.url or "form"
        return Qualification(True, "hand_raiser", "hand-raiser: " + where, scores)
    if rule is None or (rule.min_fit_score is None and rule.min_engagement_score is None):
        return Qualification(False, "default", "no score threshold set", scores)
    if scores is None:
        return Qualification(False, "default", "no scores for this lead", scores)
    checks = (
        ("fit", rule.min_fit_score, scores.fit),
        ("engagement", rule.min_engagement_score, scores.engagement),
    )
    for name, need, got in checks:
        if need is not None and (got is None or got < need):
            return Qualification(False, "default", f"{name} score below {need:g}", scores)
    ok, why = _icp_match(contact, rule)
    if not ok:
        return Qualification(False, "default", why, scores)
    high = rule.high_priority_fit_score
    priority = "high" if high is not None and (scores.fit or 0) >= high else "default"
    parts = [f"{n} ≥ {need:g}" for n, need, _ in checks if need is not None]
    return Qualification(True, priority, "score: " + ", ".join(parts), scores)
