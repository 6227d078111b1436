"""Predictive scoring: learn P(good outcome) from closed-loop outcomes with scikit-learn.

:func:`train` takes any table of leads with an outcome column, detects numeric and categorical
features (:mod:`.columns`), and evaluates two models with stratified k-fold cross-validation:

- the **model**: gradient-boosted trees (``HistGradientBoostingClassifier``, shallow and
  regularised) wrapped in ``CalibratedClassifierCV`` so its output is a usable probability
  (sigmoid calibration below 1,000 rows, isotonic above);
- the **baseline**: an L2-regularised logistic regression on standardised numbers and one-hot
  categories.

Both are judged on out-of-fold predictions: ROC AUC (mean over folds), lift in the top decile,
Brier score and reliability bins. The model is chosen only when its AUC is at least the
baseline's; otherwise, and always when the minority outcome has fewer than
:data:`MIN_MINORITY` rows, the baseline is used and ``note`` says why. The chosen estimator is
then refitted on all rows and returned in a :class:`TrainedModel` that can be stored as bytes
(:func:`dump_model`), used to :func:`predict` and to :func:`explain` a lead's probability.
"""

from __future__ import annotations

import io
import math
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from smarketing.analytics.scoring.columns import (
    MISSING,
    FeatureSpec,
    detect_features,
    parse_target,
    prepare_features,
)
from smarketing.analytics.scoring.errors import ModelInputError
from smarketing.analytics.scoring.features import describe
from smarketing.analytics.scoring.monitoring import calibration_summary, lift_top_decile

__all__ = [
    "MIN_MINORITY",
    "Factor",
    "TrainResult",
    "TrainedModel",
    "dump_model",
    "evaluate",
    "explain",
    "explain_frame",
    "load_model",
    "predict",
    "train",
]

#: Below this many rows of the rarer outcome only the regularised baseline is trained.
MIN_MINORITY = 30
MODEL_NAME = "calibrated HistGradientBoostingClassifier"
BASELINE_NAME = "LogisticRegression (L2, C=1.0)"
_TRAINING_SCORE_SAMPLE = 20_000
_MAGIC = b"smarketing-model-v1\n"
_PARALLEL_ROWS = 100_000


def _threads(n_rows: int) -> threadpool_limits:
    """One OpenMP thread below 100k rows: on small data the trees' thread start-up dominates,
    and on a shared machine it can make training 20x slower."""
    return threadpool_limits(limits=1 if n_rows < _PARALLEL_ROWS else None, user_api="openmp")


def _preprocessor(spec: FeatureSpec, n_rows: int) -> ColumnTransformer:
    parts = []
    if spec.numeric:
        numeric = Pipeline(
            [("impute", SimpleImputer(strategy="median", add_indicator=True)),
             ("scale", StandardScaler())]
        )  # fmt: skip
        parts.append(("numeric", numeric, list(spec.numeric)))
    if spec.categorical:
        onehot = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=5 if n_rows >= 200 else 1,
            max_categories=30,
            sparse_output=False,
        )
        parts.append(("categorical", onehot, list(spec.categorical)))
    return ColumnTransformer(parts)


def _baseline(spec: FeatureSpec, n_rows: int) -> Pipeline:
    return Pipeline(
        [("features", _preprocessor(spec, n_rows)),
         ("classify", LogisticRegression(C=1.0, max_iter=2000))]
    )  # fmt: skip


def _model(spec: FeatureSpec, n_rows: int, random_state: int) -> Pipeline:
    trees = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        random_state=random_state,
    )
    method = "isotonic" if n_rows >= 1000 else "sigmoid"
    calibrated = CalibratedClassifierCV(trees, method=method, cv=3)
    return Pipeline([("features", _preprocessor(spec, n_rows)), ("classify", calibrated)])


def _metrics(y: np.ndarray, oof: np.ndarray, fold_aucs: list[float]) -> dict[str, Any]:
    return {
        "auc": round(float(np.mean(fold_aucs)), 6),
        "auc_std": round(float(np.std(fold_aucs)), 6),
        "auc_folds": [round(a, 6) for a in fold_aucs],
        "lift_top_decile": round(lift_top_decile(y, oof), 6),
        "brier": round(float(brier_score_loss(y, oof)), 6),
        "calibration": calibration_summary(y, oof),
    }


@dataclass(frozen=True)
class TrainedModel:
    """A fitted estimator with what it needs to predict, explain and be monitored."""

    estimator: Pipeline
    spec: FeatureSpec
    target: str
    name: str
    reference: dict[str, Any]
    training_scores: np.ndarray = field(repr=False)
    metrics: dict[str, Any] = field(default_factory=dict)
    sklearn_version: str = sklearn.__version__


@dataclass(frozen=True)
class TrainResult:
    """Cross-validated figures for the chosen estimator, the baseline and the model."""

    n_rows: int
    n_positive: int
    target: str
    chosen: str
    model: str | None
    metrics: dict[str, Any]
    baseline: dict[str, Any]
    model_metrics: dict[str, Any] | None
    features: FeatureSpec
    note: str
    n_splits: int
    trained: TrainedModel = field(repr=False)

    @property
    def auc(self) -> float:
        """Cross-validated ROC AUC of the chosen estimator."""
        return self.metrics["auc"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: top-level figures are the chosen estimator's."""
        return {
            "auc": self.metrics["auc"],
            "auc_std": self.metrics["auc_std"],
            "lift_top_decile": self.metrics["lift_top_decile"],
            "brier": self.metrics["brier"],
            "calibration": self.metrics["calibration"],
            "baseline": {"name": BASELINE_NAME, **self.baseline},
            "model": self.model,
            "model_metrics": self.model_metrics,
            "chosen": self.chosen,
            "chosen_name": self.trained.name,
            "n_rows": self.n_rows,
            "n_positive": self.n_positive,
            "n_negative": self.n_rows - self.n_positive,
            "target": self.target,
            "cv": f"stratified {self.n_splits}-fold",
            "features": self.features.to_dict(),
            "note": self.note,
        }


def train(
    frame: Any,
    *,
    target: str,
    exclude: tuple[str, ...] = (),
    n_splits: int = 5,
    random_state: int = 0,
    min_minority: int = MIN_MINORITY,
) -> TrainResult:
    """Train and cross-validate a predictive lead score on a table of past leads.

    Parameters
    ----------
    frame
        One row per lead: feature columns and the outcome column ``target``.
    target
        The outcome column: 1/0, true/false or yes/no (any case).
    exclude
        Columns not to use as features.
    n_splits
        Folds of stratified cross-validation (reduced when the rarer outcome is rarer still).
    random_state
        Seed for the folds and the trees: the same data gives the same result.
    min_minority
        Below this many rows of the rarer outcome, only the baseline is trained.

    Returns
    -------
    TrainResult
        ``to_dict()`` has ``auc``, ``lift_top_decile``, ``brier``, ``calibration``,
        ``baseline``, ``model``, ``chosen``, ``features``, ``n_rows``, ``n_positive``, ``note``.

    Raises
    ------
    TargetError
        The outcome column is missing values or holds something other than 1/0, true/false,
        yes/no.
    ModelInputError
        No target column, no usable features, or fewer than 2 rows of an outcome.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=400, n_features=5, random_state=1)
    >>> frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).assign(won=y)
    >>> result = train(frame, target="won")
    >>> result.auc > 0.8, result.to_dict()["baseline"]["auc"] > 0.8, result.chosen
    (True, True, 'model')
    """
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    if target not in frame.columns:
        raise ModelInputError(
            f"no target column '{target}'; columns are: {', '.join(map(str, frame.columns))}"
        )
    y = parse_target(frame[target], name=target)
    n_rows, n_positive = len(y), int(y.sum())
    minority = min(n_positive, n_rows - n_positive)
    if minority < 2:
        raise ModelInputError(
            f"need at least 2 rows of each outcome to learn anything; '{target}' has "
            f"{n_positive} positive and {n_rows - n_positive} negative rows"
        )
    spec = detect_features(frame, target=target, exclude=tuple(exclude))
    x = prepare_features(frame, spec)
    splits = max(2, min(n_splits, minority))
    folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=random_state)
    fit_model = minority >= min_minority
    notes = []
    if splits < n_splits:
        notes.append(
            f"{splits}-fold cross-validation because only {minority} rows of the rarer outcome"
        )
    with _threads(n_rows):
        return _train(
            x, y, spec, folds, splits, fit_model, notes, target, random_state, min_minority
        )


def _train(
    x: pd.DataFrame,
    y: np.ndarray,
    spec: FeatureSpec,
    folds: StratifiedKFold,
    splits: int,
    fit_model: bool,
    notes: list[str],
    target: str,
    random_state: int,
    min_minority: int,
) -> TrainResult:
    n_rows, n_positive = len(y), int(y.sum())
    minority = min(n_positive, n_rows - n_positive)
    oof_base = np.zeros(n_rows)
    oof_model = np.zeros(n_rows)
    aucs_base: list[float] = []
    aucs_model: list[float] = []
    for train_rows, test_rows in folds.split(x, y):
        base = _baseline(spec, len(train_rows)).fit(x.iloc[train_rows], y[train_rows])
        oof_base[test_rows] = base.predict_proba(x.iloc[test_rows])[:, 1]
        aucs_base.append(float(roc_auc_score(y[test_rows], oof_base[test_rows])))
        if fit_model:
            model = _model(spec, len(train_rows), random_state)
            model.fit(x.iloc[train_rows], y[train_rows])
            oof_model[test_rows] = model.predict_proba(x.iloc[test_rows])[:, 1]
            aucs_model.append(float(roc_auc_score(y[test_rows], oof_model[test_rows])))
    baseline_metrics = _metrics(y, oof_base, aucs_base)
    model_metrics = _metrics(y, oof_model, aucs_model) if fit_model else None
    if not fit_model:
        chosen = "baseline"
        notes.insert(
            0,
            f"only {minority} rows of the rarer outcome (< {min_minority}): trained the "
            "regularised logistic baseline only; gradient boosting would overfit",
        )
    elif model_metrics["auc"] >= baseline_metrics["auc"]:
        chosen = "model"
        notes.insert(
            0,
            f"the model (AUC {model_metrics['auc']:.3f}) is at least as good as the logistic "
            f"baseline (AUC {baseline_metrics['auc']:.3f}); using the model",
        )
    else:
        chosen = "baseline"
        notes.insert(
            0,
            f"the model (AUC {model_metrics['auc']:.3f}) did not beat the logistic baseline "
            f"(AUC {baseline_metrics['auc']:.3f}); using the simpler baseline",
        )
    if chosen == "model":
        estimator, name, oof = _model(spec, n_rows, random_state), MODEL_NAME, oof_model
        metrics = model_metrics
    else:
        estimator, name, oof = _baseline(spec, n_rows), BASELINE_NAME, oof_base
        metrics = baseline_metrics
    estimator.fit(x, y)
    rng = np.random.default_rng(random_state)
    sample = oof if n_rows <= _TRAINING_SCORE_SAMPLE else rng.choice(oof, _TRAINING_SCORE_SAMPLE)
    trained = TrainedModel(
        estimator=estimator,
        spec=spec,
        target=target,
        name=name,
        reference=_reference_row(x, spec),
        training_scores=np.asarray(sample, dtype=float),
        metrics={k: v for k, v in metrics.items() if k != "calibration"},
    )
    return TrainResult(
        n_rows=n_rows,
        n_positive=n_positive,
        target=target,
        chosen=chosen,
        model=MODEL_NAME if fit_model else None,
        metrics=metrics,
        baseline=baseline_metrics,
        model_metrics=model_metrics,
        features=spec,
        note="; ".join(notes),
        n_splits=splits,
        trained=trained,
    )


def _reference_row(x: pd.DataFrame, spec: FeatureSpec) -> dict[str, Any]:
    """A typical lead: median numbers, most frequent categories (the 'nothing special' row)."""
    reference: dict[str, Any] = {}
    for column in spec.numeric:
        median = x[column].median()
        reference[column] = float(median) if not math.isnan(median) else math.nan
    for column in spec.categorical:
        reference[column] = str(x[column].mode().iloc[0])
    return reference


def predict(model: TrainedModel, frame: Any) -> np.ndarray:
    """Probability of a good outcome for each row of ``frame``.

    Examples
    --------
    >>> frame = pd.DataFrame({"visits": [0, 1, 2, 3] * 20, "won": [0, 0, 1, 1] * 20})
    >>> m = train(frame, target="won").trained
    >>> p = predict(m, pd.DataFrame({"visits": [0, 3]}))
    >>> bool(p[1] > p[0])
    True
    """
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    x = prepare_features(frame, model.spec)
    if len(x) == 0:
        return np.zeros(0)
    with _threads(len(x)):
        return model.estimator.predict_proba(x)[:, 1]


def evaluate(model: TrainedModel, frame: Any, *, target: str | None = None) -> dict[str, Any]:
    """AUC, lift, Brier and calibration of a trained model on labelled (held-out) rows.

    Use it to compare a new model version with the active one on the same held-out data and
    feed both results to :func:`~smarketing.analytics.scoring.monitoring.is_not_worse`.
    """
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    name = target or model.target
    if name not in frame.columns:
        raise ModelInputError(f"no target column '{name}' in the held-out data")
    y = parse_target(frame[name], name=name)
    if y.min() == y.max():
        raise ModelInputError("held-out data needs both outcomes to compute an AUC")
    p = predict(model, frame)
    return {
        "auc": round(float(roc_auc_score(y, p)), 6),
        "lift_top_decile": round(lift_top_decile(y, p), 6),
        "brier": round(float(brier_score_loss(y, p)), 6),
        "calibration": calibration_summary(y, p),
        "n_rows": len(y),
    }


@dataclass(frozen=True)
class Factor:
    """One reason behind a lead's probability: ``effect`` is in probability points."""

    feature: str
    value: Any
    effect: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        value = self.value
        if isinstance(value, float) and math.isnan(value):
            value = None
        return {"feature": self.feature, "value": value, "effect": self.effect, "text": self.text}


def explain_frame(model: TrainedModel, frame: Any, *, top: int = 3) -> list[list[Factor]]:
    """The ``top`` factors of each row's probability, biggest effect first.

    Each factor is found by occlusion: the row's value is replaced by the typical value
    (training median or most frequent category) and the change in probability is its effect.
    Features at their typical value, or moving the probability by less than half a point,
    are not listed. One prediction per feature over all rows, so it is cheap for a whole inbox.
    """
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    x = prepare_features(frame, model.spec)
    if len(x) == 0:
        return []
    columns = list(model.spec.columns)
    effects = np.zeros((len(x), len(columns)))
    with _threads(len(x)):
        base = model.estimator.predict_proba(x)[:, 1]
        for j, column in enumerate(columns):
            occluded = x.copy()
            occluded[column] = model.reference[column]
            effects[:, j] = base - model.estimator.predict_proba(occluded)[:, 1]
    out: list[list[Factor]] = []
    for i in range(len(x)):
        factors = []
        for j in np.argsort(-np.abs(effects[i]), kind="stable")[:top]:
            if abs(effects[i, j]) < 0.005:
                break
            column = columns[j]
            value = x.iloc[i][column]
            value = None if value == MISSING else value
            words = describe(column, value)
            percent = f"{effects[i, j] * 100:+.0f}%"
            factors.append(
                Factor(column, value, round(float(effects[i, j]), 6), f"{words} ({percent})")
            )
        out.append(factors)
    return out


def explain(model: TrainedModel, row: Any, *, top: int = 3) -> list[Factor]:
    """The ``top`` factors behind one lead's probability, in words for a sales rep.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> views = rng.integers(0, 8, 300)
    >>> frame = pd.DataFrame({"n_pricing_views": views, "won": (views + rng.normal(0, 2, 300)) > 5})
    >>> m = train(frame, target="won").trained
    >>> explain(m, {"n_pricing_views": 7})[0].text.startswith("Visited the pricing page 7 times (+")
    True
    """
    if isinstance(row, pd.Series):
        frame = row.to_frame().T
    elif isinstance(row, Mapping):
        frame = pd.DataFrame([dict(row)])
    else:
        frame = pd.DataFrame(row)
    if len(frame) != 1:
        raise ModelInputError(f"explain takes one row, got {len(frame)}")
    return explain_frame(model, frame.reset_index(drop=True), top=top)[0]


def dump_model(model: TrainedModel) -> bytes:
    """Serialise a trained model to bytes for storage (pickle; load only bytes you stored)."""
    buffer = io.BytesIO()
    buffer.write(_MAGIC)
    pickle.dump(model, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return buffer.getvalue()


def load_model(data: bytes) -> TrainedModel:
    """Restore a model stored with :func:`dump_model`.

    Pickle runs code while loading: only load bytes that smarketing itself stored.

    Examples
    --------
    >>> frame = pd.DataFrame({"visits": [0, 1, 2, 3] * 20, "won": [0, 0, 1, 1] * 20})
    >>> m = train(frame, target="won").trained
    >>> load_model(dump_model(m)).spec == m.spec
    True
    """
    if not isinstance(data, bytes | bytearray) or not bytes(data).startswith(_MAGIC):
        raise ModelInputError("these bytes are not a smarketing model (dump_model output)")
    model = pickle.loads(bytes(data)[len(_MAGIC) :])  # noqa: S301 - our own stored bytes only
    if not isinstance(model, TrainedModel):
        raise ModelInputError("these bytes do not hold a smarketing TrainedModel")
    return model
