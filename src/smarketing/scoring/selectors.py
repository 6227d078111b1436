"""Scoring reads: the definition and model in force, a lead's priority and its explanation.

Other apps use these (never the models directly):

- :func:`scores_for` / :func:`score_for` -- ``Priority(hand_raiser, score, probability, …)``
  per contact; the sales inbox orders by ``Priority.sort_key`` (hand-raisers first, then the
  predicted probability, or the rule total where no model has scored the lead);
- :func:`sales_ready` -- fit, engagement, hand-raiser and the definition's MQL verdict, for
  the funnel's MQL rule;
- :func:`explanation_for` / :func:`explanations_for` -- the data the partial template
  ``scoring/_explanation.html`` renders (top factors in words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smarketing.analytics.scoring import ScoringDefinition as Definition
from smarketing.analytics.scoring import load_definition, score_contact
from smarketing.scoring.models import LeadScore, PredictiveModel, ScoringDefinition

_parsed: dict[tuple[int, int], Definition] = {}
_models: dict[int, object] = {}


def parsed_definition(row: ScoringDefinition) -> Definition:
    """The validated definition of a stored version (parsed once per process)."""
    key = (row.pk, hash(row.text))
    if key not in _parsed:
        if len(_parsed) > 32:
            _parsed.clear()
        _parsed[key] = load_definition(row.text)
    return _parsed[key]


def active_definition() -> tuple[ScoringDefinition | None, Definition | None]:
    """The definition version in force and its parsed form, or ``(None, None)``."""
    row = ScoringDefinition.objects.filter(active=True).first()
    if row is None:
        return None, None
    return row, parsed_definition(row)


def active_model_row() -> PredictiveModel | None:
    """The predictive model version in force (without its bytes), or ``None``."""
    return PredictiveModel.objects.filter(active=True).defer("data").first()


def loaded_model(row: PredictiveModel):
    """The :class:`~smarketing.analytics.scoring.TrainedModel` of a stored version (cached)."""
    from smarketing.analytics.scoring import load_model

    if row.pk not in _models:
        if len(_models) > 4:
            _models.clear()
        blob = PredictiveModel.objects.values_list("data", flat=True).get(pk=row.pk)
        _models[row.pk] = load_model(bytes(blob))
    return _models[row.pk]


@dataclass(frozen=True)
class Priority:
    """How urgent a lead is: hand-raisers first, then ``score`` (probability, else rule total).

    ``basis`` says which: ``"probability"`` (0–1) or ``"rule"`` (points). Sort a list of leads
    with ``key=lambda p: p.sort_key``.
    """

    contact_id: int
    hand_raiser: bool
    score: float
    basis: str
    probability: float | None
    fit: float
    engagement: float
    total: float
    is_mql: bool

    @property
    def sort_key(self) -> tuple:
        """Ascending sort key: hand-raisers, then probability-scored, then higher score."""
        return (not self.hand_raiser, self.basis != "probability", -self.score)


def _priority(s: LeadScore) -> Priority:
    basis = "probability" if s.probability is not None else "rule"
    return Priority(
        contact_id=s.contact_id,
        hand_raiser=s.hand_raiser,
        score=s.probability if s.probability is not None else s.total,
        basis=basis,
        probability=s.probability,
        fit=s.fit,
        engagement=s.engagement,
        total=s.total,
        is_mql=s.is_mql,
    )


def scores_for(contact_ids: Iterable[int]) -> dict[int, Priority]:
    """``{contact_id: Priority}`` for the contacts that have a score (one query)."""
    ids = list(contact_ids)
    if not ids:
        return {}
    return {s.contact_id: _priority(s) for s in LeadScore.objects.filter(contact_id__in=ids)}


def score_for(contact_id: int) -> Priority | None:
    """One contact's :class:`Priority`, or ``None`` when it has never been scored."""
    return scores_for([contact_id]).get(contact_id)


@dataclass(frozen=True)
class SalesReady:
    """The scoring side of the MQL decision for one contact."""

    fit: float
    engagement: float
    total: float
    hand_raiser: bool
    is_mql: bool
    definition_version: int | None
    probability: float | None = None


def sales_ready(contact) -> SalesReady | None:
    """Fit, engagement, hand-raiser and the active definition's MQL verdict for ``contact``.

    Takes a Contact or its id; ``None`` when it has no score yet.
    """
    contact_id = getattr(contact, "pk", contact)
    s = LeadScore.objects.filter(contact_id=contact_id).select_related("definition").first()
    if s is None:
        return None
    return SalesReady(
        fit=s.fit,
        engagement=s.engagement,
        total=s.total,
        hand_raiser=s.hand_raiser,
        is_mql=s.is_mql,
        definition_version=s.definition.version if s.definition else None,
        probability=s.probability,
    )


# --------------------------------------------------------------------------- explanations


@dataclass
class Explanation:
    """What the ``scoring/_explanation.html`` partial shows for one lead."""

    contact_id: int
    scored: bool = False
    fit: float = 0.0
    engagement: float = 0.0
    total: float = 0.0
    hand_raiser: bool = False
    is_mql: bool = False
    probability: float | None = None
    model_version: int | None = None
    factors: list[dict] = field(default_factory=list)  # model: {text, effect}
    rules: list[dict] = field(default_factory=list)  # rule breakdown: {name, points}

    @property
    def probability_pct(self) -> int | None:
        return None if self.probability is None else round(self.probability * 100)


def _rule_breakdown(contact_id: int, top: int) -> list[dict]:
    """The active definition's rules that fired for this contact, biggest first."""
    from django.utils import timezone

    from smarketing.scoring import data

    row, defn = active_definition()
    if defn is None:
        return []
    contact = data.contact_fields(contact_id, data.fields_needed(defn))
    if contact is None:
        return []
    touches = data.contact_touchpoints(
        contact_id, attributes=data.touch_attributes(defn), kinds=data.touch_kinds(defn)
    )
    score = score_contact(defn, contact=contact, touchpoints=touches, as_of=timezone.now())
    items = sorted(score.breakdown.items(), key=lambda kv: -abs(kv[1]))
    return [{"name": k, "points": round(v, 1)} for k, v in items if round(v, 1) != 0][:top]


def explanations_for(contact_ids: Iterable[int], *, rules: bool = True, top: int = 3) -> dict:
    """``{contact_id: Explanation}``; ``rules`` adds the live rule breakdown (one rescore each)."""
    ids = list(contact_ids)
    stored = {s.contact_id: s for s in LeadScore.objects.filter(contact_id__in=ids)}
    out = {}
    for cid in ids:
        s = stored.get(cid)
        e = Explanation(contact_id=cid)
        if s is not None:
            e.scored = True
            e.fit, e.engagement, e.total = s.fit, s.engagement, s.total
            e.hand_raiser, e.is_mql = s.hand_raiser, s.is_mql
            e.probability, e.model_version = s.probability, s.model_version
            e.factors = list(s.top_factors or [])[:top]
        if rules:
            e.rules = _rule_breakdown(cid, top)
        out[cid] = e
    return out


def explanation_for(contact_id: int, *, top: int = 3) -> Explanation:
    """One lead's :class:`Explanation` (model factors and the rules that fired)."""
    return explanations_for([contact_id], top=top)[contact_id]
