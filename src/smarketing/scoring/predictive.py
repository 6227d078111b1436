"""The predictive score in the app: training on the closed loop, versions, predictions, drift.

**Outcome** (what the model predicts): did sales qualify the lead? Positive: the contact
reached SQL or later (sql, opportunity, customer, evangelist). Negative: sales rejected it
(a ``LeadReview`` with decision reject) or it was disqualified or recycled without ever
reaching SQL. Open leads are not outcomes.

**No leakage**: each outcome's features are built from the touchpoints up to the moment the
lead was handed to sales (its first MQL), or up to the outcome when it never was an MQL, and
sales' own touches (calls, emails, meetings, demos) are not features: they follow the
qualification they would "predict".

**Promotion**: one outcome in five (stratified, by contact id) is held out; the new version is
trained on the rest and activated only when its held-out AUC is not worse than the active
version's on the same rows (``is_not_worse``, tolerance 0.01). With fewer than 5 held-out rows
of an outcome the cross-validated AUCs are compared instead, and the decision says so.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from smarketing.analytics.scoring import (
    ModelInputError,
    build_features,
    drift_check,
    dump_model,
    evaluate,
    explain_frame,
    is_not_worse,
    predict,
    train,
)
from smarketing.scoring import data
from smarketing.scoring.models import DriftAlert, PredictiveModel
from smarketing.scoring.selectors import active_model_row, loaded_model

log = logging.getLogger(__name__)

POSITIVE_STAGES = ("sql", "opportunity", "customer", "evangelist")
NEGATIVE_STAGES = ("disqualified", "recycled")
#: Sales' own touches are not features (they follow the decision they would predict).
EXCLUDED_FEATURES = ("n_sales_call", "n_sales_email", "n_meeting", "n_demo")
#: Explanations are computed for leads still in play (not customers or disqualified).
OPEN_STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "recycled")
TARGET = "qualified"
HOLDOUT_EVERY = 5
MIN_HOLDOUT_PER_CLASS = 5
TOLERANCE = 0.01
_TOUCH_ATTRIBUTES = ("url", "channel", "campaign")


# --------------------------------------------------------------------------- features


def _features(ids, as_of) -> pd.DataFrame:
    contacts = data.contacts_frame(data.FEATURE_FIELDS, ids=ids)
    touches = data.touchpoints_frame(attributes=_TOUCH_ATTRIBUTES, ids=ids)
    cutoff = as_of
    if isinstance(as_of, pd.Series):
        contacts = contacts[contacts["contact_id"].isin(as_of.index)].reset_index(drop=True)
    return build_features(contacts, touches, as_of=cutoff)


def outcomes() -> pd.DataFrame:
    """One row per decided lead: ``contact_id``, ``qualified`` (1/0), ``cutoff`` (features up to)."""
    from smarketing.funnel.models import LeadReview

    stages = data.stage_history_frame()
    stages["changed_at"] = pd.to_datetime(stages["changed_at"], utc=True)
    first = stages.groupby(["contact_id", "to_stage"])["changed_at"].min().unstack()
    for column in (*POSITIVE_STAGES, *NEGATIVE_STAGES, "mql"):
        if column not in first.columns:
            first[column] = pd.NaT
    positive_at = first[list(POSITIVE_STAGES)].min(axis=1).dropna()
    rejected = (
        LeadReview.objects.filter(decision="reject")
        .values("contact_id")
        .annotate(at=Min("at"))
        .values_list("contact_id", "at")
    )
    rejected_at = pd.Series(
        pd.to_datetime([at for _, at in rejected], utc=True),
        index=[cid for cid, _ in rejected],
        dtype="datetime64[ns, UTC]",
    )
    negative_at = pd.concat([first[list(NEGATIVE_STAGES)].min(axis=1).dropna(), rejected_at])
    negative_at = negative_at.groupby(level=0).min()
    index = positive_at.index.union(negative_at.index)
    positive_at, negative_at = positive_at.reindex(index), negative_at.reindex(index)
    decided = positive_at.notna() | negative_at.notna()
    qualified = positive_at.notna()
    decided_at = positive_at.where(qualified, negative_at)
    mql_at = first["mql"].reindex(index)
    cutoff = mql_at.where(mql_at.notna() & (mql_at <= decided_at), decided_at)
    out = pd.DataFrame(
        {"qualified": qualified.astype(int), "cutoff": cutoff, "decided_at": decided_at}
    )[decided]
    out.index.name = "contact_id"
    return out.reset_index()


def training_frame() -> pd.DataFrame:
    """The feature table of every decided lead with its outcome column ``qualified``."""
    labels = outcomes()
    if labels.empty:
        raise ModelInputError("no closed-loop outcomes yet: no lead has been qualified or rejected")
    cut = pd.Series(labels["cutoff"].to_numpy(), index=labels["contact_id"].to_numpy())
    features = _features(labels["contact_id"].tolist(), cut)
    return features.merge(labels[["contact_id", TARGET]], on="contact_id", how="inner")


# --------------------------------------------------------------------------- training


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every HOLDOUT_EVERY-th lead of each outcome (by contact id) is held out."""
    ordered = frame.sort_values("contact_id")
    rank = ordered.groupby(TARGET).cumcount()
    held = (rank % HOLDOUT_EVERY) == HOLDOUT_EVERY - 1
    return ordered[~held].reset_index(drop=True), ordered[held].reset_index(drop=True)


def _quantiles(scores: np.ndarray) -> list[float]:
    if len(scores) == 0:
        return []
    return [round(float(q), 5) for q in np.quantile(scores, np.linspace(0, 1, 1001))]


def do_train_model(
    *, frame: pd.DataFrame | None = None, source: str = "crm", as_of: dt.datetime | None = None
) -> dict:
    """Train a new model version on the closed loop; activate it when it is not worse.

    Returns the training figures (``TrainResult.to_dict()``) plus ``version``, ``activated``,
    ``decision`` and ``holdout`` (new vs active on the held-out rows). Raises
    :class:`~smarketing.analytics.scoring.ModelInputError` when there is too little data.
    """
    frame = training_frame() if frame is None else frame
    counts = frame[TARGET].value_counts()
    n_pos, n_neg = int(counts.get(1, 0)), int(counts.get(0, 0))
    if min(n_pos, n_neg) < 2:
        raise ModelInputError(
            f"too few outcomes to learn from: {n_pos} qualified and {n_neg} rejected or "
            "disqualified leads (need at least 2 of each; a useful model needs a few hundred)"
        )
    fit_part, held = _split(frame)
    held_counts = held[TARGET].value_counts()
    use_holdout = min(held_counts.get(0, 0), held_counts.get(1, 0)) >= MIN_HOLDOUT_PER_CLASS
    if not use_holdout:
        fit_part, held = frame, frame.iloc[0:0]
    result = train(fit_part, target=TARGET, exclude=("contact_id", *EXCLUDED_FEATURES))
    out = result.to_dict()
    active = PredictiveModel.objects.filter(active=True).first()
    new_metrics, active_metrics = result.metrics, (active.metrics if active else None)
    basis = "cross-validated AUC (too few held-out rows)"
    if use_holdout:
        basis = f"held-out AUC on {len(held)} leads"
        new_metrics = evaluate(result.trained, held)
        active_metrics = None
        if active is not None:
            try:
                active_metrics = evaluate(loaded_model(active), held, target=TARGET)
            except ModelInputError as exc:  # the old model needs columns we no longer have
                log.warning("cannot evaluate active model v%s: %s", active.version, exc)
    promote = is_not_worse(new_metrics, active_metrics, tolerance=TOLERANCE)
    new_auc = new_metrics["auc"]
    old_auc = active_metrics.get("auc") if isinstance(active_metrics, dict) else None
    if active is None:
        decision = f"activated: first model ({basis} {new_auc:.3f})"
    elif promote:
        decision = f"activated: {basis} {new_auc:.3f} vs active v{active.version} {old_auc:.3f}"
    else:
        decision = (
            f"kept v{active.version}: {basis} {new_auc:.3f} is worse than {old_auc:.3f} "
            f"by more than {TOLERANCE}"
        )
    holdout = {
        "basis": basis,
        "new": _brief(new_metrics),
        "active": _brief(active_metrics) if active_metrics else None,
        "n_rows": len(held),
    }
    with transaction.atomic():
        version = (PredictiveModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        row = PredictiveModel.objects.create(
            version=version,
            name=result.trained.name,
            data=dump_model(result.trained),
            metrics=out,
            holdout=holdout,
            training_scores=_quantiles(result.trained.training_scores),
            source=source,
            trained_at=as_of or timezone.now(),
            decision=decision,
        )
        if promote:
            PredictiveModel.objects.filter(active=True).update(active=False)
            row.active = True
            row.activated_at = timezone.now()
            row.save(update_fields=["active", "activated_at"])
    log.info("trained predictive model v%s: %s", version, decision)
    out.update(version=version, activated=promote, decision=decision, holdout=holdout)
    return out


def _brief(metrics: dict | None) -> dict | None:
    if not metrics:
        return None
    return {k: metrics.get(k) for k in ("auc", "lift_top_decile", "brier", "n_rows")}


# --------------------------------------------------------------------------- predictions


def predictions(*, ids=None, as_of: dt.datetime | None = None) -> pd.DataFrame | None:
    """``contact_id, probability, model_version, top_factors`` with the active model, or None.

    Explanations (top factors) are computed for leads still in play only.
    """
    row = active_model_row()
    if row is None:
        return None
    model = loaded_model(row)
    as_of = as_of or timezone.now()
    features = _features(ids, as_of)
    if features.empty:
        return pd.DataFrame(columns=["contact_id", "probability", "model_version", "top_factors"])
    probability = predict(model, features)
    stages = data.contacts_frame(["lifecycle_stage"], ids=ids)
    open_ids = set(stages.loc[stages["lifecycle_stage"].isin(OPEN_STAGES), "contact_id"])
    is_open = features["contact_id"].isin(open_ids).to_numpy()
    factors: list = [[] for _ in range(len(features))]
    if is_open.any():
        explained = explain_frame(model, features.loc[is_open].reset_index(drop=True))
        for position, items in zip(np.flatnonzero(is_open), explained, strict=True):
            factors[position] = [{"text": f.text, "effect": f.effect} for f in items]
    return pd.DataFrame(
        {
            "contact_id": features["contact_id"].to_numpy(),
            "probability": np.round(probability, 6),
            "model_version": row.version,
            "top_factors": factors,
        }
    )


def do_refresh_predictions(*, ids=None, as_of: dt.datetime | None = None) -> dict:
    """Recompute probabilities and explanations (all contacts, or ``ids``) and store them."""
    from smarketing.scoring.actions import store_scores
    from smarketing.scoring.selectors import active_definition
    from smarketing.scoring.store import current_scores

    as_of = as_of or timezone.now()
    pred = predictions(ids=ids, as_of=as_of)
    if pred is None:
        return {"refreshed": 0, "note": "no active predictive model"}
    current = current_scores(None if ids is None else list(ids))
    if current.empty:
        return {"refreshed": 0, "note": "no rule scores yet"}
    merged = current.drop(columns=["probability", "model_version", "top_factors"]).merge(
        pred, on="contact_id", how="left"
    )
    merged["top_factors"] = merged["top_factors"].map(lambda v: v if isinstance(v, list) else [])
    merged["computed_at"] = as_of
    merged["prediction_stale"] = False
    row, defn = active_definition()
    with transaction.atomic():
        written, history = store_scores(
            merged,
            reason="model",
            at=as_of,
            version=defn.version if defn else None,
            full=ids is None,
        )
    return {"refreshed": len(merged), "written": written, "history": history}


def do_refresh_stale_predictions(*, batch: int = 50_000) -> dict:
    """Refresh the leads marked ``prediction_stale`` by the incremental path (in batches)."""
    from smarketing.scoring.models import LeadScore

    ids = list(
        LeadScore.objects.filter(prediction_stale=True).values_list("contact_id", flat=True)[:batch]
    )
    if not ids:
        return {"refreshed": 0}
    with transaction.atomic():
        out = do_refresh_predictions(ids=ids)
        LeadScore.objects.filter(contact_id__in=ids).update(prediction_stale=False)
    return out


# --------------------------------------------------------------------------- drift


def do_check_drift(
    *, now: dt.datetime | None = None, window_days: int = 30, min_new: int = 30
) -> dict:
    """Compare new leads' probabilities with the training distribution (PSI).

    New leads are contacts created in the last ``window_days``. A significant shift (PSI >=
    0.25) stores a :class:`DriftAlert` and logs a warning; a moderate one logs a warning.
    """
    from smarketing.scoring.models import LeadScore

    now = now or timezone.now()
    row = active_model_row()
    if row is None:
        return {"checked": False, "reason": "no active predictive model"}
    if not row.training_scores:
        return {"checked": False, "reason": f"model v{row.version} has no training scores"}
    since = now - dt.timedelta(days=window_days)
    new = list(
        LeadScore.objects.filter(
            contact__created_at__gte=since, probability__isnull=False
        ).values_list("probability", flat=True)
    )
    if len(new) < min_new:
        reason = f"only {len(new)} new scored leads in {window_days} days (need {min_new})"
        log.info("drift check skipped: %s", reason)
        return {"checked": False, "reason": reason, "n_new": len(new)}
    result = drift_check(row.training_scores, new)
    out = {"checked": True, "model_version": row.version, **result.to_dict()}
    if result.alert:
        alert = DriftAlert.objects.create(
            model=row, psi=result.psi, level=result.level, n_new=len(new), detail=out
        )
        out["alert_id"] = alert.pk
        log.warning(
            "score drift on model v%s: PSI %.3f (%s)", row.version, result.psi, result.level
        )
    elif result.level != "stable":
        log.warning("moderate score drift on model v%s: PSI %.3f", row.version, result.psi)
    else:
        log.info("no score drift on model v%s: PSI %.3f", row.version, result.psi)
    return out
