"""Model quality figures and monitoring: lift, calibration, promotion rule, drift (PSI).

- :func:`lift_top_decile` and :func:`calibration_summary` describe how useful and how honest
  predicted probabilities are;
- :func:`is_not_worse` is the promotion rule: a new model version is activated only when its
  held-out AUC is not worse than the active one's by more than a tolerance;
- :func:`population_stability_index` and :func:`drift_check` compare the score distribution of
  new leads with the training scores (PSI < 0.1 stable, 0.1-0.25 moderate shift, >= 0.25
  significant shift: retrain).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from smarketing.analytics.scoring.errors import ModelInputError

__all__ = [
    "PSI_MODERATE",
    "PSI_SIGNIFICANT",
    "DriftResult",
    "calibration_summary",
    "drift_check",
    "is_not_worse",
    "lift_top_decile",
    "population_stability_index",
]

#: PSI at or above this is a moderate shift worth watching.
PSI_MODERATE = 0.1
#: PSI at or above this is a significant shift: raise an alert and retrain.
PSI_SIGNIFICANT = 0.25


def lift_top_decile(y_true: Any, scores: Any) -> float:
    """Positive rate among the 10% highest scores divided by the overall positive rate.

    Ties are broken by row order, the top decile holds ``ceil(n / 10)`` rows; 1.0 is what a
    random order gives.

    Examples
    --------
    >>> lift_top_decile([1, 0, 0, 0, 0, 0, 0, 0, 0, 1], [.9, .1, .2, .3, .1, .2, .3, .1, .2, .4])
    5.0
    """
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    if len(y) == 0 or y.sum() == 0:
        raise ModelInputError("lift needs at least one positive outcome")
    top = np.argsort(-s, kind="stable")[: math.ceil(len(y) / 10)]
    return float(y[top].mean() / y.mean())


def calibration_summary(y_true: Any, probabilities: Any, *, bins: int = 10) -> dict[str, Any]:
    """Reliability bins (mean predicted vs observed rate) over score quantiles, and the ECE.

    ``ece`` (expected calibration error) is the row-weighted mean of
    ``|mean_predicted - observed_rate|`` over the bins: 0 is perfectly calibrated.

    Examples
    --------
    >>> c = calibration_summary([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.9], bins=2)
    >>> [(b["mean_predicted"], b["observed_rate"], b["count"]) for b in c["bins"]]
    [(0.2, 0.0, 2), (0.75, 1.0, 2)]
    >>> c["ece"]
    0.225
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    order = np.argsort(p, kind="stable")
    out = []
    ece = 0.0
    for chunk in np.array_split(order, min(bins, len(order))):
        if len(chunk) == 0:
            continue
        predicted = float(p[chunk].mean())
        observed = float(y[chunk].mean())
        ece += len(chunk) * abs(predicted - observed)
        out.append(
            {
                "mean_predicted": round(predicted, 6),
                "observed_rate": round(observed, 6),
                "count": int(len(chunk)),
                "min_predicted": round(float(p[chunk].min()), 6),
                "max_predicted": round(float(p[chunk].max()), 6),
            }
        )
    return {
        "method": f"{len(out)} equal-count bins of predicted probability",
        "bins": out,
        "ece": round(ece / max(len(p), 1), 6),
    }


def _auc_of(metrics: Any) -> float | None:
    if metrics is None:
        return None
    value = metrics.get("auc") if isinstance(metrics, Mapping) else getattr(metrics, "auc", None)
    return None if value is None else float(value)


def is_not_worse(new_metrics: Any, active_metrics: Any, *, tolerance: float = 0.01) -> bool:
    """The promotion rule: is the new model's held-out AUC at least the active one's minus
    ``tolerance``?

    Both metrics are mappings (or objects) with an ``auc`` measured on the *same* held-out
    data. With no active model (``None`` or no AUC) any new model with an AUC qualifies.

    Examples
    --------
    >>> is_not_worse({"auc": 0.78}, {"auc": 0.785}), is_not_worse({"auc": 0.70}, {"auc": 0.75})
    (True, False)
    >>> is_not_worse({"auc": 0.6}, None)
    True
    """
    if tolerance < 0:
        raise ModelInputError(f"tolerance must be >= 0, got {tolerance}")
    new = _auc_of(new_metrics)
    if new is None:
        raise ModelInputError("the new model's metrics have no 'auc'")
    active = _auc_of(active_metrics)
    return active is None or new >= active - tolerance


def population_stability_index(expected: Any, actual: Any, *, bins: int = 10) -> float:
    """PSI of ``actual`` scores against ``expected`` (training) scores.

    Bins are the deciles of ``expected``; ``sum((a - e) * ln(a / e))`` over bins with shares
    floored at 1e-4 so an empty bin does not give infinity.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = rng.beta(2, 5, 5000)
    >>> round(population_stability_index(train, rng.beta(2, 5, 5000)), 3) < 0.1
    True
    >>> population_stability_index(train, rng.beta(5, 2, 5000)) >= 0.25
    True
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if len(e) == 0 or len(a) == 0:
        raise ModelInputError("PSI needs scores in both the expected and the actual sample")
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1))[1:-1])
    e_share = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1)
    a_share = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1)
    e_share = np.maximum(e_share / len(e), 1e-4)
    a_share = np.maximum(a_share / len(a), 1e-4)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


@dataclass(frozen=True)
class DriftResult:
    """The drift verdict: ``level`` is ``stable``, ``moderate`` or ``significant``."""

    psi: float
    level: str
    alert: bool
    n_expected: int
    n_actual: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "psi": self.psi,
            "level": self.level,
            "alert": self.alert,
            "n_expected": self.n_expected,
            "n_actual": self.n_actual,
            "thresholds": {"moderate": PSI_MODERATE, "significant": PSI_SIGNIFICANT},
        }


def drift_check(expected: Any, actual: Any, *, bins: int = 10) -> DriftResult:
    """Compare new leads' scores with the training scores; alert on a significant shift.

    Examples
    --------
    >>> drift_check([0.1, 0.2, 0.3, 0.4] * 50, [0.1, 0.2, 0.3, 0.4] * 10).level
    'stable'
    """
    psi = population_stability_index(expected, actual, bins=bins)
    level = "stable"
    if psi >= PSI_SIGNIFICANT:
        level = "significant"
    elif psi >= PSI_MODERATE:
        level = "moderate"
    return DriftResult(
        psi=round(psi, 6),
        level=level,
        alert=level == "significant",
        n_expected=len(np.asarray(expected)),
        n_actual=len(np.asarray(actual)),
    )
