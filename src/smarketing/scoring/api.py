"""Scoring API: definition versions (validated, activated), lead scores with explanations,
backtests, predictive model versions and drift alerts."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from smarketing.analytics.scoring import DefinitionError, ScoringError, load_definition
from smarketing.config.auth import TokenAuth, TokenHeaderAuth
from smarketing.core.bounds import INT64_MAX
from smarketing.core.permissions import require
from smarketing.scoring.actions import do_activate_definition, do_save_definition
from smarketing.scoring.models import DriftAlert, PredictiveModel, ScoringDefinition
from smarketing.scoring.selectors import explanations_for, scores_for

router = Router(tags=["scoring"])

#: A backtest replays recorded events: none lies before 1970 (see core.bounds), and pandas
#: timestamps end in 2262.
BACKTEST_FIRST = dt.date(1970, 1, 1)
BACKTEST_LAST = dt.date(2200, 12, 31)

# Tokens are tried before the session: ninja's session auth fails a POST without a CSRF
# token with a 403 instead of letting the next method try (config.auth lists it first).
WRITE = [TokenAuth("write"), TokenHeaderAuth("write"), django_auth]
READ_POST = [TokenAuth("read"), TokenHeaderAuth("read"), django_auth]


class DefinitionOut(Schema):
    id: int
    version: int
    name: str
    text: str
    author_id: int | None
    created_at: dt.datetime
    active: bool
    activated_at: dt.datetime | None
    note: str


class DefinitionIn(Schema):
    text: str = Field(..., description="The YAML scoring definition (see docs/scoring.md).")
    activate: bool = Field(False, description="Put it in force now (and rescore everyone).")
    note: str = ""


class BacktestIn(Schema):
    text: str | None = Field(None, description="A definition to replay (or definition_id).")
    definition_id: int | None = None
    since: dt.date = Field(..., ge=BACKTEST_FIRST, le=BACKTEST_LAST)
    until: dt.date | None = Field(None, ge=BACKTEST_FIRST, le=BACKTEST_LAST)


class FactorOut(Schema):
    text: str
    effect: float


class RuleOut(Schema):
    name: str
    points: float


class ScoreOut(Schema):
    contact_id: int
    scored: bool
    fit: float
    engagement: float
    total: float
    hand_raiser: bool
    is_mql: bool
    probability: float | None
    model_version: int | None
    priority_basis: str | None
    factors: list[FactorOut]
    rules: list[RuleOut]


class ModelOut(Schema):
    id: int
    version: int
    name: str
    source: str
    trained_at: dt.datetime
    active: bool
    activated_at: dt.datetime | None
    decision: str
    metrics: dict
    holdout: dict


class DriftAlertOut(Schema):
    id: int
    model_id: int
    psi: float
    level: str
    n_new: int
    created_at: dt.datetime


@router.get("/scoring/definitions", response=list[DefinitionOut])
def list_definitions(request):
    """Every stored definition version, newest first."""
    return ScoringDefinition.objects.all()[:200]


@router.get("/scoring/definitions/active", response={200: DefinitionOut, 404: dict})
def get_active_definition(request):
    """The definition in force."""
    row = ScoringDefinition.objects.filter(active=True).first()
    if row is None:
        return Status(404, {"detail": "no scoring definition is active"})
    return row


@router.post("/scoring/definitions", response={201: DefinitionOut}, auth=WRITE)
def create_definition(request, payload: DefinitionIn):
    """Store a definition version; 422 lists every problem with its line. Nothing is stored
    (and the active definition stays) when it is invalid."""
    require(request.user, "scoring.propose")
    if payload.activate:
        require(request.user, "scoring.activate")
    with transaction.atomic():
        row = do_save_definition(
            text=payload.text, author=request.user, activate=payload.activate, note=payload.note
        )
    return Status(201, row)


@router.post("/scoring/definitions/{definition_id}/activate", response=DefinitionOut, auth=WRITE)
def activate_definition(request, definition_id: int):
    """Put a stored version in force; every contact is rescored in the background (admins)."""
    require(request.user, "scoring.activate")
    row = get_object_or_404(ScoringDefinition, pk=definition_id)
    with transaction.atomic():
        do_activate_definition(definition=row)
    row.refresh_from_db()
    return row


@router.post("/scoring/backtest", auth=READ_POST)
def run_backtest_endpoint(request, payload: BacktestIn):
    """Replay a definition over past data next to the active one (MQLs, MQL→SQL→won rates)."""
    from smarketing.scoring.backtesting import run_backtest

    if (payload.text is None) == (payload.definition_id is None):
        raise ValidationError({"text": ["give either text or definition_id"]})
    text = payload.text
    if payload.definition_id is not None:
        text = get_object_or_404(ScoringDefinition, pk=payload.definition_id).text
    try:
        candidate = load_definition(text)
    except DefinitionError as exc:
        raise ValidationError({"text": [str(e) for e in exc.errors]}) from None
    since = dt.datetime.combine(payload.since, dt.time(), tzinfo=dt.UTC)
    until = (
        dt.datetime.combine(payload.until, dt.time.max, tzinfo=dt.UTC) if payload.until else None
    )
    if until is not None and until < since:
        raise ValidationError({"until": ["until must not be before since"]})
    try:
        return run_backtest(candidate, since=since, until=until)
    except ScoringError as exc:
        raise HttpError(422, str(exc)) from None


def _score_out(e, priority) -> dict:
    return {
        "contact_id": e.contact_id,
        "scored": e.scored,
        "fit": e.fit,
        "engagement": e.engagement,
        "total": e.total,
        "hand_raiser": e.hand_raiser,
        "is_mql": e.is_mql,
        "probability": e.probability,
        "model_version": e.model_version,
        "priority_basis": priority.basis if priority else None,
        "factors": [{"text": f["text"], "effect": f["effect"]} for f in e.factors],
        "rules": e.rules,
    }


@router.get("/scoring/scores/{contact_id}", response=ScoreOut)
def get_score(request, contact_id: int):
    """One lead's scores, probability and top factors (model) and the rules that fired."""
    from smarketing.crm.models import Contact

    get_object_or_404(Contact, pk=contact_id)
    e = explanations_for([contact_id])[contact_id]
    return _score_out(e, scores_for([contact_id]).get(contact_id))


@router.get("/scoring/scores", response=list[ScoreOut])
def list_scores(
    request, ids: str = Query(..., description="Comma-separated contact ids (max 500)")
):
    """Scores of several leads in the order given (without the live rule breakdown)."""
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise HttpError(422, "ids: comma-separated whole numbers, e.g. ids=1,2,3") from None
    if any(not 1 <= c <= INT64_MAX for c in wanted):
        raise HttpError(422, "ids: contact ids are positive 64-bit integers")
    if not wanted or len(wanted) > 500:
        raise HttpError(422, "ids: give between 1 and 500 contact ids")
    explained = explanations_for(wanted, rules=False)
    priorities = scores_for(wanted)
    return [_score_out(explained[c], priorities.get(c)) for c in wanted]


@router.post("/scoring/rescore", auth=WRITE)
def rescore(request):
    """Queue a full rescore with the active definition (and model)."""
    from smarketing.scoring.tasks import rescore_all_task

    require(request.user, "scoring.rescore")

    if not ScoringDefinition.objects.filter(active=True).exists():
        raise HttpError(409, "no scoring definition is active")
    rescore_all_task()
    return {"queued": True}


@router.get("/scoring/models", response=list[ModelOut])
def list_models(request):
    """Every predictive model version with its metrics and promotion decision."""
    return PredictiveModel.objects.defer("data")[:100]


@router.get("/scoring/drift-alerts", response=list[DriftAlertOut])
def list_drift_alerts(request):
    """Score-drift alerts, newest first."""
    return DriftAlert.objects.all()[:100]
